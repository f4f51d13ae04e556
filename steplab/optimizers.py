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
``step(..., alpha=a)`` overrides the learning rate for one step (learning-rate schedules).
The step counter ``t`` counts from 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

import numpy as np

from . import _validate as V

__all__ = [
    "Optimizer", "GradientDescent", "SGD", "Momentum", "Nesterov", "NormalizedGD", "Adam",
    "GDState", "MomentumState", "AdamState", "as_optimizer", "FunctionOptimizer",
]


class GDState(NamedTuple):
    """State of plain gradient descent: only the step counter ``t``."""

    t: int


class MomentumState(NamedTuple):
    """State of momentum methods: step counter ``t`` and momentum ``m`` (UDL eq. 6.11)."""

    t: int
    m: Any


class AdamState(NamedTuple):
    """State of Adam-like methods: ``t``, first moment ``m`` and second moment ``v`` (eqs. 6.15-6.16)."""

    t: int
    m: Any
    v: Any


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


def _zeros(phi):
    return np.zeros(np.shape(phi), dtype=float)


@dataclass(frozen=True)
class GradientDescent(Optimizer):
    """Gradient descent, UDL eq. 6.3: ``phi <- phi - alpha * g``.

    With a minibatch gradient (``minimize(..., batch_size=B)``) this is stochastic gradient
    descent, eq. 6.10.

    Symbols: ``alpha`` = ``torch.optim.SGD(lr=alpha)``; matches it step for step.

    >>> import numpy as np
    >>> opt = GradientDescent(alpha=0.1)
    >>> opt.step(np.array([1.0]), opt.init(None), lambda p: 2 * p)[0]
    array([0.8])
    """

    alpha: float = 0.1

    def _check(self):
        V.rate(self.alpha, "alpha")

    def step(self, phi, state, grad_fn, alpha=None):
        a = self.alpha if alpha is None else alpha
        return phi - a * grad_fn(phi), GDState(state.t + 1)


#: alias: with minibatches, gradient descent is SGD (UDL eq. 6.10)
SGD = GradientDescent


@dataclass(frozen=True)
class Momentum(Optimizer):
    """Gradient descent with momentum, UDL eq. 6.11::

        m_{t+1}   = beta * m_t + (1 - beta) * g(phi_t)
        phi_{t+1} = phi_t - alpha * m_{t+1}

    ``m_0 = 0``. Symbols: ``alpha`` learning rate, ``beta`` momentum coefficient in [0, 1).

    Relation to PyTorch: this equals :class:`HeavyBall` with learning rate
    ``alpha*(1-beta)`` exactly. ``torch.optim.SGD(lr=alpha, momentum=beta, dampening=beta)``
    follows the same recursion but starts its buffer at the undamped gradient ``g`` (the book
    starts at ``(1-beta)*g``), so its iterates differ, most in the first steps.
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
        m = self.beta * state.m + (1.0 - self.beta) * grad_fn(phi)
        return phi - a * m, MomentumState(state.t + 1, m)


@dataclass(frozen=True)
class Nesterov(Optimizer):
    """Nesterov accelerated momentum, UDL eq. 6.12 in its corrected (errata) form::

        m_{t+1}   = beta * m_t + (1 - beta) * g(phi_t - alpha * beta * m_t)
        phi_{t+1} = phi_t - alpha * m_{t+1}

    The gradient is taken at the look-ahead point ``phi_t - alpha*beta*m_t``: where the
    momentum part of the next step alone would take us. The first print of the book writes
    ``phi_t - alpha*m_t``, which over-shoots the look-ahead by a factor ``1/beta``.
    Goodfellow's form (alg. 8.3) is :class:`HeavyBall` with ``nesterov=True``.
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
        g = grad_fn(phi - (a * self.beta) * state.m)
        m = self.beta * state.m + (1.0 - self.beta) * g
        return phi - a * m, MomentumState(state.t + 1, m)


@dataclass(frozen=True)
class NormalizedGD(Optimizer):
    """Normalized gradients, UDL eqs. 6.13-6.14::

        m_{t+1} = g,  v_{t+1} = g^2,  phi_{t+1} = phi_t - alpha * m / (sqrt(v) + epsilon)

    Every component moves by (almost exactly) ``alpha`` in the direction of its gradient's
    sign, so the iterates bounce around a minimum instead of settling (fig. 6.9b).
    The print puts ``epsilon`` inside the root; both have the same limit as epsilon -> 0.
    """

    alpha: float = 0.08
    epsilon: float = 1e-8

    def _check(self):
        V.rate(self.alpha, "alpha")
        V.rate(self.epsilon, "epsilon", allow_zero=True)

    def init(self, phi):
        return AdamState(0, _zeros(phi), _zeros(phi))

    def step(self, phi, state, grad_fn, alpha=None):
        a = self.alpha if alpha is None else alpha
        g = grad_fn(phi)
        v = g * g
        return phi - a * g / (np.sqrt(v) + self.epsilon), AdamState(state.t + 1, g, v)


@dataclass(frozen=True)
class Adam(Optimizer):
    """Adaptive moment estimation, UDL eqs. 6.15-6.18 (Kingma & Ba 2015)::

        m_{t+1} = beta  * m_t + (1 - beta)  * g
        v_{t+1} = gamma * v_t + (1 - gamma) * g^2
        m_hat   = m_{t+1} / (1 - beta^{t+1}),   v_hat = v_{t+1} / (1 - gamma^{t+1})
        phi_{t+1} = phi_t - alpha * m_hat / (sqrt(v_hat) + epsilon)

    Symbols to ``torch.optim.Adam``: ``alpha`` = ``lr``, ``beta`` = ``betas[0]``,
    ``gamma`` = ``betas[1]``, ``epsilon`` = ``eps``; matches it step for step.
    ``bias_correction=False`` drops the division by ``1 - beta^t`` (for the lesson on why it
    is there: without it the first steps are far too small).
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
        V.rate(self.epsilon, "epsilon", allow_zero=True)

    def init(self, phi):
        return AdamState(0, _zeros(phi), _zeros(phi))

    def step(self, phi, state, grad_fn, alpha=None):
        a = self.alpha if alpha is None else alpha
        b, c = self.beta, self.gamma
        t = state.t + 1
        g = grad_fn(phi)
        m = b * state.m + (1.0 - b) * g
        v = c * state.v + (1.0 - c) * (g * g)
        if self.bias_correction:
            # fold both corrections into scalars: sqrt(v/(1-c^t)) = sqrt(v)/sqrt(1-c^t)
            step = (a / (1.0 - b**t)) * m / (np.sqrt(v) / math.sqrt(1.0 - c**t) + self.epsilon)
        else:
            step = a * m / (np.sqrt(v) + self.epsilon)
        return phi - step, AdamState(t, m, v)


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
