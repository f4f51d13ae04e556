"""Round-trip fixtures for the `problems` assignment (UDL problems 6.1-6.11; see NBGRADER.md).

PARTIAL answers problems 6.1, 6.3, 6.4(a), 6.9 and 6.11 (12 of 51 autograded points) and
leaves every other part as the release stub. ALTERNATIVE answers every autograded part,
written differently from the solution: explicit loops instead of vectorized sums (6.1, 6.3),
np.linalg-free 2x2 algebra via the characteristic polynomial (6.2), the logistic function via
np.exp with a branch (6.4), one matrix product for the network (6.5), capitalised and padded
answer strings built by comprehension (6.6), a while loop and preallocated arrays (6.7, 6.8),
math.ceil (6.9), weights by repeated multiplication from the newest gradient (6.10) and
math.prod (6.11). It must earn all 51 points.
WRONG takes the mean instead of the sum in 6.1 and counts epochs as iterations // batch_size
in 6.9; the feedback must carry the hints of the two visible tests.
"""

PARTIAL = {
    "p61_code": '''
def linear_regression_gradient(phi, x, y):
    """UDL eq. 6.7."""
    r = phi[0] + phi[1] * np.asarray(x) - np.asarray(y)
    return 2 * np.array([np.sum(r), np.sum(r * x)])
''',
    "p63_code": '''
def gabor_gradient(phi, x, y):
    """UDL eqs. 6.8-6.9."""
    z = phi[0] + 0.06 * phi[1] * np.asarray(x)
    e = np.exp(-z * z / 32)
    r = np.sin(z) * e - y
    dz = 2 * r * e * (np.cos(z) - z * np.sin(z) / 16)
    return np.array([np.sum(dz), np.sum(dz * 0.06 * x)])
''',
    "p64_code_a": '''
def sigmoid(z):
    """UDL eq. 6.22."""
    return 0.5 * (1 + np.tanh(np.asarray(z, dtype=float) / 2))


def logistic_model(phi, x):
    """UDL eq. 6.21."""
    return sigmoid(phi[0] + phi[1] * np.asarray(x, dtype=float))
''',
    "p69_code": '''
def epochs_trained(iterations, n, batch_size):
    if batch_size < 1 or batch_size > n:
        raise ValueError("batch_size must be between 1 and n")
    return iterations / ((n + batch_size - 1) // batch_size)
''',
    "p611_code": '''
def hessian_memory(P, bytes_per_entry=8):
    if P < 1:
        raise ValueError("P must be >= 1")
    return {"shape": (P, P), "entries": P ** 2, "bytes": P ** 2 * bytes_per_entry}
''',
}

ALTERNATIVE = {
    "p61_code": '''
def linear_regression_gradient(phi, x, y):
    d0 = 0.0
    d1 = 0.0
    for xi, yi in zip(x, y):
        residual = float(phi[0]) + float(phi[1]) * xi - yi
        d0 += 2 * residual
        d1 += 2 * residual * xi
    return np.array([d0, d1])
''',
    "p62_code_a": '''
def linear_regression_hessian(x):
    ones_and_x = np.column_stack([np.ones(len(x)), np.asarray(x, dtype=float)])
    return 2 * ones_and_x.T @ ones_and_x
''',
    "p62_code_b": '''
def eigenvalues_positive_2x2(H):
    # eigenvalues are the roots of l^2 - tr l + det; both > 0 iff tr > 0 and det > 0
    a, b = H[0][0], H[0][1]
    c, d = H[1][0], H[1][1]
    determinant = a * d - b * c
    if determinant <= 0:
        return False
    return a + d > 0
''',
    "p63_code": '''
def gabor_gradient(phi, x, y):
    import math
    total0 = total1 = 0.0
    for xi, yi in zip(x, y):
        z = phi[0] + 0.06 * phi[1] * xi
        g = math.exp(-z ** 2 / 32.0)
        f = math.sin(z) * g
        slope = g * math.cos(z) - g * math.sin(z) * z / 16.0
        total0 += 2 * (f - yi) * slope
        total1 += 2 * (f - yi) * slope * 0.06 * xi
    return np.array([total0, total1])
''',
    "p64_code_a": '''
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def logistic_model(phi, x):
    intercept, slope = phi
    return sigmoid(intercept + slope * np.asarray(x, dtype=float))
''',
    "p64_code_b": '''
def bce_loss(phi, x, y):
    total = 0.0
    for xi, yi in zip(x, y):
        p = 1.0 / (1.0 + np.exp(-(phi[0] + phi[1] * xi)))
        total -= np.log(p) if yi == 1 else np.log(1.0 - p)
    return total
''',
    "p64_code_c": '''
def bce_gradient(phi, x, y):
    X = np.column_stack([np.ones(len(x)), x])
    p = 1.0 / (1.0 + np.exp(-(X @ np.asarray(phi, dtype=float))))
    return X.T @ (p - y)
''',
    "p64_code_d": '''
def two_class_data(n_per_class, seed):
    generator = np.random.default_rng(seed)
    noise = generator.standard_normal(2 * n_per_class)
    centres = np.repeat([-1.0, 1.0], n_per_class)
    labels = np.repeat([0.0, 1.0], n_per_class)
    return centres + noise, labels
''',
    "p64_code_e": '''
def loss_grid(loss_fn, phi0_values, phi1_values):
    rows = []
    for b in phi1_values:
        rows.append([loss_fn(np.array([a, b])) for a in phi0_values])
    return np.array(rows, dtype=float)
''',
    "p65_code_a": '''
def shallow_network(phi, x):
    x = np.atleast_1d(np.asarray(x, dtype=float))
    biases, slopes = np.asarray(phi[4::2]), np.asarray(phi[5::2])
    hidden = np.maximum(biases[:, None] + slopes[:, None] * x[None, :], 0)
    return phi[0] + np.asarray(phi[1:4]) @ hidden
''',
    "p65_code_b": '''
def relu_derivative(z):
    """1 for z > 0, 0 for z < 0, and 1/2 at the kink z = 0 (the midpoint of the subgradient)."""
    return np.heaviside(z, 0.5)
''',
    "p65_code_c": '''
def shallow_network_gradient(phi, x, y):
    phi = np.asarray(phi, dtype=float)
    x = np.asarray(x, dtype=float)
    biases, slopes, weights = phi[4::2], phi[5::2], phi[1:4]
    Z = biases[:, None] + slopes[:, None] * x[None, :]        # (3, n)
    H = np.maximum(Z, 0)
    res = phi[0] + weights @ H - y
    gate = np.heaviside(Z, 0.5) * weights[:, None]              # a'(0) = 1/2
    grad = np.zeros(10)
    grad[0] = 2 * res.sum()
    grad[1:4] = 2 * H @ res
    grad[4::2] = 2 * gate @ res
    grad[5::2] = 2 * gate @ (res * x)
    return grad
''',
    "p66_code_a": '''
def classify_points():
    kinds = ["Global minimum", "neither ", "Local Minimum", "global minimum", "Neither",
             "neither", " global minimum"]
    return {k + 1: v for k, v in enumerate(kinds)}
''',
    "p66_code_b": '''
def convex_functions():
    return dict(zip("abc", [True, False, False]))
''',
    "p67_code_a": '''
def turning_angles(phis):
    phis = np.asarray(phis, dtype=float)
    out = []
    for t in range(1, len(phis) - 1):
        u = phis[t] - phis[t - 1]
        v = phis[t + 1] - phis[t]
        c = np.dot(u, v) / np.sqrt(np.dot(u, u) * np.dot(v, v))
        out.append(np.arccos(min(1.0, max(-1.0, c))) * 180 / np.pi)
    return np.array(out)
''',
    "p67_code_b": '''
def steepest_descent_exact(A, phi0, steps):
    out = np.zeros((steps + 1, len(phi0)))
    out[0] = phi0
    t = 0
    while t < steps:
        grad = np.dot(A, out[t])
        curvature = np.dot(grad, np.dot(A, grad))
        step = np.dot(grad, grad) / curvature if curvature != 0 else 0.0
        out[t + 1] = out[t] - step * grad
        t += 1
    return out
''',
    "p67_code_c": '''
def momentum_path(A, phi0, alpha, beta, steps):
    out = np.zeros((steps + 1, len(phi0)))
    out[0] = phi0
    velocity = np.zeros(len(phi0))
    for t in range(steps):
        velocity = velocity + (1 - beta) * (np.dot(A, out[t]) - velocity)
        out[t + 1] = out[t] - alpha * velocity
    return out
''',
    "p68_code_a": '''
def gradient_descent(grad_fn, phi0, alpha, steps):
    out = np.empty((steps + 1, np.size(phi0)))
    out[0] = phi0
    for t in range(steps):
        out[t + 1] = out[t] - alpha * np.asarray(grad_fn(out[t].copy()))
    return out
''',
    "p68_code_b": '''
def largest_stable_alpha(H):
    lam = np.linalg.eigvals(np.asarray(H, dtype=float)).real
    if np.any(lam <= 0):
        raise ValueError("not positive definite")
    return 2 / np.max(lam)
''',
    "p69_code": '''
def epochs_trained(iterations, n, batch_size):
    import math
    if batch_size <= 0 or batch_size > n:
        raise ValueError("batch_size out of range")
    return iterations / math.ceil(n / batch_size)
''',
    "p610_code": '''
def momentum_weights(beta, t):
    w = np.empty(t)
    current = 1 - beta
    for k in range(t):
        w[k] = current
        current = current * beta
    return w
''',
    "p611_code": '''
def hessian_memory(P, bytes_per_entry=8):
    import math
    if not P >= 1:
        raise ValueError("need P >= 1")
    n_entries = math.prod((P, P))
    return dict(shape=(P, P), entries=n_entries, bytes=n_entries * bytes_per_entry)
''',
}

WRONG = {
    "p61_code": '''
def linear_regression_gradient(phi, x, y):
    r = phi[0] + phi[1] * x - y
    return np.array([np.mean(2 * r), np.mean(2 * r * x)])
''',
    "p69_code": '''
def epochs_trained(iterations, n, batch_size):
    return iterations // batch_size
''',
}

HINTS = ["Use np.sum, not np.mean", "an epoch is one pass through all n data points"]
