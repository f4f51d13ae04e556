"""Collect a class's submissions: nbgrader's ``submitted/<student>/<assignment>/`` layout, or a
zip of notebooks downloaded from an LMS whose file names carry the student id.

Nothing here modifies the submissions: files are only read (a zip is extracted into a temp
dir that the caller owns). Nothing from the book: this is grading infrastructure.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

MAX_NOTEBOOK_BYTES = 200 * 1024 * 1024
STUDENT_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,99}$")


@dataclass
class Submission:
    """One student's submission: ``files`` maps a path relative to the assignment folder to
    the file on disk (read-only for the grader)."""

    student: str
    files: dict[str, str]
    timestamp: str | None = None
    origin: str = ""
    notes: list[str] = field(default_factory=list)


def _read_timestamp(folder: Path) -> str | None:
    ts = folder / "timestamp.txt"
    if ts.is_file():
        text = ts.read_text(errors="replace").strip()
        return text[:64] or None
    return None


def from_directory(submitted: str | os.PathLike, assignment: str) -> list[Submission]:
    """Submissions in nbgrader's layout ``submitted/<student>/<assignment>/`` (sorted by id).

    Raises ValueError when ``submitted`` is not a directory."""
    submitted = Path(submitted)
    if not submitted.is_dir():
        raise ValueError(f"no submissions folder {submitted}: collect submissions first "
                         "(nbgrader collect, or pass --zip FILE --id-pattern REGEX)")
    subs = []
    for student_dir in sorted(submitted.iterdir()):
        folder = student_dir / assignment
        if not student_dir.is_dir() or not folder.is_dir():
            continue
        files = {}
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder)
            if path.is_file() and not any(p.startswith(".") for p in rel.parts) \
                    and rel.name != "timestamp.txt":
                files[str(rel)] = str(path)
        sub = Submission(student_dir.name, files, _read_timestamp(folder), origin=str(folder))
        if not STUDENT_ID_RE.match(sub.student):
            continue
        subs.append(sub)
    return subs


def from_zip(zip_path: str | os.PathLike, id_pattern: str, extract_to: str | os.PathLike
             ) -> tuple[list[Submission], list[str]]:
    """Submissions from an LMS zip. ``id_pattern`` is a regular expression searched in each
    member's file name; its named group ``student`` (or else its first group) is the student
    id, e.g. ``r"^(?P<student>[a-z]+\\d+)_"`` for ``abc123_adam.ipynb``. When a student has
    several notebooks with the same name, the last one in the zip wins.

    Returns ``(submissions, skipped)`` where ``skipped`` lists the members whose name did
    not match. Raises ValueError for a missing/broken zip or a bad pattern."""
    try:
        rx = re.compile(id_pattern)
    except re.error as exc:
        raise ValueError(f"--id-pattern {id_pattern!r} is not a valid regular expression: "
                         f"{exc}") from None
    if rx.groups == 0:
        raise ValueError("--id-pattern needs a group that captures the student id, e.g. "
                         r"'^(?P<student>\w+?)_'")
    try:
        zf = zipfile.ZipFile(zip_path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ValueError(f"cannot read the zip {zip_path}: {exc}") from None
    extract_to = Path(extract_to)
    by_student: dict[str, Submission] = {}
    skipped = []
    with zf:
        for k, info in enumerate(zf.infolist()):
            if info.is_dir():
                continue
            name = os.path.basename(info.filename)
            m = rx.search(name)
            student = (m.groupdict().get("student") or m.group(1)) if m else None
            if not student or not STUDENT_ID_RE.match(student) or name.startswith("."):
                skipped.append(info.filename)
                continue
            if info.file_size > MAX_NOTEBOOK_BYTES:
                skipped.append(f"{info.filename} (larger than {MAX_NOTEBOOK_BYTES} bytes)")
                continue
            rest = name[m.end():] if m.end() > m.start() else name
            rest = rest.lstrip("_- ") or name
            target = extract_to / student / f"{k:05d}"
            target.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target / "file", "wb") as dst:
                dst.write(src.read())
            sub = by_student.setdefault(student, Submission(student, {}, None,
                                                            origin=str(zip_path)))
            sub.files[rest] = str(target / "file")
            ts = info.date_time
            sub.timestamp = "%04d-%02d-%02d %02d:%02d:%02d" % ts
    return [by_student[s] for s in sorted(by_student)], skipped


class NotebookProblem(Exception):
    """A submitted file that cannot be read as a notebook (the message is for the student)."""


def read_notebook(path: str) -> tuple[nbformat.NotebookNode, list[str]]:
    """Read a submitted notebook defensively. Returns ``(nb, notes)``; raises
    :class:`NotebookProblem` with a student-facing message when it cannot be graded."""
    size = os.path.getsize(path)
    if size == 0:
        raise NotebookProblem("the file is empty (0 bytes)")
    if size > MAX_NOTEBOOK_BYTES:
        raise NotebookProblem(f"the file is too large ({size / 2**20:.0f} MB)")
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        data = json.loads(raw.decode("utf-8", errors="replace"))
    except ValueError as exc:
        raise NotebookProblem(f"it is not valid notebook JSON ({exc})") from None
    if not isinstance(data, dict) or "nbformat" not in data:
        raise NotebookProblem("it is JSON but not a notebook (no 'nbformat' field)")
    major = data.get("nbformat")
    notes = []
    if major not in (3, 4):
        raise NotebookProblem(f"it uses notebook format version {major!r}, which this grader "
                              "cannot read (expected 4); save it again from JupyterLab")
    if major == 3:
        notes.append("Your notebook was in the old format version 3; it was converted to "
                     "version 4 before grading.")
    try:
        nb = nbformat.reads(raw.decode("utf-8", errors="replace"), as_version=4)
    except Exception as exc:  # nbformat raises many types for broken structure
        raise NotebookProblem(f"its notebook structure is broken ({type(exc).__name__}: "
                              f"{str(exc)[:200]})") from None
    if not isinstance(nb.get("cells"), list):
        raise NotebookProblem("it has no list of cells")
    for cell in nb.cells:
        if not isinstance(cell, dict) or "source" not in cell or "cell_type" not in cell:
            raise NotebookProblem("one of its cells is malformed")
        if isinstance(cell.source, list):
            cell.source = "".join(cell.source)
        cell.setdefault("metadata", nbformat.NotebookNode())
    return nb, notes


def pick_notebook(files: dict[str, str], expected: str, grade_ids: set[str],
                  taken: set[str]) -> tuple[str | None, str | None]:
    """Which submitted file is notebook ``expected``: the file of that name, else (a renamed
    file) the ``.ipynb`` that shares most nbgrader cell ids with it, else the only ``.ipynb``
    left. Returns ``(relative path or None, note for the student or None)``."""
    if expected in files:
        return expected, None
    candidates = [f for f in files if f.endswith(".ipynb") and f not in taken]
    if not candidates:
        return None, None
    best, best_score = None, 0
    for rel in candidates:
        try:
            nb, _ = read_notebook(files[rel])
        except (NotebookProblem, OSError):
            continue
        ids = {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
        score = len(ids & grade_ids)
        if score > best_score:
            best, best_score = rel, score
    if best is None and len(candidates) == 1:
        best = candidates[0]
    if best is None:
        return None, None
    return best, (f"There was no file named {expected} in your submission; "
                  f"'{best}' was graded as {expected}. Keep the original file name.")
