"""Second-order and coordinate methods (UDL chapter 6 notes, "Beyond gradient descent";
Goodfellow et al. sections 8.6 and 8.7.2): Newton's method (牛顿法), nonlinear conjugate
gradients, BFGS and L-BFGS, and coordinate descent. Each returns a
:class:`steplab.Trajectory` like :func:`steplab.minimize`, so the same plots draw them.
They are also reachable as ``steplab.curvature.newton`` etc.
"""

from __future__ import annotations

import numpy as np

from . import _validate as V
from .curvature import _phi1, hessian
from .linesearch import golden_section
from .problems import LinearRegression, Quadratic
from .train import Trajectory

__all__ = ["newton", "conjugate_gradient", "bfgs", "lbfgs", "coordinate_descent"]


def _start(problem, phi0, steps):
    if not (hasattr(problem, "grad") and hasattr(problem, "loss")):
        raise ValueError(f"expected a steplab problem with loss and grad; got {problem!r}.")
    phi = _phi1(problem, phi0, "phi0").astype(float).copy()
    if not np.all(np.isfinite(phi)):
        raise ValueError(f"phi0 contains NaN or infinite values: {phi}.")
    return phi, V.positive_int(steps, "steps")


def _trajectory(problem, phis, label, message="", diverged=False):
    phis = np.array(phis)
    with np.errstate(over="ignore", invalid="ignore"):
        loss = np.asarray(problem.loss(phis), dtype=float)
    return Trajectory(phi=phis, loss=loss, epoch=np.arange(len(phis)), diverged=diverged,
                      message=message, label=label)


def _is_quadratic(problem):
    return isinstance(problem, (Quadratic, LinearRegression))


def _line_min(problem, phi, d, g, line_search):
    """Step size s >= 0 minimizing L(phi + s d) (d a descent direction)."""
    if line_search == "exact" or (line_search == "auto" and _is_quadratic(problem)):
        curv = float(d @ np.asarray(problem.hessian(phi), dtype=float) @ d)
        if curv > 0:
            return -float(g @ d) / curv
        if line_search == "exact":
            raise ValueError("exact line search needs positive curvature along the direction; "
                             "use line_search='golden'.")

    def h(s):
        return float(problem.loss(phi + s * d))

    f0 = h(0.0)
    s = 1.0 / max(float(np.linalg.norm(d)), 1.0)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(60):                     # shrink until the loss goes down
            if h(s) < f0:
                break
            s *= 0.5
        else:
            return 0.0
        lo, fs = 0.0, h(s)
        for _ in range(60):                     # grow until it goes up again
            s2 = 2.0 * s
            f2 = h(s2)
            if not (np.isfinite(f2) and f2 < fs):
                break
            lo, s, fs = s, s2, f2
        hi = 2.0 * s
    return golden_section(h, lo, hi, tol=1e-10 * max(hi, 1e-300)).x


def _check_ls(line_search):
    if line_search not in ("auto", "exact", "golden"):
        raise ValueError(f'line_search must be "auto", "exact" or "golden"; got {line_search!r}.')


def newton(problem, phi0, steps: int = 10, alpha: float = 0.0, gtol: float = 1e-12,
           label: str | None = None) -> Trajectory:
    """Damped Newton's method (牛顿法), Goodfellow alg. 8.8 with the regularization of 8.6.1::

        phi <- phi - (H[phi] + alpha I)^{-1} grad(phi)

    ``alpha = 0`` is the plain Newton step (UDL notes, "Beyond gradient descent"): on a
    quadratic such as linear regression it lands on the minimum in one step; it heads for
    the nearest critical point, which may be a maximum or a saddle. A damping ``alpha > 0``
    larger than the most negative eigenvalue keeps the step downhill; very large ``alpha``
    turns it into gradient descent with learning rate ``1/alpha``.
    Stops early when ``|grad| <= gtol``, or with ``diverged=True`` when the system is singular.
    """
    phi, steps = _start(problem, phi0, steps)
    gtol = V.rate(gtol, "gtol", allow_zero=True)
    alpha = V.rate(alpha, "alpha", allow_zero=True)
    phis, message, diverged = [phi], "", False
    for t in range(1, steps + 1):
        g = np.asarray(problem.grad(phi), dtype=float)
        if np.linalg.norm(g) <= gtol:
            message = f"converged after {t - 1} steps (|grad| <= {gtol:g})."
            break
        H = hessian(problem, phi) + alpha * np.eye(phi.size)
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            step = None
        if step is None or not np.all(np.isfinite(step)):
            diverged = True
            message = (f"stopped at step {t}: H + alpha*I is singular at phi = {phi}; "
                       "increase the damping alpha.")
            break
        phi = phi - step
        phis.append(phi)
    default = "Newton" if alpha == 0 else f"damped Newton (alpha={alpha:g})"
    return _trajectory(problem, phis, label or default, message, diverged)


def conjugate_gradient(problem, phi0, steps: int = 10, variant: str = "PR",
                       restart: int | None = None, line_search: str = "auto",
                       gtol: float = 1e-12, label: str | None = None) -> Trajectory:
    """Nonlinear conjugate gradients (共轭梯度), Goodfellow alg. 8.9 / section 8.6.2.

    Directions ``d_t = -g_t + beta_t d_{t-1}`` (``d_0 = -g_0``), each followed by a line
    search, with ``beta_t``:

    - ``variant="FR"`` (Fletcher-Reeves): ``g_t.g_t / g_{t-1}.g_{t-1}``;
    - ``variant="PR"`` (Polak-Ribiere): ``g_t.(g_t - g_{t-1}) / g_{t-1}.g_{t-1}``, clipped at 0
      (PR+), which restarts by itself when progress stalls.

    Restarts (``d = -g``) every ``restart`` steps (default ``P``) and whenever ``d`` is not a
    descent direction. ``line_search="auto"`` is exact for quadratics (linear regression,
    :class:`Quadratic`) and golden-section otherwise. On a quadratic with ``P`` parameters
    and exact line searches CG reaches the minimum in at most ``P`` steps.
    """
    if variant not in ("FR", "PR"):
        raise ValueError('variant must be "FR" (Fletcher-Reeves) or "PR" (Polak-Ribiere); '
                         f"got {variant!r}.")
    _check_ls(line_search)
    phi, steps = _start(problem, phi0, steps)
    gtol = V.rate(gtol, "gtol", allow_zero=True)
    restart = phi.size if restart is None else V.positive_int(restart, "restart")
    g = np.asarray(problem.grad(phi), dtype=float)
    d = -g
    phis, message, since = [phi], "", 0
    for t in range(1, steps + 1):
        if np.linalg.norm(g) <= gtol:
            message = f"converged after {t - 1} steps (|grad| <= {gtol:g})."
            break
        s = _line_min(problem, phi, d, g, line_search)
        phi = phi + s * d
        phis.append(phi)
        g_new = np.asarray(problem.grad(phi), dtype=float)
        since += 1
        gg = float(g @ g)
        if variant == "FR":
            beta = float(g_new @ g_new) / gg
        else:
            beta = max(0.0, float(g_new @ (g_new - g)) / gg)
        d = -g_new + beta * d
        if since >= restart or float(d @ g_new) >= 0:
            d, since = -g_new, 0
        g = g_new
    return _trajectory(problem, phis, label or f"conjugate gradient ({variant})", message)


def bfgs(problem, phi0, steps: int = 10, line_search: str = "auto", gtol: float = 1e-12,
         label: str | None = None) -> Trajectory:
    """BFGS quasi-Newton method, Goodfellow section 8.6.3.

    Keeps ``M_t``, an approximation of the inverse Hessian, searches along ``rho_t = -M_t g_t``
    with a line search, and updates ``M`` from ``s = phi_{t+1} - phi_t``, ``y = g_{t+1} - g_t``::

        M <- (I - s y^T / y^T s) M (I - y s^T / y^T s) + s s^T / y^T s

    ``M_0 = I``, rescaled by ``y^T s / y^T y`` before the first update; the update is skipped
    when ``y^T s <= 0``. Needs ``O(P^2)`` memory (see :func:`lbfgs` for large ``P``).
    """
    _check_ls(line_search)
    phi, steps = _start(problem, phi0, steps)
    gtol = V.rate(gtol, "gtol", allow_zero=True)
    P = phi.size
    M = np.eye(P)
    g = np.asarray(problem.grad(phi), dtype=float)
    phis, message, first = [phi], "", True
    for t in range(1, steps + 1):
        if np.linalg.norm(g) <= gtol:
            message = f"converged after {t - 1} steps (|grad| <= {gtol:g})."
            break
        d = -M @ g
        if float(d @ g) >= 0:
            M, d = np.eye(P), -g
        s_len = _line_min(problem, phi, d, g, line_search)
        s = s_len * d
        phi = phi + s
        phis.append(phi)
        g_new = np.asarray(problem.grad(phi), dtype=float)
        y = g_new - g
        ys = float(y @ s)
        if ys > 1e-12 * np.linalg.norm(y) * np.linalg.norm(s):
            if first:
                M = (ys / float(y @ y)) * np.eye(P)
                first = False
            r = 1.0 / ys
            E = np.eye(P) - r * np.outer(s, y)
            M = E @ M @ E.T + r * np.outer(s, s)
        g = g_new
    return _trajectory(problem, phis, label or "BFGS", message)


def lbfgs(problem, phi0, steps: int = 10, memory: int = 10, line_search: str = "auto",
          gtol: float = 1e-12, label: str | None = None) -> Trajectory:
    """Limited-memory BFGS (L-BFGS), Goodfellow section 8.6.3 (Nocedal & Wright alg. 7.4).

    Instead of the ``P x P`` matrix ``M`` it keeps the last ``memory`` pairs ``(s, y)`` and
    computes ``M g`` with the two-loop recursion, scaling by ``y^T s / y^T y`` of the newest
    pair: ``O(memory * P)`` memory and time per step.
    """
    _check_ls(line_search)
    phi, steps = _start(problem, phi0, steps)
    gtol = V.rate(gtol, "gtol", allow_zero=True)
    memory = V.positive_int(memory, "memory")
    g = np.asarray(problem.grad(phi), dtype=float)
    pairs: list = []
    phis, message = [phi], ""
    for t in range(1, steps + 1):
        if np.linalg.norm(g) <= gtol:
            message = f"converged after {t - 1} steps (|grad| <= {gtol:g})."
            break
        q = g.copy()
        alphas = []
        for s, y, r in reversed(pairs):
            a = r * float(s @ q)
            alphas.append(a)
            q = q - a * y
        if pairs:
            s, y, _ = pairs[-1]
            q = q * (float(s @ y) / float(y @ y))
        for (s, y, r), a in zip(pairs, reversed(alphas), strict=True):
            b = r * float(y @ q)
            q = q + (a - b) * s
        d = -q
        if float(d @ g) >= 0:
            pairs, d = [], -g
        step = _line_min(problem, phi, d, g, line_search) * d
        phi = phi + step
        phis.append(phi)
        g_new = np.asarray(problem.grad(phi), dtype=float)
        y = g_new - g
        ys = float(y @ step)
        if ys > 1e-12 * np.linalg.norm(y) * np.linalg.norm(step):
            pairs.append((step, y, 1.0 / ys))
            pairs = pairs[-memory:]
        g = g_new
    return _trajectory(problem, phis, label or f"L-BFGS (m={memory})", message)


def coordinate_descent(problem, phi0, steps: int = 10, alpha: float | None = None,
                       order: str = "cyclic", seed: int = 0, line_search: str = "auto",
                       label: str | None = None) -> Trajectory:
    """Coordinate descent (坐标下降), Goodfellow section 8.7.2: change one parameter at a time.

    Each step picks a coordinate ``k`` (``order="cyclic"``: 0, 1, ..., P-1, 0, ...;
    ``"random"``: drawn from ``np.random.default_rng(seed)``) and either minimizes the loss
    along it exactly (``alpha=None``; a line search, exact for quadratics) or takes a gradient
    step ``phi_k <- phi_k - alpha * dL/dphi_k``. Every step is recorded, so the path is the
    axis-parallel staircase that is slow when parameters are strongly coupled.
    """
    if order not in ("cyclic", "random"):
        raise ValueError(f'order must be "cyclic" or "random"; got {order!r}.')
    _check_ls(line_search)
    phi, steps = _start(problem, phi0, steps)
    if alpha is not None:
        alpha = V.rate(alpha, "alpha")
    rng = np.random.default_rng(V.seed(seed))
    P = phi.size
    phis = [phi]
    for t in range(steps):
        k = t % P if order == "cyclic" else int(rng.integers(P))
        g = np.asarray(problem.grad(phi), dtype=float)
        if g[k] != 0:
            if alpha is not None:
                delta = -alpha * g[k]
            else:
                e = np.zeros(P)
                e[k] = -np.sign(g[k])
                delta = _line_min(problem, phi, e, g, line_search) * e[k]
            phi = phi.copy()
            phi[k] += delta
        phis.append(phi)
    return _trajectory(problem, phis, label or "coordinate descent")
