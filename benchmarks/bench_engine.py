"""Speed of the engine, as ratios against baselines measured in the same run (`make bench`).

Not a test: it prints numbers (median of repeats, timeit) and whether each target is met.

1. `import steplab` time (target < 0.3 s), with numpy's own import time for reference
   (tests/test_import.py checks that it loads neither matplotlib nor ipywidgets).
2. Per-step cost of every optimizer at P = 2 (widgets) and P = 10^6.
3. Adam.step vs torch.optim.Adam.step, float64 (targets: <= 0.25x at P = 2, where widgets
   take thousands of small steps; within 2x at P = 10^6, which this course never needs more
   of); skipped with a note when torch is not installed (it is never a dependency).
4. The Gabor loss surface on a 200 x 200 grid: one vectorized ``problem.loss(grid)`` vs a
   Python double loop over the grid that calls a loss vectorized over the data, the way the
   book's companion notebooks draw figs. 6.3-6.4 (target >= 100x); and the default 121 x 121
   surface of the figures and explorers through the speed function ``loss_grid`` vs the plain
   formula of eqs. 6.8-6.9 (the measurement that justifies keeping ``loss_grid``).
5. One full-batch epoch of linear regression on 500 points: the engine (one vectorized
   gradient, one optimizer step) vs a per-sample Python loop over the data as in seed 003
   (target >= 100x).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import timeit

import numpy as np

import steplab as sl


def median_time(fn, number, repeat=7):
    """Median over ``repeat`` runs of the time per call (seconds)."""
    return statistics.median(timeit.repeat(fn, number=number, repeat=repeat)) / number


def _fmt(seconds):
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.2f} us"
    if seconds < 1:
        return f"{seconds * 1e3:8.2f} ms"
    return f"{seconds:8.3f} s "


def _verdict(ok):
    return "meets target" if ok else "MISSES target"


# --------------------------------------------------------------------------- 1. import

def bench_import(runs=7):
    code = ("import time; t = time.perf_counter(); import {mod}; "
            "print(time.perf_counter() - t)")

    def one(mod):
        out = subprocess.run([sys.executable, "-c", code.format(mod=mod)], capture_output=True,
                             text=True, check=True)
        return float(out.stdout.strip())

    sl_t = statistics.median(one("steplab") for _ in range(runs))
    np_t = statistics.median(one("numpy") for _ in range(runs))
    print("\n1. import time (median of %d fresh interpreters)" % runs)
    print(f"   import numpy   {_fmt(np_t)}")
    print(f"   import steplab {_fmt(sl_t)}  (target < 0.3 s: {_verdict(sl_t < 0.3)})")


# --------------------------------------------------------------------------- 2./3. steps

OPTIMIZERS = {
    "GradientDescent": sl.GradientDescent(alpha=1e-3),
    "Momentum": sl.Momentum(alpha=1e-3, beta=0.9),
    "Nesterov": sl.Nesterov(alpha=1e-3, beta=0.9),
    "NormalizedGD": sl.NormalizedGD(alpha=1e-3),
    "Adam": sl.Adam(alpha=1e-3),
    "HeavyBall": sl.HeavyBall(alpha=1e-3, beta=0.9),
    "HeavyBall(nesterov)": sl.HeavyBall(alpha=1e-3, beta=0.9, nesterov=True),
    "AdaGrad": sl.AdaGrad(alpha=1e-3),
    "RMSProp": sl.RMSProp(alpha=1e-3),
    "AdaDelta": sl.AdaDelta(),
    "Adamax": sl.Adamax(alpha=1e-3),
    "AMSGrad": sl.AMSGrad(alpha=1e-3),
    "NAdam": sl.NAdam(alpha=1e-3),
    "AdamW": sl.AdamW(alpha=1e-3),
}


def _stepper(opt, P, seed=0):
    """A closure that takes one step from a fixed, non-trivial state with a fixed gradient
    (so that only the optimizer is timed, as torch's step() with p.grad already set)."""
    rng = np.random.default_rng(seed)
    phi = rng.normal(size=P)
    g = rng.normal(size=P)

    def grad_fn(p):
        return g

    state = opt.init(phi)
    phi, state = opt.step(phi, state, grad_fn)
    return lambda: opt.step(phi, state, grad_fn)


def bench_steps():
    print("\n2. per-step cost of every optimizer (median, fixed gradient)")
    print(f"   {'optimizer':22s} {'P = 2':>12s} {'P = 10^6':>12s}")
    for name, opt in OPTIMIZERS.items():
        small = median_time(_stepper(opt, 2), number=5000)
        big = median_time(_stepper(opt, 10**6), number=5, repeat=9)
        print(f"   {name:22s} {_fmt(small):>12s} {_fmt(big):>12s}")


def bench_adam_vs_torch():
    print("\n3. Adam.step vs torch.optim.Adam.step (float64, same run, interleaved repeats)")
    try:
        import torch
    except ImportError:
        for P in (2, 10**6):
            ours = median_time(_stepper(sl.Adam(alpha=1e-3), P), number=5000 if P == 2 else 5)
            print(f"   P = {P:>7d}: steplab {_fmt(ours)}")
        print("   torch is not installed: the ratio to torch.optim.Adam was skipped "
              "(pip install torch to measure it; it is never a dependency).")
        return
    print(f"   torch {torch.__version__}, {torch.get_num_threads()} intra-op threads")
    for P, target, number, rounds in ((2, 0.25, 2000, 9), (10**6, 2.0, 5, 9)):
        p = torch.nn.Parameter(torch.randn(P, dtype=torch.float64))
        p.grad = torch.randn(P, dtype=torch.float64)
        topt = torch.optim.Adam([p], lr=1e-3)
        topt.step()
        ours = _stepper(sl.Adam(alpha=1e-3), P)
        t_ours, t_torch = [], []
        for _ in range(rounds):  # interleave so that machine load hits both alike
            t_ours.append(timeit.timeit(ours, number=number) / number)
            t_torch.append(timeit.timeit(topt.step, number=number) / number)
        a, b = statistics.median(t_ours), statistics.median(t_torch)
        ratio = a / b
        print(f"   P = {P:>7d}: steplab {_fmt(a)}, torch {_fmt(b)}, ratio {ratio:5.2f}x "
              f"(target <= {target}x: {_verdict(ratio <= target)})")


# --------------------------------------------------------------------------- 4. Gabor surface

def _gabor_model(phi, x):
    # the companion notebooks' Gabor model (UDL eq. 6.8), vectorized over the data only
    sin_component = np.sin(phi[0] + 0.06 * phi[1] * x)
    gauss_component = np.exp(-(phi[0] + 0.06 * phi[1] * x) * (phi[0] + 0.06 * phi[1] * x) / 32)
    return sin_component * gauss_component


def _notebook_loss(data_x, data_y, model, phi):
    pred_y = model(phi, data_x)
    return np.sum((pred_y - data_y) * (pred_y - data_y))


def bench_gabor_surface(n=200):
    x, y = sl.data.gabor()
    problem = sl.GaborRegression(x, y)
    phi0_mesh, phi1_mesh = np.meshgrid(np.linspace(-10, 10, n), np.linspace(2.5, 22.5, n))

    def loop():
        # the companion notebooks' surface loop: np.ndenumerate over the mesh, one loss each
        out = np.zeros_like(phi1_mesh)
        for idx, slope in np.ndenumerate(phi1_mesh):
            out[idx] = _notebook_loss(x, y, _gabor_model,
                                      np.array([[phi0_mesh[idx]], [slope]]))
        return out

    grid = np.stack([phi0_mesh, phi1_mesh], axis=-1)

    def vectorized():
        return problem.loss(grid)

    assert np.allclose(loop(), vectorized(), rtol=1e-12, atol=1e-12)
    t_loop = median_time(loop, number=1, repeat=3)
    t_vec = median_time(vectorized, number=3, repeat=5)
    ratio = t_loop / t_vec
    print(f"\n4. Gabor loss surface, {n} x {n} grid, 30 points")
    print(f"   double loop (companion notebooks) {_fmt(t_loop)}; problem.loss(grid) "
          f"{_fmt(t_vec)}; ratio {ratio:6.1f}x (target >= 100x: {_verdict(ratio >= 100)})")
    # the default surface of figures and explorers (style.GRID_N = 121): speed function vs the
    # plain formula of eqs. 6.8-6.9 on the same grid, same run
    m = 121
    a, c = np.linspace(-10, 10, m), np.linspace(2.5, 22.5, m)
    g121 = np.stack(np.meshgrid(a, c), axis=-1)

    def plain():
        z = g121[..., 0, None] + 0.06 * g121[..., 1, None] * x
        return np.sum((np.sin(z) * np.exp(-z**2 / 32.0) - y) ** 2, axis=-1)

    assert np.allclose(plain(), problem.loss_grid(a, c), rtol=1e-12, atol=1e-12)
    t_plain = median_time(plain, number=3, repeat=7)
    t_fast = median_time(lambda: problem.loss_grid(a, c), number=3, repeat=7)
    print(f"   {m} x {m} surface (figures, explorers): plain eqs. 6.8-6.9 {_fmt(t_plain)}; "
          f"loss_grid {_fmt(t_fast)}; ratio {t_plain / t_fast:5.1f}x "
          "(computed when a figure or explorer is built)")
    sin_t = median_time(lambda: np.sin(grid[..., 0, None] + 0.06 * grid[..., 1, None] * x),
                        number=3, repeat=5)
    print(f"   of which np.sin alone on the {n * n * len(x)} arguments takes {_fmt(sin_t)}")


# --------------------------------------------------------------------------- 5. linear epoch

def _seed003_gradients(data, theta):
    # seed 003's compute_gradients, line for line, with its bugs fixed (it scales by 2/N and
    # then divides by N again, and mixes theta[0] into the intercept term) and the book's
    # sum-of-squares loss and parameter order (intercept, slope)
    gradients = np.zeros(2)
    b = theta[0]
    m = theta[1]
    for i in range(0, len(data)):
        x = data[i, 0]
        y = data[i, 1]
        gradients[0] += - 2 * (y - ((m * x) + b))
        gradients[1] += - 2 * x * (y - ((m * x) + b))
    return gradients


def bench_linear_epoch(n=500):
    x, y = sl.data.make_linear(n, seed=0)
    data = np.stack([x, y], axis=1)
    problem = sl.LinearRegression(x, y)
    opt = sl.GradientDescent(alpha=1e-4)
    theta = np.array([0.1, 0.2])
    state = opt.init(theta)

    def loop_epoch():
        return theta - 1e-4 * _seed003_gradients(data, theta)

    def engine_epoch():
        return opt.step(theta, state, problem.grad)[0]

    def engine_minimize():
        return sl.minimize(problem, opt, theta, epochs=1).final

    assert np.allclose(loop_epoch(), engine_epoch(), rtol=1e-12)
    t_loop = median_time(loop_epoch, number=20)
    t_eng = median_time(engine_epoch, number=2000)
    t_min = median_time(engine_minimize, number=500)
    ratio = t_loop / t_eng
    print(f"\n5. one full-batch epoch of linear regression, {n} points")
    print(f"   per-sample loop (seed 003) {_fmt(t_loop)}; engine step {_fmt(t_eng)}; "
          f"ratio {ratio:6.1f}x (target >= 100x: {_verdict(ratio >= 100)})")
    print(f"   the same epoch through minimize() (checks, loss record, Trajectory) "
          f"{_fmt(t_min)}: ratio {t_loop / t_min:6.1f}x")


def main():
    print(f"steplab engine benchmark (numpy {np.__version__}, python {sys.version.split()[0]})")
    bench_import()
    bench_steps()
    bench_adam_vs_torch()
    bench_gabor_surface()
    bench_linear_epoch()


if __name__ == "__main__":
    main()
