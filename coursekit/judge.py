"""The trusted judge: the student's kernel computes, the grading process judges.

For each test cell (``grade_id``) that an assignment declares in
``steplab/exercises/<assignment>.py`` the grader

1. draws the inputs with a fresh seed (:func:`prepare`), writes the arrays to
   ``<kernel dir>/.grading/in-<grade_id>.npz`` and replaces the test cell, in the notebook the
   kernel runs, by a *call cell*: it only calls the student's functions positionally and saves
   what they return with ``numpy.savez`` to ``out-<grade_id>.npz`` (no reference, tolerance,
   expected value or comparison is in it);
2. after the notebook ran, reads that file with ``allow_pickle=False`` (:func:`collect`): only
   plain numeric or text arrays come through, anything else is a wrong answer;
3. computes the reference itself and compares (:func:`judge_part`, the policy of
   :mod:`steplab.exercises._core`).

Whether a part passes depends on nothing the kernel reports about itself (error status,
outputs, objects): only on the numbers in the file and the grader's own reference.
"""

from __future__ import annotations

import importlib
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from steplab.exercises._core import Call, Code, Part, draw, judge

MAX_RESULT_BYTES = 32 * 2**20
GRADING_DIR = ".grading"


def parts_for(assignment: str) -> dict[str, Part]:
    """The declared parts of ``assignment`` by grade_id ({} when it has no declarations)."""
    name = f"steplab.exercises.{assignment}"
    if importlib.util.find_spec(name) is None:
        return {}
    module = importlib.import_module(name)
    return dict(getattr(module, "PARTS", {}))


@dataclass
class Request:
    """What the grader asked the kernel to compute for one test cell."""

    part: Part
    calls: list            # [(check, args)], trusted copy of the inputs
    source: str            # the call cell the kernel runs
    out_name: str


def _code(code: Code) -> str:
    """Kernel source for a Code argument, evaluated in a scope of its own (np, sl)."""
    if code.source.startswith("def "):
        return f"_sl_def({code.source!r}, {code.name!r})"
    return f"eval({code.source!r}, _sl_scope())"


def _literal(value, key: str, arrays: dict) -> str:
    """Python source for one argument; arrays go to the npz file under ``key``."""
    if isinstance(value, Code):
        return _code(value)
    if isinstance(value, np.ndarray):
        arrays[key] = value
        return f"_sl_in[{key!r}].copy()"
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return f"float({str(value)!r})"
    if isinstance(value, (bool, int, float, str)) or value is None:
        return repr(value)
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_literal(v, f"{key}_{i}", arrays) for i, v in enumerate(value))
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    raise TypeError(f"cannot pass {type(value).__name__} to the kernel")


_HELPER = '''\
def _sl_scope():
    import steplab
    return {"np": _sl_np, "sl": steplab}


def _sl_def(src, name):
    scope = _sl_scope()
    exec(src, scope)
    return scope[name]


def _sl_call(key, fn, args, n, kind):
    try:
        r = fn(*args)
    except BaseException as e:
        _sl_out[key + "_error"] = _sl_np.array(("raised %s: %s" % (type(e).__name__, e))[:400])
        return
    try:
        vals = [r] if n == 1 else list(r)
        _sl_out[key + "_n"] = _sl_np.array(len(vals))
        for j, v in enumerate(vals):
            if v is None:
                _sl_out["%s_%d_none" % (key, j)] = _sl_np.array(1)
            elif kind == "dict":
                ks = list(v)
                _sl_out["%s_%d_keys" % (key, j)] = _sl_np.array([str(k) for k in ks])
                for i, k in enumerate(ks):
                    _sl_out["%s_%d_v%d" % (key, j, i)] = _sl_np.asarray(v[k])
            elif kind == "batches":
                v = list(v)
                _sl_out["%s_%d_n" % (key, j)] = _sl_np.array(len(v))
                for i, b in enumerate(v):
                    _sl_out["%s_%d_%d" % (key, j, i)] = _sl_np.asarray(b)
            else:
                _sl_out["%s_%d" % (key, j)] = _sl_np.asarray(v)
    except BaseException as e:
        _sl_out[key + "_error"] = _sl_np.array(("returned something that is not plain "
                                                "numbers (%s)" % type(e).__name__)[:400])
    for i, a in enumerate(args):
        if isinstance(a, _sl_np.ndarray):
            _sl_out["%s_arg%d" % (key, i)] = a
'''


def prepare(part: Part, kdir: Path, seed: int | None = None, prelude: str = "") -> Request:
    """Draw the inputs of ``part`` (fresh seed unless given), write them for the kernel, and
    build the call cell (``prelude`` first: engine definitions released for this part, see
    :func:`coursekit.grading_engine.restore_code`). The kernel directory must exist."""
    gdir = Path(kdir) / GRADING_DIR
    gdir.mkdir(parents=True, exist_ok=True)
    calls = draw(part, seed=seed)
    arrays: dict = {}
    lines = ["# Graded call: your functions are called on inputs drawn for this run; the",
             "# results are compared outside this notebook.",
             "import numpy as _sl_np",
             f"_sl_in = _sl_np.load({GRADING_DIR + '/in-' + part.grade_id + '.npz'!r}, "
             "allow_pickle=False)",
             "_sl_out = {}", _HELPER]
    if prelude:
        lines.append(prelude)
    for k, (check, args) in enumerate(calls):
        arg_src = ", ".join(_literal(a, f"c{k}_a{i}", arrays) for i, a in enumerate(args))
        tup = f"({arg_src}{',' if len(args) == 1 else ''})"
        fn = f"globals().get({check.fn!r})"
        if check.driver is not None:
            fn = f"{_code(check.driver)}({fn})"
        lines.append(f"_sl_call('c{k}', {fn}, {tup}, "
                     f"{check.outputs}, {check.kind!r})")
    out_name = f"out-{part.grade_id}.npz"
    lines.append(f"_sl_np.savez({GRADING_DIR + '/' + out_name!r}, **_sl_out)")
    np.savez(gdir / f"in-{part.grade_id}.npz", **arrays)
    return Request(part, calls, "\n".join(lines) + "\n", out_name)


def _read_result(path: Path) -> dict | str:
    """The kernel's result file as {key: array}; a string says why it cannot be used."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)  # a FIFO must not block
    except OSError:
        return "no result came back (the cell did not finish)"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_RESULT_BYTES:
            return "the result file is not usable"
        with os.fdopen(fd, "rb") as fh:
            fd = None
            out = {}
            with np.load(fh, allow_pickle=False) as data:
                for key in data.files:
                    try:
                        out[key] = data[key]
                    except (ValueError, zipfile.BadZipFile, OSError):
                        out[key] = None  # an object array: not plain data
            return out
    except (ValueError, OSError, zipfile.BadZipFile, EOFError):
        return "the result file is not usable"
    finally:
        if fd is not None:
            os.close(fd)


def collect(request: Request, kdir: Path) -> list[Call]:
    """The kernel's answers to ``request`` as :class:`Call` objects (plain data only)."""
    data = _read_result(Path(kdir) / GRADING_DIR / request.out_name)
    calls = []
    for k, (check, args) in enumerate(request.calls):
        call = Call(check, args)
        calls.append(call)
        if isinstance(data, str):
            call.error = data
            continue
        key = f"c{k}"
        err = data.get(f"{key}_error")
        if err is not None and err.dtype.kind == "U" and err.ndim == 0:
            call.error = str(err)
            continue
        n = data.get(f"{key}_n")
        if n is None or n.dtype.kind not in "iu" or n.ndim != 0 or not 0 <= int(n) < 1000:
            call.error = "no result came back for this call"
            continue
        values = []
        for j in range(int(n)):
            if check.kind == "batches":
                m = data.get(f"{key}_{j}_n")
                if m is None or m.dtype.kind not in "iu" or m.ndim != 0 or int(m) > 10**6:
                    values = None
                    break
                values.append([data.get(f"{key}_{j}_{i}") for i in range(int(m))])
                if any(b is None for b in values[-1]):
                    values = None
                    break
            elif f"{key}_{j}_none" in data:
                values.append(None)
            elif check.kind == "dict":
                keys = data.get(f"{key}_{j}_keys")
                vals = [data.get(f"{key}_{j}_v{i}") for i in range(0 if keys is None else keys.size)]
                if keys is None or keys.dtype.kind != "U" or keys.ndim != 1 or \
                        any(v is None for v in vals):
                    values = None
                    break
                values.append(dict(zip(keys.tolist(), vals, strict=True)))
            else:
                v = data.get(f"{key}_{j}")
                if v is None:
                    values = None
                    break
                values.append(v)
        if values is None:
            call.error = "returned something that is not plain numbers or text"
            continue
        call.values = values
        for i, a in enumerate(args):
            after = data.get(f"{key}_arg{i}")
            if isinstance(a, np.ndarray) and after is not None and not (
                    after.shape == a.shape and np.array_equal(after, a, equal_nan=True)):
                call.changed.append(i)
    return calls


def judge_part(part: Part, calls: list[Call], limit: int = 3) -> tuple[bool, str]:
    """``(passed, message)`` for one part: passed only if every call is right."""
    problems = []
    for call in calls:
        try:
            msg = judge(call)
        except Exception as exc:  # a reference that cannot handle the result's form
            msg = (f"{call.check.fn}: the result could not be compared "
                   f"({type(exc).__name__}: {exc})")
        if msg and msg not in problems:
            problems.append(msg)
    if not problems:
        return True, ""
    more = len(problems) - limit
    text = "\n".join(problems[:limit]) + (f"\n(and {more} more)" if more > 0 else "")
    return False, text


def substitute(nb, parts: dict[str, Part], kdir: Path, seed: int | None = None,
               assignment: str | None = None) -> dict[int, Request]:
    """Replace, in ``nb`` (the copy the kernel runs), every declared test cell by its call
    cell (of ``assignment``: with what its grading copy releases at that part). Returns
    ``{cell index: request}``."""
    from .grading_engine import restore_code

    requests = {}
    for i, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
        gid = meta.get("grade_id")
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution") \
                and gid in parts:
            Path(kdir).mkdir(parents=True, exist_ok=True)
            prelude = restore_code(assignment, gid) if assignment else ""
            requests[i] = prepare(parts[gid], kdir, seed, prelude)
            cell.source = requests[i].source
    return requests


def apply(nb, runs: list, requests: dict[int, Request], kdir: Path) -> None:
    """Judge every request and record the verdict in ``nb`` (the notebook that is kept and
    shown): a passing cell has no output, a failing one an AssertionError output with the
    message, and ``runs`` says the same (nothing the kernel printed there is kept)."""
    import nbformat

    for i, req in requests.items():
        ok, message = judge_part(req.part, collect(req, kdir))
        run = runs[i]
        if ok:
            nb.cells[i].outputs = []
            run.status, run.ename, run.evalue = "ok", None, None
        else:
            nb.cells[i].outputs = [nbformat.v4.new_output(
                "error", ename="AssertionError", evalue=message, traceback=[])]
            run.status, run.ename, run.evalue = "error", "AssertionError", message
        run.stderr = False


def skip_trailing_demos(nb) -> list[int]:
    """In the notebook the kernel runs, turn the locked, ungraded code cells after the last
    graded cell ("See it" demos) into raw cells, so they are not run while grading: with the
    judge outside the kernel they cannot change a score. Returns their indices."""
    graded = [i for i, c in enumerate(nb.cells)
              if (c.get("metadata", {}).get("nbgrader", {}) or {}).get("grade")]
    if not graded:
        return []
    skipped = []
    for i in range(graded[-1] + 1, len(nb.cells)):
        cell = nb.cells[i]
        meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
        if cell.cell_type == "code" and meta.get("locked") and not meta.get("grade"):
            cell.cell_type = "raw"
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
            skipped.append(i)
    return skipped
