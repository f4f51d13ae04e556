"""Checks of plain functions, values and gradients."""

from __future__ import annotations

import inspect
from typing import Callable

import numpy as np

from ..problems import fd_gradient
from ._common import (
    FACT_HINTS,
    HINTS,
    CheckResult,
    _call_reference,
    _call_student,
    _compare,
    _copy,
    _Fail,
    _failed,
    _fmt,
)

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
