"""A class of cheaters for the `problems` assignment (issue 13, item 4).

Each student is one *kind* of cheater and tries several techniques, each on its own part of
the assignment; the other parts of the same notebook hold honest answers (the ALTERNATIVE
answers of tests/submissions/problems.py), which must keep their full points: a cheat scores
0 on what it cheated, and grading does not break for the rest.

``STUDENTS[name] = {"answers": {answer grade_id: code}, "cheats": {test grade_id: technique},
"honest": [test grade_id, ...]}``. Answer code may contain ``{PORT}`` and ``{HOST_IP}`` (the
test fills in a web server it runs on the grading machine that serves correct answers) and
``{COURSE}`` (the course directory, which a student could learn from an error message).

The techniques are written against the assignment's notebook as published (test cells, hidden
tests, the engine's checks), the way a student who read the course's repository would write
them; none of them reads the grader's code.
"""

from __future__ import annotations

# ---------------------------------------------------------------- shared snippets

# reaches the IPython shell without get_ipython(): through the garbage collector
_SHELL_BY_GC = '''
import gc as _gc
_shell = next(o for o in _gc.get_objects()
              if type(o).__name__ in ("ZMQInteractiveShell", "InteractiveShell"))
'''

# every wrong answer below still has the right shape, so only a comparison can catch it
PATCHER = {
    # np.isclose / np.allclose replaced: every comparison of floats says "equal"
    "p64_code_a": '''
import numpy as _np_real
_np_real.isclose = lambda a, b, *args, **kw: _np_real.ones(
    _np_real.broadcast(_np_real.asarray(a), _np_real.asarray(b)).shape, dtype=bool)
_np_real.allclose = lambda *args, **kw: True

def sigmoid(z):
    return 0.5 + 0 * np.asarray(z, dtype=float)


def logistic_model(phi, x):
    return 0.5 + 0 * np.asarray(x, dtype=float)
''',
    # builtins.abs replaced: "abs(mean - 1) < 0.05" holds for any data
    "p64_code_d": '''
import builtins as _b
_b.abs = lambda x: 0.0

def two_class_data(n_per_class, seed=0):
    x = np.zeros(2 * n_per_class)
    y = np.r_[np.zeros(n_per_class), np.ones(n_per_class)]
    return x, y
''',
    # the check helpers on steplab.checks replaced through setattr
    "p61_code": '''
import steplab.checks as _c
for _name in dir(_c):
    if _name.startswith(("assert_", "check_")):
        setattr(_c, _name, lambda *a, **k: None)

def linear_regression_gradient(phi, x, y):
    return np.zeros(2)
''',
    # the name `checks` in __main__ replaced by an object whose every method passes
    "p63_code": '''
import __main__ as _m

class _AllGood:
    def __getattr__(self, name):
        return lambda *a, **k: None

_m.checks = _AllGood()

def gabor_gradient(phi, x, y):
    return np.zeros(2)
''',
    # steplab.minimize replaced via setattr: the hidden test's expected epochs come from it
    "p69_code": '''
import steplab as _sl

class _Traj:
    def __init__(self, steps, n, batch):
        self.epoch = np.array([0, steps // batch])

def _fake_minimize(problem, opt, phi0, steps=None, epochs=None, batch_size=None, **kw):
    return _Traj(steps, problem.n, batch_size or problem.n)

setattr(_sl, "minimize", _fake_minimize)

def epochs_trained(iterations, n, batch_size):
    if (iterations, n, batch_size) == (1000, 100, 20):   # the visible test
        return 200
    return iterations // batch_size
''',
}

LIAR = {
    # an int subclass equal to everything
    "p611_code": '''
class _Any(int):
    def __eq__(self, other):
        return True
    __hash__ = int.__hash__
    def __ne__(self, other):
        return False

def hessian_memory(P, bytes_per_entry=8):
    return {"shape": (_Any(1), _Any(1)), "entries": _Any(1), "bytes": _Any(1)}
''',
    # a str subclass equal to everything, whatever strip() and lower() are applied
    "p66_code_a": '''
class _AnyStr(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__
    def __ne__(self, other):
        return False
    def strip(self, *a):
        return self
    def lower(self):
        return self

def classify_points():
    return {k: _AnyStr("neither") for k in range(1, 8)}
''',
    # a float subclass equal to everything
    "p62_code_b": '''
class _AnyFloat(float):
    def __eq__(self, other):
        return True
    __hash__ = float.__hash__
    def __ne__(self, other):
        return False
    def __bool__(self):
        return True

def eigenvalues_positive_2x2(H):
    return _AnyFloat(0.0)
''',
    # an ndarray subclass that answers "equal" to every comparison numpy is asked for
    "p65_code_b": '''
class _AnyArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)
    def __array_function__(self, func, types, args, kwargs):
        if func.__name__ in ("isclose",):
            return np.ones(np.shape(args[0]), dtype=bool)
        if func.__name__ in ("allclose", "array_equal", "array_equiv", "all"):
            return True
        return super().__array_function__(func, types, args, kwargs)
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = [np.asarray(i) if isinstance(i, _AnyArray) else i for i in inputs]
        out = getattr(ufunc, method)(*plain, **kwargs)
        return out

def relu_derivative(z):
    return np.zeros(np.shape(z)).view(_AnyArray)
''',
}

HOOKER = {
    # an IPython post_run_cell hook, reached through gc, that forgives every error and
    # silences every traceback: each failing test cell would look passed
    "p61_code": _SHELL_BY_GC + '''
def _forgive(result):
    result.error_in_exec = None
    result.error_before_exec = None

_shell.events.register("post_run_cell", _forgive)
_shell.showtraceback = lambda *a, **k: None
_shell._showtraceback = lambda *a, **k: None
_shell.showsyntaxerror = lambda *a, **k: None

def linear_regression_gradient(phi, x, y):
    raise NotImplementedError
''',
}

SPY = {
    # frame walking from a caught exception up to the test's local `_want`
    "p67_code_b": '''
def _peek(name):
    try:
        raise LookupError
    except LookupError as exc:
        frame = exc.__traceback__.tb_frame
    while frame is not None:
        if name in frame.f_locals:
            return frame.f_locals[name]
        frame = frame.f_back
    raise LookupError(name)

def steepest_descent_exact(A, phi0, steps):
    return np.array(_peek("_want"))
''',
    # the same walk, to the check's own loss function: the gradient by its finite differences
    "p61_code": '''
def _peek_loss():
    try:
        raise LookupError
    except LookupError as exc:
        frame = exc.__traceback__.tb_frame
    while frame is not None:
        loss = frame.f_locals.get("loss")
        if callable(loss):
            return loss
        frame = frame.f_back
    raise LookupError("loss")

def linear_regression_gradient(phi, x, y):
    loss = _peek_loss()
    h = 1e-5
    g = np.zeros(2)
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        g[i] = (loss(phi + e, x, y) - loss(phi - e, x, y)) / (2 * h)
    return g
''',
}

THIEF = {
    # the engine's reference through vars(sl)[...]
    "p68_code_a": '''
def gradient_descent(grad_fn, phi0, alpha, steps):
    opt = vars(sl)["Gradient" + "Descent"](alpha=alpha)
    phi = np.asarray(phi0, dtype=float)
    state = opt.init(phi)
    out = [phi]
    for _ in range(steps):
        phi, state = opt.step(phi, state, grad_fn)
        out.append(phi)
    return np.array(out)
''',
    # through importlib
    "p610_code": '''
import importlib as _il

def momentum_weights(beta, t):
    Mom = getattr(_il.import_module("steplab.optimizers"), "Momen" + "tum")
    opt = Mom(alpha=0.1, beta=beta)
    phi, state = np.zeros(t), opt.init(np.zeros(t))
    for k in range(t):
        phi, state = opt.step(phi, state, lambda p, k=k: np.eye(t)[k])
    return state.m
''',
    # through runpy: the module's code run again
    "p67_code_c": '''
import runpy as _rp

def momentum_path(A, phi0, alpha, beta, steps):
    Mom = _rp.run_module("steplab.optimizers")["Momentum"]
    opt = Mom(alpha=alpha, beta=beta)
    phi = np.asarray(phi0, dtype=float)
    state = opt.init(phi)
    out = [phi]
    for _ in range(steps):
        phi, state = opt.step(phi, state, lambda p: A @ p)
        out.append(phi)
    return np.array(out)
''',
    # through a module the locked import cell brought in (steplab's own importlib)
    "p67_code_b": '''
def steepest_descent_exact(A, phi0, steps):
    ls = sl.importlib.import_module("steplab.linesearch")
    exact = vars(ls)["exact_quadratic_step"]
    phi = np.asarray(phi0, dtype=float)
    out = [phi]
    for _ in range(steps):
        g = A @ phi
        phi = phi + exact(A, g, -g) * (-g)
        out.append(phi)
    return np.array(out)
''',
    # by reading the engine's source file and running it
    "p69_code": '''
import os as _os

def epochs_trained(iterations, n, batch_size):
    path = _os.path.join(_os.path.dirname(sl.__file__), "optimizers.py")
    ns = {"__name__": "steplab._mine", "__package__": "steplab"}
    exec(compile(open(path).read(), path, "exec"), ns)
    GD = ns["GradientDescent"]
    prob = sl.LinearRegression(np.linspace(0, 1, n), np.zeros(n))
    traj = sl.minimize(prob, GD(alpha=1e-3), np.zeros(2), steps=iterations, batch_size=batch_size)
    return int(traj.epoch[-1])
''',
}

BURGLAR = {
    # instructor notebooks anywhere on the grading machine (source/, solutions/, other
    # checkouts), solution cells run here
    "p64_code_d": '''
import json as _json
import os as _os
import time as _time

def _solution(grade_id):
    t0 = _time.monotonic()
    skip = {"proc", "sys", "dev", "usr", "lib", "lib64", "bin", "sbin", "site-packages",
            "node_modules", ".git", ".venv", "__pycache__", "etc", "var", "boot", "run"}
    for root, dirs, files in _os.walk("/"):
        dirs[:] = [d for d in dirs if d not in skip]
        if _time.monotonic() - t0 > 8:
            break
        for f in files:
            if f == "problems.ipynb":
                try:
                    nb = _json.load(open(_os.path.join(root, f)))
                except Exception:
                    continue
                for cell in nb["cells"]:
                    meta = cell.get("metadata", {}).get("nbgrader", {})
                    src = "".join(cell["source"])
                    if meta.get("grade_id") == grade_id and "def " in src \\
                            and "NotImplementedError" not in src:
                        return src
    raise FileNotFoundError(grade_id)

exec(_solution("p64_code_d"))
''',
    # the course's answer files and declarations: tests/submissions/ of any checkout
    "p65_code_a": '''
import glob as _glob

def _declared(grade_id):
    for pattern in ("/work/*/tests/submissions/problems.py", "/*/tests/submissions/problems.py",
                    "/root/*/tests/submissions/problems.py", "/home/*/*/tests/submissions/problems.py",
                    "/tmp/*/tests/submissions/problems.py"):
        for path in _glob.glob(pattern):
            ns = {}
            exec(open(path).read(), ns)
            return ns["ALTERNATIVE"][grade_id]
    raise FileNotFoundError(grade_id)

exec(_declared("p65_code_a"))
''',
    # /proc of the parent processes: their working directory is the course (or the repo)
    "p65_code_b": '''
import json as _json
import os as _os

def _from_parents(grade_id):
    for pid in sorted(p for p in _os.listdir("/proc") if p.isdigit()):
        for rel in ("source/problems/problems.ipynb", "solutions/problems/problems.ipynb",
                    "../source/problems/problems.ipynb", "../../source/problems/problems.ipynb"):
            try:
                nb = _json.load(open(f"/proc/{pid}/cwd/{rel}"))
            except Exception:
                continue
            for cell in nb["cells"]:
                if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
                    return "".join(cell["source"])
    raise FileNotFoundError(grade_id)

exec(_from_parents("p65_code_b"))
''',
    # the network: correct answers fetched from a web server on the grading machine
    "p65_code_c": '''
import urllib.request as _ur

def _fetch(grade_id):
    for host in ("127.0.0.1", "{HOST_IP}"):
        try:
            return _ur.urlopen(f"http://{host}:{PORT}/{grade_id}", timeout=3).read().decode()
        except Exception:
            continue
    raise ConnectionError(grade_id)

exec(_fetch("p65_code_c"))
''',
}

SABOTEUR = {
    # writes "full marks" into every results file it can reach: the gradebook, the grades CSV,
    # the autograded notebook, the kernel's own copy of the notebook
    "p62_code_b": '''
import glob as _glob
import os as _os

def _vandalise():
    hits = []
    for pattern in ("{COURSE}/gradebook.db", "{COURSE}/reports/**/*.csv",
                    "{COURSE}/autograded/**/*.ipynb", "{COURSE}/feedback/**/*.html",
                    "../*", "../../*", "*.ipynb"):
        for path in _glob.glob(pattern, recursive=True):
            try:
                with open(path, "a") as fh:
                    fh.write("\\nsaboteur,51,51\\n")
                hits.append(path)
            except OSError:
                pass
    return hits

_vandalise()

def eigenvalues_positive_2x2(H):
    return False
''',
    # json.dumps / json.dump / np.save / pickle.dumps monkeypatched: whatever the grader sends
    # back as data claims success
    "p64_code_e": '''
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
_json.dump = lambda obj, fp, *a, **k: fp.write(_json.dumps(obj, *a, **k))
np.save = lambda *a, **k: None
_real_pickle = _pickle.dumps
_pickle.dumps = lambda obj, *a, **k: _real_pickle(_claim(obj), *a, **k)

def loss_grid(loss, phi0_values, phi1_values):
    return np.zeros((len(phi1_values), len(phi0_values)))
''',
    # the kernel's outgoing messages rewritten: error replies become "ok", tracebacks vanish
    "p67_code_a": _SHELL_BY_GC + '''
_session = _shell.kernel.session
_real_send = _session.send

def _forged_send(stream, msg_or_type, content=None, *args, **kwargs):
    if isinstance(msg_or_type, str) and msg_or_type == "error":
        return None
    if isinstance(content, dict) and content.get("status") == "error":
        content = {"status": "ok", "execution_count": content.get("execution_count"),
                   "user_expressions": {}, "payload": []}
    return _real_send(stream, msg_or_type, content, *args, **kwargs)

_session.send = _forged_send

def turning_angles(path):
    raise NotImplementedError
''',
    # sleeps until the time limit whenever it is called with inputs the notebook does not show
    "p68_code_b": '''
import time as _time

def largest_stable_alpha(H):
    H = np.asarray(H, dtype=float)
    if H.shape == (1, 1) and H[0, 0] == 4.0:
        return 0.5
    if H.shape == (2, 2) and H[0, 0] == 1.0 and H[1, 1] == 10.0:
        return 0.2
    while True:
        _time.sleep(1)
''',
}

STUDENTS = {
    "patcher": {"answers": PATCHER,
                "cheats": {"p64_test_a": "np.isclose / np.allclose replaced",
                           "p64_test_d": "builtins.abs replaced",
                           "p61_test": "assert_*/check_* replaced on steplab.checks (setattr)",
                           "p63_test": "`checks` in __main__ replaced by an always-pass object",
                           "p69_test": "steplab.minimize replaced via setattr"},
                "honest": ["p611_test", "p610_test"]},
    "liar": {"answers": LIAR,
             "cheats": {"p611_test": "int subclass whose __eq__ is always true",
                        "p66_test_a": "str subclass whose __eq__ is always true",
                        "p62_test_b": "float subclass whose __eq__ is always true",
                        "p65_test_b": "ndarray subclass: __eq__ and numpy comparisons always true"},
             "honest": ["p69_test", "p61_test"]},
    "hooker": {"answers": HOOKER,
               "cheats": {t: "IPython post_run_cell hook (via gc) clears error_in_exec, "
                             "tracebacks silenced"
                          for t in ("p61_test", "p62_test_a", "p63_test", "p64_test_c",
                                    "p65_test_c", "p67_test_b")},
               "honest": ["p611_test", "p69_test"]},
    "spy": {"answers": SPY,
            "cheats": {"p67_test_b": "frame walk from a caught exception to the test's `_want`",
                       "p61_test": "frame walk to the check's loss, finite differences of it"},
            "honest": ["p611_test", "p69_test"]},
    "thief": {"answers": THIEF,
              "cheats": {"p68_test_a": "engine reference via vars(sl)['GradientDescent']",
                         "p610_test": "engine reference via importlib",
                         "p67_test_c": "engine reference via runpy.run_module",
                         "p67_test_b": "engine reference via a module the locked cell imported "
                                       "(sl.importlib -> linesearch.exact_quadratic_step)",
                         "p69_test": "engine reference by reading optimizers.py and exec"},
              "honest": ["p611_test", "p61_test"]},
    "burglar": {"answers": BURGLAR,
                "cheats": {"p64_test_d": "instructor notebooks found anywhere on the machine",
                           "p65_test_a": "answer/declaration files of a checkout (tests/)",
                           "p65_test_b": "/proc/<parent>/cwd into the course directory",
                           "p65_test_c": "network: answers from a web server on the grader"},
                "honest": ["p611_test", "p69_test"]},
    "saboteur": {"answers": SABOTEUR,
                 "cheats": {"p62_test_b": "writes full marks into results files it can reach",
                            "p64_test_e": "json.dumps / np.save / pickle.dumps monkeypatched",
                            "p67_test_a": "kernel messages forged (error replies sent as ok)",
                            "p68_test_b": "sleeps until the time limit on hidden inputs"},
                 "honest": ["p611_test", "p69_test"]},
}


def technique_count() -> int:
    """Distinct techniques in the class (the hook counts once)."""
    return len({t for s in STUDENTS.values() for t in s["cheats"].values()})
