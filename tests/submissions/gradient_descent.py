"""Round-trip fixtures for the `gradient_descent` assignment (see notes NBGRADER.md).

PARTIAL answers Parts A, B and D (6 of 16 autograded points); ALTERNATIVE answers every part
differently from the solution (numpy ufuncs, a Python loop over the data, the design-matrix
form of the gradient, a preallocated while loop, a per-point loop with ``math``) and must
earn all 16; WRONG drops the 2 of eq. 6.7, adds the gradient instead of subtracting it, and
forgets the inner derivative 0.06 x of the Gabor model: the feedback must name each slip.
"""

PARTIAL = {
    "linear_model": '''
def linear_model(phi, x):
    """UDL eq. 6.4."""
    return phi[0] + phi[1] * np.asarray(x, dtype=float)
''',
    "linear_loss": '''
def linear_loss(phi, x, y):
    """UDL eq. 6.5."""
    e = phi[0] + phi[1] * np.asarray(x) - np.asarray(y)
    return float(e @ e)
''',
    "gd_step": '''
def gd_step(phi, grad, alpha):
    """UDL eq. 6.3."""
    return phi - alpha * grad
''',
}

ALTERNATIVE = {
    "linear_model": '''
def linear_model(phi, x):
    """UDL eq. 6.4 with numpy ufuncs."""
    intercept, slope = phi
    return np.add(intercept, np.multiply(slope, np.asarray(x, dtype=float)))
''',
    "linear_loss": '''
def linear_loss(phi, x, y):
    """UDL eq. 6.5 as a Python loop over the data points."""
    total = 0.0
    for xi, yi in zip(x, y):
        err = phi[0] + phi[1] * xi - yi
        total += err * err
    return total
''',
    "linear_grad": '''
def linear_grad(phi, x, y):
    """UDL eqs. 6.6-6.7 with the design matrix X = [1, x]: dL/dphi = 2 X^T (X phi - y)."""
    X = np.column_stack([np.ones(len(x)), np.asarray(x, dtype=float)])
    residual = X @ np.asarray(phi, dtype=float) - np.asarray(y, dtype=float)
    return 2.0 * (X.T @ residual)
''',
    "gd_step": '''
def gd_step(phi, grad, alpha):
    """UDL eq. 6.3."""
    return np.subtract(phi, np.multiply(alpha, grad))
''',
    "gradient_descent": '''
def gradient_descent(grad_fn, phi0, alpha, steps, step=gd_step):
    """UDL eq. 6.3, iterates stored in a preallocated array."""
    start = np.asarray(phi0, dtype=float)
    out = np.empty((steps + 1, start.size))
    out[0] = start
    t = 0
    while t < steps:
        out[t + 1] = step(out[t].copy(), grad_fn(out[t].copy()), alpha)
        t += 1
    return out
''',
    "gabor_grad": '''
import math

def gabor_grad(phi, x, y):
    """Problem 6.3, one data point at a time."""
    d0 = d1 = 0.0
    for xi, yi in zip(x, y):
        z = phi[0] + 0.06 * phi[1] * xi
        envelope = math.exp(-z * z / 32.0)
        model = math.sin(z) * envelope
        slope = envelope * math.cos(z) - envelope * math.sin(z) * z / 16.0
        d0 += 2.0 * (model - yi) * slope
        d1 += 2.0 * (model - yi) * slope * 0.06 * xi
    return np.array([d0, d1])
''',
}

WRONG = {
    "linear_grad": '''
def linear_grad(phi, x, y):
    r = phi[0] + phi[1] * x - y
    return np.array([np.sum(r), np.sum(r * x)])
''',
    "gd_step": '''
def gd_step(phi, grad, alpha):
    return phi + alpha * grad
''',
    "gabor_grad": '''
def gabor_grad(phi, x, y):
    z = phi[0] + 0.06 * phi[1] * x
    f = np.sin(z) * np.exp(-z ** 2 / 32.0)
    df = np.exp(-z ** 2 / 32.0) * (np.cos(z) - z * np.sin(z) / 16.0)
    w = 2.0 * (f - y) * df
    return np.array([np.sum(w), np.sum(w * x)])
''',
}

HINTS = ["factor of 1/2", "wrong way (uphill)", "chain rule"]
