"""End to end: every explorer of steplab.widgets in JupyterLab, in headless Debian Chromium.

Starts JupyterLab on a free localhost port in a temporary directory, opens
tests/browser_notebooks/explorers.ipynb, runs all cells (``%matplotlib widget``, one explorer
per cell), then for each explorer: presses ArrowRight on its α slider (steps for the compare
explorer), checks that the figure's pixels changed and that no error appeared, and measures
the time from the key press to the redrawn canvas in the page. The window is a laptop's
(1366 x 768, JupyterLab's default layout): every explorer's figure must fit its output
area. Screenshots of every explorer go to artifacts/browser_<Explorer>.png, the latencies
to artifacts/browser_latency.json.

Acceptance (issue 3/7): slider-to-redraw p95 <= 250 ms, checked with
``STEPLAB_BROWSER_P95_MS=250`` (as ``benchmarks/bench_widgets.py --browser`` does).
Outside CI a missing chromium or Playwright is a skip with the reason; in CI it is a failure
(.ci/run installs chromium).
"""

import contextlib
import json
import os
import shutil
import time

import numpy as np
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
)
from conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

NOTEBOOK = ROOT / "tests" / "browser_notebooks" / "explorers.ipynb"
EXPLORERS = ["GDExplorer", "SGDExplorer", "MomentumExplorer", "AdamExplorer",
             "PhaseMapExplorer", "CompareExplorer"]
PRESSES = 5          # per explorer, after one warm-up press
# The compare explorer's only slider is the number of steps: one more step of a converging
# run can move less than a pixel, so jump between the ends of the slider instead.
KEYS = {"CompareExplorer": ("PageDown", "PageUp")}
# Issue 3/7 asks for p95 <= 250 ms. Speed is the benchmark's business: `make bench`
# (benchmarks/bench_widgets.py --browser) runs this test with that target. Alone, the test
# checks that every explorer answers, with a bound only a broken redraw misses (a figure that
# waits for a full redraw, or never comes): 1 s was missed at a load average of 25 on two
# cores (p95 1.07 s), so a loaded machine does not turn the test red.
P95_MS = float(os.environ.get("STEPLAB_BROWSER_P95_MS", "5000"))

ERROR_STATUS_JS = """(root) => Array.from(root.querySelectorAll('.widget-html-content span'))
    .filter(s => getComputedStyle(s).color === 'rgb(176, 0, 32)').map(s => s.textContent)"""

# a canvas that is not laid out yet has width 0, and getImageData would throw: not ready
NONBLANK_JS = """(c) => { if (!c.width || !c.height) return false;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0; for (let i = 0; i < d.length; i += 40) if (d[i] < 250 || d[i+1] < 250) n++;
    return n > 100; }"""

# share of painted (non-white) pixels: a canvas that lost its base frame and shows only the
# diff frames drawn on top is mostly white (the failure this guards against)
PAINTED_JS = """(c) => { if (!c.width || !c.height) return 0;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0, m = 0; for (let i = 0; i < d.length; i += 40) { m++;
        if (d[i+3] > 0 && (d[i] < 245 || d[i+1] < 245 || d[i+2] < 245)) n++; }
    return n / m; }"""


@contextlib.contextmanager
def _screenshot_on_failure(page):
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            page.screenshot(path=str(ARTIFACTS / "browser_failure.png"))
        raise


def _slider_handle(output):
    """The α slider's handle if there is one (the slider students move most), else the first."""
    sliders = output.locator(".widget-slider")
    for i in range(sliders.count()):
        label = sliders.nth(i).locator(".widget-label").inner_text()
        if label.strip().startswith("α"):
            return sliders.nth(i).locator(".noUi-handle")
    return output.locator(".noUi-handle").first


def test_explorers_in_jupyterlab(tmp_path):
    chromium = need_browser()
    shutil.copy(NOTEBOOK, tmp_path / NOTEBOOK.name)
    ARTIFACTS.mkdir(exist_ok=True)
    t_start = time.monotonic()
    latencies, per_explorer = [], {}
    with lab_server(tmp_path) as lab, browser_page(chromium) as page, \
            _screenshot_on_failure(page):
        open_notebook(page, lab, NOTEBOOK.name)
        run_all_cells(page, NOTEBOOK.name)
        wait_all_executed(page)
        outputs = page.locator(".jp-OutputArea-output:has(.noUi-handle)")
        assert outputs.count() == len(EXPLORERS), output_errors(page) or lab.log_text()
        for i, name in enumerate(EXPLORERS):
            out = outputs.nth(i)
            out.scroll_into_view_if_needed()
            canvas = out.locator(".jupyter-matplotlib-canvas-div canvas").first
            # the canvas may sit below the fold of a tall output: JupyterLab lays out (and
            # ipympl sizes) only what is near the viewport, so bring the canvas itself in
            canvas.scroll_into_view_if_needed()
            page.wait_for_function(NONBLANK_JS, arg=canvas.element_handle(), timeout=30000)
            painted = canvas.evaluate(PAINTED_JS)
            handle = _slider_handle(out)
            keys = KEYS.get(name, ("ArrowRight",))
            press_and_time_redraw(page, handle, canvas, keys[-1])        # warm-up press
            times = [press_and_time_redraw(page, handle, canvas, keys[k % len(keys)])
                     for k in range(PRESSES)]
            per_explorer[name] = times
            latencies += times
            assert out.evaluate(ERROR_STATUS_JS) == [], f"{name} shows an error"
            page.wait_for_timeout(300)
            after = canvas.evaluate(PAINTED_JS)
            assert after > 0.8 * painted, (
                f"{name}: the canvas lost its picture (painted {painted:.2f} -> {after:.2f})")
            out.screenshot(path=str(ARTIFACTS / f"browser_{name}.png"))
        errors = output_errors(page)
        wide = [r for r in figure_widths(page) if not r["fits"]]
    elapsed = time.monotonic() - t_start
    p95 = float(np.percentile(latencies, 95))
    report = dict(p95_ms=p95, median_ms=float(np.median(latencies)), max_ms=max(latencies),
                  n=len(latencies), per_explorer=per_explorer, seconds=elapsed)
    (ARTIFACTS / "browser_latency.json").write_text(json.dumps(report, indent=1))
    print(f"\nbrowser slider-to-redraw: median {report['median_ms']:.0f} ms, p95 {p95:.0f} ms, "
          f"max {report['max_ms']:.0f} ms over {len(latencies)} presses ({elapsed:.0f} s)")
    assert errors == [], errors
    assert not wide, f"explorer figures wider than their output area at {LAPTOP}: {wide}"
    assert p95 <= P95_MS, f"slider-to-redraw p95 {p95:.0f} ms > {P95_MS:.0f} ms: {per_explorer}"
