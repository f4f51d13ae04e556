"""The grading copy of the engine: ``steplab/`` without the reference implementations that an
assignment asks students to write.

While an assignment is graded, the sandbox (:mod:`coursekit.sandbox`) mounts this copy where
the kernel's Python finds ``steplab``. In it, every *blocked* definition (``class Adam``,
``def bracket_search`` ...) is replaced by a stub of the same name whose call raises::

    NotImplementedError: steplab.Adam is not available while grading adam: write your own

The copy is generated from the real source files with :mod:`ast`, so the blocked code is
simply not there: not through ``sl.Adam``, ``vars(sl)['Adam']``, ``importlib``, ``runpy``,
``from steplab.optimizers import Adam``, nor by reading the source file. Private module-level
helpers that only blocked definitions use (``_k_adam``, the arithmetic of ``Adam.step``) go
with them. Everything else (the problems, data, plots, the other optimizers) is unchanged.

The declarations of the checks (``steplab/exercises/<assignment>.py``: inputs, references,
hints) are left out of the copy, for every assignment; ``steplab/exercises/__init__.py`` and
``_core.py`` stay, so ``from steplab.exercises import adam as ex`` still imports and any use
of ``ex`` says it is not available while grading.

Which names are blocked: the engine's reference implementations that the assignment's
declarations use (:func:`declared_references`) together with :data:`BLOCKED`, the table of
what each assignment asks students to write -- but only for assignments whose checks are
declared (judged outside the kernel): where test cells still run in the kernel, they need
the references. Copies are cached by a hash of the engine's files and of the blocked names.
Nothing from the book: grading infrastructure.
"""

from __future__ import annotations

import ast
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

#: the engine package (``steplab/``) next to this package
ENGINE_DIR = Path(__file__).resolve().parents[1] / "steplab"

#: the reference implementations each assignment asks students to write, as
#: ``"module.Name"`` (module relative to ``steplab``); ``checks.steps._mutants`` builds wrong
#: variants that are one argument away from the right update, so it goes too
BLOCKED: dict[str, tuple[str, ...]] = {
    "gradient_descent": ("optimizers.GradientDescent",),
    "sgd": ("optimizers.GradientDescent", "train.epoch_batches", "train.batches_per_epoch"),
    # (momentum's compare_steps may use sl.Momentum: see RESTORED_AT)
    "momentum": ("more_optimizers.HeavyBall", "optimizers.Nesterov",
                 "checks.steps._mutants"),
    "nesterov": ("optimizers.Nesterov", "optimizers.Momentum", "more_optimizers.HeavyBall",
                 "checks.steps._mutants"),
    "adam": ("optimizers.Adam", "more_optimizers.AdamW", "optimizers.NormalizedGD",
             "checks.steps._mutants"),
    # Part 8 asks for adam_step: Adam and its relatives that contain it (AdamW with no decay)
    "optimizer_zoo": ("more_optimizers.AdaGrad", "more_optimizers.RMSProp",
                      "more_optimizers.AdaDelta", "more_optimizers.Adamax",
                      "more_optimizers.AMSGrad", "more_optimizers.NAdam",
                      "optimizers.Adam", "more_optimizers.AdamW",
                      "checks.steps._mutants"),
    "line_search": ("linesearch.bracket_search", "linesearch.golden_section",
                    "linesearch.backtracking", "linesearch.exact_quadratic_step"),
    "hessian_convexity": ("problems.fd_hessian",),
    "problems": ("optimizers.GradientDescent", "optimizers.Momentum"),
}

#: blocked names that a later part may use, by the grade_id of that part: its call cell
#: restores the real definition first, after every call of the earlier parts has run (and
#: been saved). momentum's compare_steps may use ``sl.Momentum`` as the task says, while
#: ``momentum_step`` (Part A, called before) cannot reach it by any name.
RESTORED_AT: dict[str, dict[str, str]] = {
    "momentum": {"optimizers.Momentum": "test_compare_steps"},
}

_STUB_HELPER = "_steplab_not_available"

#: the package of the checks' declarations inside the engine; only these files of it stay
DECLARATIONS, DECLARATIONS_KEEP = "exercises", ("__init__.py", "_core.py")


def is_declared(assignment: str, engine_dir: Path = ENGINE_DIR) -> bool:
    """True when ``assignment``'s checks are declared as data (judged by the grader)."""
    return (Path(engine_dir) / DECLARATIONS / f"{assignment}.py").is_file()


def declared_references(assignment: str, engine_dir: Path = ENGINE_DIR) -> tuple[str, ...]:
    """The engine's reference implementations (``"optimizers.Adam"``) that the declarations
    of ``assignment`` use: ``sl.X`` / ``steplab.X`` / ``from steplab.m import X`` in their
    code (strings such as ``Code(...)`` inputs do not count), kept when ``X`` is an
    optimizer, the training loop, a schedule, a line search or a curvature routine."""
    path = Path(engine_dir) / DECLARATIONS / f"{assignment}.py"
    if not path.is_file():
        return ()
    import importlib

    from .assemble import ENGINE_MODULES, engine_names

    tree = ast.parse(path.read_text())
    used = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Name) and n.value.id in ("sl", "steplab")}
    used |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
             and (n.module or "").startswith("steplab") for a in n.names}
    out = []
    for name in sorted(used & engine_names()):
        for mod in ENGINE_MODULES:
            if getattr(importlib.import_module(mod), name, None) is not None and \
                    getattr(getattr(importlib.import_module(mod), name), "__module__", "") == mod:
                out.append(f"{mod.split('.', 1)[1]}.{name}")
                break
    return tuple(out)


def blocked_for(assignment: str, declared=None) -> tuple[str, ...]:
    """The blocked names for ``assignment`` (``"steplab.optimizers.Adam"`` or
    ``"optimizers.Adam"``): ``declared`` when given, else, for an assignment whose checks are
    declared, :func:`declared_references` and :data:`BLOCKED`; else none."""
    if declared is None:
        declared = (*declared_references(assignment), *BLOCKED.get(assignment, ()),
                    *RESTORED_AT.get(assignment, {})) if is_declared(assignment) else ()
    names = declared
    out = []
    for n in names:
        n = n[len("steplab."):] if n.startswith("steplab.") else n
        if "." not in n:
            raise ValueError(f"blocked name {n!r} needs its module, e.g. 'optimizers.Adam'")
        out.append(n)
    return tuple(sorted(set(out)))


def _public_name(module: str, name: str, init_source: str) -> str:
    """``steplab.Adam`` when the engine re-exports the name at the top (``sl.AdamW``, defined in
    ``steplab.more_optimizers``), else the full path ``steplab.linesearch.bracket_search``."""
    if not name.startswith("_") and f"from .{module} import *" in init_source:
        return f"steplab.{name}"
    import steplab  # the trusted process's engine: is the name re-exported at the top?

    obj = getattr(steplab, name, None) if not name.startswith("_") else None
    if obj is not None and getattr(obj, "__module__", "") == f"steplab.{module}":
        return f"steplab.{name}"
    return f"steplab.{module}.{name}"


def _defined(tree: ast.Module) -> dict[str, ast.stmt]:
    return {n.name: n for n in tree.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def _used_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | \
        {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}


def _with_private_helpers(tree: ast.Module, blocked: set[str]) -> set[str]:
    """``blocked`` plus the private module-level functions used by blocked definitions only
    (repeated until nothing changes)."""
    defs = _defined(tree)
    blocked = set(blocked) & set(defs)
    while True:
        users: dict[str, set[str]] = {}
        for stmt in tree.body:
            owner = getattr(stmt, "name", None)
            for used in _used_names(stmt):
                if used != owner:
                    users.setdefault(used, set()).add(owner)
        more = {n for n, node in defs.items()
                if n.startswith("_") and n not in blocked
                and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                and users.get(n) and users[n] <= blocked}
        if not more:
            return blocked
        blocked |= more


def _stub(node: ast.stmt, public: str, assignment: str) -> list[ast.stmt]:
    msg = f"{public} is not available while grading {assignment}: write your own"
    if isinstance(node, ast.ClassDef):
        code = (f"class {node.name}:\n"
                f"    \"\"\"{msg}.\"\"\"\n\n"
                f"    def __new__(cls, *args, **kwargs):\n"
                f"        {_STUB_HELPER}({msg!r})\n\n"
                f"    def __init_subclass__(cls, **kwargs):\n"
                f"        {_STUB_HELPER}({msg!r})\n")
    else:
        code = (f"def {node.name}(*args, **kwargs):\n"
                f"    \"\"\"{msg}.\"\"\"\n"
                f"    {_STUB_HELPER}({msg!r})\n")
    return ast.parse(code).body


def stub_module(source: str, module: str, names: set[str], assignment: str,
                init_source: str = "") -> tuple[str, list[str]]:
    """``source`` of ``steplab.<module>`` with the definitions in ``names`` (and the private
    helpers only they use) replaced by stubs. Returns ``(new source, stubbed names)``."""
    tree = ast.parse(source)
    gone = _with_private_helpers(tree, names)
    missing = set(names) - set(_defined(tree))
    if missing:
        raise ValueError(f"steplab.{module} defines no {sorted(missing)}: fix the blocked "
                         "names of this assignment")
    helper = ast.parse(f"def {_STUB_HELPER}(message):\n"
                       f"    raise NotImplementedError(message)\n").body
    body: list[ast.stmt] = []
    for stmt in tree.body:
        name = getattr(stmt, "name", None)
        if name in gone:
            body += _stub(stmt, _public_name(module, name, init_source), assignment)
        else:
            body.append(stmt)
    # the helper goes after the docstring and the __future__ imports
    cut = 0
    while cut < len(body) and (
            (isinstance(body[cut], ast.Expr) and isinstance(body[cut].value, ast.Constant))
            or (isinstance(body[cut], ast.ImportFrom) and body[cut].module == "__future__")):
        cut += 1
    tree.body = body[:cut] + helper + body[cut:]
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n", sorted(gone)


def _source_of(source: str, node: ast.stmt) -> str:
    """The source text of a top-level definition, decorators included."""
    first = min([d.lineno for d in getattr(node, "decorator_list", [])] + [node.lineno])
    return "\n".join(source.splitlines()[first - 1:node.end_lineno])


def restore_code(assignment: str, grade_id: str, engine_dir: Path = ENGINE_DIR) -> str:
    """Kernel code that puts back, in the grading copy already imported, the real definitions
    that :data:`RESTORED_AT` releases at the call cell of ``grade_id`` (with the private
    helpers stubbed along with them), wherever the engine exposes them. "" when none."""
    names = [n for n, gid in RESTORED_AT.get(assignment, {}).items() if gid == grade_id]
    lines = []
    for n in names:
        module, name = n.rsplit(".", 1)
        source = Path(engine_dir).joinpath(*module.split(".")).with_suffix(".py").read_text()
        tree = ast.parse(source)
        defs = _defined(tree)
        gone = _with_private_helpers(tree, {name})
        text = "\n\n".join(_source_of(source, defs[d]) for d in sorted(gone))
        lines += [
            "import importlib as _sl_il, sys as _sl_sys",
            f"_sl_m = _sl_il.import_module('steplab.{module}')",
            f"_sl_old = {{n: getattr(_sl_m, n) for n in {sorted(gone)!r}}}",
            f"exec(compile({text!r}, _sl_m.__file__, 'exec'), vars(_sl_m))",
            "for _sl_mod in list(_sl_sys.modules.values()):",
            "    if getattr(_sl_mod, '__name__', '').startswith('steplab'):",
            "        for _sl_n, _sl_o in _sl_old.items():",
            "            if getattr(_sl_mod, _sl_n, None) is _sl_o:",
            "                setattr(_sl_mod, _sl_n, getattr(_sl_m, _sl_n))",
        ]
    return "\n".join(lines)


def _digest(engine_dir: Path, blocked: tuple[str, ...], assignment: str) -> str:
    h = hashlib.sha256(f"{assignment}\0{blocked}\0".encode())
    for p in sorted(engine_dir.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(engine_dir)).encode() + b"\0" + p.read_bytes())
    h.update(Path(__file__).read_bytes())  # a new stub format makes new copies
    return h.hexdigest()[:16]


def default_cache() -> Path:
    """Where copies are kept: ``$STEPLAB_GRADING_CACHE`` or a folder in the system temp."""
    return Path(os.environ.get("STEPLAB_GRADING_CACHE")
                or Path(tempfile.gettempdir()) / f"steplab-grading-engine-{os.geteuid()}")


def build(assignment: str, blocked=None, *, engine_dir: Path = ENGINE_DIR,
          cache: Path | None = None) -> Path:
    """The directory of the grading copy of ``engine_dir`` for ``assignment`` (created once,
    then reused). ``blocked`` as in :func:`blocked_for`. The copy is readable by everyone (a
    kernel running under another uid imports it) and written atomically."""
    names = blocked_for(assignment, blocked)
    engine_dir = Path(engine_dir).resolve()
    root = Path(cache) if cache is not None else default_cache()
    target = root / f"{assignment}-{_digest(engine_dir, names, assignment)}" / engine_dir.name
    root.mkdir(parents=True, exist_ok=True)
    if root.is_symlink() or root.lstat().st_uid != os.geteuid():
        raise RuntimeError(f"the grading-engine cache {root} belongs to another user (or is a "
                           "link): remove it, or set STEPLAB_GRADING_CACHE to a folder of yours")
    if target.is_dir():
        return target
    os.chmod(root, 0o755)
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
    try:
        out = work / engine_dir.name
        shutil.copytree(engine_dir, out, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        decl = out / DECLARATIONS
        if decl.is_dir():  # the checks' declarations stay with the grader
            for p in decl.iterdir():
                if p.name not in DECLARATIONS_KEEP:
                    shutil.rmtree(p) if p.is_dir() else p.unlink()
        init_source = (engine_dir / "__init__.py").read_text()
        by_module: dict[str, set[str]] = {}
        for n in names:
            module, name = n.rsplit(".", 1)
            by_module.setdefault(module, set()).add(name)
        for module, defs in by_module.items():
            path = out.joinpath(*module.split(".")).with_suffix(".py")
            if not path.is_file():
                raise ValueError(f"no module steplab.{module} (blocked for {assignment})")
            text, _ = stub_module(path.read_text(), module, defs, assignment, init_source)
            path.write_text(text)
        # compiled once here: the kernels import it read-only (and never write bytecode), so
        # without this every kernel would compile the engine's sources again
        import compileall

        compileall.compile_dir(str(out), quiet=2)
        for d, _dirs, files in os.walk(work):
            os.chmod(d, 0o755)
            for f in files:
                os.chmod(os.path.join(d, f), 0o644)
        final = target.parent
        try:
            os.replace(work, final)
        except OSError:  # another worker built it first
            shutil.rmtree(work, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    _prune(root, assignment, keep=target.parent)
    return target


#: copies of an older engine are removed when a new one is built and they were made this long
#: ago (a grading run still using one has long finished)
STALE_SECONDS = 24 * 3600


def _prune(root: Path, assignment: str, keep: Path) -> None:
    """Remove the copies of ``assignment`` made for other engine versions over a day ago."""
    import time

    for old in root.glob(f"{assignment}-*"):
        try:
            if old != keep and old.is_dir() and not old.is_symlink() \
                    and time.time() - old.stat().st_mtime > STALE_SECONDS:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass
