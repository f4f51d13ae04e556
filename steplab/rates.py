"""Convergence rate of momentum on a quadratic: the maths behind the momentum phase map.

The book's momentum (UDL eq. 6.11) on a quadratic whose Hessian has eigenvalue ``lambda``
decouples along each eigenvector. In that direction, measured from the minimum, the gradient
is ``lambda * phi`` and the update reads::

    m_{t+1}   = beta * m_t + (1 - beta) * lambda * phi_t
    phi_{t+1} = phi_t - alpha * m_{t+1}
              = -alpha*beta * m_t + (1 - alpha*(1-beta)*lambda) * phi_t

so the state ``s_t = (m_t, phi_t)`` evolves linearly, ``s_{t+1} = T s_t`` with the 2x2
iteration matrix ::

    T = [[ beta,          (1-beta)*lambda        ],
         [ -alpha*beta,    1 - alpha*(1-beta)*lambda ]]

``trace T = 1 + beta - alpha*(1-beta)*lambda`` and ``det T = beta``. Its eigenvalues are
``mu = (tr +- sqrt(tr^2 - 4 beta)) / 2`` and the error shrinks like ``rho^t`` with the
spectral radius ``rho = max |mu|`` (the convergence rate). On a quadratic with several
curvatures the slowest direction sets the rate: ``rho = max_i rho(lambda_i)``.

At ``beta = 0`` this is gradient descent (eq. 6.3): ``rho = |1 - alpha*lambda|``.

Regimes (the captions of Distill's "Why momentum really works", Goh 2017), per direction:

- ``"monotone"``: both eigenvalues real and the dominant one positive: the error decays
  without changing sign;
- ``"ripples"``: complex eigenvalues (``tr^2 < 4 beta``): the error spirals, decaying like
  ``sqrt(beta)^t`` whatever ``alpha`` is;
- ``"oscillation"``: real eigenvalues, the dominant one negative: the sign flips every step;
- ``"divergence"``: ``rho >= 1``.

Everything here is pure, vectorized numpy: ``alpha``, ``beta`` and ``lam`` broadcast.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "iteration_matrix", "momentum_eigenvalues", "spectral_radius", "convergence_rate",
    "regime", "regime_map", "optimal_momentum", "phase_map", "REGIMES", "accelerated_gradient",
]

#: regime names, in the integer code order used by :func:`regime_map`
REGIMES = ("monotone", "ripples", "oscillation", "divergence")


def _check_lam(lam):
    lam = np.asarray(lam, dtype=float)
    if np.any(lam < 0) or not np.all(np.isfinite(lam)):
        raise ValueError("the curvatures lambda (Hessian eigenvalues) must be finite and >= 0; "
                         f"got {lam}. A negative curvature has no minimum to converge to.")
    return lam


def iteration_matrix(alpha: float, beta: float, lam: float) -> np.ndarray:
    """The 2x2 matrix ``T`` with ``(m_{t+1}, phi_{t+1}) = T (m_t, phi_t)`` for UDL eq. 6.11
    on the 1-D quadratic ``lam/2 * phi^2`` (see the module docstring for the derivation)."""
    lam = float(_check_lam(lam))
    a, b = float(alpha), float(beta)
    return np.array([[b, (1.0 - b) * lam],
                     [-a * b, 1.0 - a * (1.0 - b) * lam]])


def momentum_eigenvalues(alpha, beta, lam):
    """Both eigenvalues ``mu_1, mu_2`` (complex arrays, ``|mu_1| >= |mu_2|``) of the iteration
    matrix of UDL eq. 6.11, from ``trace = 1 + beta - alpha(1-beta)lam`` and ``det = beta``."""
    lam = _check_lam(lam)
    alpha, beta = np.asarray(alpha, dtype=float), np.asarray(beta, dtype=float)
    tr = 1.0 + beta - alpha * (1.0 - beta) * lam
    disc = np.sqrt((tr * tr - 4.0 * beta).astype(complex))
    mu1, mu2 = 0.5 * (tr + disc), 0.5 * (tr - disc)
    swap = np.abs(mu2) > np.abs(mu1)
    return np.where(swap, mu2, mu1), np.where(swap, mu1, mu2)


def spectral_radius(alpha, beta, lam):
    """Spectral radius ``max |mu|`` of the momentum iteration matrix (UDL eq. 6.11) for one
    curvature ``lam``: the factor by which the error shrinks per step, asymptotically.

    At ``beta = 0`` it equals ``|1 - alpha*lam|``, the rate of gradient descent (eq. 6.3).
    """
    return np.abs(momentum_eigenvalues(alpha, beta, lam)[0])


def convergence_rate(alpha, beta, lams):
    """Convergence rate of momentum (UDL eq. 6.11) on a quadratic with Hessian eigenvalues
    ``lams``: ``max_i spectral_radius(alpha, beta, lams[i])``. ``alpha`` and ``beta`` may be
    arrays of any (broadcastable) shape; the result has their broadcast shape."""
    lams = np.atleast_1d(_check_lam(lams))
    if lams.ndim != 1 or lams.size == 0:
        raise ValueError(f"lams must be a non-empty 1-D list of curvatures; got {lams}.")
    alpha, beta = np.asarray(alpha, dtype=float), np.asarray(beta, dtype=float)
    out = None
    for lam in lams:  # a handful of curvatures; each call is vectorized over the (alpha, beta) grid
        r = spectral_radius(alpha, beta, lam)
        out = r if out is None else np.maximum(out, r)
    return out


def _regime_code(alpha, beta, lam):
    mu1, _ = momentum_eigenvalues(alpha, beta, lam)
    rho = np.abs(mu1)
    code = np.where(np.abs(mu1.imag) > 1e-12, 1, np.where(mu1.real < 0, 2, 0))
    return np.where(rho >= 1.0, 3, code), rho


def regime_map(alpha, beta, lams):
    """Integer regime code (index into :data:`REGIMES`) over an ``(alpha, beta)`` grid for a
    quadratic with curvatures ``lams``: the regime of the slowest direction (largest rate)."""
    lams = np.atleast_1d(_check_lam(lams))
    best_rho, best_code = None, None
    for lam in lams:
        code, rho = _regime_code(alpha, beta, lam)
        if best_rho is None:
            best_rho, best_code = rho, code
        else:
            take = rho > best_rho
            best_rho = np.where(take, rho, best_rho)
            best_code = np.where(take, code, best_code)
    return best_code


def regime(alpha: float, beta: float, lams) -> str:
    """Name of the regime (``"monotone"``, ``"ripples"``, ``"oscillation"``, ``"divergence"``)
    of momentum (UDL eq. 6.11) at one ``(alpha, beta)`` on a quadratic with curvatures ``lams``."""
    return REGIMES[int(regime_map(float(alpha), float(beta), lams))]


def optimal_momentum(lam_min: float, lam_max: float) -> dict:
    """The fastest ``(alpha, beta)`` of UDL eq. 6.11 on a quadratic with curvatures in
    ``[lam_min, lam_max]`` (Polyak's heavy-ball optimum, rewritten for the book's form).

    With condition number ``kappa = lam_max/lam_min``: ``beta* = ((sqrt k - 1)/(sqrt k + 1))^2``,
    heavy-ball step ``a* = (2/(sqrt lam_max + sqrt lam_min))^2`` and, since the book's
    momentum equals heavy ball with step ``alpha*(1-beta)``, ``alpha* = a*/(1-beta*)``.
    The rate there is ``sqrt(beta*) = (sqrt k - 1)/(sqrt k + 1)``; plain gradient descent's best
    is ``(k - 1)/(k + 1)`` at ``alpha = 2/(lam_min + lam_max)``.
    Returns ``dict(alpha, beta, rate, gd_alpha, gd_rate)``.
    """
    lo, hi = float(lam_min), float(lam_max)
    if not (0 < lo <= hi and np.isfinite(hi)):
        raise ValueError(f"need 0 < lam_min <= lam_max; got lam_min={lam_min}, lam_max={lam_max}.")
    sk = np.sqrt(hi / lo)
    beta = ((sk - 1.0) / (sk + 1.0)) ** 2
    a_hb = (2.0 / (np.sqrt(hi) + np.sqrt(lo))) ** 2
    k = hi / lo
    return dict(alpha=a_hb / (1.0 - beta), beta=beta, rate=(sk - 1.0) / (sk + 1.0),
                gd_alpha=2.0 / (lo + hi), gd_rate=(k - 1.0) / (k + 1.0))


def phase_map(lams, alphas, betas):
    """Convergence rate (UDL eq. 6.11) on the grid ``betas`` (rows) x ``alphas`` (columns):
    returns ``(rate, regime_code)``, each of shape ``(len(betas), len(alphas))``: the same
    values as :func:`convergence_rate` and :func:`regime_map`, from ONE vectorized evaluation
    of the eigenvalues over all curvatures and the whole grid (the slowest direction, the
    first of equal ones, sets both). This is what the momentum phase-map widget shows."""
    lams = np.atleast_1d(_check_lam(lams))
    if lams.ndim != 1 or lams.size == 0:
        raise ValueError(f"lams must be a non-empty 1-D list of curvatures; got {lams}.")
    A, B = np.meshgrid(np.asarray(alphas, float), np.asarray(betas, float))
    code, rho = _regime_code(A, B, lams[:, None, None])          # (curvature, beta, alpha)
    slowest = np.argmax(rho, axis=0)[None]
    return (np.take_along_axis(rho, slowest, 0)[0], np.take_along_axis(code, slowest, 0)[0])


def accelerated_gradient(problem, phi0, alpha: float, steps: int):
    """Nesterov's accelerated gradient for smooth convex losses (Nesterov 1983), in the form of
    Goodfellow alg. 8.3 with the growing momentum ``(t-1)/(t+2)`` (Su, Boyd & Candes 2016)::

        y_t       = phi_t + (t-1)/(t+2) * (phi_t - phi_{t-1})      # look ahead (phi_{-1} = phi_0)
        phi_{t+1} = y_t - alpha * grad L(y_t)                      # gradient step from there

    With ``alpha <= 1/L`` (``L`` the largest curvature) the error obeys
    ``L(phi_t) - L* <= 2 ||phi_0 - phi*||^2 / (alpha (t+1)^2)``: O(1/t^2), against the O(1/t)
    bound ``||phi_0 - phi*||^2 / (2 alpha t)`` of gradient descent (Goodfellow sec. 8.3.3). The
    book's Nesterov momentum (UDL eq. 6.12, ``steplab.Nesterov``) keeps ``beta`` fixed instead.
    Returns a :class:`steplab.Trajectory` (full-batch, one step per epoch) like ``minimize``.
    """
    from . import _validate as V
    from .train import Trajectory

    alpha, steps = V.rate(alpha, "alpha"), V.positive_int(steps, "steps")
    phi = prev = np.array(V.as_phi(phi0, getattr(problem, "P", None) or None, "phi0"), dtype=float)
    phis = [phi]
    for t in range(steps):
        y = phi + (t - 1) / (t + 2) * (phi - prev)          # look-ahead point
        prev, phi = phi, y - alpha * problem.grad(y)         # gradient step at the look-ahead
        phis.append(phi)
    phis = np.array(phis)
    return Trajectory(phi=phis, loss=np.asarray(problem.loss(phis), dtype=float),
                      epoch=np.arange(steps + 1), label="Nesterov (t-1)/(t+2)")
