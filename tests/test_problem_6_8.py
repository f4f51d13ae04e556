"""Problem 6.8: what fixed-rate gradient descent does from the Gabor local minimum (-5.82, 13.82).

The numbers behind the corrected rubric and hidden-test message of problem 6.8 (issue 15,
defect 3), from gradient descent written out on the hand-written gradient of problem 6.3
(tests/test_chapters.py), checked against the engine's GaborRegression.
"""

import numpy as np
import pytest
from test_chapters import gabor_grad, gabor_loss

import steplab as sl

LOCAL_MIN = np.array([-5.8193761, 13.82450393])


def gd(alpha, steps=400, grad=gabor_grad):
    phi = LOCAL_MIN.copy()
    path = [phi]
    for _ in range(steps):
        phi = phi - alpha * grad(phi)                       # eq. 6.3
        path.append(phi)
    return np.array(path)


def test_the_local_minimum_and_its_stability_limit():
    h = 1e-5
    H = np.array([(gabor_grad(LOCAL_MIN + h * e) - gabor_grad(LOCAL_MIN - h * e)) / (2 * h)
                  for e in np.eye(2)])
    assert np.linalg.norm(gabor_grad(LOCAL_MIN)) < 1e-5
    assert gabor_loss(LOCAL_MIN) == pytest.approx(3.356, abs=5e-4)
    assert 2 / np.linalg.eigvalsh((H + H.T) / 2).max() == pytest.approx(0.260, abs=5e-4)


def test_below_the_limit_gd_stays():
    for alpha in (0.05, 0.2, 0.25):
        assert np.linalg.norm(gd(alpha)[-1] - LOCAL_MIN) < 1e-6


def test_alpha_0_3_settles_into_a_two_step_cycle_across_the_valley():
    path = gd(0.3)
    np.testing.assert_allclose(path[-1], path[-3], atol=1e-9)        # period 2
    assert np.linalg.norm(path[-1] - path[-2]) > 0.5                  # not a fixed point
    phi0 = sorted([path[-1][0], path[-2][0]])
    np.testing.assert_allclose(phi0, [-6.30, -5.45], atol=5e-3)       # either side of -5.82
    for p in path[-2:]:
        assert gabor_loss(p) == pytest.approx(4.03, abs=0.01)          # above the minimum's 3.36
    # the engine's gradient gives the same cycle
    engine = gd(0.3, grad=sl.GaborRegression(*sl.data.gabor()).grad)
    np.testing.assert_allclose(engine[-2:], path[-2:], atol=1e-6)


@pytest.mark.parametrize("alpha", [0.3, 0.4, 0.5, 0.7])
def test_up_to_0_7_gd_stays_in_the_valley(alpha):
    path = gd(alpha, steps=600)
    assert np.linalg.norm(path[-1] - path[-3]) < 1e-6                 # a two-step cycle
    assert np.linalg.norm(path[-1] - LOCAL_MIN) < 2.5                 # around the local minimum
    assert min(gabor_loss(p) for p in path[-2:]) > 3.356


@pytest.mark.parametrize("alpha", [0.9, 1.0, 1.5])
def test_from_about_0_8_gd_leaves_the_valley_but_not_for_the_global_minimum(alpha):
    path = gd(alpha, steps=600)
    assert np.linalg.norm(path[-1] - LOCAL_MIN) > 5
    assert gabor_loss(path[-1]) > 5.0 > 0.646                         # flat regions, not the global minimum
