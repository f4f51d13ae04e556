"""Grading one submission in its own worker process: read, assemble, execute in the sandboxed
kernel, score the test cells, write the autograded notebook and the feedback page; and
rebuilding feedback from ``autograded/`` after manual grading."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from . import collect, grading_engine, judge, sandbox
from .assemble import (
    _nbg,
    assemble,
    build_templates,
    course_config,
    hidden_lines,
    linked_tests,
    scan_answer,
    student_view,
)
from .feedback import LIMITS_FOR_NOTES, feedback_notebook, render_html, stored_score
from .gradebook import _venv_on_path, resolve_db_url
from .kernel import (
    CellRun,
    KernelStartError,
    Limits,
    _execute,
    _KernelSession,
    _limit_note,
    _prepare_kernel_dir,
    warmup_code,
)


def grade_notebook(nb: NotebookNode, runs: list[CellRun], limits: Limits) -> dict:
    """Scores per graded cell (nbgrader's ``determine_grade`` on the outputs with stderr
    left out, plus the kernel's reply status). Returns ``{grade_id: {...}}``."""
    from nbgrader import utils

    grades = {}
    for i, cell in enumerate(nb.cells):
        meta = _nbg(cell)
        if not meta.get("grade") and not meta.get("solution"):
            continue
        gid = meta["grade_id"]
        entry = {"max": float(meta.get("points", 0) or 0), "score": None,
                 "needs_manual": False, "kind": "test", "comment": None, "notes": []}
        if meta.get("solution"):
            entry["kind"] = "answer"
            if meta.get("checksum") == utils.compute_checksum(cell):
                entry["comment"] = "No response."
        if not meta.get("grade"):
            grades[gid] = entry
            continue
        if meta.get("solution") or cell.cell_type != "code":
            entry["kind"] = "manual"
            entry["score"], _ = utils.determine_grade(cell)
        else:
            run = runs[i]
            if not run.ran or run.status == "error":
                entry["score"] = 0.0
            else:
                clean = copy.deepcopy(cell)
                clean.outputs = [o for o in cell.outputs
                                 if not (o.output_type == "stream" and o.name == "stderr")]
                entry["score"], _ = utils.determine_grade(clean)
        entry["needs_manual"] = entry["score"] is None
        grades[gid] = entry
    return grades


# ------------------------------------------------------------------------ worker

@dataclass
class Job:
    """Everything one worker needs (picklable; sent to a forked process)."""

    student: str
    assignment: str
    files: dict
    timestamp: str | None
    templates: dict
    course: str
    limits: Limits
    isolation: str
    forbidden: list
    release_files: dict
    sub_notes: list
    mpl_cache: list = field(default_factory=list)
    demos: bool = False   # run the "See it" cells after the last test (their figures reach
                          # the feedback page); they earn no points and double the time


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def grade_submission(job: Job, gate=None) -> dict:
    """Grade one student's submission (runs in its own worker process).

    With ``gate`` (a blocking callable), the first kernel is started and warmed up ahead of
    time, and ``gate()`` waits for this submission's turn before any cell runs (the pool
    prepares the next submissions while others are graded)."""
    t0 = time.monotonic()
    if gate is not None:  # "seconds" counts from the turn, not the wait for it
        wait_for_turn = gate

        def gate():
            nonlocal t0
            wait_for_turn()
            t0 = time.monotonic()
    LIMITS_FOR_NOTES["limits"] = job.limits
    course = Path(job.course)
    result = {"student": job.student, "timestamp": job.timestamp, "notebooks": {},
              "problems": [], "flags": [], "status": "graded"}
    uid = (100000 + os.getpid() % 60000) if sandbox.drops_root(job.isolation) else None
    work = Path(tempfile.mkdtemp(prefix="steplab-ag-"))
    expose: list[str] = []  # the sandbox mounts the Python environment and the engine
    engine = str(grading_engine.build(job.assignment))  # without references, declarations
    taken: set[str] = set()
    try:
        for name, template in job.templates.items():
            expected = f"{name}.ipynb"
            gids = {_nbg(c).get("grade_id") for c in template.cells} - {None}
            rel, rename_note = collect.pick_notebook(job.files, expected, gids, taken)
            general = list(job.sub_notes)
            if rename_note:
                general.append(rename_note)
            student_nb = None
            if rel is None:
                problem = f"no notebook {expected} in the submission"
                general.append(f"Your submission has no {expected}, so it could not be "
                               "graded: 0 points.")
            else:
                taken.add(rel)
                try:
                    student_nb, notes = collect.read_notebook(job.files[rel])
                    general += notes
                    problem = None
                except collect.NotebookProblem as exc:
                    problem = f"{rel}: {exc}"
                    general.append(f"Your file {rel} could not be graded: {exc}. Every part "
                                   "scores 0. Open it in JupyterLab to check it, or ask "
                                   "your instructor.")
                except OSError as exc:
                    problem = f"{rel}: cannot read ({exc.strerror})"
                    general.append(f"Your file {rel} could not be read.")
            view = student_view(template)
            if student_nb is None:
                result["problems"].append(problem)
                student_nb = view
                nb, cell_notes, _ = assemble(template, view)
                runs = [CellRun(events=[]) for _ in nb.cells]
                grades = grade_notebook(nb, runs, job.limits)
                for g in grades.values():
                    if g["kind"] == "manual":
                        g["score"], g["needs_manual"] = 0.0, False
            else:
                nb, cell_notes, extra_general = assemble(template, student_nb)
                general += extra_general
                kdir = work / f"k-{name}"
                files = dict(job.release_files)
                files.update({k: v for k, v in job.files.items()
                              if not k.endswith(".ipynb")})
                files.update({f".mpl/{Path(p).name}": p for p in job.mpl_cache})
                run_nb = copy.deepcopy(nb)  # declared test cells become call cells
                requests = judge.substitute(run_nb, judge.parts_for(job.assignment), kdir,
                                            assignment=job.assignment)
                if requests and not job.demos and judge.skip_trailing_demos(run_nb):
                    general.append("The demonstration cells after the last test were not run "
                                   "while grading (they earn no points); run them yourself.")
                _prepare_kernel_dir(kdir, expected, uid, files, job.isolation)
                nbformat.write(student_view(nb), kdir / expected)
                if uid is not None:
                    os.chown(kdir / expected, uid, uid)
                session = _KernelSession(kdir, job.limits, job.isolation, uid, expose,
                                         engine_source=engine)
                # warmed up for the cells that will run (not demos left out, not answers)
                runs, exec_general = asyncio.run(_execute(
                    run_nb, session, job.limits, gate=gate, warmup=warmup_code(run_nb)))
                gate = None  # passed (or never needed): the turn lasts to the end
                general += exec_general
                for i, cell in enumerate(run_nb.cells):
                    if cell.cell_type == "code":
                        nb.cells[i].outputs = cell.get("outputs", [])
                        # tracebacks name cells by execution count (feedback numbers them)
                        nb.cells[i].execution_count = cell.get("execution_count")
                    elif nb.cells[i].cell_type == "code":
                        nb.cells[i].outputs = []
                for i in requests:  # the kernel ran a call cell here, never the hidden test
                    nb.cells[i].metadata.setdefault("steplab", {})["judged"] = True
                judge.apply(nb, runs, requests, kdir)
                grades = grade_notebook(nb, runs, job.limits)
                links = linked_tests(template)
                for i, cell in enumerate(nb.cells):
                    meta = _nbg(cell)
                    gid = meta.get("grade_id")
                    srcs = cell.source if (meta.get("solution") and cell.cell_type == "code") \
                        or cell.get("metadata", {}).get("steplab", {}).get("extra") else None
                    if srcs is None:
                        continue
                    ok = set(template.metadata.get("steplab_engine_allowed", {})
                             .get(gid, []))
                    uses, flags = scan_answer(srcs, set(job.forbidden) - ok)
                    for f in flags:
                        result["flags"].append(f"{name}/{gid or f'extra cell {i}'}: {f}")
                    if uses:
                        targets = links.get(gid, []) if gid else \
                            [g for g in grades if grades[g]["kind"] == "test"]
                        msg = ("Your code uses steplab's reference implementation ("
                               + ", ".join(f"`{u}`" for u in uses[:3]) + "); this exercise "
                               "asks you to write it yourself, so the tests of this part "
                               "score 0.")
                        for t in targets:
                            grades[t]["score"] = 0.0
                            cell_notes.setdefault(t, []).append(msg)
                        result["problems"].append(f"{name}: uses the reference "
                                                  f"implementation ({', '.join(uses[:3])})")
                for i, r in enumerate(runs):
                    for ev in r.events:
                        if ev.split(":")[0] in ("Time limit", "Memory limit",
                                                "Output limit", "Process limit") or \
                                ev.startswith("The Python process"):
                            result["problems"].append(f"{name}: cell {i}: {ev.split('. ')[0]}")
                    lim = _limit_note(r, job.limits)
                    if lim and lim.split(":")[0] in ("Memory limit", "Process limit",
                                                     "File size limit"):
                        result["problems"].append(f"{name}: cell {i}: {lim.split(':')[0]}")
            header = {"assignment": job.assignment, "notebook": name, "student": job.student}
            fb = feedback_notebook(nb, runs, grades, hidden_lines(template), header,
                                   cell_notes, general)
            out_nb = copy.deepcopy(nb)
            out_nb.metadata["steplab_autograde"] = {
                "general": general, "cell_notes": cell_notes,
                "events": {str(i): r.events for i, r in enumerate(runs) if r.events}}
            _atomic_write(course / "autograded" / job.student / job.assignment / expected,
                          nbformat.writes(out_nb))
            _atomic_write(course / "feedback" / job.student / job.assignment /
                          f"{name}.html", render_html(fb))
            result["notebooks"][name] = {
                "grades": {g: {k: v[k] for k in ("score", "max", "needs_manual", "kind",
                                                  "comment")} for g, v in grades.items()},
                "general": general}
    except KernelStartError as exc:
        result["status"] = "failed"
        result["notebooks"] = {}
        result["problems"].append(f"grading failed, scores not changed: {exc}")
    except Exception as exc:  # a grader bug must not stop the class: report it
        import traceback

        result["status"] = "failed"
        result["notebooks"] = {}
        result["problems"].append(f"grader error: {type(exc).__name__}: {exc}")
        result["traceback"] = traceback.format_exc()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["problems"] = list(dict.fromkeys(result["problems"]))
    result["seconds"] = time.monotonic() - t0
    return result


def _worker_main(job: Job, result_path: str, turn=None) -> None:
    """A grading worker process: ``turn.wait()`` returns when this submission may run its
    cells (the local pool sets a multiprocessing Event, a Dask worker writes to a pipe);
    until then it only prepares (see grade_submission)."""
    import resource
    import warnings

    os.environ["STEPLAB_KERNEL_PIDFILE"] = result_path + ".kernels"
    warnings.simplefilter("ignore")
    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, 6 * 2**30))
    except (ValueError, OSError):
        pass
    res = grade_submission(job, gate=turn.wait if turn is not None else None)
    Path(result_path).write_text(json.dumps(res))
    os._exit(0)


def regenerate_feedback(course: str | os.PathLike, assignment: str,
                        db_url: str | None = None, allow_ungraded: bool = False) -> list[Path]:
    """Rebuild ``feedback/`` from ``autograded/`` and the gradebook after manual grading in
    formgrader (use this instead of ``nbgrader generate_feedback``, which would show hidden
    tests, issues #917/#1363). Returns the pages written. A written part nobody graded yet
    reads "not graded yet"; with ``allow_ungraded`` it counts as 0 and the page says so."""
    from nbgrader.api import Gradebook, MissingEntry

    course = Path(course).resolve()
    config = course_config(course)
    templates = build_templates(course, assignment, config)
    db_url = resolve_db_url(course, db_url, config)
    _venv_on_path()
    written = []
    with Gradebook(db_url) as gb:
        for folder in sorted((course / "autograded").glob(f"*/{assignment}")):
            student = folder.parent.name
            for name, template in templates.items():
                path = folder / f"{name}.ipynb"
                if not path.is_file():
                    continue
                nb = nbformat.read(path, as_version=4)
                meta = nb.metadata.get("steplab_autograde", {})
                events = meta.get("events", {})
                runs = []
                for i, c in enumerate(nb.cells):
                    r = CellRun(ran=bool(c.get("outputs")) or c.cell_type == "code",
                                events=list(events.get(str(i), [])))
                    for o in c.get("outputs", []):
                        if o.get("output_type") == "error":
                            r.status, r.ename, r.evalue = "error", o.get("ename"), \
                                o.get("evalue")
                    runs.append(r)
                grades = grade_notebook(nb, runs, Limits())
                for gid, g in grades.items():
                    try:
                        gr = gb.find_grade(gid, name, assignment, student)
                        g["score"] = stored_score(gr)
                    except MissingEntry:
                        pass
                    try:
                        cm = gb.find_comment(gid, name, assignment, student)
                        if cm.manual_comment:  # the auto comment is the grades' own
                            meta.setdefault("cell_notes", {}).setdefault(gid, []).append(
                                f"Grader's comment: {cm.manual_comment}")
                    except MissingEntry:
                        pass
                fb = feedback_notebook(nb, runs, grades, hidden_lines(template),
                                       {"assignment": assignment, "notebook": name,
                                        "student": student,
                                        "ungraded_as_zero": allow_ungraded},
                                       meta.get("cell_notes", {}), meta.get("general", []))
                out = course / "feedback" / student / assignment / f"{name}.html"
                _atomic_write(out, render_html(fb))
                written.append(out)
    return written
