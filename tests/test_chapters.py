"""The lesson notebooks in ``chapters/`` say what the book says.

The lessons are committed with their text outputs (``python -m coursekit.lessons``). These
tests read those stored outputs with nbformat, pick the printed numbers out with regular
expressions, and compare them with INDEPENDENT references:

- the book's own numbers (*Understanding Deep Learning*, ch. 6; the companion notebooks' data,
  transcribed below from the book data sheet, never loaded from ``steplab.data``);
- closed forms evaluated here with plain numpy (momentum weights, the 2/lambda_max stability
  limit, optimal heavy-ball parameters, exact line search on a quadratic, schedules, ...).

They also check the shape every lesson promises: it starts with ``%matplotlib widget`` and
imports steplab, has an explorer, 2-4 "Try this" prompts, uses the Chinese edition's terms, and
its equation tags ``\\tag{6.x}`` sit on the right equations.

Nothing here imports steplab: a wrong engine cannot make a wrong lesson pass.
"""

import math
import re

import nbformat
import numpy as np
import pytest
from conftest import ROOT

CHAPTERS = ROOT / "chapters"
LESSONS = sorted(p.stem for p in CHAPTERS.glob("06_*.ipynb"))

# --- book data (book-data sheet: UDL companion notebooks, ch. 6), transcribed ----------------
LIN_X = np.array([0.03, 0.19, 0.34, 0.46, 0.78, 0.81, 1.08, 1.18, 1.39, 1.60, 1.65, 1.90])
LIN_Y = np.array([0.67, 0.85, 1.05, 1.00, 1.40, 1.50, 1.30, 1.54, 1.55, 1.68, 1.73, 1.60])
GAB_X = np.array([
    -1.920e+00, -1.422e+01, 1.490e+00, -1.940e+00, -2.389e+00, -5.090e+00,
    -8.861e+00, 3.578e+00, -6.010e+00, -6.995e+00, 3.634e+00, 8.743e-01,
    -1.096e+01, 4.073e-01, -9.467e+00, 8.560e+00, 1.062e+01, -1.729e-01,
    1.040e+01, -1.261e+01, 1.574e-01, -1.304e+01, -2.156e+00, -1.210e+01,
    -1.119e+01, 2.902e+00, -8.220e+00, -1.179e+01, -8.391e+00, -4.505e+00])
GAB_Y = np.array([
    -1.051e+00, -2.482e-02, 8.896e-01, -4.943e-01, -9.371e-01, 4.306e-01,
    9.577e-03, -7.944e-02, 1.624e-01, -2.682e-01, -3.129e-01, 8.303e-01,
    -2.365e-02, 5.098e-01, -2.777e-01, 3.367e-01, 1.927e-01, -2.222e-01,
    6.352e-02, 6.888e-03, 3.224e-02, 1.091e-02, -5.706e-01, -5.258e-02,
    -3.666e-02, 1.709e-01, -4.805e-02, 2.008e-01, -1.904e-01, 5.952e-01])

# the book's reference numbers (book-data sheet; UDL figs 6.1-6.4, 6.10, problems 6.9, 6.11)
BOOK = dict(lin_loss=12.367, lin_grad=(-21.904, -26.840), lin_opt=(0.826, 0.522), lin_opt_loss=0.1999,
            gabor_loss=16.419, gabor_min=(0.00, 16.03), gabor_min_loss=0.646,
            ls_phi=0.3803, ls_loss=0.3286, epochs_6_9=200, hessian_entries=1e12, hessian_tb=8)


def lin_loss(phi):
    """UDL eq. 6.5, summed squared error of phi0 + phi1*x."""
    return float(np.sum((phi[0] + phi[1] * LIN_X - LIN_Y) ** 2))


def lin_grad(phi):
    """UDL eqs. 6.6-6.7."""
    r = phi[0] + phi[1] * LIN_X - LIN_Y
    return np.array([2 * r.sum(), 2 * (LIN_X * r).sum()])


LIN_H = 2 * np.array([[len(LIN_X), LIN_X.sum()], [LIN_X.sum(), (LIN_X ** 2).sum()]])  # problem 6.2


def gabor_loss(phi, idx=slice(None)):
    """UDL eqs. 6.8-6.9."""
    z = phi[0] + 0.06 * phi[1] * GAB_X[idx]
    return float(np.sum((np.sin(z) * np.exp(-z ** 2 / 32) - GAB_Y[idx]) ** 2))


def gabor_grad(phi):
    """Problem 6.3, written out by hand: d/dz [sin z e^{-z^2/32}] = (cos z - z sin z / 16) e^{-z^2/32}."""
    z = phi[0] + 0.06 * phi[1] * GAB_X
    e = np.exp(-z ** 2 / 32)
    r = np.sin(z) * e - GAB_Y
    dfdz = (np.cos(z) - z * np.sin(z) / 16) * e
    return np.array([np.sum(2 * r * dfdz), np.sum(2 * r * dfdz * 0.06 * GAB_X)])


def gabor_critical_points(box=((-10, 10), (2.5, 22.5)), n=61):
    """Every critical point of eqs. 6.8-6.9 in ``box``, found independently of the engine: plain
    (undamped) Newton steps on the gradient of problem 6.3 from an n x n grid of starts, all at
    once, the Hessian by central differences of that gradient; converged points in the box are
    deduplicated (1e-4 apart). Returns [(phi, loss, kind)] sorted by loss."""
    def grads(phis):                                     # (N, 2) -> (N, 2), problem 6.3
        z = phis[:, :1] + 0.06 * phis[:, 1:] * GAB_X
        e = np.exp(-z ** 2 / 32)
        r = np.sin(z) * e - GAB_Y
        d = 2 * r * (np.cos(z) - z * np.sin(z) / 16) * e
        return np.stack([d.sum(1), (d * 0.06 * GAB_X).sum(1)], axis=1)

    def hessians(phis, h=1e-5):                          # (N, 2, 2), column k = d grad / d phi_k
        cols = [(grads(phis + h * e) - grads(phis - h * e)) / (2 * h) for e in np.eye(2)]
        return np.stack(cols, axis=2)

    lo, hi = np.array(box, float).T
    a, b = np.meshgrid(np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n))
    phis = np.stack([a.ravel(), b.ravel()], axis=1)
    with np.errstate(all="ignore"):
        for _ in range(60):
            H, g = hessians(phis), grads(phis)
            det = H[:, 0, 0] * H[:, 1, 1] - H[:, 0, 1] * H[:, 1, 0]
            step = np.stack([H[:, 1, 1] * g[:, 0] - H[:, 0, 1] * g[:, 1],
                             H[:, 0, 0] * g[:, 1] - H[:, 1, 0] * g[:, 0]], axis=1) / det[:, None]
            phis = np.where(np.isfinite(step), phis - step, np.nan)
        ok = (np.linalg.norm(grads(phis), axis=1) < 1e-9) & np.all((phis >= lo) & (phis <= hi), axis=1)
    found = []
    for phi in phis[ok]:
        if not any(np.linalg.norm(phi - q) < 1e-4 for q in found):
            found.append(phi)
    out = []
    for phi in found:
        lam = np.linalg.eigvalsh(hessians(phi[None])[0])
        kind = "minimum" if lam.min() > 0 else "maximum" if lam.max() < 0 else "saddle"
        out.append((phi, gabor_loss(phi), kind))
    return sorted(out, key=lambda c: c[1])


def exact_line_search(phi, steps):
    """GD with the exact step alpha* = g'g / g'Hg on the linear-regression quadratic."""
    phis = [np.asarray(phi, float)]
    for _ in range(steps):
        g = lin_grad(phis[-1])
        phis.append(phis[-1] - (g @ g) / (g @ LIN_H @ g) * g)
    return np.array(phis)


# --- reading the notebooks ----------------------------------------------------------------------
_cache: dict = {}


def nb(stem):
    if stem not in _cache:
        _cache[stem] = nbformat.read(CHAPTERS / f"{stem}.ipynb", as_version=4)
    return _cache[stem]


def out(stem) -> str:
    """All printed text of a lesson, in order."""
    parts = []
    for cell in nb(stem).cells:
        if cell.cell_type == "code":
            for o in cell.outputs:
                if o.get("output_type") == "stream" and o.get("name") == "stdout":
                    parts.append(o["text"])
    return "".join(parts)


def markdown(stem) -> str:
    return "\n\n".join(c.source for c in nb(stem).cells if c.cell_type == "markdown")


NUM = r"([-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?)"


def grab(stem, pattern, n=None):
    """The numbers captured by ``pattern`` in the lesson's output (first match)."""
    m = re.search(pattern, out(stem))
    assert m, f"{stem}: no output matches {pattern!r}; did the lesson change its printout?"
    vals = [float(v) for v in m.groups()]
    return vals if n is None or n > 1 else vals[0]


def grab_all(stem, pattern):
    ms = re.findall(pattern, out(stem))
    assert ms, f"{stem}: no output matches {pattern!r}"
    return [tuple(float(v) for v in (m if isinstance(m, tuple) else (m,))) for m in ms]


def arr(text):
    return np.array([float(v) for v in text.replace("[", " ").replace("]", " ").split()])


# --- 6.1 gradient descent -----------------------------------------------------------------------
S61 = "06_1_gradient_descent"


def test_6_1_linear_loss_gradient_and_optimum_match_the_book():
    assert grab(S61, r"L\[0\.6, -0\.2\] = " + NUM, 1) == pytest.approx(BOOK["lin_loss"], abs=5e-4)
    assert lin_loss([0.6, -0.2]) == pytest.approx(BOOK["lin_loss"], abs=5e-4)   # data transcribed right
    g = arr(re.search(r"gradient \(eq\. 6\.7\)\s*:\s*(\[[^\]]*\])", out(S61)).group(1))
    fd = arr(re.search(r"finite differences\s*:\s*(\[[^\]]*\])", out(S61)).group(1))
    np.testing.assert_allclose(g, BOOK["lin_grad"], atol=5e-4)
    np.testing.assert_allclose(fd, BOOK["lin_grad"], atol=5e-4)
    p0, p1, loss = grab(S61, r"optimum\s*: phi = \(" + NUM + ", " + NUM + r"\), loss " + NUM)
    np.testing.assert_allclose([p0, p1], BOOK["lin_opt"], atol=5e-4)
    assert loss == pytest.approx(BOOK["lin_opt_loss"], abs=5e-5)


def test_6_1_figure_6_1_follows_exact_line_search():
    pts = grab_all(S61, r"point (\d): phi = \(" + NUM + ", " + NUM + r"\)\s+loss = " + NUM)
    ref = exact_line_search([1.6, -0.5], 4)
    assert [int(p[0]) for p in pts] == [0, 1, 2, 3, 4]
    np.testing.assert_allclose([p[1:3] for p in pts], ref, atol=2e-3)
    np.testing.assert_allclose([p[3] for p in pts], [lin_loss(r) for r in ref], rtol=2e-3)


def test_6_1_stability_limit_is_two_over_lambda_max():
    lam = np.linalg.eigvalsh(LIN_H)
    lo, hi, limit = grab(S61, r"Hessian eigenvalues: " + NUM + ", " + NUM + r";.*= " + NUM)
    np.testing.assert_allclose([lo, hi], lam, atol=5e-4)
    assert limit == pytest.approx(2 / lam[1], abs=5e-5)


def test_6_1_gabor_loss_and_minima_match_the_book():
    n, loss = grab(S61, r"I = (\d+) data points; L\[0\.6, -0\.2\] = " + NUM)
    assert n == len(GAB_X) == 30
    assert loss == pytest.approx(BOOK["gabor_loss"], abs=5e-4)
    assert gabor_loss([0.6, -0.2]) == pytest.approx(BOOK["gabor_loss"], abs=5e-4)
    g0, g1, gl = grab(S61, r"global minimum near phi = \(" + NUM + ", " + NUM + r"\), loss " + NUM)
    np.testing.assert_allclose([g0, g1], BOOK["gabor_min"], atol=5e-3)
    assert gl == pytest.approx(BOOK["gabor_min_loss"], abs=5e-4)
    # every printed critical point: its loss agrees with eq. 6.9 at the printed (rounded) phi, and
    # no local minimum is lower than the book's global minimum
    for p0, p1, loss in grab_all(S61, r"phi = \(\s*" + NUM + r",\s*" + NUM + r"\): minimum, loss " + NUM):
        assert loss >= BOOK["gabor_min_loss"] - 1e-3
        assert gabor_loss([p0, p1]) == pytest.approx(loss, rel=0.02)


# --- 6.2 SGD ------------------------------------------------------------------------------------
S62 = "06_2_sgd"


def test_6_2_batches_are_drawn_without_replacement():
    rows = re.findall(r"step (\d+)\s+epoch (\d+)\s+batch \[([\d, ]+)\]", out(S62))
    assert len(rows) == 6
    by_epoch: dict = {}
    for _, e, b in rows:
        by_epoch.setdefault(int(e), []).append([int(v) for v in b.split(",")])
    for batches in by_epoch.values():                    # each epoch is a partition of 0..11
        assert [len(b) for b in batches] == [5, 5, 2]
        assert sorted(sum(batches, [])) == list(range(12))
    assert grab(S62, r"batches per epoch: (\d+)", 1) == math.ceil(12 / 5)


def test_6_2_problem_6_9_epochs():
    assert grab(S62, r"epochs after 1000 iterations: (\d+)", 1) == BOOK["epochs_6_9"] == 1000 / (100 / 20)


def test_6_2_figure_6_5_prose_claims():
    rows = grab_all(S62, r"start (\d): GD ends at \(\s*" + NUM + r",\s*" + NUM + r"\), loss " + NUM
                    + r";\s+SGD ends at \(\s*" + NUM + r",\s*" + NUM + r"\), loss " + NUM)
    assert len(rows) == 3
    gd = {int(r[0]): r[1:4] for r in rows}
    sgd = {int(r[0]): r[4:7] for r in rows}
    assert gd[2][2] > 5                                  # GD from point 2: a local minimum
    for k in (1, 3):                                     # GD from 1 and 3: the global valley, phi0 ~ 0
        assert abs(gd[k][0]) < 0.1 and BOOK["gabor_min_loss"] < gd[k][2] < 1.2
    for k in (1, 2, 3):                                  # SGD: all three in the global valley
        assert abs(sgd[k][0]) < 1 and sgd[k][2] < 2.5
    md = markdown(S62)
    assert "41 steps" in md and "21 steps" in md          # the book-data settings are stated


def narrow_and_wide_grad(p):
    """Derivative of the wide-minima loss of lesson 6.2, from its definition: the smooth minimum
    L = -s log(exp(-q_n/s) + exp(-q_w/s)) of the parabolas q_n = 100/2 (p+1)^2 - 1 and
    q_w = 2/2 (p-1)^2 - 0.5 with s = 0.02, so L' = w q_n' + (1 - w) q_w' with the logistic
    weight w = 1 / (1 + exp((q_n - q_w)/s)) of the narrow parabola."""
    qn, qw = 50 * (p + 1) ** 2 - 1, (p - 1) ** 2 - 0.5
    w = 0.5 * (1 - np.tanh((qn - qw) / (2 * 0.02)))     # = 1/(1+exp(...)) without overflow
    return w * 100 * (p + 1) + (1 - w) * 2 * (p - 1)


def test_6_2_sgd_leaves_the_narrow_minimum():
    o = out(S62)
    barrier, start_frac, limit = grab(S62, r"barrier at phi = " + NUM + r"; starts on its narrow side: "
                                      + NUM + r"%; stability limit of the narrow minimum 2/100 = " + NUM)
    lo, hi = -0.9, -0.5                                  # L' > 0 on the notch's right wall, < 0 beyond
    for _ in range(60):                                  # bisection for the top of the ridge
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if narrow_and_wide_grad(mid) > 0 else (lo, mid)
    assert barrier == pytest.approx(lo, abs=0.006) and limit == 2 / 100
    starts = np.random.default_rng(0).uniform(-3, 3, size=(1000, 1))   # the lesson's seeded starts
    assert start_frac == pytest.approx(100 * np.mean(starts < lo), abs=0.05)
    rows = re.findall(r"alpha = " + NUM + r" \(alpha x 100 = " + NUM + r"\): narrow minimum GD\s+" + NUM
                      + r"%, SGD\s+" + NUM + r"%;\s+wide minimum GD\s+" + NUM + r"%, SGD\s+" + NUM
                      + r"%;\s+noise ball narrow (unstable|" + NUM + r"), wide " + NUM, o)
    assert [float(r[0]) for r in rows] == [0.01, 0.018, 0.025]
    got = {}
    for a, a100, gd, sgd, gd_w, sgd_w, ball_n, _, ball_w in rows:
        a = float(a)
        assert float(a100) == pytest.approx(100 * a)
        assert float(gd) + float(gd_w) == pytest.approx(100) and float(sgd) + float(sgd_w) == pytest.approx(100)
        # noise ball: stationary RMS of e' = (1 - a lam) e - a sigma xi, sigma = 4
        for lam, ball in ((100.0, ball_n), (2.0, ball_w)):
            if a * lam >= 2:
                assert ball == "unstable"
            else:
                assert float(ball) == pytest.approx(4 * math.sqrt(a / (lam * (2 - a * lam))), abs=0.006)
        # the runs written out: GD plus Gaussian gradient noise, rng(1), one draw per step
        for sigma, printed in ((0.0, gd), (4.0, sgd)):
            rng, phi = np.random.default_rng(1), starts.copy()
            for _ in range(2000):
                phi = phi - a * (narrow_and_wide_grad(phi) + sigma * rng.standard_normal(phi.shape))
            frac = np.mean(phi < lo)
            assert float(printed) == pytest.approx(100 * frac, abs=0.6), (a, sigma)
            got[a, sigma] = frac
    # the lesson's claims: small alpha, GD stays where it starts and SGD agrees; at 0.018 SGD leaves
    # the narrow minimum that still holds GD; beyond 2/100 nothing stays there
    assert got[0.01, 0.0] == pytest.approx(np.mean(starts < lo), abs=0.005)
    assert abs(got[0.01, 4.0] - got[0.01, 0.0]) < 0.05
    assert got[0.018, 0.0] > 0.25 and got[0.018, 4.0] < 0.02
    assert got[0.025, 0.0] == 0 and got[0.025, 4.0] < 0.02


# --- 6.3 momentum -------------------------------------------------------------------------------
S63 = "06_3_momentum"


def test_6_3_figure_6_6_batches_and_cloud_centre():
    assert grab(S63, r"(\d+) possible batches", 1) == math.comb(30, 3)
    c0, c1, e0, e1 = grab(S63, r"centre of the cloud \(" + NUM + ", " + NUM + r"\).*= \(" + NUM + ", " + NUM + r"\)")
    phi = np.array([-1.5, 6.5])
    ref = phi - 0.8 * (3 / 30) * gabor_grad(phi)         # mean of a 3-of-30 batch sum = 3/30 of it
    np.testing.assert_allclose([c0, c1], ref, atol=2e-4)
    np.testing.assert_allclose([e0, e1], ref, atol=2e-4)


def test_6_3_momentum_weights_are_geometric():
    beta = 0.6
    m = re.search(r"weight of a gradient k steps ago: (\[[^\]]*\])\s*\nclosed form.*: (\[[^\]]*\])", out(S63))
    ref = (1 - beta) * beta ** np.arange(6)              # problem 6.10
    np.testing.assert_allclose(arr(m.group(1)), ref, atol=5e-5)
    np.testing.assert_allclose(arr(m.group(2)), ref, atol=5e-5)


def test_6_3_momentum_memory_is_one_over_one_minus_beta():
    rows = grab_all(S63, r"beta = " + NUM + r": memory 1/\(1-beta\) =\s+" + NUM + r" steps, weight of the last "
                    r"1/\(1-beta\) gradients " + NUM + r", m below 1% after (\d+) steps")
    assert [r[0] for r in rows] == [0.5, 0.9, 0.99]
    for beta, memory, weight, steps in rows:
        assert memory == pytest.approx(1 / (1 - beta), abs=0.05)
        assert weight == pytest.approx(1 - beta ** (1 / (1 - beta)), abs=0.005)
        assert abs(weight - (1 - 1 / math.e)) < 0.12                   # about 63 %
        # m = beta^k after k steps without gradient: first k with beta^k < 0.01
        assert steps == math.ceil(math.log(0.01) / math.log(beta))


def test_6_3_figure_6_7_momentum_path_is_shorter():
    sgd = grab(S63, r"sgd\s*: final loss " + NUM + r", path length " + NUM)
    mom = grab(S63, r"momentum\s*: final loss " + NUM + r", path length " + NUM)
    assert mom[1] < sgd[1] / 2                           # "less than half as long"
    for loss in (sgd[0], mom[0]):
        assert BOOK["gabor_min_loss"] <= loss < 1.0      # both in the valley of the global minimum


def test_6_3_optimal_momentum_closed_form():
    m = re.search(r"\{'alpha': " + NUM + r", 'beta': " + NUM + r", 'rate': " + NUM
                  + r", 'gd_alpha': " + NUM + r", 'gd_rate': " + NUM + r"\}", out(S63))
    alpha, beta, rate, gd_alpha, gd_rate = map(float, m.groups())
    lo, hi = 1.0, 10.0
    k = math.sqrt(hi / lo)
    beta_ref = ((k - 1) / (k + 1)) ** 2                  # Polyak's heavy ball
    lr_hb = 4 / (math.sqrt(hi) + math.sqrt(lo)) ** 2     # heavy-ball rate = alpha (1 - beta) in eq. 6.11
    assert beta == pytest.approx(beta_ref, abs=1e-4)
    assert rate == pytest.approx(math.sqrt(beta_ref), abs=1e-4)
    assert alpha == pytest.approx(lr_hb / (1 - beta_ref), abs=1e-4)
    assert gd_alpha == pytest.approx(2 / (lo + hi), abs=1e-4)
    assert gd_rate == pytest.approx((hi - lo) / (hi + lo), abs=1e-4)


# --- 6.3.1 Nesterov -----------------------------------------------------------------------------
S631 = "06_3_1_nesterov"


def test_6_3_1_look_ahead_points():
    phi, m, alpha, beta = np.array([-1.5, 6.5]), np.array([0.8, -1.2]), 0.6, 0.6
    err = arr(re.search(r"errata look-ahead .*= (\[[^\]]*\])", out(S631)).group(1))
    pr = arr(re.search(r"printed look-ahead .*= (\[[^\]]*\])", out(S631)).group(1))
    np.testing.assert_allclose(err, phi - alpha * beta * m, atol=1e-9)
    np.testing.assert_allclose(pr, phi - alpha * m, atol=1e-9)


def test_6_3_1_goodfellow_form_is_the_same_recursion():
    assert "the two trajectories agree to better than 1e-8: True" in out(S631)


def test_6_3_1_figure_6_8_geometry():
    pts = {int(k): np.array([a, b]) for k, a, b in
           grab_all(S631, r"point (\d): \(" + NUM + ", " + NUM + r"\)")}
    assert sorted(pts) == [1, 2, 3, 4, 5]
    # the same momentum part in both panels: 2 -> 3 (momentum) equals 1 -> 4 (Nesterov)
    np.testing.assert_allclose(pts[3] - pts[2], pts[4] - pts[1], atol=2e-3)
    # gradient parts: 1 -> 2 uses the gradient at 1, 4 -> 5 the gradient at 4, scaled by alpha (1 - beta)
    np.testing.assert_allclose(pts[2] - pts[1], -0.6 * 0.4 * gabor_grad(pts[1]), atol=3e-3)
    np.testing.assert_allclose(pts[5] - pts[4], -0.6 * 0.4 * gabor_grad(pts[4]), atol=3e-3)


def test_6_3_1_nesterov_is_order_one_over_t_squared():
    """Both methods written out on L = 1/2 sum lam_k phi_k^2, 61 curvatures log-spaced from 1e-6
    to 1, from phi = 1: GD (eq. 6.3, alpha = 1) and Nesterov's accelerated gradient with the
    momentum (t-1)/(t+2) (Su, Boyd & Candes 2016, eq. 3)."""
    lam = np.logspace(-6, 0, 61)
    T = 1000
    gd, phi = [], np.ones(61)
    for _ in range(T + 1):
        gd.append(0.5 * np.sum(lam * phi ** 2))
        phi = phi - lam * phi
    agd, x, x_prev = [], np.ones(61), np.ones(61)
    for k in range(T + 1):
        agd.append(0.5 * np.sum(lam * x ** 2))
        y = x + (k - 1) / (k + 2) * (x - x_prev)
        x_prev, x = x, y - lam * y
    t = np.arange(1, T + 1)
    bounds = (61 / (2 * t), 2 * 61 / (t + 1) ** 2)     # ||phi_0 - phi*||^2 = 61, alpha = 1
    for name, ref, bound in (("gradient descent", np.array(gd), bounds[0]),
                             ("Nesterov \\(t-1\\)/\\(t\\+2\\)", np.array(agd), bounds[1])):
        vals = grab(S631, name + r"\s*: L - L\* = " + NUM + ", " + NUM + ", " + NUM + r" after 10, 100, 1000 steps;"
                    r" fitted slope " + NUM + r"; guarantee at t = 1000: " + NUM)
        np.testing.assert_allclose(vals[:3], ref[[10, 100, 1000]], rtol=6e-3)
        slope = np.polyfit(np.log(t[9:]), np.log(ref[10:]), 1)[0]
        assert vals[3] == pytest.approx(slope, abs=0.006)
        assert vals[4] == pytest.approx(bound[-1], rel=6e-3)
        assert np.all(ref[1:] <= bound)                  # the guarantees hold at every step
    assert grab(S631, r"gradient descent\s*: .*fitted slope " + NUM, 1) == pytest.approx(-1, abs=0.02)
    assert grab(S631, r"Nesterov .*fitted slope " + NUM, 1) == pytest.approx(-2, abs=0.02)


# --- 6.4 Adam -----------------------------------------------------------------------------------
S64 = "06_4_adam"


def test_6_4_bias_correction_factors_closed_form():
    t = np.array([1, 2, 5, 10, 50, 100, 500])
    for beta, gamma in [(0.9, 0.999), (0.9, 0.99)]:
        m = re.search(rf"beta={beta}, gamma={gamma}: .*?: (\[[^\]]*\])", out(S64))
        np.testing.assert_allclose(arr(m.group(1)), (1 - beta ** t) / np.sqrt(1 - gamma ** t), atol=5e-3)


def test_6_4_epsilon_inside_or_outside_the_root():
    rows = grab_all(S64, r"\|g\| = " + NUM + r": step / alpha with epsilon inside the root " + NUM + ", outside " + NUM)
    assert [r[0] for r in rows] == [1.0, 1e-2, 1e-4, 1e-6]
    for g, inside, outside in rows:
        assert inside == pytest.approx(g / math.sqrt(g * g + 1e-8), abs=5e-5)    # eq. 6.14 as printed
        assert outside == pytest.approx(g / (g + 1e-8), abs=5e-5)               # sqrt(v) + epsilon
    assert rows[2][1] == pytest.approx(1 / math.sqrt(2), abs=5e-5)            # |g| = sqrt(epsilon)
    md = markdown(S64)
    # the book's numbering (Chinese edition): normalized GD 6.13-6.14, Adam 6.15-6.17, minibatch moments 6.18
    assert "eqs. 6.13–6.14" in md and "eqs. 6.15–6.17" in md and "6.15–6.18" not in md


def test_6_4_first_adam_step():
    on = arr(re.search(r"bias correction on : first step moves by (\[[^\]]*\])", out(S64)).group(1))
    off = arr(re.search(r"bias correction off: first step moves by (\[[^\]]*\])", out(S64)).group(1))
    np.testing.assert_allclose(on, [0.05, 0.05], atol=1e-4)           # |step| = alpha (eq. 6.17)
    np.testing.assert_allclose(off, 0.05 * 0.1 / math.sqrt(1 - 0.999), atol=1e-4)


def test_6_4_figure_6_9_settings_and_outcome():
    runs = {name.strip(): (int(s), float(l), float(d)) for name, s, l, d in re.findall(
        r"^(.{15}): *(\d+) steps, final loss " + NUM + r", distance to minimum " + NUM, out(S64), re.M)}
    # book-data settings: GD 0.08 x 200, GD 1.0 x 40, normalized GD x 40, Adam x 60
    assert [v[0] for v in runs.values()] == [200, 40, 40, 60]
    adam = runs["Adam"]
    assert adam[2] < 0.1 and adam[1] < 0.01
    assert runs["normalized GD"][2] > 0.02              # it keeps bouncing around the minimum


# --- 6.5 hyperparameters ------------------------------------------------------------------------
S65 = "06_5_hyperparameters"


def test_6_5_learning_rate_limit_and_outcomes():
    limit = 2 / np.linalg.eigvalsh(LIN_H).max()
    assert grab(S65, r"2 / lambda_max = " + NUM, 1) == pytest.approx(limit, abs=5e-5)
    rows = re.findall(r"alpha = " + NUM + r": (DIVERGING, )?loss 5\.020 -> " + NUM, out(S65))
    assert [float(a) for a, _, _ in rows] == [0.005, 0.02, 0.039, 0.041]
    for alpha, flag, final in rows:
        # GD on a quadratic: the error along the top eigenvector scales by |1 - alpha lambda_max|
        # per step; above the limit it grows, and the lesson must say so (issue 15, defect 5)
        if float(alpha) < limit:
            assert not flag and float(final) == pytest.approx(BOOK["lin_opt_loss"], abs=5e-5)
        else:
            phi = np.array([1.6, -0.5])
            for _ in range(400):                         # eq. 6.3 written out
                phi = phi - float(alpha) * lin_grad(phi)
            assert flag and float(final) == pytest.approx(lin_loss(phi), rel=0.01) and float(final) > 1e3
    assert re.search(r"alpha = 0\.200: diverged at step \d+", out(S65))


def test_6_5_full_batch_has_no_gradient_noise():
    assert grab(S65, r"batch 30:\s+1 steps per epoch, mean relative error of the gradient " + NUM, 1) == 0.0
    errs = [e for _, e in grab_all(S65, r"batch\s+(\d+): .*gradient " + NUM)]
    assert errs == sorted(errs, reverse=True)            # more data, less noise


def test_6_5_schedules_closed_forms():
    a0, T = 0.5, 200
    t = np.array([1, 100, 200])
    ref = {
        "constant": np.full(3, a0),
        # Goodfellow eq. 8.14 with k = t, tau = 150, alpha_tau = 0.05, constant after tau
        "linear decay (8.14)": np.where(t <= 150, (1 - t / 150) * a0 + (t / 150) * 0.05, 0.05),
        "step decay": a0 * 0.5 ** ((t - 1) // 50),
        "exponential": a0 * 0.99 ** (t - 1),
        "cosine": a0 * (1 + np.cos(np.pi * (t - 1) / T)) / 2,
    }
    for name, r in ref.items():
        vals = grab(S65, re.escape(name) + r"\s+alpha_1 = " + NUM + r"\s+alpha_100 = " + NUM + r"\s+alpha_200 = " + NUM)
        np.testing.assert_allclose(vals, r, atol=5e-5, err_msg=name)
    warm = grab(S65, r"warm-up \+ cosine\s+alpha_1 = " + NUM)
    assert warm[0] == pytest.approx(a0 / 20, abs=5e-5)   # linear warm-up over 20 steps


def test_6_5_decay_settles_at_the_book_minimum():
    const = grab(S65, r"constant\s*: mean loss over the last 50 steps " + NUM + r" \(spread " + NUM)
    decay = grab(S65, r"linear decay \(8\.14\)\s*: mean loss over the last 50 steps " + NUM + r" \(spread " + NUM)
    assert decay[0] == pytest.approx(BOOK["gabor_min_loss"], abs=0.01)
    assert decay[1] < const[1] / 10 and const[0] > decay[0]


def test_6_5_robbins_monro_schedules():
    """Sums by numpy; the RMS error of 1000 noisy runs against the exact mean square of
    e' = (1 - alpha_t) e - alpha_t xi (L = phi^2/2, sigma = 1, e_0 = 10), within sampling error."""
    T = 5000
    t = np.arange(1, T + 1)
    schedules = {"α = 0.1": np.full(T, 0.1), "α_t = 1/\\(t\\+9\\)": 1 / (t + 9.0), "α_t = 10/\\(t\\+9\\)²": 10 / (t + 9.0) ** 2}
    final = {}
    for name, a in schedules.items():
        s1, s2, rms = grab(S65, name + r"\s+sum of alpha_t =\s+" + NUM + r", of alpha_t\^2 =\s+" + NUM
                           + r";\s+RMS error after 5000 steps " + NUM)
        assert s1 == pytest.approx(a.sum(), abs=5e-3) and s2 == pytest.approx((a ** 2).sum(), abs=5e-4)
        m2 = 100.0
        for at in a:
            m2 = (1 - at) ** 2 * m2 + at ** 2
        assert rms == pytest.approx(math.sqrt(m2), rel=0.08), name     # sqrt(2/1000) ~ 4.5% on m2
        final[name] = rms
    ball = grab(S65, r"noise ball of the constant rate: " + NUM, 1)
    assert ball == pytest.approx(math.sqrt(0.1 / (2 - 0.1)), abs=5e-4)  # sigma sqrt(a / (lam (2 - a lam)))
    # the three outcomes: a noise ball, convergence, stopping short (10 * prod(1 - alpha_t) from 10)
    const, harmonic, square = final.values()
    assert const == pytest.approx(ball, rel=0.08) and harmonic < const / 5
    assert square == pytest.approx(10 * np.prod(1 - schedules["α_t = 10/\\(t\\+9\\)²"]), rel=0.02) and square > 3


# --- line search --------------------------------------------------------------------------------
S66 = "06_6_line_search"


def test_6_6_bracketing_search_matches_the_notes():
    phi, loss, n_br = grab(S66, r"bracketing search: phi = " + NUM + ", loss " + NUM + r", (\d+) brackets")
    assert phi == pytest.approx(BOOK["ls_phi"], abs=5e-4) and loss == pytest.approx(BOOK["ls_loss"], abs=5e-4)
    # each iteration keeps 2/3 of the bracket: shrinks until narrower than 1e-4, plus the first one
    assert n_br == math.ceil(math.log(1e-4) / math.log(2 / 3)) + 1
    br = [tuple(float(v) for v in m) for m in re.findall(r"bracket \d: " + ", ".join([NUM] * 4), out(S66))]
    np.testing.assert_allclose(br[0], [0, 1 / 3, 2 / 3, 1], atol=5e-5)
    np.testing.assert_allclose(br[1], [0, 2 / 9, 4 / 9, 2 / 3], atol=5e-5)    # [c, d] dropped
    np.testing.assert_allclose(br[2], [2 / 9, 10 / 27, 14 / 27, 2 / 3], atol=5e-5)  # [a, b] dropped


def test_6_6_golden_section_and_backtracking():
    phi, loss, n = grab(S66, r"golden section\s*: phi = " + NUM + ", loss " + NUM + r", (\d+) evaluations")
    assert phi == pytest.approx(BOOK["ls_phi"], abs=5e-4) and loss == pytest.approx(BOOK["ls_loss"], abs=5e-4)
    assert n <= math.ceil(math.log(1e-4) / math.log(0.618034)) + 4   # one evaluation per iteration
    # Armijo backtracking from alpha = 1, halving, c = 1e-4, direction -g (independent loop)
    phi0 = np.array([1.6, -0.5])
    g = lin_grad(phi0)
    a = 1.0
    while lin_loss(phi0 - a * g) > lin_loss(phi0) - 1e-4 * a * (g @ g):
        a /= 2
    acc, before, after = grab(S66, r"accepted alpha = " + NUM + r" after \d+ evaluations; loss " + NUM + " -> " + NUM)
    assert acc == pytest.approx(a, abs=1e-4)          # printed with 4 decimals
    assert before == pytest.approx(lin_loss(phi0), abs=5e-4)
    assert after == pytest.approx(lin_loss(phi0 - a * g), abs=5e-4)


def test_6_6_exact_line_search_turns_by_right_angles():
    ref = lin_loss(exact_line_search([1.6, -0.5], 10)[-1])
    for method in ("bracket", "golden", "exact"):
        assert grab(S66, rf"{method}\s*: loss after 10 steps " + NUM, 1) == pytest.approx(ref, abs=2e-5)
    angles = arr(re.search(r"\(degrees\): (\[[^\]]*\])", out(S66)).group(1))
    np.testing.assert_allclose(angles, 90.0, atol=0.01)  # g_{k+1} is orthogonal to g_k


# --- Hessians and convexity ---------------------------------------------------------------------
S67 = "06_7_hessian_convexity"


def test_6_7_problem_6_2_hessian():
    h = arr(re.search(r"H =\s*\n(\s*\[\[.*?\]\])", out(S67), re.S).group(1)).reshape(2, 2)
    np.testing.assert_allclose(h, LIN_H, atol=5e-4)
    tr, det = grab(S67, r"trace " + NUM + r" > 0, determinant " + NUM)
    assert tr == pytest.approx(np.trace(LIN_H), abs=5e-4)
    assert det == pytest.approx(np.linalg.det(LIN_H), abs=5e-3)
    lam = arr(re.search(r"eigenvalues (\[[^\]]*\])", out(S67)).group(1))
    np.testing.assert_allclose(lam, np.linalg.eigvalsh(LIN_H), atol=5e-4)
    assert "same Hessian at another phi: True" in out(S67)
    assert grab(S67, r"linear regression: " + NUM + "%", 1) == 100


def test_6_7_critical_points_include_the_books_global_minimum():
    p0, p1, loss = grab(S67, r"phi = \(\s*" + NUM + r",\s*" + NUM + r"\)\s+loss\s+" + NUM + r"\s+minimum")
    np.testing.assert_allclose([p0, p1], BOOK["gabor_min"], atol=5e-3)
    assert loss == pytest.approx(BOOK["gabor_min_loss"], abs=5e-4)
    for q0, q1, ql in grab_all(S67, r"phi = \(\s*" + NUM + r",\s*" + NUM + r"\)\s+loss\s+" + NUM):
        assert gabor_loss([q0, q1]) == pytest.approx(ql, rel=0.02)


def distances(name):
    """The distances printed after ``name``; "<1e-12" (round-off) reads as 0."""
    text = re.search(name + r"\s+distance to the optimum after each step: \[([^\]]*)\]", out(S67)).group(1)
    return [0.0 if v == "<1e-12" else float(v) for v in text.split()]


def test_6_7_finds_every_critical_point_of_figure_6_4():
    ref = gabor_critical_points()
    kinds = [k for _, _, k in ref]
    counts = {k: kinds.count(k) for k in ("minimum", "saddle", "maximum")}
    assert counts == {"minimum": 8, "saddle": 20, "maximum": 12}           # issue 15, defect 1
    m = re.search(r"\{'minimum': (\d+), 'saddle': (\d+), 'maximum': (\d+)\}", out(S67))
    assert [int(v) for v in m.groups()] == [counts["minimum"], counts["saddle"], counts["maximum"]]
    # the printed rows: the three lowest critical points (all minima) and the lowest saddle
    rows = grab_all(S67, r"phi = \(\s*" + NUM + r",\s*" + NUM + r"\)\s+loss\s+" + NUM + r"\s+(?:minimum|saddle)")
    want = ref[:3] + [c for c in ref if c[2] == "saddle"][:1]
    assert len(rows) == 4
    for (p0, p1, loss), (phi, ref_loss, _) in zip(rows, want, strict=True):
        np.testing.assert_allclose([p0, p1], phi, atol=5e-3)
        assert loss == pytest.approx(ref_loss, abs=5e-4)
    kinds_printed = re.findall(r"loss\s+[\d.]+\s+(minimum|saddle|maximum)", out(S67))
    assert kinds_printed == [c[2] for c in want]
    # the runner-up is the minimum lesson 6.1 prints, (-5.82, 13.82) with loss 3.36
    np.testing.assert_allclose(ref[1][0], [-5.82, 13.82], atol=5e-3)
    assert ref[1][1] == pytest.approx(3.356, abs=5e-4) and ref[1][2] == "minimum"
    lesson_6_1 = grab_all(S61, r"phi = \(\s*" + NUM + r",\s*" + NUM + r"\): minimum, loss " + NUM)
    np.testing.assert_allclose(lesson_6_1[1], [*ref[1][0], ref[1][1]], atol=5e-3)


def test_6_7_newton_and_cg_on_a_quadratic():
    assert distances("Newton") == [0.0]                  # one Newton step solves a quadratic
    start = np.array([1.6, -0.5])
    best = np.linalg.solve(LIN_H, -lin_grad(np.zeros(2)))
    for name in ("CG \\(Fletcher-Reeves\\)", "CG \\(Polak-Ribiere\\)", "BFGS"):
        d = distances(name)
        assert len(d) == 2 and d[-1] == 0.0              # at most P = 2 steps
        # the first step of each is an exact line search along -g (closed form on the quadratic)
        assert d[0] == pytest.approx(np.linalg.norm(exact_line_search(start, 1)[1] - best), abs=5e-3)
    gd = distances("gradient descent, alpha=0\\.02")
    ref = [start]
    for _ in range(3):
        ref.append(ref[-1] - 0.02 * lin_grad(ref[-1]))
    np.testing.assert_allclose(gd, [np.linalg.norm(r - best) for r in ref[1:]], atol=5e-3)


def test_6_7_problem_6_11_hessian_size():
    m = re.search(r"P = 1,000,000: shape \(1000000, 1000000\), " + NUM + r" entries, (\d+) TB", out(S67))
    assert float(m.group(1)) == BOOK["hessian_entries"] == (10 ** 6) ** 2
    assert int(m.group(2)) == BOOK["hessian_tb"] == 8 * 10 ** 12 // 10 ** 12


def test_6_7_hessian_vector_product():
    phi, v = np.array([0.3, 15.0]), np.array([1.0, -0.5])
    h = 1e-5
    ref = (gabor_grad(phi + h * v) - gabor_grad(phi - h * v)) / (2 * h)   # finite differences of problem 6.3
    for label in ("by finite differences", "from the full Hessian"):
        got = arr(re.search(rf"H v {label}: (\[[^\]]*\])", out(S67)).group(1))
        np.testing.assert_allclose(got, ref, atol=2e-4)


# --- optimizer zoo ------------------------------------------------------------------------------
S68 = "06_8_optimizer_zoo"


def test_6_8_sgd_diverges_exactly_where_alpha_exceeds_two_over_lambda_max():
    row = re.search(r"^SGD\s+(\S+)\s+(\S+)\s+(\S+)$", out(S68), re.M).groups()
    limits = [2 / 50.0, 2 / np.linalg.eigvalsh(LIN_H).max()]       # kappa = 50 problem, linear regression
    assert all(0.05 > lim for lim in limits)
    assert row[1] == "diverging" and row[2] == "diverging" and row[0] != "diverging"
    # every adaptive method, and momentum, reaches the book's linear-regression optimum
    for name in ("momentum", "AdaGrad", "Adam", "Adamax", "AMSGrad", "NAdam", "AdamW"):
        val = re.search(rf"^{name}\s+\S+\s+\S+\s+(\S+)$", out(S68), re.M).group(1)
        assert float(val) == pytest.approx(BOOK["lin_opt_loss"], abs=1e-3), name


def test_6_8_ill_conditioned_gd_closed_form():
    rows = re.findall(r"kappa =\s+(\d+): GD \(alpha = 1\.9/kappa\) loss after 200 steps (<1e-10|" + NUM
                      + r");\s+Adam " + NUM, out(S68))
    assert [int(r[0]) for r in rows] == [10, 100, 1000]
    for kappa, gd, _, adam in rows:
        a = 1.9 / int(kappa)                             # L = (phi0^2 + kappa phi1^2)/2 from (1, 1)
        ref = 0.5 * (1 - a) ** 400 + 0.5 * int(kappa) * (1 - a * int(kappa)) ** 400
        if gd == "<1e-10":
            assert ref < 1e-10
        else:
            assert float(gd) == pytest.approx(ref, rel=0.01)
        assert float(adam) < 1e-5


def adam_reference(A, phi, steps, alpha=0.05, beta=0.9, gamma=0.99, eps=1e-8):
    """Adam (UDL eqs. 6.15-6.18, Kingma & Ba alg. 1) written out, on L = phi' A phi / 2."""
    m = v = np.zeros_like(phi)
    for t in range(1, steps + 1):
        g = A @ phi
        m = beta * m + (1 - beta) * g
        v = gamma * v + (1 - gamma) * g ** 2
        phi = phi - alpha * (m / (1 - beta ** t)) / (np.sqrt(v / (1 - gamma ** t)) + eps)
    return 0.5 * phi @ A @ phi


def test_6_8_per_coordinate_scaling_needs_an_axis_aligned_valley():
    th = np.pi / 6
    R = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    val = r"(<1e-10|" + NUM + r")"
    rows = re.findall(r"kappa =\s+(\d+): aligned GD\s+" + val + r", Adam\s+" + val + r"\s+\|\s+rotated GD\s+"
                      + val + r", Adam\s+" + val, out(S68))
    assert [int(r[0]) for r in rows] == [10, 100, 1000]
    for row in rows:
        kappa = int(row[0])
        printed = [None if v == "<1e-10" else float(v) for v in row[1::2]]
        D = np.diag([1.0, kappa])
        a = 1.9 / kappa                                  # GD on a quadratic: closed form, any rotation
        gd = 0.5 * (1 - a) ** 400 + 0.5 * kappa * (1 - a * kappa) ** 400
        refs = [gd, adam_reference(D, np.array([1.0, 1.0]), 200),
                gd, adam_reference(R @ D @ R.T, R @ np.array([1.0, 1.0]), 200)]
        for got, ref in zip(printed, refs, strict=True):
            if got is None:
                assert ref < 1e-10
            else:
                assert got == pytest.approx(ref, rel=0.01)
        if kappa >= 100:                                 # the lesson's claim: rotated Adam ends above GD
            assert refs[3] > refs[2] and refs[3] > 1e3 * refs[1]


def test_6_8_adagrad_needs_the_larger_learning_rate():
    """The zoo's prose: with alpha = 0.05 AdaGrad (Goodfellow alg. 8.4, delta = 1e-7) ends at
    0.77 on the kappa = 50 quadratic and 0.46 on linear regression after 150 steps."""
    def adagrad(grad, loss, phi, alpha, steps=150, eps=1e-7):
        r = np.zeros(2)
        for _ in range(steps):
            g = grad(phi)
            r = r + g ** 2
            phi = phi - alpha * g / (eps + np.sqrt(r))
        return loss(phi)

    D = np.diag([1.0, 50.0])
    quad = adagrad(lambda p: D @ p, lambda p: 0.5 * p @ D @ p, np.array([1.0, 1.0]), 0.05)
    line = adagrad(lin_grad, lin_loss, np.array([1.6, -0.5]), 0.05)
    m = re.search(r"\(loss " + NUM + r" instead of below \$10\^\{-10\}\$ on the ill-conditioned problem, "
                  + NUM + r" instead of " + NUM + r" on\s+linear regression", markdown(S68))
    assert m, "the AdaGrad sentence changed"
    assert float(m.group(1)) == pytest.approx(quad, abs=0.005)
    assert float(m.group(2)) == pytest.approx(line, abs=0.005)
    assert float(m.group(3)) == pytest.approx(BOOK["lin_opt_loss"], abs=0.005)
    assert re.search(r"^AdaGrad\s+\S+\s+<1e-10\s+2\.00e-01$", out(S68), re.M)   # alpha = 0.5 gets there


def test_6_8_products_clipping_and_averaging():
    for t, a, one, b in grab_all(S68, r"t =\s+(\d+): 0\.9\^t = " + NUM + r", 1\.0\^t = " + NUM + r", 1\.1\^t = " + NUM):
        assert a == pytest.approx(0.9 ** t, rel=5e-3) and one == 1 and b == pytest.approx(1.1 ** t, rel=5e-3)
    assert grab(S68, r"clip = 1\.0: largest step\s+" + NUM, 1) == pytest.approx(0.5 * 1.0)   # alpha * c
    assert grab(S68, r"clip = None: largest step\s+" + NUM, 1) > 5
    last, avg = grab(S68, r"SGD last iterate loss " + NUM + r"; Polyak average .*: loss " + NUM)
    assert avg == pytest.approx(BOOK["gabor_min_loss"], abs=0.005) and avg < last
    cd, opt = grab(S68, r"loss after 20 sweeps " + NUM + r" \(optimum " + NUM)
    assert opt == pytest.approx(BOOK["lin_opt_loss"], abs=5e-5) and opt < cd < 1.1 * opt
    best, bn = grab(S68, r"best possible loss .*: " + NUM + r"[\s\S]*batch norm: loss [\d.]+ -> " + NUM)
    assert bn == pytest.approx(best, abs=1e-3)


def test_6_8_adagrad_learns_rare_features():
    """The data recipe of the lesson and both methods written out: one epoch of single-example
    steps in the order rng(0).permutation(4000) (UDL 6.2), SGD with alpha_t = 0.25/sqrt(t) and
    AdaGrad (Goodfellow alg. 8.4, delta = 1e-7), on the squared error with an intercept."""
    rng = np.random.default_rng(0)
    n, K = 4000, 10
    X = (rng.random((n, K)) < np.r_[np.full(5, 0.5), np.full(5, 0.01)]).astype(float)
    w = rng.uniform(1, 2, K) * rng.choice([-1.0, 1.0], K)
    y = X @ w + 0.5 * rng.standard_normal(n)
    counts = arr(re.search(r"rows in which each feature is on: (\[[^\]]*\])", out(S68)).group(1))
    np.testing.assert_array_equal(counts, X.sum(axis=0))
    A, truth = np.hstack([np.ones((n, 1)), X]), np.r_[0.0, w]
    order = np.random.default_rng(0).permutation(n)
    sgd, ada, r = np.zeros(K + 1), np.zeros(K + 1), np.zeros(K + 1)
    for t, i in enumerate(order, start=1):
        sgd = sgd - 0.25 / math.sqrt(t) * 2 * (A[i] @ sgd - y[i]) * A[i]
        g = 2 * (A[i] @ ada - y[i]) * A[i]
        r = r + g ** 2
        ada = ada - 0.25 * g / (1e-7 + np.sqrt(r))
    for name, phi in (("SGD, α/√t", sgd), ("AdaGrad, α", ada)):
        f, rare = grab(S68, re.escape(name) + r"\s*: RMS error after 4000 steps: frequent weights " + NUM
                       + r", rare weights " + NUM)
        e = phi - truth
        assert f == pytest.approx(np.sqrt(np.mean(e[1:6] ** 2)), abs=2e-3)
        assert rare == pytest.approx(np.sqrt(np.mean(e[6:] ** 2)), abs=2e-3)
    lr_sgd, lr_f, lr_r = grab(S68, r"learning rate at the end: SGD " + NUM + r" for every weight; AdaGrad "
                              r"alpha/sqrt\(r\): frequent weights " + NUM + r", rare weights " + NUM)
    assert lr_sgd == pytest.approx(0.25 / math.sqrt(n), abs=1e-4)
    assert lr_f == pytest.approx(np.mean(0.25 / np.sqrt(r[1:6])), abs=1e-4)
    assert lr_r == pytest.approx(np.mean(0.25 / np.sqrt(r[6:])), abs=1e-4)
    # the lesson's claims: same accuracy on frequent weights, AdaGrad several times better on rare ones
    e_sgd, e_ada = sgd - truth, ada - truth
    assert np.sqrt(np.mean(e_ada[6:] ** 2)) < np.sqrt(np.mean(e_sgd[6:] ** 2)) / 4
    assert abs(np.sqrt(np.mean(e_ada[1:6] ** 2)) - np.sqrt(np.mean(e_sgd[1:6] ** 2))) < 0.02
    assert lr_r > 3 * lr_sgd and lr_f < 2 * lr_sgd


# --- minibatches on real data -------------------------------------------------------------------
S69 = "06_9_minibatches_real_data"


def test_6_9_decimal_slip_is_a_factor_ten():
    for col in ("MCV", "NEUTP"):
        m = re.search(rf"{col}\s+raw rows 1-4: (\[[^\]]*\])\s+cleaned: (\[[^\]]*\])", out(S69))
        raw, clean = arr(m.group(1)), arr(m.group(2))
        assert clean[0] == raw[0]
        np.testing.assert_allclose(clean[1:], 10 * raw[1:], atol=1e-9)


def test_6_9_standardizing_makes_one_step_enough():
    # standardized x: H = 2 I diag(1, mean z^2) = 2I * identity, condition number 1, and the
    # step alpha = 1/lambda lands on the optimum at once
    assert grab(S69, r"MCV standardized : condition number\s+" + NUM, 1) == pytest.approx(1.0, abs=0.05)
    assert grab(S69, r"MCV standardized : .*millionfold: (\d+)", 1) == 1
    assert grab(S69, r"MCV as measured\s*: condition number\s+" + NUM, 1) > 1e5


def test_6_9_shuffling_beats_sorted_batches():
    on = grab(S69, r"shuffle=True : mean excess loss over the last 5 epochs\s+" + NUM, 1)
    off = grab(S69, r"shuffle=False: mean excess loss over the last 5 epochs\s+" + NUM, 1)
    assert off > 2 * on


def test_6_9_learning_rate_closed_form():
    # both Hessian eigenvalues equal lambda: the excess loss shrinks by (1 - f)^2 per step
    rows = [(float(f), float(e0), None if e20 == "<1e-9" else float(e20), int(n)) for f, e0, e20, n in re.findall(
        r"alpha = " + NUM + r" / lambda_max: excess loss " + NUM + r" -> (<1e-9|[-+\d.e]+)"
        + r" after 20 steps; phi0 crossed its optimum (\d+) times", out(S69))]
    assert len(rows) == 4
    for f, e0, e20, flips in rows:
        ref = e0 * (1 - f) ** 40
        if e20 is None:                                  # printed "<1e-9": round-off of a loss near 265
            assert ref < 1e-9
        else:
            assert e20 == pytest.approx(ref, rel=0.01, abs=1e-6)
        assert flips == (19 if f > 1 else 0)            # overshoot flips the sign every step
    e0 = rows[0][1]
    # full batch of the batch-size cell: alpha = 0.2/39 on H = 2*39*I, 15 epochs of one step each
    full = grab(S69, r"batch 39:\s+1 updates per epoch, excess loss after 15 epochs " + NUM, 1)
    assert full == pytest.approx(e0 * (1 - 0.2 / 39 * 78) ** 30, rel=0.01)


# --- 6.10 a real network ------------------------------------------------------------------------
S610 = "06_10_real_network"


@pytest.fixture(scope="module")
def digits_reference():
    """The digits from scikit-learn and the network, backpropagation and updates written out
    in tests/test_networks.py (independent of steplab.networks)."""
    import test_networks as T
    data = T.load_data()
    phi0 = __import__("steplab.networks", fromlist=["MLP"]).MLP(data["x_train"], data["y_train"]).init(0)
    return T, data, phi0


def test_6_10_data_and_network_sizes():
    n_train, n_test, pixels = grab(S610, r"(\d+) training images, (\d+) test images, (\d+) pixels")
    assert n_test == round(0.2 * 1797) and n_train == 1797 - n_test and pixels == 8 * 8
    assert grab(S610, r"P = (\d+) parameters", 1) == 64 * 32 + 32 + 32 * 10 + 10
    assert "backpropagation and finite differences agree to better than 1e-6 (relative): True" in out(S610)


def test_6_10_six_optimizers(digits_reference):
    T, data, phi0 = digits_reference
    rows = {name.strip(): (int(st), float(lo), float(ac)) for name, st, lo, ac in re.findall(
        r"^(.{16}) +(\d+) steps: training loss per example " + NUM + r", test accuracy " + NUM + "%", out(S610), re.M)}
    settings = {"GD (full batch)": ("sgd", 0.001, None), "SGD": ("sgd", 0.01, 32), "momentum": ("momentum", 0.03, 32),
                "Nesterov": ("nesterov", 0.03, 32), "Adam": ("adam", 0.003, 32), "RMSProp": ("rmsprop", 0.001, 32)}
    assert list(rows) == list(settings)
    for name, (opt, alpha, B) in settings.items():
        steps, loss, acc = rows[name]
        assert steps == 8 * (1 if B is None else math.ceil(1438 / B))
        gamma = 0.9 if opt == "rmsprop" else 0.999
        phi = T.reference_train(phi0, data, opt, alpha, epochs=8, B=B, gamma=gamma)
        assert loss == pytest.approx(T.cross_entropy(phi, data["x_train"], data["y_train"]) / 1438, abs=0.005), name
        assert acc == pytest.approx(100 * T.accuracy(phi, data), abs=0.5), name
    assert min(rows[k][2] for k in settings if k != "GD (full batch)") >= 94      # "94-97 %" in the prose
    assert max(rows[k][2] for k in settings) <= 97


def test_6_10_adam_has_the_widest_good_range(digits_reference):
    T, data, phi0 = digits_reference
    alphas = 10.0 ** np.arange(-4, 0.01, 0.5)
    printed = re.search(r"^alpha\s+(.*?)\s+>= 90%$", out(S610), re.M).group(1).split()
    np.testing.assert_allclose([float(a) for a in printed], alphas, rtol=0.06)   # printed as 3e-04 etc.
    counts = {}
    for name, opt in (("SGD", "sgd"), ("momentum", "momentum"), ("Adam", "adam")):
        m = re.search(rf"^{name}\s+((?:(?:\d+%|--)\s+)+)(\d+) of 9$", out(S610), re.M)
        accs = [np.nan if v == "--" else float(v) for v in m.group(1).replace("%", " ").split()]
        ref = []
        for a in alphas:
            phi = T.reference_train(phi0, data, opt, a, epochs=2, B=32)
            with np.errstate(all="ignore"):
                up = not T.cross_entropy(phi, data["x_train"], data["y_train"]) < T.cross_entropy(
                    phi0, data["x_train"], data["y_train"])
            ref.append(np.nan if up else 100 * T.accuracy(phi, data))
        np.testing.assert_allclose(accs, ref, atol=0.5, err_msg=name)     # nan where the loss went up
        assert int(m.group(2)) == sum(r >= 90 for r in ref if not np.isnan(r))
        counts[name] = int(m.group(2))
    assert counts["Adam"] > counts["momentum"] >= counts["SGD"]       # the lesson's claim


# --- the shape of every lesson ------------------------------------------------------------------
#: key terms and the Chinese edition's words for them (seed text of UDL ch. 6, Chinese edition)
CHINESE = {
    S61: ["梯度下降", "损失函数", "梯度", "学习率", "线搜索", "线性回归", "凸", "局部最小值", "全局最小值", "鞍点", "海森矩阵"],
    S62: ["随机梯度下降", "小批量", "批次", "周期", "学习率调度", "较宽的最小值"],
    S63: ["动量"],
    S631: ["Nesterov 加速动量", "Nesterov 加速梯度", "收敛率"],
    S64: ["自适应矩估计", "梯度标准化"],
    S65: ["超参数", "批量大小", "学习率调度", "动量系数", "充分条件", "收敛"],
    S66: ["线搜索", "括号法"],
    S67: ["海森矩阵", "凸函数", "牛顿法"],
    S68: ["优化算法", "病态", "梯度截断", "稀疏特征"],
    S69: ["小批量", "批量大小", "学习率", "条件数"],
    S610: ["多层感知机", "交叉熵", "反向传播"],
}

#: what each equation must contain (transcribed from UDL ch. 6)
EQUATION_MARKS = {
    "6.1": ["argmin"], "6.3": [r"\alpha", r"\leftarrow"], "6.5": ["^2", "y_i"],
    "6.7": ["2x_i", "bmatrix"], "6.8": ["0.06", "32", r"\sin"], "6.9": ["^2"],
    "6.10": [r"\sum", r"\alpha", "B"], "6.11": [r"\beta", r"(1-\beta)", r"\alpha"],
    "6.12": [r"\beta", r"\alpha", r"\mathbf m_t"], "6.13": ["m_{t+1}"], "6.14": ["epsilon"],
    "6.15": [r"\gamma", r"(1-\gamma)"], "6.16": [r"1-\beta^{t+1}", r"1-\gamma^{t+1}"],
    "6.17": ["epsilon", r"\hat"], "6.19": ["partial^2"],
}


@pytest.mark.parametrize("stem", LESSONS)
def test_lesson_starts_with_widget_backend_and_steplab(stem):
    first = next(c for c in nb(stem).cells if c.cell_type == "code")
    assert first.source.lstrip().startswith("%matplotlib widget")
    assert re.search(r"^import steplab as sl$", first.source, re.M)


@pytest.mark.parametrize("stem", LESSONS)
def test_lesson_has_an_explorer(stem):
    cells = [c.source for c in nb(stem).cells if c.cell_type == "code"]
    explorers = [s for s in cells if re.search(r"widgets\.\w+Explorer\(", s) and s.rstrip().endswith(".widget")]
    assert explorers, f"{stem}: no cell creates an explorer from steplab.widgets and shows it"


@pytest.mark.parametrize("stem", LESSONS)
def test_lesson_has_two_to_four_try_this_items(stem):
    n = 0
    for c in nb(stem).cells:
        if c.cell_type == "markdown" and "**Try this**" in c.source:
            after = c.source.split("**Try this**", 1)[1]
            n += len(re.findall(r"^\d+\. ", after, re.M))
    assert 2 <= n <= 4, f"{stem}: {n} 'Try this' items"


@pytest.mark.parametrize("stem", LESSONS)
def test_lesson_ran_cleanly_and_copies_no_engine(stem):
    for c in nb(stem).cells:
        if c.cell_type != "code":
            continue
        assert c.execution_count is not None, f"{stem}: a cell was not executed"
        assert not any(o.get("output_type") == "error" for o in c.outputs)
        assert not any(o.get("name") == "stderr" for o in c.outputs), f"{stem}: a warning in the output"
        assert not re.search(r"^\s*class\s", c.source, re.M), f"{stem}: engine code belongs in steplab"
        assert "steplab._" not in c.source


@pytest.mark.parametrize("stem", LESSONS)
def test_lesson_uses_the_chinese_editions_terms(stem):
    md = markdown(stem)
    missing = [t for t in CHINESE.get(stem, []) if t not in md]
    assert not missing, f"{stem}: no Chinese term for {missing}"


@pytest.mark.parametrize("stem", LESSONS)
def test_equation_tags_sit_on_the_right_equations(stem):
    seen = []
    for c in nb(stem).cells:
        if c.cell_type != "markdown":
            continue
        for block in re.findall(r"\$\$(.*?)\$\$", c.source, re.S):
            for tag in re.findall(r"\\tag\{(6\.\d+)\}", block):
                assert tag in EQUATION_MARKS, f"{stem}: unexpected tag {tag}"
                for mark in EQUATION_MARKS[tag]:
                    assert mark in block, f"{stem}: \\tag{{{tag}}} on an equation without {mark!r}"
                seen.append(tag)
        # a tag outside display maths would not render
        assert "\\tag{" not in re.sub(r"\$\$.*?\$\$", "", c.source, flags=re.S)
    assert len(seen) == len(set(seen)), f"{stem}: an equation number is tagged twice"
    for ref in re.findall(r"eqs?\. (6\.\d+)", markdown(stem)):
        assert 1 <= int(ref.split(".")[1]) <= 23, f"{stem}: UDL ch. 6 has no equation {ref}"


def test_index_links_every_lesson():
    md = markdown("00_index")
    for stem in LESSONS:
        assert f"({stem}.ipynb)" in md
