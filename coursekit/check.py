"""A student's self-check (``make check ASSIGNMENT=adam`` =
``python -m coursekit check adam [--notebook PATH]``).

It runs the student's working copy (``work/<a>/<a>.ipynb`` by default) in a fresh kernel and
writes the same feedback page the instructor's autograder gives (:mod:`coursekit.feedback`),
with the visible tests only: the exercise notebook of ``release/<a>/`` is the template, so
its test cells (a student cannot weaken them: they are put back from the release) and no
hidden test. The page goes next to the notebook, ``work/<a>/feedback.html``; the terminal
gets one line per part. No gradebook, no sandbox: it is the student's own machine and code.

Verdicts agree with nbgrader's Validate button in the lab (configured in nbgrader_config.py)
and with the autograder on the visible tests: a test passes when its cell raises nothing;
text on stderr (numpy or matplotlib warnings) costs nothing. Written parts are graded by hand
and are listed as such.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import collect
from .assemble import _nbg, assemble, course_config
from .feedback import feedback_notebook, render_html
from .grade import grade_notebook
from .kernel import CellRun, Limits

__all__ = ["CheckResult", "check_notebook", "run_notebook", "summary_lines", "main"]


@dataclass
class CheckResult:
    """What a check found: ``grades`` as :func:`coursekit.grade.grade_notebook` returns them
    (by grade_id, in notebook order), the page written, and general notes."""

    assignment: str
    notebook: Path
    page: Path
    grades: dict
    general: list = field(default_factory=list)

    @property
    def failed(self) -> list[str]:
        """grade_ids of visible tests that did not pass."""
        return [g for g, v in self.grades.items()
                if v["kind"] == "test" and (v["score"] or 0) < v["max"]]


def _timeout(course: Path) -> float:
    """Seconds per cell: the course's ``c.Execute.timeout`` (nbgrader_config.py), else 60."""
    try:
        value = course_config(course).Execute.timeout
        return float(value) if isinstance(value, (int, float)) else 60.0
    except Exception:
        return 60.0


def run_notebook(nb: nbformat.NotebookNode, cwd: Path, cell_timeout: float
                 ) -> tuple[list[CellRun], list[str]]:
    """Run every code cell of ``nb`` in place in a fresh python3 kernel started in ``cwd``.
    A cell that errors is recorded and the next one runs (like the autograder); a cell that
    runs past ``cell_timeout`` is interrupted and recorded as a TimeoutError; if the kernel
    dies, the remaining cells are not run. Returns per-cell runs and general notes."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    runs = [CellRun() for _ in nb.cells]
    replies: dict[int, dict] = {}
    general: list[str] = []

    def record(cell=None, cell_index=None, execute_reply=None, **_):
        replies[cell_index] = execute_reply

    timeout_error = {"ename": "TimeoutError", "evalue": "",
                     "traceback": [f"TimeoutError: the cell ran longer than {cell_timeout:g} s"]}
    client = NotebookClient(nb, timeout=cell_timeout, allow_errors=True, kernel_name="python3",
                            interrupt_on_timeout=True, error_on_timeout=timeout_error,
                            record_timing=False, resources={"metadata": {"path": str(cwd)}},
                            on_cell_executed=record)
    # the kernel's own log (e.g. jupyter_client's note about TCP) would only confuse a student
    # the kernel's environment without MPLBACKEND (the Makefile sets Agg for the tools), so
    # that figures come back as images, as in the lab and in the grader's kernel
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    with client.setup_kernel(stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=env):
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            runs[i].ran = True
            try:
                client.execute_cell(cell, i, store_history=True)
            except DeadKernelError:
                runs[i].status, runs[i].ename = "error", "DeadKernel"
                runs[i].events.append("The Python process running your notebook stopped while "
                                      "this cell ran (a crash, os._exit() or too much memory); "
                                      "the cells after it were not run.")
                general.append("The kernel died; the cells after that were not run.")
                break
            reply = (replies.get(i) or {}).get("content", {})
            runs[i].status = reply.get("status", "ok") if cell.source.strip() else "ok"
            if runs[i].status == "error":
                runs[i].ename, runs[i].evalue = reply.get("ename"), reply.get("evalue")
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream" and out.get("name") == "stderr":
                    runs[i].stderr = True
                if out.get("output_type") == "error":
                    if out.get("ename") == "TimeoutError" and runs[i].status != "error":
                        runs[i].events.append(f"Time limit: this cell was stopped after "
                                              f"{cell_timeout:g} s. Check that every loop "
                                              "ends.")
                    runs[i].status = "error"
                    runs[i].ename = runs[i].ename or out.get("ename")
                    runs[i].evalue = runs[i].evalue or out.get("evalue")
    for i, r in enumerate(runs):
        if not r.ran and nb.cells[i].cell_type == "code":
            r.events.append("Not run (the kernel stopped before this cell).")
    return runs, general


def _pick_template(release: Path, notebook: Path) -> Path:
    names = sorted(release.glob("*.ipynb"))
    by_stem = {p.stem: p for p in names}
    if notebook.stem in by_stem:
        return by_stem[notebook.stem]
    if len(names) == 1:
        return names[0]
    raise ValueError(f"{notebook.name} is none of this assignment's notebooks "
                     f"({', '.join(p.name for p in names)}); keep the file name it came with")


def check_notebook(assignment: str, notebook: str | Path | None = None, course: str | Path = ".",
                   out: str | Path | None = None, cell_timeout: float | None = None
                   ) -> CheckResult:
    """Run the student's ``notebook`` (default ``work/<assignment>/<assignment>.ipynb``)
    against the visible tests of ``release/<assignment>/`` and write the feedback page
    (default ``feedback.html`` next to the notebook). Raises ValueError, with what to do,
    when the assignment or the notebook cannot be found or read."""
    course = Path(course).resolve()
    release = course / "release" / assignment
    if not release.is_dir() or not list(release.glob("*.ipynb")):
        known = sorted(p.name for p in (course / "release").glob("*") if p.is_dir())
        raise ValueError(f"no exercise '{assignment}' in {course / 'release'}; "
                         f"available: {', '.join(known) or 'none'}")
    notebook = Path(notebook) if notebook else course / "work" / assignment / f"{assignment}.ipynb"
    if not notebook.is_absolute():
        notebook = (Path.cwd() / notebook).resolve()
    if not notebook.is_file():
        raise ValueError(f"no notebook at {notebook}: run `make exercises` to get your working "
                         "copy of the exercises, or give the path with NOTEBOOK=... "
                         "(--notebook PATH)")
    template = nbformat.read(_pick_template(release, notebook), as_version=4)
    try:
        student, general = collect.read_notebook(str(notebook))
    except collect.NotebookProblem as exc:
        raise ValueError(f"{notebook} cannot be checked: {exc}") from None
    nb, cell_notes, extra = assemble(template, student)
    general = list(general) + list(extra)
    timeout = cell_timeout if cell_timeout is not None else _timeout(course)
    runs, run_notes = run_notebook(nb, notebook.parent, timeout)
    general += run_notes
    grades = grade_notebook(nb, runs, Limits(cell_timeout=timeout))
    for i, cell in enumerate(nb.cells):  # the error behind each failed test, for the terminal
        g = grades.get(_nbg(cell).get("grade_id"))
        if g is not None and g["kind"] == "test" and runs[i].status == "error":
            g["error"] = f"{runs[i].ename}: {runs[i].evalue or ''}".strip()
    header = {"assignment": assignment, "notebook": notebook.stem, "student": None,
              "check": True}
    fb = feedback_notebook(nb, runs, grades, set(), header, cell_notes, general)
    page = Path(out) if out else notebook.parent / "feedback.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(render_html(fb), encoding="utf-8")
    return CheckResult(assignment, notebook, page, grades, general)


def _first_line(text: str | None, width: int = 70) -> str:
    line = next((ln.strip() for ln in (text or "").splitlines() if ln.strip()), "")
    return line if len(line) <= width else line[: width - 1] + "\u2026"


def summary_lines(res: CheckResult, nb: nbformat.NotebookNode | None = None) -> list[str]:
    """One line per part: ``test_gd_step   2 / 2  passed`` (failures name the error)."""
    width = max((len(g) for g in res.grades), default=10)
    lines = []
    for gid, g in res.grades.items():
        if g["kind"] == "answer":
            continue
        if g["kind"] == "manual":
            state = "no response yet" if g["score"] == 0 and g.get("comment") else \
                "answered; graded by hand later"
            lines.append(f"{gid:<{width}}    - / {g['max']:g}  written part: {state}")
            continue
        ok = (g["score"] or 0) >= g["max"]
        why = "" if ok else f": {_first_line(g.get('error'))}" if g.get("error") else ""
        lines.append(f"{gid:<{width}}  {g['score'] or 0:>3g} / {g['max']:g}  "
                     f"{'passed' if ok else 'FAILED' + why}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """``python -m coursekit check <assignment> [--notebook PATH] [--out PAGE]``. Exit status
    0 when every visible test passed, 1 when one failed, 2 when the check could not run."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m coursekit check",
                                description="Check your exercise notebook against the visible "
                                            "tests and write the feedback page.")
    p.add_argument("assignment")
    p.add_argument("--notebook", help="your notebook (default work/<a>/<a>.ipynb)")
    p.add_argument("--out", help="the page to write (default feedback.html next to it)")
    p.add_argument("--course", default=".", help="course directory (default: .)")
    p.add_argument("--cell-timeout", type=float, default=None,
                   help="seconds per cell (default: nbgrader_config.py's, else 60)")
    args = p.parse_args(argv)
    try:
        res = check_notebook(args.assignment, args.notebook, args.course, args.out,
                             args.cell_timeout)
    except ValueError as exc:
        print(f"check: {exc}", file=sys.stderr)
        return 2
    for line in summary_lines(res):
        print(line)
    for note in res.general:
        print(f"note: {note}")
    tests = [g for g in res.grades.values() if g["kind"] == "test"]
    passed = sum(1 for g in tests if (g["score"] or 0) >= g["max"])
    print(f"{passed} of {len(tests)} visible test(s) passed (the hidden tests of the real "
          "grading check more cases).")
    print(f"feedback page: {res.page}")
    return 1 if res.failed else 0
