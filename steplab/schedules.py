"""Learning-rate schedules (学习率调度): functions ``t -> alpha`` for ``minimize(schedule=...)``.

``t`` is the number of the step being taken and counts from 1, as in the training loop.
Each factory checks its arguments and returns a small immutable callable that also accepts an
array of step numbers (handy for plotting a schedule)::

    import steplab as sl
    sched = sl.schedules.linear_decay(alpha0=0.1, alpha_tau=0.001, tau=100)
    sched(1), sched(100), sched(500)          # 0.099..., 0.001, 0.001
    traj = sl.minimize(problem, sl.SGD(alpha=0.1), phi0, steps=200, batch_size=5, schedule=sched)

Goodfellow et al. (sec. 8.3.1) explain why SGD needs a decaying learning rate: the minibatch
gradient stays noisy at the minimum, so a constant ``alpha`` keeps the iterates bouncing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate as V

__all__ = ["constant", "linear_decay", "step_decay", "exponential", "cosine", "warmup", "power_decay",
           "partial_sums", "Schedule"]


def _steps(t):
    """Step numbers as a float array (or float), checking that they count from 1."""
    if isinstance(t, (int, np.integer)) and not isinstance(t, bool):
        if t < 1:
            raise ValueError(f"step numbers t count from 1; got t={t}.")
        return float(t)
    arr = V.array(t, "t (the step number)")
    if arr.size and not np.all(arr >= 1):
        raise ValueError(f"step numbers t count from 1; got {arr.min()!r} among them.")
    return arr if arr.ndim else float(arr)


def _out(x):
    return float(x) if np.ndim(x) == 0 else np.asarray(x, dtype=float)


@dataclass(frozen=True)
class Schedule:
    """Base class of the schedules: ``schedule(t) -> alpha`` for a step ``t >= 1`` or an
    array of steps. Frozen (hashable), so widgets can cache on it."""

    def __call__(self, t):  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class _Constant(Schedule):
    alpha: float

    def __call__(self, t):
        t = _steps(t)
        return _out(np.zeros_like(t) + self.alpha)


@dataclass(frozen=True)
class _LinearDecay(Schedule):
    alpha0: float
    alpha_tau: float
    tau: int

    def __call__(self, t):
        a = np.minimum(_steps(t), self.tau) / self.tau
        return _out((1.0 - a) * self.alpha0 + a * self.alpha_tau)


@dataclass(frozen=True)
class _StepDecay(Schedule):
    alpha0: float
    drop: float
    every: int

    def __call__(self, t):
        k = np.floor((_steps(t) - 1.0) / self.every)
        return _out(self.alpha0 * self.drop**k)


@dataclass(frozen=True)
class _Exponential(Schedule):
    alpha0: float
    rate: float

    def __call__(self, t):
        return _out(self.alpha0 * self.rate ** (_steps(t) - 1.0))


@dataclass(frozen=True)
class _Cosine(Schedule):
    alpha0: float
    T: int
    alpha_min: float = 0.0

    def __call__(self, t):
        k = np.minimum(_steps(t) - 1.0, self.T)
        return _out(self.alpha_min
                    + 0.5 * (self.alpha0 - self.alpha_min) * (1.0 + np.cos(np.pi * k / self.T)))


@dataclass(frozen=True)
class _Warmup(Schedule):
    schedule: object
    steps: int

    def __call__(self, t):
        t = _steps(t)
        return _out(self.schedule(t) * np.minimum(t / self.steps, 1.0))


@dataclass(frozen=True)
class _PowerDecay(Schedule):
    a: float
    b: float
    p: float

    def __call__(self, t):
        return _out(self.a / (_steps(t) + self.b) ** self.p)


def constant(alpha) -> Schedule:
    """The constant learning rate of UDL eq. 6.3: ``alpha_t = alpha`` for every step.

    >>> constant(0.1)(7)
    0.1
    """
    return _Constant(V.rate(alpha, "alpha"))


def linear_decay(alpha0, alpha_tau, tau) -> Schedule:
    """Linear decay, Goodfellow eq. 8.14 (sec. 8.3.1)::

        alpha_k = (1 - k/tau) * alpha0 + (k/tau) * alpha_tau   for k <= tau,
        alpha_k = alpha_tau                                    for k > tau,

    with ``k = t`` the step number (Goodfellow's alg. 8.1 also counts iterations from 1, so
    the first step already uses slightly less than ``alpha0``). Goodfellow suggests
    ``alpha_tau`` about 1% of ``alpha0`` and ``tau`` a few hundred passes over the data.

    >>> s = linear_decay(0.1, 0.001, 100)
    >>> round(s(50), 6), s(100), s(1000)
    (0.0505, 0.001, 0.001)
    """
    alpha0 = V.rate(alpha0, "alpha0")
    alpha_tau = V.rate(alpha_tau, "alpha_tau", allow_zero=True)
    tau = V.positive_int(tau, "tau")
    return _LinearDecay(alpha0, alpha_tau, tau)


def step_decay(alpha0, drop, every) -> Schedule:
    """Step decay (the piecewise-constant schedule of the minibatch slides, seed 002):
    multiply the learning rate by ``drop`` every ``every`` steps::

        alpha_t = alpha0 * drop ** floor((t - 1) / every)

    Same as ``torch.optim.lr_scheduler.StepLR(step_size=every, gamma=drop)`` counted in steps.

    >>> s = step_decay(0.1, 0.5, 10)
    >>> s(10), s(11), s(21)
    (0.1, 0.05, 0.025)
    """
    alpha0 = V.rate(alpha0, "alpha0")
    drop = V.rate(drop, "drop")
    if drop > 1.0:
        raise ValueError(f"drop must lie in (0, 1] (the factor that shrinks alpha); got {drop!r}.")
    every = V.positive_int(every, "every")
    return _StepDecay(alpha0, drop, every)


def exponential(alpha0, rate) -> Schedule:
    """Exponential decay: ``alpha_t = alpha0 * rate ** (t - 1)`` with ``rate`` in (0, 1].

    The first step uses ``alpha0``; ``torch.optim.lr_scheduler.ExponentialLR(gamma=rate)``
    stepped once per step gives the same numbers.

    >>> s = exponential(0.1, 0.5)
    >>> s(1), s(3)
    (0.1, 0.025)
    """
    alpha0 = V.rate(alpha0, "alpha0")
    rate = V.rate(rate, "rate")
    if rate > 1.0:
        raise ValueError(f"rate must lie in (0, 1] (the factor per step; 1 means constant); "
                         f"got {rate!r}.")
    return _Exponential(alpha0, rate)


def cosine(alpha0, T, alpha_min=0.0) -> Schedule:
    """Cosine annealing (Loshchilov & Hutter 2017, without restarts)::

        alpha_t = alpha_min + (alpha0 - alpha_min) * (1 + cos(pi * min(t - 1, T) / T)) / 2

    starting at ``alpha0`` for ``t = 1`` and reaching ``alpha_min`` at ``t = T + 1``, constant
    after. Same numbers as ``torch.optim.lr_scheduler.CosineAnnealingLR(T_max=T,
    eta_min=alpha_min)`` stepped once per step.

    >>> s = cosine(0.1, 10)
    >>> s(1), round(s(6), 6), s(11)
    (0.1, 0.05, 0.0)
    """
    alpha0 = V.rate(alpha0, "alpha0")
    T = V.positive_int(T, "T")
    alpha_min = V.rate(alpha_min, "alpha_min", allow_zero=True)
    if alpha_min > alpha0:
        raise ValueError(f"alpha_min={alpha_min!r} is larger than alpha0={alpha0!r}: "
                         "the cosine schedule decays from alpha0 down to alpha_min.")
    return _Cosine(alpha0, T, alpha_min)


def warmup(schedule, steps) -> Schedule:
    """Linear warm-up (Goyal et al. 2017): scale ``schedule`` by ``min(1, t/steps)``, so the
    learning rate ramps up from ``schedule(1)/steps`` over the first ``steps`` steps, then
    follows ``schedule`` unchanged. ``schedule`` may be a schedule or a number (constant).

    Large first steps with Adam or large batches can throw the iterates far away while the
    moment estimates are still poor; a short warm-up avoids that.

    >>> s = warmup(0.1, 4)
    >>> [round(s(t), 6) for t in (1, 2, 4, 9)]
    [0.025, 0.05, 0.1, 0.1]
    """
    if not callable(schedule):
        try:
            schedule = constant(schedule)
        except ValueError:
            raise ValueError(f"schedule must be a function t -> alpha or a learning rate > 0; "
                             f"got {schedule!r}.") from None
    steps = V.positive_int(steps, "steps")
    return _Warmup(schedule, steps)



def power_decay(a, b=0.0, p=1.0) -> Schedule:
    """The Robbins-Monro family ``alpha_t = a / (t + b) ** p`` (Goodfellow sec. 8.3.1).

    SGD converges when ``sum_t alpha_t = inf`` and ``sum_t alpha_t^2 < inf`` (Goodfellow
    eqs. 8.12-8.13, after Robbins & Monro 1951, cited in the notes of UDL ch. 6):

    - ``p = 0``: a constant rate; ``sum alpha^2 = inf``, the noise never averages out;
    - ``1/2 < p <= 1`` (e.g. ``a/(t+b)``): both conditions hold;
    - ``p > 1`` (e.g. ``a/(t+b)^2``): ``sum alpha < inf``, the steps add up to a finite
      distance and SGD stops short of the minimum.

    ``p = 1/2`` (``a/sqrt(t)``) is the usual rate of online convex optimization; it barely
    fails ``sum alpha^2 < inf`` (the sum grows like ``log t``).

    >>> s = power_decay(1.0, 9.0)
    >>> s(1), s(91)
    (0.1, 0.01)
    """
    a = V.rate(a, "a")
    b = V.finite(b, "b")
    if b <= -1.0:
        raise ValueError(f"b must be larger than -1 so that t + b > 0 from t = 1 on; got {b!r}.")
    p = V.finite(p, "p")
    if p < 0:
        raise ValueError(f"p must be >= 0 (0 is a constant rate, 1 the 1/t decay); got {p!r}.")
    return _PowerDecay(a, b, p)


def partial_sums(schedule, T) -> tuple:
    """``(sum alpha_t, sum alpha_t^2)`` over the steps ``t = 1..T`` of ``schedule``: the two
    sums of the Robbins-Monro conditions (Goodfellow eqs. 8.12-8.13), which SGD needs to grow
    without bound and to stay finite, respectively.

    >>> [round(x, 6) for x in partial_sums(constant(0.1), 100)]
    [10.0, 1.0]
    """
    if not callable(schedule):
        raise ValueError(f"schedule must be a function t -> alpha; got {V.describe(schedule)}.")
    T = V.positive_int(T, "T")
    alpha = np.asarray(schedule(np.arange(1, T + 1)), dtype=float)
    return float(alpha.sum()), float((alpha ** 2).sum())
