"""Checks of the assignment ``sgd`` (UDL 6.2), declared once (see ``_core``).

References are the recipe of the instructions written out here (one permutation per epoch
from one generator, cut into consecutive batches, the remainder last) and eq. 6.10.
Convention shared with ``problems`` (problem 6.9): a number of epochs is a float, the whole
epochs plus the fraction of the next epoch's batches, ``iterations / ceil(n / batch_size)``.
"""

import math

import numpy as np

from ._core import Check, Code, Hint, Part, bind


def _batches(n, batch_size, rng):  # the recipe, with a while loop
    order, out, k = rng.permutation(n), [], 0
    while k < n:
        out.append(order[k:k + batch_size])
        k += batch_size
    return out


def _batch_grad(grad_i, phi, batch):  # the sum in eq. 6.10
    total = np.zeros(np.shape(phi))
    for i in batch:
        total = total + grad_i(phi, i)
    return total


def _sgd(grad_i, phi0, alpha, n, batch_size, epochs, seed, sampler, batch_grad):  # eq. 6.10
    rng = np.random.default_rng(seed)
    phi = np.array(phi0, dtype=float)
    path = [phi]
    for _ in range(epochs):
        for batch in sampler(n, batch_size, rng):
            phi = phi - alpha * batch_grad(grad_i, phi, batch)
            path.append(phi)
    return np.array(path)


def epochs(iterations, n, batch_size):
    """Epochs made by ``iterations`` steps, as a float (UDL 6.2.1, problem 6.9)."""
    return iterations / math.ceil(n / batch_size)


def _epoch_args(rng):  # iterations, n, batch_size with a smaller last batch most of the time
    n = int(rng.integers(1, 1000))
    return int(rng.integers(0, 400)), n, int(rng.integers(1, n + 1))


def _rng(rng):
    return Code(f"np.random.default_rng({int(rng.integers(0, 2**31))})")


_TWO_EPOCHS = Code('''def _sl_two_epochs(minibatches):
    def run(n, batch_size, seed):
        rng = np.random.default_rng(seed)
        return list(minibatches(n, batch_size, rng)) + list(minibatches(n, batch_size, rng))
    return run''')
_GRAD_I = Code("(lambda x, y: lambda phi, i: np.array([2.0 * (phi[0] + phi[1] * x[i] - y[i]), "
               "2.0 * (phi[0] + phi[1] * x[i] - y[i]) * x[i]]))(*sl.data.linear_regression())",
               label="grad_i")
_GRAD_3 = Code("lambda phi, i: np.array([1.0, float(i), -float(i) ** 2]) * phi",
               label="grad_i with three parameters")
_SAMPLER = Code("lambda n, b, rng: (lambda order: [order[k:k + b] for k in range(0, n, b)])"
                "(rng.permutation(n))", label="the test's sampler")
_BGRAD = Code("lambda gi, phi, batch: sum((gi(phi, i) for i in batch), np.zeros(np.shape(phi)))",
              label="the test's batch gradient")
_GAB_I = Code("(lambda p: lambda phi, i: p.grad(phi, [i]))(sl.GaborRegression(*sl.data.gabor()))",
              label="grad_i of the Gabor model")
_RECIPE = Hint("shuffle with a single call order = rng.permutation(n), then cut order into "
               "consecutive pieces of batch_size", lambda a, g, r: len(g[0]) == len(r[0]))
_REMAINDER = Hint("keep the smaller remainder: the remainder is the last batch (for n = 10, "
                  "batch_size = 4 the sizes are 4, 4, 2)",
                  lambda a, g, r: len(g[0]) == a[0] // a[1] and a[0] % a[1])
_SUM = Hint("you took the mean; eq. 6.10 sums the gradients over the batch",
            lambda a, g, r: np.allclose(np.asarray(g[0]) * len(a[2]), r[0]))
_ROWS = Hint("one rng = np.random.default_rng(seed) before the first epoch; one step per batch; "
             "return every iterate, phi0 first", lambda a, g, r: g[0].shape != r[0].shape)

PARTS = bind([
    Part("test_minibatches", ("minibatches",), (
        Check("minibatches", lambda rng: (10, 4, Code("np.random.default_rng(0)")), _batches,
              kind="batches", visible=True, repeat=1, hints=(_RECIPE, _REMAINDER),
              what="minibatches(10, 4, np.random.default_rng(0)): batch sizes 4, 4, 2, the "
                   "permutation of the recipe"),
        Check("minibatches", lambda rng: (*[(12, 3), (7, 7), (5, 1), (30, 8), (1, 1), (100, 20)][
                  int(rng.integers(0, 6))], _rng(rng)), _batches, kind="batches", repeat=4,
              hints=(_RECIPE, _REMAINDER)),
        Check("minibatches", lambda rng: (20, 5, int(rng.integers(0, 2**31))), _batches,
              driver=_TWO_EPOCHS, kind="batches", repeat=1,
              what="two consecutive epochs from the same rng (do not reseed inside)"),
        Check("minibatches", lambda rng: (10, [0, 11, -2][int(rng.integers(0, 3))],
                                          Code("np.random.default_rng(0)")),
              _batches, raises="ValueError", repeat=2,
              what="batch_size must be between 1 and n"),
    )),
    Part("test_batch_gradient", ("batch_gradient",), (
        Check("batch_gradient", lambda rng: (_GRAD_I, np.array([0.6, -0.2]), [0, 5, 11]),
              _batch_grad, ops=20, visible=True, repeat=1, hints=(_SUM,),
              what="batch_gradient(grad_i, [0.6, -0.2], batch=[0, 5, 11]) on the book's data"),
        Check("batch_gradient", lambda rng: (_GRAD_I, rng.normal(size=2),
                                             [[3], np.array([4, 1, 9, 2]), list(range(12)),
                                              np.array([7, 7])][int(rng.integers(0, 4))]),
              _batch_grad, ops=80, repeat=3, hints=(_SUM,)),
        Check("batch_gradient", lambda rng: (_GRAD_3, rng.normal(size=3), np.array([1, 2, 4])),
              _batch_grad, ops=20, repeat=1, what="batch_gradient with three parameters"),
    )),
    Part("test_sgd", ("sgd",), (
        Check("sgd", lambda rng: (_GRAD_I, [1.6, -0.5], 0.05, 12, 5, 3, 0, _SAMPLER, _BGRAD),
              _sgd, ops=2000, visible=True, repeat=1, hints=(_ROWS,),
              what="SGD iterates (rows) for 3 epochs of batches 5, 5, 2 (reference: eq. 6.10 "
                   "with the recipe; equal to sl.minimize with batch_size=5, seed=0)"),
        Check("sgd", lambda rng: (_GAB_I, [3.5, 6.5], 0.8, 30, 5, int(rng.integers(1, 5)),
                                  int(rng.integers(0, 2**31)), _SAMPLER, _BGRAD),
              _sgd, ops=20000, repeat=1, hints=(_ROWS,)),
        Check("sgd", lambda rng: (_GRAD_I, rng.normal(size=2), 0.01, 12, 12, int(rng.integers(1, 6)),
                                  int(rng.integers(0, 2**31)), _SAMPLER, _BGRAD),
              _sgd, ops=5000, repeat=1, what="SGD with batch_size = n (full-batch gradient descent)"),
    )),
    Part("test_epochs_for", ("epochs_for",), (
        Check("epochs_for", lambda rng: (1000, 100, 20), epochs, visible=True, repeat=1,
              what="epochs_for(1000, n=100, batch_size=20) (problem 6.9: 200.0)"),
        Check("epochs_for", lambda rng: (30, 10, 4), epochs, visible=True, repeat=1,
              what="epochs_for(30, n=10, batch_size=4) (3 steps per epoch: 10.0)",
              hints=(Hint("the smaller last batch is a step of its own: ceil(n / batch_size) steps "
                          "per epoch", lambda a, g, r: np.isclose(g[0], a[0] * a[2] / a[1])),)),
        Check("epochs_for", _epoch_args, epochs, repeat=5,
              hints=(Hint("a number of epochs is a float here (whole epochs plus the fraction of "
                          "the next epoch's batches), not only the completed epochs",
                          lambda a, g, r: float(g[0]) == math.floor(r[0]) != r[0]),
                     Hint("the smaller last batch is a step of its own: ceil(n / batch_size) steps "
                          "per epoch", lambda a, g, r: np.isclose(g[0], a[0] * a[2] / a[1])))),
    )),
])
visible, hidden, PARTS = PARTS
