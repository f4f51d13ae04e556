"""Checks of the assignment ``nesterov`` (UDL 6.3.1, eq. 6.12 in its errata form, and
Goodfellow et al. alg. 8.3), declared once (see ``_core``). References are written out here.
"""

import numpy as np

from ._core import Check, Code, Hint, Part, bind, matches


def _udl(phi, m, grad_fn, alpha, beta):  # eq. 6.12, errata form
    m = beta * m + (1.0 - beta) * grad_fn(phi - alpha * beta * m)
    return phi - alpha * m, m


def _udl_at_phi(phi, m, grad_fn, alpha, beta):  # the gradient at phi: plain momentum
    m = beta * m + (1.0 - beta) * grad_fn(phi)
    return phi - alpha * m, m


def _udl_printed(phi, m, grad_fn, alpha, beta):  # the first print's look-ahead phi - alpha m
    m = beta * m + (1.0 - beta) * grad_fn(phi - alpha * m)
    return phi - alpha * m, m


def _gf(phi, v, grad_fn, alpha, beta):  # Goodfellow alg. 8.3, renamed
    v = beta * v - alpha * grad_fn(phi + beta * v)
    return phi + v, v


def _gf_at_phi(phi, v, grad_fn, alpha, beta):
    v = beta * v - alpha * grad_fn(phi)
    return phi + v, v


_GRADS = [("lambda p: 2.0 * p", "grad of |phi|^2"),
          ("lambda p: np.tanh(p) + 0.5 * p", "grad of a smooth non-quadratic loss"),
          ("lambda p: np.sin(p) + p ** 3 / 10", "grad of sin + cubic")]


def _state_args(rng):
    shape = [(1,), (3,), (2, 5), (2, 2, 3)][int(rng.integers(0, 4))]
    src, label = _GRADS[int(rng.integers(0, 3))]
    return (rng.normal(size=shape), rng.normal(size=shape), Code(src, label=label),
            float(rng.uniform(0.01, 0.3)), float(rng.uniform(0.0, 0.95)))


def _chain(name, start):
    return Code(f'''def _sl_{name}_chain(step):
    grad = sl.GaborRegression(*sl.data.gabor()).grad

    def run(alpha, beta, steps):
        phi = np.array({start!r}, dtype=float)
        state = np.zeros_like(phi)
        path = [phi]
        for _ in range(steps):
            phi, state = step(phi, state, grad, alpha, beta)
            phi, state = np.asarray(phi, dtype=float), np.asarray(state, dtype=float)
            path.append(phi)
        return np.array(path)
    return run''', label=f"{name} steps chained on the Gabor model")


_COUNT = Code('''def _sl_count_calls(step):
    def run(phi, state, alpha, beta):
        calls = []

        def grad(p):
            calls.append(1)
            return 2.0 * np.asarray(p)
        step(phi, state, grad, alpha, beta)
        return len(calls)
    return run''', label="grad_fn calls in one step")
_AT_PHI = Hint("You evaluated the gradient at phi; Nesterov momentum evaluates it at the look-ahead "
               "point phi - alpha * beta * m (eq. 6.12)", matches(_udl_at_phi))
_PRINTED = Hint("You evaluated the gradient at phi - alpha * m (the first print); the errata form of "
                "eq. 6.12 uses phi - alpha * beta * m", matches(_udl_printed))
_GF_AT_PHI = Hint("the gradient is taken at the wrong point for Nesterov: Goodfellow's look-ahead is "
                  "phi + beta * v (with the OLD velocity), not phi", matches(_gf_at_phi))
_SQ = Code("lambda p: 2.0 * p", label="grad of |phi|^2")


PARTS = bind([
    Part("test_nesterov_step", ("nesterov_step",), (
        Check("nesterov_step", lambda rng: (np.array([1.0, -2.0]), np.array([0.5, 1.0]), _SQ, 0.1, 0.9),
              _udl, outputs=2, ops=10, visible=True, repeat=1, hints=(_AT_PHI, _PRINTED),
              what="nesterov_step(phi=[1, -2], m=[0.5, 1], grad of |phi|^2, alpha=0.1, beta=0.9) "
                   "(by hand: phi_new = [0.9359, -2.0482], m_new = [0.641, 0.482])"),
        Check("nesterov_step", _state_args, _udl, outputs=2, ops=20, repeat=4,
              hints=(_AT_PHI, _PRINTED)),
        Check("nesterov_step", lambda rng: (np.ones(2), np.ones(2), 0.1, 0.5), _udl,
              driver=_COUNT, kind="exact", repeat=1, what="grad_fn is called once per step"),
        Check("nesterov_step", lambda rng: (0.3, float(rng.uniform(0.3, 0.8)), 15), _udl,
              driver=_chain("nesterov", [-1.5, 6.5]), ops=15 * 400, repeat=1,
              what="15 chained Nesterov steps on the Gabor model (your step fed back)"),
    )),
    Part("test_lookahead", ("lookahead_errata", "lookahead_printed"), (
        Check("lookahead_errata", lambda rng: (np.array([1.0, 1.0]), np.array([2.0, -4.0]), 0.5, 0.75),
              lambda p, m, a, b: p - a * b * m, ops=3, visible=True, repeat=1,
              what="lookahead_errata([1, 1], [2, -4], 0.5, 0.75) (by hand: [0.25, 2.5])",
              hints=(Hint("the errata look-ahead is phi - alpha*beta*m",
                          matches(lambda p, m, a, b: p - a * m)),)),
        Check("lookahead_printed", lambda rng: (np.array([1.0, 1.0]), np.array([2.0, -4.0]), 0.5),
              lambda p, m, a: p - a * m, ops=2, visible=True, repeat=1,
              what="lookahead_printed([1, 1], [2, -4], 0.5) (by hand: [0, 3])"),
        Check("lookahead_errata", lambda rng: _state_args(rng)[:2] + _state_args(rng)[3:],
              lambda p, m, a, b: p - a * b * m, ops=3, repeat=2),
        Check("lookahead_printed", lambda rng: _state_args(rng)[:2] + _state_args(rng)[3:4],
              lambda p, m, a: p - a * m, ops=2, repeat=2),
    )),
    Part("test_goodfellow_step", ("goodfellow_step",), (
        Check("goodfellow_step", lambda rng: (np.array([1.0, -2.0]), np.array([0.2, 0.4]), _SQ, 0.1, 0.5),
              _gf, outputs=2, ops=10, visible=True, repeat=1, hints=(_GF_AT_PHI,),
              what="goodfellow_step(phi=[1, -2], v=[0.2, 0.4], grad of |phi|^2, alpha=0.1, beta=0.5) "
                   "(by hand: phi_new = [0.88, -1.44], v_new = [-0.12, 0.56])"),
        Check("goodfellow_step", _state_args, _gf, outputs=2, ops=20, repeat=4, hints=(_GF_AT_PHI,)),
        Check("goodfellow_step", lambda rng: (np.ones(2), np.ones(2), 0.1, 0.9), _gf,
              driver=_COUNT, kind="exact", repeat=1, what="grad_fn is called once per step"),
    )),
    Part("test_correspondence", ("goodfellow_from_udl", "velocity_from_momentum"), (
        Check("goodfellow_from_udl", lambda rng: (0.3, 0.6), lambda a, b: (a * (1 - b), b),
              outputs=2, ops=4, visible=True, repeat=1,
              what="goodfellow_from_udl(0.3, 0.6): the hyperparameters that give the same iterates",
              hints=(Hint("match the look-ahead points phi + beta_gf*v and phi - alpha*beta*m first",
                          lambda a, g, r: not np.isclose(float(g[1]), float(r[1]))),)),
        Check("goodfellow_from_udl", lambda rng: (float(rng.uniform(0.01, 0.3)),
                                                  float(rng.uniform(0.0, 0.95))),
              lambda a, b: (a * (1 - b), b), outputs=2, ops=4, repeat=3),
        Check("velocity_from_momentum", lambda rng: (rng.normal(size=4), float(rng.uniform(0.01, 0.3)),
                                                     float(rng.uniform(0.05, 0.95))),
              lambda m, a, b: -a * m, ops=2, repeat=3,
              hints=(Hint("write phi_{t+1} - phi_t in both forms and compare them",
                          lambda a, g, r: True),)),
    )),
])
visible, hidden, PARTS = PARTS
