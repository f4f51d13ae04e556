"""Live explorers for UDL chapter 6, built on ipywidgets + matplotlib (ipympl in JupyterLab).

Every explorer is a class with the same parts (docs/design.md, "Run, then plot"):

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

from ._base import Explorer, _prefix, format_error  # noqa: F401
from .adam import AdamExplorer
from .compare import CompareExplorer
from .descent import GDExplorer, SGDExplorer
from .momentum import MomentumExplorer, PhaseMapExplorer

__all__ = [
    "Explorer", "GDExplorer", "SGDExplorer", "MomentumExplorer", "AdamExplorer",
    "PhaseMapExplorer", "CompareExplorer", "format_error",
]
