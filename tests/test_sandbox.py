"""The grading sandbox seen from inside (coursekit.sandbox) and the grading copy of the engine
(coursekit.grading_engine).

A probe script runs in the sandbox exactly as the kernel does (same launcher, same spec) and
reports what it can see; the expectations come from the allow-list promised to instructors:
the Python environment read-only, the kernel's own directory, a private /tmp -- nothing else.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from coursekit import grading_engine, sandbox

ROOT = Path(__file__).resolve().parents[1]
ISOLATION = sandbox.detect_isolation() if not os.environ.get("STEPLAB_SANDBOX") else None
needs_bwrap = pytest.mark.skipif(
    not sandbox.is_bwrap(ISOLATION or sandbox.RLIMITS),
    reason="bubblewrap cannot run here (no bwrap, or namespaces disallowed): the rlimits "
           "fallback is tested below and in test_class_autograde.py")

PROBE = r'''
import json, os, socket, sys
paths = json.loads(sys.argv[1])
seen = {}
for p in paths:
    try:
        seen[p] = sorted(os.listdir(p)) if os.path.isdir(p) else os.path.exists(p)
    except OSError as exc:
        seen[p] = f"{type(exc).__name__}"
out = {"seen": seen, "uid": os.getuid(), "cwd": os.getcwd(),
       "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
       "cmdlines": []}
for p in out["pids"]:
    try:
        out["cmdlines"].append(open(f"/proc/{p}/cmdline").read().replace("\0", " "))
    except OSError:
        pass
try:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect(("127.0.0.1", int(sys.argv[2])))
    out["net"] = s.recv(100).decode()
except OSError as exc:
    out["net"] = f"{type(exc).__name__}: {exc}"
for target in ("/tmp/probe-was-here", "written-here.txt", sys.argv[3] + "/escaped.txt"):
    try:
        with open(target, "w") as fh:
            fh.write("x")
        out.setdefault("wrote", []).append(target)
    except OSError as exc:
        out.setdefault("refused", []).append(target)
import steplab
out["steplab"] = steplab.__file__
print(json.dumps(out))
'''


def _spec(kdir: Path, *, uid=None, engine=None, engine_source=None) -> dict:
    return {"cwd": str(kdir), "uid": uid, "gid": uid,
            "env": {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(kdir),
                    "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"},
            "limits": {"as": 2 * 2**30, "nproc": 64, "fsize": 2**24, "nofile": 256, "cpu": 60},
            "engine": engine or str(grading_engine.ENGINE_DIR), "engine_source": engine_source}


def _run(tmp_path: Path, isolation: str, argv: list[str], **spec_kw) -> subprocess.CompletedProcess:
    kdir = tmp_path / "kernel-dir"
    kdir.mkdir(exist_ok=True)
    uid = spec_kw.pop("uid", None)
    if uid is not None:
        os.chown(kdir, uid, uid)
    spec_path = tmp_path / "sandbox.json"
    spec_path.write_text(json.dumps(_spec(kdir, uid=uid, **spec_kw)))
    cmd = sandbox.wrap_command([sys.executable, *argv], str(spec_path), isolation)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=kdir)


@pytest.fixture()
def listener():
    """A TCP server on the grading machine's loopback that answers "reached"."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)

    def serve():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            conn.sendall(b"reached")
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    yield srv.getsockname()[1]
    srv.close()


def _probe(tmp_path, isolation, listener, outside: Path, **spec_kw) -> dict:
    course = tmp_path / "course"
    (course / "source" / "adam").mkdir(parents=True, exist_ok=True)
    (course / "source" / "adam" / "adam.ipynb").write_text("{}")
    paths = [str(course), str(course / "source"), str(ROOT), str(ROOT / "source"),
             str(ROOT / "solutions"), str(ROOT / "coursekit"), str(ROOT / "tests"),
             str(ROOT / ".git"), "/root", "/home", "/tmp", "/etc/shadow", "/work"]
    done = _run(tmp_path, isolation, ["-c", PROBE, json.dumps(paths), str(listener),
                                      str(outside)], **spec_kw)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _visible(seen: dict, path) -> bool:
    v = seen[str(path)]
    return v is True or isinstance(v, list)


@needs_bwrap
def test_kernel_sees_only_the_allow_list(tmp_path, listener):
    outside = tmp_path / "outside"
    outside.mkdir()
    uid = 100000 + os.getpid() % 60000 if sandbox.drops_root(ISOLATION) else None
    out = _probe(tmp_path, ISOLATION, listener, outside, uid=uid)
    seen = out["seen"]
    # the course, the repository's source/, solutions/, coursekit/, tests/, .git: not there
    for p in [tmp_path / "course", tmp_path / "course" / "source", ROOT / "source",
              ROOT / "solutions", ROOT / "coursekit", ROOT / "tests", ROOT / ".git",
              "/home", "/etc/shadow"]:
        assert not _visible(seen, p), (p, seen[str(p)])
    # of the repository only the engine (and the venv when it lives there) are mounted
    if _visible(seen, ROOT):
        assert set(seen[str(ROOT)]) <= {"steplab", ".venv"}, seen[str(ROOT)]
    # /root holds at most the way to the Python interpreter (pyenv), nothing of root's files
    if _visible(seen, "/root"):
        allowed = {Path(p).relative_to("/root").parts[0] for p in sandbox.python_dirs()
                   if p.startswith("/root/")}
        assert set(seen["/root"]) <= allowed, seen["/root"]
    # a private /tmp: the host's files there are not visible, only the way to what is
    # mounted (the kernel's own directory; the venv and the engine when they live in /tmp)
    mounted = [*sandbox.python_dirs(), str(grading_engine.ENGINE_DIR), str(tmp_path)]
    way = {Path(p).relative_to("/tmp").parts[0] for p in mounted if p.startswith("/tmp/")}
    assert not _visible(seen, "/tmp") or set(seen["/tmp"]) <= way, (seen["/tmp"], way)
    # no network, even to the grading machine's own loopback
    assert "reached" not in out["net"], out["net"]
    # its own PID namespace: a handful of processes, none of the grader's
    assert len(out["pids"]) <= 4, out["cmdlines"]
    assert not any("-m pytest" in c or "xdist" in c for c in out["cmdlines"]), out["cmdlines"]
    # it may write its own directory and its /tmp, nothing outside
    assert str(outside / "escaped.txt") in out["refused"]
    assert not (outside / "escaped.txt").exists()
    assert (tmp_path / "kernel-dir" / "written-here.txt").exists()
    assert not Path("/tmp/probe-was-here").exists() or \
        Path("/tmp/probe-was-here").stat().st_mtime < os.path.getmtime(tmp_path)
    if uid is not None:
        assert out["uid"] == uid  # root was dropped
    assert out["steplab"].startswith(str(grading_engine.ENGINE_DIR))


@needs_bwrap
def test_user_namespace_mode_command_runs(tmp_path, listener):
    """The unprivileged mode's command line (bwrap --unshare-user) works here too; as root it
    maps root to itself, elsewhere it needs no privilege at all."""
    out = _probe(tmp_path, sandbox.BWRAP_USERNS, listener, tmp_path)
    assert not _visible(out["seen"], ROOT / "source")
    assert "reached" not in out["net"]
    assert len(out["pids"]) <= 4


def test_fallback_is_named_and_forced(monkeypatch):
    monkeypatch.setenv("STEPLAB_SANDBOX", "rlimits")
    assert sandbox.detect_isolation() == sandbox.RLIMITS
    assert sandbox.label(sandbox.RLIMITS) == "fallback: rlimits only"
    assert sandbox.label(sandbox.BWRAP_ROOT) == "bubblewrap (root)"
    assert sandbox.label(sandbox.BWRAP_USERNS) == "bubblewrap (user namespace)"
    monkeypatch.setenv("STEPLAB_SANDBOX", "chroot")
    with pytest.raises(ValueError, match="not a sandbox mode"):
        sandbox.detect_isolation()


def test_fallback_without_bwrap_binary(monkeypatch):
    """No bwrap on PATH: the automatic choice is the rlimits fallback, not an error."""
    monkeypatch.delenv("STEPLAB_SANDBOX", raising=False)
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    sandbox._probe.cache_clear()
    try:
        assert sandbox.detect_isolation() == sandbox.RLIMITS
    finally:
        sandbox._probe.cache_clear()


def test_fallback_runs_with_limits(tmp_path):
    done = _run(tmp_path, sandbox.RLIMITS, ["-c", "import resource; print(resource.getrlimit("
                                            "resource.RLIMIT_AS)[0])"])
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == 2 * 2**30


# ----------------------------------------------------------- the grading copy of the engine

REACH_ADAM = r'''
import importlib, json, runpy, sys
import steplab as sl
ways = {
    "sl.Adam": lambda: sl.Adam(alpha=0.1),
    "vars(sl)": lambda: vars(sl)["Adam"](alpha=0.1),
    "importlib": lambda: importlib.import_module("steplab.optimizers").Adam(alpha=0.1),
    "from import": lambda: __import__("steplab.optimizers", fromlist=["Adam"]).Adam(),
    "runpy": lambda: runpy.run_module("steplab.optimizers")["Adam"](alpha=0.1),
    "subclass": lambda: type("Mine", (sl.Adam,), {})(),
    "AdamW": lambda: sl.AdamW(alpha=0.1, weight_decay=0.0),
    "sys.modules": lambda: sys.modules["steplab.optimizers"].__dict__["Adam"](alpha=0.1),
    "declarations": lambda: __import__("steplab.exercises", fromlist=["adam"]).adam.PARTS,
}
out = {}
for name, way in ways.items():
    try:
        obj = way()
        if callable(obj) and not isinstance(obj, type):
            obj()
        out[name] = "available"
    except Exception as exc:
        out[name] = f"{type(exc).__name__}: {exc}"
src = open(sl.optimizers.__file__).read()
out["source has the update"] = "m_hat" in src.split("class Adam", 1)[1].split("class ", 1)[0]
print(json.dumps(out))
'''


def test_grading_copy_has_no_reference(tmp_path):
    copy = grading_engine.build("adam", cache=tmp_path / "cache")
    assert copy.name == "steplab" and (copy / "optimizers.py").is_file()
    # built once, then reused
    assert grading_engine.build("adam", cache=tmp_path / "cache") == copy
    env = dict(os.environ, PYTHONPATH=str(copy.parent))
    done = subprocess.run([sys.executable, "-c", REACH_ADAM], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    message = "steplab.Adam is not available while grading adam: write your own"
    for way in ("sl.Adam", "vars(sl)", "importlib", "from import", "runpy", "subclass",
                "sys.modules"):
        assert out[way] == f"NotImplementedError: {message}", (way, out[way])
    assert "not available while grading" in out["declarations"], out["declarations"]
    assert "steplab.AdamW is not available while grading adam" in out["AdamW"]
    assert out["source has the update"] is False
    # compiled once when built (kernels import it read-only), from the stubbed source
    pyc = list((copy / "__pycache__").glob("optimizers.*.pyc"))
    assert pyc and b"m_hat" not in pyc[0].read_bytes()
    # the checks' declarations stay with the grader; the package itself still imports
    assert not list((copy / "exercises").glob("adam.py")), "declarations leaked into the copy"
    assert sorted(p.name for p in (copy / "exercises").glob("*.py")) == ["__init__.py",
                                                                          "_core.py"]
    # the real engine is untouched
    import steplab

    assert steplab.Adam(alpha=0.1).alpha == 0.1


def test_grading_copy_keeps_everything_else(tmp_path):
    """Gradient descent (not blocked in adam) still gives phi - alpha * 2 phi = 0.8 phi."""
    copy = grading_engine.build("adam", cache=tmp_path / "cache")
    code = ("import numpy as np, steplab as sl\n"
            "opt = sl.GradientDescent(alpha=0.1)\n"
            "phi, _ = opt.step(np.array([1.0, -2.0]), opt.init(np.zeros(2)), lambda p: 2 * p)\n"
            "print(phi.tolist()); import steplab.figures, steplab.checks, steplab.curvature")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(copy.parent)), timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [0.8, -1.6]


def test_blocked_names_are_checked():
    with pytest.raises(ValueError, match="needs its module"):
        grading_engine.blocked_for("adam", ["Adam"])
    assert grading_engine.blocked_for("x", ["steplab.optimizers.Adam"]) == ("optimizers.Adam",)
    with pytest.raises(ValueError, match="defines no"):
        grading_engine.stub_module("def f():\n    pass\n", "m", {"g"}, "a")


def test_every_table_entry_exists(tmp_path):
    for assignment in grading_engine.BLOCKED:
        assert grading_engine.build(assignment, cache=tmp_path).is_dir()


@needs_bwrap
def test_grading_copy_mounted_in_the_sandbox(tmp_path, listener):
    """Inside the sandbox the venv finds steplab where it always does, but it is the copy."""
    copy = grading_engine.build("adam", cache=tmp_path / "cache")
    done = _run(tmp_path, ISOLATION, ["-c", "import steplab as sl\ntry:\n    sl.Adam()\n"
                                      "except NotImplementedError as e:\n    print(e)\n"
                                      "print(open(sl.optimizers.__file__).read().count("
                                      "'def _k_adam(outs'))"],
                engine_source=str(copy))
    assert done.returncode == 0, done.stderr
    first, count = done.stdout.strip().splitlines()
    assert first == "steplab.Adam is not available while grading adam: write your own"
    assert count == "0"
    shutil.rmtree(tmp_path / "cache", ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the folder to another user")
def test_cache_of_another_user_is_refused(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    os.chown(cache, 54321, 54321)
    with pytest.raises(RuntimeError, match="belongs to another user"):
        grading_engine.build("adam", cache=cache)


def test_a_reference_released_for_a_later_part_only_from_its_call_cell(tmp_path):
    """momentum: sl.Momentum is blocked while momentum_step is called, and works, under every
    name the engine gives it, once compare_steps' call cell has restored it."""
    copy = grading_engine.build("momentum", cache=tmp_path / "cache")
    restore = grading_engine.restore_code("momentum", "test_compare_steps")
    assert restore and grading_engine.restore_code("momentum", "test_momentum_step") == ""
    code = ("import json, numpy as np, steplab as sl, steplab.optimizers as o\n"
            "out = []\n"
            "def step():\n"
            "    opt = sl.Momentum(alpha=0.1, beta=0.9)\n"
            "    phi, s = opt.step(np.array([1.0, -1.0]), opt.init(np.zeros(2)), lambda p: 2 * p)\n"
            "    return phi.tolist()\n"
            "try:\n    step()\nexcept NotImplementedError as e:\n    out.append(str(e))\n"
            f"exec({restore!r})\n"
            "out.append(step())\n"
            "out.append(sl.Momentum is o.Momentum and vars(sl)['Momentum'] is o.Momentum)\n"
            "print(json.dumps(out))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(copy.parent)), cwd=tmp_path,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    blocked, after, same = json.loads(done.stdout)
    assert blocked == "steplab.Momentum is not available while grading momentum: write your own"
    # eq. 6.11 by hand: m = 0.1 * 2 phi = 0.2 phi, phi - 0.1 m = 0.98 phi
    assert after == pytest.approx([0.98, -0.98], abs=1e-15) and same is True


def test_copies_of_an_older_engine_are_pruned(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    old, recent, other = (cache / "adam-0123456789abcdef", cache / "adam-fedcba9876543210",
                          cache / "sgd-0123456789abcdef")
    for d in (old, recent, other):
        (d / "steplab").mkdir(parents=True)
    day = grading_engine.STALE_SECONDS
    for d in (old, other):
        os.utime(d, (d.stat().st_atime - 2 * day, d.stat().st_mtime - 2 * day))
    copy = grading_engine.build("adam", cache=cache)
    assert copy.is_dir() and not old.exists()
    assert recent.exists()   # maybe in use by a grading run that started today
    assert other.exists()    # another assignment's copy is its own build's business
