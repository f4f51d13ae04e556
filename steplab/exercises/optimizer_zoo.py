"""Checks of the assignment ``optimizer_zoo`` (AdaGrad, RMSProp, AdaDelta, Adamax, AMSGrad,
NAdam), declared once (see ``_core``).

Each step function takes ``(phi, g, *state[, t], *hyper)`` and returns ``(phi, *state)``.
References are transcriptions of the papers' updates written here (Duchi et al. 2011,
Hinton 2012, Zeiler 2012 alg. 1, Kingma & Ba 2015 alg. 2, Reddi et al. 2018 in torch's
bias-corrected form, Dozat 2016 in torch's form). Each part checks single steps from random
states of several shapes and ten steps fed back into the student's function. Where epsilon
is added to a root of the squared gradient, the place of epsilon changes the step by about
epsilon / |g| (below 1e-5 here, |g| >= 0.05), so ``method_rtol = 1e-5``.
"""

import numpy as np

from ._core import Check, Code, Hint, Part, bind, matches


def _adagrad(phi, g, r, alpha=0.01, epsilon=1e-7):
    r = r + np.square(g)
    return phi - alpha / (epsilon + np.sqrt(r)) * g, r


def _rmsprop(phi, g, r, alpha=0.01, gamma=0.99, epsilon=1e-8):
    r = r + (1 - gamma) * (np.square(g) - r)
    return phi - alpha * g / (epsilon + np.sqrt(r)), r


def _adadelta(phi, g, r, s, gamma=0.9, epsilon=1e-6, alpha=1.0):
    r = gamma * r + (1 - gamma) * g ** 2
    dx = -(np.sqrt(s + epsilon) / np.sqrt(r + epsilon)) * g
    s = gamma * s + (1 - gamma) * dx ** 2
    return phi + alpha * dx, r, s


def _adamax(phi, g, m, u, t, alpha=0.002, beta=0.9, gamma=0.999, epsilon=1e-8):
    m = beta * m + (1 - beta) * g
    u = np.where(gamma * u > np.abs(g), gamma * u, np.abs(g))
    return phi - (alpha / (1 - beta ** t)) * (m / (u + epsilon)), m, u


def _amsgrad(phi, g, m, v, v_hat, t, alpha=0.001, beta=0.9, gamma=0.999, epsilon=1e-8):
    m = m + (1 - beta) * (g - m)
    v = v + (1 - gamma) * (g * g - v)
    v_hat = np.fmax(v_hat, v)
    denom = np.sqrt(v_hat) / np.sqrt(1 - gamma ** t) + epsilon
    return phi - (alpha / (1 - beta ** t)) * m / denom, m, v, v_hat


def _amsgrad_uncorrected(phi, g, m, v, v_hat, t, alpha=0.001, beta=0.9, gamma=0.999,
                         epsilon=1e-8):
    m = beta * m + (1 - beta) * g
    v = gamma * v + (1 - gamma) * g * g
    v_hat = np.maximum(v_hat, v)
    return phi - alpha * m / (np.sqrt(v_hat) + epsilon), m, v, v_hat


def _nadam(phi, g, m, v, mu_product, t, alpha=0.002, beta=0.9, gamma=0.999, epsilon=1e-8,
           momentum_decay=0.004):
    mu = beta * (1. - 0.5 * (0.96 ** (t * momentum_decay)))
    mu_next = beta * (1. - 0.5 * (0.96 ** ((t + 1) * momentum_decay)))
    prod = mu_product * mu
    m = m + (1 - beta) * (g - m)
    v = v * gamma + (1 - gamma) * g * g
    denom = np.sqrt(v / (1 - gamma ** t)) + epsilon
    new = phi - alpha * (1. - mu) / (1. - prod) * g / denom \
        - alpha * mu_next / (1. - prod * mu_next) * m / denom
    return new, m, v, prod


# name: (reference, number of state arrays, takes t, state kinds, hyperparameter draws)
_SPECS = {
    "adagrad_step": (_adagrad, ("pos",), False,
                     lambda rng: (float(rng.uniform(0.01, 0.3)), 1e-7)),
    "rmsprop_step": (_rmsprop, ("pos",), False,
                     lambda rng: (float(rng.uniform(0.001, 0.05)), float(rng.uniform(0.8, 0.99)), 1e-8)),
    "adadelta_step": (_adadelta, ("pos", "pos"), False,
                      lambda rng: (float(rng.uniform(0.8, 0.95)), float(10 ** rng.uniform(-6, -3)),
                                   float(rng.uniform(0.5, 1.0)))),
    "adamax_step": (_adamax, ("any", "pos"), True,
                    lambda rng: (float(rng.uniform(0.001, 0.1)), float(rng.uniform(0.5, 0.95)),
                                 float(rng.uniform(0.9, 0.999)), 1e-8)),
    "amsgrad_step": (_amsgrad, ("any", "pos", "vhat"), True,
                     lambda rng: (float(rng.uniform(0.001, 0.1)), float(rng.uniform(0.5, 0.95)),
                                  float(rng.uniform(0.9, 0.999)), 1e-8)),
    "nadam_step": (_nadam, ("any", "pos", "prod"), True,
                   lambda rng: (float(rng.uniform(0.001, 0.05)), float(rng.uniform(0.7, 0.95)),
                                float(rng.uniform(0.9, 0.999)), 1e-8,
                                float(rng.choice([0.004, 0.1, 0.5])))),
}


def _args(name):
    ref, kinds, with_t, hyper = _SPECS[name]

    def draw(rng):
        shape = [(1,), (4,), (2, 3)][int(rng.integers(0, 3))]
        g = rng.normal(size=shape)
        g = np.where(np.abs(g) < 0.05, 0.05, g)
        state = []
        for k in kinds:
            if k == "pos":
                state.append(rng.uniform(0.01, 1.0, size=shape))
            elif k == "vhat":
                state.append(state[-1] + rng.uniform(0.0, 0.5, size=shape))
            elif k == "prod":
                state.append(float(rng.uniform(0.05, 0.9)))
            else:
                state.append(0.3 * rng.normal(size=shape))
        t = (int(rng.integers(1, 40)),) if with_t else ()
        return (rng.normal(size=shape), g, *state, *t, *hyper(rng))
    return draw


def _chain(name):
    _, kinds, with_t, _ = _SPECS[name]
    init = ", ".join("1.0" if k == "prod" else "np.zeros_like(phi)" for k in kinds)
    t_arg = "t, " if with_t else ""
    return Code(f'''def _sl_chain_{name}(step):
    def run(phi0, steps, *hyper):
        A = np.array([[3.0, 0.5], [0.5, 1.0]])
        phi = np.array(phi0, dtype=float)
        state = [{init}]
        path = [phi]
        for t in range(1, steps + 1):
            out = step(phi, A @ phi - 1.0, *state, {t_arg}*hyper)
            phi, state = np.asarray(out[0], dtype=float), list(out[1:])
            path.append(phi)
        return np.array(path)
    return run''', label=f"ten {name} steps chained on a quadratic")


def _part(grade_id, name, first, first_what, method_rtol=1e-5, hints=()):
    ref, kinds, _, hyper = _SPECS[name]
    n_out = 1 + len(kinds)
    return Part(grade_id, (name,), (
        Check(name, lambda rng: first, ref, outputs=n_out, ops=40, method_rtol=method_rtol,
              visible=True, repeat=1, what=first_what, hints=hints),
        Check(name, _args(name), ref, outputs=n_out, ops=80, method_rtol=method_rtol, repeat=4,
              hints=hints),
        Check(name, lambda rng: ([1.0, -2.0], 10, *hyper(rng)), ref, driver=_chain(name),
              ops=10 * 80, method_rtol=10 * method_rtol, repeat=1, hints=hints,
              what=f"ten steps of {name} fed back into itself on a quadratic"),
    ))


_NO_BIAS = Hint("the step is missing the bias correction: divide m by 1 - beta**t and v_hat by "
                "1 - gamma**t, as torch.optim.Adam(amsgrad=True) does", matches(_amsgrad_uncorrected))

PARTS = bind([
    _part("oz_adagrad_tests", "adagrad_step",
          (np.array([1.0, -3.0]), np.array([2.0, -6.0]), np.zeros(2), 0.1, 0.0),
          "first AdaGrad step by hand: r = g^2, phi moves alpha * sign(g) -> [0.9, -2.9], "
          "r = [4, 36]"),
    _part("oz_rmsprop_tests", "rmsprop_step",
          (np.array([1.0]), np.array([2.0]), np.zeros(1), 0.01, 0.99, 0.0),
          "first RMSProp step by hand: r = (1 - gamma) g^2, the step is alpha / sqrt(1 - gamma) "
          "= 0.1 -> [0.9]"),
    _part("oz_adadelta_tests", "adadelta_step",
          (np.array([1.0]), np.array([2.0]), np.zeros(1), np.zeros(1), 0.9, 1e-6, 1.0),
          "first AdaDelta step: delta = sqrt(s_old + eps) / sqrt(r_new + eps) * g", method_rtol=0.0),
    _part("oz_adamax_tests", "adamax_step",
          (np.array([1.0, -3.0]), np.array([2.0, -6.0]), np.zeros(2), np.zeros(2), 1, 0.002, 0.9,
           0.999, 0.0),
          "first Adamax step by hand: every component moves by alpha -> [0.998, -2.998]"),
    _part("oz_amsgrad_tests", "amsgrad_step",
          (np.array([0.5, -1.0]), np.array([2.0, -6.0]), np.zeros(2), np.zeros(2), np.zeros(2), 1,
           0.1, 0.9, 0.99, 1e-8),
          "first AMSGrad step (with bias correction every component moves by alpha)",
          hints=(_NO_BIAS,)),
    _part("oz_nadam_tests", "nadam_step",
          (np.zeros(1), np.ones(1), np.zeros(1), np.zeros(1), 1.0, 1, 0.002, 0.9, 0.999, 1e-8, 0.004),
          "first NAdam step: mu_product = 0.9 (1 - 0.5 * 0.96**0.004) = 0.450073"),
])
visible, hidden, PARTS = PARTS
