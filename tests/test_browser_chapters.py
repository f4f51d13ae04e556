"""End to end: every lesson notebook of chapters/ in JupyterLab, in headless Debian Chromium.

Issue "[4/7] Lesson notebooks", acceptance: the lessons render in JupyterLab in headless
Chromium without errors. One JupyterLab server (serving a temporary copy of chapters/) and one
browser are shared by all lessons (module-scoped fixture). For each lesson the test opens it,
runs Run > Run All Cells as a learner would, waits until every cell has run and the kernel is
idle, and asserts

- no error output, no stderr output (tracebacks, warnings), no widget that failed to render;
- every ipympl figure (``%matplotlib widget``) shows a picture (painted canvas pixels);
- in a lesson with an explorer, pressing ArrowRight on the first slider handle of each
  explorer changes its canvas pixels, and the explorer's status line shows no error;
- the window is a laptop's, 1366 x 768, in JupyterLab's default layout (file browser open),
  and every figure (ipympl figure and canvas, static image) fits the width of its output
  area: nothing is cut off at the right (issue "figures that fit a laptop").

Screenshots go to artifacts/screenshots-1366/: ``<lesson>.png`` (the window, at the lesson's
first explorer or its top) and ``<lesson>-fig<k>.png``, one per output holding a figure, so
that a person can look at every panel. Outside CI a missing chromium or Playwright is a skip
with the reason; in CI it is a failure (tests/support.py).
"""

import contextlib
import json
import shutil
import time
import urllib.request

import pytest
from browser import (
    ARTIFACTS,
    LAPTOP,
    browser_page,
    figure_widths,
    lab_server,
    need_browser,
    open_notebook,
    output_errors,
    press_and_time_redraw,
    run_all_cells,
    wait_all_executed,
    wait_for_idle,
)
from conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]

CHAPTERS = ROOT / "chapters"
LESSONS = sorted(p.name for p in CHAPTERS.glob("*.ipynb"))
SHOTS = ARTIFACTS / "screenshots-1366"
TIMES: dict = {}

# the explorers' status line colours an error message with style.COLORS["error"]
ERROR_STATUS_JS = """(root) => Array.from(root.querySelectorAll('.widget-html-content span'))
    .filter(s => getComputedStyle(s).color === 'rgb(176, 0, 32)').map(s => s.textContent)"""

# share of painted (non-white, non-transparent) pixels of a canvas, sampled
PAINTED_JS = """(c) => { if (!c.width || !c.height) return 0;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0, m = 0; for (let i = 0; i < d.length; i += 40) { m++;
        if (d[i+3] > 0 && (d[i] < 245 || d[i+1] < 245 || d[i+2] < 245)) n++; }
    return n / m; }"""

# the least painted main canvas of all ipympl figures on the page (1.0 when there is none)
MIN_PAINTED_JS = """() => { let lo = 1.0, k = 0;
    for (const div of document.querySelectorAll('.jupyter-matplotlib-canvas-div')) {
        const c = div.querySelector('canvas'); k++;
        if (!c || !c.width || !c.height) { lo = 0; continue; }
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0, m = 0; for (let i = 0; i < d.length; i += 40) { m++;
            if (d[i+3] > 0 && (d[i] < 245 || d[i+1] < 245 || d[i+2] < 245)) n++; }
        lo = Math.min(lo, n / m); }
    return [k, lo]; }"""

# a figure counts as rendered when at least 2 % of its sampled pixels are painted (a blank or
# never-drawn ipympl canvas is fully transparent or white: 0 %)
MIN_PAINTED = 0.02


def _api(lab, method, path):
    req = urllib.request.Request(f"{lab.url}{path}", method=method,
                                 headers={"Authorization": f"token {lab.token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        body = r.read()
    return json.loads(body) if body else None


def _shutdown_kernels(lab):
    """Delete every session (and its kernel): one lesson's kernel must not slow the next."""
    with contextlib.suppress(Exception):
        for s in _api(lab, "GET", "/api/sessions"):
            with contextlib.suppress(Exception):
                _api(lab, "DELETE", f"/api/sessions/{s['id']}")


@pytest.fixture(scope="module")
def lab_page(tmp_path_factory):
    """One JupyterLab serving a copy of chapters/ and one Chromium page, for all lessons."""
    chromium = need_browser()
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(CHAPTERS, root / "chapters")
    # render every cell (no windowing): outputs far below the viewport are in the DOM too
    tracker = root / ".lab-state" / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    SHOTS.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    with lab_server(root) as lab, browser_page(chromium, *LAPTOP) as page:
        yield lab, page
        _shutdown_kernels(lab)
    total = time.monotonic() - t0
    TIMES["total"] = total
    (SHOTS / "times.json").write_text(json.dumps(TIMES, indent=1))
    print(f"\nlessons in the browser: {total:.0f} s in all")
    for k, v in TIMES.items():
        if k != "total":
            print(f"  {k}: {v['seconds']} s, {v['figures']} figures, "
                  f"{v['explorers']} explorers, slider-to-redraw {v['redraw_ms']} ms")


def _figure_outputs(page):
    """Outputs holding a figure (an ipympl canvas or a static image)."""
    return page.locator(".jp-OutputArea-output:has(.jupyter-matplotlib-canvas-div), "
                        ".jp-OutputArea-output:has(.jp-RenderedImage img)")


def _too_wide(rows) -> list:
    return [f"cell {r['cell']}: {r['kind']} spans x {r['left']:.0f}..{r['right']:.0f} px "
            f"(canvas {r['natural']} px), its output area {r['area_left']:.0f}.."
            f"{r['area_right']:.0f} px ({r['area_width']:.0f} px wide)"
            for r in rows if not r["fits"]]


def _explorers(page):
    """Outputs holding an explorer: a widget output with a slider and an ipympl canvas."""
    return page.locator(".jp-OutputArea-output:has(.noUi-handle)"
                        ":has(.jupyter-matplotlib-canvas-div)")


def _press_until_redraw(page, handle, canvas):
    """ArrowRight on the focused slider handle, as a learner would; when that cannot move the
    picture (a slider at its maximum, or one more step moving less than a pixel), jump to the
    slider's ends with PageDown / PageUp. Returns the key-to-redraw time in ms."""
    for key in ("ArrowRight", "PageDown", "PageUp"):
        with contextlib.suppress(TimeoutError):
            return press_and_time_redraw(page, handle, canvas, key, timeout=6)
    raise AssertionError("moving the slider (ArrowRight, PageDown, PageUp) never changed "
                         "the canvas")


@pytest.mark.parametrize("name", LESSONS)
def test_lesson_runs_in_jupyterlab(lab_page, name):
    lab, page = lab_page
    t0 = time.monotonic()
    n_figs, redraw_ms, rows = 0, [], []
    path = f"chapters/{name}"
    stem = name.removesuffix(".ipynb")
    try:
        open_notebook(page, lab, path)
        run_all_cells(page, name)
        wait_all_executed(page, timeout=180)
        wait_for_idle(page, timeout=120)
        errors = output_errors(page)
        assert errors == [], f"{name}: error output(s):\n" + "\n---\n".join(errors)

        # every ipympl figure draws: wait until its canvas is painted
        n_figs, painted = page.evaluate(MIN_PAINTED_JS)
        deadline = time.monotonic() + 30
        while n_figs and painted < MIN_PAINTED and time.monotonic() < deadline:
            page.wait_for_timeout(250)
            n_figs, painted = page.evaluate(MIN_PAINTED_JS)
        assert painted >= MIN_PAINTED, (
            f"{name}: a figure stayed blank ({n_figs} figures, least painted {painted:.3f})")
        uses_matplotlib = page.locator(".jp-CodeCell .jp-InputArea-editor",
                                       has_text="plt.").count() + page.locator(
            ".jp-CodeCell .jp-InputArea-editor", has_text="figures.").count()
        if uses_matplotlib:
            assert n_figs > 0, f"{name}: the lesson draws figures but no ipympl canvas appeared"

        # every figure fits the width of its output area at 1366 x 768 (default layout)
        rows = figure_widths(page)
        wide = _too_wide(rows)
        figs = _figure_outputs(page)
        for k in range(figs.count()):
            out = figs.nth(k)
            out.scroll_into_view_if_needed()
            page.wait_for_timeout(150)
            out.screenshot(path=str(SHOTS / f"{stem}-fig{k + 1}.png"))
        assert not wide, (f"{name}: figures wider than their output area at "
                          f"{LAPTOP[0]}x{LAPTOP[1]}:\n" + "\n".join(wide))

        # every explorer answers its first slider
        explorers = _explorers(page)
        redraw_ms, shot = [], None
        for i in range(explorers.count()):
            out = explorers.nth(i)
            out.scroll_into_view_if_needed()
            canvas = out.locator(".jupyter-matplotlib-canvas-div canvas").first
            before = canvas.evaluate(PAINTED_JS)
            handle = out.locator(".noUi-handle").first
            ms = _press_until_redraw(page, handle, canvas)
            page.wait_for_timeout(300)
            status = out.evaluate(ERROR_STATUS_JS)
            assert status == [], f"{name}: explorer {i + 1} shows an error: {status}"
            after = canvas.evaluate(PAINTED_JS)
            assert after > 0.8 * before, (
                f"{name}: explorer {i + 1} lost its picture ({before:.2f} -> {after:.2f})")
            redraw_ms.append(round(ms))
            if shot is None:
                shot = out
        errors = output_errors(page)
        assert errors == [], f"{name}: error output(s) after moving a slider:\n" + \
            "\n---\n".join(errors)
        if shot is not None:
            shot.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"{stem}.png"))
    except BaseException:
        with contextlib.suppress(Exception):
            page.screenshot(path=str(SHOTS / f"{stem}.failure.png"))
        raise
    finally:
        with contextlib.suppress(Exception):
            page.keyboard.press("Control+s")       # no "unsaved changes" prompt later
        _shutdown_kernels(lab)
        TIMES[stem] = dict(seconds=round(time.monotonic() - t0, 1), figures=n_figs,
                           explorers=len(redraw_ms), redraw_ms=redraw_ms,
                           widest=max((r["width"] for r in rows), default=0),
                           output_area=max((r["area_width"] for r in rows), default=0))
