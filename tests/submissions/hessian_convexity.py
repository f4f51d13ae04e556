"""Round-trip fixtures for the `hessian_convexity` assignment (see notes NBGRADER.md).

PARTIAL answers Parts 1, 2 and 7 (6 of 20 autograded points). ALTERNATIVE answers every part
differently: the Hessian as 2 X^T X with a design matrix, trace and determinant through the
mean and variance of x, eigenvalues from the discriminant T^2 - 4D, the classification by
counting signs in a loop, the Newton step through least squares, a finite-difference Hessian
that fills the upper triangle and mirrors it, and the byte count with pow(); it must earn all
20. WRONG drops the factor 2 of the Hessian and forgets to clip the discriminant.
"""

PARTIAL = {
    "hc_lr_hessian": '''
def lr_hessian(x):
    x = np.asarray(x, dtype=float)
    return 2.0 * np.array([[len(x), np.sum(x)], [np.sum(x), np.sum(x ** 2)]])
''',
    "hc_trace_det": '''
def lr_trace_det(x):
    x = np.asarray(x, dtype=float)
    n = len(x)
    return 2.0 * (n + np.sum(x ** 2)), 4.0 * (n * np.sum(x ** 2) - np.sum(x) ** 2)
''',
    "hc_bytes": '''
def hessian_bytes(P, itemsize=8):
    return P * P * itemsize
''',
}

ALTERNATIVE = {
    "hc_lr_hessian": '''
def lr_hessian(x):
    column = np.asarray(x, dtype=float).reshape(-1)
    X = np.column_stack([np.ones_like(column), column])   # design matrix [1, x_i]
    return 2.0 * X.T @ X
''',
    "hc_trace_det": '''
def lr_trace_det(x):
    values = np.asarray(x, dtype=float)
    n = values.size
    mean, var = values.mean(), values.var()
    # sum x^2 = n (var + mean^2) and n sum x^2 - (sum x)^2 = n^2 var
    return float(2 * (n + n * (var + mean ** 2))), float(4 * n * n * var)
''',
    "hc_eig": '''
def eigenvalues_2x2(trace, det):
    disc = np.sqrt(np.clip(trace * trace - 4.0 * det, 0.0, None))
    return np.sort(np.array([(trace - disc) / 2.0, (trace + disc) / 2.0]))
''',
    "hc_classify": '''
def classify(eigenvalues, tol=1e-6):
    values = [float(v) for v in np.ravel(eigenvalues)]
    cutoff = tol * max([1.0] + [abs(v) for v in values])
    n_pos = sum(1 for v in values if v > cutoff)
    n_neg = sum(1 for v in values if v < -cutoff)
    if n_pos and n_neg:
        return "saddle"
    if n_pos == len(values):
        return "minimum"
    if n_neg == len(values):
        return "maximum"
    return "degenerate"
''',
    "hc_newton": '''
def newton_step(phi, g, H):
    H = np.array(H, dtype=float)
    delta = np.linalg.lstsq(H, np.asarray(g, dtype=float), rcond=None)[0]
    return np.array(phi, dtype=float) - delta
''',
    "hc_fd": '''
def fd_hessian(loss, phi, h=1e-4):
    base = np.array(phi, dtype=float)
    size = base.size
    out = np.zeros((size, size))
    for j in range(size):
        for k in range(j, size):
            ej = np.zeros(size); ej[j] = h
            ek = np.zeros(size); ek[k] = h
            value = (loss(base + ej + ek) - loss(base + ej - ek)
                     - loss(base - ej + ek) + loss(base - ej - ek)) / (4.0 * h ** 2)
            out[j, k] = out[k, j] = value
    return out
''',
    "hc_bytes": '''
def hessian_bytes(P, itemsize=8):
    return int(pow(int(P), 2) * itemsize)
''',
}

WRONG = {
    "hc_lr_hessian": '''
def lr_hessian(x):
    x = np.asarray(x, dtype=float)
    return np.array([[x.size, x.sum()], [x.sum(), x @ x]])     # wrong: factor 2 missing
''',
}

HINTS = ["do not forget the factor 2"]
