"""Answers for the gradient_descent assignment (UDL 6.1), from its task text and eqs. 6.3-6.9."""

from variants import mutate

PARTS = {"linear_model": "test_linear_model", "linear_loss": "test_linear_loss",
         "linear_grad": "test_linear_grad", "gd_step": "test_gd_step",
         "gradient_descent": "test_gradient_descent", "gabor_grad": "test_gabor_grad"}

A = {
    "linear_model": '''
def linear_model(params, inputs):
    intercept, slope = params[0], params[1]
    return intercept + slope * inputs
''',
    "linear_loss": '''
def linear_loss(w, xs, ys):
    residual = w[0] + w[1] * np.asarray(xs) - np.asarray(ys)
    return float(np.sum(residual ** 2))
''',
    "linear_grad": '''
def linear_grad(w, xs, ys):
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    r = w[0] + w[1] * xs - ys
    return np.array([np.sum(2 * r), np.sum(2 * xs * r)])
''',
    "gd_step": '''
def gd_step(phi, dL, lr):
    return phi - lr * dL
''',
    "gradient_descent": '''
def gradient_descent(gradient, start, rate, n_steps, step=gd_step):
    theta = np.array(start, dtype=float)
    path = [theta]
    for _ in range(n_steps):
        theta = step(theta, gradient(theta), rate)
        path.append(theta)
    return np.array(path)
''',
    "gabor_grad": '''
def gabor_grad(w, xs, ys):
    z = w[0] + 0.06 * w[1] * xs
    f = np.sin(z) * np.exp(-z ** 2 / 32)
    dfdz = np.cos(z) * np.exp(-z ** 2 / 32) - np.sin(z) * np.exp(-z ** 2 / 32) * z / 16
    common = 2 * (f - ys) * dfdz
    return np.array([np.sum(common), np.sum(common * 0.06 * xs)])
''',
}

B = {
    "linear_model": '''
def linear_model(phi, x):
    # polynomial of degree 1 evaluated with numpy (coefficients highest power first)
    return np.polyval([phi[1], phi[0]], x)
''',
    "linear_loss": '''
def linear_loss(phi, x, y):
    total = 0.0
    for xi, yi in zip(x, y):
        e = phi[0] + phi[1] * xi - yi
        total += e * e
    return total
''',
    "linear_grad": '''
def linear_grad(phi, x, y):
    grad = [0.0, 0.0]
    for xi, yi in zip(x, y):
        e = phi[0] + phi[1] * xi - yi
        grad[0] += 2 * e
        grad[1] += 2 * e * xi
    return np.array(grad)
''',
    "gd_step": '''
def gd_step(phi, grad, alpha):
    new = np.array(phi, dtype=float, copy=True)
    new = new + (-alpha) * np.asarray(grad)
    return new
''',
    "gradient_descent": '''
def gradient_descent(grad_fn, phi0, alpha, steps, step=gd_step):
    phi = np.asarray(phi0, dtype=float).copy()
    out = np.zeros((steps + 1, phi.size))
    out[0] = phi
    t = 0
    while t < steps:
        phi = step(phi, grad_fn(phi), alpha)
        t += 1
        out[t] = phi
    return out
''',
    "gabor_grad": '''
import math


def gabor_grad(phi, x, y):
    # product rule written as exp * (cos - z sin / 16), loop over the data points
    g0 = g1 = 0.0
    for xi, yi in zip(x, y):
        z = phi[0] + 0.06 * phi[1] * xi
        env = math.exp(-z * z / 32.0)
        f = math.sin(z) * env
        d = env * (math.cos(z) - z * math.sin(z) / 16.0)
        g0 += 2.0 * (f - yi) * d
        g1 += 2.0 * (f - yi) * d * 0.06 * xi
    return np.array([g0, g1])
''',
}

WRONG = {
    "wrong1": {
        "linear_model": mutate(A["linear_model"], "params[0], params[1]", "params[1], params[0]"),
        "linear_loss": mutate(A["linear_loss"], "np.sum(residual ** 2)", "np.mean(residual ** 2)"),
        "linear_grad": mutate(A["linear_grad"], "np.sum(2 * xs * r)", "np.sum(2 * r)"),
        "gd_step": mutate(A["gd_step"], "phi - lr * dL", "phi + lr * dL"),
        "gradient_descent": mutate(A["gradient_descent"], "range(n_steps)", "range(n_steps - 1)"),
        "gabor_grad": mutate(A["gabor_grad"], "z / 16", "z / 32"),
    },
    "wrong2": {
        "linear_model": mutate(A["linear_model"], "intercept + slope * inputs",
                               "slope + intercept * inputs"),
        "linear_loss": mutate(A["linear_loss"], "residual ** 2", "np.abs(residual)"),
        "linear_grad": mutate(A["linear_grad"], "np.sum(2 * r), ", "np.sum(r), "),
        "gd_step": mutate(A["gd_step"], "phi - lr * dL", "phi - dL"),
        "gradient_descent": mutate(A["gradient_descent"], "gradient(theta), rate",
                                   "gradient(start), rate"),
        "gabor_grad": mutate(A["gabor_grad"], "common * 0.06 * xs", "common * xs"),
    },
}

CORRECT = {"A": A, "B": B}
