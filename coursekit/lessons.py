"""Refresh the committed outputs of the lesson notebooks in ``chapters/``.

The lessons are held by ``pytest --nbval`` (strict, not ``--nbval-lax``), so they are committed
*with* their text outputs: nbval re-runs every cell and compares the printed numbers. Images
are dropped (nbval ignores them and they would bloat the repository), widget views keep only
their ``text/plain`` line, volatile metadata is cleared, so a refresh
that changes nothing gives a byte-identical file.

Usage: ``python -m coursekit.lessons [NOTEBOOK ...]`` (default: every ``chapters/*.ipynb``),
or ``make lessons``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

KEEP_NB_METADATA = ("kernelspec", "language_info")
PNG_DATA = re.compile(r"base64,[A-Za-z0-9+/=]+")
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
        # execution counts stay: nbval treats a cell without one as "unrun"; a top-to-bottom
        # run numbers them 1, 2, 3, ... so they are deterministic anyway
        outputs = []
        for out in cell.outputs:
            if "data" in out:
                if "application/vnd.jupyter.widget-view+json" in out["data"]:
                    # a live widget (explorer, ipympl canvas): keep its text repr and its static
                    # HTML fallback with the embedded PNG replaced by a placeholder (the nbval
                    # sanitizer makes the same replacement in fresh output)
                    out["data"] = {k: v for k, v in out["data"].items() if k in ("text/plain", "text/html")}
                    if "text/html" in out["data"]:
                        out["data"]["text/html"] = PNG_DATA.sub("base64,PNG", out["data"]["text/html"])
                out["data"] = {k: v for k, v in out["data"].items() if k not in DROP_MIME}
                out["metadata"] = {}
                if not out["data"]:
                    continue
            if (out.get("output_type") == "stream" and outputs
                    and outputs[-1].get("output_type") == "stream"
                    and outputs[-1].get("name") == out.get("name")):
                # the kernel splits printed text into chunks at random points: merge them
                outputs[-1]["text"] += out["text"]
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
