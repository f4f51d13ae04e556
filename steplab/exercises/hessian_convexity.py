"""Checks of the assignment ``hessian_convexity`` (UDL 6.1, problems 6.2 and 6.11, the notes on
convexity), declared once (see ``_core``).

References: closed forms summed with ``math.fsum``, roots of the characteristic polynomial in
50-digit decimal arithmetic, the classification rule of the task written out here, Newton's
step by ``np.linalg.solve``, and central second differences (both the 2h form of the task and
the standard 3-point diagonal are accepted).
"""

import decimal
import math

import numpy as np

from ._core import Check, Code, Hint, Part, bind, scaled


def _hessian(x):  # eq. 6.20, problem 6.2
    x = [float(v) for v in np.atleast_1d(np.asarray(x, dtype=float))]
    s, s2 = math.fsum(x), math.fsum(v * v for v in x)
    return 2.0 * np.array([[len(x), s], [s, s2]])


def _trace_det(x):  # problem 6.2, closed forms
    x = [float(v) for v in np.atleast_1d(np.asarray(x, dtype=float))]
    n, s, s2 = len(x), math.fsum(x), math.fsum(v * v for v in x)
    return 2.0 * (n + s2), 4.0 * (n * s2 - s * s)


def _eig(trace, det):  # roots of l^2 - tr l + det, 50 digits, discriminant clipped at 0
    with decimal.localcontext() as ctx:
        ctx.prec = 50
        t, d = decimal.Decimal(float(trace)), decimal.Decimal(float(det))
        disc = max(t * t / 4 - d, decimal.Decimal(0))
        root = disc.sqrt()
        return np.array([float(t / 2 - root), float(t / 2 + root)])


def classify_rule(eigenvalues, tol=1e-6):
    """The task's rule: |lambda| <= tol * max(1, max|lambda|) counts as zero (relative)."""
    lam = [float(v) for v in np.atleast_1d(np.asarray(eigenvalues, dtype=float))]
    zero = tol * max(1.0, max(abs(v) for v in lam))
    pos = [v > zero for v in lam]
    neg = [v < -zero for v in lam]
    if any(pos) and any(neg):
        return "saddle"
    if all(pos):
        return "minimum"
    if all(neg):
        return "maximum"
    return "degenerate"


def _rule_with_zero(lam, zero):  # the usual slip: an absolute tolerance
    pos, neg = lam > zero, lam < -zero
    if pos.any() and neg.any():
        return "saddle"
    if pos.all():
        return "minimum"
    if neg.all():
        return "maximum"
    return "degenerate"


def _newton(phi, g, H):  # Goodfellow eq. 8.27
    return np.asarray(phi, dtype=float) - np.linalg.solve(np.asarray(H, dtype=float),
                                                          np.asarray(g, dtype=float))


def _fd(loss, phi, h=1e-4, diagonal_3point=False):  # central second differences
    phi = np.asarray(phi, dtype=float)
    P = phi.size
    E = h * np.eye(P)
    H = np.empty((P, P))
    for j in range(P):
        for k in range(P):
            if j == k and diagonal_3point:
                H[j, j] = (loss(phi + E[j]) - 2 * loss(phi) + loss(phi - E[j])) / (h * h)
            else:
                H[j, k] = (loss(phi + E[j] + E[k]) - loss(phi + E[j] - E[k])
                           - loss(phi - E[j] + E[k]) + loss(phi - E[j] - E[k])) / (4 * h * h)
    return H


def _fd_3point(loss, phi, h=1e-4):
    return _fd(loss, phi, h, diagonal_3point=True)


def _spd(rng):
    P = int(rng.integers(1, 7))
    M = rng.normal(size=(P, P))
    A = M @ M.T + 0.3 * np.eye(P)
    return rng.normal(size=P), A @ rng.normal(size=P) - rng.normal(size=P), A


def _eig_args(rng):
    a, b, c = rng.normal(size=3) * 5
    return float(a + b), float(a * b - c * c)


def _classify_args(rng):  # curvatures of very different sizes, some near zero
    k = int(rng.integers(1, 6))
    lam = rng.normal(size=k) * rng.choice([1e-8, 1.0, 100.0, 1e3])
    if rng.random() < 0.5:
        lam[0] = rng.choice([-1.0, 1.0]) * float(np.max(np.abs(lam))) * 10 ** rng.uniform(-9, -4)
    return lam, float(rng.choice([1e-6, 1e-3, 0.1]))


_QUAD = "sl.Quadratic(np.array({A}), np.array({b})).loss"
_GABOR_LOSS = Code("sl.GaborRegression(*sl.data.gabor()).loss", label="gabor.loss")
# rounding in a second difference is amplified by 1/h^2: u |L| / h^2, about 2e-8 |L| at h = 1e-4
_FD_RTOL = 1e-6
_ABS = Hint("an eigenvalue counts as zero relative to the largest curvature: |lambda| <= tol * "
            "max(1, max|lambda|), not |lambda| <= tol",
            lambda a, g, r: str(g[0]) == _rule_with_zero(np.atleast_1d(np.asarray(a[0], float)),
                                                         a[1] if len(a) > 1 else 1e-6))


def _quad_args(rng):
    P = int(rng.integers(1, 4))
    M = rng.normal(size=(P, P))
    A = M + M.T
    src = _QUAD.format(A=A.tolist(), b=rng.normal(size=P).tolist())
    return Code(src, label=f"the loss of a {P}-D quadratic"), rng.normal(size=P), 1e-3


PARTS = bind([
    Part("hc_lr_hessian_tests", ("lr_hessian",), (
        Check("lr_hessian", lambda rng: (Code("sl.data.linear_regression()[0]", label="x_book"),),
              _hessian, ops=30, visible=True, repeat=1,
              what="lr_hessian(book data) (closed form: [[24, 22.82], [22.82, 30.0242]])",
              hints=(Hint("H = 2 [[n, sum x], [sum x, sum x^2]]; do not forget the factor 2",
                          scaled(0.5)),)),
        Check("lr_hessian", lambda rng: (rng.normal(size=int(rng.integers(1, 41))) * 3,), _hessian,
              ops=100, repeat=3, hints=(Hint("H = 2 [[n, sum x], [sum x, sum x^2]]; do not forget "
                                             "the factor 2", scaled(0.5)),)),
        Check("lr_hessian", lambda rng: ([1.0, 2.0],), _hessian, repeat=1,
              what="lr_hessian([1, 2]) (a list)"),
    )),
    Part("hc_trace_det_tests", ("lr_trace_det",), (
        Check("lr_trace_det", lambda rng: (Code("sl.data.linear_regression()[0]", label="x_book"),),
              _trace_det, outputs=2, ops=200, visible=True, repeat=1,
              what="trace and determinant of the Hessian on the book's data (54.0242, 199.8284)",
              hints=(Hint("det H = 4 (n sum x^2 - (sum x)^2): the 2 in front of the matrix gives a "
                          "factor 4", scaled(0.25, output=1)),)),
        Check("lr_trace_det", lambda rng: (rng.uniform(-2, 3, size=int(rng.integers(1, 26))),),
              _trace_det, outputs=2, ops=2000, repeat=3),
        Check("lr_trace_det", lambda rng: ([float(rng.uniform(-2, 2))] * int(rng.integers(2, 6)),),
              _trace_det, outputs=2, ops=200, repeat=1, what="all x equal: the determinant is 0"),
    )),
    Part("hc_eig_tests", ("eigenvalues_2x2",), (
        Check("eigenvalues_2x2", lambda rng: (4.0, 3.0), _eig, ops=20, visible=True, repeat=1,
              what="eigenvalues_2x2(4, 3) (of [[2, 1], [1, 2]]: [1, 3], smaller first)"),
        Check("eigenvalues_2x2", lambda rng: (-1.0, -2.0), _eig, ops=20, visible=True, repeat=1,
              what="eigenvalues_2x2(-1, -2) (a saddle: [-2, 1])"),
        # the discriminant cancels: its rounding u tr^2 / 4 becomes sqrt(u) |tr| / 2 after the root
        Check("eigenvalues_2x2", _eig_args, _eig, ops=20, method_rtol=3e-8, repeat=4),
        Check("eigenvalues_2x2", lambda rng: (1.910885061964363 + 1.9108850610845407,
                                              1.910885061964363 * 1.9108850610845407),
              _eig, ops=20, method_rtol=3e-8, repeat=1,
              what="nearly equal eigenvalues (rounding makes tr^2/4 - det negative: clip at 0)"),
    )),
    Part("hc_classify_tests", ("classify",), (
        Check("classify", lambda rng: ([[1.0, 2.0], [-1.0, -3.0], [-1.0, 2.0], [0.0, 2.0]][
                  int(rng.integers(0, 4))],), classify_rule, kind="exact", visible=True, repeat=4,
              what="classify of [1, 2], [-1, -3], [-1, 2] or [0, 2]"),
        Check("classify", lambda rng: ([[-1.0, 0.0, 2.0], [3.0], [-3.0], [0.0], [1e-9, 1.0],
                                        [5e-7, 1.0], [0.5, 0.2, 4.0, 1.0]][int(rng.integers(0, 7))],),
              classify_rule, kind="exact", repeat=3),
        # relative vs absolute tolerance: at curvature 1e3, 5e-4 is zero, 2e-3 is not
        Check("classify", lambda rng: (np.array([5e-4, 1e3]),), classify_rule, kind="exact",
              repeat=1, hints=(_ABS,), what="classify([5e-4, 1e3]): 5e-4 <= 1e-6 * 1e3 is zero"),
        Check("classify", lambda rng: (np.array([-2e-3, 1e3, 4.0]),), classify_rule, kind="exact",
              repeat=1),
        Check("classify", lambda rng: ([0.01, 0.02], 0.1), classify_rule, kind="exact", repeat=1,
              what="use the tol argument"),
        Check("classify", _classify_args, classify_rule, kind="exact", repeat=6, hints=(_ABS,)),
    )),
    Part("hc_newton_tests", ("newton_step",), (
        Check("newton_step", lambda rng: (np.array([1.6, -0.5]),
                                          Code("sl.LinearRegression(*sl.data.linear_regression())"
                                               ".grad(np.array([1.6, -0.5]))", label="the gradient"),
                                          Code("(lambda x: 2 * np.array([[x.size, x.sum()], [x.sum(),"
                                               " x @ x]]))(sl.data.linear_regression()[0])",
                                               label="H")),
              _newton, ops=200, visible=True, repeat=1,
              what="one Newton step on linear regression (lands on the least-squares minimum "
                   "(0.8260, 0.5222))"),
        Check("newton_step", _spd, _newton, ops=10000, repeat=3),
        Check("newton_step", lambda rng: (np.array([3.0]), np.array([-6.0]), np.array([[-2.0]])),
              _newton, repeat=1, what="Newton step on -phi^2 (goes uphill to 0)"),
        Check("newton_step", lambda rng: ([1.0, 2.0], [2.0, 4.0], [[2.0, 0.0], [0.0, 2.0]]),
              _newton, repeat=1, what="newton_step with lists"),
    )),
    Part("hc_fd_tests", ("fd_hessian",), (
        Check("fd_hessian", lambda rng: (_GABOR_LOSS, np.array([0.6, -0.2])), _fd,
              also=(_fd_3point,), method_rtol=_FD_RTOL, visible=True, repeat=1,
              what="fd_hessian of the Gabor loss at (0.6, -0.2) (central differences, h = 1e-4)"),
        Check("fd_hessian", lambda rng: (_GABOR_LOSS, [0.004, 16.026] + 0.5 * rng.normal(size=2)),
              _fd, also=(_fd_3point,), method_rtol=_FD_RTOL, repeat=2),
        Check("fd_hessian", _quad_args, _fd, also=(_fd_3point,), method_rtol=_FD_RTOL, repeat=2),
        Check("fd_hessian", lambda rng: (Code("lambda p: p[0] ** 4", label="phi^4"), [1.0], 0.1),
              _fd, also=(_fd_3point,), repeat=1, what="fd_hessian of phi^4 at 1 with h = 0.1 "
              "(2h form: 12.08, 3-point form: 12.02; the step h must be used)"),
    )),
    Part("hc_bytes_tests", ("hessian_bytes",), (
        Check("hessian_bytes", lambda rng: (10**6,), lambda P, s=8: P * P * s, kind="exact",
              visible=True, repeat=1, what="hessian_bytes(10**6) = 8 * 10**12 (8 TB)"),
        Check("hessian_bytes", lambda rng: (int(rng.integers(1, 10**7)), int(rng.choice([2, 4, 8]))),
              lambda P, s: P * P * s, kind="exact", repeat=3),
    )),
])
visible, hidden, PARTS = PARTS
