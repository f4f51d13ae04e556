"""GD, normalized GD and Adam side by side (UDL 6.4, fig. 6.9)."""

from __future__ import annotations

import numpy as np

from .. import figures, style
from .. import plots as P
from ..optimizers import Adam, GradientDescent, NormalizedGD
from ..train import minimize
from ._base import (
    Explorer,
)


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
