"""Autograde a whole class in parallel, sandboxed, with safe feedback (``python -m coursekit
autograde <assignment> --workers N``).

Pipeline (nothing from the book: this is the course's grading infrastructure):

1. The parent builds the *grading template* of each notebook of the assignment from
   ``source/<a>/<nb>.ipynb`` with nbgrader's own preprocessors (``LockCells``,
   ``ClearSolutions``, ``ClearOutput``, ``ComputeChecksums``: the same cells, checksums and
   hidden tests that ``nbgrader generate_assignment`` stores in the gradebook) and registers
   the assignment in the gradebook if it is not there yet (``SaveCells``).
2. One worker process per submission (forked, so crashes stay isolated): it reads the
   student's notebook defensively, *assembles* the notebook to grade (every locked, test and
   instruction cell comes from the template; only the student's answer cells and their own
   extra cells are taken from the submission), executes it cell by cell in a sandboxed
   kernel (:mod:`coursekit.sandbox`) whose working directory holds only the student's
   notebook, grades each test cell (an error, in the reply or the outputs, scores 0; text on
   stderr does not), writes ``autograded/<student>/<a>/<nb>.ipynb`` and the feedback page
   ``feedback/<student>/<a>/<nb>.html``, and returns the scores.
3. The parent is the only writer of the gradebook (SQLite or PostgreSQL via ``db_url``): it
   merges each result (auto scores are replaced, manual scores kept) and then writes the
   grades CSV, a summary and the report (:mod:`coursekit.report`).

What the sandbox closes and what it cannot (documented for instructors):
closed -- reading ``source/``, ``solutions/``, ``tests/``, ``.git``, the gradebook or other
students' files (the course directory and ``/tmp`` are hidden in the kernel's mount
namespace), the network, writing outside the kernel's directory, runaway memory, processes,
file sizes and time, edited or deleted locked/test cells (restored from the source), hidden
test code in feedback (cell code, tracebacks and any output text that repeats a hidden line
are redacted; outputs produced after the first hidden test reached the kernel are not shown;
messages are capped). Not closed -- student code runs in the same kernel *before* the test
cells, so a deliberately malicious submission can inspect the test code when it is called
(``inspect``, ``In``) or patch IPython/steplab to fake passes. Such code needs names that
ordinary answers never use; the grader flags them (``get_ipython``, ``inspect``, ``In``,
``sys.modules``, ``exec`` ...) for manual review in the report instead of trusting the score.
"""

from __future__ import annotations

import ast
import asyncio
import copy
import csv
import functools
import html
import json
import multiprocessing
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from . import collect, sandbox

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
ENGINE_MODULES = ["steplab.optimizers", "steplab.train", "steplab.schedules",
                  "steplab.linesearch", "steplab.curvature"]
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


@dataclass(frozen=True)
class Limits:
    """Sandbox limits for one student's notebook (see :mod:`coursekit.sandbox`)."""

    cell_timeout: float = 30.0      # wall clock per cell, s
    timeout: float = 180.0          # wall clock per notebook, s
    memory_mb: int = 1536           # RLIMIT_AS of the kernel
    nproc: int = 48                 # RLIMIT_NPROC (processes + threads) of the kernel's uid
    fsize_mb: int = 64              # RLIMIT_FSIZE
    nofile: int = 256               # RLIMIT_NOFILE
    output_kb: int = 100            # text output kept per cell
    image_kb: int = 1024            # largest image kept in an output
    startup_timeout: float = 60.0

    def describe(self) -> str:
        """One line for logs and reports."""
        return (f"{self.cell_timeout:g} s per cell, {self.timeout:g} s per notebook, "
                f"{self.memory_mb} MiB memory, {self.nproc} processes/threads, "
                f"{self.fsize_mb} MiB per file, no network")


# ---------------------------------------------------------------------------- templates

def course_config(course: Path):
    """The course's nbgrader configuration (``nbgrader_config.py``) as a traitlets Config."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    if (course / "nbgrader_config.py").is_file():
        return PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    return Config()


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
    """nbgrader calls ``alembic`` by name when it creates a gradebook (DESIGN.md 5)."""
    venv_bin = str(Path(sys.executable).parent)
    if venv_bin not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = venv_bin + os.pathsep + os.environ.get("PATH", "")


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


def register_assignment(db_url: str, assignment: str, templates: dict[str, NotebookNode],
                        log=print) -> None:
    """Create the assignment, its notebooks and cells in the gradebook if missing
    (nbgrader's ``SaveCells``; a fresh clone has no gradebook, DESIGN.md 5)."""
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


# --------------------------------------------------------------------- execution

def _ansi_free(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tasks:
            try:
                with open(f"/proc/{p}/task/{t}/children") as fh:
                    kids = [int(x) for x in fh.read().split()]
            except OSError:
                kids = []
            out.extend(kids)
            todo.extend(kids)
    return out


def _kill_strays(kernel_host_pid: int | None) -> int:
    """Stop (SIGSTOP, so they cannot fork again) and then kill every process the kernel
    forked; the kernel itself survives. Returns how many were killed."""
    if not kernel_host_pid:
        return 0
    stopped: set[int] = set()
    skip = set()
    for _ in range(200):
        kids = _descendants(kernel_host_pid)
        if kids and _is_unshare(kernel_host_pid):
            skip.add(kids[0])  # in namespace mode the kernel is unshare's first child
        new = [k for k in kids if k not in skip and k not in stopped]
        if not new:
            break
        for k in new:
            try:
                os.kill(k, signal.SIGSTOP)
            except OSError:
                pass
            stopped.add(k)
    for k in stopped:
        try:
            os.kill(k, signal.SIGKILL)
        except OSError:
            pass
    return len(stopped)


def _is_unshare(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/comm") as fh:
            return fh.read().strip() == "unshare"
    except OSError:
        return False


def _record_reply(replies: dict, cell=None, cell_index=None, execute_reply=None, **_):
    replies[cell_index] = execute_reply


class KernelStartError(RuntimeError):
    """The grader could not start a sandboxed kernel (a grading failure, not the student's)."""


@dataclass
class CellRun:
    """What happened when one cell ran."""

    ran: bool = False
    status: str | None = None       # "ok" | "error" | None
    ename: str | None = None
    evalue: str | None = None
    events: list[str] = field(default_factory=list)
    stderr: bool = False


def _make_client_class():
    from nbclient import NotebookClient

    class CappedClient(NotebookClient):
        """nbclient with per-cell output caps (10^7 lines, huge images)."""

        def __init__(self, *a, caps=(100, 1024), **kw):
            super().__init__(*a, **kw)
            self._caps = caps
            self._sizes: dict[int, int] = {}
            self.capped: dict[int, list[str]] = {}

        def output(self, outs, msg, display_id, cell_index):
            content = msg.get("content", {})
            mtype = msg.get("msg_type")
            text_kb, image_kb = self._caps
            if mtype == "stream":
                n = len(content.get("text", ""))
                used = self._sizes.get(cell_index, 0)
                self._sizes[cell_index] = used + n
                if used + n > text_kb * 1024:
                    note = f"output beyond {text_kb} kB was dropped"
                    if note not in self.capped.setdefault(cell_index, []):
                        self.capped[cell_index].append(note)
                        msg = copy.deepcopy(msg)
                        msg["content"]["text"] = content.get("text", "")[
                            : max(0, text_kb * 1024 - used)] + f"\n[... {note} ...]\n"
                        return super().output(outs, msg, display_id, cell_index)
                    return None
            if mtype in ("display_data", "execute_result", "update_display_data"):
                data = content.get("data", {})
                big = [k for k, v in data.items()
                       if k.startswith("image/") and len(str(v)) * 3 / 4 > image_kb * 1024]
                if big or sum(len(str(v)) for v in data.values()) > 4 * image_kb * 1024:
                    size = sum(len(str(v)) for v in data.values()) * 3 / 4 / 2**20
                    note = f"an output of {size:.1f} MB was left out (limit {image_kb} kB)"
                    self.capped.setdefault(cell_index, []).append(note)
                    msg = copy.deepcopy(msg)
                    msg["content"]["data"] = {"text/plain": f"[{note}]"}
            return super().output(outs, msg, display_id, cell_index)

    return CappedClient


class _KernelSession:
    """A sandboxed kernel with a working directory that holds only the student's files."""

    def __init__(self, kdir: Path, limits: Limits, isolation: str, uid: int | None,
                 hide: list[str], expose: list[str]):
        self.kdir, self.limits, self.isolation = kdir, limits, isolation
        self.uid, self.hide, self.expose = uid, hide, expose

    def kernel_manager(self):
        from jupyter_client.manager import AsyncKernelManager

        spec_path = str(self.kdir.parent / "sandbox.json")
        env = {
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
            "HOME": str(self.kdir), "IPYTHONDIR": str(self.kdir / ".ipython"),
            "MPLCONFIGDIR": str(self.kdir / ".mpl"), "TMPDIR": "/tmp", "LANG": "C.UTF-8",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1", "PYTHONDONTWRITEBYTECODE": "1",
        }
        lim = self.limits
        spec = {"isolation": self.isolation, "cwd": str(self.kdir), "env": env,
                "hide": self.hide, "expose": self.expose, "uid": self.uid, "gid": self.uid,
                "limits": {"as": lim.memory_mb * 2**20, "nproc": lim.nproc,
                           "fsize": lim.fsize_mb * 2**20, "nofile": lim.nofile,
                           "cpu": int(lim.timeout + 30)}}
        Path(spec_path).write_text(json.dumps(spec))
        isolation = self.isolation
        uid = self.uid

        class SandboxedKernelManager(AsyncKernelManager):
            def format_kernel_cmd(self, extra_arguments=None):
                argv = [sys.executable, "-m", "ipykernel_launcher", "-f",
                        self.connection_file, "--HistoryManager.enabled=False"]
                return sandbox.wrap_command(argv, spec_path, isolation)

            def write_connection_file(self, **kw):
                super().write_connection_file(**kw)
                if uid is not None and os.geteuid() == 0:
                    os.chown(self.connection_file, uid, uid)

        km = SandboxedKernelManager(kernel_name="python3", transport="ipc",
                                    ip=str(self.kdir / "ipc"),
                                    connection_file=str(self.kdir / "kernel.json"))
        return km


def _prepare_kernel_dir(kdir: Path, nb_name: str, uid: int | None, extra_files: dict,
                        isolation: str = "namespaces"):
    kdir.mkdir(parents=True, exist_ok=True)
    startup = kdir / ".ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-steplab-no-network.py").write_text(sandbox.SOCKET_BLOCK)
    if isolation != "namespaces":
        (startup / "01-steplab-no-processes.py").write_text(sandbox.FORK_BLOCK)
    (kdir / ".mpl").mkdir(exist_ok=True)
    for rel, src in extra_files.items():
        dst = kdir / rel
        if ".." in Path(rel).parts or dst.exists():
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copyfile(src, dst)
        except OSError:
            pass
    if uid is not None and os.geteuid() == 0:
        for root, _dirs, files in os.walk(kdir):
            os.chown(root, uid, uid)
            for f in files:
                os.chown(os.path.join(root, f), uid, uid)
    os.chmod(kdir, 0o755)


async def _execute(nb: NotebookNode, session: _KernelSession, limits: Limits
                   ) -> tuple[list[CellRun], list[str]]:
    """Run every code cell; on a timeout or a dead kernel, start a new kernel, replay the
    cells that had run (outputs discarded) and go on. Returns per-cell runs and events."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    Client = _make_client_class()
    runs = [CellRun() for _ in nb.cells]
    general: list[str] = []
    deadline = time.monotonic() + limits.timeout
    code_idx = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    pos = 0
    replay: list[int] = []
    restarts = 0
    while pos < len(code_idx):
        km = session.kernel_manager()
        client = Client(nb, km=km, timeout=limits.cell_timeout, allow_errors=True,
                        startup_timeout=limits.startup_timeout, kernel_name="python3",
                        resources={"metadata": {"path": str(session.kdir)}},
                        record_timing=False,
                        caps=(limits.output_kb, limits.image_kb))
        replies: dict[int, dict] = {}
        client.on_cell_executed = functools.partial(_record_reply, replies)
        failed = None
        started = False
        log_path = session.kdir.parent / f"{session.kdir.name}-kernel.log"
        log_fh = open(log_path, "ab")
        try:
            async with client.async_setup_kernel(stdout=log_fh, stderr=log_fh):
                started = True
                host_pid = getattr(getattr(km, "provisioner", None), "pid", None)
                pidfile = os.environ.get("STEPLAB_KERNEL_PIDFILE")
                if pidfile and host_pid:  # lets the parent stop it if this worker hangs
                    with open(pidfile, "a") as fh:
                        fh.write(f"{host_pid}\n")
                for i in replay:  # state lost at a restart: run earlier cells again
                    scratch = copy.deepcopy(nb.cells[i])
                    budget = min(limits.cell_timeout, deadline - time.monotonic())
                    if budget <= 0:
                        raise CellTimeoutError("notebook time limit")
                    client.timeout = budget
                    await client.async_execute_cell(scratch, i)
                    _kill_strays(host_pid)
                while pos < len(code_idx):
                    i = code_idx[pos]
                    budget = min(limits.cell_timeout, deadline - time.monotonic())
                    if budget <= 0:
                        failed = ("notebook-timeout", i)
                        break
                    client.timeout = budget
                    cell = nb.cells[i]
                    cell.outputs = []
                    runs[i].ran = True
                    try:
                        try:
                            await client.async_execute_cell(cell, i)
                        finally:
                            for note in client.capped.get(i, []):
                                runs[i].events.append(f"Output limit: {note}.")
                    except CellTimeoutError:
                        stray = _kill_strays(host_pid)
                        if stray:
                            runs[i].events.append(
                                f"Process limit: this cell started {stray} process(es) "
                                f"(at most {limits.nproc} processes and threads may run); "
                                "they were stopped.")
                        whole = budget < limits.cell_timeout
                        runs[i].events.append(
                            f"Time limit: this cell was stopped after {budget:.0f} s (the "
                            + ("whole notebook may run for " + f"{limits.timeout:g} s)."
                               if whole else f"limit is {limits.cell_timeout:g} s per cell). "
                               "Check that every loop ends."))
                        runs[i].status = "error"
                        runs[i].ename = "TimeoutError"
                        failed = ("timeout", i)
                        break
                    except DeadKernelError:
                        runs[i].events.append(
                            "The Python process running your notebook stopped while this "
                            "cell ran (for example os._exit(), a crash, or the CPU time "
                            "limit); it was restarted, and the cells before this one were "
                            "run again.")
                        runs[i].status = "error"
                        runs[i].ename = "DeadKernel"
                        failed = ("died", i)
                        break
                    reply = replies.get(i, {}).get("content", {})
                    runs[i].status = reply.get("status", "error")
                    if runs[i].status == "error":
                        runs[i].ename = reply.get("ename")
                        runs[i].evalue = reply.get("evalue")
                    stray = _kill_strays(host_pid)
                    if stray:
                        runs[i].events.append(
                            f"Process limit: this cell started {stray} process(es) (at most "
                            f"{limits.nproc} processes and threads may run); they were "
                            "stopped and "
                            "the kernel was restarted (the cells before this one were run "
                            "again, this one was not).")
                        failed = ("strays", i)
                        break
                    pos += 1
                    replay.append(i)
        except Exception as exc:
            if not started:
                log_fh.flush()
                tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
                raise KernelStartError(f"the sandboxed kernel did not start "
                                       f"({type(exc).__name__}: {exc}; kernel log: "
                                       f"{' | '.join(tail)})") from None
            if failed is None:  # e.g. a replayed cell timed out or killed the kernel
                failed = ("notebook-timeout", code_idx[pos] if pos < len(code_idx) else -1)
        finally:
            try:
                await km.shutdown_kernel(now=True)
            except Exception:
                pass
            try:
                client.kc.stop_channels()
            except Exception:
                pass
            log_fh.close()
        if failed is None:
            break
        kind, i = failed
        if kind == "notebook-timeout":
            general.append(f"Time limit: the notebook may run for {limits.timeout:g} s in "
                           "total; the cells after that were not run (0 points for their "
                           "tests).")
            break
        restarts += 1
        if restarts > 5:
            general.append("The kernel was restarted 5 times; the remaining cells were not "
                           "run.")
            break
        pos += 1  # skip the cell that hung or killed the kernel
    for i, r in enumerate(runs):
        if not r.ran and nb.cells[i].cell_type == "code":
            r.events.append("Not run (see the time limit note above).")
        for out in nb.cells[i].get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                r.stderr = True
            if out.get("output_type") == "error" and r.status != "error":
                r.status, r.ename, r.evalue = "error", out.get("ename"), out.get("evalue")
    return runs, general


# ----------------------------------------------------------------------- grading

def _limit_note(run: CellRun, limits: Limits) -> str | None:
    text = f"{run.ename}: {run.evalue}"
    if run.ename == "MemoryError":
        return (f"Memory limit: this cell ran out of memory (the limit is "
                f"{limits.memory_mb} MiB).")
    if run.ename == "BlockingIOError" or "Resource temporarily unavailable" in text:
        return (f"Process limit: the code tried to start more processes or threads than "
                f"allowed ({limits.nproc}).")
    if "File too large" in text or "Errno 27" in text:
        return f"File size limit: a file may not exceed {limits.fsize_mb} MiB."
    if "network access is disabled" in text or "Network is unreachable" in text \
            or "Errno 101" in text:
        return "No network: code being graded cannot use the network."
    if run.ename == "SystemExit":
        return "The code called sys.exit(); in a notebook that only stops the cell."
    return None


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


# ----------------------------------------------------------------------- feedback

def _redact(text: str, hidden: set[str], cap: int = 2000) -> str:
    text = _ansi_free(text)
    for h in hidden:
        if h in text:
            text = text.replace(h, "[hidden test]")
    if len(text) > cap:
        text = text[:cap] + f"\n[... {len(text) - cap} more characters not shown ...]"
    return text


def _summarise_error(cell_src: str, run: CellRun, outputs, hidden: set[str]) -> str:
    """The error a student caused in a test cell, without the test's own code: exception
    type and message, plus the traceback frames that are not in the test cell."""
    lines = []
    test_lines = {ln.strip() for ln in cell_src.split("\n") if len(ln.strip()) >= 4}
    for out in outputs:
        if out.get("output_type") != "error":
            continue
        for frame in out.get("traceback", [])[:-1]:
            plain = _ansi_free(frame)
            if any(t in plain for t in test_lines) or "Traceback (most recent" in plain \
                    or set(plain.strip()) <= {"-"}:
                continue
            lines.append(_redact(plain, hidden, 800))
    ename = run.ename or "Error"
    evalue = (run.evalue or "").strip()
    if ename in ("TimeoutError", "DeadKernel") and not evalue:
        return "\n".join(lines[-6:])  # the note under the cell says what happened
    if ename == "AssertionError" and not evalue:
        evalue = "a test failed (it has no message; check the task description)."
    lines.append(f"{ename}: {_redact(evalue, hidden, 1500)}")
    return "\n".join(lines[-6:])


def feedback_notebook(nb: NotebookNode, runs: list[CellRun], grades: dict, template_hidden:
                      set[str], header: dict, cell_notes: dict, general: list[str]
                      ) -> NotebookNode:
    """The feedback a student sees: their notebook with hidden tests removed, a score and
    notes after each graded cell, test outputs reduced to the error they caused; outputs
    produced after the first hidden test reached the kernel are left out."""
    fb = nbformat.v4.new_notebook(metadata=copy.deepcopy(nb.metadata))
    fb.metadata["steplab_title"] = f"Feedback: {header['assignment']} / {header['student']}"
    auto = sum(g["score"] or 0 for g in grades.values() if g["kind"] == "test")
    auto_max = sum(g["max"] for g in grades.values() if g["kind"] == "test")
    manual = [g for g in grades.values() if g["kind"] == "manual"]
    rows = "\n".join(
        f"| `{gid}` | {_fmt_score(g['score'])} | {g['max']:g} |"
        for gid, g in grades.items() if g["kind"] != "answer")
    head = [f"# Feedback: {header['assignment']} / {header['notebook']}",
            f"Student: **{header['student']}**", "",
            f"Autograded score: **{auto:g} / {auto_max:g}**"
            + (f" ({len(manual)} part(s) graded by hand)" if manual else ""), "",
            "| part | score | max |", "|---|---|---|", rows]
    if general:
        head += ["", "**Notes**", ""] + [f"- {g}" for g in general]
    fb.cells.append(nbformat.v4.new_markdown_cell("\n".join(head)))
    hidden_started = False
    for i, cell in enumerate(nb.cells):
        meta = _nbg(cell)
        gid = meta.get("grade_id")
        src = cell.source
        is_test = bool(meta.get("grade")) and not meta.get("solution") and \
            cell.cell_type == "code"
        if HIDDEN_BEGIN in src:
            src = strip_hidden(src)
        if cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(src)
        elif cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(src)
            run = runs[i]
            if is_test:
                if run.status == "error":
                    text = _summarise_error(src, run, cell.get("outputs", []),
                                            template_hidden)
                    if text.strip():
                        new.outputs = [nbformat.v4.new_output("stream", name="stderr",
                                                              text=text)]
            elif not hidden_started:
                new.outputs = _safe_outputs(cell.get("outputs", []), template_hidden)
            if HIDDEN_BEGIN in cell.source and run.ran:
                hidden_started = True
        else:
            continue
        fb.cells.append(new)
        notes = []
        if cell.cell_type == "code":
            notes += [e for e in runs[i].events]
            lim = _limit_note(runs[i], LIMITS_FOR_NOTES.get("limits", Limits()))
            if lim and not any(n.split(":")[0] == lim.split(":")[0] for n in notes):
                notes.append(lim)
            if runs[i].stderr:
                notes.append("Your code wrote warnings or other text to stderr here; that "
                              "costs no points.")
        notes += cell_notes.get(gid, []) if gid else []
        if gid in grades and grades[gid]["kind"] != "answer":
            g = grades[gid]
            notes.insert(0, f"**Part `{gid}`: {_fmt_score(g['score'])} / {g['max']:g} "
                            "points.**")
        elif gid in grades and grades[gid].get("comment"):
            notes.append(grades[gid]["comment"])
        if notes:
            fb.cells.append(nbformat.v4.new_markdown_cell("\n\n".join(notes),
                                                          metadata={"steplab_note": True}))
    return fb


LIMITS_FOR_NOTES: dict = {}


def _fmt_score(score) -> str:
    return "pending (graded by hand)" if score is None else f"{score:g}"


def _safe_outputs(outputs, hidden: set[str]):
    keep = []
    for out in outputs:
        out = copy.deepcopy(out)
        if out.get("output_type") == "stream":
            out["text"] = _redact(out.get("text", ""), hidden, 20000)
        elif out.get("output_type") == "error":
            out["traceback"] = [_redact(t, hidden, 4000) for t in out.get("traceback", [])]
            out["evalue"] = _redact(out.get("evalue", ""), hidden, 2000)
        elif "data" in out:
            out["data"] = {k: (_redact(v, hidden, 20000) if k.startswith("text/") and
                               isinstance(v, str) else v) for k, v in out["data"].items()}
        keep.append(out)
    return keep


_FEEDBACK_CSS = """body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;
line-height:1.45;color:#222} pre{background:#f6f8fa;padding:.6em;overflow-x:auto;
border-radius:4px} pre.out{background:#fff;border-left:3px solid #ccc} pre.err{background:#fff0f0;
border-left:3px solid #c33} .note{background:#fffbe6;border-left:3px solid #e0b000;
padding:.3em .8em;margin:.4em 0 1.2em} table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:2px 8px} img{max-width:100%}"""


def render_html(nb: NotebookNode) -> str:
    """A self-contained HTML page of a feedback notebook. Deliberately small and safe: code
    and text outputs are escaped, only PNG/JPEG images are embedded, HTML/JS/SVG outputs
    are shown as their text form (a page built from student output must not run scripts)."""
    import mistune

    md = mistune.create_markdown(escape=True, plugins=["table"])
    esc = html.escape
    parts = []
    for cell in nb.cells:
        meta = cell.get("metadata", {})
        if cell.cell_type == "markdown":
            cls = ' class="note"' if meta.get("steplab_note") else ""
            parts.append(f"<div{cls}>{md(cell.source)}</div>")
            continue
        if cell.cell_type != "code":
            continue
        parts.append(f"<pre><code>{esc(cell.source)}</code></pre>")
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "stream":
                cls = "err" if out.get("name") == "stderr" else "out"
                parts.append(f'<pre class="{cls}">{esc(_ansi_free(out.get("text", "")))}</pre>')
            elif kind == "error":
                tb = "\n".join(_ansi_free(t) for t in out.get("traceback", [])) or \
                    f"{out.get('ename')}: {out.get('evalue')}"
                parts.append(f'<pre class="err">{esc(tb)}</pre>')
            elif "data" in out:
                data = out["data"]
                img = next((k for k in ("image/png", "image/jpeg") if k in data), None)
                if img:
                    b64 = "".join(data[img]) if isinstance(data[img], list) else data[img]
                    parts.append(f'<img alt="output" src="data:{img};base64,'
                                 f'{esc(b64.strip())}">')
                elif "text/plain" in data:
                    txt = data["text/plain"]
                    txt = "".join(txt) if isinstance(txt, list) else txt
                    parts.append(f'<pre class="out">{esc(txt)}</pre>')
    title = esc(nb.metadata.get("steplab_title", "Feedback"))
    return (f"<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"<style>{_FEEDBACK_CSS}</style></head><body>\n" + "\n".join(parts) +
            "\n</body></html>\n")


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


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


#: the engine package the student's kernel imports (steplab/), exposed inside the sandbox
_ENGINE_DIR = str(Path(__file__).resolve().parents[1] / "steplab")


def grade_submission(job: Job) -> dict:
    """Grade one student's submission (runs in its own worker process)."""
    t0 = time.monotonic()
    LIMITS_FOR_NOTES["limits"] = job.limits
    course = Path(job.course)
    result = {"student": job.student, "timestamp": job.timestamp, "notebooks": {},
              "problems": [], "flags": [], "status": "graded"}
    uid = (100000 + os.getpid() % 60000) if job.isolation == "namespaces" else None
    work = Path(tempfile.mkdtemp(prefix="steplab-ag-"))
    repo_root = Path(__file__).resolve().parents[1]
    hide = [str(course), str(repo_root), "/tmp", "/var/tmp", "/dev/shm", "/root", "/home"]
    expose = [sys.prefix, sys.base_prefix, str(Path(sys.executable).resolve().parents[1]),
              _ENGINE_DIR, str(Path(__file__).resolve().parent)]
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
                _prepare_kernel_dir(kdir, expected, uid, files, job.isolation)
                nbformat.write(student_view(nb), kdir / expected)
                if uid is not None:
                    os.chown(kdir / expected, uid, uid)
                session = _KernelSession(kdir, job.limits, job.isolation, uid, hide, expose)
                runs, exec_general = asyncio.run(_execute(nb, session, job.limits))
                general += exec_general
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


def _worker_main(job: Job, result_path: str) -> None:
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
    res = grade_submission(job)
    Path(result_path).write_text(json.dumps(res))
    os._exit(0)


# ------------------------------------------------------------------------ parent

@dataclass
class ClassResult:
    """Outcome of grading a class."""

    assignment: str
    results: list
    csv_path: Path
    summary_path: Path
    report_path: Path | None
    isolation: str
    seconds: float

    @property
    def failed(self) -> list:
        """Submissions that could not be graded normally (listed in the summary)."""
        return [r for r in self.results if r["problems"] or r["status"] != "graded"]


def merge_result(gb, assignment: str, res: dict) -> None:
    """Write one worker's scores into the gradebook (parent only; auto scores replaced,
    manual scores and comments kept, like nbgrader's ``SaveAutoGrades``)."""
    from nbgrader.api import MissingEntry

    gb.update_or_create_student(res["student"])
    kw = {"timestamp": res["timestamp"]} if res.get("timestamp") else {}
    try:
        gb.update_or_create_submission(assignment, res["student"], **kw)
    except Exception:
        gb.db.rollback()
        gb.update_or_create_submission(assignment, res["student"])
    for nbname, nbres in res["notebooks"].items():
        for gid, g in nbres["grades"].items():
            if g["kind"] != "answer" or g["max"]:
                try:
                    grade = gb.find_grade(gid, nbname, assignment, res["student"])
                except MissingEntry:
                    grade = None
                if grade is not None:
                    grade.auto_score = g["score"]
                    grade.needs_manual_grade = (grade.manual_score is not None) or \
                        g["score"] is None
            if g["kind"] in ("answer", "manual"):
                try:
                    c = gb.find_comment(gid, nbname, assignment, res["student"])
                    c.auto_comment = g.get("comment")
                except MissingEntry:
                    pass
    gb.db.commit()


def _matplotlib_font_cache() -> list[str]:
    """matplotlib's font list cache, copied into every kernel's fresh MPLCONFIGDIR so that no
    kernel spends seconds rebuilding it."""
    try:
        import glob

        import matplotlib

        found = glob.glob(os.path.join(matplotlib.get_cachedir(), "fontlist-*.json"))
        if not found:
            import matplotlib.font_manager  # noqa: F401  (builds the cache)

            found = glob.glob(os.path.join(matplotlib.get_cachedir(), "fontlist-*.json"))
        return found
    except Exception:
        return []


def _kill_worker(p, result_path: str) -> None:
    """Kill a worker and the kernels it started (they run in sessions of their own)."""
    try:
        pids = [int(x) for x in Path(result_path + ".kernels").read_text().split()]
    except (OSError, ValueError):
        pids = []
    for pid in [p.pid, *pids]:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    p.join()


def _run_pool(jobs: list[Job], workers: int, limits: Limits, progress: bool, tmp: Path,
              on_started=None, on_result=None):
    """Run one forked worker process per job, at most ``workers`` at a time. The parent calls
    ``on_started()`` once the first workers run (it has the CPU to spare) and
    ``on_result(result)`` for each finished submission, in the order they finish."""
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread in a process that forks
    ctx = multiprocessing.get_context("fork")
    pending = list(enumerate(jobs))
    running: dict[int, tuple] = {}
    results: list = [None] * len(jobs)
    hard = limits.timeout * 2 + limits.startup_timeout * 3 + 60
    bar = tqdm(total=len(jobs), unit="submission", disable=not progress, dynamic_ncols=True,
               desc="autograde")
    try:
        while pending or running:
            while pending and len(running) < workers:
                k, job = pending.pop(0)
                path = str(tmp / f"result-{k}.json")
                p = ctx.Process(target=_worker_main, args=(job, path), daemon=False)
                p.start()
                running[k] = (p, path, time.monotonic())
            if on_started is not None:
                on_started()
                on_started = None
            time.sleep(0.05)
            for k, (p, path, started) in list(running.items()):
                if p.is_alive() and time.monotonic() - started < hard:
                    continue
                if p.is_alive():
                    _kill_worker(p, path)
                p.join()
                try:
                    results[k] = json.loads(Path(path).read_text())
                except (OSError, ValueError):
                    results[k] = {"student": jobs[k].student, "timestamp": None,
                                  "notebooks": {}, "flags": [], "status": "failed",
                                  "problems": [f"the grading worker crashed (exit code "
                                               f"{p.exitcode})"]}
                del running[k]
                if on_result is not None:
                    on_result(results[k])
                bar.update(1)
                bar.set_postfix_str(jobs[k].student[:20])
    finally:
        for p, path, _ in running.values():
            _kill_worker(p, path)
        bar.close()
    return results


def autograde_class(course: str | os.PathLike, assignment: str, *, workers: int = 2,
                    zip_path: str | None = None, id_pattern: str | None = None,
                    db_url: str | None = None, limits: Limits = Limits(),
                    students: list[str] | None = None, out_dir: str | None = None,
                    progress: bool = True, report: bool = True, allow_engine=(),
                    log=print) -> ClassResult:
    """Autograde every submission of ``assignment`` in parallel (one sandboxed worker process
    per submission), merge the scores into the gradebook, write grades CSV, summary and
    report. Raises ValueError when grading cannot run (bad assignment, paths, database)."""
    from nbgrader.api import Gradebook

    t0 = time.monotonic()
    course = Path(course).resolve()
    if workers < 1:
        raise ValueError(f"--workers must be at least 1, got {workers}")
    config = course_config(course)
    templates = build_templates(course, assignment, config)
    db_url = resolve_db_url(course, db_url, config)
    _venv_on_path()
    import warnings

    state: dict = {"gb": None, "queue": []}

    def open_gradebook():  # runs while the first workers grade (the parent is idle)
        try:
            register_assignment(db_url, assignment, templates, log=log)
            state["gb"] = Gradebook(db_url)
        except Exception as exc:
            raise ValueError(f"cannot open the gradebook {db_url!r}: "
                             f"{type(exc).__name__}: {exc}") from None
        flush()

    def flush():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SQLAlchemy notes on nbgrader's add_submission
            while state["gb"] is not None and state["queue"]:
                res = state["queue"].pop(0)
                if res["notebooks"]:
                    merge_result(state["gb"], assignment, res)

    def on_result(res):
        state["queue"].append(res)
        flush()

    tmp = Path(tempfile.mkdtemp(prefix="steplab-class-"))
    try:
        if zip_path:
            if not id_pattern:
                raise ValueError("--zip needs --id-pattern REGEX with a group for the "
                                 "student id")
            subs, skipped = collect.from_zip(zip_path, id_pattern, tmp / "zip")
            for s in skipped:
                log(f"skipped zip member (no student id): {s}")
        else:
            subs = collect.from_directory(course / "submitted", assignment)
        if students:
            subs = [s for s in subs if s.student in set(students)]
        isolation = sandbox.detect_isolation()
        allow = set(allow_engine)
        for t in templates.values():
            allow |= set(t.metadata.get("steplab", {}).get("allow_engine", []))
        forbidden = sorted(engine_names(allow))
        release_dir = course / "release" / assignment
        release_files = {str(p.relative_to(release_dir)): str(p)
                         for p in release_dir.rglob("*")
                         if p.is_file() and p.suffix != ".ipynb"} if release_dir.is_dir() \
            else {}
        mpl_cache = _matplotlib_font_cache()
        jobs = [Job(s.student, assignment, s.files, s.timestamp, templates, str(course),
                    limits, isolation, forbidden, release_files, s.notes, mpl_cache)
                for s in subs]
        log(f"autograde {assignment}: {len(jobs)} submission(s), {workers} worker(s), "
            f"sandbox: {isolation} ({limits.describe()})")
        if jobs:
            results = _run_pool(jobs, workers, limits, progress, tmp,
                                on_started=open_gradebook, on_result=on_result)
        else:
            open_gradebook()
            results = []
        flush()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if state["gb"] is not None:
            state["gb"].close()
    out = Path(out_dir) if out_dir else course / "reports" / assignment
    out.mkdir(parents=True, exist_ok=True)
    rows, columns = gradebook_table(db_url, assignment, templates)
    csv_path = out / "grades.csv"
    write_csv(csv_path, rows, columns)
    summary = summary_text(assignment, results, rows, columns, isolation, limits)
    summary_path = out / "summary.txt"
    summary_path.write_text(summary)
    report_path = None
    if report:
        from . import report as report_mod

        report_path = report_mod.make_report(out, assignment, rows, columns, results)
    return ClassResult(assignment, results, csv_path, summary_path, report_path, isolation,
                       time.monotonic() - t0)


def gradebook_table(db_url: str, assignment: str, templates: dict) -> tuple[list, list]:
    """Per-student rows read back from the gradebook (manual scores override auto scores,
    as in nbgrader). Columns: student, one per graded cell, totals, needs_manual."""
    from nbgrader.api import Gradebook, MissingEntry

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
        try:
            subs = gb.assignment_submissions(assignment)
        except MissingEntry:
            subs = []
        for sub in sorted(subs, key=lambda s: s.student.id):
            row = {"student": sub.student.id}
            tot = {"autograded": 0.0, "autograded_max": 0.0, "manual": 0.0,
                   "manual_max": 0.0}
            needs = False
            for name, gid, pts, is_manual in cells:
                try:
                    g = gb.find_grade(gid, name, assignment, sub.student.id)
                except MissingEntry:
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
             f"sandbox: {isolation}; limits: {limits.describe()}"]
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


def regenerate_feedback(course: str | os.PathLike, assignment: str,
                        db_url: str | None = None) -> list[Path]:
    """Rebuild ``feedback/`` from ``autograded/`` and the gradebook after manual grading in
    formgrader (use this instead of ``nbgrader generate_feedback``, which would show hidden
    tests, issues #917/#1363). Returns the pages written."""
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
                        g["score"] = None if gr.score is None else float(gr.score)
                    except MissingEntry:
                        pass
                    try:
                        cm = gb.find_comment(gid, name, assignment, student)
                        if cm.comment:
                            meta.setdefault("cell_notes", {}).setdefault(gid, []).append(
                                f"Grader's comment: {cm.comment}")
                    except MissingEntry:
                        pass
                fb = feedback_notebook(nb, runs, grades, hidden_lines(template),
                                       {"assignment": assignment, "notebook": name,
                                        "student": student},
                                       meta.get("cell_notes", {}), meta.get("general", []))
                out = course / "feedback" / student / assignment / f"{name}.html"
                _atomic_write(out, render_html(fb))
                written.append(out)
    return written


__all__ = ["Limits", "autograde_class", "build_templates", "assemble", "grade_notebook",
           "feedback_notebook", "regenerate_feedback", "student_view", "strip_hidden",
           "scan_answer", "engine_names", "register_assignment", "merge_result"]
