"""Bad input to the engine (strings, None, booleans, arrays where a number goes; other
libraries' argument names; a class where an instance goes) fails at once with a ValueError that
names the argument and says what to pass."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import steplab as sl
from steplab import challenges as C
from steplab import curvature as K
from steplab import data as D
from steplab import init as I
from steplab import linesearch as L
from steplab import schedules as S

OPTIMIZER_CLASSES = [sl.GradientDescent, sl.Momentum, sl.Nesterov, sl.NormalizedGD, sl.Adam,
                     sl.HeavyBall, sl.AdaGrad, sl.RMSProp, sl.AdaDelta, sl.Adamax, sl.AMSGrad,
                     sl.NAdam, sl.AdamW]


def numeric_fields(cls):
    return [f.name for f in dataclasses.fields(cls) if f.type in ("float", float)]


def test_every_optimizer_has_numeric_hyperparameters_to_check():
    # guards the property below against checking nothing
    for cls in OPTIMIZER_CLASSES:
        assert "alpha" in numeric_fields(cls), cls


not_a_number = st.one_of(
    st.text(max_size=5).map(str), st.none(), st.booleans(),
    st.lists(st.floats(0.01, 0.5), min_size=1, max_size=3).map(np.array),
    st.lists(st.floats(0.01, 0.5), min_size=2, max_size=3),
)


HYPERPARAMETERS = [(cls, name) for cls in OPTIMIZER_CLASSES for name in numeric_fields(cls)]


@pytest.mark.parametrize("cls,name", HYPERPARAMETERS,
                         ids=[f"{c.__name__}-{n}" for c, n in HYPERPARAMETERS])
@settings(max_examples=15, deadline=None)
@given(bad=not_a_number)
def test_every_optimizer_rejects_non_numbers_for_every_hyperparameter(cls, name, bad):
    with pytest.raises(ValueError, match=f"{name} must be a number") as err:
        cls(**{name: bad})
    assert "such as" in str(err.value)        # says what to pass


def test_string_learning_rate_message():
    with pytest.raises(ValueError) as err:
        sl.GradientDescent(alpha="0.1")
    assert str(err.value) == ("alpha must be a number (a float such as 0.1), got the string "
                              "'0.1'.")
    with pytest.raises(ValueError, match="got the string '0.05'"):
        sl.Adam(alpha="0.05")


@pytest.mark.parametrize("cls,kwargs,hint", [
    (sl.GradientDescent, dict(lr=0.1), "use alpha \\(the book's name for the learning rate\\)"),
    (sl.Adam, dict(learning_rate=0.1), "use alpha"),
    (sl.Momentum, dict(momentum=0.9), "use beta"),
    (sl.Adam, dict(betas=(0.9, 0.999)), "use beta and gamma"),
    (sl.Adam, dict(eps=1e-8), "use epsilon"),
    (sl.RMSProp, dict(rho=0.9), "use gamma"),
    (sl.Adam, dict(speed=2), "has no argument 'speed'"),
])
def test_other_libraries_names_point_to_the_books(cls, kwargs, hint):
    with pytest.raises(ValueError, match=hint):
        cls(**kwargs)


def test_minimize_lr_and_optimizer_class_are_explained():
    p = sl.LinearRegression(*sl.data.linear_regression())
    with pytest.raises(ValueError, match="belongs to the optimizer"):
        sl.minimize(p, sl.GradientDescent(), [0.0, 0.0], steps=3, lr=0.1)
    with pytest.raises(ValueError, match=r"pass an instance: sl.Adam\(alpha=...\)"):
        sl.minimize(p, sl.Adam, [0.0, 0.0], steps=3)
    with pytest.raises(ValueError, match="pass an instance"):
        sl.minimize(sl.LinearRegression, sl.Adam(), [0.0, 0.0], steps=3)
    with pytest.raises(ValueError, match="no argument 'step'"):
        sl.minimize(p, sl.Adam(), [0.0, 0.0], step=3)


def test_booleans_are_not_numbers():
    with pytest.raises(ValueError, match="boolean"):
        sl.Adam(alpha=True)
    with pytest.raises(ValueError, match="steps"):
        sl.minimize(sl.Quadratic([[1.0]]), sl.Adam(), [1.0], steps=True)


def test_a_valid_optimizer_keeps_working_after_the_checks():
    # hyperparameters given as ints and numpy scalars are accepted, as plain numbers
    opt = sl.Adam(alpha=np.float64(0.1), beta=0, gamma=np.float32(0.5))
    phi, _ = opt.step(np.array([1.0]), opt.init(np.zeros(1)), lambda p: 2 * p)
    np.testing.assert_allclose(phi, [0.9])    # first Adam step has length alpha
    with pytest.raises(ValueError, match="alpha"):
        opt.step(np.array([1.0]), opt.init(np.zeros(1)), lambda p: 2 * p, alpha="0.1")


LIN = sl.LinearRegression(*D.linear_regression())
GRID = [np.linspace(0, 1, 3), np.linspace(0, 1, 3)]

# (function, valid keyword arguments, arguments where one number goes)
NUMBER_ARGS = [
    (I.glorot_uniform, dict(fan_in=3, fan_out=2, seed=0), ["fan_in", "fan_out", "seed"]),
    (I.gaussian, dict(fan_in=3, fan_out=2, seed=0, std=1.0), ["std", "seed"]),
    (I.orthogonal, dict(fan_in=3, fan_out=2, seed=0, gain=1.0), ["gain", "seed"]),
    (I.sparse, dict(fan_in=3, fan_out=2, seed=0, k=2, scale=1.0), ["k", "scale", "seed"]),
    (I.activation_scales, dict(init=I.glorot_uniform, depth=2, width=4, seed=0, n_samples=8),
     ["depth", "width", "seed", "n_samples"]),
    (C.ill_conditioned, dict(kappa=5.0), ["kappa"]),
    (C.cliff, dict(height=4.0, sharpness=20.0, edge=1.0), ["height", "sharpness", "edge"]),
    (C.long_term_product, dict(w=0.9, T=5), ["T"]),
    (C.DeepLinearChain, dict(x=[1., 2., 3.], y=[1., 2., 3.], depth=3), ["depth"]),
    (C.early_stopping_curve, dict(train_loss=[3., 2., 1.], val_loss=[3., 2., 2.5], patience=1),
     ["patience"]),
    (L.bracket_search, dict(f=L.line_search_function(), a=0.0, d=1.0, tol=1e-4, max_iter=50),
     ["a", "d", "tol", "max_iter"]),
    (L.golden_section, dict(f=L.line_search_function(), a=0.0, d=1.0, tol=1e-4, max_iter=50),
     ["a", "d", "tol", "max_iter"]),
    (L.backtracking, dict(f=LIN, phi=np.zeros(2), direction=-LIN.grad([0., 0.]),
                          g=LIN.grad([0., 0.]), alpha0=1.0, rho=0.5, c=1e-4, max_iter=30),
     ["alpha0", "rho", "c", "max_iter"]),
    (L.gd_with_line_search, dict(problem=LIN, phi0=[0., 0.], steps=2), ["steps", "max_step"]),
    (K.hessian, dict(problem=LIN, phi=[0., 0.], h=1e-5), ["h"]),
    (K.hvp, dict(problem=LIN, phi=[0., 0.], v=[1., 0.], h=1e-5), ["h"]),
    (K.hessian_size, dict(P=10), ["P"]),
    (K.classify_critical_point, dict(problem=LIN, phi=[0., 0.], tol=1e-6), ["tol"]),
    (K.convex_mask, dict(problem=LIN, grid=GRID, tol=1e-9), ["tol"]),
    (K.convex_fraction, dict(problem=LIN, grid=GRID, tol=1e-9), ["tol"]),
    (K.newton, dict(problem=LIN, phi0=[0., 0.], steps=2, alpha=0.0, gtol=1e-12),
     ["steps", "alpha", "gtol"]),
    (K.conjugate_gradient, dict(problem=LIN, phi0=[0., 0.], steps=2, gtol=1e-12),
     ["steps", "gtol"]),
    (K.bfgs, dict(problem=LIN, phi0=[0., 0.], steps=2, gtol=1e-12), ["steps", "gtol"]),
    (K.lbfgs, dict(problem=LIN, phi0=[0., 0.], steps=2, memory=3), ["steps", "memory"]),
    (K.coordinate_descent, dict(problem=LIN, phi0=[0., 0.], steps=2, alpha=0.01, seed=0),
     ["steps", "alpha", "seed"]),
    (sl.polyak_average, dict(phis=np.ones((3, 2)), decay=0.5), ["decay"]),
    (sl.clip_by_norm, dict(g=np.ones(2), max_norm=1.0), ["max_norm"]),
    (sl.batches_per_epoch, dict(n=10, batch_size=3), ["n", "batch_size"]),
    (sl.fd_gradient, dict(f=lambda p: float(p @ p), phi=np.ones(2), h=1e-6), ["h"]),
    (sl.fd_hessian, dict(grad=lambda p: 2 * p, phi=np.ones(2), h=1e-5), ["h"]),
    (sl.Quadratic, dict(A=np.eye(2), b=[1., 0.], c=0.0), ["c"]),
    (sl.Function, dict(loss=lambda p: p[..., 0]**2, P=1, h=1e-6), ["P", "h"]),
    (sl.GaborRegression(*D.gabor()).loss_grid, dict(phi0_values=[0.0, 1.0],
                                                    phi1_values=[1.0, 2.0], rows=2), ["rows"]),
    (sl.minimize, dict(problem=LIN, opt=sl.Adam(alpha=0.1), phi0=[0., 0.], steps=2, seed=0,
                       clip=1.0, batch_size=4), ["steps", "seed", "clip", "batch_size"]),
    (D.make_linear, dict(n=5, seed=0, slope=0.5, intercept=0.8, noise=0.1),
     ["n", "seed", "slope", "intercept", "noise"]),
    (D.make_regression_1d, dict(n=5, seed=0, noise=0.1), ["n", "seed", "noise"]),
    (D.make_gabor, dict(n=5, seed=0, noise=0.1), ["n", "seed", "noise"]),
    (D.make_logistic, dict(n_per_class=5, seed=0, sd=1.0), ["n_per_class", "seed", "sd"]),
    (S.constant, dict(alpha=0.1), ["alpha"]),
    (S.linear_decay, dict(alpha0=0.1, alpha_tau=0.01, tau=10), ["alpha0", "alpha_tau", "tau"]),
    (S.cosine, dict(alpha0=0.1, T=10, alpha_min=0.0), ["alpha0", "T", "alpha_min"]),
    (S.step_decay, dict(alpha0=0.1, drop=0.5, every=10), ["alpha0", "drop", "every"]),
    (S.exponential, dict(alpha0=0.1, rate=0.5), ["alpha0", "rate"]),
    (S.warmup, dict(schedule=0.1, steps=3), ["steps"]),
]
BAD_NUMBERS = ["0.1", None, np.array([0.1, 0.2]), True, [0.1]]
#: arguments whose documented default is None (it means "choose for me" or "off")
NONE_MEANS_DEFAULT = {"hvp-h", "coordinate_descent-alpha", "polyak_average-decay", "Function-P",
                      "minimize-clip", "minimize-batch_size", "Quadratic-b"}


def _allowed(fn, name, bad):
    return bad is None and f"{getattr(fn, '__name__', '')}-{name}" in NONE_MEANS_DEFAULT


CASES = [(fn, kw, name, bad) for fn, kw, names in NUMBER_ARGS for name in names
         for bad in BAD_NUMBERS if not _allowed(fn, name, bad)]


def _id(case):
    fn, _, name, bad = case
    return f"{getattr(fn, '__name__', fn)}-{name}-{type(bad).__name__}"


@pytest.mark.parametrize("fn,kwargs", [(fn, kw) for fn, kw, _ in NUMBER_ARGS],
                         ids=[getattr(fn, "__name__", "") for fn, _, _ in NUMBER_ARGS])
def test_the_valid_call_works(fn, kwargs):
    fn(**kwargs)          # so that the failures below come from the one bad argument


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_non_numbers_rejected_naming_the_argument(case):
    fn, kwargs, name, bad = case
    with pytest.raises(ValueError, match=name):
        fn(**{**kwargs, name: bad})


# (function, valid keyword arguments, arguments where an array of numbers goes)
ARRAY_ARGS = [
    (sl.LinearRegression, dict(x=[1., 2.], y=[1., 2.]), ["x", "y"]),
    (sl.GaborRegression, dict(x=[1., 2.], y=[1., 2.]), ["x", "y"]),
    (sl.LogisticRegression, dict(x=[1., 2.], y=[0., 1.]), ["x", "y"]),
    (sl.ShallowNetwork, dict(x=[1., 2.], y=[0., 1.]), ["x", "y"]),
    (sl.LeastSquares, dict(X=[[1.], [2.], [3.]], y=[1., 2., 3.]), ["X", "y"]),
    (sl.Quadratic, dict(A=np.eye(2), b=[1., 0.]), ["A", "b"]),
    (LIN.loss, dict(phi=[0., 0.]), ["phi"]),
    (LIN.grad, dict(phi=[0., 0.]), ["phi"]),
    (sl.minimize, dict(problem=LIN, opt=sl.Adam(alpha=0.1), phi0=[0., 0.], steps=2), ["phi0"]),
    (sl.clip_by_norm, dict(g=np.ones(2), max_norm=1.0), ["g"]),
    (K.lr_hessian, dict(x=[1., 2.]), ["x"]),
    (K.lr_trace_det, dict(x=[1., 2.]), ["x"]),
    (K.hvp, dict(problem=LIN, phi=[0., 0.], v=[1., 0.]), ["v"]),
    (C.long_term_product, dict(w=0.9, T=5), ["w"]),
    (C.DeepLinearChain, dict(x=[1., 2., 3.], y=[1., 2., 3.]), ["x", "y"]),
    (C.early_stopping_curve, dict(train_loss=[3., 2.], val_loss=[3., 2.]),
     ["train_loss", "val_loss"]),
]
BAD_ARRAYS = ["1.0, 2.0", None, ["a", "b"], [True, False]]
ARRAY_CASES = [(fn, kw, name, bad) for fn, kw, names in ARRAY_ARGS for name in names
               for bad in BAD_ARRAYS if not _allowed(fn, name, bad)]


@pytest.mark.parametrize("case", ARRAY_CASES, ids=[_id(c) for c in ARRAY_CASES])
def test_non_arrays_rejected_naming_the_argument(case):
    fn, kwargs, name, bad = case
    fn(**kwargs)
    with pytest.raises(ValueError, match=name):
        fn(**{**kwargs, name: bad})


@pytest.mark.parametrize("fn,kwargs,name", [
    (sl.Adam, dict(bias_correction=1), "bias_correction"),
    (sl.HeavyBall, dict(nesterov="yes"), "nesterov"),
    (sl.minimize, dict(problem=LIN, opt=sl.Adam(), phi0=[0., 0.], steps=2, shuffle=1),
     "shuffle"),
    (D.blood_tests, dict(clean="yes"), "clean"),
    (C.DeepLinearChain, dict(x=[1., 2.], y=[1., 2.], batch_norm=None), "batch_norm"),
    (sl.Function, dict(loss=lambda p: p[..., 0], vectorized="no"), "vectorized"),
])
def test_flags_must_be_true_or_false(fn, kwargs, name):
    with pytest.raises(ValueError, match=f"{name} must be True or False"):
        fn(**kwargs)


def test_optimizer_class_passed_to_as_optimizer():
    with pytest.raises(ValueError, match=r"pass an instance: sl.Momentum\(alpha=...\)"):
        sl.as_optimizer(sl.Momentum)
