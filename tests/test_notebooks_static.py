"""Every committed notebook (lessons, source, release, solutions) is well formed.

Checks: valid nbformat 4; a kernelspec (so JupyterLab opens it without a "Select Kernel"
dialog); no error outputs; no hard-coded absolute paths; imports only from the standard
library, numpy, matplotlib, ipywidgets, ipympl and steplab.
"""

import ast
import re
import sys

import nbformat
import pytest
from conftest import ROOT

NOTEBOOK_DIRS = ["chapters", "source", "release", "solutions"]
NOTEBOOKS = sorted(p for d in NOTEBOOK_DIRS for p in (ROOT / d).rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
ALLOWED_TOP = {"numpy", "matplotlib", "ipywidgets", "ipympl", "steplab", "mpl_toolkits"}
ABS_PATH = re.compile(r"(?<![\w.])(/work/|/root/|/home/|/tmp/|/Users/|[A-Z]:\\\\)")


def _ids(paths):
    return [str(p.relative_to(ROOT)) for p in paths]


def _code(cell_source: str) -> str:
    """Cell source with IPython magics and shell escapes turned into comments."""
    return "\n".join("#" + l if l.lstrip().startswith(("%", "!")) else l
                     for l in cell_source.splitlines())


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in " + ", ".join(NOTEBOOK_DIRS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_is_well_formed(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    ks = nb.metadata.get("kernelspec", {})
    assert ks.get("name") == "python3", f"{path.name}: commit notebooks with the python3 kernelspec"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", f"{path.name} cell {i} has an error output"
        assert not ABS_PATH.search(cell.source), (
            f"{path.name} cell {i} hard-codes an absolute path; use paths relative to the notebook")
        try:
            tree = ast.parse(_code(cell.source))
        except SyntaxError:
            # release notebooks may contain incomplete student stubs; those are not imports
            continue
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top in ALLOWED_TOP or top in sys.stdlib_module_names, (
                    f"{path.name} cell {i} imports {name!r}; notebooks may import only the "
                    "standard library, numpy, matplotlib, ipywidgets, ipympl and steplab")
