"""Friendly checks of a learner's code against a reference, for notebooks and nbgrader tests.

Each ``check_*`` function runs the learner's function and a reference at a few seeded
points and returns a :class:`CheckResult` (``ok`` and a ``message`` written for the learner:
which component, at which point, expected vs got, and a hint for the usual mistakes). Each
``assert_*`` twin raises ``AssertionError`` with the same message (for nbgrader tests)::

    from steplab import checks
    checks.check_gradient(my_grad, [0.6, -0.2], reference=problem)   # grad(phi) or grad(phi, x, y)
    checks.assert_step(gd_step, sl.GradientDescent(alpha=0.1))        # gd_step(phi, grad, alpha)
    # momentum_step(phi, m, grad, alpha, beta) -> (phi, m)
    checks.assert_step(momentum_step, sl.Momentum(alpha=0.1, beta=0.9))
    checks.assert_optimizer(MyAdam(), sl.Adam(alpha=0.05), steps=20)
    checks.assert_function(my_hessian, reference_hessian, inputs=[(phi,) for phi in points])
    checks.assert_close(n_entries, 10**12, what="number of Hessian entries")

How a learner's step function is called
---------------------------------------
The arguments are matched by *name*, in the book's notation (UDL chapter 6):

- ``phi`` the parameters; ``grad`` (or ``g``, ``gradient``) the gradient at ``phi``;
  ``grad_fn`` a function ``phi -> gradient`` (for Nesterov, which needs the gradient
  elsewhere);
- state such as ``m``, ``v``, ``r`` (the fields of the reference optimizer's state); ``t`` the
  number of the step being taken, counting from 1;
- hyperparameters ``alpha``, ``beta``, ``gamma``, ``epsilon`` (also ``lr``, ``eps``).

The function returns the new ``phi``, or a tuple ``(phi, m, ...)``: the new ``phi`` then the
new state in the order the state appears among its arguments (``outputs=`` overrides).
Anything else can be adapted with ``call=``. Student code that raises, returns ``None``, the
wrong shape or NaN, changes its input in place, or runs longer than ``time_limit`` seconds is
reported, never crashes the check. Messages never show the reference's source code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import math
import os
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .optimizers import AdamState, MomentumState
from .problems import fd_gradient

__all__ = [
    "CheckResult", "HINTS", "check_gradient", "check_step", "check_optimizer", "check_function",
    "check_close", "assert_gradient", "assert_step", "assert_optimizer", "assert_function",
    "assert_close", "time_limit",
]

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

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))
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


# --------------------------------------------------------------------------- close / function

def check_close(got, expected, what: str = "value", rtol: float = 1e-6, atol: float = 1e-9,
                hint: str | None = None, n: int | None = None) -> CheckResult:
    """Compare a learner's value with the expected one (numbers, arrays, strings, dicts).

    Reports None, the wrong shape, NaN, and which entry differs; guesses the usual mistakes
    (sign, factor of 2, mean instead of sum when ``n`` data points are given). ``hint``
    (a :data:`HINTS` key or your own text) is added to any failure.
    """
    try:
        _compare(got, expected, what, rtol=rtol, atol=atol, n=n)
    except _Fail as f:
        body = f.message
        lines = [f"{what} is not right yet.", "  " + body]
        key = f.hint
        if hint and key not in FACT_HINTS:
            # the author's hint knows the exercise; a guessed pattern (sign, order, factor 2)
            # can mislead next to it, so only hints that state facts are kept
            key = ""
        extra = [HINTS[key]] if key else []
        if hint:
            extra.append(HINTS.get(hint, hint))
        for h in extra:
            lines.append(f"  Hint: {h}")
        return CheckResult(False, "\n".join(lines), key or ("custom" if hint else ""))
    return CheckResult(True, f"{what} looks right.")


def assert_close(got, expected, what: str = "value", rtol: float = 1e-6, atol: float = 1e-9,
                 hint: str | None = None, n: int | None = None) -> CheckResult:
    """:func:`check_close`, raising ``AssertionError`` with the friendly message on failure."""
    return check_close(got, expected, what, rtol, atol, hint, n).raise_if_failed()


def _param_names(fn):
    try:
        return [p.name for p in inspect.signature(fn).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return []


def _as_args(inp):
    if isinstance(inp, dict):
        return (), inp
    if isinstance(inp, tuple):
        return inp, {}
    return (inp,), {}


def _describe_input(fn, args, kwargs):
    names = _param_names(fn)
    parts = []
    for i, a in enumerate(args):
        label = names[i] if i < len(names) else f"arg{i}"
        parts.append(f"{label}={_fmt(a)}")
    parts += [f"{k}={_fmt(v)}" for k, v in kwargs.items()]
    return "for the input " + ", ".join(parts) if parts else "with no arguments"


def check_function(student, reference, inputs, *, name: str | None = None,
                   outputs: tuple | None = None, rtol: float = 1e-6, atol: float = 1e-9,
                   n: int | None = None, mistakes: dict | None = None,
                   time_limit: float | None = 2.0, seed: int = 0,
                   n_inputs: int = 3) -> CheckResult:
    """Compare ``student(*args)`` with ``reference(*args)`` on each of ``inputs``.

    ``inputs``: a list whose items are argument tuples, dicts of keyword arguments, or single
    values; or a function ``rng -> args`` called ``n_inputs`` times with
    ``np.random.default_rng(seed)``. Outputs may be numbers, arrays, strings, dicts or tuples
    of these (``outputs`` names the tuple's items in messages). ``mistakes`` maps a hint (a
    :data:`HINTS` key or your own text) to a deliberately wrong implementation: a learner
    whose output matches it gets that hint. Input arrays are protected: changing them in
    place fails the check (hint ``"inplace"``).
    """
    if not callable(reference):
        raise ValueError(f"reference must be a function; got {reference!r}.")
    name = name or getattr(student, "__name__", "your function")
    if not callable(student):
        return CheckResult(False, f"{name} is not a function (got {_fmt(student)}): define it "
                                  "with def ... and run that cell first.", "signature")
    if callable(inputs):
        rng = np.random.default_rng(seed)
        inputs = [inputs(rng) for _ in range(n_inputs)]
    inputs = list(inputs)
    if not inputs:
        raise ValueError("inputs is empty: give at least one argument tuple to test with.")
    for i, inp in enumerate(inputs):
        args, kwargs = _as_args(inp)
        where = _describe_input(student, args, kwargs) + f" (test {i + 1} of {len(inputs)}):"
        expected = _call_reference(reference, _copy(args), _copy(kwargs))
        s_args, s_kwargs = _copy(args), _copy(kwargs)
        watch = {names: v for names, v in zip(_param_names(student), s_args, strict=False)}
        watch.update(s_kwargs)
        try:
            got = _call_student(student, s_args, s_kwargs, name, time_limit, watch)
            _compare_outputs(got, expected, outputs, rtol, atol, n)
        except _Fail as f:
            hint = f.hint
            for h, wrong in (mistakes or {}).items():
                try:
                    alt = _call_reference(wrong, _copy(args), _copy(kwargs))
                    _compare_outputs(got, alt, outputs, rtol, atol, n)
                except (_Fail, RuntimeError, NameError):
                    continue
                else:
                    hint = h
                    break
            return _failed(name, where, f.message, hint)
    return CheckResult(True, f"{name} matches the reference on {len(inputs)} test inputs.")


def _compare_outputs(got, expected, outputs, rtol, atol, n):
    if isinstance(expected, tuple) and not hasattr(expected, "_fields"):
        labels = list(outputs) if outputs else [f"output {i + 1}" for i in range(len(expected))]
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            count = len(got) if isinstance(got, (tuple, list)) else 1
            raise _Fail(f"expected {len(expected)} return values ({', '.join(labels)}), got "
                        f"{count}: {_fmt(got)}.", "none" if got is None else "outputs")
        for lab, gv, ev in zip(labels, got, expected, strict=False):
            _compare(gv, ev, lab, rtol=rtol, atol=atol, n=n)
    else:
        _compare(got, expected, outputs[0] if outputs else "the result", rtol=rtol, atol=atol, n=n)


def assert_function(student, reference, inputs, **kwargs) -> CheckResult:
    """:func:`check_function`, raising ``AssertionError`` with the friendly message on failure."""
    return check_function(student, reference, inputs, **kwargs).raise_if_failed()


# --------------------------------------------------------------------------- gradients

def _is_problem(obj):
    return hasattr(obj, "loss") and hasattr(obj, "grad") and not isinstance(obj, type)


def check_gradient(fn_or_problem, phi=None, reference=None, *, args: tuple | None = None,
                   loss: Callable | None = None, n_points: int = 3, seed: int = 0,
                   scale: float = 1.0, rtol: float = 1e-4, atol: float = 1e-6,
                   h: float = 1e-6, time_limit: float | None = 2.0,
                   name: str | None = None) -> CheckResult:
    """Check a gradient function against a reference at ``phi`` and at seeded nearby points.

    - ``check_gradient(problem, phi)``: the problem's own ``grad`` against central finite
      differences (有限差分) of its ``loss``;
    - ``check_gradient(my_grad, phi, reference=problem)``: ``my_grad(phi)`` (or
      ``my_grad(phi, x, y)``, given the problem's data automatically) against ``problem.grad``;
    - ``reference`` may also be a function with the learner's signature that returns the
      gradient, or the loss (a scalar: its finite-difference gradient is used); or pass
      ``loss=`` explicitly. ``args`` are extra arguments for both, e.g. ``(x, y)``.

    Points: ``phi`` and ``n_points - 1`` more at ``phi + scale * N(0, 1)`` drawn from
    ``np.random.default_rng(seed)`` (without ``phi``: ``n_points`` such draws around 0).
    The message names the component (``dL/dphi1``), the point, expected vs got and a hint
    (sign flipped, factor of 2, mean instead of sum, wrong order, one component wrong, ...).
    """
    student = fn_or_problem
    ref_problem = None
    ref_grad = None
    if _is_problem(fn_or_problem) and reference is None and loss is None:
        ref_problem = fn_or_problem
        student = fn_or_problem.grad
        lossf = fn_or_problem.loss
        name = name or f"{type(fn_or_problem).__name__}.grad"
        ref_grad = lambda p, *a: fd_gradient(lossf, p, h)  # noqa: E731
    name = name or getattr(student, "__name__", "your gradient")
    if not callable(student):
        return CheckResult(False, f"{name} is not a function (got {_fmt(student)}): define it "
                                  "and run that cell first.", "signature")
    if ref_grad is None:
        if _is_problem(reference):
            ref_problem = reference
            ref_grad = lambda p, *a: reference.grad(p)  # noqa: E731
        elif loss is not None:
            ref_grad = lambda p, *a: fd_gradient(lambda q: loss(q, *a), p, h)  # noqa: E731
        elif callable(reference):
            ref_grad = _grad_or_loss(reference, h)
        else:
            raise ValueError("check_gradient needs something to compare with: reference=problem, "
                             "reference=a gradient or loss function, or loss=...")
    if args is None:
        args = ()
        need = [p for p in _required(student)]
        if ref_problem is not None and len(need) >= 3 and hasattr(ref_problem, "x"):
            args = (np.array(ref_problem.x), np.array(ref_problem.y))
    n = getattr(ref_problem, "n", 0) or (len(args[0]) if args and np.ndim(args[0]) == 1 else None)
    P = getattr(ref_problem, "P", 0) or (np.size(phi) if phi is not None else None)
    if not P:
        raise ValueError("cannot tell how many parameters there are: pass phi.")
    names = None
    pn = getattr(ref_problem, "param_names", ())
    if pn and len(pn) == P:
        names = [f"dL/d{p}" for p in pn]
    rng = np.random.default_rng(seed)
    points = []
    base = np.zeros(P) if phi is None else np.asarray(phi, dtype=float).reshape(P)
    if phi is not None:
        points.append(base)
    while len(points) < max(n_points, 1):
        points.append(base + scale * rng.normal(size=P))
    for i, p in enumerate(points):
        where = f"At phi = {_fmt(p)} (check point {i + 1} of {len(points)}):"
        expected = np.asarray(_call_reference(ref_grad, (p.copy(), *_copy(args))), dtype=float)
        s_phi = p.copy()
        try:
            got = _call_student(student, (s_phi, *_copy(args)), {}, name, time_limit,
                                {"phi": s_phi})
            _compare(got, expected, "gradient (梯度)", names=names, rtol=rtol, atol=atol, n=n)
        except _Fail as f:
            return _failed(name, where, f.message, f.hint)
    return CheckResult(True, f"{name} matches the reference gradient at {len(points)} points.")


def _required(fn):
    try:
        return [p.name for p in inspect.signature(fn).parameters.values()
                if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return []


def _grad_or_loss(reference, h):
    def ref(p, *a):
        out = np.asarray(reference(p, *a), dtype=float)
        if out.ndim == 0 and np.size(p) > 1 or (out.size == 1 and np.size(p) > 1):
            return fd_gradient(lambda q: float(np.asarray(reference(q, *a)).reshape(-1)[0]), p, h)
        return out
    return ref


def assert_gradient(fn_or_problem, phi=None, reference=None, **kwargs) -> CheckResult:
    """:func:`check_gradient`, raising ``AssertionError`` with the friendly message on failure."""
    return check_gradient(fn_or_problem, phi, reference, **kwargs).raise_if_failed()


# --------------------------------------------------------------------------- optimizers

def _default_grad_fn(P, seed):
    """A seeded, mildly ill-conditioned quadratic: grad = A phi - b (curvatures 1 and 5)."""
    rng = np.random.default_rng(10_000 + seed)
    Q, _ = np.linalg.qr(rng.normal(size=(P, P)))
    A = Q @ np.diag(np.linspace(1.0, 5.0, P)) @ Q.T
    b = rng.normal(size=P)
    return lambda p: np.asarray(p, dtype=float) @ A - b


class _Logged:
    """A gradient function that records where it was called."""

    def __init__(self, fn):
        self.fn, self.points = fn, []

    def __call__(self, p):
        arr = np.array(p, dtype=float)
        self.points.append(arr)
        return np.asarray(self.fn(arr), dtype=float)


class _Engine:
    """A reference optimizer object (init/step) seen through state dicts."""

    def __init__(self, opt):
        self.opt = opt
        if dataclasses.is_dataclass(opt):
            self.hyper = {f.name: getattr(opt, f.name) for f in dataclasses.fields(opt)
                          if f.name != "label"}
        else:
            self.hyper = {k: v for k, v in vars(opt).items() if not k.startswith("_")}

    def init(self, phi):
        return self.opt.init(phi)

    def step(self, phi, state, grad_fn):
        return self.opt.step(phi, state, grad_fn)


def _state_dict(state):
    if state is None:
        return {}
    if hasattr(state, "_asdict"):
        return dict(state._asdict())
    if isinstance(state, dict):
        return dict(state)
    return {}


class _Bound:
    """Calls a step function by parameter names (the book's notation)."""

    def __init__(self, fn, argnames=None, outputs=None):
        self.fn = fn
        self.names = list(argnames) if argnames else _param_names(fn)
        self.required = set(_required(fn)) if not argnames else set(self.names)
        self.outputs = list(outputs) if outputs else None

    def state_names(self, state_fields, hyper):
        return [k for k in self.names if k in state_fields and k != "t"]

    def bind(self, phi, state, grad_fn, hyper, where, label):
        values = {}
        unknown = []
        for k in self.names:
            key = _ALIASES.get(k, k)
            if k in _PHI_NAMES:
                values[k] = phi
            elif k in _GRADFN_NAMES and (k not in _GRAD_NAMES or "grad" in self.names):
                values[k] = grad_fn
            elif k in _GRAD_NAMES:
                values[k] = grad_fn(phi)
            elif k == "t":
                values[k] = int(state.get("t", 0)) + 1
            elif k in state:
                values[k] = state[k]
            elif key in hyper:
                values[k] = hyper[key]
            elif k in self.required:
                unknown.append(k)
        if unknown:
            raise _Fail(f"{label} has parameter(s) {', '.join(unknown)} that the "
                        f"check does not know how to fill; it can pass phi, grad (or grad_fn), "
                        f"the state {', '.join(k for k in state if k != 't') or '(none)'}, t, and "
                        f"{', '.join(hyper)}.", "signature")
        return values

    def parse(self, out, state_names, where, label):
        expect = self.outputs or (["phi"] + list(state_names))
        if len(expect) == 1:
            if isinstance(out, tuple):
                raise _Fail(f"{label} returned {len(out)} values; expected only the "
                            f"new phi.", "outputs")
            return {"phi": out}
        if not isinstance(out, tuple) or len(out) != len(expect):
            count = len(out) if isinstance(out, tuple) else 1
            raise _Fail(f"{label} returned {count} value(s): {_fmt(out)}; expected "
                        f"{len(expect)}: ({', '.join(expect)}).",
                        "none" if out is None else "outputs")
        return dict(zip(expect, out, strict=True))


def _mutants(opt):
    """Built-in wrong versions of the engine's optimizers: (hint key, step function)."""
    out = []
    cls = type(opt).__name__
    fields = {f.name for f in dataclasses.fields(opt)} if dataclasses.is_dataclass(opt) else set()
    if "bias_correction" in fields and opt.bias_correction:
        out.append(("bias_correction", dataclasses.replace(opt, bias_correction=False).step))
    if cls == "Adam" and getattr(opt, "bias_correction", False):
        a, b, c, e = opt.alpha, opt.beta, opt.gamma, opt.epsilon

        def t_plus(phi, state, grad_fn, _off=1):
            g = grad_fn(phi)
            t = state.t + 1
            m = b * state.m + (1 - b) * g
            v = c * state.v + (1 - c) * g * g
            m_hat = m / (1 - b ** (t + _off))
            v_hat = v / (1 - c ** (t + _off))
            return phi - a * m_hat / (np.sqrt(v_hat) + e), AdamState(t, m, v)

        out.append(("t_offset", t_plus))
    if {"beta", "gamma"} <= fields and cls in ("Adam", "AMSGrad", "NAdam", "Adamax", "AdamW"):
        try:
            swapped = dataclasses.replace(opt, beta=opt.gamma, gamma=opt.beta)
            out.append(("beta_gamma", swapped.step))
        except (ValueError, TypeError):
            pass
    if cls in ("Momentum", "Nesterov"):
        a, b = opt.alpha, opt.beta
        look = 1.0 if cls == "Nesterov" else 0.0

        def undamped(phi, state, grad_fn):
            m = b * state.m + grad_fn(phi - look * a * b * state.m)
            return phi - a * m, MomentumState(state.t + 1, m)

        def swapped(phi, state, grad_fn):
            m = (1 - b) * state.m + b * grad_fn(phi - look * a * b * state.m)
            return phi - a * m, MomentumState(state.t + 1, m)

        out += [("momentum_damping", undamped), ("momentum_damping", swapped)]
    if cls == "Nesterov":
        a, b = opt.alpha, opt.beta

        def at_phi(phi, state, grad_fn):
            m = b * state.m + (1 - b) * grad_fn(phi)
            return phi - a * m, MomentumState(state.t + 1, m)

        def at_print(phi, state, grad_fn):  # the first print's phi - alpha * m
            m = b * state.m + (1 - b) * grad_fn(phi - a * state.m)
            return phi - a * m, MomentumState(state.t + 1, m)

        out += [("nesterov_point", at_phi), ("nesterov_point", at_print)]
    if cls == "HeavyBall" and getattr(opt, "nesterov", False):
        out.append(("nesterov_point", dataclasses.replace(opt, nesterov=False).step))
    return out


def _reference(reference, hyper):
    if hasattr(reference, "init") and hasattr(reference, "step"):
        return _Engine(reference), None
    if callable(reference):
        if hyper is None:
            raise ValueError("a reference function needs its hyperparameters: pass hyper=dict("
                             "alpha=..., beta=...) (or pass an engine optimizer such as "
                             "steplab.Momentum(alpha, beta) as the reference).")
        return None, _Bound(reference)
    raise ValueError(f"reference must be an optimizer object (init/step) or a step function; "
                     f"got {reference!r}.")


class _FnRef:
    """A reference step *function* (same calling convention as the learner's) run with
    explicit state (zeros at the start, t counting steps)."""

    def __init__(self, bound, hyper):
        self.bound, self.hyper = bound, dict(hyper)
        try:    # the reference's own defaults (e.g. epsilon=1e-8) count as hyperparameters
            for p in inspect.signature(bound.fn).parameters.values():
                if p.default is not p.empty and _ALIASES.get(p.name, p.name) not in self.hyper:
                    self.hyper[_ALIASES.get(p.name, p.name)] = p.default
        except (TypeError, ValueError):
            pass
        required = set(_required(bound.fn))
        self.state_fields = [k for k in bound.names
                             if k not in _PHI_NAMES and k not in _GRAD_NAMES
                             and k not in _GRADFN_NAMES and _ALIASES.get(k, k) not in hyper
                             and (k in required or k == "t")]

    def init(self, phi):
        st = {k: np.zeros(np.shape(phi)) for k in self.state_fields if k != "t"}
        st["t"] = 0
        return st

    def step(self, phi, state, grad_fn):
        values = self.bound.bind(phi, state, grad_fn, self.hyper, "", "the reference")
        out = _call_reference(self.bound.fn, (), values)
        names = self.bound.state_names(state, self.hyper)
        parsed = self.bound.parse(out, names, "", "the reference")
        new = dict(state)
        new.update({k: v for k, v in parsed.items() if k != "phi"})
        new["t"] = state.get("t", 0) + 1
        return parsed["phi"], new


def _ref_step(ref, phi, state, grad_fn):
    """Run the reference; return (phi, state_dict, state_object)."""
    new_phi, new_state = ref.step(phi, state, grad_fn)
    return np.asarray(new_phi, dtype=float), _state_dict(new_state), new_state


def _hint_from_mutants(mutants, phi, state, grad_fn, got, rtol, atol):
    """The first wrong version whose output matches the learner's (phi, and any state both
    return); ``got`` is the dict of the learner's outputs by name."""
    for key, mut in mutants:
        try:
            with np.errstate(all="ignore"):
                alt_phi, alt_state = mut(np.array(phi), _copy(state), grad_fn)
            if not _allclose(np.asarray(got["phi"], dtype=float), alt_phi, rtol, atol):
                continue
            alt = _state_dict(alt_state)
            if all(_allclose(np.asarray(v, dtype=float), np.asarray(alt[k], dtype=float),
                             rtol, atol)
                   for k, v in got.items() if k != "phi" and k in alt):
                return key
        except Exception:  # a mutant that does not apply here, or outputs of odd shapes
            continue
    return ""


def _grad_point_hint(ref_points, got_points, rtol, atol):
    if not ref_points or not got_points:
        return ""
    if len(ref_points) == len(got_points) and all(
            _allclose(a, b, rtol, atol) for a, b in zip(got_points, ref_points, strict=True)):
        return ""
    return "wrong_point"


def check_step(student_step, reference, phi=None, *, grad_fn: Callable | None = None,
               problem=None, hyper: dict | None = None, n_points: int = 3, seed: int = 0,
               call: Callable | None = None, argnames=None, outputs=None,
               rtol: float = 1e-6, atol: float = 1e-9, time_limit: float | None = 2.0,
               name: str | None = None, mistakes: dict | None = None) -> CheckResult:
    """Check one optimizer step (UDL eqs. 6.3, 6.11-6.18; Goodfellow algs. 8.1-8.7) from
    several seeded situations against a reference.

    ``student_step`` is a function called by argument names (see the module docstring), e.g.
    ``gd_step(phi, grad, alpha)``, ``momentum_step(phi, m, grad, alpha, beta) -> (phi, m)``,
    ``nesterov_step(phi, m, grad_fn, alpha, beta) -> (phi, m)``,
    ``adam_step(phi, m, v, t, grad, alpha, beta, gamma, epsilon) -> (phi, m, v)``; or an
    optimizer object with ``init``/``step`` (then every check starts from its ``init``).
    ``reference`` is an engine optimizer (``steplab.Momentum(alpha=0.1, beta=0.9)``: its fields
    are the hyperparameters) or a reference function with the same signature plus
    ``hyper=dict(alpha=..., ...)``.

    Situation ``k`` (``k = 0 .. n_points-1``) is the reference's state after ``k`` steps from
    a seeded ``phi`` (``phi`` itself for the first), on ``grad_fn`` / ``problem.grad`` or a
    seeded quadratic. The step must match in ``phi`` and in any state it returns. Hints:
    sign flipped, factor of 2, learning rate missing, gradient at the wrong point (Nesterov),
    bias correction missing (Adam), momentum damping, in-place changes, wrong shape, and
    any ``mistakes={hint: wrong_step}`` of your own.

    ``call(student, phi, state, grad_fn, hyper) -> phi`` or ``(phi, state)`` adapts any other
    calling convention (``state`` is a dict of the reference's state by field name).
    """
    name = name or getattr(student_step, "__name__", type(student_step).__name__)
    if hasattr(student_step, "init") and hasattr(student_step, "step") and call is None:
        return check_optimizer(student_step, reference, problem=problem, phi0=phi,
                               steps=max(n_points, 2), grad_fn=grad_fn, hyper=hyper, seed=seed,
                               rtol=rtol, atol=atol, time_limit=time_limit, name=name,
                               mistakes=mistakes)
    if not callable(student_step):
        return CheckResult(False, f"{name} is not a function (got {_fmt(student_step)}): define "
                                  "it and run that cell first.", "signature")
    engine, ref_bound = _reference(reference, hyper)
    ref = engine if engine is not None else _FnRef(ref_bound, hyper)
    hyper = dict(engine.hyper if engine is not None else ref.hyper)
    P, base_grad, phi0 = _setup(phi, problem, grad_fn)
    rng = np.random.default_rng(seed)
    bound = None if call is not None else _Bound(student_step, argnames, outputs)
    muts = _mutants(reference) if engine is not None else []
    muts += [(k, _wrap_wrong(w, hyper)) for k, w in (mistakes or {}).items()]
    for i in range(max(n_points, 1)):
        start = phi0 if (i == 0 and phi is not None) else rng.normal(size=phi0.shape) * 1.5
        state = ref.init(start)
        cur = np.array(start, dtype=float)
        for _ in range(i):
            cur, _, state = _ref_step(ref, cur, state, base_grad)
        sdict = _state_dict(state)
        shown = ", ".join(f"{k} = {_fmt(v)}" for k, v in sdict.items() if k != "t")
        where = (f"At phi = {_fmt(cur)}" + (f", {shown}" if shown else "")
                 + (f", step t = {sdict['t'] + 1}" if "t" in sdict else "")
                 + f" (check {i + 1} of {max(n_points, 1)}):")
        ref_log = _Logged(base_grad)
        exp_phi, exp_state, _ = _ref_step(ref, cur.copy(), _copy(state), ref_log)
        stu_log = _Logged(base_grad)
        s_phi, s_state = cur.copy(), _copy(sdict)
        parsed = {}
        try:
            if call is not None:
                out = _call_student(call, (student_step, s_phi, s_state, stu_log, dict(hyper)), {},
                                    name, time_limit, {"phi": s_phi, **s_state})
                parsed = ({"phi": out[0], **_state_dict(out[1])} if isinstance(out, tuple)
                          and len(out) == 2 and isinstance(out[1], dict) else {"phi": out})
            else:
                values = bound.bind(s_phi, s_state, stu_log, hyper, where, name)
                watch = {k: v for k, v in values.items() if isinstance(v, np.ndarray)}
                out = _call_student(student_step, (), values, name, time_limit, watch)
                parsed = bound.parse(out, bound.state_names(sdict, hyper), where, name)
            _compare(parsed["phi"], exp_phi, "new phi", rtol=rtol, atol=atol, base=cur,
                     alpha=hyper.get("alpha"))
            for k, v in parsed.items():
                if k != "phi" and k in exp_state:
                    _compare(v, exp_state[k], f"new {k}", rtol=rtol, atol=atol)
        except _Fail as f:
            hint = f.hint
            if hint not in _DEFINITE:
                hint = (_hint_from_mutants(muts, cur, state, base_grad, parsed, rtol, atol)
                        if parsed.get("phi") is not None else "") or hint
                if not hint or hint in ("step_sign", "step_scale"):
                    hint = _grad_point_hint(ref_log.points, stu_log.points, rtol, atol) or hint
                if hint == "wrong_point" and type(reference).__name__ in _LOOKAHEAD:
                    hint = "nesterov_point"
            body = f.message
            if hint in ("wrong_point", "nesterov_point") and stu_log.points and ref_log.points:
                body += (f"\n  You evaluated the gradient at {_fmt(stu_log.points[0])}; the "
                         f"reference evaluates it at {_fmt(ref_log.points[0])}.")
            return _failed(name, where, body, hint)
    return CheckResult(True, f"{name} matches the reference step in {max(n_points, 1)} situations.")


def _wrap_wrong(wrong, hyper):
    """A learner-convention wrong step function -> mutant(phi, state, grad_fn)."""
    if hasattr(wrong, "init") and hasattr(wrong, "step"):
        return wrong.step
    b = _Bound(wrong)

    def mut(phi, state, grad_fn):
        sd = _state_dict(state)
        vals = b.bind(phi, sd, grad_fn, hyper, "", "mistake")
        parsed = b.parse(wrong(**vals), b.state_names(sd, hyper), "", "mistake")
        return parsed.pop("phi"), parsed
    return mut


def _setup(phi, problem, grad_fn):
    if problem is not None:
        P = int(problem.P)
        base_grad = problem.grad
    else:
        P = None
    if phi is not None:
        phi0 = np.asarray(phi, dtype=float)
        P = phi0.shape[-1] if P is None else P
    else:
        P = P or 2
        phi0 = np.linspace(-1.0, 1.5, P)
    if grad_fn is not None:
        base_grad = grad_fn
    elif problem is None:
        base_grad = _default_grad_fn(P, 0)
    return P, base_grad, phi0


def assert_step(student_step, reference, phi=None, **kwargs) -> CheckResult:
    """:func:`check_step`, raising ``AssertionError`` with the friendly message on failure."""
    return check_step(student_step, reference, phi, **kwargs).raise_if_failed()


def check_optimizer(student, reference, problem=None, phi0=None, steps: int = 10, *,
                    grad_fn: Callable | None = None, hyper: dict | None = None, seed: int = 0,
                    call: Callable | None = None, argnames=None, outputs=None,
                    rtol: float = 1e-6, atol: float = 1e-9, time_limit: float | None = 2.0,
                    name: str | None = None, mistakes: dict | None = None) -> CheckResult:
    """Run the learner's optimizer and the reference side by side for ``steps`` steps and
    report the first step where they part (UDL 6.1-6.4; Goodfellow 8.3-8.5).

    ``student``: an optimizer object with ``init(phi)`` / ``step(phi, state, grad_fn)`` (only
    its ``phi`` is compared, its state may be anything), a plain function ``step(phi, grad)``,
    or a step function with explicit state called by names as in :func:`check_step` (its
    returned state is fed back to it). ``reference``: an engine optimizer, or a step function
    with ``hyper``. Runs on ``problem`` (default: a seeded quadratic), from ``phi0``.
    """
    name = name or getattr(student, "__name__", type(student).__name__)
    engine, ref_bound = _reference(reference, hyper)
    ref = engine if engine is not None else _FnRef(ref_bound, hyper)
    hyper = dict(engine.hyper if engine is not None else ref.hyper)
    P, base_grad, phi = _setup(phi0, problem, grad_fn)
    if not (isinstance(steps, (int, np.integer)) and steps >= 1):
        raise ValueError(f"steps must be a whole number >= 1; got {steps!r}.")
    is_object = hasattr(student, "init") and hasattr(student, "step") and call is None
    if not is_object and not callable(student):
        return CheckResult(False, f"{name} is neither an optimizer object (with init and step) "
                                  f"nor a function (got {_fmt(student)}).", "signature")
    bound = None if (is_object or call is not None) else _Bound(student, argnames, outputs)
    muts = _mutants(reference) if engine is not None else []
    muts += [(k, _wrap_wrong(w, hyper)) for k, w in (mistakes or {}).items()]
    ref_state = ref.init(phi)
    ref_phi = np.array(phi, dtype=float)
    stu_phi = np.array(phi, dtype=float)
    if is_object:
        try:
            stu_state = _call_student(student.init, (stu_phi.copy(),), {}, f"{name}.init",
                                      time_limit, None)
        except _Fail as f:
            return _failed(name, "When starting (init):", f.message, f.hint)
    else:
        stu_state = _state_dict(ref_state) if engine is not None else dict(ref_state)
        stu_state = _copy(stu_state)
    for t in range(1, steps + 1):
        where = f"At step {t} of {steps}, starting from phi = {_fmt(stu_phi)}:"
        ref_log, stu_log = _Logged(base_grad), _Logged(base_grad)
        if not is_object and not isinstance(stu_state, dict):
            stu_state = _state_dict(stu_state)
        prev = stu_phi.copy()
        new_ref_phi, new_ref_sd, ref_state_next = _ref_step(ref, ref_phi.copy(),
                                                            _copy(ref_state), ref_log)
        parsed = {}
        try:
            s_phi = stu_phi.copy()
            if is_object:
                watch = {"phi": s_phi}
                out = _call_student(student.step, (s_phi, stu_state, stu_log), {}, f"{name}.step",
                                    time_limit, watch)
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise _Fail(f"{name}.step returned {_fmt(out)}; it must return "
                                f"(new_phi, new_state).", "none" if out is None else "outputs")
                parsed = {"phi": out[0]}
                stu_state = out[1]
            elif call is not None:
                s_state = _copy(stu_state)
                out = _call_student(call, (student, s_phi, s_state, stu_log, dict(hyper)), {}, name,
                                    time_limit, {"phi": s_phi, **s_state})
                parsed = ({"phi": out[0], **_state_dict(out[1])} if isinstance(out, tuple)
                          and len(out) == 2 and isinstance(out[1], dict) else {"phi": out})
            else:
                s_state = _copy(stu_state)
                values = bound.bind(s_phi, s_state, stu_log, hyper, where, name)
                watch = {k: v for k, v in values.items() if isinstance(v, np.ndarray)}
                out = _call_student(student, (), values, name, time_limit, watch)
                parsed = bound.parse(out, bound.state_names(s_state, hyper), where, name)
            _compare(parsed["phi"], new_ref_phi, "new phi", rtol=rtol, atol=atol, base=prev,
                     alpha=hyper.get("alpha"))
            if not is_object:
                for k, v in parsed.items():
                    if k != "phi" and k in new_ref_sd:
                        _compare(v, new_ref_sd[k], f"new {k}", rtol=rtol, atol=atol)
                new_state = dict(stu_state)
                new_state.update({k: np.asarray(v, dtype=float)
                                  for k, v in parsed.items() if k != "phi"})
                new_state["t"] = stu_state.get("t", 0) + 1
                stu_state = new_state
        except _Fail as f:
            hint = f.hint
            if hint not in _DEFINITE:
                if parsed.get("phi") is not None and _allclose(prev, ref_phi, rtol, atol):
                    hint = _hint_from_mutants(muts, ref_phi, ref_state, base_grad, parsed,
                                              rtol, atol) or hint
                if not hint or hint in ("step_sign", "step_scale"):
                    hint = _grad_point_hint(ref_log.points, stu_log.points, rtol, atol) or hint
                if hint == "wrong_point" and type(reference).__name__ in _LOOKAHEAD:
                    hint = "nesterov_point"
            body = f.message
            if hint in ("wrong_point", "nesterov_point") and stu_log.points and ref_log.points:
                body += (f"\n  You evaluated the gradient at {_fmt(stu_log.points[0])}; the "
                         f"reference evaluates it at {_fmt(ref_log.points[0])}.")
            if t > 1 and hint == "":
                body += f"\n  (Steps 1 to {t - 1} matched.)"
            return _failed(name, where, body, hint)
        ref_phi, ref_state = new_ref_phi, ref_state_next
        stu_phi = np.asarray(parsed["phi"], dtype=float)
    return CheckResult(True, f"{name} matches the reference for all {steps} steps.")


def assert_optimizer(student, reference, problem=None, phi0=None, steps: int = 10,
                     **kwargs) -> CheckResult:
    """:func:`check_optimizer`, raising ``AssertionError`` with the friendly message on failure."""
    return check_optimizer(student, reference, problem, phi0, steps, **kwargs).raise_if_failed()


_ = (Any, math)  # typing helpers kept for readers of the signatures
