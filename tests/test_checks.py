"""Tests for steplab.checks: learner-facing checks and their hints.

Every "student" function here is written in this file: correct ones are independent
transcriptions of the update rules (UDL eqs. 6.3, 6.7, 6.11-6.18; Goodfellow algs. 8.4-8.5;
the engine docstrings' papers), wrong ones carry one deliberate mistake each, and the test
asserts that the message names that mistake (one test per hint of the issue).
"""

import signal
import threading

import numpy as np
import pytest

import steplab as sl
from steplab import checks as C

X, Y = sl.data.linear_regression()
LR = sl.LinearRegression(X, Y)
PHI = np.array([0.6, -0.2])


# ----------------------------------------------------------------- gradient functions

def grad_ok(phi, x, y):
    r = phi[0] + phi[1] * x - y                      # UDL eq. 6.7
    return np.array([2 * np.sum(r), 2 * np.sum(r * x)])


def grad_sign(phi, x, y):
    r = y - phi[0] - phi[1] * x                      # mistake: (y - f) instead of (f - y)
    return np.array([2 * np.sum(r), 2 * np.sum(r * x)])


def grad_double(phi, x, y):
    return 2 * grad_ok(phi, x, y)                    # mistake: the 2 twice


def grad_half(phi, x, y):
    r = phi[0] + phi[1] * x - y                      # mistake: the 2 forgotten
    return np.array([np.sum(r), np.sum(r * x)])


def grad_mean(phi, x, y):
    r = phi[0] + phi[1] * x - y                      # mistake: mean instead of sum
    return np.array([2 * np.mean(r), 2 * np.mean(r * x)])


def grad_order(phi, x, y):
    return grad_ok(phi, x, y)[::-1]


def grad_chain(phi, x, y):
    r = phi[0] + phi[1] * x - y                      # mistake: forgot the inner factor x
    return np.array([2 * np.sum(r), 2 * np.sum(r)])


def grad_none(phi, x, y):
    grad_ok(phi, x, y)                               # mistake: no return


def grad_column(phi, x, y):
    return grad_ok(phi, x, y).reshape(2, 1)          # mistake: column vector


def grad_nan(phi, x, y):
    return grad_ok(phi, x, y) * np.log(-1.0)         # NaN


def grad_raises(phi, x, y):
    return phi[2]                                    # IndexError


def grad_forever(phi, x, y):
    while True:
        pass


def grad_swallows(phi, x, y):
    try:
        while True:
            pass
    except Exception:                                # must not swallow the time limit
        return np.zeros(2)


def grad_inplace(phi, x, y):
    phi -= 0.0 * phi + 1.0                           # mistake: changes the caller's phi
    return grad_ok(phi + 1.0, x, y)


def test_check_gradient_accepts_correct_code_in_every_shape():
    assert C.check_gradient(grad_ok, PHI, reference=LR).ok                    # data from problem
    assert C.check_gradient(lambda p: grad_ok(p, X, Y), PHI, reference=LR).ok  # grad(phi)
    def loss(p, x, y):
        return np.sum((p[0] + p[1] * x - y) ** 2)

    assert C.check_gradient(grad_ok, PHI, args=(X, Y), loss=loss).ok
    # reference given as a loss function with the learner's signature: finite differences
    assert C.check_gradient(grad_ok, PHI, reference=loss, args=(X, Y)).ok
    # problems check themselves against finite differences of their loss
    for problem in (LR, sl.GaborRegression(*sl.data.gabor()), sl.ShallowNetwork(X, Y)):
        res = C.check_gradient(problem, np.linspace(0.3, 1.1, problem.P) if problem.P > 2 else PHI)
        assert res.ok, res.message
    r = C.check_gradient(grad_ok, PHI, reference=LR)
    assert bool(r) and "3 points" in str(r)


@pytest.mark.parametrize("student, hint, words", [
    (grad_sign, "sign", "sign"),
    (grad_double, "factor2", "factor of 2"),
    (grad_half, "half", "factor of 1/2"),
    (grad_mean, "mean", "mean"),
    (grad_order, "order", "wrong order"),
    (grad_chain, "one_component", "chain rule"),
    (grad_none, "none", "return"),
    (grad_column, "shape", "shape"),
    (grad_nan, "nan", "NaN"),
    (grad_raises, "raised", "IndexError"),
    (grad_inplace, "inplace", "in place"),
])
def test_each_gradient_mistake_gets_its_hint(student, hint, words):
    res = C.check_gradient(student, PHI, reference=LR)
    assert not res.ok
    assert res.hint == hint, res.message
    assert words in res.message
    assert student.__name__ in res.message
    assert "phi = [0.6, -0.2]" in res.message                 # at which point
    with pytest.raises(AssertionError) as info:
        C.assert_gradient(student, PHI, reference=LR)
    assert str(info.value) == res.message


def test_gradient_message_names_component_expected_and_got():
    res = C.check_gradient(grad_sign, PHI, reference=LR)
    # companion notebook: gradient at (0.6, -0.2) is (-21.904, -26.840)
    assert "dL/dphi1 (component 1): expected -26.8404, got 26.8404" in res.message
    res = C.check_gradient(grad_chain, PHI, reference=LR)
    assert "dL/dphi1" in res.message and "1 of 2 entries differ" in res.message
    res = C.check_gradient(grad_raises, PHI, reference=LR)
    assert "return phi[2]" in res.message                      # the learner's own line


def test_time_limit_stops_endless_loops_quickly():
    # returning at all (instead of hanging) is the point; no wall-clock assertion here
    for student in (grad_forever, grad_swallows):
        res = C.check_gradient(student, PHI, reference=LR, time_limit=0.2)
        assert res.hint == "timeout" and "0.2 s" in res.message


def test_time_limit_restores_an_outer_timer():
    fired = []
    old = signal.signal(signal.SIGALRM, lambda *a: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 5.0)
        C.check_gradient(grad_forever, PHI, reference=LR, time_limit=0.1)
        left = signal.getitimer(signal.ITIMER_REAL)[0]
        assert 3.0 < left <= 5.0                               # still armed, minus elapsed
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert not fired


def test_time_limit_outside_the_main_thread_uses_the_fallback():
    out = {}

    def run():
        out["res"] = C.check_gradient(grad_forever, PHI, reference=LR, time_limit=0.2)

    th = threading.Thread(target=run)
    th.start()
    th.join(10)
    assert not th.is_alive()
    assert out["res"].hint == "timeout"


def test_time_limit_context_manager():
    with pytest.raises(TimeoutError):
        with C.time_limit(0.05):
            while True:
                pass
    with C.time_limit(None):
        pass


# ----------------------------------------------------------------- step functions

def gd_step(phi, grad, alpha):
    return phi - alpha * grad                                    # UDL eq. 6.3


def gd_uphill(phi, grad, alpha):
    return phi + alpha * grad


def gd_no_alpha(phi, grad, alpha):
    return phi - grad


def gd_inplace(phi, grad, alpha):
    phi -= alpha * grad
    return phi


def gd_list(phi, grad, alpha):
    return [phi - alpha * grad]                                  # wrong shape (1, 2)


def momentum_step(phi, m, grad, alpha, beta):
    m = beta * m + (1 - beta) * grad                             # UDL eq. 6.11
    return phi - alpha * m, m


def momentum_undamped(phi, m, grad, alpha, beta):
    m = beta * m + grad
    return phi - alpha * m, m


def momentum_inplace_m(phi, m, grad, alpha, beta):
    m *= beta
    m += (1 - beta) * grad
    return phi - alpha * m, m


def momentum_phi_only(phi, m, grad, alpha, beta):
    m = beta * m + (1 - beta) * grad
    return phi - alpha * m


def nesterov_step(phi, m, grad_fn, alpha, beta):
    m = beta * m + (1 - beta) * grad_fn(phi - alpha * beta * m)   # UDL eq. 6.12 (errata form)
    return phi - alpha * m, m


def nesterov_at_phi(phi, m, grad_fn, alpha, beta):
    m = beta * m + (1 - beta) * grad_fn(phi)
    return phi - alpha * m, m


def nesterov_print_form(phi, m, grad_fn, alpha, beta):
    m = beta * m + (1 - beta) * grad_fn(phi - alpha * m)
    return phi - alpha * m, m


def normalized_step(phi, grad, alpha, epsilon):
    return phi - alpha * grad / (np.sqrt(grad ** 2) + epsilon)   # UDL eqs. 6.13-6.14


def adam_step(phi, m, v, t, grad, alpha, beta, gamma, epsilon):
    m = beta * m + (1 - beta) * grad                             # UDL eqs. 6.15-6.18
    v = gamma * v + (1 - gamma) * grad ** 2
    m_hat, v_hat = m / (1 - beta ** t), v / (1 - gamma ** t)
    return phi - alpha * m_hat / (np.sqrt(v_hat) + epsilon), m, v


def adam_no_bias_correction(phi, m, v, t, grad, alpha, beta, gamma, epsilon):
    m = beta * m + (1 - beta) * grad
    v = gamma * v + (1 - gamma) * grad ** 2
    return phi - alpha * m / (np.sqrt(v) + epsilon), m, v


def adam_t_from_zero(phi, m, v, t, grad, alpha, beta, gamma, epsilon):
    return adam_step(phi, m, v, t + 1, grad, alpha, beta, gamma, epsilon)


def adam_swapped(phi, m, v, t, grad, alpha, beta, gamma, epsilon):
    return adam_step(phi, m, v, t, grad, alpha, gamma, beta, epsilon)


def adagrad_step(phi, r, grad, alpha, epsilon):
    r = r + grad ** 2                                            # Goodfellow alg. 8.4
    return phi - alpha * grad / (epsilon + np.sqrt(r)), r


def rmsprop_step(phi, r, grad, alpha, gamma, epsilon):
    r = gamma * r + (1 - gamma) * grad ** 2                      # Goodfellow alg. 8.5
    return phi - alpha * grad / (np.sqrt(r) + epsilon), r


def adadelta_step(phi, r, s, grad, gamma, epsilon):
    r = gamma * r + (1 - gamma) * grad ** 2                      # Zeiler 2012, alg. 1
    delta = np.sqrt(s + epsilon) / np.sqrt(r + epsilon) * grad
    s = gamma * s + (1 - gamma) * delta ** 2
    return phi - delta, r, s


def adamax_step(phi, m, u, t, grad, alpha, beta, gamma, epsilon):
    m = beta * m + (1 - beta) * grad                             # Kingma & Ba 2015, alg. 2
    u = np.maximum(gamma * u, np.abs(grad))
    return phi - alpha / (1 - beta ** t) * m / (u + epsilon), m, u


def amsgrad_step(phi, m, v, v_hat, t, grad, alpha, beta, gamma, epsilon):
    m = beta * m + (1 - beta) * grad                             # Reddi et al. 2018
    v = gamma * v + (1 - gamma) * grad ** 2
    v_hat = np.maximum(v_hat, v)
    m_hat = m / (1 - beta ** t)
    return phi - alpha * m_hat / (np.sqrt(v_hat / (1 - gamma ** t)) + epsilon), m, v, v_hat


CORRECT = [
    (gd_step, sl.GradientDescent(alpha=0.1)),
    (momentum_step, sl.Momentum(alpha=0.1, beta=0.9)),
    (nesterov_step, sl.Nesterov(alpha=0.1, beta=0.9)),
    (normalized_step, sl.NormalizedGD(alpha=0.08)),
    (adam_step, sl.Adam(alpha=0.05, beta=0.9, gamma=0.99)),
    (adagrad_step, sl.AdaGrad(alpha=0.1)),
    (rmsprop_step, sl.RMSProp(alpha=0.01, gamma=0.9)),
    (adadelta_step, sl.AdaDelta(gamma=0.9, epsilon=1e-6)),
    (adamax_step, sl.Adamax(alpha=0.02)),
    (amsgrad_step, sl.AMSGrad(alpha=0.05, beta=0.9, gamma=0.99)),
]


@pytest.mark.parametrize("student, reference", CORRECT, ids=[s.__name__ for s, _ in CORRECT])
def test_correct_steps_pass(student, reference):
    res = C.check_step(student, reference)
    assert res.ok, res.message
    res = C.check_optimizer(student, reference, steps=8)
    assert res.ok, res.message
    gabor = sl.GaborRegression(*sl.data.gabor())
    assert C.check_optimizer(student, reference, problem=gabor, phi0=[-1.5, 6.5], steps=5).ok


@pytest.mark.parametrize("student, reference, hint", [
    (gd_uphill, sl.GradientDescent(alpha=0.1), "step_sign"),
    (gd_no_alpha, sl.GradientDescent(alpha=0.1), "alpha"),
    (gd_inplace, sl.GradientDescent(alpha=0.1), "inplace"),
    (gd_list, sl.GradientDescent(alpha=0.1), "shape"),
    (momentum_undamped, sl.Momentum(alpha=0.1, beta=0.9), "momentum_damping"),
    (momentum_inplace_m, sl.Momentum(alpha=0.1, beta=0.9), "inplace"),
    (momentum_phi_only, sl.Momentum(alpha=0.1, beta=0.9), "outputs"),
    (nesterov_at_phi, sl.Nesterov(alpha=0.1, beta=0.9), "nesterov_point"),
    (nesterov_print_form, sl.Nesterov(alpha=0.1, beta=0.9), "nesterov_point"),
    (adam_no_bias_correction, sl.Adam(alpha=0.05, beta=0.9, gamma=0.99), "bias_correction"),
    (adam_t_from_zero, sl.Adam(alpha=0.05, beta=0.9, gamma=0.99), "t_offset"),
    (adam_swapped, sl.Adam(alpha=0.05, beta=0.9, gamma=0.99), "beta_gamma"),
])
def test_each_step_mistake_gets_its_hint(student, reference, hint):
    for check in (C.check_step, C.check_optimizer):
        res = check(student, reference)
        assert not res.ok
        assert res.hint == hint, (check.__name__, res.message)
        assert C.HINTS[hint] in res.message
    with pytest.raises(AssertionError, match="not right yet"):
        C.assert_step(student, reference)


def test_nesterov_message_shows_where_the_gradient_was_taken():
    res = C.check_step(nesterov_at_phi, sl.Nesterov(alpha=0.1, beta=0.9))
    assert "You evaluated the gradient at" in res.message
    assert "look-ahead point phi - alpha * beta * m" in res.message
    # the engine's own wrong-point variant: Goodfellow's HeavyBall with and without Nesterov
    res = C.check_optimizer(sl.HeavyBall(alpha=0.1, beta=0.9),
                            sl.HeavyBall(alpha=0.1, beta=0.9, nesterov=True))
    assert res.hint == "nesterov_point"


def test_bias_correction_missing_is_found_for_amsgrad_too():
    def amsgrad_plain(phi, m, v, v_hat, t, grad, alpha, beta, gamma, epsilon):
        m = beta * m + (1 - beta) * grad
        v = gamma * v + (1 - gamma) * grad ** 2
        v_hat = np.maximum(v_hat, v)
        return phi - alpha * m / (np.sqrt(v_hat) + epsilon), m, v, v_hat
    res = C.check_step(amsgrad_plain, sl.AMSGrad(alpha=0.05, beta=0.9, gamma=0.99))
    assert res.hint == "bias_correction"


def test_optimizer_objects_and_plain_functions():
    class MyMomentum:                      # deep-learning-from-scratch style, but pure
        def __init__(self, alpha, beta):
            self.alpha, self.beta = alpha, beta

        def init(self, phi):
            return {"m": np.zeros_like(phi)}

        def step(self, phi, state, grad_fn):
            m = self.beta * state["m"] + (1 - self.beta) * grad_fn(phi)
            return phi - self.alpha * m, {"m": m}

    class MutatingMomentum(MyMomentum):
        def step(self, phi, state, grad_fn):
            state["m"] = self.beta * state["m"] + (1 - self.beta) * grad_fn(phi)
            phi -= self.alpha * state["m"]
            return phi, state

    ref = sl.Momentum(alpha=0.1, beta=0.9)
    assert C.check_optimizer(MyMomentum(0.1, 0.9), ref, steps=10).ok
    assert C.check_step(MyMomentum(0.1, 0.9), ref).ok
    res = C.check_optimizer(MyMomentum(0.1, 0.5), ref)
    assert not res.ok and "step 1" in res.message
    res = C.check_optimizer(MutatingMomentum(0.1, 0.9), ref)
    assert res.hint == "inplace"
    # a plain function step(phi, grad) -> phi with alpha baked in (sl.as_optimizer style)
    assert C.check_optimizer(lambda phi, grad: phi - 0.1 * grad, sl.GradientDescent(alpha=0.1)).ok
    res = C.check_optimizer(lambda phi, grad: phi - 0.2 * grad, sl.GradientDescent(alpha=0.1),
                            name="step")
    assert res.hint == "step_scale" and "step is not right yet" in res.message


def test_reference_function_call_adapter_and_custom_mistakes():
    def ref_momentum(phi, m, grad, alpha, beta):
        m = beta * m + (1 - beta) * grad
        return phi - alpha * m, m

    hyper = dict(alpha=0.1, beta=0.9)
    assert C.check_step(momentum_step, ref_momentum, hyper=hyper).ok

    def ref_adagrad(phi, r, grad, alpha, epsilon=1e-7):   # a default stays a default
        r = r + grad ** 2
        return phi - alpha * grad / (epsilon + np.sqrt(r)), r

    assert C.check_optimizer(adagrad_step, ref_adagrad, hyper=dict(alpha=0.1), steps=4).ok
    assert C.check_optimizer(momentum_step, ref_momentum, hyper=hyper, steps=6).ok
    res = C.check_step(momentum_undamped, ref_momentum, hyper=hyper,
                       mistakes={"Use (1 - beta) in front of the gradient.": momentum_undamped})
    assert not res.ok and "Use (1 - beta) in front of the gradient." in res.message
    with pytest.raises(ValueError, match="hyper"):
        C.check_step(momentum_step, ref_momentum)

    # a learner function with another convention, adapted by call=
    def my_update(params, velocity, g, lr, mom):
        velocity = mom * velocity + (1 - mom) * g
        return params - lr * velocity, velocity

    def call(fn, phi, state, grad_fn, hyper):
        new_phi, m = fn(phi, state["m"], grad_fn(phi), hyper["alpha"], hyper["beta"])
        return new_phi, {"m": m}

    assert C.check_step(my_update, sl.Momentum(alpha=0.1, beta=0.9), call=call).ok
    assert C.check_optimizer(my_update, sl.Momentum(alpha=0.1, beta=0.9), call=call).ok
    # without the adapter the unknown names are reported to the learner
    res = C.check_step(my_update, sl.Momentum(alpha=0.1, beta=0.9))
    assert res.hint == "signature" and "velocity" in res.message


def test_student_errors_in_steps_are_reported_not_raised():
    def broken(phi, grad, alpha):
        return phi - alpha * undefined_name  # noqa: F821

    res = C.check_step(broken, sl.GradientDescent(alpha=0.1))
    assert res.hint == "raised" and "NameError" in res.message

    def returns_none(phi, grad, alpha):
        phi - alpha * grad

    assert C.check_step(returns_none, sl.GradientDescent(alpha=0.1)).hint == "none"

    def slow(phi, grad, alpha):
        while True:
            pass

    assert C.check_step(slow, sl.GradientDescent(alpha=0.1), time_limit=0.1).hint == "timeout"

    def nan_step(phi, grad, alpha):
        return phi - alpha * grad / 0.0

    assert C.check_step(nan_step, sl.GradientDescent(alpha=0.1)).hint == "nan"


# ----------------------------------------------------------------- functions and values

def test_check_function_outputs_of_any_kind():
    from steplab import curvature as cv

    def my_size(P):
        return dict(entries=P * P, bytes=8 * P * P)

    def ref_size(P):   # SECRET_REFERENCE_TOKEN: messages must never show this source
        return dict(entries=P ** 2, bytes=8 * P ** 2)

    assert C.check_function(my_size, ref_size, [10, 1000, 10 ** 6]).ok
    res = C.check_function(lambda P: dict(entries=P * P, bytes=P * P), ref_size, [(10 ** 6,)],
                           name="hessian_bytes")
    assert not res.ok and "['bytes']" in res.message and "expected 8e+12" in res.message
    assert "SECRET_REFERENCE_TOKEN" not in res.message and "ref_size" not in res.message

    def classify(problem, phi):
        return "minimum"

    q = sl.Quadratic(np.diag([1.0, -1.0]))
    res = C.check_function(classify, cv.classify_critical_point, [(q, [0.0, 0.0])])
    assert not res.ok and "expected 'saddle', got 'minimum'" in res.message

    def two(x):
        return x, 2 * x

    res = C.check_function(two, lambda x: (x, 3 * x), [1.0], outputs=("a", "b"))
    assert not res.ok and "b: expected 3, got 2" in res.message
    res = C.check_function(lambda x: x, lambda x: (x, 3 * x), [1.0])
    assert res.hint == "outputs"


def test_check_function_mistakes_inputs_callable_and_inplace():
    def ref(v):
        return np.cumsum(v)

    def wrong(v):
        return np.cumsum(v[::-1])

    res = C.check_function(wrong, ref, lambda rng: (rng.normal(size=4),), n_inputs=3,
                           mistakes={"Sum from the left.": wrong})
    assert not res.ok and "Hint: Sum from the left." in res.message

    def sorts_in_place(v):
        v.sort()
        return np.cumsum(v)

    res = C.check_function(sorts_in_place, lambda v: np.cumsum(np.sort(v)),
                           [(np.array([3.0, 1.0, 2.0]),)])
    assert res.hint == "inplace" and "`v`" in res.message


def test_reference_that_raises_is_blamed_on_the_exercise():
    def bad_reference(x):  # SECRET_REFERENCE_TOKEN
        raise KeyError("internal")

    with pytest.raises(RuntimeError) as info:
        C.check_function(lambda x: x, bad_reference, [1.0])
    assert "not with your code" in str(info.value)
    assert "SECRET_REFERENCE_TOKEN" not in str(info.value)


def test_assert_close_messages():
    C.assert_close(np.array([1.0, 2.0]), [1.0, 2.0 + 1e-12], what="weights")
    cases = [
        (None, [1.0, 2.0], "none", "got None"),
        (np.ones((2, 1)), np.ones(2), "shape", "expected shape (2,), got shape (2, 1)"),
        (np.array([1.0, np.nan]), [1.0, 2.0], "nan", "not finite at component 1"),
        (np.array([1.0, 2.5, 3.0]), [1.0, 2.0, 3.0], "one_component",
         "component 1: expected 2, got 2.5"),
        (-np.array([1.0, 2.0]), [1.0, 2.0], "sign", "sign"),
        (np.array([1.0, 2.0]) / 12, [1.0, 2.0], "mean", "mean"),
    ]
    for got, expected, hint, words in cases:
        res = C.check_close(got, expected, what="weights", n=12)
        assert not res.ok and res.hint == hint and words in res.message, res.message
        assert res.message.startswith("weights is not right yet.")
        with pytest.raises(AssertionError) as info:
            C.assert_close(got, expected, what="weights", n=12)
        assert str(info.value) == res.message
    res = C.check_close(3, 4, what="the number of steps", hint="Count the first step too.")
    assert "Hint: Count the first step too." in res.message
    matrix = C.check_close(np.eye(3) * 2, np.eye(3), what="Hessian")
    assert "entry (0, 0)" in matrix.message and "3 of 9 entries differ" in matrix.message


def test_bad_setup_raises_for_the_exercise_author():
    with pytest.raises(ValueError, match="compare with"):
        C.check_gradient(grad_ok, PHI)
    with pytest.raises(ValueError, match="inputs is empty"):
        C.check_function(len, len, [])
    assert C.check_step(42, sl.GradientDescent()).hint == "signature"


def test_author_hint_replaces_guessed_pattern_hint():
    # A wrong-sign sigmoid looks like "components in the wrong order" to the pattern guesser;
    # when the exercise author gives a hint, only the author's hint is shown.
    import steplab.checks as C
    z = np.array([-1.0, 0.0, 2.0])
    wrong = 1 / (1 + np.exp(z))
    right = 1 / (1 + np.exp(-z))
    r = C.check_close(wrong, right, "sig(z)", hint="Use exp(-z), eq. 6.22.")
    assert not r.ok and "Use exp(-z), eq. 6.22." in r.message
    assert C.HINTS["order"] not in r.message and C.HINTS["sign"] not in r.message
    # facts are still reported next to the author's hint
    r = C.check_close(None, right, "sig(z)", hint="Use exp(-z), eq. 6.22.")
    assert C.HINTS["none"] in r.message and "Use exp(-z)" in r.message
