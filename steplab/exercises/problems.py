"""Checks of the assignment ``problems`` (UDL problems 6.1-6.11), declared once (see ``_core``).

References are the book's equations written out here (loops, closed forms, 50-digit or
exact integer arithmetic where it matters). Conventions shared with the other assignments:
a number of epochs is a float (``iterations / ceil(n / batch_size)``, as in ``sgd``), and
momentum weights are listed newest first (``w[k]`` is the weight of the gradient from k steps
ago, as in ``momentum``).
"""

import math

import numpy as np

from ._core import Check, Code, Hint, Part, bind, matches, scaled
from .gradient_descent import _gabor_grad, _gabor_no_inner, _grad
from .hessian_convexity import _hessian
from .momentum import weights_newest_first
from .sgd import _epoch_args, epochs


def _mean_grad(phi, x, y):
    return _grad(phi, x, y) / len(x)


def _data(rng, n=None, scale=2.0):
    n = int(rng.integers(1, 51)) if n is None else n
    return rng.normal(scale=scale, size=2), rng.normal(size=n), rng.normal(size=n)


def _sigmoid(z):  # eq. 6.22
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def _bce(phi, x, y):  # the binary cross-entropy, summed, in a stable form
    z = phi[0] + phi[1] * np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    return float(math.fsum(y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)))


def _bce_grad(phi, x, y):
    x = np.asarray(x, dtype=float)
    d = _sigmoid(phi[0] + phi[1] * x) - np.asarray(y, dtype=float)
    return np.array([d.sum(), (d * x).sum()])


def _labels(rng, n):
    return (rng.uniform(size=n) < 0.5).astype(float)


def _two_class_ok(args, got):  # problem 6.4: shapes, labels, class means and spreads
    n = int(args[0])
    x, y = (np.asarray(v, dtype=float) for v in got)
    if x.shape != (2 * n,) or y.shape != (2 * n,):
        return f"x and y must have shape ({2 * n},); got {x.shape} and {y.shape}"
    if not np.array_equal(y, np.r_[np.zeros(n), np.ones(n)]):
        return f"labels: {n} zeros first, then {n} ones"
    m0, m1, s0, s1 = x[:n].mean(), x[n:].mean(), x[:n].std(), x[n:].std()
    if abs(m0 + 1) > 0.05 or abs(m1 - 1) > 0.05 or abs(s0 - 1) > 0.05 or abs(s1 - 1) > 0.05:
        return (f"the classes should come from N(-1, 1) and N(1, 1); got means {m0:.3f}, "
                f"{m1:.3f} and spreads {s0:.3f}, {s1:.3f}")
    return None


_SAME_SEED = Code('''def _sl_same_seed(two_class_data):
    def run(n, seed):
        a, b = two_class_data(n, seed), two_class_data(n, seed)
        c = two_class_data(n, seed + 1)
        return [float(np.max(np.abs(np.asarray(a[0]) - np.asarray(b[0])))),
                float(np.array_equal(np.asarray(a[0]), np.asarray(c[0])))]
    return run''', label="two calls with the same seed and one with another")


def _grid(loss_fn, p0, p1):
    return np.array([[loss_fn(np.array([a, b], dtype=float)) for a in p0] for b in p1])


def _net(phi, x):  # eq. 6.23 (eq. 3.1)
    x = np.asarray(x, dtype=float)
    return (phi[0] + phi[1] * np.maximum(0, phi[4] + phi[5] * x)
            + phi[2] * np.maximum(0, phi[6] + phi[7] * x) + phi[3] * np.maximum(0, phi[8] + phi[9] * x))


def _net_loss(phi, x, y):
    return float(np.sum((_net(phi, x) - y) ** 2))


def _net_grad(phi, x, y):  # by hand, away from the kinks
    phi, x, y = (np.asarray(v, dtype=float) for v in (phi, x, y))
    pre = [phi[4] + phi[5] * x, phi[6] + phi[7] * x, phi[8] + phi[9] * x]
    r2 = 2.0 * (_net(phi, x) - y)
    g = [r2.sum()]
    g += [(r2 * np.maximum(0, z)).sum() for z in pre]
    for k, z in enumerate(pre):
        dz = r2 * phi[1 + k] * (z > 0)
        g += [dz.sum(), (dz * x).sum()]
    return np.array(g)


def _away_from_kinks(rng):
    phi = rng.normal(size=10)
    x = rng.uniform(-2, 2, size=15)
    pre = np.stack([phi[4] + phi[5] * x, phi[6] + phi[7] * x, phi[8] + phi[9] * x])
    x = x[np.all(np.abs(pre) > 1e-3, axis=0)]
    return phi, x, rng.normal(size=x.size)


def _kink_ok(args, got):  # at a kink any value between the one-sided derivatives
    phi, x, y = args
    g = np.asarray(got[0], dtype=float)
    if g.shape != (10,):
        return f"return the ten derivatives, shape (10,); got {g.shape}"
    h = 1e-7
    for k in range(10):
        e = np.zeros(10)
        e[k] = h
        right = (_net_loss(phi + e, x, y) - _net_loss(phi, x, y)) / h
        left = (_net_loss(phi, x, y) - _net_loss(phi - e, x, y)) / h
        if not min(left, right) - 1e-4 <= g[k] <= max(left, right) + 1e-4:
            return (f"at a ReLU kink derivative {k} = {g[k]:.6g} is outside the one-sided "
                    f"derivatives [{min(left, right):.6g}, {max(left, right):.6g}]: use "
                    "relu_derivative(0) in [0, 1]")
    return None


def _relu_ok(args, got):
    z = np.asarray(args[0], dtype=float)
    d = np.asarray(got[0], dtype=float)
    if d.shape != z.shape:
        return f"relu_derivative must keep the shape {z.shape}; got {d.shape}"
    away = z != 0
    if not np.array_equal(d[away], (z[away] > 0).astype(float)):
        return "the ReLU has slope 0 for z < 0 and slope 1 for z > 0"
    if np.any((d[~away] < 0) | (d[~away] > 1)):
        return "at the kink z = 0 choose a value in [0, 1] (a subgradient)"
    return None


# problem 6.6: the three functions of the notebook's figure and its seven points
def _f_a(x):
    return np.maximum(np.abs(x - 1.0) - 0.4, 0.0) ** 2


def _f_b(x):
    return x ** 4 / 4 - 1.3 * x ** 3 / 3 - 0.85 * x ** 2 + 0.6 * x


def _f_c(x):
    return x ** 4 / 4 - x ** 3 / 3


_FUNCTIONS = {"a": (_f_a, (-0.5, 2.5)), "b": (_f_b, (-1.8, 2.8)), "c": (_f_c, (-0.8, 1.6))}
_POINTS = {1: ("a", 1.2), 2: ("a", 2.1), 3: ("b", -1.0), 4: ("b", 2.0), 5: ("b", 0.3),
           6: ("c", 0.0), 7: ("c", 1.0)}


def _point_kinds():
    out = {}
    for point, (name, xp) in _POINTS.items():
        f, (lo, hi) = _FUNCTIONS[name]
        fp = f(xp)
        if fp <= f(np.linspace(lo, hi, 20001)).min() + 1e-9:
            out[point] = "global minimum"
        else:
            near = np.array([xp - 1e-2, xp - 1e-3, xp + 1e-3, xp + 1e-2])
            out[point] = "local minimum" if np.all(f(near) >= fp - 1e-12) else "neither"
    return out


def _convex():
    out = {}
    for name, (f, (lo, hi)) in _FUNCTIONS.items():
        v = f(np.linspace(lo, hi, 4001))
        out[name] = bool(np.all(v[2:] - 2 * v[1:-1] + v[:-2] >= -1e-12))
    return out


def _angles(phis):
    d = np.diff(np.asarray(phis, dtype=float), axis=0)
    out = []
    for a, b in zip(d[:-1], d[1:], strict=True):
        c = float(a @ b) / math.sqrt(float(a @ a) * float(b @ b))
        out.append(math.degrees(math.acos(min(1.0, max(-1.0, c)))))
    return np.array(out)


def _exact_search(A, phi0, steps):
    A = np.asarray(A, dtype=float)
    phi = np.array(phi0, dtype=float)
    path = [phi]
    for _ in range(steps):
        g = A @ phi
        gAg = g @ A @ g
        phi = phi - (g @ g) / gAg * g if gAg > 0 else phi
        path.append(phi)
    return np.array(path)


def _momentum_path(A, phi0, alpha, beta, steps):
    A = np.asarray(A, dtype=float)
    phi, m = np.array(phi0, dtype=float), 0.0
    path = [phi]
    for _ in range(steps):
        m = beta * m + (1 - beta) * (A @ phi)
        phi = phi - alpha * m
        path.append(phi)
    return np.array(path)


def _gd(grad_fn, phi0, alpha, steps):
    phi = np.array(phi0, dtype=float)
    path = [phi]
    for _ in range(steps):
        phi = phi - alpha * np.asarray(grad_fn(phi), dtype=float)
        path.append(phi)
    return np.array(path)


def _spd(rng, P=3, shift=0.5):
    M = rng.normal(size=(P, P))
    return M @ M.T + shift * np.eye(P)


def _stable(H):
    return 2.0 / float(np.max(np.linalg.eigvalsh(np.asarray(H, dtype=float))))


def _memory(P, b=8):
    return {"shape": (P, P), "entries": P * P, "bytes": P * P * b}


_KINK = (np.array([0.2, 1.5, -0.7, 0.4, -1.0, 2.0, 0.3, -1.2, -0.4, 0.9]),  # x = 0.5 is a kink
         np.array([-0.8, 0.5, 1.1]), np.array([0.3, -0.6, 0.2]))
_SUM = Hint("Use np.sum, not np.mean: eq. 6.6 sums over the data points", matches(_mean_grad))
_HALF = Hint("off by a factor of 1/2: the square in eq. 6.5 gives a factor 2", scaled(0.5))
_EPOCH = Hint("an epoch is one pass through all n data points: ceil(n / batch_size) batches",
              lambda a, g, r: np.isclose(float(g[0]), a[0] / a[2])
              or np.isclose(float(g[0]), a[0] // a[2]))
_OLDEST = Hint("list the weights newest first: w[0] belongs to the most recent gradient",
               matches(lambda b, t: weights_newest_first(b, t)[::-1]))
_GABOR = Code("sl.GaborRegression(*sl.data.gabor()).grad", label="the Gabor model's grad")
_GRID_LOSS = Code("lambda p: p[0] + 10.0 * p[1] ** 2", label="L = phi0 + 10 phi1^2")

PARTS = bind([
    Part("p61_test", ("linear_regression_gradient",), (
        Check("linear_regression_gradient", lambda rng: (np.array([0.6, -0.2]),
              *Code("sl.data.linear_regression()").value()), _grad, ops=60, visible=True, repeat=1,
              what="linear_regression_gradient at phi = (0.6, -0.2) on the book's data",
              hints=(_SUM, _HALF)),
        Check("linear_regression_gradient", _data, _grad, ops=200, repeat=4, hints=(_SUM, _HALF)),
    )),
    Part("p62_test_a", ("linear_regression_hessian",), (
        Check("linear_regression_hessian", lambda rng: (Code("sl.data.linear_regression()[0]",
                                                             label="x_book"),),
              _hessian, ops=30, visible=True, repeat=1,
              what="the Hessian of the book's linear-regression loss (eq. 6.20)",
              hints=(Hint("remember the factor 2", scaled(0.5)),)),
        Check("linear_regression_hessian",
              lambda rng: (rng.normal(scale=3.0, size=int(rng.integers(2, 31))),),
              _hessian, ops=100, repeat=3, hints=(Hint("remember the factor 2", scaled(0.5)),)),
    )),
    Part("p62_test_b", ("eigenvalues_positive_2x2",), (
        Check("eigenvalues_positive_2x2", lambda rng: ([np.array([[2.0, 0.5], [0.5, 1.0]]),
                                                        np.array([[-2.0, 0.0], [0.0, -1.0]]),
                                                        np.array([[3.0, 0.0], [0.0, -1.0]])][
                                                           int(rng.integers(0, 3))],),
              lambda H: bool(np.all(np.linalg.eigvalsh(H) > 0)), kind="exact", visible=True,
              repeat=3, what="eigenvalue signs from trace and determinant"),
        Check("eigenvalues_positive_2x2", lambda rng: ([np.array([[1.0, 1.0], [1.0, 1.0]]), np.zeros((2, 2)),
                                                        np.array([[1.0, 0.0], [0.0, 0.0]]),
                                                        (lambda M: M + M.T)(rng.normal(size=(2, 2))),
                                                        _spd(rng, 2, 1e-3)][int(rng.integers(0, 5))],),
              lambda H: bool(np.all(np.linalg.eigvalsh(H) > 1e-12)), kind="exact", repeat=6),
    )),
    Part("p63_test", ("gabor_gradient",), (
        Check("gabor_gradient", lambda rng: (np.array([-1.5, 8.5]),
                                             *Code("sl.data.gabor()").value()),
              _gabor_grad, ops=400, visible=True, repeat=1,
              what="gabor_gradient at phi = (-1.5, 8.5) on the book's data",
              hints=(Hint("dL/dphi1 misses the inner derivative 0.06 x (chain rule)",
                          matches(_gabor_no_inner)),)),
        Check("gabor_gradient", lambda rng: (np.array([rng.uniform(-10, 10), rng.uniform(2.5, 22.5)]),
                                             rng.uniform(-15, 15, size=20), rng.normal(scale=0.5, size=20)),
              _gabor_grad, ops=400, repeat=3,
              hints=(Hint("dL/dphi1 misses the inner derivative 0.06 x (chain rule)",
                          matches(_gabor_no_inner)),)),
    )),
    Part("p64_test_a", ("sigmoid", "logistic_model"), (
        Check("sigmoid", lambda rng: (np.linspace(-8, 8, 17),), _sigmoid, ops=4, visible=True,
              repeat=1, what="sigmoid(z) for z = -8..8 (eq. 6.22)"),
        Check("logistic_model", lambda rng: (np.array([0.5, -2.0]), np.linspace(-8, 8, 17)),
              lambda p, x: _sigmoid(p[0] + p[1] * x), ops=6, visible=True, repeat=1,
              what="logistic_model(phi=[0.5, -2], x) (eq. 6.21)"),
        Check("sigmoid", lambda rng: (np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0]),), _sigmoid,
              ops=4, repeat=1, what="sigmoid at extreme z stays in [0, 1]"),
        Check("logistic_model", lambda rng: (rng.normal(size=2), rng.normal(size=(3, 4))),
              lambda p, x: _sigmoid(p[0] + p[1] * x), ops=6, repeat=2),
    )),
    Part("p64_test_b", ("bce_loss",), (
        Check("bce_loss", lambda rng: (np.array([0.3, 1.2]), np.array([-1.5, -0.3, 0.2, 0.9, 2.0]),
                                       np.array([0.0, 0.0, 1.0, 0.0, 1.0])),
              _bce, ops=60, visible=True, repeat=1, what="bce_loss at phi = [0.3, 1.2] (summed)",
              hints=(Hint("sum (not mean) of -[y log(lambda) + (1-y) log(1-lambda)]", scaled(0.2)),)),
        Check("bce_loss", lambda rng: (rng.normal(size=2), rng.normal(size=12), _labels(rng, 12)),
              _bce, ops=150, repeat=3),
    )),
    Part("p64_test_c", ("bce_gradient",), (
        Check("bce_gradient", lambda rng: (np.array([0.3, 1.2]), np.array([-1.5, -0.3, 0.2, 0.9, 2.0]),
                                           np.array([0.0, 0.0, 1.0, 0.0, 1.0])),
              _bce_grad, ops=60, visible=True, repeat=1, what="bce_gradient at phi = [0.3, 1.2]"),
        Check("bce_gradient", lambda rng: (rng.normal(scale=2, size=2), rng.normal(size=20),
                                           _labels(rng, 20)), _bce_grad, ops=200, repeat=3),
    )),
    Part("p64_test_d", ("two_class_data",), (
        Check("two_class_data", lambda rng: (20000, int(rng.integers(0, 2**31))), None, outputs=2,
              accept=_two_class_ok, visible=True, repeat=1,
              what="two_class_data: 2 n points, labels 0 then 1, classes N(-1, 1) and N(1, 1)"),
        Check("two_class_data", lambda rng: (10, int(rng.integers(0, 2**30))), None,
              driver=_SAME_SEED, accept=lambda a, g: None if np.asarray(g[0]).tolist() == [0.0, 0.0]
              else "the same seed must give the same data, another seed other data: use "
                   "rng = np.random.default_rng(seed)", repeat=1),
    )),
    Part("p64_test_e", ("loss_grid",), (
        Check("loss_grid", lambda rng: (_GRID_LOSS, np.array([-1.0, 0.0, 1.0]), np.array([2.0, 3.0])),
              _grid, ops=6, visible=True, repeat=1,
              what="loss_grid for L = phi0 + 10 phi1^2 (rows = phi1): [[39, 40, 41], [89, 90, 91]]",
              hints=(Hint("L[j, i] is the loss at phi0 = phi0_values[i], phi1 = phi1_values[j]",
                          lambda a, g, r: g[0].shape == r[0].T.shape),)),
        Check("loss_grid", lambda rng: (Code("lambda p: np.sin(p[0]) * np.exp(p[1])",
                                             label="sin(phi0) exp(phi1)"),
                                        np.sort(rng.normal(size=4)), np.sort(rng.normal(size=5))),
              _grid, ops=10, repeat=2),
    )),
    Part("p65_test_a", ("shallow_network",), (
        Check("shallow_network", lambda rng: (np.array([0.1, 1.0, -2.0, 0.5, -0.2, 1.0, 0.3, -1.5, 0.0, 2.0]),
                                              np.linspace(-1, 1, 9)), _net, ops=20, visible=True,
              repeat=1, what="shallow_network(phi, x) (parameter order phi0..phi3, theta0, theta1, "
                             "beta0, beta1, gamma0, gamma1)"),
        Check("shallow_network", lambda rng: (rng.normal(size=10), rng.uniform(-2, 2, size=13)), _net,
              ops=20, repeat=3),
    )),
    Part("p65_test_b", ("relu_derivative",), (
        Check("relu_derivative", lambda rng: (np.array([-3.0, -1e-9, 0.0, 1e-9, 2.5]),), None,
              accept=_relu_ok, visible=True, repeat=1,
              what="relu_derivative: 0 for z < 0, 1 for z > 0, a value in [0, 1] at 0"),
        Check("relu_derivative", lambda rng: (rng.normal(size=(4, 5)),), None, accept=_relu_ok, repeat=2),
        Check("relu_derivative", lambda rng: (float(rng.choice([3.0, -2.0])),), lambda z: float(z > 0),
              repeat=1, what="relu_derivative of a plain number"),
    )),
    Part("p65_test_c", ("shallow_network_gradient",), (
        Check("shallow_network_gradient", lambda rng: _away_from_kinks(rng), _net_grad, ops=200,
              visible=True, repeat=1, what="shallow_network_gradient away from the kinks"),
        Check("shallow_network_gradient", _away_from_kinks, _net_grad, ops=200, repeat=4),
        Check("shallow_network_gradient", lambda rng: _KINK,
              None, accept=_kink_ok, repeat=1, what="at a ReLU kink (pre-activation exactly 0)"),
    )),
    Part("p66_test_a", ("classify_points",), (
        Check("classify_points", lambda rng: (), _point_kinds, kind="dict", visible=True, repeat=1,
              what='classify_points(): each of the points 1-7 -> "local minimum" | "global minimum" '
                   '| "neither"'),
    )),
    Part("p66_test_b", ("convex_functions",), (
        Check("convex_functions", lambda rng: (), _convex, kind="dict", visible=True, repeat=1,
              what='convex_functions(): {"a": ..., "b": ..., "c": ...} with True or False'),
    )),
    Part("p67_test_a", ("turning_angles",), (
        Check("turning_angles", lambda rng: (np.array([[0, 0], [1, 0], [1, 1], [2, 1]], float),),
              _angles, ops=30, atol=1e-9, visible=True, repeat=1,
              what="angles of the staircase (0,0)->(1,0)->(1,1)->(2,1): [90, 90] degrees"),
        Check("turning_angles", lambda rng: (np.cumsum(rng.normal(size=(int(rng.integers(3, 9)),
                                                                        int(rng.integers(2, 4)))), 0),),
              _angles, ops=60, atol=1e-6, repeat=3),
    )),
    Part("p67_test_b", ("steepest_descent_exact",), (
        Check("steepest_descent_exact", lambda rng: (np.array([[1.0, 0.0], [0.0, 10.0]]),
                                                     np.array([-9.0, -1.5]), 8),
              _exact_search, ops=400, visible=True, repeat=1,
              what="8 steps of exact line search from (-9, -1.5) on A = diag(1, 10)"),
        Check("steepest_descent_exact", lambda rng: (_spd(rng), rng.normal(size=3), 6),
              _exact_search, ops=2000, repeat=2),
        Check("steepest_descent_exact", lambda rng: (np.array([[1.0, 0.0], [0.0, 10.0]]),
                                                     np.array([0.0, 2.0]), 3),
              _exact_search, ops=40, repeat=1, what="a start on an eigenvector (g = 0 after one step)"),
    )),
    Part("p67_test_c", ("momentum_path",), (
        Check("momentum_path", lambda rng: (np.array([[1.0, 0.0], [0.0, 10.0]]), np.array([-9.0, -1.5]),
                                            0.15, 0.8, 40), _momentum_path, ops=1000, visible=True,
              repeat=1, what="momentum iterates (alpha=0.15, beta=0.8, 40 steps)"),
        Check("momentum_path", lambda rng: (_spd(rng, 3, 1.0), rng.normal(size=3), 0.05, 0.5, 10),
              _momentum_path, ops=1000, repeat=2),
    )),
    Part("p68_test_a", ("gradient_descent",), (
        Check("gradient_descent", lambda rng: (Code("lambda p: 4.0 * p", label="grad of 2 phi^2"),
                                               np.array([1.0]), 0.1, 5), _gd, ops=20, visible=True,
              repeat=1, what="gradient descent on L = 2 phi^2: phi_t = 0.6^t"),
        Check("gradient_descent", lambda rng: (Code("lambda p: np.array([[3.0, 1.0], [1.0, 2.0]]) @ p",
                                                    label="grad of a 2-D quadratic"),
                                               rng.normal(size=2), 0.2, int(rng.integers(0, 8))),
              _gd, ops=100, repeat=2),
        Check("gradient_descent", lambda rng: (_GABOR, np.array([-5.8193761, 13.82450393]),
                                               float(rng.choice([0.2, 0.4])), 50), _gd, ops=50 * 400,
              repeat=1, what="the Gabor experiment from the local minimum"),
    )),
    Part("p68_test_b", ("largest_stable_alpha",), (
        Check("largest_stable_alpha", lambda rng: (np.diag([1.0, 10.0]),), _stable, ops=30,
              visible=True, repeat=1, what="largest_stable_alpha(diag(1, 10)) = 2 / 10"),
        Check("largest_stable_alpha", lambda rng: (_spd(rng, int(rng.integers(1, 5)), 0.1),), _stable,
              ops=300, repeat=3),
        Check("largest_stable_alpha", lambda rng: ([np.array([[1.0, 0.0], [0.0, -1.0]]), np.zeros((2, 2))][
                  int(rng.integers(0, 2))],), _stable, raises="ValueError", repeat=1,
              what="H is not positive definite: not a minimum"),
    )),
    Part("p69_test", ("epochs_trained",), (
        Check("epochs_trained", lambda rng: (1000, 100, 20), epochs, visible=True, repeat=1,
              what="epochs_trained(1000, 100, 20) = 200.0 (problem 6.9)", hints=(_EPOCH,)),
        Check("epochs_trained", _epoch_args,
              epochs, repeat=5, hints=(_EPOCH,)),
        Check("epochs_trained", lambda rng: [(10, 5, 6), (10, 5, 0)][int(rng.integers(0, 2))], epochs,
              raises="ValueError", repeat=1, what="batch_size must be between 1 and n"),
    )),
    Part("p610_test", ("momentum_weights",), (
        Check("momentum_weights", lambda rng: (0.9, 5), weights_newest_first, ops=20, visible=True,
              repeat=1, what="momentum_weights(0.9, 5), newest gradient first", hints=(_OLDEST,)),
        Check("momentum_weights", lambda rng: (float(rng.uniform(0, 0.99)), int(rng.integers(1, 31))),
              weights_newest_first, ops=200, repeat=3, hints=(_OLDEST,)),
    )),
    Part("p611_test", ("hessian_memory",), (
        Check("hessian_memory", lambda rng: (10 ** 6,), _memory, kind="dict", visible=True, repeat=1,
              what="hessian_memory(10**6): shape (10^6, 10^6), 10^12 entries, 8 * 10^12 bytes"),
        Check("hessian_memory", lambda rng: (int(rng.integers(1, 10**6)), int(rng.choice([2, 4, 8]))),
              _memory, kind="dict", repeat=2),
        Check("hessian_memory", lambda rng: (int(rng.choice([0, -5])),), _memory, raises="ValueError",
              repeat=1, what="a model needs at least one parameter"),
    )),
])
visible, hidden, PARTS = PARTS
