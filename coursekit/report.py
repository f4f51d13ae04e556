"""The grade report of a class: per-question score distributions and per-student totals as PNG
plots, an HTML page, and the lists of submissions that need a person (manual grading,
problems, review flags). Nothing from the book: grading infrastructure.

The page is laid out for a laptop screen (1366 px wide): plots are at most 1300 px wide and
scale down with the window, their legends sit above the axes (never over the bars), and the
grades table scrolls inside its own box, with short column names (the full grade id is the
tooltip of each header).
"""

from __future__ import annotations

import html
from pathlib import Path

#: widest plot (inches at 100 dpi): fits a 1366 px screen with the page margins
MAX_WIDTH_IN = 13.0

#: short headers for the gradebook's total columns
TOTAL_LABELS = {"autograded": "auto", "autograded_max": "auto max", "manual": "by hand",
                "manual_max": "by hand max", "total": "total", "max": "max",
                "needs_manual_grade": "to grade"}


def _figure(width, height):
    from matplotlib.figure import Figure  # no pyplot: no global state, any backend

    return Figure(figsize=(min(width, MAX_WIDTH_IN), height), dpi=100, layout="constrained")


def part_label(column: str, width: int = 18) -> str:
    """A short name for a grade column: ``"adam:test_adam_step"`` -> ``"adam_step"`` (the
    notebook and the ``test_`` prefix dropped), cut to ``width`` characters with an ellipsis."""
    name = column.split(":", 1)[-1]
    if name.startswith("test_") and len(name) > 5:
        name = name[5:]
    name = TOTAL_LABELS.get(name, name)
    return name if len(name) <= width else name[: width - 1] + "\u2026"


def _is_pending(value) -> bool:
    return value in ("", None)


def questions_figure(rows: list[dict], columns: list[str]):
    """One histogram per graded cell: how many students got each score (a Figure)."""
    from matplotlib.ticker import MaxNLocator

    parts = [c for c in columns if ":" in c]
    n = max(1, len(parts))
    ncols = min(4, n)
    nrows = (n + ncols - 1) // ncols
    fig = _figure(3.2 * ncols, 2.4 * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, part in zip(axes, parts, strict=False):
        scores = [r[part] for r in rows if not _is_pending(r.get(part))]
        pending = sum(1 for r in rows if _is_pending(r.get(part)))
        values = sorted(set(scores))
        counts = [scores.count(v) for v in values]
        ax.bar([f"{v:g}" for v in values], counts, color="#4c72b0")
        ax.set_title(part_label(part, 24) + (f"\n({pending} not graded yet)" if pending
                                             else ""), fontsize=9)
        ax.set_xlabel("score")
        ax.set_ylabel("students")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in axes[len(parts):]:
        ax.set_visible(False)
    return fig


def students_figure(rows: list[dict]):
    """Per-student totals (autograded and manual parts stacked), sorted by total (a Figure).
    The legend sits above the axes, outside them, so it never covers a bar."""
    rows = sorted(rows, key=lambda r: (r["total"], r["student"]))
    fig = _figure(max(5.0, 0.22 * len(rows) + 2), 3.6)
    ax = fig.subplots()
    names = [r["student"] for r in rows]
    auto = [r["autograded"] for r in rows]
    manual = [r["manual"] for r in rows]
    ax.bar(names, auto, color="#4c72b0", label="autograded")
    ax.bar(names, manual, bottom=auto, color="#dd8452", label="graded by hand")
    if rows:
        ax.axhline(rows[0]["max"], color="k", lw=0.8, ls="--", label="maximum")
        ax.set_ylim(0, rows[0]["max"] * 1.04 or 1)
    ax.set_ylabel("points")
    ax.set_xlim(-0.6, max(len(rows), 1) - 0.4)
    ax.tick_params(axis="x", rotation=90, labelsize=7 if len(rows) < 60 else 5)
    fig.legend(loc="outside upper center", ncols=3, fontsize=8, frameon=False)
    return fig


def plot_questions(rows: list[dict], columns: list[str], path: Path) -> Path:
    """Save :func:`questions_figure` as a PNG."""
    questions_figure(rows, columns).savefig(path)
    return path


def plot_students(rows: list[dict], path: Path) -> Path:
    """Save :func:`students_figure` as a PNG."""
    students_figure(rows).savefig(path)
    return path


def _cell(column: str, value) -> str:
    esc = html.escape
    if ":" in column and _is_pending(value):
        return '<td class="pending" title="written part not graded yet">not graded</td>'
    if column == "student":
        return f"<th scope=\"row\">{esc(str(value))}</th>"
    if column == "needs_manual_grade":
        return f"<td>{'yes' if value in (1, '1', True) else ''}</td>"
    return f"<td>{esc(str(value))}</td>"


def grades_table(rows: list[dict], columns: list[str]) -> str:
    """The grades as an HTML table inside a box that scrolls sideways on narrow screens."""
    esc = html.escape
    head = "".join(f'<th title="{esc(c)}">{esc(part_label(c))}</th>' for c in columns)
    body = "".join("<tr>" + "".join(_cell(c, r.get(c, "")) for c in columns) + "</tr>"
                   for r in rows)
    return (f'<div class="scroll"><table class="grades"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


_CSS = """body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1300px;
padding:0 1em;color:#222;line-height:1.4} img{max-width:100%;height:auto}
.scroll{max-width:100%;overflow-x:auto;border:1px solid #ddd}
table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:right;white-space:nowrap}
thead th{position:sticky;top:0;background:#f3f3f3;font-weight:600}
tbody th{text-align:left;position:sticky;left:0;background:#fff;font-weight:normal}
td.pending{color:#8a5a00;background:#fff6e0}"""


def make_report(out: Path, assignment: str, rows: list[dict], columns: list[str],
                results: list[dict]) -> Path:
    """Write ``questions.png``, ``students.png`` and ``report.html`` into ``out``."""
    out = Path(out)
    plot_questions(rows, columns, out / "questions.png")
    plot_students(rows, out / "students.png")
    esc = html.escape
    manual = [r for r in rows if r.get("needs_manual_grade")]
    problems = [r for r in results if r.get("problems") or r.get("status") != "graded"]
    flagged = [r for r in results if r.get("flags")]

    def listing(items, key):
        if not items:
            return "<p>None.</p>"
        return "<ul>" + "".join(f"<li><b>{esc(r['student'])}</b>: "
                                + esc("; ".join(r[key][:8])) + "</li>" for r in items) + "</ul>"

    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Grades: {esc(assignment)}</title>
<style>{_CSS}</style></head><body>
<h1>Grade report: {esc(assignment)}</h1>
<p>{len(rows)} student(s) in the gradebook; {len(results)} submission(s) graded in this run.</p>
<h2>Needs manual grading ({len(manual)})</h2>
<p>{", ".join(esc(r["student"]) for r in manual) if manual else "None."}</p>
<h2>Submissions with problems ({len(problems)})</h2>{listing(problems, "problems")}
<h2>Flagged for review ({len(flagged)})</h2>
<p>Code that could tamper with grading (it runs in the same kernel as the tests): look at the
autograded notebook before trusting the score.</p>{listing(flagged, "flags")}
<h2>Score distribution per question</h2><img src="questions.png" alt="per-question scores">
<h2>Totals per student</h2><img src="students.png" alt="per-student totals">
<h2>Grades</h2>
<p>Column names are shortened (hover for the full grade id); "not graded" marks a written
part that still needs grading by hand.</p>
{grades_table(rows, columns)}
</body></html>
"""
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
