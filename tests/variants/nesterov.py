"""Answers for the nesterov assignment (UDL 6.3.1, eq. 6.12 errata form; Goodfellow alg. 8.3).

The correspondence (Part E), worked out on paper: with v_t = -alpha m_t, Goodfellow's
look-ahead phi + beta v = phi - alpha beta m is UDL's, and v_new = beta v - alpha' g equals
-alpha (beta m + (1 - beta) g) when alpha' = alpha (1 - beta), beta' = beta.
"""

from variants import mutate

PARTS = {"nesterov_step": "test_nesterov_step", "lookahead": "test_lookahead",
         "goodfellow_step": "test_goodfellow_step", "correspondence": "test_correspondence"}

A = {
    "nesterov_step": '''
def nesterov_step(params, velocity, gradient, lr, mu):
    ahead = params - lr * mu * velocity
    new_velocity = mu * velocity + (1 - mu) * gradient(ahead)
    return params - lr * new_velocity, new_velocity
''',
    "lookahead": '''
def lookahead_errata(params, velocity, lr, mu):
    return params - lr * mu * velocity


def lookahead_printed(params, velocity, lr):
    return params - lr * velocity
''',
    "goodfellow_step": '''
def goodfellow_step(theta, vel, gradient, eps, mom):
    new_vel = mom * vel - eps * gradient(theta + mom * vel)
    return theta + new_vel, new_vel
''',
    "correspondence": '''
def goodfellow_from_udl(lr, mu):
    return lr * (1 - mu), mu


def velocity_from_momentum(momentum, lr, mu):
    return -lr * momentum
''',
}

B = {
    "nesterov_step": '''
def nesterov_step(phi, m, grad_fn, alpha, beta):
    # the step written as "momentum part + gradient part" (fig. 6.8)
    momentum_part = -alpha * beta * m
    g = np.asarray(grad_fn(phi + momentum_part))
    gradient_part = -alpha * (1 - beta) * g
    m_new = m + (1 - beta) * (g - m)
    return [phi + momentum_part + gradient_part, m_new]
''',
    "lookahead": '''
def lookahead_errata(phi, m, alpha, beta):
    step = np.multiply(alpha * beta, m)
    return np.subtract(phi, step)


def lookahead_printed(phi, m, alpha):
    return np.add(phi, np.multiply(-alpha, m))
''',
    "goodfellow_step": '''
def goodfellow_step(phi, v, grad_fn, alpha, beta):
    interim = phi + beta * v
    g = grad_fn(interim)
    v_new = beta * v - alpha * np.asarray(g)
    phi_new = interim - alpha * np.asarray(g)   # = phi + v_new
    return [phi_new, v_new]
''',
    "correspondence": '''
def goodfellow_from_udl(alpha, beta):
    return [alpha - alpha * beta, beta]


def velocity_from_momentum(m, alpha, beta):
    return np.multiply(m, -alpha)
''',
}

WRONG = {
    "wrong1": {
        "nesterov_step": mutate(A["nesterov_step"], "params - lr * mu * velocity",
                                "params - lr * velocity"),
        "lookahead": mutate(A["lookahead"], "return params - lr * mu * velocity",
                            "return params - mu * velocity"),
        "goodfellow_step": mutate(A["goodfellow_step"], "gradient(theta + mom * vel)",
                                  "gradient(theta)"),
        "correspondence": mutate(A["correspondence"], "return lr * (1 - mu), mu",
                                 "return lr, mu"),
    },
    "wrong2": {
        "nesterov_step": mutate(A["nesterov_step"], "params - lr * new_velocity",
                                "params - lr * velocity"),
        "lookahead": mutate(A["lookahead"], "return params - lr * velocity",
                            "return params - lr * mu * velocity"),
        "goodfellow_step": mutate(A["goodfellow_step"], "return theta + new_vel",
                                  "return theta + vel"),
        "correspondence": mutate(A["correspondence"], "return -lr * momentum",
                                 "return lr * momentum"),
    },
}

CORRECT = {"A": A, "B": B}
