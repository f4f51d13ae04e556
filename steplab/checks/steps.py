"""Checks of optimizer steps and whole optimizers (a learner's update against the engine's)."""

from __future__ import annotations

import dataclasses
import inspect
import math
from typing import Any, Callable

import numpy as np

from ..optimizers import AdamState, MomentumState
from ._common import (
    _ALIASES,
    _DEFINITE,
    _GRAD_NAMES,
    _GRADFN_NAMES,
    _LOOKAHEAD,
    _PHI_NAMES,
    CheckResult,
    _allclose,
    _call_reference,
    _call_student,
    _compare,
    _copy,
    _Fail,
    _failed,
    _fmt,
)
from .functions import (
    _param_names,
    _required,
)

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
