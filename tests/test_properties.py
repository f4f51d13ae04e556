"""Property-based tests (hypothesis): elementwise optimizers on any shape, bad hyperparameters
rejected, inputs never mutated, losses on a grid equal the pointwise losses.

References: the definition of an elementwise update (each component follows the 1-parameter
rule on its own), and each problem's own single-point loss.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import steplab as sl

OPTIMIZERS = [
    sl.GradientDescent(alpha=0.1), sl.Momentum(alpha=0.1, beta=0.7),
    sl.Nesterov(alpha=0.1, beta=0.7), sl.NormalizedGD(alpha=0.1), sl.Adam(alpha=0.1),
    sl.HeavyBall(alpha=0.1, beta=0.7), sl.HeavyBall(alpha=0.1, beta=0.7, nesterov=True),
    sl.AdaGrad(alpha=0.1), sl.RMSProp(alpha=0.1), sl.AdaDelta(), sl.Adamax(alpha=0.1),
    sl.AMSGrad(alpha=0.1), sl.NAdam(alpha=0.1), sl.AdamW(alpha=0.1, weight_decay=0.1),
]
IDS = [f"{type(o).__name__}{'-nesterov' if getattr(o, 'nesterov', False) else ''}"
       for o in OPTIMIZERS]

finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False)
shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def grad(p):
    # an elementwise gradient (separable loss sum cosh-ish), so components are independent
    return 2.0 * p + np.sin(p)


@pytest.mark.parametrize("opt", OPTIMIZERS, ids=IDS)
@SETTINGS
@given(data=st.data())
def test_elementwise_on_any_shape(opt, data):
    shape = data.draw(shapes)
    phi = data.draw(hnp.arrays(float, shape, elements=finite))
    state = opt.init(phi)
    # reference: every component run alone as a 1-parameter problem
    singles = [(phi.reshape(-1)[k:k + 1].copy(), opt.init(np.zeros(1))) for k in range(phi.size)]
    for _ in range(3):
        phi, state = opt.step(phi, state, grad)
        singles = [opt.step(p, s, grad) for p, s in singles]
    assert phi.shape == shape
    want = np.concatenate([p for p, _ in singles]).reshape(shape)
    np.testing.assert_allclose(phi, want, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("opt", OPTIMIZERS, ids=IDS)
@SETTINGS
@given(phi=hnp.arrays(float, shapes, elements=finite))
def test_step_never_writes_to_its_inputs(opt, phi):
    state = opt.init(phi)
    phi, state = opt.step(phi, state, grad)
    # freeze every input: any in-place write would raise
    phi.setflags(write=False)
    for x in state:
        if isinstance(x, np.ndarray):
            x.setflags(write=False)
    before = (phi.copy(), [np.copy(x) for x in state])
    opt.step(phi, state, grad)
    np.testing.assert_array_equal(phi, before[0])
    for x, y in zip(state, before[1], strict=True):
        np.testing.assert_array_equal(x, y)


rates = st.one_of(st.floats(max_value=0.0, exclude_max=False, allow_nan=False),
                  st.just(float("nan")), st.just(float("inf")))
decays = st.one_of(st.floats(min_value=1.0, allow_nan=False),
                   st.floats(max_value=-1e-12, allow_nan=False), st.just(float("nan")))


@settings(max_examples=60, deadline=None)
@given(alpha=rates)
def test_non_positive_learning_rates_rejected(alpha):
    for cls in (sl.GradientDescent, sl.Momentum, sl.Adam, sl.HeavyBall, sl.AdaGrad,
                sl.RMSProp, sl.Adamax, sl.AMSGrad, sl.NAdam, sl.AdamW):
        with pytest.raises(ValueError, match="alpha"):
            cls(alpha=alpha)


@settings(max_examples=60, deadline=None)
@given(beta=decays)
def test_decays_outside_unit_interval_rejected(beta):
    for cls in (sl.Momentum, sl.Nesterov, sl.Adam, sl.HeavyBall, sl.Adamax, sl.AMSGrad,
                sl.NAdam, sl.AdamW):
        with pytest.raises(ValueError, match="beta"):
            cls(beta=beta)
    for cls in (sl.Adam, sl.RMSProp, sl.AdaDelta, sl.Adamax, sl.AMSGrad, sl.NAdam):
        with pytest.raises(ValueError, match="gamma"):
            cls(gamma=beta)


def _problems():
    x1, y1 = sl.data.make_regression_1d(15, seed=0)
    return [
        sl.LinearRegression(*sl.data.linear_regression()),
        sl.GaborRegression(*sl.data.gabor()),
        sl.LogisticRegression(*sl.data.make_logistic(10, seed=1)),
        sl.ShallowNetwork(x1, y1),
        sl.Quadratic([[2.0, 0.3], [0.3, 1.0]], b=[1.0, 0.0]),
    ]


PROBLEMS = _problems()


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: type(p).__name__)
@SETTINGS
@given(data=st.data())
def test_loss_on_a_grid_equals_pointwise(problem, data):
    lead = data.draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=5))
    grid = data.draw(hnp.arrays(float, lead + (problem.P,), elements=finite))
    got = problem.loss(grid)
    assert got.shape == lead
    flat = grid.reshape(-1, problem.P)
    want = np.array([problem.loss(p) for p in flat]).reshape(lead)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
