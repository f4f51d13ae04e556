"""Round-trip fixtures for the `line_search` assignment (see notes NBGRADER.md).

PARTIAL answers Parts 1 and 3 (6 of 16 autograded points). ALTERNATIVE answers every part
differently: the lowest point picked with min(key=...) and an explicit case table, interior
points written as weighted means, a search loop that caches the end values, the iteration
count in closed form with logarithms, and a preallocated array of iterates; it must earn all 16.
WRONG keeps the side away from the lower of L[b] and L[c] and lets gradient descent step uphill;
the feedback must carry the hints of those two visible tests.
"""

PARTIAL = {
    "ls_bracket_step": '''
def bracket_step(f, a, b, c, d):
    pts = [a, b, c, d]
    vals = [f(p) for p in pts]
    k = int(np.argmin(vals))
    lo = max(k - 1, 0) if k != 3 else 2
    hi = min(k + 1, 3) if k != 0 else 1
    a, d = pts[lo], pts[hi]
    w = d - a
    return float(a), float(a + w / 3), float(a + 2 * w / 3), float(d)
''',
    "ls_iterations": '''
def iterations_needed(width, tol):
    k = 0
    w = float(width)
    while w >= tol:
        w = w * 2 / 3
        k = k + 1
    return k
''',
}

ALTERNATIVE = {
    "ls_bracket_step": '''
def bracket_step(f, a, b, c, d):
    points = (a, b, c, d)
    values = [f(p) for p in points]
    lowest = min(range(4), key=lambda i: values[i])      # first of equal values, as argmin
    keep = {0: (0, 1), 1: (0, 2), 2: (1, 3), 3: (2, 3)}[lowest]
    left, right = float(points[keep[0]]), float(points[keep[1]])
    return (left, (2.0 * left + right) / 3.0, (left + 2.0 * right) / 3.0, right)
''',
    "ls_bracket_search": '''
def bracket_search(f, a=0.0, d=1.0, tol=1e-4):
    if d <= a:
        raise ValueError("need a < d")
    if tol <= 0:
        raise ValueError("need tol > 0")
    lo, hi = float(a), float(d)
    f_lo, f_hi = f(lo), f(hi)
    for _ in range(10_000):
        if hi - lo < tol:
            break
        third = (hi - lo) / 3.0
        xs = [lo, lo + third, lo + 2.0 * third, hi]
        fs = [f_lo, f(xs[1]), f(xs[2]), f_hi]
        best = fs.index(min(fs))
        i, j = (0, 1) if best == 0 else (2, 3) if best == 3 else (best - 1, best + 1)
        lo, hi, f_lo, f_hi = xs[i], xs[j], fs[i], fs[j]
    return 0.5 * (lo + hi)
''',
    "ls_iterations": '''
import math

def iterations_needed(width, tol):
    if width < tol:
        return 0
    # width * (2/3)**k < tol  <=>  k > log(width / tol) / log(3/2)
    return int(math.floor(math.log(width / tol) / math.log(1.5))) + 1
''',
    "ls_gd": '''
def gd_line_search(problem, phi0, steps, search, max_step=1.0):
    start = np.asarray(phi0, dtype=float)
    out = np.empty((steps + 1, start.size))
    out[0] = start
    for k in range(steps):
        here = out[k].copy()
        direction = -np.asarray(problem.grad(here))
        along = lambda s, here=here, direction=direction: problem.loss(here + s * direction)
        out[k + 1] = here + search(along, 0.0, max_step) * direction
    return out
''',
}

WRONG = {
    "ls_bracket_step": '''
def bracket_step(f, a, b, c, d):
    # wrong: keeps the side away from the lower interior point
    if f(b) < f(c):
        a, d = b, d
    else:
        a, d = a, c
    return (a, a + (d - a) / 3, a + 2 * (d - a) / 3, d)
''',
    "ls_gd": '''
def gd_line_search(problem, phi0, steps, search, max_step=1.0):
    # wrong: steps uphill
    phi = np.array(phi0, dtype=float)
    path = [phi]
    for _ in range(steps):
        g = problem.grad(phi)
        alpha = search(lambda s: problem.loss(phi + s * g), 0.0, max_step)
        phi = phi + alpha * g
        path.append(phi)
    return np.array(path)
''',
}

HINTS = ["the third next to it", "search h(alpha) = loss(phi - alpha * g)"]
