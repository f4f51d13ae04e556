"""A Dask cluster on SLURM for grading this course (README, "Scaling out"), with dask-jobqueue.

Run it on the login node, from the course's code checkout, in the course's environment plus
dask-jobqueue (not a dependency of the course: ``.venv/bin/pip install dask-jobqueue``):

    .venv/bin/python examples/cluster/slurm_cluster.py --jobs 6
    # prints the scheduler's address; in another shell, in the course directory:
    make autograde ASSIGNMENT=adam SCHEDULER=tcp://<login-node>:8786

Each SLURM job runs ``--cores`` Dask workers of one thread each (one submission per core, as
on one machine) with about 1.5 GB per worker, started with ``--preload coursekit.cluster`` so
the grader's imports happen once per worker. The compute nodes need the same checkout and
``.venv`` (a shared filesystem, or ``make venv`` in the job prologue) and bubblewrap for the
sandbox; they need no course data: the grader sends each task its submission and the grading
templates. Edit the queue, account and paths below for your site.
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
        # one submission per worker thread; the rest wait on the scheduler, so a job that
        # starts late still gets work
        "distributed.scheduler.worker-saturation": 1.0,
        # a submission whose task kills this many workers is given up (reported as failed)
        "distributed.scheduler.allowed-failures": 3,
    })
    cluster = SLURMCluster(
        queue=args.queue, account=args.account,
        cores=args.cores, processes=args.cores,            # 1 thread per worker process
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
