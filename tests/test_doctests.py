"""The runnable examples in the engine's docstrings (optax style) stay true."""

import doctest
import importlib

import pytest

MODULES = ["steplab.problems", "steplab.optimizers", "steplab.more_optimizers",
           "steplab.schedules", "steplab.train", "steplab.data", "steplab.linesearch",
           "steplab.curvature", "steplab.init", "steplab.challenges"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) in {name} failed"
