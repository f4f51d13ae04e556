"""Loss functions over parameters ``phi``: the models of UDL chapter 6.

Every problem has the same members (DESIGN.md section 2):

``loss(phi)``
    ``phi`` of shape ``(P,)`` gives a float; shape ``(..., P)`` gives an array ``(...)``, so a
    whole grid of parameters is evaluated in one vectorized call (loss surfaces).
``grad(phi, idx=None)``
    gradient of the loss *summed* over the data points ``idx`` (all when ``None``), UDL eq. 6.10.
    Also vectorized over leading axes of ``phi``.
``hessian(phi)``
    the ``(P, P)`` matrix of second derivatives, UDL eq. 6.19.
``n``
    number of data points (0 for a plain function).
``predict(phi, x)``
    the model output, where the problem has a model.

The losses are sums over data points, as in the book (UDL eq. 6.5); a mean would scale the
gradient by ``1/n`` and change which learning rates work.
"""

from __future__ import annotations

import numpy as np

from . import _validate as V
from ._validate import as_phi

__all__ = [
    "Problem",
    "LinearRegression",
    "GaborRegression",
    "LogisticRegression",
    "ShallowNetwork",
    "Function",
    "Quadratic",
    "LeastSquares",
    "fd_gradient",
    "fd_hessian",
]


def fd_gradient(f, phi, h: float = 1e-6) -> np.ndarray:
    """Central finite-difference gradient of a scalar function ``f`` at ``phi`` (any shape).

    ``(f(phi + h e_k) - f(phi - h e_k)) / 2h`` for each component ``k``; the error is O(h^2).
    """
    phi, h = V.array(phi, "phi"), V.rate(h, "h")
    g = np.empty_like(phi)
    flat = g.reshape(-1)
    for k in range(phi.size):
        e = np.zeros(phi.size)
        e[k] = h
        e = e.reshape(phi.shape)
        flat[k] = (float(f(phi + e)) - float(f(phi - e))) / (2 * h)
    return g


def fd_hessian(grad, phi, h: float = 1e-5) -> np.ndarray:
    """Hessian (UDL eq. 6.19) by central differences of a gradient function, symmetrized."""
    phi, h = V.array(phi, "phi"), V.rate(h, "h")
    P = phi.size
    H = np.empty((P, P))
    for k in range(P):
        e = np.zeros(P)
        e[k] = h
        H[:, k] = (np.asarray(grad(phi + e)) - np.asarray(grad(phi - e))) / (2 * h)
    return 0.5 * (H + H.T)


def _meshgrid_axes(phi):
    """If ``phi`` (shape ``(n1, n0, 2)``) is a grid laid out by ``np.meshgrid(a, b)`` (phi0
    constant down columns, phi1 constant along rows), return ``(a, b)``; else ``None``."""
    if phi.ndim != 3 or phi.shape[-1] != 2 or phi.shape[0] < 2 or phi.shape[1] < 2:
        return None
    a, b = phi[0, :, 0], phi[:, 0, 1]
    if np.array_equal(phi[..., 0], np.broadcast_to(a, phi.shape[:2])) and \
            np.array_equal(phi[..., 1], np.broadcast_to(b[:, None], phi.shape[:2])):
        return a, b
    return None


def _total(out):
    """A float for one parameter vector, an array for a grid of them."""
    return float(out) if np.ndim(out) == 0 else out


class Problem:
    """Base class: a loss over ``P`` parameters. Subclasses define ``loss``, ``grad``, ``hessian``."""

    P: int = 0
    n: int = 0
    name: str = "problem"
    #: parameter names in the book's notation, used for labels and messages
    param_names: tuple = ()

    def _phi(self, phi, name: str = "phi") -> np.ndarray:
        return as_phi(phi, self.P, name)

    def _idx(self, idx):
        if idx is None:
            return slice(None)
        idx = np.asarray(idx)
        if idx.dtype.kind not in "iub":
            raise ValueError(f"idx must be data indices (whole numbers in 0..{self.n - 1}) or a "
                             f"boolean mask; got {V.describe(idx)} of {idx.dtype}.")
        if idx.dtype == bool:
            if idx.shape != (self.n,):
                raise ValueError(f"a boolean idx must have shape ({self.n},); got {idx.shape}.")
            return idx
        if idx.size and (idx.min() < -self.n or idx.max() >= self.n):
            raise ValueError(f"idx holds data indices outside 0..{self.n - 1}: {idx}.")
        return idx.astype(int)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(P={self.P}, n={self.n})"


class _DataProblem(Problem):
    """A model ``f(x; phi)`` fitted to ``(x, y)`` data; stores float64 copies, read-only."""

    def __init__(self, x, y):
        x = np.array(V.array(x, "x"))
        y = np.array(V.array(y, "y"))
        if x.ndim != 1 or y.ndim != 1 or x.shape != y.shape:
            raise ValueError(f"x and y must be 1-D arrays of the same length; got shapes "
                             f"{x.shape} and {y.shape}.")
        if x.size == 0:
            raise ValueError("x and y are empty: a data problem needs at least one data point.")
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            raise ValueError("x and y contain NaN or infinite values: remove or fix those rows.")
        x.flags.writeable = False
        y.flags.writeable = False
        self.x, self.y, self.n = x, y, x.size

    def _xy(self, idx):
        sel = self._idx(idx)
        return self.x[sel], self.y[sel]


class LinearRegression(_DataProblem):
    """1-D linear regression, UDL eqs. 6.4-6.7.

    Model ``f[x, phi] = phi0 + phi1*x`` (eq. 6.4; phi0 intercept, phi1 slope); least-squares
    loss ``L = sum_i (phi0 + phi1*x_i - y_i)^2`` (eq. 6.5), a sum of one term per data point
    (eq. 6.6). Gradient (eq. 6.7)::

        dL/dphi0 = sum_i 2 (phi0 + phi1 x_i - y_i)
        dL/dphi1 = sum_i 2 (phi0 + phi1 x_i - y_i) x_i

    The Hessian (problem 6.2) is constant: ``2 [[n, sum x], [sum x, sum x^2]]``.

    Example
    -------
    >>> from steplab import LinearRegression, data
    >>> p = LinearRegression(*data.linear_regression())
    >>> round(p.loss([0.6, -0.2]), 3)
    12.367
    """

    P = 2
    name = "linear regression"
    param_names = ("phi0", "phi1")

    def predict(self, phi, x):
        phi = self._phi(phi)
        x = V.array(x, "x")
        return phi[..., 0, None] + phi[..., 1, None] * x if phi.ndim > 1 else phi[0] + phi[1] * x

    def residuals(self, phi, idx=None):
        """``f[x_i, phi] - y_i`` for the selected points; shape ``(..., n_selected)``."""
        phi = self._phi(phi)
        x, y = self._xy(idx)
        f = phi[..., 0, None] + phi[..., 1, None] * x           # eq. 6.4
        return f - y

    def loss(self, phi):
        r = self.residuals(phi)
        return _total(np.sum(r**2, axis=-1))                    # eq. 6.5

    def grad(self, phi, idx=None):
        """Eq. 6.7 summed over the data points ``idx`` (all when ``None``; eq. 6.10)."""
        x, _ = self._xy(idx)
        r = self.residuals(phi, idx)
        dL_dphi0 = 2 * np.sum(r, axis=-1)                       # eq. 6.7: sum_i 2 r_i
        dL_dphi1 = 2 * (r @ x)                                  # eq. 6.7: sum_i 2 r_i x_i
        return np.stack([dL_dphi0, dL_dphi1], axis=-1)

    def hessian(self, phi=None):
        """Constant Hessian of eq. 6.5 (problem 6.2); ``phi`` is accepted and ignored."""
        x = self.x
        return 2.0 * np.array([[x.size, x.sum()], [x.sum(), x @ x]])

    def solve(self):
        """Closed-form least-squares optimum (the normal equations), for reference."""
        X = np.stack([np.ones_like(self.x), self.x], axis=1)
        return np.linalg.solve(X.T @ X, X.T @ self.y)


class GaborRegression(_DataProblem):
    """The Gabor model of UDL eq. 6.8, with least-squares loss (eq. 6.9).

    ``z = phi0 + 0.06*phi1*x``, ``f[x, phi] = sin(z) * exp(-z^2/32)``,
    ``L = sum_i (f[x_i, phi] - y_i)^2``. With ``f'(z) = exp(-z^2/32)(cos z - z sin z / 16)``
    the gradient (problem 6.3) is ``dL/dphi0 = sum 2 r_i f'(z_i)``,
    ``dL/dphi1 = sum 2 r_i f'(z_i) 0.06 x_i`` where ``r_i = f(x_i) - y_i``.
    """

    P = 2
    name = "Gabor model"
    param_names = ("phi0", "phi1")
    SCALE = 0.06

    def _z(self, phi, x):
        """The argument ``z = phi0 + 0.06 phi1 x`` of eq. 6.8."""
        return phi[..., 0, None] + self.SCALE * phi[..., 1, None] * x

    @staticmethod
    def _f(z):
        """Eq. 6.8 as a function of ``z``: ``sin(z) exp(-z^2/32)``."""
        return np.sin(z) * np.exp(-z**2 / 32.0)

    @staticmethod
    def _df(z):
        """``df/dz`` (problem 6.3)."""
        return np.exp(-z * z / 32.0) * (np.cos(z) - z * np.sin(z) / 16.0)

    @staticmethod
    def _d2f(z):
        s, c = np.sin(z), np.cos(z)
        return np.exp(-z * z / 32.0) * (-z * c / 8.0 + z * z * s / 256.0 - 17.0 * s / 16.0)

    def predict(self, phi, x):
        phi = self._phi(phi)
        x = V.array(x, "x")
        out = self._f(self._z(phi, x.reshape(-1)))
        return out.reshape(phi.shape[:-1] + x.shape)

    def loss(self, phi):
        phi = self._phi(phi)
        axes = _meshgrid_axes(phi)
        if axes is not None:                                    # a loss surface: same values,
            return self.loss_grid(*axes)                        # computed faster
        r = self._f(self._z(phi, self.x)) - self.y              # eq. 6.8
        return _total(np.sum(r**2, axis=-1))                    # eq. 6.9

    def loss_grid(self, phi0_values, phi1_values, rows: int = 8):
        """Speed version of :meth:`loss` for a loss surface (figs. 6.3-6.8): the loss on the grid
        ``phi0 in phi0_values`` (columns) x ``phi1 in phi1_values`` (rows), as ``np.meshgrid``
        lays it out, shape ``(len(phi1_values), len(phi0_values))``.

        The same eqs. 6.8-6.9, equal to :meth:`loss` to rounding (tests/test_problems.py).
        With ``z = a + b``, ``a = phi0``, ``b = 0.06 phi1 x``, the sine addition formula
        ``sin z = sin a cos b + cos a sin b`` takes sines and cosines only of the
        ``len(a) + len(b) * n`` distinct arguments instead of all ``len(a) * len(b) * n``, and
        ``rows`` rows are done at a time so the temporaries stay in cache.

        Why it exists (measured on the 2-core course machine, one thread, while other jobs
        ran): the default 121 x 121 surface, computed whenever a Gabor figure (figs. 6.3-6.8)
        or explorer is built, takes about 7 ms this way and about 37 ms with the plain formula
        of :meth:`loss` (5x); a lesson builds several. ``benchmarks/bench_engine.py`` (section
        4) prints both in one run. No threads: the surface is built once per figure, not on
        every slider move.
        """
        a = V.array(phi0_values, "phi0_values").reshape(-1)
        c = V.array(phi1_values, "phi1_values").reshape(-1)
        rows = V.positive_int(rows, "rows")
        b = (self.SCALE * c)[:, None] * self.x                  # 0.06 phi1 x, per row
        sin_a, cos_a = np.sin(a)[:, None], np.cos(a)[:, None]
        sin_b, cos_b = np.sin(b), np.cos(b)
        out = np.empty((c.size, a.size))
        for r0 in range(0, c.size, rows):
            blk = slice(r0, r0 + rows)
            z = a[:, None] + b[blk, None, :]
            sin_z = sin_a * cos_b[blk, None, :] + cos_a * sin_b[blk, None, :]
            f = sin_z * np.exp(-z**2 / 32.0)                    # eq. 6.8
            out[blk] = np.sum((f - self.y) ** 2, axis=-1)       # eq. 6.9
        return out

    def grad(self, phi, idx=None):
        """Problem 6.3, summed over the data points ``idx`` (all when ``None``)."""
        phi = self._phi(phi)
        x, y = self._xy(idx)
        z = self._z(phi, x)
        r = self._f(z) - y                                      # residuals of eq. 6.9
        dL_dphi0 = np.sum(2 * r * self._df(z), axis=-1)                     # dz/dphi0 = 1
        dL_dphi1 = np.sum(2 * r * self._df(z) * self.SCALE * x, axis=-1)    # dz/dphi1 = 0.06 x
        return np.stack([dL_dphi0, dL_dphi1], axis=-1)

    def hessian(self, phi):
        phi = self._phi(phi)
        x, y = self.x, self.y
        z = self._z(phi, x)
        d1 = self._df(z)
        w = 2.0 * (d1 * d1 + (self._f(z) - y) * self._d2f(z))
        a = self.SCALE * x
        return np.array([[w.sum(), w @ a], [w @ a, w @ (a * a)]])


class LogisticRegression(_DataProblem):
    """Logistic regression, UDL eqs. 6.21-6.22 (problem 6.4), binary cross-entropy loss.

    ``Pr(y=1|x) = sig(phi0 + phi1*x)`` with ``sig(z) = 1/(1+exp(-z))``;
    ``L = -sum_i [y_i log p_i + (1-y_i) log(1-p_i)] = sum_i [log(1+e^{z_i}) - y_i z_i]``
    (computed in the second, overflow-free form). Gradient ``sum_i (p_i - y_i)[1, x_i]``;
    Hessian ``sum_i p_i(1-p_i)[1, x_i][1, x_i]^T``, positive semi-definite, so the loss is convex.
    """

    P = 2
    name = "logistic regression"
    param_names = ("phi0", "phi1")

    def __init__(self, x, y):
        super().__init__(x, y)
        if not np.all((self.y == 0) | (self.y == 1)):
            raise ValueError("logistic regression needs labels y in {0, 1}; got values "
                             f"{np.unique(self.y)[:5]}.")

    def _z(self, phi, x):
        return phi[..., 0, None] + phi[..., 1, None] * x

    def predict(self, phi, x):
        """``Pr(y=1 | x)``, eq. 6.21."""
        phi = self._phi(phi)
        x = np.asarray(x, dtype=float)
        out = _sigmoid(self._z(phi, x.reshape(-1)))
        return out.reshape(phi.shape[:-1] + x.shape)

    def loss(self, phi):
        phi = self._phi(phi)
        z = self._z(phi, self.x)
        out = (np.logaddexp(0.0, z) - self.y * z).sum(-1)
        return float(out) if out.ndim == 0 else out

    def grad(self, phi, idx=None):
        phi = self._phi(phi)
        x, y = self._xy(idx)
        d = _sigmoid(self._z(phi, x)) - y
        return np.stack([d.sum(-1), d @ x], axis=-1)

    def hessian(self, phi):
        phi = self._phi(phi)
        p = _sigmoid(self._z(phi, self.x))
        w = p * (1 - p)
        x = self.x
        return np.array([[w.sum(), w @ x], [w @ x, w @ (x * x)]])


def _sigmoid(z):
    """Logistic sigmoid, eq. 6.22, without overflow for large |z|."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


class ShallowNetwork(_DataProblem):
    """The 10-parameter shallow ReLU network of UDL eq. 6.23 (problem 6.5), least squares.

    ``f[x] = phi0 + phi1 a[theta0 + theta1 x] + phi2 a[beta0 + beta1 x] + phi3 a[gamma0 + gamma1 x]``
    with ``a[z] = max(0, z)``. Parameter order:
    ``phi0, phi1, phi2, phi3, theta0, theta1, beta0, beta1, gamma0, gamma1``.

    The ReLU has no derivative at ``z = 0``; like PyTorch we use ``a'(0) = 0`` (the step
    function ``1[z > 0]``). Away from the kinks ``grad`` equals finite differences.
    """

    P = 10
    name = "shallow network"
    param_names = ("phi0", "phi1", "phi2", "phi3", "theta0", "theta1",
                   "beta0", "beta1", "gamma0", "gamma1")

    @staticmethod
    def _pre(phi, x):
        # pre-activations of the three hidden units, shape (..., 3, n)
        bias = phi[..., 4::2, None]
        slope = phi[..., 5::2, None]
        return bias + slope * x

    def _forward(self, phi, x):
        z = self._pre(phi, x)
        h = np.maximum(z, 0.0)
        f = phi[..., 0, None] + np.einsum("...k,...kn->...n", phi[..., 1:4], h)
        return z, h, f

    def predict(self, phi, x):
        phi = self._phi(phi)
        x = np.asarray(x, dtype=float)
        out = self._forward(phi, x.reshape(-1))[2]
        return out.reshape(phi.shape[:-1] + x.shape)

    def loss(self, phi):
        phi = self._phi(phi)
        r = self._forward(phi, self.x)[2] - self.y
        out = np.einsum("...i,...i->...", r, r)
        return float(out) if out.ndim == 0 else out

    def jacobian(self, phi, idx=None):
        """``df(x_i)/dphi`` for the selected points: shape ``(..., n_selected, 10)``."""
        phi = self._phi(phi)
        x, _ = self._xy(idx)
        z, h, _ = self._forward(phi, x)
        step = (z > 0).astype(float)                       # a'(z), with a'(0) = 0
        dz = phi[..., 1:4, None] * step                    # d f / d (pre-activation)
        cols = [np.ones_like(h[..., 0, :]), h[..., 0, :], h[..., 1, :], h[..., 2, :]]
        for k in range(3):
            cols += [dz[..., k, :], dz[..., k, :] * x]
        return np.stack(cols, axis=-1)

    def grad(self, phi, idx=None):
        phi = self._phi(phi)
        x, y = self._xy(idx)
        r = self._forward(phi, x)[2] - y
        return 2.0 * np.einsum("...n,...np->...p", r, self.jacobian(phi, idx))

    def hessian(self, phi):
        """Gauss-Newton term ``2 J^T J`` plus ``2 sum r_i d2f_i``; ReLU'' = 0 away from kinks."""
        phi = self._phi(phi)
        x = self.x
        z, _, f = self._forward(phi, x)
        r = f - self.y
        J = self.jacobian(phi)
        H = 2.0 * J.T @ J
        step = (z > 0).astype(float)
        for k in range(3):
            # f depends on phi_{k+1} * a(bias_k + slope_k x): the mixed second derivatives
            b, s = 4 + 2 * k, 5 + 2 * k
            hb = 2.0 * np.sum(r * step[k])
            hs = 2.0 * np.sum(r * step[k] * x)
            H[k + 1, b] += hb
            H[b, k + 1] += hb
            H[k + 1, s] += hs
            H[s, k + 1] += hs
        return H


class LeastSquares(Problem):
    """Linear regression with several inputs: ``f = phi0 + phi1 x_1 + ... + phiK x_K``, least squares.

    The multi-input form of UDL eq. 6.5, ``L = sum_i (phi0 + x_i . phi_{1:} - y_i)^2``, used for
    the blood-test lesson (seed 002). ``X`` has shape ``(n, K)``; ``P = K + 1``. Gradient
    ``2 A^T r`` and Hessian ``2 A^T A`` with the design matrix ``A = [1, X]``, so the loss is
    convex and its condition number is that of ``A^T A`` (why standardizing features helps).
    """

    name = "least squares"

    def __init__(self, X, y):
        X = np.array(V.array(X, "X"))
        y = np.array(V.array(y, "y"))
        if X.ndim == 1:
            X = X[:, None]
        if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
            raise ValueError(f"X must be (n, K) and y (n,) with the same n; got {X.shape} and "
                             f"{y.shape}.")
        if X.shape[0] == 0:
            raise ValueError("X and y are empty: least squares needs at least one data point.")
        if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
            raise ValueError("X or y contains NaN or infinite values: remove or fix those rows.")
        A = np.hstack([np.ones((X.shape[0], 1)), X])
        for arr in (A, y):
            arr.flags.writeable = False
        self.A, self.y, self.n, self.P = A, y, X.shape[0], A.shape[1]
        self.param_names = tuple(f"phi{k}" for k in range(self.P))

    def predict(self, phi, X):
        phi = self._phi(phi)
        X = np.asarray(X, dtype=float).reshape(-1, self.P - 1)
        return phi[..., :1] + np.einsum("nk,...k->...n", X, phi[..., 1:])

    def residuals(self, phi, idx=None):
        phi = self._phi(phi)
        sel = self._idx(idx)
        return np.einsum("nk,...k->...n", self.A[sel], phi) - self.y[sel]

    def loss(self, phi):
        r = self.residuals(phi)
        out = np.einsum("...i,...i->...", r, r)
        return float(out) if out.ndim == 0 else out

    def grad(self, phi, idx=None):
        sel = self._idx(idx)
        return 2.0 * np.einsum("...n,nk->...k", self.residuals(phi, idx), self.A[sel])

    def hessian(self, phi=None):
        return 2.0 * self.A.T @ self.A

    def solve(self):
        """The least-squares optimum by ``numpy.linalg.lstsq``, for reference."""
        return np.linalg.lstsq(self.A, self.y, rcond=None)[0]


class Quadratic(Problem):
    """``L(phi) = 1/2 phi^T A phi - b^T phi + c`` with symmetric ``A``: the closed-form test bed.

    Gradient ``A phi - b``, Hessian ``A``, minimum at ``A^{-1} b`` when ``A`` is positive
    definite. Used for the zig-zag of problem 6.7 and the momentum phase map.
    """

    name = "quadratic"

    def __init__(self, A, b=None, c: float = 0.0):
        A = np.array(V.array(A, "A"))
        if A.ndim != 2 or A.shape[0] != A.shape[1]:
            raise ValueError(f"A must be a square matrix; got shape {A.shape}.")
        if not np.allclose(A, A.T):
            raise ValueError("A must be symmetric; pass (A + A.T) / 2 instead.")
        self.P = A.shape[0]
        if b is not None and V.array(b, "b").size != self.P:
            raise ValueError(f"b must have one entry per parameter ({self.P}); got "
                             f"{V.describe(b)}.")
        b = np.zeros(self.P) if b is None else np.array(V.array(b, "b")).reshape(self.P)
        A.flags.writeable = False
        b.flags.writeable = False
        self.A, self.b, self.c = A, b, V.finite(c, "c")
        self.param_names = tuple(f"phi{k}" for k in range(self.P))

    def loss(self, phi):
        phi = self._phi(phi)
        out = 0.5 * np.einsum("...i,ij,...j->...", phi, self.A, phi) - phi @ self.b + self.c
        return float(out) if np.ndim(out) == 0 else out

    def grad(self, phi, idx=None):
        return self._phi(phi) @ self.A - self.b

    def hessian(self, phi=None):
        return np.array(self.A)

    def minimum(self):
        return np.linalg.solve(self.A, self.b)


class Function(Problem):
    """Any user function ``loss(phi)`` as a problem (``n = 0``, no data).

    ``grad`` and ``hessian`` may be given; when missing they are computed by central finite
    differences (:func:`fd_gradient`, :func:`fd_hessian`) with step ``h``, which costs
    ``2P`` (gradient) or ``4P`` loss evaluations and is accurate to about ``1e-8``.
    Set ``vectorized=False`` if ``loss`` only accepts a single ``(P,)`` vector; grids are
    then evaluated point by point.

    Example (the loss of UDL fig. 6.9)
    ----------------------------------
    >>> import numpy as np
    >>> f = Function(lambda p: 1 - np.exp(-2 * p[..., 1]**2) * np.exp(-(p[..., 0] - 0.7)**2 / 8), P=2)
    >>> round(f.loss([0.7, 0.0]), 6)
    0.0
    """

    name = "function"

    def __init__(self, loss, grad=None, hessian=None, *, P: int | None = None,
                 vectorized: bool = True, h: float = 1e-6, name: str | None = None):
        V.callable_(loss, "loss", "a function phi -> float")
        for f, what in ((grad, "grad"), (hessian, "hessian")):
            if f is not None:
                V.callable_(f, what, f"a function phi -> {what} (or None for finite differences)")
        self._loss, self._grad, self._hess = loss, grad, hessian
        self.P = 0 if P is None else V.positive_int(P, "P")
        self.vectorized, self.h = V.flag(vectorized, "vectorized"), V.rate(h, "h")
        if name is not None and not isinstance(name, str):
            raise ValueError(f"name must be a string; got {V.describe(name)}.")
        if name:
            self.name = name
        self.param_names = tuple(f"phi{k}" for k in range(self.P))

    def _phi(self, phi, name="phi"):
        return as_phi(phi, self.P or None, name)

    def loss(self, phi):
        phi = self._phi(phi)
        if phi.ndim == 1:
            return float(self._loss(phi))
        if self.vectorized:
            return np.asarray(self._loss(phi), dtype=float)
        flat = phi.reshape(-1, phi.shape[-1])
        return np.array([float(self._loss(p)) for p in flat]).reshape(phi.shape[:-1])

    def grad(self, phi, idx=None):
        phi = self._phi(phi)
        if self._grad is not None:
            return np.asarray(self._grad(phi), dtype=float)
        return fd_gradient(lambda p: self._loss(p), phi, self.h)

    def hessian(self, phi):
        phi = self._phi(phi)
        if self._hess is not None:
            return np.asarray(self._hess(phi), dtype=float)
        return fd_hessian(self.grad, phi, 1e-4)
