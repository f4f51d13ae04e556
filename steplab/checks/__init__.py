"""Friendly checks of a learner's code against a reference, for notebooks and nbgrader tests.

Each ``check_*`` function runs the learner's function and a reference at a few seeded
points and returns a :class:`CheckResult` (``ok`` and a ``message`` written for the learner:
which component, at which point, expected vs got, and a hint for the usual mistakes). Each
``assert_*`` twin raises ``AssertionError`` with the same message (for nbgrader tests)::

    from steplab import checks
    checks.check_gradient(my_grad, [0.6, -0.2], reference=problem)   # grad(phi) or grad(phi, x, y)
    checks.assert_step(gd_step, sl.GradientDescent(alpha=0.1))        # gd_step(phi, grad, alpha)
    # momentum_step(phi, m, grad, alpha, beta) -> (phi, m)
    checks.assert_step(momentum_step, sl.Momentum(alpha=0.1, beta=0.9))
    checks.assert_optimizer(MyAdam(), sl.Adam(alpha=0.05), steps=20)
    checks.assert_function(my_hessian, reference_hessian, inputs=[(phi,) for phi in points])
    checks.assert_close(n_entries, 10**12, what="number of Hessian entries")

How a learner's step function is called
---------------------------------------
The arguments are matched by *name*, in the book's notation (UDL chapter 6):

- ``phi`` the parameters; ``grad`` (or ``g``, ``gradient``) the gradient at ``phi``;
  ``grad_fn`` a function ``phi -> gradient`` (for Nesterov, which needs the gradient
  elsewhere);
- state such as ``m``, ``v``, ``r`` (the fields of the reference optimizer's state); ``t`` the
  number of the step being taken, counting from 1;
- hyperparameters ``alpha``, ``beta``, ``gamma``, ``epsilon`` (also ``lr``, ``eps``).

The function returns the new ``phi``, or a tuple ``(phi, m, ...)``: the new ``phi`` then the
new state in the order the state appears among its arguments (``outputs=`` overrides).
Anything else can be adapted with ``call=``. Student code that raises, returns ``None``, the
wrong shape or NaN, changes its input in place, or runs longer than ``time_limit`` seconds is
reported, never crashes the check. Messages never show the reference's source code.
"""

from ._common import HINTS, CheckResult, time_limit
from .functions import (
    assert_close,
    assert_function,
    assert_gradient,
    check_close,
    check_function,
    check_gradient,
)
from .steps import assert_optimizer, assert_step, check_optimizer, check_step

__all__ = [
    "CheckResult", "HINTS", "check_gradient", "check_step", "check_optimizer", "check_function",
    "check_close", "assert_gradient", "assert_step", "assert_optimizer", "assert_function",
    "assert_close", "time_limit",
]
