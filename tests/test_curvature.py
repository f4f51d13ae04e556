"""Tests for steplab.curvature: Hessians, critical points, convexity, second-order methods.

Expected values come from closed forms (quadratics, the linear-regression Hessian of problem
6.2 written out here), finite differences, and the book (problem 6.11; the Gabor loss's
global minimum near (0.00, 16.03) with loss 0.646, companion notebook / fig. 6.4 caption).
"""

import numpy as np
import pytest

import steplab as sl
from steplab import curvature as cv

X, Y = sl.data.linear_regression()
LR = sl.LinearRegression(X, Y)
GABOR = sl.GaborRegression(*sl.data.gabor())
BOX = [(-10.0, 10.0), (2.5, 22.5)]  # the plotted range of figs 6.3-6.4


def _lr_hessian_by_hand(x):
    # problem 6.2, written out independently: d2L/dphi0^2 = 2n, d2L/dphi0 dphi1 = 2 sum x,
    # d2L/dphi1^2 = 2 sum x^2
    x = np.asarray(x, float)
    return np.array([[2 * len(x), 2 * x.sum()], [2 * x.sum(), 2 * (x ** 2).sum()]])


def test_hessian_analytic_matches_finite_differences():
    for problem, phi in [(LR, [0.6, -0.2]), (GABOR, [0.5, 12.0]), (GABOR, [-3.0, 5.0])]:
        Ha = cv.hessian(problem, phi)
        Hf = cv.hessian(problem, phi, method="fd")
        np.testing.assert_allclose(Ha, Hf, rtol=1e-5, atol=1e-6)


def test_hessian_of_plain_function_and_eig():
    # L = phi0^2 - 3 phi1^2 + phi0 phi1: Hessian [[2, 1], [1, -6]] (closed form)
    f = lambda p: p[0] ** 2 - 3 * p[1] ** 2 + p[0] * p[1]  # noqa: E731
    H = cv.hessian(f, np.array([0.3, -0.7]))
    np.testing.assert_allclose(H, [[2, 1], [1, -6]], atol=1e-5)
    lam, vec = cv.eig(sl.Quadratic([[2, 1], [1, -6]]), [0.0, 0.0])
    np.testing.assert_allclose(lam, np.sort(np.linalg.eigvalsh([[2, 1], [1, -6]])))
    assert lam[0] < 0 < lam[1]
    np.testing.assert_allclose(np.abs(np.linalg.det(vec)), 1.0)


def test_linear_regression_hessian_is_constant_and_positive_definite():
    H_book = _lr_hessian_by_hand(X)
    np.testing.assert_allclose(cv.lr_hessian(X), H_book)
    for phi in ([0.0, 0.0], [1.6, -0.5], [-10.0, 30.0]):
        np.testing.assert_allclose(cv.hessian(LR, phi), H_book)
        np.testing.assert_allclose(cv.hessian(LR, phi, method="fd"), H_book, rtol=1e-6)
    assert np.all(np.linalg.eigvalsh(H_book) > 0)
    td = cv.lr_trace_det(X)
    assert td.trace == pytest.approx(np.trace(H_book))
    assert td.det == pytest.approx(np.linalg.det(H_book), rel=1e-10)
    assert td.positive_definite and td.trace > 0 and td.det > 0
    np.testing.assert_allclose(td.eigenvalues, np.linalg.eigvalsh(H_book), rtol=1e-10)
    # all x equal: det = 0, only positive semi-definite (a valley of minima)
    flat = cv.lr_trace_det([0.5, 0.5, 0.5])
    assert flat.det == 0 and not flat.positive_definite


def test_classify_critical_points_of_quadratics():
    assert cv.classify_critical_point(sl.Quadratic(np.diag([1.0, 2.0])), [0, 0]) == "minimum"
    assert cv.classify_critical_point(sl.Quadratic(np.diag([-1.0, -2.0])), [0, 0]) == "maximum"
    assert cv.classify_critical_point(sl.Quadratic(np.diag([1.0, -2.0])), [0, 0]) == "saddle"
    assert cv.classify_critical_point(sl.Quadratic(np.diag([1.0, 0.0])), [0, 0]) == "degenerate"
    # phi^4 at 0: the second derivative vanishes, the test cannot decide
    quartic = sl.Function(lambda p: p[..., 0] ** 4, P=1)
    assert cv.classify_critical_point(quartic, [0.0]) == "degenerate"
    # tol decides what counts as zero: eigenvalues 1 and 1e-8
    tiny = sl.Quadratic(np.diag([1.0, 1e-8]))
    assert cv.classify_critical_point(tiny, [0, 0], tol=1e-6) == "degenerate"
    assert cv.classify_critical_point(tiny, [0, 0], tol=1e-10) == "minimum"


def test_gabor_has_minima_and_saddles_in_the_plotted_range():
    cps = cv.find_critical_points(GABOR, BOX, n_starts=120, seed=0)
    kinds = {c.kind for c in cps}
    assert {"minimum", "saddle"} <= kinds
    for c in cps:
        assert np.linalg.norm(GABOR.grad(c.phi)) < 1e-6        # really critical
        assert BOX[0][0] <= c.phi[0] <= BOX[0][1] and BOX[1][0] <= c.phi[1] <= BOX[1][1]
        lam = np.linalg.eigvalsh(cv.hessian(GABOR, c.phi, method="fd"))  # independent check
        if c.kind == "minimum":
            assert np.all(lam > 0)
        elif c.kind == "saddle":
            assert lam[0] < 0 < lam[1]
    # no duplicates
    phis = np.array([c.phi for c in cps])
    d = np.linalg.norm(phis[:, None] - phis[None], axis=-1) + np.eye(len(phis)) * 1e9
    assert d.min() > 1e-4
    # the global minimum of the book (fig. 6.4 caption: loss 0.64, near (0.00, 16.03))
    best = cps[0]
    assert best.kind == "minimum"
    np.testing.assert_allclose(best.phi, [0.0, 16.03], atol=0.02)
    assert best.loss == pytest.approx(0.646, abs=0.001)


def test_find_critical_points_is_seeded_and_checks_box():
    a = cv.find_critical_points(GABOR, BOX, n_starts=20, seed=3)
    b = cv.find_critical_points(GABOR, BOX, n_starts=20, seed=3)
    assert [c.phi.tolist() for c in a] == [c.phi.tolist() for c in b]
    with pytest.raises(ValueError, match="low, high"):
        cv.find_critical_points(GABOR, [(-10, 10)], n_starts=5)


def test_convexity_on_a_grid():
    axes = [np.linspace(-2, 2, 9), np.linspace(-2, 2, 9)]
    assert cv.convex_fraction(LR, axes) == 1.0
    logistic = sl.LogisticRegression([-1.0, -0.5, 0.2, 1.0, 1.5], [0, 0, 1, 1, 1])
    assert cv.convex_fraction(logistic, axes) == 1.0
    frac = cv.convex_fraction(GABOR, [np.linspace(-10, 10, 15), np.linspace(2.5, 22.5, 15)])
    assert 0.0 < frac < 1.0
    # a saddle-shaped quadratic: no grid point is PSD; points given as an (..., P) array
    pts = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
    mask = cv.convex_mask(sl.Quadratic(np.diag([1.0, -1.0])), pts)
    assert mask.shape == (9, 9) and not mask.any()


def test_newton_converges_in_one_step_on_linear_regression():
    traj = cv.newton(LR, [1.6, -0.5], steps=5)
    assert isinstance(traj, sl.Trajectory)
    np.testing.assert_allclose(traj.phi[1], LR.solve(), atol=1e-12)  # normal equations
    assert traj.epoch.tolist() == list(range(len(traj.phi)))
    np.testing.assert_allclose(traj.loss, LR.loss(traj.phi))


def test_damped_newton_is_closed_form_and_large_alpha_is_gradient_descent():
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    q = sl.Quadratic(A, b=[1.0, 1.0])
    phi0 = np.array([2.0, -1.0])
    alpha = 0.5
    traj = cv.newton(q, phi0, steps=1, alpha=alpha)
    expected = phi0 - np.linalg.solve(A + alpha * np.eye(2), A @ phi0 - [1.0, 1.0])
    np.testing.assert_allclose(traj.phi[1], expected)
    big = cv.newton(q, phi0, steps=1, alpha=1e6)
    gd = phi0 - 1e-6 * q.grad(phi0)
    np.testing.assert_allclose(big.phi[1], gd, rtol=1e-5)
    # plain Newton walks straight onto a saddle (it looks for zero gradient)
    sad = cv.newton(sl.Quadratic(np.diag([1.0, -1.0])), [0.5, 0.5], steps=1)
    np.testing.assert_allclose(sad.phi[1], [0, 0], atol=1e-12)
    sing = cv.newton(sl.Quadratic(np.diag([1.0, 0.0]), b=[0, 1]), [0.5, 0.5], steps=2)
    assert sing.diverged and "singular" in sing.message


@pytest.mark.parametrize("variant", ["FR", "PR"])
def test_conjugate_gradient_at_most_two_steps_on_linear_regression(variant):
    traj = cv.conjugate_gradient(LR, [1.6, -0.5], steps=5, variant=variant)
    np.testing.assert_allclose(traj.phi[2], LR.solve(), atol=1e-9)
    # directions are H-conjugate: d0' H d1 = 0
    d0, d1 = traj.phi[1] - traj.phi[0], traj.phi[2] - traj.phi[1]
    H = LR.hessian()
    assert abs(d0 @ H @ d1) < 1e-8 * np.linalg.norm(d0) * np.linalg.norm(d1) * np.linalg.norm(H)


def test_conjugate_gradient_on_a_quadratic_in_P_steps_and_on_gabor():
    rng = np.random.default_rng(0)
    M = rng.normal(size=(5, 5))
    q = sl.Quadratic(M @ M.T + np.eye(5), b=rng.normal(size=5))
    for variant in ("FR", "PR"):
        traj = cv.conjugate_gradient(q, np.zeros(5), steps=5, variant=variant)
        np.testing.assert_allclose(traj.phi[-1], q.minimum(), atol=1e-8)
    # non-quadratic: golden-section line searches, with restarts; loss never increases
    traj = cv.conjugate_gradient(GABOR, [-1.5, 8.5], steps=15, variant="PR")
    assert np.all(np.diff(traj.loss) <= 1e-10)
    assert np.linalg.norm(GABOR.grad(traj.phi[-1])) < np.linalg.norm(GABOR.grad(traj.phi[0])) / 100


def test_bfgs_and_lbfgs():
    for method in (cv.bfgs, cv.lbfgs):
        traj = method(LR, [1.6, -0.5], steps=5)
        np.testing.assert_allclose(traj.phi[-1], LR.solve(), atol=1e-9)
        # quasi-Newton with exact line search on a P=2 quadratic: done in 2 steps
        np.testing.assert_allclose(traj.phi[2], LR.solve(), atol=1e-8)
    def rosenbrock(p):
        return (1 - p[..., 0]) ** 2 + 100 * (p[..., 1] - p[..., 0] ** 2) ** 2

    rosen = sl.Function(rosenbrock, P=2,
                        grad=lambda p: np.array([-2 * (1 - p[0]) - 400 * p[0] * (p[1] - p[0] ** 2),
                                                 200 * (p[1] - p[0] ** 2)]))
    for method in (cv.bfgs, cv.lbfgs):
        traj = method(rosen, [-1.2, 1.0], steps=60)
        np.testing.assert_allclose(traj.phi[-1], [1.0, 1.0], atol=1e-4)  # closed-form minimum


def test_coordinate_descent_staircase():
    traj = cv.coordinate_descent(LR, [1.6, -0.5], steps=4)
    moves = np.diff(traj.phi, axis=0)
    # each step changes one coordinate, alternating 0, 1, 0, 1
    assert np.all((moves[:, 0] == 0) | (moves[:, 1] == 0))
    assert moves[0, 1] == 0 and moves[1, 0] == 0
    # exact minimization along phi0: dL/dphi0 = 0 afterwards (closed form for a quadratic)
    assert LR.grad(traj.phi[1])[0] == pytest.approx(0.0, abs=1e-10)
    long = cv.coordinate_descent(LR, [1.6, -0.5], steps=400)
    np.testing.assert_allclose(long.phi[-1], LR.solve(), atol=1e-6)
    gd_like = cv.coordinate_descent(LR, [1.6, -0.5], steps=1, alpha=0.01)
    g = LR.grad(np.array([1.6, -0.5]))
    np.testing.assert_allclose(gd_like.phi[1], [1.6 - 0.01 * g[0], -0.5])
    rnd = cv.coordinate_descent(LR, [1.6, -0.5], steps=6, order="random", seed=1)
    assert rnd.phi.shape == (7, 2)


def test_hessian_size_problem_6_11():
    s = cv.hessian_size(10 ** 6)
    assert s["shape"] == (10 ** 6, 10 ** 6)
    assert s["entries"] == 10 ** 12
    assert s["bytes"] == 8 * 10 ** 12  # float64: 8 bytes each
    assert s["readable"].startswith("8 TB")
    assert cv.hessian_size(1000, "float32")["bytes"] == 4 * 10 ** 6
    with pytest.raises(ValueError):
        cv.hessian_size(0)


def test_hessian_vector_product_by_finite_differences():
    rng = np.random.default_rng(1)
    for problem, phi in [(LR, np.array([0.6, -0.2])), (GABOR, np.array([0.5, 12.0]))]:
        v = rng.normal(size=2)
        np.testing.assert_allclose(cv.hvp(problem, phi, v), cv.hessian(problem, phi) @ v,
                                   rtol=1e-5, atol=1e-6)
    # a large quadratic where the Hessian is never formed by hvp
    P = 2000
    d = rng.uniform(1, 3, size=P)
    big = sl.Function(lambda p: 0.5 * np.sum(d * p ** 2, axis=-1), grad=lambda p: d * p, P=P)
    v = rng.normal(size=P)
    np.testing.assert_allclose(cv.hvp(big, rng.normal(size=P), v), d * v, rtol=1e-6)
    np.testing.assert_allclose(cv.hvp(LR, [0.0, 0.0], np.zeros(2)), 0.0)
