"""Grade a class on a Dask cluster (``python -m coursekit autograde <a> --scheduler
tcp://host:8786``; README, "Scaling out").

Every submission becomes one Dask task. The task carries everything the grader needs: the
grading templates (built by the parent from ``source/``, hidden tests included), the student's
files and the release files, as bytes. A worker therefore needs no course files at all, only
the same Python environment (``requirements.lock`` + this package) and the sandbox's tools.
On the worker the task writes the files into a private temporary course, grades them with
the same code and limits as a single machine (one forked grading process per submission,
:func:`coursekit.grade.grade_submission` in the sandbox; half the worker's threads grade,
the others' submissions prepare their kernels meanwhile, :func:`grade_forked`), and sends
back the scores with the autograded notebook and the feedback page. The parent is the only
writer of the course and of the gradebook: it merges each result as it arrives
(``as_completed``), with the same progress bar, summary, report and exit codes as a local
run.

Faults:

* a worker that dies mid-run: the scheduler gives its submission to another worker; the
  parent receives exactly one result per submission, and merging replaces a student's
  automatic scores (keyed by student and cell), so nothing is lost or counted twice;
* a submission that keeps killing workers: the scheduler gives a task up (``KilledWorker``)
  after workers died more than ``distributed.scheduler.allowed-failures`` times (default 3)
  while it was on them, counting the tasks that only waited or prepared beside the culprit;
  so every task given up is graded again at the end, alone on the cluster, and only one that
  kills workers alone too is reported as failed, scores unchanged; the rest of the class is
  graded;
* the scheduler going away: the run stops with :class:`SchedulerLost` (the command line
  exits with code 3); everything merged so far stays merged. Restart the scheduler and its
  workers and run the same command again: students whose automatic grades are already in the
  gradebook *for the same submission timestamp* are skipped (``--regrade`` grades them again;
  a submission without a timestamp, e.g. from ``--zip``, is always graded).

``distributed`` is imported only here, and only when a scheduler is given.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import os
import shutil
import signal
import tempfile
import threading
import time
import uuid
from pathlib import Path

#: exit code of ``python -m coursekit autograde`` when the scheduler went away mid-run
EXIT_SCHEDULER_LOST = 3


class SchedulerLost(RuntimeError):
    """The Dask scheduler went away during the run (what was merged stays merged)."""

    exit_code = EXIT_SCHEDULER_LOST


# ------------------------------------------------------------------ both sides

@functools.cache
def code_fingerprint() -> str:
    """A hash of the grader's and the engine's source (``coursekit/`` and ``steplab/``): the
    parent and every worker must grade with the same code."""
    h = hashlib.sha256()
    for pkg in ("coursekit", "steplab"):
        root = Path(__file__).resolve().parents[1] / pkg
        for path in sorted(root.rglob("*.py")):
            h.update(str(path.relative_to(root.parent)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


# ------------------------------------------------------------------- worker side

#: what grading a submission imports, loaded once per worker process before it forks its
#: grading processes (else every forked process would import them again, seconds each)
WARM_MODULES = ["coursekit.grade", "coursekit.pool", "coursekit.sandbox", "nbgrader.preprocessors",
                "nbgrader.utils", "nbclient", "nbclient.exceptions", "jupyter_client.manager",
                "mistune", "matplotlib"]


@functools.cache
def _worker_environment() -> tuple[str, tuple[str, ...]]:
    """This worker's sandbox level and matplotlib font cache, found once per process, after
    importing :data:`WARM_MODULES`."""
    import importlib

    for name in WARM_MODULES:
        importlib.import_module(name)
    from . import pool, sandbox

    return sandbox.detect_isolation(), tuple(pool._matplotlib_font_cache())


def dask_setup(worker=None) -> None:
    """``dask worker --preload coursekit.cluster`` runs this at start: the grader's imports
    and the sandbox check happen before the first task instead of during it."""
    _worker_environment()


def _write_inputs(folder: Path, files: dict[str, bytes]) -> dict[str, str]:
    """Write ``{relative path: bytes}`` below ``folder``; returns ``{relative path: file}``."""
    paths = {}
    for k, (rel, data) in enumerate(sorted(files.items())):
        path = folder / f"{k:04d}" / Path(rel).name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths[rel] = str(path)
    return paths


class _Forked:
    """A forked child as the local pool's ``_kill_worker`` expects it (``pid``, ``join``)."""

    def __init__(self, pid: int):
        self.pid, self.status = pid, None

    def poll(self) -> bool:
        """True once the child has exited (and is reaped)."""
        if self.status is None:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.status = status
        return self.status is not None

    def join(self) -> None:
        if self.status is None:
            self.status = os.waitpid(self.pid, 0)[1]

    @property
    def exitcode(self):
        return None if self.status is None else os.waitstatus_to_exitcode(self.status)


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when the worker thread that forked it goes away (a
    killed worker must not leave its grading process behind)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


_TURN_LOCK = threading.Lock()
_TURNS: list = []  # this worker process's turn semaphore, made on first use


def _turns() -> threading.Semaphore:
    """How many submissions this worker process grades at once: half its Dask threads
    (rounded up). The other threads' tasks start their kernels meanwhile and wait for a turn,
    as the local pool's workers prepared ahead do; with ``--nthreads 1`` nothing is prepared
    ahead."""
    with _TURN_LOCK:
        if not _TURNS:
            _TURNS.append(threading.Semaphore(max(1, math.ceil(_worker_threads() / 2))))
        return _TURNS[0]


def _worker_threads() -> int:
    """The Dask worker's thread count (``--nthreads``), 1 outside a Dask task."""
    try:
        from distributed import get_worker

        return get_worker().state.nthreads
    except (ImportError, ValueError, AttributeError):  # not in a Dask worker
        return 1


class _PipeTurn:
    """The grading process's side of its turn: ``wait()`` returns once the worker thread
    writes a byte; when the thread goes away first (end of file), the process ends."""

    def __init__(self, fd: int):
        self.fd = fd

    def wait(self) -> None:
        if not os.read(self.fd, 1):
            os._exit(75)


def grade_forked(job, tmp: Path) -> dict:
    """Grade ``job`` in a forked process, exactly as the local pool does (the same
    ``_worker_main``: own session, memory cap, sandboxed kernel, hard time limit), but with
    ``os.fork`` because a Dask worker is a daemonic process that ``multiprocessing`` may not
    fork from. The process starts at once and prepares (its kernel starts and imports what
    the notebook imports); its cells run when this worker process has a free turn
    (:func:`_turns`), and the hard time limit counts from then."""
    from . import grade, pool

    path = str(tmp / "result.json")
    turn_r, turn_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the grading process
        try:
            os.close(turn_w)
            _die_with_parent()
            grade._worker_main(job, path, _PipeTurn(turn_r))
        finally:
            os._exit(70)
    os.close(turn_r)
    child = _Forked(pid)
    hard = job.limits.timeout * 2 + job.limits.startup_timeout * 3 + 60  # as the local pool
    try:
        with _turns():
            try:
                os.write(turn_w, b"t")  # the grading process's turn: its cells may run now
            except BrokenPipeError:  # it ended while preparing; its result says why
                pass
            deadline = time.monotonic() + hard
            while not child.poll():
                if time.monotonic() > deadline:
                    pool._kill_worker(child, path)
                    break
                time.sleep(0.02)
    except BaseException:
        pool._kill_worker(child, path)
        raise
    finally:
        os.close(turn_w)
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return _failed(job, f"the grading worker crashed (exit code {child.exitcode})")


def grade_task(job, files: dict[str, bytes], release_files: dict[str, bytes],
               fingerprint: str) -> dict:
    """The Dask task: grade one submission on this worker and return its result (the dict of
    :func:`coursekit.grade.grade_submission`) plus ``"outputs"``, the autograded notebook
    and the feedback page as ``{path relative to the course: text}``."""
    if fingerprint != code_fingerprint():
        raise RuntimeError(
            f"this worker's grader code (fingerprint {code_fingerprint()}) differs from the "
            f"parent's ({fingerprint}): install the same commit of the course on every worker")
    isolation, mpl_cache = _worker_environment()
    tmp = Path(tempfile.mkdtemp(prefix="steplab-dask-"))
    try:
        course = tmp / "course"
        course.mkdir()
        local = dataclasses.replace(
            job, course=str(course), isolation=isolation, mpl_cache=list(mpl_cache),
            files=_write_inputs(tmp / "submission", files),
            release_files=_write_inputs(tmp / "release", release_files))
        res = grade_forked(local, tmp)
        outputs = {}
        for sub in ("autograded", "feedback"):
            for path in sorted((course / sub).rglob("*")):
                if path.is_file():
                    outputs[str(path.relative_to(course))] = path.read_text(encoding="utf-8")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if isolation != job.isolation:
        res["problems"].append(f"graded on a worker whose sandbox is '{isolation}' (this "
                               f"machine's is '{job.isolation}')")
    res["outputs"] = outputs
    return res


# ------------------------------------------------------------------- parent side

def _failed(job, problem: str) -> dict:
    """The result of a submission the cluster could not grade (scores left unchanged)."""
    return {"student": job.student, "timestamp": job.timestamp, "notebooks": {}, "flags": [],
            "status": "failed", "problems": [problem]}


def write_outputs(course: Path, outputs: dict[str, str]) -> None:
    """Write a worker's autograded notebook and feedback page into the course (atomically;
    only below ``autograded/`` and ``feedback/``)."""
    from .grade import _atomic_write

    for rel, text in outputs.items():
        path = (course / rel).resolve()
        if not any(path.is_relative_to(course / sub) for sub in ("autograded", "feedback")):
            raise ValueError(f"a worker sent a file outside autograded/ and feedback/: {rel}")
        _atomic_write(path, text)


def already_graded(db_url: str, assignment: str, jobs: list) -> set[str]:
    """Students whose automatic grades are in the gradebook for the same submission timestamp
    as now (a rerun after an interrupted run skips them). Submissions without a timestamp
    are never skipped."""
    from nbgrader.api import (
        Assignment,
        Grade,
        Gradebook,
        SubmittedAssignment,
        SubmittedNotebook,
    )
    from nbgrader.utils import parse_utc

    if db_url.startswith("sqlite:///") and not Path(db_url[len("sqlite:///"):]).is_file():
        return set()
    with Gradebook(db_url) as gb:  # one query, not one per student
        stamps = {student: parse_utc(stamp) for student, stamp in (
            gb.db.query(SubmittedAssignment.student_id, SubmittedAssignment.timestamp)
            .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
            .join(SubmittedNotebook, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
            .join(Grade, Grade.notebook_id == SubmittedNotebook.id)
            .filter(Assignment.name == assignment, SubmittedAssignment.timestamp.isnot(None),
                    Grade.auto_score.isnot(None))
            .distinct())}
    return {j.student for j in jobs
            if j.timestamp and stamps.get(j.student) is not None
            and _same_time(parse_utc(j.timestamp), stamps[j.student])}


def _same_time(a, b) -> bool:
    """Equal instants (nbgrader stores naive UTC datetimes)."""
    from datetime import timezone

    def utc(t):
        return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)

    return utc(a) == utc(b)


def connect(scheduler: str):
    """A ``distributed.Client`` for ``scheduler``; ValueError (exit code 2) when it cannot be
    reached within Dask's ``distributed.comm.timeouts.connect`` (30 s unless configured, e.g.
    ``DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=10s``)."""
    try:
        from distributed import Client
    except ImportError:
        raise ValueError("--scheduler needs the 'distributed' package: install the course "
                         "with `make venv` (it installs requirements.lock, which has it) or "
                         "`pip install distributed`") from None
    try:
        return Client(scheduler, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ValueError(f"cannot reach the Dask scheduler at {scheduler} ({exc}): start it "
                         "(`dask scheduler`) and its workers (`dask worker "
                         f"{scheduler}`), or check the address") from None


def grade_on_cluster(jobs: list, scheduler: str, *, course: Path, assignment: str,
                     db_url: str, progress: bool = True, regrade: bool = False,
                     on_started=None, on_result=None, log=print,
                     max_in_flight: int | None = None) -> list[dict]:
    """Grade ``jobs`` (:class:`coursekit.grade.Job`) as Dask tasks on ``scheduler``. Like
    the local pool it calls ``on_started()`` once the first tasks are out and ``on_result(res)``
    for each submission as it finishes, and returns the results (in finishing order).

    At most ``max_in_flight`` tasks (default: 4 per worker thread, at least 64) are on the
    scheduler at a time, so that a class of thousands never sits in its memory at once.

    The scheduler gives up a task (``KilledWorker``) when workers died ``allowed-failures``
    + 1 times while it was *on* them, grading or waiting beside the one that was; so a task
    given up may be innocent. Those are graded again at the end, one at a time with nothing
    else on the cluster: only a submission that kills workers when it is alone is reported
    as failed. Raises :class:`SchedulerLost` when the scheduler goes away, ValueError when it
    cannot be reached at the start."""
    from tqdm import tqdm

    course = Path(course).resolve()
    if not regrade and jobs:
        done = already_graded(db_url, assignment, jobs)
        if done:
            log(f"skipping {len(done)} student(s) already graded for the same submission "
                "(--regrade grades them again)")
            jobs = [j for j in jobs if j.student not in done]
    client = connect(scheduler)
    from distributed import KilledWorker, as_completed

    results: list[dict] = []
    try:
        threads = sum(client.nthreads().values())
        log(f"cluster: {scheduler}, {len(client.nthreads())} worker(s), {threads} thread(s)"
            + ("" if threads else "; waiting for workers to join"))
        release = {rel: Path(p).read_bytes() for rel, p in jobs[0].release_files.items()} \
            if jobs else {}
        fingerprint = code_fingerprint()
        run_id = uuid.uuid4().hex[:8]
        pending = list(jobs)
        suspects: list = []  # given up by the scheduler while sharing workers: graded alone
        by_key = {}

        def submit(job, alone: bool = False):
            files = {rel: Path(p).read_bytes() for rel, p in job.files.items()}
            shipped = dataclasses.replace(job, files={}, release_files={}, mpl_cache=[],
                                          course="")
            key = f"grade-{assignment}-{job.student}-{run_id}" + ("-alone" if alone else "")
            fut = client.submit(grade_task, shipped, files, release, fingerprint, key=key,
                                pure=False)
            by_key[fut.key] = (job, alone)
            return fut

        window = max_in_flight or max(64, 4 * threads)
        ac = as_completed([submit(pending.pop(0)) for _ in range(min(window, len(pending)))],
                          loop=client.loop)
        if on_started is not None:
            on_started()
        bar = tqdm(total=len(jobs), unit="submission", disable=not progress,
                   dynamic_ncols=True, desc="autograde")
        try:
            for fut in ac:
                job, alone = by_key.pop(fut.key)
                res = _collect(fut, job, client, scheduler, results, len(jobs),
                               KilledWorker, alone)
                fut.release()
                if res is None:
                    log(f"{job.student}: Dask workers died while its task was on them, "
                        "past the scheduler's allowed-failures; graded again alone at the "
                        "end, to tell whether it is the cause")
                    suspects.append(job)
                else:
                    if res.get("outputs"):
                        write_outputs(course, res.pop("outputs"))
                    results.append(res)
                    if on_result is not None:
                        on_result(res)
                    bar.update(1)
                    bar.set_postfix_str(job.student[:20])
                if pending or (suspects and ac.is_empty()):
                    if client.status != "running":  # the scheduler went away just now
                        raise _lost(scheduler, len(results), len(jobs))
                    ac.add(submit(pending.pop(0)) if pending else
                           submit(suspects.pop(0), alone=True))
        finally:
            bar.close()
    finally:
        client.close(timeout=5)
    return results


def _lost(scheduler: str, done: int, total: int) -> SchedulerLost:
    return SchedulerLost(
        f"the Dask scheduler at {scheduler} went away after {done} of {total} "
        "submission(s) came back; the grades among them are merged into the gradebook and "
        "stay there. Restart the scheduler and its workers, then run the same command "
        "again: students already graded for the same submission are skipped (--regrade "
        "grades them again).")


def _collect(fut, job, client, scheduler, results, total, KilledWorker,
             alone: bool = True) -> dict | None:
    """The result of one finished future, or a failed result saying why; None when the
    scheduler gave the task up (workers died while it was on them) and it was not ``alone``
    on the cluster, so may be innocent. Raises :class:`SchedulerLost` when the future was
    cancelled because the scheduler went away."""
    lost = _lost(scheduler, len(results), total)
    if fut.cancelled() or fut.status == "cancelled":
        raise lost
    try:
        if fut.status == "error":
            exc = fut.exception()
            if isinstance(exc, KilledWorker):
                if not alone:
                    return None
                return _failed(job, "not graded: its grading task killed the Dask workers "
                                    "that ran it, alone on the cluster, again after the "
                                    "scheduler's retries (distributed.scheduler."
                                    "allowed-failures); scores not changed. Grade it alone "
                                    f"on one machine (--student {job.student}) to see why")
            return _failed(job, f"grader error on the cluster, scores not changed: "
                                f"{type(exc).__name__}: {exc}")
        return fut.result()
    except Exception as exc:
        if client.status != "running" or fut.cancelled():
            raise lost from None
        return _failed(job, f"could not fetch the result from the cluster, scores not "
                            f"changed: {type(exc).__name__}: {exc}")


__all__ = ["grade_on_cluster", "grade_task", "SchedulerLost", "already_graded",
           "code_fingerprint", "EXIT_SCHEDULER_LOST"]
