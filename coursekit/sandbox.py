"""A sandbox for the kernel that runs a student's notebook during class autograding.

Run as a script (``python -I -S sandbox.py SPEC.json -- KERNEL ARGV...``), this module is the
launcher that sits between ``jupyter_client`` and ``ipykernel``: it applies the limits and
then ``exec``s the kernel, so the limits hold for the kernel and for everything it starts.
It imports only the standard library so that it starts in a few milliseconds.

Two isolation levels, chosen by :func:`detect_isolation` (the report names the one used):

``"namespaces"`` (root on Linux with ``unshare``; what this course's CI and graders use)
    ``unshare --net --mount --pid --fork --kill-child --mount-proc`` gives the kernel its own
    network namespace (only a loopback device that is down: no network at all; the kernel
    talks to the grader over Unix sockets, ``transport="ipc"``), its own mount namespace (the
    course directory, ``/tmp``, ``/dev/shm``, ``/var/tmp``, ``/root`` and ``/home`` are covered
    by empty read-only-for-others tmpfs; only the Python environment, the ``steplab`` package
    and the kernel's own working directory are mounted back), and its own PID namespace
    (killing the kernel kills every process it forked). The kernel then drops root and runs
    under a uid of its own (one per worker, so one student's fork bomb cannot starve another
    student's kernel of processes).

``"rlimits"`` (not root, or no ``unshare``)
    Only the resource limits, a Python-level block of IPv4/IPv6 sockets and of process
    creation (IPython startup files). The kernel can still read files the grader's user can
    read, and ``ctypes`` can get around the Python-level blocks.

Limits (``resource.setrlimit`` in the kernel process, inherited by its children):
``RLIMIT_AS`` (memory; a memory bomb gets ``MemoryError``), ``RLIMIT_NPROC`` (processes and
threads of the kernel's uid; a fork bomb gets ``BlockingIOError``), ``RLIMIT_FSIZE`` (largest
file; ``SIGXFSZ`` is ignored so a write past it fails with ``OSError: File too large``),
``RLIMIT_CPU`` (CPU seconds; the kernel is killed past it) and ``RLIMIT_NOFILE``.
The wall-clock limit is enforced by the grader (:mod:`coursekit.autograde`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

UNSHARE_ARGS = ["--net", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc",
                "--propagation", "private"]

# mount(2) flags (linux/fs.h)
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_BIND, MS_REC = 1, 2, 4, 4096, 16384

# The Python-level network block used when there is no network namespace. It also runs in
# namespace mode (harmless there). Only IPv4/IPv6 sockets are refused: the kernel's own
# ZeroMQ channels are Unix sockets created in C and are not affected.
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


# Used only without namespaces: a Python-level block of process creation. RLIMIT_NPROC does
# not bind root (the kernel exempts uid 0), so without a uid of its own the kernel needs this.
# ctypes can get around it; the report says which sandbox was used.
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


def detect_isolation() -> str:
    """Return ``"namespaces"`` when this process can run a kernel in its own network, mount
    and PID namespaces (root and a working ``unshare``), else ``"rlimits"``.

    ``STEPLAB_SANDBOX=rlimits`` forces the fallback. Nothing from the book: this is grading
    infrastructure (see the module docstring)."""
    forced = os.environ.get("STEPLAB_SANDBOX", "")
    if forced in ("rlimits", "namespaces"):
        return forced  # for testing the fallback, or to insist on namespaces
    if sys.platform != "linux" or os.geteuid() != 0 or shutil.which("unshare") is None:
        return "rlimits"
    try:
        done = subprocess.run(["unshare", *UNSHARE_ARGS, "true"], capture_output=True,
                              timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "rlimits"
    return "namespaces" if done.returncode == 0 else "rlimits"


def wrap_command(kernel_argv: list[str], spec_path: str, isolation: str) -> list[str]:
    """The full command that starts ``kernel_argv`` inside the sandbox described by the JSON
    file ``spec_path`` (written by the grader; see :func:`_apply`)."""
    launcher = [sys.executable, "-I", "-S", os.path.abspath(__file__), spec_path, "--",
                *kernel_argv]
    if isolation == "namespaces":
        return [shutil.which("unshare") or "unshare", *UNSHARE_ARGS, *launcher]
    return launcher


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None):
    import ctypes
    import ctypes.util

    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    rc = libc.mount(source.encode(), target.encode(),
                    fstype.encode() if fstype else None, flags,
                    data.encode() if data else None)
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {source} on {target}: {os.strerror(err)}")


def _hide_files(spec: dict) -> None:
    """Cover every ``hide`` directory with an empty tmpfs, then bind-mount back the ``expose``
    directories (and the kernel's working directory) that lie inside a hidden one."""
    hide = []
    for p in sorted({os.path.realpath(p) for p in spec.get("hide", []) if os.path.isdir(p)},
                    key=len):
        if not any(p == h or p.startswith(h + os.sep) for h in hide):
            hide.append(p)  # a folder inside a hidden one is hidden already
    keep = [os.path.realpath(p) for p in [*spec.get("expose", []), spec["cwd"]]
            if os.path.isdir(p)]
    fds = {p: os.open(p, os.O_PATH | os.O_DIRECTORY) for p in keep}
    for h in hide:
        mode = "1777" if h in ("/tmp", "/var/tmp", "/dev/shm") else "0755"
        _mount("tmpfs", h, "tmpfs", MS_NOSUID | MS_NODEV, f"mode={mode},size=64m")
    for p in sorted(keep, key=len):
        if any(p == h or p.startswith(h + os.sep) for h in hide):
            os.makedirs(p, exist_ok=True)
            _mount(f"/proc/self/fd/{fds[p]}", p, None, MS_BIND | MS_REC, None)
    for fd in fds.values():
        os.close(fd)


def _apply(spec: dict) -> None:
    import resource
    import signal

    if spec.get("isolation") == "namespaces":
        _hide_files(spec)
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
    os.execve(argv[2], argv[2:], spec["env"])


if __name__ == "__main__":
    main(sys.argv[1:])
