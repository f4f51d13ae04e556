"""Drive JupyterLab in headless Chromium for end-to-end tests (docs/design.md, "Pitfalls").

Reusable by every browser test (the widget tests and the lesson notebooks)::

    from browser import lab_server, browser_page, open_notebook, run_all_cells, ...

    with lab_server(tmp_dir) as lab, browser_page() as page:
        open_notebook(page, lab, "explorers.ipynb")
        run_all_cells(page)
        wait_for_idle(page)
        assert not output_errors(page)

- :func:`lab_server` starts ``.venv/bin/jupyter lab`` on a free localhost port with a random
  token and its own runtime/settings/workspace dirs, root ``root_dir``; ``MPLBACKEND`` is
  removed from the kernel's environment so ``%matplotlib widget`` (ipympl) works.
- :func:`browser_page` launches Debian's Chromium (``executable_path``; Playwright cannot
  download its own browsers here) with the flags of the project's issue 3/7.
- :func:`find_chromium` / :func:`need_browser` tell the tests whether they can run: a missing
  tool is a skip outside CI and a failure in CI (``support.skip_or_fail``).
- The window is a laptop's, 1366 x 768 (:data:`LAPTOP`), in JupyterLab's default layout (file
  browser open); :func:`figure_widths` measures every figure against its output area.

Against flakes on a loaded machine: :func:`open_notebook` waits for the kernel to be idle;
:func:`run_all_cells` checks that Run All really started (a cell shows ``[*]``, a prompt
changes, or the kernel turns busy) and gives the command once more if it did not;
:func:`dismiss_popups` answers the dialogs that can appear on the way ("Select Kernel",
"Save your work", news and update toasts) while the tests wait.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]
ARTIFACTS = ROOT / "artifacts"
#: a laptop screen, the smallest the course is laid out for
LAPTOP = (1366, 768)


def find_chromium() -> str | None:
    """Path of Debian's chromium, or None."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None


def need_browser():
    """Return the chromium path, or skip (outside CI) / fail (in CI) with the reason."""
    from support import skip_or_fail

    path = find_chromium()
    if path is None:
        skip_or_fail("Debian chromium is not installed (apt-get install chromium); "
                     ".ci/run installs it in CI")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        skip_or_fail(f"the playwright Python package is missing: {exc}")
    jupyter = VENV_BIN / "jupyter"
    if not jupyter.exists():
        skip_or_fail(f"jupyter is not installed in {VENV_BIN}")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running JupyterLab: ``url``, ``token``, ``root``, ``log`` (path of its output)."""

    def __init__(self, url, token, root, proc, log):
        self.url, self.token, self.root, self.proc, self.log = url, token, root, proc, log

    def tree_url(self, path: str) -> str:
        return f"{self.url}/lab/tree/{path}?token={self.token}"

    def log_text(self) -> str:
        try:
            return Path(self.log).read_text(errors="replace")[-4000:]
        except OSError:
            return ""


@contextlib.contextmanager
def lab_server(root_dir, timeout: float = 60.0):
    """Start JupyterLab on a free localhost port serving ``root_dir``; stop it afterwards."""
    root = Path(root_dir)
    port, token = free_port(), secrets.token_hex(16)
    state = root / ".lab-state"
    for sub in ("runtime", "settings", "workspaces", "config"):
        (state / sub).mkdir(parents=True, exist_ok=True)
    # no news / update toasts (nor the privacy-policy tab they link to) on the first start
    notif = state / "settings" / "@jupyterlab" / "apputils-extension"
    notif.mkdir(parents=True, exist_ok=True)
    (notif / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false, "doNotDisturbMode": true}')
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env.update(PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
               JUPYTER_RUNTIME_DIR=str(state / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(state / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"),
               JUPYTER_CONFIG_DIR=str(state / "config"),
               PYTHONPATH=f"{ROOT}{os.pathsep}{env.get('PYTHONPATH', '')}")
    log = state / "lab.log"
    cmd = [str(VENV_BIN / "jupyter"), "lab", "--no-browser", f"--port={port}",
           "--ip=127.0.0.1", f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
           "--ServerApp.open_browser=False", "--LabApp.news_url=None",
           "--ServerApp.port_retries=0"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")       # containers and CI run as root
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
    lab = Lab(f"http://127.0.0.1:{port}", token, root, proc, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {proc.returncode}:\n{lab.log_text()}")
            try:
                with urllib.request.urlopen(f"{lab.url}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"jupyter lab did not answer in {timeout} s:\n"
                                       f"{lab.log_text()}") from None
                time.sleep(0.3)
        yield lab
    finally:
        _stop(proc)


def _stop(proc):
    """Stop the server we started (its own process group), politely first."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=10)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 9)
        proc.wait(timeout=5)


@contextlib.contextmanager
def browser_page(chromium: str | None = None, width: int = LAPTOP[0], height: int = LAPTOP[1]):
    """A Playwright page in headless Debian Chromium (never ``playwright install``)."""
    from playwright.sync_api import sync_playwright

    path = chromium or find_chromium()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()


def dismiss_popups(page) -> int:
    """Close dialogs ("Select Kernel", build prompts) and notification toasts; return how many.
    "Save your work" (closing a changed notebook) is answered Discard: the tests work on copies."""
    n = 0
    discard = page.locator(".jp-Dialog", has_text="Save your work").locator(
        "button", has_text="Discard")
    if discard.count():
        with contextlib.suppress(Exception):
            discard.first.click(timeout=1000)
            n += 1
    for sel in (".jp-Dialog .jp-mod-accept", ".jp-Dialog .jp-mod-reject",
                ".jp-toast-button.jp-mod-link", ".Toastify__close-button",
                ".jp-Notification-Toast-Close"):
        loc = page.locator(sel)
        for i in range(loc.count()):
            with contextlib.suppress(Exception):
                loc.nth(i).click(timeout=500)
                n += 1
    return n


def open_notebook(page, lab: Lab, path: str, timeout: float = 60.0):
    """Open ``path`` (relative to the server root) and wait until its kernel is ready."""
    page.goto(lab.tree_url(path), wait_until="domcontentloaded", timeout=timeout * 1000)
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=timeout * 1000)
    dismiss_popups(page)
    activate_tab(page, Path(path).name)
    wait_for_idle(page, timeout)


def activate_tab(page, name: str):
    """Close other main-area tabs (JupyterLab may open e.g. "Privacy policies" on a first
    start, which takes the focus) and make the tab called ``name`` the current one."""
    tabs = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab")
    for i in reversed(range(tabs.count())):
        tab = tabs.nth(i)
        if name not in tab.inner_text():
            with contextlib.suppress(Exception):
                tab.locator(".lm-TabBar-tabCloseIcon").click(timeout=1000)
            discard_unsaved(page)
    target = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=name).first
    # a "Save your work" dialog of a tab just closed may open only now, on a slow machine, and
    # it intercepts the click: answer it and try again
    for _ in range(15):
        discard_unsaved(page)
        try:
            target.click(timeout=2000)
            return
        except Exception:  # noqa: BLE001 (Playwright's TimeoutError and friends)
            continue
    target.click()  # the last try raises with Playwright's own account of what blocked it


def discard_unsaved(page):
    """Closing a notebook whose outputs changed since its last save opens "Save your work";
    the tests never need those changes, so answer Discard (the dialog would block clicks)."""
    dialog = page.locator(".jp-Dialog", has_text="Save your work")
    with contextlib.suppress(Exception):
        dialog.wait_for(state="visible", timeout=500)
        dialog.locator("button", has_text="Discard").first.click(timeout=2000)
        dialog.wait_for(state="detached", timeout=5000)


def wait_for_idle(page, timeout: float = 60.0):
    """Wait until the notebook's kernel status reads idle (the toolbar's kernel indicator)."""
    deadline = time.monotonic() + timeout
    sel = ".jp-Notebook-ExecutionIndicator"
    while time.monotonic() < deadline:
        dismiss_popups(page)
        state = page.evaluate(
            """(sel) => { const el = document.querySelector(sel);
                          return el ? el.getAttribute('data-status') : null; }""", sel)
        if state == "idle":
            return
        page.wait_for_timeout(200)
    raise TimeoutError(f"the kernel did not become idle within {timeout} s")


PROMPTS_JS = """() => Array.from(document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputArea-prompt'))
    .map(p => p.textContent.trim())"""

KERNEL_STATUS_JS = """() => { const el = document.querySelector('.jp-Notebook-ExecutionIndicator');
    return el ? el.getAttribute('data-status') : null; }"""


def _click_run_all(page, name: str | None):
    """Run > Run All Cells through the menu bar (a toast or a late layout pass can swallow a
    click: up to four tries at opening the menu)."""
    item = page.locator(".lm-Menu-item:not(.lm-mod-disabled) .lm-Menu-itemLabel",
                        has_text=re.compile(r"^Run All( Cells)?$")).first
    for attempt in range(4):
        dismiss_popups(page)
        if name:
            activate_tab(page, name)
        page.keyboard.press("Escape")
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        try:
            item.wait_for(state="visible", timeout=5000)
            item.click(timeout=5000)
            return
        except Exception:
            if attempt == 3:
                raise


def run_started(page, before: list, timeout: float = 15.0) -> bool:
    """Whether Run All has started within ``timeout`` s: a cell shows ``[*]``, a prompt
    differs from ``before`` (the prompts when the command was given), or the kernel is busy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = page.evaluate(PROMPTS_JS)
        if any("*" in p for p in now) or (now and now != before):
            return True
        if page.evaluate(KERNEL_STATUS_JS) == "busy":
            return True
        dismiss_popups(page)
        page.wait_for_timeout(100)
    return False


def run_all_cells(page, name: str | None = None, timeout: float = 15.0):
    """Run > Run All Cells, through the menu bar, as a learner would, and make sure it started
    (on a loaded machine a click can be lost): if no cell started within ``timeout`` s, give
    the command once more. ``name``: the notebook's file name, whose tab is made current
    first (the menu acts on the current tab)."""
    for attempt in range(2):
        wait_for_idle(page)
        before = page.evaluate(PROMPTS_JS)
        _click_run_all(page, name)
        if run_started(page, before, timeout):
            return attempt
    raise TimeoutError(f"Run All did not start, twice (no cell ran within {timeout} s)")


def wait_all_executed(page, timeout: float = 90.0):
    """Wait until every code cell shows an execution count (no ``[*]`` or ``[ ]``) and the
    kernel is idle. Call it after :func:`run_all_cells` (which makes sure the run started:
    a notebook saved with its outputs shows execution counts before it runs)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = page.evaluate(
            """() => Array.from(document.querySelectorAll(
                    '.jp-CodeCell .jp-InputArea-prompt')).filter(
                    p => !/\\[\\d+\\]/.test(p.textContent)).length""")
        if pending == 0 and page.evaluate(KERNEL_STATUS_JS) == "idle":
            return
        dismiss_popups(page)
        page.wait_for_timeout(250)
    raise TimeoutError(f"cells still running after {timeout} s")


FIGURE_WIDTHS_JS = """() => {
    const out = [];
    const sel = '.jupyter-matplotlib-figure, .jupyter-matplotlib-canvas-div canvas, '
              + '.jp-RenderedImage img';
    for (const el of document.querySelectorAll(sel)) {
        const area = el.closest('.jp-OutputArea-output');
        if (!area) continue;
        const r = el.getBoundingClientRect(), a = area.getBoundingClientRect();
        if (!r.width) continue;                        // not laid out (hidden)
        const cell = el.closest('.jp-Cell');
        const cells = Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell'));
        out.push({kind: el.tagName === 'IMG' ? 'image' : el.tagName === 'CANVAS' ? 'canvas'
                                                 : 'ipympl figure',
                  cell: cells.indexOf(cell), left: r.left, right: r.right, width: r.width,
                  area_left: a.left, area_right: a.right, area_width: a.width,
                  natural: el.tagName === 'CANVAS' ? el.width : (el.naturalWidth || null)});
    }
    return out; }"""


def figure_widths(page) -> list:
    """Every figure on the page (ipympl figures and their canvases, static images) with its
    box and the box of the output area it sits in (CSS pixels), as dicts with ``fits``: the
    figure lies within the output area's width (1 px tolerance)."""
    rows = page.evaluate(FIGURE_WIDTHS_JS)
    for r in rows:
        r["fits"] = r["left"] >= r["area_left"] - 1 and r["right"] <= r["area_right"] + 1
    return rows


def output_errors(page) -> list:
    """Text of every error seen in outputs: tracebacks, stderr, widget render errors."""
    return page.evaluate(
        """() => {
            const out = [];
            for (const el of document.querySelectorAll(
                    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"],'
                    + '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]'))
                out.push(el.innerText.slice(0, 500));
            for (const el of document.querySelectorAll('.jp-OutputArea-output'))
                if (/Error displaying widget|Traceback|model not found/.test(el.innerText))
                    out.push(el.innerText.slice(0, 500));
            return out; }""")


CANVAS_CHECKSUM_JS = """(canvas) => {
    if (!canvas.width || !canvas.height) return 0;   // not laid out yet
    const ctx = canvas.getContext('2d');
    const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let h = 0;
    for (let i = 0; i < d.length; i += 28) h = (h * 31 + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) | 0;
    return h; }"""

INSTALL_REDRAW_PROBE_JS = """(canvas) => {
    // record when a key goes down and the first animation frame after it whose pixels differ
    const sum = """ + CANVAS_CHECKSUM_JS + """;
    window.__probe = {keyAt: null, redrawAt: null, base: sum(canvas)};
    const onKey = () => { if (window.__probe.keyAt === null)
                            window.__probe.keyAt = performance.now(); };
    document.addEventListener('keydown', onKey, {capture: true, once: true});
    const tick = () => {
        const p = window.__probe;
        if (p.keyAt !== null && sum(canvas) !== p.base) { p.redrawAt = performance.now(); return; }
        if (performance.now() - (p.keyAt || performance.now()) < 10000) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    return window.__probe.base; }"""


def press_and_time_redraw(page, handle, canvas, key: str = "ArrowRight",
                          timeout: float = 10.0) -> float:
    """Press ``key`` on a focused slider handle and return the milliseconds until the canvas
    pixels change (measured in the page: keydown to the first differing animation frame)."""
    canvas.evaluate(INSTALL_REDRAW_PROBE_JS)
    handle.focus()
    handle.press(key)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        probe = page.evaluate("() => window.__probe")
        if probe["redrawAt"] is not None:
            return probe["redrawAt"] - probe["keyAt"]
        page.wait_for_timeout(20)
    raise TimeoutError(f"the canvas did not change within {timeout} s of pressing {key}")
