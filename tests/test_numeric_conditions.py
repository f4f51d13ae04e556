"""The lessons' stored outputs do not depend on the machine's numeric conditions.

Strict nbval compares every printed character of ``chapters/*.ipynb``. A number at round-off
level (1e-11 and below) changes with the CPU's SIMD width, the BLAS thread count and the library
build, so a lesson that prints one passes here and fails on the next machine. These tests re-run
every lesson with nbval, exactly as ``make test`` does (same command line, same sanitize file),
under conditions that move the last bits of floating-point results:

- ``threads=1``: OpenBLAS, OpenMP and MKL on one thread;
- ``threads=2, no <widest SIMD>``: two threads, and numpy's widest SIMD code paths on this CPU
  switched off with ``NPY_DISABLE_CPU_FEATURES`` (computed at test time from numpy's own list of
  dispatch targets, so on another machine it switches off that machine's widest set).

Both runs go at once (two processes, one lesson at a time each). A last test changes one digit
of a stored number in a copy of a lesson and checks that the same comparison fails there.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"
LESSONS = sorted((ROOT / "chapters").glob("*.ipynb"))
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
#: dispatch targets by vector width, widest first (names of numpy 2.x and of numpy 1.2x)
SIMD_TIERS = (
    ("512-bit", lambda t: "512" in t or t == "X86_V4" or t.startswith("SVE")),
    ("256-bit", lambda t: t in ("X86_V3", "AVX2", "FMA3", "AVX", "F16C")),
)


def cpu_dispatch():
    """numpy's dispatchable SIMD targets (in numpy's order) and which of them this CPU runs."""
    try:
        from numpy._core import _multiarray_umath as mu
    except ImportError:  # numpy < 2
        from numpy.core import _multiarray_umath as mu
    return list(mu.__cpu_dispatch__), dict(mu.__cpu_features__)


def widest_simd() -> tuple[str, list[str]]:
    """The widest tier of SIMD targets that numpy dispatches to on this CPU, e.g.
    ("512-bit", ["X86_V4", "AVX512_ICL"]); ("", []) when it dispatches to none."""
    dispatch, features = cpu_dispatch()
    running = [t for t in dispatch if features.get(t)]
    for name, in_tier in SIMD_TIERS:
        tier = [t for t in running if in_tier(t)]
        if tier:
            return name, tier
    return "", []


def child_env(extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NPY_DISABLE_CPU_FEATURES", "PYTEST_ADDOPTS", *THREAD_VARS)}
    env["MPLBACKEND"] = "Agg"
    env.update(extra)
    return env


def nbval_command(paths, junit: Path) -> list[str]:
    """The comparison ``make test`` makes (strict nbval, the lessons' sanitize file), one process."""
    return [sys.executable, "-m", "pytest", *map(str, paths), "--nbval", "--nbval-sanitize-with",
            str(SANITIZE), "-p", "no:cacheprovider", "-p", "no:xdist", "-o", "addopts=", "-q",
            # rootdir / : junit names every notebook by its absolute path, also the copy in tmp
            "--rootdir=/", f"--junitxml={junit}"]


def cell_results(junit: Path) -> dict[str, str]:
    """{"<path>.<notebook>.ipynb::Cell <n>": "passed" | "failed" | "skipped"} from a junit report
    (junit's classname is the notebook's absolute path with dots for slashes)."""
    results = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name')}"
        failed = case.find("failure") is not None or case.find("error") is not None
        results[name] = "failed" if failed else "skipped" if case.find("skipped") is not None else "passed"
    return results


CONDITIONS = {
    "threads=1": {**{v: "1" for v in THREAD_VARS}},
    "threads=2, widest SIMD off": {**{v: "2" for v in THREAD_VARS}},
}
#: the lesson a copy of which gets one stored digit changed (a short one: 4 code cells print)
MUTATED = ROOT / "chapters" / "06_9_minibatches_real_data.ipynb"


def change_one_digit(nb) -> tuple[int, str, str]:
    """Change the last digit of the first decimal number printed by ``nb``; return
    (nbval's index of that code cell, old number, new number)."""
    code_index = -1
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        code_index += 1
        for o in cell.outputs:
            m = re.search(r"\d+\.\d+", o.get("text", "")) if o.get("output_type") == "stream" else None
            if m:
                old = m.group(0)
                new = old[:-1] + str((int(old[-1]) + 1) % 10)
                o["text"] = o["text"][:m.start()] + new + o["text"][m.end():]
                return code_index, old, new
    raise AssertionError("the lesson prints no decimal number")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Run every lesson under each condition, the conditions in parallel.

    The one-thread run also gets a copy of a lesson with one stored digit changed (in a
    directory named ``changed``), so the same nbval session shows that a changed digit fails.
    Returns {condition: dict(results=..., log=..., env=..., mutation=(cell, old, new))}.
    """
    _, targets = widest_simd()
    conditions = {k: dict(v) for k, v in CONDITIONS.items()}
    if targets:
        conditions["threads=2, widest SIMD off"]["NPY_DISABLE_CPU_FEATURES"] = " ".join(targets)
    changed = tmp_path_factory.mktemp("mutation") / "changed" / MUTATED.name
    changed.parent.mkdir()
    nb = nbformat.read(MUTATED, as_version=4)
    mutation = change_one_digit(nb)
    nbformat.write(nb, changed)
    procs = {}
    for name, extra in conditions.items():
        d = tmp_path_factory.mktemp("nbval")
        paths = [*LESSONS, changed] if name == "threads=1" else LESSONS
        log = open(d / "log.txt", "w+")
        proc = subprocess.Popen(nbval_command(paths, d / "junit.xml"), cwd=ROOT, env=child_env(extra),
                                stdout=log, stderr=subprocess.STDOUT)
        procs[name] = (proc, log, d / "junit.xml", extra)
    results = {}
    for name, (proc, log, junit, extra) in procs.items():
        proc.wait(timeout=800)
        log.seek(0)
        results[name] = dict(results=cell_results(junit), log=log.read(), env=extra, mutation=mutation)
        log.close()
    return results


def test_the_simd_condition_really_switches_off_the_widest_set():
    tier, targets = widest_simd()
    if not targets:
        pytest.skip("numpy dispatches to no SIMD target on this CPU: nothing to switch off")
    code = ("import json; from numpy._core import _multiarray_umath as mu; "
            "print(json.dumps({t: bool(mu.__cpu_features__.get(t)) for t in mu.__cpu_dispatch__}))")
    env = child_env({"NPY_DISABLE_CPU_FEATURES": " ".join(targets)})
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    on = json.loads(res.stdout.strip().splitlines()[-1])
    assert not any(on[t] for t in targets), f"NPY_DISABLE_CPU_FEATURES did not switch off {targets}: {on}"
    assert tier in ("512-bit", "256-bit")


def lesson_cells(results: dict) -> dict:
    """The results of the lessons themselves (not of the changed copy)."""
    return {k: v for k, v in results.items() if ".changed." not in k}


@pytest.mark.parametrize("condition", list(CONDITIONS))
def test_stored_outputs_hold_under(condition, runs):
    run = runs[condition]
    cells = lesson_cells(run["results"])
    notebooks = {k.split("::")[0] for k in cells}
    missing = [p.name for p in LESSONS if not any(n.endswith("." + p.name) for n in notebooks)]
    assert not missing, f"nbval did not run {missing}\n{run['log'][-3000:]}"
    failed = sorted(k for k, v in cells.items() if v != "passed")
    assert not failed, (
        f"under {condition} ({run['env']}) these stored outputs changed: {failed}. A lesson must not "
        "print digits at round-off level (print 'agree to better than 1e-12' or round).\n"
        + run["log"][-6000:])


def test_a_stored_output_changed_by_one_digit_fails(runs):
    run = runs["threads=1"]
    cell, old, new = run["mutation"]
    copy = {k: v for k, v in run["results"].items() if k not in lesson_cells(run["results"])}
    assert copy, f"the changed copy was not run\n{run['log'][-3000:]}"
    failed = [k for k, v in copy.items() if v != "passed"]
    # exactly the changed cell fails (every other cell of the copy matches), and nbval's diff
    # shows the stored and the fresh number
    assert len(failed) == 1 and failed[0].endswith(f"{MUTATED.name}::Cell {cell}"), (
        failed, run["log"][-3000:])
    assert old in run["log"] and new in run["log"]
