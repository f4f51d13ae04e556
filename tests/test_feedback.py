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
