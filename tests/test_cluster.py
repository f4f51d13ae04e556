"""Grading a class on a Dask cluster (coursekit.cluster) with real processes: a ``dask
scheduler`` and two ``dask worker`` processes on 127.0.0.1 (tests/dask_support.py).

Expected scores come from the tiny assignment's definition in tests/class_fixtures (2 points
per test cell), and the cluster's grades are compared with a single-machine run of the same
class. Faults are real: workers and the scheduler are killed with SIGKILL mid-run.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import class_fixtures as cf
import pytest
from dask_support import DaskCluster, kill_tree, wait_until

from coursekit import cluster as ck
from coursekit.pool import autograde_class

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
#: one retry: a task on a worker that dies twice is given up by the scheduler (distributed's
#: KilledWorker). Worker saturation stays Dask's default: besides the task grading, a worker
#: holds the one preparing beside it and one queued, and those are charged too when it dies
SCHEDULER_ENV = {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"}
ALLOWED_FAILURES = 1
QUIET = {"progress": False, "log": lambda *a: None}


def _rows(csv_path: Path) -> dict:
    with open(csv_path) as fh:
        return {r["student"]: r for r in csv.DictReader(fh)}


def _points(rows: dict, student: str) -> tuple[float, float]:
    return (float(rows[student]["tiny:test_gd_step"]), float(rows[student]["tiny:test_sq_loss"]))


def _class(course: Path, plan: dict[str, str]) -> dict[str, tuple]:
    """Write ``{student: kind}`` (good, partial, blank) into submitted/; returns the expected
    (test_gd_step, test_sq_loss) points of each student from the assignment's definition."""
    kinds = {"good": (cf.good(course), (2.0, 2.0)),
             "partial": (cf.answered(course, {"gd_step": cf.GOOD_GD}), (2.0, 0.0)),
             "blank": (cf.release_notebook(course), (0.0, 0.0))}
    cases = {s: {"files": {f"{cf.ASSIGNMENT}.ipynb": cf._bytes(kinds[k][0])}}
             for s, k in plan.items()}
    cf.write_class(course, cases)
    return {s: kinds[k][1] for s, k in plan.items()}


def _gradebook(course: Path) -> dict[str, tuple]:
    """{student: (test_gd_step, test_sq_loss) auto scores} straight from the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        try:
            subs = gb.assignment_submissions(cf.ASSIGNMENT)
        except MissingEntry:
            return out
        for sub in subs:
            (nb,) = sub.notebooks
            g = {gr.name: gr.auto_score for gr in nb.grades}
            out[sub.student.id] = (g["test_gd_step"], g["test_sq_loss"])
    return out


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    with DaskCluster(tmp_path_factory.mktemp("dask"), workers=2,
                     scheduler_env=SCHEDULER_ENV) as c:
        yield c


def test_cluster_grades_like_one_machine(dask_cluster, tmp_path):
    local = cf.make_course(tmp_path / "local")
    cases = cf.class_submissions(local)
    keep = ["good", "partial", "invalid_json", "deleted_cells", "imports_reference"]
    cf.write_class(local, {k: cases[k] for k in keep})
    remote = tmp_path / "remote"
    shutil.copytree(local, remote)
    one = autograde_class(local, cf.ASSIGNMENT, workers=2, limits=cf.fast_limits(), **QUIET)
    dist = autograde_class(remote, cf.ASSIGNMENT, limits=cf.fast_limits(),
                           scheduler=dask_cluster.address, **QUIET)
    rows_one, rows_dist = _rows(one.csv_path), _rows(dist.csv_path)
    assert sorted(rows_dist) == sorted(keep)
    for student in keep:
        assert _points(rows_dist, student) == cases[student]["expect"], student
        assert rows_dist[student] == rows_one[student], student
        # the worker's autograded notebook and feedback page land in the parent's course
        for sub, name in (("autograded", "tiny.ipynb"), ("feedback", "tiny.html")):
            assert (remote / sub / student / cf.ASSIGNMENT / name).is_file(), (sub, student)
        fb = (remote / "feedback" / student / cf.ASSIGNMENT / "tiny.html").read_text()
        assert cf.SECRET not in fb and "BEGIN HIDDEN TESTS" not in fb
        assert fb == (local / "feedback" / student / cf.ASSIGNMENT / "tiny.html").read_text()
    problems = {r["student"]: r["problems"] for r in dist.results}
    assert problems == {r["student"]: r["problems"] for r in one.results}
    assert any("reference implementation" in p for p in problems["imports_reference"])
    # the same summary, up to the order in which submissions finished
    assert sorted(dist.summary_path.read_text().splitlines()) == \
        sorted(one.summary_path.read_text().splitlines())


def _running_for_a_while(student: str) -> str:
    """A correct gd_step whose cell, when it runs, marks the kernel's folder with a file that
    names the student and then takes 2.5 s (the test's moment to kill the worker)."""
    return (cf.GOOD_GD + f"open('running-{student}.flag', 'w').close()\n"
            "import time\ntime.sleep(2.5)\n")


def test_killed_workers_lose_nothing_and_a_deadly_submission_is_given_up(dask_cluster,
                                                                         tmp_path):
    course = cf.make_course(tmp_path / "course")
    plan = {"a_victim": "good", "b_deadly": "good", "c_partial": "partial",
            "d_blank": "blank", "e_good": "good", "f_partial": "partial", "g_good": "good"}
    expect = _class(course, plan)
    for student in ("a_victim", "b_deadly"):  # the same answers, which take a while to run
        nb = cf.answered(course, {"gd_step": _running_for_a_while(student),
                                  "sq_loss": cf.GOOD_SQ})
        cf.write_class(course, {student: {"files": {f"{cf.ASSIGNMENT}.ipynb": cf._bytes(nb)}}})
    out: dict = {}

    def run():
        try:
            out["res"] = autograde_class(course, cf.ASSIGNMENT, limits=cf.fast_limits(),
                                         scheduler=dask_cluster.address, **QUIET)
        except BaseException as exc:  # reported by the assertion below
            out["error"] = exc

    grader = threading.Thread(target=run)
    grader.start()
    # a_victim's worker is killed the first time it runs a_victim's code (the scheduler
    # retries it); b_deadly's worker every time b_deadly's code runs, as a submission that
    # crashes its machine would. Killing a worker also kills the submissions preparing
    # beside it, which the scheduler charges too: the grader must not blame them.
    kills = {"a_victim": 0, "b_deadly": 0}
    seen: set = set()
    try:
        while grader.is_alive():
            for worker, flag in dask_cluster.running():
                student = flag.name[len("running-"):-len(".flag")]
                if flag in seen or (student == "a_victim" and kills[student]):
                    seen.add(flag)
                    continue
                seen.add(flag)
                pid = wait_until(lambda w=worker: dask_cluster.worker_pid(w), 60,
                                 f"the pid of worker {worker}")
                kill_tree(pid)
                kills[student] += 1
            grader.join(0.1)
    finally:
        grader.join(300)
    assert "error" not in out, out.get("error")
    # b_deadly: given up after allowed-failures + 1 deaths sharing workers, then graded
    # again alone, where it killed allowed-failures + 1 more
    assert kills == {"a_victim": 1, "b_deadly": 2 * (ALLOWED_FAILURES + 1)}, \
        (kills, dask_cluster.logs())
    results = out["res"].results
    assert sorted(r["student"] for r in results) == sorted(expect)  # each exactly once
    by = {r["student"]: r for r in results}
    assert by["b_deadly"]["status"] == "failed"
    assert any("killed the Dask workers" in p for p in by["b_deadly"]["problems"])
    assert "b_deadly" in out["res"].summary_path.read_text()
    graded = _gradebook(course)
    assert sorted(graded) == sorted(set(expect) - {"b_deadly"})  # never merged, nothing lost
    for student in graded:
        assert graded[student] == expect[student], student
        assert by[student]["status"] == "graded", by[student]
        assert not by[student]["problems"], by[student]
    dask_cluster.wait_for_workers(2)  # the nannies restarted the killed workers


@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")  # nbgrader's add_submission
def test_a_rerun_skips_exactly_the_students_graded_for_the_same_submission(tmp_path):
    from types import SimpleNamespace

    from nbgrader.api import Gradebook

    from coursekit.assemble import build_templates
    from coursekit.gradebook import _venv_on_path, merge_result, register_assignment

    _venv_on_path()  # nbgrader runs alembic when it makes a gradebook
    course = cf.make_course(tmp_path / "course")
    db = f"sqlite:///{tmp_path / 'gradebook.db'}"
    assert ck.already_graded(db, cf.ASSIGNMENT, []) == set()  # no gradebook yet: none
    register_assignment(db, cf.ASSIGNMENT, build_templates(course, cf.ASSIGNMENT),
                        log=lambda *a: None)
    stamp = "2026-11-20 10:00:00.000000 UTC"
    scores = {"test_gd_step": 2.0, "test_sq_loss": 0.0}
    with Gradebook(db) as gb:
        for student in ("graded", "resubmitted", "undated"):
            merge_result(gb, cf.ASSIGNMENT, {
                "student": student, "timestamp": stamp, "notebooks": {cf.ASSIGNMENT: {
                    "grades": {gid: {"score": v, "max": 2.0, "kind": "test", "comment": None,
                                     "needs_manual": False} for gid, v in scores.items()}}}})
        gb.update_or_create_student("never_autograded")  # in the gradebook, no auto score
        gb.update_or_create_submission(cf.ASSIGNMENT, "never_autograded", timestamp=stamp)
    jobs = [SimpleNamespace(student="graded", timestamp=stamp),
            SimpleNamespace(student="resubmitted", timestamp="2026-11-21 09:00:00 UTC"),
            SimpleNamespace(student="undated", timestamp=None),
            SimpleNamespace(student="never_autograded", timestamp=stamp),
            SimpleNamespace(student="new", timestamp=stamp)]
    assert ck.already_graded(db, cf.ASSIGNMENT, jobs) == {"graded"}
    assert ck.already_graded(db, "another_assignment", jobs) == set()


def _fake_worker_main(job, path, turn):
    """Stands in for grade._worker_main in the forked process: records when it started
    (preparing), when its turn came and when it ended; 'dies_early' ends before its turn."""
    import json
    import time

    started = time.monotonic()
    if job.student == "dies_early":
        os._exit(9)
    turn.wait()
    began = time.monotonic()
    time.sleep(1.0)
    Path(path).write_text(json.dumps({"student": job.student, "started": started,
                                      "began": began, "ended": time.monotonic()}))
    os._exit(0)


def test_a_worker_prepares_beside_the_one_grading_but_grades_one_at_a_time(monkeypatch,
                                                                             tmp_path):
    from types import SimpleNamespace

    from coursekit import grade

    monkeypatch.setattr(grade, "_worker_main", _fake_worker_main)
    monkeypatch.setattr(ck, "_TURNS", [threading.Semaphore(1)])  # a worker of 2 threads
    names = ["s0", "s1", "s2", "dies_early"]
    out: dict = {}

    def task(name):
        job = SimpleNamespace(student=name, timestamp=None, limits=cf.fast_limits())
        folder = tmp_path / name
        folder.mkdir()
        out[name] = ck.grade_forked(job, folder)

    threads = [threading.Thread(target=task, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert out["dies_early"]["status"] == "failed"
    assert "crashed (exit code 9)" in out["dies_early"]["problems"][0]
    runs = sorted((out[n] for n in names[:3]), key=lambda r: r["began"])
    for r in runs:  # every one prepared while the first was graded, not after its turn
        assert r["started"] < runs[0]["ended"], runs
    for a, b in zip(runs, runs[1:], strict=False):  # one turn at a time
        assert b["began"] >= a["ended"], runs
    assert ck._turns() is ck._TURNS[0]


def test_a_worker_of_two_threads_grades_one_submission_at_a_time(dask_cluster):
    def threads_and_turns():
        from coursekit import cluster

        return cluster._worker_threads(), cluster._turns()._value

    # README's workers have 2 threads: one grades, the other's task prepares
    assert dask_cluster.client().submit(threads_and_turns, pure=False).result() == (2, 1)


def _cli_args(course: Path, scheduler: str, *extra: str) -> list[str]:
    lim = cf.fast_limits()
    return [sys.executable, "-m", "coursekit", "autograde", cf.ASSIGNMENT, "--course",
            str(course), "--scheduler", scheduler, "--no-progress", "--no-report",
            "--cell-timeout", str(lim.cell_timeout), "--timeout", str(lim.timeout),
            "--memory-mb", str(lim.memory_mb), *extra]


def _cli(course: Path, scheduler: str, *extra: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(_cli_args(course, scheduler, *extra), capture_output=True,
                          text=True, timeout=600, env=env)


def test_scheduler_lost_mid_run_then_rerun_finishes(dask_cluster, tmp_path):
    # runs last in this module: it kills the module's scheduler (and restarts it)
    course = cf.make_course(tmp_path / "course")
    plan = {f"s{k}": ("good", "partial", "blank")[k % 3] for k in range(6)}
    expect = _class(course, plan)
    proc = subprocess.Popen(_cli_args(course, dask_cluster.address), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: len(list((course / "feedback").glob("*/tiny/tiny.html"))) >= 2
                   or proc.poll() is not None, 240, "two graded submissions")
        dask_cluster.stop_scheduler()
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            kill_tree(proc.pid)
    assert proc.returncode == ck.EXIT_SCHEDULER_LOST, (proc.returncode, stdout, stderr)
    assert "went away" in stderr and "run the same command again" in stderr, stderr
    assert "stay there" in stderr
    partial = _gradebook(course)
    assert 2 <= len(partial) < len(plan), partial
    for student, points in partial.items():
        assert points == expect[student], student

    # what the message says to do: restart the scheduler and its workers (Dask workers end
    # when their scheduler goes away), then run the same command again
    for worker in dask_cluster.workers:
        worker.wait(timeout=120)
    dask_cluster.start_scheduler()
    dask_cluster.start_workers()
    dask_cluster.wait_for_workers(2)
    again = _cli(course, dask_cluster.address)
    assert again.returncode == 0, (again.stdout, again.stderr)
    assert f"skipping {len(partial)} student(s) already graded" in again.stdout, again.stdout
    assert f"submissions graded: {len(plan) - len(partial)}" in again.stdout
    final = _gradebook(course)
    assert final == {s: expect[s] for s in plan}
    for student in plan:
        assert (course / "feedback" / student / "tiny" / "tiny.html").is_file()
    # --regrade grades again (here one student); the gradebook does not change
    forced = _cli(course, dask_cluster.address, "--regrade", "--student", "s1")
    assert forced.returncode == 0 and "submissions graded: 1" in forced.stdout, forced.stdout
    assert _gradebook(course) == final


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    from browser import free_port

    course = cf.make_course(tmp_path / "course")
    _class(course, {"s0": "good"})
    env = dict(os.environ, DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="3s")
    done = _cli(course, f"tcp://127.0.0.1:{free_port()}", env=env)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "cannot reach the Dask scheduler" in done.stderr
    assert "dask scheduler" in done.stderr
    assert not (course / "feedback").exists()
