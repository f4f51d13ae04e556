"""Learning-rate schedules vs their formulas, written out here from their sources."""

import math

import numpy as np
import pytest

import steplab as sl
from steplab import schedules as S


def test_module_is_exported():
    assert sl.schedules is S


def test_constant():
    s = S.constant(0.3)
    assert [s(t) for t in (1, 2, 1000)] == [0.3, 0.3, 0.3]


def test_linear_decay_goodfellow_8_14():
    """Goodfellow eq. 8.14: alpha_k = (1 - k/tau) alpha_0 + (k/tau) alpha_tau; then constant."""
    s = S.linear_decay(0.1, 0.001, 50)
    for k in (1, 10, 25, 50):
        assert s(k) == pytest.approx((1 - k / 50) * 0.1 + (k / 50) * 0.001, rel=1e-14)
    assert s(50) == pytest.approx(0.001)
    assert s(51) == s(500) == pytest.approx(0.001)


def test_step_decay():
    s = S.step_decay(0.1, 0.5, 3)
    want = [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]
    np.testing.assert_allclose([s(t) for t in range(1, 8)], want)


def test_exponential():
    s = S.exponential(0.2, 0.9)
    for t in (1, 2, 10):
        assert s(t) == pytest.approx(0.2 * 0.9 ** (t - 1), rel=1e-14)


def test_cosine():
    """Loshchilov & Hutter 2017: alpha_min + (alpha0 - alpha_min)(1 + cos(pi k / T)) / 2,
    k = t - 1 capped at T."""
    s = S.cosine(0.1, 20, alpha_min=0.01)
    for t in (1, 5, 11, 21, 40):
        k = min(t - 1, 20)
        assert s(t) == pytest.approx(0.01 + 0.09 * (1 + math.cos(math.pi * k / 20)) / 2,
                                     rel=1e-13)
    assert s(1) == pytest.approx(0.1)
    assert s(21) == pytest.approx(0.01)


def test_warmup():
    base = S.exponential(0.1, 0.9)
    s = S.warmup(base, 5)
    for t in (1, 3, 5, 6, 20):
        assert s(t) == pytest.approx(base(t) * min(1.0, t / 5), rel=1e-14)
    assert S.warmup(0.2, 2)(1) == pytest.approx(0.1)


def test_schedules_accept_arrays():
    s = S.linear_decay(0.1, 0.0, 10)
    ts = np.arange(1, 15)
    np.testing.assert_allclose(s(ts), [s(int(t)) for t in ts])


def test_schedules_are_hashable_values():
    assert S.cosine(0.1, 10) == S.cosine(0.1, 10)
    assert hash(S.cosine(0.1, 10)) == hash(S.cosine(0.1, 10))


@pytest.mark.parametrize("make,arg", [
    (lambda: S.constant(-1.0), "alpha"),
    (lambda: S.linear_decay(0.1, -0.01, 10), "alpha_tau"),
    (lambda: S.linear_decay(0.1, 0.01, 0), "tau"),
    (lambda: S.linear_decay(0.1, 0.01, 2.5), "tau"),
    (lambda: S.step_decay(0.1, 1.5, 10), "drop"),
    (lambda: S.step_decay(0.1, 0.5, 0), "every"),
    (lambda: S.exponential(0.1, 1.1), "rate"),
    (lambda: S.exponential(0.0, 0.9), "alpha0"),
    (lambda: S.cosine(0.1, 0), "T"),
    (lambda: S.cosine(0.1, 10, alpha_min=0.5), "alpha_min"),
    (lambda: S.warmup("fast", 10), "schedule"),
    (lambda: S.warmup(0.1, -1), "steps"),
    (lambda: S.constant(0.1)(0), "t"),
])
def test_bad_arguments(make, arg):
    with pytest.raises(ValueError, match=arg):
        make()


def test_power_decay_robbins_monro_family():
    """alpha_t = a / (t + b)^p written out; p = 0 is a constant rate."""
    t = np.arange(1, 50)
    for a, b, p in ((1.0, 9.0, 1.0), (10.0, 9.0, 2.0), (0.25, 0.0, 0.5), (0.1, 3.0, 0.0)):
        np.testing.assert_allclose(S.power_decay(a, b, p)(t), a / (t + b) ** p, rtol=1e-14)
    assert S.power_decay(1.0, 9.0)(1) == pytest.approx(0.1)


def test_partial_sums_against_closed_forms():
    # sum_{t=1}^T 1/(t+b) = H_{T+b} - H_b ; sum of a constant = T a
    T = 1000
    s1, s2 = S.partial_sums(S.power_decay(1.0, 9.0), T)
    assert s1 == pytest.approx(sum(1 / k for k in range(10, T + 10)), rel=1e-12)
    assert s2 == pytest.approx(sum(1 / k ** 2 for k in range(10, T + 10)), rel=1e-12)
    assert S.partial_sums(S.constant(0.1), 100) == pytest.approx((10.0, 1.0))
    # 10/(t+9)^2 sums to 10 * (pi^2/6 - sum_{k<=9} 1/k^2) as T -> infinity: finite
    tail = 10 * (math.pi ** 2 / 6 - sum(1 / k ** 2 for k in range(1, 10)))
    assert S.partial_sums(S.power_decay(10.0, 9.0, 2.0), 10 ** 6)[0] == pytest.approx(tail, rel=1e-5)


@pytest.mark.parametrize("args", [(0.0, 1.0, 1.0), (1.0, -1.0, 1.0), (1.0, 0.0, -0.5)])
def test_power_decay_bad_arguments(args):
    with pytest.raises(ValueError):
        S.power_decay(*args)


def test_partial_sums_needs_a_schedule():
    with pytest.raises(ValueError, match="schedule must be a function"):
        S.partial_sums(0.1, 10)
