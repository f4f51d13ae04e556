"""The grade report of a class: per-question score distributions and per-student totals as PNG
plots, an HTML page, and the lists of submissions that need a person (manual grading,
problems, review flags). Nothing from the book: grading infrastructure.
"""

from __future__ import annotations

import html
from pathlib import Path


def _figure(width, height):
    from matplotlib.figure import Figure  # no pyplot: no global state, any backend

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def plot_questions(rows: list[dict], columns: list[str], path: Path) -> Path:
    """One histogram per graded cell: how many students got each score."""
    from matplotlib.ticker import MaxNLocator

    parts = [c for c in columns if ":" in c]
    n = max(1, len(parts))
    ncols = min(3, n)
    nrows = (n + ncols - 1) // ncols
    fig = _figure(3.2 * ncols, 2.4 * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, part in zip(axes, parts, strict=False):
        scores = [r[part] for r in rows if r.get(part) not in ("", None)]
        pending = sum(1 for r in rows if r.get(part) in ("", None))
        values = sorted(set(scores))
        counts = [scores.count(v) for v in values]
        ax.bar([f"{v:g}" for v in values], counts, color="#4c72b0")
        title = part.split(":", 1)[1]
        ax.set_title(title + (f" ({pending} pending)" if pending else ""), fontsize=9)
        ax.set_xlabel("score")
        ax.set_ylabel("students")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in axes[len(parts):]:
        ax.set_visible(False)
    fig.savefig(path)
    return path


def plot_students(rows: list[dict], path: Path) -> Path:
    """Per-student totals (autograded and manual parts stacked), sorted by total."""
    rows = sorted(rows, key=lambda r: (r["total"], r["student"]))
    fig = _figure(max(4.0, 0.25 * len(rows) + 2), 3.2)
    ax = fig.subplots()
    names = [r["student"] for r in rows]
    auto = [r["autograded"] for r in rows]
    manual = [r["manual"] for r in rows]
    ax.bar(names, auto, color="#4c72b0", label="autograded")
    ax.bar(names, manual, bottom=auto, color="#dd8452", label="graded by hand")
    if rows:
        ax.axhline(rows[0]["max"], color="k", lw=0.8, ls="--", label="maximum")
    ax.set_ylabel("points")
    ax.tick_params(axis="x", rotation=90, labelsize=7)
    ax.legend(fontsize=8)
    fig.savefig(path)
    return path


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
    head = "".join(f"<th>{esc(c.split(':')[-1])}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{esc(str(r.get(c, '')))}</td>" for c in columns)
                   + "</tr>" for r in rows)

    def listing(items, key):
        if not items:
            return "<p>None.</p>"
        return "<ul>" + "".join(f"<li><b>{esc(r['student'])}</b>: "
                                + esc("; ".join(r[key][:8])) + "</li>" for r in items) + "</ul>"

    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Grades: {esc(assignment)}</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}} td:first-child{{text-align:left}}
</style></head><body>
<h1>Grade report: {esc(assignment)}</h1>
<p>{len(rows)} student(s) in the gradebook; {len(results)} submission(s) graded in this run.</p>
<h2>Needs manual grading ({len(manual)})</h2>
{"<ul>" + "".join(f"<li>{esc(r['student'])}</li>" for r in manual) + "</ul>"
 if manual else "<p>None.</p>"}
<h2>Submissions with problems ({len(problems)})</h2>{listing(problems, "problems")}
<h2>Flagged for review ({len(flagged)})</h2>
<p>Code that could tamper with grading (it runs in the same kernel as the tests): look at the
autograded notebook before trusting the score.</p>{listing(flagged, "flags")}
<h2>Score distribution per question</h2><img src="questions.png" alt="per-question scores">
<h2>Totals per student</h2><img src="students.png" alt="per-student totals">
<h2>Grades</h2><table><tr>{head}</tr>{body}</table>
</body></html>
"""
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
