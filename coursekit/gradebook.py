"""The gradebook side of the class autograde: database URL, registering an assignment, merging
a worker's scores (the parent is the only writer), the grades table, CSV and summary."""

from __future__ import annotations

import copy
import csv
import os
import sys
from pathlib import Path

from nbformat import NotebookNode

from . import sandbox
from .assemble import _nbg


def resolve_db_url(course: Path, db_url: str | None, config=None) -> str:
    """``db_url`` or the course's ``CourseDirectory.db_url``, with a relative SQLite path made
    relative to the course directory (nbgrader's convention)."""
    if not db_url:
        try:
            db_url = config.CourseDirectory.db_url if config is not None else None
        except AttributeError:
            db_url = None
        if not isinstance(db_url, str) or not db_url:
            db_url = "sqlite:///gradebook.db"
    if db_url.startswith("sqlite:///") and not db_url.startswith("sqlite:////"):
        db_url = "sqlite:///" + str((course / db_url[len("sqlite:///"):]).resolve())
    if db_url.startswith(("postgresql://", "postgres://")):
        # SQLAlchemy >= 2.1 defaults to psycopg 3; this course ships psycopg2-binary
        import importlib.util

        if importlib.util.find_spec("psycopg") is None and \
                importlib.util.find_spec("psycopg2") is not None:
            db_url = "postgresql+psycopg2://" + db_url.split("://", 1)[1]
    return db_url


def _venv_on_path() -> None:
    """nbgrader calls ``alembic`` by name when it creates a gradebook (docs/design.md, "Pitfalls")."""
    venv_bin = str(Path(sys.executable).parent)
    if venv_bin not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = venv_bin + os.pathsep + os.environ.get("PATH", "")


def register_assignment(db_url: str, assignment: str, templates: dict[str, NotebookNode],
                        log=print) -> None:
    """Create the assignment, its notebooks and cells in the gradebook if missing
    (nbgrader's ``SaveCells``; a fresh clone has no gradebook, docs/design.md)."""
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.preprocessors import SaveCells

    with Gradebook(db_url) as gb:
        try:
            known = {nb.name for nb in gb.find_assignment(assignment).notebooks}
        except MissingEntry:
            gb.update_or_create_assignment(assignment)
            known = set()
        have_subs = bool(known) and len(gb.assignment_submissions(assignment)) > 0
    for name, nb in templates.items():
        if name in known and have_subs:
            continue  # regenerating after grading fails in nbgrader (issue #1646)
        resources = {"nbgrader": {"assignment": assignment, "notebook": name,
                                  "db_url": db_url}}
        try:
            SaveCells().preprocess(copy.deepcopy(nb), resources)
        except Exception as exc:
            if name not in known:
                raise
            log(f"warning: could not update {name} in the gradebook ({exc}); keeping it")


def merge_result(gb, assignment: str, res: dict) -> None:
    """Write one worker's scores into the gradebook (parent only; auto scores replaced,
    manual scores and comments kept, like nbgrader's ``SaveAutoGrades``)."""
    from nbgrader.api import BaseCell, Comment, Grade, MissingEntry

    gb.update_or_create_student(res["student"])
    kw = {"timestamp": res["timestamp"]} if res.get("timestamp") else {}
    try:
        gb.update_or_create_submission(assignment, res["student"], **kw)
    except Exception:
        gb.db.rollback()
        gb.update_or_create_submission(assignment, res["student"])
    for nbname, nbres in res["notebooks"].items():
        try:
            sub_nb = gb.find_submission_notebook(nbname, assignment, res["student"])
        except MissingEntry:
            continue
        # the notebook's grades and comments by cell name, one query each (nbgrader's
        # find_grade / find_comment take a query per cell: most of a merge's time)
        grades, comments = ({name: row for name, row in gb.db.query(BaseCell.name, table)
                             .join(table, table.cell_id == BaseCell.id)
                             .filter(table.notebook_id == sub_nb.id)}
                            for table in (Grade, Comment))
        for gid, g in nbres["grades"].items():
            grade = grades.get(gid) if g["kind"] != "answer" or g["max"] else None
            if grade is not None:
                grade.auto_score = g["score"]
                grade.needs_manual_grade = (grade.manual_score is not None) or \
                    g["score"] is None
            if g["kind"] in ("answer", "manual") and gid in comments:
                comments[gid].auto_comment = g.get("comment")
    gb.db.commit()


def gradebook_table(db_url: str, assignment: str, templates: dict) -> tuple[list, list]:
    """Per-student rows read back from the gradebook (manual scores override auto scores,
    as in nbgrader). Columns: student, one per graded cell, totals, needs_manual."""
    from nbgrader.api import (
        Assignment,
        BaseCell,
        Grade,
        Gradebook,
        Notebook,
        SubmittedAssignment,
        SubmittedNotebook,
    )

    cells = []
    for name, t in templates.items():
        for c in t.cells:
            m = _nbg(c)
            if m.get("grade"):
                cells.append((name, m["grade_id"], float(m.get("points", 0)),
                              bool(m.get("solution")) or c.cell_type != "code"))
    columns = ["student"] + [f"{n}:{g}" for n, g, _, _ in cells] + \
        ["autograded", "autograded_max", "manual", "manual_max", "total", "max",
         "needs_manual_grade"]
    rows = []
    with Gradebook(db_url) as gb:
        # the whole assignment in two queries (nbgrader's find_grade per student and cell
        # takes minutes for a class of thousands)
        submitted = (gb.db.query(SubmittedAssignment.student_id)
                     .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
                     .filter(Assignment.name == assignment))
        grades = {(student, nb, cell): g for student, nb, cell, g in (
            gb.db.query(SubmittedAssignment.student_id, Notebook.name, BaseCell.name, Grade)
            .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
            .join(SubmittedNotebook, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
            .join(Notebook, Notebook.id == SubmittedNotebook.notebook_id)
            .join(Grade, Grade.notebook_id == SubmittedNotebook.id)
            .join(BaseCell, BaseCell.id == Grade.cell_id)
            .filter(Assignment.name == assignment))}
        for student in sorted(sid for (sid,) in submitted):
            row = {"student": student}
            tot = {"autograded": 0.0, "autograded_max": 0.0, "manual": 0.0,
                   "manual_max": 0.0}
            needs = False
            for name, gid, pts, is_manual in cells:
                g = grades.get((student, name, gid))
                if g is None:
                    continue
                pending = g.manual_score is None and g.auto_score is None
                score = None if pending else g.score
                row[f"{name}:{gid}"] = "" if score is None else round(float(score), 4)
                key = "manual" if is_manual else "autograded"
                tot[key] += float(score or 0)
                tot[key + "_max"] += pts
                needs = needs or bool(g.needs_manual_grade)
            row.update({k: round(v, 4) for k, v in tot.items()})
            row["total"] = round(tot["autograded"] + tot["manual"], 4)
            row["max"] = round(tot["autograded_max"] + tot["manual_max"], 4)
            row["needs_manual_grade"] = int(needs)
            rows.append(row)
    return rows, columns


def write_csv(path: Path, rows: list, columns: list) -> None:
    """The grades CSV (one row per student)."""
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in columns})


def summary_text(assignment, results, rows, columns, isolation, limits) -> str:
    """Plain-text summary: counts, mean score, failures and limits hit, review flags."""
    n = len(results)
    failed = [r for r in results if r["problems"] or r["status"] != "graded"]
    flagged = [r for r in results if r.get("flags")]
    manual = [r["student"] for r in rows if r.get("needs_manual_grade")]
    lines = [f"assignment: {assignment}", f"submissions graded: {n}",
             f"sandbox: {isolation} ({sandbox.label(isolation)}); limits: {limits.describe()}"]
    if rows:
        auto = [r["autograded"] for r in rows]
        lines.append(f"autograded score: mean {sum(auto) / len(auto):.2f} of "
                     f"{rows[0]['autograded_max']:g}")
    lines.append(f"needing manual grading: {len(manual)}"
                 + (f" ({', '.join(manual[:20])}{' ...' if len(manual) > 20 else ''})"
                    if manual else ""))
    lines.append(f"submissions with problems: {len(failed)}")
    for r in failed:
        lines.append(f"  {r['student']}: " + "; ".join(r["problems"][:6]))
    if flagged:
        lines.append(f"flagged for review (code that could tamper with grading): "
                     f"{len(flagged)}")
        for r in flagged:
            lines.append(f"  {r['student']}: " + "; ".join(r["flags"][:6]))
    return "\n".join(lines) + "\n"
