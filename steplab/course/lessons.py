"""Refresh the committed outputs of the lesson notebooks in ``chapters/``.

The lessons are held by ``pytest --nbval`` (strict, not ``--nbval-lax``), so they are committed
*with* their text outputs: nbval re-runs every cell and compares the printed numbers. Images
are dropped (nbval ignores them and they would bloat the repository), widget views keep only
their ``text/plain`` line, execution counts and volatile metadata are cleared, so a refresh
that changes nothing gives a byte-identical file.

Usage: ``python -m steplab.course.lessons [NOTEBOOK ...]`` (default: every ``chapters/*.ipynb``),
or ``make lessons``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

KEEP_NB_METADATA = ("kernelspec", "language_info")
DROP_MIME = ("image/png", "image/jpeg", "image/svg+xml", "application/vnd.jupyter.widget-view+json",
             "application/vnd.jupyter.widget-state+json")


def clean(nb):
    """Strip images, widget state and volatile metadata from an executed notebook, in place."""
    nb.metadata = {k: v for k, v in nb.metadata.items() if k in KEEP_NB_METADATA}
    if "language_info" in nb.metadata:
        nb.metadata["language_info"] = {"name": "python"}
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)
        if cell.cell_type != "code":
            continue
        cell.execution_count = None
        outputs = []
        for out in cell.outputs:
            if "execution_count" in out:
                out["execution_count"] = None
            if "data" in out:
                if "application/vnd.jupyter.widget-view+json" in out["data"]:
                    # a live widget (explorer, ipympl canvas): only its one-line repr is stable
                    out["data"] = {k: v for k, v in out["data"].items() if k == "text/plain"}
                out["data"] = {k: v for k, v in out["data"].items() if k not in DROP_MIME}
                out["metadata"] = {}
                if not out["data"]:
                    continue
            outputs.append(out)
        cell.outputs = outputs
    return nb


def strip(nb):
    """Remove every output (for notebooks committed clean)."""
    clean(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    return nb


def refresh(path: Path, timeout: int = 120) -> float:
    """Execute ``path`` top to bottom in a fresh kernel, clean it, write it back; return seconds."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - start
    nbformat.write(clean(nb), path)
    return elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    paths = args.notebooks or sorted(Path("chapters").glob("*.ipynb"))
    total = 0.0
    for p in paths:
        t = refresh(p)
        total += t
        print(f"{t:6.1f} s  {p}")
    print(f"{total:6.1f} s  total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
