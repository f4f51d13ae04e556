"""The engine vs torch.optim, step for step, in float64 (where the forms coincide
they match to 1e-10 relative). torch is optional: this module is skipped without it.

Reference: torch.optim itself; the gradient fed to both is the same numpy gradient of the
problem at each one's current iterate.
"""

import numpy as np
import pytest

import steplab as sl

torch = pytest.importorskip("torch")

STEPS = 60


@pytest.fixture(autouse=True)
def float64_scalars():
    """torch keeps some optimizer scalars (NAdam's mu_product, step counts) in the default
    dtype; float64 so that only the update formulas are compared."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def run_torch(make_opt, problem, phi0, steps=STEPS, closure_grad=True):
    p = torch.nn.Parameter(torch.tensor(phi0, dtype=torch.float64))
    opt = make_opt([p])
    out = [np.array(phi0, float)]
    for _ in range(steps):
        opt.zero_grad()
        g = problem.grad(p.detach().numpy().copy())
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append(p.detach().numpy().copy())
    return np.array(out)


def run_engine(opt, problem, phi0, steps=STEPS):
    phi, state = np.array(phi0, float), opt.init(phi0)
    out = [phi]
    for _ in range(steps):
        phi, state = opt.step(phi, state, problem.grad)
        out.append(phi)
    return np.array(out)


def problems():
    return {
        "quadratic": (sl.Quadratic([[3.0, 0.5], [0.5, 1.0]], b=[1.0, -2.0]), [2.0, 3.0]),
        "gabor": (sl.GaborRegression(*sl.data.gabor()), [-1.5, 8.5]),
    }


T = torch.optim
CASES = {
    "SGD": (sl.GradientDescent(alpha=0.02), lambda ps: T.SGD(ps, lr=0.02)),
    "HeavyBall": (sl.HeavyBall(alpha=0.01, beta=0.8),
                  lambda ps: T.SGD(ps, lr=0.01, momentum=0.8)),
    "Adam": (sl.Adam(alpha=0.05, beta=0.9, gamma=0.99, epsilon=1e-8),
             lambda ps: T.Adam(ps, lr=0.05, betas=(0.9, 0.99), eps=1e-8)),
    "AdaGrad": (sl.AdaGrad(alpha=0.2, epsilon=1e-10),
                lambda ps: T.Adagrad(ps, lr=0.2, eps=1e-10)),
    "RMSProp": (sl.RMSProp(alpha=0.01, gamma=0.9, epsilon=1e-8),
                lambda ps: T.RMSprop(ps, lr=0.01, alpha=0.9, eps=1e-8)),
    "AdaDelta": (sl.AdaDelta(gamma=0.9, epsilon=1e-6, alpha=1.0),
                 lambda ps: T.Adadelta(ps, lr=1.0, rho=0.9, eps=1e-6)),
    "AdamW": (sl.AdamW(alpha=0.05, beta=0.9, gamma=0.99, epsilon=1e-8, weight_decay=0.1),
              lambda ps: T.AdamW(ps, lr=0.05, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.1)),
    # beyond the published API, but the documented forms are torch's:
    "AMSGrad": (sl.AMSGrad(alpha=0.05, beta=0.9, gamma=0.99),
                lambda ps: T.Adam(ps, lr=0.05, betas=(0.9, 0.99), amsgrad=True)),
    "NAdam": (sl.NAdam(alpha=0.05, beta=0.9, gamma=0.99),
              lambda ps: T.NAdam(ps, lr=0.05, betas=(0.9, 0.99))),
}


@pytest.mark.parametrize("problem_name", ["quadratic", "gabor"])
@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch_step_for_step(name, problem_name):
    problem, phi0 = problems()[problem_name]
    ours, make = CASES[name]
    got = run_engine(ours, problem, phi0)
    want = run_torch(make, problem, phi0)
    assert np.linalg.norm(want[-1] - want[0]) > 1e-3
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10 * np.abs(want).max())


def test_momentum_equals_torch_sgd_with_scaled_rate_not_dampening():
    """UDL Momentum(alpha, beta) == torch SGD(lr=alpha(1-beta), momentum=beta); torch's
    SGD(lr=alpha, momentum=beta, dampening=beta) differs, most in the first steps."""
    problem, phi0 = problems()["quadratic"]
    a, b = 0.05, 0.8
    got = run_engine(sl.Momentum(alpha=a, beta=b), problem, phi0)
    same = run_torch(lambda ps: T.SGD(ps, lr=a * (1 - b), momentum=b), problem, phi0)
    np.testing.assert_allclose(got, same, rtol=1e-10, atol=1e-12)
    damp = run_torch(lambda ps: T.SGD(ps, lr=a, momentum=b, dampening=b), problem, phi0)
    first = np.linalg.norm(got[1] - damp[1])
    assert first > 1e-3
    np.testing.assert_allclose(damp[1] - got[0], (got[1] - got[0]) / (1 - b), rtol=1e-10)


def test_torch_nesterov_iterates_are_the_lookahead_points():
    """torch SGD(nesterov=True) iterates equal HeavyBall(nesterov=True)'s phi + beta v
    (documented in HeavyBall's docstring)."""
    problem, phi0 = problems()["gabor"]
    opt = sl.HeavyBall(alpha=0.01, beta=0.8, nesterov=True)
    phi, state = np.array(phi0, float), opt.init(phi0)
    look = [phi]
    for _ in range(STEPS):
        phi, state = opt.step(phi, state, problem.grad)
        look.append(phi + 0.8 * state.v)
    want = run_torch(lambda ps: T.SGD(ps, lr=0.01, momentum=0.8, nesterov=True), problem, phi0)
    np.testing.assert_allclose(np.array(look), want, rtol=1e-10, atol=1e-12)
