"""The training loop: run an optimizer on a problem and record the whole trajectory.

``minimize(problem, opt, phi0, ...)`` -> :class:`Trajectory`. Run first, plot afterwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import _validate as V
from .optimizers import as_optimizer

__all__ = ["Trajectory", "DivergenceError", "minimize", "batches_per_epoch", "epoch_batches",
           "clip_by_norm", "polyak_average"]


class DivergenceError(FloatingPointError):
    """Raised by ``minimize(..., on_divergence="raise")`` when the loss stops being finite."""


@dataclass(frozen=True, eq=False)
class Trajectory:
    """What :func:`minimize` records.

    ``phi``  ``(T+1, P)`` every iterate, ``phi0`` first;
    ``loss`` ``(T+1,)`` full-data loss at each iterate;
    ``epoch`` ``(T+1,)`` number of completed epochs when each iterate was reached
    (so ``epoch[-1]`` answers problem 6.9);
    ``diverged`` and ``message`` say whether and where the run stopped early;
    ``batches`` the data indices used by each step (``None`` for full-batch runs).
    """

    phi: np.ndarray
    loss: np.ndarray
    epoch: np.ndarray
    diverged: bool = False
    message: str = ""
    batches: tuple | None = field(default=None, repr=False)
    label: str = ""

    @property
    def steps(self) -> int:
        """Number of steps taken (``T``)."""
        return len(self.phi) - 1

    @property
    def final(self) -> np.ndarray:
        return self.phi[-1]

    def __repr__(self) -> str:
        status = f"diverged: {self.message}" if self.diverged else f"final loss {self.loss[-1]:.6g}"
        return f"Trajectory({self.label or 'run'}: {self.steps} steps, {status})"


def batches_per_epoch(n: int, batch_size: int) -> int:
    """How many minibatches make one epoch: ``ceil(n / batch_size)``; the last may be partial."""
    n, batch_size = V.positive_int(n, "n"), V.positive_int(batch_size, "batch_size")
    return -(-n // batch_size)


def epoch_batches(n: int, batch_size: int, rng=None, shuffle: bool = True) -> list:
    """Split ``0..n-1`` into minibatches for one epoch, sampling without replacement (UDL 6.2).

    With ``shuffle`` the order is a fresh permutation from ``rng``; otherwise the data order.
    The last batch holds the remainder when ``batch_size`` does not divide ``n``.
    """
    n, batch_size = V.positive_int(n, "n"), V.positive_int(batch_size, "batch_size")
    if V.flag(shuffle, "shuffle") and not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator, e.g. np.random.default_rng(0); got "
                         f"{V.describe(rng)}.")
    order = rng.permutation(n) if shuffle else np.arange(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def clip_by_norm(g, max_norm: float):
    """Gradient clipping by norm (Goodfellow sec. 8.2.4 "cliffs", and sec. 10.11.1): if
    ``||g|| > max_norm`` rescale ``g`` to length ``max_norm``, keeping its direction; otherwise
    return it unchanged. Returns a new array or ``g`` itself; never modifies ``g``."""
    g, max_norm = V.array(g, "g"), V.rate(max_norm, "max_norm")
    norm = math.sqrt(float(np.vdot(g, g)))
    return g * (max_norm / norm) if norm > max_norm else g


def polyak_average(phis, decay: float | None = None) -> np.ndarray:
    """Polyak averaging (Goodfellow 8.7.3) of iterates ``phis`` ``(T+1, P)``.

    ``decay=None``: running arithmetic mean ``mean(phi_0..phi_t)``; else the exponential
    moving average ``a_t = decay*a_{t-1} + (1-decay)*phi_t`` with ``a_0 = phi_0``.
    Returns the averaged iterates, same shape as ``phis``.
    """
    phis = V.array(phis, "phis")
    if phis.ndim == 0 or len(phis) == 0:
        raise ValueError("phis must hold the iterates phi_0, phi_1, ... (e.g. traj.phi); got "
                         f"{V.describe(phis)}.")
    if decay is None:
        count = np.arange(1, len(phis) + 1).reshape(-1, *[1] * (phis.ndim - 1))
        return np.cumsum(phis, axis=0) / count
    d = V.decay(decay, "decay")
    out = np.empty_like(phis)
    out[0] = phis[0]
    for t in range(1, len(phis)):
        out[t] = d * out[t - 1] + (1 - d) * phis[t]
    return out


def _divergence_message(step: int, what: str, alpha) -> str:
    hint = f" (alpha = {alpha:g})" if isinstance(alpha, (int, float)) else ""
    return (f"diverged at step {step}: the {what} became infinite or NaN. "
            f"Try a smaller learning rate{hint}, e.g. half of it, or clip the gradient.")


def minimize(problem, opt, phi0, steps=None, epochs=None, batch_size=None, seed=0,
             schedule=None, clip=None, on_divergence="stop", shuffle=True, label=None,
             **unknown):
    """Run optimizer ``opt`` on ``problem`` from ``phi0`` and record the trajectory.

    - ``steps`` or ``epochs`` (one of them) sets the length. With ``batch_size=None`` every
      step uses all data (gradient descent, eq. 6.3) and is one epoch.
    - ``batch_size=B`` gives stochastic gradient descent (UDL eq. 6.10): each epoch the data
      are shuffled from ``seed`` and split into ``ceil(n/B)`` batches drawn without
      replacement, the last possibly smaller; the gradient is *summed* over the batch.
      ``shuffle=False`` keeps the data order (to show why shuffling matters).
    - ``schedule(t) -> alpha`` sets the learning rate of step ``t`` (from 1).
    - ``clip=c`` clips each gradient to norm ``c`` (:func:`clip_by_norm`).
    - A loss or iterate that is not finite stops the run: ``diverged=True`` and a message
      naming the step; with ``on_divergence="raise"`` a :class:`DivergenceError` is raised.
    """
    for key in ("alpha", "lr", "learning_rate"):
        if key in unknown:
            raise ValueError(f"minimize() has no argument {key!r}: the learning rate belongs to "
                             "the optimizer, e.g. sl.minimize(problem, sl.GradientDescent("
                             "alpha=0.1), phi0, steps=50) (alpha is the book's name for it).")
    V.keywords("minimize", unknown, _MINIMIZE_ARGS)
    _check_problem(problem)
    opt = as_optimizer(opt)
    P = getattr(problem, "P", 0) or None
    phi = V.as_phi(phi0, P, "phi0").copy()
    if phi.ndim != 1:
        raise ValueError(f"phi0 must be a 1-D vector of parameters; got shape {phi.shape}.")
    if not np.all(np.isfinite(phi)):
        raise ValueError(f"phi0 contains NaN or infinite values: {phi}.")
    if on_divergence not in ("stop", "raise"):
        raise ValueError(f'on_divergence must be "stop" or "raise"; got {on_divergence!r}.')
    if steps is not None and epochs is not None:
        raise ValueError("give either steps or epochs, not both.")
    if steps is None and epochs is None:
        raise ValueError("say how long to run: steps=... (iterations) or epochs=... "
                         "(passes over the data).")
    steps = V.positive_int(steps, "steps", allow_none=True)
    epochs = V.positive_int(epochs, "epochs", allow_none=True)
    if clip is not None:
        clip = V.rate(clip, "clip")
    if schedule is not None and not callable(schedule):
        raise ValueError(f"schedule must be a function t -> alpha; got {schedule!r}.")
    seed, shuffle = V.seed(seed), V.flag(shuffle, "shuffle")
    if label is not None and not isinstance(label, str):
        raise ValueError(f"label must be a string; got {V.describe(label)}.")

    n = int(getattr(problem, "n", 0) or 0)
    if batch_size is not None:
        batch_size = V.positive_int(batch_size, "batch_size")
        if n == 0:
            raise ValueError(f"{problem!r} has no data points, so it has no minibatches: "
                             "leave batch_size=None.")
        if batch_size > n:
            raise ValueError(f"batch_size={batch_size} is larger than the data ({n} points): "
                             f"use at most {n} (batch_size={n} is full-batch gradient descent).")
        nb = batches_per_epoch(n, batch_size)
    else:
        nb = 1
    if steps is None:
        steps = epochs * nb
    rng = np.random.default_rng(seed)

    phis = np.empty((steps + 1, phi.size))
    phis[0] = phi
    used = [] if batch_size is not None else None
    state = opt.init(phi)
    diverged, message, last = False, "", steps
    epoch_plan: list = []
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(1, steps + 1):
            if batch_size is not None:
                if not epoch_plan:
                    epoch_plan = epoch_batches(n, batch_size, rng, shuffle)[::-1]
                idx = epoch_plan.pop()
                used.append(idx)

                def grad_fn(p, _idx=idx):
                    return problem.grad(p, _idx)
            else:
                grad_fn = problem.grad
            if clip is not None:
                grad_fn = _clipped(grad_fn, clip)
            alpha = None
            if schedule is not None:
                alpha = schedule(t)
                if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating,
                                                                     np.integer)):
                    raise ValueError(f"schedule({t}) returned {alpha!r}; a schedule must "
                                     "return one learning rate (a number) per step.")
                alpha = float(alpha)
                if not (alpha >= 0.0 and math.isfinite(alpha)):
                    raise ValueError(f"schedule({t}) returned the learning rate {alpha!r}; "
                                     "learning rates must be finite numbers >= 0.")
            phi, state = opt.step(phi, state, grad_fn, alpha=alpha)
            phi = np.asarray(phi, dtype=float)
            if phi.shape != phis.shape[1:]:
                raise ValueError(f"the optimizer returned phi of shape {phi.shape} at step {t}; "
                                 f"it must keep the shape {phis.shape[1:]}.")
            phis[t] = phi
            if not np.all(np.isfinite(phi)):
                diverged, last = True, t
                message = _divergence_message(t, "parameters", _alpha_at(opt, schedule, t))
                break
        losses = np.asarray(problem.loss(phis[:last + 1]), dtype=float)
    bad = np.flatnonzero(~np.isfinite(losses))
    if bad.size:
        first = int(bad[0])
        if not diverged or first < last:
            message = _divergence_message(first, "loss", _alpha_at(opt, schedule, first))
        diverged, last = True, first
    if diverged and on_divergence == "raise":
        raise DivergenceError(message)
    keep = last + 1 if not diverged else max(last, 1)  # drop the non-finite iterate itself
    epoch = np.arange(keep) // nb
    return Trajectory(
        phi=phis[:keep].copy(), loss=losses[:keep], epoch=epoch, diverged=diverged,
        message=message, batches=tuple(used[:keep - 1]) if used is not None else None,
        label=label if label is not None else getattr(opt, "name", type(opt).__name__),
    )


#: the arguments of minimize (any other keyword gets a message naming these)
_MINIMIZE_ARGS = ("problem", "opt", "phi0", "steps", "epochs", "batch_size", "seed", "schedule",
                  "clip", "on_divergence", "shuffle", "label")


def _check_problem(problem):
    if isinstance(problem, type):
        raise ValueError(f"{problem.__name__} is a problem class: pass an instance, e.g. "
                         "sl.LinearRegression(*sl.data.linear_regression()).")
    if not (hasattr(problem, "loss") and hasattr(problem, "grad")):
        raise ValueError(f"problem must be a steplab problem (with loss and grad), e.g. "
                         f"sl.LinearRegression(*sl.data.linear_regression()); got "
                         f"{V.describe(problem)}.")


def _alpha_at(opt, schedule, t):
    """The learning rate step ``t`` used (for messages), or None if unknown."""
    if schedule is not None and t >= 1:
        return float(schedule(t))
    return getattr(opt, "alpha", None)


def _clipped(grad_fn, max_norm):
    def clipped(p):
        return clip_by_norm(grad_fn(p), max_norm)
    return clipped
