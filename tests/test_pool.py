"""Preparing the next submissions ahead of their turn (coursekit.pool, coursekit.kernel): the
kernel starts and imports what the notebook imports before its turn, without leaving a trace in
the student's namespace, and the wait for the turn is never charged to the student's time."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from coursekit import sandbox
from coursekit.kernel import Limits, _execute, _KernelSession, _prepare_kernel_dir, warmup_code


def _solution(source: str):
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade_id": "a", "solution": True, "grade": False,
                                 "locked": False, "schema_version": 3}
    return cell


def test_warmup_imports_what_locked_cells_import_and_defines_nothing():
    nb = new_notebook(cells=[
        new_markdown_cell("import this_is_prose"),
        new_code_cell("import json\nfrom email import message as m\nfrom . import nothing"),
        _solution("import imaplib"),                  # the student's imports are theirs
        new_code_cell("def broken(:"),                # a syntax error is skipped
        new_code_cell("import no_such_module_anywhere\nimport matplotlib.pyplot as plt"),
    ])
    code = warmup_code(nb)
    probe = (
        "import sys, json\n"
        "before = set(sys.modules)\n"
        f"ns = {{}}\nexec({code!r}, ns)\n"
        "new = set(sys.modules) - before\n"
        "print(json.dumps({'names': sorted(k for k in ns if k != '__builtins__'),\n"
        "  'email.message': 'email.message' in new, 'json': 'json' in sys.modules,\n"
        "  'pyplot': 'matplotlib.pyplot' in new, 'imaplib': 'imaplib' in sys.modules,\n"
        "  'figures': len(__import__('matplotlib.pyplot').pyplot.get_fignums())}))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"names": [], "email.message": True, "json": True, "pyplot": True,
                    "imaplib": False, "figures": 0}, seen


@pytest.mark.slow
def test_wait_for_the_turn_is_not_charged_and_leaves_no_trace(tmp_path):
    """A kernel started ahead waits 4 s for its turn; the notebook may run 3 s in all. Every
    cell still runs, the warm-up defined no name and took no execution count."""
    isolation = sandbox.detect_isolation()
    nb = new_notebook(cells=[
        new_code_cell("import numpy as np"),
        new_code_cell("x = np.arange(3)"),
        new_code_cell("print(sorted(k for k in globals() if 'warm' in k), x.sum())"),
    ])
    kdir = tmp_path / "k"
    _prepare_kernel_dir(kdir, "t.ipynb", None, {}, isolation)
    nbformat.write(nb, kdir / "t.ipynb")
    limits = Limits(cell_timeout=3.0, timeout=3.0, startup_timeout=60.0)
    session = _KernelSession(kdir, limits, isolation, None, [])
    calls = []

    def gate():
        calls.append(time.monotonic())
        time.sleep(4.0)

    runs, general = asyncio.run(_execute(nb, session, limits, gate=gate,
                                         warmup=warmup_code(nb)))
    assert len(calls) == 1
    assert general == [], general
    assert [r.status for r in runs] == ["ok", "ok", "ok"], runs
    assert [c.execution_count for c in nb.cells] == [1, 2, 3]
    assert nb.cells[2].outputs[0]["text"] == "[] 3\n"
