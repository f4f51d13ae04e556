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

One more correct kind is derived mechanically here, because the way it is written is itself
what it tests: kind B's functions wrapped by a decorator without ``functools.wraps`` (every
other part) and kind A's functions behind a ``*args`` wrapper (the remaining parts).
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


def wrapped(mod, gid: str) -> str:
    """The wrapped kind's answer to part ``gid``: kind B behind a decorator without
    functools.wraps on the 1st, 3rd, ... parts, kind A behind a ``*args`` wrapper on the
    others."""
    if list(mod.PARTS).index(gid) % 2 == 0:
        return decorated(mod.CORRECT["B"][gid])
    return star_args(mod.CORRECT["A"][gid])


def correct_kinds(mod) -> dict:
    """kind -> answers to every part: the written kinds (a kind that answers only some parts
    in its own way takes kind A's answers for the others) plus the wrapped kind."""
    kinds = {k: {**mod.CORRECT["A"], **answers} for k, answers in mod.CORRECT.items()}
    kinds["wrapped"] = {gid: wrapped(mod, gid) for gid in mod.PARTS}
    return kinds


def written(mod, gid: str) -> tuple:
    """(correct sources, wrong sources) of one part: every distinct way it is answered."""
    correct = [k[gid] for k in mod.CORRECT.values() if gid in k] + [wrapped(mod, gid)]
    return correct, [k[gid] for k in mod.WRONG.values() if gid in k]


def groups(mod) -> list:
    """The parts split in two groups (every other part, unless the module says otherwise)."""
    order = list(mod.PARTS)
    return getattr(mod, "WRONG_GROUPS", None) or [order[0::2], order[1::2]]


def wrong_students(mod) -> dict:
    """student -> (answers, answer grade_ids that are wrong). Three students carry the two
    wrong kinds: "wrong1_first" is wrong (kind wrong1) on the first group of parts and answers
    the rest as kind A, "wrong2_second" likewise with kind wrong2 on the second group, so both
    also show that the parts they did not break keep their points; "wrong_mixed" is wrong on
    every part, kind wrong2 on the first group and wrong1 on the second."""
    first, second = groups(mod)
    w1, w2 = mod.WRONG["wrong1"], mod.WRONG["wrong2"]
    plan = {"wrong1_first": {g: w1[g] for g in first},
            "wrong2_second": {g: w2[g] for g in second},
            "wrong_mixed": {**{g: w2[g] for g in first}, **{g: w1[g] for g in second}}}
    return {name: ({**mod.CORRECT["A"], **answers}, list(answers))
            for name, answers in plan.items()}


def expected_losses(mod, broken: list) -> set:
    """Test grade_ids that must score less than full when the answers ``broken`` are wrong."""
    lost = {mod.PARTS[gid] for gid in broken}
    for test_id, needs in getattr(mod, "DEPENDS", {}).items():
        if set(needs) & set(broken):
            lost.add(test_id)
    return lost
