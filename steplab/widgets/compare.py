"""Any two optimizers side by side, a student's own among them."""

from __future__ import annotations

import numpy as np

from .. import plots as P
from .. import style
from ..optimizers import Adam, GradientDescent, Momentum, Nesterov, as_optimizer
from ..train import minimize
from ._base import (
    Explorer,
    _resolve_problem,
    format_error,
)
from ._blit import _side_by_side


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
