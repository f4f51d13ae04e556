"""steplab: a small numpy engine for *Understanding Deep Learning*, chapter 6 (Training models).

One import gives the problems, data, optimizers and training loop::

    import steplab as sl
    problem = sl.LinearRegression(*sl.data.linear_regression())
    traj = sl.minimize(problem, sl.GradientDescent(alpha=0.01), [1.6, -0.5], steps=20)

Plots (``steplab.plots``) and widgets (``steplab.widgets``) import matplotlib and ipywidgets,
so they are loaded only when asked for; ``import steplab`` stays fast.
"""

import importlib

from . import data
from .optimizers import *  # noqa: F401,F403
from .optimizers import __all__ as _opt_all
from .problems import *  # noqa: F401,F403
from .problems import __all__ as _prob_all
from .train import *  # noqa: F401,F403
from .train import __all__ as _train_all

__version__ = "0.1.0"
__all__ = ["data", "schedules", "checks", "curvature", "linesearch",  # noqa: F405 (lazy)
           *_prob_all, *_opt_all, *_train_all]

#: submodules loaded on first use (``sl.checks``, ``sl.plots`` ...), so ``import steplab``
#: stays fast and never pulls in matplotlib or ipywidgets
_LAZY = {"checks", "curvature", "linesearch", "schedules", "plots", "figures", "widgets",
         "rates", "style", "init", "challenges"}


def __getattr__(name):
    if name in _LAZY:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'steplab' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _LAZY)
