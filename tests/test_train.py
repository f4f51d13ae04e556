"""The training loop: minibatches (UDL 6.2, eq. 6.10), epochs (problem 6.9), divergence and
argument checks (docs/architecture.md, the training loop)."""

import numpy as np
import pytest

import steplab as sl


@pytest.fixture()
def linear100():
    return sl.LinearRegression(*sl.data.make_linear(100, seed=0))


def test_problem_6_9_epoch_count(linear100):
    """Problem 6.9: 1000 iterations, 100 points, batch size 20 -> 5 batches per epoch,
    so 1000 / 5 = 200 epochs."""
    traj = sl.minimize(linear100, sl.SGD(alpha=0.001), [0.0, 0.0], steps=1000, batch_size=20)
    assert traj.steps == 1000
    assert traj.epoch[-1] == 200
    assert traj.epoch[0] == 0
    assert np.all(np.diff(traj.epoch) >= 0)
    assert len(traj.batches) == 1000
    assert all(len(b) == 20 for b in traj.batches)


def test_partial_last_batch():
    """10 points in batches of 3: ceil(10/3) = 4 batches per epoch, sizes 3, 3, 3, 1."""
    p = sl.LinearRegression(*sl.data.make_linear(10, seed=1))
    assert sl.batches_per_epoch(10, 3) == 4
    traj = sl.minimize(p, sl.SGD(alpha=0.01), [0.0, 0.0], epochs=3, batch_size=3)
    assert traj.steps == 12
    assert [len(b) for b in traj.batches] == [3, 3, 3, 1] * 3
    np.testing.assert_array_equal(traj.epoch, np.arange(13) // 4)
    assert traj.epoch[-1] == 3


def test_each_epoch_is_a_permutation(linear100):
    """Minibatches are drawn without replacement (UDL 6.2): every epoch uses each point once."""
    traj = sl.minimize(linear100, sl.SGD(alpha=0.001), [0.0, 0.0], epochs=4, batch_size=30)
    nb = sl.batches_per_epoch(100, 30)
    orders = []
    for e in range(4):
        order = np.concatenate(traj.batches[e * nb:(e + 1) * nb])
        np.testing.assert_array_equal(np.sort(order), np.arange(100))
        orders.append(order)
    assert not np.array_equal(orders[0], orders[1])  # reshuffled each epoch


def test_sgd_step_uses_the_batch_sum(linear100):
    """UDL eq. 6.10 transcribed: phi <- phi - alpha * sum_{i in batch} grad_i(phi)."""
    traj = sl.minimize(linear100, sl.SGD(alpha=0.002), [0.5, -0.5], steps=30, batch_size=7)
    x, y = linear100.x, linear100.y
    phi = np.array([0.5, -0.5])
    for t, idx in enumerate(traj.batches, start=1):
        r = phi[0] + phi[1] * x[idx] - y[idx]
        phi = phi - 0.002 * np.array([2 * r.sum(), 2 * (r * x[idx]).sum()])
        np.testing.assert_allclose(traj.phi[t], phi, rtol=1e-12)


def test_same_seed_same_trajectory_different_seed_different(linear100):
    kw = dict(steps=50, batch_size=10)
    a = sl.minimize(linear100, sl.Momentum(alpha=0.001, beta=0.9), [0.0, 0.0], seed=5, **kw)
    b = sl.minimize(linear100, sl.Momentum(alpha=0.001, beta=0.9), [0.0, 0.0], seed=5, **kw)
    c = sl.minimize(linear100, sl.Momentum(alpha=0.001, beta=0.9), [0.0, 0.0], seed=6, **kw)
    np.testing.assert_array_equal(a.phi, b.phi)
    assert not np.array_equal(a.phi, c.phi)


def test_shuffle_false_keeps_data_order(linear100):
    traj = sl.minimize(linear100, sl.SGD(alpha=0.001), [0.0, 0.0], epochs=2, batch_size=25,
                       shuffle=False)
    want = [np.arange(k, k + 25) for k in range(0, 100, 25)] * 2
    for got, w in zip(traj.batches, want, strict=True):
        np.testing.assert_array_equal(got, w)


def test_full_batch_steps_are_epochs():
    p = sl.LinearRegression(*sl.data.linear_regression())
    traj = sl.minimize(p, sl.GradientDescent(alpha=0.01), [1.6, -0.5], epochs=7)
    assert traj.steps == 7
    np.testing.assert_array_equal(traj.epoch, np.arange(8))
    assert traj.batches is None
    # loss recorded at every iterate is the full-data loss
    np.testing.assert_allclose(traj.loss, [p.loss(q) for q in traj.phi], rtol=1e-12)


def test_divergence_stops_with_a_message():
    p = sl.LinearRegression(*sl.data.linear_regression())
    traj = sl.minimize(p, sl.GradientDescent(alpha=1.0), [1.6, -0.5], steps=2000)
    assert traj.diverged
    assert "smaller learning rate" in traj.message
    assert "step" in traj.message
    step = int(traj.message.split("step ")[1].split(":")[0])
    assert 1 <= step <= 2000
    assert np.all(np.isfinite(traj.phi)) and np.all(np.isfinite(traj.loss))
    assert traj.steps < 2000


def test_divergence_can_raise():
    p = sl.LinearRegression(*sl.data.linear_regression())
    with pytest.raises(sl.DivergenceError, match="smaller learning rate"):
        sl.minimize(p, sl.GradientDescent(alpha=1.0), [1.6, -0.5], steps=2000,
                    on_divergence="raise")


def test_schedule_sets_each_steps_learning_rate():
    """GD with alpha_t from a schedule, transcribed: phi <- phi - alpha_t g."""
    p = sl.LinearRegression(*sl.data.linear_regression())
    sched = sl.schedules.linear_decay(0.02, 0.002, 10)
    traj = sl.minimize(p, sl.GradientDescent(alpha=0.5), [1.6, -0.5], steps=15, schedule=sched)
    phi = np.array([1.6, -0.5])
    for t in range(1, 16):
        a = (1 - min(t, 10) / 10) * 0.02 + min(t, 10) / 10 * 0.002   # Goodfellow eq. 8.14
        phi = phi - a * p.grad(phi)
        np.testing.assert_allclose(traj.phi[t], phi, rtol=1e-12)


def test_clip_limits_the_gradient_norm():
    g = np.array([3.0, 4.0])
    np.testing.assert_allclose(sl.clip_by_norm(g, 1.0), [0.6, 0.8])
    assert sl.clip_by_norm(g, 10.0) is g
    p = sl.LinearRegression(*sl.data.linear_regression())
    traj = sl.minimize(p, sl.GradientDescent(alpha=0.1), [1.6, -0.5], steps=5, clip=0.5)
    assert np.all(np.linalg.norm(np.diff(traj.phi, axis=0), axis=1) <= 0.05 + 1e-12)


def test_polyak_average():
    """Goodfellow 8.7.3: running mean of the iterates, or an exponential moving average."""
    phis = np.array([[0.0], [2.0], [4.0]])
    np.testing.assert_allclose(sl.polyak_average(phis), [[0.0], [1.0], [2.0]])
    np.testing.assert_allclose(sl.polyak_average(phis, decay=0.5), [[0.0], [1.0], [2.5]])


def test_plain_object_and_function_optimizers_run():
    class Halve:
        def init(self, phi):
            return 0

        def step(self, phi, state, grad_fn, alpha=None):
            return phi / 2, state + 1

    p = sl.Quadratic(np.eye(2))
    traj = sl.minimize(p, Halve(), [1.0, 1.0], steps=3)
    np.testing.assert_allclose(traj.final, [0.125, 0.125])
    assert traj.label == "Halve"
    traj = sl.minimize(p, lambda phi, g: phi - 0.5 * g, [1.0, 1.0], steps=1)
    np.testing.assert_allclose(traj.final, [0.5, 0.5])


BAD_CALLS = [
    (dict(phi0=[1.0, 2.0, 3.0]), "phi0"),                       # wrong shape
    (dict(phi0=[[1.0, 2.0]]), "phi0"),                          # not 1-D
    (dict(phi0=[np.nan, 0.0]), "phi0"),                         # NaN
    (dict(opt=lambda: sl.GradientDescent(alpha=-0.1)), "alpha"),  # negative learning rate
    (dict(opt=lambda: sl.Momentum(beta=1.0)), "beta"),          # beta outside [0, 1)
    (dict(opt=lambda: sl.Adam(beta=-0.2)), "beta"),
    (dict(batch_size=13), "batch_size"),                        # larger than the data
    (dict(batch_size=0), "batch_size"),
    (dict(steps=5, epochs=5), "steps or epochs"),               # both
    (dict(steps=None), "steps=... "),                           # neither
    (dict(steps=0), "steps"),
    (dict(on_divergence="ignore"), "on_divergence"),
    (dict(schedule=0.1), "schedule"),
    (dict(schedule=lambda t: -0.1), "schedule"),
    (dict(clip=-1.0), "clip"),
]


@pytest.mark.parametrize("kwargs,arg", BAD_CALLS)
def test_bad_arguments_raise_value_error_naming_them(kwargs, arg):
    p = sl.LinearRegression(*sl.data.linear_regression())  # 12 points
    call = dict(problem=p, opt=sl.GradientDescent(alpha=0.01), phi0=[1.6, -0.5], steps=5)
    kwargs = dict(kwargs)
    opt = kwargs.pop("opt", None)
    call.update(kwargs)
    with pytest.raises(ValueError, match=arg):
        if opt is not None:
            call["opt"] = opt()
        sl.minimize(**call)
