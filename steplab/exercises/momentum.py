"""Checks of the assignment ``momentum`` (UDL 6.3), declared once (see ``_core``).

References are transcriptions of eq. 6.11 written here. Convention shared with the
``problems`` assignment (problem 6.10): the weights of past gradients are listed
**newest first**, ``[w_0, w_1, ...]`` with ``w_k`` the weight of the gradient from k steps ago.
"""

import numpy as np

from ._core import Check, Code, Hint, Part, bind, matches


def _momentum(phi, m, g, alpha, beta):  # eq. 6.11
    m = beta * m + (1.0 - beta) * g
    return phi - alpha * m, m


def _old_m(phi, m, g, alpha, beta):  # the usual slip: phi moves with the OLD momentum
    return phi - alpha * m, beta * m + (1.0 - beta) * g


def _no_damping(phi, m, g, alpha, beta):  # m = beta m + g (the heavy-ball form, not eq. 6.11)
    m = beta * m + g
    return phi - alpha * m, m


def _step_args(rng):
    shape = [(1,), (7,), (3, 4), (2, 3, 2)][int(rng.integers(0, 4))]
    return (rng.normal(size=shape), rng.normal(size=shape), rng.normal(size=shape),
            float(rng.uniform(0.01, 0.5)), float(rng.uniform(0.0, 0.99)))


def _run(grad_fn, phi0, alpha, beta, steps, step):  # eq. 6.11 repeated from m_0 = 0
    phi = np.array(phi0, dtype=float)
    m = np.zeros_like(phi)
    path = [phi]
    for _ in range(steps):
        phi, m = step(phi, m, grad_fn(phi), alpha, beta)
        path.append(phi)
    return np.array(path)


def weights_newest_first(beta, t):
    """Weights of past gradients in m_t by running eq. 6.11 on one-hot gradients: entry k is
    the weight of the gradient from k steps ago (newest first)."""
    m = np.zeros(t)
    for s in range(t):
        g = np.zeros(t)
        g[t - 1 - s] = 1.0
        m = beta * m + (1 - beta) * g
    return m


def _first(losses, threshold):
    for t, loss in enumerate(losses):
        if loss <= threshold:  # NaN never counts as reached
            return t
    return None


def _compare(problem, phi0, alpha, beta, steps, threshold):  # eq. 6.3 and eq. 6.11 loops
    out = []
    for b in (None, beta):
        phi, m = np.array(phi0, dtype=float), 0.0
        losses = [problem.loss(phi)]
        for _ in range(steps):
            g = problem.grad(phi)
            if b is None:
                phi = phi - alpha * g
            else:
                m = b * m + (1 - b) * g
                phi = phi - alpha * m
            losses.append(problem.loss(phi))
        out.append(_first(losses, threshold))
    return tuple(out)


_SLIP = Hint("phi_new must use the NEW momentum: phi_new = phi - alpha * m_new with m_new from "
             "eq. 6.11", matches(_old_m))
_DAMP = Hint("the factor of the momentum update is missing: eq. 6.11 weights the gradient by "
             "(1 - beta), m_new = beta * m + (1 - beta) * g",
             matches(_no_damping, output=1))
_REF_STEP = Code("lambda phi, m, g, alpha, beta: (phi - alpha * (beta * m + (1 - beta) * g), "
                 "beta * m + (1 - beta) * g)", label="the test's step")
_LIN = Code("sl.LinearRegression(*sl.data.linear_regression()).grad", label='lin.grad')
_GAB = Code("sl.GaborRegression(*sl.data.gabor()).grad", label="the Gabor model's grad")
_CHAIN = Code('''def _sl_momentum_chain(step):
    grad = sl.GaborRegression(*sl.data.gabor()).grad

    def run(phi0, steps, alpha, beta):
        phi = np.array(phi0, dtype=float)
        m = np.zeros_like(phi)
        path = [phi]
        for _ in range(steps):
            phi, m = step(phi, m, grad(phi), alpha, beta)
            phi, m = np.asarray(phi, dtype=float), np.asarray(m, dtype=float)
            path.append(phi)
        return np.array(path)
    return run''')
_ROWS = Hint("return every iterate, phi0 first: shape (steps + 1, P); start with m = 0",
             lambda a, g, r: g[0].shape != r[0].shape)

PARTS = bind([
    Part("test_momentum_step", ("momentum_step",), (
        Check("momentum_step", lambda rng: (np.array([1.0, -2.0]), np.array([0.5, 0.0]),
                                            np.array([2.0, -4.0]), 0.1, 0.9),
              _momentum, outputs=2, ops=6, visible=True, repeat=1, hints=(_SLIP, _DAMP),
              what="momentum_step(phi=[1, -2], m=[0.5, 0], g=[2, -4], alpha=0.1, beta=0.9) "
                   "(by hand: phi_new = [0.935, -1.96], m_new = [0.65, -0.4])"),
        Check("momentum_step", _step_args, _momentum, outputs=2, ops=6, repeat=4,
              hints=(_SLIP, _DAMP)),
        Check("momentum_step", lambda rng: (list(np.array([-1.5, 8.5]) + 0.3 * rng.normal(size=2)), 10,
                                            0.2, float(rng.uniform(0.3, 0.9))),
              _momentum, driver=_CHAIN, ops=10 * 400, repeat=1, hints=(),
              what="ten chained momentum steps on the Gabor model (your step fed back)"),
    )),
    Part("test_run_momentum", ("run_momentum",), (
        Check("run_momentum", lambda rng: (_LIN, [1.6, -0.5], 0.03, 0.8, 25, _REF_STEP), _run,
              ops=25 * 60, visible=True, repeat=1, hints=(_ROWS,),
              what="iterates phi_0..phi_25 (rows) of run_momentum on the book's linear "
                   "regression data (alpha 0.03, beta 0.8)"),
        Check("run_momentum", lambda rng: (_GAB, list(np.array([-1.5, 8.5]) + 0.3 * rng.normal(size=2)),
                                           0.2, float(rng.uniform(0.3, 0.9)), int(rng.integers(0, 40)),
                                           _REF_STEP), _run, ops=40 * 400, repeat=2, hints=(_ROWS,)),
        Check("run_momentum", lambda rng: (Code("lambda p: 2.0 * p"), rng.normal(size=3), 0.1, 0.5,
                                           int(rng.integers(1, 6)), _REF_STEP),
              _run, ops=60, repeat=1, hints=(_ROWS,)),
    )),
    Part("test_gradient_weights", ("gradient_weights",), (
        Check("gradient_weights", lambda rng: (0.5, 3), weights_newest_first, ops=8, visible=True,
              repeat=1, what="gradient_weights(0.5, 3) (by hand: [0.5, 0.25, 0.125], newest first)",
              hints=(Hint("the weights are listed newest first: w_0 belongs to the most recent "
                          "gradient", matches(lambda b, t: weights_newest_first(b, t)[::-1])),)),
        Check("gradient_weights", lambda rng: (float(rng.uniform(0.0, 0.99)), int(rng.integers(1, 50))),
              weights_newest_first, ops=200, repeat=3,
              hints=(Hint("the weights are listed newest first: w_0 belongs to the most recent "
                          "gradient", matches(lambda b, t: weights_newest_first(b, t)[::-1])),)),
        Check("gradient_weights", lambda rng: (0.9, 0), weights_newest_first, repeat=1,
              what="gradient_weights(0.9, 0) is empty"),
    )),
    Part("test_steps_to_reach", ("steps_to_reach",), (
        Check("steps_to_reach", lambda rng: ([5.0, 3.0, 1.0, 0.5], 1.0), _first, kind="exact",
              visible=True, repeat=1, what="steps_to_reach([5, 3, 1, 0.5], 1.0) (first at index 2)"),
        Check("steps_to_reach", lambda rng: ([5.0, 3.0, 2.0], 1.0), _first, kind="exact",
              visible=True, repeat=1, what="steps_to_reach([5, 3, 2], 1.0) never: None"),
        Check("steps_to_reach", lambda rng: (np.array([0.1, 3.0]), 0.5), _first, kind="exact", repeat=1),
        Check("steps_to_reach", lambda rng: ([2.0, float("nan"), 0.4], 0.5), _first, kind="exact",
              repeat=1, what="NaN never counts as reached"),
        Check("steps_to_reach", lambda rng: (rng.uniform(0, 10, size=int(rng.integers(1, 30))),
                                             float(rng.uniform(0, 10))), _first, kind="exact", repeat=4),
    )),
    Part("test_compare_steps", ("compare_steps",), (
        Check("compare_steps", lambda rng: (Code("sl.GaborRegression(*sl.data.gabor())"),
                                            np.array([-1.5, 8.5]), 0.2, 0.8, 200, 0.7),
              _compare, outputs=2, kind="exact", visible=True, repeat=1,
              what="compare_steps on the Gabor model (alpha 0.2, beta 0.8, 200 steps, threshold "
                   "0.7): (n_gd, n_momentum) = (None, 43)"),
        Check("compare_steps", lambda rng: (Code("sl.LinearRegression(*sl.data.linear_regression())"),
                                            np.array([1.6, -0.5]), 0.03, 0.5, 100,
                                            float(rng.uniform(0.2, 0.4))),
              _compare, outputs=2, kind="exact", repeat=1),
        Check("compare_steps", lambda rng: (Code("sl.GaborRegression(*sl.data.gabor())"),
                                            [-1.5, 6.5], 0.1, 0.9, 150, 0.8),
              _compare, outputs=2, kind="exact", repeat=1),
    )),
])
visible, hidden, PARTS = PARTS
