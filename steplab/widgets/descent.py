"""Gradient descent and SGD explorers (UDL 6.1-6.2)."""

from __future__ import annotations

import numpy as np

from .. import plots as P
from .. import style
from ..optimizers import GradientDescent
from ..train import minimize
from ._base import (
    Explorer,
    _log_range,
    _problem_title,
    _resolve_problem,
    _stable_alpha,
)


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
