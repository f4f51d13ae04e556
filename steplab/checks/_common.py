"""The checks' common parts: hints, results, time limits, calling and comparing."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass

import numpy as np

#: the hint attached to each kind of mistake (keys are stable; exercise authors may use them)
HINTS = {
    "sign": ("The sign (符号) is flipped: you move uphill or return minus the gradient. "
             "For L = sum (f - y)^2 the derivative is +2 (f - y) df/dphi, and a descent step "
             "subtracts: phi - alpha * ..."),
    "step_sign": ("The step goes the wrong way (uphill): a descent step subtracts the update, "
                  "phi - alpha * grad, it does not add it."),
    "step_scale": ("The step has the right direction but the wrong length (twice or half the "
                   "expected one): check alpha and any constant factor in the update."),
    "factor2": ("Off by a factor of 2. The derivative of (f - y)^2 is 2 (f - y) times df/dphi: "
                "check that the 2 appears exactly once."),
    "half": ("Off by a factor of 1/2: the 2 from differentiating the square (f - y)^2 is "
             "missing, or the result is divided by 2."),
    "mean": ("Your result is the sum divided by the number of data points n: you took the mean "
             "where the book's loss is a sum over the data (UDL eq. 6.5). "
             "Use np.sum, not np.mean."),
    "sum": ("Your result is n times too large: you summed where a mean was expected. "
            "Use np.mean, or divide by n."),
    "order": ("The components are in the wrong order: the first entry must be the derivative "
              "with respect to phi0, the second with respect to phi1."),
    "one_component": ("Only this component is wrong, the others are right: check the inner "
                      "derivative (chain rule, 链式法则) for this parameter, e.g. "
                      "d f / d phi1 = x for the line phi0 + phi1 x."),
    "zero": ("You returned zeros (or did not change phi): did you compute the update but "
             "return the old value?"),
    "no_move": ("phi did not change: compute the new value and return it "
                "(e.g. return phi - alpha * grad)."),
    "alpha": ("The step is 1/alpha times the expected step: the learning rate alpha "
              "(学习率) is missing."),
    "alpha2": ("The step is alpha times the expected step: the learning rate alpha is "
               "applied twice."),
    "bias_correction": ("The bias correction (偏差修正, UDL eq. 6.16) is missing: divide m by "
                        "(1 - beta^t) and v by (1 - gamma^t), with t counting from 1, before the "
                        "update. Without it the first steps are far too small (or too large)."),
    "t_offset": ("The step counter t is off by one in the bias correction: t counts from 1 at the "
                 "first step, so the first correction divides by (1 - beta)."),
    "nesterov_point": ("The gradient is taken at the wrong point. Nesterov momentum (Nesterov "
                       "动量, UDL eq. 6.12) evaluates it at the look-ahead point "
                       "phi - alpha * beta * m, where the momentum part of the step alone would "
                       "go, not at phi (that is plain momentum, eq. 6.11)."),
    "wrong_point": ("The gradient is taken at a different point than the reference: check where "
                    "you call grad_fn."),
    "momentum_damping": ("The (1 - beta) factor of the momentum update is missing or misplaced: "
                         "UDL eq. 6.11 is m <- beta * m + (1 - beta) * grad."),
    "beta_gamma": ("beta and gamma are swapped: beta (e.g. 0.9) averages the gradient m, "
                   "gamma (e.g. 0.999) averages the squared gradient v."),
    "inplace": ("Your function changed its input array in place (原地修改), e.g. with "
                "phi -= ... or m[:] = .... The caller still needs the old values: write "
                "phi = phi - ... (a new array), or start from phi = phi.copy()."),
    "shape": ("The result has the wrong shape (形状): return an array with exactly the shape "
              "shown above, e.g. a 1-D array np.array([d0, d1]) rather than a column (2, 1) "
              "or a list of arrays."),
    "none": "Your function returned None: did you forget the `return` statement?",
    "nan": ("The result contains NaN or infinity: look for 0/0, the square root or log of a "
            "negative number or zero (is epsilon in the right place?), or overflow from a "
            "huge step."),
    "raised": "Your function raised an error (see above): fix it and run the check again.",
    "timeout": ("Your function did not finish within the time limit: look for a loop that never "
                "ends (a while loop whose condition never changes) or a loop over a huge range."),
    "outputs": "Return the values listed above, in that order, e.g. `return phi, m`.",
    "signature": ("Keep the parameter names given in the exercise: the check passes the values "
                  "by name."),
}

#: hints that report what happened (None returned, wrong shape, NaN, an error, input changed)
#: rather than guess at the cause; they are kept even when a test supplies its own hint
FACT_HINTS = frozenset({"none", "shape", "nan", "raised", "timeout", "inplace", "outputs",
                        "signature"})

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # steplab/
#: failures that are what they say (no guessing from the numbers needed)
_DEFINITE = ("inplace", "shape", "none", "raised", "timeout", "signature", "outputs")
#: optimizers whose gradient is taken at a look-ahead point
_LOOKAHEAD = ("Nesterov", "HeavyBall", "NAdam")
_GRAD_NAMES = ("grad", "g", "gradient", "grads", "dphi", "dl_dphi", "grad_phi", "dL_dphi")
_GRADFN_NAMES = ("grad_fn", "grad_func", "grad_function", "gradient_fn", "gradient_function",
                 "compute_grad", "compute_gradient", "f_grad", "grad_f", "gradient")
_PHI_NAMES = ("phi", "params", "theta", "parameters")
_ALIASES = {"lr": "alpha", "learning_rate": "alpha", "eta": "alpha", "eps": "epsilon",
            "beta1": "beta", "beta2": "gamma", "momentum": "beta"}


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class CheckResult:
    """Outcome of a check: ``ok`` (also ``bool(result)``) and a ``message`` for the learner.

    ``hint`` is the key of :data:`HINTS` that was recognised (``""`` when none or when ok).
    In a notebook the result displays as its message.
    """

    ok: bool
    message: str
    hint: str = ""

    def __bool__(self) -> bool:
        return bool(self.ok)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return self.message

    def _repr_pretty_(self, p, cycle):  # IPython
        p.text(self.message)

    def raise_if_failed(self):
        """Raise ``AssertionError(message)`` unless ``ok`` (what the ``assert_*`` functions do)."""
        if not self.ok:
            raise AssertionError(self.message)
        return self


class _Fail(Exception):
    """Internal: a finished failure message."""

    def __init__(self, message, hint=""):
        super().__init__(message)
        self.message, self.hint = message, hint


def _failed(name, where, body, hint=""):
    text = f"{name} is not right yet.\n  {where}\n  {body}"
    if hint:
        text += f"\n  Hint: {HINTS.get(hint, hint)}"
    return CheckResult(False, text, hint if hint in HINTS else "custom")


# --------------------------------------------------------------------------- time limit

class _TimeLimit(BaseException):
    """Raised inside student code when the time limit is reached (a BaseException, so that
    ``except Exception`` in student code cannot swallow it)."""


@contextlib.contextmanager
def time_limit(seconds):
    """Context manager that interrupts the code inside after ``seconds`` (``None``: no limit).

    In the main thread on Unix it uses ``SIGALRM`` (``signal.setitimer``), restoring any timer
    that was already running (e.g. pytest-timeout's) afterwards. Elsewhere (another thread,
    Windows) it installs a ``sys.settrace`` hook that stops pure-Python loops; long single
    numpy calls cannot be interrupted there and are only reported afterwards.
    Raises ``TimeoutError`` when the limit is hit.
    """
    if seconds is None:
        yield
        return
    seconds = float(seconds)
    try:
        with _deadline(seconds):
            yield
    except _TimeLimit:
        raise TimeoutError(f"took longer than {seconds:g} s") from None


@contextlib.contextmanager
def _deadline(seconds):
    use_signal = (hasattr(signal, "SIGALRM") and hasattr(signal, "setitimer")
                  and threading.current_thread() is threading.main_thread())
    old_handler = signal.getsignal(signal.SIGALRM) if use_signal else None
    if use_signal and old_handler is None:      # installed from C: we could not restore it
        use_signal = False
    start = time.monotonic()
    if use_signal:
        old_delay, old_interval = signal.getitimer(signal.ITIMER_REAL)
        outer_first = 0 < old_delay < seconds

        def handler(signum, frame):
            if outer_first and time.monotonic() - start >= old_delay - 1e-3:
                if callable(old_handler):
                    old_handler(signum, frame)  # the outer timer's turn (may raise)
                left = seconds - (time.monotonic() - start)
                signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3))
                return
            raise _TimeLimit()

        signal.signal(signal.SIGALRM, handler)
        signal.setitimer(signal.ITIMER_REAL, old_delay if outer_first else seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old_handler)
            if old_delay > 0:
                left = old_delay - (time.monotonic() - start)
                signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), old_interval)
        return
    # fallback: a trace hook checked on Python lines (only if no debugger/coverage is tracing)
    if sys.gettrace() is None:
        deadline = start + seconds

        def tracer(frame, event, arg):
            if time.monotonic() > deadline:
                raise _TimeLimit()
            return tracer

        sys.settrace(tracer)
        try:
            yield
        finally:
            sys.settrace(None)
    else:
        yield
    if time.monotonic() - start > seconds:
        raise _TimeLimit()


# --------------------------------------------------------------------------- formatting

def _fmt(x, maxlen: int = 6) -> str:
    if x is None:
        return "None"
    if isinstance(x, (str, bool)):
        return repr(x)
    if callable(x) and not isinstance(x, np.ndarray):
        return getattr(x, "__name__", "a function")
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        text = repr(x)
        return text if len(text) < 80 else text[:77] + "..."
    if a.ndim == 0:
        return f"{float(a):.6g}"
    if a.size > maxlen:
        return f"<array of shape {a.shape}>"
    text = np.array2string(a, precision=6, separator=", ", suppress_small=False,
                           max_line_width=10_000, formatter={"float_kind": lambda v: f"{v:.6g}"})
    return " ".join(text.split())


def _entry_name(idx, shape, names):
    if names is not None and len(shape) == 1 and idx[0] < len(names):
        return f"{names[idx[0]]} (component {idx[0]})"
    if len(shape) == 1:
        return f"component {idx[0]}"
    return f"entry {tuple(int(i) for i in idx)}"


def _student_error(exc, name) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    frames = [f for f in tb if not os.path.abspath(f.filename).startswith(_PKG_DIR)
              or "test" in os.path.basename(f.filename)]
    where = ""
    if frames:
        f = frames[-1]
        loc = f"line {f.lineno}" + (f" of {f.name}" if f.name not in ("<module>",) else "")
        where = f" ({loc}: `{f.line.strip()}`)" if f.line else f" ({loc})"
    msg = str(exc)
    if len(msg) > 300:
        msg = msg[:297] + "..."
    return f"{name} raised {type(exc).__name__}: {msg}{where}"


# --------------------------------------------------------------------------- running code

def _copy(x):
    if isinstance(x, np.ndarray):
        return x.copy()
    if isinstance(x, (list, tuple)) and not hasattr(x, "_fields"):
        return type(x)(_copy(v) for v in x)
    if hasattr(x, "_fields"):
        return type(x)(*[_copy(v) for v in x])
    if isinstance(x, dict):
        return {k: _copy(v) for k, v in x.items()}
    return x


def _changed(before, after) -> bool:
    if isinstance(before, np.ndarray):
        return (not isinstance(after, np.ndarray) or before.shape != after.shape
                or not np.array_equal(before, after, equal_nan=True))
    return False


def _call_student(fn, args, kwargs, name, limit, watch=None):
    """Run learner code; any failure becomes a _Fail with a learner-facing message.

    ``watch``: dict name -> array passed in, checked for in-place changes afterwards.
    """
    snap = {k: v.copy() for k, v in (watch or {}).items() if isinstance(v, np.ndarray)}
    try:
        with np.errstate(all="ignore"):
            if limit is None:
                out = fn(*args, **kwargs)
            else:
                with _deadline(float(limit)):
                    out = fn(*args, **kwargs)
    except _TimeLimit:
        raise _Fail(f"{name} did not finish within {limit:g} s.", "timeout") from None
    except Exception as exc:  # learner code may raise anything
        raise _Fail(_student_error(exc, name), "raised") from None
    for k, before in snap.items():
        if _changed(before, (watch or {})[k]):
            raise _Fail(f"{name} changed its input `{k}` in place: before the call "
                        f"{_fmt(before)}, after {_fmt(watch[k])}.", "inplace")
    return out


def _call_reference(fn, args, kwargs=None):
    try:
        with np.errstate(all="ignore"):
            return fn(*args, **(kwargs or {}))
    except Exception as exc:
        raise RuntimeError(
            f"The reference solution raised {type(exc).__name__} on these inputs. This is a "
            "problem with the exercise, not with your code: please tell your instructor."
        ) from None


# --------------------------------------------------------------------------- comparing

def _isclose(a, b, rtol, atol):
    scale = float(np.max(np.abs(b))) if np.size(b) else 0.0
    return np.isclose(a, b, rtol=rtol, atol=atol + 1e-3 * rtol * scale)


def _allclose(a, b, rtol, atol):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.all(_isclose(a, b, rtol, atol)))


def _diagnose(got, exp, rtol, atol, n=None, base=None, alpha=None):
    """Guess the usual mistake from the numbers: returns a HINTS key or ''.

    ``base``: compare the steps ``got - base`` and ``exp - base`` (optimizer updates).
    """
    if base is not None:
        got, exp = got - base, exp - base
    if not np.any(np.abs(exp) > atol):
        return ""
    if np.all(np.abs(got) <= atol):
        return "no_move" if base is not None else "zero"
    tests = [("sign", -1.0), ("factor2", 2.0), ("half", 0.5)]
    if n and n > 2:
        tests += [("mean", 1.0 / n), ("sum", float(n))]
    if alpha and alpha not in (1.0, 0.5, 2.0) and base is not None:
        tests += [("alpha", 1.0 / alpha), ("alpha2", alpha)]
    tol = max(rtol, 1e-6)
    for key, r in tests:
        if _allclose(got, r * exp, tol, atol):
            if base is not None and key in ("sign", "factor2", "half"):
                return "step_sign" if key == "sign" else "step_scale"
            return key
    if got.ndim == 1 and got.size > 1 and base is None and _allclose(got, exp[::-1], tol, atol) \
            and not _allclose(exp, exp[::-1], tol, atol):
        return "order"
    bad = ~_isclose(got, exp, tol, atol)
    if got.ndim == 1 and got.size > 1 and bad.sum() == 1 and base is None:
        k = int(np.flatnonzero(bad)[0])
        for key, r in tests:
            if np.isclose(got[k], r * exp[k], rtol=tol, atol=atol):
                return key
        return "one_component"
    return ""


def _compare(got, exp, what, *, names=None, rtol=1e-6, atol=1e-9, n=None, base=None, alpha=None):
    """Compare a learner's value with the expected one; raise _Fail with the details."""
    if isinstance(exp, dict):
        if not isinstance(got, dict):
            raise _Fail(f"{what}: expected a dict with keys {sorted(exp)}, got {_fmt(got)}.",
                        "none" if got is None else "")
        missing = [k for k in exp if k not in got]
        if missing:
            raise _Fail(f"{what}: the dict has no key {missing[0]!r} "
                        f"(expected keys {sorted(exp)}).", "")
        for k in exp:
            _compare(got[k], exp[k], f"{what}[{k!r}]", rtol=rtol, atol=atol, n=n)
        return
    if exp is None or isinstance(exp, (str, bool, np.bool_)):
        if got is None and exp is not None:
            raise _Fail(f"{what}: expected {_fmt(exp)}, got None.", "none")
        if got != exp:
            raise _Fail(f"{what}: expected {_fmt(exp)}, got {_fmt(got)}.", "")
        return
    if got is None:
        raise _Fail(f"{what}: expected {_fmt(exp)}, got None.", "none")
    if isinstance(got, (str, bool)) and not isinstance(exp, (str, bool)):
        raise _Fail(f"{what}: expected a number or array like {_fmt(exp)}, got {_fmt(got)}.", "")
    e = np.asarray(exp, dtype=float)
    try:
        g = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        kind = type(got).__name__
        raise _Fail(f"{what}: expected an array of shape {e.shape} like {_fmt(e)}, got a {kind} "
                    f"that is not an array of numbers: {_fmt(got)}.", "shape") from None
    if g.shape != e.shape:
        same = " (the right numbers in the wrong shape)" if g.size == e.size and \
            _allclose(g.reshape(e.shape), e, rtol, atol) else ""
        raise _Fail(f"{what}: expected shape {e.shape}, got shape {g.shape}{same}.\n"
                    f"  expected {_fmt(e)}\n  got      {_fmt(g)}", "shape")
    bad_nan = ~np.isfinite(g) & np.isfinite(e)
    if bad_nan.any():
        idx = np.unravel_index(int(np.flatnonzero(bad_nan)[0]), g.shape) if g.ndim else ()
        where = f" at {_entry_name(idx, g.shape, names)}" if g.ndim else ""
        raise _Fail(f"{what}: got {_fmt(g)}, which is not finite{where}; "
                    f"expected {_fmt(e)}.", "nan")
    close = _isclose(g, e, rtol, atol) | (np.isnan(g) & np.isnan(e))
    if np.all(close):
        return
    hint = _diagnose(g, e, rtol, atol, n=n,
                     base=None if base is None else np.asarray(base, dtype=float), alpha=alpha)
    if g.ndim == 0:
        raise _Fail(f"{what}: expected {_fmt(e)}, got {_fmt(g)}.", hint)
    err = np.where(close, 0.0, np.abs(g - e))
    k = np.unravel_index(int(np.argmax(err)), g.shape)
    nbad = int((~close).sum())
    detail = (f"{what}, {_entry_name(k, g.shape, names)}: expected {e[k]:.6g}, got {g[k]:.6g}"
              + (f" ({nbad} of {g.size} entries differ)" if g.size > 1 else "") + ".")
    if g.size <= 12:
        detail += f"\n  expected {_fmt(e, 12)}\n  got      {_fmt(g, 12)}"
    raise _Fail(detail, hint)
