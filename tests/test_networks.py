"""steplab.networks: the digits MLP of lesson 6.10, against independent references.

- the loss against the cross-entropy written out here with scipy's logsumexp;
- the backpropagated gradient against central finite differences of the loss;
- ``train`` against an independent transcription of minibatch SGD and Adam (UDL eqs. 6.10,
  6.15-6.17) with the documented batch order (a fresh ``rng.permutation`` per epoch, cut into
  consecutive batches), on the network written out here in numpy.
"""

import numpy as np
import pytest
from scipy.special import logsumexp

import steplab as sl
from steplab import networks as N


def forward(phi, x, H=32, D=64, K=10):
    """The network, written out: W1 (H, D), b1, W2 (K, H), b2 flattened in that order."""
    W1 = phi[:H * D].reshape(H, D)
    b1 = phi[H * D:H * D + H]
    W2 = phi[H * D + H:H * D + H + K * H].reshape(K, H)
    b2 = phi[H * D + H + K * H:]
    return np.maximum(x @ W1.T + b1, 0) @ W2.T + b2


def cross_entropy(phi, x, y):
    f = forward(phi, x)
    return float(np.sum(logsumexp(f, axis=1) - f[np.arange(len(y)), y]))   # UDL eq. 5.24


def load_data():
    """The digits read straight from scikit-learn, split by the documented seeded permutation."""
    from sklearn.datasets import load_digits
    d = load_digits()
    x, y = d.data / 16.0, d.target
    order = np.random.default_rng(0).permutation(len(y))
    test, train = order[:359], order[359:]                  # 20 % of 1797, rounded
    return dict(x_train=x[train], y_train=y[train], x_test=x[test], y_test=y[test])


@pytest.fixture(scope="module")
def data():
    return load_data()


def test_digits_split_and_scaling(data):
    d = N.digits(test_fraction=0.2, seed=0)
    assert d["x_train"].shape == (1438, 64) and d["x_test"].shape == (359, 64)
    np.testing.assert_array_equal(d["x_train"], data["x_train"])
    np.testing.assert_array_equal(d["y_test"], data["y_test"])
    assert d["x_train"].min() == 0.0 and d["x_train"].max() == 1.0
    with pytest.raises(ValueError, match="test_fraction"):
        N.digits(test_fraction=1.5)


def test_loss_and_parameter_count(data):
    net = N.MLP(data["x_train"], data["y_train"], hidden=32)
    assert net.P == 64 * 32 + 32 + 32 * 10 + 10
    phi = net.init(seed=3)
    assert net.loss(phi) == pytest.approx(cross_entropy(phi, data["x_train"], data["y_train"]), rel=1e-12)
    # at zero weights every class has probability 1/10
    assert net.loss(np.zeros(net.P)) == pytest.approx(1438 * np.log(10), rel=1e-12)
    stacked = np.stack([phi, 2 * phi])                      # a batch of parameter vectors
    np.testing.assert_allclose(net.loss(stacked), [net.loss(phi), net.loss(2 * phi)], rtol=1e-12)


def test_backpropagation_matches_finite_differences(data):
    x, y = data["x_train"][:40], data["y_train"][:40]
    net = N.MLP(x, y, hidden=32)
    rng = np.random.default_rng(7)
    phi = net.init(seed=1) + 0.1 * rng.standard_normal(net.P)   # non-zero biases too
    g = net.grad(phi)
    h = 1e-6
    for k in range(0, net.P, 7):
        e = np.zeros(net.P)
        e[k] = h
        fd = (cross_entropy(phi + e, x, y) - cross_entropy(phi - e, x, y)) / (2 * h)
        assert g[k] == pytest.approx(fd, abs=1e-5 * max(1.0, abs(fd))), k
    # a batch gradient is the sum over its rows
    np.testing.assert_allclose(net.grad(phi, [3, 5]), net.grad(phi, [3]) + net.grad(phi, [5]), atol=1e-12)


def reference_grad(p, x, y, H=32, D=64, K=10):
    """Backpropagation written out (UDL ch. 7), independent of steplab.networks."""
    W1 = p[:H * D].reshape(H, D)
    W2 = p[H * D + H:H * D + H + K * H].reshape(K, H)
    a = x @ W1.T + p[H * D:H * D + H]
    hid = np.maximum(a, 0)
    f = hid @ W2.T + p[H * D + H + K * H:]
    P = np.exp(f - logsumexp(f, axis=1, keepdims=True))
    P[np.arange(len(y)), y] -= 1
    dA = (P @ W2) * (a > 0)
    return np.concatenate([(dA.T @ x).ravel(), dA.sum(0), (P.T @ hid).ravel(), P.sum(0)])


def reference_train(phi, data, opt, alpha, epochs, B, seed=0, beta=0.9, gamma=0.999, eps=1e-8):
    """Minibatch training written out: ``opt`` is "sgd" (eq. 6.10), "momentum" (eq. 6.11),
    "nesterov" (eq. 6.12, errata form: gradient at phi - alpha beta m), "adam" (eqs. 6.15-6.17),
    "rmsprop" (Goodfellow alg. 8.5, sqrt(r) + eps with eps = 1e-8); ``B=None`` is full batch.
    Batches: a fresh ``rng.permutation`` per epoch cut into consecutive pieces (UDL 6.2)."""
    x, y = data["x_train"], data["y_train"]
    n = len(y)
    rng = np.random.default_rng(seed)
    m = v = np.zeros_like(phi)
    t = 0
    for _ in range(epochs):
        order = rng.permutation(n) if B is not None else np.arange(n)
        for s in range(0, n, B or n):
            i = order[s:s + (B or n)]
            t += 1
            if opt == "nesterov":
                g = reference_grad(phi - alpha * beta * m, x[i], y[i])
            else:
                g = reference_grad(phi, x[i], y[i])
            if opt == "sgd":
                phi = phi - alpha * g
            elif opt in ("momentum", "nesterov"):
                m = beta * m + (1 - beta) * g
                phi = phi - alpha * m
            elif opt == "rmsprop":
                v = gamma * v + (1 - gamma) * g ** 2
                phi = phi - alpha * g / (np.sqrt(v) + eps)
            else:
                m = beta * m + (1 - beta) * g
                v = gamma * v + (1 - gamma) * g ** 2
                phi = phi - alpha * (m / (1 - beta ** t)) / (np.sqrt(v / (1 - gamma ** t)) + eps)
    return phi


def accuracy(phi, data):
    return float(np.mean(np.argmax(forward(phi, data["x_test"]), axis=1) == data["y_test"]))


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_train_is_minibatch_sgd_and_adam(data, opt):
    net = N.MLP(data["x_train"], data["y_train"], hidden=32)
    phi0 = net.init(seed=0)
    alpha = 0.01 if opt == "sgd" else 0.003
    engine = sl.GradientDescent(alpha=alpha) if opt == "sgd" else sl.Adam(alpha=alpha, beta=0.9, gamma=0.999)
    rec = N.train(net, engine, phi0, epochs=2, batch_size=32, seed=0,
                  x_test=data["x_test"], y_test=data["y_test"])
    ref = reference_train(phi0, data, opt, alpha, epochs=2, B=32)
    np.testing.assert_allclose(rec.phi, ref, atol=1e-8)
    assert rec.steps == 2 * 45 and len(rec.loss) == 3
    assert rec.seconds[0] == 0 <= rec.seconds[1] <= rec.seconds[2]
    assert rec.loss[-1] == pytest.approx(cross_entropy(ref, data["x_train"], data["y_train"]), rel=1e-9)
    assert rec.test_accuracy[-1] == pytest.approx(accuracy(ref, data))


def test_bad_input_says_what_to_do(data):
    with pytest.raises(ValueError, match="class labels"):
        N.MLP(data["x_train"], data["y_train"] + 0.5)
    net = N.MLP(data["x_train"][:10], data["y_train"][:10])
    with pytest.raises(ValueError, match="at most 10"):
        N.train(net, sl.GradientDescent(alpha=0.1), net.init(0), epochs=1, batch_size=11)
    with pytest.raises(NotImplementedError, match="P\\^2"):
        net.hessian(net.init(0))


@pytest.fixture
def mlp_widgets():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from steplab import mlp_widgets
    yield mlp_widgets
    plt.close("all")


def test_explorer_redraws_and_reports(mlp_widgets):
    ex = mlp_widgets.NetworkExplorer(epochs=2, precompute=False)
    assert "test accuracy" in ex.message and ex.last_error is None
    before = ex.acc_line.get_ydata().copy()
    ex.update(alpha=1e-4, optimizer="SGD (eq. 6.10)")
    assert not np.allclose(before, ex.acc_line.get_ydata())          # the artists were updated
    assert "SGD" in ex.message
    ex.update(optimizer="nonsense")
    assert "optimizer must be one of" in ex.message


# the explorer's settings, written out (book notation; RMSProp with gamma = 0.9)
EXPLORER_OPTIMIZERS = {
    "SGD (eq. 6.10)": ("sgd", lambda a: sl.GradientDescent(alpha=a)),
    "momentum (eq. 6.11)": ("momentum", lambda a: sl.Momentum(alpha=a, beta=0.9)),
    "Nesterov (eq. 6.12)": ("nesterov", lambda a: sl.Nesterov(alpha=a, beta=0.9)),
    "Adam (eqs. 6.15-6.17)": ("adam", lambda a: sl.Adam(alpha=a, beta=0.9, gamma=0.999)),
    "RMSProp": ("rmsprop", lambda a: sl.RMSProp(alpha=a, gamma=0.9)),
}


@pytest.mark.parametrize("name,alpha,B", [
    ("Nesterov (eq. 6.12)", 0.02, 16), ("RMSProp", 0.001, 64), ("SGD (eq. 6.10)", 0.001, 1438),
    ("Adam (eqs. 6.15-6.17)", 0.002, 8)])
def test_explorer_draws_an_independent_training_run(mlp_widgets, data, name, alpha, B):
    """The curves drawn after a learner sets the controls are the training loss per example and
    the test accuracy of the minibatch training written out above, epoch by epoch."""
    ex = mlp_widgets.NetworkExplorer(epochs=3, precompute=False)
    for control, value in (("optimizer", name), ("alpha", alpha), ("batch_size", B)):
        ex.controls[control].value = value                   # as the browser sets it
    opt = EXPLORER_OPTIMIZERS[name][0]
    phi0 = N.MLP(data["x_train"], data["y_train"]).init(0)
    loss, acc = [], []
    for epochs in range(4):
        phi = reference_train(phi0, data, opt, alpha, epochs=epochs, B=None if B == 1438 else B,
                              gamma=0.9 if opt == "rmsprop" else 0.999)
        loss.append(cross_entropy(phi, data["x_train"], data["y_train"]) / 1438)
        acc.append(accuracy(phi, data))
    epochs, drawn = ex.loss_line.get_data()
    np.testing.assert_array_equal(epochs, np.arange(4))
    assert max(loss) < 10 and min(loss) > 1e-2                  # inside the drawn range
    np.testing.assert_allclose(drawn, loss, rtol=1e-9)
    np.testing.assert_allclose(ex.acc_line.get_ydata(), acc, atol=1e-12)
    assert f"{100 * acc[-1]:.1f}%" in ex.message


def test_precomputed_runs_are_the_runs_of_train(mlp_widgets, data, monkeypatch):
    """The background thread trains the whole grid (here a smaller one, for time); what it
    stored is what ``train`` returns for the same settings, called here directly in this thread,
    to the last bit."""
    monkeypatch.setattr(mlp_widgets, "ALPHAS", (0.001, 0.01, 0.5))
    monkeypatch.setattr(mlp_widgets, "BATCH_SIZES", (32, 256, 1438))
    ex = mlp_widgets.NetworkExplorer(epochs=2)
    assert ex.wait(timeout=600) and ex.ready
    assert len(ex._records) == 5 * 3 * 3
    net = N.MLP(data["x_train"], data["y_train"], hidden=32)
    for name, (_, make) in EXPLORER_OPTIMIZERS.items():
        for alpha in (0.001, 0.01, 0.5):
            for B in (32, 256, 1438):
                ex.update(optimizer=name, alpha=alpha, batch_size=B)
                direct = N.train(net, make(alpha), net.init(0), epochs=2, seed=0,
                                 batch_size=None if B == 1438 else B,
                                 x_test=data["x_test"], y_test=data["y_test"])
                for field in ("loss", "test_accuracy", "phi"):
                    np.testing.assert_array_equal(getattr(ex.result, field), getattr(direct, field))
                assert (ex.result.steps, ex.result.diverged) == (direct.steps, direct.diverged)
    assert len(ex._records) == 5 * 3 * 3                # every one was stored, none trained again
    ex.clear_cache()                                    # forgets drawn results, keeps the runs
    assert len(ex._records) == 5 * 3 * 3 and ex.ready


def test_a_run_in_progress_is_waited_for_not_repeated(mlp_widgets):
    import threading

    started, release, calls, waits = threading.Event(), threading.Event(), [], []

    def run(key):
        calls.append(key)
        started.set()
        release.wait(timeout=30)
        return object()

    records = mlp_widgets._Records(run, before_wait=lambda: (waits.append(1), release.set()))
    other = threading.Thread(target=records.get, args=("k",))
    other.start()
    assert started.wait(timeout=30)
    got = records.get("k")                               # the other thread is running "k"
    other.join(timeout=30)
    assert calls == ["k"] and waits and records.get("k") is got


def test_explorer_grid_and_precompute_thread(mlp_widgets):
    ex = mlp_widgets.NetworkExplorer(epochs=1, alpha=0.003, batch_size=100)
    # values off the grid join their slider; the grid is 1-2-5 per decade, as documented
    assert ex.controls["alpha"].options == (0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.003, 0.005,
                                            0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
    assert ex.controls["batch_size"].options == (8, 16, 32, 64, 100, 128, 256, 1438)
    assert "|B| = 100: 15 steps" in ex.message                     # ceil(1438 / 100)
    ex.close()
    assert not ex._worker.is_alive()
    ex.update(alpha=0.5)                                # a closed explorer computes on demand
    assert not ex._worker.is_alive() and "α = 5.0e-01" in ex.message
    ex.update(epochs=2.5)                               # from code: a message, not a traceback
    assert "epochs must be a whole number" in ex.message and ex.last_error is not None
    for bad, match in ((dict(alpha=-1), "alpha must be"), (dict(batch_size=0), "batch_size must be"),
                       (dict(precompute="yes"), "precompute must be True or False")):
        with pytest.raises(ValueError, match=match):
            mlp_widgets.NetworkExplorer(**bad)


def test_digits_read_without_sklearn_equal_load_digits():
    """digits() reads scikit-learn's bundled file directly (fast); it must hold exactly what
    sklearn.datasets.load_digits returns."""
    from sklearn.datasets import load_digits

    from steplab.networks import _digits_table

    data = load_digits()
    table = _digits_table()
    assert np.array_equal(table[:, :-1], data.data)
    assert np.array_equal(table[:, -1].astype(int), data.target)
