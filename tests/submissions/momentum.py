"""Round-trip fixtures for the `momentum` assignment (see notes NBGRADER.md).

PARTIAL answers Parts A and C (7 of 14 autograded points); ALTERNATIVE answers every part
with different algebra or loop structure (momentum as an exponential moving average
``m + (1-beta)(g - m)``, a preallocated while loop, weights by repeated multiplication,
gradient descent as momentum with beta = 0 and vectorized losses) and must earn all 14;
WRONG forgets the factor (1 - beta) of eq. 6.11, and the feedback must say so.
"""

PARTIAL = {
    "momentum_step": '''
def momentum_step(phi, m, g, alpha, beta):
    """UDL eq. 6.11."""
    m_next = beta * m + (1 - beta) * g
    return phi - alpha * m_next, m_next
''',
    "gradient_weights": '''
def gradient_weights(beta, t):
    """UDL problem 6.10."""
    return np.array([(1 - beta) * beta ** k for k in range(t)])
''',
}

ALTERNATIVE = {
    "momentum_step": '''
def momentum_step(phi, m, g, alpha, beta):
    """UDL eq. 6.11 written as an exponential moving average: m moves a fraction (1 - beta)
    of the way towards the new gradient."""
    velocity = m + (1.0 - beta) * (g - m)
    new_phi = phi + (-alpha) * velocity
    return new_phi, velocity
''',
    "run_momentum": '''
def run_momentum(grad_fn, phi0, alpha, beta, steps, step=momentum_step):
    start = np.asarray(phi0, dtype=float)
    out = np.empty((steps + 1,) + start.shape)
    out[0] = start
    m = 0.0 * start
    t = 0
    while t < steps:
        current = out[t].copy()
        out[t + 1], m = step(current, m, grad_fn(current), alpha, beta)
        t += 1
    return out
''',
    "gradient_weights": '''
def gradient_weights(beta, t):
    weights = []
    w = 1.0 - beta
    for _ in range(t):
        weights.append(w)
        w = w * beta
    return np.array(weights, dtype=float)
''',
    "steps_to_reach": '''
def steps_to_reach(losses, threshold):
    for index, value in enumerate(losses):
        if value <= threshold:
            return index
    return None
''',
    "compare_steps": '''
def compare_steps(problem, phi0, alpha, beta, steps, threshold):
    # gradient descent is momentum with beta = 0 (eq. 6.11 gives m_{t+1} = g_t)
    counts = []
    for b in (0.0, beta):
        path = run_momentum(problem.grad, phi0, alpha, b, steps)
        counts.append(steps_to_reach(problem.loss(path), threshold))
    return counts[0], counts[1]
''',
}

WRONG = {
    "momentum_step": '''
def momentum_step(phi, m, g, alpha, beta):
    m_new = beta * m + g
    return phi - alpha * m_new, m_new
''',
}

HINTS = ["factor of the momentum update is missing"]
