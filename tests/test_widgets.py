"""steplab.widgets: explorers update the artists they drew (never rebuild the figure), show
what they computed, and turn divergence and student errors into a message in the widget.
Runs under Agg, without a browser (update() and the controls' observers are plain Python)."""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backend_bases import MouseEvent  # noqa: E402

import steplab as sl  # noqa: E402
from steplab import rates  # noqa: E402
from steplab import widgets as W  # noqa: E402
from steplab.mlp_widgets import NetworkExplorer  # noqa: E402

ALL = [
    (W.GDExplorer, dict(problem="linear")),
    (W.GDExplorer, dict(problem="gabor")),
    (W.SGDExplorer, {}),
    (W.MomentumExplorer, {}),
    (W.AdamExplorer, {}),
    (W.PhaseMapExplorer, {}),
    (W.CompareExplorer, {}),
]


#: with the network explorer of lesson 6.10 (without its precompute thread: every change trains)
WITH_NETWORK = ALL + [(NetworkExplorer, dict(epochs=2, precompute=False))]


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _click(fig, ax, x, y):
    fig.canvas.draw()
    px, py = ax.transData.transform((x, y))
    MouseEvent("button_press_event", fig.canvas, px, py, button=1)._process()


def test_import_steplab_does_not_load_matplotlib_or_ipywidgets():
    code = "import sys, steplab; print('matplotlib' in sys.modules, 'ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("cls,kw", ALL, ids=lambda v: getattr(v, "__name__", str(v)))
def test_every_explorer_has_the_common_interface(cls, kw):
    import ipywidgets

    ex = cls(**kw)
    assert isinstance(ex.widget, ipywidgets.Box)
    assert isinstance(ex.status, ipywidgets.HTML)
    assert ex.status in ex.widget.children
    assert ex.fig is not None and callable(ex.compute) and callable(ex.update)
    assert matplotlib.get_backend().lower() == "agg"       # no backend forced
    # labels carry the symbol and the equation number; step counts update on release only
    for name, ctrl in ex.controls.items():
        if name.startswith("alpha") or name in ("beta", "gamma", "epsilon"):
            assert "(6." in ctrl.description, ctrl.description
        if name in ("steps", "epochs", "lam1", "lam2"):
            assert ctrl.continuous_update is False


@pytest.mark.parametrize("cls,kw", ALL, ids=lambda v: getattr(v, "__name__", str(v)))
def test_update_changes_pixels_without_rebuilding(cls, kw):
    ex = cls(**kw)
    fig, axes, artists = ex.fig, list(ex.fig.axes), list(ex._animated)
    before = ex.snapshot()
    key = next(k for k in ("alpha", "alpha_adam", "steps") if k in ex.params)
    ex.update(**{key: ex.params[key] * 0.5 if key != "steps" else ex.params[key] // 2})
    after = ex.snapshot()
    assert ex.fig is fig and list(ex.fig.axes) == axes and list(ex._animated) == artists
    assert (before != after).any(), "the canvas did not change"
    assert ex.last_error is None


def test_gd_explorer_draws_the_computed_trajectory():
    ex = W.GDExplorer("linear")
    ex.update(alpha=0.01, steps=12, start=(1.5, -0.4))
    expected = sl.minimize(sl.LinearRegression(*sl.data.linear_regression()),
                           sl.GradientDescent(0.01), [1.5, -0.4], steps=12)
    assert np.allclose(ex.path[0].get_xydata(), expected.phi)
    assert np.allclose(ex.path[2].get_xydata(), expected.phi[-1:])
    # the fitted model beside the surface is phi0 + phi1 x at the last iterate (eq. 6.4)
    phi = expected.phi[-1]
    assert np.allclose(ex.fit_end.get_ydata(), phi[0] + phi[1] * ex.fit_x)
    assert "loss" in ex.message


def test_compute_is_pure_and_cached():
    ex = W.GDExplorer("linear")
    a = ex.compute(alpha=0.02, steps=5)
    b = ex.compute(alpha=0.02, steps=5)
    assert a is b
    assert a.steps == 5 and np.allclose(a.phi[0], ex.params["start"])
    assert ex.compute(alpha=0.03, steps=5) is not a


def test_slider_change_runs_the_callback():
    ex = W.GDExplorer("linear")
    ex.controls["alpha"].value = 0.005
    assert ex.params["alpha"] == 0.005
    assert np.allclose(ex.path[0].get_xydata(), ex.compute().phi)


def test_click_on_the_surface_sets_the_start():
    ex = W.GDExplorer("linear")
    _click(ex.fig, ex.ax, 0.5, 0.5)
    assert np.allclose(ex.params["start"], (0.5, 0.5), atol=0.02)
    assert np.allclose(ex.path[1].get_xydata(), [ex.params["start"]])


def test_divergence_is_a_message_not_a_traceback():
    ex = W.GDExplorer("linear")
    good = ex.path[0].get_xydata().copy()
    ex.update(alpha=0.9, steps=300)
    assert "diverged" in ex.message and "smaller learning rate" in ex.message
    assert "color:" in ex.status.value and ex.last_error is None
    drawn = ex.path[0].get_xydata()
    assert np.all(np.isfinite(drawn)) and len(drawn) < 301      # only the finite part is drawn
    assert not np.allclose(drawn[1], good[1])
    ex.update(alpha=0.01)             # and it keeps working afterwards
    assert "diverged" not in ex.message


def test_bad_value_from_code_is_a_message():
    ex = W.MomentumExplorer()
    ex.update(beta=1.5)               # Momentum raises ValueError: beta must lie in [0, 1)
    assert "ValueError" in ex.message and "beta" in ex.message
    ex.update(beta=0.5)
    assert ex.last_error is None and "Momentum" in ex.message


def test_student_function_that_raises_keeps_the_explorer_working():
    calls = {"n": 0}

    def broken(phi, grad):
        calls["n"] += 1
        if calls["n"] > 3:
            raise ZeroDivisionError("oops in my step")
        return phi - 0.01 * grad

    ex = W.CompareExplorer("gabor", optimizers={"mine": broken, "GD": sl.GradientDescent(0.05)},
                           steps=3)
    good_left = ex.paths[0][0].get_xydata().copy()
    ex.update(steps=50)
    assert "ZeroDivisionError: oops in my step" in ex.message
    assert "Traceback" not in ex.status.value
    assert np.allclose(ex.paths[0][0].get_xydata(), good_left)      # last good drawing kept
    ref = sl.minimize(sl.GaborRegression(*sl.data.gabor()), sl.GradientDescent(0.05),
                      [-1.5, 8.5], steps=50)
    assert np.allclose(ex.paths[1][0].get_xydata(), ref.phi)        # the other one updated


def test_student_object_and_nan_divergence():
    class MyGD:
        def init(self, phi):
            return 0

        def step(self, phi, state, grad_fn, alpha=None):
            return phi * np.nan, state + 1

    ex = W.CompareExplorer("linear", optimizers={"GD": sl.GradientDescent(0.02), "nan": MyGD()},
                           b="nan")
    assert "diverged" in ex.message
    assert ex.last_error is None


def test_student_wrong_shape_is_reported():
    ex = W.CompareExplorer("linear", optimizers={"bad": lambda phi, g: phi[:1],
                                                "GD": sl.GradientDescent(0.02)})
    assert "ValueError" in ex.message and "shape" in ex.message


def test_sgd_explorer_uses_batches_and_shuffle():
    ex = W.SGDExplorer()
    ex.update(batch_size=6, epochs=3, shuffle=False)
    tr = ex.result
    assert tr.steps == 3 * 5
    assert np.array_equal(tr.batches[0], np.arange(6))              # no shuffling: data order
    ex.update(shuffle=True, seed=3)
    assert not np.array_equal(ex.result.batches[0], np.arange(6))
    assert ex.ax_loss.get_xlim() == (0.0, 3.0)


def test_momentum_explorer_runs_both_methods_on_the_same_batches():
    ex = W.MomentumExplorer()
    mom, nes = ex.result
    assert all(np.array_equal(a, b) for a, b in zip(mom.batches, nes.batches, strict=True))
    assert np.allclose(ex.paths[1][0].get_xydata(), nes.phi)


def test_adam_explorer_bias_correction_switch():
    ex = W.AdamExplorer()
    with_bc = ex.result[2].phi.copy()
    ex.update(bias_correction=False)
    without = ex.result[2].phi
    # eqs. 6.15-6.17 by hand for the first step, per component, with beta = 0.9, gamma = 0.99:
    # corrected m_hat/sqrt(v_hat) = g/|g|; uncorrected (0.1 g)/sqrt(0.01 g^2) = g/|g| too,
    # so the first steps agree and the runs part from step 2 on
    assert np.allclose(with_bc[1], without[1], atol=1e-6)
    assert not np.allclose(with_bc[2:], without[2:])
    assert np.allclose(ex.paths[2][0].get_xydata(), without)


def test_phase_map_click_runs_momentum_and_names_the_regime():
    ex = W.PhaseMapExplorer(lam1=0.5, lam2=2.0)
    _click(ex.fig, ex.ax_map, np.log10(0.3), 0.2)
    a, b = ex.params["alpha"], ex.params["beta"]
    assert a == pytest.approx(0.3, rel=0.05) and b == pytest.approx(0.2, abs=0.02)
    name = rates.regime(a, b, [0.5, 2.0])
    assert ex.regime_text.get_text().startswith(name)
    assert name in ex.message
    q = sl.Quadratic(np.diag([0.5, 2.0]))
    ref = sl.minimize(q, sl.Momentum(alpha=a, beta=b), [1.0, 1.0], steps=ex.params["steps"])
    assert np.allclose(ex.path[0].get_xydata(), ref.phi)
    # the map shows the rate of steplab.rates on its grid, and the optimum is marked
    rate, _ = rates.phase_map([0.5, 2.0], ex.alphas, ex.betas)
    assert np.allclose(ex.image.get_array(), rate)
    opt = rates.optimal_momentum(0.5, 2.0)
    assert np.allclose(ex.opt_mark.get_xydata(), [[np.log10(opt["alpha"]), opt["beta"]]])


def test_phase_map_divergence_message():
    ex = W.PhaseMapExplorer()
    ex.update(alpha=50.0, beta=0.1)
    assert "divergence" in ex.message


def test_unknown_parameter_is_a_value_error():
    with pytest.raises(ValueError, match="unknown parameter"):
        W.GDExplorer("linear", learning_rate=0.1)
    ex = W.GDExplorer("linear")
    with pytest.raises(ValueError, match="unknown parameter"):
        ex.update(lr=0.1)
    with pytest.raises(ValueError, match="linear"):
        W.GDExplorer("quadratic")


def test_savefig_includes_the_live_artists(tmp_path):
    ex = W.GDExplorer("linear")
    ex.savefig(tmp_path / "gd.png")
    img = plt.imread(tmp_path / "gd.png")
    ex2 = W.GDExplorer("linear")
    for a in ex2._animated:
        a.set_visible(False)
    ex2.fig.savefig(tmp_path / "bare.png")
    assert img.shape == plt.imread(tmp_path / "bare.png").shape
    assert (img != plt.imread(tmp_path / "bare.png")).any()


def test_format_error_is_short_and_has_no_traceback():
    msg = W.format_error(KeyError("x" * 1000))
    assert msg.startswith("KeyError: ") and len(msg) <= 300


# -- explorers on a problem object (the blood-test lesson, 6.9) ------------------------------------
def _blood_problem():
    table = sl.data.blood_tests(clean=True)
    x, y = table["MCV"], table["HGB"]
    z = (x - x.mean()) / x.std()
    return sl.LinearRegression(z, y), z, y


def test_sgd_explorer_on_a_problem_object_runs_sgd_there():
    problem, z, y = _blood_problem()
    ex = W.SGDExplorer(problem=problem, start=(100.0, 40.0), batch_size=4, alpha=0.02, seed=2)
    # independent: the same run through the engine directly
    ref = sl.minimize(problem, sl.GradientDescent(0.02), [100.0, 40.0], epochs=8, batch_size=4,
                      seed=2)
    assert np.allclose(ex.path[0].get_xydata(), ref.phi)
    assert ex.controls["batch_size"].max == 39                  # the table's 39 rows
    assert ex.ax_loss.get_xlim() == (0.0, 8.0)
    assert "linear regression" in ex.widget.children[0].value    # the title names the problem
    ex.update(alpha=0.03)                                         # and it updates in place
    assert ex.last_error is None and "SGD α=0.03" in ex.message


def test_default_ranges_and_learning_rate_of_a_problem_object():
    problem, z, y = _blood_problem()
    ex = W.SGDExplorer(problem)                   # positional, like SGDExplorer("gabor")
    # least-squares line by numpy.polyfit (independent of problem.solve)
    slope, intercept = np.polyfit(z, y, 1)
    c = np.array([intercept, slope])
    # z is standardized: sum z = 0, sum z^2 = n, so the Hessian (problem 6.2) is 2 n I and the
    # loss rises by n |d|^2 at distance d from the optimum; from the default start (origin),
    # E = n |c|^2 and the half-width sqrt(4 E / (2 n)) = sqrt(2) |c| on both axes
    w = np.sqrt(2.0) * np.hypot(*c)
    assert ex.params["start"] == (0.0, 0.0)
    assert np.allclose(ex.xlim, (c[0] - w, c[0] + w)) and np.allclose(ex.ylim, (c[1] - w, c[1] + w))
    # alpha: a quarter of the minibatch stability limit 2 n / (B lambda_max) = 2n / (B 2n) = 1/B
    assert ex.params["batch_size"] == 5 and ex.params["alpha"] == pytest.approx(0.25 / 5)
    # explicit ranges win; the start must then lie where the user put it
    ex = W.SGDExplorer(problem, xlim=(100, 200), ylim=(-50, 50), start=(120, 30))
    assert ex.xlim == (100.0, 200.0) and ex.ylim == (-50.0, 50.0)
    assert np.allclose(ex.path[1].get_xydata(), [[120, 30]])


def test_named_problems_keep_their_defaults():
    ex = W.SGDExplorer("gabor")
    assert ex.params == dict(alpha=0.8, batch_size=5, seed=0, epochs=8, shuffle=True,
                             start=(3.5, 6.5))
    # companion notebook: the Gabor surface is drawn over phi0 in [-10, 10], phi1 in [2.5, 22.5]
    assert ex.ax.get_xlim() == (-10.0, 10.0) and ex.ax.get_ylim() == (2.5, 22.5)
    assert W.GDExplorer().params["alpha"] == 0.02 and W.GDExplorer().problem_name == "linear"
    lin = W.SGDExplorer("linear")
    assert isinstance(lin.problem, sl.LinearRegression) and not lin.result.diverged


def test_gd_and_compare_explorers_accept_a_problem_object():
    problem, z, y = _blood_problem()
    ex = W.GDExplorer(problem, start=(120.0, 20.0), alpha=0.005, steps=10)
    ref = sl.minimize(problem, sl.GradientDescent(0.005), [120.0, 20.0], steps=10)
    assert np.allclose(ex.path[0].get_xydata(), ref.phi)
    phi = ref.phi[-1]
    assert np.allclose(ex.fit_end.get_ydata(), phi[0] + phi[1] * ex.fit_x)     # eq. 6.4
    bowl = sl.Function(lambda p: (p ** 2).sum(-1), grad=lambda p: 2 * p, P=2)
    cmp = W.CompareExplorer(bowl, xlim=(-2, 2), ylim=(-1, 3), start=(1.5, 2.0),
                            optimizers={"GD": sl.GradientDescent(0.1)}, steps=5)
    # GD on |phi|^2 multiplies phi by (1 - 2 alpha) = 0.8 each step
    assert np.allclose(cmp.paths[0][0].get_xydata()[-1], 0.8 ** 5 * np.array([1.5, 2.0]))


def test_problem_objects_that_cannot_be_drawn_are_value_errors():
    problem, z, y = _blood_problem()
    with pytest.raises(ValueError, match="2 parameters"):
        W.SGDExplorer(sl.LeastSquares(np.c_[z, z ** 2], y))        # P = 3
    bowl = sl.Function(lambda p: (p ** 2).sum(-1), P=2)
    with pytest.raises(ValueError, match="xlim"):
        W.CompareExplorer(bowl)                                    # no solve(): ranges needed
    with pytest.raises(ValueError, match="data points"):
        W.SGDExplorer(bowl, xlim=(-1, 1), ylim=(-1, 1))             # SGD needs data
    with pytest.raises(ValueError, match="low < high"):
        W.SGDExplorer(problem, xlim=(1, 0), ylim=(0, 1))
    with pytest.raises(ValueError, match="predict"):
        W.GDExplorer(bowl, xlim=(-1, 1), ylim=(-1, 1))


# -- every control, fast paths (issue "every control of every explorer answers fast") --------------
def _other_value(ctrl):
    """A value of ``ctrl`` far from its current one: the end of a slider's range farther away
    (a log slider: in its exponent), the next option of a dropdown, the other checkbox state."""
    import ipywidgets

    if isinstance(ctrl, ipywidgets.Checkbox):
        return not ctrl.value
    if hasattr(ctrl, "options"):
        opts = list(ctrl.options)
        return opts[(opts.index(ctrl.value) + 1) % len(opts)]
    if isinstance(ctrl, ipywidgets.FloatLogSlider):
        e = np.log10(ctrl.value)
        return ctrl.base ** (ctrl.min if e - ctrl.min > ctrl.max - e else ctrl.max)
    return ctrl.min if ctrl.value - ctrl.min > ctrl.max - ctrl.value else ctrl.max


@pytest.mark.parametrize("cls,kw", WITH_NETWORK, ids=lambda v: getattr(v, "__name__", str(v)))
def test_every_control_redraws_in_place_without_a_full_draw(cls, kw):
    ex = cls(**kw)
    found = ex.find_controls()
    assert {name for name, _ in found} == set(ex.controls)      # the tree holds every control
    ex.snapshot()                                                # first display (a full draw)
    assert not ex.fig.stale
    fig, axes, artists = ex.fig, list(ex.fig.axes), list(ex._animated)
    draws = ex._blit.full_draws
    initial = {name: ctrl.value for name, ctrl in found}
    plt.ion()          # as in a notebook: pyplot answers a stale figure with a full redraw
    for name, ctrl in found:
        if hasattr(ctrl, "options") and len(ctrl.options) < 2:
            continue
        before = ex.snapshot()
        ctrl.value = _other_value(ctrl)                          # as the browser sets it
        assert ex.params[name] == ctrl.value
        after = ex.snapshot()
        assert (before != after).any(), f"moving {name} did not change the drawing"
        # a figure left stale is redrawn in full by pyplot's hooks (in JupyterLab the kernel
        # then redraws again and again): blitting must leave it clean
        assert not ex.fig.stale, f"moving {name} left the figure stale"
        ctrl.value = initial[name]            # each control is tried from the defaults
    plt.ioff()
    assert ex.fig is fig and list(ex.fig.axes) == axes and list(ex._animated) == artists
    assert ex._blit.full_draws == draws, "a control caused a full redraw (blitting only)"


def test_steps_slider_slices_one_run_and_equals_a_direct_run():
    ex = W.MomentumExplorer()
    problem = sl.GaborRegression(*sl.data.gabor())
    for steps in (81, 40, 150, 7):
        ex.update(steps=steps)
        mom, nes = ex.result
        ref = sl.minimize(problem, sl.Nesterov(alpha=0.6, beta=0.6), [-1.5, 6.5], steps=steps,
                          batch_size=5, seed=1)
        assert np.array_equal(nes.phi, ref.phi) and np.array_equal(nes.loss, ref.loss)
        assert np.array_equal(nes.epoch, ref.epoch) and nes.steps == steps
        assert all(np.array_equal(a, b) for a, b in zip(nes.batches, ref.batches, strict=True))
        assert np.allclose(ex.paths[1][0].get_xydata(), ref.phi)


def test_prefix_of_a_diverged_run_matches_minimize():
    # GD on linear regression with a too large alpha diverges after some steps
    problem = sl.LinearRegression(*sl.data.linear_regression())
    long = sl.minimize(problem, sl.GradientDescent(0.9), [1.6, -0.5], steps=300)
    assert long.diverged
    for steps in (1, 5, len(long.phi) - 2, len(long.phi) - 1, len(long.phi), 300):
        ref = sl.minimize(problem, sl.GradientDescent(0.9), [1.6, -0.5], steps=steps)
        got = W._prefix(long, steps)
        assert got.diverged == ref.diverged and got.message == ref.message
        assert np.array_equal(got.phi, ref.phi) and np.array_equal(got.loss, ref.loss)


def test_sgd_epochs_slider_equals_a_direct_run():
    ex = W.SGDExplorer()
    problem = sl.GaborRegression(*sl.data.gabor())
    for epochs in (8, 3, 20):
        ex.update(epochs=epochs)
        ref = sl.minimize(problem, sl.GradientDescent(0.8), [3.5, 6.5], epochs=epochs,
                          batch_size=5, seed=0)
        assert np.array_equal(ex.result.phi, ref.phi)
        assert np.array_equal(ex.result.epoch, ref.epoch)
        assert ex.ax_loss.get_xlim() == (0.0, float(epochs))


def test_phase_map_contours_are_level_sets_of_the_quadratic():
    ex = W.PhaseMapExplorer(lam1=0.3, lam2=1.7)
    q = sl.Quadratic(np.diag([0.3, 1.7]))
    segs = ex.contours.get_segments()
    assert len(segs) == 12
    for seg in segs:
        values = q.loss(seg)                       # closed form: constant on each ellipse
        assert np.allclose(values, values[0], rtol=1e-12)
    # a new curvature moves the map and the contours, blitted (no full redraw)
    draws = ex._blit.full_draws
    ex.update(lam1=0.05)
    rate, _ = rates.phase_map([0.05, 1.7], ex.alphas, ex.betas)
    assert np.allclose(ex.image.get_array(), rate)
    q2 = sl.Quadratic(np.diag([0.05, 1.7]))
    for seg in ex.contours.get_segments():
        values = q2.loss(seg)
        assert np.allclose(values, values[0], rtol=1e-12)
    assert ex._blit.full_draws == draws
    # the partial redraws (only where the curvatures or the steps changed something) leave
    # exactly the picture a full redraw gives
    for change in (dict(lam2=5.0), dict(steps=200), dict(alpha=0.05, beta=0.9)):
        ex.update(**change)
        blitted = np.array(ex.fig.canvas.buffer_rgba())
        ex.fig.canvas.draw()
        assert np.array_equal(blitted, np.array(ex.fig.canvas.buffer_rgba())), change


def test_explorer_figures_fit_a_laptop_and_hide_the_ipympl_header():
    from unittest import mock

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from steplab import style

    for cls, kw in ALL:
        ex = cls(**kw)
        w, _ = ex.fig.get_size_inches()
        assert w * ex.fig.dpi <= 900, f"{cls.__name__}: {w * ex.fig.dpi:.0f} px wide"

    class IpymplLikeCanvas(FigureCanvasAgg):       # the three traits of ipympl's Canvas
        header_visible, footer_visible, toolbar_position = True, True, "right"

    fig = Figure()
    IpymplLikeCanvas(fig)
    with mock.patch.object(plt, "figure", return_value=fig):
        out = style.figure("pair")
    assert out is fig and out.canvas.header_visible is False
    assert out.canvas.footer_visible is False and out.canvas.toolbar_position == "left"
    with pytest.raises(ValueError, match="laptop"):
        style.figure((12.0, 3.0))


@pytest.mark.parametrize("cls,kw", WITH_NETWORK, ids=lambda v: getattr(v, "__name__", str(v)))
def test_no_tick_labels_collide_in_an_explorer(cls, kw):
    from test_plots import tick_label_collisions

    ex = cls(**kw)
    assert tick_label_collisions(ex.fig) == []
