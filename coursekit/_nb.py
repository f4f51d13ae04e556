"""Small notebook helpers shared by the course tooling and its tests (no nbgrader import).

- :func:`read`, :func:`dumps`, :func:`write`: deterministic notebook files (sorted keys,
  one-space indent, trailing newline), so regenerating gives the same bytes.
- :func:`normalize`: drop what changes from run to run (outputs, execution counts, timing
  metadata, ``language_info``) and give cells stable ids.
- :func:`cells_by_id`, :func:`solution_ids`, :func:`fill`: look up nbgrader cells by their
  ``grade_id`` and build a submission by replacing the sources of solution cells.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat

#: the kernelspec every notebook of the course carries (docs/design.md)
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

#: cell metadata that Jupyter, nbclient or editors add and that carries no meaning for us
VOLATILE_CELL_KEYS = ("execution", "ExecuteTime", "collapsed", "scrolled", "jupyter",
                      "jp-MarkdownHeadingCollapsed", "vscode", "pycharm", "outputs_hidden")
#: notebook metadata kept by :func:`normalize` (everything else is dropped)
KEPT_NOTEBOOK_KEYS = ("kernelspec",)

_ID_OK = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def read(path) -> nbformat.NotebookNode:
    """Read a notebook as nbformat v4."""
    return nbformat.read(str(path), as_version=4)


def dumps(nb) -> str:
    """Serialize ``nb`` deterministically (nbformat's sorted-key JSON plus a final newline)."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def write(nb, path) -> None:
    """Write ``nb`` to ``path`` with :func:`dumps` (creates the parent directory)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(nb), encoding="utf-8")


def grade_id(cell) -> str | None:
    """The nbgrader ``grade_id`` of ``cell`` or None."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def ensure_ids(nb) -> nbformat.NotebookNode:
    """Return a copy of ``nb`` (upgraded to nbformat 4.5) in which every cell has a stable id.

    A valid existing id is kept; a missing one becomes the cell's ``grade_id`` (made valid
    and unique) or ``cell-<index>``. nbformat would otherwise invent random ids, which would
    make regenerated notebooks differ on every run.
    """
    nb = copy.deepcopy(nb)
    nb.nbformat, nb.nbformat_minor = 4, max(int(nb.get("nbformat_minor", 0)), 5)
    seen = {c["id"] for c in nb.cells if isinstance(c.get("id"), str) and _ID_OK.match(c["id"])}
    for k, cell in enumerate(nb.cells):
        cid = cell.get("id")
        if isinstance(cid, str) and _ID_OK.match(cid):
            continue
        base = re.sub(r"[^a-zA-Z0-9_-]", "-", grade_id(cell) or f"cell-{k}")[:56] or f"cell-{k}"
        cid, j = base, 1
        while cid in seen:
            cid, j = f"{base}-{j}", j + 1
        seen.add(cid)
        cell["id"] = cid
    return nb


def normalize(nb) -> nbformat.NotebookNode:
    """Return a copy of ``nb`` without volatile content: no outputs or execution counts, no
    timing/view metadata, notebook metadata reduced to the kernelspec, stable cell ids."""
    nb = ensure_ids(nb)
    nb.metadata = {k: nb.metadata[k] for k in KEPT_NOTEBOOK_KEYS if k in nb.metadata}
    for cell in nb.cells:
        for key in VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        if "attachments" in cell and not cell["attachments"]:
            del cell["attachments"]
    return nb


def cells_by_id(nb) -> dict:
    """``{grade_id: cell}`` for every cell that has nbgrader metadata."""
    return {grade_id(c): c for c in nb.cells if grade_id(c)}


def is_solution(cell) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution"))


def is_grade(cell) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("grade"))


def solution_ids(nb, cell_type: str = "code") -> list:
    """grade_ids of the solution cells of ``cell_type`` ("code": what the autograder runs;
    "markdown": written answers), in notebook order."""
    return [grade_id(c) for c in nb.cells
            if is_solution(c) and c.cell_type == cell_type and grade_id(c)]


def grade_code_cells(nb) -> list:
    """The autograded test cells (grade true, code, not a solution cell), in order."""
    return [c for c in nb.cells if is_grade(c) and not is_solution(c) and c.cell_type == "code"]


def fill(nb, answers: dict) -> nbformat.NotebookNode:
    """Return a copy of ``nb`` whose solution cells named in ``answers`` (``grade_id`` ->
    whole cell source) hold the given source: a simulated student submission."""
    nb = copy.deepcopy(nb)
    cells = cells_by_id(nb)
    for gid, source in answers.items():
        if gid not in cells:
            raise ValueError(f"no cell with grade_id {gid!r}; the notebook has "
                             f"{sorted(cells)}. Fix the key in tests/submissions/.")
        if not is_solution(cells[gid]):
            raise ValueError(f"cell {gid!r} is not a solution cell (it is locked or a test); "
                             "a submission may only replace solution cells.")
        cells[gid].source = source
    return nb
