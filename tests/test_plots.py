"""steplab.plots: each function draws the data it is given, takes ax=None, returns its
artists, and evaluates a surface in one vectorized call. Expected values are computed here
from the book's formulas (eqs. 6.5, 6.8), not read back from the code under test."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import steplab as sl  # noqa: E402
from steplab import plots as P  # noqa: E402
from steplab import style  # noqa: E402

X, Y = sl.data.linear_regression()


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _lin():
    return sl.LinearRegression(X, Y)


class Counting(sl.LinearRegression):
    calls = 0

    def loss(self, phi):
        type(self).calls += 1
        return super().loss(phi)


def test_loss_grid_is_one_vectorized_call_with_the_book_loss():
    p = Counting(X, Y)
    Counting.calls = 0
    G0, G1, Z = P.loss_grid(p, (0, 2), (-1, 1), n=7)
    assert Counting.calls == 1
    assert Z.shape == G0.shape == G1.shape == (7, 7)
    # eq. 6.5 written out here: sum_i (phi0 + phi1 x_i - y_i)^2
    i, j = 3, 5
    expected = np.sum((G0[i, j] + G1[i, j] * X - Y) ** 2)
    assert np.isclose(Z[i, j], expected)
    assert G0[0, 0] == 0 and G0[0, -1] == 2 and G1[0, 0] == -1 and G1[-1, 0] == 1


def test_loss_grid_rejects_bad_ranges():
    with pytest.raises(ValueError, match="xlim"):
        P.loss_grid(_lin(), (2, 0), (-1, 1))
    with pytest.raises(ValueError, match="n must"):
        P.loss_grid(_lin(), (0, 2), (-1, 1), n=1)


def test_plot_loss_surface_levels_ranges_and_artists():
    fig, ax = plt.subplots()
    n_before = len(plt.get_fignums())
    out = P.plot_loss_surface(_lin(), (0, 2), (-1, 1), ax=ax, levels=12)
    assert len(plt.get_fignums()) == n_before       # no new figure when ax is given
    assert len(out["contours"].levels) == 12
    assert ax.get_xlim() == (0.0, 2.0) and ax.get_ylim() == (-1.0, 1.0)
    assert out["image"] in ax.images
    X_, Y_, Z = out["grid"]
    assert out["levels"][0] > Z.min() and out["levels"][-1] <= Z.max() + 1e-9


def test_plot_loss_surface_creates_a_figure_only_without_ax():
    n_before = len(plt.get_fignums())
    out = P.plot_loss_surface(_lin(), (0, 2), (-1, 1), n=20)
    assert len(plt.get_fignums()) == n_before + 1
    assert len(out["contours"].levels) == style.N_LEVELS


def test_plot_trajectory_draws_every_iterate():
    p = _lin()
    traj = sl.minimize(p, sl.GradientDescent(0.02), [1.6, -0.5], steps=8)
    out = P.plot_trajectory(traj, numbers=5)
    assert np.allclose(out["line"].get_xydata(), traj.phi)
    assert np.allclose(out["start"].get_xydata(), [[1.6, -0.5]])
    assert np.allclose(out["end"].get_xydata(), traj.phi[-1:])
    assert [t.get_text() for t in out["labels"]] == ["0", "1", "2", "3", "4"]


def test_plot_loss_curve_data_and_scale():
    p = _lin()
    runs = [sl.minimize(p, sl.GradientDescent(a), [1.6, -0.5], steps=5) for a in (0.01, 0.02)]
    lines = P.plot_loss_curve(runs)
    assert len(lines) == 2
    for ln, tr in zip(lines, runs, strict=True):
        assert np.allclose(ln.get_ydata(), tr.loss)
        assert np.array_equal(ln.get_xdata(), np.arange(6))
    assert lines[0].axes.get_yscale() == "log"
    with pytest.raises(ValueError):
        P.plot_loss_curve([])


def test_plot_model_fit_draws_the_linear_model():
    p = _lin()
    phis = np.array([[0.5, 0.1], [0.8, 0.5]])
    out = P.plot_model_fit(p, phis, x_range=(0, 2), n=11)
    xs = np.linspace(0, 2, 11)
    for ln, phi in zip(out["fits"], phis, strict=True):
        assert np.allclose(ln.get_ydata(), phi[0] + phi[1] * xs)     # eq. 6.4
    assert np.allclose(out["data"].get_offsets(), np.c_[X, Y])


def test_plot_bracket_shows_interval_and_points():
    def f(x):
        return (np.asarray(x) - 0.4) ** 2
    out = P.plot_bracket(f, (0.0, 0.25, 0.5, 1.0), x_range=(0, 1))
    assert np.allclose(out["points"].get_xdata(), [0.25, 0.5])
    assert np.allclose(out["points"].get_ydata(), [0.0225, 0.01])
    assert np.allclose(out["current"].get_xdata(), [0.0])
    span = out["span"]
    if hasattr(span, "get_width"):          # matplotlib >= 3.9: a Rectangle
        x0, x1 = span.get_x(), span.get_x() + span.get_width()
    else:                                   # older: a Polygon
        xy = np.asarray(span.get_xy())
        x0, x1 = xy[:, 0].min(), xy[:, 0].max()
    assert np.isclose(x0, 0.0) and np.isclose(x1, 1.0)
    with pytest.raises(ValueError, match="ordered"):
        P.plot_bracket(f, (0.5, 0.25, 0.6, 1.0))


def test_plot_hessian_directions_uses_the_closed_form_hessian():
    p = _lin()
    # problem 6.2: H = 2 [[n, sum x], [sum x, sum x^2]]
    H = 2 * np.array([[len(X), X.sum()], [X.sum(), X @ X]])
    out = P.plot_hessian_directions(p, [0.8, 0.5])
    assert np.allclose(out["eigenvalues"], np.linalg.eigvalsh(H))
    assert len(out["arrows"]) == 2


def test_plot_surface_3d_needs_3d_axes():
    fig = plt.figure()
    ax3 = fig.add_subplot(projection="3d")
    out = P.plot_surface_3d(_lin(), (0, 2), (-1, 1), ax=ax3, n=15)
    assert out["grid"][2].shape == (15, 15)
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="3-D"):
        P.plot_surface_3d(_lin(), (0, 2), (-1, 1), ax=ax, n=5)


def test_plot_function_1d_points():
    out = P.plot_function_1d(lambda x: x ** 2, (-1, 1), points={1: 0.5, 2: -0.5})
    assert np.allclose(out["points"].get_ydata(), [0.25, 0.25])
    assert [t.get_text() for t in out["labels"]] == ["1", "2"]


def test_no_plot_function_calls_show(monkeypatch):
    called = []
    monkeypatch.setattr(plt, "show", lambda *a, **k: called.append(1))
    P.plot_loss_surface(_lin(), (0, 2), (-1, 1), n=10)
    P.plot_trajectory(np.zeros((3, 2)))
    assert not called


def test_style_subplots_gives_a_laptop_sized_grid():
    from steplab import style

    fig, axes = style.subplots(1, 3, size="row3", sharey=True)
    assert axes.shape == (3,) and axes[0].get_shared_y_axes().joined(axes[0], axes[2])
    assert tuple(fig.get_size_inches()) == style.FIGSIZE["row3"]
    assert fig.get_size_inches()[0] <= style.MAX_WIDTH


def tick_label_collisions(fig, gap: float = 24.0):
    """Pairs of tick labels of *different* axes of ``fig`` closer than ``gap`` pixels (about two
    characters) side by side once drawn (e.g. "1.5" of one panel next to "-1.5" of its
    neighbour, which reads as "1.5-1.5"). 3-D axes are left out."""
    from matplotlib.transforms import Bbox

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = []
    for ax in fig.axes:
        if ax.name == "3d":
            continue
        for axis, (lo, hi) in ((ax.xaxis, sorted(ax.get_xlim())), (ax.yaxis, sorted(ax.get_ylim()))):
            for tick in axis.get_major_ticks():
                label = tick.label1
                if not (label.get_visible() and label.get_text() and tick.get_visible()):
                    continue
                if lo - 1e-9 * abs(hi - lo) <= tick.get_loc() <= hi + 1e-9 * abs(hi - lo):
                    b = label.get_window_extent(renderer)
                    boxes.append((ax, label.get_text(), Bbox.from_extents(
                        b.x0 - gap / 2, b.y0 + 1, b.x1 + gap / 2, b.y1 - 1)))
    return [(t1, t2) for i, (a1, t1, b1) in enumerate(boxes) for a2, t2, b2 in boxes[i + 1:]
            if a1 is not a2 and b1.overlaps(b2)]


def test_tick_label_check_finds_a_collision():
    # the check itself: two panels pressed together must be reported
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(4, 2), sharey=True)
    for ax in axes:
        ax.set_xlim(-1.5, 1.5)
        ax.set_xticks([-1.5, 0, 1.5])
    fig.subplots_adjust(wspace=0.0)
    assert ("1.5", "\N{MINUS SIGN}1.5") in tick_label_collisions(fig)
    plt.close(fig)
