"""Argument checks shared by the engine. Every message says what was wrong and what to do."""

from __future__ import annotations

import math

import numpy as np


def as_phi(phi, P: int | None = None, name: str = "phi") -> np.ndarray:
    """Return ``phi`` as a float64 array, checking that its last axis has length ``P``."""
    if type(phi) is np.ndarray and phi.dtype == np.float64 and phi.ndim and (
            P is None or phi.shape[-1] == P):
        return phi                                  # fast path: already what we need
    try:
        arr = np.asarray(phi, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of numbers; got {phi!r} ({exc}).") from None
    if arr.ndim == 0:
        raise ValueError(
            f"{name} must be an array of parameters, e.g. np.array([0.6, -0.2]); got the scalar {arr}."
        )
    if P is not None and arr.shape[-1] != P:
        raise ValueError(
            f"{name} has shape {arr.shape}, but this problem has {P} parameters: "
            f"pass an array whose last axis has length {P}."
        )
    return arr


#: typical ranges quoted in error messages, by argument name
TYPICAL = {"alpha": "1e-3 to 1 (the stability limit of gradient descent is 2 / largest "
                    "Hessian eigenvalue)", "epsilon": "1e-8 to 1e-6", "clip": "1 to 10",
           "weight_decay": "1e-4 to 1e-1"}


def rate(value, name: str, *, allow_zero: bool = False) -> float:
    """A learning rate or similar: a finite number > 0 (>= 0 with ``allow_zero``)."""
    v = _number(value, name)
    if v < 0 or (v == 0 and not allow_zero) or not math.isfinite(v):
        bound = ">= 0" if allow_zero else "> 0"
        typical = TYPICAL.get(name.split()[0], "")
        raise ValueError(f"{name} must be a finite number {bound}; got {value!r}."
                         + (f" Typical values are {typical}." if typical else ""))
    return v


def decay(value, name: str) -> float:
    """A decay coefficient in [0, 1) such as beta or gamma."""
    v = _number(value, name)
    if not (0.0 <= v < 1.0):
        raise ValueError(f"{name} must lie in [0, 1) (0 switches the average off, values near 1 "
                         f"average over ~1/(1-{name}) steps); got {value!r}.")
    return v


def positive_int(value, name: str, *, allow_none: bool = False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1; got {value!r}.")
    return int(value)


def _number(value, name: str) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, not {value!r}.")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number; got {value!r}.") from None
    if math.isnan(v):
        raise ValueError(f"{name} is NaN; pass a finite number.")
    return v
