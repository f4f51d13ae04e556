"""Data sets of UDL chapter 6 and the companion seeds, plus seeded synthetic generators.

The book's arrays are returned as fresh float64 copies, so callers may modify them freely.
Every random draw takes an explicit ``seed`` and goes through ``np.random.default_rng(seed)``.
"""

from __future__ import annotations

import numpy as np

from . import _validate as V

__all__ = ["linear_regression", "gabor", "blood_tests", "BLOOD_COLUMNS", "BLOOD_UNITS",
           "make_linear", "make_gabor", "make_logistic", "make_regression_1d", "make_sparse_features"]

_LINEAR_X = [0.03, 0.19, 0.34, 0.46, 0.78, 0.81, 1.08, 1.18, 1.39, 1.60, 1.65, 1.90]
_LINEAR_Y = [0.67, 0.85, 1.05, 1.00, 1.40, 1.50, 1.30, 1.54, 1.55, 1.68, 1.73, 1.60]

_GABOR_X = [-1.920e+00, -1.422e+01, 1.490e+00, -1.940e+00, -2.389e+00, -5.090e+00,
            -8.861e+00, 3.578e+00, -6.010e+00, -6.995e+00, 3.634e+00, 8.743e-01,
            -1.096e+01, 4.073e-01, -9.467e+00, 8.560e+00, 1.062e+01, -1.729e-01,
            1.040e+01, -1.261e+01, 1.574e-01, -1.304e+01, -2.156e+00, -1.210e+01,
            -1.119e+01, 2.902e+00, -8.220e+00, -1.179e+01, -8.391e+00, -4.505e+00]
_GABOR_Y = [-1.051e+00, -2.482e-02, 8.896e-01, -4.943e-01, -9.371e-01, 4.306e-01,
            9.577e-03, -7.944e-02, 1.624e-01, -2.682e-01, -3.129e-01, 8.303e-01,
            -2.365e-02, 5.098e-01, -2.777e-01, 3.367e-01, 1.927e-01, -2.222e-01,
            6.352e-02, 6.888e-03, 3.224e-02, 1.091e-02, -5.706e-01, -5.258e-02,
            -3.666e-02, 1.709e-01, -4.805e-02, 2.008e-01, -1.904e-01, 5.952e-01]


def linear_regression():
    """The 12 points of UDL section 6.1.1 / fig. 6.1a as ``(x, y)``.

    With the sum-of-squares loss (eq. 6.5) the loss at ``phi = (0.6, -0.2)`` is 12.367 and the
    least-squares optimum is ``(0.826, 0.522)`` with loss 0.200.
    """
    return np.array(_LINEAR_X), np.array(_LINEAR_Y)


def gabor():
    """The 30 points of the Gabor model, UDL section 6.1.2 / figs. 6.3-6.8, as ``(x, y)``.

    The caption of fig. 6.3 mentions 28 points because two lie outside the plotted x-range.
    Global minimum of the loss near ``phi = (0.00, 16.03)``, loss 0.646.
    """
    return np.array(_GABOR_X), np.array(_GABOR_Y)


#: column names of the blood-test table (seed 002), in order
BLOOD_COLUMNS = ("WBC", "RBC", "HGB", "HCT", "MCV", "MCH", "MCHC", "PLT", "LYMPH", "NEUTP", "MONOP")
#: units of each column (clinical convention)
BLOOD_UNITS = {
    "WBC": "10^9/L", "RBC": "10^12/L", "HGB": "g/L", "HCT": "%", "MCV": "fL", "MCH": "pg",
    "MCHC": "g/L", "PLT": "10^9/L", "LYMPH": "%", "NEUTP": "%", "MONOP": "%",
}

_BLOOD = """
   7.3    4.7  151.0   45.6   92.6   31.7  342.0  215.0   32.1   57.2    9.1
   9.0    4.0  151.8   44.0    8.5   30.6  356.6  266.9   32.6    5.7    5.1
   6.5    4.0  153.9   50.5    9.3   33.0  337.4  207.7   33.9    5.2    4.9
   7.7    4.9  150.5   41.8    8.6   32.6  343.7  273.9   34.6    6.3    5.3
   7.3    4.0  149.1   42.7    8.6   31.6  350.7  221.0   34.2    6.4    4.7
   7.5    4.6  151.1   45.1    9.2   32.4  363.8  289.1   31.6    5.2    5.3
   8.8    4.2  145.7   47.3    8.7   31.6  357.4  262.7   31.5    5.7    5.5
   7.8    5.0  151.7   44.1    8.6   30.9  354.0  284.2   31.3    5.9    5.9
   8.7    4.1  146.4   44.0    8.8   31.1  354.5  277.4   35.0    6.2    6.4
   8.2    4.8  149.0   49.1    8.6   32.7  340.0  219.4   31.9    6.2    4.9
   8.2    4.2  153.8   43.4    8.8   31.4  363.3  255.9   31.1    5.6    5.5
   8.4    4.7  150.1   48.3    8.8   32.6  352.7  261.5   29.9    6.1    4.7
   9.0    4.7  145.1   45.2    8.9   31.5  345.2  294.8   34.2    5.4    5.7
   7.9    4.7  148.8   41.1    9.4   30.1  352.0  256.0   30.6    5.5    5.1
   8.5    4.0  152.3   41.6    8.5   32.2  353.0  227.5   29.5    5.8    5.8
   8.0    4.8  150.3   48.3    9.0   29.7  344.7  223.1   33.6    5.7    6.1
   8.6    4.0  145.4   46.8    8.6   29.2  360.3  287.7   28.5    5.2    5.6
   8.6    4.2  145.1   40.7    8.5   30.5  344.1  247.0   31.8    5.9    6.4
   7.7    4.3  150.6   47.5    9.3   29.1  361.8  212.1   32.2    5.8    6.2
   7.9    4.1  145.2   51.1    9.1   31.8  346.8  259.8   33.3    5.3    5.6
   7.0    5.0  153.5   42.6    8.6   30.4  357.0  294.4   31.6    5.2    5.7
   7.5    4.1  146.4   46.9    8.5   29.1  342.9  294.9   28.9    5.3    4.5
   8.2    4.8  145.9   40.8    8.6   30.9  339.8  292.1   29.7    6.5    6.5
   8.2    4.2  147.5   44.1    9.3   32.8  339.9  200.6   28.7    6.0    6.1
   8.6    4.1  148.3   51.1    8.9   31.5  338.6  202.4   28.5    6.5    5.9
   6.7    4.8  148.9   46.2    9.4   30.4  344.1  242.4   29.4    5.2    5.1
   7.2    4.5  145.8   49.8    8.5   29.1  358.3  218.4   30.0    5.4    5.7
   8.4    4.2  151.2   48.1    9.0   31.1  342.8  200.5   34.3    5.4    4.6
   6.5    4.6  146.3   40.8    8.5   29.9  362.6  224.3   29.2    5.8    5.7
   6.7    4.2  150.1   40.2    8.5   32.6  364.3  244.9   32.5    6.2    5.4
   7.1    4.0  147.6   40.2    8.7   32.3  345.7  281.0   29.8    6.5    5.3
   6.8    4.2  148.1   49.8    8.8   29.0  340.7  219.1   29.4    5.5    5.2
   6.9    4.0  149.2   42.7    9.1   32.1  345.9  223.8   32.3    6.3    4.8
   9.0    5.0  145.3   45.8    8.9   32.8  354.9  216.1   29.7    6.4    5.2
   8.8    4.7  147.8   43.3    8.7   31.7  356.6  237.0   31.0    6.1    5.5
   6.5    4.2  152.5   45.5    8.7   29.7  359.3  234.3   34.9    5.7    4.7
   7.0    4.3  150.3   50.1    8.8   32.2  342.2  272.3   28.5    6.3    6.1
   7.6    4.0  146.4   43.5    9.4   29.2  338.9  292.7   30.8    5.3    4.6
   6.9    4.3  147.6   50.1    8.6   31.1  359.3  280.0   28.1    6.1    4.7
"""


def blood_tests(clean: bool = False) -> dict:
    """The 39-row blood-test table of the minibatch lecture slides (seed 002) as a dict of columns.

    Columns ``BLOOD_COLUMNS``; each value is a float64 array of length 39 (row 1 first).

    Units: in rows 2-39 of the slides the MCV and NEUTP columns are about ten times smaller
    than in row 1 (92.6 fL, 57.2 percent) and than their clinical ranges (MCV 80-100 fL,
    neutrophils 50-70 percent): the decimal point slipped. ``clean=False`` (default) returns
    the table as printed; ``clean=True`` multiplies MCV and NEUTP in rows 2-39 by 10 so that
    every column is on one scale. The lesson ``06_9_minibatches_real_data`` shows both.
    """
    V.flag(clean, "clean")
    table = np.array([[float(v) for v in line.split()] for line in _BLOOD.strip().splitlines()])
    cols = {name: table[:, k].copy() for k, name in enumerate(BLOOD_COLUMNS)}
    if clean:
        for name in ("MCV", "NEUTP"):
            cols[name][1:] *= 10.0
    return cols


def make_linear(n: int, *, seed: int, slope: float = 0.5, intercept: float = 0.8,
                noise: float = 0.1, x_range=(0.0, 2.0)):
    """``n`` points ``y = intercept + slope*x + noise*eps`` with x uniform on ``x_range``."""
    n, rng = V.positive_int(n, "n"), np.random.default_rng(V.seed(seed))
    slope, intercept = V.finite(slope, "slope"), V.finite(intercept, "intercept")
    noise, x_range = _noise(noise), _range(x_range, "x_range")
    x = rng.uniform(*x_range, size=n)
    return x, intercept + slope * x + noise * rng.standard_normal(n)


def make_regression_1d(n: int, *, seed: int, noise: float = 0.1):
    """``n`` points of a smooth 1-D function, for the shallow network of eq. 6.23."""
    n, rng, noise = V.positive_int(n, "n"), np.random.default_rng(V.seed(seed)), _noise(noise)
    x = np.sort(rng.uniform(-1.0, 1.0, size=n))
    return x, np.sin(3.0 * x) + 0.5 * x + noise * rng.standard_normal(n)


def make_gabor(n: int, *, seed: int, phi=(0.0, 16.0), noise: float = 0.1):
    """``n`` points from the Gabor model (eq. 6.8) at ``phi`` plus Gaussian noise, x in [-15, 15]."""
    n, rng, noise = V.positive_int(n, "n"), np.random.default_rng(V.seed(seed)), _noise(noise)
    phi = _pair(phi, "phi")
    x = rng.uniform(-15.0, 15.0, size=n)
    z = phi[0] + 0.06 * phi[1] * x
    return x, np.sin(z) * np.exp(-z * z / 32.0) + noise * rng.standard_normal(n)


def make_logistic(n_per_class: int = 10, *, seed: int, means=(-1.0, 1.0), sd: float = 1.0):
    """Problem 6.4: ``n_per_class`` points from N(means[0], sd) labelled 0 and as many from
    N(means[1], sd) labelled 1, returned as ``(x, y)`` with class 0 first."""
    n_per_class = V.positive_int(n_per_class, "n_per_class")
    rng, means, sd = np.random.default_rng(V.seed(seed)), _pair(means, "means"), V.rate(sd, "sd")
    x0 = rng.normal(means[0], sd, size=n_per_class)
    x1 = rng.normal(means[1], sd, size=n_per_class)
    return np.concatenate([x0, x1]), np.concatenate([np.zeros(n_per_class), np.ones(n_per_class)])


def make_sparse_features(n: int, *, seed: int, n_frequent: int = 5, n_rare: int = 5,
                         p_frequent: float = 0.5, p_rare: float = 0.01, noise: float = 0.5):
    """Linear-regression data with frequent and rare binary features (for AdaGrad, Duchi et al.
    2011; Goodfellow sec. 8.5.1). Returns ``(X, y, w)``: ``X`` is ``(n, n_frequent + n_rare)``
    with ``X[i, j] = 1`` with probability ``p_frequent`` for the first ``n_frequent`` columns and
    ``p_rare`` for the others (0 otherwise), ``w`` the true weights (size between 1 and 2, random
    sign) and ``y = X @ w + noise * eps`` (no intercept).

    Draws, in this order, from ``rng = np.random.default_rng(seed)``: ``rng.random((n, K))``
    (a feature is on where it is below its probability), ``rng.uniform(1, 2, K)``,
    ``rng.choice([-1.0, 1.0], K)`` and ``rng.standard_normal(n)``.
    """
    n, rng = V.positive_int(n, "n"), np.random.default_rng(V.seed(seed))
    nf, nr = V.positive_int(n_frequent, "n_frequent"), V.positive_int(n_rare, "n_rare")
    pf, pr = _probability(p_frequent, "p_frequent"), _probability(p_rare, "p_rare")
    noise = _noise(noise)
    prob = np.r_[np.full(nf, pf), np.full(nr, pr)]
    X = (rng.random((n, nf + nr)) < prob).astype(float)
    w = rng.uniform(1.0, 2.0, nf + nr) * rng.choice([-1.0, 1.0], nf + nr)
    return X, X @ w + noise * rng.standard_normal(n), w


def _probability(value, name):
    p = V.rate(value, name)
    if p > 1.0:
        raise ValueError(f"{name} is a probability (how often a feature is on): it must lie in "
                         f"(0, 1]; got {value!r}.")
    return p


def _noise(noise):
    return V.rate(noise, "noise", allow_zero=True)


def _pair(value, name):
    """Two finite numbers, e.g. ``phi=(0.0, 16.0)``."""
    if isinstance(value, (str, bytes)) or np.ndim(value) != 1 or np.size(value) != 2:
        raise ValueError(f"{name} must be a pair of numbers such as (0.0, 16.0); got "
                         f"{V.describe(value)}.")
    return tuple(V.finite(v, f"{name}[{k}]") for k, v in enumerate(value))


def _range(value, name):
    lo, hi = _pair(value, name)
    if not lo < hi:
        raise ValueError(f"{name} must be (low, high) with low < high; got {value!r}.")
    return lo, hi
