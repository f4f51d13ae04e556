"""Live explorers for UDL chapter 6, built on ipywidgets + matplotlib (ipympl in JupyterLab).

Every explorer is a class with the same parts (DESIGN.md section 4, rule 4):

``compute(**params)``
    pure and cached: runs :func:`steplab.minimize` and returns Trajectories; no drawing;
``update(**params)``
    changes some parameters, recomputes and *updates the existing artists in place*
    (``set_data``), then redraws; callable from tests and benchmarks without a browser;
``fig``
    the matplotlib figure, built once;
``widget``
    the ipywidgets container to display (sliders, a status line, the canvas);
``status``
    an ``ipywidgets.HTML`` line: what the run did, or a short message when it diverged or
    when a student's code raised (exception type and message, no traceback). The explorer
    keeps the last good drawing and keeps working.

Redrawing: the static background (heat map, contour lines, axes, tick labels) is drawn once;
an update restores it and draws only the artists that changed (matplotlib "blitting").
Whatever a control can change is such an artist, including an axis whose limits follow the
number of steps, so no control triggers a full redraw (only a resize of the canvas does).

Computing: runs are cached by their settings *without* their length. The iterates of
:func:`steplab.minimize` do not depend on how many steps are still to come, so the run for
``T`` steps is the first ``T + 1`` iterates of any longer run with the same settings: moving
the "steps" slider slices a run computed once (longer runs are computed on demand, at least
twice the length cached so far).
Nothing here picks a backend: in a lesson notebook run ``%matplotlib widget`` first (ipympl);
under Agg (tests, benchmarks) the same code runs without a browser.

Expensive controls use ``continuous_update=False``; slider labels carry the symbol and the
book's equation number, e.g. ``"α (6.3)"``.
"""

from __future__ import annotations

import dataclasses
import html
import time
from collections import OrderedDict
from contextlib import contextmanager

import numpy as np

from . import data, figures, rates, style
from . import plots as P
from .optimizers import Adam, GradientDescent, Momentum, Nesterov, NormalizedGD, as_optimizer
from .problems import GaborRegression, LinearRegression, Quadratic
from .train import minimize

__all__ = [
    "Explorer", "GDExplorer", "SGDExplorer", "MomentumExplorer", "AdamExplorer",
    "PhaseMapExplorer", "CompareExplorer", "format_error",
]


def format_error(exc: BaseException, limit: int = 300) -> str:
    """A learner-facing one-line description of an exception: ``"TypeError: message"``,
    without the traceback, shortened to ``limit`` characters."""
    msg = f"{type(exc).__name__}: {exc}"
    return msg if len(msg) <= limit else msg[: limit - 1] + "…"


class _LRU:
    """A small least-recently-used cache for ``compute`` results (keyed by the parameters)."""

    def __init__(self, size: int = 128):
        self.size, self.data = size, OrderedDict()

    def get(self, key, fn):
        if key in self.data:
            self.data.move_to_end(key)
            return self.data[key]
        value = fn()
        self.data[key] = value
        if len(self.data) > self.size:
            self.data.popitem(last=False)
        return value


def _prefix(traj, steps: int):
    """The run of ``steps`` steps that the longer run ``traj`` begins with (same settings):
    exactly what :func:`minimize` returns for ``steps`` (its iterates do not depend on the
    steps still to come). A run that diverged at step ``t`` is its own prefix for every
    ``steps >= t``; before ``t`` the prefix is finite and did not diverge."""
    kept = len(traj.phi)                 # iterates recorded (a diverged run drops the bad one)
    whole = (steps >= kept or kept <= 1) if traj.diverged else steps >= kept - 1
    if whole:
        return traj
    k = steps + 1
    return dataclasses.replace(
        traj, phi=traj.phi[:k], loss=traj.loss[:k], epoch=traj.epoch[:k], diverged=False,
        message="", batches=None if traj.batches is None else traj.batches[:steps])


class _Runs(_LRU):
    """Runs cached by their settings without the length, sliced for shorter lengths."""

    def get(self, key, steps, run, most):
        hit = self.data.get(key)
        if hit is not None:
            self.data.move_to_end(key)
            length, traj = hit
            if steps <= length or (traj.diverged and steps >= len(traj.phi)):
                return _prefix(traj, steps)
            length = min(max(steps, 2 * length), most)     # grow geometrically
        else:
            length = steps
        length = max(length, steps)
        traj = run(length)
        self.data[key] = (length, traj)
        if len(self.data) > self.size:
            self.data.popitem(last=False)
        return _prefix(traj, steps)


def _key(params: dict):
    out = []
    for k in sorted(params):
        v = params[k]
        if isinstance(v, np.ndarray):
            v = tuple(np.round(v.ravel(), 12))
        elif isinstance(v, (list, tuple)):
            v = tuple(v)
        out.append((k, v))
    return tuple(out)


def _extent(artist):
    """Display box an animated artist can paint: its axes (a few pixels more, for markers on
    the edge); for an x (y) axis the strip below (left of) its axes, tick labels included."""
    from matplotlib.axis import XAxis, YAxis
    from matplotlib.transforms import Bbox

    bb = artist.axes.bbox
    if isinstance(artist, XAxis):
        return Bbox.from_extents(bb.x0 - 30, 0, bb.x1 + 30, bb.y0 + 4)
    if isinstance(artist, YAxis):
        return Bbox.from_extents(0, bb.y0 - 12, bb.x0 + 4, bb.y1 + 12)
    return Bbox.from_extents(bb.x0 - 9, bb.y0 - 9, bb.x1 + 9, bb.y1 + 9)


def _side_by_side(fig):
    """Tight layout for two surfaces that share the phi1 axis, with a gap wide enough that the
    last x tick label of the left panel and the first of the right one do not run together
    (they sit at the panels' edges: "10.0" and "-10.0")."""
    fig.tight_layout()
    fig.subplots_adjust(wspace=0.25)


class _Blitter:
    """Draw the figure once, then redraw only the animated artists (matplotlib blitting).

    Two layers of animated artists: ``slow`` ones change only with some controls (a heat map
    that depends on the curvatures, an axis whose limits follow the number of steps), the
    others with every update (paths, curves, texts). On every full draw (first display,
    resize) the ``draw_event`` handler saves the background, draws the slow layer, saves
    that too (``middle``) and draws the fast layer on top. ``update()`` restores ``middle``
    (or, when the slow layer changed, the background and then the slow layer: drawing an
    axis's tick labels costs more than the rest together), draws the fast layer and blits;
    works on Agg and on ipympl.
    """

    def __init__(self, fig, artists, slow=()):
        self.fig, self.artists, self.background, self.middle = fig, [], None, None
        self.slow = list(slow)
        self.full_draws = 0
        self.pending = False
        for a in artists:
            self.add(a)
        canvas = fig.canvas
        self._cid = canvas.mpl_connect("draw_event", self._on_draw)
        canvas.mpl_connect("resize_event", self._on_resize)
        # ipympl / webagg: the browser keeps the last frame and applies *diff* frames on top.
        # A frame that arrives while the previous one is still loading replaces it; if that
        # one was a full frame (first display, resize) the picture breaks. So a frame is
        # pushed at once only when the previous one was a diff sent a while ago; otherwise
        # the update marks the frame pending and sends a "draw" event, and the browser's
        # "draw" request (sent once it has the previous frame) gets the ready buffer.
        self.webagg = all(hasattr(canvas, a) for a in ("handle_draw", "send_event", "manager"))
        self.last_frame, self.last_full = 0.0, True
        if self.webagg:
            original = canvas.handle_draw

            def handle_draw(event, _original=original):
                if self.pending and self.background is not None:
                    self.pending = False
                    canvas._png_is_old = True
                    canvas.manager.refresh_all()       # send the blitted buffer
                else:
                    self.pending = False
                    _original(event)                   # a full draw
                self._sent()

            canvas.handle_draw = handle_draw

    #: seconds after a frame during which the next one waits for the browser's request
    SAFE_GAP = 0.15

    def _sent(self):
        self.last_frame = time.monotonic()
        self.last_full = getattr(self.fig.canvas, "_current_image_mode", "full") == "full"

    def _on_resize(self, event):
        self.background, self.middle, self.pending = None, None, False

    def add(self, artist):
        artist.set_animated(True)
        self.artists.append(artist)

    def _on_draw(self, event):
        canvas = self.fig.canvas
        if event is not None and event.canvas is not canvas:
            return
        self.background = canvas.copy_from_bbox(self.fig.bbox)
        self._draw_layers(slow=True)
        self.full_draws += 1

    def _redraw_slow(self, dirty):
        """On top of ``middle``, bring back the background where the ``dirty`` slow artists
        lie and draw there every slow artist that can reach it; then save ``middle`` again.
        So a new number of steps redraws one axis, not the heat map beside it."""
        canvas = self.fig.canvas
        canvas.restore_region(self.middle)
        regions = [_extent(a) for a in dirty]
        height = self.fig.bbox.height
        for r in regions:                       # agg's regions count rows from the top
            canvas.restore_region(self.background, xy=(0, 0), bbox=(
                max(r.x0, 0), max(height - r.y1, 0), r.x1, height - max(r.y0, 0)))
        for a in self.slow:
            if a.get_visible() and any(_extent(a).overlaps(r) for r in regions):
                self.fig.draw_artist(a)
        self.middle = canvas.copy_from_bbox(self.fig.bbox)

    def _draw_layers(self, slow, dirty=()):
        """Draw the slow layer (when ``slow``; then save it as ``middle``) and the fast one.
        With ``dirty`` (slow artists that changed) only their part of the slow layer.

        Drawing an animated *axis* updates its ticks, which are not animated: they would mark
        the figure stale, and pyplot (interactive, as in a notebook) answers a stale figure
        with ``draw_idle``: a full draw, whose draw event draws the layers again, and so on
        for ever. The figure's stale callback is therefore held while the layers are drawn."""
        fig = self.fig
        callback, fig.stale_callback = fig.stale_callback, None
        try:
            if dirty:
                self._redraw_slow(dirty)
            elif slow:
                for a in self.slow:
                    if a.get_visible():
                        fig.draw_artist(a)
                self.middle = fig.canvas.copy_from_bbox(fig.bbox)
            for a in self.artists:
                if a.get_visible() and not any(a is b for b in self.slow):
                    fig.draw_artist(a)
        finally:
            fig.stale_callback = callback
            fig.stale = False

    def full(self):
        """Full redraw (the draw event then refreshes the saved background)."""
        self.background = self.middle = None
        self.fig.canvas.draw_idle()

    def update(self, slow=False):
        """Redraw the fast layer, and the slow one too when ``slow``: ``True`` (all of it) or
        a list of the slow artists that changed (only where they lie)."""
        canvas = self.fig.canvas
        if self.background is None or self.middle is None:
            self.full()
            return
        if slow is True:
            canvas.restore_region(self.background)
            self._draw_layers(True)
            return self._show()
        if not slow:
            canvas.restore_region(self.middle)
        self._draw_layers(False, dirty=list(slow or ()))
        self._show()

    def _show(self):
        canvas = self.fig.canvas
        if not self.webagg:
            canvas.blit(self.fig.bbox)     # Agg: the buffer now holds the new frame
            return
        recent = time.monotonic() - self.last_frame < self.SAFE_GAP
        if self.last_full or recent or getattr(canvas, "_force_full", False):
            self.pending = True
            canvas.send_event("draw")      # the browser answers with a "draw" request
        else:
            canvas.blit(self.fig.bbox)     # webagg: sends the diff frame now
            self._sent()


class Explorer:
    """Base class of the explorers: parameters, cached compute, controls, status, redraw.

    Subclasses define ``defaults`` (the parameters), ``_build()`` (make figure artists and
    controls), ``_compute(**params)`` (pure) and ``_draw(result)`` (update artists).
    ``_layout_keys`` names parameters whose change calls ``_relayout()`` (static-looking parts
    that depend on them, such as axes limits; those parts are animated artists too).
    """

    title = ""
    defaults: dict = {}
    _layout_keys: tuple = ()

    def __init__(self, **params):
        import ipywidgets as W

        unknown = set(params) - set(self.defaults)
        if unknown:
            raise ValueError(f"unknown parameter(s) {sorted(unknown)} for {type(self).__name__}; "
                             f"it accepts {sorted(self.defaults)}.")
        self.params = {**self.defaults, **params}
        self._cache = _LRU()
        self._runs = _Runs()
        self._holding = False
        self.controls: dict = {}
        self.status = W.HTML(value="", layout=W.Layout(min_height="1.6em"))
        self.message = ""
        self.last_error = None
        self.result = None
        self.fig = self._make_figure()
        self._animated: list = []
        self._slow: list = []
        self._slow_keys: dict = {}
        self._build()
        self._blit = _Blitter(self.fig, self._animated, self._slow)
        for name, ctrl in self.controls.items():
            ctrl.observe(self._make_observer(name), names="value")
        self.widget = self._make_container()
        self.update()

    # -- construction helpers ----------------------------------------------------------------
    def _make_figure(self):
        return style.figure(self.figsize, embedded=True)   # no ipympl header or footer

    #: a key of :data:`steplab.style.FIGSIZE` (all fit a laptop screen)
    figsize = "widget"
    #: the largest number of steps the "steps" slider offers (runs are cached up to it)
    MAX_STEPS = 300

    def _animate(self, *artists, slow=()):
        """Mark artists as changing with updates (blitted). ``slow``: the ``_layout_keys``
        parameters they depend on; such artists are redrawn only when one of those changes."""
        for a in artists:
            if a is not None:
                self._animated.append(a)
                if slow:
                    self._slow.append(a)
                    self._slow_keys[id(a)] = set(slow)
        return artists[0] if len(artists) == 1 else artists

    def _make_container(self):
        import ipywidgets as W

        rows = list(self.controls.values())
        boxes = [W.HBox(rows[i:i + 3]) for i in range(0, len(rows), 3)]
        parts = [W.HTML(f"<b>{html.escape(self.title)}</b>")] if self.title else []
        parts += boxes + [self.status]
        if isinstance(self.fig.canvas, W.DOMWidget):
            parts.append(self.fig.canvas)
        return W.VBox(parts)

    def _make_observer(self, name):
        def observe(change):
            if not self._holding:
                self.update(**{name: change["new"]})
        return observe

    @contextmanager
    def _hold(self):
        old, self._holding = self._holding, True
        try:
            yield
        finally:
            self._holding = old

    @staticmethod
    def _slider(kind, description, value, lo, hi, step=None, continuous=True, **kw):
        import ipywidgets as W

        cls = {"float": W.FloatSlider, "int": W.IntSlider, "log": W.FloatLogSlider}[kind]
        args = dict(value=value, min=lo, max=hi, description=description,
                    continuous_update=continuous, style={"description_width": "initial"},
                    layout=W.Layout(width="290px"), **kw)
        if step is not None:
            args["step"] = step
        if kind == "float":
            args.setdefault("readout_format", ".3g")
        return cls(**args)

    # -- the public interface ------------------------------------------------------------------
    def compute(self, **params):
        """Pure and cached: the result (Trajectories) for ``params`` (missing ones from the
        current parameters). Raises what the computation raises."""
        full = {**self.params, **params}
        return self._cache.get(_key(full), lambda: self._compute(**full))

    def find_controls(self) -> list:
        """Every slider, dropdown and checkbox in :attr:`widget`, found by walking its tree, as
        ``(parameter name, control)`` pairs in display order (benchmarks and tests use it to
        reach every control a student can move)."""
        import ipywidgets as W

        kinds = (W.widgets.widget_int._Int, W.widgets.widget_float._Float,
                 W.widgets.widget_selection._Selection, W.Checkbox, W.ToggleButton)
        names = {id(c): k for k, c in self.controls.items()}
        found, todo = [], [self.widget]
        while todo:
            w = todo.pop(0)
            if isinstance(w, W.Box):
                todo = list(w.children) + todo
            elif isinstance(w, kinds):
                found.append((names.get(id(w), w.description), w))
        return found

    def clear_cache(self):
        """Forget every computed result (benchmarks use it to time computations afresh)."""
        self._cache.data.clear()
        self._runs.data.clear()

    def _run(self, settings: dict, steps: int, run, most=None):
        """``run(n)`` (a :func:`minimize` call of ``n`` steps with ``settings``) for ``steps``
        steps, sliced from a cached longer run with the same settings when there is one."""
        return self._runs.get(_key(settings), int(steps), run,
                              int(most if most is not None else self.MAX_STEPS))

    def update(self, **params):
        """Set parameters, recompute (cached) and update the drawing in place.

        Never raises for a failing run: the status line shows a short message instead, and
        the last good drawing stays. Returns ``self`` (so calls can be chained)."""
        unknown = set(params) - set(self.defaults)
        if unknown:
            raise ValueError(f"unknown parameter(s) {sorted(unknown)}; this explorer has "
                             f"{sorted(self.defaults)}.")
        changed = {k for k in params if k in self._layout_keys and params[k] != self.params.get(k)}
        layout = bool(changed)
        # a change of such a key moves animated parts only (e.g. an axis): still blitted
        self.params.update(params)
        with self._hold():
            for k, v in params.items():
                if k in self.controls and self.controls[k].value != v:
                    try:
                        self.controls[k].value = v
                    except Exception:  # a value outside the slider's range: keep the slider
                        pass
        if layout:
            self._relayout()
        try:
            result = self.compute()
            message = self._draw(result)
            self.last_error = None
        except Exception as exc:  # noqa: BLE001 - learner code may raise anything
            self.last_error = exc
            self._set_status(format_error(exc), error=True)
            if layout:
                self._blit.update(slow=self._dirty(changed))
            return self
        self.result = result
        self._set_status(message or "", error=bool(getattr(self, "_warn", False)))
        self._blit.update(slow=self._dirty(changed))
        return self

    def _dirty(self, changed):
        """The slow artists that depend on the parameters in ``changed``."""
        return [a for a in self._slow if self._slow_keys[id(a)] & changed]

    def _relayout(self):
        pass

    def snapshot(self) -> np.ndarray:
        """The pixels currently on the canvas, an ``(H, W, 4)`` uint8 RGBA array (a copy)."""
        canvas = self.fig.canvas
        if self._blit.background is None:
            canvas.draw()
        return np.array(canvas.buffer_rgba())

    def savefig(self, path, **kw):
        """Save the figure *with* its live artists (``fig.savefig`` alone skips them, because
        blitted artists are marked animated)."""
        for a in self._animated:
            a.set_animated(False)
        try:
            self.fig.savefig(path, **kw)
        finally:
            for a in self._animated:
                a.set_animated(True)
            self._blit.full()

    def _set_status(self, text, error=False):
        self.message = text
        color = style.COLORS["error"] if error else "#333"
        self.status.value = f'<span style="color:{color}">{html.escape(text)}</span>'

    # -- shared drawing pieces ----------------------------------------------------------------
    def _surface(self, ax, problem, xlim, ylim, scale="log"):
        grid = P.loss_grid(problem, xlim, ylim)
        out = P.plot_loss_surface(problem, grid=grid, ax=ax, scale=scale)
        return out

    def _path_artists(self, ax, color="w", label=None):
        (line,) = ax.plot([], [], "o-", color=color, ms=2.5, lw=1.2, label=label)
        (start,) = ax.plot([], [], "o", ms=7, mfc=style.COLORS["start"], mec=color, mew=1.5)
        (end,) = ax.plot([], [], "*", ms=11, color=color, mec="k", mew=0.5)
        return self._animate(line, start, end)

    @staticmethod
    def _set_path(artists, traj):
        line, start, end = artists
        phi = traj.phi
        line.set_data(phi[:, 0], phi[:, 1])
        start.set_data(phi[:1, 0], phi[:1, 1])
        end.set_data(phi[-1:, 0], phi[-1:, 1])

    @staticmethod
    def _run_text(traj):
        if traj.diverged:
            return traj.message
        return (f"{traj.label}: loss {traj.loss[0]:.4g} → {traj.loss[-1]:.4g} "
                f"after {traj.steps} steps")


def _problem(name):
    if name == "linear":
        return LinearRegression(*data.linear_regression())
    if name == "gabor":
        return GaborRegression(*data.gabor())
    raise ValueError(f'problem must be "linear", "gabor" or a problem object with 2 '
                     f'parameters (e.g. sl.LinearRegression(x, y)); got {name!r}.')


def _range_arg(value, name):
    lo, hi = (float(v) for v in value)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"{name} must be (low, high) with low < high; got {value!r}.")
    return lo, hi


def _resolve_problem(problem, xlim=None, ylim=None, start=None):
    """The problem an explorer draws, and its plotted ranges.

    ``problem`` is ``"linear"`` (UDL fig. 6.1) or ``"gabor"`` (fig. 6.4), whose ranges are those
    of the book's figures (:data:`steplab.figures.RANGES`), or any problem object with
    ``P == 2`` and a vectorized ``loss`` (``sl.LinearRegression(x, y)``, ``sl.Function(...)``).
    For an object without ``xlim``/``ylim``, the box is centred on its optimum (``solve()``,
    e.g. the least-squares solution of eq. 6.5) and wide enough to hold ``start`` (default: the
    origin): along axis ``i`` the half-width is ``sqrt(4 E / H_ii)``, where the loss climbs
    by about twice ``E = L[start] - L[optimum]`` (second-order Taylor expansion with the
    Hessian ``H``), and at least 1.25 times the start's distance from the optimum.
    Returns ``(name or None, problem, xlim, ylim, start)``.
    """
    if isinstance(problem, str):
        obj = _problem(problem)
        rx, ry = figures.RANGES[problem]
        xlim = _range_arg(xlim, "xlim") if xlim is not None else rx
        ylim = _range_arg(ylim, "ylim") if ylim is not None else ry
        return problem, obj, xlim, ylim, start
    obj = problem
    if not callable(getattr(obj, "loss", None)) or not callable(getattr(obj, "grad", None)):
        raise ValueError("problem must be \"linear\", \"gabor\" or a steplab problem object "
                         f"with loss and grad methods; got {type(obj).__name__}.")
    if getattr(obj, "P", None) != 2:
        raise ValueError(f"the explorers draw a loss over 2 parameters; this problem has "
                         f"P={getattr(obj, 'P', None)}. Fit a 2-parameter model, e.g. "
                         "sl.LinearRegression(x, y) with one input feature.")
    if start is not None:
        start = tuple(float(v) for v in np.asarray(start, float).ravel())
        if len(start) != 2:
            raise ValueError(f"start must be 2 numbers (phi0, phi1); got {start!r}.")
    if xlim is not None and ylim is not None:
        xlim, ylim = _range_arg(xlim, "xlim"), _range_arg(ylim, "ylim")
        if start is None:
            start = (0.5 * (xlim[0] + xlim[1]), 0.5 * (ylim[0] + ylim[1]))
        return None, obj, xlim, ylim, start
    if not callable(getattr(obj, "solve", None)):
        raise ValueError(f"{type(obj).__name__} has no solve() to centre the plot on: pass "
                         "xlim=(low, high) and ylim=(low, high), the ranges of phi0 and phi1 "
                         "to draw.")
    centre = np.asarray(obj.solve(), float).ravel()
    ref = np.zeros(2) if start is None else np.asarray(start, float)
    d = np.abs(ref - centre)
    if start is None and d.max() < 1e-9:       # the origin is the optimum: start off it
        ref = centre + np.array([-1.0, 1.0])
        d = np.abs(ref - centre)
    width = 1.25 * d
    excess = float(obj.loss(ref) - obj.loss(centre))
    hess = getattr(obj, "hessian", None)
    if callable(hess) and excess > 0:
        diag = np.diag(np.asarray(hess(centre), float))
        with np.errstate(divide="ignore", invalid="ignore"):
            curv = np.where(diag > 0, np.sqrt(4.0 * excess / diag), 0.0)
        width = np.maximum(width, curv)
    width = np.where(width > 0, width, max(width.max(), 1.0))
    auto = [(float(c - w), float(c + w)) for c, w in zip(centre, width, strict=True)]
    xlim = _range_arg(xlim, "xlim") if xlim is not None else auto[0]
    ylim = _range_arg(ylim, "ylim") if ylim is not None else auto[1]
    if start is None:
        start = (float(ref[0]), float(ref[1]))
    return None, obj, xlim, ylim, start


def _stable_alpha(problem, batch_size, phi=None):
    """A default learning rate for a problem object: a quarter of the stability limit of a
    (minibatch) gradient step. Full-batch gradient descent on a quadratic is stable for
    ``alpha < 2 / lambda_max`` of the Hessian (UDL ch. 6 notes, problem 6.7); the engine *sums*
    the gradient over a batch of ``B`` of the ``n`` points (eq. 6.10), so a batch's Hessian is
    about ``B/n`` of the full one and the limit is ``2 n / (B lambda_max)``. Rounded to two
    significant digits; 0.01 when the curvature is unknown or not positive."""
    hess = getattr(problem, "hessian", None)
    try:
        at = np.asarray(problem.solve() if phi is None and hasattr(problem, "solve")
                        else (np.zeros(2) if phi is None else phi), float)
        lam = float(np.linalg.eigvalsh(np.asarray(hess(at), float)).max())
    except Exception:  # noqa: BLE001 - no or unusable Hessian: a cautious default
        return 0.01
    if not np.isfinite(lam) or lam <= 0:
        return 0.01
    n = max(int(getattr(problem, "n", 0) or 0), 1)
    alpha = 0.5 * n / (min(int(batch_size), n) * lam)
    return float(f"{alpha:.2g}")


def _log_range(alpha):
    """Exponent range of the log α slider around a default α: two decades below, one above."""
    e = np.log10(alpha)
    return float(np.floor(e) - 2), float(np.ceil(e) + 1)


def _problem_title(name, obj):
    if name == "gabor":
        return "the Gabor model"
    if name == "linear":
        return "linear regression"
    return getattr(obj, "name", None) or type(obj).__name__


# ------------------------------------------------------------------------------------------------
class GDExplorer(Explorer):
    """Gradient descent (UDL eq. 6.3) on linear regression (fig. 6.1), the Gabor model
    (fig. 6.4) or a 2-parameter problem object with data (``x``, ``y``, ``predict``), whose
    ranges default as for :class:`SGDExplorer`. Controls: learning rate α, number of steps;
    click on the surface to set the start. The fitted model at the last iterate is drawn beside the surface.

    >>> ex = GDExplorer("linear")             # doctest: +SKIP
    >>> ex.update(alpha=0.02, start=(1.6, -0.5))
    """

    title = "Gradient descent (UDL 6.1, eq. 6.3) — click the surface to choose the start"
    defaults = dict(alpha=0.02, steps=30, start=(1.6, -0.5))
    _layout_keys = ()
    _presets = {"linear": dict(alpha=0.02, steps=30, start=(1.6, -0.5)),
                "gabor": dict(alpha=0.04, steps=60, start=(-1.5, 8.5))}

    def __init__(self, problem="linear", xlim=None, ylim=None, **params):
        name, self.problem, self.xlim, self.ylim, start = _resolve_problem(
            problem, xlim, ylim, params.get("start"))
        self.problem_name = name
        if name is None:
            for attr in ("x", "y", "predict"):
                if not hasattr(self.problem, attr):
                    raise ValueError(f"GDExplorer draws the fitted model beside the surface, so "
                                     f"the problem needs data x, y and predict(); "
                                     f"{type(self.problem).__name__} has no {attr}. Use "
                                     "CompareExplorer for a loss without data.")
            preset = dict(alpha=_stable_alpha(self.problem, self.problem.n), steps=30,
                          start=start)
        else:
            preset = self._presets[name]
        super().__init__(**{**preset, **params})

    def _build(self):
        ax, axf = self.fig.subplots(1, 2)
        self.ax, self.ax_fit = ax, axf
        self._surface(ax, self.problem, self.xlim, self.ylim)
        self.path = self._path_artists(ax)
        x_range = {"linear": (0, 2), "gabor": (-15, 15)}.get(self.problem_name)
        fits = P.plot_model_fit(self.problem, np.zeros((2, 2)), axf, x_range=x_range,
                                colors=[style.COLORS["model"]])
        self.fit_x = fits["x"]
        self.fit_start, self.fit_end = fits["fits"]
        self.fit_start.set_linestyle("--")
        self.fit_start.set_alpha(0.6)
        self._animate(self.fit_start, self.fit_end)
        if self.problem_name is None:
            y = np.asarray(self.problem.y, float)
            pad = 0.15 * (np.ptp(y) or 1.0)
            axf.set_ylim(y.min() - pad, y.max() + pad)
        else:
            axf.set_ylim(*((0, 2) if self.problem_name == "linear" else (-1.2, 1.2)))
        axf.set_title("model at start (dashed) and at the end", fontsize=style.FONT_SIZE)
        self.fig.tight_layout()
        lo, hi = (-4, 0) if self.problem_name else _log_range(self.params["alpha"])
        self.controls["alpha"] = self._slider("log", "α (6.3)", self.params["alpha"], lo, hi,
                                              0.05, readout_format=".3g")
        self.controls["steps"] = self._slider("int", "steps T", self.params["steps"], 1,
                                              self.MAX_STEPS, 1, continuous=False)
        self.fig.canvas.mpl_connect("button_press_event", self._on_click)

    def _on_click(self, event):
        tb = getattr(self.fig.canvas, "toolbar", None)
        if event.inaxes is self.ax and event.button == 1 and not getattr(tb, "mode", ""):
            self.update(start=(float(event.xdata), float(event.ydata)))

    def _compute(self, alpha, steps, start):
        opt, phi0 = GradientDescent(alpha=alpha), np.asarray(start, float)
        return self._run(dict(alpha=alpha, start=start), steps, lambda n: minimize(
            self.problem, opt, phi0, steps=n, label=f"GD α={alpha:.3g}"))

    def _draw(self, traj):
        self._set_path(self.path, traj)
        y = self.problem.predict(traj.phi[[0, -1]], self.fit_x)
        self.fit_start.set_data(self.fit_x, y[0])
        self.fit_end.set_data(self.fit_x, y[1])
        self._warn = traj.diverged
        return self._run_text(traj)


# ------------------------------------------------------------------------------------------------
class SGDExplorer(Explorer):
    """Stochastic gradient descent (UDL eq. 6.10): learning rate α, batch size B, shuffling
    seed, number of epochs, with or without reshuffling each epoch. Left: the path over the
    full loss; right: the full loss after each step, against epochs.

    ``problem`` is ``"gabor"`` (the default, fig. 6.5), ``"linear"`` (fig. 6.1) or any
    2-parameter problem with data, such as ``sl.LinearRegression(z, y)``; for an object the
    plotted ranges default to a box around its least-squares solution (``solve()``) holding
    ``start`` (give ``xlim``/``ylim`` for a problem without ``solve()``), and α defaults to a
    quarter of the stability limit of a minibatch step (see :func:`_stable_alpha`).

    >>> ex = SGDExplorer(sl.LinearRegression(z, y), start=(0, 0))   # doctest: +SKIP
    """

    title = "Stochastic gradient descent (UDL 6.2, eq. 6.10) on the Gabor model"
    defaults = dict(alpha=0.8, batch_size=5, seed=0, epochs=8, shuffle=True, start=(3.5, 6.5))
    _presets = {"gabor": {}, "linear": dict(alpha=0.05, batch_size=2, start=(1.6, -0.5))}
    _layout_keys = ("epochs",)

    def __init__(self, problem="gabor", xlim=None, ylim=None, **params):
        name, self.problem, self.xlim, self.ylim, start = _resolve_problem(
            problem, xlim, ylim, params.get("start"))
        self.problem_name = name
        if int(getattr(self.problem, "n", 0) or 0) < 1:
            raise ValueError("SGD draws minibatches from the data, so the problem needs data "
                             f"points (n >= 1); {type(self.problem).__name__} has n="
                             f"{getattr(self.problem, 'n', None)}.")
        self.title = ("Stochastic gradient descent (UDL 6.2, eq. 6.10) on "
                      + _problem_title(name, self.problem))
        if name is None:
            batch = int(params.get("batch_size", min(5, self.problem.n)))
            preset = dict(alpha=_stable_alpha(self.problem, batch), batch_size=batch,
                          start=start)
        else:
            preset = self._presets[name]
        super().__init__(**{**preset, **params})

    def _build(self):
        import ipywidgets as W

        ax, axl = self.fig.subplots(1, 2)
        self.ax, self.ax_loss = ax, axl
        surf = self._surface(ax, self.problem, self.xlim, self.ylim)
        self.path = self._path_artists(ax)
        Z = surf["grid"][2]
        (self.curve,) = axl.plot([], [], "-", color=style.COLORS["trajectory"], lw=1.2)
        self._animate(self.curve)
        axl.set_yscale("log")
        zmax = float(np.nanmax(Z))
        axl.set_ylim(0.5 * max(float(np.nanmin(Z)), 1e-9 * zmax, 1e-300), 2 * zmax)
        axl.set_xlabel("epoch")
        axl.set_ylabel("full loss $L[\\phi]$")
        self._animate(axl.xaxis, slow=["epochs"])   # its limits follow the number of epochs
        self._relayout()
        self.fig.tight_layout()
        lo, hi = (-3, 0.5) if self.problem_name else _log_range(self.params["alpha"])
        self.controls["alpha"] = self._slider("log", "α (6.10)", self.params["alpha"], lo, hi,
                                              0.05, readout_format=".3g")
        self.controls["batch_size"] = self._slider("int", "batch size |B| (6.10)",
                                                   self.params["batch_size"], 1, self.problem.n, 1)
        self.controls["seed"] = self._slider("int", "seed", self.params["seed"], 0, 50, 1)
        self.controls["epochs"] = self._slider("int", "epochs", self.params["epochs"], 1,
                                               self.MAX_EPOCHS, 1, continuous=False)
        self.controls["shuffle"] = W.Checkbox(value=self.params["shuffle"],
                                              description="reshuffle every epoch")
        self.fig.canvas.mpl_connect("button_press_event", self._on_click)

    _on_click = GDExplorer._on_click

    MAX_EPOCHS = 40

    def _relayout(self):
        self.ax_loss.set_xlim(0, self.params["epochs"])

    def _compute(self, alpha, batch_size, seed, epochs, shuffle, start):
        # epochs E of batches B are E * ceil(n/B) steps (eq. 6.10): a shorter run is a prefix
        nb = -(-self.problem.n // int(batch_size))
        opt, phi0 = GradientDescent(alpha=alpha), np.asarray(start, float)
        settings = dict(alpha=alpha, batch_size=batch_size, seed=seed, shuffle=shuffle,
                        start=start)
        return self._run(settings, int(epochs) * nb, lambda n: minimize(
            self.problem, opt, phi0, steps=n, batch_size=int(batch_size), seed=int(seed),
            shuffle=bool(shuffle), label=f"SGD α={alpha:.3g}, |B|={batch_size}"),
            most=self.MAX_EPOCHS * nb)

    def _draw(self, traj):
        self._set_path(self.path, traj)
        nb = -(-self.problem.n // int(self.params["batch_size"]))
        self.curve.set_data(np.arange(len(traj.loss)) / nb, traj.loss)
        self._warn = traj.diverged
        return self._run_text(traj)


# ------------------------------------------------------------------------------------------------
class MomentumExplorer(Explorer):
    """Momentum (UDL eq. 6.11) and Nesterov momentum (eq. 6.12) side by side on the Gabor
    model with the same minibatches (defaults of fig. 6.7: α 0.6, β 0.6, batch 5, 81 steps
    from (-1.5, 6.5))."""

    title = "Momentum (eq. 6.11) vs Nesterov momentum (eq. 6.12), same minibatches"
    defaults = dict(alpha=0.6, beta=0.6, steps=81, batch_size=5, seed=1, start=(-1.5, 6.5))
    def _build(self):
        self.problem = _problem("gabor")
        axes = self.fig.subplots(1, 2, sharey=True)
        self.axes = axes
        xlim, ylim = figures.RANGES["gabor"]
        grid = P.loss_grid(self.problem, xlim, ylim)
        self.paths = []
        for ax, name in zip(axes, ("Momentum", "Nesterov"), strict=False):
            P.plot_loss_surface(self.problem, grid=grid, ax=ax)
            self.paths.append(self._path_artists(ax, color="w"))
            ax.set_title(name + (" (6.11)" if name == "Momentum" else " (6.12)"),
                         fontsize=style.FONT_SIZE)
        axes[1].set_ylabel("")
        _side_by_side(self.fig)
        self.controls["alpha"] = self._slider("log", "α (6.11)", self.params["alpha"], -3, 0.5,
                                              0.05, readout_format=".3g")
        self.controls["beta"] = self._slider("float", "β (6.11)", self.params["beta"], 0.0, 0.99,
                                             0.01)
        self.controls["steps"] = self._slider("int", "steps T", self.params["steps"], 1,
                                              self.MAX_STEPS, 1, continuous=False)

    def _compute(self, alpha, beta, steps, batch_size, seed, start):
        phi0 = np.asarray(start, float)
        settings = dict(alpha=alpha, beta=beta, batch_size=batch_size, seed=seed, start=start)
        out = []
        for cls in (Momentum, Nesterov):
            opt = cls(alpha=alpha, beta=beta)
            out.append(self._run(dict(settings, method=cls.__name__), steps, lambda n, o=opt:
                                 minimize(self.problem, o, phi0, steps=n, batch_size=batch_size,
                                          seed=int(seed))))
        return tuple(out)

    def _draw(self, result):
        for arts, tr in zip(self.paths, result, strict=False):
            self._set_path(arts, tr)
        self._warn = any(t.diverged for t in result)
        return "   |   ".join(self._run_text(t) for t in result)


# ------------------------------------------------------------------------------------------------
class AdamExplorer(Explorer):
    """GD, normalized GD (eqs. 6.13-6.14) and Adam (6.15-6.17) on the loss of fig. 6.9, from
    (-0.7, -0.9): learning rates, β, γ, ε and Adam's bias correction (6.16) on or off.
    Panels a-c: the three paths (as fig. 6.9a, c, d); d: their losses against the step."""

    title = "GD vs normalized GD vs Adam on the loss of fig. 6.9"
    defaults = dict(alpha_gd=0.08, steps_gd=200, alpha_norm=0.08, alpha_adam=0.05, beta=0.9,
                    gamma=0.99, epsilon=1e-8, bias_correction=True, steps=60,
                    start=(-0.7, -0.9))
    figsize = "widget2x2"
    _layout_keys = ("steps", "steps_gd")
    NAMES = ("GD (6.3)", "normalized GD (6.13-6.14)", "Adam (6.15-6.17)")

    def _build(self):
        import ipywidgets as W

        self.problem = figures.adam_problem()
        grid_axes = self.fig.subplots(2, 2)
        axes = [grid_axes[0, 0], grid_axes[0, 1], grid_axes[1, 0]]
        self.axes, self.ax_loss = axes, grid_axes[1, 1]
        xlim, ylim = figures.RANGES["adam"]
        grid = P.loss_grid(self.problem, xlim, ylim)
        self.paths, self.curves = [], []
        for k, (ax, name) in enumerate(zip(axes, self.NAMES, strict=True)):
            P.plot_loss_surface(self.problem, grid=grid, ax=ax, scale="linear")
            ax.plot(0.7, 0.0, "+", color="c", ms=10, mew=2)
            self.paths.append(self._path_artists(ax))
            ax.set_title(f"{'abc'[k]}) {name}", loc="left", fontsize=style.FONT_SIZE)
            short = name.split(" (")[0]
            (curve,) = self.ax_loss.plot([], [], color=style.color_for(short, k), label=short)
            self.curves.append(self._animate(curve))
        axes[0].set_xlabel("")               # a) sits above c): one phi0 label per column
        axes[1].set_ylabel("")               # b) sits beside a): one phi1 label per row
        axl = self.ax_loss
        axl.set_yscale("log")
        axl.set_ylim(1e-8, 3.0)
        axl.set_xlabel("step t")
        axl.set_ylabel("loss $L[\\phi]$")
        axl.set_title("d) loss", loc="left", fontsize=style.FONT_SIZE)
        axl.legend(loc="lower left")
        self._animate(axl.xaxis, slow=["steps", "steps_gd"])   # limits follow the steps
        self._relayout()
        self.fig.tight_layout()
        s = self._slider
        self.controls["alpha_gd"] = s("log", "α GD (6.3)", self.params["alpha_gd"], -3, 0.5, 0.05,
                                      readout_format=".3g")
        self.controls["alpha_norm"] = s("log", "α normalized (6.14)", self.params["alpha_norm"],
                                        -3, 0, 0.05, readout_format=".3g")
        self.controls["alpha_adam"] = s("log", "α Adam (6.17)", self.params["alpha_adam"], -3, 0,
                                        0.05, readout_format=".3g")
        self.controls["beta"] = s("float", "β (6.15)", self.params["beta"], 0.0, 0.99, 0.01)
        self.controls["gamma"] = s("float", "γ (6.15)", self.params["gamma"], 0.0, 0.999, 0.001)
        self.controls["epsilon"] = s("log", "ε (6.17)", self.params["epsilon"], -10, 0, 0.5,
                                     readout_format=".1e")
        self.controls["bias_correction"] = W.Checkbox(value=self.params["bias_correction"],
                                                      description="bias correction (6.16)")
        self.controls["steps"] = s("int", "steps T", self.params["steps"], 1, self.MAX_STEPS, 1,
                                   continuous=False)

    def _relayout(self):
        self.ax_loss.set_xlim(0, max(int(self.params["steps"]), int(self.params["steps_gd"])))

    def _compute(self, alpha_gd, steps_gd, alpha_norm, alpha_adam, beta, gamma, epsilon,
                 bias_correction, steps, start):
        phi0 = np.asarray(start, float)
        runs = (
            (dict(alpha=alpha_gd), steps_gd, GradientDescent(alpha=alpha_gd), "GD"),
            (dict(alpha=alpha_norm, epsilon=epsilon), steps,
             NormalizedGD(alpha=alpha_norm, epsilon=epsilon), "normalized GD"),
            (dict(alpha=alpha_adam, beta=beta, gamma=gamma, epsilon=epsilon,
                  bias_correction=bool(bias_correction)), steps,
             Adam(alpha=alpha_adam, beta=beta, gamma=gamma, epsilon=epsilon,
                  bias_correction=bool(bias_correction)), "Adam"),
        )
        return tuple(
            self._run(dict(settings, method=label, start=start), n, lambda m, o=opt, lab=label:
                      minimize(self.problem, o, phi0, steps=m, label=lab))
            for settings, n, opt, label in runs)

    def _draw(self, result):
        for arts, curve, tr in zip(self.paths, self.curves, result, strict=True):
            self._set_path(arts, tr)
            curve.set_data(np.arange(len(tr.loss)), np.maximum(tr.loss, 1e-300))
        self._warn = any(t.diverged for t in result)
        return "   |   ".join(
            t.message if t.diverged else f"{t.label}: final loss {t.loss[-1]:.3g}" for t in result)


# ------------------------------------------------------------------------------------------------
def _ellipses(lams, levels, n: int = 121):
    """Level sets of ``L = (lam1 phi0^2 + lam2 phi1^2) / 2``: for each level ``c`` the ellipse
    ``phi0 = sqrt(2c/lam1) cos t``, ``phi1 = sqrt(2c/lam2) sin t`` (closed form: no grid, no
    contouring), as a list of ``(n, 2)`` arrays."""
    t = np.linspace(0.0, 2.0 * np.pi, n)
    l1, l2 = (max(float(v), 1e-12) for v in lams)
    return [np.column_stack([np.sqrt(2 * c / l1) * np.cos(t), np.sqrt(2 * c / l2) * np.sin(t)])
            for c in np.asarray(levels, float)]


def _region_labels(code, x, y, min_pixels: int = 20, rounds: int = 8):
    """Where to name each regime on the phase map (Distill's captioned regions): a pixel well
    inside the region (the mask eroded up to ``rounds`` times), near its centre; regions too
    thin for a legible label get none. ``code`` is indexed ``[y, x]``. Returns a list of
    ``(name, x, y, ha, va, color)``."""
    out = []
    for k, name in enumerate(rates.REGIMES):
        mask = code == k
        done = 0
        while done < rounds:             # keep pixels well inside the region (erosion)
            inner = mask.copy()
            inner[1:] &= mask[:-1]
            inner[:-1] &= mask[1:]
            inner[:, 1:] &= mask[:, :-1]
            inner[:, :-1] &= mask[:, 1:]
            if inner.sum() < min_pixels:
                break
            mask, done = inner, done + 1
        if done < rounds // 2:           # a thin sliver: no room for a legible label
            continue
        if name == "divergence" and code[0, -1] == 3:
            out.append((name, x[-1] - 0.1, y[0] + 0.05, "right", "bottom", "k"))
            continue
        i, j = np.nonzero(mask)
        ci, cj = np.median(i), np.median(j)
        m = np.argmin((i - ci) ** 2 + (j - cj) ** 2)     # a pixel inside, near the centre
        out.append((name, x[j[m]], y[i[m]], "center", "center",
                    "k" if name == "divergence" else "w"))
    return out


class PhaseMapExplorer(Explorer):
    """The momentum phase map (after Distill's "Why momentum really works"): for the quadratic
    ``L = (lambda1 phi0^2 + lambda2 phi1^2)/2`` the convergence rate of UDL eq. 6.11 (spectral
    radius of its 2x2 iteration matrix, :mod:`steplab.rates`) over (α, β). Click the map (or
    move the α, β sliders) to run momentum there: the path and the loss curve appear beside
    the map, with the regime named; the fastest (α, β) is marked with a star."""

    title = "Momentum phase map: convergence rate of eq. 6.11 on a quadratic — click the map"
    defaults = dict(lam1=0.2, lam2=2.0, alpha=0.5, beta=0.5, steps=60, start=(1.0, 1.0))
    _layout_keys = ("lam1", "lam2", "steps")
    figsize = "widget3"
    LOG_ALPHA = (-3.0, 2.0)
    BETA = (0.0, 0.99)
    GRID = (150, 200)  # (beta rows, alpha columns)
    BOX = (-1.6, 1.6)  # the path panel shows phi0, phi1 in BOX

    def _build(self):
        from matplotlib.collections import LineCollection

        axm, axp, axl = self.fig.subplots(1, 3, gridspec_kw=dict(width_ratios=[1.25, 1, 1]))
        self.ax_map, self.ax_path, self.ax_loss = axm, axp, axl
        self._maps = _LRU(32)
        la = np.linspace(*self.LOG_ALPHA, self.GRID[1])
        self.alphas, self.betas = 10.0 ** la, np.linspace(*self.BETA, self.GRID[0])
        ext = (*self.LOG_ALPHA, *self.BETA)
        cmap = __import__("matplotlib").colormaps[style.PHASE_CMAP].with_extremes(over="#d9d9d9")
        self.image = axm.imshow(np.zeros(self.GRID), origin="lower", extent=ext, aspect="auto",
                                cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
        self.fig.colorbar(self.image, ax=axm, label="rate ρ (grey: diverges)", extend="max")
        axm.set_xlabel("log$_{10}$ α (6.11)")
        axm.set_ylabel("β (6.11)")
        # the map and what lies on it change with the curvatures: all animated (blitted)
        self.regime_lines = LineCollection([], colors="w", linewidths=0.7, alpha=0.8)
        axm.add_collection(self.regime_lines)
        self.regime_labels = [axm.text(0, 0, name, ha="center", va="center", visible=False,
                                       fontsize=style.FONT_SIZE - 1) for name in rates.REGIMES]
        (self.opt_mark,) = axm.plot([], [], "*", ms=14, color="gold", mec="k")
        (self.sel_mark,) = axm.plot([], [], "o", ms=9, mfc="none", mec="r", mew=2)
        self._animate(self.image, self.regime_lines, *self.regime_labels, self.opt_mark,
                      *axm.spines.values(), slow=["lam1", "lam2"])
        self._animate(self.sel_mark)
        self.contours = LineCollection([], colors="0.6", linewidths=0.6)
        axp.add_collection(self.contours)
        self._animate(self.contours, slow=["lam1", "lam2"])
        self.path = self._path_artists(axp, color=style.COLORS["trajectory"])
        self.regime_text = axp.text(0.03, 0.95, "", transform=axp.transAxes, va="top",
                                    fontsize=style.FONT_SIZE, bbox=dict(fc="w", alpha=0.8, lw=0))
        self._animate(self.regime_text)
        axp.set_xlim(*self.BOX)
        axp.set_ylim(*self.BOX)
        axp.set_xlabel("$\\phi_0$")
        axp.set_ylabel("$\\phi_1$")
        (self.curve,) = axl.plot([], [], "-", color=style.COLORS["trajectory"], label="loss")
        (self.theory,) = axl.plot([], [], "--", color="k", lw=1, label="ρ$^{2t}$ · L$_0$")
        self._animate(self.curve, self.theory)
        self._animate(axl.xaxis, slow=["steps"])
        axl.set_yscale("log")
        axl.set_ylim(1e-12, 1e3)
        axl.set_xlabel("step t")
        axl.set_ylabel("loss")
        axl.legend(loc="lower left")
        self._relayout()
        self.fig.tight_layout()
        s = self._slider
        self.controls["lam1"] = s("log", "λ₁ curvature", self.params["lam1"], -2, 1, 0.05,
                                  continuous=False, readout_format=".3g")
        self.controls["lam2"] = s("log", "λ₂ curvature", self.params["lam2"], -2, 1, 0.05,
                                  continuous=False, readout_format=".3g")
        self.controls["alpha"] = s("log", "α (6.11)", self.params["alpha"], *self.LOG_ALPHA,
                                   0.02, readout_format=".3g")
        self.controls["beta"] = s("float", "β (6.11)", self.params["beta"], *self.BETA, 0.01)
        self.controls["steps"] = s("int", "steps T", self.params["steps"], 5, self.MAX_STEPS, 1,
                                   continuous=False)
        self.fig.canvas.mpl_connect("button_press_event", self._on_click)

    def landscape(self, lam1, lam2) -> dict:
        """Pure and cached: what the curvatures fix. ``rate`` and ``code`` over the map's grid
        (:func:`steplab.rates.phase_map`), the regime ``boundaries`` (line segments in
        (log10 alpha, beta)), the ``labels`` (regime name and position), the ``optimum``
        (:func:`steplab.rates.optimal_momentum`) and the ``contours`` of the quadratic."""
        lams = (float(lam1), float(lam2))
        return self._maps.get(lams, lambda: self._landscape(lams))

    def _landscape(self, lams):
        import contourpy

        rate, code = rates.phase_map(lams, self.alphas, self.betas)
        la = np.log10(self.alphas)
        gen = contourpy.contour_generator(la, self.betas, code.astype(float),
                                          line_type="Separate")
        boundaries = [seg for level in (0.5, 1.5, 2.5) for seg in gen.lines(level)]
        zmax = 0.5 * (lams[0] + lams[1]) * max(abs(b) for b in self.BOX) ** 2
        return dict(rate=rate, code=code, boundaries=boundaries,
                    labels=_region_labels(code, la, self.betas),
                    optimum=rates.optimal_momentum(min(lams), max(lams)),
                    contours=_ellipses(lams, np.geomspace(1e-3, zmax, 12)))

    def _relayout(self):
        """The parts that depend on the curvatures or on the number of steps (all animated)."""
        land = self.landscape(self.params["lam1"], self.params["lam2"])
        self.image.set_data(land["rate"])
        self.regime_lines.set_segments(land["boundaries"])
        for text in self.regime_labels:
            text.set_visible(False)
        for name, x, y, ha, va, color in land["labels"]:
            text = self.regime_labels[rates.REGIMES.index(name)]
            text.set(position=(x, y), ha=ha, va=va, color=color, visible=True)
        self.optimum = opt = land["optimum"]
        self.opt_mark.set_data([np.log10(opt["alpha"])], [opt["beta"]])
        self.contours.set_segments(land["contours"])
        self.ax_loss.set_xlim(0, self.params["steps"])

    def _on_click(self, event):
        tb = getattr(self.fig.canvas, "toolbar", None)
        if event.inaxes is self.ax_map and event.button == 1 and not getattr(tb, "mode", ""):
            beta = float(np.clip(event.ydata, *self.BETA))
            self.update(alpha=float(10.0 ** event.xdata), beta=beta)

    def _compute(self, lam1, lam2, alpha, beta, steps, start):
        lams = (float(lam1), float(lam2))
        q, opt, phi0 = Quadratic(np.diag(lams)), Momentum(alpha=alpha, beta=beta), \
            np.asarray(start, float)
        traj = self._run(dict(lams=lams, alpha=alpha, beta=beta, start=start), steps,
                         lambda n: minimize(q, opt, phi0, steps=n, label="momentum"))
        rho = float(rates.convergence_rate(alpha, beta, lams))
        each = [(lam, rates.regime(alpha, beta, [lam]),
                 float(rates.spectral_radius(alpha, beta, lam))) for lam in lams]
        return dict(traj=traj, rate=rho, regime=rates.regime(alpha, beta, lams), each=each)

    def _draw(self, res):
        traj, rho = res["traj"], res["rate"]
        self._set_path(self.path, traj)
        self.sel_mark.set_data([np.log10(self.params["alpha"])], [self.params["beta"]])
        t = np.arange(len(traj.loss))
        self.curve.set_data(t, np.maximum(traj.loss, 1e-300))
        tt = np.arange(int(self.params["steps"]) + 1)
        with np.errstate(over="ignore", under="ignore"):
            self.theory.set_data(tt, traj.loss[0] * rho ** (2.0 * tt))
        self.regime_text.set_text(f"{res['regime']}, ρ = {rho:.3f}")
        opt = self.optimum
        self._warn = traj.diverged
        per = ", ".join(f"λ={lam:.3g}: {name} (ρ={r:.3f})" for lam, name, r in res["each"])
        msg = (f"α = {self.params['alpha']:.3g}, β = {self.params['beta']:.2f}: "
               f"{res['regime']}, set by the slowest direction (rate ρ = {rho:.3f} per step; "
               f"{per}). Fastest: α* = {opt['alpha']:.3g}, "
               f"β* = {opt['beta']:.3f}, ρ* = {opt['rate']:.3f} (plain GD at best: "
               f"{opt['gd_rate']:.3f}).")
        if traj.diverged:
            msg = "divergence: " + traj.message
        return msg


# ------------------------------------------------------------------------------------------------
def _default_optimizers():
    return {"GD α=0.05 (6.3)": GradientDescent(alpha=0.05),
            "Momentum α=0.1 β=0.9 (6.11)": Momentum(alpha=0.1, beta=0.9),
            "Nesterov α=0.1 β=0.9 (6.12)": Nesterov(alpha=0.1, beta=0.9),
            "Adam α=0.1 (6.15-6.17)": Adam(alpha=0.1, beta=0.9, gamma=0.99)}


class CompareExplorer(Explorer):
    """Any two optimizers on the same problem (``"gabor"``, ``"linear"`` or a 2-parameter
    problem object, as for :class:`SGDExplorer`), side by side, including a student's own: pass
    ``optimizers={"name": opt, ...}`` where ``opt`` is an optimizer object (``init``/``step``)
    or a plain function ``step(phi, grad) -> phi``. When one of them raises or diverges, its
    panel keeps its last good path and the status line says what happened; the other keeps
    updating.

    >>> def my_step(phi, grad):            # doctest: +SKIP
    ...     return phi - 0.05 * grad
    >>> CompareExplorer(optimizers={"mine": my_step, "GD": GradientDescent(0.05)}).widget
    """

    title = "Compare two optimizers — click a surface to choose the start"
    defaults = dict(a=None, b=None, steps=60, start=(-1.5, 8.5))
    _presets = {"linear": dict(start=(1.6, -0.5)), "gabor": dict(start=(-1.5, 8.5))}

    def __init__(self, problem="gabor", optimizers=None, xlim=None, ylim=None, **params):
        pname, self.problem, self.xlim, self.ylim, start = _resolve_problem(
            problem, xlim, ylim, params.get("start"))
        self.problem_name = pname
        opts = dict(optimizers) if optimizers else _default_optimizers()
        if len(opts) < 1:
            raise ValueError("pass at least one optimizer in optimizers={'name': opt}.")
        self.optimizers = {}
        for name, o in opts.items():
            self.optimizers[str(name)] = as_optimizer(o, label=str(name))
        names = list(self.optimizers)
        first = dict(a=names[0], b=names[1] if len(names) > 1 else names[0])
        self._last_good = [None, None]
        preset = self._presets[pname] if pname else dict(start=start)
        super().__init__(**{**preset, **first, **params})

    def _build(self):
        import ipywidgets as W

        axes = self.fig.subplots(1, 2, sharey=True)
        self.axes = axes
        grid = P.loss_grid(self.problem, self.xlim, self.ylim)
        self.paths = []
        for ax, col in zip(axes, ("w", "c"), strict=False):
            P.plot_loss_surface(self.problem, grid=grid, ax=ax)
            self.paths.append(self._path_artists(ax, color=col))
        self.titles = [ax.text(0.02, 0.98, "", transform=ax.transAxes, va="top", color="w",
                               fontsize=style.FONT_SIZE - 1) for ax in axes]
        self._animate(*self.titles)
        axes[1].set_ylabel("")
        _side_by_side(self.fig)
        names = list(self.optimizers)
        self.controls["a"] = W.Dropdown(options=names, value=self.params["a"], description="left")
        self.controls["b"] = W.Dropdown(options=names, value=self.params["b"], description="right")
        self.controls["steps"] = self._slider("int", "steps T", self.params["steps"], 1,
                                              self.MAX_STEPS, 1, continuous=False)
        self.fig.canvas.mpl_connect("button_press_event", self._on_click)

    def _on_click(self, event):
        tb = getattr(self.fig.canvas, "toolbar", None)
        if event.inaxes in tuple(self.axes) and event.button == 1 and not getattr(tb, "mode", ""):
            self.update(start=(float(event.xdata), float(event.ydata)))

    def _run_one(self, name, steps, start):
        if name not in self.optimizers:
            raise ValueError(f"no optimizer named {name!r}; choose one of {list(self.optimizers)}.")
        opt, phi0 = self.optimizers[name], np.asarray(start, float)
        return self._run(dict(name=name, start=start), steps, lambda n: minimize(
            self.problem, opt, phi0, steps=n, label=name))

    def _compute(self, a, b, steps, start):
        out = []
        for name in (a, b):  # each run separately: one student's error must not hide the other
            try:
                out.append(self._run_one(name, steps, start))
            except Exception as exc:  # noqa: BLE001 - learner code may raise anything
                out.append(exc)
        return tuple(out)

    def _draw(self, result):
        msgs = []
        warn = False
        chosen = (self.params["a"], self.params["b"])
        for k, (res, name) in enumerate(zip(result, chosen, strict=True)):
            side = ("left", "right")[k]
            if isinstance(res, BaseException):
                warn = True
                msgs.append(f"{side} ({name}) raised {format_error(res)} "
                            "— showing its last good path")
                self.titles[k].set_text(f"{name}: error")
                continue
            self._set_path(self.paths[k], res)
            self._last_good[k] = res
            self.titles[k].set_text(name)
            if res.diverged:
                warn = True
                msgs.append(f"{side} ({name}) {res.message}")
            else:
                msgs.append(f"{side}: final loss {res.loss[-1]:.4g}")
        self._warn = warn
        return "   |   ".join(msgs)
