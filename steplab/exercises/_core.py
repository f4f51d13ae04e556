"""The declaration format of an autograded part and the judge that compares its results.

A *part* is one graded test cell of an assignment (its ``grade_id``): the student's
function(s) it tests, and a list of *checks*. A check is data:

- ``fn``: the student's function, by its name in the notebook;
- ``inputs(rng)``: the positional arguments, in the documented order, drawn from ``rng``
  (a ``numpy.random.Generator``). Arguments are numbers, arrays, lists, strings, or
  :class:`Code`: a short expression (``lambda p: 2.0 * p``) for an argument that is a function;
- ``reference(*args)``: the expected result, computed from the engine or a formula;
- ``outputs``: how many values come back (a tuple or a list of that length is accepted);
- ``kind``: ``"float"`` (compared with the tolerance policy), ``"exact"`` (integers, booleans,
  strings: equal), or ``"batches"`` (a list of integer arrays, compared one by one);
- ``ops`` and ``method_rtol``: the tolerance (see :func:`tolerance`);
- ``hints``: :class:`Hint` objects, each shown only when its diagnosis fits the result;
- ``visible``: the check also runs in the notebook's visible test (fixed seed).

The same declaration runs in two places. In the student's own kernel, :func:`run` draws the
inputs, calls the functions and compares (instant feedback; under plain ``nbgrader`` it also
runs the hidden checks). While grading with ``python -m coursekit autograde``, the student's
kernel only *calls* the functions on inputs the grader drew with fresh seeds and saves the
results as plain arrays; :func:`judge` runs in the grading process, never in the kernel.

Tolerance policy (one for every assignment):
``|got - ref| <= rtol * |ref| + rtol * max(1, max|ref|) + atol`` elementwise, with
``rtol = 64 * ops * 2**-53 + method_rtol``: ``ops`` floating-point operations in the chain
each add at most one rounding error (2**-53) to the result, the factor 64 covers
conditioning and a different order of the same operations; ``method_rtol`` is the stated
error of the method itself where the book admits two forms (the place of Adam's epsilon,
a finite-difference step), zero otherwise.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

UNIT_ROUNDOFF = 2.0 ** -53


@dataclass(frozen=True)
class Code:
    """An argument that is code (a function, an rng, a problem): a Python expression, or a
    ``def`` block whose function is the value. The grader writes it into the call and
    evaluates it itself (with ``np`` and ``sl`` in scope) for the reference."""

    source: str
    label: str = ""   # how messages name it (default: the source)

    def value(self):
        import steplab as sl

        scope = {"np": np, "sl": sl}
        if self.source.startswith("def "):
            exec(self.source, scope)  # noqa: S102 (trusted declarations)
            return scope[self.name]
        return eval(self.source, scope)  # noqa: S307 (trusted declarations)

    @property
    def name(self) -> str:
        return self.source[4:self.source.index("(")].strip()

    def __repr__(self) -> str:
        return self.label or (self.name if self.source.startswith("def ") else self.source)


@dataclass(frozen=True)
class Hint:
    """A hint shown only when ``when(args, got, ref)`` is true (its diagnosis fits)."""

    text: str
    when: Callable[[tuple, list, list], bool]


@dataclass(frozen=True)
class Check:
    """One check of one student function (see the module docstring)."""

    fn: str
    inputs: Callable[[np.random.Generator], tuple]
    reference: Callable[..., Any]
    what: str = ""
    outputs: int = 1
    kind: str = "float"
    ops: int = 16
    method_rtol: float = 0.0
    hints: tuple = ()
    visible: bool = False
    repeat: int = 3
    unchanged: bool = True          # the function must not change its array arguments
    shape: bool = True              # the result must have the reference's shape
    driver: Code | None = None      # calls the function (e.g. a chain of steps): driver(fn)
    raises: str | None = None       # the call must raise this exception (bad input)
    also: tuple = ()                # other references that are right too (two readings)
    atol: float = 0.0               # the stated accuracy of the method (a search's tol)
    accept: Callable | None = None  # accept(args, got) -> None or what is wrong (a property
                                    # instead of one reference, e.g. any subgradient in [0, 1])


@dataclass(frozen=True)
class Part:
    """One graded test cell: its ``grade_id``, the functions it tests, and its checks."""

    grade_id: str
    functions: tuple
    checks: tuple
    note: str = ""

    @property
    def visible_checks(self):
        return [c for c in self.checks if c.visible]


@dataclass
class Call:
    """One call of a student function: arguments and what came back (plain data only)."""

    check: Check
    args: tuple
    values: list | None = None      # the returned values as numpy arrays (None: no result)
    error: str | None = None        # what went wrong on the kernel's side
    changed: list = field(default_factory=list)  # indices of arguments changed in place


# ----------------------------------------------------------------- tolerance and judging

def tolerance(ref: np.ndarray, check: Check) -> np.ndarray:
    """Allowed elementwise error for a reference array (the module's tolerance policy)."""
    rtol = 64 * check.ops * UNIT_ROUNDOFF + check.method_rtol
    ref = np.abs(np.asarray(ref, dtype=float))
    scale = max(1.0, float(np.max(ref))) if ref.size else 1.0
    return rtol * ref + rtol * scale + check.atol


def _fmt(x, digits: int = 6) -> str:
    a = np.asarray(x)
    if a.dtype.kind in "US":
        return repr(str(a))
    if a.ndim == 0:
        v = a.item()
        return f"{v:.{digits}g}" if isinstance(v, float) else repr(v)
    flat = a.ravel()
    body = ", ".join(_fmt(v, digits) for v in flat[:6]) + (", ..." if flat.size > 6 else "")
    return f"[{body}]" if a.ndim == 1 else f"array of shape {a.shape}: [{body}]"


def describe_args(args: tuple) -> str:
    """The arguments of a call, short enough for a message."""
    return ", ".join(repr(a) if isinstance(a, Code) else _fmt(a, 4) for a in args)


def reference_values(check: Check, args: tuple) -> list:
    """The reference's result as a list of ``check.outputs`` values (trusted side)."""
    plain = tuple(a.value() if isinstance(a, Code) else _copy(a) for a in args)
    ref = (check.driver.value()(check.reference) if check.driver else check.reference)(*plain)
    return [ref] if check.outputs == 1 else list(ref)


def _copy(a):
    return a.copy() if isinstance(a, np.ndarray) else a


def _as_plain(value, kind: str):
    """``value`` as a plain numpy array of numbers or text (None stays None, for answers
    that may be "none"); raises ValueError otherwise."""
    if value is None:
        return None
    if kind == "dict":
        if not isinstance(value, dict):
            raise ValueError("it is not a dict")
        return {str(k): _as_plain(v, "exact") for k, v in value.items()}
    if kind == "exact" and isinstance(value, tuple):
        value = list(value)
    if kind == "batches":
        return [_as_plain(v, "exact") for v in value]
    arr = value if type(value) is np.ndarray else None
    if arr is None:
        arr = np.array(value)  # may raise for ragged data
    if type(arr) is not np.ndarray:
        raise ValueError("it is not a plain array")
    if kind == "exact" and arr.dtype.kind in "US":
        return arr
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"it is not numbers (numpy dtype {arr.dtype})")
    return arr.astype(float) if kind == "float" else arr


def compare(check: Check, got: list, ref: list) -> str | None:
    """None if ``got`` matches ``ref`` under the policy, else what differs (one sentence)."""
    for j, (g, r) in enumerate(zip(got, ref, strict=False)):
        label = f"value {j + 1} of {check.outputs}" if check.outputs > 1 else "the result"
        if g is None or r is None:
            if g is not r:
                return f"{label} is {_fmt(g) if g is not None else 'None'}, expected " \
                       f"{_fmt(r) if r is not None else 'None'}"
            continue
        if check.kind == "batches":
            r = [np.asarray(b) for b in r]
            if len(g) != len(r):
                return f"{label}: {len(g)} batch(es), expected {len(r)}"
            for k, (gb, rb) in enumerate(zip(g, r, strict=False)):
                if gb.shape != rb.shape or not np.array_equal(gb, rb):
                    return f"{label}: batch {k} is {_fmt(gb)}, expected {_fmt(rb)}"
            continue
        if check.kind == "dict":
            r = {str(k): v for k, v in r.items()}
            if set(g) != set(r):
                return f"{label} has the keys {sorted(g)}, expected {sorted(r)}"
            for k in r:
                if not _same(g[k], r[k]):
                    return f"{label}[{k!r}] is {_fmt(g[k])}, expected {_fmt(r[k])}"
            continue
        r = np.asarray(r)
        if check.kind == "exact":
            if not _same(g, r):
                return f"{label} is {_fmt(g)}, expected {_fmt(r)}"
            continue
        r = r.astype(float)
        if check.shape and g.shape != r.shape and not (g.size == 1 and r.size == 1):
            return f"{label} has shape {g.shape}, expected shape {r.shape}"
        g = g.reshape(r.shape) if g.size == r.size else np.broadcast_to(g, r.shape)
        if not np.all(np.isfinite(g)) and np.all(np.isfinite(r)):
            return f"{label} contains nan or inf: {_fmt(g)}"
        bad = np.abs(g - r) > tolerance(r, check)
        if np.any(bad):
            idx = np.argwhere(np.atleast_1d(bad))[0]
            where = "" if r.ndim == 0 else f" (first at index {tuple(int(i) for i in idx)})"
            return f"{label} is {_fmt(g)}, expected {_fmt(r)}{where}"
    return None


def _same(g, r) -> bool:
    """Exact equality of plain values; text compared without case or surrounding spaces."""
    g, r = np.asarray(g), np.asarray(r)
    if r.dtype.kind in "US":
        return g.dtype.kind in "US" and g.shape == r.shape and all(
            str(a).strip().lower() == str(b).strip().lower() for a, b in zip(g.ravel(), r.ravel(),
                                                                           strict=True))
    if g.dtype.kind not in "biuf":
        return False
    return g.shape == r.shape and bool(np.array_equal(g, r))


def judge(call: Call) -> str | None:
    """Trusted judgment of one call: None when it is right, else a message for the student."""
    check = call.check
    head = f"{check.fn}({describe_args(call.args)})"
    if check.raises:
        if call.error and call.error.startswith(f"raised {check.raises}"):
            return None
        return f"{head} should raise {check.raises} ({check.what or 'bad input'})"
    if call.error:
        return f"{head}: {call.error}"
    if call.values is None:
        return f"{head}: no result came back (did the cell stop early?)"
    if len(call.values) != check.outputs:
        return (f"{head} returned {len(call.values)} value(s); it should return "
                f"{check.outputs} (a tuple or a list)")
    try:
        got = [_as_plain(v, check.kind) for v in call.values]
    except (ValueError, TypeError) as exc:
        return f"{head} returned something that is not plain numbers: {exc}"
    if check.accept is not None:
        plain = tuple(a.value() if isinstance(a, Code) else _copy(a) for a in call.args)
        diff = check.accept(plain, got)
        if diff is None and check.unchanged and call.changed:
            return f"{head} changed its input in place; return a new array instead"
        return None if diff is None else f"{check.what or head}: {diff}"
    ref = reference_values(check, call.args)
    diff = compare(check, got, ref)
    for other in check.also if diff is not None else ():
        alt = dataclasses.replace(check, reference=other, also=())
        if compare(alt, got, reference_values(alt, call.args)) is None:
            diff = None
    if diff is None and check.unchanged and call.changed:
        names = ", ".join(f"argument {i + 1}" for i in call.changed)
        return f"{head} changed its input in place ({names}); return a new array instead"
    if diff is None:
        return None
    msg = f"{check.what or head}: {diff}" + (f" [inputs: {describe_args(call.args)}]"
                                              if check.what else "")
    for hint in check.hints:
        try:
            fits = bool(hint.when(call.args, got, ref))
        except Exception:
            fits = False
        if fits:
            msg += f"\nHint: {hint.text}"
    return msg


# ---------------------------------------------------------------- drawing inputs

def draw(part: Part, seed: int | None = None, visible_only: bool = False) -> list[tuple]:
    """``[(check, args), ...]`` for a part: ``check.repeat`` draws per check from one
    generator seeded with ``seed`` (a fresh random seed when None)."""
    seed = secrets.randbits(63) if seed is None else seed
    rng = np.random.default_rng(seed)
    out = []
    for check in part.checks:
        if visible_only and not check.visible:
            continue
        for _ in range(1 if visible_only else check.repeat):
            out.append((check, tuple(check.inputs(rng))))
    return out


# ------------------------------------------------------- in the student's own kernel

def call_here(check: Check, fn, args: tuple) -> Call:
    """Call ``fn`` positionally in this process and keep plain data (visible tests)."""
    plain = tuple(a.value() if isinstance(a, Code) else _copy(a) for a in args)
    before = [_copy(a) for a in plain]
    call = Call(check, args)
    fn = check.driver.value()(fn) if check.driver else fn
    try:
        result = fn(*plain)
    except Exception as exc:
        call.error = f"raised {type(exc).__name__}: {exc}"
        return call
    if check.outputs == 1:
        call.values = [result]
    else:
        try:
            call.values = list(result)
        except TypeError:
            call.values = [result]
    call.changed = [i for i, (a, b) in enumerate(zip(plain, before, strict=False))
                    if isinstance(b, np.ndarray) and not (isinstance(a, np.ndarray) and
                                                          a.shape == b.shape and
                                                          np.array_equal(a, b, equal_nan=True))]
    return call


def run(part: Part, functions: tuple, hidden: bool = False, seed: int = 0) -> None:
    """The test cell's check in the student's kernel: raise AssertionError with every failing
    check's message (visible checks, or all checks when ``hidden``)."""
    if len(functions) != len(part.functions):
        raise TypeError(f"{part.grade_id} tests {', '.join(part.functions)}")
    fns = dict(zip(part.functions, functions, strict=False))
    problems = []
    for check, args in draw(part, seed=seed, visible_only=not hidden):
        msg = judge(call_here(check, fns[check.fn], args))
        if msg and msg not in problems:
            problems.append(msg)
        if len(problems) >= 3:
            break
    if problems:
        raise AssertionError("\n".join(problems))
    if not hidden:
        print(f"{part.grade_id}: the visible checks pass "
              f"({len(part.visible_checks)} check(s); grading adds hidden ones).")


# ------------------------------------------------------------------ hint helpers

def matches(wrong: Callable[..., Any], output: int = 0, rtol: float = 1e-6) -> Callable:
    """A hint condition: the result matches a known wrong formula ``wrong(*args)``."""
    def when(args, got, ref):
        plain = tuple(a.value() if isinstance(a, Code) else _copy(a) for a in args)
        w = wrong(*plain)
        w = np.asarray(w if not isinstance(w, tuple) else w[output], dtype=float)
        g = np.asarray(got[output], dtype=float)
        return g.shape == w.shape and bool(np.allclose(g, w, rtol=rtol, atol=1e-12))
    return when


def scaled(factor: float, output: int = 0) -> Callable:
    """A hint condition: the result is ``factor`` times the reference."""
    def when(args, got, ref):
        g, r = np.asarray(got[output], dtype=float), np.asarray(ref[output], dtype=float)
        return g.shape == r.shape and bool(np.allclose(g, factor * r, rtol=1e-6, atol=1e-12))
    return when


def bind(parts: list) -> tuple[Callable, Callable, dict]:
    """``visible, hidden, PARTS`` for an assignment module: ``visible(grade_id, *functions)``
    runs the visible checks of a part, ``hidden(...)`` every check (plain nbgrader only)."""
    by_id = {p.grade_id: p for p in parts}

    def _part(grade_id):
        if grade_id not in by_id:
            raise KeyError(f"no autograded part {grade_id!r}; parts: {', '.join(by_id)}")
        return by_id[grade_id]

    def visible(grade_id: str, *functions) -> None:
        """Run the visible checks of part ``grade_id`` on your function(s)."""
        run(_part(grade_id), functions)

    def hidden(grade_id: str, *functions) -> None:
        """Run every check of part ``grade_id`` here (plain nbgrader; the course grader
        judges outside your kernel instead)."""
        run(_part(grade_id), functions, hidden=True, seed=1)

    return visible, hidden, by_id


__all__ = ["Code", "Hint", "Check", "Part", "Call", "tolerance", "judge", "draw", "run",
           "matches", "scaled", "bind", "call_here", "reference_values", "describe_args"]
