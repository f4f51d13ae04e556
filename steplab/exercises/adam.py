"""Checks of the assignment ``adam`` (UDL 6.4), declared once (see ``_core``).

References are transcriptions of eqs. 6.13-6.17 written here; the chained runs feed the
student's step back into itself. Where Kingma & Ba (sec. 2) fold the bias correction into
the step size, epsilon ends up added to sqrt(v) instead of sqrt(v_hat): the two forms differ
by about epsilon / sqrt(v_hat) / sqrt(1 - gamma**t) relative to the step, below 1e-5 for
the gradients drawn here (|g| >= 0.05, epsilon = 1e-8), so ``method_rtol = 1e-5`` accepts
both, while every wrong formula below changes the leading digits.
"""

import numpy as np

from ._core import Check, Code, Hint, Part, bind, matches


def _normalized(phi, g, alpha, epsilon=1e-8):  # eqs. 6.13-6.14, sqrt(v) + epsilon
    return phi - alpha * g / (np.sqrt(g * g) + epsilon)


def _normalized_under_root(phi, g, alpha, epsilon=1e-8):  # the print's sqrt(v + epsilon)
    return phi - alpha * g / np.sqrt(g * g + epsilon)


def _normalized_args(rng):  # phi and g of any shape, gradients from 1e-4 to 2000 in size
    shape = [(1,), (6,), (3, 4)][int(rng.integers(0, 3))]
    g = rng.choice([-1.0, 1.0], size=shape) * 10.0 ** rng.uniform(-4, 3.3, size=shape)
    return rng.normal(size=shape), g, float(rng.uniform(0.01, 1.0)), 1e-8


def _bias(m, v, beta, gamma, t):  # eq. 6.16, t counted from 1
    return m / (1.0 - beta ** t), v / (1.0 - gamma ** t)


def _adam(phi, m, v, t, g, alpha, beta=0.9, gamma=0.999, epsilon=1e-8):  # eqs. 6.15-6.17
    m = beta * m + (1.0 - beta) * g
    v = gamma * v + (1.0 - gamma) * g * g
    m_hat, v_hat = m / (1.0 - beta ** t), v / (1.0 - gamma ** t)
    return phi - alpha * m_hat / (np.sqrt(v_hat) + epsilon), m, v


def _adam_uncorrected(phi, m, v, t, g, alpha, beta=0.9, gamma=0.999, epsilon=1e-8):
    m = beta * m + (1.0 - beta) * g
    v = gamma * v + (1.0 - gamma) * g * g
    return phi - alpha * m / (np.sqrt(v) + epsilon), m, v


def _adam_t_plus_one(phi, m, v, t, g, alpha, beta=0.9, gamma=0.999, epsilon=1e-8):
    return _adam(phi, m, v, t + 1, g, alpha, beta, gamma, epsilon)


def _adam_swapped(phi, m, v, t, g, alpha, beta=0.9, gamma=0.999, epsilon=1e-8):
    return _adam(phi, m, v, t, g, alpha, gamma, beta, epsilon)


def _adam_v_not_squared(phi, m, v, t, g, alpha, beta=0.9, gamma=0.999, epsilon=1e-8):
    m = beta * m + (1.0 - beta) * g
    v = gamma * v + (1.0 - gamma) * g
    return phi, m, v


def _ratio(beta, gamma, t):  # |uncorrected| / |corrected| for a constant gradient, by unrolling
    t = np.asarray(t)
    out = []
    for k in np.atleast_1d(t).astype(int):
        m = v = 0.0
        for _ in range(k):
            m, v = beta * m + (1 - beta) * 1.7, gamma * v + (1 - gamma) * 1.7 ** 2
        out.append((m / np.sqrt(v)) / ((m / (1 - beta ** k)) / np.sqrt(v / (1 - gamma ** k))))
    return np.array(out).reshape(t.shape)


def _state_args(rng):  # a later Adam step: state from earlier steps, this step's number t
    shape = [(1,), (4,), (2, 3)][int(rng.integers(0, 3))]
    g = rng.normal(size=shape)
    g = np.where(np.abs(g) < 0.05, 0.05, g)
    return (rng.normal(size=shape), 0.3 * rng.normal(size=shape),
            rng.uniform(0.01, 1.0, size=shape), int(rng.integers(1, 60)), g,
            float(rng.uniform(0.001, 0.1)), float(rng.uniform(0.0, 0.99)),
            float(rng.uniform(0.9, 0.999)), 1e-8)


_BIAS_HINT = Hint("the step is missing the bias correction of eq. 6.16: divide m by (1 - beta**t) "
                  "and v by (1 - gamma**t) before eq. 6.17", matches(_adam_uncorrected))
_T_HINT = Hint("t counts steps from 1: in the first step t = 1, so the correction divides by "
               "1 - beta**1 (you used t + 1)", matches(_adam_t_plus_one))
_SWAP_HINT = Hint("beta belongs to m and gamma to v in eq. 6.15", matches(_adam_swapped, output=1))
_SQUARE_HINT = Hint("v averages the SQUARED gradient g**2 (eq. 6.15)",
                    matches(_adam_v_not_squared, output=2))

_CHAIN = Code('''def _sl_adam_chain(step):
    grad = sl.GaborRegression(*sl.data.gabor()).grad

    def run(phi0, steps, alpha, beta, gamma, epsilon):
        phi = np.array(phi0, dtype=float)
        m, v = np.zeros_like(phi), np.zeros_like(phi)
        path = [phi]
        for t in range(1, steps + 1):
            phi, m, v = step(phi, m, v, t, grad(phi), alpha, beta, gamma, epsilon)
            phi, m, v = (np.asarray(a, dtype=float) for a in (phi, m, v))
            path.append(phi)
        return np.array(path)
    return run''')


def _trajectory(grad_fn, phi0, steps, alpha, beta=0.9, gamma=0.999, epsilon=1e-8):
    phi = np.array(phi0, dtype=float)
    m, v = np.zeros_like(phi), np.zeros_like(phi)
    path = [phi]
    for t in range(1, steps + 1):
        phi, m, v = _adam(phi, m, v, t, grad_fn(phi), alpha, beta, gamma, epsilon)
        path.append(phi)
    return np.array(path)


_FIG69 = Code("sl.Function(lambda p: 1 - np.exp(-2 * p[..., 1] ** 2) * np.exp(-(p[..., 0] - 0.7) "
              "** 2 / 8), grad=lambda p: np.stack([(p[..., 0] - 0.7) / 4 * np.exp(-2 * p[..., 1] "
              "** 2) * np.exp(-(p[..., 0] - 0.7) ** 2 / 8), 4 * p[..., 1] * np.exp(-2 * p[..., 1] "
              "** 2) * np.exp(-(p[..., 0] - 0.7) ** 2 / 8)], axis=-1), P=2).grad", label='fig69.grad')
_GABOR = Code("sl.GaborRegression(*sl.data.gabor()).grad", label="the Gabor model's grad")
_TRAJ_HINT = Hint("phi0 first, shape (steps + 1, P); m and v start at zeros, t runs from 1",
                  lambda a, g, r: g[0].shape != r[0].shape)

PARTS = bind([
    Part("test_normalized_step", ("normalized_step",), (
        Check("normalized_step", lambda rng: (np.ones(3), np.array([3.0, -0.5, 200.0]), 0.1, 1e-8),
              _normalized, ops=4, visible=True, repeat=1,
              what="normalized_step(phi=[1, 1, 1], g=[3, -0.5, 200], alpha=0.1) (by hand: "
                   "[0.9, 1.1, 0.9])"),
        Check("normalized_step", lambda rng: (np.zeros(2), np.array([1e-4, -2.0]), 0.1, 1e-8),
              _normalized, ops=4, visible=True, repeat=1,
              what="normalized_step(phi=[0, 0], g=[1e-4, -2], alpha=0.1, epsilon=1e-8)",
              hints=(Hint("epsilon is under the square root, sqrt(v + epsilon) as in the print of "
                          "eq. 6.14; this course uses sqrt(v) + epsilon (eq. 6.17)",
                          matches(_normalized_under_root, rtol=1e-9)),)),
        Check("normalized_step", _normalized_args, _normalized, ops=4, repeat=3,
              hints=(Hint("epsilon is under the square root, sqrt(v + epsilon) as in the print of "
                          "eq. 6.14; this course uses sqrt(v) + epsilon (eq. 6.17)",
                          matches(_normalized_under_root, rtol=1e-9)),)),
        Check("normalized_step", lambda rng: (np.array([2.0, 3.0]), np.array([0.0, 1.0]), 0.5, 1e-8),
              _normalized, ops=4, repeat=1, what="a zero gradient component does not move"),
    )),
    Part("test_bias_correct", ("bias_correct",), (
        Check("bias_correct", lambda rng: (np.array([0.2, -0.3]), np.array([0.04, 0.09]), 0.9, 0.99, 1),
              _bias, outputs=2, ops=6, visible=True, repeat=1,
              what="bias_correct(m=[0.2, -0.3], v=[0.04, 0.09], beta=0.9, gamma=0.99, t=1) (by "
                   "hand: m_hat = [2, -3], v_hat = [4, 9])",
              hints=(Hint("t counts steps from 1: at t = 1 divide by 1 - beta**1",
                          matches(lambda m, v, b, c, t: _bias(m, v, b, c, t + 1))),)),
        Check("bias_correct", lambda rng: (rng.normal(size=3), rng.uniform(0, 2, size=3),
                                           float(rng.uniform(0.5, 0.99)), float(rng.uniform(0.9, 0.9999)),
                                           int(rng.integers(1, 120))),
              _bias, outputs=2, ops=300, repeat=3),
    )),
    Part("test_adam_step", ("adam_step",), (
        Check("adam_step", lambda rng: (np.array([-0.7, -0.9]), np.zeros(2), np.zeros(2), 1,
                                        np.array([3.0, -0.5]), 0.05, 0.9, 0.999, 1e-8),
              _adam, outputs=3, ops=30, method_rtol=1e-5, visible=True, repeat=1,
              what="the first Adam step from rest (by hand: m = [0.3, -0.05], v = [0.009, "
                   "0.00025], phi = [-0.75, -0.85])",
              hints=(_BIAS_HINT, _T_HINT, _SWAP_HINT, _SQUARE_HINT)),
        Check("adam_step", _state_args, _adam, outputs=3, ops=200, method_rtol=1e-5, repeat=4,
              hints=(_BIAS_HINT, _T_HINT, _SWAP_HINT, _SQUARE_HINT)),
        Check("adam_step", lambda rng: (list(np.array([-1.5, 8.5]) + 0.3 * rng.normal(size=2)), 25,
                                        0.1, 0.8, 0.95, 1e-8),
              _adam, driver=_CHAIN, ops=25 * 400, method_rtol=1e-5, repeat=1,
              what="25 chained Adam steps on the Gabor model (your step fed back into itself)"),
    )),
    Part("test_uncorrected_ratio", ("uncorrected_ratio",), (
        Check("uncorrected_ratio", lambda rng: (0.9, 0.999, 1), _ratio, ops=300, visible=True,
              repeat=1, what="uncorrected_ratio(0.9, 0.999, 1) (by hand: 0.1 / sqrt(0.001) = 3.1623)"),
        Check("uncorrected_ratio", lambda rng: (float(rng.uniform(0.5, 0.99)), float(rng.uniform(0.9, 0.999)),
                                                int(rng.integers(1, 50))), _ratio, ops=600, repeat=3),
        Check("uncorrected_ratio", lambda rng: (0.9, 0.99, np.arange(1, 6)), _ratio, ops=300,
              repeat=1, what="uncorrected_ratio for an array t = 1..5"),
    )),
    Part("test_adam_trajectory", ("adam_trajectory",), (
        Check("adam_trajectory", lambda rng: (_FIG69, np.array([-0.7, -0.9]), 60, 0.05, 0.9, 0.99, 1e-8),
              _trajectory, ops=60 * 200, method_rtol=1e-5, visible=True, repeat=1,
              what="your Adam iterates phi_0..phi_60 on the fig. 6.9 loss", hints=(_TRAJ_HINT,)),
        Check("adam_trajectory", lambda rng: (_GABOR, list(np.array([-1.5, 8.5]) + 0.3 * rng.normal(size=2)),
                                              int(rng.integers(0, 30)), 0.1, 0.8, 0.95, 1e-8),
              _trajectory, ops=30 * 400, method_rtol=1e-5, repeat=2, hints=(_TRAJ_HINT,)),
    )),
])
visible, hidden, PARTS = PARTS
