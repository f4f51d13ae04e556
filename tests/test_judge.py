"""The trusted judge (coursekit.judge) with a stand-in kernel: a separate Python process runs
the student's code and the grader's call cell in a directory of its own, exactly the cell
source the grader sends; the verdict comes from the grading process.

Expected values come from the book's equations written in the declarations
(steplab/exercises/*.py) and, here, from hand-worked numbers; the cheats are the kinds the
issue lists (objects whose __eq__ is always true, replaced numpy/builtins, a wrong count).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from coursekit import judge
from steplab.exercises import _core
from steplab.exercises import adam as adam_ex
from steplab.exercises import gradient_descent as gd_ex


def _kernel(tmp_path, student_code: str, part, seed=None):
    """Run student code then the call cell in a fresh process; return (passed, message)."""
    kdir = tmp_path / "k"
    kdir.mkdir(exist_ok=True)
    req = judge.prepare(part, kdir, seed)
    src = "import numpy as np\nimport steplab as sl\n" + textwrap.dedent(student_code) + \
        "\n" + req.source
    subprocess.run([sys.executable, "-c", src], cwd=kdir, capture_output=True, timeout=120)
    return judge.judge_part(part, judge.collect(req, kdir))


GD_STEP = gd_ex.PARTS["test_gd_step"]


@pytest.mark.parametrize("code", [
    "def gd_step(phi, grad, alpha):\n    return phi - alpha * grad",
    "def gd_step(theta, dL, lr):\n    return theta - lr * dL",                # renamed
    "def gd_step(*args):\n    p, g, a = args\n    return np.subtract(p, a * g)",  # *args
    # a decorator without functools.wraps
    "def deco(f):\n    def inner(*a):\n        return f(*a)\n    return inner\n"
    "@deco\ndef gd_step(phi, grad, alpha):\n    return phi - alpha * grad",
    "def gd_step(phi, grad, alpha):\n    return (phi - alpha * grad).tolist()",  # a list
])
def test_correct_answers_written_differently_pass(tmp_path, code):
    ok, msg = _kernel(tmp_path, code, GD_STEP)
    assert ok, msg


@pytest.mark.parametrize("code, words", [
    ("def gd_step(phi, grad, alpha):\n    return phi + alpha * grad", "wrong way (uphill)"),
    ("def gd_step(phi, grad, alpha):\n    phi -= alpha * grad\n    return phi", "in place"),
    ("def gd_step(phi, grad, alpha):\n    raise NotImplementedError()", "NotImplementedError"),
])
def test_wrong_answers_fail_with_a_fitting_message(tmp_path, code, words):
    ok, msg = _kernel(tmp_path, code, GD_STEP)
    assert not ok and words in msg, msg


CHEATS = {
    "an ndarray subclass whose == is always true":
        "class A(np.ndarray):\n    def __eq__(s, o): return True\n"
        "def gd_step(phi, grad, alpha):\n    return np.zeros(3).view(A)",
    "a float subclass whose == is always true":
        "class F(float):\n    def __eq__(s, o): return True\n    __hash__ = float.__hash__\n"
        "def gd_step(phi, grad, alpha):\n    return F(0.0)",
    "np.isclose, np.allclose and abs replaced":
        "import builtins\nnp.isclose = lambda *a, **k: True\nnp.allclose = lambda *a, **k: True\n"
        "builtins.abs = lambda x: 0\ndef gd_step(phi, grad, alpha):\n    return phi",
    "an object that is not numbers":
        "def gd_step(phi, grad, alpha):\n    return {'phi': phi}",
    "np.savez replaced to write nothing":
        "np.savez = lambda *a, **k: None\ndef gd_step(phi, grad, alpha):\n    return phi",
    "an exception that hides the error status":
        "def gd_step(phi, grad, alpha):\n    import os\n    os._exit(0)",
}


@pytest.mark.parametrize("kind", sorted(CHEATS))
def test_cheats_score_nothing(tmp_path, kind):
    ok, msg = _kernel(tmp_path, CHEATS[kind], GD_STEP)
    assert not ok, f"{kind} passed"


def test_adam_with_bias_correction_folded_into_the_step_size_passes(tmp_path):
    """Kingma & Ba sec. 2: alpha_t = alpha sqrt(1 - gamma^t) / (1 - beta^t), epsilon added to
    sqrt(v); returned as a list; also over the 25-step chain on the Gabor model."""
    folded = """
    def adam_step(p, m1, m2, step, grad, lr, b1=0.9, b2=0.999, eps=1e-8):
        m1 = b1 * m1 + (1 - b1) * grad
        m2 = b2 * m2 + (1 - b2) * grad ** 2
        lr_t = lr * np.sqrt(1 - b2 ** step) / (1 - b1 ** step)
        return [p - lr_t * m1 / (np.sqrt(m2) + eps), m1, m2]
    """
    ok, msg = _kernel(tmp_path, folded, adam_ex.PARTS["test_adam_step"])
    assert ok, msg


def test_adam_without_bias_correction_fails_with_the_bias_hint_only(tmp_path):
    code = """
    def adam_step(phi, m, v, t, g, alpha, beta=0.9, gamma=0.999, epsilon=1e-8):
        m = beta * m + (1 - beta) * g
        v = gamma * v + (1 - gamma) * g * g
        return phi - alpha * m / (np.sqrt(v) + epsilon), m, v
    """
    ok, msg = _kernel(tmp_path, code, adam_ex.PARTS["test_adam_step"])
    assert not ok and "bias correction" in msg
    assert "chain rule" not in msg and "t counts steps from 1" not in msg


def test_wrong_count_is_a_wrong_answer(tmp_path):
    code = """
    def adam_step(phi, m, v, t, g, alpha, beta=0.9, gamma=0.999, epsilon=1e-8):
        return phi
    """
    ok, msg = _kernel(tmp_path, code, adam_ex.PARTS["test_adam_step"])
    assert not ok and "should return 3" in msg


def test_fresh_seeds_give_fresh_inputs(tmp_path):
    a = judge.prepare(GD_STEP, tmp_path / "a")
    b = judge.prepare(GD_STEP, tmp_path / "b")
    arrays = [np.load(tmp_path / d / judge.GRADING_DIR / "in-test_gd_step.npz") for d in "ab"]
    assert any(not np.array_equal(arrays[0][k], arrays[1][k]) for k in arrays[0].files
               if k in arrays[1].files and arrays[0][k].shape == arrays[1][k].shape) or \
        a.source != b.source


def test_the_call_cell_holds_no_reference_or_tolerance(tmp_path):
    req = judge.prepare(adam_ex.PARTS["test_adam_step"], tmp_path)
    for word in ("_adam(", "_bias(", "reference", "tolerance", "isclose", "allclose", "expected"):
        assert word not in req.source, word


def test_tolerance_policy():
    """|got - ref| <= rtol |ref| + rtol max(1, max|ref|), rtol = 64 ops 2^-53 + method."""
    check = _core.Check("f", lambda rng: (), lambda: 0.0, ops=10)
    rtol = 64 * 10 * 2.0 ** -53
    ref = np.array([1.0, 100.0])
    assert np.allclose(_core.tolerance(ref, check), rtol * ref + rtol * 100.0)
    assert _core.compare(check, [ref * (1 + rtol / 2)], [ref]) is None
    assert _core.compare(check, [ref * (1 + 1e-9)], [ref]) is not None


def _solution(assignment: str, grade_id: str) -> str:
    import nbformat

    from coursekit import _nb

    root = Path(__file__).resolve().parents[1]
    nb = nbformat.read(root / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    src = _nb.cells_by_id(nb)[grade_id].source
    return src.replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", "")


@pytest.mark.parametrize("assignment, answer, part", [
    ("problems", "p611_code", "p611_test"),             # a dict with a tuple and big ints
    ("problems", "p66_code_a", "p66_test_a"),           # a dict of labels
    ("sgd", "minibatches", "test_minibatches"),         # ragged batches, an rng argument, raises
    ("momentum", "steps_to_reach", "test_steps_to_reach"),  # None for "never"
    ("line_search", "ls_bracket_search", "ls_bracket_search_tests"),  # a search's own tol
])
def test_every_kind_of_answer_comes_back_through_the_file(tmp_path, assignment, answer, part):
    import importlib

    parts = importlib.import_module(f"steplab.exercises.{assignment}").PARTS
    code = _solution(assignment, answer)
    if part == "ls_bracket_search_tests":
        code = _solution(assignment, "ls_bracket_step") + "\n" + code
    ok, msg = _kernel(tmp_path, code, parts[part])
    assert ok, msg
