"""nbgrader course checks, parametrized over every assignment folder in source/.

Fast checks: release/ and solutions/ are in sync with source/ (`make release`), notebook
conventions of NBGRADER.md (metadata, points, locked cells, imports, visible + hidden tests),
and the round-trip fixtures in tests/submissions/<a>.py are well formed.

Slow (`@pytest.mark.slow`, still part of `make test`): the round trip of each assignment in a
temporary course (see tests/nbgrader_support.py): the solution earns every autograded point,
the untouched release 0, PARTIAL strictly between, ALTERNATIVE everything; feedback is
generated and carries the HINTS; every visible test passes on the solution and fails on the
release with an AssertionError/NotImplementedError; the other cells (set-up, "See it") run
without error in both. Visible-test times and scores are printed (run with
`-s`) and written to artifacts/nbgrader-timings.json; they are not asserted.
Also a proof that stderr warnings do not zero a test cell (nbgrader_config.py).
"""

from __future__ import annotations

import ast
import json
import re
import sys
from functools import lru_cache
from pathlib import Path

import nbformat
import pytest
from nbgrader_support import (
    ACTIONABLE,
    ROOT,
    all_assignments,
    code_lines,
    describe_error,
    hidden_split,
    load_submissions,
    make_course,
    nbgrader_cli,
    read_gradebook,
    round_trip,
    submit,
)

from coursekit import _nb
from coursekit.release import check, course_config

ASSIGNMENTS = all_assignments()
ALLOWED_IMPORTS = {"numpy", "steplab", "matplotlib", "ipywidgets", "ipympl"} | set(
    sys.stdlib_module_names)
needs_assignments = pytest.mark.skipif(not ASSIGNMENTS, reason="no assignment in source/ yet")
params = pytest.mark.parametrize("a", ASSIGNMENTS or ["<none>"])


def source_nb(a):
    return _nb.read(ROOT / "source" / a / f"{a}.ipynb")


def meta(cell):
    return cell.metadata.get("nbgrader", {})


# --------------------------------------------------------------------------------- sync ----

@lru_cache(maxsize=None)
def sync_problems():
    """One regeneration of every assignment into a temp dir (shared by the sync tests)."""
    return tuple(check(ROOT))


@needs_assignments
@params
def test_release_and_solutions_in_sync(a):
    mine = [p for p in sync_problems()
            if p.startswith((f"release/{a}/", f"solutions/{a}/"))]
    assert not mine, ("release/ or solutions/ is out of date; run `make release` and commit:\n"
                      + "\n\n".join(mine))


def test_release_is_byte_for_byte_reproducible(tmp_path):
    """Generating twice from the same source gives identical bytes (no volatile metadata)."""
    from coursekit.release import generate

    course = tmp_path / "c"
    (course / "source" / "demo").mkdir(parents=True)
    (course / "nbgrader_config.py").write_bytes((ROOT / "nbgrader_config.py").read_bytes())
    nb = _demo_notebook()
    for cell in nb.cells:  # no ids, as an older nbformat would write: must not become random
        cell.pop("id", None)
    nb.nbformat_minor = 4
    (course / "source" / "demo" / "demo.ipynb").write_text(nbformat.writes(nb))
    out1, out2 = tmp_path / "o1", tmp_path / "o2"
    generate(course, dest=out1)
    generate(course, dest=out2)
    for kind in ("release", "solutions"):
        b1 = (out1 / kind / "demo" / "demo.ipynb").read_bytes()
        assert b1 == (out2 / kind / "demo" / "demo.ipynb").read_bytes()
        assert b"execution_count\": null" in b1 and b"language_info" not in b1
    release = (out1 / "release" / "demo" / "demo.ipynb").read_text()
    assert "raise NotImplementedError()" in release and "HIDDEN" not in release
    assert "Rubric" in (out1 / "solutions" / "demo" / "demo.ipynb").read_text()
    assert "Rubric" not in release

    # the command line: generate in place, --check is clean (exit 0), an edit is caught (exit 1)
    from coursekit.release import main

    assert main(["--root", str(course)]) == 0
    assert main(["--check", "--root", str(course)]) == 0
    src = course / "source" / "demo" / "demo.ipynb"
    src.write_text(src.read_text().replace("double(2) == 4", "double(2) == 4.0"))
    assert main(["--check", "--root", str(course)]) == 1


# ------------------------------------------------------------------------ conventions ----

@needs_assignments
@params
def test_notebook_conventions(a):
    """NBGRADER.md "Notebook rules" on the instructor notebook."""
    nb = source_nb(a)
    assert nb.metadata.get("kernelspec") == _nb.KERNELSPEC, "kernelspec metadata (CONVENTIONS)"
    ids = [meta(c).get("grade_id") for c in nb.cells]
    for k, (cell, gid) in enumerate(zip(nb.cells, ids, strict=True)):
        where = f"source/{a}: cell {k} ({gid or 'no grade_id'})"
        m = meta(cell)
        assert m, f"{where} has no nbgrader metadata"
        assert gid, f"{where}: every cell needs a grade_id"
        assert m.get("schema_version") == 3 and m.get("task") is False, where
        if cell.cell_type == "code":
            assert not cell.get("outputs"), f"{where}: commit notebooks without outputs"
        if m.get("grade") and not m.get("solution"):  # autograded test cell
            assert cell.cell_type == "code" and m.get("locked") is True, where
            assert m.get("points", 0) > 0, f"{where}: a test cell needs points > 0"
            visible, hidden = hidden_split(cell.source)
            assert code_lines(visible), f"{where}: no visible test before the hidden ones"
            assert code_lines(hidden), f"{where}: no ### BEGIN HIDDEN TESTS block"
        elif m.get("grade") and m.get("solution"):  # written answer, graded by hand
            assert cell.cell_type == "markdown", f"{where}: manual answers are markdown"
            assert m.get("points", 0) > 0, where
            assert "### BEGIN SOLUTION" in cell.source, (
                f"{where}: put the rubric in a ### BEGIN SOLUTION block")
        elif m.get("solution"):  # student code
            assert cell.cell_type == "code" and m.get("locked") is False, where
            assert "### BEGIN SOLUTION" in cell.source, where
        else:  # instructions and set-up: read-only
            assert m.get("locked") is True, f"{where}: instructions must be locked"
    dupes = {g for g in ids if ids.count(g) > 1}
    assert not dupes, f"source/{a}: duplicate grade_ids {dupes}"

    total = sum(meta(c).get("points", 0) for c in nb.cells if meta(c).get("grade"))
    intro = next(c for c in nb.cells if c.cell_type == "markdown").source
    stated = [float(x) for x in re.findall(r"(?i)total\W{0,3}(\d+(?:\.\d+)?)\s*points?", intro)]
    assert stated, f"source/{a}: the first markdown cell must state 'Total: {total:g} points'"
    assert stated[0] == total, f"source/{a}: states {stated[0]:g} points, cells sum to {total:g}"


@needs_assignments
@params
def test_imports_are_allowed(a):
    """Only stdlib, numpy, matplotlib, ipywidgets, ipympl and steplab (NBGRADER.md)."""
    bad = []
    for cell in source_nb(a).cells:
        if cell.cell_type != "code":
            continue
        src = "\n".join(ln for ln in cell.source.splitlines()
                        if not ln.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(src)):
            names = ([al.name for al in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                     else [])
            bad += [n for n in names if n.split(".")[0] not in ALLOWED_IMPORTS]
    assert not bad, (f"source/{a} imports {bad}; allowed: stdlib, numpy, matplotlib, "
                     "ipywidgets, ipympl, steplab")
    first_code = next(c for c in source_nb(a).cells if c.cell_type == "code")
    assert meta(first_code).get("locked") and "import steplab as sl" in first_code.source, (
        f"source/{a}: the first code cell must be the locked imports cell")


@needs_assignments
@params
def test_submission_fixtures_are_well_formed(a):
    """tests/submissions/<a>.py as NBGRADER.md "Round-trip fixtures" describes it."""
    subs = load_submissions(a)
    assert subs is not None, f"write tests/submissions/{a}.py (PARTIAL, ALTERNATIVE, HINTS)"
    nb = source_nb(a)
    code_ids = _nb.solution_ids(nb, "code")
    cells = _nb.cells_by_id(nb)
    partial, alternative = subs.PARTIAL, subs.ALTERNATIVE
    assert set(partial) <= set(code_ids) and partial, f"PARTIAL keys must be among {code_ids}"
    assert set(partial) != set(code_ids), "PARTIAL must leave some parts unanswered"
    assert set(alternative) == set(code_ids), (
        f"ALTERNATIVE must answer every autograded solution cell: missing "
        f"{sorted(set(code_ids) - set(alternative))}, "
        f"unknown {sorted(set(alternative) - set(code_ids))}")

    def squash(s):
        s = s.replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", "")
        return re.sub(r"\s+|#.*", "", s)
    same = [g for g in alternative if squash(alternative[g]) == squash(cells[g].source)]
    assert not same, f"ALTERNATIVE must be written differently from the solution in {same}"
    for g, src in {**partial, **alternative, **(getattr(subs, "WRONG", None) or {})}.items():
        compile(src, f"{a}:{g}", "exec")
    assert isinstance(getattr(subs, "HINTS", []), (list, tuple))


# ------------------------------------------------------------------------- round trip ----

_TRIPS: dict = {}
_TIMINGS = ROOT / "artifacts" / "nbgrader-timings.json"


def get_trip(a, tmp_path_factory) -> "round_trip":
    if a not in _TRIPS:
        _TRIPS[a] = round_trip(a, tmp_path_factory.mktemp(f"course-{a}"))
        rt = _TRIPS[a]
        scores = {n: f"{r.code_score:g}/{r.max_code_score:g}" for n, r in rt.students.items()}
        line = (f"[nbgrader] {a}: autograded scores {scores}; visible tests on the solution "
                f"{rt.visible_test_seconds:.2f} s "
                f"({', '.join(f'{g} {t:.2f}' for g, (_, t) in rt.visible_solution.items())}); "
                f"phases " + ", ".join(f"{k} {v:.1f} s" for k, v in rt.seconds.items()))
        print("\n" + line)
        _TIMINGS.parent.mkdir(exist_ok=True)
        data = json.loads(_TIMINGS.read_text()) if _TIMINGS.exists() else {}
        data[a] = {"scores": scores, "visible_test_seconds": round(rt.visible_test_seconds, 3),
                   "per_cell": {g: round(t, 3) for g, (_, t) in rt.visible_solution.items()},
                   "phases": {k: round(v, 2) for k, v in rt.seconds.items()}}
        _TIMINGS.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return _TRIPS[a]


@pytest.mark.slow
@needs_assignments
@params
def test_autograde_scores(a, tmp_path_factory):
    rt = get_trip(a, tmp_path_factory)
    sol, rel = rt.students["solution"], rt.students["release"]
    assert sol.max_code_score > 0, f"{a} has no autograded points"
    assert sol.code_score == sol.max_code_score, (
        f"the solution earns {sol.code_score:g}/{sol.max_code_score:g}; failing cells: "
        + _failing(sol))
    assert rel.code_score == 0, f"the untouched release earns {rel.code_score:g}: {rel.cells}"
    assert load_submissions(a) is not None, f"write tests/submissions/{a}.py"
    part, alt = rt.students["partial"], rt.students["alternative"]
    assert 0 < part.code_score < part.max_code_score, (
        f"PARTIAL earns {part.code_score:g}/{part.max_code_score:g}; it must be strictly between")
    assert alt.code_score == alt.max_code_score, (
        f"ALTERNATIVE earns {alt.code_score:g}/{alt.max_code_score:g}; failing: " + _failing(alt))
    if "wrong" in rt.students:
        assert rt.students["wrong"].code_score < sol.max_code_score


def _failing(result) -> str:
    return "; ".join(f"{g}: " + " | ".join(describe_error(e) for e in errs)[:300]
                     for g, errs in result.outputs.items() if errs) or "(no error output)"


@pytest.mark.slow
@needs_assignments
@params
def test_feedback_has_hints(a, tmp_path_factory):
    rt = get_trip(a, tmp_path_factory)
    for name, res in rt.students.items():
        assert res.feedback, f"no feedback generated for student {name!r}"
    subs = load_submissions(a)
    hints = list(getattr(subs, "HINTS", []) or [])
    target = "wrong" if "wrong" in rt.students else "release"
    missing = [h for h in hints if h not in rt.students[target].feedback]
    assert not missing, f"feedback of the {target} submission lacks the hints {missing}"


@pytest.mark.slow
@needs_assignments
@params
def test_visible_tests_pass_on_solution_and_guide_on_release(a, tmp_path_factory):
    rt = get_trip(a, tmp_path_factory)
    assert rt.visible_solution, f"{a}: no test cells"
    for gid, (errs, _) in rt.visible_solution.items():
        assert not errs, (f"visible test {gid} fails (or writes to stderr) on the solution: "
                          + " | ".join(describe_error(e) for e in errs))
    for gid, errs in rt.visible_release.items():
        assert errs, f"visible test {gid} passes on the untouched release notebook"
        err = errs[-1]
        assert err["ename"] in ACTIONABLE, (
            f"visible test {gid} on the release fails with {describe_error(err)}; it should "
            "fail with the student's NotImplementedError or an AssertionError with a message")
        if err["ename"] == "AssertionError":
            assert err["evalue"].strip(), f"visible test {gid}: AssertionError without a message"


@pytest.mark.slow
@needs_assignments
@params
def test_other_cells_run_cleanly(a, tmp_path_factory):
    """Set-up, solution and "See it" cells run without error headless, both in the release as
    students get it and with the solution filled in (NBGRADER.md, "See it" section)."""
    rt = get_trip(a, tmp_path_factory)
    for kind, cells in rt.other_errors.items():
        assert not cells, f"{kind} notebook: cells that are not tests raise " + "; ".join(
            f"{g}: " + " | ".join(describe_error(e) for e in errs) for g, errs in cells.items())


# ------------------------------------------------------------- stderr and timeouts ----

def _cell(kind, source, gid, grade=False, solution=False, points=None):
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = make(source)
    cell.id = gid
    cell.metadata["nbgrader"] = {"grade": grade, "solution": solution, "locked": not solution,
                                 "task": False, "grade_id": gid, "schema_version": 3}
    if points:
        cell.metadata["nbgrader"]["points"] = points
    return cell


def _demo_notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(_nb.KERNELSPEC)
    nb.cells = [
        _cell("markdown", "# Demo\nTotal: 6 points (4 autograded, 2 graded by hand)", "intro"),
        _cell("code", "import warnings\nimport numpy as np", "imports"),
        _cell("code", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n"
                      "    ### END SOLUTION", "double", solution=True),
        # a passing test that makes numpy, the warnings module and matplotlib write to stderr
        _cell("code", "assert double(2) == 4, 'double(2) should be 4'\n"
                      "np.log(np.array([0.0]))\nnp.exp(np.array([1000.0]))\n"
                      "warnings.warn('a harmless UserWarning')\n"
                      "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
                      "plt.plot([1, 2]); plt.show()\n"
                      "### BEGIN HIDDEN TESTS\nassert double(3) == 6\n### END HIDDEN TESTS",
              "test_warn", grade=True, points=3),
        _cell("code", "assert double(1) == 3, 'a failing test still earns nothing'\n"
                      "### BEGIN HIDDEN TESTS\nassert True\n### END HIDDEN TESTS",
              "test_fail", grade=True, points=1),
        _cell("markdown", "Why?\n\n### BEGIN SOLUTION\nRubric: because.\n### END SOLUTION",
              "why", grade=True, solution=True, points=2),
    ]
    return nb


@pytest.mark.slow
def test_stderr_warning_keeps_points(tmp_path, monkeypatch):
    """nbgrader zeroes a test cell with any stderr output (utils.determine_grade); our
    IgnorePattern setting keeps the points of a passing cell whose code makes numpy
    (RuntimeWarning), warnings.warn (UserWarning) and matplotlib (plt.show on Agg) write to
    stderr, while a failing assert still earns 0. The control run with the setting switched
    off shows the same cell zeroed, so the setting is what makes the difference."""
    monkeypatch.setattr("nbgrader_support.ROOT", tmp_path / "root")
    src = tmp_path / "root" / "source" / "demo"
    src.mkdir(parents=True)
    (tmp_path / "root" / "nbgrader_config.py").write_bytes(
        (ROOT / "nbgrader_config.py").read_bytes())
    nb = _demo_notebook()
    _nb.write(nb, src / "demo.ipynb")
    course = make_course(tmp_path, "demo")
    submit(course, "demo", "s1", nb)

    nbgrader_cli(["autograde", "demo", "--force"], cwd=course)
    cells = read_gradebook(course, "demo", "s1")[4]
    assert cells["test_warn"][0] == 3, f"stderr warnings zeroed a passing test cell: {cells}"
    assert cells["test_fail"][0] == 0
    graded = _nb.read(course / "autograded" / "s1" / "demo" / "demo.ipynb")
    warn_cell = _nb.cells_by_id(graded)["test_warn"]
    assert not [o for o in warn_cell.outputs if o.get("name") == "stderr"]

    nbgrader_cli(["autograde", "demo", "--force", "--IgnorePattern.enabled=False"], cwd=course)
    graded = _nb.read(course / "autograded" / "s1" / "demo" / "demo.ipynb")
    stderr = "".join(o.get("text", "") for o in _nb.cells_by_id(graded)["test_warn"].outputs
                     if o.get("name") == "stderr")
    assert "RuntimeWarning" in stderr and "UserWarning" in stderr, stderr
    assert read_gradebook(course, "demo", "s1")[4]["test_warn"][0] == 0, (
        "control: without IgnorePattern nbgrader should zero the cell (is the test still "
        "producing stderr?)")


def test_config_timeout_and_filters():
    """The course config as nbgrader loads it (values justified in nbgrader_config.py)."""
    cfg = course_config(ROOT)
    assert cfg.Execute.timeout == 60 and cfg.Execute.interrupt_on_timeout is True
    assert cfg.IgnorePattern.enabled is True
    pattern = re.compile(cfg.IgnorePattern.pattern)
    for noise in ["/tmp/ipykernel_1/2.py:3: RuntimeWarning: overflow encountered in exp\n"
                  "  np.exp(1000)\n",
                  "/x/site-packages/matplotlib/x.py:9: UserWarning: FigureCanvasAgg is "
                  "non-interactive, and thus cannot be shown\n",
                  "Matplotlib is building the font cache; this may take a moment.\n"]:
        assert pattern.search(noise), noise
    for real in ["Traceback (most recent call last):\n", "my own message\n",
                 "AssertionError: Warning: gradient is off\n"]:
        assert not pattern.search(real), real
    assert cfg.CourseDirectory.solution_directory == "solutions"
    assert Path(cfg.CourseDirectory.root) == ROOT
