"""Weight initializations of Goodfellow et al. section 8.4, and how they shape activations.

Every function takes an explicit ``seed`` (``np.random.default_rng(seed)``) and returns a
``(fan_in, fan_out)`` float64 matrix, so ``h_next = h @ W``.
"""

from __future__ import annotations

import numpy as np

from . import _validate as V

__all__ = ["glorot_uniform", "orthogonal", "sparse", "gaussian", "activation_scales"]


def glorot_uniform(fan_in: int, fan_out: int, *, seed: int) -> np.ndarray:
    """Normalized (Glorot & Bengio 2010) initialization, Goodfellow eq. 8.23:
    ``W_ij ~ U(-sqrt(6/(m+n)), sqrt(6/(m+n)))`` with ``m = fan_in``, ``n = fan_out``.
    It keeps the variance of activations and of gradients about equal across layers."""
    m, n = V.positive_int(fan_in, "fan_in"), V.positive_int(fan_out, "fan_out")
    limit = np.sqrt(6.0 / (m + n))
    return np.random.default_rng(V.seed(seed)).uniform(-limit, limit, size=(m, n))


def gaussian(fan_in: int, fan_out: int, *, seed: int, std: float = 1.0) -> np.ndarray:
    """``W_ij ~ N(0, std^2)``: the naive choice that Goodfellow 8.4 warns about (with
    ``std = 1`` activations grow by about ``sqrt(fan_in)`` per layer)."""
    m, n = V.positive_int(fan_in, "fan_in"), V.positive_int(fan_out, "fan_out")
    return V.rate(std, "std") * np.random.default_rng(V.seed(seed)).standard_normal((m, n))


def orthogonal(fan_in: int, fan_out: int, *, seed: int, gain: float = 1.0) -> np.ndarray:
    """Random orthogonal initialization (Saxe et al. 2013; Goodfellow 8.4): the Q factor of a
    Gaussian matrix, with column signs fixed so the distribution is uniform (Haar). Rows or
    columns, whichever are fewer, are orthonormal; times ``gain``."""
    m, n = V.positive_int(fan_in, "fan_in"), V.positive_int(fan_out, "fan_out")
    A = np.random.default_rng(V.seed(seed)).standard_normal((max(m, n), min(m, n)))
    Q, R = np.linalg.qr(A)
    Q = Q * np.sign(np.diag(R))
    W = Q if m >= n else Q.T
    return V.rate(gain, "gain") * W


def sparse(fan_in: int, fan_out: int, *, seed: int, k: int = 15, scale: float = 1.0) -> np.ndarray:
    """Sparse initialization (Martens 2010; Goodfellow 8.4): every output unit gets exactly
    ``k`` non-zero incoming weights drawn from ``N(0, scale^2)``, so the total input to a unit
    does not shrink as ``fan_in`` grows."""
    m, n = V.positive_int(fan_in, "fan_in"), V.positive_int(fan_out, "fan_out")
    k, scale = V.positive_int(k, "k"), V.rate(scale, "scale")
    if k > m:
        raise ValueError(f"k={k} non-zero weights per unit is more than fan_in={m}: use k <= {m}.")
    rng = np.random.default_rng(V.seed(seed))
    W = np.zeros((m, n))
    for j in range(n):
        rows = rng.choice(m, size=k, replace=False)
        W[rows, j] = scale * rng.standard_normal(k)
    return W


def activation_scales(init, depth: int = 10, width: int = 100, *, seed: int,
                      activation: str = "tanh", n_samples: int = 256) -> np.ndarray:
    """Standard deviation of the activations after each of ``depth`` layers of a fully
    connected network initialized by ``init(fan_in, fan_out, seed=...)``, for unit-Gaussian
    inputs. Shows whether signals explode, vanish or keep their scale (Goodfellow 8.4)."""
    depth, width = V.positive_int(depth, "depth"), V.positive_int(width, "width")
    n_samples, seed = V.positive_int(n_samples, "n_samples"), V.seed(seed)
    V.callable_(init, "init", "an initialization such as sl.init.glorot_uniform")
    acts = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0), "linear": lambda z: z}
    if activation not in acts:
        raise ValueError(f"activation must be one of {sorted(acts)}; got {activation!r}.")
    f = acts[activation]
    rng = np.random.default_rng(seed)
    h = rng.standard_normal((n_samples, width))
    out = np.empty(depth)
    for layer in range(depth):
        h = f(h @ init(width, width, seed=seed + 1 + layer))
        out[layer] = h.std()
    return out
