"""A synthetic class for the class-autograde tests: a tiny nbgrader course (one assignment,
``tiny``, two autograded parts + one hand-graded answer) and one submission per fault of the
issue's "must survive" list.

The expected scores are written here from the assignment's definition (2 points per test
cell, 1 hand-graded point), not read from the grader.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from pathlib import Path

import nbformat

ASSIGNMENT = "tiny"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
SECRET = "HIDDEN_SECRET_MARKER"


def _meta(grade_id, *, grade=False, solution=False, locked=False, points=None):
    m = {"grade": grade, "solution": solution, "locked": locked, "task": False,
         "grade_id": grade_id, "schema_version": 3}
    if points is not None:
        m["points"] = points
    return {"nbgrader": m}


GD_SOLUTION = '''def gd_step(phi, g, alpha):
    """One gradient-descent step, UDL eq. 6.3."""
    ### BEGIN SOLUTION
    return phi - alpha * g
    ### END SOLUTION'''

SQ_SOLUTION = '''def sq_loss(r):
    """Sum of squared residuals, UDL eq. 6.5."""
    ### BEGIN SOLUTION
    return float(np.sum(np.asarray(r, dtype=float) ** 2))
    ### END SOLUTION'''

TEST_GD = f'''assert np.allclose(gd_step(np.array([1.0, 2.0]), np.array([1.0, 1.0]), 0.5),
                   [0.5, 1.5]), \\
    "gd_step: expected phi - alpha * g (UDL eq. 6.3); check the sign of the step"
### BEGIN HIDDEN TESTS
rng_{SECRET.lower()} = np.random.default_rng(7)
phi_h = rng_{SECRET.lower()}.normal(size=3)
assert np.allclose(gd_step(phi_h, 2 * phi_h, 0.25), 0.5 * phi_h), "{SECRET} gd_step"
### END HIDDEN TESTS'''

TEST_SQ = f'''assert abs(sq_loss([1.0, 2.0]) - 5.0) < 1e-12, "sq_loss([1, 2]) should be 1 + 4 = 5"
### BEGIN HIDDEN TESTS
assert sq_loss(np.zeros(4)) == 0.0 and abs(sq_loss([3.0, 4.0]) - 25.0) < 1e-12, "{SECRET}_2"
### END HIDDEN TESTS'''


def source_notebook() -> nbformat.NotebookNode:
    """The instructor notebook of the tiny assignment (4 autograded points + 1 by hand)."""
    v4 = nbformat.v4
    cells = [
        v4.new_markdown_cell("# Tiny assignment\n\nTotal: 5 points (4 autograded, 1 graded "
                             "by hand).", metadata=_meta("intro", locked=True)),
        v4.new_code_cell("import numpy as np\nimport steplab as sl",
                         metadata=_meta("imports", locked=True)),
        v4.new_code_cell(GD_SOLUTION, metadata=_meta("gd_step", solution=True)),
        v4.new_code_cell(TEST_GD, metadata=_meta("test_gd_step", grade=True, locked=True,
                                                 points=2)),
        v4.new_code_cell(SQ_SOLUTION, metadata=_meta("sq_loss", solution=True)),
        v4.new_code_cell(TEST_SQ, metadata=_meta("test_sq_loss", grade=True, locked=True,
                                                 points=2)),
        v4.new_markdown_cell("Why does a smaller alpha help?\n\n### BEGIN SOLUTION\nRubric: "
                             "mentions overshooting.\n### END SOLUTION",
                             metadata=_meta("explain", grade=True, solution=True, points=1)),
    ]
    return v4.new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC,
                                                  "language_info": {"name": "python"}})


def make_course(root: Path) -> Path:
    """Write the tiny course (source/ and release/) under ``root``; returns the course dir."""
    from coursekit.autograde import build_templates, student_view

    course = Path(root)
    (course / "source" / ASSIGNMENT).mkdir(parents=True, exist_ok=True)
    nbformat.write(source_notebook(), course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    (course / "nbgrader_config.py").write_text(
        'c = get_config()  # noqa: F821\nc.CourseDirectory.db_url = "sqlite:///gradebook.db"\n')
    template = build_templates(course, ASSIGNMENT)[ASSIGNMENT]
    release = student_view(template)
    (course / "release" / ASSIGNMENT).mkdir(parents=True, exist_ok=True)
    nbformat.write(release, course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    return course


def release_notebook(course: Path) -> nbformat.NotebookNode:
    """The student's copy."""
    return nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)


GOOD_GD = "def gd_step(phi, g, alpha):\n    return phi - alpha * g\n"
GOOD_SQ = "def sq_loss(r):\n    r = np.asarray(r, dtype=float)\n    return float(r @ r)\n"


def answered(course: Path, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The release notebook with the given answer cells replaced."""
    nb = release_notebook(course)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    return nb


def good(course, explain="Smaller steps do not overshoot the minimum."):
    return answered(course, {"gd_step": GOOD_GD, "sq_loss": GOOD_SQ, "explain": explain})


def _bytes(nb) -> bytes:
    return nbformat.writes(nb).encode()


def class_submissions(course: Path) -> dict[str, dict]:
    """Every case of the issue's list. Each value: ``files`` (name -> bytes) and ``expect``:
    the autograded points of (test_gd_step, test_sq_loss) and a substring of the feedback."""
    C = str(course.resolve())
    repo = str(Path(__file__).resolve().parents[2])
    cases: dict[str, dict] = {}

    def add(name, nb_or_bytes, gd, sq, feedback, fname=f"{ASSIGNMENT}.ipynb", problem=None):
        data = nb_or_bytes if isinstance(nb_or_bytes, bytes) else _bytes(nb_or_bytes)
        cases[name] = {"files": {fname: data}, "expect": (gd, sq), "feedback": feedback,
                       "problem": problem}

    add("good", good(course), 2, 2, "Autograded score: 4 / 4")
    add("partial", answered(course, {"gd_step": GOOD_GD}), 2, 0, "NotImplementedError")
    add("blank", release_notebook(course), 0, 0, "NotImplementedError")
    add("invalid_json", b'{"cells": [ {"cell_type": "code", ', 0, 0, "not valid notebook JSON",
        problem="not valid notebook JSON")
    add("empty_file", b"", 0, 0, "the file is empty", problem="empty")
    v99 = json.loads(_bytes(good(course)))
    v99["nbformat"] = 99
    add("nbformat_99", json.dumps(v99).encode(), 0, 0, "format version 99",
        problem="version 99")
    v3 = nbformat.convert(good(course), 3)
    add("nbformat_3", nbformat.writes(v3, version=3).encode(), 2, 2, "old format version 3")
    deleted = good(course)
    deleted.cells = [c for c in deleted.cells if c.metadata.get("nbgrader", {}).get(
        "grade_id") not in ("gd_step", "test_gd_step", "test_sq_loss", "imports")]
    add("deleted_cells", deleted, 0, 2, "was missing from your notebook")
    edited = answered(course, {"gd_step": "def gd_step(phi, g, alpha):\n    return phi\n",
                               "sq_loss": GOOD_SQ})
    for cell in edited.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_gd_step":
            cell.source = "pass  # nothing to see here"
            cell.metadata["nbgrader"]["points"] = 100
    add("edited_tests", edited, 0, 2, "You changed this locked cell")
    add("renamed_file", good(course), 2, 2, "was graded as tiny.ipynb",
        fname="tiny (1).ipynb")
    add("infinite_loop", answered(course, {
        "gd_step": "def gd_step(phi, g, alpha):\n    while True:\n        pass\n",
        "sq_loss": GOOD_SQ}), 0, 2, "Time limit", problem="Time limit")
    add("memory_bomb", answered(course, {
        "gd_step": GOOD_GD,
        "sq_loss": "def sq_loss(r):\n    hog = []\n    while True:\n"
                   "        hog.append(bytearray(50 * 2**20))\n"}), 2, 0, "Memory limit",
        problem="Memory limit")
    add("sys_exit", answered(course, {
        "gd_step": GOOD_GD + "import sys\nsys.exit(3)\n",
        "sq_loss": "def sq_loss(r):\n    import sys\n    sys.exit('bye')\n"}), 2, 0,
        "sys.exit()")
    add("os_exit", answered(course, {
        "gd_step": GOOD_GD,
        "sq_loss": "def sq_loss(r):\n    import os\n    os._exit(3)\n"}), 2, 0,
        "stopped while this cell ran", problem="Python process")
    add("fork_bomb", answered(course, {
        "gd_step": "def gd_step(phi, g, alpha):\n    import os\n    for _ in range(200):\n"
                   "        os.fork()\n    return phi - alpha * g\n",
        "sq_loss": GOOD_SQ}), 0, 2, "Process limit", problem="Process limit")
    add("output_flood", answered(course, {
        "gd_step": GOOD_GD + "for i in range(10**7):\n    print(i)\n",
        "sq_loss": GOOD_SQ}), 2, 2, "Output limit", problem="Output limit")
    add("huge_image", answered(course, {
        "gd_step": GOOD_GD + "from IPython.display import Image, display\n"
                   "display(Image(data=b'\\x89PNG\\r\\n\\x1a\\n' + bytes(30 * 2**20), "
                   "format='png'))\n",
        "sq_loss": GOOD_SQ}), 2, 2, "was left out")
    steal = ("import json, pathlib\n"
             f"for root in [{C!r}, {repo!r}, *map(str, pathlib.Path.cwd().parents)]:\n"
             "    for p in pathlib.Path(root).glob('source/*/*.ipynb'):\n"
             "        for c in json.load(open(p))['cells']:\n"
             "            if 'BEGIN SOLUTION' in ''.join(c['source']) and "
             "c['cell_type'] == 'code':\n"
             "                exec(''.join(c['source']))\n"
             "gd_step, sq_loss\n")
    add("reads_source", answered(course, {"gd_step": steal}), 0, 0, "NameError")
    leak = ("def gd_step(phi, g, alpha):\n"
            "    raise ValueError(str(get_ipython().user_ns['In'][-1]))\n")
    add("leaks_tests", answered(course, {"gd_step": leak, "sq_loss": GOOD_SQ}), 0, 2,
        "ValueError")
    writer = (f"for target in [{C + '/submitted/good/tiny/tiny.ipynb'!r}, "
              f"{C + '/gradebook.db'!r}, {C + '/pwned.txt'!r}, '/tmp/steplab-pwned.txt', "
              "'../pwned.txt']:\n"
              "    try:\n        open(target, 'w').write('pwned')\n"
              "    except OSError as exc:\n        print(type(exc).__name__, target)\n"
              + GOOD_GD)
    add("writes_outside", answered(course, {"gd_step": writer, "sq_loss": GOOD_SQ}), 2, 2,
        "Error")
    add("stderr_warnings", answered(course, {
        "gd_step": "import sys, warnings\n"
                   "def gd_step(phi, g, alpha):\n    warnings.warn('careful with alpha')\n"
                   "    print('debug', file=sys.stderr)\n    return phi - alpha * g\n",
        "sq_loss": GOOD_SQ}), 2, 2, "stderr")
    add("imports_reference", answered(course, {
        "gd_step": "def gd_step(phi, g, alpha):\n    opt = sl.GradientDescent(alpha=alpha)\n"
                   "    return opt.step(phi, opt.init(phi), lambda p: g)[0]\n",
        "sq_loss": GOOD_SQ}), 0, 2, "reference implementation", problem="reference")
    add("network", answered(course, {
        "gd_step": "import socket\ntry:\n"
                   "    socket.create_connection(('1.1.1.1', 80), timeout=3)\n"
                   "    print('CONNECTED')\nexcept OSError as exc:\n"
                   "    print('no network:', exc)\n" + GOOD_GD,
        "sq_loss": GOOD_SQ}), 2, 2, "no network:")
    return cases


def write_class(course: Path, cases: dict[str, dict]) -> None:
    """Put every case under ``submitted/<student>/tiny/`` (nbgrader's layout)."""
    for student, case in cases.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        for fname, data in case["files"].items():
            (folder / fname).write_bytes(data)
        (folder / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")


def tree_digest(folder: Path) -> dict[str, tuple]:
    """(size, mtime_ns, content) of every file below ``folder``, to show it is unchanged."""
    out = {}
    for p in sorted(Path(folder).rglob("*")):
        if p.is_file():
            st = p.stat()
            out[str(p.relative_to(folder))] = (st.st_size, st.st_mtime_ns, p.read_bytes())
    return out


def fast_limits():
    """Small limits so the test class finishes quickly."""
    from coursekit.autograde import Limits

    return Limits(cell_timeout=4.0, timeout=40.0, memory_mb=1024, nproc=48)


__all__ = ["make_course", "class_submissions", "write_class", "tree_digest", "fast_limits",
           "good", "answered", "release_notebook", "source_notebook", "ASSIGNMENT", "SECRET",
           "copy", "os", "sys"]
