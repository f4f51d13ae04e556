"""Round-trip fixtures for the `adam` assignment (see notes NBGRADER.md).

PARTIAL answers Parts A, B and D (8 of 16 autograded points). ALTERNATIVE answers every part
differently: |g| instead of sqrt(g^2), corrections as multiplications by reciprocals, Adam in
Kingma & Ba's folded form (alpha*sqrt(1-gamma^t)/(1-beta^t) * m / (sqrt(v) + eps*sqrt(1-gamma^t)),
algebraically equal to eq. 6.17), the ratio through logarithms, and a preallocated loop; it
must earn all 16. WRONG drops the bias correction, and the feedback must say so.
"""

PARTIAL = {
    "normalized_step": '''
def normalized_step(phi, g, alpha, epsilon=1e-8):
    m, v = g, g ** 2
    return phi - alpha * m / (np.sqrt(v) + epsilon)
''',
    "bias_correct": '''
def bias_correct(m, v, beta, gamma, t):
    return m / (1 - beta ** t), v / (1 - gamma ** t)
''',
    "uncorrected_ratio": '''
def uncorrected_ratio(beta, gamma, t):
    return (1 - beta ** t) / np.sqrt(1 - gamma ** t)
''',
}

ALTERNATIVE = {
    "normalized_step": '''
def normalized_step(phi, g, alpha, epsilon=1e-8):
    # sqrt(g**2) is |g|: every component moves by (almost exactly) alpha
    direction = g / (np.abs(g) + epsilon)
    return phi - alpha * direction
''',
    "bias_correct": '''
def bias_correct(m, v, beta, gamma, t):
    scale_m = 1.0 / (1.0 - np.power(beta, t))
    scale_v = 1.0 / (1.0 - np.power(gamma, t))
    return scale_m * m, scale_v * v
''',
    "adam_step": '''
def adam_step(phi, m, v, t, g, alpha, beta=0.9, gamma=0.999, epsilon=1e-8):
    first = m + (1 - beta) * (g - m)
    second = v + (1 - gamma) * (g ** 2 - v)
    root = np.sqrt(1 - gamma ** t)
    # Kingma & Ba's folded form: the same as eqs. 6.16-6.17, written with unscaled moments
    lr = alpha * root / (1 - beta ** t)
    return phi - lr * first / (np.sqrt(second) + epsilon * root), first, second
''',
    "uncorrected_ratio": '''
def uncorrected_ratio(beta, gamma, t):
    t = np.asarray(t, dtype=float)
    return np.exp(np.log1p(-beta ** t) - 0.5 * np.log1p(-gamma ** t))
''',
    "adam_trajectory": '''
def adam_trajectory(grad_fn, phi0, steps, alpha, beta=0.9, gamma=0.999, epsilon=1e-8):
    first = np.asarray(phi0, dtype=float)
    out = np.zeros((steps + 1,) + first.shape)
    out[0] = first
    moments = [0.0 * first, 0.0 * first]
    for k in range(1, steps + 1):
        here = out[k - 1].copy()
        out[k], moments[0], moments[1] = adam_step(here, moments[0], moments[1], k, grad_fn(here),
                                                   alpha, beta, gamma, epsilon)
    return out
''',
}

WRONG = {
    "adam_step": '''
def adam_step(phi, m, v, t, g, alpha, beta=0.9, gamma=0.999, epsilon=1e-8):
    m = beta * m + (1 - beta) * g
    v = gamma * v + (1 - gamma) * g * g
    return phi - alpha * m / (np.sqrt(v) + epsilon), m, v
''',
}

HINTS = ["divide m by"]
