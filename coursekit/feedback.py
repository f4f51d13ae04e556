"""The feedback a student sees: the feedback notebook (hidden tests removed, test outputs
reduced to the error the student caused, hidden lines redacted) and its self-contained HTML
page, written by the class autograde (:mod:`coursekit.grade`), by ``make feedback`` after
hand grading and by a student's own ``make check`` (:mod:`coursekit.check`).

What the page guarantees:

- a title that names the exercise and the student ("Gradient descent (UDL 6.1) — feedback
  for alice"), taken from the notebook's first heading;
- equations rendered offline: ``$...$`` and ``$$...$$`` become MathML on the grading machine
  (:mod:`coursekit.mathml`, latex2mathml), which browsers draw without any script or network;
  what cannot be converted is shown as its TeX source, readable either way;
- no path of the grading machine: traceback frames read "In cell 5, line 3" (cells are
  numbered on the page) or "In numpy/linalg/_linalg.py, line 647", and any other absolute
  path in an output is shortened (:func:`scrub_paths`);
- "No response." once under an answer the student left blank;
- the figures of the instructor's own cells ("See it"), also after hidden tests ran (only
  images of locked cells: text produced after a hidden test reached the kernel stays out);
- a written part that nobody graded yet says "not graded yet", never "0".
"""

from __future__ import annotations

import copy
import html
import re

import nbformat
from nbformat import NotebookNode

from .assemble import HIDDEN_BEGIN, _nbg, strip_hidden
from .kernel import CellRun, Limits, _ansi_free, _limit_note
from .mathml import markdown_html

NOT_GRADED = "not graded yet"

# ------------------------------------------------------------------ paths and tracebacks

_SITE_PACKAGES = re.compile(r".*/(?:site|dist)-packages/")
_ABS_PATH = re.compile(r"(?<![\w.~:/\\-])(/(?:[\w.+@~-]+/)+[\w.+@~-]*)")
_CELL_FRAME = re.compile(r"^(?:Cell In ?\[(\d+)\]|Input In ?\[(\d+)\]), line (\d+)(.*)$")
_FILE_FRAME = re.compile(r"^File (/\S+?):(\d+)(, in .*)?$")
_KERNEL_TMP = re.compile(r"/ipykernel_\d+/\d+\.py$")


def short_path(path: str) -> str:
    """A path without the grading machine's folders: ``numpy/linalg/_linalg.py`` for an
    installed package, ``steplab/checks.py`` for the engine, ``a notebook cell`` for the
    temporary file of a cell, the bare file name otherwise."""
    m = _SITE_PACKAGES.match(path)
    if m:
        return path[m.end():]
    if _KERNEL_TMP.search(path):
        return "a notebook cell"
    for package in ("steplab", "coursekit"):
        i = path.rfind(f"/{package}/")
        if i >= 0:
            return path[i + 1:]
    m = re.search(r"/lib/python3\.\d+/(.+)$", path)
    if m:
        return m.group(1)
    return path.rstrip("/").rsplit("/", 1)[-1] or path


def scrub_paths(text: str) -> str:
    """``text`` with every absolute path of two or more parts shortened by
    :func:`short_path` (URLs, fractions like ``dL/dphi`` and relative paths are left alone)."""
    return _ABS_PATH.sub(lambda m: short_path(m.group(1)), text)


def cell_labels(nb: NotebookNode) -> dict[int, int]:
    """``{execution count: cell number on the feedback page}`` (code cells numbered from 1),
    so that a traceback's ``Cell In[12]`` becomes the cell the student sees."""
    labels = {}
    n = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            n += 1
            if isinstance(cell.get("execution_count"), int):
                labels[cell.execution_count] = n
    return labels


def clean_frame(frame: str, labels: dict[int, int], context: bool = True) -> str:
    """One traceback frame as a student reads it: the header says "In cell 5, line 3" or
    "In numpy/linalg/_linalg.py, line 647" (no absolute path); without ``context`` only that
    header is kept (for frames inside libraries)."""
    lines = frame.rstrip("\n").split("\n")
    head = lines[0]
    m = _CELL_FRAME.match(head)
    if m:
        count = int(m.group(1) or m.group(2))
        where = f"cell {labels[count]}" if count in labels else "a notebook cell"
        head = f"In {where}, line {m.group(3)}{m.group(4)}"
    else:
        m = _FILE_FRAME.match(head)
        if m:
            head = f"In {short_path(m.group(1))}, line {m.group(2)}{m.group(3) or ''}"
    body = lines[1:] if context else []
    return scrub_paths("\n".join([head, *body]))


def _is_library_frame(plain: str) -> bool:
    return bool(_FILE_FRAME.match(plain.split("\n", 1)[0])) and \
        not _KERNEL_TMP.search(plain.split("\n", 1)[0].split(":")[0])


def clean_traceback(traceback: list[str], labels: dict[int, int]) -> list[str]:
    """A whole IPython traceback (ANSI colours removed) with :func:`clean_frame` applied to
    every frame; the separator and "Traceback (most recent call last)" lines are kept."""
    return [clean_frame(_ansi_free(t), labels) for t in traceback]


# ----------------------------------------------------------------------- feedback

def _redact(text: str, hidden: set[str], cap: int = 2000) -> str:
    text = _ansi_free(text)
    for h in hidden:
        if h in text:
            text = text.replace(h, "[hidden test]")
    text = scrub_paths(text)
    if len(text) > cap:
        text = text[:cap] + f"\n[... {len(text) - cap} more characters not shown ...]"
    return text


def _summarise_error(cell_src: str, run: CellRun, outputs, hidden: set[str],
                     labels: dict[int, int] | None = None) -> str:
    """The error a student caused in a test cell, without the test's own code: exception
    type and message, plus the traceback frames from the student's code on (frames in the
    student's cells with their code, frames in libraries they called as one line each; the
    test's own frames and the checking library's above them are left out)."""
    labels = labels or {}
    lines = []
    test_lines = {ln.strip() for ln in cell_src.split("\n") if len(ln.strip()) >= 4}
    for out in outputs:
        if out.get("output_type") != "error":
            continue
        reached_student = False  # library frames before the student's own code are the
        for frame in out.get("traceback", [])[:-1]:  # test's machinery: left out
            plain = _ansi_free(frame)
            if any(t in plain for t in test_lines) or "Traceback (most recent" in plain \
                    or set(plain.strip()) <= {"-"}:
                continue
            library = _is_library_frame(plain)
            reached_student = reached_student or not library
            if reached_student:
                cleaned = clean_frame(plain, labels, context=not library)
                lines.append(_redact(cleaned, hidden, 800))
    ename = run.ename or "Error"
    evalue = (run.evalue or "").strip()
    if ename in ("TimeoutError", "DeadKernel") and not evalue:
        return "\n".join(lines[-6:])  # the note under the cell says what happened
    if ename == "AssertionError" and not evalue:
        evalue = "a test failed (it has no message; check the task description)."
    lines.append(f"{ename}: {_redact(evalue, hidden, 1500)}")
    return "\n".join(lines[-6:])


def assignment_title(nb: NotebookNode, assignment: str) -> str:
    """The exercise's name from its first heading ("# Assignment: gradient descent (UDL
    6.1)" -> "Gradient descent (UDL 6.1)"), else from the assignment's folder name."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            m = re.match(r"#+\s+(?:Assignment:\s*)?(.+?)\s*#*$", line.strip())
            if m:
                text = m.group(1)
                return text[:1].upper() + text[1:]
        break
    return assignment.replace("_", " ").strip().capitalize() or "Exercise"


def _fmt_score(score, as_zero: bool = False) -> str:
    if score is None:
        return "0 (not graded; counted as 0)" if as_zero else NOT_GRADED
    return f"{score:g}"


def _totals(grades: dict, as_zero: bool) -> tuple[float, float, float, float, float]:
    """(autograded, autograded max, hand-graded, hand-graded max, points not graded yet)."""
    tests = [g for g in grades.values() if g["kind"] == "test"]
    manual = [g for g in grades.values() if g["kind"] == "manual"]
    pending = sum(g["max"] for g in manual if g["score"] is None)
    return (sum(g["score"] or 0 for g in tests), sum(g["max"] for g in tests),
            sum(g["score"] or 0 for g in manual), sum(g["max"] for g in manual),
            0.0 if as_zero else pending)


def _header(nb: NotebookNode, grades: dict, header: dict, general: list[str]) -> tuple[str, str]:
    """(page title, Markdown of the summary at the top of the page)."""
    title = assignment_title(nb, header["assignment"])
    check = bool(header.get("check"))
    as_zero = bool(header.get("ungraded_as_zero"))
    auto, auto_max, hand, hand_max, pending = _totals(grades, as_zero)
    if check:
        page_title = f"{title} — check of your notebook"
        lines = [f"# {page_title}", "",
                 "Visible tests only: the tests you see in the notebook. The grading of your "
                 "submission also runs hidden tests with more cases, and written parts are "
                 "graded by hand.", "",
                 f"Autograded score: **{auto:g} / {auto_max:g}** (visible tests)"]
    else:
        page_title = f"{title} — feedback for {header['student']}"
        lines = [f"# {page_title}", "", f"Student: **{header['student']}**", "",
                 f"Autograded score: **{auto:g} / {auto_max:g}**"]
    if hand_max and not check:
        graded = hand_max - pending
        lines[-1] += (f"; written parts graded by hand: **{hand:g} / {graded:g}**"
                      if graded else "")
        if pending:
            lines[-1] += f"; **{pending:g} point(s) {NOT_GRADED}**"
        if as_zero and any(g["score"] is None for g in grades.values()
                           if g["kind"] == "manual"):
            lines[-1] += " (written parts not graded count as 0)"
    rows = [f"| `{gid}` | {_fmt_score(g['score'], as_zero)} | {g['max']:g} |"
            for gid, g in grades.items() if g["kind"] != "answer"]
    if check:
        rows = [r.replace(f"| {NOT_GRADED} |", "| graded by hand |") for r in rows]
    lines += ["", "| part | score | max |", "|---|---|---|", *rows]
    if general:
        lines += ["", "**Notes**", ""] + [f"- {g}" for g in general]
    return page_title, "\n".join(lines)


def _cell_notes(i: int, cell, runs, grades, cell_notes, as_zero: bool, check: bool
                ) -> list[str]:
    gid = _nbg(cell).get("grade_id")
    notes = []
    if cell.cell_type == "code":
        notes += list(runs[i].events)
        lim = _limit_note(runs[i], LIMITS_FOR_NOTES.get("limits", Limits()))
        if lim and not any(n.split(":")[0] == lim.split(":")[0] for n in notes):
            notes.append(lim)
        if runs[i].stderr:
            notes.append("Your code wrote warnings or other text to stderr here; that "
                         "costs no points.")
    notes += cell_notes.get(gid, []) if gid else []
    g = grades.get(gid) if gid else None
    if g is not None and g["kind"] != "answer":
        score = _fmt_score(g["score"], as_zero)
        if g["kind"] == "manual" and g["score"] is None:
            notes.insert(0, f"**Part `{gid}`: graded by hand ({g['max']:g} points), not in "
                            "this check.**" if check else
                            f"**Part `{gid}`: 0 / {g['max']:g} points (not graded; counted "
                            "as 0).**" if as_zero else
                            f"**Part `{gid}`: {NOT_GRADED} ({g['max']:g} points).**")
        else:
            notes.insert(0, f"**Part `{gid}`: {score} / {g['max']:g} points.**")
    if g is not None and g.get("comment") and g["comment"] not in notes:
        notes.append(g["comment"])
    return list(dict.fromkeys(notes))  # each note once


def feedback_notebook(nb: NotebookNode, runs: list[CellRun], grades: dict, template_hidden:
                      set[str], header: dict, cell_notes: dict, general: list[str]
                      ) -> NotebookNode:
    """The feedback a student sees: their notebook with hidden tests removed, a score and
    notes after each graded cell, test outputs reduced to the error they caused; of the
    outputs produced after hidden test code first reached the kernel only the images of
    locked (instructor's) cells are kept (a test cell the trusted judge replaced by a call
    cell, metadata ``steplab.judged``, never put hidden code in the kernel).

    ``header``: ``assignment``, ``notebook``, ``student``; optional ``check`` (a student's
    own check: visible tests only) and ``ungraded_as_zero`` (the instructor chose to count
    written parts nobody graded as 0, ``--allow-ungraded``)."""
    fb = nbformat.v4.new_notebook(metadata=copy.deepcopy(nb.metadata))
    title, summary = _header(nb, grades, header, general)
    fb.metadata["steplab_title"] = title
    fb.cells.append(nbformat.v4.new_markdown_cell(summary))
    labels = cell_labels(nb)
    as_zero, check = bool(header.get("ungraded_as_zero")), bool(header.get("check"))
    hidden_started = False
    number = 0
    for i, cell in enumerate(nb.cells):
        meta = _nbg(cell)
        src = cell.source
        is_test = bool(meta.get("grade")) and not meta.get("solution") and \
            cell.cell_type == "code"
        if HIDDEN_BEGIN in src:
            src = strip_hidden(src)
        if cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(src)
        elif cell.cell_type == "code":
            number += 1
            new = nbformat.v4.new_code_cell(src, metadata={"steplab_cell": number})
            run = runs[i]
            outputs = cell.get("outputs", [])
            if is_test:
                if run.status == "error":
                    text = _summarise_error(src, run, outputs, template_hidden, labels)
                    if text.strip():
                        new.outputs = [nbformat.v4.new_output("stream", name="stderr",
                                                              text=text)]
            elif not hidden_started:
                new.outputs = _safe_outputs(outputs, template_hidden, labels)
            elif meta.get("locked"):
                new.outputs = _images(outputs)
            judged = cell.get("metadata", {}).get("steplab", {}).get("judged")
            if HIDDEN_BEGIN in cell.source and run.ran and not judged:
                hidden_started = True  # hidden test code reached the kernel from here on
        else:
            continue
        fb.cells.append(new)
        notes = _cell_notes(i, cell, runs, grades, cell_notes, as_zero, check)
        if notes:
            fb.cells.append(nbformat.v4.new_markdown_cell("\n\n".join(notes),
                                                          metadata={"steplab_note": True}))
    return fb


LIMITS_FOR_NOTES: dict = {}


def _images(outputs) -> list:
    """The PNG/JPEG images among ``outputs``, each reduced to the image alone."""
    keep = []
    for out in outputs:
        data = out.get("data", {}) if out.get("output_type") in ("display_data",
                                                                "execute_result") else {}
        images = {k: v for k, v in data.items() if k in ("image/png", "image/jpeg")}
        if images:
            keep.append(nbformat.v4.new_output("display_data", data=copy.deepcopy(images)))
    return keep


def _safe_outputs(outputs, hidden: set[str], labels: dict[int, int] | None = None):
    labels = labels or {}
    keep = []
    for out in outputs:
        out = copy.deepcopy(out)
        if out.get("output_type") == "stream":
            out["text"] = _redact(out.get("text", ""), hidden, 20000)
        elif out.get("output_type") == "error":
            out["traceback"] = [_redact(t, hidden, 4000)
                                for t in clean_traceback(out.get("traceback", []), labels)]
            out["evalue"] = _redact(out.get("evalue", ""), hidden, 2000)
        elif "data" in out:
            out["data"] = {k: (_redact(v, hidden, 20000) if k.startswith("text/") and
                               isinstance(v, str) else v) for k, v in out["data"].items()}
        keep.append(out)
    return keep


# ------------------------------------------------------------------ gradebook scores

def stored_score(grade) -> float | None:
    """The score of an nbgrader ``Grade``, or None while nobody graded it: nbgrader's own
    ``Grade.score`` reads 0.0 when both the manual and the auto score are missing, which
    would turn a written part waiting for the instructor into a zero."""
    if grade.manual_score is not None:
        return float(grade.manual_score)
    if grade.auto_score is not None:
        return float(grade.auto_score)
    return None


def ungraded_parts(db_url: str, assignment: str) -> list[tuple[str, str, str]]:
    """``(student, notebook, grade_id)`` of every graded part of ``assignment`` with neither
    a manual nor an auto score (written parts waiting for hand grading)."""
    from nbgrader.api import Gradebook, MissingEntry

    found = []
    with Gradebook(db_url) as gb:
        try:
            subs = gb.assignment_submissions(assignment)
        except MissingEntry:
            return []
        for sub in sorted(subs, key=lambda s: s.student.id):
            for nb in sorted(sub.notebooks, key=lambda n: n.name):
                for grade in nb.grades:
                    if grade.max_score and stored_score(grade) is None:
                        found.append((sub.student.id, nb.name, grade.name))
    return sorted(found)


# ------------------------------------------------------------------------------ page

_FEEDBACK_CSS = """body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;
padding:0 1em;line-height:1.45;color:#222} pre{background:#f6f8fa;padding:.6em;
overflow-x:auto;border-radius:4px;margin:.2em 0 .6em} pre.out{background:#fff;
border-left:3px solid #ccc} pre.err{background:#fff0f0;border-left:3px solid #c33;white-space:pre-wrap}
.note{background:#fffbe6;border-left:3px solid #e0b000;padding:.3em .8em;margin:.4em 0 1.2em}
.cellno{font:12px ui-monospace,monospace;color:#777;margin-top:.8em}
table{border-collapse:collapse} td,th{border:1px solid #ccc;padding:2px 8px}
img{max-width:100%;height:auto} div.math{overflow-x:auto;margin:.6em 0}
math{font-family:'STIX Two Math','Latin Modern Math','Cambria Math',math}
math[display=block]{display:block;margin:.3em 0} mtd[columnalign=right]{text-align:right}
mtd[columnalign=left]{text-align:left} code.tex{color:#444}"""


def _output_html(out) -> str | None:
    esc = html.escape
    kind = out.get("output_type")
    if kind == "stream":
        cls = "err" if out.get("name") == "stderr" else "out"
        return f'<pre class="{cls}">{esc(_ansi_free(out.get("text", "")))}</pre>'
    if kind == "error":
        tb = "\n".join(_ansi_free(t) for t in out.get("traceback", [])) or \
            f"{out.get('ename')}: {out.get('evalue')}"
        return f'<pre class="err">{esc(tb)}</pre>'
    data = out.get("data") or {}
    img = next((k for k in ("image/png", "image/jpeg") if k in data), None)
    if img:
        b64 = "".join(data[img]) if isinstance(data[img], list) else data[img]
        return f'<img alt="figure" src="data:{img};base64,{esc(b64.strip())}">'
    if "text/plain" in data:
        txt = data["text/plain"]
        txt = "".join(txt) if isinstance(txt, list) else txt
        return f'<pre class="out">{esc(txt)}</pre>'
    return None


def render_html(nb: NotebookNode) -> str:
    """A self-contained HTML page of a feedback notebook. Deliberately small and safe: code
    and text outputs are escaped, equations become MathML checked against an allow-list,
    only PNG/JPEG images are embedded, HTML/JS/SVG outputs are shown as their text form (a
    page built from student output must not run scripts) and nothing is loaded from the
    network."""
    esc = html.escape
    parts = []
    for cell in nb.cells:
        meta = cell.get("metadata", {})
        if cell.cell_type == "markdown":
            cls = ' class="note"' if meta.get("steplab_note") else ""
            parts.append(f"<div{cls}>{markdown_html(cell.source)}</div>")
            continue
        if cell.cell_type != "code":
            continue
        if meta.get("steplab_cell"):
            parts.append(f'<div class="cellno">cell {int(meta["steplab_cell"])}</div>')
        parts.append(f"<pre><code>{esc(cell.source)}</code></pre>")
        parts += [h for h in map(_output_html, cell.get("outputs", [])) if h]
    title = esc(nb.metadata.get("steplab_title", "Feedback"))
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{title}</title><style>{_FEEDBACK_CSS}</style></head><body>\n"
            + "\n".join(parts) + "\n</body></html>\n")
