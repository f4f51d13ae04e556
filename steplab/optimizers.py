"""Optimizers of UDL chapter 6 (sections 6.1-6.4), each ``step`` written as its equations.

Every optimizer is an immutable object holding its hyperparameters in the book's notation
(``alpha`` learning rate, ``beta`` momentum / first-moment decay, ``gamma`` second-moment
decay, ``epsilon``), checked once when it is made::

    opt = Adam(alpha=0.05, beta=0.9, gamma=0.99, epsilon=1e-8)
    state = opt.init(phi)                       # AdamState(t=0, m=zeros, v=zeros)
    phi, state = opt.step(phi, state, grad_fn)  # grad_fn(phi) -> gradient at phi

``step`` computes the update in plain numpy, one line per equation with its number beside
it, and never mutates ``phi`` or ``state``; it works elementwise, so ``phi`` may have any
shape. It receives a gradient *function* (not a gradient) so that Nesterov can evaluate it at
its look-ahead point; :func:`steplab.minimize` binds the current minibatch into ``grad_fn``.
``step(..., alpha=a)`` overrides the learning rate for one step (learning-rate schedules,
:mod:`steplab.schedules`). The step counter ``t`` counts from 1: the book's ``t + 1`` is the
``t`` of the step being taken.

The optimizers of Goodfellow et al. chapter 8 and the Adam variants of later papers live in
:mod:`steplab.more_optimizers`; every name is importable from here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import _validate as V
from ._optimizer import AdamFamily, AdamState, GDState, MomentumState, Optimizer, gradient
from .more_optimizers import (
    AdaDelta,
    AdaDeltaState,
    AdaGrad,
    AdaGradState,
    Adamax,
    AdamaxState,
    AdamW,
    AMSGrad,
    AMSGradState,
    HeavyBall,
    HeavyBallState,
    NAdam,
    NAdamState,
    RMSProp,
    RMSPropState,
)

__all__ = [
    "Optimizer", "GradientDescent", "SGD", "Momentum", "Nesterov", "NormalizedGD", "Adam",
    "HeavyBall", "AdaGrad", "RMSProp", "AdaDelta", "Adamax", "AMSGrad", "NAdam", "AdamW",
    "GDState", "MomentumState", "AdamState", "HeavyBallState", "AdaGradState", "RMSPropState",
    "AdaDeltaState", "AdamaxState", "AMSGradState", "NAdamState",
    "as_optimizer", "FunctionOptimizer",
]


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

    hyper = {"alpha": "rate"}

    def step(self, phi, state, grad_fn, alpha=None):
        alpha = self._alpha(alpha)
        phi, g = self._gradient(phi, state, grad_fn)
        phi = phi - alpha * g                                   # eq. 6.3 (6.10 on a batch)
        return phi, GDState(state.t + 1)


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

    hyper = {"alpha": "rate", "beta": "decay"}
    State = MomentumState

    def step(self, phi, state, grad_fn, alpha=None):
        alpha, beta = self._alpha(alpha), self.beta
        phi, g = self._gradient(phi, state, grad_fn)
        m = beta * state.m + (1 - beta) * g                     # eq. 6.11
        phi = phi - alpha * m                                   # eq. 6.11
        return phi, MomentumState(state.t + 1, m)


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

    hyper = {"alpha": "rate", "beta": "decay"}
    State = MomentumState

    def step(self, phi, state, grad_fn, alpha=None):
        alpha, beta = self._alpha(alpha), self.beta
        phi = self._phi(phi, state)
        ahead = phi - alpha * beta * state.m                    # look-ahead point, eq. 6.12
        g = gradient(grad_fn, ahead, phi.shape)
        m = beta * state.m + (1 - beta) * g                     # eq. 6.12
        phi = phi - alpha * m                                   # eq. 6.12
        return phi, MomentumState(state.t + 1, m)


@dataclass(frozen=True)
class NormalizedGD(Optimizer):
    """Normalized gradients, UDL eqs. 6.13-6.14::

        m_{t+1} = g,  v_{t+1} = g^2                               (6.13)
        phi_{t+1} = phi_t - alpha * m_{t+1} / (sqrt(v_{t+1}) + epsilon)   (6.14)

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

    hyper = {"alpha": "rate", "epsilon": "epsilon"}
    State = AdamState

    def step(self, phi, state, grad_fn, alpha=None):
        alpha = self._alpha(alpha)
        phi, g = self._gradient(phi, state, grad_fn)
        m = g                                                   # eq. 6.13
        v = g**2                                                # eq. 6.13
        phi = phi - alpha * m / (np.sqrt(v) + self.epsilon)     # eq. 6.14
        return phi, AdamState(state.t + 1, m, v)


@dataclass(frozen=True)
class Adam(AdamFamily):
    """Adaptive moment estimation (自适应矩估计), UDL eqs. 6.15-6.17 (Kingma & Ba 2015, alg. 1)::

        m_{t+1} = beta  * m_t + (1 - beta)  * g                             (6.15)
        v_{t+1} = gamma * v_t + (1 - gamma) * g^2                           (6.15)
        m_hat   = m_{t+1} / (1 - beta^{t+1}),   v_hat = v_{t+1} / (1 - gamma^{t+1})   (6.16)
        phi_{t+1} = phi_t - alpha * m_hat / (sqrt(v_hat) + epsilon)         (6.17)

    With minibatches ``g`` is the batch gradient (eq. 6.18). Symbols to ``torch.optim.Adam``:
    ``alpha`` = ``lr``, ``beta`` = ``betas[0]``, ``gamma`` = ``betas[1]``, ``epsilon`` =
    ``eps``; matches it step for step (float64). ``bias_correction=False`` drops both
    divisions (eq. 6.16), for the lesson on why they are there: the uncorrected step is scaled
    by ``(1 - beta^t) / sqrt(1 - gamma^t)``, which is 3.2 at t = 1 for beta = 0.9,
    gamma = 0.999 (steps far too long), and for gamma = 0.99 is 1 at t = 1 but about 2.1 near
    t = 10.

    >>> import numpy as np
    >>> opt = Adam(alpha=0.05, beta=0.9, gamma=0.99)
    >>> phi, state = opt.step(np.array([1.0, -3.0]), opt.init(np.zeros(2)), lambda p: 2 * p)
    >>> np.round(phi, 6)            # the first Adam step has length alpha in every component
    array([ 0.95, -2.95])
    >>> state.t
    1

    Reference: Kingma & Ba, "Adam: a method for stochastic optimization", ICLR 2015.
    """

    bias_correction: bool = True

    hyper = {**AdamFamily.hyper, "bias_correction": "flag"}

    def step(self, phi, state, grad_fn, alpha=None):
        alpha, beta, gamma, t = self._alpha(alpha), self.beta, self.gamma, state.t + 1
        phi, g = self._gradient(phi, state, grad_fn)
        m = beta * state.m + (1 - beta) * g                     # eq. 6.15
        v = gamma * state.v + (1 - gamma) * g**2                # eq. 6.15
        m_hat, v_hat = m, v
        if self.bias_correction:
            m_hat = m / (1 - beta**t)                           # eq. 6.16
            v_hat = v / (1 - gamma**t)                          # eq. 6.16
        phi = phi - alpha * m_hat / (np.sqrt(v_hat) + self.epsilon)   # eq. 6.17
        return phi, AdamState(t, m, v)


# --------------------------------------------------------------------------- students' functions

@dataclass(frozen=True)
class FunctionOptimizer(Optimizer):
    """Wraps a plain function ``step(phi, grad) -> new_phi`` (a student's first optimizer) so it
    can run wherever an optimizer object can. The state only counts steps."""

    fn: Callable = None

    def __post_init__(self):
        super().__post_init__()
        if not callable(self.fn) or isinstance(self.fn, type):
            raise ValueError(f"expected a function step(phi, grad) -> phi; got "
                             f"{V.describe(self.fn)}.")

    @property
    def name(self) -> str:
        return self.label or getattr(self.fn, "__name__", "student step")

    def step(self, phi, state, grad_fn, alpha=None):
        return np.asarray(self.fn(phi, grad_fn(phi)), dtype=float), GDState(state.t + 1)


def as_optimizer(obj, label: str | None = None) -> Optimizer:
    """Accept an optimizer object (anything with ``init`` and ``step``) or a plain function
    ``step(phi, grad) -> phi`` and return something with the optimizer interface."""
    if isinstance(obj, type):
        name = f"sl.{obj.__name__}" if issubclass(obj, Optimizer) else obj.__name__
        raise ValueError(f"{name} is an optimizer class, not an optimizer: pass an instance: "
                         f"{name}(alpha=...), e.g. {name}(alpha=0.1).")
    if hasattr(obj, "init") and hasattr(obj, "step"):
        return obj
    if callable(obj):
        return FunctionOptimizer(fn=obj, label=label or "")
    raise ValueError(
        f"{V.describe(obj)} is not an optimizer: pass an object with init(phi) and "
        "step(phi, state, grad_fn) methods, such as sl.Adam(alpha=0.1), or a function "
        "step(phi, grad) -> phi."
    )
