"""Checks of the assignment ``line_search`` (UDL fig. 6.1 and 6.10), declared once (see ``_core``).

Fig. 6.10 admits two readings of one bracketing step, and both are accepted: the task's rule
(keep the lowest of the four points with its neighbours) and the caption's (compare L[b] with
L[c]: keep [a, c] when L[b] < L[c], else [b, d]). References are written out here; the line
searches passed to ``gd_line_search`` are the test's own (an exact parabola through three
samples, which is exact for the quadratic losses used).
"""

import math

import numpy as np

from ._core import Check, Code, Hint, Part, bind, matches

LOSS_1D = ("lambda p: 1 - 0.5 * np.exp(-(p - 0.65) ** 2 / 0.1) "
           "- 0.45 * np.exp(-(p - 0.35) ** 2 / 0.02)")


def _thirds(a, d):
    return (float(a), float(a + (d - a) / 3.0), float(a + 2.0 * (d - a) / 3.0), float(d))


def _lowest_with_neighbours(f, a, b, c, d):  # the task's rule
    pts = (a, b, c, d)
    vals = [f(p) for p in pts]
    k = vals.index(min(vals))
    lo, hi = {0: (0, 1), 1: (0, 2), 2: (1, 3), 3: (2, 3)}[k]
    return _thirds(pts[lo], pts[hi])


def _caption_rule(f, a, b, c, d):  # fig. 6.10's caption: compare L[b] with L[c]
    return _thirds(a, c) if f(b) < f(c) else _thirds(b, d)


def _search(f, a=0.0, d=1.0, tol=1e-4):  # repeat the task's step until d - a < tol
    a, b, c, d = _thirds(a, d)
    while d - a >= tol:
        a, b, c, d = _lowest_with_neighbours(f, a, b, c, d)
    return (a + d) / 2.0


def _count(width, tol):  # simulate the widths
    k = 0
    while width >= tol:
        width *= 2.0 / 3.0
        k += 1
    return k


def _exact_steps(problem, phi0, steps, search, max_step=1.0):  # exact line search on a quadratic
    phi = np.array(phi0, dtype=float)
    path = [phi]
    for _ in range(steps):
        g = problem.grad(phi)
        alpha = search(lambda s, phi=phi, g=g: problem.loss(phi - s * g), 0.0, max_step)
        phi = phi - alpha * g
        path.append(phi)
    return np.array(path)


def _step_args(rng):  # a random smooth function and the thirds of a random interval
    a = float(rng.uniform(-5, 5))
    d = a + float(rng.uniform(0.01, 10))
    m = float(rng.uniform(a - 1, d + 1))
    return (Code(f"lambda x: (x - {m!r}) ** 2 + 0.3 * np.sin(3 * x)",
                 label=f"(x - {m:.3f})^2 + 0.3 sin(3x)"), *_thirds(a, d))


def _cosh_args(rng, tol):  # a function with one minimum m inside [a, d]
    a = float(rng.uniform(-3, 3))
    d = a + float(rng.uniform(0.5, 6))
    m = float(rng.uniform(a, d))
    return Code(f"lambda p: np.cosh(p - {m!r})", label=f"cosh(p - {m:.4f})"), a, d, tol


_PARABOLA = Code('''def _sl_parabola(h, a, d):
    s = 0.5 * (a + d)
    h0, h1, h2 = h(a), h(s), h(d)
    return a + (s - a) * (0.5 * (3 * h0 - 4 * h1 + h2) / (h0 - 2 * h1 + h2))''',
                 label="an exact parabola search")
_CLIPPED = Code('''def _sl_clipped(h, a, d):
    s = 0.5 * (a + d)
    h0, h1, h2 = h(a), h(s), h(d)
    return min(d, a + (s - a) * (0.5 * (3 * h0 - 4 * h1 + h2) / (h0 - 2 * h1 + h2)))''',
                label="a parabola search clipped at d")
_LIN = Code("sl.LinearRegression(*sl.data.linear_regression())", label="problem (book data)")


def _quad(rng):
    M = rng.normal(size=(3, 3))
    A = M @ M.T + 0.5 * np.eye(3)
    return Code(f"sl.Quadratic(np.array({A.tolist()}), np.array({rng.normal(size=3).tolist()}))",
                label="a 3-D quadratic")


def _precise(f, a, d, tol):  # the minimizer itself (the search to 1e-12); a result within tol passes
    return _search(f, a, d, 1e-12)


def _thirds_of_wrong_interval(args, got, ref):
    a, b, c, d = (float(np.asarray(v)) for v in got)
    return math.isclose(b, a + (d - a) / 3) and math.isclose(c, a + 2 * (d - a) / 3)


_NEIGHBOURS = Hint("keep the lowest of the four points with its neighbours (at an end, the third "
                   "next to it)", _thirds_of_wrong_interval)
_THIRDS = Hint("put the new b and c at 1/3 and 2/3 of the kept interval",
               lambda a, g, r: not _thirds_of_wrong_interval(a, g, r))

def _uphill(problem, phi0, steps, search, max_step=1.0):  # the usual slip: phi + alpha g
    phi = np.array(phi0, dtype=float)
    path = [phi]
    for _ in range(steps):
        g = problem.grad(phi)
        alpha = search(lambda s, phi=phi, g=g: problem.loss(phi + s * g), 0.0, max_step)
        phi = phi + alpha * g
        path.append(phi)
    return np.array(path)


_UPHILL = Hint("the steps go uphill: search h(alpha) = loss(phi - alpha * g) on [0, max_step], "
               "then phi <- phi - alpha * g", matches(_uphill))

PARTS = bind([
    Part("ls_bracket_step_tests", ("bracket_step",), (
        Check("bracket_step", lambda rng: (Code(LOSS_1D, label="loss_1d"), *_thirds(0.0, 1.0)),
              _lowest_with_neighbours, also=(_caption_rule,), outputs=4, visible=True, repeat=1,
              what="bracket_step(loss_1d, 0, 1/3, 2/3, 1): L[b] is lowest, keep [a, c] -> "
                   "(0, 2/9, 4/9, 2/3)", hints=(_NEIGHBOURS, _THIRDS)),
        Check("bracket_step", lambda rng: (Code("lambda x: (x - 0.7) ** 2", label="(x - 0.7)^2"),
                                           *_thirds(0.0, 1.0)),
              _lowest_with_neighbours, also=(_caption_rule,), outputs=4, visible=True, repeat=1,
              what="bracket_step((x-0.7)^2, 0, 1/3, 2/3, 1): L[c] is lowest, keep [b, d] -> "
                   "(1/3, 5/9, 7/9, 1)", hints=(_NEIGHBOURS, _THIRDS)),
        Check("bracket_step", lambda rng: (Code("lambda x: -x", label="-x"), *_thirds(0.0, 1.0)),
              _lowest_with_neighbours, also=(_caption_rule,), outputs=4, repeat=1),
        Check("bracket_step", _step_args, _lowest_with_neighbours, also=(_caption_rule,),
              outputs=4, repeat=8, hints=(_NEIGHBOURS, _THIRDS)),
    )),
    Part("ls_bracket_search_tests", ("bracket_search",), (
        Check("bracket_search", lambda rng: (Code(LOSS_1D, label="loss_1d"), 0.0, 1.0, 1e-4),
              lambda f, a, d, tol: 0.380322, atol=1e-4, visible=True, repeat=1,
              what="bracket_search(loss_1d, 0, 1, 1e-4): the minimum 0.3803 (notes, fig. 6.10; "
                   "within tol)"),
        Check("bracket_search", lambda rng: (Code(LOSS_1D, label="loss_1d"), 0.0, 1.0, 1e-7),
              lambda f, a, d, tol: 0.380322, atol=2e-6, repeat=1),
        Check("bracket_search", lambda rng: _cosh_args(rng, 1e-3), _precise, atol=1e-3, repeat=2),
        Check("bracket_search", lambda rng: _cosh_args(rng, 1e-5), _precise, atol=1e-5, repeat=2),
        Check("bracket_search", lambda rng: (Code("lambda p: p", label="x"), 2.0, 3.0, 1e-6),
              lambda f, a, d, tol: 2.0, atol=1e-6, repeat=1, what="minimum at the end a"),
        Check("bracket_search", lambda rng: (Code("lambda p: -p", label="-x"), 2.0, 3.0, 1e-6),
              lambda f, a, d, tol: 3.0, atol=1e-6, repeat=1, what="minimum at the end d"),
        Check("bracket_search", lambda rng: (Code("lambda p: (p - 0.2) ** 2", label="(p - 0.2)^2"),
                                             0.0, 1.0, 5.0),
              lambda f, a, d, tol: 0.5, repeat=1,
              what="tol wider than the interval: the centre (a + d)/2 at once"),
        Check("bracket_search", lambda rng: (Code(LOSS_1D, label="loss_1d"),
                                             *[(1.0, 0.0, 1e-4), (1.0, 1.0, 1e-4), (0.0, 1.0, 0.0),
                                               (0.0, 1.0, -1e-3)][int(rng.integers(0, 4))]),
              _search, raises="ValueError", repeat=2, what="a >= d or tol <= 0"),
    )),
    Part("ls_iterations_tests", ("iterations_needed",), (
        Check("iterations_needed", lambda rng: (1.0, 1e-4), _count, kind="exact", visible=True,
              repeat=1, what="iterations_needed(1, 1e-4) = 23 ((2/3)^k < 1e-4 <=> k > 22.7)"),
        Check("iterations_needed", lambda rng: (1.0, 0.5), _count, kind="exact", visible=True,
              repeat=1, what="iterations_needed(1, 0.5) = 2"),
        Check("iterations_needed", lambda rng: (0.1, 1.0), _count, kind="exact", repeat=1,
              what="an interval already narrower than tol needs 0 steps"),
        Check("iterations_needed", lambda rng: (float(rng.uniform(0.1, 100)),
                                                float(10 ** rng.uniform(-9, -1))),
              _count, kind="exact", repeat=6),
    )),
    Part("ls_gd_tests", ("gd_line_search",), (
        Check("gd_line_search", lambda rng: (_LIN, [1.6, -0.5], 10, _PARABOLA),
              _exact_steps, ops=2000, method_rtol=1e-7, visible=True, repeat=1,
              what="gd_line_search iterates on the book's data (exact line search; loss 0.2114 "
                   "after 10 steps)",
              hints=(Hint("return every iterate, phi0 first: shape (steps + 1, P)",
                          lambda a, g, r: g[0].shape != r[0].shape), _UPHILL)),
        Check("gd_line_search", lambda rng: (_LIN, rng.normal(size=2) + [1.6, -0.5], 5,
                                             Code("lambda h, a, d: 0.01", label="a search that "
                                                  "always answers 0.01"), 2.5),
              _exact_steps, ops=500, repeat=1, hints=(_UPHILL,)),
        Check("gd_line_search", lambda rng: (_LIN, [1.6, -0.5], 4, _CLIPPED,
                                             float(rng.uniform(0.001, 0.005))),
              _exact_steps, ops=500, method_rtol=1e-7, repeat=1,
              what="search(h, 0.0, max_step) gets the interval [0, max_step]"),
        Check("gd_line_search", lambda rng: (_quad(rng), rng.normal(size=3).tolist(), 6, _PARABOLA, 10.0),
              _exact_steps, ops=2000, method_rtol=1e-7, repeat=2),
    )),
])
visible, hidden, PARTS = PARTS

