"""Fair to every correct answer (issue 13, item 4): for every autograded part of every
assignment, several correct answers written differently earn the part's full points and
subtly wrong ones lose points on exactly the parts they broke.

The answers live in tests/variants/<assignment>.py, written from the task text and the book,
not from the tests. Each kind of student is one notebook (the release with its answer cells
filled), so an assignment is graded once, for the whole class, through the real command
``python -m coursekit autograde <assignment>`` in a temporary copy of the course; scores are
read from the gradebook. Expected scores come from the assignment's own points (full marks, or
less than full), never from the grader.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import variants

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ["gradient_descent", "sgd", "momentum", "nesterov", "adam", "line_search",
               "hessian_convexity", "optimizer_zoo", "problems"]


def make_class(course: Path, a: str) -> dict:
    """A temporary course with source/<a>, release/<a> and one submission per kind of student.
    Returns {student: set of test grade_ids expected to lose points}."""
    from coursekit import _nb

    for sub in ("source", "release"):
        shutil.copytree(ROOT / sub / a, course / sub / a,
                        ignore=shutil.ignore_patterns(".*", "__pycache__"))
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    release = _nb.read(course / "release" / a / f"{a}.ipynb")
    mod = variants.load(a)
    students = {k: (answers, set()) for k, answers in variants.correct_kinds(mod).items()}
    for name, (answers, broken) in variants.wrong_students(mod).items():
        students[name] = (answers, variants.expected_losses(mod, broken))
    expect = {}
    for name, (answers, lost) in students.items():
        folder = course / "submitted" / name / a
        folder.mkdir(parents=True)
        _nb.write(_nb.fill(release, answers), folder / f"{a}.ipynb")
        expect[name] = lost
    return expect


def grade(course: Path, a: str) -> subprocess.CompletedProcess:
    """The instructor's command, as documented in the README."""
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return subprocess.run([sys.executable, "-m", "coursekit", "autograde", a, "--workers", "2",
                           "--no-progress", "--no-report"], cwd=course, env=env,
                          capture_output=True, text=True, timeout=1500)


def scores(course: Path, a: str, students) -> dict:
    """{student: {test grade_id: (auto_score, max_score)}} from the gradebook."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in students:
            sub = gb.find_submission(a, student)
            out[student] = {g.name: (float(g.auto_score or 0.0), float(g.max_score))
                            for nb in sub.notebooks for g in nb.grades
                            if g.cell_type == "code"}
    return out


def why(course: Path, a: str, student: str, part: str) -> str:
    """The last line of the error the autograded test cell showed (for the failure message)."""
    from coursekit import _nb

    path = course / "autograded" / student / a / f"{a}.ipynb"
    if not path.exists():
        return "no autograded notebook"
    cell = _nb.cells_by_id(_nb.read(path)).get(part)
    errors = [o for o in (cell or {}).get("outputs", []) if o.get("output_type") == "error"]
    if not errors:
        return "no error shown"
    lines = [ln.strip() for ln in str(errors[-1].get("evalue", "")).splitlines() if ln.strip()]
    return f"{errors[-1].get('ename')}: " + " / ".join(lines[:4])


def mismatches(expect: dict, got: dict, course: Path, a: str) -> list:
    """Lines "student: part scored x/y, expected ..." for every score that is not as expected."""
    bad = []
    for student, lost in sorted(expect.items()):
        for part, (score, top) in sorted(got[student].items()):
            if part in lost and score >= top:
                bad.append(f"{student}: {part} scored {score:g}/{top:g}, expected less (wrong)")
            elif part not in lost and score < top:
                bad.append(f"{student}: {part} scored {score:g}/{top:g}, expected full -- "
                           + why(course, a, student, part)[:300])
    return bad


def record(a: str, expect: dict, got: dict, seconds: float) -> None:
    """With VARIANTS_RESULTS=<dir>, keep the scores as JSON (for the closing table of issue 13)."""
    out = os.environ.get("VARIANTS_RESULTS")
    if out:
        import json

        Path(out).mkdir(parents=True, exist_ok=True)
        data = {s: {"correct": not s.startswith("wrong"), "lost_expected": sorted(expect[s]),
                    "scores": got[s]} for s in expect}
        data["_seconds"] = seconds
        (Path(out) / f"{a}.json").write_text(json.dumps(data, indent=1))


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_correct_answer_full_every_wrong_one_less(tmp_path, assignment):
    course = tmp_path / "course"
    expect = make_class(course, assignment)
    t0 = time.monotonic()
    done = grade(course, assignment)
    seconds = time.monotonic() - t0
    assert done.returncode == 0, done.stderr[-3000:]
    got = scores(course, assignment, expect)
    parts = {p for s in got.values() for p in s}
    mod = variants.load(assignment)
    assert parts == set(mod.PARTS.values()), "tests/variants must cover every autograded part"
    record(assignment, expect, got, seconds)
    bad = mismatches(expect, got, course, assignment)
    assert not bad, f"{len(bad)} unfair or blind grade(s):\n" + "\n".join(bad)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_variants_cover_every_part(assignment):
    """At least 3 correct and 2 wrong answers per autograded part, every answer a different
    source text, keyed by the release notebook's answer cells."""
    from coursekit import _nb

    release = _nb.read(ROOT / "release" / assignment / f"{assignment}.ipynb")
    mod = variants.load(assignment)
    tests = [_nb.grade_id(c) for c in _nb.grade_code_cells(release)]
    assert sorted(mod.PARTS.values()) == sorted(tests)
    assert set(mod.PARTS) <= set(_nb.solution_ids(release))
    stubs = _nb.cells_by_id(release)
    for gid in mod.PARTS:
        correct, wrong = variants.written(mod, gid)
        names = set(variants.function_names(stubs[gid].source))
        for src in correct + wrong:  # every answer compiles and defines the task's functions
            assert names <= set(variants.function_names(src)), (gid, src)
        assert len(correct) >= 3 and len(wrong) >= 2, gid
        assert len(set(correct + wrong)) == len(correct) + len(wrong), gid


def table(results_dir) -> str:
    """Per assignment and part: correct answers scoring full / all correct answers, and wrong
    answers scoring less / all wrong answers, from the JSON that VARIANTS_RESULTS keeps.
    ``python tests/test_variants.py <dir>`` prints it (for the issue's closing note)."""
    import json

    lines = ["| assignment | part | correct: full | wrong: less |", "|---|---|---|---|"]
    for path in sorted(Path(results_dir).glob("*.json")):
        data = json.loads(path.read_text())
        data.pop("_seconds", None)
        parts = sorted({p for s in data.values() for p in s["scores"]})
        for part in parts:
            ok = n_ok = caught = n_wrong = 0
            for student, s in data.items():
                score, top = s["scores"][part]
                if part in s["lost_expected"]:
                    n_wrong += 1
                    caught += score < top
                elif s.get("correct", not student.startswith("wrong")):
                    n_ok += 1
                    ok += score >= top
            lines.append(f"| {path.stem} | {part} | {ok}/{n_ok} | {caught}/{n_wrong} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(sys.argv[1]))
