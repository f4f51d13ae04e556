"""Answers for the optimizer_zoo assignment (AdaGrad, RMSProp, AdaDelta, Adamax, AMSGrad,
NAdam, and Part 8's adam_step that trains the digits network), from the equations in its task
text. Kind B folds AMSGrad's bias corrections into the step size (Kingma & Ba 2015, sec. 2),
with epsilon scaled so that the step is unchanged; its adam_step folds them too but adds the
plain epsilon to sqrt(v) (Kingma & Ba's other reading, which the task accepts). Kind C answers
Part 8 only, with interpolated moving averages and a per-parameter step size."""

from variants import mutate

PARTS = {"oz_adagrad": "oz_adagrad_tests", "oz_rmsprop": "oz_rmsprop_tests",
         "oz_adadelta": "oz_adadelta_tests", "oz_adamax": "oz_adamax_tests",
         "oz_amsgrad": "oz_amsgrad_tests", "oz_nadam": "oz_nadam_tests",
         "oz_adam_net": "oz_adam_net_tests"}

A = {
    "oz_adagrad": '''
def adagrad_step(w, grad, acc, lr=0.01, eps=1e-7):
    acc = acc + grad ** 2
    return w - lr * grad / (eps + np.sqrt(acc)), acc
''',
    "oz_rmsprop": '''
def rmsprop_step(w, grad, sq, lr=0.01, rho=0.99, eps=1e-8):
    sq = rho * sq + (1 - rho) * grad ** 2
    return w - lr * grad / (np.sqrt(sq) + eps), sq
''',
    "oz_adadelta": '''
def adadelta_step(w, grad, acc_g, acc_dx, rho=0.9, eps=1e-6, lr=1.0):
    acc_g = rho * acc_g + (1 - rho) * grad ** 2
    dx = np.sqrt(acc_dx + eps) / np.sqrt(acc_g + eps) * grad
    acc_dx = rho * acc_dx + (1 - rho) * dx ** 2
    return w - lr * dx, acc_g, acc_dx
''',
    "oz_adamax": '''
def adamax_step(w, grad, mom, norm, k, lr=0.002, b1=0.9, b2=0.999, eps=1e-8):
    mom = b1 * mom + (1 - b1) * grad
    norm = np.maximum(b2 * norm, np.abs(grad))
    return w - lr / (1 - b1 ** k) * mom / (norm + eps), mom, norm
''',
    "oz_amsgrad": '''
def amsgrad_step(w, grad, m1, m2, m2_max, k, lr=0.001, b1=0.9, b2=0.999, eps=1e-8):
    m1 = b1 * m1 + (1 - b1) * grad
    m2 = b2 * m2 + (1 - b2) * grad ** 2
    m2_max = np.maximum(m2_max, m2)
    w = w - lr * (m1 / (1 - b1 ** k)) / (np.sqrt(m2_max / (1 - b2 ** k)) + eps)
    return w, m1, m2, m2_max
''',
    "oz_nadam": '''
def nadam_step(w, grad, m1, m2, prod, k, lr=0.002, b1=0.9, b2=0.999, eps=1e-8, psi=0.004):
    mu_now = b1 * (1 - 0.5 * 0.96 ** (k * psi))
    mu_next = b1 * (1 - 0.5 * 0.96 ** ((k + 1) * psi))
    m1 = b1 * m1 + (1 - b1) * grad
    m2 = b2 * m2 + (1 - b2) * grad ** 2
    prod = prod * mu_now
    m_bar = (1 - mu_now) * grad / (1 - prod) + mu_next * m1 / (1 - prod * mu_next)
    w = w - lr * m_bar / (np.sqrt(m2 / (1 - b2 ** k)) + eps)
    return w, m1, m2, prod
''',
    "oz_adam_net": '''
def adam_step(w, mom, sq, k, grad, lr, b1=0.9, b2=0.999, eps=1e-8):
    mom = b1 * mom + (1 - b1) * grad
    sq = b2 * sq + (1 - b2) * grad ** 2
    mom_hat = mom / (1 - b1 ** k)
    sq_hat = sq / (1 - b2 ** k)
    return w - lr * mom_hat / (np.sqrt(sq_hat) + eps), mom, sq
''',
}

B = {
    "oz_adagrad": '''
def adagrad_step(phi, g, r, alpha=0.01, epsilon=1e-7):
    g = np.asarray(g, dtype=float)
    r_new = np.add(r, g * g)
    per_parameter_rate = alpha / (epsilon + np.sqrt(r_new))
    return [phi - per_parameter_rate * g, r_new]
''',
    "oz_rmsprop": '''
def rmsprop_step(phi, g, r, alpha=0.01, gamma=0.99, epsilon=1e-8):
    r_new = r + (1 - gamma) * (np.square(g) - r)      # the same average, moved towards g^2
    return [phi - alpha * g / (np.sqrt(r_new) + epsilon), r_new]
''',
    "oz_adadelta": '''
def adadelta_step(phi, g, r, s, gamma=0.9, epsilon=1e-6, alpha=1.0):
    def rms(x):
        return np.sqrt(x + epsilon)
    r_new = gamma * r + (1 - gamma) * np.square(g)
    delta = g * (rms(s) / rms(r_new))
    s_new = gamma * s + (1 - gamma) * np.square(delta)
    return [phi - alpha * delta, r_new, s_new]
''',
    "oz_adamax": '''
def adamax_step(phi, g, m, u, t, alpha=0.002, beta=0.9, gamma=0.999, epsilon=1e-8):
    step_size = alpha / (1.0 - beta ** t)
    m_new = beta * m + (1.0 - beta) * g
    u_new = np.where(gamma * u > np.abs(g), gamma * u, np.abs(g))
    return [phi - step_size * (m_new / (u_new + epsilon)), m_new, u_new]
''',
    "oz_amsgrad": '''
def amsgrad_step(phi, g, m, v, v_hat, t, alpha=0.001, beta=0.9, gamma=0.999, epsilon=1e-8):
    # bias corrections folded into the step size (Kingma & Ba 2015, sec. 2)
    m = beta * m + (1 - beta) * g
    v = gamma * v + (1 - gamma) * np.square(g)
    v_hat = np.fmax(v_hat, v)
    root = np.sqrt(1 - gamma ** t)
    alpha_t = alpha * root / (1 - beta ** t)
    return [phi - alpha_t * m / (np.sqrt(v_hat) + epsilon * root), m, v, v_hat]
''',
    "oz_nadam": '''
def nadam_step(phi, g, m, v, mu_product, t, alpha=0.002, beta=0.9, gamma=0.999, epsilon=1e-8,
               momentum_decay=0.004):
    def mu(k):
        return beta * (1.0 - 0.5 * np.power(0.96, k * momentum_decay))

    m = beta * m + (1.0 - beta) * g
    v = gamma * v + (1.0 - gamma) * g * g
    mu_t, mu_t1 = mu(t), mu(t + 1)
    product = mu_product * mu_t
    m_bar = mu_t1 * m / (1.0 - product * mu_t1) + (1.0 - mu_t) * g / (1.0 - product)
    v_hat = v / (1.0 - gamma ** t)
    return [phi - alpha * m_bar / (np.sqrt(v_hat) + epsilon), m, v, product]
''',
    "oz_adam_net": '''
def adam_step(phi, m, v, t, g, alpha, beta=0.9, gamma=0.999, epsilon=1e-8):
    # Kingma & Ba (2015, sec. 2): corrections folded into the step size, epsilon on sqrt(v)
    m = beta * m + (1 - beta) * g
    v = gamma * v + (1 - gamma) * np.square(g)
    alpha_t = alpha * np.sqrt(1 - gamma ** t) / (1 - beta ** t)
    return [phi - alpha_t * m / (np.sqrt(v) + epsilon), m, v]
''',
}

C = {
    "oz_adam_net": '''
def _corrected(average, decay, t):
    return average / (1.0 - decay ** t)


def adam_step(phi, m, v, t, g, alpha, beta=0.9, gamma=0.999, epsilon=1e-8):
    g = np.asarray(g, dtype=float)
    m_new = m + (1.0 - beta) * (g - m)                 # the same averages, as interpolations
    v_new = v + (1.0 - gamma) * (g * g - v)
    per_parameter = alpha / (np.sqrt(_corrected(v_new, gamma, t)) + epsilon)
    return (phi - per_parameter * _corrected(m_new, beta, t), m_new, v_new)
''',
}

WRONG = {
    "wrong1": {
        "oz_adagrad": mutate(A["oz_adagrad"], "acc = acc + grad ** 2", "acc = grad ** 2"),
        "oz_rmsprop": mutate(A["oz_rmsprop"], "(1 - rho) * grad ** 2", "grad ** 2"),
        "oz_adadelta": mutate(A["oz_adadelta"], "np.sqrt(acc_dx + eps) /", "np.sqrt(acc_dx) /"),
        "oz_adamax": mutate(A["oz_adamax"], "lr / (1 - b1 ** k) * mom", "lr * mom"),
        "oz_amsgrad": mutate(A["oz_amsgrad"], '''    m2 = b2 * m2 + (1 - b2) * grad ** 2
    m2_max = np.maximum(m2_max, m2)''', '''    m2_max = np.maximum(m2_max, m2)
    m2 = b2 * m2 + (1 - b2) * grad ** 2'''),
        "oz_nadam": mutate(A["oz_nadam"], "mu_next * m1 / (1 - prod * mu_next)",
                           "mu_now * m1 / (1 - prod * mu_now)"),
        # no bias correction: the network still learns, but no step is Adam's
        "oz_adam_net": mutate(A["oz_adam_net"], """    mom_hat = mom / (1 - b1 ** k)
    sq_hat = sq / (1 - b2 ** k)""", """    mom_hat = mom
    sq_hat = sq"""),
    },
    "wrong2": {
        "oz_adagrad": mutate(A["oz_adagrad"], '''    acc = acc + grad ** 2
    return w - lr * grad / (eps + np.sqrt(acc)), acc''', '''    new = acc + grad ** 2
    return w - lr * grad / (eps + np.sqrt(acc)), new'''),
        "oz_rmsprop": mutate(A["oz_rmsprop"], "np.sqrt(sq) + eps", "np.sqrt(sq + eps)"),
        "oz_adadelta": mutate(A["oz_adadelta"], "(1 - rho) * dx ** 2", "(1 - rho) * grad ** 2"),
        "oz_adamax": mutate(A["oz_adamax"], "np.abs(grad)", "grad"),
        "oz_amsgrad": mutate(A["oz_amsgrad"], "np.sqrt(m2_max / (1 - b2 ** k))",
                             "np.sqrt(m2 / (1 - b2 ** k))"),
        "oz_nadam": mutate(A["oz_nadam"], "prod = prod * mu_now", "prod = prod"),
        # epsilon under the root (the print of eq. 6.14), not added to sqrt(v_hat)
        "oz_adam_net": mutate(A["oz_adam_net"], "np.sqrt(sq_hat) + eps", "np.sqrt(sq_hat + eps)"),
    },
}

CORRECT = {"A": A, "B": B, "C": C}
