"""steplab.figures: one test per book figure, checking the data drawn (start and end points,
step counts, ranges, contour levels), with expected values from the captions of the book,
the book's companion notebook values, closed forms, or independent transcriptions written here."""

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import steplab as sl  # noqa: E402
from steplab import figures as F  # noqa: E402
from steplab import style  # noqa: E402

# companion notebook
LS_OPTIMUM = np.array([0.8260, 0.5222])
GABOR_GLOBAL = np.array([0.00, 16.03])


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _gabor_f(phi, x):
    """eq. 6.8 transcribed: z = phi0 + 0.06 phi1 x, f = sin z exp(-z^2/32)."""
    z = phi[0] + 0.06 * phi[1] * x
    return np.sin(z) * np.exp(-z ** 2 / 32)


def _gabor_grad(phi, x, y):
    """Gradient of sum (f - y)^2 for eq. 6.8, transcribed here (problem 6.3)."""
    z = phi[0] + 0.06 * phi[1] * x
    f = np.sin(z) * np.exp(-z ** 2 / 32)
    df = np.exp(-z ** 2 / 32) * (np.cos(z) - z * np.sin(z) / 16)
    w = 2 * (f - y) * df
    return np.array([w.sum(), (w * 0.06 * x).sum()])


def test_fig_6_1_line_search_on_linear_regression():
    fig, info = F.fig_6_1()
    traj = info["trajectory"]
    assert np.allclose(traj.phi[0], [1.6, -0.5])          # companion notebook start
    assert traj.steps == 10                                # companion notebook: 10 steps
    assert np.all(np.diff(traj.loss) < 0)                 # line search never goes up
    # ends much closer to the least-squares optimum (companion notebook) than it started
    d0, d1 = (np.linalg.norm(p - LS_OPTIMUM) for p in (traj.phi[0], traj.phi[-1]))
    assert d1 < 0.1 * d0
    assert len(info["fits"]) == 5                          # caption: points 0..4 in panel d
    assert np.allclose(info["fits"], traj.phi[:5])
    X, Y, Z = info["grid"]
    assert (X.min(), X.max(), Y.min(), Y.max()) == (0.0, 2.0, -1.0, 1.0)
    assert len(info["levels"]) == style.N_LEVELS
    axc = fig.axes[2]
    assert axc.get_xlim() == (0.0, 2.0) and axc.get_ylim() == (-1.0, 1.0)
    assert np.allclose(axc.lines[0].get_xydata(), traj.phi)   # the drawn path is the run
    assert len(fig.axes[3].lines) == 5


def test_fig_6_2_gabor_models():
    fig, info = F.fig_6_2()
    assert len(fig.axes) == 3
    for k, phi in enumerate(info["phis"]):
        assert np.allclose(info["y"][k], _gabor_f(phi, info["x"]))
        assert np.allclose(fig.axes[k].lines[0].get_ydata(), _gabor_f(phi, info["x"]))
    # caption: larger phi0 moves the wave to the left
    x = info["x"]
    peak0 = x[np.argmax(info["y"][0])]
    peak1 = x[np.argmax(info["y"][1])]
    assert info["phis"][1][0] > info["phis"][0][0] and peak1 < peak0


def test_fig_6_3_gabor_data():
    fig, info = F.fig_6_3()
    assert len(info["x"]) == 30                            # companion notebook (caption says 28)
    assert np.all(np.abs(info["x"]) <= 15)                 # caption: x in [-15, 15]
    assert np.allclose(info["true_phi"], [0.0, 16.6])      # caption
    assert fig.axes[0].get_xlim() == (-15.0, 15.0)
    assert np.allclose(info["fit"].get_ydata(), _gabor_f([0.0, 16.6], info["fit"].get_xdata()))


def test_fig_6_4_gabor_loss_minima_and_saddle():
    fig, info = F.fig_6_4()
    p = sl.GaborRegression(*sl.data.gabor())
    g = info["global_minimum"]
    assert np.allclose(g["phi"], GABOR_GLOBAL, atol=0.02)         # companion notebook
    assert g["loss"] == pytest.approx(0.646, abs=1e-3)             # caption: 0.64
    X, Y, Z = info["grid"]
    assert (X.min(), X.max(), Y.min(), Y.max()) == (-10.0, 10.0, 2.5, 22.5)
    assert len(info["levels"]) == style.N_LEVELS
    assert len(info["local_minima"]) >= 4
    for m in info["local_minima"]:
        assert m["loss"] > g["loss"]
        assert np.linalg.norm(_gabor_grad(m["phi"], p.x, p.y)) < 1e-5
        assert np.all(np.linalg.eigvalsh(p.hessian(m["phi"])) > 0)
    s = info["saddle"]
    assert np.linalg.norm(_gabor_grad(s["phi"], p.x, p.y)) < 1e-5
    w, V = np.linalg.eigh(p.hessian(s["phi"]))
    assert w[0] < 0 < w[1]
    assert abs(V[0, 0]) > 0.9       # caption: moving horizontally lowers the loss
    assert len(info["models"]) == 5                                 # panels b-f
    assert np.allclose(info["models"][1], g["phi"])                 # caption: (c) is global


def test_fig_6_5_gd_line_search_and_sgd():
    fig, info = F.fig_6_5()
    p = sl.GaborRegression(*sl.data.gabor())
    starts = [(-1.5, 8.5), (3.5, 6.5), (2.5, 20.0)]
    for tr, s in zip(info["gd"], starts, strict=True):
        assert np.allclose(tr.phi[0], s) and tr.steps == 21        # companion notebook: 21 steps
    for tr, s in zip(info["sgd"], starts, strict=True):
        assert np.allclose(tr.phi[0], s) and tr.steps == 41        # companion notebook: 41 steps
        assert all(len(b) == 5 for b in tr.batches)                # batch 5
    # caption: starts 1 and 3 reach the global valley, start 2 sticks in a local minimum
    gd2 = info["gd"][1]
    assert gd2.loss[-1] > 5.0
    assert np.linalg.norm(_gabor_grad(gd2.phi[-1], p.x, p.y)) < 0.1
    for k in (0, 2):
        assert info["gd"][k].loss[-1] < 1.5
        assert abs(info["gd"][k].phi[-1][0]) < 0.3
    # SGD lets start 2 escape: it ends far below the local minimum's loss
    assert info["sgd"][1].loss[-1] < 0.5 * gd2.loss[-1]
    for ax in fig.axes:
        assert ax.get_xlim() == (-10.0, 10.0) and ax.get_ylim() == (2.5, 22.5)


def test_fig_6_6_sgd_batches_of_three():
    fig, info = F.fig_6_6()
    p = sl.GaborRegression(*sl.data.gabor())
    phi, alpha = info["phi"], 0.8
    assert len(info["ends"]) == len(list(itertools.combinations(range(30), 3))) == 4060
    for idx, end in zip(info["batches"], info["steps"], strict=True):
        assert len(idx) == 3
        expected = phi - alpha * _gabor_grad(phi, p.x[idx], p.y[idx])     # eq. 6.10
        assert np.allclose(end, expected)
    before, after_b, after_c = info["full_loss"]
    assert after_b < before < after_c          # caption d): a batch step can go uphill
    assert np.isclose(after_c, p.loss(info["steps"][1]))
    assert len(fig.axes) == 4


def test_fig_6_7_sgd_and_momentum():
    fig, info = F.fig_6_7()
    sgd, mom = info["sgd"], info["momentum"]
    for tr in (sgd, mom):
        assert np.allclose(tr.phi[0], [-1.5, 6.5]) and tr.steps == 81     # companion notebook
    assert all(np.array_equal(a, b) for a, b in zip(sgd.batches, mom.batches, strict=True))

    def turning(phi):
        d = np.diff(phi, axis=0)
        a = np.arctan2(d[:, 1], d[:, 0])
        return np.abs((np.diff(a) + np.pi) % (2 * np.pi) - np.pi).sum()

    # caption: momentum gives a smoother path
    assert turning(mom.phi) < 0.7 * turning(sgd.phi)
    assert np.allclose(fig.axes[1].lines[0].get_xydata(), mom.phi)


def test_fig_6_8_momentum_and_nesterov_points():
    fig, info = F.fig_6_8()
    p = sl.GaborRegression(*sl.data.gabor())
    pts, state = info["points"], info["state"]
    alpha, beta = 0.6, 0.6
    phi3, _ = sl.Momentum(alpha=alpha, beta=beta).step(pts[1], state, p.grad)
    phi5, _ = sl.Nesterov(alpha=alpha, beta=beta).step(pts[1], state, p.grad)
    assert np.allclose(pts[3], phi3)
    assert np.allclose(pts[5], phi5)
    # point 4 is where the momentum part alone goes (errata form of eq. 6.12)
    assert np.allclose(pts[4], pts[1] - alpha * beta * info["m"])
    assert np.allclose(info["path"][-1], pts[1])


def test_fig_6_9_adam_and_friends():
    fig, info = F.fig_6_9()
    gd_slow, gd_fast, norm, adam = info["runs"]
    for tr, n in zip(info["runs"], (200, 40, 40, 60), strict=True):     # companion notebook
        assert np.allclose(tr.phi[0], [-0.7, -0.9]) and tr.steps == n
    # a) slow along phi0: phi1 is settled long before phi0 reaches 0.7
    assert abs(gd_slow.phi[-1][1]) < 1e-6 and gd_slow.phi[-1][0] < 0.7
    # b) phi1 oscillates: its sign alternates
    assert np.all(np.diff(np.sign(gd_fast.phi[1:20, 1])) != 0)
    # c) every component moves by alpha = 0.08 (eq. 6.14)
    assert np.allclose(np.abs(np.diff(norm.phi, axis=0)), 0.08, atol=1e-6)
    # d) Adam ends near the minimum (0.7, 0)
    assert np.linalg.norm(adam.phi[-1] - [0.7, 0.0]) < 0.06
    for ax in fig.axes:
        assert ax.get_xlim() == F.RANGES["adam"][0] and ax.get_ylim() == F.RANGES["adam"][1]
    assert len(info["levels"]) == style.N_LEVELS


def _ls_f(x):
    # companion notebook, transcribed: L = 1 - 0.5 exp(-(x-0.65)^2/0.1) - 0.45 exp(-(x-0.35)^2/0.02)
    x = np.asarray(x, float)
    return 1 - 0.5 * np.exp(-(x - 0.65) ** 2 / 0.1) - 0.45 * np.exp(-(x - 0.35) ** 2 / 0.02)


def test_fig_6_10_bracketing():
    fig, info = F.fig_6_10()
    assert info["result"].x == pytest.approx(0.3803, abs=1e-3)         # companion notebook
    # the search starts from 0, 1/3, 2/3, 1 (companion notebook); by hand on the transcribed function:
    # L(1/3) = 0.373 < L(2/3) = 0.498 drops [c, d] -> [0, 2/9, 4/9, 2/3]; there
    # L(2/9) = 0.721 > L(4/9) = 0.384 drops [a, b] -> [2/9, 10/27, 14/27, 2/3]
    a, b = info["brackets"][:2]
    assert np.allclose(a, (0, 2 / 9, 4 / 9, 2 / 3)) and np.allclose(b, (2 / 9, 10 / 27, 14 / 27, 2 / 3))
    # caption order: a) L[b] > L[c], so [a, b] is dropped; b) L[b] < L[c], so [c, d] is dropped
    assert _ls_f(a[1]) > _ls_f(a[2]) and _ls_f(b[1]) < _ls_f(b[2])
    assert info["panels"][1] == info["panels"][0] + 1                  # b follows a
    # c) a tight bracket around the minimum, on a zoomed axis where it is visible
    c = info["brackets"][2]
    assert c[3] - c[0] < 0.02 and c[0] <= 0.3803 <= c[3]
    lo, hi = fig.axes[2].get_xlim()
    assert lo <= c[0] and c[3] <= hi and (c[3] - c[0]) / (hi - lo) > 0.1
    assert fig.axes[0].get_xlim() == (0.0, 1.0)
    assert "drop [a, b]" in fig.axes[0].get_title(loc="left")
    assert "drop [c, d]" in fig.axes[1].get_title(loc="left")
    for ax, br in zip(fig.axes, info["brackets"], strict=True):
        pts = [ln for ln in ax.lines if len(ln.get_xdata()) == 2][0]
        assert np.allclose(pts.get_xdata(), br[1:3])                   # b and c
        singles = [ln.get_xdata()[0] for ln in ax.lines if len(ln.get_xdata()) == 1]
        assert np.isclose(singles, br[0]).any() and np.isclose(singles, br[3]).any()  # a, d


def test_fig_6_11_answers_follow_from_the_functions():
    fig, info = F.fig_6_11()
    assert sorted(info["points"]) == [1, 2, 3, 4, 5, 6, 7]
    fns = info["functions"]
    for label, (panel, x0) in info["points"].items():
        f = fns[panel]
        xs = np.linspace(-3, 3, 60001)
        fx = f(xs)
        near = f(np.array([x0 - 1e-3, x0 + 1e-3]))
        is_local = np.all(near >= f(np.array(x0)) - 1e-12)
        is_global = f(np.array(x0)) <= fx.min() + 1e-9
        expected = "global minimum" if is_global else ("local minimum" if is_local else "neither")
        assert info["answers"][label] == expected, label
    for name, f in fns.items():
        xs = np.linspace(-2, 2.5, 2001)
        convex = np.all(np.diff(f(xs), 2) >= -1e-12)                   # second differences
        assert info["convex"][name] == convex, name
    assert len(fig.axes) == 3


def test_every_figure_fits_a_laptop_and_four_panels_wrap():
    # JupyterLab's output area on a 1366 x 768 screen (default layout) is about 930 px wide
    from steplab import figures, style

    for k in range(1, 12):
        fig, _ = getattr(figures, f"fig_6_{k}")()
        width = fig.get_size_inches()[0] * fig.dpi
        assert width <= style.MAX_WIDTH * fig.dpi <= 900, f"fig. 6.{k}: {width:.0f} px"
    fig, _ = figures.fig_6_9()
    rows = sorted({round(ax.get_position().y0, 2) for ax in fig.axes})
    cols = sorted({round(ax.get_position().x0, 2) for ax in fig.axes})
    assert len(fig.axes) == 4 and len(rows) == 2 and len(cols) == 2     # 2 x 2, panel d shown


def test_no_tick_labels_collide_in_any_figure():
    from test_plots import tick_label_collisions

    from steplab import figures

    for k in range(1, 12):
        fig, _ = getattr(figures, f"fig_6_{k}")()
        assert tick_label_collisions(fig) == [], f"fig. 6.{k}"
