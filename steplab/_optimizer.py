"""What every optimizer shares: hyperparameters checked once, state made by ``init``, the
gradient call and its checks. The update equations live in each ``step``
(:mod:`steplab.optimizers`, :mod:`steplab.more_optimizers`)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple

import numpy as np

from . import _validate as V


class GDState(NamedTuple):
    """State of plain gradient descent: only the step counter ``t``."""

    t: int


class MomentumState(NamedTuple):
    """State of momentum methods: step counter ``t`` and momentum ``m`` (UDL eq. 6.11)."""

    t: int
    m: Any


class AdamState(NamedTuple):
    """State of Adam-like methods: ``t``, first moment ``m`` and second moment ``v``
    (UDL eqs. 6.13 and 6.15)."""

    t: int
    m: Any
    v: Any


@dataclass(frozen=True)
class Optimizer:
    """Base class of the optimizers.

    A subclass declares its hyperparameters as dataclass fields, says in ``hyper`` how each is
    checked (a kind of :data:`steplab._validate.HYPER`: ``"rate"``, ``"decay"``,
    ``"epsilon"``, ``"flag"`` ...), names its state tuple in ``State`` and writes
    ``step(phi, state, grad_fn, alpha=None) -> (phi, state)``. The checks run once, when the
    optimizer is made, so ``step`` only computes. ``init(phi)`` starts the step counter at 0
    and every other state field at zeros shaped like ``phi``.
    """

    #: short label for legends
    label: str = field(default="", compare=False, kw_only=True)

    hyper = {}          # name -> kind of check (class attribute, not a field)
    State = GDState     # the state tuple init() makes

    def __new__(cls, *args, **kwargs):
        if kwargs:          # lr=, momentum=, betas=, eps= get the book's names
            V.keywords(cls.__name__, kwargs, {f.name for f in fields(cls)})
        return super().__new__(cls)

    def __post_init__(self):
        if not isinstance(self.label, str):
            raise ValueError(f"label must be a string; got {V.describe(self.label)}.")
        for name, kind in self.hyper.items():
            object.__setattr__(self, name, V.hyperparameter(getattr(self, name), name, kind))

    @property
    def name(self) -> str:
        return self.label or type(self).__name__

    def init(self, phi):
        """The state before the first step: ``t = 0``, every moment zero."""
        n = len(self.State._fields) - 1
        shape = V.array(phi, "phi").shape if n else ()
        return self.State(0, *(np.zeros(shape) for _ in range(n)))

    def step(self, phi, state, grad_fn, alpha=None):  # pragma: no cover - abstract
        raise NotImplementedError

    # -- shared by the steps ----------------------------------------------------------------

    def _alpha(self, alpha):
        """The learning rate of this step: ``alpha`` of the optimizer unless a schedule
        overrides it."""
        return self.alpha if alpha is None else V.rate(alpha, "alpha", allow_zero=True)

    @staticmethod
    def _phi(phi, state):
        """``phi`` as a float array; the state must have been made by ``init`` for its shape."""
        if type(phi) is not np.ndarray or phi.dtype != np.float64:
            phi = V.array(phi, "phi")
        for x in state[1:]:
            if type(x) is np.ndarray and x.shape != phi.shape and x.ndim:
                raise ValueError(f"phi has shape {phi.shape} but the optimizer state holds an "
                                 f"array of shape {x.shape}: start from state = opt.init(phi) "
                                 "for this phi.")
        return phi

    def _gradient(self, phi, state, grad_fn):
        """``(phi, g)``: phi checked against the state, ``g = grad_fn(phi)``."""
        phi = self._phi(phi, state)
        return phi, gradient(grad_fn, phi, phi.shape)


def gradient(grad_fn, at, shape):
    """Call ``grad_fn(at)`` and check that the gradient has one entry per parameter."""
    g = grad_fn(at)
    if type(g) is not np.ndarray:
        g = V.array(g, "the gradient returned by grad_fn")
    if g.shape != shape:
        if g.size == int(np.prod(shape)):    # e.g. a float for a one-parameter problem
            return g.reshape(shape)
        raise ValueError(f"grad_fn returned a gradient of shape {g.shape}, but phi has shape "
                         f"{shape}: the gradient needs one entry per parameter.")
    return g


@dataclass(frozen=True)
class AdamFamily(Optimizer):
    """Fields and checks shared by Adam and its variants (UDL section 6.4): learning rate
    ``alpha``, moment decays ``beta`` (first moment) and ``gamma`` (second moment), and
    ``epsilon`` in the denominator. State ``AdamState(t, m, v)``."""

    alpha: float = 0.001
    beta: float = 0.9
    gamma: float = 0.999
    epsilon: float = 1e-8

    hyper = {"alpha": "rate", "beta": "decay", "gamma": "decay", "epsilon": "epsilon"}
    State = AdamState
