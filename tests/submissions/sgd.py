"""Round-trip fixtures for the `sgd` assignment (see notes NBGRADER.md).

PARTIAL answers Parts A and D (6 of 12 autograded points); ALTERNATIVE answers every part
differently from the solution (np.split at the batch boundaries, np.sum over a stacked list,
a while loop over a flat step counter, integer ceiling division) and must earn all 12;
WRONG takes the mean instead of the sum of eq. 6.10 and drops the last, partial batch:
the feedback must name both slips.
"""

PARTIAL = {
    "minibatches": '''
def minibatches(n, batch_size, rng):
    """UDL 6.2.1."""
    if batch_size < 1 or batch_size > n:
        raise ValueError("batch_size must be in 1..n")
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]
''',
    "epochs_for": '''
def epochs_for(iterations, n, batch_size):
    """Problem 6.9."""
    return iterations / np.ceil(n / batch_size)
''',
}

ALTERNATIVE = {
    "minibatches": '''
def minibatches(n, batch_size, rng):
    """UDL 6.2.1: cut the permutation at multiples of batch_size with np.split."""
    if not (0 < batch_size <= n):
        raise ValueError(f"need 1 <= batch_size <= n = {n}, got {batch_size}")
    shuffled = rng.permutation(n)
    return list(np.split(shuffled, np.arange(batch_size, n, batch_size)))
''',
    "batch_gradient": '''
def batch_gradient(grad_i, phi, batch):
    """UDL eq. 6.10: stack the per-point gradients and add them up."""
    return np.sum(np.stack([np.asarray(grad_i(phi, int(j)), dtype=float) for j in batch]), axis=0)
''',
    "sgd": '''
def sgd(grad_i, phi0, alpha, n, batch_size, epochs, seed, sampler=minibatches,
        batch_grad=batch_gradient):
    """UDL eq. 6.10 with a flat step counter."""
    generator = np.random.default_rng(seed)
    iterates = [np.asarray(phi0, dtype=float).copy()]
    queue = []
    epochs_started = 0
    while True:
        if not queue:
            if epochs_started == epochs:
                break
            queue = list(sampler(n, batch_size, generator))
            epochs_started += 1
        b = queue.pop(0)
        current = iterates[-1]
        iterates.append(current - alpha * np.asarray(batch_grad(grad_i, current, b)))
    return np.vstack(iterates)
''',
    "epochs_for": '''
def epochs_for(iterations, n, batch_size):
    """Problem 6.9 with integer ceiling division."""
    steps_per_epoch = -(-n // batch_size)
    return float(iterations) / steps_per_epoch
''',
}

WRONG = {
    "minibatches": '''
def minibatches(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i * batch_size:(i + 1) * batch_size] for i in range(n // batch_size)]
''',
    "batch_gradient": '''
def batch_gradient(grad_i, phi, batch):
    return np.mean([grad_i(phi, i) for i in batch], axis=0)
''',
}

HINTS = ["took the mean", "the remainder is the last batch"]
