"""The one place that sets the look of every steplab plot and widget.

Colours, colormap, font sizes, figure sizes and marker styles live here and nowhere else, so
the book's figures (``steplab.figures``), the plot helpers (``steplab.plots``) and the live
explorers (``steplab.widgets``) share one look. The book draws loss surfaces as heat maps in
which brightness encodes the loss (UDL fig. 6.1c caption); we follow it with a perceptually
uniform colormap whose *dark* end is low loss, plus thin contour lines.

Nothing here changes matplotlib's global state on import. Use :func:`rc` as a context
manager (or call :func:`apply` once in a notebook) to get the fonts and sizes::

    from steplab import style
    with style.rc():
        fig, ax = plt.subplots(figsize=style.FIGSIZE["single"])
"""

from __future__ import annotations

__all__ = [
    "CMAP", "PHASE_CMAP", "COLORS", "OPTIMIZER_COLORS", "FIGSIZE", "FONT_SIZE", "DPI",
    "N_LEVELS", "GRID_N", "RC", "MAX_WIDTH", "rc", "apply", "figure", "subplots",
    "color_for", "iterate_colors",
]

#: colormap for loss surfaces: dark = low loss, bright = high loss (UDL fig. 6.1c)
CMAP = "magma"
#: colormap for the momentum phase map (convergence rate): bright = fast, dark = slow
PHASE_CMAP = "viridis_r"
#: number of contour lines drawn over a loss surface
N_LEVELS = 20
#: default grid resolution (points per axis) for a loss surface
GRID_N = 121
#: resolution of saved figures and of the in-kernel canvas
DPI = 100
FONT_SIZE = 10

#: semantic colours, used consistently across figures
COLORS = {
    "data": "#1f1f1f",         # training points
    "model": "#d95f02",        # fitted model
    "trajectory": "#2b8cbe",   # a single optimizer's path
    "start": "#f0f0f0",        # starting point
    "minimum": "#9e9e9e",      # the global minimum (grey circle, fig. 6.4)
    "local_minimum": "#00bcd4",  # local minima (cyan circles, fig. 6.4)
    "saddle": "#1f4fff",       # saddle point (blue cross, fig. 6.4)
    "bracket": "#bdbdbd",      # line-search interval (grey shading, fig. 6.10)
    "current": "#ff8c00",      # current point a (orange, fig. 6.10)
    "interior": "#3182bd",     # interior points b and c (fig. 6.10)
    "error": "#b00020",        # error text in widgets
    "eigen": ("#e41a1c", "#4daf4a"),  # Hessian eigen-directions (small, large curvature)
}

#: one colour per optimizer, so that "Adam" looks the same in every figure and widget
OPTIMIZER_COLORS = {
    "GradientDescent": "#2b8cbe",
    "SGD": "#2b8cbe",
    "Momentum": "#e6550d",
    "Nesterov": "#31a354",
    "NormalizedGD": "#756bb1",
    "Adam": "#e7298a",
    "HeavyBall": "#a6761d",
    "AdaGrad": "#66a61e",
    "RMSProp": "#1b9e77",
    "student": "#17becf",
}
_FALLBACK = ("#2b8cbe", "#e6550d", "#31a354", "#756bb1", "#e7298a", "#a6761d", "#17becf")

#: widest figure, in inches: at :data:`DPI` its canvas (900 px) fits JupyterLab's output area
#: on a 1366 x 768 laptop screen in the default layout (file browser open: about 930 px)
MAX_WIDTH = 9.0

#: figure sizes in inches (width, height); none is wider than :data:`MAX_WIDTH`, so four
#: panels wrap into a 2 x 2 grid instead of a row
FIGSIZE = {
    "single": (4.2, 3.6),
    "pair": (8.4, 3.6),
    "row3": (9.0, 3.1),
    "grid2x2": (8.4, 6.4),
    "widget": (8.4, 3.4),
    "widget3": (9.0, 3.3),
    "widget2x2": (8.4, 6.0),
}

#: rcParams used inside :func:`rc` / :func:`apply`
RC = {
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "font.size": FONT_SIZE,
    "axes.titlesize": FONT_SIZE + 1,
    "axes.labelsize": FONT_SIZE,
    "xtick.labelsize": FONT_SIZE - 1,
    "ytick.labelsize": FONT_SIZE - 1,
    "legend.fontsize": FONT_SIZE - 1,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "image.cmap": CMAP,
    "lines.linewidth": 1.5,
    "lines.markersize": 4.5,
    "figure.constrained_layout.use": False,
}


def rc():
    """Context manager applying :data:`RC` (fonts, sizes, colormap) temporarily.

    Used by every figure in ``steplab.figures`` so that importing steplab never changes a
    notebook's own matplotlib settings.
    """
    import matplotlib as mpl

    return mpl.rc_context(RC)


def apply() -> None:
    """Apply :data:`RC` to matplotlib globally (call once at the top of a lesson notebook)."""
    import matplotlib as mpl

    mpl.rcParams.update(RC)


def figure(size="single", embedded: bool = False):
    """A new matplotlib figure of ``FIGSIZE[size]`` (or a ``(width, height)`` in inches), made
    with :data:`RC`; the one place steplab creates figures.

    In JupyterLab with ipympl (``%matplotlib widget``) the canvas gets no title bar (ipympl's
    "Figure 13" header, which counts up on every re-run) and no footer; the toolbar appears
    on hover, at the left. ``embedded=True`` (the explorers) keeps pyplot from showing the
    figure by itself: the explorer puts its canvas inside its own widget.
    """
    import contextlib

    import matplotlib.pyplot as plt

    w, h = FIGSIZE[size] if isinstance(size, str) else size
    if w > MAX_WIDTH:
        raise ValueError(f"a figure {w} inches wide does not fit a laptop screen; use at most "
                         f"{MAX_WIDTH} inches (wrap the panels into rows instead).")
    with rc(), (plt.ioff() if embedded else contextlib.nullcontext()):
        fig = plt.figure(figsize=(w, h))
    canvas = fig.canvas
    for attr, value in (("header_visible", False), ("footer_visible", False),
                        ("toolbar_position", "left")):
        if hasattr(canvas, attr):            # ipympl's Canvas; Agg has none of them
            setattr(canvas, attr, value)
    return fig


def subplots(nrows: int = 1, ncols: int = 1, size="single", **kw):
    """``plt.subplots`` for lessons: a :func:`figure` (fits a laptop, no ipympl header) with
    ``nrows x ncols`` axes; ``kw`` goes to ``Figure.subplots`` (``sharey=True``, ...).
    Returns ``(fig, axes)``.

    >>> fig, axes = style.subplots(1, 3, size="row3")     # doctest: +SKIP
    """
    fig = figure(size)
    with rc():
        axes = fig.subplots(nrows, ncols, **kw)
    return fig, axes


def color_for(name: str, i: int = 0) -> str:
    """Colour of an optimizer by its class name or label; unknown names cycle a fixed palette."""
    if name in OPTIMIZER_COLORS:
        return OPTIMIZER_COLORS[name]
    for key, col in OPTIMIZER_COLORS.items():
        if name.lower().startswith(key.lower()):
            return col
    return _FALLBACK[i % len(_FALLBACK)]


def iterate_colors(n: int, cmap: str = "Blues", lo: float = 0.3, hi: float = 1.0):
    """``n`` colours from light to dark: the book draws early iterates light and late ones dark
    (UDL fig. 6.1d: "the lightest line is point 0, the darkest point 4")."""
    import matplotlib as mpl
    import numpy as np

    if n < 1:
        raise ValueError(f"n must be >= 1; got {n}.")
    return mpl.colormaps[cmap](np.linspace(lo, hi, n))

