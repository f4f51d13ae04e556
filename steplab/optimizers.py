"""Optimizers of UDL chapter 6 and Goodfellow et al. chapter 8, as pure ``init``/``step`` pairs.

Every optimizer is an immutable object holding its hyperparameters in the book's notation
(``alpha`` learning rate, ``beta`` momentum / first-moment decay, ``gamma`` second-moment
decay, ``epsilon``)::

    opt = Adam(alpha=0.05, beta=0.9, gamma=0.99, epsilon=1e-8)
    state = opt.init(phi)                       # AdamState(t=0, m=zeros, v=zeros)
    phi, state = opt.step(phi, state, grad_fn)  # grad_fn(phi) -> gradient at phi

``step`` never mutates ``phi`` or ``state``; it works elementwise, so ``phi`` may have any
shape. It receives a gradient *function* (not a gradient) so that Nesterov can evaluate it at
its look-ahead point; :func:`steplab.minimize` binds the current minibatch into ``grad_fn``.
``step(..., alpha=a)`` overrides the learning rate for one step (learning-rate schedules,
:mod:`steplab.schedules`). The step counter ``t`` counts from 1.

Implementation note (speed): widgets call ``step`` thousands of times, so each update is
written once as a *kernel* that fills freshly allocated output arrays with ``np.multiply(...,
out=...)`` and friends (no hidden temporaries). Large arrays are processed in cache-sized
chunks, so every element is read from memory once per step. The maths is in each docstring;
the kernels compute exactly that, in the order the comments show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

import numpy as np

from . import _validate as V
from ._parallel import pool as _pool

__all__ = [
    "Optimizer", "GradientDescent", "SGD", "Momentum", "Nesterov", "NormalizedGD", "Adam",
    "HeavyBall", "AdaGrad", "RMSProp", "AdaDelta", "Adamax", "AMSGrad", "NAdam", "AdamW",
    "GDState", "MomentumState", "AdamState", "HeavyBallState", "AdaGradState", "RMSPropState",
    "AdaDeltaState", "AdamaxState", "AMSGradState", "NAdamState",
    "as_optimizer", "FunctionOptimizer",
]


# --------------------------------------------------------------------------- states

class GDState(NamedTuple):
    """State of plain gradient descent: only the step counter ``t``."""

    t: int


class MomentumState(NamedTuple):
    """State of momentum methods: step counter ``t`` and momentum ``m`` (UDL eq. 6.11)."""

    t: int
    m: Any


class AdamState(NamedTuple):
    """State of Adam-like methods: ``t``, first moment ``m`` and second moment ``v``
    (UDL eqs. 6.15-6.16)."""

    t: int
    m: Any
    v: Any


class HeavyBallState(NamedTuple):
    """State of :class:`HeavyBall`: ``t`` and the velocity ``v`` (Goodfellow alg. 8.2)."""

    t: int
    v: Any


class AdaGradState(NamedTuple):
    """State of :class:`AdaGrad`: ``t`` and the accumulated squared gradient ``r``
    (Goodfellow alg. 8.4)."""

    t: int
    r: Any


class RMSPropState(NamedTuple):
    """State of :class:`RMSProp`: ``t`` and the running average ``r`` of ``g^2``
    (Goodfellow alg. 8.5)."""

    t: int
    r: Any


class AdaDeltaState(NamedTuple):
    """State of :class:`AdaDelta` (Zeiler 2012, alg. 1): ``t``, the running average ``r`` of
    ``g^2`` (Zeiler's ``E[g^2]``, torch ``square_avg``) and the running average ``s`` of the
    squared updates (Zeiler's ``E[dx^2]``, torch ``acc_delta``)."""

    t: int
    r: Any
    s: Any


class AdamaxState(NamedTuple):
    """State of :class:`Adamax` (Kingma & Ba 2015, alg. 2): ``t``, first moment ``m`` and the
    exponentially weighted infinity norm ``u`` (torch ``exp_inf``)."""

    t: int
    m: Any
    u: Any


class AMSGradState(NamedTuple):
    """State of :class:`AMSGrad` (Reddi et al. 2018, alg. 2): ``t``, ``m``, ``v`` and the running
    maximum ``v_hat`` of ``v`` (torch ``max_exp_avg_sq``)."""

    t: int
    m: Any
    v: Any
    v_hat: Any


class NAdamState(NamedTuple):
    """State of :class:`NAdam` (Dozat 2016, alg. 2): ``t``, ``m``, ``v`` and the product
    ``mu_product`` of the momentum schedule ``mu_1 ... mu_t`` (torch ``mu_product``)."""

    t: int
    m: Any
    v: Any
    mu_product: float


# --------------------------------------------------------------------------- helpers

#: elements per chunk: 32768 float64 = 256 KiB per array, so a kernel works mostly in L2 cache
_CHUNK = 32768


def _zeros(phi):
    return np.zeros(np.shape(phi), dtype=float)


def _grad(grad_fn, x, shape):
    """Call ``grad_fn(x)`` and check that the gradient has the shape of ``phi``."""
    g = grad_fn(x)
    if type(g) is not np.ndarray:
        g = np.asarray(g, dtype=float)
    if g.shape != shape:
        if g.size == math.prod(shape):      # e.g. a float for a one-parameter problem
            return g.reshape(shape)
        raise ValueError(f"grad_fn returned a gradient of shape {g.shape}, but phi has shape "
                         f"{shape}: the gradient needs one entry per parameter.")
    return g


def _apply(kernel, n_out, ins, *consts):
    """Run ``kernel(outs, ins, *consts)`` on ``n_out`` fresh float64 arrays shaped like ``ins[0]``.

    Arrays larger than ``_CHUNK`` elements are processed chunk by chunk (views of flat copies),
    so the temporaries of the kernel stay in cache; from ``_PARALLEL`` elements on, the chunks
    are shared between the available cores (numpy releases the GIL inside each operation, and
    every chunk writes its own slice of the outputs). Inputs are never written to.
    """
    first = ins[0]
    shape = first.shape
    for x in ins:
        if getattr(x, "shape", None) != shape:
            ins = _conform(ins, shape)
            break
    outs = [np.empty(shape) for _ in range(n_out)]
    size = first.size
    if size <= _CHUNK:
        kernel(outs, ins, *consts)
        return outs
    flat_out = [o.reshape(-1) for o in outs]
    flat_in = [np.reshape(x, -1) for x in ins]

    def run(lo, hi):
        for i in range(lo, hi, _CHUNK):
            s = slice(i, min(i + _CHUNK, hi))
            kernel([o[s] for o in flat_out], [x[s] for x in flat_in], *consts)

    pool = _pool() if size >= _PARALLEL else None
    if pool is None:
        run(0, size)
        return outs
    parts = pool._max_workers + 1
    per = -(-size // (parts * _CHUNK)) * _CHUNK      # a whole number of chunks per part
    futures = [pool.submit(run, lo, min(lo + per, size)) for lo in range(per, size, per)]
    run(0, min(per, size))
    for f in futures:
        f.result()
    return outs


def _conform(ins, shape):
    """Inputs as float arrays of ``shape``: scalars (e.g. a state ``m = 0.0``) broadcast, any
    other shape is an error (a state made by ``init`` for a different ``phi``)."""
    out = []
    for x in ins:
        x = np.asarray(x, dtype=float)
        if x.shape != shape:
            if x.ndim:
                raise ValueError(f"phi has shape {shape} but the optimizer state holds an array "
                                 f"of shape {x.shape}: start from state = opt.init(phi) for "
                                 "this phi.")
            x = np.broadcast_to(x, shape)
        out.append(x)
    return out


#: from this many elements on, ``_apply`` shares the chunks between the cores
_PARALLEL = 1 << 17


def _eps(value, name="epsilon", *, allow_zero=True):
    """Check a small constant such as epsilon (finite, >= 0; > 0 without ``allow_zero``)."""
    return V.rate(value, name, allow_zero=allow_zero)


def _flag(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False; got {value!r}.")
    return bool(value)


# --------------------------------------------------------------------------- base

@dataclass(frozen=True)
class Optimizer:
    """Base class. Subclasses set their hyperparameters as dataclass fields and define
    ``init(phi) -> state`` and ``step(phi, state, grad_fn, alpha=None) -> (phi, state)``."""

    #: short label for legends
    label: str = field(default="", compare=False, kw_only=True)

    def init(self, phi):
        return GDState(0)

    def step(self, phi, state, grad_fn, alpha=None):  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def name(self) -> str:
        return self.label or type(self).__name__

    def __post_init__(self):
        self._check()

    def _check(self):
        pass


# --------------------------------------------------------------------------- kernels
# Each kernel fills ``outs`` (fresh arrays) from ``ins`` (never written). The first output is
# always the new phi, and it doubles as scratch space before its final value is written.

def _k_gd(outs, ins, a):
    (P,), (phi, g) = outs, ins
    np.multiply(g, a, out=P)                 # alpha * g
    np.subtract(phi, P, out=P)               # phi - alpha * g


def _k_momentum(outs, ins, a, b):
    (P, M), (phi, m, g) = outs, ins
    np.multiply(m, b, out=M)                 # beta * m
    np.multiply(g, 1.0 - b, out=P)           # (1 - beta) * g
    np.add(M, P, out=M)                      # m_new
    np.multiply(M, a, out=P)
    np.subtract(phi, P, out=P)               # phi - alpha * m_new


def _k_normalized(outs, ins, a, e):
    (P, M, Vn), (phi, g) = outs, ins
    np.copyto(M, g)                          # m = g
    np.multiply(g, g, out=Vn)                # v = g^2
    np.sqrt(Vn, out=P)
    np.add(P, e, out=P)
    np.divide(g, P, out=P)                   # g / (sqrt(v) + eps)
    np.multiply(P, a, out=P)
    np.subtract(phi, P, out=P)


def _k_adam(outs, ins, b, c, s, e, decay):
    """m = b m + (1-b) g; v = c v + (1-c) g^2; phi_new = decay*phi - s * m / (sqrt(v) + e)."""
    (P, M, Vn), (phi, m, v, g) = outs, ins
    T = np.empty_like(P)
    np.multiply(m, b, out=M)
    np.multiply(g, 1.0 - b, out=T)
    np.add(M, T, out=M)                      # m_new = beta m + (1-beta) g
    np.multiply(v, c, out=Vn)
    np.multiply(g, 1.0 - c, out=T)
    np.multiply(T, g, out=T)
    np.add(Vn, T, out=Vn)                    # v_new = gamma v + (1-gamma) g^2
    np.sqrt(Vn, out=T)
    np.add(T, e, out=T)
    np.divide(M, T, out=T)
    np.multiply(T, s, out=T)                 # the step
    if decay == 1.0:
        np.subtract(phi, T, out=P)
    else:                                    # AdamW: decoupled weight decay first
        np.multiply(phi, decay, out=P)
        np.subtract(P, T, out=P)


def _k_heavyball(outs, ins, a, b):
    (P, Vn), (phi, v, g) = outs, ins
    np.multiply(v, b, out=Vn)                # beta * v
    np.multiply(g, a, out=P)                 # alpha * g
    np.subtract(Vn, P, out=Vn)               # v_new = beta v - alpha g
    np.add(phi, Vn, out=P)                   # phi + v_new


def _k_adagrad(outs, ins, a, e):
    (P, R), (phi, r, g) = outs, ins
    np.multiply(g, g, out=R)
    np.add(R, r, out=R)                      # r_new = r + g^2
    np.sqrt(R, out=P)
    np.add(P, e, out=P)                      # eps + sqrt(r_new)
    np.divide(g, P, out=P)
    np.multiply(P, a, out=P)
    np.subtract(phi, P, out=P)


def _k_rmsprop(outs, ins, a, c, e):
    (P, R), (phi, r, g) = outs, ins
    np.multiply(r, c, out=R)
    np.multiply(g, 1.0 - c, out=P)
    np.multiply(P, g, out=P)
    np.add(R, P, out=R)                      # r_new = gamma r + (1-gamma) g^2
    np.sqrt(R, out=P)
    np.add(P, e, out=P)
    np.divide(g, P, out=P)
    np.multiply(P, a, out=P)
    np.subtract(phi, P, out=P)


def _k_adadelta(outs, ins, a, c, e):
    (P, R, S), (phi, r, s, g) = outs, ins
    T = np.empty_like(P)
    np.multiply(r, c, out=R)
    np.multiply(g, 1.0 - c, out=T)
    np.multiply(T, g, out=T)
    np.add(R, T, out=R)                      # r_new = gamma r + (1-gamma) g^2
    np.add(R, e, out=T)
    np.sqrt(T, out=T)                        # RMS[g] = sqrt(r_new + eps)
    np.add(s, e, out=P)
    np.sqrt(P, out=P)                        # RMS[dphi] = sqrt(s + eps)
    np.divide(P, T, out=P)
    np.multiply(P, g, out=P)                 # delta = RMS[dphi] / RMS[g] * g
    np.multiply(s, c, out=S)
    np.multiply(P, 1.0 - c, out=T)
    np.multiply(T, P, out=T)
    np.add(S, T, out=S)                      # s_new = gamma s + (1-gamma) delta^2
    np.multiply(P, a, out=T)
    np.subtract(phi, T, out=P)               # phi - alpha * delta


def _k_adamax(outs, ins, b, c, s, e):
    (P, M, U), (phi, m, u, g) = outs, ins
    np.multiply(m, b, out=M)
    np.multiply(g, 1.0 - b, out=P)
    np.add(M, P, out=M)                      # m_new
    np.multiply(u, c, out=U)
    np.absolute(g, out=P)
    np.maximum(U, P, out=U)                  # u_new = max(gamma u, |g|)
    np.add(U, e, out=P)
    np.divide(M, P, out=P)
    np.multiply(P, s, out=P)
    np.subtract(phi, P, out=P)


def _k_amsgrad(outs, ins, b, c, s, e):
    (P, M, Vn, Vh), (phi, m, v, vh, g) = outs, ins
    np.multiply(m, b, out=M)
    np.multiply(g, 1.0 - b, out=P)
    np.add(M, P, out=M)                      # m_new
    np.multiply(v, c, out=Vn)
    np.multiply(g, 1.0 - c, out=P)
    np.multiply(P, g, out=P)
    np.add(Vn, P, out=Vn)                    # v_new
    np.maximum(vh, Vn, out=Vh)               # v_hat_new = max(v_hat, v_new)
    np.sqrt(Vh, out=P)
    np.add(P, e, out=P)
    np.divide(M, P, out=P)
    np.multiply(P, s, out=P)
    np.subtract(phi, P, out=P)


def _k_nadam(outs, ins, b, c, k2, e, c_g, c_m):
    (P, M, Vn), (phi, m, v, g) = outs, ins
    T = np.empty_like(P)
    np.multiply(m, b, out=M)
    np.multiply(g, 1.0 - b, out=T)
    np.add(M, T, out=M)                      # m_new
    np.multiply(v, c, out=Vn)
    np.multiply(g, 1.0 - c, out=T)
    np.multiply(T, g, out=T)
    np.add(Vn, T, out=Vn)                    # v_new
    np.multiply(g, c_g, out=T)
    np.multiply(M, c_m, out=P)
    np.add(T, P, out=T)                      # c_g g + c_m m_new
    np.sqrt(Vn, out=P)
    np.multiply(P, k2, out=P)
    np.add(P, e, out=P)                      # sqrt(v_new / (1-gamma^t)) + eps
    np.divide(T, P, out=T)
    np.subtract(phi, T, out=P)


# --------------------------------------------------------------------------- UDL chapter 6

@dataclass(frozen=True)
class GradientDescent(Optimizer):
    """Gradient descent (梯度下降), UDL eq. 6.3 (Goodfellow alg. 8.1)::

        phi_{t+1} = phi_t - alpha * g(phi_t)

    With a minibatch gradient (``minimize(..., batch_size=B)``) this is stochastic gradient
    descent (随机梯度下降), eq. 6.10.

    Symbols: ``alpha`` learning rate (学习率) = ``torch.optim.SGD(lr=alpha)``; matches it step
    for step.

    >>> import numpy as np
    >>> opt = GradientDescent(alpha=0.1)
    >>> opt.step(np.array([1.0]), opt.init(None), lambda p: 2 * p)[0]
    array([0.8])

    References: Cauchy (1847); UDL section 6.1; Goodfellow et al. (2016) sec. 8.3.1.
    """

    alpha: float = 0.1

    def _check(self):
        V.rate(self.alpha, "alpha")

    def step(self, phi, state, grad_fn, alpha=None):
        a = self.alpha if alpha is None else alpha
        phi = np.asarray(phi, dtype=float)
        g = _grad(grad_fn, phi, phi.shape)
        if phi.size <= _CHUNK:                   # small: two ufuncs beat the chunk machinery
            return phi - a * g, GDState(state.t + 1)
        (new,) = _apply(_k_gd, 1, (phi, g), a)
        return new, GDState(state.t + 1)


#: alias: with minibatches, gradient descent is SGD (UDL eq. 6.10)
SGD = GradientDescent


@dataclass(frozen=True)
class Momentum(Optimizer):
    """Gradient descent with momentum (动量), UDL eq. 6.11::

        m_{t+1}   = beta * m_t + (1 - beta) * g(phi_t)
        phi_{t+1} = phi_t - alpha * m_{t+1}

    ``m_0 = 0``. Symbols: ``alpha`` learning rate; ``beta`` momentum coefficient in [0, 1);
    ``m`` the momentum, a weighted average of past gradients (state ``MomentumState(t, m)``).

    Relation to Goodfellow and PyTorch: with constant ``alpha`` this equals
    ``HeavyBall(alpha*(1-beta), beta)`` exactly (its velocity is ``v = -alpha*m``).

    Warning: ``torch.optim.SGD(lr=alpha, momentum=beta, dampening=beta)`` follows the same
    recursion but starts its buffer at the undamped gradient ``g_1`` where the book starts at
    ``(1-beta)*g_1``, so its iterates differ, most in the first steps (its first step is
    ``1/(1-beta)`` times longer). ``torch.optim.SGD(lr=alpha*(1-beta), momentum=beta)`` is the
    exact equivalent.

    >>> import numpy as np
    >>> opt = Momentum(alpha=0.1, beta=0.9)
    >>> phi, state = np.array([1.0, -1.0]), opt.init(np.zeros(2))
    >>> for _ in range(2):
    ...     phi, state = opt.step(phi, state, lambda p: 2 * p)
    >>> np.round(phi, 4)
    array([ 0.9424, -0.9424])

    Reference: Polyak (1964); UDL section 6.3.
    """

    alpha: float = 0.1
    beta: float = 0.9

    def _check(self):
        V.rate(self.alpha, "alpha")
        V.decay(self.beta, "beta")

    def init(self, phi):
        return MomentumState(0, _zeros(phi))

    def step(self, phi, state, grad_fn, alpha=None):
        a = self.alpha if alpha is None else alpha
        phi = np.asarray(phi, dtype=float)
        g = _grad(grad_fn, phi, phi.shape)
        new, m = _apply(_k_momentum, 2, (phi, state.m, g), a, self.beta)
        return new, MomentumState(state.t + 1, m)


@dataclass(frozen=True)
class Nesterov(Optimizer):
    """Nesterov accelerated momentum (Nesterov 加速动量), UDL eq. 6.12, corrected (errata) form::

        m_{t+1}   = beta * m_t + (1 - beta) * g(phi_t - alpha * beta * m_t)
        phi_{t+1} = phi_t - alpha * m_{t+1}

    The gradient is taken at the look-ahead point ``phi_t - alpha*beta*m_t``: where the
    momentum part of the next step alone would take us. The first print of the book writes
    ``phi_t - alpha*m_t``, which over-shoots the look-ahead by a factor ``1/beta``.
    Goodfellow's form (alg. 8.3) is :class:`HeavyBall` with ``nesterov=True``.

    Symbols: ``alpha`` learning rate, ``beta`` momentum coefficient; state ``MomentumState``.

    Warning: ``torch.optim.SGD(nesterov=True)`` uses a reparametrized form whose iterates are
    the look-ahead points; see :class:`HeavyBall`.

    >>> import numpy as np
    >>> opt = Nesterov(alpha=0.1, beta=0.9)
    >>> phi, state = opt.step(np.array([1.0]), opt.init(np.zeros(1)), lambda p: 2 * p)
    >>> phi
    array([0.98])

    References: Nesterov (1983); Sutskever et al. (2013); UDL section 6.3.1.
    """

    alpha: float = 0.1
    beta: float = 0.9

    def _check(self):
        V.rate(self.alpha, "alpha")
        V.decay(self.beta, "beta")

    def init(self, phi):
        return MomentumState(0, _zeros(phi))

    def step(self, phi, state, grad_fn, alpha=None):
        a = self.alpha if alpha is None else alpha
        phi = np.asarray(phi, dtype=float)
        g = _grad(grad_fn, phi - (a * self.beta) * state.m, phi.shape)
        new, m = _apply(_k_momentum, 2, (phi, state.m, g), a, self.beta)
        return new, MomentumState(state.t + 1, m)


@dataclass(frozen=True)
class NormalizedGD(Optimizer):
    """Normalized gradients, UDL eqs. 6.13-6.14::

        m_{t+1} = g,  v_{t+1} = g^2,  phi_{t+1} = phi_t - alpha * m / (sqrt(v) + epsilon)

    Every component moves by (almost exactly) ``alpha`` in the direction of its gradient's
    sign, so the iterates bounce around a minimum instead of settling (fig. 6.9b).
    The print puts ``epsilon`` inside the root; both have the same limit as epsilon -> 0.
    Symbols: ``alpha`` step length, ``epsilon`` guards against division by zero. There is no
    ``torch.optim`` counterpart (it is Adam with ``beta = gamma = 0`` and no bias correction;
    UDL section 6.4).

    >>> import numpy as np
    >>> opt = NormalizedGD(alpha=0.08)
    >>> phi, _ = opt.step(np.array([1.0, -3.0]), opt.init(np.zeros(2)), lambda p: 2 * p)
    >>> np.round(phi, 6)
    array([ 0.92, -2.92])
    """

    alpha: float = 0.08
    epsilon: float = 1e-8

    def _check(self):
        V.rate(self.alpha, "alpha")
        _eps(self.epsilon)

    def init(self, phi):
        return AdamState(0, _zeros(phi), _zeros(phi))

    def step(self, phi, state, grad_fn, alpha=None):
        a = self.alpha if alpha is None else alpha
        phi = np.asarray(phi, dtype=float)
        g = _grad(grad_fn, phi, phi.shape)
        new, m, v = _apply(_k_normalized, 3, (phi, g), a, self.epsilon)
        return new, AdamState(state.t + 1, m, v)


@dataclass(frozen=True)
class Adam(Optimizer):
    """Adaptive moment estimation (自适应矩估计), UDL eqs. 6.15-6.18 (Kingma & Ba 2015, alg. 1)::

        m_{t+1} = beta  * m_t + (1 - beta)  * g
        v_{t+1} = gamma * v_t + (1 - gamma) * g^2
        m_hat   = m_{t+1} / (1 - beta^{t+1}),   v_hat = v_{t+1} / (1 - gamma^{t+1})
        phi_{t+1} = phi_t - alpha * m_hat / (sqrt(v_hat) + epsilon)

    Symbols to ``torch.optim.Adam``: ``alpha`` = ``lr``, ``beta`` = ``betas[0]``,
    ``gamma`` = ``betas[1]``, ``epsilon`` = ``eps``; matches it step for step (float64).
    ``bias_correction=False`` drops both divisions (eq. 6.16), for the lesson on why they are
    there: the uncorrected step is scaled by ``(1 - beta^t) / sqrt(1 - gamma^t)``, which is
    3.2 at t = 1 for beta = 0.9, gamma = 0.999 (steps far too long), and for gamma = 0.99 is 1
    at t = 1 but about 2.1 near t = 10.

    >>> import numpy as np
    >>> opt = Adam(alpha=0.05, beta=0.9, gamma=0.99)
    >>> phi, state = opt.step(np.array([1.0, -3.0]), opt.init(np.zeros(2)), lambda p: 2 * p)
    >>> np.round(phi, 6)            # the first Adam step has length alpha in every component
    array([ 0.95, -2.95])
    >>> state.t
    1

    Reference: Kingma & Ba, "Adam: a method for stochastic optimization", ICLR 2015.
    """

    alpha: float = 0.001
    beta: float = 0.9
    gamma: float = 0.999
    epsilon: float = 1e-8
    bias_correction: bool = True

    def _check(self):
        V.rate(self.alpha, "alpha")
        V.decay(self.beta, "beta")
        V.decay(self.gamma, "gamma")
        _eps(self.epsilon)
        _flag(self.bias_correction, "bias_correction")

    def init(self, phi):
        return AdamState(0, _zeros(phi), _zeros(phi))

    def _scalars(self, a, t):
        # fold both corrections into scalars: alpha m_hat/(sqrt(v_hat)+eps)
        #   = [alpha sqrt(1-c^t)/(1-b^t)] m / (sqrt(v) + eps sqrt(1-c^t))
        if not self.bias_correction:
            return a, self.epsilon
        k = math.sqrt(1.0 - self.gamma**t)
        return a * k / (1.0 - self.beta**t), self.epsilon * k

    def step(self, phi, state, grad_fn, alpha=None):
        a = self.alpha if alpha is None else alpha
        phi = np.asarray(phi, dtype=float)
        g = _grad(grad_fn, phi, phi.shape)
        t = state.t + 1
        s, e = self._scalars(a, t)
        new, m, v = _apply(_k_adam, 3, (phi, state.m, state.v, g),
                           self.beta, self.gamma, s, e, 1.0)
        return new, AdamState(t, m, v)


# --------------------------------------------------------------------------- Goodfellow ch. 8

@dataclass(frozen=True)
class HeavyBall(Optimizer):
    """Momentum in Goodfellow's form (alg. 8.2), with optional Nesterov look-ahead (alg. 8.3)::

        v_{t+1}   = beta * v_t - alpha * g(phi_t)              (nesterov=False)
        v_{t+1}   = beta * v_t - alpha * g(phi_t + beta * v_t)  (nesterov=True)
        phi_{t+1} = phi_t + v_{t+1}

    ``v_0 = 0``. Symbols: ``alpha`` learning rate (Goodfellow's epsilon), ``beta`` momentum
    (Goodfellow's alpha!), ``v`` velocity (state ``HeavyBallState(t, v)``).

    Relations: ``torch.optim.SGD(lr=alpha, momentum=beta)`` (``dampening=0``) is the same
    method with buffer ``-v/alpha``; matches it step for step for constant ``alpha``. UDL's
    ``Momentum(alpha, beta)`` equals ``HeavyBall(alpha*(1-beta), beta)``.

    Warning: ``torch.optim.SGD(momentum=beta, nesterov=True)`` takes its gradient at its own
    iterate: its iterates are this method's look-ahead points ``phi_t + beta*v_t``, not
    ``phi_t``. With a schedule, ``alpha`` multiplies only the new gradient here (it is folded
    into ``v``), while torch multiplies the whole buffer by the current ``lr``.

    >>> import numpy as np
    >>> opt = HeavyBall(alpha=0.1, beta=0.9)
    >>> phi, state = np.array([1.0]), opt.init(np.zeros(1))
    >>> for _ in range(2):
    ...     phi, state = opt.step(phi, state, lambda p: 2 * p)
    >>> np.round(phi, 4), np.round(state.v, 4)
    (array([0.46]), array([-0.34]))

    References: Polyak (1964); Sutskever et al. (2013); Goodfellow et al. (2016) sec. 8.3.2-8.3.3.
    """

    alpha: float = 0.01
    beta: float = 0.9
    nesterov: bool = False

    def _check(self):
        V.rate(self.alpha, "alpha")
        V.decay(self.beta, "beta")
        _flag(self.nesterov, "nesterov")

    def init(self, phi):
        return HeavyBallState(0, _zeros(phi))

    def step(self, phi, state, grad_fn, alpha=None):
        a = self.alpha if alpha is None else alpha
        phi = np.asarray(phi, dtype=float)
        at = phi + self.beta * state.v if self.nesterov else phi
        g = _grad(grad_fn, at, phi.shape)
        new, v = _apply(_k_heavyball, 2, (phi, state.v, g), a, self.beta)
        return new, HeavyBallState(state.t + 1, v)


@dataclass(frozen=True)
class AdaGrad(Optimizer):
    """AdaGrad (Duchi et al. 2011), Goodfellow alg. 8.4::

        r_{t+1}   = r_t + g^2
        phi_{t+1} = phi_t - alpha * g / (epsilon + sqrt(r_{t+1}))

    ``r_0 = 0``. Symbols to ``torch.optim.Adagrad``: ``alpha`` = ``lr`` (Goodfellow's
    epsilon), ``epsilon`` = ``eps`` (Goodfellow's delta, default 1e-7 as in the book;
    torch's default is 1e-10); with ``lr_decay=0`` and ``initial_accumulator_value=0`` it
    matches torch step for step. The effective learning rate of each component only shrinks,
    which can stop training too early (the reason for RMSProp).

    >>> import numpy as np
    >>> opt = AdaGrad(alpha=0.1)
    >>> phi, state = opt.step(np.array([1.0, -3.0]), opt.init(np.zeros(2)), lambda p: 2 * p)
    >>> np.round(phi, 6), state.r
    (array([ 0.9, -2.9]), array([ 4., 36.]))
    """

    alpha: float = 0.01
    epsilon: float = 1e-7

    def _check(self):
        V.rate(self.alpha, "alpha")
        _eps(self.epsilon)

    def init(self, phi):
        return AdaGradState(0, _zeros(phi))

    def step(self, phi, state, grad_fn, alpha=None):
        a = self.alpha if alpha is None else alpha
        phi = np.asarray(phi, dtype=float)
        g = _grad(grad_fn, phi, phi.shape)
        new, r = _apply(_k_adagrad, 2, (phi, state.r, g), a, self.epsilon)
        return new, AdaGradState(state.t + 1, r)


@dataclass(frozen=True)
class RMSProp(Optimizer):
    """RMSProp (Hinton 2012), Goodfellow alg. 8.5 up to the placement of epsilon::

        r_{t+1}   = gamma * r_t + (1 - gamma) * g^2
        phi_{t+1} = phi_t - alpha * g / (sqrt(r_{t+1}) + epsilon)

    ``r_0 = 0``. Symbols to ``torch.optim.RMSprop``: ``alpha`` = ``lr``, ``gamma`` = ``alpha``
    (sic: torch calls the decay rate alpha; Goodfellow calls it rho), ``epsilon`` = ``eps``;
    with ``momentum=0, centered=False`` it matches torch step for step. Goodfellow writes
    ``alpha / sqrt(delta + r)`` (epsilon inside the root, delta = 1e-6); the two agree when
    ``r >> epsilon``.

    >>> import numpy as np
    >>> opt = RMSProp(alpha=0.01, gamma=0.99)
    >>> phi, state = opt.step(np.array([1.0]), opt.init(np.zeros(1)), lambda p: 2 * p)
    >>> np.round(phi, 6)            # first step: alpha / sqrt(1 - gamma) = 0.1
    array([0.9])
    """

    alpha: float = 0.01
    gamma: float = 0.99
    epsilon: float = 1e-8

    def _check(self):
        V.rate(self.alpha, "alpha")
        V.decay(self.gamma, "gamma")
        _eps(self.epsilon)

    def init(self, phi):
        return RMSPropState(0, _zeros(phi))

    def step(self, phi, state, grad_fn, alpha=None):
        a = self.alpha if alpha is None else alpha
        phi = np.asarray(phi, dtype=float)
        g = _grad(grad_fn, phi, phi.shape)
        new, r = _apply(_k_rmsprop, 2, (phi, state.r, g), a, self.gamma, self.epsilon)
        return new, RMSPropState(state.t + 1, r)


@dataclass(frozen=True)
class AdaDelta(Optimizer):
    """AdaDelta (Zeiler 2012, alg. 1), in the form of ``torch.optim.Adadelta``::

        r_{t+1}   = gamma * r_t + (1 - gamma) * g^2
        delta     = sqrt(s_t + epsilon) / sqrt(r_{t+1} + epsilon) * g
        s_{t+1}   = gamma * s_t + (1 - gamma) * delta^2
        phi_{t+1} = phi_t - alpha * delta

    ``r_0 = s_0 = 0``. The ratio of two running RMS values has the units of ``phi``, so no
    learning rate is needed: Zeiler's method is ``alpha = 1``. Symbols to
    ``torch.optim.Adadelta``: ``gamma`` = ``rho``, ``epsilon`` = ``eps``, ``alpha`` = ``lr``;
    matches it step for step. ``epsilon`` must be > 0: it sets the size of the first steps
    (about ``sqrt(epsilon)``), so AdaDelta starts very slowly.

    >>> import numpy as np
    >>> opt = AdaDelta(gamma=0.9, epsilon=1e-6)
    >>> phi, state = opt.step(np.array([1.0]), opt.init(np.zeros(1)), lambda p: 2 * p)
    >>> float(np.round(1.0 - phi[0], 6))     # ~ sqrt(eps) / sqrt(0.1) = 0.00316
    0.003162
    """

    gamma: float = 0.9
    epsilon: float = 1e-6
    alpha: float = 1.0

    def _check(self):
        V.decay(self.gamma, "gamma")
        _eps(self.epsilon, allow_zero=False)
        V.rate(self.alpha, "alpha")

    def init(self, phi):
        return AdaDeltaState(0, _zeros(phi), _zeros(phi))

    def step(self, phi, state, grad_fn, alpha=None):
        a = self.alpha if alpha is None else alpha
        phi = np.asarray(phi, dtype=float)
        g = _grad(grad_fn, phi, phi.shape)
        new, r, s = _apply(_k_adadelta, 3, (phi, state.r, state.s, g), a, self.gamma,
                           self.epsilon)
        return new, AdaDeltaState(state.t + 1, r, s)


# --------------------------------------------------------------------------- Adam variants

@dataclass(frozen=True)
class Adamax(Optimizer):
    """Adamax, Adam with the infinity norm (Kingma & Ba 2015, alg. 2)::

        m_{t+1}   = beta * m_t + (1 - beta) * g
        u_{t+1}   = max(gamma * u_t, |g|)
        phi_{t+1} = phi_t - alpha / (1 - beta^{t+1}) * m_{t+1} / (u_{t+1} + epsilon)

    ``m_0 = u_0 = 0``; ``u`` needs no bias correction. Symbols to ``torch.optim.Adamax``:
    ``alpha`` = ``lr``, ``beta`` = ``betas[0]``, ``gamma`` = ``betas[1]``, ``epsilon`` = ``eps``.

    Warning: the paper has no epsilon; we add it to the denominator (as Adam does) so a
    component whose gradient has always been 0 does not give 0/0. torch puts it inside the
    max, ``u = max(gamma*u, |g| + eps)``, so the two differ by O(epsilon / u).

    >>> import numpy as np
    >>> opt = Adamax(alpha=0.002)
    >>> phi, state = opt.step(np.array([1.0, -3.0]), opt.init(np.zeros(2)), lambda p: 2 * p)
    >>> np.round(phi, 6)            # first step has length alpha
    array([ 0.998, -2.998])
    """

    alpha: float = 0.002
    beta: float = 0.9
    gamma: float = 0.999
    epsilon: float = 1e-8

    def _check(self):
        V.rate(self.alpha, "alpha")
        V.decay(self.beta, "beta")
        V.decay(self.gamma, "gamma")
        _eps(self.epsilon)

    def init(self, phi):
        return AdamaxState(0, _zeros(phi), _zeros(phi))

    def step(self, phi, state, grad_fn, alpha=None):
        a = self.alpha if alpha is None else alpha
        phi = np.asarray(phi, dtype=float)
        g = _grad(grad_fn, phi, phi.shape)
        t = state.t + 1
        new, m, u = _apply(_k_adamax, 3, (phi, state.m, state.u, g), self.beta, self.gamma,
                           a / (1.0 - self.beta**t), self.epsilon)
        return new, AdamaxState(t, m, u)


@dataclass(frozen=True)
class AMSGrad(Optimizer):
    """AMSGrad (Reddi, Kale & Kumar 2018): Adam whose second moment never decreases::

        m_{t+1}     = beta  * m_t + (1 - beta)  * g
        v_{t+1}     = gamma * v_t + (1 - gamma) * g^2
        v_hat_{t+1} = max(v_hat_t, v_{t+1})
        phi_{t+1}   = phi_t - alpha * m_hat / (sqrt(v_hat_{t+1} / (1 - gamma^{t+1})) + epsilon)

    with ``m_hat = m_{t+1} / (1 - beta^{t+1})``. This bias-corrected form is
    ``torch.optim.Adam(amsgrad=True)`` (symbols as in :class:`Adam`) and matches it step for
    step. ``bias_correction=False`` gives the paper's alg. 2 with constant ``alpha`` and
    ``beta`` (``phi -= alpha * m / (sqrt(v_hat) + epsilon)``; the paper has no epsilon and
    decays ``alpha_t = alpha/sqrt(t)`` in its proof, use a schedule for that).

    >>> import numpy as np
    >>> opt = AMSGrad(alpha=0.05, beta=0.9, gamma=0.99)
    >>> phi, state = opt.step(np.array([1.0, -3.0]), opt.init(np.zeros(2)), lambda p: 2 * p)
    >>> np.round(phi, 6)
    array([ 0.95, -2.95])
    """

    alpha: float = 0.001
    beta: float = 0.9
    gamma: float = 0.999
    epsilon: float = 1e-8
    bias_correction: bool = True

    def _check(self):
        V.rate(self.alpha, "alpha")
        V.decay(self.beta, "beta")
        V.decay(self.gamma, "gamma")
        _eps(self.epsilon)
        _flag(self.bias_correction, "bias_correction")

    def init(self, phi):
        return AMSGradState(0, _zeros(phi), _zeros(phi), _zeros(phi))

    def step(self, phi, state, grad_fn, alpha=None):
        a = self.alpha if alpha is None else alpha
        phi = np.asarray(phi, dtype=float)
        g = _grad(grad_fn, phi, phi.shape)
        t = state.t + 1
        s, e = Adam._scalars(self, a, t)
        new, m, v, vh = _apply(_k_amsgrad, 4, (phi, state.m, state.v, state.v_hat, g),
                               self.beta, self.gamma, s, e)
        return new, AMSGradState(t, m, v, vh)


@dataclass(frozen=True)
class NAdam(Optimizer):
    """NAdam, Adam with Nesterov momentum (Dozat 2016, alg. 2, with its momentum schedule)::

        mu_t      = beta * (1 - 0.5 * 0.96^(t * momentum_decay))
        m_{t+1}   = beta  * m_t + (1 - beta)  * g
        v_{t+1}   = gamma * v_t + (1 - gamma) * g^2
        m_bar     = (1 - mu_t) g / (1 - prod_{i<=t} mu_i)
                    + mu_{t+1} m_{t+1} / (1 - prod_{i<=t+1} mu_i)
        phi_{t+1} = phi_t - alpha * m_bar / (sqrt(v_{t+1} / (1 - gamma^t)) + epsilon)

    (here ``t`` is the number of the step being taken, from 1). Symbols to
    ``torch.optim.NAdam``: ``alpha`` = ``lr``, ``beta`` = ``betas[0]``, ``gamma`` =
    ``betas[1]``, ``epsilon`` = ``eps``, ``momentum_decay`` = ``momentum_decay`` (Dozat's
    ``0.96^(t/250)`` is ``momentum_decay = 0.004``); this is torch's form and matches it.

    Warning: many texts (and seed 003) use the simplified form with constant ``mu_t = beta``;
    that is *not* ``momentum_decay=0`` here (which gives ``mu_t = beta/2``).

    >>> import numpy as np
    >>> opt = NAdam(alpha=0.002)
    >>> phi, state = opt.step(np.array([1.0]), opt.init(np.zeros(1)), lambda p: 2 * p)
    >>> float(np.round(state.mu_product, 6))     # mu_1 = 0.9 * (1 - 0.5 * 0.96**0.004)
    0.450073
    """

    alpha: float = 0.002
    beta: float = 0.9
    gamma: float = 0.999
    epsilon: float = 1e-8
    momentum_decay: float = 0.004

    def _check(self):
        V.rate(self.alpha, "alpha")
        V.decay(self.beta, "beta")
        V.decay(self.gamma, "gamma")
        _eps(self.epsilon)
        V.rate(self.momentum_decay, "momentum_decay", allow_zero=True)

    def init(self, phi):
        return NAdamState(0, _zeros(phi), _zeros(phi), 1.0)

    def step(self, phi, state, grad_fn, alpha=None):
        a = self.alpha if alpha is None else alpha
        phi = np.asarray(phi, dtype=float)
        g = _grad(grad_fn, phi, phi.shape)
        t = state.t + 1
        b, psi = self.beta, self.momentum_decay
        mu = b * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = b * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        prod = state.mu_product * mu
        c_g = a * (1.0 - mu) / (1.0 - prod)
        c_m = a * mu_next / (1.0 - prod * mu_next)
        k2 = 1.0 / math.sqrt(1.0 - self.gamma**t)
        new, m, v = _apply(_k_nadam, 3, (phi, state.m, state.v, g), b, self.gamma, k2,
                           self.epsilon, c_g, c_m)
        return new, NAdamState(t, m, v, prod)


@dataclass(frozen=True)
class AdamW(Optimizer):
    """AdamW: Adam with decoupled weight decay (Loshchilov & Hutter 2019), as torch.optim.AdamW::

        phi'      = phi_t * (1 - alpha * weight_decay)       (decay, not through the gradient)
        phi_{t+1} = phi' - alpha * m_hat / (sqrt(v_hat) + epsilon)

    with ``m_hat``, ``v_hat`` exactly as in :class:`Adam` (state ``AdamState``). Symbols to
    ``torch.optim.AdamW``: ``alpha`` = ``lr``, ``beta`` = ``betas[0]``, ``gamma`` =
    ``betas[1]``, ``epsilon`` = ``eps``, ``weight_decay`` = ``weight_decay``; matches it step
    for step. ``weight_decay=0`` is Adam.

    Warning: the paper writes the decay as ``eta_t * lambda * phi`` with a schedule
    multiplier ``eta_t``, independent of ``alpha``; torch (and this class) scale it by the
    learning rate, so the paper's ``lambda`` is ``alpha * weight_decay`` here. Adam with an L2
    penalty in the loss (``torch.optim.Adam(weight_decay=...)``) is a different method.

    >>> import numpy as np
    >>> opt = AdamW(alpha=0.05, beta=0.9, gamma=0.99, weight_decay=0.1)
    >>> phi, state = opt.step(np.array([1.0]), opt.init(np.zeros(1)), lambda p: 2 * p)
    >>> np.round(phi, 6)            # 1 * (1 - 0.005) - 0.05
    array([0.945])
    """

    alpha: float = 0.001
    beta: float = 0.9
    gamma: float = 0.999
    epsilon: float = 1e-8
    weight_decay: float = 0.01

    def _check(self):
        V.rate(self.alpha, "alpha")
        V.decay(self.beta, "beta")
        V.decay(self.gamma, "gamma")
        _eps(self.epsilon)
        V.rate(self.weight_decay, "weight_decay", allow_zero=True)

    bias_correction = True  # class constant, used by Adam._scalars

    def init(self, phi):
        return AdamState(0, _zeros(phi), _zeros(phi))

    def step(self, phi, state, grad_fn, alpha=None):
        a = self.alpha if alpha is None else alpha
        phi = np.asarray(phi, dtype=float)
        g = _grad(grad_fn, phi, phi.shape)
        t = state.t + 1
        s, e = Adam._scalars(self, a, t)
        new, m, v = _apply(_k_adam, 3, (phi, state.m, state.v, g), self.beta, self.gamma,
                           s, e, 1.0 - a * self.weight_decay)
        return new, AdamState(t, m, v)


# --------------------------------------------------------------------------- students' functions

@dataclass(frozen=True)
class FunctionOptimizer(Optimizer):
    """Wraps a plain function ``step(phi, grad) -> new_phi`` (a student's first optimizer) so it
    can run wherever an optimizer object can. The state only counts steps."""

    fn: Callable = None

    def _check(self):
        if not callable(self.fn):
            raise ValueError(f"expected a function step(phi, grad) -> phi; got {self.fn!r}.")

    @property
    def name(self) -> str:
        return self.label or getattr(self.fn, "__name__", "student step")

    def step(self, phi, state, grad_fn, alpha=None):
        return np.asarray(self.fn(phi, grad_fn(phi)), dtype=float), GDState(state.t + 1)


def as_optimizer(obj, label: str | None = None) -> Optimizer:
    """Accept an optimizer object (anything with ``init`` and ``step``) or a plain function
    ``step(phi, grad) -> phi`` and return something with the optimizer interface."""
    if hasattr(obj, "init") and hasattr(obj, "step"):
        return obj
    if callable(obj):
        return FunctionOptimizer(fn=obj, label=label or "")
    raise ValueError(
        f"{obj!r} is not an optimizer: pass an object with init(phi) and "
        "step(phi, state, grad_fn) methods, or a function step(phi, grad) -> phi."
    )
