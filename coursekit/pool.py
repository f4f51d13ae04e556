"""The parent of the class autograde: one forked worker per submission, at most N at a time,
scores merged into the gradebook as they arrive, then grades CSV, summary and report."""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import collect, sandbox
from .assemble import build_templates, course_config, engine_names
from .grade import Job, _worker_main
from .gradebook import (
    _venv_on_path,
    gradebook_table,
    merge_result,
    register_assignment,
    resolve_db_url,
    summary_text,
    write_csv,
)
from .kernel import Limits

_DEFAULT_LIMITS = Limits()

# ------------------------------------------------------------------------ parent

@dataclass
class ClassResult:
    """Outcome of grading a class."""

    assignment: str
    results: list
    csv_path: Path
    summary_path: Path
    report_path: Path | None
    isolation: str
    seconds: float

    @property
    def failed(self) -> list:
        """Submissions that could not be graded normally (listed in the summary)."""
        return [r for r in self.results if r["problems"] or r["status"] != "graded"]


def _matplotlib_font_cache() -> list[str]:
    """matplotlib's font list cache, copied into every kernel's fresh MPLCONFIGDIR so that no
    kernel spends seconds rebuilding it."""
    try:
        import glob

        import matplotlib

        found = glob.glob(os.path.join(matplotlib.get_cachedir(), "fontlist-*.json"))
        if not found:
            import matplotlib.font_manager  # noqa: F401  (builds the cache)

            found = glob.glob(os.path.join(matplotlib.get_cachedir(), "fontlist-*.json"))
        return found
    except Exception:
        return []


def _kill_worker(p, result_path: str) -> None:
    """Kill a worker and the kernels it started (they run in sessions of their own)."""
    try:
        pids = [int(x) for x in Path(result_path + ".kernels").read_text().split()]
    except (OSError, ValueError):
        pids = []
    for pid in [p.pid, *pids]:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    p.join()


def _run_pool(jobs: list[Job], workers: int, limits: Limits, progress: bool, tmp: Path,
              on_started=None, on_result=None, ahead: int | None = None):
    """Run one forked worker process per job, at most ``workers`` grading at a time, and up
    to ``ahead`` (default: ``workers``) more preparing the next submissions: their kernels
    start and import what the notebook imports while the others grade, then wait for their
    turn (an Event per job). The parent calls ``on_started()`` once the first workers run
    (it has the CPU to spare) and ``on_result(result)`` for each finished submission, in the
    order they finish."""
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread in a process that forks
    ctx = multiprocessing.get_context("fork")
    ahead = workers if ahead is None else max(0, ahead)
    pending = list(enumerate(jobs))
    procs: dict[int, tuple] = {}       # job -> (process, result path, turn event)
    waiting: list[int] = []            # started, preparing or waiting for their turn
    turns: dict[int, float] = {}       # job -> when its turn began (grading now)
    results: list = [None] * len(jobs)
    hard = limits.timeout * 2 + limits.startup_timeout * 3 + 60
    bar = tqdm(total=len(jobs), unit="submission", disable=not progress, dynamic_ncols=True,
               desc="autograde")
    try:
        while pending or procs:
            while pending and len(procs) < workers + ahead:
                k, job = pending.pop(0)
                path = str(tmp / f"result-{k}.json")
                turn = ctx.Event()
                p = ctx.Process(target=_worker_main, args=(job, path, turn), daemon=False)
                p.start()
                procs[k] = (p, path, turn)
                waiting.append(k)
            while waiting and len(turns) < workers:
                k = waiting.pop(0)
                procs[k][2].set()
                turns[k] = time.monotonic()
            if on_started is not None:
                on_started()
                on_started = None
            # wake as soon as a worker ends (its slot goes to the next one at once)
            multiprocessing.connection.wait([p.sentinel for p, _, _ in procs.values()], 1.0)
            for k, (p, path, _turn) in list(procs.items()):
                if p.is_alive() and (k not in turns or time.monotonic() - turns[k] < hard):
                    continue
                if p.is_alive():
                    _kill_worker(p, path)
                p.join()
                try:
                    results[k] = json.loads(Path(path).read_text())
                except (OSError, ValueError):
                    results[k] = {"student": jobs[k].student, "timestamp": None,
                                  "notebooks": {}, "flags": [], "status": "failed",
                                  "problems": [f"the grading worker crashed (exit code "
                                               f"{p.exitcode})"]}
                del procs[k]
                turns.pop(k, None)
                if k in waiting:
                    waiting.remove(k)
                if on_result is not None:
                    on_result(results[k])
                bar.update(1)
                bar.set_postfix_str(jobs[k].student[:20])
    finally:
        for p, path, _turn in procs.values():
            _kill_worker(p, path)
        bar.close()
    return results


def autograde_class(course: str | os.PathLike, assignment: str, *, workers: int = 2,
                    zip_path: str | None = None, id_pattern: str | None = None,
                    db_url: str | None = None, limits: Limits = _DEFAULT_LIMITS,
                    students: list[str] | None = None, out_dir: str | None = None,
                    progress: bool = True, report: bool = True, allow_engine=(),
                    log=print, scheduler: str | None = None,
                    regrade: bool = False, demos: bool = False) -> ClassResult:
    """Autograde every submission of ``assignment`` in parallel (one sandboxed worker process
    per submission), merge the scores into the gradebook, write grades CSV, summary and
    report. Raises ValueError when grading cannot run (bad assignment, paths, database).

    With ``scheduler`` (``tcp://host:8786``) the submissions are graded as tasks on a Dask
    cluster instead of local processes (:mod:`coursekit.cluster`; ``regrade`` grades again
    students already graded for the same submission, which a rerun otherwise skips).
    ``demos`` also runs the ungraded "See it" cells after the last test, for their figures in
    the feedback (about twice the time)."""
    from nbgrader.api import Gradebook

    t0 = time.monotonic()
    course = Path(course).resolve()
    if workers < 1:
        raise ValueError(f"--workers must be at least 1, got {workers}")
    config = course_config(course)
    templates = build_templates(course, assignment, config)
    db_url = resolve_db_url(course, db_url, config)
    _venv_on_path()
    import warnings

    state: dict = {"gb": None, "queue": []}

    def open_gradebook():  # runs while the first workers grade (the parent is idle)
        try:
            register_assignment(db_url, assignment, templates, log=log)
            state["gb"] = Gradebook(db_url)
        except Exception as exc:
            raise ValueError(f"cannot open the gradebook {db_url!r}: "
                             f"{type(exc).__name__}: {exc}") from None
        flush()

    def flush():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SQLAlchemy notes on nbgrader's add_submission
            while state["gb"] is not None and state["queue"]:
                res = state["queue"].pop(0)
                if res["notebooks"]:
                    merge_result(state["gb"], assignment, res)

    def on_result(res):
        state["queue"].append(res)
        flush()

    tmp = Path(tempfile.mkdtemp(prefix="steplab-class-"))
    try:
        if zip_path:
            if not id_pattern:
                raise ValueError("--zip needs --id-pattern REGEX with a group for the "
                                 "student id")
            subs, skipped = collect.from_zip(zip_path, id_pattern, tmp / "zip")
            for s in skipped:
                log(f"skipped zip member (no student id): {s}")
        else:
            subs = collect.from_directory(course / "submitted", assignment)
        if students:
            subs = [s for s in subs if s.student in set(students)]
        isolation = sandbox.detect_isolation()
        allow = set(allow_engine)
        for t in templates.values():
            allow |= set(t.metadata.get("steplab", {}).get("allow_engine", []))
        forbidden = sorted(engine_names(allow))
        release_dir = course / "release" / assignment
        release_files = {str(p.relative_to(release_dir)): str(p)
                         for p in release_dir.rglob("*")
                         if p.is_file() and p.suffix != ".ipynb"} if release_dir.is_dir() \
            else {}
        mpl_cache = _matplotlib_font_cache()
        jobs = [Job(s.student, assignment, s.files, s.timestamp, templates, str(course),
                    limits, isolation, forbidden, release_files, s.notes, mpl_cache, demos)
                for s in subs]
        log(f"autograde {assignment}: {len(jobs)} submission(s), {workers} worker(s), "
            f"sandbox: {sandbox.label(isolation)} ({limits.describe()})")
        if scheduler:
            from . import cluster

            results = cluster.grade_on_cluster(
                jobs, scheduler, course=course, assignment=assignment, db_url=db_url,
                progress=progress, regrade=regrade, on_started=open_gradebook,
                on_result=on_result, log=log)
        elif jobs:
            results = _run_pool(jobs, workers, limits, progress, tmp,
                                on_started=open_gradebook, on_result=on_result)
        else:
            open_gradebook()
            results = []
        flush()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if state["gb"] is not None:
            state["gb"].close()
    out = Path(out_dir) if out_dir else course / "reports" / assignment
    out.mkdir(parents=True, exist_ok=True)
    rows, columns = gradebook_table(db_url, assignment, templates)
    csv_path = out / "grades.csv"
    write_csv(csv_path, rows, columns)
    summary = summary_text(assignment, results, rows, columns, isolation, limits)
    summary_path = out / "summary.txt"
    summary_path.write_text(summary)
    report_path = None
    if report:
        from . import report as report_mod

        report_path = report_mod.make_report(out, assignment, rows, columns, results)
    return ClassResult(assignment, results, csv_path, summary_path, report_path, isolation,
                       time.monotonic() - t0)
