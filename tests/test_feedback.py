"""Pages an instructor hands out or reads: the class report (fits a 1366 px laptop screen, the
legend never covers a bar) and the students' feedback pages (rendered equations, no grading
machine paths, "No response" once, the "See it" figure, a clear title, ungraded written parts
marked instead of zeroed).

Layout is checked in headless Chromium (skipped without it outside CI) and in matplotlib's own
geometry; the expected facts come from the inputs the tests build, never from the code."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from coursekit import report

LAPTOP = (1366, 768)


def _class_rows(n_students=60, seed=3):
    """A made-up class: 17 parts with long grade ids (one written part, a third of it not
    graded yet), totals consistent with the parts."""
    rng = random.Random(seed)
    parts = ["problems:test_linear_model_gradient_descent_loop",
             "problems:test_momentum_weights_newest_first",
             "problems:written_learning_rate_explanation"] + \
        [f"problems:test_part_{k}_with_a_rather_long_grade_id" for k in range(14)]
    columns = ["student", *parts, "autograded", "autograded_max", "manual", "manual_max",
               "total", "max", "needs_manual_grade"]
    rows = []
    for i in range(n_students):
        r = {"student": f"student_{i:03d}_with_a_long_name"}
        for p in parts:
            r[p] = "" if ("written" in p and i % 3 == 0) else rng.choice([0, 1, 2])
        auto = sum(v for p, v in r.items() if ":" in p and "written" not in p)
        manual = r[parts[2]] or 0
        r.update(autograded=auto, autograded_max=32, manual=manual, manual_max=2,
                 total=auto + manual, max=34, needs_manual_grade=int(i % 3 == 0))
        rows.append(r)
    return rows, columns


def test_students_legend_sits_outside_the_bars():
    rows, _ = _class_rows()
    rows[-1].update(autograded=32, manual=2, total=34)  # one full-marks bar up to the top
    fig = report.students_figure(rows)
    fig.canvas.draw()
    (ax,) = fig.axes
    legend = fig.legends[0] if fig.legends else ax.get_legend()
    lbox = legend.get_window_extent()
    bars = [p.get_window_extent() for p in ax.patches]
    assert bars, "no bars drawn"
    covered = [b for b in bars if b.overlaps(lbox) and b.height > 0]
    assert not covered, f"the legend covers {len(covered)} bar(s)"
    assert lbox.y0 >= ax.get_window_extent().y1 - 1, "the legend is inside the axes"
    w, _ = fig.get_size_inches() * fig.dpi
    assert w <= LAPTOP[0] - 40, f"students.png is {w:.0f} px wide"


def test_part_labels_are_short_and_keep_the_distinguishing_part():
    assert report.part_label("adam:test_adam_step") == "adam_step"
    assert report.part_label("adam:written_bias") == "written_bias"
    assert report.part_label("autograded_max") == "auto max"
    long = report.part_label("problems:test_part_3_with_a_rather_long_grade_id")
    assert len(long) <= 18 and long.startswith("part_3")


def test_pending_written_parts_are_marked_in_the_table():
    rows, columns = _class_rows(n_students=3)
    html = report.grades_table(rows, columns)
    assert html.count('class="pending"') == 1  # student 0 only (i % 3 == 0)


@pytest.fixture(scope="module")
def chromium():
    from browser import need_browser

    return need_browser()


def _layout(chromium, page_path: Path, size=LAPTOP) -> dict:
    from browser import browser_page

    with browser_page(chromium, width=size[0], height=size[1]) as page:
        page.goto(page_path.resolve().as_uri())
        page.wait_for_load_state("load")
        return page.evaluate("""() => {
            const box = document.querySelector('.scroll');
            const imgs = [...document.images].map(i => [i.naturalWidth, i.getBoundingClientRect().width]);
            return {page: document.documentElement.scrollWidth, view: window.innerWidth,
                    box: box ? box.getBoundingClientRect().width : null,
                    table: box ? box.scrollWidth : null, imgs};
        }""")


@pytest.mark.browser
def test_report_fits_a_laptop_screen(chromium, tmp_path):
    rows, columns = _class_rows()
    page = report.make_report(tmp_path, "problems", rows, columns,
                              [{"student": "x", "problems": ["p"], "status": "graded",
                                "flags": []}])
    got = _layout(chromium, page)
    assert got["page"] <= got["view"] == LAPTOP[0], got  # no sideways scrolling of the page
    assert got["box"] <= LAPTOP[0], got
    assert all(0 < shown <= LAPTOP[0] for _, shown in got["imgs"]), got


# ------------------------------------------------------------------ feedback page pieces

def test_traceback_frames_name_the_cell_and_no_machine_path():
    from coursekit.feedback import clean_frame, scrub_paths

    labels = {12: 5}
    assert clean_frame("Cell In[12], line 3, in _line(phi, x)\n      2 def _line(phi, x):\n"
                       "----> 3     return x.oops\n", labels).startswith(
        "In cell 5, line 3, in _line(phi, x)\n      2 def _line")
    lib = ("File /opt/venv/lib/python3.11/site-packages/numpy/linalg/_linalg.py:647, in inv(a)"
           "\n--> 647     ainv = _umath_linalg.inv(a)\n")
    assert clean_frame(lib, labels, context=False) == \
        "In numpy/linalg/_linalg.py, line 647, in inv(a)"
    assert clean_frame("File /srv/course/steplab/checks.py:510, in assert_close(got)", labels) \
        == "In steplab/checks.py, line 510, in assert_close(got)"
    text = ("/tmp/ipykernel_2538/334241.py:1: UserWarning: careful\n"
            "cannot open /tmp/steplab-ag-x1/k-adam/data/points.csv; see https://example.org/a/b "
            "and dL/dphi0")
    got = scrub_paths(text)
    assert got == ("a notebook cell:1: UserWarning: careful\ncannot open points.csv; see "
                   "https://example.org/a/b and dL/dphi0")


def test_equations_become_mathml_and_nothing_else_gets_through():
    from coursekit.mathml import markdown_html, tex_to_html

    frac = tex_to_html(r"\frac{\partial L}{\partial \phi}")
    assert frac.startswith("<math") and "<mfrac>" in frac
    assert "<mtable>" in tex_to_html(r"\begin{bmatrix} 1 \\ 2 \end{bmatrix}", display=True)
    for evil in (r"\text{<script>alert(1)</script>}", r"\href{javascript:alert(1)}{x}"):
        out = tex_to_html(evil)
        assert out.startswith('<code class="tex">') and "<script" not in out, out
    page = markdown_html("Raw <b>html</b> and $\\alpha$ over a\nline: $a +\nb$.")
    assert "&lt;b&gt;" in page and page.count("<math") == 2 and "$" not in page


def _release(a):
    import nbformat

    return nbformat.read(Path(__file__).resolve().parents[1] / "release" / a / f"{a}.ipynb",
                         as_version=4)


@pytest.mark.parametrize("assignment", ["adam", "gradient_descent", "hessian_convexity",
                                        "line_search", "momentum", "nesterov",
                                        "optimizer_zoo", "problems", "sgd"])
def test_every_equation_of_the_exercises_renders(assignment):
    import re

    from coursekit.mathml import markdown_html

    for cell in _release(assignment).cells:
        if cell.cell_type != "markdown":
            continue
        out = markdown_html(cell.source)
        assert 'class="tex"' not in out, re.findall(r'class="tex">(.*?)</code>', out)
        prose = re.sub(r"<code.*?</code>|<math.*?</math>", "", out, flags=re.S)
        assert "$" not in prose, prose  # no equation left as raw TeX


def test_title_names_the_exercise():
    from coursekit.feedback import assignment_title

    assert assignment_title(_release("gradient_descent"), "gradient_descent") == \
        "Gradient descent (UDL 6.1)"
    assert assignment_title(_release("problems"), "problems") == \
        "Problems 6.1–6.11: Training models"


def _see_it_notebook(judged: bool):
    """A test cell with a hidden part that ran, then a locked demo cell that printed text and
    drew a figure (a 1x1 PNG)."""
    import nbformat

    from coursekit.kernel import CellRun

    png = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJ"
           "RU5ErkJggg==")
    test = nbformat.v4.new_code_cell(
        "assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(2) == 4\n### END HIDDEN TESTS",
        metadata={"nbgrader": {"grade": True, "solution": False, "locked": True,
                               "grade_id": "test_f", "points": 1}})
    if judged:
        test.metadata["steplab"] = {"judged": True}
    demo = nbformat.v4.new_code_cell("show()", metadata={"nbgrader": {
        "grade": False, "solution": False, "locked": True, "grade_id": "see_it"}})
    demo.outputs = [nbformat.v4.new_output("stream", name="stdout", text="printed after\n"),
                    nbformat.v4.new_output("display_data", data={"image/png": png,
                                                                 "text/plain": "<Figure>"})]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Assignment: demo"),
                                         test, demo])
    runs = [CellRun(), CellRun(ran=True, status="ok"), CellRun(ran=True, status="ok")]
    grades = {"test_f": {"kind": "test", "score": 1.0, "max": 1.0, "comment": None}}
    return nb, runs, grades


@pytest.mark.parametrize("judged", [False, True])
def test_see_it_figure_after_hidden_tests(judged):
    from coursekit.feedback import feedback_notebook, render_html

    nb, runs, grades = _see_it_notebook(judged)
    page = render_html(feedback_notebook(nb, runs, grades, set(),
                                         {"assignment": "demo", "notebook": "demo",
                                          "student": "ann"}, {}, []))
    assert page.count('<img alt="figure" src="data:image/png;base64,') == 1
    assert "<title>Demo — feedback for ann</title>" in page
    # text printed after hidden test code reached the kernel stays out; after a judged cell
    # (the kernel only ran a call cell) there was no hidden code, so it is shown
    assert ("printed after" in page) == judged


def test_stored_score_keeps_ungraded_apart_from_zero():
    from types import SimpleNamespace as G

    from coursekit.feedback import stored_score

    assert stored_score(G(manual_score=None, auto_score=None)) is None
    assert stored_score(G(manual_score=None, auto_score=0.0)) == 0.0
    assert stored_score(G(manual_score=3.0, auto_score=None)) == 3.0


# ------------------------------------------------------------- a graded class, end to end

A = "gradient_descent"
WRITTEN = r"""With $\alpha = 0.045$ the path jumps across the valley and grows: for $L = a\phi^2$,
$\phi \leftarrow (1 - 2a\alpha)\,\phi$, so it converges iff $0 < \alpha < 1/a$.

$$
c = 1 - 2 a \alpha
$$"""
#: Part A through a helper that fails, tried out in the answer cell itself: the traceback
#: runs through three frames of the student's cell (line 8, then 3, then 6)
CRASH_MODEL = '''def linear_model(phi, x):
    """UDL eq. 6.4, through a helper."""
    return _line(phi, x)

def _line(phi, x):
    return phi[0] + phi[1] * x.shape_of_things

linear_model(np.zeros(2), np.zeros(3))'''


def _answered(answers: dict):
    import nbformat

    root = Path(__file__).resolve().parents[1]
    nb = _release(A)
    sol = nbformat.read(root / "solutions" / A / f"{A}.ipynb", as_version=4)
    sols = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in sol.cells}
    for c in nb.cells:
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            c.source = sols[gid] if answers[gid] is None else answers[gid]
    return nb


def _code_cell_number(grade_id: str) -> int:
    """Position (from 1) of a cell among the code cells of the exercise notebook."""
    code = [c for c in _release(A).cells if c.cell_type == "code"]
    return 1 + [c.metadata.get("nbgrader", {}).get("grade_id") for c in code].index(grade_id)


def _solution_cells() -> int:
    return sum(1 for c in _release(A).cells if c.metadata.get("nbgrader", {}).get("solution"))


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """alice answers everything (a written answer with equations, not graded yet), bob hands
    in the untouched exercise, carol's Part A fails inside a helper."""
    import shutil

    import nbformat

    from coursekit import autograde as ag

    root = Path(__file__).resolve().parents[1]
    course = tmp_path_factory.mktemp("fbclass") / "course"
    course.mkdir()
    shutil.copyfile(root / "nbgrader_config.py", course / "nbgrader_config.py")
    for sub in ("source", "release"):
        shutil.copytree(root / sub / A, course / sub / A)
    parts = ["linear_model", "linear_loss", "linear_grad", "gd_step", "gradient_descent",
             "gabor_grad"]
    students = {"alice": _answered({**{p: None for p in parts},
                                    "written_learning_rate": WRITTEN}),
                "bob": _answered({}),
                "carol": _answered({"linear_model": CRASH_MODEL, "gd_step": None})}
    for name, nb in students.items():
        (course / "submitted" / name / A).mkdir(parents=True)
        nbformat.write(nb, course / "submitted" / name / A / f"{A}.ipynb")
    res = ag.autograde_class(course, A, workers=2, progress=False, report=False,
                             log=lambda *a: None, demos=True)
    assert all(r["status"] == "graded" for r in res.results), res.results
    return course


def _page(course, student) -> str:
    return (course / "feedback" / student / A / f"{A}.html").read_text()


def _text(page: str) -> str:
    import html
    import re

    page = re.sub(r"<style.*?</style>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.mark.slow
def test_title_names_exercise_and_student(graded_class):
    page = _page(graded_class, "alice")
    assert "<title>Gradient descent (UDL 6.1) — feedback for alice</title>" in page
    assert "gradient_descent / " not in page


@pytest.mark.slow
def test_no_path_of_the_grading_machine(graded_class):
    import re
    import sys

    root = Path(__file__).resolve().parents[1]
    for student in ("alice", "bob", "carol"):
        page = _page(graded_class, student)
        for path in (str(root), str(graded_class), sys.prefix, "/tmp/", "/root/", "/home/"):
            assert path not in page, (student, path)
        assert not re.search(r"File /|Cell In\[", page), student


@pytest.mark.slow
def test_traceback_points_to_the_students_cell(graded_class):
    text = _text(_page(graded_class, "carol"))
    n = _code_cell_number("linear_model")
    assert f"cell {n}" in text
    assert f"In cell {n}, line 8" in text
    assert f"In cell {n}, line 3, in linear_model(phi, x)" in text
    assert f"In cell {n}, line 6, in _line(phi, x)" in text
    assert "AttributeError: 'numpy.ndarray' object has no attribute 'shape_of_things'" in text


@pytest.mark.slow
def test_blank_answers_say_no_response_once_each(graded_class):
    import re

    page = _page(graded_class, "bob")
    notes = re.findall(r'<div class="note">(.*?)</div>', page, re.S)
    assert all(n.count("No response") <= 1 for n in notes)
    assert sum(n.count("No response") for n in notes) == _solution_cells()


@pytest.mark.slow
def test_see_it_figure_or_why_not_and_equations(graded_class):
    page = _page(graded_class, "alice")
    see_it = page.index("sl.as_optimizer(lambda phi")
    text = _text(page)
    # graded with demos=True (autograde --demos), the grader runs the "See it" cells after the
    # last test, so their figure of the student's own code is on the page
    assert '<img alt="figure" src="data:image/png;base64,' in page[see_it:]
    assert "demonstration cells after the last test were not run" not in text
    assert "\\alpha" not in text and "\\frac" not in text and "$$" not in text  # no raw TeX
    assert "<mfrac>" in page and page.count("<math") > 20


@pytest.mark.slow
def test_feedback_marks_ungraded_written_parts_and_refuses_zeros(graded_class, capsys):
    from nbgrader.api import Gradebook

    from coursekit import cli

    course = str(graded_class)
    assert cli.main(["feedback", A, "--course", course]) == 1
    err = capsys.readouterr().err
    assert "alice: gradient_descent/written_learning_rate" in err and "bob" not in err
    assert "--allow-ungraded" in err
    text = _text(_page(graded_class, "alice"))
    assert "Part written_learning_rate: not graded yet (4 points)." in text
    assert "0 / 4" not in text
    assert "Part written_learning_rate: 0 / 4 points." in _text(_page(graded_class, "bob"))

    assert cli.main(["feedback", A, "--course", course, "--allow-ungraded"]) == 0
    text = _text(_page(graded_class, "alice"))
    assert "Part written_learning_rate: 0 / 4 points (not graded; counted as 0)." in text

    with Gradebook(f"sqlite:///{graded_class / 'gradebook.db'}") as gb:
        gb.find_grade("written_learning_rate", A, A, "alice").manual_score = 3.0
        gb.db.commit()
    assert cli.main(["feedback", A, "--course", course]) == 0
    text = _text(_page(graded_class, "alice"))
    assert "Part written_learning_rate: 3 / 4 points." in text
    assert "written parts graded by hand: 3 / 4" in text


@pytest.mark.slow
def test_make_feedback_passes_feedback_args(graded_class):
    import subprocess

    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(["make", "-s", "feedback", f"ASSIGNMENT={A}",
                           f"FEEDBACK_ARGS=--course {graded_class} --allow-ungraded"],
                          cwd=root, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "wrote 3 feedback page(s)" in proc.stdout


@pytest.mark.browser
@pytest.mark.slow
def test_feedback_page_renders_offline_on_a_laptop(graded_class, chromium):
    from browser import ARTIFACTS, browser_page

    page_path = graded_class / "feedback" / "carol" / A / f"{A}.html"
    requests = []
    with browser_page(chromium, width=LAPTOP[0], height=LAPTOP[1]) as page:
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_path.as_uri())
        page.wait_for_load_state("load")
        got = page.evaluate("""() => ({
            width: document.documentElement.scrollWidth,
            maths: [...document.querySelectorAll('math')].map(m => m.getBoundingClientRect().height),
            imgs: [...document.images].map(i => i.naturalWidth)})""")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "feedback_carol.png"), full_page=True)
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    assert got["width"] <= LAPTOP[0], got["width"]
    assert got["maths"] and min(got["maths"]) > 5, "an equation was not drawn"
    assert all(w > 100 for w in got["imgs"]), "a figure did not load"
