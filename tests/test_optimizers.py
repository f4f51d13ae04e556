"""Optimizers against independent transcriptions of their published updates.

Every reference update below is written out in a few plain numpy lines from the source named
in its comment (UDL ch. 6, Goodfellow et al. ch. 8, the original papers), without calling the
engine's formulas. The engine must follow it to 1e-12 relative over 100 steps on a quadratic
and on the Gabor problem.
"""

import math

import numpy as np
import pytest

import steplab as sl

# --------------------------------------------------------------------------- references
# Each reference is (init(phi) -> state dict, step(phi, state, grad, alpha, t) -> phi) where t
# counts from 1 and ``state`` is updated in place (plain dicts, only in the tests).


def ref_gd(h):
    # UDL eq. 6.3
    def step(phi, s, grad, a, t):
        return phi - a * grad(phi)
    return dict, step


def ref_momentum(h):
    # UDL eq. 6.11: m <- beta m + (1-beta) g ; phi <- phi - alpha m
    def step(phi, s, grad, a, t):
        s["m"] = h["beta"] * s.get("m", 0.0) + (1 - h["beta"]) * grad(phi)
        return phi - a * s["m"]
    return dict, step


def ref_nesterov(h):
    # UDL eq. 6.12 (errata form): gradient at phi - alpha beta m
    def step(phi, s, grad, a, t):
        m = s.get("m", np.zeros_like(phi))
        g = grad(phi - a * h["beta"] * m)
        s["m"] = h["beta"] * m + (1 - h["beta"]) * g
        return phi - a * s["m"]
    return dict, step


def ref_normalized(h):
    # UDL eqs. 6.13-6.14 with epsilon outside the root
    def step(phi, s, grad, a, t):
        g = grad(phi)
        return phi - a * g / (np.sqrt(g**2) + h["epsilon"])
    return dict, step


def ref_adam(h, weight_decay=0.0, correct=True):
    # UDL eqs. 6.15-6.18 (Kingma & Ba 2015 alg. 1); AdamW: Loshchilov & Hutter 2019 as torch
    def step(phi, s, grad, a, t):
        g = grad(phi)
        s["m"] = h["beta"] * s.get("m", 0.0) + (1 - h["beta"]) * g
        s["v"] = h["gamma"] * s.get("v", 0.0) + (1 - h["gamma"]) * g**2
        m_hat = s["m"] / (1 - h["beta"] ** t) if correct else s["m"]
        v_hat = s["v"] / (1 - h["gamma"] ** t) if correct else s["v"]
        return phi * (1 - a * weight_decay) - a * m_hat / (np.sqrt(v_hat) + h["epsilon"])
    return dict, step


def ref_heavyball(h):
    # Goodfellow alg. 8.2 (and 8.3 with Nesterov): v <- beta v - alpha g ; phi <- phi + v
    def step(phi, s, grad, a, t):
        v = s.get("v", np.zeros_like(phi))
        g = grad(phi + h["beta"] * v) if h.get("nesterov") else grad(phi)
        s["v"] = h["beta"] * v - a * g
        return phi + s["v"]
    return dict, step


def ref_adagrad(h):
    # Goodfellow alg. 8.4: r <- r + g*g ; phi <- phi - alpha g / (delta + sqrt(r))
    def step(phi, s, grad, a, t):
        g = grad(phi)
        s["r"] = s.get("r", 0.0) + g * g
        return phi - a / (h["epsilon"] + np.sqrt(s["r"])) * g
    return dict, step


def ref_rmsprop(h):
    # Goodfellow alg. 8.5 with epsilon outside the root (torch.optim.RMSprop's placement)
    def step(phi, s, grad, a, t):
        g = grad(phi)
        s["r"] = h["gamma"] * s.get("r", 0.0) + (1 - h["gamma"]) * g * g
        return phi - a * g / (np.sqrt(s["r"]) + h["epsilon"])
    return dict, step


def ref_adadelta(h):
    # Zeiler 2012, alg. 1: E[g^2], dx = -RMS[dx]_{t-1}/RMS[g]_t g, E[dx^2]; times lr (torch)
    def step(phi, s, grad, a, t):
        g = grad(phi)
        rho, eps = h["gamma"], h["epsilon"]
        s["Eg2"] = rho * s.get("Eg2", 0.0) + (1 - rho) * g**2
        dx = -np.sqrt(s.get("Edx2", 0.0) + eps) / np.sqrt(s["Eg2"] + eps) * g
        s["Edx2"] = rho * s.get("Edx2", 0.0) + (1 - rho) * dx**2
        return phi + a * dx
    return dict, step


def ref_adamax(h):
    # Kingma & Ba 2015, alg. 2 (u = max(beta2 u, |g|)), epsilon added to u as documented
    def step(phi, s, grad, a, t):
        g = grad(phi)
        s["m"] = h["beta"] * s.get("m", 0.0) + (1 - h["beta"]) * g
        s["u"] = np.maximum(h["gamma"] * s.get("u", 0.0), np.abs(g))
        return phi - (a / (1 - h["beta"] ** t)) * s["m"] / (s["u"] + h["epsilon"])
    return dict, step


def ref_amsgrad(h):
    # Reddi et al. 2018: v_hat = max(v_hat, v), with Adam's bias corrections (torch amsgrad)
    def step(phi, s, grad, a, t):
        g = grad(phi)
        s["m"] = h["beta"] * s.get("m", 0.0) + (1 - h["beta"]) * g
        s["v"] = h["gamma"] * s.get("v", 0.0) + (1 - h["gamma"]) * g**2
        s["vmax"] = np.maximum(s.get("vmax", 0.0), s["v"])
        m_hat = s["m"] / (1 - h["beta"] ** t)
        return phi - a * m_hat / (np.sqrt(s["vmax"] / (1 - h["gamma"] ** t)) + h["epsilon"])
    return dict, step


def ref_nadam(h):
    # Dozat 2016 alg. 2 with mu_t = beta (1 - 0.5 * 0.96^(t psi)); products of the mu_i
    def mu(i):
        return h["beta"] * (1 - 0.5 * 0.96 ** (i * h["momentum_decay"]))

    def step(phi, s, grad, a, t):
        g = grad(phi)
        s["m"] = h["beta"] * s.get("m", 0.0) + (1 - h["beta"]) * g
        s["v"] = h["gamma"] * s.get("v", 0.0) + (1 - h["gamma"]) * g**2
        prod_t = math.prod(mu(i) for i in range(1, t + 1))
        prod_next = prod_t * mu(t + 1)
        m_bar = (1 - mu(t)) * g / (1 - prod_t) + mu(t + 1) * s["m"] / (1 - prod_next)
        v_hat = s["v"] / (1 - h["gamma"] ** t)
        return phi - a * m_bar / (np.sqrt(v_hat) + h["epsilon"])
    return dict, step


# name -> (engine optimizer, reference, hyperparameters)
H_ADAM = dict(alpha=0.05, beta=0.9, gamma=0.99, epsilon=1e-8)
CASES = {
    "GradientDescent": (sl.GradientDescent, ref_gd, dict(alpha=0.02)),
    "Momentum": (sl.Momentum, ref_momentum, dict(alpha=0.05, beta=0.8)),
    "Nesterov": (sl.Nesterov, ref_nesterov, dict(alpha=0.05, beta=0.8)),
    "NormalizedGD": (sl.NormalizedGD, ref_normalized, dict(alpha=0.01, epsilon=1e-8)),
    "Adam": (sl.Adam, ref_adam, H_ADAM),
    "HeavyBall": (sl.HeavyBall, ref_heavyball, dict(alpha=0.01, beta=0.8)),
    "HeavyBallNesterov": (sl.HeavyBall, ref_heavyball, dict(alpha=0.01, beta=0.8, nesterov=True)),
    "AdaGrad": (sl.AdaGrad, ref_adagrad, dict(alpha=0.2, epsilon=1e-7)),
    "RMSProp": (sl.RMSProp, ref_rmsprop, dict(alpha=0.01, gamma=0.9, epsilon=1e-8)),
    "AdaDelta": (sl.AdaDelta, ref_adadelta, dict(gamma=0.9, epsilon=1e-6, alpha=1.0)),
    "Adamax": (sl.Adamax, ref_adamax, dict(alpha=0.05, beta=0.9, gamma=0.99, epsilon=1e-8)),
    "AMSGrad": (sl.AMSGrad, ref_amsgrad, H_ADAM),
    "NAdam": (sl.NAdam, ref_nadam, dict(H_ADAM, momentum_decay=0.004)),
    "AdamW": (sl.AdamW, lambda h: ref_adam(h, weight_decay=0.1), dict(H_ADAM, weight_decay=0.1)),
}


def _engine(name):
    cls, ref, h = CASES[name]
    return cls(**h), ref({k: v for k, v in h.items()}), h


def _problems():
    # a mildly ill-conditioned quadratic (closed form) and the book's Gabor problem (UDL 6.8)
    quad = sl.Quadratic([[3.0, 0.5], [0.5, 1.0]], b=[1.0, -2.0])
    gabor = sl.GaborRegression(*sl.data.gabor())
    return {"quadratic": (quad, np.array([2.0, 3.0])), "gabor": (gabor, np.array([-1.5, 8.5]))}


def _run_both(name, problem, phi0, steps=100, alphas=None):
    opt, (ref_init, ref_step), h = _engine(name)
    phi_e, state = np.array(phi0, float), opt.init(phi0)
    phi_r, s = np.array(phi0, float), ref_init()
    base = h["alpha"]
    out_e, out_r = [phi_e], [phi_r]
    for t in range(1, steps + 1):
        a = base if alphas is None else alphas[t - 1]
        phi_e, state = opt.step(phi_e, state, problem.grad, alpha=None if alphas is None else a)
        phi_r = ref_step(phi_r, s, problem.grad, a, t)
        out_e.append(phi_e)
        out_r.append(phi_r)
    return np.array(out_e), np.array(out_r), state


@pytest.mark.parametrize("problem_name", ["quadratic", "gabor"])
@pytest.mark.parametrize("name", list(CASES))
def test_matches_independent_transcription(name, problem_name):
    problem, phi0 = _problems()[problem_name]
    got, want, state = _run_both(name, problem, phi0)
    assert np.all(np.isfinite(want))
    scale = np.max(np.abs(want), axis=1, keepdims=True)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * scale.max())
    assert state.t == 100
    # the iterates actually moved (a test that cannot fail would not)
    assert np.linalg.norm(got[-1] - got[0]) > 1e-3


@pytest.mark.parametrize("name", list(CASES))
def test_alpha_override_follows_schedule(name):
    """step(..., alpha=a) uses a instead of the stored alpha (reference: the same
    transcription with alpha_t = 1/(1+t) times the base rate)."""
    problem, phi0 = _problems()["quadratic"]
    base = CASES[name][2]["alpha"]
    alphas = [base / (1 + 0.1 * t) for t in range(1, 31)]
    got, want, _ = _run_both(name, problem, phi0, steps=30, alphas=alphas)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_adam_without_bias_correction():
    """UDL fig. 6.9 lesson: without the bias correction, the reference drops the division."""
    problem, phi0 = _problems()["quadratic"]
    opt = sl.Adam(**H_ADAM, bias_correction=False)
    init, step = ref_adam(H_ADAM, correct=False)
    phi, st, phi_r, s = phi0, opt.init(phi0), phi0, init()
    for t in range(1, 51):
        phi, st = opt.step(phi, st, problem.grad)
        phi_r = step(phi_r, s, problem.grad, H_ADAM["alpha"], t)
    np.testing.assert_allclose(phi, phi_r, rtol=1e-12)


def test_momentum_equals_heavyball_with_scaled_rate():
    """UDL Momentum(alpha, beta) == HeavyBall(alpha*(1-beta), beta), since the
    velocity is v = -alpha m (identical up to floating-point rounding)."""
    problem, phi0 = _problems()["gabor"]
    a, b = 0.05, 0.8
    mo, hb = sl.Momentum(alpha=a, beta=b), sl.HeavyBall(alpha=a * (1 - b), beta=b)
    p1, s1, p2, s2 = phi0, mo.init(phi0), phi0, hb.init(phi0)
    for _ in range(200):
        p1, s1 = mo.step(p1, s1, problem.grad)
        p2, s2 = hb.step(p2, s2, problem.grad)
        np.testing.assert_allclose(p1, p2, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(s2.v, -a * s1.m, rtol=1e-10, atol=1e-14)


def test_momentum_differs_from_torch_style_dampened_start():
    """torch.optim.SGD(momentum=beta, dampening=beta) starts its buffer at g (not (1-beta) g):
    transcribed here from the torch docs. Its first step is 1/(1-beta) times the book's."""
    quad = sl.Quadratic(np.diag([1.0, 4.0]))
    phi0 = np.array([1.0, 1.0])
    a, b = 0.05, 0.9
    mo = sl.Momentum(alpha=a, beta=b)
    p, st = phi0, mo.init(phi0)
    q, buf = phi0.copy(), None
    diffs = []
    for t in range(1, 6):
        p, st = mo.step(p, st, quad.grad)
        g = quad.grad(q)
        buf = g.copy() if buf is None else b * buf + (1 - b) * g
        q = q - a * buf
        diffs.append(np.linalg.norm(p - q))
        if t == 1:
            np.testing.assert_allclose(q - phi0, (p - phi0) / (1 - b), rtol=1e-12)
    assert min(diffs) > 1e-3


@pytest.mark.parametrize("name", list(CASES))
def test_reaches_minimum_of_well_conditioned_quadratic(name):
    """Closed form: the minimum of 1/2 phi^T A phi - b^T phi is A^{-1} b."""
    A = np.array([[2.0, 0.3], [0.3, 1.0]])
    quad = sl.Quadratic(A, b=[1.0, -1.0])
    target = np.linalg.solve(A, [1.0, -1.0])
    settings = {  # a learning rate that suits each method, then decay it (cosine schedule)
        "GradientDescent": 0.3, "Momentum": 0.3, "Nesterov": 0.3, "NormalizedGD": 0.05,
        "Adam": 0.05, "HeavyBall": 0.1, "HeavyBallNesterov": 0.1, "AdaGrad": 0.5,
        "RMSProp": 0.02, "AdaDelta": 1.0, "Adamax": 0.05, "AMSGrad": 0.05, "NAdam": 0.05,
        "AdamW": 0.05,
    }
    cls, _, h = CASES[name]
    h = dict(h, alpha=settings[name])
    if name == "AdamW":
        h["weight_decay"] = 0.0  # decay moves the minimum; with 0 it is Adam's
    steps = 20000 if name == "AdaDelta" else 3000
    sched = None if name == "AdaDelta" else sl.schedules.cosine(h["alpha"], steps)
    traj = sl.minimize(quad, cls(**h), [2.0, -2.0], steps=steps, schedule=sched)
    assert not traj.diverged
    np.testing.assert_allclose(traj.final, target, atol=2e-3)


@pytest.mark.parametrize("name", list(CASES))
def test_step_is_pure_and_keeps_shape(name):
    opt = CASES[name][0](**CASES[name][2])
    rng = np.random.default_rng(1)
    phi = rng.normal(size=(3, 4))
    state = opt.init(phi)
    phi, state = opt.step(phi, state, lambda p: 2 * p)  # a non-trivial state
    before_phi = phi.copy()
    before = [np.copy(x) for x in state]
    new_phi, new_state = opt.step(phi, state, lambda p: 2 * p + 1)
    assert new_phi.shape == (3, 4)
    np.testing.assert_array_equal(phi, before_phi)
    for x, y in zip(state, before, strict=True):
        np.testing.assert_array_equal(x, y)
    assert new_state.t == state.t + 1
    assert not np.shares_memory(new_phi, phi)


@pytest.mark.parametrize("name", list(CASES))
def test_large_arrays_use_same_arithmetic_as_small(name):
    """The chunked (and threaded) path for big arrays gives exactly the result of the
    small-array path (reference: the same optimizer run on 10 000-element pieces, which is
    valid because the update is elementwise)."""
    opt = CASES[name][0](**CASES[name][2])
    rng = np.random.default_rng(2)
    phi = rng.normal(size=300_001)

    def grad(p):
        return 3.0 * p - 0.5

    big, st = phi, opt.init(phi)
    pieces = [(phi[i:i + 10_000], opt.init(phi[i:i + 10_000]))
              for i in range(0, phi.size, 10_000)]
    for _ in range(3):
        big, st = opt.step(big, st, grad)
        pieces = [opt.step(p, s, grad) for p, s in pieces]
    np.testing.assert_array_equal(big, np.concatenate([p for p, _ in pieces]))
    for k, field in enumerate(st):
        if isinstance(field, np.ndarray):
            np.testing.assert_array_equal(field, np.concatenate([s[k] for _, s in pieces]))


BAD = [
    (sl.GradientDescent, dict(alpha=-0.1), "alpha"),
    (sl.GradientDescent, dict(alpha=float("nan")), "alpha"),
    (sl.Momentum, dict(beta=1.0), "beta"),
    (sl.Momentum, dict(beta=-0.1), "beta"),
    (sl.Nesterov, dict(alpha=0.0), "alpha"),
    (sl.NormalizedGD, dict(epsilon=-1e-8), "epsilon"),
    (sl.Adam, dict(gamma=1.5), "gamma"),
    (sl.Adam, dict(bias_correction="yes"), "bias_correction"),
    (sl.HeavyBall, dict(beta=1.0), "beta"),
    (sl.HeavyBall, dict(nesterov=1), "nesterov"),
    (sl.AdaGrad, dict(alpha=-1.0), "alpha"),
    (sl.AdaGrad, dict(epsilon=float("inf")), "epsilon"),
    (sl.RMSProp, dict(gamma=1.0), "gamma"),
    (sl.AdaDelta, dict(epsilon=0.0), "epsilon"),
    (sl.AdaDelta, dict(gamma=-0.5), "gamma"),
    (sl.Adamax, dict(beta=2.0), "beta"),
    (sl.AMSGrad, dict(alpha="fast"), "alpha"),
    (sl.NAdam, dict(momentum_decay=-1.0), "momentum_decay"),
    (sl.AdamW, dict(weight_decay=-0.01), "weight_decay"),
]


@pytest.mark.parametrize("cls,kwargs,arg", BAD)
def test_bad_hyperparameters_name_the_argument(cls, kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        cls(**kwargs)


def test_wrong_gradient_shape_is_explained():
    opt = sl.Adam()
    with pytest.raises(ValueError, match="grad_fn returned a gradient of shape"):
        opt.step(np.zeros(3), opt.init(np.zeros(3)), lambda p: np.zeros(2))


def test_state_of_another_shape_is_explained():
    opt = sl.Momentum()
    with pytest.raises(ValueError, match="opt.init"):
        opt.step(np.zeros(2), opt.init(np.zeros(1)), lambda p: p)
    # a plain-number state (m = 0) broadcasts, in the small and in the chunked path
    for n in (2, 100_000):
        got, _ = opt.step(np.ones(n), sl.MomentumState(0, 0.0), lambda p: p)
        want, _ = opt.step(np.ones(n), opt.init(np.ones(n)), lambda p: p)
        np.testing.assert_array_equal(got, want)


def test_optimizers_are_immutable_and_hashable():
    opt = sl.Adam(alpha=0.1)
    with pytest.raises(AttributeError):
        opt.alpha = 0.2
    assert hash(opt) == hash(sl.Adam(alpha=0.1))
    assert sl.HeavyBall(alpha=0.1, beta=0.5) != sl.HeavyBall(alpha=0.1, beta=0.6)


def test_as_optimizer_wraps_a_plain_function():
    def my_step(phi, g):
        return phi - 0.1 * g

    opt = sl.as_optimizer(my_step)
    phi, st = opt.step(np.array([1.0]), opt.init(None), lambda p: 2 * p)
    np.testing.assert_allclose(phi, [0.8])  # 1 - 0.1 * 2
    with pytest.raises(ValueError, match="not an optimizer"):
        sl.as_optimizer(3)
