"""Answers for the adam assignment (UDL 6.4, eqs. 6.13-6.17), from its task text.

Kind B writes Adam as in Kingma & Ba (2015), sec. 2: the bias corrections folded into the step
size, alpha_t = alpha sqrt(1 - gamma^t) / (1 - beta^t), with epsilon scaled by sqrt(1 - gamma^t)
so that the step is algebraically the same as eq. 6.17.
"""

from variants import mutate

PARTS = {"normalized_step": "test_normalized_step", "bias_correct": "test_bias_correct",
         "adam_step": "test_adam_step", "uncorrected_ratio": "test_uncorrected_ratio",
         "adam_trajectory": "test_adam_trajectory"}

#: Part E runs the student's adam_step (the task says so)
DEPENDS = {"test_adam_trajectory": ["adam_step"]}
#: adam_step and adam_trajectory in different groups: wrong1_first and wrong2_second show each alone
WRONG_GROUPS = [["normalized_step", "adam_step", "uncorrected_ratio"],
                ["bias_correct", "adam_trajectory"]]

A = {
    "normalized_step": '''
def normalized_step(params, grad, lr, eps=1e-8):
    first = grad
    second = grad ** 2
    return params - lr * first / (np.sqrt(second) + eps)
''',
    "bias_correct": '''
def bias_correct(first, second, b1, b2, step):
    return first / (1 - b1 ** step), second / (1 - b2 ** step)
''',
    "adam_step": '''
def adam_step(params, m1, m2, step, grad, lr, b1=0.9, b2=0.999, eps=1e-8):
    m1 = b1 * m1 + (1 - b1) * grad
    m2 = b2 * m2 + (1 - b2) * grad ** 2
    m1_hat = m1 / (1 - b1 ** step)
    m2_hat = m2 / (1 - b2 ** step)
    return params - lr * m1_hat / (np.sqrt(m2_hat) + eps), m1, m2
''',
    "uncorrected_ratio": '''
def uncorrected_ratio(b1, b2, step):
    return (1 - b1 ** step) / np.sqrt(1 - b2 ** step)
''',
    "adam_trajectory": '''
def adam_trajectory(gradient, start, n, lr, b1=0.9, b2=0.999, eps=1e-8):
    theta = np.array(start, dtype=float)
    m1 = np.zeros_like(theta)
    m2 = np.zeros_like(theta)
    path = [theta]
    for step in range(1, n + 1):
        theta, m1, m2 = adam_step(theta, m1, m2, step, gradient(theta), lr, b1, b2, eps)
        path.append(theta)
    return np.array(path)
''',
}

B = {
    "normalized_step": '''
def normalized_step(phi, g, alpha, epsilon=1e-8):
    g = np.asarray(g, dtype=float)
    return phi - alpha * g / (np.abs(g) + epsilon)     # sqrt(g**2) = |g|
''',
    "bias_correct": '''
def bias_correct(m, v, beta, gamma, t):
    scale_m = 1.0 / (1.0 - beta ** t)
    scale_v = 1.0 / (1.0 - gamma ** t)
    return [m * scale_m, v * scale_v]
''',
    "adam_step": '''
def adam_step(phi, m, v, t, g, alpha, beta=0.9, gamma=0.999, epsilon=1e-8):
    # Kingma & Ba (2015), sec. 2: fold both bias corrections into the step size
    m_new = beta * m + (1 - beta) * g
    v_new = gamma * v + (1 - gamma) * np.square(g)
    root = np.sqrt(1 - gamma ** t)
    alpha_t = alpha * root / (1 - beta ** t)
    phi_new = phi - alpha_t * m_new / (np.sqrt(v_new) + epsilon * root)
    return [phi_new, m_new, v_new]
''',
    "uncorrected_ratio": '''
def uncorrected_ratio(beta, gamma, t):
    # constant gradient g = 1: m_t = 1 - beta^t, v_t = 1 - gamma^t (unrolled eq. 6.15)
    t = np.asarray(t, dtype=float)
    m_t = 1.0 - np.power(beta, t)
    v_t = 1.0 - np.power(gamma, t)
    uncorrected = m_t / np.sqrt(v_t)
    corrected = (m_t / (1.0 - np.power(beta, t))) / np.sqrt(v_t / (1.0 - np.power(gamma, t)))
    return uncorrected / corrected
''',
    "adam_trajectory": '''
def adam_trajectory(grad_fn, phi0, steps, alpha, beta=0.9, gamma=0.999, epsilon=1e-8):
    phi = np.asarray(phi0, dtype=float).copy()
    state = [np.zeros(phi.shape), np.zeros(phi.shape)]
    out = np.empty((steps + 1,) + phi.shape)
    out[0] = phi
    t = 1
    while t <= steps:
        phi, state[0], state[1] = adam_step(phi, state[0], state[1], t, grad_fn(phi), alpha,
                                            beta, gamma, epsilon)
        out[t] = phi
        t += 1
    return out
''',
}

WRONG = {
    "wrong1": {
        "normalized_step": mutate(A["normalized_step"], "np.sqrt(second) + eps",
                                  "np.sqrt(second + eps)"),
        "bias_correct": mutate(A["bias_correct"], "b1 ** step", "b1 ** (step + 1)"),
        "adam_step": mutate(A["adam_step"], "b2 ** step", "b2 ** (step + 1)"),
        "uncorrected_ratio": mutate(A["uncorrected_ratio"], "np.sqrt(1 - b2 ** step)",
                                    "(1 - b2 ** step)"),
        "adam_trajectory": mutate(A["adam_trajectory"], "theta, m1, m2 = adam_step",
                                  "theta, _, _ = adam_step"),
    },
    "wrong2": {
        "normalized_step": mutate(A["normalized_step"], "np.sqrt(second) + eps", "second + eps"),
        "bias_correct": mutate(A["bias_correct"], "second / (1 - b2 ** step)",
                               "second / (1 - b1 ** step)"),
        "adam_step": mutate(A["adam_step"], "lr * m1_hat /", "lr * m1 /"),
        "uncorrected_ratio": mutate(A["uncorrected_ratio"],
                                    "(1 - b1 ** step) / np.sqrt(1 - b2 ** step)",
                                    "np.sqrt(1 - b2 ** step) / (1 - b1 ** step)"),
        "adam_trajectory": mutate(A["adam_trajectory"], "range(1, n + 1)", "range(2, n + 2)"),
    },
}

CORRECT = {"A": A, "B": B}
