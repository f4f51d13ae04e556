"""Grading templates, the student's view, assembly of the notebook to grade, and the static
scan of answer cells (part of the class autograde, :mod:`coursekit.autograde`)."""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import nbformat
from nbformat import NotebookNode

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
ENGINE_MODULES = ["steplab.optimizers", "steplab.more_optimizers", "steplab.train", "steplab.schedules",
                  "steplab.linesearch", "steplab.curvature", "steplab.second_order"]
SUSPICIOUS = {"get_ipython": "uses get_ipython()", "set_custom_exc": "changes IPython's "
              "error handling", "inspect": "inspects the running code", "In": "reads the "
              "input history", "Out": "reads the output history", "_ih": "reads the input "
              "history", "_oh": "reads the output history", "exec": "calls exec",
              "eval": "calls eval", "compile": "calls compile", "__import__": "imports "
              "dynamically", "importlib": "imports dynamically", "ctypes": "uses ctypes",
              "gc": "walks the garbage collector", "__builtins__": "changes builtins",
              "builtins": "changes builtins", "modules": "touches sys.modules",
              "excepthook": "changes sys.excepthook", "settrace": "traces execution",
              "setprofile": "traces execution", "_getframe": "reads stack frames",
              "subprocess": "starts processes", "fork": "forks processes",
              "socket": "opens sockets", "globals": "rewrites globals"}


# ---------------------------------------------------------------------------- templates

def course_config(course: Path):
    """The course's nbgrader configuration (``nbgrader_config.py``) as a traitlets Config."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    if (course / "nbgrader_config.py").is_file():
        return PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    return Config()


def build_templates(course: Path, assignment: str, config=None) -> dict[str, NotebookNode]:
    """Grading templates ``{notebook name: nb}`` of ``source/<assignment>/*.ipynb``: solutions
    cleared, locked cells locked, checksums computed, hidden tests kept (what nbgrader's
    ``generate_assignment`` saves in the gradebook). Raises ValueError when missing."""
    from nbgrader.preprocessors import ClearOutput, ClearSolutions, ComputeChecksums, LockCells

    folder = course / "source" / assignment
    notebooks = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
    if not notebooks:
        names = sorted(p.name for p in (course / "source").glob("*") if p.is_dir())
        raise ValueError(f"no notebooks in {folder}: is '{assignment}' the right assignment? "
                         f"Available: {', '.join(names) or 'none'}")
    config = config if config is not None else course_config(course)
    out = {}
    every = engine_names()
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        allowed = {}  # engine names the instructor's own solution of a cell uses
        for cell in nb.cells:
            meta = _nbg(cell)
            if meta.get("solution") and cell.cell_type == "code":
                uses, _ = scan_answer(cell.source, every)
                allowed[meta.get("grade_id")] = sorted(
                    {re.split(r"[. ]", u)[-1] for u in uses})
        nb.metadata["steplab_engine_allowed"] = allowed
        resources = {"nbgrader": {"assignment": assignment, "notebook": path.stem}}
        for pp in (LockCells, ClearSolutions, ClearOutput, ComputeChecksums):
            nb, resources = pp(config=config).preprocess(nb, resources)
        out[path.stem] = nb
    return out


def strip_hidden(source: str, placeholder: str | None = "# (hidden tests are not shown)"
                 ) -> str:
    """``source`` without the hidden-test regions (what students see)."""
    lines, out, hidden = source.split("\n"), [], False
    for line in lines:
        if HIDDEN_BEGIN in line:
            hidden = True
            if placeholder:
                out.append(line[: line.index(HIDDEN_BEGIN)] + placeholder)
            continue
        if HIDDEN_END in line:
            hidden = False
            continue
        if not hidden:
            out.append(line)
    return "\n".join(out)


def hidden_lines(template: NotebookNode) -> set[str]:
    """Stripped, non-trivial lines of every hidden-test region (used to redact feedback)."""
    found = set()
    for cell in template.cells:
        if HIDDEN_BEGIN not in cell.source:
            continue
        visible = {ln.strip() for ln in strip_hidden(cell.source, None).split("\n")}
        for ln in cell.source.split("\n"):
            s = ln.strip()
            if len(s) >= 6 and s not in visible:
                found.add(s)
    return found


def student_view(template: NotebookNode) -> NotebookNode:
    """The release notebook a student receives (hidden tests removed) from a template."""
    from nbgrader.preprocessors import ClearHiddenTests, ComputeChecksums

    nb = copy.deepcopy(template)
    resources = {"nbgrader": {}}
    nb, resources = ClearHiddenTests().preprocess(nb, resources)
    nb, resources = ComputeChecksums().preprocess(nb, resources)
    return nb


# ----------------------------------------------------------------------- assembly

def _nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def assemble(template: NotebookNode, student: NotebookNode) -> tuple[NotebookNode, dict, list]:
    """The notebook to grade: template cells, except the student's answers in solution cells
    (matched by ``grade_id``), plus the student's own extra cells in place. Locked cells are
    never taken from the student. Returns ``(nb, notes by grade_id, general notes)``."""
    notes: dict[str, list[str]] = {}
    general: list[str] = []
    tcells = {_nbg(c).get("grade_id"): c for c in template.cells if _nbg(c).get("grade_id")}
    answers: dict[str, NotebookNode] = {}
    extras: dict[str | None, list[NotebookNode]] = {}
    last = None
    for cell in student.cells:
        gid = _nbg(cell).get("grade_id")
        if gid in tcells and gid not in answers:
            answers[gid] = cell
            last = gid
            continue
        if cell.get("cell_type") not in ("code", "markdown"):
            continue
        extra = nbformat.v4.new_code_cell(cell.source) if cell.cell_type == "code" \
            else nbformat.v4.new_markdown_cell(cell.source)
        extra.metadata["steplab"] = {"extra": True}
        extras.setdefault(last, []).append(extra)
    cells = list(extras.get(None, []))
    for tcell in template.cells:
        meta = _nbg(tcell)
        gid = meta.get("grade_id")
        new = copy.deepcopy(tcell)
        new.pop("id", None)
        if gid and meta.get("solution") and not meta.get("locked"):
            if gid in answers:
                new.source = answers[gid].source if isinstance(answers[gid].source, str) \
                    else "".join(answers[gid].source)
            else:
                notes.setdefault(gid, []).append(
                    "Your answer cell was missing from the notebook, so it was graded as "
                    "unanswered.")
        elif gid:
            if gid not in answers:
                notes.setdefault(gid, []).append(
                    "This cell was missing from your notebook; the original was put back "
                    "before grading.")
            elif answers[gid].source != tcell.source and \
                    strip_hidden(tcell.source, None) != answers[gid].source:
                notes.setdefault(gid, []).append(
                    "You changed this locked cell; the original was restored before grading "
                    "(changes to locked cells are not used).")
        cells.append(new)
        cells.extend(extras.get(gid, []) if gid else [])
    if any(e.cell_type == "code" for es in extras.values() for e in es):
        general.append("Your own extra code cells were run where you put them.")
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"
    nb = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(template.metadata))
    return nb, notes, general


# ----------------------------------------------------------------- static checks

def engine_names(allow: set[str] = frozenset()) -> set[str]:
    """Public names of steplab's reference implementations that an answer may not call
    (optimizers, the training loop, schedules, line search, curvature), minus ``allow``."""
    import importlib
    import inspect

    names = set()
    for mod in ENGINE_MODULES:
        try:
            m = importlib.import_module(mod)
        except ImportError:
            continue
        public = getattr(m, "__all__", None) or [n for n in vars(m) if not n.startswith("_")]
        for n in public:
            obj = getattr(m, n, None)
            if getattr(obj, "__module__", "") != mod:
                continue
            if inspect.isfunction(obj) or (isinstance(obj, type) and hasattr(obj, "step")):
                names.add(n)
    return names - set(allow)


def scan_answer(source: str, forbidden: set[str]) -> tuple[list[str], list[str]]:
    """Static scan of one answer cell. Returns ``(reference uses, suspicious reasons)``:
    uses of steplab's reference implementations (``sl.Adam``, ``from steplab.optimizers
    import Adam``, ...) and names that ordinary answers never need (review flags)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [], []
    aliases = {"steplab", "sl"}
    uses, flags = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "steplab":
                    aliases.add((a.asname or a.name).split(".")[0])
                    if a.name in ENGINE_MODULES:
                        uses.append(f"import {a.name}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("steplab"):
            for a in node.names:
                if a.name in forbidden or f"steplab.{a.name}" in ENGINE_MODULES or \
                        node.module in ENGINE_MODULES:
                    uses.append(f"from {node.module} import {a.name}")
                    aliases.add(a.asname or a.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in forbidden:
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in aliases:
                uses.append(ast.unparse(node))
        name = node.id if isinstance(node, ast.Name) else \
            node.attr if isinstance(node, ast.Attribute) else \
            node.names[0].name.split(".")[0] if isinstance(node, (ast.Import,)) else \
            (node.module or "").split(".")[0] if isinstance(node, ast.ImportFrom) else None
        if name in SUSPICIOUS:
            flags.append(SUSPICIOUS[name])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id == "getattr" and node.args and \
                isinstance(node.args[0], ast.Name) and node.args[0].id in aliases:
            flags.append("looks up steplab names dynamically")
    return sorted(set(uses)), sorted(set(flags))


def linked_tests(template: NotebookNode) -> dict[str, list[str]]:
    """For each answer cell, the graded test cells that follow it up to the next answer
    cell (one test cell per part, NBGRADER.md)."""
    links: dict[str, list[str]] = {}
    current = None
    for cell in template.cells:
        meta = _nbg(cell)
        if meta.get("solution") and cell.cell_type == "code":
            current = meta.get("grade_id")
            links[current] = []
        elif meta.get("grade") and not meta.get("solution") and current:
            links[current].append(meta.get("grade_id"))
    return links
