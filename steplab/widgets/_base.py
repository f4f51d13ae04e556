"""The explorers' common parts: the base class, run caches, problem helpers."""

from __future__ import annotations

import dataclasses
import html
from collections import OrderedDict
from contextlib import contextmanager

import numpy as np

from .. import data, figures, style
from .. import plots as P
from ..problems import GaborRegression, LinearRegression
from ._blit import _Blitter


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
