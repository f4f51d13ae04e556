"""The figures of UDL chapter 6, reproduced from the engine and the book's data.

``fig_6_1()`` ... ``fig_6_11()`` each return ``(fig, info)``: the matplotlib figure and a dict
with the data it draws (trajectories, grids, points), so tests and lessons can check the
numbers rather than the pixels. Settings (ranges, starting points, step counts, learning
rates) follow the book's captions and the book's companion notebooks; where the book gives
none, the choice is stated in the docstring.

Figure 6.11 (problem 6.6) is not reproduced from the book: :func:`fig_6_11` draws three 1-D loss
functions of our own with seven labelled points, and ``info["answers"]`` holds the key.
"""

from __future__ import annotations

import itertools

import numpy as np

from . import data, style
from . import plots as P
from .optimizers import Adam, GradientDescent, Momentum, NormalizedGD
from .problems import Function, GaborRegression, LinearRegression
from .train import minimize

__all__ = [
    "fig_6_1", "fig_6_2", "fig_6_3", "fig_6_4", "fig_6_5", "fig_6_6", "fig_6_7", "fig_6_8",
    "fig_6_9", "fig_6_10", "fig_6_11", "adam_problem", "critical_points", "RANGES", "FIG_6_11",
]

#: plotted parameter ranges ``(phi0 range, phi1 range)`` per problem
RANGES = {
    # companion notebook of section 6.1: intercept 0..2, slope -1..1
    "linear": ((0.0, 2.0), (-1.0, 1.0)),
    # the companion notebooks: phi0 in [-10, 10], phi1 in [2.5, 22.5]
    "gabor": ((-10.0, 10.0), (2.5, 22.5)),
    # fig. 6.9: start (-0.7, -0.9), minimum (0.7, 0)
    "adam": ((-1.5, 1.5), (-1.0, 1.0)),
}


def _figure(n_cols, size="pair", n_rows=1, projections=None):
    fig = style.figure(size)
    with style.rc():
        axes = []
        for k in range(n_rows * n_cols):
            proj = projections[k] if projections else None
            axes.append(fig.add_subplot(n_rows, n_cols, k + 1, projection=proj))
    return fig, axes


def _panel(ax, letter, title=""):
    ax.set_title(f"{letter}) {title}".strip(), loc="left")


def _linear():
    return LinearRegression(*data.linear_regression())


def _gabor():
    return GaborRegression(*data.gabor())


def adam_problem() -> Function:
    """The loss of UDL fig. 6.9: ``L = 1 - exp(-0.5*4*phi1^2) * exp(-0.5*(phi0-0.7)^2/4)``.

    Steep in ``phi1`` (curvature 4 at the minimum), shallow in ``phi0`` (curvature 1/4),
    minimum 0 at ``(0.7, 0)``. Vectorized loss and analytic gradient.
    """
    def loss(phi):
        phi = np.asarray(phi, dtype=float)
        return 1.0 - np.exp(-2.0 * phi[..., 1] ** 2) * np.exp(-0.125 * (phi[..., 0] - 0.7) ** 2)

    def grad(phi):
        phi = np.asarray(phi, dtype=float)
        e = np.exp(-2.0 * phi[..., 1] ** 2) * np.exp(-0.125 * (phi[..., 0] - 0.7) ** 2)
        return np.stack([0.25 * (phi[..., 0] - 0.7) * e, 4.0 * phi[..., 1] * e], axis=-1)

    return Function(loss, grad, P=2, name="fig. 6.9 loss")


def critical_points(problem, box, n_starts: int = 200, seed: int = 0):
    """Critical points (gradient zero) of ``problem`` inside ``box = ((lo0, hi0), (lo1, hi1))``
    as dicts, for fig. 6.4: a thin wrapper of :func:`steplab.curvature.find_critical_points`
    (seeded multi-start from ``n_starts`` points, Newton/Levenberg-Marquardt on the gradient),
    each classified by the Hessian's eigenvalues (UDL ch. 6 notes, eq. 6.19): ``"minimum"``,
    ``"maximum"``, ``"saddle"`` or ``"degenerate"``.

    Returns a list of ``dict(phi, loss, kind, eigenvalues)`` sorted by loss.
    """
    from .curvature import find_critical_points

    return [dict(phi=c.phi, loss=c.loss, kind=c.kind, eigenvalues=c.eigenvalues)
            for c in find_critical_points(problem, box, n_starts=n_starts, seed=seed)]


# --------------------------------------------------------------------------------------------
def fig_6_1(start=(1.6, -0.5), steps: int = 10, n_fits: int = 5):
    """UDL fig. 6.1: gradient descent with line search on linear regression.

    a) the 12 data points; b) the loss (eq. 6.5) as a 3-D surface with the iterates;
    c) the same as a heat map with numbered iterates 0, 1, 2, ...; d) the model for iterates
    0 .. ``n_fits-1`` (light = early, dark = late). Start (1.6, -0.5), 10 steps of
    ``steplab.linesearch.gd_with_line_search`` (the companion notebook's run);
    the caption's four steps are the fits shown in d).

    ``info``: ``trajectory``, ``grid`` (X, Y, Z), ``levels``, ``fits`` (the phis drawn in d).
    """
    from .linesearch import gd_with_line_search

    problem = _linear()
    traj = gd_with_line_search(problem, np.asarray(start, float), steps)
    xlim, ylim = RANGES["linear"]
    fig, axes = _figure(2, "grid2x2", n_rows=2, projections=[None, "3d", None, None])
    with style.rc():
        _panel(axes[0], "a", "training data")
        P.plot_data(problem.x, problem.y, axes[0])
        axes[0].set_xlim(0, 2)
        axes[0].set_ylim(0, 2)
        axes[0].set_xlabel("input $x$")
        axes[0].set_ylabel("output $y$")
        grid = P.loss_grid(problem, xlim, ylim)
        _panel(axes[1], "b", "loss surface")
        P.plot_surface_3d(problem, grid=P.loss_grid(problem, xlim, ylim, n=41), ax=axes[1])
        P.plot_trajectory_3d(problem, traj, axes[1], color="w", lift=1.0)
        axes[1].set_zlabel("")
        _panel(axes[2], "c", "heat map")
        surf = P.plot_loss_surface(problem, grid=grid, ax=axes[2])
        P.plot_trajectory(traj, axes[2], color="w", numbers=n_fits)
        _panel(axes[3], "d", "model fits")
        fits = traj.phi[:n_fits]
        P.plot_model_fit(problem, fits, axes[3], x_range=(0, 2))
        axes[3].set_ylim(0, 2)
        fig.tight_layout()
    return fig, dict(trajectory=traj, grid=grid, levels=surf["levels"], fits=fits,
                     xlim=xlim, ylim=ylim)


#: fig. 6.2: three parameter settings of the Gabor model, (phi0, phi1)
GABOR_EXAMPLES = ((0.0, 16.6), (3.0, 16.6), (0.0, 30.0))


def fig_6_2(phis=GABOR_EXAMPLES, x_range=(-15.0, 15.0)):
    """UDL fig. 6.2: the Gabor model (eq. 6.8) for three parameter settings. Larger ``phi0``
    moves the wave to the left; larger ``phi1`` squeezes it. ``info``: ``phis``, ``x``, ``y``
    (model outputs, one row per panel)."""
    problem = _gabor()
    fig, axes = _figure(3, "row3")
    xs = np.linspace(*x_range, 400)
    ys = problem.predict(np.asarray(phis, float), xs)
    with style.rc():
        for k, (ax, phi) in enumerate(zip(axes, phis, strict=False)):
            ax.plot(xs, ys[k], color=style.COLORS["model"])
            _panel(ax, "abc"[k], f"$\\phi$ = [{phi[0]:g}, {phi[1]:g}]")
            ax.set_xlim(*x_range)
            ax.set_ylim(-1.1, 1.1)
            ax.set_xlabel("input $x$")
            ax.set_ylabel("output $y$")
        fig.tight_layout()
    return fig, dict(phis=np.asarray(phis, float), x=xs, y=ys)


def fig_6_3(true_phi=(0.0, 16.6), x_range=(-15.0, 15.0)):
    """UDL fig. 6.3: the Gabor training data (30 pairs in the companion notebook; the caption says 28),
    generated from ``phi = [0.0, 16.6]`` plus noise; we draw that model dashed.
    ``info``: ``x``, ``y`` (data), ``true_phi``, ``xlim``."""
    problem = _gabor()
    fig, axes = _figure(1, "single")
    ax = axes[0]
    with style.rc():
        out = P.plot_model_fit(problem, np.asarray(true_phi, float), ax, x_range=x_range,
                               linestyle="--")
        ax.set_ylim(-1.2, 1.2)
        ax.set_title("Gabor training data")
        fig.tight_layout()
    return fig, dict(x=problem.x, y=problem.y, true_phi=np.asarray(true_phi, float),
                     xlim=x_range, fit=out["fits"][0])


def fig_6_4(n_models: int = 5):
    """UDL fig. 6.4: the Gabor loss (eq. 6.9) over phi0 in [-10, 10], phi1 in [2.5, 22.5],
    with the global minimum (grey circle, loss 0.646; caption 0.64), local minima (cyan
    circles) and a saddle point (blue cross) found by
    :func:`steplab.curvature.find_critical_points` (200 seeded starts); b-f) the model
    at ``n_models`` minima (the global one among them).

    The saddle chosen is the lowest-loss one whose falling direction is closest to horizontal
    (as the caption says: moving horizontally lowers the loss, vertically raises it).
    ``info``: ``grid``, ``levels``, ``global_minimum``, ``local_minima``, ``saddle``,
    ``critical_points``, ``models`` (phis of panels b-f).
    """
    problem = _gabor()
    xlim, ylim = RANGES["gabor"]
    crit = critical_points(problem, (xlim, ylim))
    minima = [c for c in crit if c["kind"] == "minimum"]
    glob, local = minima[0], minima[1:]
    saddles = [c for c in crit if c["kind"] == "saddle"]

    def horizontalness(c):
        w, V = np.linalg.eigh(problem.hessian(c["phi"]))
        return abs(V[0, 0])  # eigenvector of the negative eigenvalue, phi0 component

    good = [s for s in saddles if horizontalness(s) > 0.9] or saddles
    saddle = min(good, key=lambda c: c["loss"])
    others = local[: n_models - 1]
    models = others[:1] + [glob] + others[1:]   # the caption puts the global minimum in (c)
    fig = style.figure((style.MAX_WIDTH, 4.6))
    with style.rc():
        gs = fig.add_gridspec(2, 4, width_ratios=[1.7, 1, 1, 1])
        ax = fig.add_subplot(gs[:, 0])
        grid = P.loss_grid(problem, xlim, ylim)
        surf = P.plot_loss_surface(problem, grid=grid, ax=ax)
        ax.plot(*glob["phi"], "o", ms=11, mfc=style.COLORS["minimum"], mec="k")
        lp = np.array([c["phi"] for c in local]).reshape(-1, 2)
        ax.plot(lp[:, 0], lp[:, 1], "o", ms=9, mfc=style.COLORS["local_minimum"], mec="k")
        ax.plot(*saddle["phi"], "x", ms=11, mew=3, color=style.COLORS["saddle"])
        _panel(ax, "a", "Gabor loss")
        slots = [(0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3)]
        for k, c in enumerate(models):
            axm = fig.add_subplot(gs[slots[k]])
            col = style.COLORS["minimum"] if c is glob else style.COLORS["local_minimum"]
            P.plot_model_fit(problem, c["phi"], axm, x_range=(-15, 15), colors=[col])
            axm.set_ylim(-1.2, 1.2)
            _panel(axm, "bcdefg"[k], f"L = {c['loss']:.2f}")
            axm.set_xlabel("")
            axm.set_xticks([-10, 0, 10])
            if slots[k][1] > 1:                  # one y scale per row, labelled once
                axm.set_ylabel("")
                axm.tick_params(labelleft=False)
            ax.annotate("bcdefg"[k], c["phi"], xytext=(6, 4), textcoords="offset points",
                        color="w")
        fig.tight_layout()
    return fig, dict(grid=grid, levels=surf["levels"], global_minimum=glob, local_minima=local,
                     saddle=saddle, critical_points=crit, models=[c["phi"] for c in models],
                     xlim=xlim, ylim=ylim)


#: fig. 6.5 starting points 1, 2, 3 (1 and 2 from the companion notebooks)
GABOR_STARTS = ((-1.5, 8.5), (3.5, 6.5), (2.5, 20.0))


def fig_6_5(starts=GABOR_STARTS, ls_steps: int = 21, sgd_alpha: float = 0.8,
            sgd_steps: int = 41, batch_size: int = 5, seed: int = 39, max_step: float = 0.5):
    """UDL fig. 6.5: a) gradient descent with line search from three starts (21 steps,
    companion notebooks; steps searched in ``[0, max_step]`` gradients, 0.5 keeps every run
    inside the plotted range): start 2 ends in a local minimum; b) SGD (alpha 0.8, batch 5,
    41 steps, companion notebooks) from the same starts; the noise lets start 2 escape to the global
    valley.
    ``seed=39`` is the shuffling seed we chose so that all three SGD runs end near the
    global minimum, as in the book's drawing; other seeds show other outcomes.
    ``info``: ``gd`` and ``sgd`` (lists of Trajectory), ``grid``, ``levels``.
    """
    from .linesearch import gd_with_line_search

    problem = _gabor()
    xlim, ylim = RANGES["gabor"]
    gd = [gd_with_line_search(problem, np.asarray(s, float), ls_steps, max_step=max_step)
          for s in starts]
    sgd = [minimize(problem, GradientDescent(alpha=sgd_alpha), s, steps=sgd_steps,
                    batch_size=batch_size, seed=seed) for s in starts]
    fig, axes = _figure(2, "pair")
    grid = P.loss_grid(problem, xlim, ylim)
    with style.rc():
        for ax, runs, letter, title in ((axes[0], gd, "a", "GD with line search"),
                                        (axes[1], sgd, "b", f"SGD, batch {batch_size}")):
            surf = P.plot_loss_surface(problem, grid=grid, ax=ax)
            for k, tr in enumerate(runs):
                P.plot_trajectory(tr, ax, color="w", markersize=2.5)
                ax.annotate(str(k + 1), tr.phi[0], xytext=(-10, -12), textcoords="offset points",
                            color="w", fontweight="bold")
            _panel(ax, letter, title)
        fig.tight_layout()
    return fig, dict(gd=gd, sgd=sgd, grid=grid, levels=surf["levels"], xlim=xlim, ylim=ylim)


def fig_6_6(phi=(-1.5, 6.5), alpha: float = 0.8, batch_size: int = 3, window=(3.5, 3.0)):
    """UDL fig. 6.6: SGD on the Gabor model with batches of three, at one point ``phi``.

    a) the full loss: every possible batch of three gives a different step; all
    ``C(30, 3) = 4060`` step ends are drawn (one vectorized sum of per-point gradients).
    b, c) the loss of two particular batches, each with its step: b) the longest step that
    lowers the full loss, c) the longest that raises it; d) step c on the full loss: *uphill*.
    Our choices (the book gives none): ``phi = (-1.5, 6.5)``, ``alpha = 0.8``; the panels
    show ``phi +- window`` so that the steps are visible.
    ``info``: ``phi``, ``ends`` (4060 x 2), ``batches`` (two index arrays), ``steps``
    (the two step ends), ``full_loss`` (before, after b, after c).
    """
    problem = _gabor()
    x, y = problem.x, problem.y
    phi = np.asarray(phi, float)
    per_point = np.stack([problem.grad(phi, [i]) for i in range(problem.n)])      # (n, 2)
    combos = np.array(list(itertools.combinations(range(problem.n), batch_size)))
    ends = phi - alpha * per_point[combos].sum(axis=1)                               # (C, 2)
    full_after = problem.loss(ends)
    base = problem.loss(phi)
    down = np.flatnonzero(full_after < base)
    up = np.flatnonzero(full_after > base)
    if up.size == 0 or down.size == 0:
        raise ValueError("at this phi no batch goes uphill (or none downhill); pick another phi.")
    length = np.linalg.norm(ends - phi, axis=1)
    pick = [int(down[np.argmax(length[down])]), int(up[np.argmax(length[up])])]
    batches = [combos[k] for k in pick]
    steps = [ends[k] for k in pick]
    xlim, ylim = (phi[0] - window[0], phi[0] + window[0]), (phi[1] - window[1], phi[1] + window[1])
    fig, axes = _figure(2, "grid2x2", n_rows=2)
    grid = P.loss_grid(problem, xlim, ylim)
    with style.rc():
        ax = axes[0]
        P.plot_loss_surface(problem, grid=grid, ax=ax)
        ax.plot(ends[:, 0], ends[:, 1], ".", ms=1.5, color="c", alpha=0.5)
        ax.plot(*phi, "o", color="w", mec="k")
        _panel(ax, "a", "full loss, all batch steps")
        for k, (ax, idx, end) in enumerate(zip(axes[1:3], batches, steps, strict=False)):
            sub = GaborRegression(x[idx], y[idx])
            P.plot_loss_surface(sub, xlim, ylim, ax=ax)
            ax.annotate("", end, phi, arrowprops=dict(arrowstyle="->", color="w", lw=2))
            _panel(ax, "bc"[k], "batch {" + ", ".join(str(int(i)) for i in idx) + "}")
        ax = axes[3]
        P.plot_loss_surface(problem, grid=grid, ax=ax)
        ax.annotate("", steps[1], phi, arrowprops=dict(arrowstyle="->", color="w", lw=2))
        _panel(ax, "d", "step c on the full loss")
        fig.tight_layout()
    return fig, dict(phi=phi, ends=ends, batches=batches, steps=steps,
                     full_loss=(base, float(full_after[pick[0]]), float(full_after[pick[1]])),
                     grid=grid, xlim=xlim, ylim=ylim)


def fig_6_7(start=(-1.5, 6.5), alpha: float = 0.6, beta: float = 0.6, batch_size: int = 5,
            steps: int = 81, seed: int = 1):
    """UDL fig. 6.7: a) SGD and b) SGD with momentum (eq. 6.11) on the Gabor model,
    alpha 0.6, beta 0.6, batch 5, 81 steps from (-1.5, 6.5) (companion notebooks). Both use the
    same minibatch sequence (``seed=1``, our choice). ``info``: ``sgd``, ``momentum``."""
    problem = _gabor()
    kw = dict(steps=steps, batch_size=batch_size, seed=seed)
    sgd = minimize(problem, GradientDescent(alpha=alpha), start, **kw)
    mom = minimize(problem, Momentum(alpha=alpha, beta=beta), start, **kw)
    xlim, ylim = RANGES["gabor"]
    fig, axes = _figure(2, "pair")
    grid = P.loss_grid(problem, xlim, ylim)
    with style.rc():
        for ax, tr, letter, title in ((axes[0], sgd, "a", "SGD"),
                                      (axes[1], mom, "b", f"SGD + momentum, $\\beta$={beta:g}")):
            P.plot_loss_surface(problem, grid=grid, ax=ax)
            P.plot_trajectory(tr, ax, color="w", markersize=2.5)
            _panel(ax, letter, title)
        fig.tight_layout()
    return fig, dict(sgd=sgd, momentum=mom, grid=grid, xlim=xlim, ylim=ylim)


def fig_6_8(start=(-1.5, 6.5), alpha: float = 0.6, beta: float = 0.6, t: int = 3):
    """UDL fig. 6.8: one momentum step versus one Nesterov step (eq. 6.12, errata form),
    with real gradients of the Gabor loss. Full-batch momentum from (-1.5, 6.5) (alpha 0.6,
    beta 0.6) for ``t`` steps gives point 1 and its momentum ``m`` (the dashed path).

    Momentum: gradient at 1 -> point 2 = 1 - alpha(1-beta)g(1); add the momentum part
    -alpha*beta*m -> point 3. Nesterov: momentum part first -> point 4 = 1 - alpha*beta*m;
    gradient there -> point 5 = 4 - alpha(1-beta)g(4). So point 3 is exactly
    ``Momentum.step`` and point 5 exactly ``Nesterov.step`` from the same state.
    ``info``: ``points`` {1..5}, ``path`` (iterates up to point 1), ``m``.
    """
    problem = _gabor()
    opt = Momentum(alpha=alpha, beta=beta)
    phi, state = np.asarray(start, float), opt.init(np.asarray(start, float))
    path = [phi]
    for _ in range(t):
        phi, state = opt.step(phi, state, problem.grad)
        path.append(phi)
    m = state.m
    p1 = phi
    p2 = p1 - alpha * (1 - beta) * problem.grad(p1)
    p3 = p2 - alpha * beta * m
    p4 = p1 - alpha * beta * m
    p5 = p4 - alpha * (1 - beta) * problem.grad(p4)
    pts = {1: p1, 2: p2, 3: p3, 4: p4, 5: p5}
    path = np.array(path)
    allp = np.vstack([path[-2:], *pts.values()])
    lo, hi = allp.min(0), allp.max(0)
    pad = 0.35 * (hi - lo).max()
    xlim, ylim = (lo[0] - pad, hi[0] + pad), (lo[1] - pad, hi[1] + pad)
    fig, axes = _figure(2, "pair")
    with style.rc():
        for ax, letter, title, seq in ((axes[0], "a", "momentum", (1, 2, 3)),
                                       (axes[1], "b", "Nesterov momentum", (1, 4, 5))):
            P.plot_loss_surface(problem, xlim, ylim, ax=ax, n=81)
            ax.plot(path[:, 0], path[:, 1], "--", color="w", lw=1.2)
            for a_, b_ in zip(seq[:-1], seq[1:], strict=False):
                ax.annotate("", pts[b_], pts[a_], arrowprops=dict(arrowstyle="->", color="w",
                                                                 lw=1.8))
            for k in seq:
                ax.plot(*pts[k], "o", color="w", mec="k")
                ax.annotate(str(k), pts[k], xytext=(5, 5), textcoords="offset points", color="w",
                            fontweight="bold")
            ax.set_xlim(*xlim)
            ax.set_ylim(*ylim)
            _panel(ax, letter, title)
        fig.tight_layout()
    return fig, dict(points=pts, path=path, m=m, state=state, xlim=xlim, ylim=ylim)


def fig_6_9(start=(-0.7, -0.9)):
    """UDL fig. 6.9 (Adam), settings of the companion notebooks, from (-0.7, -0.9) on
    :func:`adam_problem`: a) GD alpha 0.08, 200 steps (slow along phi0); b) GD alpha 1.0,
    40 steps (phi1 oscillates); c) normalized GD (eqs. 6.13-6.14) alpha 0.08, 40 steps
    (every component moves by alpha, bouncing near the minimum); d) Adam (6.15-6.18)
    alpha 0.05, beta 0.9, gamma 0.99, 60 steps.
    ``info``: ``runs`` (four Trajectory), ``grid``, ``levels``."""
    problem = adam_problem()
    runs = [
        minimize(problem, GradientDescent(alpha=0.08), start, steps=200, label="GD, alpha=0.08"),
        minimize(problem, GradientDescent(alpha=1.0), start, steps=40, label="GD, alpha=1.0"),
        minimize(problem, NormalizedGD(alpha=0.08), start, steps=40, label="normalized GD"),
        minimize(problem, Adam(alpha=0.05, beta=0.9, gamma=0.99), start, steps=60, label="Adam"),
    ]
    xlim, ylim = RANGES["adam"]
    fig, axes = _figure(2, "grid2x2", n_rows=2)
    grid = P.loss_grid(problem, xlim, ylim)
    with style.rc():
        for k, (ax, tr) in enumerate(zip(axes, runs, strict=False)):
            surf = P.plot_loss_surface(problem, grid=grid, ax=ax, scale="linear")
            P.plot_trajectory(tr, ax, color="w", markersize=2.5)
            ax.plot(0.7, 0.0, "+", color="c", ms=10, mew=2)
            _panel(ax, "abcd"[k], tr.label)
        fig.tight_layout()
    return fig, dict(runs=runs, grid=grid, levels=surf["levels"], xlim=xlim, ylim=ylim)


def _fig_6_10_panels(f, history, narrow: float = 0.02):
    """History indices for fig. 6.10 a-c, in the caption's order: a) a bracket with
    ``L[b] > L[c]`` (``[a, b]`` is dropped) whose successor b) has ``L[b] < L[c]`` (``[c, d]`` is
    dropped); c) the first later bracket narrower than ``narrow``."""
    def b_above_c(br):
        return float(f(np.array(br[1]))) > float(f(np.array(br[2])))

    for k in range(len(history) - 2):
        if b_above_c(history[k]) and not b_above_c(history[k + 1]):
            later = [j for j in range(k + 2, len(history))
                     if history[j][3] - history[j][0] < narrow]
            return (k, k + 1, later[0] if later else len(history) - 1)
    raise ValueError("the search history has no bracket with L[b] > L[c] followed by one with "
                     "L[b] < L[c]; pass panels=(i, j, k) explicitly.")


def fig_6_10(panels=None, zoom: float = 0.04):
    """UDL fig. 6.10: the bracketing line search on the test function of the chapter notes
    (``steplab.linesearch.line_search_function``, minimum at 0.3803), its four points at 0, 1/3,
    2/3 and 1 of [0, 1] (companion notebooks). The panels follow the caption, with brackets taken from
    the search's ``history`` (default: :func:`_fig_6_10_panels`): a) ``L[b] > L[c]``, so
    ``[a, b]`` is dropped (hatched); b) the next bracket, where ``L[b] < L[c]``, so ``[c, d]`` is
    dropped; c) a narrow bracket around the minimum, the x-axis zoomed to ``zoom`` either side
    of the minimum. The current point a is orange, b and c blue, d an open circle.
    ``info``: ``result``, ``brackets``, ``panels`` (history indices), ``f``, ``zoom_xlim``."""
    from .linesearch import bracket_search, line_search_function

    fn = line_search_function()

    def f(x):
        return fn.loss(np.asarray(x, float)[..., None])

    result = bracket_search(f, 0.0, 1.0)
    panels = tuple(panels) if panels is not None else _fig_6_10_panels(f, result.history)
    brackets = [result.history[k] for k in panels]
    zoom_xlim = (result.x - zoom, result.x + zoom)
    fig, axes = _figure(3, "row3")
    with style.rc():
        for k, (ax, br) in enumerate(zip(axes, brackets, strict=False)):
            a, b, c, d = br
            last = k == len(brackets) - 1
            xr = zoom_xlim if last else (0.0, 1.0)
            P.plot_bracket(f, br, ax, x_range=xr)
            ax.plot([d], [f(np.array(d))], "o", ms=8, mfc="w", mec="k", mew=1.5, zorder=6)
            fb, fc = float(f(np.array(b))), float(f(np.array(c)))
            if last:
                xs = np.linspace(*xr, 200)
                lo, hi = float(f(xs).min()), float(f(xs).max())
                ax.set_ylim(lo - 0.1 * (hi - lo), hi + 0.35 * (hi - lo))
                title = f"zoomed: width {d - a:.3f}"
            else:
                ax.set_ylim(0.28, 1.1)   # room for the point labels under the panel title
                drop = (a, b) if fb > fc else (c, d)
                ax.axvspan(*drop, fill=False, hatch="//", ec="0.35", lw=0)
                title = ("L[b] > L[c]: drop [a, b]" if fb > fc else
                         "L[b] < L[c]: drop [c, d]")
            _panel(ax, "abc"[k], title)
        fig.tight_layout()
    return fig, dict(result=result, brackets=brackets, panels=panels, f=f,
                     zoom_xlim=zoom_xlim)


# --------------------------------------------------------------------------------------------
def _f_convex(x):
    return 0.5 * (x - 0.3) ** 2 + 0.2


def _f_two_wells(x):
    return 0.25 * x ** 4 - 0.25 * x ** 3 - 1.0 * x ** 2 + 0.6 * x + 1.8


def _f_flat(x):
    return np.maximum(np.abs(x) - 0.8, 0.0) ** 2 + 0.3


#: fig. 6.11 (our own drawing for problem 6.6): three 1-D losses and seven labelled points
FIG_6_11 = {
    "functions": (("a", _f_convex, (-2.0, 2.5)), ("b", _f_two_wells, (-2.0, 2.6)),
                  ("c", _f_flat, (-2.0, 2.0))),
}


def _two_wells_stationary():
    # f'(x) = x^3 - 0.75 x^2 - 2 x + 0.6 = 0
    r = np.sort(np.roots([1.0, -0.75, -2.0, 0.6]).real)
    return r  # left minimum, local maximum, right minimum


def fig_6_11():
    """Our figure for UDL problem 6.6 (the book's fig. 6.11 is not reproduced here): three 1-D
    losses a) convex bowl, b) two wells (not convex), c) convex with a flat bottom, with seven
    labelled points. ``info["answers"]`` classifies each point as ``"global minimum"``,
    ``"local minimum"`` (local but not global) or ``"neither"``, and ``info["convex"]`` says
    which functions are convex. Point 6 sits on the flat bottom of c: every point there is a
    global (hence also local) minimum.
    ``info``: ``points`` {label: (panel, x)}, ``answers``, ``convex``."""
    left, peak, right = _two_wells_stationary()
    pts = {"a": {1: 0.3, 2: 1.6}, "b": {3: left, 4: peak, 5: right}, "c": {6: 0.0, 7: -1.5}}
    fns = {"a": _f_convex, "b": _f_two_wells, "c": _f_flat}
    glob_b = left if _f_two_wells(left) < _f_two_wells(right) else right
    answers = {1: "global minimum", 2: "neither", 4: "neither", 6: "global minimum",
               7: "neither"}
    answers[3] = "global minimum" if left == glob_b else "local minimum"
    answers[5] = "global minimum" if right == glob_b else "local minimum"
    fig, axes = _figure(3, "row3")
    with style.rc():
        for ax, (name, f, xr) in zip(axes, FIG_6_11["functions"], strict=False):
            P.plot_function_1d(f, xr, ax, points=pts[name])
            _panel(ax, name, "")
            ax.set_xlabel("$\\phi$")
            ax.set_ylabel("$L[\\phi]$")
        fig.tight_layout()
    points = {k: (name, float(xv)) for name, d in pts.items() for k, xv in d.items()}
    return fig, dict(points=points, answers=dict(sorted(answers.items())),
                     convex={"a": True, "b": False, "c": True}, functions=fns)
