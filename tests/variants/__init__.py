"""Correct and subtly wrong answers for every autograded part of the course's assignments,
written from the task text and the book, independently of the tests (issue 13, item 4).

Each module ``tests/variants/<assignment>.py`` defines

* ``PARTS``: answer-cell grade_id -> the grade_id of the test cell that grades it;
* ``CORRECT``: kind of student -> {answer grade_id: whole cell source}, every kind answering
  every part correctly but in its own way (renamed parameters, loops, lists instead of tuples,
  algebraically equal formulas);
* ``WRONG``: kind -> {answer grade_id: source}, each answer subtly wrong (sign slip, off-by-one
  in t, missing factor, mean instead of sum, the other convention);
* ``DEPENDS`` (optional): test grade_id -> answer grade_ids whose code that test also runs
  (the task says so, e.g. Adam's Part E uses the student's ``adam_step``).

Two more correct kinds are derived mechanically here, because the way they are written is
itself what they test: every function of kind B wrapped by a decorator without
``functools.wraps``, and every function of kind A behind a ``*args`` wrapper.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: what the decorator kind puts in front of each answer cell (no functools.wraps: the wrapper's
#: signature is (*args, **kwargs) and its name is "logged")
_DECORATOR = '''
def _logged(fn):
    calls = []

    def logged(*args, **kwargs):
        calls.append(len(args))
        return fn(*args, **kwargs)
    return logged

'''


def function_names(source: str) -> list:
    """Names of the functions defined at the top level of a cell."""
    return [n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]


def decorated(source: str) -> str:
    """``source`` with every top-level function decorated by a plain wrapper (no wraps)."""
    out = re.sub(r"^def ", "@_logged\ndef ", source.strip("\n"), flags=re.M)
    return _DECORATOR + out + "\n"


def star_args(source: str) -> str:
    """``source`` with every top-level function ``f`` renamed ``_f_impl`` and ``f`` defined as
    ``def f(*args): return _f_impl(*args)``: only positional calls reach the answer."""
    names = function_names(source)
    out = source.strip("\n")
    for name in names:
        out = re.sub(rf"\b{name}\b", f"_{name}_impl", out)
    for name in names:
        out += f"\n\n\ndef {name}(*args):\n    return _{name}_impl(*args)\n"
    return out


def mutate(source: str, old: str, new: str) -> str:
    """``source`` with the one occurrence of ``old`` replaced by ``new`` (a subtle slip)."""
    if source.count(old) != 1:
        raise ValueError(f"{old!r} occurs {source.count(old)} times, not once, in:\n{source}")
    return source.replace(old, new)


def load(assignment: str):
    """The module tests/variants/<assignment>.py."""
    path = HERE / f"{assignment}.py"
    spec = importlib.util.spec_from_file_location(f"variants_{assignment}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def correct_kinds(mod) -> dict:
    """kind -> answers to every part: the written kinds (a kind that answers only some parts
    in its own way takes kind A's answers for the others) plus the two derived ones."""
    kinds = {k: {**mod.CORRECT["A"], **answers} for k, answers in mod.CORRECT.items()}
    kinds["decorated"] = {gid: decorated(src) for gid, src in mod.CORRECT["B"].items()}
    kinds["star_args"] = {gid: star_args(src) for gid, src in mod.CORRECT["A"].items()}
    return kinds


def written(mod, gid: str) -> tuple:
    """(correct sources, wrong sources) of one part: every distinct way it is answered."""
    correct = [k[gid] for k in mod.CORRECT.values() if gid in k]
    correct += [decorated(mod.CORRECT["B"][gid]), star_args(mod.CORRECT["A"][gid])]
    return correct, [k[gid] for k in mod.WRONG.values() if gid in k]


def wrong_students(mod) -> dict:
    """student -> (answers, answer grade_ids that are wrong). Each wrong kind is split into two
    students, one wrong on the even-numbered parts and one on the odd-numbered parts (the rest
    answered as kind A), so every student also shows that the parts it did not break keep
    their points."""
    order = list(mod.PARTS)
    groups = getattr(mod, "WRONG_GROUPS", None) or [order[0::2], order[1::2]]
    out = {}
    for kind, answers in mod.WRONG.items():
        for k, group in enumerate(groups):
            broken = [gid for gid in group if gid in answers]
            if not broken:
                continue
            filled = dict(mod.CORRECT["A"])
            filled.update({gid: answers[gid] for gid in broken})
            out[f"{kind}_{k}"] = (filled, broken)
    return out


def expected_losses(mod, broken: list) -> set:
    """Test grade_ids that must score less than full when the answers ``broken`` are wrong."""
    lost = {mod.PARTS[gid] for gid in broken}
    for test_id, needs in getattr(mod, "DEPENDS", {}).items():
        if set(needs) & set(broken):
            lost.add(test_id)
    return lost
