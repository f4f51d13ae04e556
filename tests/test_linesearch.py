"""Tests for steplab.linesearch (UDL fig. 6.10, fig. 6.1 with line search).

Reference values: the 1-D test function's minimum phi = 0.3803, loss 0.3286 is from the book's
companion notebook (the book's companion notebook values); we also confirm it independently on a
fine grid written here. Quadratic results come from closed forms.
"""

import math

import numpy as np
import pytest

import steplab as sl
from steplab import linesearch as ls

PHI_MIN, LOSS_MIN = 0.3803, 0.3286  # the book's companion notebook values


def _independent_loss(phi):
    # independent transcription of the notebook's function
    return 1 - 0.5 * np.exp(-(phi - 0.65) ** 2 / 0.1) - 0.45 * np.exp(-(phi - 0.35) ** 2 / 0.02)


def test_test_function_matches_transcription_and_has_one_minimum():
    f = ls.line_search_function()
    xs = np.linspace(0, 1, 20001)
    vals = _independent_loss(xs)
    np.testing.assert_allclose(f.loss(xs[:, None]), vals, rtol=1e-14)
    # a single minimum on [0, 1]: the sign of the slope changes exactly once
    slope_sign = np.sign(np.diff(vals))
    assert np.count_nonzero(np.diff(slope_sign)) == 1
    assert xs[np.argmin(vals)] == pytest.approx(PHI_MIN, abs=1e-4)
    assert vals.min() == pytest.approx(LOSS_MIN, abs=1e-4)


def test_test_function_derivatives_match_finite_differences():
    f = ls.line_search_function()
    for phi in (0.1, 0.38, 0.65, 0.9):
        h = 1e-5
        fd = (_independent_loss(phi + h) - _independent_loss(phi - h)) / (2 * h)
        L = _independent_loss
        fd2 = (L(phi + h) - 2 * L(phi) + L(phi - h)) / h**2
        assert f.grad(np.array([phi]))[0] == pytest.approx(fd, rel=1e-6, abs=1e-8)
        assert f.hessian(np.array([phi]))[0, 0] == pytest.approx(fd2, rel=1e-4)


@pytest.mark.parametrize("search", [ls.bracket_search, ls.golden_section])
def test_interval_searches_find_the_minimum_from_0_1(search):
    r = search(ls.line_search_function(), 0.0, 1.0, tol=1e-6)
    assert r.x == pytest.approx(PHI_MIN, abs=1e-4)
    assert r.fx == pytest.approx(LOSS_MIN, abs=1e-4)
    a, b, c, d = r.history[-1]
    assert d - a < 1e-6 and a < b < c < d


def test_bracket_search_history_is_fig_6_10():
    f = ls.line_search_function()
    r = ls.bracket_search(f, 0.0, 1.0, tol=1e-4)
    # starts at 0, 1/3, 2/3, 1 of the interval (book's companion notebook)
    assert r.history[0] == pytest.approx((0.0, 1 / 3, 2 / 3, 1.0))
    # L(1/3) < L(2/3): the first iteration drops [c, d] (fig. 6.10b), keeping [0, 2/3]
    assert _independent_loss(1 / 3) < _independent_loss(2 / 3)
    assert r.history[1][0] == 0.0 and r.history[1][3] == pytest.approx(2 / 3)
    widths = [d - a for a, _, _, d in r.history]
    # every bracket is nested in the previous one and contains the minimum
    for (a0, _, _, d0), (a1, _, _, d1) in zip(r.history, r.history[1:], strict=False):
        assert a0 <= a1 < d1 <= d0
    assert all(a <= PHI_MIN <= d for a, _, _, d in r.history)
    assert widths[-1] < 1e-4 <= widths[-2]
    # interior points at thirds, each iteration costs two evaluations (plus 4 + 1 final)
    for a, b, c, d in r.history:
        assert b - a == pytest.approx((d - a) / 3) and c - a == pytest.approx(2 * (d - a) / 3)
    assert r.n_evals == 4 + 2 * (len(r.history) - 1) + 1


def test_bracket_keeps_the_end_when_an_end_point_is_lowest():
    # monotone increasing on [0, 1]: minimum at the left end, the bracket must shrink to 0
    r = ls.bracket_search(lambda x: (x + 0.5) ** 2, 0.0, 1.0, tol=1e-8)
    assert r.x == pytest.approx(0.0, abs=1e-8)
    r = ls.bracket_search(lambda x: -x, 0.0, 1.0, tol=1e-8)
    assert r.x == pytest.approx(1.0, abs=1e-8)


def test_golden_section_uses_one_evaluation_per_iteration_and_the_golden_ratio():
    r = ls.golden_section(lambda x: (x - 0.3) ** 2, 0.0, 1.0, tol=1e-6)
    assert r.x == pytest.approx(0.3, abs=1e-6)
    ratio = (math.sqrt(5) - 1) / 2
    w = [d - a for a, _, _, d in r.history]
    np.testing.assert_allclose(np.array(w[1:]) / np.array(w[:-1]), ratio, rtol=1e-9)
    assert r.n_evals == 2 + (len(r.history) - 1) + 1


def test_backtracking_armijo_on_a_quadratic():
    # L = phi^2: from phi = 1 with d = -g = -2, alpha = 1 overshoots to -1 (no decrease);
    # alpha = 0.5 lands on 0, decrease 1 >= c * 0.5 * 4: accepted. Closed form.
    f = lambda p: float(p @ p)  # noqa: E731
    phi = np.array([1.0])
    g = 2 * phi
    r = ls.backtracking(f, phi, -g, g, alpha0=1.0, rho=0.5, c=1e-4)
    assert r.x == 0.5 and r.history == [1.0, 0.5] and r.fx == 0.0
    # with c close to 1 the condition is stricter: f(1 - 2a) <= 1 - 0.9*4a
    r = ls.backtracking(f, phi, -g, g, alpha0=1.0, rho=0.5, c=0.9)
    a = r.x
    assert (1 - 2 * a) ** 2 <= 1 - 0.9 * 4 * a and r.history[-1] == a
    assert (1 - 2 * 2 * a) ** 2 > 1 - 0.9 * 4 * 2 * a  # the previous trial failed


def test_backtracking_rejects_ascent_direction():
    with pytest.raises(ValueError, match="descent direction"):
        ls.backtracking(lambda p: float(p @ p), np.ones(2), np.ones(2), np.ones(2))


def test_exact_quadratic_step_closed_form():
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    q = sl.Quadratic(A, b=[1.0, -1.0])
    phi = np.array([2.0, 1.0])
    g = q.grad(phi)
    alpha = ls.exact_quadratic_step(A, g, -g)
    assert alpha == pytest.approx((g @ g) / (g @ A @ g))
    # the new gradient is orthogonal to the search direction (exact line search)
    assert q.grad(phi - alpha * g) @ g == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="curvature"):
        ls.exact_quadratic_step(-A, g, -g)


@pytest.mark.parametrize("method", ["bracket", "golden", "backtracking"])
def test_gd_with_line_search_finds_the_1d_minimum_from_0(method):
    traj = ls.gd_with_line_search(ls.line_search_function(), [0.0], steps=30, method=method)
    assert isinstance(traj, sl.Trajectory)
    assert traj.phi[-1, 0] == pytest.approx(PHI_MIN, abs=1e-4)
    assert traj.loss[-1] == pytest.approx(LOSS_MIN, abs=1e-4)
    assert np.all(np.diff(traj.loss) <= 1e-12)  # never goes uphill


def test_gd_with_exact_step_on_1d_function_near_minimum():
    # the exact (local quadratic) step is Newton's step in 1-D: from 1/3 (positive curvature)
    # it converges to the minimum; at 0 the curvature is negative and it refuses.
    f = ls.line_search_function()
    traj = ls.gd_with_line_search(f, [1 / 3], steps=6, method="exact")
    assert traj.phi[-1, 0] == pytest.approx(PHI_MIN, abs=1e-4)
    with pytest.raises(ValueError, match="curvature"):
        ls.gd_with_line_search(f, [0.0], steps=2, method="exact")


def test_gd_with_line_search_on_linear_regression():
    # On a quadratic, exact line search steepest descent has the closed-form step g.g / g'Hg and
    # successive gradients are orthogonal; the bracket and golden searches agree with it.
    p = sl.LinearRegression(*sl.data.linear_regression())
    H = p.hessian()
    exact = ls.gd_with_line_search(p, [1.6, -0.5], steps=10, method="exact")
    g0 = p.grad(np.array([1.6, -0.5]))
    assert exact.alphas[0] == pytest.approx(g0 @ g0 / (g0 @ H @ g0))
    for t in range(3):
        ga, gb = p.grad(exact.phi[t]), p.grad(exact.phi[t + 1])
        assert ga @ gb == pytest.approx(0.0, abs=1e-8 * (ga @ ga))
    for method in ("bracket", "golden"):
        traj = ls.gd_with_line_search(p, [1.6, -0.5], steps=10, method=method)
        np.testing.assert_allclose(traj.alphas, exact.alphas, rtol=1e-3)  # flat near the optimum
        assert traj.loss[-1] == pytest.approx(exact.loss[-1], rel=1e-4)
    assert exact.loss[-1] - 0.1999 < (exact.loss[0] - 0.1999) / 50
    assert exact.epoch.tolist() == list(range(11))
    # losses decrease to the least-squares optimum (book: 0.1999)
    long = ls.gd_with_line_search(p, [1.6, -0.5], steps=200, method="exact")
    assert long.loss[-1] == pytest.approx(0.1999, abs=1e-4)


def test_bad_arguments_say_what_to_do():
    f = ls.line_search_function()
    with pytest.raises(ValueError, match="a < d"):
        ls.bracket_search(f, 1.0, 0.0)
    with pytest.raises(ValueError, match="method must be one of"):
        ls.gd_with_line_search(f, [0.0], method="newton")
    with pytest.raises(ValueError, match="one variable"):
        ls.golden_section(sl.LinearRegression([0, 1], [0, 1]))
