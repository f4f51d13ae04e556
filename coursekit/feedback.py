"""The feedback a student sees: the feedback notebook (hidden tests removed, test outputs
reduced to the error the student caused, hidden lines redacted) and its self-contained HTML
page (part of the class autograde, :mod:`coursekit.autograde`)."""

from __future__ import annotations

import copy
import html

import nbformat
from nbformat import NotebookNode

from .assemble import HIDDEN_BEGIN, _nbg, strip_hidden
from .kernel import CellRun, Limits, _ansi_free, _limit_note

# ----------------------------------------------------------------------- feedback

def _redact(text: str, hidden: set[str], cap: int = 2000) -> str:
    text = _ansi_free(text)
    for h in hidden:
        if h in text:
            text = text.replace(h, "[hidden test]")
    if len(text) > cap:
        text = text[:cap] + f"\n[... {len(text) - cap} more characters not shown ...]"
    return text


def _summarise_error(cell_src: str, run: CellRun, outputs, hidden: set[str]) -> str:
    """The error a student caused in a test cell, without the test's own code: exception
    type and message, plus the traceback frames that are not in the test cell."""
    lines = []
    test_lines = {ln.strip() for ln in cell_src.split("\n") if len(ln.strip()) >= 4}
    for out in outputs:
        if out.get("output_type") != "error":
            continue
        for frame in out.get("traceback", [])[:-1]:
            plain = _ansi_free(frame)
            if any(t in plain for t in test_lines) or "Traceback (most recent" in plain \
                    or set(plain.strip()) <= {"-"}:
                continue
            lines.append(_redact(plain, hidden, 800))
    ename = run.ename or "Error"
    evalue = (run.evalue or "").strip()
    if ename in ("TimeoutError", "DeadKernel") and not evalue:
        return "\n".join(lines[-6:])  # the note under the cell says what happened
    if ename == "AssertionError" and not evalue:
        evalue = "a test failed (it has no message; check the task description)."
    lines.append(f"{ename}: {_redact(evalue, hidden, 1500)}")
    return "\n".join(lines[-6:])


def feedback_notebook(nb: NotebookNode, runs: list[CellRun], grades: dict, template_hidden:
                      set[str], header: dict, cell_notes: dict, general: list[str]
                      ) -> NotebookNode:
    """The feedback a student sees: their notebook with hidden tests removed, a score and
    notes after each graded cell, test outputs reduced to the error they caused; outputs
    produced after the first hidden test reached the kernel are left out."""
    fb = nbformat.v4.new_notebook(metadata=copy.deepcopy(nb.metadata))
    fb.metadata["steplab_title"] = f"Feedback: {header['assignment']} / {header['student']}"
    auto = sum(g["score"] or 0 for g in grades.values() if g["kind"] == "test")
    auto_max = sum(g["max"] for g in grades.values() if g["kind"] == "test")
    manual = [g for g in grades.values() if g["kind"] == "manual"]
    rows = "\n".join(
        f"| `{gid}` | {_fmt_score(g['score'])} | {g['max']:g} |"
        for gid, g in grades.items() if g["kind"] != "answer")
    head = [f"# Feedback: {header['assignment']} / {header['notebook']}",
            f"Student: **{header['student']}**", "",
            f"Autograded score: **{auto:g} / {auto_max:g}**"
            + (f" ({len(manual)} part(s) graded by hand)" if manual else ""), "",
            "| part | score | max |", "|---|---|---|", rows]
    if general:
        head += ["", "**Notes**", ""] + [f"- {g}" for g in general]
    fb.cells.append(nbformat.v4.new_markdown_cell("\n".join(head)))
    hidden_started = False
    for i, cell in enumerate(nb.cells):
        meta = _nbg(cell)
        gid = meta.get("grade_id")
        src = cell.source
        is_test = bool(meta.get("grade")) and not meta.get("solution") and \
            cell.cell_type == "code"
        if HIDDEN_BEGIN in src:
            src = strip_hidden(src)
        if cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(src)
        elif cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(src)
            run = runs[i]
            if is_test:
                if run.status == "error":
                    text = _summarise_error(src, run, cell.get("outputs", []),
                                            template_hidden)
                    if text.strip():
                        new.outputs = [nbformat.v4.new_output("stream", name="stderr",
                                                              text=text)]
            elif not hidden_started:
                new.outputs = _safe_outputs(cell.get("outputs", []), template_hidden)
            if HIDDEN_BEGIN in cell.source and run.ran:
                hidden_started = True
        else:
            continue
        fb.cells.append(new)
        notes = []
        if cell.cell_type == "code":
            notes += [e for e in runs[i].events]
            lim = _limit_note(runs[i], LIMITS_FOR_NOTES.get("limits", Limits()))
            if lim and not any(n.split(":")[0] == lim.split(":")[0] for n in notes):
                notes.append(lim)
            if runs[i].stderr:
                notes.append("Your code wrote warnings or other text to stderr here; that "
                              "costs no points.")
        notes += cell_notes.get(gid, []) if gid else []
        if gid in grades and grades[gid]["kind"] != "answer":
            g = grades[gid]
            notes.insert(0, f"**Part `{gid}`: {_fmt_score(g['score'])} / {g['max']:g} "
                            "points.**")
        elif gid in grades and grades[gid].get("comment"):
            notes.append(grades[gid]["comment"])
        if notes:
            fb.cells.append(nbformat.v4.new_markdown_cell("\n\n".join(notes),
                                                          metadata={"steplab_note": True}))
    return fb


LIMITS_FOR_NOTES: dict = {}


def _fmt_score(score) -> str:
    return "pending (graded by hand)" if score is None else f"{score:g}"


def _safe_outputs(outputs, hidden: set[str]):
    keep = []
    for out in outputs:
        out = copy.deepcopy(out)
        if out.get("output_type") == "stream":
            out["text"] = _redact(out.get("text", ""), hidden, 20000)
        elif out.get("output_type") == "error":
            out["traceback"] = [_redact(t, hidden, 4000) for t in out.get("traceback", [])]
            out["evalue"] = _redact(out.get("evalue", ""), hidden, 2000)
        elif "data" in out:
            out["data"] = {k: (_redact(v, hidden, 20000) if k.startswith("text/") and
                               isinstance(v, str) else v) for k, v in out["data"].items()}
        keep.append(out)
    return keep


_FEEDBACK_CSS = """body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;
line-height:1.45;color:#222} pre{background:#f6f8fa;padding:.6em;overflow-x:auto;
border-radius:4px} pre.out{background:#fff;border-left:3px solid #ccc} pre.err{background:#fff0f0;
border-left:3px solid #c33} .note{background:#fffbe6;border-left:3px solid #e0b000;
padding:.3em .8em;margin:.4em 0 1.2em} table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:2px 8px} img{max-width:100%}"""


def render_html(nb: NotebookNode) -> str:
    """A self-contained HTML page of a feedback notebook. Deliberately small and safe: code
    and text outputs are escaped, only PNG/JPEG images are embedded, HTML/JS/SVG outputs
    are shown as their text form (a page built from student output must not run scripts)."""
    import mistune

    md = mistune.create_markdown(escape=True, plugins=["table"])
    esc = html.escape
    parts = []
    for cell in nb.cells:
        meta = cell.get("metadata", {})
        if cell.cell_type == "markdown":
            cls = ' class="note"' if meta.get("steplab_note") else ""
            parts.append(f"<div{cls}>{md(cell.source)}</div>")
            continue
        if cell.cell_type != "code":
            continue
        parts.append(f"<pre><code>{esc(cell.source)}</code></pre>")
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "stream":
                cls = "err" if out.get("name") == "stderr" else "out"
                parts.append(f'<pre class="{cls}">{esc(_ansi_free(out.get("text", "")))}</pre>')
            elif kind == "error":
                tb = "\n".join(_ansi_free(t) for t in out.get("traceback", [])) or \
                    f"{out.get('ename')}: {out.get('evalue')}"
                parts.append(f'<pre class="err">{esc(tb)}</pre>')
            elif "data" in out:
                data = out["data"]
                img = next((k for k in ("image/png", "image/jpeg") if k in data), None)
                if img:
                    b64 = "".join(data[img]) if isinstance(data[img], list) else data[img]
                    parts.append(f'<img alt="output" src="data:{img};base64,'
                                 f'{esc(b64.strip())}">')
                elif "text/plain" in data:
                    txt = data["text/plain"]
                    txt = "".join(txt) if isinstance(txt, list) else txt
                    parts.append(f'<pre class="out">{esc(txt)}</pre>')
    title = esc(nb.metadata.get("steplab_title", "Feedback"))
    return (f"<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"<style>{_FEEDBACK_CSS}</style></head><body>\n" + "\n".join(parts) +
            "\n</body></html>\n")
