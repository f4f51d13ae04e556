"""The sandbox for the kernel that runs a student's notebook during class autograding.

An allow-list, not a hide-list: with bubblewrap (``bwrap``, Debian package ``bubblewrap``)
the kernel starts in an empty root file system in which only these are mounted:

* read-only: the system's ``/usr`` (with the ``/bin``, ``/lib`` ... links), the dynamic
  loader's cache, the Python environment (the venv, the base interpreter's prefix) and the
  engine package ``steplab/`` (or the grading copy of it, :mod:`coursekit.grading_engine`),
  bound at the path where the venv looks for it -- not the rest of the repository;
* read-write: the kernel's own working directory (the student's notebook, the assignment's
  released data files and the kernel's Unix sockets and connection file);
* private: ``/tmp``, ``/dev/shm`` (tmpfs), a minimal ``/dev`` and a ``/proc`` of its own.

The course directory, ``source/``, ``solutions/``, other students' files, the gradebook,
``/root``, ``/home``, ``coursekit/`` and ``.git`` are simply not there. The kernel gets its own
network namespace (no network at all; it talks to the grader over Unix sockets,
``transport="ipc"``), PID namespace (it sees only its own processes; when it dies, all of
them die) and IPC namespace.

Modes, chosen by :func:`detect_isolation` and named in the grading summary (:func:`label`):

``"bwrap-root"`` -- "bubblewrap (root)"
    The grader runs as root: ``bwrap`` creates the namespaces directly; the launcher then
    drops root to a uid of its own per worker (so one student's fork bomb cannot starve
    another student's kernel of processes: ``RLIMIT_NPROC`` counts per uid).
``"bwrap-userns"`` -- "bubblewrap (user namespace)"
    Not root, but unprivileged user namespaces exist: ``bwrap --unshare-user`` needs no root.
``"rlimits"`` -- "fallback: rlimits only"
    No ``bwrap`` binary or namespaces disallowed: only the resource limits, a Python-level
    block of IPv4/IPv6 sockets and of process creation. The kernel can read whatever the
    grader's user can read.

Limits (``resource.setrlimit`` in the launcher, inherited by the kernel and its children),
the same in every mode: ``RLIMIT_AS`` (memory; a memory bomb gets ``MemoryError``),
``RLIMIT_NPROC`` (processes and threads), ``RLIMIT_FSIZE`` (largest file; ``SIGXFSZ`` is
ignored so a write past it fails with ``OSError: File too large``), ``RLIMIT_CPU`` and
``RLIMIT_NOFILE``. The wall-clock limit is enforced by the grader.

Run as a script (``python -I -S sandbox.py SPEC.json -- KERNEL ARGV...``) this module is the
launcher between bubblewrap and ``ipykernel``: it applies the limits, drops root and
``exec``s the kernel. It imports only the standard library so that it starts in a few
milliseconds. Nothing from the book: this is grading infrastructure.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys

BWRAP_ROOT, BWRAP_USERNS, RLIMITS = "bwrap-root", "bwrap-userns", "rlimits"
LABELS = {BWRAP_ROOT: "bubblewrap (root)", BWRAP_USERNS: "bubblewrap (user namespace)",
          RLIMITS: "fallback: rlimits only"}

#: size of the kernel's private /tmp and /dev/shm (each a tmpfs in memory)
TMP_BYTES = str(64 * 2**20)

#: where the launcher script and its spec appear inside the sandbox
INSIDE = "/run/steplab-sandbox"

#: namespaces and process hygiene common to both bubblewrap modes
NAMESPACE_ARGS = ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                  "--unshare-cgroup-try", "--hostname", "grading", "--die-with-parent"]

#: system files a dynamically linked Python needs (read-only; missing ones are skipped)
SYSTEM_FILES = ["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
                "/etc/nsswitch.conf", "/etc/passwd", "/etc/group"]

# The Python-level network block used when there is no network namespace. It also runs in
# the bubblewrap modes (harmless there). Only IPv4/IPv6 sockets are refused: the kernel's
# own ZeroMQ channels are Unix sockets created in C and are not affected.
SOCKET_BLOCK = '''\
def _steplab_no_network():
    import socket

    class NoNetworkSocket(socket.socket):
        def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
            fam = socket.AF_INET if (family == -1 and fileno is None) else family
            if fam in (socket.AF_INET, socket.AF_INET6):
                raise PermissionError("network access is disabled while grading")
            super().__init__(family, type, proto, fileno)

    socket.socket = NoNetworkSocket


_steplab_no_network()
del _steplab_no_network
'''


# Used only in the fallback: a Python-level block of process creation. RLIMIT_NPROC does not
# bind root (the kernel exempts uid 0), so without a uid of its own the kernel needs this.
# ctypes can get around it; the summary says which sandbox ran.
FORK_BLOCK = '''\
def _steplab_no_processes():
    import os
    import subprocess

    def refuse(*args, **kwargs):
        raise BlockingIOError(11, "Resource temporarily unavailable "
                                  "(starting processes is disabled while grading)")

    for name in ("fork", "forkpty", "system", "popen", "posix_spawn", "posix_spawnp",
                 "execv", "execve", "execvp", "execvpe", "spawnv", "spawnve"):
        if hasattr(os, name):
            setattr(os, name, refuse)

    class NoPopen:
        def __init__(self, *args, **kwargs):
            refuse()

    subprocess.Popen = NoPopen


_steplab_no_processes()
del _steplab_no_processes
'''


def label(isolation: str) -> str:
    """The words the grading summary uses for ``isolation`` (see the module docstring)."""
    return LABELS.get(isolation, isolation)


def is_bwrap(isolation: str) -> bool:
    """True for both bubblewrap modes."""
    return isolation in (BWRAP_ROOT, BWRAP_USERNS)


def drops_root(isolation: str) -> bool:
    """True when the kernel runs under a uid of its own (the launcher drops root)."""
    return isolation == BWRAP_ROOT


def _bwrap_mode() -> str:
    return BWRAP_ROOT if os.geteuid() == 0 else BWRAP_USERNS


@functools.lru_cache(maxsize=None)
def _probe(mode: str) -> bool:
    """Can bubblewrap start a process in ``mode`` on this machine? (cached per process)"""
    bwrap = shutil.which("bwrap")
    if sys.platform != "linux" or bwrap is None:
        return False
    cmd = [bwrap, *(["--unshare-user"] if mode == BWRAP_USERNS else []), *NAMESPACE_ARGS,
           *_system_binds(), "--proc", "/proc", "--dev", "/dev", "--", "/bin/sh", "-c", "true"]
    try:
        return subprocess.run(cmd, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def detect_isolation() -> str:
    """``"bwrap-root"`` or ``"bwrap-userns"`` when bubblewrap can start a sandbox here, else
    ``"rlimits"``.

    ``STEPLAB_SANDBOX=rlimits`` forces the fallback; ``STEPLAB_SANDBOX=bwrap`` insists on
    bubblewrap (grading then fails loudly where it cannot run)."""
    forced = os.environ.get("STEPLAB_SANDBOX", "")
    if forced == RLIMITS:
        return RLIMITS
    if forced in ("bwrap", "namespaces", BWRAP_ROOT, BWRAP_USERNS):
        return _bwrap_mode()
    if forced:
        raise ValueError(f"STEPLAB_SANDBOX={forced!r} is not a sandbox mode: use 'rlimits' "
                         "or 'bwrap', or leave it unset to choose automatically")
    mode = _bwrap_mode()
    return mode if _probe(mode) else RLIMITS


def _system_binds() -> list[str]:
    """bwrap arguments for the read-only system part: /usr, the top-level links into it
    (``/bin -> usr/bin`` on merged-/usr systems) or the directories themselves, and the
    loader's files."""
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for f in SYSTEM_FILES:
        if os.path.exists(f):
            args += ["--ro-bind", f, f]
    return args


def _outermost(paths) -> list[str]:
    """Real paths of the existing directories in ``paths``, without those that lie inside
    another one (a directory is mounted once, with everything under it)."""
    out: list[str] = []
    for p in sorted({os.path.realpath(p) for p in paths if p and os.path.isdir(p)}, key=len):
        if not any(p == q or p.startswith(q.rstrip(os.sep) + os.sep) for q in out):
            out.append(p)
    return out


def python_dirs() -> list[str]:
    """The Python environment the kernel needs: the venv, the base interpreter's prefix and
    the directory of the interpreter binary itself."""
    exe = os.path.realpath(sys.executable)
    return _outermost([sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(exe))])


def engine_dir() -> str | None:
    """The directory of the ``steplab`` package as this Python finds it (the repository's
    ``steplab/`` for an editable install): mounted at the same path in the sandbox."""
    import importlib.util

    spec = importlib.util.find_spec("steplab")
    locations = list(spec.submodule_search_locations or []) if spec else []
    return os.path.realpath(locations[0]) if locations else None


def bwrap_args(spec: dict, spec_path: str, isolation: str) -> list[str]:
    """The bubblewrap command line (up to ``--``) for the sandbox described by ``spec``:
    ``cwd`` (bound read-write at the same path, so the connection file's socket paths hold
    on both sides), ``expose`` (extra read-only directories), ``engine`` (the engine package
    directory seen by the venv; default :func:`engine_dir`) and ``engine_source`` (what is
    mounted there, e.g. the grading copy of :mod:`coursekit.grading_engine`; default
    ``engine``)."""
    cwd = os.path.realpath(spec["cwd"])
    args = [shutil.which("bwrap") or "bwrap"]
    if isolation == BWRAP_USERNS:
        args.append("--unshare-user")
    else:  # as root, keep only what the launcher needs to drop root
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    args += NAMESPACE_ARGS
    args += _system_binds()
    args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", TMP_BYTES,
             "--tmpfs", "/tmp", "--perms", "1777", "--size", TMP_BYTES, "--tmpfs", "/dev/shm",
             "--perms", "0755", "--tmpfs", "/run"]
    system = {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}
    ro = [d for d in _outermost([*python_dirs(), *spec.get("expose", [])])
          if d not in system and not d.startswith("/usr/")]
    engine = spec.get("engine") or engine_dir()
    if engine:
        engine = os.path.realpath(engine)
        ro = [d for d in ro if d != engine]  # the engine is mounted below, on its own
    made = {"/", "/usr", "/proc", "/dev", "/tmp", "/dev/shm", "/run"}
    for d in ro:
        args += [*_parents(d, made), "--ro-bind", d, d]
    if engine:
        args += [*_parents(engine, made), "--ro-bind", spec.get("engine_source") or engine,
                 engine]
    here = os.path.abspath(__file__)
    args += ["--perms", "0755", "--dir", INSIDE, "--ro-bind", here, f"{INSIDE}/launch.py",
             "--ro-bind", os.path.realpath(spec_path), f"{INSIDE}/spec.json",
             *_parents(cwd, made), "--bind", cwd, cwd, "--chdir", cwd]
    return args


def _parents(path: str, made: set[str]) -> list[str]:
    """``--dir`` arguments that create the missing ancestors of ``path`` as 0755 (bwrap's
    default 0700 would lock out a kernel that runs under a uid of its own)."""
    out = []
    parts = path.strip("/").split("/")[:-1]
    for i in range(1, len(parts) + 1):
        d = "/" + "/".join(parts[:i])
        if d not in made:
            made.add(d)
            out += ["--perms", "0755", "--dir", d]
    return out


def wrap_command(kernel_argv: list[str], spec_path: str, isolation: str) -> list[str]:
    """The full command that starts ``kernel_argv`` inside the sandbox described by the JSON
    file ``spec_path`` (written by the grader; see :func:`bwrap_args` and :func:`_apply`)."""
    if is_bwrap(isolation):
        with open(spec_path) as fh:
            spec = json.load(fh)
        return [*bwrap_args(spec, spec_path, isolation), "--",
                sys.executable, "-I", "-S", f"{INSIDE}/launch.py", f"{INSIDE}/spec.json",
                "--", *kernel_argv]
    return [sys.executable, "-I", "-S", os.path.abspath(__file__), spec_path, "--",
            *kernel_argv]


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                kids += [int(k) for k in fh.read().split()]
    except OSError:
        pass
    return kids


def _start_time(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return 1 << 62


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def machinery(host_pid: int) -> set[int]:
    """The processes between the grader and the kernel, and the kernel itself: what a stray
    killer must spare. ``host_pid`` is the process the grader started: the kernel itself in
    the fallback, else ``bwrap``, whose child is the namespace's init, whose oldest child is
    the kernel (later children of init are orphans the kernel left behind)."""
    if _comm(host_pid) != "bwrap":
        return set()
    out: set[int] = set()
    pid = host_pid
    for _ in range(3):  # bwrap -> bwrap (init of the PID namespace) -> kernel
        kids = _children(pid)
        if not kids:
            break
        pid = min(kids, key=_start_time)
        out.add(pid)
        if _comm(pid) != "bwrap":
            break
    return out


def _apply(spec: dict) -> None:
    import resource
    import signal

    limits = spec.get("limits", {})
    for name, key in [("as", "RLIMIT_AS"), ("nproc", "RLIMIT_NPROC"),
                      ("fsize", "RLIMIT_FSIZE"), ("cpu", "RLIMIT_CPU"),
                      ("nofile", "RLIMIT_NOFILE")]:
        value = limits.get(name)
        if value:
            resource.setrlimit(getattr(resource, key), (int(value), int(value)))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large write fails, not kills
    uid, gid = spec.get("uid"), spec.get("gid")
    if uid is not None and os.geteuid() == 0:
        os.setgroups([])
        os.setgid(int(gid if gid is not None else uid))
        os.setuid(int(uid))
    os.chdir(spec["cwd"])


def main(argv: list[str]) -> None:
    """Launcher entry point: ``sandbox.py SPEC.json -- KERNEL ARGV...``."""
    if len(argv) < 3 or argv[1] != "--":
        raise SystemExit("usage: sandbox.py SPEC.json -- KERNEL ARGV...")
    with open(argv[0]) as fh:
        spec = json.load(fh)
    _apply(spec)
    env = dict(spec["env"])
    if spec.get("engine_source") and not is_bwrap(spec.get("isolation", RLIMITS)):
        # the fallback cannot mount the grading copy of the engine: it goes first on the path
        env["PYTHONPATH"] = os.path.dirname(spec["engine_source"])
    os.execve(argv[2], argv[2:], env)


if __name__ == "__main__":
    main(sys.argv[1:])
