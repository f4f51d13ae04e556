"""Round-trip fixtures for the `optimizer_zoo` assignment (see notes NBGRADER.md).

PARTIAL answers Parts 1, 2 and 4 (12 of 28 autograded points). ALTERNATIVE answers every part
differently: moving averages written as interpolations m + (1 - beta)(g - m), np.square /
np.fmax / np.hypot-free forms, the step sizes folded into scalars first (Kingma & Ba's
efficient form), RMS helpers, and NAdam with its two weights computed before the moments;
it must earn all 28. WRONG drops AMSGrad's bias correction, lets AdaGrad update its state
in place and puts Adam's epsilon under the root (Part 8); the feedback must name the three
mistakes.
"""

PARTIAL = {
    "oz_adagrad": '''
def adagrad_step(phi, g, r, alpha=0.01, epsilon=1e-7):
    r_new = r + g ** 2
    return phi - alpha * g / (epsilon + np.sqrt(r_new)), r_new
''',
    "oz_rmsprop": '''
def rmsprop_step(phi, g, r, alpha=0.01, gamma=0.99, epsilon=1e-8):
    r_new = gamma * r + (1 - gamma) * g ** 2
    return phi - alpha * g / (np.sqrt(r_new) + epsilon), r_new
''',
    "oz_adamax": '''
def adamax_step(phi, g, m, u, t, alpha=0.002, beta=0.9, gamma=0.999, epsilon=1e-8):
    m_new = beta * m + (1 - beta) * g
    u_new = np.maximum(gamma * u, np.abs(g))
    return phi - alpha / (1 - beta ** t) * m_new / (u_new + epsilon), m_new, u_new
''',
}

ALTERNATIVE = {
    "oz_adagrad": '''
def adagrad_step(phi, g, r, alpha=0.01, epsilon=1e-7):
    accumulated = np.add(r, np.square(g))
    scale = alpha / (np.sqrt(accumulated) + epsilon)     # a per-component learning rate
    return np.subtract(phi, scale * g), accumulated
''',
    "oz_rmsprop": '''
def rmsprop_step(phi, g, r, alpha=0.01, gamma=0.99, epsilon=1e-8):
    average = r + (1.0 - gamma) * (np.square(g) - r)      # the same moving average, as a lerp
    denominator = np.sqrt(average)
    denominator = denominator + epsilon
    return phi - (alpha / denominator) * g, average
''',
    "oz_adadelta": '''
def adadelta_step(phi, g, r, s, gamma=0.9, epsilon=1e-6, alpha=1.0):
    def rms(mean_square):
        return np.sqrt(mean_square + epsilon)
    grad_avg = r + (1 - gamma) * (g * g - r)
    update = g * (rms(s) / rms(grad_avg))
    update_avg = s + (1 - gamma) * (update * update - s)
    return phi - alpha * update, grad_avg, update_avg
''',
    "oz_adamax": '''
def adamax_step(phi, g, m, u, t, alpha=0.002, beta=0.9, gamma=0.999, epsilon=1e-8):
    step_size = alpha / (1.0 - np.power(beta, t))       # Kingma & Ba alg. 2, folded scalar
    first = m + (1.0 - beta) * (g - m)
    infinity = np.fmax(u * gamma, np.absolute(g))
    return phi - step_size * (first / (infinity + epsilon)), first, infinity
''',
    "oz_amsgrad": '''
def amsgrad_step(phi, g, m, v, v_hat, t, alpha=0.001, beta=0.9, gamma=0.999, epsilon=1e-8):
    first = m + (1 - beta) * (g - m)
    second = v + (1 - gamma) * (np.square(g) - v)
    largest = np.where(second > v_hat, second, v_hat)
    c1, c2 = 1 - beta ** t, 1 - gamma ** t
    # fold the corrections: alpha m/c1 / (sqrt(v_hat/c2) + eps)
    return phi - (alpha / c1) * first / (np.sqrt(largest) / np.sqrt(c2) + epsilon), first, second, largest
''',
    "oz_nadam": '''
def nadam_step(phi, g, m, v, mu_product, t, alpha=0.002, beta=0.9, gamma=0.999, epsilon=1e-8,
               momentum_decay=0.004):
    def mu_at(step):
        return beta * (1 - 0.5 * 0.96 ** (step * momentum_decay))
    mu_now, mu_after = mu_at(t), mu_at(t + 1)
    product = mu_product * mu_now
    weight_g = (1 - mu_now) / (1 - product)
    weight_m = mu_after / (1 - product * mu_after)
    first = m + (1 - beta) * (g - m)
    second = v + (1 - gamma) * (g * g - v)
    denom = np.sqrt(second) / np.sqrt(1 - gamma ** t) + epsilon
    return phi - alpha * (weight_g * g + weight_m * first) / denom, first, second, product
''',
    "oz_adam_net": '''
def adam_step(phi, m, v, t, g, alpha, beta=0.9, gamma=0.999, epsilon=1e-8):
    first = m + (1 - beta) * (g - m)
    second = v + (1 - gamma) * (np.square(g) - v)
    step = alpha / (1 - beta ** t) * first / (np.sqrt(second) / np.sqrt(1 - gamma ** t) + epsilon)
    return [phi - step, first, second]
''',
}

WRONG = {
    "oz_adagrad": '''
def adagrad_step(phi, g, r, alpha=0.01, epsilon=1e-7):
    r += g * g          # wrong: changes the caller's array
    return phi - alpha * g / (epsilon + np.sqrt(r)), r
''',
    "oz_amsgrad": '''
def amsgrad_step(phi, g, m, v, v_hat, t, alpha=0.001, beta=0.9, gamma=0.999, epsilon=1e-8):
    m = beta * m + (1 - beta) * g
    v = gamma * v + (1 - gamma) * g * g
    v_hat = np.maximum(v_hat, v)
    return phi - alpha * m / (np.sqrt(v_hat) + epsilon), m, v, v_hat     # wrong: no bias correction
''',
    "oz_adam_net": '''
def adam_step(phi, m, v, t, g, alpha, beta=0.9, gamma=0.999, epsilon=1e-8):
    m = beta * m + (1 - beta) * g
    v = gamma * v + (1 - gamma) * g * g
    m_hat, v_hat = m / (1 - beta ** t), v / (1 - gamma ** t)
    return phi - alpha * m_hat / np.sqrt(v_hat + epsilon), m, v       # wrong: epsilon under the root
''',
}

HINTS = ["in place", "bias correction", "under the square root"]
