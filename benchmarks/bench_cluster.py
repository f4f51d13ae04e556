"""Throughput of grading on a Dask cluster: 40 submissions of a real assignment
graded by ``autograde_class(scheduler=...)`` on a local ``dask scheduler`` with 2 ``dask
worker`` processes (2 threads each, as README's "Scaling out" advises: one grades while the
other prepares the next submission), against the single-machine pool with 2 workers (each
grading one and preparing one), on the same cores, in one process run.

Target: the cluster reaches at least 90% of the single-machine throughput. The two
configurations alternate, ``--rounds`` times each (default 3), and the fastest run of each
counts (the machine is shared: load drifts; the load average is printed). The cluster's start
(scheduler, workers, their imports) is timed separately: it is paid once per cluster, not
per class. The parent's CPU time per submission in the steady state (receiving the result,
writing the worker's files, merging into the gradebook) is printed too: it bounds how many
workers one parent can feed.

    .venv/bin/python benchmarks/bench_cluster.py [--n 40] [--assignment gradient_descent]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_autograde import _course, _submissions  # noqa: E402
from dask_support import DaskCluster  # noqa: E402

#: the parent's CPU clock (all its threads: the Dask client's too) at every merge of the last
#: cluster run; its slope in the steady state is the parent's whole CPU cost of a submission
#: (receiving the result, writing the files, merging), without the run's fixed costs
MERGE_CLOCK: list[float] = []


def _clocked(fn):
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        finally:
            MERGE_CLOCK.append(time.process_time())
    return wrapper


def run(course: Path, assignment: str, scheduler: str | None) -> tuple[float, float]:
    """Wall time and the parent's CPU time of one class run (fresh gradebook)."""
    from coursekit import pool
    from coursekit.pool import autograde_class

    if not hasattr(pool.merge_result, "__wrapped_by_bench__"):
        pool.merge_result = _clocked(pool.merge_result)
        pool.merge_result.__wrapped_by_bench__ = True
    MERGE_CLOCK.clear()  # keeps the last cluster run's (runs alternate, cluster last)

    for d in ("autograded", "feedback", "reports"):
        shutil.rmtree(course / d, ignore_errors=True)
    (course / "gradebook.db").unlink(missing_ok=True)
    t0, c0 = time.perf_counter(), time.process_time()
    res = autograde_class(course, assignment, workers=2, progress=False,
                          log=lambda *a: None, scheduler=scheduler, regrade=True)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    bad = [r for r in res.results if r["status"] != "graded"]
    if bad or len(res.results) != len(list((course / "submitted").iterdir())):
        raise SystemExit(f"grading failed: {bad[:1]}")
    return dt, cpu


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--assignment", default="gradient_descent")
    ap.add_argument("--rounds", type=int, default=3, help="best of this many runs each")
    args = ap.parse_args()
    os.environ.setdefault("MPLBACKEND", "Agg")
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp:
        course = _course(Path(tmp), args.assignment)
        _submissions(course, args.assignment, args.n)
        t_start = time.perf_counter()
        with DaskCluster(Path(tmp) / "dask", workers=2) as cluster:
            t_start = time.perf_counter() - t_start
            local = dist = (float("inf"), 0.0)
            for _ in range(args.rounds):
                local = min(local, run(course, args.assignment, None))
                loads.append(os.getloadavg()[0])
                dist = min(dist, run(course, args.assignment, cluster.address))
                loads.append(os.getloadavg()[0])
    n = args.n
    print(f"autograde {n} submissions of {args.assignment} on {os.cpu_count()} cores "
          f"(best of {args.rounds}; load average {' '.join(f'{x:.1f}' for x in loads)})")
    for label, (t, cpu) in [("one machine, 2 local workers", local),
                            ("Dask, scheduler + 2 workers", dist)]:
        print(f"  {label:30s} {t:7.1f} s  {60 * n / t:6.1f} submissions/min  "
              f"(parent CPU {1000 * cpu / n:.0f} ms per submission)")
    ratio = local[0] / dist[0]
    print(f"  cluster start (scheduler, 2 workers, their imports): {t_start:.1f} s, once")
    print(f"  Dask throughput / single-machine throughput: {ratio:.2f} (target >= 0.90)")
    per_sub = 2 * dist[0] / n  # worker-seconds per submission on this machine
    skip = min(5, len(MERGE_CLOCK) - 2)  # the first results arrive while the run starts
    parent = (MERGE_CLOCK[-1] - MERGE_CLOCK[skip]) / (len(MERGE_CLOCK) - 1 - skip)
    print(f"  the parent's CPU per submission in the steady state (all its threads: the Dask "
          f"client, writing the files, merging): {1000 * parent:.0f} ms, i.e. one parent "
          f"keeps up with {1 / parent:.0f} submissions/s")
    grading = 10_000 * per_sub / 50   # 50 workers in parallel
    merging = 10_000 * parent         # one parent, one submission after another
    bound = "the parent" if merging > grading else "the workers"
    print(f"  one worker grades a submission in {per_sub:.1f} s here; 10,000 submissions on "
          f"50 such workers: about {max(grading, merging) / 60:.0f} min, bound by {bound} "
          f"({grading / 60:.1f} min of grading on 50 workers, {merging / 60:.1f} min of the "
          f"parent's CPU; one parent feeds up to {per_sub / parent:.0f} such workers)")
    ok = ratio >= 0.9
    print("  PASS" if ok else "  BELOW TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
