"""Answers for the sgd assignment (UDL 6.2, eq. 6.10, problem 6.9), from its task text."""

from variants import mutate

PARTS = {"minibatches": "test_minibatches", "batch_gradient": "test_batch_gradient",
         "sgd": "test_sgd", "epochs_for": "test_epochs_for"}

A = {
    "minibatches": '''
def minibatches(N, B, generator):
    if not 1 <= B <= N:
        raise ValueError(f"batch_size must be between 1 and n = {N}, got {B}")
    order = generator.permutation(N)
    return [order[start:start + B] for start in range(0, N, B)]
''',
    "batch_gradient": '''
def batch_gradient(point_grad, params, idx):
    return np.sum([point_grad(params, i) for i in idx], axis=0)
''',
    "sgd": '''
def sgd(gi, start, lr, N, B, n_epochs, seed, sampler=minibatches, batch_grad=batch_gradient):
    gen = np.random.default_rng(seed)
    theta = np.array(start, dtype=float)
    path = [theta]
    for _ in range(n_epochs):
        for batch in sampler(N, B, gen):
            theta = theta - lr * batch_grad(gi, theta, batch)
            path.append(theta)
    return np.array(path)
''',
    "epochs_for": '''
def epochs_for(n_iter, N, B):
    per_epoch = -(-N // B)
    return n_iter / per_epoch
''',
}

B = {
    "minibatches": '''
def minibatches(n, batch_size, rng):
    if batch_size < 1 or batch_size > n:
        raise ValueError("batch_size must satisfy 1 <= batch_size <= n")
    order = rng.permutation(n)
    cuts = list(range(batch_size, n, batch_size))
    return [np.asarray(piece, dtype=int) for piece in np.split(order, cuts)]
''',
    "batch_gradient": '''
def batch_gradient(grad_i, phi, batch):
    total = np.zeros(np.shape(phi))
    for i in list(batch):
        total = total + grad_i(phi, int(i))
    return total
''',
    "sgd": '''
def sgd(grad_i, phi0, alpha, n, batch_size, epochs, seed, sampler=minibatches,
        batch_grad=batch_gradient):
    rng = np.random.default_rng(seed)
    phi = np.asarray(phi0, dtype=float).copy()
    rows = [phi.copy()]
    epoch = 0
    while epoch < epochs:
        batches = sampler(n, batch_size, rng)
        k = 0
        while k < len(batches):
            g = batch_grad(grad_i, phi, batches[k])
            phi = phi + (-alpha) * g
            rows.append(phi.copy())
            k += 1
        epoch += 1
    return np.vstack(rows)
''',
    "epochs_for": '''
import math


def epochs_for(iterations, n, batch_size):
    return float(iterations) / math.ceil(n / batch_size)
''',
}

WRONG = {
    "wrong1": {
        "minibatches": mutate(A["minibatches"], "range(0, N, B)", "range(0, N - B + 1, B)"),
        "batch_gradient": mutate(A["batch_gradient"], "np.sum(", "np.mean("),
        "sgd": mutate(A["sgd"], "    gen = np.random.default_rng(seed)\n", "")
        .replace("for batch in sampler(N, B, gen)",
                 "for batch in sampler(N, B, np.random.default_rng(seed))"),
        "epochs_for": mutate(A["epochs_for"], "-(-N // B)", "N // B"),
    },
    "wrong2": {
        "minibatches": mutate(A["minibatches"],
                              "return [order[start:start + B] for start in range(0, N, B)]",
                              "return [order[start:start + B] for start in range(1, N, B)]"),
        "batch_gradient": mutate(A["batch_gradient"], "for i in idx", "for i in idx[:-1]"),
        "sgd": mutate(A["sgd"], "            path.append(theta)\n", "        path.append(theta)\n"),
        "epochs_for": mutate(A["epochs_for"], "n_iter / per_epoch", "n_iter * B / N"),
    },
}

CORRECT = {"A": A, "B": B}
