"""Curvature: Hessians (海森矩阵), critical points, convexity and second-order methods.

UDL chapter 6 notes ("Convexity, minima and saddle points", "Beyond gradient descent"),
problems 6.2 and 6.11, and Goodfellow et al. section 8.6 (approximate second-order methods)
and 8.7.2 (coordinate descent).

- :func:`hessian`, :func:`eig`, :func:`hvp` -- the matrix of second derivatives (UDL eq. 6.19),
  its eigen-decomposition, and Hessian-vector products without forming the matrix;
- :func:`classify_critical_point`, :func:`find_critical_points` -- minimum (极小值) /
  maximum / saddle point (鞍点) from the signs of the eigenvalues;
- :func:`convex_mask`, :func:`convex_fraction`, :func:`lr_hessian`, :func:`lr_trace_det` --
  convexity (凸性) on a grid and the argument of problem 6.2;
- :func:`newton`, :func:`conjugate_gradient`, :func:`bfgs`, :func:`lbfgs`,
  :func:`coordinate_descent` -- each returns a :class:`steplab.Trajectory` like ``minimize``
  (defined in :mod:`steplab.second_order`, reachable here too);
- :func:`hessian_size` -- problem 6.11: how big is the Hessian of a large model?
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import _validate as V
from .problems import Function, fd_hessian

__all__ = [
    "hessian", "eig", "hvp", "classify_critical_point", "CriticalPoint", "find_critical_points",
    "convex_mask", "convex_fraction", "lr_hessian", "lr_trace_det", "TraceDet",
    "newton", "conjugate_gradient", "bfgs", "lbfgs", "coordinate_descent",  # noqa: F822 (__getattr__)
    "hessian_size",
    "KINDS",
]

#: the answers of :func:`classify_critical_point`
KINDS = ("minimum", "maximum", "saddle", "degenerate")


# --------------------------------------------------------------------------- Hessians

def _as_problem(problem, phi=None):
    if hasattr(problem, "grad") and hasattr(problem, "loss"):
        return problem
    if callable(problem):
        P = None if phi is None else np.asarray(phi).shape[-1]
        return Function(problem, P=P, vectorized=False)
    raise ValueError(f"expected a steplab problem (with loss and grad) or a loss function "
                     f"phi -> float; got {problem!r}.")


def _phi1(problem, phi, name="phi"):
    P = getattr(problem, "P", 0) or None
    phi = V.as_phi(phi, P, name)
    if phi.ndim != 1:
        raise ValueError(f"{name} must be one parameter vector of shape (P,); "
                         f"got shape {phi.shape}.")
    return phi


def hessian(problem, phi, method: str = "auto", h: float = 1e-5) -> np.ndarray:
    """The Hessian ``H[phi]`` of UDL eq. 6.19: the ``(P, P)`` matrix of second derivatives.

    ``method="auto"`` uses the problem's analytic ``hessian`` where it has one (all the book's
    problems do) and central finite differences (有限差分) of the gradient otherwise;
    ``"fd"`` forces finite differences with step ``h`` (to check an analytic Hessian).
    ``problem`` may also be a plain loss function ``phi -> float``.
    """
    problem = _as_problem(problem, phi)
    phi = _phi1(problem, phi)
    if method not in ("auto", "analytic", "fd"):
        raise ValueError(f'method must be "auto", "analytic" or "fd"; got {method!r}.')
    h = V.rate(h, "h")
    if method != "fd" and hasattr(problem, "hessian"):
        H = np.asarray(problem.hessian(phi), dtype=float)
    elif method == "analytic":
        raise ValueError(f"{problem!r} has no analytic hessian: use method='fd'.")
    else:
        H = fd_hessian(problem.grad, phi, h)
    if H.shape != (phi.size, phi.size):
        raise ValueError(f"the Hessian should have shape {(phi.size, phi.size)}; got {H.shape}.")
    return H


def eig(problem, phi):
    """Eigenvalues (ascending) and eigenvectors (columns) of the Hessian at ``phi``.

    The eigenvalues are the curvatures along the principal directions (UDL notes on
    convexity): all positive -> locally bowl-shaped, mixed signs -> a saddle.
    Returns ``(eigenvalues (P,), eigenvectors (P, P))`` from ``numpy.linalg.eigh``.
    """
    H = hessian(problem, phi)
    return np.linalg.eigh(0.5 * (H + H.T))


def hvp(problem, phi, v, h: float | None = None) -> np.ndarray:
    """Hessian-vector product ``H v`` by central differences of the gradient::

        H v ~ (grad(phi + h v) - grad(phi - h v)) / (2 h)

    Two gradient evaluations, ``O(P)`` memory: the way to use curvature when ``P`` is so
    large that the Hessian itself cannot be stored (problem 6.11, :func:`hessian_size`).
    ``h`` defaults to ``1e-5 * max(1, |phi|) / |v|``.
    """
    problem = _as_problem(problem, phi)
    phi = _phi1(problem, phi)
    v = V.array(v, "v")
    h = None if h is None else V.rate(h, "h")
    if v.shape != phi.shape:
        raise ValueError(f"v must have the shape of phi, {phi.shape}; got {v.shape}.")
    nv = float(np.linalg.norm(v))
    if nv == 0:
        return np.zeros_like(phi)
    if h is None:
        h = 1e-5 * max(1.0, float(np.linalg.norm(phi))) / nv
    return (np.asarray(problem.grad(phi + h * v)) - np.asarray(problem.grad(phi - h * v))) / (2 * h)


def hessian_size(P: int, dtype="float64") -> dict:
    """Problem 6.11: the size of the Hessian of a model with ``P`` parameters.

    Returns ``dict(shape=(P, P), entries=P**2, bytes=P**2 * itemsize, readable=...)``.
    For ``P = 10**6`` in float64: ``10**12`` entries, ``8 * 10**12`` bytes = 8 TB (7.28 TiB),
    which is why Newton's method is not used for deep networks and :func:`hvp` is.
    """
    P = V.positive_int(P, "P")
    try:
        item = np.dtype(dtype).itemsize
    except TypeError:
        raise ValueError(f"dtype must be a numpy dtype such as 'float64' or 'float32'; "
                         f"got {dtype!r}.") from None
    entries = P * P
    nbytes = entries * item
    return dict(shape=(P, P), entries=entries, bytes=nbytes, readable=_readable(nbytes))


def _readable(nbytes: int) -> str:
    units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
    k = 0 if nbytes < 1000 else min(int(math.log10(nbytes) // 3), len(units) - 1)
    dec = f"{nbytes / 1000 ** k:.3g} {units[k]}"
    if k == 0:
        return dec
    bunits = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    kb = min(int(math.log2(nbytes) // 10), len(bunits) - 1)
    return f"{dec} ({nbytes / 1024 ** kb:.3g} {bunits[kb]})"


# --------------------------------------------------------------------------- critical points

def classify_critical_point(problem, phi, tol: float = 1e-6) -> str:
    """Classify a critical point (zero gradient) by the Hessian's eigenvalues (UDL 6 notes):

    - ``"minimum"``: all eigenvalues positive;
    - ``"maximum"``: all negative;
    - ``"saddle"``: some positive and some negative;
    - ``"degenerate"``: no eigenvalue of opposite signs but some are (nearly) zero, so the
      second derivatives cannot decide (e.g. ``phi^4`` at 0).

    An eigenvalue counts as zero when ``|lambda| <= tol * max(1, max |lambda|)``. This looks at
    the Hessian only: check first that the gradient at ``phi`` is (nearly) zero.
    """
    tol = V.rate(tol, "tol", allow_zero=True)
    lam = eig(problem, phi)[0]
    return _kind(lam, tol)


def _kind(lam, tol):
    scale = tol * max(1.0, float(np.max(np.abs(lam))))
    pos, neg = lam > scale, lam < -scale
    if pos.any() and neg.any():
        return "saddle"
    if pos.all():
        return "minimum"
    if neg.all():
        return "maximum"
    return "degenerate"


class CriticalPoint(NamedTuple):
    """A point where the gradient vanishes: ``phi``, ``loss``, ``kind`` (see
    :func:`classify_critical_point`), Hessian ``eigenvalues`` and the remaining ``grad_norm``."""

    phi: np.ndarray
    loss: float
    kind: str
    eigenvalues: np.ndarray
    grad_norm: float


def _box(box, P):
    try:
        box = np.array(box, dtype=float)
    except (TypeError, ValueError):
        box = None
    if box is None or box.shape != (P, 2) or not np.all(box[:, 0] < box[:, 1]):
        raise ValueError(f"box must give (low, high) for each of the {P} parameters, e.g. "
                         f"[(-10, 10), (2.5, 22.5)], with low < high; got {box!r}.")
    return box


def find_critical_points(problem, box, n_starts: int = 100, seed: int = 0, tol: float = 1e-6,
                         gtol: float = 1e-7, max_iter: int = 100, grid: int | None = None) -> list:
    """Find critical points (zero gradient) of ``problem`` inside ``box`` by a seeded multi-start.

    Starts: ``n_starts`` points drawn uniformly in ``box`` (``np.random.default_rng(seed)``),
    and, for P <= 3 parameters, every local minimum of ``|grad L|^2`` on a ``grid`` x ``grid``
    lattice over the box (default 100 points per axis for P = 2, 20 for P = 3; the gradient by
    central differences of one vectorized ``problem.loss`` call over the lattice). Random starts
    alone miss critical points with small basins: 60 of them find 4 of the 8 minima of the Gabor
    loss in the box of fig. 6.4, the lattice finds all 8 minima, 20 saddles and 12 maxima.
    From each start solve ``grad(phi) = 0`` with Newton's method on the gradient, damped as in
    Levenberg-Marquardt (it minimizes ``|grad|^2`` and so is attracted to minima, maxima and
    saddles alike, unlike gradient descent, which only finds minima). Converged points
    (``|grad| <= gtol``) inside the box are merged when closer than ``1e-6`` of the box size,
    classified with :func:`classify_critical_point` (``tol``) and returned as
    :class:`CriticalPoint` s sorted by loss.
    """
    P = getattr(problem, "P", 0)
    if not P:
        raise ValueError("find_critical_points needs a problem with a known number of "
                         "parameters P.")
    box = _box(box, P)
    n_starts = V.positive_int(n_starts, "n_starts")
    grid = V.positive_int(grid, "grid", allow_none=True)
    rng = np.random.default_rng(seed)
    starts = box[:, 0] + (box[:, 1] - box[:, 0]) * rng.random((n_starts, P))
    starts = np.concatenate([_lattice_starts(problem, box, grid), starts])
    width = box[:, 1] - box[:, 0]
    found: list = []
    with np.errstate(over="ignore", invalid="ignore"):
        for phi in starts:
            phi = _solve_grad_zero(problem, phi, gtol, max_iter)
            if phi is None or np.any(phi < box[:, 0]) or np.any(phi > box[:, 1]):
                continue
            if any(np.all(np.abs(phi - q.phi) <= 1e-6 * width) for q in found):
                continue
            lam = eig(problem, phi)[0]
            found.append(CriticalPoint(phi, float(problem.loss(phi)), _kind(lam, tol), lam,
                                       float(np.linalg.norm(problem.grad(phi)))))
    return sorted(found, key=lambda q: q.loss)


def _lattice_starts(problem, box, n=None) -> np.ndarray:
    """Local minima of |grad L|^2 on an n^P lattice over ``box`` (P <= 3; empty otherwise or
    when ``problem.loss`` does not take a whole lattice of parameter vectors at once)."""
    P = box.shape[0]
    if P > 3:
        return np.empty((0, P))
    n = n or {1: 1000, 2: 100, 3: 20}[P]
    axes = [np.linspace(lo, hi, n) for lo, hi in box]
    mesh = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
    try:
        with np.errstate(all="ignore"):
            L = np.asarray(problem.loss(mesh), dtype=float)
    except Exception:  # a loss written for one phi at a time: random starts only
        return np.empty((0, P))
    if L.shape != mesh.shape[:-1]:
        return np.empty((0, P))
    g2 = sum(d ** 2 for d in np.gradient(L, *axes))          # |grad L|^2 on the lattice
    inner = tuple(slice(1, -1) for _ in range(P))
    is_min = np.isfinite(g2[inner])
    for offset in np.ndindex(*(3,) * P):                     # compare with all 3^P - 1 neighbours
        if offset == (1,) * P:
            continue
        shifted = tuple(slice(o, n - 2 + o) for o in offset)
        is_min &= g2[inner] <= g2[shifted]
    return mesh[inner][is_min]


def _solve_grad_zero(problem, phi, gtol, max_iter):
    """Levenberg-Marquardt on r(phi) = grad(phi), Jacobian = Hessian."""
    g = np.asarray(problem.grad(phi), dtype=float)
    r2 = float(g @ g)
    mu = 1e-3
    eye = np.eye(phi.size)
    for _ in range(max_iter):
        if math.sqrt(r2) <= gtol:
            return phi
        H = np.asarray(problem.hessian(phi), dtype=float)
        JTJ, JTr = H.T @ H, H.T @ g
        for _ in range(30):
            try:
                step = np.linalg.solve(JTJ + mu * (np.trace(JTJ) / phi.size + 1e-12) * eye, JTr)
            except np.linalg.LinAlgError:
                mu *= 10
                continue
            new = phi - step
            g_new = np.asarray(problem.grad(new), dtype=float)
            r2_new = float(g_new @ g_new)
            if np.isfinite(r2_new) and r2_new < r2:
                phi, g, r2 = new, g_new, r2_new
                mu = max(mu / 10, 1e-12)
                break
            mu *= 10
        else:
            return None
    return phi if math.sqrt(r2) <= gtol else None


# --------------------------------------------------------------------------- convexity

def _grid_points(problem, grid):
    P = getattr(problem, "P", 0)
    if isinstance(grid, (list, tuple)) and len(grid) == P and all(np.ndim(a) == 1 for a in grid):
        mesh = np.meshgrid(*[np.asarray(a, dtype=float) for a in grid], indexing="ij")
        return np.stack(mesh, axis=-1)
    pts = np.asarray(grid, dtype=float)
    if pts.ndim < 1 or pts.shape[-1] != P:
        raise ValueError(f"grid must be a list of {P} 1-D axes (one per parameter) or an array of "
                         f"points with last axis {P}; got shape {pts.shape}.")
    return pts


def convex_mask(problem, grid, tol: float = 1e-9) -> np.ndarray:
    """For each grid point, whether the Hessian (UDL eq. 6.19) is positive semi-definite there.

    ``grid`` is a list of 1-D axes, one per parameter (result shape ``(len(ax0), len(ax1), ...)``,
    ``indexing="ij"``), or an array of points ``(..., P)`` (result shape ``(...)``). The
    smallest eigenvalue counts as non-negative when ``>= -tol * max(1, max |lambda|)``.
    """
    tol = V.rate(tol, "tol", allow_zero=True)
    pts = _grid_points(problem, grid)
    flat = pts.reshape(-1, pts.shape[-1])
    out = np.empty(len(flat), dtype=bool)
    for i, p in enumerate(flat):
        lam = np.linalg.eigvalsh(hessian(problem, p))
        out[i] = lam[0] >= -tol * max(1.0, float(np.max(np.abs(lam))))
    return out.reshape(pts.shape[:-1])


def convex_fraction(problem, grid, tol: float = 1e-9) -> float:
    """Fraction of grid points whose Hessian is positive semi-definite (UDL eq. 6.19).

    1.0 for a convex loss such as linear or logistic regression; well below 1 for the Gabor
    model. A fraction of 1 on a grid is evidence, not proof, of convexity (problem 6.2 asks
    for the proof). See :func:`convex_mask` for the grid formats.
    """
    return float(np.mean(convex_mask(problem, grid, tol)))


def lr_hessian(x) -> np.ndarray:
    """Hessian of the linear-regression loss (UDL eq. 6.5), problem 6.2::

        H = 2 [[ n,      sum x_i  ],
               [ sum x_i, sum x_i^2 ]]

    It does not depend on ``phi`` (the loss is quadratic in ``phi``) or on ``y``.
    """
    x = V.array(x, "x").reshape(-1)
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError("x must be a non-empty array of finite numbers (the inputs x_i).")
    return 2.0 * np.array([[x.size, x.sum()], [x.sum(), x @ x]])


class TraceDet(NamedTuple):
    """Trace and determinant of a 2x2 Hessian (problem 6.2). Both eigenvalues are positive
    exactly when ``trace > 0`` and ``det > 0`` (their sum and product)."""

    trace: float
    det: float

    @property
    def positive_definite(self) -> bool:
        return self.trace > 0 and self.det > 0

    @property
    def eigenvalues(self) -> tuple:
        """``trace/2 -+ sqrt(trace^2/4 - det)``, ascending."""
        disc = math.sqrt(max(self.trace ** 2 / 4 - self.det, 0.0))
        return (self.trace / 2 - disc, self.trace / 2 + disc)


def lr_trace_det(x) -> TraceDet:
    """Problem 6.2: trace and determinant of the linear-regression Hessian :func:`lr_hessian`.

    ``trace = 2 (n + sum x_i^2) > 0`` and ``det = 4 (n sum x_i^2 - (sum x_i)^2) = 4 n^2 var(x)``,
    which is ``> 0`` unless all ``x_i`` are equal (Cauchy-Schwarz). Sum and product of the two
    eigenvalues are positive, so both are: the loss is convex with a single minimum.
    """
    H = lr_hessian(x)
    x = np.asarray(x, dtype=float).reshape(-1)
    det = 4.0 * x.size ** 2 * float(np.var(x))  # = det(H), without cancellation
    return TraceDet(float(np.trace(H)), det)


#: the second-order methods, defined in :mod:`steplab.second_order`
_METHODS = ("newton", "conjugate_gradient", "bfgs", "lbfgs", "coordinate_descent")


def __getattr__(name):  # PEP 562: ``curvature.newton`` without a circular import
    if name in _METHODS:
        from . import second_order

        return getattr(second_order, name)
    raise AttributeError(f"module 'steplab.curvature' has no attribute {name!r}")
