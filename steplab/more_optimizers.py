"""Optimizers beyond UDL chapter 6: Goodfellow et al. chapter 8 (heavy-ball momentum,
AdaGrad, RMSProp) and the Adam family of later papers (AdaDelta, Adamax, AMSGrad, NAdam,
AdamW). Written like :mod:`steplab.optimizers`: each ``step`` is its update equations in
plain numpy, one line each, with the algorithm they come from beside them. All names are
importable from :mod:`steplab.optimizers` and as ``sl.<Name>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ._optimizer import AdamFamily, AdamState, Optimizer, gradient

__all__ = ["HeavyBall", "AdaGrad", "RMSProp", "AdaDelta", "Adamax", "AMSGrad", "NAdam", "AdamW",
           "HeavyBallState", "AdaGradState", "RMSPropState", "AdaDeltaState", "AdamaxState",
           "AMSGradState", "NAdamState"]


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

    hyper = {"alpha": "rate", "beta": "decay", "nesterov": "flag"}
    State = HeavyBallState

    def step(self, phi, state, grad_fn, alpha=None):
        alpha, beta = self._alpha(alpha), self.beta
        phi = self._phi(phi, state)
        at = phi + beta * state.v if self.nesterov else phi     # look-ahead, Goodfellow alg. 8.3
        g = gradient(grad_fn, at, phi.shape)
        v = beta * state.v - alpha * g                          # alg. 8.2 (8.3)
        phi = phi + v                                           # alg. 8.2 (8.3)
        return phi, HeavyBallState(state.t + 1, v)


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

    hyper = {"alpha": "rate", "epsilon": "epsilon"}
    State = AdaGradState

    def step(self, phi, state, grad_fn, alpha=None):
        alpha = self._alpha(alpha)
        phi, g = self._gradient(phi, state, grad_fn)
        r = state.r + g**2                                      # Goodfellow alg. 8.4
        phi = phi - alpha * g / (self.epsilon + np.sqrt(r))     # alg. 8.4
        return phi, AdaGradState(state.t + 1, r)


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

    hyper = {"alpha": "rate", "gamma": "decay", "epsilon": "epsilon"}
    State = RMSPropState

    def step(self, phi, state, grad_fn, alpha=None):
        alpha, gamma = self._alpha(alpha), self.gamma
        phi, g = self._gradient(phi, state, grad_fn)
        r = gamma * state.r + (1 - gamma) * g**2                # Goodfellow alg. 8.5
        phi = phi - alpha * g / (np.sqrt(r) + self.epsilon)     # alg. 8.5, epsilon outside
        return phi, RMSPropState(state.t + 1, r)


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

    hyper = {"gamma": "decay", "epsilon": "epsilon>0", "alpha": "rate"}
    State = AdaDeltaState

    def step(self, phi, state, grad_fn, alpha=None):
        alpha, gamma, eps = self._alpha(alpha), self.gamma, self.epsilon
        phi, g = self._gradient(phi, state, grad_fn)
        r = gamma * state.r + (1 - gamma) * g**2                # Zeiler alg. 1, E[g^2]
        delta = np.sqrt(state.s + eps) / np.sqrt(r + eps) * g   # RMS[dphi] / RMS[g] * g
        s = gamma * state.s + (1 - gamma) * delta**2            # E[dphi^2]
        phi = phi - alpha * delta
        return phi, AdaDeltaState(state.t + 1, r, s)


# --------------------------------------------------------------------------- Adam variants

@dataclass(frozen=True)
class Adamax(AdamFamily):
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

    State = AdamaxState

    def step(self, phi, state, grad_fn, alpha=None):
        alpha, beta, gamma, t = self._alpha(alpha), self.beta, self.gamma, state.t + 1
        phi, g = self._gradient(phi, state, grad_fn)
        m = beta * state.m + (1 - beta) * g                     # Kingma & Ba alg. 2
        u = np.maximum(gamma * state.u, np.abs(g))              # infinity norm, alg. 2
        phi = phi - alpha / (1 - beta**t) * m / (u + self.epsilon)   # alg. 2 (+ epsilon)
        return phi, AdamaxState(t, m, u)


@dataclass(frozen=True)
class AMSGrad(AdamFamily):
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

    bias_correction: bool = True

    hyper = {**AdamFamily.hyper, "bias_correction": "flag"}
    State = AMSGradState

    def step(self, phi, state, grad_fn, alpha=None):
        alpha, beta, gamma, t = self._alpha(alpha), self.beta, self.gamma, state.t + 1
        phi, g = self._gradient(phi, state, grad_fn)
        m = beta * state.m + (1 - beta) * g                     # as Adam, UDL eq. 6.15
        v = gamma * state.v + (1 - gamma) * g**2                # as Adam, UDL eq. 6.15
        v_hat = np.maximum(state.v_hat, v)                      # Reddi et al. alg. 2
        m_c, v_c = m, v_hat
        if self.bias_correction:                                # as Adam, UDL eq. 6.16
            m_c, v_c = m / (1 - beta**t), v_hat / (1 - gamma**t)
        phi = phi - alpha * m_c / (np.sqrt(v_c) + self.epsilon)   # UDL eq. 6.17
        return phi, AMSGradState(t, m, v, v_hat)


@dataclass(frozen=True)
class NAdam(AdamFamily):
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
    momentum_decay: float = 0.004

    hyper = {**AdamFamily.hyper, "momentum_decay": "rate0"}
    State = NAdamState

    def init(self, phi):
        _, m, v, _ = super().init(phi)          # zeros for m and v
        return NAdamState(0, m, v, 1.0)         # the empty product of the mu_i is 1

    def _mu(self, t):
        """The momentum schedule of Dozat (2016)."""
        return self.beta * (1 - 0.5 * 0.96 ** (t * self.momentum_decay))

    def step(self, phi, state, grad_fn, alpha=None):
        alpha, beta, gamma, t = self._alpha(alpha), self.beta, self.gamma, state.t + 1
        phi, g = self._gradient(phi, state, grad_fn)
        mu, mu_next = self._mu(t), self._mu(t + 1)
        prod = state.mu_product * mu                            # prod_{i<=t} mu_i
        m = beta * state.m + (1 - beta) * g                     # as Adam, UDL eq. 6.15
        v = gamma * state.v + (1 - gamma) * g**2                # as Adam, UDL eq. 6.15
        m_bar = (1 - mu) * g / (1 - prod) + mu_next * m / (1 - prod * mu_next)   # Dozat alg. 2
        phi = phi - alpha * m_bar / (np.sqrt(v / (1 - gamma**t)) + self.epsilon)
        return phi, NAdamState(t, m, v, prod)


@dataclass(frozen=True)
class AdamW(AdamFamily):
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

    weight_decay: float = 0.01

    hyper = {**AdamFamily.hyper, "weight_decay": "rate0"}

    def step(self, phi, state, grad_fn, alpha=None):
        alpha, beta, gamma, t = self._alpha(alpha), self.beta, self.gamma, state.t + 1
        phi, g = self._gradient(phi, state, grad_fn)
        phi = phi * (1 - alpha * self.weight_decay)             # decoupled decay, L&H alg. 2
        m = beta * state.m + (1 - beta) * g                     # as Adam, UDL eq. 6.15
        v = gamma * state.v + (1 - gamma) * g**2                # as Adam, UDL eq. 6.15
        m_hat = m / (1 - beta**t)                               # UDL eq. 6.16
        v_hat = v / (1 - gamma**t)                              # UDL eq. 6.16
        phi = phi - alpha * m_hat / (np.sqrt(v_hat) + self.epsilon)   # UDL eq. 6.17
        return phi, AdamState(t, m, v)
