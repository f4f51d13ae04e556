"""Checks of the assignment ``optimizer_zoo`` (AdaGrad, RMSProp, AdaDelta, Adamax, AMSGrad,
NAdam, and Adam training the digits network of lesson 6.10), declared once (see ``_core``).

Each step function takes ``(phi, g, *state[, t], *hyper)`` and returns ``(phi, *state)``.
References are transcriptions of the papers' updates written here (Duchi et al. 2011,
Hinton 2012, Zeiler 2012 alg. 1, Kingma & Ba 2015 alg. 2, Reddi et al. 2018 in torch's
bias-corrected form, Dozat 2016 in torch's form). Each part checks single steps from random
states of several shapes and ten steps fed back into the student's function. Where epsilon
is added to a root of the squared gradient, the place of epsilon changes the step by about
epsilon / |g| (below 1e-5 here, |g| >= 0.05), so ``method_rtol = 1e-5``.
"""

import functools

import numpy as np

from ._core import Check, Code, Hint, Part, bind, matches, tolerance
from .adam import _BIAS_HINT, _SQUARE_HINT, _SWAP_HINT, _T_HINT, _adam, _state_args


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


def _part(grade_id, name, first, first_what, method_rtol=1e-5, hints=(), extra=()):
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
        *extra,
    ))


_NO_BIAS = Hint("the step is missing the bias correction: divide m by 1 - beta**t and v_hat by "
                "1 - gamma**t, as torch.optim.Adam(amsgrad=True) does", matches(_amsgrad_uncorrected))



# ------------------------------------------------ Part 8: your Adam trains a real network
#
# The student's ``adam_step`` has the signature of the adam assignment (so that answer can be
# reused): ``adam_step(phi, m, v, t, g, alpha, beta, gamma, epsilon) -> (phi, m, v)``. The
# grader draws the network's initial parameters and the minibatch order of every epoch; the
# kernel only runs the training loop below with the student's step and returns every iterate.
# The grading process then checks, step by step, that each iterate is Adam's update of the one
# before (UDL eqs. 6.15-6.17, with the gradient recomputed here at the student's own iterate,
# so rounding never accumulates), and computes the test accuracy of the last one itself.
# Returning stored parameters, or any update that is not Adam's, fails at the first wrong step.

#: the stated settings of Part 8 (the task text repeats them)
NET = dict(hidden=32, epochs=6, batch_size=32, alpha=0.01, beta=0.9, gamma=0.999, epsilon=1e-8,
           test_fraction=0.2, split_seed=0)
#: the test accuracy the trained network must reach; Adam with these settings reaches 0.92 to
#: 0.98 over 800 initialisations and batch orders (median 0.97)
NET_ACCURACY = 0.90


def _adam_folded(phi, m, v, t, g, alpha, beta=0.9, gamma=0.999, epsilon=1e-8):
    """Kingma & Ba's form (sec. 2): the corrections folded into the step size, epsilon added to
    sqrt(v); the course accepts it as well (it differs only in where epsilon acts)."""
    m = beta * m + (1.0 - beta) * g
    v = gamma * v + (1.0 - gamma) * g * g
    alpha_t = alpha * np.sqrt(1.0 - gamma ** t) / (1.0 - beta ** t)
    return phi - alpha_t * m / (np.sqrt(v) + epsilon), m, v


def _adam_eps_in_root(phi, m, v, t, g, alpha, beta=0.9, gamma=0.999, epsilon=1e-8):
    m = beta * m + (1.0 - beta) * g
    v = gamma * v + (1.0 - gamma) * g * g
    m_hat, v_hat = m / (1.0 - beta ** t), v / (1.0 - gamma ** t)
    return phi - alpha * m_hat / np.sqrt(v_hat + epsilon), m, v


_ROOT_HINT = Hint("epsilon is under the square root; eq. 6.17 adds it to sqrt(v_hat): "
                  "sqrt(v_hat) + epsilon", matches(_adam_eps_in_root, rtol=1e-9))

_NET_RUN = Code(f'''def _sl_adam_network(step):
    def run(phi0, orders, hidden, batch_size, alpha, beta, gamma, epsilon):
        from steplab import networks
        data = networks.digits(test_fraction={NET["test_fraction"]}, seed={NET["split_seed"]})
        net = networks.MLP(data["x_train"], data["y_train"], hidden=hidden)
        phi = np.array(phi0, dtype=float)
        m, v = np.zeros_like(phi), np.zeros_like(phi)
        path, t = [phi], 0
        for order in orders:                      # one epoch: batches without replacement
            for start in range(0, len(order), batch_size):
                t += 1
                g = net.grad(phi, order[start:start + batch_size])
                phi, m, v = step(phi, m, v, t, g, alpha, beta, gamma, epsilon)
                phi, m, v = (np.array(a, dtype=float) for a in (phi, m, v))  # copies
                path.append(phi)
        return np.array(path)
    return run''', label="your adam_step training the digits network")


@functools.lru_cache(maxsize=2)
def _network(hidden: int):
    """The digits network of lesson 6.10 and its held-out test set (trusted side)."""
    from steplab import networks

    data = networks.digits(test_fraction=NET["test_fraction"], seed=NET["split_seed"])
    net = networks.MLP(data["x_train"], data["y_train"], hidden=hidden)
    return net, data["x_test"], data["y_test"]


def _net_inputs(rng):
    """A fresh initialisation (Glorot, from a drawn seed) and a fresh minibatch order for every
    epoch: stored parameters or a stored run cannot match them."""
    net, _, _ = _network(NET["hidden"])
    phi0 = net.init(seed=int(rng.integers(0, 2 ** 31)))
    orders = np.array([rng.permutation(net.n) for _ in range(NET["epochs"])])
    return (phi0, orders, NET["hidden"], NET["batch_size"], NET["alpha"], NET["beta"],
            NET["gamma"], NET["epsilon"])


def _net_replay(args, got):
    """Trusted judgment of a training run: every iterate is Adam's step from the one before
    (either place of epsilon), and the last one reaches ``NET_ACCURACY`` on the test set."""
    phi0, orders, hidden, batch_size, alpha, beta, gamma, epsilon = args
    net, x_test, y_test = _network(hidden)
    path = got[0]
    steps = len(orders) * -(-net.n // batch_size)
    if path.shape != (steps + 1, net.P):
        return (f"the run returned iterates of shape {path.shape}, expected ({steps + 1}, "
                f"{net.P}): did your adam_step return (phi, m, v) with phi of the shape it got?")
    check = _NET_CHECK
    if np.any(np.abs(path[0] - phi0) > tolerance(phi0, check)):
        return "the run does not start at the initial parameters it was given"
    m, v = np.zeros(net.P), np.zeros(net.P)
    t = 0
    for e, order in enumerate(orders):
        for b, start in enumerate(range(0, len(order), batch_size)):
            t += 1
            g = net.grad(path[t - 1], order[start:start + batch_size])
            book, m_new, v_new = _adam(path[t - 1], m, v, t, g, alpha, beta, gamma, epsilon)
            folded = _adam_folded(path[t - 1], m, v, t, g, alpha, beta, gamma, epsilon)[0]
            m, v = m_new, v_new
            tol = tolerance(book, check)
            bad = (np.abs(path[t] - book) > tol) & (np.abs(path[t] - folded) > tol)
            if not np.all(np.isfinite(path[t])) or np.any(bad):
                i = int(np.argmax(bad)) if np.any(bad) else int(np.argmax(~np.isfinite(path[t])))
                return (f"step t = {t} (epoch {e + 1}, batch {b + 1}) is not Adam's update of "
                        f"eqs. 6.15-6.17: parameter {i} became {path[t][i]:.8g}, Adam gives "
                        f"{book[i]:.8g} (the earlier steps were right)")
    acc = net.accuracy(path[-1], x_test, y_test)
    if acc < NET_ACCURACY:
        return (f"test accuracy {acc:.3f} after {len(orders)} epochs; the part asks for at "
                f"least {NET_ACCURACY:.2f}")
    return None


_NET_CHECK = Check("adam_step", _net_inputs, None, driver=_NET_RUN, accept=_net_replay,
                   ops=400, repeat=1, visible=True,
                   what=f"your adam_step trains the digits network (hidden={NET['hidden']}, "
                        f"{NET['epochs']} epochs, batches of {NET['batch_size']}, "
                        f"alpha={NET['alpha']}) to a test accuracy of at least {NET_ACCURACY}")

NETWORK_PART = Part("oz_adam_net_tests", ("adam_step",), (
    Check("adam_step", lambda rng: (np.array([-0.7, -0.9, 0.5]), np.zeros(3), np.zeros(3), 1,
                                    np.array([3.0, -0.5, 1e-4]), 0.05, 0.9, 0.999, 1e-8),
          _adam, outputs=3, ops=30, method_rtol=1e-5, also=(_adam_folded,), visible=True,
          repeat=1, what="the first Adam step from rest (by hand: every component moves by "
                         "alpha against its gradient, the tiny one too -> [-0.75, -0.85, 0.45])",
          hints=(_BIAS_HINT, _T_HINT, _SWAP_HINT, _SQUARE_HINT, _ROOT_HINT)),
    Check("adam_step", _state_args, _adam, outputs=3, ops=200, method_rtol=1e-5, repeat=3,
          hints=(_BIAS_HINT, _T_HINT, _SWAP_HINT, _SQUARE_HINT)),
    _NET_CHECK,
))

PARTS = bind([
    _part("oz_adagrad_tests", "adagrad_step",
          (np.array([1.0, -3.0]), np.array([2.0, -6.0]), np.zeros(2), 0.1, 0.0),
          "first AdaGrad step by hand: r = g^2, phi moves alpha * sign(g) -> [0.9, -2.9], "
          "r = [4, 36]"),
    _part("oz_rmsprop_tests", "rmsprop_step",
          (np.array([1.0]), np.array([2.0]), np.zeros(1), 0.01, 0.99, 0.0),
          "first RMSProp step by hand: r = (1 - gamma) g^2, the step is alpha / sqrt(1 - gamma) "
          "= 0.1 -> [0.9]",
          extra=(Check("rmsprop_step", lambda rng: (np.zeros(1), np.array([1e-4]), np.zeros(1), 0.01,
                                                    0.99, 1e-8),
                       _SPECS["rmsprop_step"][0], outputs=2, ops=40, repeat=1,
                       what="a small gradient (1e-4) from r = 0: epsilon outside the root moves "
                            "phi by about 0.1, under the root by about 0.01"),)),
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
    NETWORK_PART,
])
visible, hidden, PARTS = PARTS
