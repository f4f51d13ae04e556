"""Momentum explorers: momentum vs Nesterov and the phase map of convergence rates (UDL 6.3)."""

from __future__ import annotations

import numpy as np

from .. import figures, rates, style
from .. import plots as P
from ..optimizers import Momentum, Nesterov
from ..problems import Quadratic
from ..train import minimize
from ._base import (
    _LRU,
    Explorer,
    _problem,
)
from ._blit import _side_by_side


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
