"""Class autograde (issue 7/7): a synthetic class with one submission per "must survive" case,
graded in parallel in the sandbox. Expected scores come from the tiny assignment's definition
in tests/class_fixtures (2 points per test cell), never from the grader."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import class_fixtures as cf
import nbformat
import pytest

from coursekit import autograde as ag
from coursekit import collect, sandbox

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _text(html_path: Path) -> str:
    t = html_path.read_text()
    t = re.sub(r"<style.*?</style>|<script.*?</script>", "", t, flags=re.S)
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", t))


def _rows(csv_path: Path) -> dict:
    with open(csv_path) as fh:
        return {r["student"]: r for r in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The whole class, graded once with 2 workers."""
    course = cf.make_course(tmp_path_factory.mktemp("course"))
    cases = cf.class_submissions(course)
    cf.write_class(course, cases)
    before = cf.tree_digest(course / "submitted")
    host_tmp_before = set(os.listdir("/tmp"))
    res = ag.autograde_class(course, cf.ASSIGNMENT, workers=2, limits=cf.fast_limits(),
                             progress=False, log=lambda *a: None)
    return {"course": course, "cases": cases, "res": res, "before": before,
            "host_tmp_before": host_tmp_before}


CASES = [
    "good", "partial", "blank", "invalid_json", "empty_file", "nbformat_99", "nbformat_3",
    "deleted_cells", "edited_tests", "renamed_file", "infinite_loop", "memory_bomb",
    "sys_exit", "os_exit", "fork_bomb", "output_flood", "huge_image", "reads_source",
    "leaks_tests", "writes_outside", "stderr_warnings", "imports_reference", "network"]


def test_every_case_is_in_the_class(graded):
    assert set(CASES) == set(graded["cases"])
    assert {r["student"] for r in graded["res"].results} == set(CASES)


@pytest.mark.parametrize("student", CASES)
def test_case_scored_with_feedback(graded, student):
    case = graded["cases"][student]
    course = graded["course"]
    rows = _rows(graded["res"].csv_path)
    gd, sq = case["expect"]
    got = (float(rows[student]["tiny:test_gd_step"]), float(rows[student]["tiny:test_sq_loss"]))
    if student == "output_flood":  # the printing cell may hit the time limit first
        assert got[1] == 2.0 and got[0] in (0.0, 2.0)
    else:
        assert got == (gd, sq)
    fb = _text(course / "feedback" / student / "tiny" / "tiny.html")
    assert case["feedback"] in fb, fb[:3000]
    assert cf.SECRET not in fb and cf.SECRET.lower() not in fb
    assert "BEGIN HIDDEN TESTS" not in fb
    result = next(r for r in graded["res"].results if r["student"] == student)
    assert result["status"] == "graded"
    if case["problem"]:
        assert any(case["problem"] in p for p in result["problems"]), result["problems"]
        assert student in graded["res"].summary_path.read_text()
    assert (course / "autograded" / student / "tiny" / "tiny.ipynb").is_file()


def test_submitted_untouched_and_nothing_written_outside(graded):
    course = graded["course"]
    assert cf.tree_digest(course / "submitted") == graded["before"]
    assert not (course / "pwned.txt").exists()
    assert not Path("/tmp/steplab-pwned.txt").exists()
    assert not list(course.parent.glob("pwned.txt"))


def test_gradebook_consistent(graded):
    from nbgrader.api import Gradebook

    course = graded["course"]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        subs = gb.assignment_submissions("tiny")
        assert sorted(s.student.id for s in subs) == sorted(CASES)
        for s in subs:
            (nb,) = s.notebooks
            assert sorted(g.name for g in nb.grades) == ["explain", "test_gd_step",
                                                        "test_sq_loss"]
            assert nb.max_score == 5.0


def test_gradebook_holds_every_score_and_comment_as_nbgrader_finds_them(graded):
    """The merge looks a notebook's grades up in one query; nbgrader's own per-cell lookups
    (find_grade, find_comment) must find exactly what each result said."""
    from nbgrader.api import Gradebook

    course = graded["course"]
    checked = 0
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for res in graded["res"].results:
            for nbname, nbres in res["notebooks"].items():
                for gid, g in nbres["grades"].items():
                    if g["kind"] in ("answer", "manual"):
                        c = gb.find_comment(gid, nbname, "tiny", res["student"])
                        assert c.auto_comment == g["comment"], (res["student"], gid)
                    if g["kind"] == "answer" and not g["max"]:
                        continue
                    grade = gb.find_grade(gid, nbname, "tiny", res["student"])
                    assert grade.auto_score == g["score"], (res["student"], gid)
                    assert grade.needs_manual_grade == (g["score"] is None), \
                        (res["student"], gid)
                    checked += 1
    assert checked == 3 * len(CASES)  # test_gd_step, test_sq_loss, explain: every student
    assert any(r["notebooks"] and r["notebooks"]["tiny"]["grades"]["explain"]["comment"]
               == "No response." for r in graded["res"].results)


def test_hand_graded_answers_listed(graded):
    rows = _rows(graded["res"].csv_path)
    assert rows["good"]["needs_manual_grade"] == "1" and rows["good"]["tiny:explain"] == ""
    assert rows["blank"]["needs_manual_grade"] == "0"  # unanswered: 0 automatically
    page = graded["res"].report_path.read_text()
    assert "Needs manual grading" in page and "good" in page
    for png in ("questions.png", "students.png"):
        data = (graded["res"].report_path.parent / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"


def test_review_flags(graded):
    flagged = {r["student"] for r in graded["res"].results if r["flags"]}
    assert {"leaks_tests", "reads_source"} <= flagged
    assert "good" not in flagged and "partial" not in flagged


def test_second_run_is_idempotent_and_keeps_manual_grades(graded):
    from nbgrader.api import Gradebook

    course = graded["course"]
    db = f"sqlite:///{course / 'gradebook.db'}"
    with Gradebook(db) as gb:
        g = gb.find_grade("explain", "tiny", "tiny", "good")
        g.manual_score = 1.0
        gb.db.commit()
    first = _rows(graded["res"].csv_path)
    again = ag.autograde_class(course, "tiny", workers=2, limits=cf.fast_limits(),
                               students=["good", "partial", "invalid_json", "edited_tests"],
                               progress=False, report=False, log=lambda *a: None)
    second = _rows(again.csv_path)
    assert set(second) == set(first)
    for student, row in first.items():
        for col in ("tiny:test_gd_step", "tiny:test_sq_loss", "autograded"):
            assert second[student][col] == row[col], (student, col)
    assert second["good"]["tiny:explain"] == "1.0" and second["good"]["total"] == "5.0"
    with Gradebook(db) as gb:
        assert len(gb.assignment_submissions("tiny")) == len(CASES)
    # after manual grading: feedback rebuilt from the gradebook, hidden tests still hidden
    (course / "feedback" / "good" / "tiny" / "tiny.html").unlink()
    pages = ag.regenerate_feedback(course, "tiny")
    assert len(pages) == len(CASES)
    fb = _text(course / "feedback" / "good" / "tiny" / "tiny.html")
    assert "Part explain: 1 / 1 points." in fb and "Autograded score: 4 / 4" in fb
    assert cf.SECRET not in _text(course / "feedback" / "leaks_tests" / "tiny" / "tiny.html")


def test_isolation_level_reported(graded):
    assert graded["res"].isolation == sandbox.detect_isolation()
    if os.geteuid() != 0:
        assert graded["res"].isolation == "rlimits"
    assert f"sandbox: {graded['res'].isolation}" in graded["res"].summary_path.read_text()


# ------------------------------------------------------------------ fast unit tests

def test_assemble_restores_locked_cells_and_keeps_extras(tmp_path):
    course = cf.make_course(tmp_path)
    template = ag.build_templates(course, "tiny")["tiny"]
    nb = cf.good(course)
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") == "test_sq_loss":
            c.source = "assert True"
    nb.cells.insert(3, nbformat.v4.new_code_cell("helper = 1"))
    built, notes, _ = ag.assemble(template, nb)
    srcs = [c.source for c in built.cells]
    assert any("BEGIN HIDDEN TESTS" in s and "sq_loss([1.0, 2.0])" in s for s in srcs)
    assert "helper = 1" in srcs and "changed this locked cell" in notes["test_sq_loss"][0]
    assert srcs.index("helper = 1") == 3


def test_scan_answer_finds_reference_use():
    names = ag.engine_names()
    assert "Adam" in names and "minimize" in names and "LinearRegression" not in names
    uses, _ = ag.scan_answer("def f(p, g, a):\n    return sl.Adam(alpha=a)\n", names)
    assert uses == ["sl.Adam"]
    uses, _ = ag.scan_answer("from steplab.optimizers import Adam as A\nA()", names)
    assert uses
    uses, flags = ag.scan_answer("def f(x):\n    return sl.LinearRegression(x, x)\n", names)
    assert uses == [] and flags == []
    _, flags = ag.scan_answer("get_ipython().set_custom_exc((Exception,), print)", names)
    assert flags


def test_strip_hidden():
    src = "a = 1\n### BEGIN HIDDEN TESTS\nsecret()\n### END HIDDEN TESTS\nb = 2"
    assert ag.strip_hidden(src, None) == "a = 1\nb = 2"
    assert "secret" not in ag.strip_hidden(src)


def test_read_notebook_rejects_broken_files(tmp_path):
    for data, msg in [(b"", "empty"), (b"{nope", "not valid notebook JSON"),
                      (b'{"nbformat": 2, "worksheets": []}', "version 2"),
                      (b"[1, 2]", "not a notebook")]:
        p = tmp_path / "x.ipynb"
        p.write_bytes(data)
        with pytest.raises(collect.NotebookProblem, match=msg):
            collect.read_notebook(str(p))


def test_unknown_assignment_is_a_value_error(tmp_path):
    course = cf.make_course(tmp_path)
    with pytest.raises(ValueError, match="Available: tiny"):
        ag.autograde_class(course, "nope", progress=False, log=lambda *a: None)


# ------------------------------------------------------------------------- the CLI

def _cli(*args, cwd):
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "coursekit", *args], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=600)


def test_cli_zip_from_lms_and_exit_codes(tmp_path):
    course = cf.make_course(tmp_path / "course")
    cases = cf.class_submissions(course)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("alice01_12345_tiny.ipynb", cases["good"]["files"]["tiny.ipynb"])
        zf.writestr("bob02_12346_tiny.ipynb", cases["invalid_json"]["files"]["tiny.ipynb"])
        zf.writestr("README.txt", "not a submission")
    zpath = tmp_path / "lms.zip"
    zpath.write_bytes(buf.getvalue())
    done = _cli("autograde", "tiny", "--workers", "2", "--zip", str(zpath), "--id-pattern",
                r"^(?P<student>[a-z]+\d+)_\d+_", "--course", str(course), "--cell-timeout",
                "10", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = _rows(course / "reports" / "tiny" / "grades.csv")
    assert rows["alice01"]["autograded"] == "4.0" and rows["bob02"]["autograded"] == "0.0"
    assert "bob02" in done.stdout and "not valid notebook JSON" in done.stdout
    assert "autograde" in done.stderr  # the tqdm bar
    bad = _cli("autograde", "nope", "--course", str(course), cwd=tmp_path)
    assert bad.returncode == 2 and "Available: tiny" in bad.stderr
    bad = _cli("autograde", "tiny", "--course", str(tmp_path / "missing"), cwd=tmp_path)
    assert bad.returncode == 2


def test_fallback_sandbox_without_namespaces(tmp_path, monkeypatch):
    """The rlimits-only sandbox (not root / no unshare): memory limit and the Python-level
    network block still hold."""
    monkeypatch.setenv("STEPLAB_SANDBOX", "rlimits")
    course = cf.make_course(tmp_path)
    cases = cf.class_submissions(course)
    cases["one_fork"] = {"files": {"tiny.ipynb": cf._bytes(cf.answered(course, {
        "gd_step": "import os\ntry:\n    if os.fork() == 0:\n        os._exit(0)\n"
                   "except OSError as exc:\n    print('refused:', exc)\n" + cf.GOOD_GD,
        "sq_loss": cf.GOOD_SQ}))}, "expect": (2, 2)}
    chosen = ["good", "memory_bomb", "network", "one_fork"]
    cf.write_class(course, {k: cases[k] for k in chosen})
    res = ag.autograde_class(course, "tiny", workers=2, limits=cf.fast_limits(),
                             progress=False, report=False, log=lambda *a: None)
    assert res.isolation == "rlimits"
    rows = _rows(res.csv_path)
    for student in chosen:
        gd, sq = cases[student]["expect"]
        assert (float(rows[student]["tiny:test_gd_step"]),
                float(rows[student]["tiny:test_sq_loss"])) == (gd, sq)
    fb = _text(course / "feedback" / "network" / "tiny" / "tiny.html")
    assert "network access is disabled" in fb
    fb = _text(course / "feedback" / "one_fork" / "tiny" / "tiny.html")
    assert "refused:" in fb and "starting processes is disabled" in fb


# ------------------------------------------------- the course's real assignments

@pytest.mark.parametrize("assignment", ["gradient_descent", "sgd"])
def test_real_assignment_graded_with_hints_and_no_hidden_tests(tmp_path, assignment):
    """ALTERNATIVE earns the autograded maximum, PARTIAL strictly less, the release 0; the
    WRONG answers' hints (tests/submissions/<a>.py, NBGRADER.md) reach the feedback and no
    line of a hidden test does."""
    import shutil

    fixture = ROOT / "tests" / "submissions" / f"{assignment}.py"
    if not (ROOT / "source" / assignment).is_dir() or not fixture.is_file():
        pytest.skip(f"{assignment} is not in the course yet")
    ns: dict = {}
    exec(fixture.read_text(), ns)
    course = tmp_path / "course"
    for sub in ("source", "release"):
        shutil.copytree(ROOT / sub / assignment, course / sub / assignment)
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    release = course / "release" / assignment / f"{assignment}.ipynb"
    kinds = {"alt": ns["ALTERNATIVE"], "part": ns["PARTIAL"], "blank": {},
             "wrong": ns.get("WRONG", {})}
    if assignment == "gradient_descent":
        kinds["cheat"] = GD_CHEATS
    for student, answers in kinds.items():
        nb = nbformat.read(release, as_version=4)
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in answers:
                cell.source = answers[gid].strip("\n")
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{assignment}.ipynb")
    res = ag.autograde_class(course, assignment, workers=2, progress=False, report=False,
                             log=lambda *a: None)
    rows = _rows(res.csv_path)
    top = float(rows["alt"]["autograded_max"])
    assert float(rows["alt"]["autograded"]) == top > 0
    assert 0 < float(rows["part"]["autograded"]) < top
    assert float(rows["blank"]["autograded"]) == 0
    hidden = ag.hidden_lines(ag.build_templates(course, assignment)[assignment])
    hidden = {h for h in hidden if "HIDDEN TESTS" not in h and len(h) > 12}
    for student in kinds:
        fb = _text(course / "feedback" / student / assignment / f"{assignment}.html")
        own = (course / "submitted" / student / assignment / f"{assignment}.ipynb").read_text()
        own = json.loads(own)
        own = "\n".join("".join(c["source"]) for c in own["cells"])
        assert not [h for h in hidden if h in fb and h not in own], student
    wrong = _text(course / "feedback" / "wrong" / assignment / f"{assignment}.html")
    # by default the ungraded "See it" cells are left out, and the page says so
    assert "demonstration cells after the last test were not run" in wrong
    for hint in ns.get("HINTS", []):
        assert hint in wrong
    if "cheat" in rows:  # every part cheated on scores 0: the grader judges outside the kernel
        cheated = {k: v for k, v in rows["cheat"].items() if k.startswith(f"{assignment}:test_")}
        assert cheated and all(float(v) == 0 for v in cheated.values()), cheated


# One cheat per part of gradient_descent, each a technique that fooled in-kernel tests: replaced
# comparisons and helpers, objects whose == is always true, an IPython hook that clears the
# error status, walking frames for the expected value. None of them computes the answer.
GD_CHEATS = {
    "linear_model": """
import builtins
import steplab.checks
np.isclose = lambda *a, **k: True
np.allclose = lambda *a, **k: True
builtins.abs = lambda x: 0
steplab.checks.assert_close = lambda *a, **k: None
def linear_model(phi, x):
    return np.zeros(3)
""",
    "linear_loss": """
class Always(float):
    def __eq__(self, other):
        return True
    __hash__ = float.__hash__
def linear_loss(phi, x, y):
    return Always(0.0)
""",
    "linear_grad": """
import sys
_ip = sys.modules["IPython"].core.getipython.get_ipython()
def _clear(result):
    result.error_in_exec = None
_ip.events.register("post_run_cell", _clear)
def linear_grad(phi, x, y):
    raise RuntimeError("no")
""",
    "gd_step": """
class Same(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)
def gd_step(phi, grad, alpha):
    return np.zeros(3).view(Same)
""",
    "gradient_descent": """
import sys
def gradient_descent(grad_fn, phi0, alpha, steps, step=None):
    frame = sys._getframe()
    while frame is not None:
        for name in ("_want", "expected", "ref"):
            if name in frame.f_locals:
                return frame.f_locals[name]
        frame = frame.f_back
    return [[0.0]]
""",
    "gabor_grad": """
def gabor_grad(phi, x, y):
    return "close enough"
""",
}
