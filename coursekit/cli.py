"""Command line of the course tooling.

    python -m coursekit autograde <assignment> [--workers N] [--zip FILE --id-pattern RE]
                                       [--db-url URL] [--course DIR] ...
    python -m coursekit feedback <assignment> [--allow-ungraded]   # after hand grading
    python -m coursekit check <assignment> [--notebook PATH]   # a student's self-check
    python -m coursekit release [...]           # coursekit.release:main

``autograde`` exits 0 when the class was graded, even if some submissions failed (they are
listed), 1 when no submission could be graded because of the grader, 2 when grading could
not run at all (unknown assignment, no submissions folder, unreadable gradebook, unreachable
Dask scheduler), and 3 when the Dask scheduler went away mid-run (what was merged stays
merged: restart the scheduler and its workers and run the same command again).
``feedback`` exits 1 when written parts are not graded yet (their pages say so; it lists
them) unless ``--allow-ungraded`` counts them as 0. ``check``: see :mod:`coursekit.check`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _autograde(args) -> int:
    from .pool import Limits, autograde_class

    cell_timeout = args.cell_timeout
    if cell_timeout is None:  # the course's nbgrader setting, else 30 s
        from .assemble import course_config

        try:
            value = course_config(Path(args.course)).Execute.timeout
            cell_timeout = float(value) if isinstance(value, (int, float)) else 30.0
        except Exception:
            cell_timeout = 30.0
    limits = Limits(cell_timeout=cell_timeout, timeout=max(args.timeout, cell_timeout),
                    memory_mb=args.memory_mb, nproc=args.nproc)
    try:
        res = autograde_class(args.course, args.assignment, workers=args.workers,
                              zip_path=args.zip, id_pattern=args.id_pattern,
                              db_url=args.db_url, limits=limits, students=args.student,
                              out_dir=args.out, progress=not args.no_progress,
                              report=not args.no_report, allow_engine=args.allow_engine,
                              scheduler=args.scheduler, regrade=args.regrade,
                              demos=args.demos)
    except ValueError as exc:
        print(f"autograde: cannot grade: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # coursekit.cluster.SchedulerLost: stopped mid-run
        if not hasattr(exc, "exit_code"):
            raise
        print(f"autograde: stopped: {exc}", file=sys.stderr)
        return exc.exit_code
    print(res.summary_path.read_text(), end="")
    print(f"grades:  {res.csv_path}")
    if res.report_path:
        print(f"report:  {res.report_path}")
    print(f"feedback: {Path(args.course).resolve() / 'feedback'}/<student>/{args.assignment}/")
    print(f"time: {res.seconds:.1f} s")
    if res.results and all(r["status"] != "graded" for r in res.results):
        print("autograde: no submission could be graded (see the problems above)",
              file=sys.stderr)
        return 1
    return 0


def _feedback(args) -> int:
    from .assemble import course_config
    from .feedback import ungraded_parts
    from .grade import regenerate_feedback
    from .gradebook import resolve_db_url

    try:
        pages = regenerate_feedback(args.course, args.assignment, db_url=args.db_url,
                                    allow_ungraded=args.allow_ungraded)
    except ValueError as exc:
        print(f"feedback: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(pages)} feedback page(s) under {Path(args.course) / 'feedback'}")
    course = Path(args.course).resolve()
    pending = ungraded_parts(resolve_db_url(course, args.db_url, course_config(course)),
                             args.assignment)
    if not pending:
        return 0
    listing = "\n".join(f"  {student}: {nb}/{gid}" for student, nb, gid in pending)
    if args.allow_ungraded:
        print(f"feedback: {len(pending)} written part(s) not graded, counted as 0 "
              f"(--allow-ungraded):\n{listing}", file=sys.stderr)
        return 0
    print(f"feedback: {len(pending)} written part(s) are not graded yet; their pages say "
          f"\"not graded yet\" (no zeros given):\n{listing}\nGrade them in formgrader and "
          "run this again, or hand the pages back with these parts counted as 0: "
          "--allow-ungraded (make feedback ASSIGNMENT=<a> FEEDBACK_ARGS=--allow-ungraded).",
          file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m coursekit``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "check":
        from . import check

        return check.main(argv[1:])
    if argv and argv[0] == "release":
        from . import release

        rc = release.main(argv[1:])
        return int(rc or 0)
    p = argparse.ArgumentParser(prog="python -m coursekit",
                                description="Course tooling: release, class autograde, "
                                            "feedback.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("release", help="generate release/ and solutions/ from source/")
    a = sub.add_parser("autograde", help="grade a whole class in parallel, sandboxed")
    a.add_argument("assignment")
    a.add_argument("--workers", type=int, default=2, help="parallel workers (default 2)")
    a.add_argument("--zip", help="zip of notebooks from an LMS instead of submitted/")
    a.add_argument("--id-pattern", help="regex with a group (named 'student' or the first) "
                                        "that extracts the student id from a file name")
    a.add_argument("--db-url", help="gradebook URL, e.g. postgresql://user@host/db "
                                    "(default: the course's, sqlite:///gradebook.db)")
    a.add_argument("--course", default=".", help="course directory (default: .)")
    a.add_argument("--student", action="append", help="grade only this student (repeat)")
    a.add_argument("--out", help="report folder (default reports/<assignment>)")
    a.add_argument("--cell-timeout", type=float, default=None,
                   help="seconds per cell (default: c.Execute.timeout of nbgrader_config.py, "
                        "else 30)")
    a.add_argument("--timeout", type=float, default=180.0, help="seconds per notebook")
    a.add_argument("--memory-mb", type=int, default=1536, help="memory limit of a kernel")
    a.add_argument("--nproc", type=int, default=48, help="processes+threads per kernel")
    a.add_argument("--allow-engine", action="append", default=[],
                   help="steplab name an answer may use (repeat)")
    a.add_argument("--scheduler", help="grade on a Dask cluster, e.g. tcp://host:8786 "
                                       "(README, Scaling out); --workers is then unused")
    a.add_argument("--regrade", action="store_true",
                   help="with --scheduler: grade again students already graded for the same "
                        "submission (a rerun skips them by default)")
    a.add_argument("--demos", action="store_true",
                   help="also run the ungraded 'See it' cells after the last test, so their "
                        "figures of the student's own code reach the feedback pages (about "
                        "twice the grading time; they never change a score)")
    a.add_argument("--skip-demos", action="store_false", dest="demos",
                   help=argparse.SUPPRESS)  # the default now; kept for older scripts
    a.add_argument("--no-progress", action="store_true")
    a.add_argument("--no-report", action="store_true")
    f = sub.add_parser("feedback", help="rebuild feedback/ from autograded/ and the "
                                        "gradebook (after manual grading), hidden tests "
                                        "left out")
    f.add_argument("assignment")
    f.add_argument("--db-url")
    f.add_argument("--course", default=".")
    f.add_argument("--allow-ungraded", action="store_true",
                   help="count written parts nobody graded yet as 0 (default: mark them "
                        "'not graded yet' and exit 1)")
    sub.add_parser("check", help="a student's check of their notebook against the visible "
                                 "tests (python -m coursekit check <a> [--notebook PATH])")
    args = p.parse_args(argv)
    if args.command == "autograde":
        return _autograde(args)
    if args.command == "feedback":
        return _feedback(args)
    return 2
