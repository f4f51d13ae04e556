"""The checks of the course's autograded assignments, one module per assignment, declared once
as data (:mod:`steplab.exercises._core`)::

    from steplab.exercises import gradient_descent as ex
    ex.visible("test_linear_model", linear_model)     # the visible test of a part

While an assignment is graded, its declarations stay with the grader: the grading kernel has
no copy of them, and using them there raises a clear error.
"""

import importlib
import importlib.util


class _NotWhileGrading:
    """Stands in for an assignment's checks inside the grading kernel."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attr):
        raise RuntimeError(f"steplab.exercises.{self._name} is not available while grading: "
                           "the grader runs the checks outside your notebook")


def __getattr__(name):
    if name.startswith("_"):
        raise AttributeError(name)
    if importlib.util.find_spec(f"{__name__}.{name}") is None:
        return _NotWhileGrading(name)
    module = importlib.import_module(f".{name}", __name__)
    globals()[name] = module
    return module
