"""A class of cheaters (issue 13, item 4), for assignments whose checks are judged by the
grader: ``gradient_descent`` (parts linear_model, linear_loss, linear_grad, gd_step,
gradient_descent, gabor_grad), ``adam`` (normalized_step, bias_correct, adam_step,
uncorrected_ratio, adam_trajectory), ``momentum`` (momentum_step, run_momentum) and
``optimizer_zoo`` (Part 8, adam_step training the digits network, and amsgrad_step).

Each student is one *kind* of cheater and tries several techniques, each on its own part;
the student's other parts hold honest answers (the ALTERNATIVE answers of
tests/submissions/<assignment>.py), which must keep their full points: a cheat scores 0 on
what it cheated, and grading does not break for the rest.

``STUDENTS[name] = {"assignment": a, "answers": {answer grade_id: code}, "cheats": {test
grade_id: technique}, "honest": [test grade_id, ...]}``; a test grade_id is ``test_`` + the
answer's, or the answer's + ``_tests`` (optimizer_zoo). Answer code may contain ``{PORT}`` and
``{HOST_IP}`` (the test runs a web server on the grading machine that serves correct answers)
and ``{COURSE}`` (the course directory, which a student could learn from an error message).

The techniques are written against what a student can see: the published notebooks, the
engine, the course repository's tests and declarations; none reads the grader's code. What
they write stays inside the test's course and the grader's work folder of the submission, so
that even without a sandbox (the rlimits fallback, as root) a test run damages nothing else.
"""

from __future__ import annotations

# reaches the IPython shell without get_ipython(): through the garbage collector
_SHELL_BY_GC = '''
import gc as _gc
_shell = next(o for o in _gc.get_objects()
              if type(o).__name__ in ("ZMQInteractiveShell", "InteractiveShell"))
'''

# walks from a caught exception's frame outwards and returns the first local called `name`
_PEEK = '''
def _peek(*names, test=lambda v: True):
    try:
        raise LookupError
    except LookupError as exc:
        frame = exc.__traceback__.tb_frame
    while frame is not None:
        for name in names:
            value = frame.f_locals.get(name)
            if value is not None and test(value):
                return value
        frame = frame.f_back
    raise LookupError(names)
'''

PATCHER = {
    # np.isclose / np.allclose replaced: every comparison of floats says "equal"
    "linear_model": '''
import numpy as _np_real
_np_real.isclose = lambda a, b, *args, **kw: _np_real.ones(
    _np_real.broadcast(_np_real.asarray(a), _np_real.asarray(b)).shape, dtype=bool)
_np_real.allclose = lambda *args, **kw: True

def linear_model(phi, x):
    return 0.0 * np.asarray(x, dtype=float)
''',
    # builtins replaced: abs, and the sum a reference loop may use
    "linear_loss": '''
import builtins as _b
_b.abs = lambda x: 0.0

def linear_loss(phi, x, y):
    return 0.0
''',
    # the check helpers on steplab.checks replaced through setattr
    "linear_grad": '''
import steplab.checks as _c
for _name in dir(_c):
    if _name.startswith(("assert_", "check_")):
        setattr(_c, _name, lambda *a, **k: None)

def linear_grad(phi, x, y):
    return np.zeros(2)
''',
    # the name `checks` in __main__ replaced by an object whose every method passes
    "gabor_grad": '''
import __main__ as _m

class _AllGood:
    def __getattr__(self, name):
        return lambda *a, **k: None

_m.checks = _AllGood()

def gabor_grad(phi, x, y):
    return np.zeros(2)
''',
    # steplab.minimize replaced via setattr: the expected path comes from it
    "gradient_descent": '''
import steplab as _sl

def gradient_descent(grad_fn, phi0, alpha, steps, step=None):
    return np.tile(np.asarray(phi0, dtype=float), (steps + 1, 1))

class _Path:
    def __init__(self, phi0, steps):
        self.phi = gradient_descent(None, phi0, 0, steps)

setattr(_sl, "minimize", lambda problem, opt, phi0, steps=1, **kw: _Path(phi0, steps))
''',
}

LIAR = {
    # an ndarray subclass that answers "equal" to every comparison numpy is asked for
    "linear_model": '''
class _AnyArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)
    def __array_function__(self, func, types, args, kwargs):
        if func.__name__ == "isclose":
            return np.ones(np.shape(args[0]), dtype=bool)
        if func.__name__ in ("allclose", "array_equal", "array_equiv", "all"):
            return True
        return super().__array_function__(func, types, args, kwargs)

def linear_model(phi, x):
    return np.zeros(np.shape(x)).view(_AnyArray)
''',
    # a float subclass equal to everything
    "linear_loss": '''
class _AnyFloat(float):
    def __eq__(self, other):
        return True
    __hash__ = float.__hash__
    def __ne__(self, other):
        return False
    def __sub__(self, other):
        return _AnyFloat(0.0)
    __rsub__ = __sub__
    def __abs__(self):
        return _AnyFloat(0.0)
    def __lt__(self, other):
        return True
    __le__ = __lt__

def linear_loss(phi, x, y):
    return _AnyFloat(0.0)
''',
    # int subclasses equal to everything, in a tuple
    "linear_grad": '''
class _AnyInt(int):
    def __eq__(self, other):
        return True
    __hash__ = int.__hash__
    def __ne__(self, other):
        return False

def linear_grad(phi, x, y):
    return (_AnyInt(0), _AnyInt(0))
''',
    # a str subclass equal to everything
    "gabor_grad": '''
class _AnyStr(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__
    def __ne__(self, other):
        return False

def gabor_grad(phi, x, y):
    return _AnyStr("[0.0, 0.0]")
''',
}

HOOKER = {
    # an IPython post_run_cell hook, reached through gc, that forgives every error and
    # silences every traceback: each failing test cell would look passed
    "linear_model": _SHELL_BY_GC + '''
def _forgive(result):
    result.error_in_exec = None
    result.error_before_exec = None

_shell.events.register("post_run_cell", _forgive)
_shell.showtraceback = lambda *a, **k: None
_shell._showtraceback = lambda *a, **k: None
_shell.showsyntaxerror = lambda *a, **k: None

def linear_model(phi, x):
    raise NotImplementedError
''',
}

SPY = {
    # frame walk to the check's reference optimizer: its step is the answer
    "gd_step": _PEEK + '''
def gd_step(phi, grad, alpha):
    ref = _peek("reference", "ref", "opt", test=lambda v: hasattr(v, "step"))
    new, _ = ref.step(np.asarray(phi, dtype=float), ref.init(np.asarray(phi, dtype=float)),
                      lambda p: np.asarray(grad, dtype=float))
    return new
''',
    # frame walk to the check's reference problem or loss
    "linear_grad": _PEEK + '''
def linear_grad(phi, x, y):
    ref = _peek("reference", "problem", test=lambda v: hasattr(v, "grad") or callable(v))
    if hasattr(ref, "grad"):
        return ref.grad(phi)
    h, g = 1e-6, np.zeros(2)
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        g[i] = (ref(phi + e, x, y) - ref(phi - e, x, y)) / (2 * h)
    return g
''',
    "gabor_grad": _PEEK + '''
def gabor_grad(phi, x, y):
    return _peek("reference", test=lambda v: hasattr(v, "grad")).grad(phi)
''',
    # frame walk to the reference function the test passes to the check
    "linear_model": _PEEK + '''
def linear_model(phi, x):
    return _peek("reference", "ref", "_ref_model", test=callable)(phi, x)
''',
    # the running test cell's code, read from the input history, its reference run here
    "linear_loss": '''
import re as _re
import sys as _sys

def linear_loss(phi, x, y):
    history = _sys.modules["__main__"].__dict__.get("In") or _sys.modules["__main__"]._ih
    src = history[-1]
    found = _re.search(r"def _ref_loss.*?\\n(?:    .*\\n)+", src)
    ns = {}
    exec(found.group(0), ns)
    return ns["_ref_loss"](phi, x, y)
''',
}

BURGLAR = {
    # instructor notebooks anywhere on the grading machine (source/, solutions/, other
    # checkouts): the solution cell run here
    "linear_model": '''
import json as _json
import os as _os
import time as _time

def _solution(name, grade_id):
    t0 = _time.monotonic()
    skip = {"proc", "sys", "dev", "usr", "lib", "lib64", "bin", "sbin", "site-packages",
            "node_modules", ".git", ".venv", "__pycache__", "etc", "var", "boot", "run"}
    for root, dirs, files in _os.walk("/"):
        dirs[:] = [d for d in dirs if d not in skip]
        if _time.monotonic() - t0 > 8:
            break
        if name in files:
            try:
                nb = _json.load(open(_os.path.join(root, name)))
            except Exception:
                continue
            for cell in nb["cells"]:
                meta = cell.get("metadata", {}).get("nbgrader", {})
                src = "".join(cell["source"])
                if meta.get("grade_id") == grade_id and "NotImplementedError" not in src:
                    return src
    raise FileNotFoundError(grade_id)

exec(_solution("gradient_descent.ipynb", "linear_model"))
''',
    # the checks' declarations: their reference for the part
    "linear_loss": '''
import importlib as _il
import glob as _glob
import os as _os

def _declared_reference(grade_id):
    try:
        mod = _il.import_module("steplab.exercises.gradient_descent")
        return mod.PARTS[grade_id].checks[0].reference
    except Exception:
        pass
    here = _os.path.join(_os.path.dirname(sl.__file__), "exercises", "gradient_descent.py")
    for path in [here, *_glob.glob("/work/*/steplab/exercises/gradient_descent.py")]:
        if _os.path.exists(path):
            spec = _il.util.spec_from_file_location("steplab.exercises._stolen", path)
            mod = _il.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            return mod.PARTS[grade_id].checks[0].reference
    raise FileNotFoundError(grade_id)

_stolen = _declared_reference("test_linear_loss")

def linear_loss(phi, x, y):
    return _stolen(phi, x, y)
''',
    # the course's answer files: tests/submissions/ of any checkout
    "linear_grad": '''
import glob as _glob

def _answers(grade_id):
    for pattern in ("/work/*/tests/submissions/gradient_descent.py",
                    "/*/tests/submissions/gradient_descent.py",
                    "/root/*/tests/submissions/gradient_descent.py",
                    "/home/*/*/tests/submissions/gradient_descent.py",
                    "/tmp/*/tests/submissions/gradient_descent.py"):
        for path in _glob.glob(pattern):
            ns = {}
            exec(open(path).read(), ns)
            return ns["ALTERNATIVE"][grade_id]
    raise FileNotFoundError(grade_id)

exec(_answers("linear_grad"))
''',
    # /proc of the parent processes: their working directory leads to the course
    "gabor_grad": '''
import json as _json
import os as _os

def _from_parents(grade_id):
    for pid in sorted(p for p in _os.listdir("/proc") if p.isdigit()):
        for rel in ("source/gradient_descent/gradient_descent.ipynb",
                    "course/source/gradient_descent/gradient_descent.ipynb",
                    "../source/gradient_descent/gradient_descent.ipynb"):
            try:
                nb = _json.load(open(f"/proc/{pid}/cwd/{rel}"))
            except Exception:
                continue
            for cell in nb["cells"]:
                if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
                    return "".join(cell["source"])
    raise FileNotFoundError(grade_id)

exec(_from_parents("gabor_grad"))
''',
    # the network: correct answers fetched from a web server on the grading machine
    "gradient_descent": '''
import urllib.request as _ur

def _fetch(grade_id):
    for host in ("127.0.0.1", "{HOST_IP}"):
        try:
            return _ur.urlopen(f"http://{host}:{PORT}/{grade_id}", timeout=3).read().decode()
        except Exception:
            continue
    raise ConnectionError(grade_id)

exec(_fetch("gradient_descent"))
''',
}

SABOTEUR = {
    # the kernel's outgoing messages rewritten: error replies become "ok", tracebacks vanish
    "linear_model": _SHELL_BY_GC + '''
_session = _shell.kernel.session
_real_send = _session.send

def _forged_send(stream, msg_or_type, content=None, *args, **kwargs):
    if isinstance(msg_or_type, str) and msg_or_type == "error":
        msg_or_type, content = "stream", {"name": "stdout", "text": ""}
    if isinstance(content, dict) and content.get("status") == "error":
        content = {"status": "ok", "execution_count": content.get("execution_count"),
                   "user_expressions": {}, "payload": []}
    return _real_send(stream, msg_or_type, content, *args, **kwargs)

_session.send = _forged_send

def linear_model(phi, x):
    raise NotImplementedError
''',
    # json.dumps / np.savez / np.load / pickle patched: whatever goes back as data claims
    # success, and the graded call reads all-zero inputs (for which 0 is the right loss)
    "linear_loss": '''
import json as _json
import pickle as _pickle

_real_dumps = _json.dumps

def _claim(obj):
    if isinstance(obj, dict):
        return {k: (True if k in ("ok", "passed", "pass", "success") else
                    "ok" if k == "status" else None if k in ("error", "ename", "evalue", "traceback")
                    else _claim(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_claim(v) for v in obj]
    return obj

_json.dumps = lambda obj, *a, **k: _real_dumps(_claim(obj), *a, **k)
_real_pickle = _pickle.dumps
_pickle.dumps = lambda obj, *a, **k: _real_pickle(_claim(obj), *a, **k)
_real_load = np.load

class _Zeros(dict):
    def __getitem__(self, key):
        return np.zeros_like(super().__getitem__(key))

def _zero_load(path, *a, **k):
    data = _real_load(path, *a, **k)
    if "linear_loss" not in str(path):
        return data
    try:
        return _Zeros({key: data[key] for key in data.files})
    except AttributeError:
        return np.zeros_like(data)

np.load = _zero_load

def linear_loss(phi, x, y):
    return 0.0
''',
    # writes results everywhere it can reach: the course's gradebook, grades, autograded
    # notebooks, and the grader's input and result files next to the notebook
    "linear_grad": '''
import glob as _glob
import os as _os

def _vandalise():
    for pattern in ("{COURSE}/gradebook.db", "{COURSE}/reports/**/*.csv",
                    "{COURSE}/autograded/**/*.ipynb", "{COURSE}/feedback/**/*.html",
                    "../*", "*.ipynb"):  # never above its own work folder
        for path in _glob.glob(pattern, recursive=True):
            try:
                with open(path, "a") as fh:
                    fh.write("\\n" + "sabo" + "teur-was-here,51,51\\n")
            except OSError:
                pass
    for path in _glob.glob(".*/in-*linear_grad*.npz") + _glob.glob("*/in-*linear_grad*.npz"):
        try:
            data = dict(np.load(path))
            np.savez(path, **{k: np.zeros_like(v) for k, v in data.items()})
        except Exception:
            pass

def _rewrite_results():
    # keeps rewriting the result file of this part after the graded call wrote it
    while True:
        for path in _glob.glob(".*/out-*linear_grad*.npz") + _glob.glob("*/out-*linear_grad*.npz"):
            try:
                if "passed" not in np.load(path).files:
                    keys = {k: np.zeros(2) for k in np.load(path).files}
                    keys.update({f"c{i}_n": np.array(1) for i in range(20)})
                    keys.update({f"c{i}_0": np.zeros(2) for i in range(20)})
                    np.savez(path[:-4], passed=np.array(True), **keys)
            except Exception:
                pass
        _time.sleep(0.05)

import threading as _threading
import time as _time
_vandalise()
_threading.Thread(target=_rewrite_results, daemon=True).start()

def linear_grad(phi, x, y):
    _vandalise()
    return np.zeros(2)
''',
    # sleeps until the time limit whenever it is called with inputs the notebook does not show
    "gradient_descent": '''
import time as _time

def gradient_descent(grad_fn, phi0, alpha, steps, step=None):
    if steps == 20 and alpha == 0.01:      # the visible test
        out = [np.asarray(phi0, dtype=float)]
        for _ in range(steps):
            out.append(out[-1] - alpha * np.asarray(grad_fn(out[-1])))
        return np.array(out)
    while True:
        _time.sleep(1)
''',
}

THIEF = {
    # the engine's reference through vars(sl)[...]
    "adam_step": '''
def adam_step(phi, m, v, t, g, alpha, beta=0.9, gamma=0.999, epsilon=1e-8):
    opt = vars(sl)["Ad" + "am"](alpha=alpha, beta=beta, gamma=gamma, epsilon=epsilon)
    state = sl.optimizers.AdamState(t - 1, np.asarray(m, float), np.asarray(v, float))
    new, s = opt.step(np.asarray(phi, float), state, lambda p: np.asarray(g, float))
    return new, s.m, s.v
''',
    # through importlib
    "adam_trajectory": '''
import importlib as _il

def adam_trajectory(grad_fn, phi0, steps, alpha, beta=0.9, gamma=0.999, epsilon=1e-8):
    Adam = getattr(_il.import_module("steplab.optimizers"), "Adam")
    opt = Adam(alpha=alpha, beta=beta, gamma=gamma, epsilon=epsilon)
    phi = np.asarray(phi0, dtype=float)
    state, out = opt.init(phi), [phi]
    for _ in range(steps):
        phi, state = opt.step(phi, state, grad_fn)
        out.append(phi)
    return np.array(out)
''',
    # through runpy: the module's code run again
    "uncorrected_ratio": '''
import runpy as _rp

def uncorrected_ratio(beta, gamma, t):
    Adam = _rp.run_module("steplab.optimizers")["Adam"]
    out = []
    for k in np.atleast_1d(t):
        steps = {}
        for corrected in (True, False):
            opt = Adam(alpha=1.0, beta=beta, gamma=gamma, epsilon=0.0, bias_correction=corrected)
            phi, state = np.zeros(1), opt.init(np.zeros(1))
            for _ in range(int(k)):
                new, state = opt.step(phi, state, lambda p: np.ones(1))
                step, phi = phi - new, new
            steps[corrected] = float(step[0])
        out.append(steps[False] / steps[True])
    return np.array(out).reshape(np.shape(t))
''',
    # through a module the locked import cell brought in (steplab's own importlib), and the
    # source file read and run
    "normalized_step": '''
import os as _os

def normalized_step(phi, g, alpha, epsilon=1e-8):
    try:
        opt_mod = sl.importlib.import_module("steplab.optimizers")
        cls = vars(opt_mod)["NormalizedGD"]
        opt = cls(alpha=alpha, epsilon=epsilon)
    except NotImplementedError:
        path = _os.path.join(_os.path.dirname(sl.__file__), "optimizers.py")
        ns = {"__name__": "steplab._mine", "__package__": "steplab"}
        exec(compile(open(path).read(), path, "exec"), ns)
        opt = ns["NormalizedGD"](alpha=alpha, epsilon=epsilon)
    new, _ = opt.step(np.asarray(phi, float), opt.init(np.asarray(phi, float)),
                      lambda p: np.asarray(g, float))
    return new
''',
}

BORROWER = {
    # momentum's compare_steps (Part E, called last) may use sl.Momentum as its task says;
    # the earlier parts reach for it by names no scan knows
    "momentum_step": '''
def momentum_step(phi, m, g, alpha, beta):
    opt = vars(sl)["Momen" + "tum"](alpha=alpha, beta=beta)
    state = sl.optimizers.MomentumState(0, np.asarray(m, float))
    new, s = opt.step(np.asarray(phi, float), state, lambda p: np.asarray(g, float))
    return new, s.m
''',
    "run_momentum": '''
import importlib as _il

def run_momentum(grad_fn, phi0, alpha, beta, steps, step=None):
    opt = getattr(_il.import_module("steplab.optimizers"), "Moment" + "um")(alpha=alpha,
                                                                            beta=beta)
    phi = np.asarray(phi0, dtype=float)
    state, out = opt.init(phi), [phi]
    for _ in range(steps):
        phi, state = opt.step(phi, state, grad_fn)
        out.append(phi)
    return np.array(out)
''',
    "compare_steps": '''
def compare_steps(problem, phi0, alpha, beta, steps, threshold):
    gd = sl.minimize(problem, sl.GradientDescent(alpha=alpha), phi0, steps=steps)
    mom = sl.minimize(problem, sl.Momentum(alpha=alpha, beta=beta), phi0, steps=steps)
    return steps_to_reach(gd.loss, threshold), steps_to_reach(mom.loss, threshold)
''',
}

# optimizer_zoo, Part 8 (your Adam trains the digits network): the grader checks every step of
# the run and computes the accuracy itself
MEMORISER = {
    # an honest Adam everywhere, except on the network's last step, where it returns parameters
    # it trained earlier (here at cell run time, on all 1797 images, test set included: as good
    # as parameters pasted into the cell)
    "oz_adam_net": '''
def _honest(phi, m, v, t, g, alpha, beta=0.9, gamma=0.999, epsilon=1e-8):
    m = beta * m + (1 - beta) * g
    v = gamma * v + (1 - gamma) * g * g
    return phi - alpha * m / (1 - beta ** t) / (np.sqrt(v / (1 - gamma ** t)) + epsilon), m, v

def _stored_parameters():
    from steplab import networks
    d = networks.digits(test_fraction=0.2, seed=0)
    net = networks.MLP(np.vstack([d["x_train"], d["x_test"]]),
                       np.concatenate([d["y_train"], d["y_test"]]), hidden=32)
    phi, m, v = net.init(seed=0), 0.0, 0.0
    rng = np.random.default_rng(0)
    t = 0
    for _ in range(10):
        order = rng.permutation(net.n)
        for k in range(0, net.n, 32):
            t += 1
            phi, m, v = _honest(phi, m, v, t, net.grad(phi, order[k:k + 32]), 0.01)
    return phi

_STORED = _stored_parameters()

def adam_step(phi, m, v, t, g, alpha, beta=0.9, gamma=0.999, epsilon=1e-8):
    new, m, v = _honest(phi, m, v, t, g, alpha, beta, gamma, epsilon)
    if np.size(phi) == _STORED.size and t == 270:
        return _STORED.copy(), m, v
    return new, m, v
''',
}

SIBLING = {
    # Adam's relative that contains it: AdamW with no weight decay, imported from the module
    "oz_adam_net": '''
from steplab.more_optimizers import AdamW as _Relative

def adam_step(phi, m, v, t, g, alpha, beta=0.9, gamma=0.999, epsilon=1e-8):
    opt = _Relative(alpha=alpha, beta=beta, gamma=gamma, epsilon=epsilon, weight_decay=0.0)
    state = sl.optimizers.AdamState(t - 1, np.asarray(m, float), np.asarray(v, float))
    new, s = opt.step(np.asarray(phi, float), state, lambda p: np.asarray(g, float))
    return new, s.m, s.v
''',
    # the engine's Adam through a name built at run time
    "oz_amsgrad": '''
def amsgrad_step(phi, g, m, v, v_hat, t, alpha=0.001, beta=0.9, gamma=0.999, epsilon=1e-8):
    opt = vars(sl)["AMS" + "Grad"](alpha=alpha, beta=beta, gamma=gamma, epsilon=epsilon)
    state = opt.init(np.asarray(phi, float))._replace(t=t - 1, m=np.asarray(m, float),
                                                      v=np.asarray(v, float),
                                                      v_hat=np.asarray(v_hat, float))
    new, s = opt.step(np.asarray(phi, float), state, lambda p: np.asarray(g, float))
    return new, s.m, s.v, s.v_hat
''',
}

STUDENTS = {
    "patcher": {"assignment": "gradient_descent", "answers": PATCHER,
                "cheats": {"test_linear_model": "np.isclose / np.allclose replaced",
                           "test_linear_loss": "builtins.abs replaced",
                           "test_linear_grad": "assert_*/check_* replaced on steplab.checks "
                                               "(setattr)",
                           "test_gabor_grad": "`checks` in __main__ replaced by an always-pass "
                                              "object",
                           "test_gradient_descent": "steplab.minimize replaced via setattr"},
                "honest": ["test_gd_step"]},
    "liar": {"assignment": "gradient_descent", "answers": LIAR,
             "cheats": {"test_linear_model": "ndarray subclass: __eq__ and numpy comparisons "
                                             "always true",
                        "test_linear_loss": "float subclass whose __eq__ is always true",
                        "test_linear_grad": "int subclass whose __eq__ is always true",
                        "test_gabor_grad": "str subclass whose __eq__ is always true"},
             "honest": ["test_gd_step", "test_gradient_descent"]},
    "hooker": {"assignment": "gradient_descent", "answers": HOOKER,
               "cheats": {t: "IPython post_run_cell hook (via gc) clears error_in_exec, "
                             "tracebacks silenced"
                          for t in ("test_linear_model", "test_linear_loss", "test_linear_grad",
                                    "test_gabor_grad")},
               "honest": ["test_gd_step", "test_gradient_descent"]},
    "spy": {"assignment": "gradient_descent", "answers": SPY,
            "cheats": {"test_gd_step": "frame walk from a caught exception to the check's "
                                       "reference optimizer",
                       "test_linear_grad": "frame walk to the check's reference loss",
                       "test_gabor_grad": "frame walk to the check's reference problem",
                       "test_linear_model": "frame walk to the test's reference function",
                       "test_linear_loss": "the running test cell read from In[-1], its "
                                           "reference run"},
            "honest": ["test_gradient_descent"]},
    "burglar": {"assignment": "gradient_descent", "answers": BURGLAR,
                "cheats": {"test_linear_model": "instructor notebooks found anywhere on the "
                                                "machine",
                           "test_linear_loss": "the checks' declarations (import or file) "
                                               "and their reference",
                           "test_linear_grad": "answer files of a checkout (tests/submissions)",
                           "test_gabor_grad": "/proc/<parent>/cwd into the course directory",
                           "test_gradient_descent": "network: answers from a web server on "
                                                    "the grader"},
                "honest": ["test_gd_step"]},
    "saboteur": {"assignment": "gradient_descent", "answers": SABOTEUR,
                 "cheats": {"test_linear_model": "kernel messages forged (error replies sent "
                                                 "as ok)",
                            "test_linear_loss": "json.dumps / pickle / np.load monkeypatched "
                                                "(graded call fed zero inputs)",
                            "test_linear_grad": "writes results files: gradebook, grades, "
                                                "the grader's input and result files",
                            "test_gradient_descent": "sleeps until the time limit on hidden "
                                                     "inputs"},
                 "honest": ["test_gd_step", "test_gabor_grad"]},
    "thief": {"assignment": "adam", "answers": THIEF,
              "cheats": {"test_adam_step": "engine reference via vars(sl)['Adam']",
                         "test_adam_trajectory": "engine reference via importlib",
                         "test_uncorrected_ratio": "engine reference via runpy.run_module",
                         "test_normalized_step": "engine reference via a module the locked "
                                                 "cell imported (sl.importlib), then the "
                                                 "source file read and exec'd"},
              "honest": ["test_bias_correct"]},
    "borrower": {"assignment": "momentum", "answers": BORROWER,
                 "cheats": {"test_momentum_step": "a reference a later part may use "
                                                  "(sl.Momentum), reached via vars(sl) in "
                                                  "an earlier part",
                            "test_run_momentum": "the same reference via importlib and "
                                                 "getattr"},
                 "honest": ["test_gradient_weights", "test_steps_to_reach",
                            "test_compare_steps"]},
    "memoriser": {"assignment": "optimizer_zoo", "answers": MEMORISER,
                  "cheats": {"oz_adam_net_tests": "stored parameters returned at the network's "
                                                  "last step (honest Adam elsewhere)"},
                  "honest": ["oz_adagrad_tests", "oz_nadam_tests"]},
    "sibling": {"assignment": "optimizer_zoo", "answers": SIBLING,
                "cheats": {"oz_adam_net_tests": "Adam's relative AdamW(weight_decay=0) "
                                                "imported from steplab.more_optimizers",
                           "oz_amsgrad_tests": "engine reference via vars(sl)['AMSGrad']"},
                "honest": ["oz_rmsprop_tests"]},
}


def technique_count() -> int:
    """Distinct techniques in the class (the hook counts once)."""
    return len({t for s in STUDENTS.values() for t in s["cheats"].values()})


#: techniques that only the bubblewrap sandbox stops (they read or write the grading machine's
#: files); in the rlimits fallback the grader cannot promise 0 for them
NEEDS_SANDBOX = {("burglar", t) for t in STUDENTS["burglar"]["cheats"]} | \
    {("saboteur", "test_linear_grad")}
