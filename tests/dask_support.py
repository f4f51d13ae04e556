"""A real Dask cluster on localhost for tests/test_cluster.py and benchmarks/bench_cluster.py:
one ``dask scheduler`` and N ``dask worker`` processes (``--nworkers 1 --nthreads 2`` each,
as README's "Scaling out" advises: one thread grades while the other prepares the next
submission), on 127.0.0.1 and free ports, each with its own local directory, temporary
directory (``TMPDIR``: the grading folders and kernels' working folders are below it) and
log file.

Every process is started in a session of its own; :meth:`DaskCluster.close` kills those
sessions and every process below them (grading processes and kernels included), and nothing
else.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from browser import free_port

BIN = Path(sys.executable).parent


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (found before anything is killed)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        return [pid] + [c.pid for c in proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def kill_tree(pid: int) -> None:
    """SIGKILL ``pid`` and every process below it, all at once (a machine that dies)."""
    for p in _tree(pid):
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass


class DaskCluster:
    """``dask scheduler`` + ``workers`` x ``dask worker`` (``threads`` each) under ``root``
    (logs, local and temporary directories).

    ``scheduler_env`` adds Dask settings for the scheduler, e.g.
    ``{"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"}``."""

    def __init__(self, root: Path, workers: int = 2, scheduler_env: dict | None = None,
                 threads: int = 2):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.n_workers, self.threads = workers, threads
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.scheduler_env = dict(scheduler_env or {})
        self.scheduler = None
        self.workers: list[subprocess.Popen] = []
        self._client = None

    def _env(self, extra=None) -> dict:
        env = dict(os.environ, MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
        env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
        env.update(extra or {})
        return env

    def _start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        log = open(self.root / f"{name}.log", "ab")
        return subprocess.Popen([str(BIN / "dask"), *args], stdout=log, stderr=log, env=env,
                                stdin=subprocess.DEVNULL, start_new_session=True)

    def start_scheduler(self) -> None:
        self.scheduler = self._start(
            "scheduler", ["scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                          "--no-dashboard"], self._env(self.scheduler_env))

    def start_workers(self) -> None:
        """Start ``n_workers`` workers (again, after the scheduler was restarted: Dask workers
        end when their scheduler goes away)."""
        for k in range(self.n_workers):
            tmp = self.root / f"w{k}" / "tmp"
            tmp.mkdir(parents=True, exist_ok=True)
            self.workers.append(self._start(
                f"worker{k}", ["worker", self.address, "--nworkers", "1",
                               "--nthreads", str(self.threads), "--preload", "coursekit.cluster",
                               "--no-dashboard", "--name", f"w{k}", "--local-directory",
                               str(self.root / f"w{k}")], self._env({"TMPDIR": str(tmp)})))

    def __enter__(self):
        self.start_scheduler()
        self.start_workers()
        self.wait_for_workers(self.n_workers)
        return self

    def client(self):
        """A client of this cluster for the test's own observations (not the grader's)."""
        from distributed import Client

        if self._client is None:
            self._client = Client(self.address, timeout=60, set_as_default=False)
        return self._client

    def wait_for_workers(self, n: int, timeout: float = 120.0) -> None:
        self.client().wait_for_workers(n, timeout=timeout)

    def logs(self) -> str:
        """The tail of every log (for assertion messages)."""
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                         for p in sorted(self.root.glob("*.log")))

    def running(self, flag: str = "running-*.flag") -> list[tuple[str, Path]]:
        """``(worker name, file)`` for every file matching ``flag`` in a kernel's working
        folder on any worker: a test submission whose answer writes such a file when it runs
        shows which worker is running its code *now* (not merely preparing it)."""
        return [(path.relative_to(self.root).parts[0], path)
                for path in sorted(self.root.glob(f"w*/tmp/steplab-ag-*/k-*/{flag}"))]

    def worker_pid(self, name: str) -> int | None:
        """The pid of the worker process (not its nanny) called ``name``, else None (it may
        have just been killed and not be back yet)."""
        client = self.client()
        for addr, info in client.scheduler_info()["workers"].items():
            if info.get("name") == name:
                try:
                    pid = client.run(os.getpid, workers=[addr], on_error="return").get(addr)
                except (OSError, TimeoutError):  # CommClosedError is an OSError
                    return None
                return pid if isinstance(pid, int) else None
        return None

    def stop_scheduler(self) -> None:
        """SIGKILL the scheduler (it goes away without a goodbye)."""
        if self._client is not None:
            self._client.close(timeout=2)
            self._client = None
        kill_tree(self.scheduler.pid)
        self.scheduler.wait()

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.close(timeout=2)
            except Exception:
                pass
            self._client = None
        for proc in [*self.workers, self.scheduler]:
            if proc is not None:
                kill_tree(proc.pid)
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:
                    pass
                proc.wait()

    def __exit__(self, *exc):
        self.close()


def wait_until(predicate, timeout: float, what: str, step: float = 0.1):
    """Poll ``predicate()`` until it returns a truthy value; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
