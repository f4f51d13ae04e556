"""Line search (线搜索): how far to move along a direction (UDL ch. 6 notes, fig. 6.10).

Gradient descent with a fixed step moves a distance set by the size of the gradient alone.
A line search instead samples the loss along the chosen direction and picks a good step.

- :func:`bracket_search` -- the bracketing method (括号法) of UDL fig. 6.10: four points
  ``a < b < c < d``, keep the part of the interval around the lowest one, repeat;
- :func:`golden_section` -- the same idea with the interior points at the golden ratio, so one
  of them can be reused and each iteration costs one evaluation;
- :func:`backtracking` -- shrink a trial step until the Armijo (sufficient decrease) condition
  holds (Nocedal & Wright, alg. 3.1);
- :func:`exact_quadratic_step` -- the exact minimizer along a line of a quadratic loss;
- :func:`gd_with_line_search` -- gradient descent whose step is chosen by one of these
  (UDL fig. 6.1, which uses a line search at every iteration).

``line_search_function()`` gives the 1-D test function of the companion notebook.

Example
-------
>>> from steplab import linesearch as ls
>>> f = ls.line_search_function()
>>> round(ls.bracket_search(f, 0.0, 1.0).x, 4)
0.3803
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import _validate as V
from .problems import Function
from .train import Trajectory

__all__ = [
    "LineSearchResult", "LineSearchTrajectory", "line_search_function", "bracket_search",
    "golden_section", "backtracking", "exact_quadratic_step", "gd_with_line_search",
    "METHODS",
]

#: the methods :func:`gd_with_line_search` accepts
METHODS = ("bracket", "golden", "backtracking", "exact")

_INVPHI = (math.sqrt(5.0) - 1.0) / 2.0  # 1/golden ratio = 0.618...


@dataclass(frozen=True)
class LineSearchResult:
    """Result of a 1-D line search.

    ``x`` the chosen point (or step size), ``fx`` the loss there, ``history`` the sequence of
    brackets ``(a, b, c, d)`` (bracket and golden-section search; fig. 6.10) or of trial steps
    (backtracking), ``n_evals`` how many times the function was evaluated.
    """

    x: float
    fx: float
    history: list = field(repr=False)
    n_evals: int


def _line_loss(phi):
    # the companion notebook's test function; works on scalars and on (..., 1) arrays
    return (1.0 - 0.5 * np.exp(-((phi - 0.65) ** 2) / 0.1)
            - 0.45 * np.exp(-((phi - 0.35) ** 2) / 0.02))


def _line_grad(phi):
    return (0.5 * np.exp(-((phi - 0.65) ** 2) / 0.1) * 2 * (phi - 0.65) / 0.1
            + 0.45 * np.exp(-((phi - 0.35) ** 2) / 0.02) * 2 * (phi - 0.35) / 0.02)


def _line_hess(phi):
    u, w = phi - 0.65, phi - 0.35
    e1 = np.exp(-(u ** 2) / 0.1)
    e2 = np.exp(-(w ** 2) / 0.02)
    h = (0.5 * e1 * (2 / 0.1) * (1 - 2 * u ** 2 / 0.1)
         + 0.45 * e2 * (2 / 0.02) * (1 - 2 * w ** 2 / 0.02))
    return np.reshape(h, (1, 1))


def line_search_function() -> Function:
    """The 1-D test function of the line-search companion notebook (UDL fig. 6.10)::

        L(phi) = 1 - 0.5 exp(-(phi - 0.65)^2 / 0.1) - 0.45 exp(-(phi - 0.35)^2 / 0.02)

    On ``[0, 1]`` it has a single minimum at ``phi = 0.3803`` (loss 0.3286); the wide bump
    centred at 0.65 only makes a shoulder on the right. A :class:`steplab.Function` with
    ``P = 1`` and analytic gradient and Hessian; ``loss`` accepts ``(..., 1)`` arrays.
    """
    return Function(
        lambda p: _line_loss(np.asarray(p, dtype=float)[..., 0]),
        grad=lambda p: _line_grad(np.asarray(p, dtype=float)),
        hessian=lambda p: _line_hess(float(np.asarray(p, dtype=float).reshape(-1)[0])),
        P=1, name="line-search test function",
    )


def _scalar_fn(f):
    """Turn ``f`` (a 1-D function, or a problem with ``P = 1``) into ``float -> float``."""
    if hasattr(f, "loss"):
        if getattr(f, "P", 1) not in (0, 1):
            raise ValueError(f"a line search needs a function of one variable; {f!r} has "
                             f"P = {f.P}. Restrict it to a line first, e.g. "
                             "lambda s: problem.loss(phi + s * direction).")
        return lambda x: float(f.loss(np.array([x])))
    if not callable(f):
        raise ValueError("f must be a function of one number (or a problem with P = 1); "
                         f"got {f!r}.")
    return lambda x: float(np.asarray(f(x), dtype=float).reshape(-1)[0])


def _interval(a, d, tol):
    a = float(V.number(a, "a"))
    d = float(V.number(d, "d"))
    if not (math.isfinite(a) and math.isfinite(d)) or not a < d:
        raise ValueError(f"the search interval needs finite a < d; got a = {a}, d = {d}.")
    tol = V.rate(tol, "tol")
    return a, d, tol


def bracket_search(f, a: float = 0.0, d: float = 1.0, tol: float = 1e-4,
                   max_iter: int = 200) -> LineSearchResult:
    """Bracketing line search of UDL fig. 6.10 (the chapter notes' "bracketing approach").

    Start with four points ``a < b < c < d`` at 0, 1/3, 2/3 and 1 of ``[a, d]`` (as in the
    book's companion notebook). Each iteration keeps the part of the interval around the
    lowest of the four: if ``b`` or ``c`` is lowest, keep its two neighbours (if ``L[b] >
    L[c]`` the interval ``[a, b]`` is dropped, fig. 6.10a; if ``L[b] < L[c]``, ``[c, d]`` is
    dropped, fig. 6.10b); if an end point is lowest, keep the third next to it. New interior
    points go at 1/3 and 2/3 of the kept interval. Stop when ``d - a < tol``
    (or after ``max_iter`` iterations).

    Returns a :class:`LineSearchResult`: ``x`` the centre of the last bracket, ``fx = f(x)``,
    ``history`` every bracket ``(a, b, c, d)`` from the first (for drawing fig. 6.10).
    For a function with one minimum in ``[a, d]`` (unimodal) the bracket always contains it.
    """
    fn = _scalar_fn(f)
    a, d, tol = _interval(a, d, tol)
    max_iter = V.positive_int(max_iter, "max_iter")
    b, c = a + (d - a) / 3.0, a + 2.0 * (d - a) / 3.0
    fa, fb, fc, fd = fn(a), fn(b), fn(c), fn(d)
    n = 4
    history = [(a, b, c, d)]
    for _ in range(max_iter):
        if d - a < tol:
            break
        pts, vals = (a, b, c, d), (fa, fb, fc, fd)
        k = int(np.argmin(vals))
        lo, hi = max(k - 1, 0), min(k + 1, 3)
        if k == 0:
            hi = 1
        elif k == 3:
            lo = 2
        a, fa, d, fd = pts[lo], vals[lo], pts[hi], vals[hi]
        b, c = a + (d - a) / 3.0, a + 2.0 * (d - a) / 3.0
        fb, fc = fn(b), fn(c)
        n += 2
        history.append((a, b, c, d))
    x = 0.5 * (a + d)
    return LineSearchResult(x=x, fx=fn(x), history=history, n_evals=n + 1)


def golden_section(f, a: float = 0.0, d: float = 1.0, tol: float = 1e-4,
                   max_iter: int = 200) -> LineSearchResult:
    """Golden-section search (黄金分割搜索) on ``[a, d]`` (Kiefer 1953; Nocedal & Wright 3.5).

    Like :func:`bracket_search`, but the interior points sit at ``1 - 1/g`` and ``1/g`` of the
    interval (``g = 1.618...``, the golden ratio), so after dropping one end the remaining
    interior point is already in the right place for the next bracket: one new evaluation
    per iteration, and the bracket shrinks by ``0.618`` each time. ``history`` holds the
    brackets ``(a, b, c, d)``. Assumes one minimum in ``[a, d]``.
    """
    fn = _scalar_fn(f)
    a, d, tol = _interval(a, d, tol)
    max_iter = V.positive_int(max_iter, "max_iter")
    b, c = d - _INVPHI * (d - a), a + _INVPHI * (d - a)
    fb, fc = fn(b), fn(c)
    n = 2
    history = [(a, b, c, d)]
    for _ in range(max_iter):
        if d - a < tol:
            break
        if fb <= fc:            # the minimum is in [a, c]: drop [c, d]
            d, c, fc = c, b, fb
            b = d - _INVPHI * (d - a)
            fb = fn(b)
        else:                   # the minimum is in [b, d]: drop [a, b]
            a, b, fb = b, c, fc
            c = a + _INVPHI * (d - a)
            fc = fn(c)
        n += 1
        history.append((a, b, c, d))
    x = 0.5 * (a + d)
    return LineSearchResult(x=x, fx=fn(x), history=history, n_evals=n + 1)


def backtracking(f, phi, direction, g, alpha0: float = 1.0, rho: float = 0.5,
                 c: float = 1e-4, max_iter: int = 60) -> LineSearchResult:
    """Backtracking line search with the Armijo condition (Nocedal & Wright, alg. 3.1).

    Try ``alpha = alpha0, rho*alpha0, rho^2*alpha0, ...`` until the loss decreases enough::

        f(phi + alpha * direction) <= f(phi) + c * alpha * g . direction     (Armijo)

    ``f`` is the loss (a function of the whole parameter vector, or a problem), ``g`` the
    gradient at ``phi`` and ``direction`` a descent direction (``g . direction < 0``, e.g.
    ``-g``). Returns a :class:`LineSearchResult` whose ``x`` is the accepted step size
    ``alpha``, ``fx`` the loss there and ``history`` the trial steps. If no trial passes within
    ``max_iter`` halvings, ``x = 0`` (no step) and ``fx = f(phi)``.
    """
    loss = f.loss if hasattr(f, "loss") else f
    if not callable(loss):
        raise ValueError(f"f must be a loss function phi -> float or a problem; got {f!r}.")
    phi = np.asarray(phi, dtype=float)
    direction = np.asarray(direction, dtype=float)
    g = np.asarray(g, dtype=float)
    if direction.shape != phi.shape or g.shape != phi.shape:
        raise ValueError(f"phi, direction and g must have the same shape; got {phi.shape}, "
                         f"{direction.shape} and {g.shape}.")
    alpha = V.rate(alpha0, "alpha0")
    rho = float(V.number(rho, "rho"))
    if not 0.0 < rho < 1.0:
        raise ValueError(f"rho (the shrink factor) must lie in (0, 1), e.g. 0.5; got {rho}.")
    c = float(V.number(c, "c"))
    if not 0.0 < c < 1.0:
        raise ValueError(f"c (the Armijo constant) must lie in (0, 1), e.g. 1e-4; got {c}.")
    slope = float(np.vdot(g, direction))
    if slope >= 0:
        raise ValueError(f"direction is not a descent direction "
                         f"(g . direction = {slope:.3g} >= 0): "
                         "use direction = -g, or check the sign of your gradient.")
    f0 = float(loss(phi))
    history = []
    n = 1
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(V.positive_int(max_iter, "max_iter")):
            fx = float(loss(phi + alpha * direction))
            n += 1
            history.append(alpha)
            if np.isfinite(fx) and fx <= f0 + c * alpha * slope:
                return LineSearchResult(x=alpha, fx=fx, history=history, n_evals=n)
            alpha *= rho
    return LineSearchResult(x=0.0, fx=f0, history=history, n_evals=n)


def exact_quadratic_step(A, g, direction) -> float:
    """Exact line search for a quadratic ``L = 1/2 phi^T A phi - b^T phi + c``.

    Along ``phi + alpha * d`` the loss is a parabola in ``alpha`` with minimum at::

        alpha* = -(g . d) / (d^T A d)

    where ``g`` is the gradient at ``phi`` (for steepest descent, ``d = -g``, this is
    ``g.g / g^T A g``). Needs positive curvature along ``d`` (``d^T A d > 0``).
    """
    A = np.asarray(A, dtype=float)
    g = np.asarray(g, dtype=float).reshape(-1)
    d = np.asarray(direction, dtype=float).reshape(-1)
    if A.shape != (g.size, g.size) or d.size != g.size:
        raise ValueError(f"A must be ({g.size}, {g.size}) to match g and direction; got A "
                         f"{A.shape}, g {g.shape}, direction {d.shape}.")
    curv = float(d @ A @ d)
    if not curv > 0:
        raise ValueError(f"the curvature along the direction is d^T A d = {curv:.3g} <= 0, so the "
                         "loss has no minimum along this line: use bracket_search on a finite "
                         "interval instead.")
    return -float(g @ d) / curv


@dataclass(frozen=True, eq=False)
class LineSearchTrajectory(Trajectory):
    """A :class:`steplab.Trajectory` that also records the step size chosen at each step
    (``alphas``, length ``T``) and the line-search method."""

    alphas: np.ndarray = None
    method: str = ""


def gd_with_line_search(problem, phi0, steps: int = 10, method: str = "bracket",
                        max_step: float = 1.0, tol: float = 1e-6,
                        label: str | None = None) -> LineSearchTrajectory:
    """Gradient descent (UDL eq. 6.3) with the step ``alpha`` chosen by a line search at
    every iteration, as in UDL fig. 6.1.

    At ``phi_t`` with gradient ``g`` the search looks along ``phi_t - alpha * g``:

    - ``"bracket"``: :func:`bracket_search` for ``alpha`` in ``[0, max_step]`` (fig. 6.10);
    - ``"golden"``: :func:`golden_section` on the same interval;
    - ``"backtracking"``: :func:`backtracking` from ``alpha0 = max_step``;
    - ``"exact"``: :func:`exact_quadratic_step` with the problem's Hessian at ``phi_t``
      (exact for quadratics such as linear regression; for other losses it minimizes the
      local quadratic model along the line).

    ``max_step`` is the largest step tried, in units of the gradient (``alpha``); ``tol`` the
    bracket width at which the 1-D searches stop. Returns a :class:`LineSearchTrajectory`
    (a Trajectory with ``alphas``); the run stops early when the gradient is exactly zero.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}.")
    steps = V.positive_int(steps, "steps")
    max_step = V.rate(max_step, "max_step")
    P = getattr(problem, "P", 0) or None
    phi = V.as_phi(phi0, P, "phi0").astype(float).copy()
    if phi.ndim != 1:
        raise ValueError(f"phi0 must be a 1-D vector of parameters; got shape {phi.shape}.")
    phis, alphas = [phi], []
    message = ""
    for t in range(1, steps + 1):
        g = np.asarray(problem.grad(phi), dtype=float)
        if not np.any(g):
            message = f"stopped after {t - 1} steps: the gradient is zero (a critical point)."
            break

        def along(s, _phi=phi, _g=g):
            return problem.loss(_phi - s * _g)

        if method == "bracket":
            alpha = bracket_search(along, 0.0, max_step, tol * max_step).x
        elif method == "golden":
            alpha = golden_section(along, 0.0, max_step, tol * max_step).x
        elif method == "backtracking":
            alpha = backtracking(problem, phi, -g, g, alpha0=max_step).x
        else:
            H = np.asarray(problem.hessian(phi), dtype=float)
            try:
                alpha = exact_quadratic_step(H, g, -g)
            except ValueError as exc:
                raise ValueError(f"step {t}: {exc}") from None
        phi = phi - alpha * g
        phis.append(phi)
        alphas.append(alpha)
    phis = np.array(phis)
    return LineSearchTrajectory(
        phi=phis, loss=np.asarray(problem.loss(phis), dtype=float), epoch=np.arange(len(phis)),
        message=message, label=label if label is not None else f"GD + {method} line search",
        alphas=np.array(alphas), method=method,
    )
