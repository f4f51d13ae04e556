"""steplab.challenges and steplab.init: derivatives vs finite differences, closed forms."""

import numpy as np
import pytest

import steplab as sl
from steplab import challenges, init


@pytest.mark.parametrize("make", [
    lambda: challenges.plateau_saddle(),
    lambda: challenges.cliff(),
    lambda: challenges.DeepLinearChain(*sl.data.make_linear(20, seed=1), depth=4),
    lambda: challenges.DeepLinearChain(*sl.data.make_linear(20, seed=1), depth=4, batch_norm=True),
])
def test_gradients_match_central_differences(make):
    # Reference: central finite differences of the loss (independent of the analytic grad).
    p = make()
    rng = np.random.default_rng(0)
    for _ in range(5):
        phi = rng.uniform(0.3, 1.5, size=p.P)
        np.testing.assert_allclose(p.grad(phi), sl.fd_gradient(p.loss, phi), rtol=1e-6, atol=1e-6)


def test_plateau_saddle_closed_form():
    # L = phi0^2/2 + phi1^4/4 - phi1^2/2: saddle at 0 with Hessian diag(1, -1), minima (0, +-1).
    p = challenges.plateau_saddle()
    np.testing.assert_allclose(p.hessian(np.zeros(2)), np.diag([1.0, -1.0]))
    assert p.loss([0.0, 1.0]) == pytest.approx(-0.25)
    np.testing.assert_allclose(p.grad([0.0, -1.0]), [0.0, 0.0])


def test_ill_conditioned_condition_number():
    H = challenges.ill_conditioned(50.0).hessian()
    w = np.linalg.eigvalsh(H)
    assert w.max() / w.min() == pytest.approx(50.0)


def test_clipping_tames_the_cliff():
    # On the wall the gradient is ~ height*sharpness/4 = 20, so alpha=0.5 jumps ~10 units;
    # clipping to norm 1 bounds every step by alpha * 1.
    p = challenges.cliff()
    start = [1.05, 0.5]
    wild = sl.minimize(p, sl.GradientDescent(alpha=0.5), start, steps=5)
    tame = sl.minimize(p, sl.GradientDescent(alpha=0.5), start, steps=5, clip=1.0)
    assert np.abs(np.diff(wild.phi, axis=0)).max() > 5.0
    assert np.linalg.norm(np.diff(tame.phi, axis=0), axis=1).max() <= 0.5 + 1e-12


def test_long_term_product_explodes_and_vanishes():
    out = challenges.long_term_product([0.9, 1.0, 1.1], 50)
    np.testing.assert_allclose(out[-1], [0.9 ** 50, 1.0, 1.1 ** 50])
    assert out.shape == (51, 3)


def test_batch_norm_makes_weight_scale_irrelevant():
    x, y = sl.data.make_linear(30, seed=2)
    p = challenges.DeepLinearChain(x, y, depth=5, batch_norm=True)
    phi = np.r_[np.full(5, 0.7), 0.3, 1.0]
    scaled = phi.copy()
    scaled[:5] *= 3.0
    assert p.loss(phi) == pytest.approx(p.loss(scaled))


def test_early_stopping():
    val = np.array([5, 4, 3, 2.5, 2.6, 2.7, 2.8, 2.9, 3.0])
    r = challenges.early_stopping_curve(np.arange(9.0)[::-1], val, patience=3)
    assert r["best_step"] == 3 and r["stop_step"] == 6


def test_glorot_uniform_bounds_and_variance():
    # Goodfellow eq. 8.23: U(-sqrt(6/(m+n)), sqrt(6/(m+n))) has variance 2/(m+n).
    W = init.glorot_uniform(200, 300, seed=0)
    limit = np.sqrt(6 / 500)
    assert np.abs(W).max() <= limit
    assert W.var() == pytest.approx(2 / 500, rel=0.05)


def test_orthogonal_has_orthonormal_columns():
    W = init.orthogonal(50, 20, seed=0)
    np.testing.assert_allclose(W.T @ W, np.eye(20), atol=1e-12)
    W = init.orthogonal(20, 50, seed=0, gain=2.0)
    np.testing.assert_allclose(W @ W.T, 4 * np.eye(20), atol=1e-12)


def test_sparse_has_k_nonzeros_per_unit():
    W = init.sparse(100, 30, seed=0, k=15)
    assert np.all((W != 0).sum(axis=0) == 15)
    with pytest.raises(ValueError, match="k=200"):
        init.sparse(100, 30, seed=0, k=200)


def test_activation_scales_vanish_with_small_weights_and_keep_with_orthogonal():
    small = init.activation_scales(lambda m, n, seed: init.gaussian(m, n, seed=seed, std=0.01),
                                   depth=8, seed=0, activation="linear")
    orth = init.activation_scales(init.orthogonal, depth=8, seed=0, activation="linear")
    # 0.01 * sqrt(100) = 0.1 per layer, so 8 layers shrink the signal to 1e-8
    np.testing.assert_allclose(small[1:] / small[:-1], 0.1, rtol=0.15)
    np.testing.assert_allclose(orth, 1.0, rtol=0.1)   # orthogonal maps preserve norms


def test_noisy_gradient_descent_is_gd_plus_seeded_noise():
    # Reference: the update phi <- phi - alpha (grad + sigma xi) written out with the same draws.
    q = sl.Quadratic(np.diag([1.0, 3.0]))
    starts = np.array([[1.0, -1.0], [0.5, 2.0]])
    phis = challenges.noisy_gradient_descent(q, starts, 0.1, steps=5, sigma=0.3, seed=4)
    rng, phi = np.random.default_rng(4), starts.copy()
    for t in range(1, 6):
        phi = phi - 0.1 * (phi * [1.0, 3.0] + 0.3 * rng.standard_normal(phi.shape))
        np.testing.assert_allclose(phis[t], phi, rtol=1e-13)
    assert phis.shape == (6, 2, 2)
    # with sigma = 0 and a schedule it is gradient descent with alpha_t
    gd = challenges.noisy_gradient_descent(q, starts, lambda t: 0.1 / t, steps=3, sigma=0.0, seed=0)
    phi = starts.copy()
    for t in range(1, 4):
        phi = phi - 0.1 / t * (phi * [1.0, 3.0])
    np.testing.assert_allclose(gd[-1], phi, rtol=1e-13)
    with pytest.raises(ValueError, match="runs, P"):
        challenges.noisy_gradient_descent(q, [1.0, 1.0], 0.1, steps=3, sigma=0.1, seed=0)


def test_noise_ball_is_the_fixed_point_of_the_variance_recursion():
    # m2' = (1 - a lam)^2 m2 + a^2 sigma^2, iterated to its fixed point
    for a, lam, sigma in ((0.1, 1.0, 1.0), (0.018, 100.0, 4.0), (0.3, 2.0, 0.5)):
        m2 = 0.0
        for _ in range(20000):
            m2 = (1 - a * lam) ** 2 * m2 + a * a * sigma * sigma
        assert challenges.noise_ball(a, lam, sigma) == pytest.approx(np.sqrt(m2), rel=1e-9)
    assert challenges.noise_ball(0.025, 100.0, 1.0) == np.inf


def test_narrow_and_wide_minima_and_curvatures():
    p = challenges.narrow_and_wide()
    for phi, tol in ((0.3, 1e-6), (-0.75, 1e-5)):                   # also on the smooth ridge
        np.testing.assert_allclose(sl.fd_gradient(p.loss, np.array([phi])), p.grad(np.array([phi])), atol=tol)
    assert p.loss([-1.0]) == pytest.approx(-1.0) and p.loss([1.0]) == pytest.approx(-0.5)
    for c, lam in ((-1.0, 100.0), (1.0, 2.0)):                        # curvature by differences
        h = 1e-4
        curv = (p.loss([c + h]) - 2 * p.loss([c]) + p.loss([c - h])) / h ** 2
        assert curv == pytest.approx(lam, rel=1e-4)
    many = p.grad(np.array([[-1.0], [1.0], [0.0]]))                  # a stack of runs at once
    assert many.shape == (3, 1) and abs(many[0, 0]) < 1e-9 and abs(many[1, 0]) < 1e-9


def test_many_flat_directions_spectrum():
    q = challenges.many_flat_directions(n=61, lam_min=1e-6, L=1.0)
    lam = np.linalg.eigvalsh(q.hessian())
    assert lam.min() == pytest.approx(1e-6) and lam.max() == pytest.approx(1.0)
    np.testing.assert_allclose(np.diff(np.log10(lam)), 0.1, rtol=1e-9)   # ten per decade
    with pytest.raises(ValueError):
        challenges.many_flat_directions(lam_min=2.0, L=1.0)
