"""steplab: a small numpy engine for *Understanding Deep Learning*, chapter 6 (Training models).

One import gives the problems, data, optimizers and training loop::

    import steplab as sl
    problem = sl.LinearRegression(*sl.data.linear_regression())
    traj = sl.minimize(problem, sl.GradientDescent(alpha=0.01), [1.6, -0.5], steps=20)

Plots (``steplab.plots``) and widgets (``steplab.widgets``) import matplotlib and ipywidgets,
so they are loaded only when asked for; ``import steplab`` stays fast.
"""

# checks, curvature and linesearch need numpy only (sl.checks.assert_step(...) etc.)
from . import checks, curvature, data, linesearch, schedules
from .optimizers import *  # noqa: F401,F403
from .optimizers import __all__ as _opt_all
from .problems import *  # noqa: F401,F403
from .problems import __all__ as _prob_all
from .train import *  # noqa: F401,F403
from .train import __all__ as _train_all

__version__ = "0.1.0"
__all__ = ["data", "schedules", "checks", "curvature", "linesearch",
           *_prob_all, *_opt_all, *_train_all]
