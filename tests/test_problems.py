"""Problems: analytic derivatives vs central finite differences, and the book's numbers.

Sources: derivatives are checked against central differences written here (not the engine's
fd helpers); book values are the book's companion notebook values (UDL ch. 6, figs. 6.1-6.4
and their captions).
"""

import numpy as np
import pytest

import steplab as sl


def central_grad(f, phi, h=1e-6):
    """(f(phi + h e_k) - f(phi - h e_k)) / 2h, written out here as the reference."""
    phi = np.asarray(phi, float)
    out = np.zeros_like(phi)
    for k in range(phi.size):
        e = np.zeros_like(phi)
        e[k] = h
        out[k] = (f(phi + e) - f(phi - e)) / (2 * h)
    return out


def central_hessian(grad, phi, h=1e-5):
    phi = np.asarray(phi, float)
    cols = []
    for k in range(phi.size):
        e = np.zeros_like(phi)
        e[k] = h
        cols.append((grad(phi + e) - grad(phi - e)) / (2 * h))
    H = np.stack(cols, axis=1)
    return 0.5 * (H + H.T)


def make_problems():
    x1, y1 = sl.data.make_regression_1d(20, seed=0)
    return {
        "linear": (sl.LinearRegression(*sl.data.linear_regression()), 2),
        "gabor": (sl.GaborRegression(*sl.data.gabor()), 2),
        "logistic": (sl.LogisticRegression(*sl.data.make_logistic(10, seed=3)), 2),
        "shallow": (sl.ShallowNetwork(x1, y1), 10),
        "quadratic": (sl.Quadratic([[2.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 3.0]],
                                   b=[1.0, 0.0, -1.0], c=0.5), 3),
        "function": (sl.Function(lambda p: np.sin(p[..., 0]) * p[..., 1] ** 2 + p[..., 0] ** 4,
                                 P=2), 2),
    }


def random_points(name, problem, n=5, seed=0):
    rng = np.random.default_rng(seed)
    pts = []
    while len(pts) < n:
        phi = rng.normal(scale=1.5, size=problem.P)
        if name == "gabor":
            phi = phi * [1.0, 5.0] + [0.0, 12.0]  # the plotted region of figs. 6.3-6.4
        if name == "shallow":
            # stay away from the ReLU kinks, where the derivative does not exist
            z = phi[4::2, None] + phi[5::2, None] * problem.x
            if np.abs(z).min() < 1e-2:
                continue
        pts.append(phi)
    return pts


@pytest.mark.parametrize("name", list(make_problems()))
def test_gradient_matches_finite_differences(name):
    problem, P = make_problems()[name]
    assert problem.P == P
    for phi in random_points(name, problem):
        g = problem.grad(phi)
        fd = central_grad(problem.loss, phi)
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-6 * (1 + np.abs(fd).max()))


@pytest.mark.parametrize("name", list(make_problems()))
def test_hessian_matches_finite_differences(name):
    problem, _ = make_problems()[name]
    for phi in random_points(name, problem, n=3, seed=1):
        H = problem.hessian(phi)
        fd = central_hessian(problem.grad, phi)
        np.testing.assert_allclose(H, fd, rtol=1e-5, atol=1e-5 * (1 + np.abs(fd).max()))
        np.testing.assert_allclose(H, H.T, atol=1e-12)


@pytest.mark.parametrize("name", ["linear", "gabor", "logistic", "shallow"])
def test_grad_over_idx_is_the_sum_over_those_points(name):
    """UDL eq. 6.10: the minibatch gradient is the sum of per-point gradients."""
    problem, _ = make_problems()[name]
    phi = random_points(name, problem, n=1, seed=2)[0]
    idx = np.array([0, 3, 5])
    per_point = sum(problem.grad(phi, [i]) for i in idx)
    np.testing.assert_allclose(problem.grad(phi, idx), per_point, rtol=1e-12, atol=1e-12)
    total = sum(problem.grad(phi, [i]) for i in range(problem.n))
    np.testing.assert_allclose(problem.grad(phi), total, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", list(make_problems()))
def test_loss_and_grad_vectorized_over_leading_axes(name):
    problem, P = make_problems()[name]
    pts = np.array(random_points(name, problem, n=6, seed=3)).reshape(2, 3, P)
    losses = problem.loss(pts)
    assert losses.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            assert losses[i, j] == pytest.approx(problem.loss(pts[i, j]), rel=1e-12)
    if name != "function":  # Function's finite-difference gradient takes one point
        grads = problem.grad(pts)
        assert grads.shape == (2, 3, P)
        np.testing.assert_allclose(grads[1, 2], problem.grad(pts[1, 2]), rtol=1e-12)


# --------------------------------------------------------------------------- book numbers

def test_linear_regression_book_values():
    """Companion notebook / UDL fig. 6.1: loss 12.367 and gradient (-21.904, -26.840) at (0.6, -0.2);
    optimum (0.8260, 0.5222) with loss 0.1999."""
    p = sl.LinearRegression(*sl.data.linear_regression())
    assert p.loss([0.6, -0.2]) == pytest.approx(12.367, abs=5e-4)
    np.testing.assert_allclose(p.grad([0.6, -0.2]), [-21.904, -26.840], atol=5e-4)
    # found by the engine (gradient descent), not by the closed form
    traj = sl.minimize(p, sl.GradientDescent(alpha=0.01), [1.6, -0.5], steps=3000)
    np.testing.assert_allclose(traj.final, [0.8260, 0.5222], atol=5e-4)
    assert traj.loss[-1] == pytest.approx(0.1999, abs=5e-5)
    # the normal equations agree
    np.testing.assert_allclose(p.solve(), [0.8260, 0.5222], atol=5e-4)


def test_linear_regression_hessian_closed_form():
    """Problem 6.2: H = 2 [[n, sum x], [sum x, sum x^2]], independent of phi."""
    x, y = sl.data.linear_regression()
    p = sl.LinearRegression(x, y)
    want = 2 * np.array([[len(x), x.sum()], [x.sum(), (x**2).sum()]])
    np.testing.assert_allclose(p.hessian([0.3, 0.1]), want)


def test_gabor_book_values():
    """Companion notebook / UDL figs. 6.3-6.4: loss 16.419 at (0.6, -0.2); global minimum near
    (0.00, 16.03), loss 0.646, reached by the engine from a nearby start."""
    p = sl.GaborRegression(*sl.data.gabor())
    assert p.n == 30
    assert p.loss([0.6, -0.2]) == pytest.approx(16.419, abs=5e-4)
    traj = sl.minimize(p, sl.Adam(alpha=0.01, beta=0.9, gamma=0.99), [0.3, 15.5], steps=3000,
                       schedule=sl.schedules.cosine(0.01, 3000))
    np.testing.assert_allclose(traj.final, [0.00, 16.03], atol=0.02)
    assert traj.loss[-1] == pytest.approx(0.646, abs=1e-3)
    assert np.linalg.norm(p.grad(traj.final)) < 1e-2
    # a minimum: the Hessian there is positive definite (UDL eq. 6.19)
    assert np.all(np.linalg.eigvalsh(p.hessian(traj.final)) > 0)


def test_gabor_model_formula():
    """UDL eq. 6.8 written out: f = sin(z) exp(-z^2/32), z = phi0 + 0.06 phi1 x."""
    p = sl.GaborRegression(*sl.data.gabor())
    phi = np.array([0.4, 10.0])
    x = np.array([-3.0, 0.0, 2.5])
    z = 0.4 + 0.06 * 10.0 * x
    np.testing.assert_allclose(p.predict(phi, x), np.sin(z) * np.exp(-z**2 / 32), rtol=1e-14)


def test_logistic_loss_is_binary_cross_entropy():
    """UDL eqs. 6.21-6.22: L = -sum [y log p + (1-y) log(1-p)], p = sig(phi0 + phi1 x)."""
    x, y = sl.data.make_logistic(10, seed=0)
    p = sl.LogisticRegression(x, y)
    phi = np.array([0.2, -0.7])
    prob = 1 / (1 + np.exp(-(phi[0] + phi[1] * x)))
    want = -np.sum(y * np.log(prob) + (1 - y) * np.log(1 - prob))
    assert p.loss(phi) == pytest.approx(want, rel=1e-12)


def test_shallow_network_formula():
    """UDL eq. 6.23 with the documented parameter order."""
    x, y = sl.data.make_regression_1d(8, seed=1)
    p = sl.ShallowNetwork(x, y)
    phi = np.arange(10) / 10 - 0.4

    def relu(z):
        return np.maximum(z, 0)

    f = (phi[0] + phi[1] * relu(phi[4] + phi[5] * x) + phi[2] * relu(phi[6] + phi[7] * x)
         + phi[3] * relu(phi[8] + phi[9] * x))
    np.testing.assert_allclose(p.predict(phi, x), f, rtol=1e-13)
    assert p.loss(phi) == pytest.approx(np.sum((f - y) ** 2), rel=1e-12)


def test_quadratic_minimum_closed_form():
    A = np.array([[2.0, 0.5], [0.5, 1.0]])
    q = sl.Quadratic(A, b=[1.0, 1.0])
    np.testing.assert_allclose(q.minimum(), np.linalg.solve(A, [1.0, 1.0]))
    np.testing.assert_allclose(q.grad(q.minimum()), 0.0, atol=1e-14)


@pytest.mark.parametrize("bad,arg", [
    (lambda: sl.LinearRegression([1.0, 2.0], [1.0]), "x and y"),
    (lambda: sl.LinearRegression([1.0, np.nan], [1.0, 2.0]), "NaN"),
    (lambda: sl.LogisticRegression([1.0, 2.0], [0.0, 2.0]), "labels"),
    (lambda: sl.Quadratic([[1.0, 2.0], [0.0, 1.0]]), "symmetric"),
    (lambda: sl.LinearRegression(*sl.data.linear_regression()).loss([1.0, 2.0, 3.0]), "phi"),
    (lambda: sl.LinearRegression(*sl.data.linear_regression()).grad([1.0, 2.0], [99]), "idx"),
])
def test_bad_inputs_raise_value_error_naming_the_problem(bad, arg):
    with pytest.raises(ValueError, match=arg):
        bad()


def test_gabor_meshgrid_fast_path_equals_pointwise_loss():
    # loss() spots a meshgrid and uses loss_grid (sine addition formula, row blocks shared
    # between threads); reference: the direct eq. 6.9 at each point, one call per point.
    p = sl.GaborRegression(*sl.data.gabor())
    a, c = np.linspace(-10, 10, 61), np.linspace(2.5, 22.5, 90)   # 61*90*30 > 2^17: threaded
    X, Y = np.meshgrid(a, c)
    grid = np.stack([X, Y], axis=-1)
    direct = np.array([[p.loss(grid[i, j]) for j in range(a.size)] for i in range(c.size)])
    np.testing.assert_allclose(p.loss(grid), direct, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(p.loss_grid(a, c, rows=7), direct, rtol=1e-12, atol=1e-12)
    # a grid that is not a meshgrid takes the general path and still agrees
    np.testing.assert_allclose(p.loss(grid.transpose(1, 0, 2)), direct.T, rtol=1e-12, atol=1e-12)


def test_make_sparse_features_recipe():
    # The documented draws, written out: on/off mask, |w| in [1, 2], signs, label noise.
    X, y, w = sl.data.make_sparse_features(500, seed=3, n_frequent=2, n_rare=3, p_frequent=0.5,
                                           p_rare=0.05, noise=0.1)
    rng = np.random.default_rng(3)
    mask = rng.random((500, 5)) < np.array([0.5, 0.5, 0.05, 0.05, 0.05])
    w_ref = rng.uniform(1, 2, 5) * rng.choice([-1.0, 1.0], 5)
    np.testing.assert_array_equal(X, mask.astype(float))
    np.testing.assert_allclose(w, w_ref)
    np.testing.assert_allclose(y, X @ w_ref + 0.1 * rng.standard_normal(500))
    with pytest.raises(ValueError, match="probability"):
        sl.data.make_sparse_features(10, seed=0, p_rare=1.5)
