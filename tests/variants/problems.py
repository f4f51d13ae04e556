"""Answers for the problems assignment (UDL problems 6.1-6.11), from its task text and the
book. Problem 6.6's answers were worked out from the functions drawn in the notebook: (a) is
convex with a flat bottom (point 1 on it), (b) has minima at -1 (local) and 2 (global) and a
maximum at 0.3, (c) has an inflection point at 0 and its global minimum at 1. Kind B answers
problem 6.5 with the subgradient 1/2 at the ReLU kink, which the task allows. Problems 6.9 and
6.10 follow the conventions of the sgd and momentum assignments (epochs as a float, weights
newest first); the wrong kinds include the other conventions (completed epochs, oldest first)."""

from variants import mutate

PARTS = {"p61_code": "p61_test", "p62_code_a": "p62_test_a", "p62_code_b": "p62_test_b",
         "p63_code": "p63_test", "p64_code_a": "p64_test_a", "p64_code_b": "p64_test_b",
         "p64_code_c": "p64_test_c", "p64_code_d": "p64_test_d", "p64_code_e": "p64_test_e",
         "p65_code_a": "p65_test_a", "p65_code_b": "p65_test_b", "p65_code_c": "p65_test_c",
         "p66_code_a": "p66_test_a", "p66_code_b": "p66_test_b", "p67_code_a": "p67_test_a",
         "p67_code_b": "p67_test_b", "p67_code_c": "p67_test_c", "p68_code_a": "p68_test_a",
         "p68_code_b": "p68_test_b", "p69_code": "p69_test", "p610_code": "p610_test",
         "p611_code": "p611_test"}

A = {
    "p61_code": '''
def linear_regression_gradient(w, xs, ys):
    r = w[0] + w[1] * np.asarray(xs, float) - np.asarray(ys, float)
    return np.array([2 * r.sum(), 2 * (r * xs).sum()])
''',
    "p62_code_a": '''
def linear_regression_hessian(xs):
    xs = np.asarray(xs, dtype=float)
    return np.array([[2 * len(xs), 2 * xs.sum()], [2 * xs.sum(), 2 * (xs ** 2).sum()]])
''',
    "p62_code_b": '''
def eigenvalues_positive_2x2(M):
    tr = M[0][0] + M[1][1]
    dt = M[0][0] * M[1][1] - M[0][1] * M[1][0]
    return bool(tr > 0 and dt > 0)
''',
    "p63_code": '''
def gabor_gradient(w, xs, ys):
    z = w[0] + 0.06 * w[1] * xs
    env = np.exp(-z ** 2 / 32)
    f = np.sin(z) * env
    df = env * (np.cos(z) - np.sin(z) * z / 16)
    e = 2 * (f - ys) * df
    return np.array([e.sum(), (e * 0.06 * xs).sum()])
''',
    "p64_code_a": '''
def sigmoid(a):
    return 0.5 * (1 + np.tanh(0.5 * np.asarray(a, dtype=float)))


def logistic_model(w, xs):
    return sigmoid(w[0] + w[1] * np.asarray(xs, dtype=float))
''',
    "p64_code_b": '''
def bce_loss(w, xs, ys):
    p = 1 / (1 + np.exp(-(w[0] + w[1] * np.asarray(xs, float))))
    return float(-np.sum(ys * np.log(p) + (1 - ys) * np.log(1 - p)))
''',
    "p64_code_c": '''
def bce_gradient(w, xs, ys):
    p = 1 / (1 + np.exp(-(w[0] + w[1] * np.asarray(xs, float))))
    return np.array([np.sum(p - ys), np.sum((p - ys) * xs)])
''',
    "p64_code_d": '''
def two_class_data(per_class, s):
    gen = np.random.default_rng(s)
    x = np.concatenate([gen.normal(-1.0, 1.0, per_class), gen.normal(1.0, 1.0, per_class)])
    y = np.concatenate([np.zeros(per_class), np.ones(per_class)])
    return x, y
''',
    "p64_code_e": '''
def loss_grid(L, a_values, b_values):
    out = np.zeros((len(b_values), len(a_values)))
    for j, b in enumerate(b_values):
        for i, a in enumerate(a_values):
            out[j, i] = L(np.array([a, b]))
    return out
''',
    "p65_code_a": '''
def shallow_network(w, xs):
    xs = np.asarray(xs, dtype=float)
    relu = lambda z: np.maximum(z, 0)
    return (w[0] + w[1] * relu(w[4] + w[5] * xs) + w[2] * relu(w[6] + w[7] * xs)
            + w[3] * relu(w[8] + w[9] * xs))
''',
    "p65_code_b": '''
def relu_derivative(a):
    """1 for a > 0, 0 for a <= 0 (the value 0 at the kink)."""
    return np.where(np.asarray(a) > 0, 1.0, 0.0)
''',
    "p65_code_c": '''
def shallow_network_gradient(w, xs, ys):
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    grads = np.zeros(10)
    pre = [w[4] + w[5] * xs, w[6] + w[7] * xs, w[8] + w[9] * xs]
    act = [np.maximum(p, 0) for p in pre]
    out = w[0] + w[1] * act[0] + w[2] * act[1] + w[3] * act[2]
    r = 2 * (out - ys)
    grads[0] = r.sum()
    for h in range(3):
        grads[1 + h] = (r * act[h]).sum()
        slope = (pre[h] > 0).astype(float)
        grads[4 + 2 * h] = (r * w[1 + h] * slope).sum()
        grads[5 + 2 * h] = (r * w[1 + h] * slope * xs).sum()
    return grads
''',
    "p66_code_a": '''
def classify_points():
    return {1: "global minimum", 2: "neither", 3: "local minimum", 4: "global minimum",
            5: "neither", 6: "neither", 7: "global minimum"}
''',
    "p66_code_b": '''
def convex_functions():
    return {"a": True, "b": False, "c": False}
''',
    "p67_code_a": '''
def turning_angles(path):
    steps = np.diff(np.asarray(path, dtype=float), axis=0)
    u, w = steps[:-1], steps[1:]
    cos = (u * w).sum(axis=1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(w, axis=1))
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))
''',
    "p67_code_b": '''
def steepest_descent_exact(M, start, n):
    theta = np.array(start, dtype=float)
    path = [theta]
    for _ in range(n):
        g = M @ theta
        curv = g @ M @ g
        if curv != 0:
            theta = theta - (g @ g) / curv * g
        path.append(theta)
    return np.array(path)
''',
    "p67_code_c": '''
def momentum_path(M, start, lr, mu, n):
    theta = np.array(start, dtype=float)
    vel = np.zeros_like(theta)
    path = [theta]
    for _ in range(n):
        vel = mu * vel + (1 - mu) * (M @ theta)
        theta = theta - lr * vel
        path.append(theta)
    return np.array(path)
''',
    "p68_code_a": '''
def gradient_descent(gradient, start, lr, n):
    theta = np.array(start, dtype=float)
    path = [theta]
    for _ in range(n):
        theta = theta - lr * gradient(theta)
        path.append(theta)
    return np.array(path)
''',
    "p68_code_b": '''
def largest_stable_alpha(M):
    lams = np.linalg.eigvalsh(np.asarray(M, dtype=float))
    if lams.min() <= 0:
        raise ValueError("H is not positive definite: not a minimum")
    return 2.0 / lams.max()
''',
    "p69_code": '''
def epochs_trained(n_iter, N, B):
    if not 1 <= B <= N:
        raise ValueError(f"batch_size must be between 1 and n = {N}, got {B}")
    per_epoch = -(-N // B)
    return n_iter / per_epoch
''',
    "p610_code": '''
def momentum_weights(mu, T):
    k = np.arange(T)
    return (1 - mu) * mu ** k
''',
    "p611_code": '''
def hessian_memory(n_params, nbytes=8):
    if n_params < 1:
        raise ValueError(f"P must be at least 1, got {n_params}")
    return {"shape": (n_params, n_params), "entries": n_params * n_params,
            "bytes": n_params * n_params * nbytes}
''',
}

B = {
    "p61_code": '''
def linear_regression_gradient(phi, x, y):
    d0 = d1 = 0.0
    for xi, yi in zip(x, y):
        e = phi[0] + phi[1] * xi - yi
        d0 += 2.0 * e
        d1 += 2.0 * xi * e
    return np.array([d0, d1])
''',
    "p62_code_a": '''
def linear_regression_hessian(x):
    J = np.stack([np.ones(len(x)), np.asarray(x, dtype=float)], axis=1)   # df/dphi per point
    return 2.0 * J.T @ J
''',
    "p62_code_b": '''
def eigenvalues_positive_2x2(H):
    H = np.asarray(H, dtype=float)
    trace = np.trace(H)
    det = H[0, 0] * H[1, 1] - H[0, 1] ** 2
    # both positive <=> sum and product positive
    return det > 0 and trace > 0
''',
    "p63_code": '''
import math


def gabor_gradient(phi, x, y):
    total = [0.0, 0.0]
    for xi, yi in zip(x, y):
        z = phi[0] + 0.06 * phi[1] * xi
        f = math.sin(z) * math.exp(-z * z / 32)
        dfdz = math.exp(-z * z / 32) * math.cos(z) + math.sin(z) * math.exp(-z * z / 32) * (-2 * z / 32)
        total[0] += 2 * (f - yi) * dfdz
        total[1] += 2 * (f - yi) * dfdz * 0.06 * xi
    return np.array(total)
''',
    "p64_code_a": '''
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out if out.ndim else float(out)


def logistic_model(phi, x):
    return sigmoid(phi[0] + phi[1] * np.asarray(x))
''',
    "p64_code_b": '''
def bce_loss(phi, x, y):
    # -[y log s(z) + (1-y) log(1-s(z))] = log(1 + e^z) - y z, written stably with logaddexp
    z = phi[0] + phi[1] * np.asarray(x, dtype=float)
    return float(np.sum(np.logaddexp(0.0, z) - np.asarray(y) * z))
''',
    "p64_code_c": '''
def bce_gradient(phi, x, y):
    grad = [0.0, 0.0]
    for xi, yi in zip(x, y):
        lam = 1.0 / (1.0 + np.exp(-(phi[0] + phi[1] * xi)))
        grad[0] += lam - yi
        grad[1] += (lam - yi) * xi
    return np.array(grad)
''',
    "p64_code_d": '''
def two_class_data(n_per_class, seed):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(2 * n_per_class)
    centres = np.repeat([-1.0, 1.0], n_per_class)
    labels = np.repeat([0.0, 1.0], n_per_class)
    return [z + centres, labels]
''',
    "p64_code_e": '''
def loss_grid(loss_fn, phi0_values, phi1_values):
    return np.array([[loss_fn(np.array([p0, p1])) for p0 in phi0_values]
                     for p1 in phi1_values], dtype=float)
''',
    "p65_code_a": '''
def shallow_network(phi, x):
    x = np.asarray(x, dtype=float)
    out = np.full(x.shape, float(phi[0]))
    for k in range(3):
        hidden = phi[4 + 2 * k] + phi[5 + 2 * k] * x
        out = out + phi[1 + k] * np.clip(hidden, 0, None)
    return out
''',
    "p65_code_b": '''
def relu_derivative(z):
    """1 for z > 0, 0 for z < 0; at the kink z = 0 this returns 1/2 (a subgradient)."""
    return np.heaviside(np.asarray(z, dtype=float), 0.5)
''',
    "p65_code_c": '''
def shallow_network_gradient(phi, x, y):
    """At a kink the ReLU derivative is taken as 1/2 (a subgradient), as in relu_derivative."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    names = [(4, 5), (6, 7), (8, 9)]
    z = [phi[a] + phi[b] * x for a, b in names]
    h = [np.maximum(0.0, zk) for zk in z]
    f = phi[0] + sum(phi[1 + k] * h[k] for k in range(3))
    dLdf = 2.0 * (f - y)
    out = [np.sum(dLdf)] + [np.sum(dLdf * h[k]) for k in range(3)]
    for k in range(3):
        dz = dLdf * phi[1 + k] * np.heaviside(z[k], 0.5)
        out += [np.sum(dz), np.sum(dz * x)]
    return np.array(out)
''',
    "p66_code_a": '''
def classify_points():
    labels = ["global minimum", "neither", "local minimum", "global minimum", "neither",
              "neither", "global minimum"]
    return {point: label for point, label in zip(range(1, 8), labels)}
''',
    "p66_code_b": '''
def convex_functions():
    # convex on its interval <=> no negative second difference on a fine grid
    answer = {}
    for name, (f, (lo, hi)) in FUNCTIONS_66.items():
        xs = np.linspace(lo, hi, 2001)
        second = f(xs[2:]) - 2 * f(xs[1:-1]) + f(xs[:-2])
        answer[name] = bool(np.all(second >= -1e-12))
    return answer
''',
    "p67_code_a": '''
import math


def turning_angles(phis):
    phis = np.asarray(phis, dtype=float)
    out = []
    for t in range(len(phis) - 2):
        d1, d2 = phis[t + 1] - phis[t], phis[t + 2] - phis[t + 1]
        c = float(d1 @ d2) / (math.hypot(*d1) * math.hypot(*d2))
        out.append(math.degrees(math.acos(min(1.0, max(-1.0, c)))))
    return np.array(out)
''',
    "p67_code_b": '''
def steepest_descent_exact(A, phi0, steps):
    out = np.zeros((steps + 1, len(phi0)))
    out[0] = phi0
    for t in range(steps):
        g = A.dot(out[t])
        gAg = g.dot(A.dot(g))
        alpha = g.dot(g) / gAg if gAg > 0 else 0.0
        out[t + 1] = out[t] - alpha * g
    return out
''',
    "p67_code_c": '''
def momentum_path(A, phi0, alpha, beta, steps):
    phis = [np.asarray(phi0, dtype=float)]
    m = 0.0
    for _ in range(steps):
        g = A @ phis[-1]
        m = m + (1 - beta) * (g - m)
        phis.append(phis[-1] - alpha * m)
    return np.vstack(phis)
''',
    "p68_code_a": '''
def gradient_descent(grad_fn, phi0, alpha, steps):
    out = np.empty((steps + 1, np.size(phi0)))
    out[0] = np.asarray(phi0, dtype=float)
    for t in range(steps):
        out[t + 1] = out[t] - alpha * np.asarray(grad_fn(out[t].copy()))
    return out
''',
    "p68_code_b": '''
def largest_stable_alpha(H):
    H = np.asarray(H, dtype=float)
    try:
        np.linalg.cholesky(H)           # succeeds only for a positive definite matrix
    except np.linalg.LinAlgError:
        raise ValueError("the Hessian is not positive definite, so this is not a minimum")
    return float(2 / np.max(np.linalg.eigvalsh(H)))
''',
    "p69_code": '''
import math


def epochs_trained(iterations, n, batch_size):
    if batch_size < 1 or batch_size > n:
        raise ValueError("batch_size must be between 1 and n")
    return float(iterations) / math.ceil(n / batch_size)
''',
    "p610_code": '''
def momentum_weights(beta, t):
    # unroll m_{k+1} = beta m_k + (1 - beta) g_k: each new step puts its gradient in front with
    # weight 1 - beta and multiplies the older weights by beta
    weights = []
    for _ in range(t):
        weights = [1 - beta] + [beta * w for w in weights]
    return np.array(weights, dtype=float)
''',
    "p611_code": '''
def hessian_memory(P, bytes_per_entry=8):
    if P < 1:
        raise ValueError("a model needs at least one parameter (P >= 1)")
    P = int(P)
    entries = P ** 2
    return dict(shape=tuple([P, P]), entries=entries, bytes=entries * int(bytes_per_entry))
''',
}

WRONG = {
    "wrong1": {
        "p61_code": mutate(A["p61_code"], "2 * (r * xs).sum()", "2 * r.sum()"),
        "p62_code_a": mutate(A["p62_code_a"], "[[2 * len(xs),", "[[2 * (len(xs) - 1),"),
        "p62_code_b": mutate(A["p62_code_b"], "dt > 0", "dt >= 0"),
        "p63_code": mutate(A["p63_code"], "z / 16", "z / 32"),
        "p64_code_a": mutate(A["p64_code_a"], "0.5 * (1 + np.tanh(0.5 *", "0.5 * (1 + np.tanh("),
        "p64_code_b": mutate(A["p64_code_b"], "float(-np.sum(", "float(-np.mean("),
        "p64_code_c": mutate(A["p64_code_c"], "np.sum(p - ys)", "np.sum(ys - p)"),
        "p64_code_d": mutate(A["p64_code_d"], "gen.normal(-1.0, 1.0, per_class)",
                             "gen.normal(1.0, 1.0, per_class)")
        .replace("gen.normal(1.0, 1.0, per_class)])", "gen.normal(-1.0, 1.0, per_class)])"),
        "p64_code_e": mutate(A["p64_code_e"], "np.array([a, b])", "np.array([b, a])"),
        "p65_code_a": mutate(A["p65_code_a"], "w[6] + w[7] * xs", "w[6] + w[7]"),
        "p65_code_b": mutate(A["p65_code_b"], "np.asarray(a) > 0, 1.0, 0.0",
                             "np.asarray(a) > 0, 1.0, -1.0"),
        "p65_code_c": mutate(A["p65_code_c"], "(r * w[1 + h] * slope * xs)", "(r * slope * xs)"),
        "p66_code_a": mutate(A["p66_code_a"], '6: "neither"', '6: "local minimum"'),
        "p66_code_b": mutate(A["p66_code_b"], '"c": False', '"c": True'),
        "p67_code_a": mutate(A["p67_code_a"], "np.degrees(np.arccos(", "(np.arccos("),
        "p67_code_b": mutate(A["p67_code_b"], "(g @ g) / curv", "curv / (g @ g)"),
        "p67_code_c": mutate(A["p67_code_c"], "(1 - mu) * (M @ theta)", "(M @ theta)"),
        "p68_code_a": mutate(A["p68_code_a"], "range(n)", "range(n - 1)"),
        "p68_code_b": mutate(A["p68_code_b"], "2.0 / lams.max()", "1.0 / lams.max()"),
        "p69_code": mutate(A["p69_code"], "n_iter / per_epoch", "n_iter // per_epoch"),
        "p610_code": mutate(A["p610_code"], "mu ** k", "mu ** (T - 1 - k)"),
        "p611_code": mutate(A["p611_code"], '"bytes": n_params * n_params * nbytes',
                            '"bytes": n_params * nbytes'),
    },
    "wrong2": {
        "p61_code": mutate(A["p61_code"], "np.array([2 * r.sum(), 2 * (r * xs).sum()])",
                           "np.array([r.sum(), (r * xs).sum()])"),
        "p62_code_a": mutate(A["p62_code_a"], "2 * (xs ** 2).sum()", "2 * xs.sum() ** 2"),
        "p62_code_b": mutate(A["p62_code_b"], "tr > 0 and dt > 0", "tr > 0 or dt > 0"),
        "p63_code": mutate(A["p63_code"], "(e * 0.06 * xs).sum()", "(e * xs).sum()"),
        "p64_code_a": mutate(A["p64_code_a"], "sigmoid(w[0] + w[1]", "sigmoid(w[1] + w[0]"),
        "p64_code_b": mutate(A["p64_code_b"], "(1 - ys) * np.log(1 - p)", "(1 - ys) * np.log(p)"),
        "p64_code_c": mutate(A["p64_code_c"], "np.sum((p - ys) * xs)", "np.sum((p - ys) * p * (1 - p) * xs)"),
        "p64_code_d": mutate(A["p64_code_d"], "gen.normal(-1.0, 1.0, per_class)",
                             "gen.normal(-1.0, 2.0, per_class)"),
        "p64_code_e": mutate(A["p64_code_e"], "np.zeros((len(b_values), len(a_values)))",
                             "np.zeros((len(a_values), len(b_values)))")
        .replace("out[j, i] =", "out[i, j] ="),
        "p65_code_a": mutate(A["p65_code_a"], "np.maximum(z, 0)", "np.maximum(z, 0) ** 2"),
        "p65_code_b": mutate(A["p65_code_b"], "np.asarray(a) > 0", "np.asarray(a) < 0"),
        "p65_code_c": mutate(A["p65_code_c"], "grads[0] = r.sum()", "grads[0] = r.mean()"),
        "p66_code_a": mutate(A["p66_code_a"], '3: "local minimum"', '3: "global minimum"'),
        "p66_code_b": mutate(A["p66_code_b"], '"a": True', '"a": False'),
        "p67_code_a": mutate(A["p67_code_a"], "u, w = steps[:-1], steps[1:]",
                             "u, w = steps[:-1], steps[:-1] + steps[1:]"),
        "p67_code_b": mutate(A["p67_code_b"], "theta = theta - (g @ g) / curv * g",
                             "theta = theta - 0.5 * (g @ g) / curv * g"),
        "p67_code_c": mutate(A["p67_code_c"], "theta = theta - lr * vel", "theta = theta - lr * mu * vel"),
        "p68_code_a": mutate(A["p68_code_a"], "theta - lr * gradient(theta)",
                             "theta - lr * gradient(start)"),
        "p68_code_b": mutate(A["p68_code_b"], "lams.min() <= 0", "lams.max() <= 0"),
        "p69_code": mutate(A["p69_code"], "-(-N // B)", "N // B"),
        "p610_code": mutate(A["p610_code"], "(1 - mu) * mu ** k", "mu ** k"),
        "p611_code": mutate(A["p611_code"], '"entries": n_params * n_params',
                            '"entries": n_params * (n_params + 1) // 2'),
    },
}

CORRECT = {"A": A, "B": B}
