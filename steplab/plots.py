"""Plot helpers for UDL chapter 6: loss surfaces, trajectories, loss curves, model fits,
line-search brackets and Hessian eigen-directions.

Conventions (DESIGN.md section 4):

- every ``plot_*`` function takes ``ax=None``; only when ``ax`` is ``None`` does it create a
  figure (:func:`steplab.style.figure`). It never calls ``plt.show()``;
- it returns the artists it created (a dict with named entries, so that widgets can later
  update them in place with ``set_data``);
- a loss surface is evaluated with *one* vectorized call ``problem.loss(grid)`` on an
  ``(n, n, P)`` array of parameters, never a Python loop over grid points;
- colours, colormap and sizes come from :mod:`steplab.style`.

Run first, plot afterwards: pass the :class:`steplab.Trajectory` from ``steplab.minimize``.
"""

from __future__ import annotations

import numpy as np

from . import style

__all__ = [
    "loss_grid", "surface_levels", "plot_loss_surface", "plot_surface_3d", "plot_trajectory",
    "plot_trajectory_3d", "plot_loss_curve", "plot_data", "plot_model_fit", "plot_bracket",
    "plot_function_1d", "plot_hessian_directions", "trajectory_points",
]


def _axes(ax, projection=None, figsize=None):
    """Return ``ax``, or a new figure's axes when ``ax`` is None (the one place figures appear)."""
    if ax is not None:
        return ax
    fig = style.figure(figsize or "single")
    return fig.add_subplot(projection=projection)


def _range(lim, name):
    try:
        lo, hi = (float(v) for v in lim)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high); got {lim!r}.") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"{name} must satisfy low < high with finite numbers; got {lim!r}.")
    return lo, hi


def loss_grid(problem, xlim, ylim, n: int = style.GRID_N, dims=(0, 1), at=None):
    """Evaluate ``problem.loss`` on an ``n x n`` grid of two parameters in ONE vectorized call.

    ``dims`` picks which two components of ``phi`` vary (the others stay at ``at``, default
    zeros). Returns ``(X, Y, Z)``, each ``(n, n)``: ``X`` the ``dims[0]`` values (columns),
    ``Y`` the ``dims[1]`` values (rows), ``Z`` the loss (UDL eq. 6.5 for linear regression,
    6.9 for the Gabor model); this is the surface of figs. 6.1b-c and 6.4a.
    """
    n = int(n)
    if n < 2:
        raise ValueError(f"n must be at least 2 grid points per axis; got {n}.")
    x0, x1 = _range(xlim, "xlim")
    y0, y1 = _range(ylim, "ylim")
    P = int(getattr(problem, "P", 0) or 2)
    i, j = dims
    if not (0 <= i < P and 0 <= j < P and i != j):
        raise ValueError(f"dims must name two different parameters in 0..{P - 1}; got {dims}.")
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    base = np.zeros(P) if at is None else np.asarray(at, dtype=float).reshape(P)
    grid = np.broadcast_to(base, (n, n, P)).copy()
    grid[..., i] = X
    grid[..., j] = Y
    Z = np.asarray(problem.loss(grid), dtype=float)
    return X, Y, Z


def surface_levels(Z, n_levels: int = style.N_LEVELS, scale: str = "log"):
    """Contour levels for a loss surface: ``n_levels`` values spaced evenly in the loss
    (``scale="linear"``) or in its logarithm (``"log"``, better for losses that span decades)."""
    Z = np.asarray(Z, dtype=float)
    finite = Z[np.isfinite(Z)]
    if finite.size == 0:
        raise ValueError("the loss surface has no finite values to draw.")
    lo, hi = float(finite.min()), float(finite.max())
    if hi <= lo:
        hi = lo + 1.0
    if scale == "log" and lo > 0:
        return np.geomspace(lo * 1.02, hi, int(n_levels))
    if scale not in ("log", "linear"):
        raise ValueError(f'scale must be "log" or "linear"; got {scale!r}.')
    return np.linspace(lo + (hi - lo) * 0.01, hi, int(n_levels))


def plot_loss_surface(problem=None, xlim=None, ylim=None, ax=None, *, grid=None,
                      n: int = style.GRID_N, levels=style.N_LEVELS, scale: str = "log",
                      heatmap: bool = True, lines: bool = True, dims=(0, 1), at=None,
                      labels=None, cmap: str = style.CMAP):
    """Loss surface as a heat map (brightness = loss, UDL fig. 6.1c) with contour lines.

    Give a problem with ``xlim``/``ylim`` (the surface is computed by :func:`loss_grid` in one
    vectorized call) or a precomputed ``grid=(X, Y, Z)``. ``levels`` is a number of contour
    lines or an explicit array. Returns ``dict(image=AxesImage|None, contours=QuadContourSet|None,
    grid=(X, Y, Z), levels=array)``.
    """
    if grid is None:
        if problem is None or xlim is None or ylim is None:
            raise ValueError("pass a problem with xlim and ylim, or grid=(X, Y, Z).")
        grid = loss_grid(problem, xlim, ylim, n=n, dims=dims, at=at)
    X, Y, Z = grid
    ax = _axes(ax)
    lev = surface_levels(Z, levels, scale) if np.ndim(levels) == 0 else np.asarray(levels, float)
    extent = (X[0, 0], X[0, -1], Y[0, 0], Y[-1, 0])
    image = contours = None
    if heatmap:
        shown = np.log(np.maximum(Z, 1e-300)) if (scale == "log" and np.nanmin(Z) > 0) else Z
        image = ax.imshow(shown, origin="lower", extent=extent, aspect="auto", cmap=cmap,
                          interpolation="bilinear")
    if lines:
        contours = ax.contour(X, Y, Z, levels=lev, colors="white" if heatmap else None,
                              linewidths=0.5, alpha=0.55 if heatmap else 1.0,
                              cmap=None if heatmap else cmap)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    names = labels or _param_labels(problem, dims)
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    return dict(image=image, contours=contours, grid=(X, Y, Z), levels=lev)


def _param_labels(problem, dims=(0, 1)):
    names = getattr(problem, "param_names", ()) or ()
    out = []
    for d in dims:
        nm = names[d] if d < len(names) else f"phi{d}"
        out.append("$\\" + nm.replace("phi", "phi_") + "$" if nm.startswith("phi") else nm)
    return out


def plot_surface_3d(problem=None, xlim=None, ylim=None, ax=None, *, grid=None, n: int = 61,
                    cmap: str = style.CMAP, dims=(0, 1), labels=None, alpha: float = 0.85):
    """The loss as a 3-D surface (UDL fig. 6.1b). ``ax`` must be a 3-D axes when given.
    Returns ``dict(surface=Poly3DCollection, grid=(X, Y, Z))``."""
    if grid is None:
        grid = loss_grid(problem, xlim, ylim, n=n, dims=dims)
    X, Y, Z = grid
    ax = _axes(ax, projection="3d")
    if getattr(ax, "name", "") != "3d":
        raise ValueError("plot_surface_3d needs a 3-D axes: fig.add_subplot(projection='3d').")
    surf = ax.plot_surface(X, Y, Z, cmap=cmap, linewidth=0, antialiased=False, alpha=alpha,
                           rcount=min(n, 60), ccount=min(n, 60))
    names = labels or _param_labels(problem, dims)
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_zlabel("loss $L$")
    return dict(surface=surf, grid=(X, Y, Z))


def trajectory_points(traj, dims=(0, 1)):
    """The ``(T+1, 2)`` array of iterates to draw, from a Trajectory or an array of iterates."""
    phi = getattr(traj, "phi", traj)
    phi = np.asarray(phi, dtype=float)
    if phi.ndim != 2:
        raise ValueError("expected a Trajectory or a (T+1, P) array of iterates; "
                         f"got shape {phi.shape}.")
    return phi[:, list(dims)]


def plot_trajectory(traj, ax=None, *, color=None, label=None, dims=(0, 1), numbers=False,
                    every: int = 1, marker: str = "o", markersize: float = 3.5,
                    linestyle: str = "-", start: bool = True, end: bool = True):
    """An optimizer's path over a loss surface: iterates joined in order (UDL figs. 6.1c, 6.5,
    6.7, 6.9). ``numbers=True`` labels iterates 0, 1, 2, ... as in fig. 6.1 (every ``every``-th);
    an integer ``numbers=k`` labels only the first ``k`` iterates.

    Returns ``dict(line=Line2D, start=Line2D|None, end=Line2D|None, labels=[Text])``;
    ``line.get_xydata()`` is exactly the iterates drawn.
    """
    pts = trajectory_points(traj, dims)
    ax = _axes(ax)
    if label is None:
        label = getattr(traj, "label", None) or None
    color = color or style.COLORS["trajectory"]
    (line,) = ax.plot(pts[:, 0], pts[:, 1], linestyle=linestyle, marker=marker,
                      markersize=markersize, color=color, label=label, lw=1.2)
    s = e = None
    if start:
        (s,) = ax.plot(pts[:1, 0], pts[:1, 1], "o", ms=7, mfc=style.COLORS["start"],
                       mec=color, mew=1.5, zorder=5)
    if end:
        (e,) = ax.plot(pts[-1:, 0], pts[-1:, 1], "*", ms=11, color=color, mec="k", mew=0.5,
                       zorder=5)
    texts = []
    if numbers:
        last = len(pts) if numbers is True else min(int(numbers), len(pts))
        for k in range(0, last, int(every)):
            texts.append(ax.annotate(str(k), pts[k], xytext=(4, 4), textcoords="offset points",
                                     color="white", fontsize=style.FONT_SIZE - 1, zorder=6))
    return dict(line=line, start=s, end=e, labels=texts)


def plot_trajectory_3d(problem, traj, ax, *, color=None, dims=(0, 1), lift: float = 0.0):
    """An optimizer's path drawn on a 3-D loss surface (UDL fig. 6.1b): ``z = loss(phi_t)``.
    Returns ``dict(line=Line3D)``."""
    pts = trajectory_points(traj, dims)
    z = np.asarray(getattr(traj, "loss", None) if hasattr(traj, "loss") else problem.loss(
        np.asarray(traj, dtype=float)), dtype=float) + lift
    (line,) = ax.plot(pts[:, 0], pts[:, 1], z, "o-", color=color or style.COLORS["trajectory"],
                      ms=3, zorder=10)
    return dict(line=line)


def plot_loss_curve(trajs, ax=None, *, log: bool = True, labels=None, colors=None,
                    x: str = "step"):
    """Loss against step (or epoch) for one or several trajectories. Returns a list of Line2D.

    ``x="epoch"`` puts ``traj.epoch`` on the horizontal axis (UDL 6.2: an epoch is a full pass).
    """
    if hasattr(trajs, "loss"):
        trajs = [trajs]
    trajs = list(trajs)
    if not trajs:
        raise ValueError("plot_loss_curve needs at least one trajectory.")
    if x not in ("step", "epoch"):
        raise ValueError(f'x must be "step" or "epoch"; got {x!r}.')
    ax = _axes(ax)
    lines = []
    for i, tr in enumerate(trajs):
        lab = labels[i] if labels else (tr.label or f"run {i}")
        col = colors[i] if colors else style.color_for(lab, i)
        xs = np.arange(len(tr.loss)) if x == "step" else tr.epoch
        (ln,) = ax.plot(xs, tr.loss, color=col, label=lab)
        lines.append(ln)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(x)
    ax.set_ylabel("loss $L[\\phi]$")
    return lines


def plot_data(x, y, ax=None, *, color=None, label="data", size: float = 18):
    """Training pairs ``{x_i, y_i}`` as dots (UDL figs. 6.1a, 6.3). Returns the PathCollection."""
    ax = _axes(ax)
    return ax.scatter(np.asarray(x), np.asarray(y), s=size, color=color or style.COLORS["data"],
                      zorder=4, label=label)


def plot_model_fit(problem, phis, ax=None, *, x_range=None, n: int = 200, colors=None,
                   data: bool = True, labels=None, linestyle="-"):
    """Model ``f[x, phi]`` for one or several parameter vectors over the data (UDL fig. 6.1d,
    6.2, 6.4b-f). Several ``phis`` are drawn light to dark (early to late iterates).

    Returns ``dict(data=PathCollection|None, fits=[Line2D], x=array)``; each fit's y-data is
    ``problem.predict(phi, x)``.
    """
    phis = np.atleast_2d(np.asarray(getattr(phis, "phi", phis), dtype=float))
    ax = _axes(ax)
    if x_range is None:
        lo, hi = float(problem.x.min()), float(problem.x.max())
        pad = 0.05 * (hi - lo or 1.0)
        x_range = (lo - pad, hi + pad)
    xs = np.linspace(*_range(x_range, "x_range"), int(n))
    ys = problem.predict(phis, xs)            # one vectorized call for all fits: (k, n)
    cols = colors if colors is not None else (
        [style.COLORS["model"]] if len(phis) == 1 else style.iterate_colors(len(phis), "Oranges"))
    fits = []
    for k in range(len(phis)):
        (ln,) = ax.plot(xs, ys[k], color=cols[k % len(cols)], linestyle=linestyle,
                        label=labels[k] if labels else None)
        fits.append(ln)
    dots = plot_data(problem.x, problem.y, ax) if data else None
    ax.set_xlim(xs[0], xs[-1])
    ax.set_xlabel("input $x$")
    ax.set_ylabel("output $y$")
    return dict(data=dots, fits=fits, x=xs)


def plot_function_1d(f, x_range, ax=None, *, n: int = 400, points=None, color="k",
                     label_offset=(0, 8)):
    """A 1-D loss ``f(x)`` (vectorized over x) with optional labelled points ``{label: x}``
    (UDL fig. 6.11, problem 6.6).

    Returns ``dict(line=Line2D, points=Line2D|None, labels=[Text])``."""
    ax = _axes(ax)
    xs = np.linspace(*_range(x_range, "x_range"), int(n))
    (line,) = ax.plot(xs, f(xs), color=color)
    dots, texts = None, []
    if points:
        px = np.array(list(points.values()), dtype=float)
        (dots,) = ax.plot(px, f(px), "o", color=style.COLORS["interior"], zorder=4)
        for lab, xv in points.items():
            texts.append(ax.annotate(str(lab), (xv, float(f(np.array(xv)))), xytext=label_offset,
                                     textcoords="offset points", ha="center"))
    ax.set_xlim(xs[0], xs[-1])
    return dict(line=line, points=dots, labels=texts)


def plot_bracket(f, bracket, ax=None, *, x_range=None, n: int = 300, curve: bool = True,
                 current=None):
    """One step of the bracketing line search (UDL fig. 6.10): the 1-D loss ``f`` (vectorized),
    the interval ``[a, d]`` shaded grey, the current point ``a`` (orange) and the interior
    points ``b, c`` (blue). ``bracket = (a, b, c, d)``.

    Returns ``dict(curve=Line2D|None, span=Polygon, points=Line2D, current=Line2D, labels=[Text])``.
    """
    try:
        a, b, c, d = (float(v) for v in bracket)
    except (TypeError, ValueError):
        raise ValueError(f"bracket must be four numbers (a, b, c, d); got {bracket!r}.") from None
    if not (a <= b <= c <= d):
        raise ValueError(f"bracket points must be ordered a <= b <= c <= d; got {bracket}.")
    ax = _axes(ax)
    lo, hi = x_range if x_range is not None else (a, d)
    line = None
    if curve:
        xs = np.linspace(lo, hi, int(n))
        (line,) = ax.plot(xs, f(xs), color="k", lw=1.5)
    span = ax.axvspan(a, d, color=style.COLORS["bracket"], alpha=0.45, lw=0)
    inner = np.array([b, c])
    (pts,) = ax.plot(inner, f(inner), "o", color=style.COLORS["interior"], ms=7, zorder=5)
    cur_x = a if current is None else float(current)
    (cur,) = ax.plot([cur_x], [f(np.array(cur_x))], "o", color=style.COLORS["current"], ms=8,
                     zorder=6)
    texts = [ax.annotate(name, (xv, float(f(np.array(xv)))), xytext=(0, 9),
                         textcoords="offset points", ha="center")
             for name, xv in zip("abcd", (a, b, c, d), strict=False)]
    ax.set_xlim(lo, hi)
    ax.set_xlabel("$\\phi$")
    ax.set_ylabel("$L[\\phi]$")
    return dict(curve=line, span=span, points=pts, current=cur, labels=texts)


def plot_hessian_directions(problem, phi, ax=None, *, scale: float = 1.0, dims=(0, 1)):
    """Eigen-directions of the Hessian (UDL eq. 6.19) at ``phi`` as two arrows, each scaled by
    ``scale / sqrt(curvature)`` so the arrows trace the contour ellipse of the local quadratic
    approximation (long arrow = flat direction). Colours: style.COLORS["eigen"].

    Returns ``dict(arrows=[FancyArrow, FancyArrow], eigenvalues=array, eigenvectors=array)``.
    """
    phi = np.asarray(phi, dtype=float)
    H = np.asarray(problem.hessian(phi), dtype=float)
    Hs = H[np.ix_(list(dims), list(dims))]
    w, V = np.linalg.eigh(0.5 * (Hs + Hs.T))
    ax = _axes(ax)
    arrows = []
    p = phi[list(dims)]
    for k in range(2):
        length = scale / np.sqrt(abs(w[k])) if w[k] != 0 else scale
        dx, dy = V[:, k] * length
        arrows.append(ax.annotate("", xy=(p[0] + dx, p[1] + dy), xytext=(p[0], p[1]),
                                  arrowprops=dict(arrowstyle="->", lw=2,
                                                  color=style.COLORS["eigen"][k])))
    return dict(arrows=arrows, eigenvalues=w, eigenvectors=V)
