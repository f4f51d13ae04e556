"""steplab.rates: the convergence rate of UDL eq. 6.11 on a quadratic.

Expected values come from (a) running steplab.Momentum on steplab.Quadratic and measuring the
contraction, (b) the closed form |1 - alpha*lambda| of gradient descent at beta = 0,
(c) Polyak's heavy-ball optimum (Polyak 1964; Goh, Distill 2017), written out in the tests.
"""

import numpy as np
import pytest

import steplab as sl
from steplab import rates


def _run_momentum(alpha, beta, lams, steps, phi0=(1.0, 1.0)):
    q = sl.Quadratic(np.diag(lams))
    opt = sl.Momentum(alpha=alpha, beta=beta)
    phi = np.array(phi0, float)
    state = opt.init(phi)
    states = []
    for _ in range(steps):
        phi, state = opt.step(phi, state, q.grad)
        states.append(np.concatenate([state.m, phi]))
    return np.array(states)


def test_iteration_matrix_reproduces_one_momentum_step():
    # T acting on (m_t, phi_t) must give what steplab.Momentum does on L = lam/2 phi^2
    alpha, beta, lam = 0.3, 0.7, 2.5
    T = rates.iteration_matrix(alpha, beta, lam)
    opt = sl.Momentum(alpha=alpha, beta=beta)
    m, phi = np.array([0.4]), np.array([-1.3])
    new_phi, st = opt.step(phi, sl.MomentumState(1, m), lambda p: lam * p)
    assert np.allclose(T @ np.array([m[0], phi[0]]), [st.m[0], new_phi[0]], atol=1e-14)
    # derived in the module docstring: trace 1 + beta - alpha(1-beta)lam and det beta
    assert np.isclose(np.trace(T), 1 + beta - alpha * (1 - beta) * lam)
    assert np.isclose(np.linalg.det(T), beta)


@pytest.mark.parametrize("alpha,beta", [(0.1, 0.0), (0.5, 0.5), (2.0, 0.3), (0.05, 0.9),
                                        (4.0, 0.1), (1.0, 0.8)])
def test_spectral_radius_equals_numpy_eigenvalues(alpha, beta):
    lam = 1.7
    expected = np.abs(np.linalg.eigvals(rates.iteration_matrix(alpha, beta, lam))).max()
    assert np.isclose(rates.spectral_radius(alpha, beta, lam), expected, rtol=1e-10)


@pytest.mark.parametrize("alpha,beta", [(0.5, 0.0), (0.5, 0.6), (1.5, 0.2), (0.2, 0.9),
                                        (3.0, 0.5)])
def test_rate_matches_measured_contraction_of_momentum(alpha, beta):
    lams = (0.3, 2.0)
    rho = float(rates.convergence_rate(alpha, beta, lams))
    s = _run_momentum(alpha, beta, lams, steps=400)
    n = np.linalg.norm(s, axis=1)
    measured = (n[399] / n[199]) ** (1 / 200)
    assert measured == pytest.approx(rho, abs=2e-3)


def test_beta_zero_is_gradient_descent_closed_form():
    alphas = np.linspace(0.01, 1.5, 50)
    lam = 1.7
    assert np.allclose(rates.spectral_radius(alphas, 0.0, lam), np.abs(1 - alphas * lam))
    lams = (0.2, 1.7)
    expected = np.maximum(np.abs(1 - alphas * 0.2), np.abs(1 - alphas * 1.7))
    assert np.allclose(rates.convergence_rate(alphas, 0.0, lams), expected)


def test_complex_eigenvalues_have_modulus_sqrt_beta():
    # tr^2 < 4 beta -> |mu| = sqrt(det) = sqrt(beta), independent of alpha
    beta, lam = 0.64, 1.0
    for alpha in (2.0, 3.0, 4.0):   # tr = 1.64 - 0.36 alpha: 0.92, 0.56, 0.2 -> all < 2*0.8
        assert np.isclose(rates.spectral_radius(alpha, beta, lam), 0.8)
        assert rates.regime(alpha, beta, [lam]) == "ripples"


def test_regimes_match_the_behaviour_of_the_iterates():
    lam = 1.0
    # beta = 0: error e_t = (1 - alpha lam)^t e_0
    assert rates.regime(0.5, 0.0, [lam]) == "monotone"       # factor +0.5
    assert rates.regime(1.5, 0.0, [lam]) == "oscillation"    # factor -0.5
    assert rates.regime(2.5, 0.0, [lam]) == "divergence"     # factor -1.5
    s = _run_momentum(1.5, 0.0, (lam, lam), steps=6)
    assert np.all(np.sign(s[:, 2]) == np.array([-1, 1, -1, 1, -1, 1]))
    s = _run_momentum(0.5, 0.0, (lam, lam), steps=6)
    assert np.all(s[:, 2] > 0)
    assert rates.regime(0.1, 0.5, [lam]) == "monotone"       # tr^2 = 1.4^2 > 2
    s = _run_momentum(0.1, 0.5, (lam, lam), steps=30)
    assert np.all(s[:, 2] > 0)
    # the slowest direction names the regime
    assert rates.regime(0.5, 0.0, [0.01, 1.0]) == "monotone"


def test_optimal_momentum_closed_form_and_grid_minimum():
    lo, hi = 0.2, 2.0
    opt = rates.optimal_momentum(lo, hi)
    k = hi / lo
    sk = np.sqrt(k)
    assert np.isclose(opt["rate"], (sk - 1) / (sk + 1))
    assert np.isclose(opt["gd_rate"], (k - 1) / (k + 1))
    # the rate at the optimum is sqrt(beta*) and equals the closed form
    assert np.isclose(rates.convergence_rate(opt["alpha"], opt["beta"], [lo, hi]), opt["rate"],
                      rtol=1e-6)
    # no point of a fine grid does better than the optimum
    A, B = np.meshgrid(np.geomspace(0.05, 50, 400), np.linspace(0, 0.98, 300))
    assert rates.convergence_rate(A, B, [lo, hi]).min() >= opt["rate"] - 1e-9
    # and momentum at the optimum beats the best plain GD
    assert opt["rate"] < opt["gd_rate"]


def test_phase_map_shapes_and_codes():
    alphas, betas = np.geomspace(1e-3, 100, 40), np.linspace(0, 0.99, 30)
    rate, code = rates.phase_map([0.2, 2.0], alphas, betas)
    assert rate.shape == code.shape == (30, 40)
    assert set(np.unique(code)) <= {0, 1, 2, 3}
    assert np.all((code == 3) == (rate >= 1))
    assert np.isclose(rate[5, 7], rates.convergence_rate(alphas[7], betas[5], [0.2, 2.0]))


def test_bad_curvature_is_a_value_error():
    with pytest.raises(ValueError, match="curvatures"):
        rates.convergence_rate(0.1, 0.5, [-1.0, 1.0])
    with pytest.raises(ValueError, match="lam_min"):
        rates.optimal_momentum(2.0, 1.0)


def test_phase_map_is_the_rate_and_regime_of_the_slowest_direction_everywhere():
    # phase_map evaluates all curvatures at once; convergence_rate and regime_map loop over
    # them one by one: the same numbers on every grid point, for several curvature sets
    alphas, betas = np.geomspace(1e-3, 100, 57), np.linspace(0, 0.99, 41)
    A, B = np.meshgrid(alphas, betas)
    for lams in ([0.2, 2.0], [0.01, 10.0], [1.0, 1.0], [0.5], [0.3, 0.7, 3.0]):
        rate, code = rates.phase_map(lams, alphas, betas)
        assert np.array_equal(rate, rates.convergence_rate(A, B, lams))
        assert np.array_equal(code, rates.regime_map(A, B, lams))


def test_accelerated_gradient_written_out_and_its_guarantee():
    """Nesterov's method with momentum (t-1)/(t+2) (Su, Boyd & Candes 2016, eq. 3) written out,
    and the bound L - L* <= 2 ||phi0 - phi*||^2 / (alpha (t+1)^2) on a convex quadratic."""
    A = np.diag([1.0, 0.1, 0.001])
    q = sl.Quadratic(A)
    run = rates.accelerated_gradient(q, [1.0, 1.0, 1.0], alpha=1.0, steps=50)
    x = x_prev = np.ones(3)
    for k in range(50):
        y = x + (k - 1) / (k + 2) * (x - x_prev)
        x_prev, x = x, y - A @ y
        np.testing.assert_allclose(run.phi[k + 1], x, rtol=1e-12, atol=1e-15)
    t = np.arange(51)
    assert np.all(run.loss <= 2 * 3 / (t + 1) ** 2 + 1e-15)
    assert run.steps == 50 and run.loss[0] == pytest.approx(0.5 * 1.101)
