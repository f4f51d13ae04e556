"""Round-trip fixtures for the `nesterov` assignment (see notes NBGRADER.md).

PARTIAL answers Parts A and B (7 of 13 autograded points). ALTERNATIVE answers every part
with a different arrangement: the Nesterov step as "coast with the momentum part first, then
correct with the gradient there" (fig. 6.8, points 1 -> 4 -> 5), the errata look-ahead as the
printed one applied to beta*m, Goodfellow's step via the coasting point and v = phi_new - phi,
and the correspondence written as alpha - alpha*beta; it must earn all 13. WRONG takes the
gradient at phi (plain momentum), and the feedback must say it is at the wrong point.
"""

PARTIAL = {
    "nesterov_step": '''
def nesterov_step(phi, m, grad_fn, alpha, beta):
    g = grad_fn(phi - alpha * beta * m)
    m_next = beta * m + (1 - beta) * g
    return phi - alpha * m_next, m_next
''',
    "lookahead": '''
def lookahead_errata(phi, m, alpha, beta):
    return phi - alpha * beta * m


def lookahead_printed(phi, m, alpha):
    return phi - alpha * m
''',
}

ALTERNATIVE = {
    "nesterov_step": '''
def nesterov_step(phi, m, grad_fn, alpha, beta):
    # first coast with the momentum part of the step (fig. 6.8: point 1 -> 4) ...
    coast = phi - (alpha * beta) * m
    # ... then correct with the gradient found there (point 4 -> 5)
    correction = (1.0 - beta) * grad_fn(coast)
    return coast - alpha * correction, beta * m + correction
''',
    "lookahead": '''
def lookahead_printed(phi, m, alpha):
    return np.subtract(phi, np.multiply(alpha, m))


def lookahead_errata(phi, m, alpha, beta):
    # the errata point is the printed one with the momentum shrunk by beta
    return lookahead_printed(phi, beta * np.asarray(m), alpha)
''',
    "goodfellow_step": '''
def goodfellow_step(phi, v, grad_fn, alpha, beta):
    coast = phi + beta * v
    landed = coast - alpha * grad_fn(coast)
    return landed, landed - phi
''',
    "correspondence": '''
def goodfellow_from_udl(alpha, beta):
    learning_rate = alpha - alpha * beta
    momentum = beta
    return learning_rate, momentum


def velocity_from_momentum(m, alpha, beta):
    return np.negative(np.asarray(m, dtype=float)) * alpha
''',
}

WRONG = {
    "nesterov_step": '''
def nesterov_step(phi, m, grad_fn, alpha, beta):
    m_new = beta * m + (1 - beta) * grad_fn(phi)
    return phi - alpha * m_new, m_new
''',
}

HINTS = ["You evaluated the gradient at"]
