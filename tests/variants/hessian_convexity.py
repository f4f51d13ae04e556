"""Answers for the hessian_convexity assignment (UDL eqs. 6.19-6.20, problems 6.2 and 6.11),
from its task text. Kind B's finite-difference Hessian uses the standard 3-point second
difference (L[phi + h e_j] - 2 L[phi] + L[phi - h e_j]) / h^2 on the diagonal, as accurate
(O(h^2)) as the task's 2h form."""

from variants import mutate

PARTS = {"hc_lr_hessian": "hc_lr_hessian_tests", "hc_trace_det": "hc_trace_det_tests",
         "hc_eig": "hc_eig_tests", "hc_classify": "hc_classify_tests",
         "hc_newton": "hc_newton_tests", "hc_fd": "hc_fd_tests", "hc_bytes": "hc_bytes_tests"}

A = {
    "hc_lr_hessian": '''
def lr_hessian(inputs):
    xs = np.asarray(inputs, dtype=float)
    s1, s2 = xs.sum(), (xs ** 2).sum()
    return 2.0 * np.array([[len(xs), s1], [s1, s2]])
''',
    "hc_trace_det": '''
def lr_trace_det(inputs):
    xs = np.asarray(inputs, dtype=float)
    n, s1, s2 = len(xs), xs.sum(), (xs ** 2).sum()
    return float(2 * (n + s2)), float(4 * (n * s2 - s1 ** 2))
''',
    "hc_eig": '''
def eigenvalues_2x2(tr, dt):
    half = tr / 2
    root = np.sqrt(max(half ** 2 - dt, 0.0))
    return np.array([half - root, half + root])
''',
    "hc_classify": '''
def classify(lams, tol=1e-6):
    lams = np.asarray(lams, dtype=float)
    scale = max(1.0, float(np.max(np.abs(lams))))
    zero = np.abs(lams) <= tol * scale
    pos = (lams > 0) & ~zero
    neg = (lams < 0) & ~zero
    if pos.any() and neg.any():
        return "saddle"
    if zero.any():
        return "degenerate"
    return "minimum" if pos.all() else "maximum"
''',
    "hc_newton": '''
def newton_step(params, grad, hess):
    return params - np.linalg.solve(hess, grad)
''',
    "hc_fd": '''
def fd_hessian(L, point, step=1e-4):
    point = np.asarray(point, dtype=float)
    P = point.size
    H = np.zeros((P, P))
    eye = np.eye(P) * step
    for j in range(P):
        for k in range(P):
            H[j, k] = (L(point + eye[j] + eye[k]) - L(point + eye[j] - eye[k])
                       - L(point - eye[j] + eye[k]) + L(point - eye[j] - eye[k])) / (4 * step ** 2)
    return H
''',
    "hc_bytes": '''
def hessian_bytes(n_params, bytes_each=8):
    return n_params * n_params * bytes_each
''',
}

B = {
    "hc_lr_hessian": '''
def lr_hessian(x):
    H = [[0.0, 0.0], [0.0, 0.0]]
    for xi in x:
        feature = (1.0, float(xi))            # d f / d phi = (1, x_i)
        for r in range(2):
            for c in range(2):
                H[r][c] += 2.0 * feature[r] * feature[c]
    return np.array(H)
''',
    "hc_trace_det": '''
def lr_trace_det(x):
    x = np.asarray(x, dtype=float)
    n = x.size
    h00, h01, h11 = 2.0 * n, 2.0 * np.sum(x), 2.0 * np.dot(x, x)
    return [float(h00 + h11), float(h00 * h11 - h01 * h01)]
''',
    "hc_eig": '''
import math


def eigenvalues_2x2(trace, det):
    disc = math.sqrt(max(trace * trace / 4.0 - det, 0.0))
    larger = trace / 2.0 + disc
    smaller = trace / 2.0 - disc
    return np.array(sorted([smaller, larger]))
''',
    "hc_classify": '''
def classify(eigenvalues, tol=1e-6):
    values = [float(v) for v in eigenvalues]
    cut = tol * max([1.0] + [abs(v) for v in values])
    signs = set()
    for v in values:
        signs.add(0 if abs(v) <= cut else (1 if v > 0 else -1))
    if 1 in signs and -1 in signs:
        return "saddle"
    if 0 in signs:
        return "degenerate"
    return {1: "minimum", -1: "maximum"}[signs.pop()]
''',
    "hc_newton": '''
def newton_step(phi, g, H):
    delta = np.linalg.lstsq(np.asarray(H, float), np.asarray(g, float), rcond=None)[0]
    return np.asarray(phi, dtype=float) - delta
''',
    "hc_fd": '''
def fd_hessian(loss, phi, h=1e-4):
    phi = np.asarray(phi, dtype=float)
    P = phi.size
    H = np.empty((P, P))
    L0 = loss(phi)
    for j in range(P):
        ej = np.zeros(P)
        ej[j] = h
        H[j, j] = (loss(phi + ej) - 2.0 * L0 + loss(phi - ej)) / h ** 2   # 3-point rule
        for k in range(j + 1, P):
            ek = np.zeros(P)
            ek[k] = h
            mixed = (loss(phi + ej + ek) - loss(phi + ej - ek) - loss(phi - ej + ek)
                     + loss(phi - ej - ek)) / (4.0 * h * h)
            H[j, k] = H[k, j] = mixed
    return H
''',
    "hc_bytes": '''
def hessian_bytes(P, itemsize=8):
    entries = int(P) ** 2
    return int(entries * int(itemsize))
''',
}

WRONG = {
    "wrong1": {
        "hc_lr_hessian": mutate(A["hc_lr_hessian"], "return 2.0 * np.array", "return np.array"),
        "hc_trace_det": mutate(A["hc_trace_det"], "float(4 * (n * s2", "float(2 * (n * s2"),
        "hc_eig": mutate(A["hc_eig"], "[half - root, half + root]", "[half + root, half - root]"),
        "hc_classify": mutate(A["hc_classify"], "tol * scale", "tol"),
        "hc_newton": mutate(A["hc_newton"], "params - np.linalg", "params + np.linalg"),
        "hc_fd": mutate(A["hc_fd"], "(4 * step ** 2)", "(2 * step ** 2)"),
        "hc_bytes": mutate(A["hc_bytes"], "n_params * n_params * bytes_each",
                           "n_params * bytes_each"),
    },
    "wrong2": {
        "hc_lr_hessian": mutate(A["hc_lr_hessian"], "xs.sum(), (xs ** 2).sum()",
                                "xs.mean(), (xs ** 2).mean()")
        .replace("[[len(xs), s1]", "[[1.0, s1]"),
        "hc_trace_det": mutate(A["hc_trace_det"], "float(2 * (n + s2))",
                               "float(2 * (n + s1 ** 2))"),
        "hc_eig": mutate(A["hc_eig"], "half ** 2 - dt", "tr ** 2 - dt"),
        "hc_classify": mutate(A["hc_classify"], '''    if pos.any() and neg.any():
        return "saddle"
    if zero.any():
        return "degenerate"''', '''    if zero.any():
        return "degenerate"
    if pos.any() and neg.any():
        return "saddle"'''),
        "hc_newton": mutate(A["hc_newton"], "np.linalg.solve(hess, grad)",
                            "grad / np.diag(hess)"),
        "hc_fd": mutate(A["hc_fd"], "- L(point - eye[j] + eye[k])",
                        "- L(point + eye[j] - eye[k])"),
        "hc_bytes": mutate(A["hc_bytes"], "n_params * n_params * bytes_each",
                           "n_params * (n_params + 1) // 2 * bytes_each"),
    },
}

CORRECT = {"A": A, "B": B}
