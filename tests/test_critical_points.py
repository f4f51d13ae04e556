"""steplab.curvature.find_critical_points finds every critical point of the fig. 6.4 range.

The reference is the independent Newton search of tests/test_chapters.py (plain Newton on the
hand-written gradient of problem 6.3 from a 61 x 61 grid of starts, deduplicated).
"""

import numpy as np
import pytest
from test_chapters import gabor_critical_points

import steplab as sl
from steplab import curvature

BOX = ((-10, 10), (2.5, 22.5))


@pytest.fixture(scope="module")
def reference():
    return gabor_critical_points(BOX)


def test_finds_the_same_critical_points_as_an_independent_search(reference):
    gabor = sl.GaborRegression(*sl.data.gabor())
    got = curvature.find_critical_points(gabor, BOX, seed=0)
    assert len(got) == len(reference) == 40
    for c, (phi, loss, kind) in zip(got, reference, strict=True):   # both sorted by loss
        np.testing.assert_allclose(c.phi, phi, atol=1e-5)
        assert c.loss == pytest.approx(loss, abs=1e-8) and c.kind == kind


def test_random_starts_alone_miss_small_basins_the_lattice_does_not(reference):
    gabor = sl.GaborRegression(*sl.data.gabor())
    n_minima = sum(k == "minimum" for _, _, k in reference)
    # a 1-point "lattice" along each axis would be no lattice: compare 60 random starts with the default
    few = curvature.find_critical_points(gabor, BOX, n_starts=60, seed=0, grid=3)
    full = curvature.find_critical_points(gabor, BOX, n_starts=1, seed=0)
    assert sum(c.kind == "minimum" for c in few) < n_minima
    assert sum(c.kind == "minimum" for c in full) == n_minima


def test_grid_must_be_a_whole_number():
    gabor = sl.GaborRegression(*sl.data.gabor())
    with pytest.raises(ValueError, match="grid must be a whole number"):
        curvature.find_critical_points(gabor, BOX, grid=2.5)
