"""Helpers for tests/test_nbgrader.py: a temporary course, simulated students, the gradebook.

The round trip of one assignment (NBGRADER.md, "The infra's test") happens in a temporary
copy of the course (nbgrader issue #1646; a fresh clone has no gradebook.db):

1. copy nbgrader_config.py and source/<a>/, run nbgrader's GenerateAssignment there (this
   creates the gradebook and records the assignment, its cells and points);
2. submit, as separate students, the committed solutions/<a> notebook, the untouched
   release/<a> notebook, and release/<a> filled with PARTIAL, ALTERNATIVE (and WRONG, when
   given) from tests/submissions/<a>.py;
3. one ``nbgrader autograde <a>`` and one ``nbgrader generate_feedback <a>`` for all of them;
4. read scores from the gradebook (nbgrader.api.Gradebook), test-cell outputs from
   autograded/, and the feedback HTML.

Separately, the release notebook is executed as students get it, once untouched and once with
the solution cells filled in, to see the *visible* tests alone and time them.
"""

from __future__ import annotations

import html
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from coursekit import _nb
from coursekit.release import assignments, course_config, venv_on_path

ROOT = Path(__file__).resolve().parents[1]
COURSE_ID = "udl-ch6"
SUBMISSIONS = ROOT / "tests" / "submissions"
#: error names a student can act on: a failed check with a message, or their own stub
ACTIONABLE = ("AssertionError", "NotImplementedError")


def all_assignments() -> list:
    """Every assignment folder in source/ (new assignments join the tests automatically)."""
    return assignments(ROOT)


def load_submissions(a: str):
    """The module tests/submissions/<a>.py (PARTIAL, ALTERNATIVE, optional HINTS, WRONG), or
    None when the author has not written it yet."""
    path = SUBMISSIONS / f"{a}.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location(f"submissions_{a}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _env() -> dict:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def nbgrader_cli(args, cwd, check=True) -> subprocess.CompletedProcess:
    """Run ``nbgrader <args>`` from the venv in ``cwd`` with the venv's bin/ on PATH."""
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=_env(),
                          capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed (exit {proc.returncode}):\n"
                           f"{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")
    return proc


def start_grading(a: str, cwd) -> subprocess.Popen:
    """Start ``nbgrader autograde <a>`` followed by ``nbgrader generate_feedback <a>`` in the
    background (one shell), so the caller can do other work meanwhile; see :func:`finish`."""
    py = f'"{sys.executable}" -m nbgrader'
    script = f"{py} autograde {a} --force && {py} generate_feedback {a} --force"
    return subprocess.Popen(["bash", "-c", script], cwd=cwd, env=_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(proc: subprocess.Popen, what: str) -> str:
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {proc.returncode}):\n{out[-3000:]}\n"
                           f"{err[-6000:]}")
    return err


def make_course(tmp: Path, a: str) -> Path:
    """A temporary course holding nbgrader_config.py and source/<a>/, with assignment ``a``
    generated (gradebook created, assignment recorded). Returns the course root."""
    from nbgrader.converters import GenerateAssignment

    from coursekit.release import _run_converter

    course = Path(tmp) / "course"
    (course / "source").mkdir(parents=True)
    shutil.copyfile(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(ROOT / "source" / a, course / "source" / a,
                    ignore=shutil.ignore_patterns(".*", "__pycache__"))
    with venv_on_path():
        _run_converter(GenerateAssignment, course_config(course), a)
    return course


def submit(course: Path, a: str, student: str, nb, extra_from: Path | None = None) -> None:
    """Place notebook ``nb`` as ``submitted/<student>/<a>/<a>.ipynb`` (plus the release's other
    files, as a student's folder would have them)."""
    dest = course / "submitted" / student / a
    if extra_from is not None and extra_from.is_dir():
        shutil.copytree(extra_from, dest, dirs_exist_ok=True)
    _nb.write(nb, dest / f"{a}.ipynb")


@dataclass
class StudentResult:
    """What the gradebook and the autograded notebook say about one simulated student."""

    code_score: float
    max_code_score: float
    score: float
    max_score: float
    cells: dict  # grade_id -> (auto_score, max_score, cell_type)
    outputs: dict  # test-cell grade_id -> list of error outputs (dicts) in autograded/
    feedback: str  # plain text of the feedback HTML


@dataclass
class RoundTrip:
    assignment: str
    students: dict = field(default_factory=dict)  # name -> StudentResult
    visible_solution: dict = field(default_factory=dict)  # grade_id -> (errors, seconds)
    visible_release: dict = field(default_factory=dict)  # grade_id -> errors
    other_errors: dict = field(default_factory=dict)  # "solution"/"release" -> {grade_id: errs}
    seconds: dict = field(default_factory=dict)  # phase -> wall time

    @property
    def visible_test_seconds(self) -> float:
        return sum(t for _, t in self.visible_solution.values())


def html_text(raw: str) -> str:
    """Feedback HTML as plain text (tags dropped, entities decoded) for substring checks."""
    raw = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", raw)
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


def _errors(cell) -> list:
    return [dict(o) for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def _stderr(cell) -> list:
    return [o.get("text", "") for o in cell.get("outputs", [])
            if o.get("output_type") == "stream" and o.get("name") == "stderr"]


def read_gradebook(course: Path, a: str, student: str) -> tuple:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        sub = gb.find_submission(a, student)
        cells = {}
        for nb in sub.notebooks:
            for g in nb.grades:
                cells[g.name] = (g.auto_score, g.max_score, g.cell_type)
        return (float(sub.code_score), float(sub.max_code_score), float(sub.score),
                float(sub.max_score), cells)


def execute(nb, cwd: Path, timeout: int = 60):
    """Execute ``nb`` in a fresh python3 kernel (errors recorded, not raised); returns the
    executed notebook with per-cell timing metadata."""
    from nbclient import NotebookClient

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            record_timing=True, resources={"metadata": {"path": str(cwd)}})
    with venv_on_path():
        client.execute(stderr=subprocess.DEVNULL)  # the kernel's own log lines, not cell output
    return nb


def cell_seconds(cell) -> float:
    ex = cell.get("metadata", {}).get("execution", {})
    try:
        t0 = datetime.fromisoformat(ex["iopub.execute_input"].replace("Z", "+00:00"))
        t1 = datetime.fromisoformat(ex["shell.execute_reply"].replace("Z", "+00:00"))
    except KeyError:
        return float("nan")
    return (t1 - t0).total_seconds()


def round_trip(a: str, tmp: Path) -> RoundTrip:
    """Run the whole round trip of assignment ``a`` in ``tmp`` (see the module docstring)."""
    rt = RoundTrip(a)
    t0 = time.perf_counter()
    course = make_course(tmp, a)
    rt.seconds["generate"] = time.perf_counter() - t0

    release_dir, solution_dir = ROOT / "release" / a, ROOT / "solutions" / a
    release = _nb.read(release_dir / f"{a}.ipynb")
    solution = _nb.read(solution_dir / f"{a}.ipynb")
    subs = load_submissions(a)
    students = {"solution": solution, "release": release}
    if subs is not None:
        students["partial"] = _nb.fill(release, getattr(subs, "PARTIAL", {}))
        students["alternative"] = _nb.fill(release, getattr(subs, "ALTERNATIVE", {}))
        if getattr(subs, "WRONG", None):
            students["wrong"] = _nb.fill(release, subs.WRONG)
    for name, nb in students.items():
        submit(course, a, name, nb, extra_from=release_dir)

    t0 = time.perf_counter()
    grading = start_grading(a, course)  # runs while the visible tests execute below
    try:
        visible_tests(rt, a, release, solution, release_dir, Path(tmp))
    finally:
        finish(grading, f"nbgrader autograde/generate_feedback {a}")
    rt.seconds["autograde+feedback+visible"] = time.perf_counter() - t0

    for name in students:
        code, max_code, score, max_score, cells = read_gradebook(course, a, name)
        graded = _nb.read(course / "autograded" / name / a / f"{a}.ipynb")
        outputs = {_nb.grade_id(c): _errors(c) for c in _nb.grade_code_cells(graded)}
        fb = course / "feedback" / name / a / f"{a}.html"
        text = html_text(fb.read_text(encoding="utf-8")) if fb.exists() else ""
        rt.students[name] = StudentResult(code, max_code, score, max_score, cells, outputs, text)
    return rt


def visible_tests(rt: RoundTrip, a: str, release, solution, release_dir: Path, tmp: Path):
    """The visible tests alone, as students run them: the release filled with the solution
    code (timed per test cell), and the untouched release."""
    sol_cells = _nb.cells_by_id(solution)
    filled = _nb.fill(release, {gid: sol_cells[gid].source for gid in _nb.solution_ids(release)})
    work = tmp / "student"
    shutil.copytree(release_dir, work, dirs_exist_ok=True)
    done = execute(filled, work)
    rt.visible_solution = {_nb.grade_id(c): (_errors(c) + [{"output_type": "stderr", "text": t}
                                                          for t in _stderr(c)], cell_seconds(c))
                           for c in _nb.grade_code_cells(done)}
    rt.other_errors["solution"] = _other_errors(done)
    done = execute(_nb.read(release_dir / f"{a}.ipynb"), work)
    rt.visible_release = {_nb.grade_id(c): _errors(c) for c in _nb.grade_code_cells(done)}
    rt.other_errors["release"] = _other_errors(done)


def _other_errors(nb) -> dict:
    """Errors raised by cells that are not test cells (set-up, solutions, "See it")."""
    tests = {id(c) for c in _nb.grade_code_cells(nb)}
    return {_nb.grade_id(c) or f"cell {k}": _errors(c) for k, c in enumerate(nb.cells)
            if c.cell_type == "code" and id(c) not in tests and _errors(c)}


def describe_error(err: dict) -> str:
    return f"{err.get('ename', err.get('output_type'))}: {err.get('evalue', err.get('text', ''))}"


def hidden_split(source: str) -> tuple:
    """``(visible, hidden)`` parts of a test cell's source (nbgrader's HIDDEN TESTS markers)."""
    m = re.search(r"^\s*### BEGIN HIDDEN TESTS\s*$(.*?)^\s*### END HIDDEN TESTS\s*$", source,
                  flags=re.M | re.S)
    if not m:
        return source, ""
    return source[:m.start()] + source[m.end():], m.group(1)


def code_lines(source: str) -> list:
    """Lines of ``source`` that are neither blank nor comments."""
    return [ln for ln in source.splitlines() if ln.strip() and not ln.strip().startswith("#")]
