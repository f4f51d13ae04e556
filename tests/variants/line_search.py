"""Answers for the line_search assignment (UDL notes and fig. 6.10), from its task text.

The task accepts both readings of fig. 6.10: the lowest of the four points with its neighbours
(kinds A and B) and the caption's rule, which compares L[b] with L[c] only (kind C).
"""

from variants import mutate

PARTS = {"ls_bracket_step": "ls_bracket_step_tests", "ls_bracket_search": "ls_bracket_search_tests",
         "ls_iterations": "ls_iterations_tests", "ls_gd": "ls_gd_tests"}

A = {
    "ls_bracket_step": '''
def bracket_step(loss, p0, p1, p2, p3):
    points = [p0, p1, p2, p3]
    values = [loss(p) for p in points]
    k = int(np.argmin(values))
    lo, hi = points[max(k - 1, 0)], points[min(k + 1, 3)]
    width = hi - lo
    return float(lo), float(lo + width / 3), float(lo + 2 * width / 3), float(hi)
''',
    "ls_bracket_search": '''
def bracket_search(loss, lo=0.0, hi=1.0, eps=1e-4):
    if not lo < hi:
        raise ValueError(f"need a < d, got a = {lo}, d = {hi}")
    if eps <= 0:
        raise ValueError(f"tol must be positive, got {eps}")
    while hi - lo >= eps:
        pts = [lo, lo + (hi - lo) / 3, lo + 2 * (hi - lo) / 3, hi]
        k = int(np.argmin([loss(p) for p in pts]))
        lo, hi = pts[max(k - 1, 0)], pts[min(k + 1, 3)]
    return float((lo + hi) / 2)
''',
    "ls_iterations": '''
def iterations_needed(w, eps):
    k = 0
    while w * (2 / 3) ** k >= eps:
        k += 1
    return k
''',
    "ls_gd": '''
def gd_line_search(prob, start, n, line_search, max_step=1.0):
    theta = np.array(start, dtype=float)
    path = [theta]
    for _ in range(n):
        direction = prob.grad(theta)
        h = lambda step, theta=theta, direction=direction: prob.loss(theta - step * direction)
        step = line_search(h, 0.0, max_step)
        theta = theta - step * direction
        path.append(theta)
    return np.array(path)
''',
}

B = {
    "ls_bracket_step": '''
def bracket_step(f, a, b, c, d):
    fa, fb, fc, fd = f(a), f(b), f(c), f(d)
    lowest = min(fa, fb, fc, fd)
    if fa == lowest:
        left, right = a, b
    elif fb == lowest:
        left, right = a, c
    elif fc == lowest:
        left, right = b, d
    else:
        left, right = c, d
    third = (right - left) / 3.0
    return [float(left), float(left + third), float(left + 2.0 * third), float(right)]
''',
    "ls_bracket_search": '''
def bracket_search(f, a=0.0, d=1.0, tol=1e-4):
    if tol <= 0:
        raise ValueError("tol must be > 0")
    if a >= d:
        raise ValueError("the interval must have a < d")
    b, c = a + (d - a) / 3, a + 2 * (d - a) / 3
    while True:
        if d - a < tol:
            return 0.5 * (a + d)
        a, b, c, d = bracket_step(f, a, b, c, d)
''',
    "ls_iterations": '''
import math


def iterations_needed(width, tol):
    if width < tol:
        return 0
    k = max(int(math.ceil(math.log(width / tol) / math.log(1.5))), 0)
    while width * (2 / 3) ** k >= tol:       # guard against rounding of the logarithms
        k += 1
    while k > 0 and width * (2 / 3) ** (k - 1) < tol:
        k -= 1
    return int(k)
''',
    "ls_gd": '''
def gd_line_search(problem, phi0, steps, search, max_step=1.0):
    phis = np.zeros((steps + 1, np.size(phi0)))
    phis[0] = np.asarray(phi0, dtype=float)
    for t in range(steps):
        phi = phis[t]
        g = np.asarray(problem.grad(phi))

        def h(alpha):
            return problem.loss(phi - alpha * g)
        alpha = search(h, 0.0, max_step)
        phis[t + 1] = phi - alpha * g
    return phis
''',
}

WRONG = {
    "wrong1": {
        "ls_bracket_step": mutate(A["ls_bracket_step"], "int(np.argmin(values))",
                                  "int(np.argmax(values))"),
        "ls_bracket_search": mutate(A["ls_bracket_search"],
                                    '''    if not lo < hi:
        raise ValueError(f"need a < d, got a = {lo}, d = {hi}")
''', ""),
        "ls_iterations": mutate(A["ls_iterations"], "k = 0", "k = 1"),
        "ls_gd": mutate(A["ls_gd"], "        direction = prob.grad(theta)\n", "")
        .replace("    path = [theta]\n", "    path = [theta]\n    direction = prob.grad(theta)\n"),
    },
    "wrong2": {
        "ls_bracket_step": mutate(A["ls_bracket_step"], "float(lo + width / 3), float(lo + 2 * width / 3)",
                                  "float(lo + 0.382 * width), float(lo + 0.618 * width)"),
        "ls_bracket_search": mutate(A["ls_bracket_search"], "float((lo + hi) / 2)",
                                    "float(lo + hi / 2)"),
        "ls_iterations": mutate(A["ls_iterations"], "(2 / 3) ** k", "(1 / 3) ** k"),
        "ls_gd": mutate(A["ls_gd"], "prob.loss(theta - step * direction)",
                        "prob.loss(theta + step * direction)"),
    },
}

C = {
    "ls_bracket_step": '''
def bracket_step(f, a, b, c, d):
    # the rule of the figure caption: compare the interior points only
    if f(b) < f(c):
        a, d = a, c
    else:
        a, d = b, d
    return a, a + (d - a) / 3, a + 2 * (d - a) / 3, d
''',
}

CORRECT = {"A": A, "B": B, "C": C}
