"""Checks of the assignment ``gradient_descent`` (UDL 6.1), declared once (see ``_core``).

References are independent transcriptions of the book's equations (6.3-6.9), written here
as loops or closed forms, or the engine's ``sl.minimize`` with ``sl.GradientDescent``.
"""

import numpy as np

from ._core import Check, Code, Hint, Part, bind, matches, scaled


def _book_data():
    import steplab as sl

    return sl.data.linear_regression()


def _gabor_data():
    import steplab as sl

    return sl.data.gabor()


def _lin_data(rng):  # a random line fit: phi, x, y with 1 to 25 points
    k = int(rng.integers(1, 26))
    return rng.normal(size=2), 3.0 * rng.normal(size=k), rng.normal(size=k)


def _step_args(rng):  # phi and grad of any shape, a learning rate
    shape = [(2,), (5,), (3, 4)][int(rng.integers(0, 3))]
    return rng.normal(size=shape), rng.normal(size=shape), float(rng.uniform(0.01, 1.5))


def _model(phi, x):  # eq. 6.4
    return phi[0] + phi[1] * np.asarray(x, dtype=float)


def _loss(phi, x, y):  # eq. 6.5, a loop over the data
    return float(sum((phi[0] + phi[1] * a - b) ** 2 for a, b in zip(x, y, strict=True)))


def _grad(phi, x, y):  # eqs. 6.6-6.7, a loop over the data
    g = np.zeros(2)
    for a, b in zip(x, y, strict=True):
        r = phi[0] + phi[1] * a - b
        g += [2.0 * r, 2.0 * r * a]
    return g


def _gd_loop(grad_fn, phi0, alpha, steps, step):  # eq. 6.3 repeated, every iterate kept
    phi = np.array(phi0, dtype=float)
    path = [phi]
    for _ in range(steps):
        phi = step(phi, grad_fn(phi), alpha)
        path.append(phi)
    return np.array(path)


def _gabor_grad(phi, x, y):  # problem 6.3 by the chain rule, one point at a time
    g = np.zeros(2)
    for a, b in zip(np.asarray(x, dtype=float), np.asarray(y, dtype=float), strict=True):
        z = phi[0] + 0.06 * phi[1] * a
        f = np.sin(z) * np.exp(-z * z / 32.0)
        dfdz = np.exp(-z * z / 32.0) * (np.cos(z) - z * np.sin(z) / 16.0)
        g += 2.0 * (f - b) * dfdz * np.array([1.0, 0.06 * a])
    return g


def _gabor_no_inner(phi, x, y):  # the usual slip: dz/dphi1 = x instead of 0.06 x
    x = np.asarray(x, dtype=float)
    z = phi[0] + 0.06 * phi[1] * x
    w = 2.0 * (np.sin(z) * np.exp(-z * z / 32.0) - y) * np.exp(-z * z / 32.0) * (
        np.cos(z) - z * np.sin(z) / 16.0)
    return np.array([np.sum(w), np.sum(w * x)])


def _gd_step_up(phi, grad, alpha):
    return phi + alpha * grad


_REF_STEP = Code("lambda phi, g, alpha: phi - alpha * g", label="the test's step")
_GABOR = "sl.GaborRegression(*sl.data.gabor()).grad"

PARTS = bind([
    Part("test_linear_model", ("linear_model",), (
        Check("linear_model", lambda rng: (np.array([0.5, 2.0]), np.array([0.0, 1.0, 3.0])),
              _model, what="linear_model([0.5, 2.0], x=[0, 1, 3]) (by hand: [0.5, 2.5, 6.5])",
              ops=2, visible=True, repeat=1,
              hints=(Hint("f = phi0 + phi1 * x: phi[0] is the intercept, phi[1] the slope",
                          matches(lambda phi, x: phi[1] + phi[0] * x)),)),
        Check("linear_model", lambda rng: (rng.normal(size=2), rng.normal(size=int(rng.integers(1, 40)))),
              _model, ops=2),
        Check("linear_model", lambda rng: (rng.normal(size=2), float(rng.normal())),
              _model, what="linear_model for a single number x", ops=2, repeat=1),
    )),
    Part("test_linear_loss", ("linear_loss",), (
        Check("linear_loss", lambda rng: (np.array([1.0, 1.0]), np.array([0.0, 1.0, 2.0]),
                                          np.array([1.0, 1.0, 1.0])),
              _loss, what="linear_loss([1, 1], x=[0, 1, 2], y=[1, 1, 1]) (by hand: 5)",
              visible=True, repeat=1,
              hints=(Hint("eq. 6.5 is the sum of the squared errors, not their mean",
                          scaled(1 / 3)),)),
        Check("linear_loss", lambda rng: (np.array([0.6, -0.2]), *_book_data()), _loss,
              what="linear_loss at phi = (0.6, -0.2) on the book's data (UDL fig. 6.1)",
              ops=40, visible=True, repeat=1),
        Check("linear_loss", lambda rng: (rng.normal(size=2),
                                          *rng.normal(size=(2, int(rng.integers(1, 30))))),
              _loss, ops=100,
              hints=(Hint("eq. 6.5 is the sum of the squared errors, not their mean",
                          lambda a, g, r: np.isclose(g[0] * len(a[1]), r[0])),)),
    )),
    Part("test_linear_grad", ("linear_grad",), (
        Check("linear_grad", lambda rng: (np.array([0.6, -0.2]), *_book_data()), _grad,
              what="linear_grad at phi = (0.6, -0.2) on the book's data", ops=60,
              visible=True, repeat=1,
              hints=(Hint("the result is off by a factor of 1/2: eq. 6.7 has a 2 from "
                          "differentiating the square", scaled(0.5)),
                     Hint("the sign is flipped: the error is (phi0 + phi1 x - y)",
                          scaled(-1.0)))),
        Check("linear_grad", lambda rng: _lin_data(rng), _grad, ops=100,
              hints=(Hint("the result is off by a factor of 1/2: eq. 6.7 has a 2 from "
                          "differentiating the square", scaled(0.5)),
                     Hint("the sign is flipped: the error is (phi0 + phi1 x - y)",
                          scaled(-1.0)))),
    )),
    Part("test_gd_step", ("gd_step",), (
        Check("gd_step", lambda rng: (np.array([1.0, 2.0]), np.array([0.5, -1.0]), 0.1),
              lambda p, g, a: p - a * g, ops=2, visible=True, repeat=1,
              what="gd_step([1, 2], grad=[0.5, -1], alpha=0.1) (by hand: [0.95, 2.1])",
              hints=(Hint("the step goes the wrong way (uphill): eq. 6.3 subtracts "
                          "alpha times the gradient", matches(_gd_step_up)),)),
        Check("gd_step", _step_args, lambda p, g, a: p - a * g, ops=2, repeat=4,
              hints=(Hint("the step goes the wrong way (uphill): eq. 6.3 subtracts "
                          "alpha times the gradient", matches(_gd_step_up)),)),
    )),
    Part("test_gradient_descent", ("gradient_descent",), (
        Check("gradient_descent", lambda rng: (Code("sl.LinearRegression(*sl.data.linear_regression()).grad"),
                                               [1.6, -0.5], 0.01, 20, _REF_STEP),
              _gd_loop, what="iterates phi_0..phi_20 (rows) of gradient_descent on the "
                             "book's data (reference: sl.minimize)", ops=2000, visible=True,
              repeat=1,
              hints=(Hint("return every iterate, phi0 first: an array of shape (steps + 1, P)",
                          lambda a, g, r: g[0].shape != r[0].shape),)),
        Check("gradient_descent", lambda rng: (Code(_GABOR), list(rng.normal(size=2) + [-1.5, 8.5]),
                                               0.2, int(rng.integers(5, 25)), _REF_STEP),
              _gd_loop, ops=5000, repeat=2,
              hints=(Hint("return every iterate, phi0 first: an array of shape (steps + 1, P)",
                          lambda a, g, r: g[0].shape != r[0].shape),)),
        Check("gradient_descent", lambda rng: (Code("lambda p: 2.0 * p"), rng.normal(size=3),
                                               0.1, int(rng.integers(0, 3)), _REF_STEP),
              _gd_loop, ops=20, repeat=2,
              hints=(Hint("with steps = 0 the result is just phi0, one row",
                          lambda a, g, r: a[3] == 0),)),
    )),
    Part("test_gabor_grad", ("gabor_grad",), (
        Check("gabor_grad", lambda rng: (np.array([-1.5, 8.5]), *_gabor_data()), _gabor_grad,
              what="gabor_grad at phi = (-1.5, 8.5) on the book's data", ops=400,
              visible=True, repeat=1,
              hints=(Hint("dL/dphi1 misses the inner derivative of z = phi0 + 0.06 phi1 x "
                          "(chain rule): dz/dphi1 = 0.06 x", matches(_gabor_no_inner)),)),
        Check("gabor_grad", lambda rng: (rng.normal(size=2) * [3, 5] + [0, 10], *_gabor_data()),
              _gabor_grad, ops=400, repeat=2,
              hints=(Hint("dL/dphi1 misses the inner derivative of z = phi0 + 0.06 phi1 x "
                          "(chain rule): dz/dphi1 = 0.06 x", matches(_gabor_no_inner)),)),
        Check("gabor_grad", lambda rng: (np.array([0.5, 10.0]) + rng.normal(size=2),
                                         rng.uniform(-15, 15, size=6), rng.normal(size=6)),
              _gabor_grad, ops=100, repeat=2,
              hints=(Hint("dL/dphi1 misses the inner derivative of z = phi0 + 0.06 phi1 x "
                          "(chain rule): dz/dphi1 = 0.06 x", matches(_gabor_no_inner)),)),
    )),
])
visible, hidden, PARTS = PARTS
