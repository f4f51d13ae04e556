"""A small multilayer perceptron (多层感知机) on real handwritten digits, for lesson 6.10.

The optimizers of chapter 6 on a real network: a one-hidden-layer ReLU network (UDL ch. 3-4)
with a softmax output and the multiclass cross-entropy loss (UDL eq. 5.24), its gradient by
backpropagation (UDL ch. 7) written out one line per equation, and the 8 x 8 digits that
scikit-learn ships with its wheel (1797 images, 10 classes; a copy of the test set of the UCI
"Optical Recognition of Handwritten Digits" data, Alpaydin & Kaynak 1998, CC BY 4.0), read from
disk without any network access.

- :func:`digits` -- the images scaled to [0, 1], split into training and test sets by a seed;
- :class:`MLP` -- a steplab problem: ``loss(phi)`` summed over the training data (as eq. 6.10
  sums over a batch), ``grad(phi, idx)`` over the rows ``idx``, ``accuracy``, ``init``;
- :func:`train` -- the minibatch loop of :func:`steplab.minimize`, recording the training loss,
  the test accuracy and the wall time once per epoch instead of the loss after every step (a
  full pass over the data after every one of hundreds of steps would cost more than training).
"""

from __future__ import annotations

import math
import time
from typing import NamedTuple

import numpy as np

from . import _validate as V
from .optimizers import as_optimizer
from .problems import Problem
from .train import epoch_batches

__all__ = ["digits", "MLP", "train", "TrainingRecord"]


def digits(test_fraction: float = 0.2, seed: int = 0) -> dict:
    """scikit-learn's 8 x 8 handwritten digits: ``x`` rows of 64 pixels scaled from 0..16 to
    [0, 1], ``y`` the digits 0-9; a seeded random ``test_fraction`` is held out.

    Returns ``dict(x_train, y_train, x_test, y_test)``."""
    frac = float(test_fraction)
    if not 0.0 < frac < 1.0:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1; got {test_fraction!r}.")
    table = _digits_table()
    x, y = table[:, :-1] / 16.0, table[:, -1].astype(int)
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = int(round(frac * len(y)))
    test, tr = order[:n_test], order[n_test:]
    return dict(x_train=x[tr], y_train=y[tr], x_test=x[test], y_test=y[test])


def _digits_table() -> np.ndarray:
    """The 1797 x 65 table (64 pixels, then the digit) that scikit-learn ships as
    ``sklearn/datasets/data/digits.csv.gz``, read without importing scikit-learn (which takes
    seconds); through ``sklearn.datasets.load_digits`` where the file is not at that place."""
    import importlib.util
    import os

    spec = importlib.util.find_spec("sklearn")
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(root, "datasets", "data", "digits.csv.gz")
        if os.path.isfile(path):
            return np.loadtxt(path, delimiter=",")
    from sklearn.datasets import load_digits

    data = load_digits()
    return np.column_stack([data.data, data.target])


class MLP(Problem):
    """``f = W2 relu(W1 x + b1) + b2``, softmax over ``K`` classes, cross-entropy summed over
    the data (UDL eqs. 5.22-5.24); ``phi`` is ``(W1, b1, W2, b2)`` flattened, in that order.

    ``grad(phi, idx)`` is backpropagation (UDL section 7.3): the forward pass keeps the
    pre-activations, the backward pass applies the chain rule layer by layer.
    """

    name = "mlp"

    def __init__(self, x, y, hidden: int = 32, classes: int = 10):
        x = np.array(x, dtype=float)
        y = np.array(y)
        if x.ndim != 2 or y.ndim != 1 or len(x) != len(y) or len(y) == 0:
            raise ValueError(f"x must be (n, D) inputs and y n class labels; got shapes {x.shape} "
                             f"and {y.shape}.")
        self.K = V.positive_int(classes, "classes")
        if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= self.K:
            raise ValueError(f"y must hold whole class labels 0..{self.K - 1}; got values "
                             f"{np.unique(y)[:12]}.")
        self.H = V.positive_int(hidden, "hidden")
        self.x, self.y = x, y.astype(int)
        self.n, self.D = x.shape
        self.shapes = ((self.H, self.D), (self.H,), (self.K, self.H), (self.K,))
        self.P = int(sum(np.prod(s) for s in self.shapes))
        self.param_names = tuple(f"phi{k}" for k in range(self.P))

    def unpack(self, phi):
        """``(W1, b1, W2, b2)`` as views into ``phi``."""
        out, start = [], 0
        for shape in self.shapes:
            size = math.prod(shape)            # (np.prod costs more than the rest of a step)
            out.append(phi[start:start + size].reshape(shape))
            start += size
        return tuple(out)

    def init(self, seed: int = 0) -> np.ndarray:
        """Glorot-uniform weights (Goodfellow eq. 8.23), zero biases, from ``seed``."""
        from .init import glorot_uniform

        W1 = glorot_uniform(self.D, self.H, seed=seed).T
        W2 = glorot_uniform(self.H, self.K, seed=seed + 1).T
        return np.concatenate([W1.ravel(), np.zeros(self.H), W2.ravel(), np.zeros(self.K)])

    def logits(self, phi, x=None):
        W1, b1, W2, b2 = self.unpack(self._phi(phi))
        x = self.x if x is None else np.asarray(x, dtype=float)
        return np.maximum(x @ W1.T + b1, 0.0) @ W2.T + b2

    def _loss_one(self, phi):
        f = self.logits(phi)
        fmax = f.max(axis=1, keepdims=True)
        log_z = fmax[:, 0] + np.log(np.exp(f - fmax).sum(axis=1))       # log sum_k exp f_k
        return float(np.sum(log_z - f[np.arange(self.n), self.y]))      # eq. 5.24, summed

    def loss(self, phi):
        phi = self._phi(phi)
        if phi.ndim == 1:
            return self._loss_one(phi)
        flat = phi.reshape(-1, self.P)
        return np.array([self._loss_one(p) for p in flat]).reshape(phi.shape[:-1])

    def grad(self, phi, idx=None):
        W1, b1, W2, b2 = self.unpack(self._phi(phi))
        i = self._idx(idx)
        x, y = self.x[i], self.y[i]
        h_pre = x @ W1.T + b1                                  # pre-activations
        h = np.maximum(h_pre, 0.0)                             # ReLU
        f = h @ W2.T + b2                                      # logits
        p = np.exp(f - f.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)                      # softmax
        df = p
        df[np.arange(len(y)), y] -= 1.0                        # dL/df = p - onehot(y)
        dW2, db2 = df.T @ h, df.sum(axis=0)
        dh_pre = (df @ W2) * (h_pre > 0)                       # back through ReLU
        dW1, db1 = dh_pre.T @ x, dh_pre.sum(axis=0)
        return np.concatenate([dW1.ravel(), db1, dW2.ravel(), db2])

    def hessian(self, phi):
        raise NotImplementedError(f"the {self.P}-parameter network has no Hessian here "
                                  "(it would have P^2 entries, problem 6.11).")

    def accuracy(self, phi, x=None, y=None) -> float:
        """Fraction of rows whose largest logit is the true class (training data by default)."""
        y = self.y if y is None else np.asarray(y)
        return float(np.mean(np.argmax(self.logits(phi, x), axis=1) == y))


class TrainingRecord(NamedTuple):
    """One training run, recorded once per epoch (index 0 = before training)."""

    label: str
    loss: np.ndarray            # (E+1,) training loss summed over the training set
    seconds: np.ndarray         # (E+1,) wall time spent in optimizer steps, cumulative
    test_accuracy: np.ndarray   # (E+1,) accuracy on the held-out set
    phi: np.ndarray             # final parameters
    steps: int
    diverged: bool


def train(problem: MLP, opt, phi0, epochs: int, batch_size: int | None = None, seed: int = 0,
          x_test=None, y_test=None, label: str | None = None) -> TrainingRecord:
    """Minibatch training as in :func:`steplab.minimize` (batches drawn without replacement,
    reshuffled every epoch from ``seed``, gradient summed over the batch, eq. 6.10; ``batch_size
    =None`` is full-batch gradient descent), recording per epoch. A non-finite loss stops it."""
    opt = as_optimizer(opt)
    epochs = V.positive_int(epochs, "epochs")
    if batch_size is not None:
        batch_size = V.positive_int(batch_size, "batch_size")
        if batch_size > problem.n:
            raise ValueError(f"batch_size={batch_size} is larger than the {problem.n} training "
                             f"rows: use at most {problem.n}.")
    phi = np.array(phi0, dtype=float)
    x_test = problem.x if x_test is None else x_test
    y_test = problem.y if y_test is None else y_test
    rng = np.random.default_rng(seed)
    state = opt.init(phi)
    loss, secs, acc = [problem.loss(phi)], [0.0], [problem.accuracy(phi, x_test, y_test)]
    steps, diverged = 0, False
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(epochs):
            batches = ([None] if batch_size is None
                       else epoch_batches(problem.n, batch_size, rng, True))
            start = time.perf_counter()
            for idx in batches:
                phi, state = opt.step(phi, state, lambda p, _i=idx: problem.grad(p, _i))
                steps += 1
            secs.append(secs[-1] + time.perf_counter() - start)
            loss.append(problem.loss(phi))
            if not np.isfinite(loss[-1]):
                diverged = True
                acc.append(np.nan)
                break
            acc.append(problem.accuracy(phi, x_test, y_test))
    return TrainingRecord(label if label is not None else getattr(opt, "name", type(opt).__name__),
                          np.array(loss), np.array(secs), np.array(acc), phi, steps, diverged)
