"""Answers for the momentum assignment (UDL 6.3, eq. 6.11, problem 6.10), from its task text."""

from variants import mutate

PARTS = {"momentum_step": "test_momentum_step", "run_momentum": "test_run_momentum",
         "gradient_weights": "test_gradient_weights", "steps_to_reach": "test_steps_to_reach",
         "compare_steps": "test_compare_steps"}

A = {
    "momentum_step": '''
def momentum_step(params, velocity, grad, lr, mu):
    new_velocity = mu * velocity + (1 - mu) * grad
    return params - lr * new_velocity, new_velocity
''',
    "run_momentum": '''
def run_momentum(gradient, start, lr, mu, n, step=momentum_step):
    theta = np.array(start, dtype=float)
    vel = np.zeros_like(theta)
    path = [theta]
    for _ in range(n):
        theta, vel = step(theta, vel, gradient(theta), lr, mu)
        path.append(theta)
    return np.array(path)
''',
    "gradient_weights": '''
def gradient_weights(mu, T):
    k = np.arange(T)
    return (1 - mu) * mu ** k
''',
    "steps_to_reach": '''
def steps_to_reach(L, level):
    for index, value in enumerate(L):
        if value <= level:
            return index
    return None
''',
    "compare_steps": '''
def compare_steps(prob, start, lr, mu, n, level):
    def first(losses):
        for k, value in enumerate(losses):
            if value <= level:
                return k
        return None
    gd = sl.minimize(prob, sl.GradientDescent(alpha=lr), start, steps=n)
    mom = sl.minimize(prob, sl.Momentum(alpha=lr, beta=mu), start, steps=n)
    return first(gd.loss), first(mom.loss)
''',
}

B = {
    "momentum_step": '''
def momentum_step(phi, m, g, alpha, beta):
    # exponential moving average written as "move m towards g by a fraction 1 - beta"
    m_next = m + (1.0 - beta) * (np.asarray(g) - m)
    return [phi - alpha * m_next, m_next]
''',
    "run_momentum": '''
def run_momentum(grad_fn, phi0, alpha, beta, steps, step=momentum_step):
    phi = np.asarray(phi0, dtype=float).copy()
    m = np.zeros(phi.shape)
    out = np.empty((steps + 1, phi.size))
    out[0] = phi
    for t in range(1, steps + 1):
        phi, m = step(phi, m, grad_fn(phi), alpha, beta)
        out[t] = phi
    return out
''',
    "gradient_weights": '''
def gradient_weights(beta, t):
    w = []
    weight = 1.0 - beta
    for _ in range(t):
        w.append(weight)
        weight = weight * beta
    return np.array(w, dtype=float)
''',
    "steps_to_reach": '''
def steps_to_reach(losses, threshold):
    below = np.flatnonzero(np.asarray(losses, dtype=float) <= threshold)
    return int(below[0]) if below.size else None
''',
    "compare_steps": '''
def compare_steps(problem, phi0, alpha, beta, steps, threshold):
    # plain gradient descent is momentum with beta = 0 (eq. 6.11 reduces to eq. 6.3)
    counts = []
    for b in (0.0, beta):
        phi = np.array(phi0, dtype=float)
        m = np.zeros_like(phi)
        losses = [problem.loss(phi)]
        for _ in range(steps):
            m = b * m + (1 - b) * problem.grad(phi)
            phi = phi - alpha * m
            losses.append(problem.loss(phi))
        hits = [k for k, value in enumerate(losses) if value <= threshold]
        counts.append(hits[0] if hits else None)
    return tuple(counts)
''',
}

WRONG = {
    "wrong1": {
        "momentum_step": mutate(A["momentum_step"], "(1 - mu) * grad", "grad"),
        "run_momentum": mutate(A["run_momentum"], "for _ in range(n):", "for _ in range(n + 1):"),
        "gradient_weights": mutate(A["gradient_weights"], "mu ** k", "mu ** (k + 1)"),
        "steps_to_reach": mutate(A["steps_to_reach"], "value <= level", "value < level"),
        "compare_steps": mutate(A["compare_steps"], "return first(gd.loss), first(mom.loss)",
                                "return first(mom.loss), first(gd.loss)"),
    },
    "wrong2": {
        "momentum_step": mutate(A["momentum_step"], "params - lr * new_velocity",
                                "params - lr * velocity"),
        "run_momentum": mutate(A["run_momentum"], "vel = np.zeros_like(theta)",
                               "vel = np.array(gradient(theta))"),
        "gradient_weights": mutate(A["gradient_weights"], "return (1 - mu) * mu ** k",
                                   "return ((1 - mu) * mu ** k)[::-1]"),
        "steps_to_reach": mutate(A["steps_to_reach"], "return index", "return index + 1"),
        "compare_steps": mutate(A["compare_steps"], "sl.Momentum(alpha=lr, beta=mu)",
                                "sl.Momentum(alpha=lr, beta=1 - mu)"),
    },
}

CORRECT = {"A": A, "B": B}
