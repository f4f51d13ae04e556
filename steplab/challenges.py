"""Small problems that make the challenges of Goodfellow et al. section 8.2 visible, and the
meta-algorithms of 8.7 that answer them.

Each is an ordinary steplab problem (``loss``, ``grad``, ``hessian``), so every optimizer,
plot and explorer works on it.
"""

from __future__ import annotations

import numpy as np

from . import _validate as V
from .problems import Function, Problem, Quadratic
from .schedules import constant

__all__ = ["ill_conditioned", "plateau_saddle", "cliff", "long_term_product",
           "DeepLinearChain", "early_stopping_curve", "noisy_gradient_descent", "noise_ball",
           "narrow_and_wide", "many_flat_directions"]


def ill_conditioned(kappa: float = 50.0) -> Quadratic:
    """Goodfellow 8.2.1: ``L = (phi0^2 + kappa * phi1^2) / 2``, Hessian ``diag(1, kappa)`` with
    condition number ``kappa``. Gradient descent must take ``alpha < 2/kappa`` and then needs
    about ``kappa`` steps along ``phi0``."""
    kappa = V.rate(kappa, "kappa")
    return Quadratic(np.diag([1.0, kappa]))


def plateau_saddle() -> Function:
    """Goodfellow 8.2.3: ``L = phi0^2/2 + phi1^4/4 - phi1^2/2``: a saddle at the origin
    (Hessian ``diag(1, -1)``) between two minima at ``(0, +-1)``, loss -1/4. Started close to
    the ``phi1 = 0`` line, gradient descent slows to a crawl near the saddle before escaping."""

    def loss(p):
        return 0.5 * p[..., 0] ** 2 + 0.25 * p[..., 1] ** 4 - 0.5 * p[..., 1] ** 2

    def grad(p):
        return np.stack([p[..., 0], p[..., 1] ** 3 - p[..., 1]], axis=-1)

    def hess(p):
        return np.array([[1.0, 0.0], [0.0, 3 * p[1] ** 2 - 1.0]])

    return Function(loss, grad, hess, P=2, name="plateau and saddle")


def cliff(height: float = 4.0, sharpness: float = 20.0, edge: float = 1.0) -> Function:
    """Goodfellow 8.2.4 (fig. 8.3): a gentle bowl ``(phi0^2 + phi1^2)/2`` with a steep wall of
    ``height`` at ``phi0 = edge``: ``+ height * sig(-sharpness * (phi0 - edge))``. On the wall the
    gradient is about ``height * sharpness / 4``; a gradient step there catapults the parameters
    far away unless the gradient is clipped (``minimize(..., clip=c)``)."""
    h, k, e = V.rate(height, "height"), V.rate(sharpness, "sharpness"), V.finite(edge, "edge")

    def _s(p):
        return 0.5 * (1.0 + np.tanh(-0.5 * k * (p[..., 0] - e)))   # sig(-k (phi0 - e))

    def loss(p):
        return 0.5 * (p[..., 0] ** 2 + p[..., 1] ** 2) + h * _s(p)

    def grad(p):
        s = _s(p)
        return np.stack([p[..., 0] - h * k * s * (1 - s), p[..., 1]], axis=-1)

    return Function(loss, grad, P=2, name="cliff")


def long_term_product(w, T: int) -> np.ndarray:
    """Goodfellow 8.2.5: repeated multiplication by the same weight. Returns ``w**t`` for
    ``t = 0..T`` (``w`` scalar or an array of eigenvalues, giving shape ``(T+1, len(w))``): it
    vanishes for ``|w| < 1`` and explodes for ``|w| > 1``, and so do the gradients through it."""
    T = V.positive_int(T, "T")
    w = V.array(w, "w")
    t = np.arange(T + 1).reshape(-1, *([1] * w.ndim))
    return w ** t


class DeepLinearChain(Problem):
    """Goodfellow 8.7.1: the deep linear "network" ``f(x) = x * w1 * w2 * ... * wl`` with a
    least-squares loss. A gradient step updates all layers at once, so the change in ``f`` has
    products of many small updates (second-order effects) and the safe learning rate depends
    on every layer.

    ``batch_norm=True`` adds the reparametrization of batch normalization (Ioffe & Szegedy
    2015) before the output: ``f = gamma * (h - mean(h)) / std(h) + beta`` with
    ``h = x * prod(w)``. The normalized ``h`` no longer depends on the scale of the ``w``, only
    on their sign, so ``gamma`` and ``beta`` carry the fit and plain gradient descent becomes
    easy. Parameters: ``w1..wl`` (then ``gamma, beta`` with batch norm).
    """

    name = "deep linear chain"

    def __init__(self, x, y, depth: int = 6, batch_norm: bool = False):
        x = np.array(V.array(x, "x"))
        y = np.array(V.array(y, "y"))
        if x.ndim != 1 or x.shape != y.shape or x.size < 2:
            raise ValueError(f"x and y must be 1-D of the same length >= 2; got {x.shape}, {y.shape}.")
        self.depth = V.positive_int(depth, "depth")
        self.batch_norm = V.flag(batch_norm, "batch_norm")
        self.x, self.y, self.n = x, y, x.size
        self.P = self.depth + (2 if self.batch_norm else 0)
        names = [f"w{k + 1}" for k in range(self.depth)]
        self.param_names = tuple(names + (["gamma", "beta"] if self.batch_norm else []))
        self._xs = (x - x.mean()) / x.std()

    def predict(self, phi, x=None):
        phi = self._phi(phi)
        x = self.x if x is None else np.asarray(x, dtype=float)
        w = phi[..., : self.depth]
        prod = np.prod(w, axis=-1)[..., None]
        if not self.batch_norm:
            return prod * x
        # normalize h = x * prod(w) with the statistics of the training inputs
        xs = (x - self.x.mean()) / self.x.std()
        return phi[..., -2, None] * np.sign(prod) * xs + phi[..., -1, None]

    def loss(self, phi):
        r = self.predict(phi) - self.y
        out = np.einsum("...i,...i->...", r, r)
        return float(out) if out.ndim == 0 else out

    def grad(self, phi, idx=None):
        phi = self._phi(phi)
        sel = self._idx(idx)
        x, y = self.x[sel], self.y[sel]
        w = phi[: self.depth]
        if not self.batch_norm:
            r = np.prod(w) * x - y
            others = np.array([np.prod(np.delete(w, k)) for k in range(self.depth)])
            return 2.0 * np.sum(r * x) * others
        xs = self._xs[sel]
        sgn = np.sign(np.prod(w))
        r = phi[-2] * sgn * xs + phi[-1] - y
        g = np.zeros(self.P)                    # d/dw = 0 almost everywhere (scale invariance)
        g[-2] = 2.0 * np.sum(r * sgn * xs)
        g[-1] = 2.0 * np.sum(r)
        return g

    def hessian(self, phi):
        from .problems import fd_hessian
        return fd_hessian(self.grad, self._phi(phi))


def early_stopping_curve(train_loss, val_loss, patience: int = 10) -> dict:
    """Early stopping (Goodfellow 7.8, 8.1.2): the step with the lowest validation loss, and the
    step at which training would stop after ``patience`` steps without improvement."""
    train_loss, val_loss = V.array(train_loss, "train_loss"), V.array(val_loss, "val_loss")
    if train_loss.shape != val_loss.shape or train_loss.ndim != 1:
        raise ValueError("train_loss and val_loss must be 1-D arrays of the same length.")
    patience = V.positive_int(patience, "patience")
    best, best_t, stop = np.inf, 0, len(val_loss) - 1
    for t, v in enumerate(val_loss):
        if v < best:
            best, best_t = v, t
        elif t - best_t >= patience:
            stop = t
            break
    return dict(best_step=best_t, best_val=float(best), stop_step=stop,
                train_at_best=float(train_loss[best_t]))


def noisy_gradient_descent(problem, phi0, alpha, steps: int, sigma: float, seed: int):
    """SGD as gradient descent with noisy gradients, for many independent runs at once:
    ``phi <- phi - alpha_t * (grad L(phi) + sigma * xi)`` with ``xi ~ N(0, 1)`` drawn afresh
    for every parameter, run and step (UDL eq. 6.10 with the minibatch error replaced by
    Gaussian noise of size ``sigma``; Goodfellow sec. 8.3.1: this noise does not vanish at the
    minimum, so a constant ``alpha`` never settles).

    ``phi0`` has shape ``(runs, P)``, one starting point per row; ``problem.grad`` must accept
    that stack. ``alpha`` is a learning rate or a schedule ``t -> alpha_t`` (t from 1).
    Draws: ``rng = np.random.default_rng(seed)``, then ``rng.standard_normal(phi0.shape)``
    once per step. Returns every iterate, shape ``(steps + 1, runs, P)``.
    """
    phi = np.array(V.array(phi0, "phi0"))
    if phi.ndim != 2:
        raise ValueError(f"phi0 must have shape (runs, P), one start per row; got {phi.shape}. "
                         "For one run use phi0[None].")
    steps, sigma = V.positive_int(steps, "steps"), V.rate(sigma, "sigma", allow_zero=True)
    schedule = alpha if callable(alpha) else constant(alpha)
    rng = np.random.default_rng(V.seed(seed))
    out = np.empty((steps + 1, *phi.shape))
    out[0] = phi
    for t in range(1, steps + 1):
        g = problem.grad(phi) + sigma * rng.standard_normal(phi.shape)   # noisy gradient
        phi = phi - schedule(t) * g                                       # eq. 6.10
        out[t] = phi
    return out


def noise_ball(alpha, lam, sigma):
    """Root-mean-square distance from the minimum at which constant-step noisy gradient
    descent (:func:`noisy_gradient_descent`) settles on ``L = lam * phi^2 / 2``.

    The error ``e`` obeys ``e' = (1 - alpha*lam) e - alpha*sigma*xi``, so its mean square
    tends to ``s^2 = (1 - alpha*lam)^2 s^2 + alpha^2 sigma^2``, i.e.
    ``s = sigma * sqrt(alpha / (lam * (2 - alpha*lam)))``. It grows without bound as
    ``alpha*lam`` approaches 2, the stability limit of gradient descent (UDL 6.1; ``inf``
    at or beyond it).

    >>> round(noise_ball(0.1, 1.0, 1.0), 4)
    0.2294
    """
    alpha, lam, sigma = (np.asarray(v, dtype=float) for v in (alpha, lam, sigma))
    with np.errstate(divide="ignore", invalid="ignore"):
        s = sigma * np.sqrt(alpha / (lam * (2.0 - alpha * lam)))
    s = np.where(alpha * lam < 2.0, s, np.inf)
    return float(s) if s.ndim == 0 else s


def narrow_and_wide(lam_narrow: float = 100.0, lam_wide: float = 2.0, depth_narrow: float = -1.0,
                    depth_wide: float = -0.5, centres=(-1.0, 1.0), smooth: float = 0.02) -> Function:
    """A 1-D loss with a narrow deep minimum and a wide shallower one, for the remark of the
    UDL ch. 6 notes that SGD tends to find wide minima (Jastrzebski et al. 2018).

    Two parabolas ``q_n = lam_narrow/2 (phi - c_n)^2 + depth_narrow`` and
    ``q_w = lam_wide/2 (phi - c_w)^2 + depth_wide``, joined by a smooth minimum
    ``L = -smooth * log(exp(-q_n/smooth) + exp(-q_w/smooth))``. Near each centre ``L`` is the
    parabola, so the curvatures there are ``lam_narrow`` and ``lam_wide``: gradient descent can
    stay in the narrow minimum only for ``alpha < 2/lam_narrow``. With the defaults the narrow
    minimum is the deeper one (-1 at phi = -1, against -0.5 at phi = 1) and the barrier between
    them lies near phi = -0.73 (loss about 2.5).
    """
    ln, lw = V.rate(lam_narrow, "lam_narrow"), V.rate(lam_wide, "lam_wide")
    dn, dw = V.finite(depth_narrow, "depth_narrow"), V.finite(depth_wide, "depth_wide")
    cn, cw = (V.finite(c, "centres") for c in centres)
    T = V.rate(smooth, "smooth")

    def _weights(p):
        qn = 0.5 * ln * (p[..., 0] - cn) ** 2 + dn
        qw = 0.5 * lw * (p[..., 0] - cw) ** 2 + dw
        m = np.minimum(qn, qw)                  # subtract the smaller one: no overflow in exp
        a, b = np.exp(-(qn - m) / T), np.exp(-(qw - m) / T)
        return qn, qw, m, a / (a + b), b / (a + b)

    def loss(p):
        qn, qw, m, _, _ = _weights(p)
        return m - T * np.log(np.exp(-(qn - m) / T) + np.exp(-(qw - m) / T))

    def grad(p):
        _, _, _, wn, ww = _weights(p)           # dL/dphi = wn q_n' + ww q_w' (softmin weights)
        return (wn * ln * (p[..., 0] - cn) + ww * lw * (p[..., 0] - cw))[..., None]

    return Function(loss, grad, P=1, name="narrow and wide minima")


def many_flat_directions(n: int = 61, lam_min: float = 1e-6, L: float = 1.0) -> Quadratic:
    """A smooth convex quadratic on which gradient descent shows its worst-case rate O(1/t)
    (Goodfellow sec. 8.3.3; Nesterov 1983): ``L(phi) = 1/2 sum_k lam_k phi_k^2`` with ``n``
    curvatures ``lam_k`` spaced evenly on a log scale from ``lam_min`` to ``L`` (the Lipschitz
    constant of the gradient). Started from ``phi = (1, ..., 1)``, the initial loss ``lam_k/2``
    of each direction is spread evenly over the curvatures in ``(0, L]``: most directions are
    nearly flat, and after ``t`` steps with ``alpha = 1/L`` only those with ``lam_k > 1/t``
    are done, leaving a loss about proportional to ``1/t`` (until ``t`` reaches ``1/lam_min``).
    Minimum 0 at ``phi = 0``.
    """
    n = V.positive_int(n, "n")
    lam_min, L = V.rate(lam_min, "lam_min"), V.rate(L, "L")
    if not lam_min < L:
        raise ValueError(f"need lam_min < L; got lam_min={lam_min!r}, L={L!r}.")
    return Quadratic(np.diag(np.logspace(np.log10(lam_min), np.log10(L), n)))
