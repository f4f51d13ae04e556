"""A Dask cluster on SLURM for grading this course (README, "Scaling out"), with dask-jobqueue.

Run it on the login node, from the course's code checkout, in the course's environment plus
dask-jobqueue (not a dependency of the course: ``.venv/bin/pip install dask-jobqueue``):

    .venv/bin/python examples/cluster/slurm_cluster.py --jobs 6
    # prints the scheduler's address; in another shell, in the course directory:
    make autograde ASSIGNMENT=adam SCHEDULER=tcp://<login-node>:8786

Each SLURM job books ``--cores`` cores and runs as many Dask workers, with two threads each:
one grades a submission while the other starts the next one's kernel (as on one machine,
one submission per core), about 1.5 GB per worker, started with ``--preload
coursekit.cluster`` so the grader's imports happen once per worker. The compute nodes need
the same checkout and ``.venv`` (a shared filesystem, or ``make venv`` in the job prologue)
and bubblewrap for the sandbox; they need no course data: the grader sends each task its
submission and the grading templates. Edit the queue, account and paths below for your site.
"""

from __future__ import annotations

import argparse

import dask
from dask_jobqueue import SLURMCluster

CODE = "/path/to/course-code"   # the checkout whose .venv the workers use (same commit!)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=4, help="SLURM jobs (nodes) to start")
    ap.add_argument("--cores", type=int, default=8, help="cores per job = workers per job")
    ap.add_argument("--queue", default="standard")
    ap.add_argument("--account", default=None)
    args = ap.parse_args()
    dask.config.set({
        # a task on workers that died this many + 1 times is given up by the scheduler; the
        # grader then grades it again alone and reports it as failed if it kills them again
        "distributed.scheduler.allowed-failures": 3,
    })
    cluster = SLURMCluster(
        queue=args.queue, account=args.account,
        # one worker process per booked core, 2 threads each: one grades, one prepares
        cores=2 * args.cores, processes=args.cores, job_cpu=args.cores,
        memory=f"{int(1.5 * args.cores + 2)}GB", walltime="02:00:00",
        scheduler_options={"port": 8786, "dashboard_address": ":8787"},
        job_script_prologue=[f"cd {CODE}", "export MPLBACKEND=Agg"],
        python=f"{CODE}/.venv/bin/python",
        worker_extra_args=["--preload", "coursekit.cluster"],
    )
    cluster.scale(jobs=args.jobs)
    print(f"scheduler: {cluster.scheduler_address}  (dashboard {cluster.dashboard_link})")
    print("grade with: make autograde ASSIGNMENT=<name> "
          f"SCHEDULER={cluster.scheduler_address}")
    input("press Enter to stop the cluster\n")
    cluster.close()


if __name__ == "__main__":
    main()
