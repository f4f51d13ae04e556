"""A student's check (`make check`, coursekit.check) and nbgrader's Validate button agree: a
test cell that passes but writes a numpy RuntimeWarning to stderr passes in both, a failing
assertion fails in both, on a small notebook and on a real exercise.

Validate is run through nbgrader's own Python API with the configuration its lab handler
loads (ValidateAssignmentHandler.load_config: nbgrader_config.py of the server's working
directory, the course root). Expected verdicts come from how the notebooks are built here."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
pytestmark = pytest.mark.slow


def _meta(grade_id, **kw):
    m = {"grade": False, "locked": False, "schema_version": 3, "solution": False, "task": False,
         "grade_id": grade_id}
    m.update(kw)
    return {"nbgrader": m}


def warning_notebook() -> nbformat.NotebookNode:
    """Two test cells: one passes while numpy warns on stderr (log of 0 is -inf with a
    RuntimeWarning), one fails its assertion."""
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNELSPEC})
    nb.cells = [
        nbformat.v4.new_code_cell("import numpy as np", metadata=_meta("imports", locked=True)),
        nbformat.v4.new_code_cell("def f(x):\n    return np.log(x)",
                                  metadata=_meta("f", solution=True)),
        nbformat.v4.new_code_cell("assert f(0.0) == -np.inf  # numpy warns: divide by zero",
                                  metadata=_meta("test_warns", grade=True, points=1,
                                                 locked=True)),
        nbformat.v4.new_code_cell("assert f(1.0) == 5.0, 'log(1) is 0, not 5'",
                                  metadata=_meta("test_fails", grade=True, points=1,
                                                 locked=True)),
    ]
    return nb


@contextlib.contextmanager
def _cwd(path: Path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def validate(path: Path, config=None) -> set[str]:
    """First lines of the cells nbgrader's Validator reports as failed, with the config the
    lab's Validate button loads when the server runs in the course root (or ``config``)."""
    from nbgrader.server_extensions.validate_assignment.handlers import ValidateAssignmentHandler
    from nbgrader.validator import Validator

    if config is None:
        with _cwd(ROOT):
            config = ValidateAssignmentHandler.load_config(None)
    result = Validator(config=config).validate(str(path))
    assert set(result) <= {"failed"}, result  # no changed cells, no type changes
    return {c["source"].splitlines()[0] for c in result.get("failed", [])}


def _course_with(tmp: Path, name: str, template: nbformat.NotebookNode) -> Path:
    course = tmp / "course"
    (course / "release" / name).mkdir(parents=True)
    shutil.copyfile(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    nbformat.write(template, course / "release" / name / f"{name}.ipynb")
    return course


def test_validate_passes_a_warning_and_fails_an_assertion(tmp_path):
    path = tmp_path / "warns.ipynb"
    nbformat.write(warning_notebook(), path)
    assert validate(path) == {"assert f(1.0) == 5.0, 'log(1) is 0, not 5'"}


def test_without_the_course_config_validate_fails_the_warning(tmp_path):
    # the reason the course configures Validate: nbgrader's default fails any stderr output
    from traitlets.config import Config

    path = tmp_path / "warns.ipynb"
    nbformat.write(warning_notebook(), path)
    failed = validate(path, Config())
    assert "assert f(0.0) == -np.inf  # numpy warns: divide by zero" in failed


def test_check_gives_the_same_verdict_and_a_page(tmp_path):
    from coursekit import check

    nb = warning_notebook()
    course = _course_with(tmp_path, "warns", nb)
    work = course / "work" / "warns"
    work.mkdir(parents=True)
    nbformat.write(nb, work / "warns.ipynb")
    res = check.check_notebook("warns", course=course)
    assert res.failed == ["test_fails"]
    assert res.grades["test_warns"]["score"] == 1.0
    assert res.page == work / "feedback.html" and res.page.is_file()
    page = res.page.read_text()
    assert "log(1) is 0, not 5" in page and "visible tests" in page.lower()
    lines = check.summary_lines(res)
    assert any(ln.startswith("test_warns") and "passed" in ln for ln in lines), lines
    assert any(ln.startswith("test_fails") and "FAILED" in ln and "log(1) is 0" in ln
               for ln in lines), lines


def test_check_cli_exit_status_and_output(tmp_path, capsys):
    from coursekit import check

    nb = warning_notebook()
    course = _course_with(tmp_path, "warns", nb)
    mine = tmp_path / "elsewhere" / "warns.ipynb"
    mine.parent.mkdir()
    nbformat.write(nb, mine)
    rc = check.main(["warns", "--notebook", str(mine), "--course", str(course)])
    out = capsys.readouterr().out
    assert rc == 1 and "1 of 2 visible test(s) passed" in out
    assert f"feedback page: {mine.parent / 'feedback.html'}" in out
    nb.cells[3].source = "assert f(1.0) == 0.0"  # the release's test cell is put back: still fails
    nbformat.write(nb, mine)
    assert check.main(["warns", "--notebook", str(mine), "--course", str(course)]) == 1


def test_check_explains_a_missing_notebook_or_assignment(tmp_path, capsys):
    from coursekit import check

    course = _course_with(tmp_path, "warns", warning_notebook())
    assert check.main(["warns", "--course", str(course)]) == 2
    err = capsys.readouterr().err
    assert "make exercises" in err and "NOTEBOOK=" in err
    assert check.main(["nope", "--course", str(course)]) == 2
    assert "available: warns" in capsys.readouterr().err


def _filled(assignment: str, parts: dict) -> nbformat.NotebookNode:
    """The release notebook with some answer cells taken from the generated solutions."""
    nb = nbformat.read(ROOT / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    sol = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    sols = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in sol.cells}
    for c in nb.cells:
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if gid in parts:
            c.source = sols[gid] if parts[gid] is None else parts[gid]
    return nb


def test_make_check_and_validate_agree_on_a_real_exercise(tmp_path):
    # Parts A and D answered from the solutions, Part B answered with a warning before a wrong
    # value (log(0) warns, -inf fails), the written part answered (graded by hand: neither
    # tool judges it), the rest untouched: A and D pass, the others fail.
    a = "gradient_descent"
    warn_wrong = ("def linear_loss(phi, x, y):\n    import warnings\n"
                  "    warnings.warn('a warning on stderr')\n    return float(np.log(0.0))")
    nb = _filled(a, {"linear_model": None, "gd_step": None, "linear_loss": warn_wrong,
                     "written_learning_rate": "It overshoots: $|1 - 2a\\alpha| > 1$."})
    mine = tmp_path / "work" / a / f"{a}.ipynb"
    mine.parent.mkdir(parents=True)
    nbformat.write(nb, mine)
    proc = subprocess.run(["make", "-s", "check", f"ASSIGNMENT={a}", f"NOTEBOOK={mine}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    # check exits 1 when a visible test fails; make reports that as its own status 2
    assert proc.returncode == 2 and "check] Error 1" in proc.stderr, proc.stdout + proc.stderr
    status = {ln.split()[0]: ("passed" in ln) for ln in proc.stdout.splitlines()
              if ln.startswith("test_")}
    assert status == {"test_linear_model": True, "test_linear_loss": False,
                      "test_linear_grad": False, "test_gd_step": True,
                      "test_gradient_descent": False, "test_gabor_grad": False}, proc.stdout
    assert f"feedback page: {mine.parent / 'feedback.html'}" in proc.stdout
    page = (mine.parent / "feedback.html").read_text()
    assert "<title>Gradient descent (UDL 6.1) — check of your notebook</title>" in page
    see_it = page.index("sl.as_optimizer(lambda phi")  # gd_step works: the See-it figure
    assert '<img alt="figure" src="data:image/png;base64,' in page[see_it:]
    failed_in_validate = validate(mine)
    failed_in_check = {k for k, ok in status.items() if not ok}
    # Validate names cells by their source; map each test cell's first line to its grade_id
    first_line = {c.metadata["nbgrader"]["grade_id"]: c.source.splitlines()[0] for c in nb.cells
                  if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}
    assert failed_in_validate == {first_line[g] for g in failed_in_check}


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
