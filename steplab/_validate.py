"""Argument checks shared by the whole engine, in one place.

Every public constructor and function of steplab checks its arguments here, so a wrong value
fails at once with a ``ValueError`` that says what was wrong and what to pass, instead of a
numpy error several calls later. Booleans are not numbers here, strings are never converted,
and an array is not accepted where one number goes.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

#: an example value for each argument name, quoted in error messages
EXAMPLE = {"alpha": "0.1", "beta": "0.9", "gamma": "0.99", "epsilon": "1e-8",
           "weight_decay": "0.01", "momentum_decay": "0.004", "clip": "5.0", "max_norm": "5.0",
           "tol": "1e-6", "h": "1e-6", "decay": "0.9", "seed": "0"}

#: typical ranges quoted in error messages, by argument name
TYPICAL = {"alpha": "1e-3 to 1 (the stability limit of gradient descent is 2 / largest "
                    "Hessian eigenvalue)", "epsilon": "1e-8 to 1e-6", "clip": "1 to 10",
           "weight_decay": "1e-4 to 1e-1"}

#: keyword arguments of other libraries (torch.optim, Keras) -> the book's name for them
BOOK_NAMES = {
    "lr": "alpha (the book's name for the learning rate)",
    "learning_rate": "alpha (the book's name for the learning rate)",
    "momentum": "beta (the book's name for the momentum coefficient)",
    "betas": "beta and gamma (the book's names for torch's betas[0] and betas[1]), e.g. "
             "beta=0.9, gamma=0.999",
    "eps": "epsilon (the book's name for the small constant in the denominator)",
    "rho": "gamma (the decay of the running average of squared gradients)",
}


def describe(value) -> str:
    """A short phrase for what was passed, e.g. ``the string '0.1'`` or ``None``."""
    if value is None:
        return "None"
    if isinstance(value, (bool, np.bool_)):
        return f"the boolean {bool(value)}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, type):
        return f"the class {value.__name__}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, (list, tuple, dict, set)):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"{value!r} (of type {type(value).__name__})"


def _kind(name: str) -> str:
    return name.split()[0]


def number(value, name: str) -> float:
    """One real number (int or float, numpy scalars too) as a float; not NaN."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        example = EXAMPLE.get(_kind(name), "1.0")
        raise ValueError(f"{name} must be a number (a float such as {example}), got "
                         f"{describe(value)}.")
    v = float(value)
    if math.isnan(v):
        raise ValueError(f"{name} is NaN; pass a finite number.")
    return v


def finite(value, name: str) -> float:
    """A finite real number."""
    v = number(value, name)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number; got {value!r}.")
    return v


def rate(value, name: str, *, allow_zero: bool = False) -> float:
    """A learning rate or similar: a finite number > 0 (>= 0 with ``allow_zero``)."""
    v = number(value, name)
    if v < 0 or (v == 0 and not allow_zero) or not math.isfinite(v):
        bound = ">= 0" if allow_zero else "> 0"
        typical = TYPICAL.get(_kind(name), "")
        raise ValueError(f"{name} must be a finite number {bound}; got {value!r}."
                         + (f" Typical values are {typical}." if typical else ""))
    return v


def decay(value, name: str) -> float:
    """A decay coefficient in [0, 1) such as beta or gamma."""
    v = number(value, name)
    if not (0.0 <= v < 1.0):
        raise ValueError(f"{name} must lie in [0, 1) (0 switches the average off, values near 1 "
                         f"average over ~1/(1-{name}) steps); got {value!r}.")
    return v


def flag(value, name: str) -> bool:
    """True or False (not 1, not "yes")."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False; got {describe(value)}.")
    return bool(value)


def positive_int(value, name: str, *, allow_none: bool = False):
    """A whole number >= 1 (``None`` too with ``allow_none``)."""
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be a whole number >= 1 (such as 10), got "
                         f"{describe(value)}.")
    if value < 1:
        raise ValueError(f"{name} must be a whole number >= 1; got {value!r}.")
    return int(value)


def seed(value, name: str = "seed") -> int:
    """A random seed: a whole number >= 0 (every random draw in steplab has one)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0 (such as 0), got "
                         f"{describe(value)}.")
    return int(value)


def choice(value, name: str, options) -> str:
    """One of a few named options."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got "
                         f"{describe(value)}.")
    return value


def array(value, name: str) -> np.ndarray:
    """An array of real numbers (lists and tuples too) as float64; strings, None and
    booleans are refused rather than converted."""
    if type(value) is np.ndarray and value.dtype == np.float64:
        return value
    if value is None or isinstance(value, str):
        raise ValueError(f"{name} must be an array of numbers, e.g. np.array([0.6, -0.2]); got "
                         f"{describe(value)}.")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of numbers; got {value!r} ({exc}).") from None
    if arr.dtype.kind not in "iuf":
        what = {"b": "booleans", "U": "strings", "S": "bytes", "O": "objects (None, or rows of "
                "different lengths?)", "c": "complex numbers"}.get(arr.dtype.kind, arr.dtype)
        raise ValueError(f"{name} must be an array of real numbers, e.g. np.array([0.6, -0.2]); "
                         f"got an array of {what}: {value!r}.")
    return arr.astype(float, copy=False)


def as_phi(phi, P: int | None = None, name: str = "phi") -> np.ndarray:
    """Return ``phi`` as a float64 array, checking that its last axis has length ``P``."""
    if type(phi) is np.ndarray and phi.dtype == np.float64 and phi.ndim and (
            P is None or phi.shape[-1] == P):
        return phi                                  # fast path: already what we need
    arr = array(phi, name)
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


def callable_(value, name: str, what: str):
    """A function; ``what`` says which one, e.g. ``"a function t -> alpha"``."""
    if not callable(value) or isinstance(value, type):
        raise ValueError(f"{name} must be {what}; got {describe(value)}.")
    return value


def keywords(owner: str, given, accepted) -> None:
    """Refuse keyword arguments ``owner`` does not take; map other libraries' names
    (``lr``, ``momentum``, ``betas``, ``eps``) to the book's."""
    for key in given:
        if key in accepted:
            continue
        if key in BOOK_NAMES:
            raise ValueError(f"{owner}() has no argument {key!r}: use {BOOK_NAMES[key]}. "
                             f"Its arguments are {', '.join(sorted(accepted))}.")
        raise ValueError(f"{owner}() has no argument {key!r}; its arguments are "
                         f"{', '.join(sorted(accepted))}.")


#: hyperparameter kinds of the optimizers -> their check
HYPER = {
    "rate": rate,                                               # > 0, e.g. alpha
    "rate0": lambda v, n: rate(v, n, allow_zero=True),          # >= 0, e.g. weight_decay
    "decay": decay,                                             # [0, 1), e.g. beta, gamma
    "epsilon": lambda v, n: rate(v, n, allow_zero=True),        # >= 0
    "epsilon>0": rate,                                          # > 0 (AdaDelta)
    "flag": flag,                                               # True / False
}


def hyperparameter(value, name: str, kind: str):
    """Check one optimizer hyperparameter of the given kind (a key of :data:`HYPER`)."""
    return HYPER[kind](value, name)
