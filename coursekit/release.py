"""Generate the student notebooks (release/) and worked solutions (solutions/) from source/.

Usage (from the repository root, which is the nbgrader course directory)::

    python -m coursekit.release               # regenerate every assignment (make release)
    python -m coursekit.release sgd adam      # only these
    python -m coursekit.release --check       # regenerate into a temp dir, compare, exit 1
                                                   # if release/ or solutions/ is out of date

How: the course (nbgrader_config.py and the chosen source/<a>/ folders) is copied to a
temporary directory with a fresh, empty gradebook; nbgrader's ``GenerateAssignment`` and
``GenerateSolution`` run there (never in the real course: regenerating an assignment that was
already autograded can fail, nbgrader issue #1646, and a fresh clone has no gradebook.db).
The notebooks are then normalized (no outputs, no timing metadata, stable cell ids; see
:mod:`coursekit._nb`) and written with sorted keys, so a second run gives the same
bytes. Other files of an assignment folder are copied as they are.

nbgrader creates the gradebook by running the ``alembic`` command, so this module puts the
running interpreter's ``bin/`` directory first on ``PATH`` while it works (docs/design.md, "Pitfalls").
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import io
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from . import _nb

__all__ = ["assignments", "generate", "check", "main", "course_config", "venv_on_path"]

KINDS = ("release", "solutions")


def assignments(root=".") -> list:
    """Names of the assignments: the folders ``source/<a>/`` that contain a notebook, sorted."""
    src = Path(root) / "source"
    if not src.is_dir():
        return []
    return sorted(p.name for p in src.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and any(p.glob("*.ipynb")))


@contextlib.contextmanager
def venv_on_path():
    """Put the running interpreter's ``bin/`` first on ``PATH`` (nbgrader runs ``alembic``
    and ``jupyter`` by name); restore the old value afterwards."""
    old = os.environ.get("PATH", "")
    bindir = str(Path(sys.executable).parent)
    os.environ["PATH"] = bindir + os.pathsep + old
    try:
        yield
    finally:
        os.environ["PATH"] = old


def course_config(root):
    """The traitlets ``Config`` of ``root/nbgrader_config.py`` with the course directory and
    gradebook pointed at ``root`` (absolute paths)."""
    from traitlets.config.loader import Config, PyFileConfigLoader

    root = Path(root).resolve()
    cfg = Config()
    if (root / "nbgrader_config.py").exists():
        cfg.merge(PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config())
    cfg.CourseDirectory.root = str(root)
    cfg.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    return cfg


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


def _run_converter(cls, cfg, assignment: str) -> None:
    """Run one nbgrader converter (GenerateAssignment / GenerateSolution) in-process."""
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=cfg)
    coursedir.assignment_id = assignment
    app = cls(coursedir=coursedir, config=cfg)
    app.force = True
    if hasattr(app, "create_assignment"):
        app.create_assignment = True
    handler = _Capture()
    app.log.addHandler(handler)
    old_level = app.log.level
    app.log.setLevel(logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            app.start()
    except Exception as exc:  # nbgrader raises NbGraderException after logging the cause
        detail = "\n".join(handler.lines) or repr(exc)
        raise RuntimeError(f"nbgrader {cls.__name__} failed for assignment {assignment!r}:\n"
                           f"{detail}\nFix source/{assignment}/ and run again.") from exc
    finally:
        app.log.removeHandler(handler)
        app.log.setLevel(old_level)


def _copy_normalized(src_dir: Path, dest_dir: Path) -> None:
    """Copy a generated assignment folder, normalizing notebooks; replaces ``dest_dir``."""
    if dest_dir.exists():
        shutil.rmtree(dest_dir)
    for path in sorted(src_dir.rglob("*")):
        rel = path.relative_to(src_dir)
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        out = dest_dir / rel
        if path.is_dir():
            out.mkdir(parents=True, exist_ok=True)
        elif path.suffix == ".ipynb":
            _nb.write(_nb.normalize(_nb.read(path)), out)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, out)


def generate(root=".", names=None, dest=None, errors=None) -> list:
    """Regenerate ``release/<a>/`` and ``solutions/<a>/`` for assignments ``names`` (all in
    ``root/source`` when None) into ``dest`` (default ``root``). Returns the names done.

    Works in a temporary copy of the course with a fresh gradebook (nbgrader issue #1646).
    An assignment nbgrader cannot generate raises RuntimeError, or, when a dict ``errors`` is
    given, is recorded there (name -> message) and skipped, so the others are still done.
    """
    from nbgrader.converters import GenerateAssignment, GenerateSolution

    root = Path(root).resolve()
    dest = root if dest is None else Path(dest).resolve()
    known = assignments(root)
    names = known if names is None else list(names)
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise ValueError(f"no assignment {unknown} in {root / 'source'}; "
                         f"the assignments are {known}.")
    with tempfile.TemporaryDirectory(prefix="steplab-release-") as tmp, venv_on_path():
        course = Path(tmp) / "course"
        (course / "source").mkdir(parents=True)
        if (root / "nbgrader_config.py").exists():
            shutil.copyfile(root / "nbgrader_config.py", course / "nbgrader_config.py")
        for a in names:
            shutil.copytree(root / "source" / a, course / "source" / a,
                            ignore=shutil.ignore_patterns(".*", "__pycache__"))
            for path in (course / "source" / a).rglob("*.ipynb"):
                _nb.write(_nb.ensure_ids(_nb.read(path)), path)  # no random cell ids
        cfg = course_config(course)
        done = []
        for a in names:
            try:
                _run_converter(GenerateAssignment, cfg, a)
                _run_converter(GenerateSolution, cfg, a)
            except RuntimeError as exc:
                if errors is None:
                    raise
                errors[a] = str(exc)
                continue
            for kind in KINDS:
                _copy_normalized(course / kind / a, dest / kind / a)
            done.append(a)
    return done


def _files(folder: Path) -> dict:
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*"))
            if p.is_file() and not any(part.startswith(".") or part == "__pycache__"
                                       for part in p.relative_to(folder).parts)}


def _text(path: Path) -> str:
    if path.suffix == ".ipynb":
        return _nb.dumps(_nb.normalize(_nb.read(path)))
    return path.read_text(encoding="utf-8", errors="replace")


def check(root=".", names=None) -> list:
    """Regenerate into a temporary directory and compare with the committed ``release/`` and
    ``solutions/`` (notebooks compared after :func:`_nb.normalize`, so outputs or timing
    metadata saved by Jupyter do not count). Returns a list of human-readable differences,
    empty when everything is in sync."""
    root = Path(root).resolve()
    names = assignments(root) if names is None else list(names)
    problems = []
    with tempfile.TemporaryDirectory(prefix="steplab-check-") as tmp:
        errors: dict = {}
        generate(root, names, dest=tmp, errors=errors)  # one broken source hides no other
        for a in names:
            if a in errors:
                problems.append(f"source/{a}/ cannot be generated: {errors[a]}")
                continue
            for kind in KINDS:
                want, have = _files(Path(tmp) / kind / a), _files(root / kind / a)
                for rel in sorted(set(want) - set(have)):
                    problems.append(f"{kind}/{a}/{rel} is missing")
                for rel in sorted(set(have) - set(want)):
                    problems.append(f"{kind}/{a}/{rel} should not be there (not generated "
                                    f"from source/{a}/)")
                for rel in sorted(set(want) & set(have)):
                    new, old = _text(want[rel]), _text(have[rel])
                    if new != old:
                        diff = list(difflib.unified_diff(
                            old.splitlines(), new.splitlines(), f"committed {kind}/{a}/{rel}",
                            f"regenerated from source/{a}/", lineterm="", n=1))
                        shown = "\n".join(diff[:40]) + ("\n..." if len(diff) > 40 else "")
                        problems.append(f"{kind}/{a}/{rel} differs from source/{a}/:\n{shown}")
    return problems


def main(argv=None) -> int:
    """Command line: ``python -m coursekit.release [--check] [--root DIR] [names...]``."""
    ap = argparse.ArgumentParser(prog="python -m coursekit.release",
                                 description="Generate release/ and solutions/ from source/.")
    ap.add_argument("names", nargs="*", help="assignments (default: every folder in source/)")
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temporary directory and report differences "
                         "(exit 1 when release/ or solutions/ is out of date)")
    ap.add_argument("--root", default=".", help="course directory (default: current)")
    args = ap.parse_args(argv)
    names = args.names or None
    try:
        if args.check:
            problems = check(args.root, names)
            if problems:
                print("\n\n".join(problems))
                print(f"\n{len(problems)} difference(s): run `make release` and commit "
                      "release/ and solutions/.")
                return 1
            print(f"release/ and solutions/ are in sync with source/ "
                  f"({', '.join(names or assignments(args.root))}).")
            return 0
        errors: dict = {}
        done = generate(args.root, names, errors=errors)
    except (ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for a in done:
        print(f"generated release/{a}/ and solutions/{a}/")
    for msg in errors.values():
        print(f"error: {msg}", file=sys.stderr)
    if not done and not errors:
        print("no assignments in source/")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
