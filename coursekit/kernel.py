"""The sandboxed kernel session of one student's notebook: start, execute cell by cell with
time, memory, process and output limits, restart after a hang or a crash, and the notes that
explain a limit hit (part of the class autograde, :mod:`coursekit.autograde`)."""

from __future__ import annotations

import copy
import functools
import json
import math
import os
import re
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from nbformat import NotebookNode

from . import sandbox


@dataclass(frozen=True)
class Limits:
    """Sandbox limits for one student's notebook (see :mod:`coursekit.sandbox`)."""

    cell_timeout: float = 30.0      # wall clock per cell, s
    timeout: float = 180.0          # wall clock per notebook, s
    memory_mb: int = 1536           # RLIMIT_AS of the kernel
    nproc: int = 48                 # RLIMIT_NPROC (processes + threads) of the kernel's uid
    fsize_mb: int = 64              # RLIMIT_FSIZE
    nofile: int = 256               # RLIMIT_NOFILE
    output_kb: int = 100            # text output kept per cell
    image_kb: int = 1024            # largest image kept in an output
    startup_timeout: float = 60.0

    def describe(self) -> str:
        """One line for logs and reports."""
        return (f"{self.cell_timeout:g} s per cell, {self.timeout:g} s per notebook, "
                f"{self.memory_mb} MiB memory, {self.nproc} processes/threads, "
                f"{self.fsize_mb} MiB per file, no network")


# --------------------------------------------------------------------- execution

def _ansi_free(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tasks:
            try:
                with open(f"/proc/{p}/task/{t}/children") as fh:
                    kids = [int(x) for x in fh.read().split()]
            except OSError:
                kids = []
            out.extend(kids)
            todo.extend(kids)
    return out


def _kill_strays(kernel_host_pid: int | None) -> int:
    """Stop (SIGSTOP, so they cannot fork again) and then kill every process the kernel
    forked; the kernel itself survives. Returns how many were killed."""
    if not kernel_host_pid:
        return 0
    stopped: set[int] = set()
    skip = set()
    for _ in range(200):
        kids = _descendants(kernel_host_pid)
        skip |= sandbox.machinery(kernel_host_pid)  # bwrap, its init and the kernel
        new = [k for k in kids if k not in skip and k not in stopped]
        if not new:
            break
        for k in new:
            try:
                os.kill(k, signal.SIGSTOP)
            except OSError:
                pass
            stopped.add(k)
    for k in stopped:
        try:
            os.kill(k, signal.SIGKILL)
        except OSError:
            pass
    return len(stopped)


def _record_reply(replies: dict, cell=None, cell_index=None, execute_reply=None, **_):
    replies[cell_index] = execute_reply


class KernelStartError(RuntimeError):
    """The grader could not start a sandboxed kernel (a grading failure, not the student's)."""


@dataclass
class CellRun:
    """What happened when one cell ran."""

    ran: bool = False
    status: str | None = None       # "ok" | "error" | None
    ename: str | None = None
    evalue: str | None = None
    events: list[str] = field(default_factory=list)
    stderr: bool = False


def _make_client_class():
    from nbclient import NotebookClient

    class CappedClient(NotebookClient):
        """nbclient with per-cell output caps (10^7 lines, huge images)."""

        def __init__(self, *a, caps=(100, 1024), **kw):
            super().__init__(*a, **kw)
            self._caps = caps
            self._sizes: dict[int, int] = {}
            self.capped: dict[int, list[str]] = {}

        def output(self, outs, msg, display_id, cell_index):
            content = msg.get("content", {})
            mtype = msg.get("msg_type")
            text_kb, image_kb = self._caps
            if mtype == "stream":
                n = len(content.get("text", ""))
                used = self._sizes.get(cell_index, 0)
                self._sizes[cell_index] = used + n
                if used + n > text_kb * 1024:
                    note = f"output beyond {text_kb} kB was dropped"
                    if note not in self.capped.setdefault(cell_index, []):
                        self.capped[cell_index].append(note)
                        msg = copy.deepcopy(msg)
                        msg["content"]["text"] = content.get("text", "")[
                            : max(0, text_kb * 1024 - used)] + f"\n[... {note} ...]\n"
                        return super().output(outs, msg, display_id, cell_index)
                    return None
            if mtype in ("display_data", "execute_result", "update_display_data"):
                data = content.get("data", {})
                big = [k for k, v in data.items()
                       if k.startswith("image/") and len(str(v)) * 3 / 4 > image_kb * 1024]
                if big or sum(len(str(v)) for v in data.values()) > 4 * image_kb * 1024:
                    size = sum(len(str(v)) for v in data.values()) * 3 / 4 / 2**20
                    note = f"an output of {size:.1f} MB was left out (limit {image_kb} kB)"
                    self.capped.setdefault(cell_index, []).append(note)
                    msg = copy.deepcopy(msg)
                    msg["content"]["data"] = {"text/plain": f"[{note}]"}
            return super().output(outs, msg, display_id, cell_index)

    return CappedClient


class _KernelSession:
    """A sandboxed kernel with a working directory that holds only the student's files."""

    def __init__(self, kdir: Path, limits: Limits, isolation: str, uid: int | None,
                 expose: list[str], engine_source: str | None = None):
        self.kdir, self.limits, self.isolation = kdir, limits, isolation
        self.uid, self.expose = uid, expose
        self.engine_source = engine_source  # the grading copy of steplab (grading_engine)

    def kernel_manager(self):
        from jupyter_client.manager import AsyncKernelManager

        spec_path = str(self.kdir.parent / "sandbox.json")
        env = {
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
            "HOME": str(self.kdir), "IPYTHONDIR": str(self.kdir / ".ipython"),
            "MPLCONFIGDIR": str(self.kdir / ".mpl"), "TMPDIR": "/tmp", "LANG": "C.UTF-8",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1", "PYTHONDONTWRITEBYTECODE": "1",
        }
        lim = self.limits
        spec = {"isolation": self.isolation, "cwd": str(self.kdir), "env": env,
                "expose": self.expose, "uid": self.uid, "gid": self.uid,
                "engine_source": self.engine_source,
                "limits": {"as": lim.memory_mb * 2**20, "nproc": lim.nproc,
                           "fsize": lim.fsize_mb * 2**20, "nofile": lim.nofile,
                           "cpu": int(lim.timeout + 30)}}
        Path(spec_path).write_text(json.dumps(spec))
        isolation = self.isolation
        uid = self.uid

        class SandboxedKernelManager(AsyncKernelManager):
            def format_kernel_cmd(self, extra_arguments=None):
                argv = [sys.executable, "-m", "ipykernel_launcher", "-f",
                        self.connection_file, "--HistoryManager.enabled=False"]
                return sandbox.wrap_command(argv, spec_path, isolation)

            def write_connection_file(self, **kw):
                super().write_connection_file(**kw)
                if uid is not None and os.geteuid() == 0:
                    os.chown(self.connection_file, uid, uid)

        km = SandboxedKernelManager(kernel_name="python3", transport="ipc",
                                    ip=str(self.kdir / "ipc"),
                                    connection_file=str(self.kdir / "kernel.json"))
        return km


def _prepare_kernel_dir(kdir: Path, nb_name: str, uid: int | None, extra_files: dict,
                        isolation: str = "namespaces"):
    kdir.mkdir(parents=True, exist_ok=True)
    startup = kdir / ".ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-steplab-no-network.py").write_text(sandbox.SOCKET_BLOCK)
    if not sandbox.is_bwrap(isolation):
        (startup / "01-steplab-no-processes.py").write_text(sandbox.FORK_BLOCK)
    (kdir / ".mpl").mkdir(exist_ok=True)
    for rel, src in extra_files.items():
        dst = kdir / rel
        if ".." in Path(rel).parts or dst.exists():
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copyfile(src, dst)
        except OSError:
            pass
    if uid is not None and os.geteuid() == 0:
        for root, _dirs, files in os.walk(kdir):
            os.chown(root, uid, uid)
            for f in files:
                os.chown(os.path.join(root, f), uid, uid)
    os.chmod(kdir, 0o755)


def warmup_code(nb: NotebookNode) -> str:
    """Code that imports, in a kernel started ahead of time, the modules the notebook's own
    (locked, non-answer) cells import, and draws one tiny figure when it uses matplotlib, so
    that this work is done before the submission's turn. It defines no names (it runs in a
    function) and prints nothing; a module that fails to import is skipped."""
    import ast

    mods: list[str] = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or meta.get("solution"):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                mods.append(node.module)  # and the names, where they are submodules
                mods += [f"{node.module}.{a.name}" for a in node.names if a.name != "*"]
    mods = list(dict.fromkeys(mods))
    draw = any(m == "matplotlib" or m.startswith("matplotlib.") for m in mods)
    return (
        "def __steplab_warm(mods, draw):\n"
        "    import importlib\n"
        "    for m in mods:\n"
        "        try:\n"
        "            importlib.import_module(m)\n"
        "        except BaseException:\n"
        "            pass\n"
        "    if draw:\n"
        "        import io\n"
        "        import matplotlib.pyplot as plt\n"
        "        fig, ax = plt.subplots(figsize=(1, 1))\n"
        "        ax.plot([0, 1], [0, 1], label='0')\n"
        "        ax.legend()\n"
        "        fig.savefig(io.BytesIO(), format='png')\n"
        "        plt.close(fig)\n"
        f"__steplab_warm({mods!r}, {draw!r})\n"
        "del __steplab_warm\n")


async def _warm_up(client, code: str, timeout: float) -> None:
    """Run ``code`` silently (no execution count, no history, outputs not kept)."""
    msg_id = client.kc.execute(code, silent=True, store_history=False)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            reply = await client.kc.get_shell_msg(timeout=max(0.1, end - time.monotonic()))
        except Exception:  # no reply in time (queue.Empty) or the kernel went away: the
            return         # cells that follow find out and say so
        if reply.get("parent_header", {}).get("msg_id") == msg_id:
            return


async def _execute(nb: NotebookNode, session: _KernelSession, limits: Limits,
                   gate=None, warmup: str | None = None) -> tuple[list[CellRun], list[str]]:
    """Run every code cell; on a timeout or a dead kernel, start a new kernel, replay the
    cells that had run (outputs discarded) and go on. Returns per-cell runs and events.

    ``gate`` (a blocking callable) lets the kernel start ahead of its turn: the first kernel
    starts and runs ``warmup`` (:func:`warmup_code`), then ``gate()`` waits until a worker
    slot is free; the notebook's time limit counts from then."""
    import asyncio

    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    Client = _make_client_class()
    runs = [CellRun() for _ in nb.cells]
    general: list[str] = []
    deadline = time.monotonic() + limits.timeout
    code_idx = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    pos = 0
    replay: list[int] = []
    restarts = 0
    while pos < len(code_idx):
        km = session.kernel_manager()
        client = Client(nb, km=km, timeout=limits.cell_timeout, allow_errors=True,
                        startup_timeout=limits.startup_timeout, kernel_name="python3",
                        resources={"metadata": {"path": str(session.kdir)}},
                        record_timing=False,
                        caps=(limits.output_kb, limits.image_kb))
        replies: dict[int, dict] = {}
        client.on_cell_executed = functools.partial(_record_reply, replies)
        failed = None
        started = False
        log_path = session.kdir.parent / f"{session.kdir.name}-kernel.log"
        log_fh = open(log_path, "ab")
        try:
            async with client.async_setup_kernel(stdout=log_fh, stderr=log_fh):
                started = True
                host_pid = getattr(getattr(km, "provisioner", None), "pid", None)
                pidfile = os.environ.get("STEPLAB_KERNEL_PIDFILE")
                if pidfile and host_pid:  # lets the parent stop it if this worker hangs
                    with open(pidfile, "a") as fh:
                        fh.write(f"{host_pid}\n")
                if warmup:
                    await _warm_up(client, warmup, limits.startup_timeout)
                    warmup = None
                if gate is not None:
                    await asyncio.get_running_loop().run_in_executor(None, gate)
                    gate = None
                    deadline = time.monotonic() + limits.timeout
                for i in replay:  # state lost at a restart: run earlier cells again
                    scratch = copy.deepcopy(nb.cells[i])
                    budget = min(limits.cell_timeout, deadline - time.monotonic())
                    if budget <= 0:
                        raise CellTimeoutError("notebook time limit")
                    client.timeout = math.ceil(budget)  # nbclient takes whole seconds
                    await client.async_execute_cell(scratch, i)
                    _kill_strays(host_pid)
                while pos < len(code_idx):
                    i = code_idx[pos]
                    budget = min(limits.cell_timeout, deadline - time.monotonic())
                    if budget <= 0:
                        failed = ("notebook-timeout", i)
                        break
                    client.timeout = math.ceil(budget)  # nbclient takes whole seconds
                    cell = nb.cells[i]
                    cell.outputs = []
                    runs[i].ran = True
                    try:
                        try:
                            await client.async_execute_cell(cell, i)
                        finally:
                            for note in client.capped.get(i, []):
                                runs[i].events.append(f"Output limit: {note}.")
                    except CellTimeoutError:
                        stray = _kill_strays(host_pid)
                        if stray:
                            runs[i].events.append(
                                f"Process limit: this cell started {stray} process(es) "
                                f"(at most {limits.nproc} processes and threads may run); "
                                "they were stopped.")
                        whole = budget < limits.cell_timeout
                        runs[i].events.append(
                            f"Time limit: this cell was stopped after {budget:.0f} s (the "
                            + ("whole notebook may run for " + f"{limits.timeout:g} s)."
                               if whole else f"limit is {limits.cell_timeout:g} s per cell). "
                               "Check that every loop ends."))
                        runs[i].status = "error"
                        runs[i].ename = "TimeoutError"
                        failed = ("timeout", i)
                        break
                    except DeadKernelError:
                        runs[i].events.append(
                            "The Python process running your notebook stopped while this "
                            "cell ran (for example os._exit(), a crash, or the CPU time "
                            "limit); it was restarted, and the cells before this one were "
                            "run again.")
                        runs[i].status = "error"
                        runs[i].ename = "DeadKernel"
                        failed = ("died", i)
                        break
                    reply = replies.get(i, {}).get("content", {})
                    runs[i].status = reply.get("status", "error")
                    if runs[i].status == "error":
                        runs[i].ename = reply.get("ename")
                        runs[i].evalue = reply.get("evalue")
                    stray = _kill_strays(host_pid)
                    if stray:
                        runs[i].events.append(
                            f"Process limit: this cell started {stray} process(es) (at most "
                            f"{limits.nproc} processes and threads may run); they were "
                            "stopped and "
                            "the kernel was restarted (the cells before this one were run "
                            "again, this one was not).")
                        failed = ("strays", i)
                        break
                    pos += 1
                    replay.append(i)
        except Exception as exc:
            if not started:
                log_fh.flush()
                tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
                raise KernelStartError(f"the sandboxed kernel did not start "
                                       f"({type(exc).__name__}: {exc}; kernel log: "
                                       f"{' | '.join(tail)})") from None
            if failed is None:  # e.g. a replayed cell timed out or killed the kernel
                failed = ("notebook-timeout", code_idx[pos] if pos < len(code_idx) else -1)
        finally:
            try:
                await km.shutdown_kernel(now=True)
            except Exception:
                pass
            try:
                client.kc.stop_channels()
            except Exception:
                pass
            log_fh.close()
        if failed is None:
            break
        kind, i = failed
        if kind == "notebook-timeout":
            general.append(f"Time limit: the notebook may run for {limits.timeout:g} s in "
                           "total; the cells after that were not run (0 points for their "
                           "tests).")
            break
        restarts += 1
        if restarts > 5:
            general.append("The kernel was restarted 5 times; the remaining cells were not "
                           "run.")
            break
        pos += 1  # skip the cell that hung or killed the kernel
    for i, r in enumerate(runs):
        if not r.ran and nb.cells[i].cell_type == "code":
            r.events.append("Not run (see the time limit note above).")
        for out in nb.cells[i].get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                r.stderr = True
            if out.get("output_type") == "error" and r.status != "error":
                r.status, r.ename, r.evalue = "error", out.get("ename"), out.get("evalue")
    return runs, general


# ----------------------------------------------------------------------- grading

def _limit_note(run: CellRun, limits: Limits) -> str | None:
    text = f"{run.ename}: {run.evalue}"
    if run.ename == "MemoryError":
        return (f"Memory limit: this cell ran out of memory (the limit is "
                f"{limits.memory_mb} MiB).")
    if run.ename == "BlockingIOError" or "Resource temporarily unavailable" in text:
        return (f"Process limit: the code tried to start more processes or threads than "
                f"allowed ({limits.nproc}).")
    if "File too large" in text or "Errno 27" in text:
        return f"File size limit: a file may not exceed {limits.fsize_mb} MiB."
    if "network access is disabled" in text or "Network is unreachable" in text \
            or "Errno 101" in text:
        return "No network: code being graded cannot use the network."
    if run.ename == "SystemExit":
        return "The code called sys.exit(); in a notebook that only stops the cell."
    return None
