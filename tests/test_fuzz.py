"""Fuzz tests (hypothesis) over the public API of ``lnc`` and the helpers the book and the experiments call.

Two properties, one pair of tests per group of functions:

* ``test_bad_*``: every bad input (a wrong shape, including 0-d and empty arrays and a wrong ndim; a wrong dtype,
  from bool and the integers to float16 and complex; NaN, inf, negative and huge values; a wrong type: None, str,
  list, tuple, dict, generator, set, numpy scalar, masked array, tensor for array and array for tensor) raises
  ``ValueError`` or ``TypeError`` -- nothing else (no AttributeError, IndexError, RuntimeError, KeyError, numpy's
  AxisError ...) -- and the message names the argument.
* ``test_valid_*``: every valid input gives a finite result equal to an independent computation (mpmath in 50
  digits, a loop, a closed form), with asymmetric T (so that a transpose fails), without mutating the inputs.

The maths core refuses ``meta`` tensors (no values to check) by name; the helpers of ``lnc.experiments`` (recipes,
result tables and their records, losses that learn T) and ``lnc.book`` (figures, Hessians, simulations) follow the
same two properties.

Every test runs a fixed, derandomised set of examples (no example database), so a run is the same on every machine;
no assertion relies on the last bits of a BLAS/LAPACK result.
"""

import dataclasses
import html
import inspect
import json
import math
import re

import mpmath
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lnc
from lnc.book import curvature, plots, risk, simulation
from lnc.experiments import inventory, learned_T, loop, models, prose, protocol, recipes, results, tables
from lnc.experiments.published import CIFARN, MINI_WEBVISION

SETTINGS = dict(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def fuzz(max_examples):
    """The settings of every test here: ``max_examples``, derandomised, no database, no deadline."""
    return settings(max_examples=max_examples, **SETTINGS)


ignore_fragile_warnings = pytest.mark.filterwarnings("ignore:T is ill-conditioned", "ignore:estimate_T:UserWarning")

BASELINES = ("unhinged", "sigmoid", "ramp", "savage", "bootstrap_soft", "bootstrap_hard", "ce")
FUNCTIONS = {
    "unhinged": lnc.unhinged_loss,
    "sigmoid": lnc.sigmoid_loss,
    "ramp": lnc.ramp_loss,
    "savage": lnc.savage_loss,
    "bootstrap_soft": lnc.bootstrap_soft_loss,
    "bootstrap_hard": lnc.bootstrap_hard_loss,
}
FLOAT_TORCH = (torch.float64, torch.float32, torch.float16, torch.bfloat16)
INT_NUMPY = (np.uint8, np.int8, np.int16, np.int32, np.int64, np.uint16, np.uint32, np.uint64)
INT_TORCH = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)
EPS = {torch.float64: 2.0**-52, torch.float32: 2.0**-23, torch.float16: 2.0**-10, torch.bfloat16: 2.0**-7}
mpmath.mp.dps = 50


# ================================================================================================== helpers


def assert_rejects(call, *names):
    """``call()`` raises ValueError or TypeError (anything else propagates and fails the test) whose message names
    one of ``names`` as a word (``T`` in ``NoneType`` does not count)."""
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    message = str(info.value)
    pattern = "|".join(rf"(?<![\w]){re.escape(name)}(?![\w])" for name in names)
    assert re.search(pattern, message), f"{names} not named in {type(info.value).__name__}: {message}"


def snapshot(*values):
    """Copies of the array-like ``values`` (to check afterwards that nothing was mutated)."""
    return [
        v.clone() if isinstance(v, torch.Tensor) else np.array(v, copy=True) if isinstance(v, np.ndarray) else repr(v)
        for v in values
    ]


def assert_unchanged(before, *values):
    for old, new in zip(before, values):
        if isinstance(new, torch.Tensor):
            assert torch.equal(old, new) or (torch.isnan(old) == torch.isnan(new)).all(), "a tensor input was mutated"
        elif isinstance(new, np.ndarray):
            np.testing.assert_array_equal(old, new, err_msg="an array input was mutated")
        else:
            assert old == repr(new), "an input was mutated"


def _generator():
    return (k for k in range(3))


def _masked():
    return np.ma.masked_array(np.full((2, 2), 0.5), mask=np.eye(2, dtype=bool))


# any value that is no array of real numbers
JUNK = st.one_of(
    st.none(),
    st.text(max_size=3),
    st.binary(max_size=2),
    st.builds(dict),
    st.builds(_generator),
    st.sets(st.integers(0, 3), max_size=2),
    st.builds(object),
    st.complex_numbers(max_magnitude=5),
    st.just([[0.5, 0.5], [0.5]]),
    st.builds(_masked),
    st.builds(lambda: np.array(["a", "b"])),
    st.builds(lambda: np.array([None, 1.0], dtype=object)),
    st.builds(lambda: torch.zeros(2, 2, dtype=torch.complex64)),
)
NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
BAD_INT_OPTION = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(-1e3, 1e3),
    NON_FINITE,
    st.text(max_size=3),
    st.builds(lambda: np.array(3)),
    st.builds(lambda: torch.tensor(3)),
    st.builds(list),
)
BAD_REAL_OPTION = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=3),
    st.builds(lambda: np.array([0.5])),
    st.builds(lambda: torch.tensor(0.5)),
    st.builds(list),
    st.builds(dict),
    st.complex_numbers(max_magnitude=1),
)


@st.composite
def transition_matrices(draw, c=None, min_c=2, max_c=6, well_conditioned=False):
    """A random row-stochastic, asymmetric ``(c, c)`` float64 T: hypothesis' non-negative entries (zeros,
    subnormals, large values), a diagonal boost and one extra off-diagonal entry, then each row divided by its sum.
    ``well_conditioned``: off-diagonal entries up to 1.25 against a diagonal boost of at least ``c**2``, so that T is
    strictly diagonally dominant (invertible, small ``cond(T)``, ``T[i, i] > T[k, i]``)."""
    c = draw(st.integers(min_c, max_c)) if c is None else c
    raw = draw(hnp.arrays(np.float64, (c, c), elements=st.floats(0.0, 1.0 if well_conditioned else 1e3)))
    boost = draw(st.floats(1.0, 4.0)) * c * (c if well_conditioned else 1.0 / c)
    raw[0, 1] += 0.25  # asymmetric even when hypothesis draws zeros
    T = raw + boost * np.eye(c)
    return T / T.sum(axis=1, keepdims=True)


@st.composite
def pair_matrices(draw, c=None, max_rate=1.0):
    c = draw(st.integers(2, 8)) if c is None else c
    sources = draw(st.lists(st.integers(0, c - 1), unique=True, min_size=1, max_size=c))
    pairs = {s: draw(st.integers(0, c - 1).filter(lambda d, s=s: d != s)) for s in sources}
    return lnc.pair_T(c, pairs, draw(st.floats(0.0, max_rate)))


def as_kind(T, kind):
    """T as the kind of input a user may pass: numpy float64/float32, torch float64/float32, a list of lists."""
    if kind == "numpy32":
        return T.astype(np.float32)
    if kind == "torch64":
        return torch.from_numpy(T.copy())
    if kind == "torch32":
        return torch.from_numpy(T.astype(np.float32))
    if kind == "torch_grad":
        return torch.tensor(T, requires_grad=True)
    if kind == "list":
        return T.tolist()
    return T.copy()


T_KINDS = st.sampled_from(["numpy64", "numpy32", "torch64", "torch32", "torch_grad", "list"])


def as_float64(T):
    """The values the library sees for T (float32 rounding included)."""
    if isinstance(T, torch.Tensor):
        return T.detach().double().numpy()
    return np.asarray(T, dtype=np.float64)


@st.composite
def bad_matrices(draw, c):
    """Something that is not a row-stochastic (c, c) matrix: wrong shape, dtype, values or type."""
    T = draw(transition_matrices(c=c))
    kind = draw(st.sampled_from(["shape", "dtype", "value", "columns", "scaled", "junk", "masked", "scalar"]))
    if kind == "shape":
        shape = draw(st.sampled_from([(), (c,), (c, c + 1), (c + 1, c), (1, 1), (0, 0), (c, c, 1), (2, c, c)]))
        return np.full(shape, 1.0 / max(shape[-1] if shape else 1, 1))
    if kind == "dtype":
        return draw(
            st.sampled_from(
                [
                    T.astype(np.complex128),
                    T.astype(np.complex64),
                    T.astype(object),
                    T.astype(str),
                    torch.from_numpy(T).to(torch.complex64),
                    torch.from_numpy(T).to_sparse(),
                ]
            )
        )
    if kind == "value":
        bad = T.copy()
        bad[draw(st.integers(0, c - 1)), draw(st.integers(0, c - 1))] = draw(
            st.one_of(NON_FINITE, st.floats(-1e300, -1e-300), st.sampled_from([1e308, 2.0, 1.5]))
        )
        return bad
    if kind == "columns":  # column-stochastic: the transpose of an asymmetric T
        assume(np.abs(T.T.sum(axis=1) - 1).max() > 1e-5)
        return T.T.copy()
    if kind == "scaled":
        return T * draw(st.sampled_from([0.0, 0.5, 2.0, -1.0, 1e300]))
    if kind == "masked":
        return np.ma.masked_array(T, mask=np.eye(c, dtype=bool))
    if kind == "scalar":
        return draw(st.sampled_from([np.float64(1.0), np.int64(1), 1.0, 1]))
    return draw(JUNK)


@st.composite
def logits_arrays(draw, n=None, c=None, max_n=8, max_c=6, bound=30.0, dtypes=FLOAT_TORCH, half_bound=1e3):
    """Finite logits ``(N, c)`` as a torch tensor of a floating dtype (hypothesis floats: zeros, subnormals,
    both signs, up to ``bound``; up to ``half_bound`` in float16, whose largest value is 65504)."""
    n = draw(st.integers(1, max_n)) if n is None else n
    c = draw(st.integers(2, max_c)) if c is None else c
    dtype = draw(st.sampled_from(dtypes))
    bound = min(bound, half_bound) if dtype == torch.float16 else bound
    values = draw(hnp.arrays(np.float64, (n, c), elements=st.floats(-bound, bound, allow_subnormal=True)))
    return torch.from_numpy(values).to(dtype)


def targets_for(draw, n, c, dtype=None):
    dtype = draw(st.sampled_from(INT_TORCH)) if dtype is None else dtype
    return torch.tensor(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)), dtype=dtype)


# ================================================================================================== references


def mp_row(row):
    return [mpmath.mpf(float(v)) for v in row]


def mp_log_softmax(row):
    values = mp_row(row)
    top = max(values)
    lse = top + mpmath.log(mpmath.fsum(mpmath.exp(v - top) for v in values))
    return [v - lse for v in values]


def forward_reference(logits, targets, T):
    """``-log (softmax(h) @ T)[n, y_n]`` in 50 digits (the probability-space formula)."""
    out = []
    for row, y in zip(logits.double().tolist(), targets.tolist()):
        p = [mpmath.exp(v) for v in mp_log_softmax(row)]
        out.append(float(-mpmath.log(mpmath.fsum(p[i] * mpmath.mpf(T[i, y]) for i in range(len(p))))))
    return np.array(out)


def baseline_reference(name, row, y, beta):
    """One example's baseline loss from its definition, in 50 digits."""
    c = len(row)
    log_p = mp_log_softmax(row)
    p = [mpmath.exp(v) for v in log_p]
    f = mpmath.mpf(float(row[y]))
    if name == "unhinged":
        return float(1 - f / c)
    if name == "sigmoid":
        return float((1 / (1 + mpmath.exp(f)) + mpmath.mpf(c - 1) / 2) / c)
    if name == "ramp":
        return float((min(1, max(0, 1 - f)) + c - 1) / c)
    if name == "savage":
        return float(((1 + mpmath.exp(2 * p[y])) ** -2 + mpmath.mpf(c - 1) / 4) / c)
    if name == "bootstrap_soft":
        beta = mpmath.mpf(beta)
        return float(-mpmath.fsum((beta * (k == y) + (1 - beta) * p[k]) * log_p[k] for k in range(c)))
    if name == "bootstrap_hard":
        beta = mpmath.mpf(beta)
        return float(-(beta * log_p[y] + (1 - beta) * max(log_p)))
    return float(-log_p[y])  # ce


def tolerance(dtype, scale, c):
    """Round-off allowed for a loss computed in ``dtype`` from logits of magnitude ``scale``."""
    return 8 * c * EPS[dtype] * (1.0 + scale)


# ================================================================================================== losses


def bad_logits(logits):
    """Strategy: inputs that are no (N, c) dense floating logits, made from valid ``logits`` (N, c)."""
    n, c = logits.shape
    return st.one_of(
        JUNK,
        st.builds(lambda: logits.numpy()),
        st.builds(lambda: logits.tolist()),
        st.sampled_from(
            [
                torch.zeros(n, c, dtype=d)
                for d in (
                    torch.int64,
                    torch.int32,
                    torch.uint8,
                    torch.bool,
                    torch.complex64,
                    torch.complex128,
                    torch.float8_e4m3fn,
                    torch.float8_e5m2,
                )
            ]
        ),
        st.builds(lambda: logits.to_sparse()),
        st.sampled_from(
            [
                torch.tensor(0.0),
                torch.zeros(c),
                torch.zeros(n, c, 1),
                torch.zeros(n, 1),
                torch.zeros(n, 0),
                torch.zeros(1, n, c),
            ]
        ),
    )


def bad_targets(targets, c):
    """Strategy: inputs that are no (N,) integer targets in [0, c), made from valid ``targets`` (N,)."""
    n = len(targets)
    return st.one_of(
        JUNK,
        st.builds(lambda: targets.numpy()),
        st.builds(lambda: targets.tolist()),
        st.sampled_from(
            [
                targets.double(),
                targets.float(),
                targets.bool(),
                targets.to(torch.complex64),
                targets[:, None],
                targets[None],
                torch.tensor(0),
                torch.arange(n + 1) % c,
            ]
        ),
        st.builds(lambda v: torch.full((n,), v), st.sampled_from([-1, c, c + 7, -(2**62), 2**62])),
    )


BAD_REDUCTIONS = st.one_of(
    JUNK,
    st.text(max_size=5).filter(lambda s: s not in ("mean", "sum", "none")),
    st.sampled_from(["MEAN", "Sum", " none", "avg", ["mean"], ("sum",)]),
)


@fuzz(150)
@given(data=st.data())
def test_bad_input_to_corrected_losses_is_refused_naming_the_argument(data):
    c = data.draw(st.integers(2, 5), label="c")
    n = data.draw(st.integers(1, 5), label="n")
    T = data.draw(transition_matrices(c=c, well_conditioned=True), label="T")
    logits = torch.zeros(n, c, dtype=torch.float64)
    targets = torch.arange(n) % c
    form = data.draw(st.sampled_from(["forward", "backward", "Forward", "Backward", "make_loss"]), label="form")

    def call(logits=logits, targets=targets, T=T, reduction="mean"):
        if form in ("forward", "backward"):
            fn = lnc.forward_loss if form == "forward" else lnc.backward_loss
            return fn(logits, targets, T, reduction=reduction)
        cls = {"Forward": lnc.ForwardCorrectedLoss, "Backward": lnc.BackwardCorrectedLoss}.get(form)
        module = cls(T, reduction=reduction) if cls else lnc.make_loss("forward", T=T, reduction=reduction)
        return module(logits, targets)

    special = "singular" if form in ("backward", "Backward") else "zero_column"
    which = data.draw(
        st.sampled_from(["logits", "targets", "T", "reduction", "nonfinite", "empty", "mismatch", special]),
        label="which",
    )
    if which == "logits":
        bad = data.draw(bad_logits(logits), label="logits")
        assert_rejects(lambda: call(logits=bad), "logits")
    elif which == "targets":
        bad = data.draw(bad_targets(targets, c), label="targets")
        assert_rejects(lambda: call(targets=bad), "targets")
    elif which == "T":
        bad = data.draw(bad_matrices(c), label="T")
        assert_rejects(lambda: call(T=bad), "T")
    elif which == "reduction":
        bad = data.draw(BAD_REDUCTIONS, label="reduction")
        assert_rejects(lambda: call(reduction=bad), "reduction")
    elif which == "nonfinite":  # every non-finite value in every float dtype
        where = data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, c - 1))
        for value in (math.nan, math.inf, -math.inf):
            bad = logits.clone()
            bad[where] = value
            for dtype in FLOAT_TORCH:
                assert_rejects(lambda: call(logits=bad.to(dtype)), "logits")
    elif which == "empty":  # the mean of no loss is undefined
        assert_rejects(lambda: call(logits=torch.zeros(0, c), targets=torch.zeros(0, dtype=torch.long)), "logits")
    elif which == "mismatch":  # T of another size than the logits: never broadcast
        other = data.draw(transition_matrices(c=c + 1, well_conditioned=True))
        assert_rejects(lambda: call(T=other), "T")
    elif which == "zero_column":  # a noisy class that T never produces
        zero = np.eye(c)
        zero[0] = np.eye(c)[1]  # nothing flips to 0: column 0 is zero
        assert_rejects(lambda: call(targets=torch.zeros(n, dtype=torch.long), T=zero), "targets")
    else:  # rank one: every row the same
        size = data.draw(st.sampled_from([2, 4, 8]))
        flat = np.full((size, size), 1.0 / size)
        assert_rejects(lambda: call(logits=torch.zeros(n, size, dtype=torch.float64), T=flat), "T")


@ignore_fragile_warnings
@fuzz(80)
@given(data=st.data())
def test_valid_forward_loss_equals_the_probability_space_formula(data):
    logits = data.draw(
        logits_arrays(bound=data.draw(st.sampled_from([1.0, 30.0, 1e4])), half_bound=30.0), label="logits"
    )
    n, c = logits.shape
    T = data.draw(st.one_of(transition_matrices(c=c), pair_matrices(c=c, max_rate=0.99)), label="T")
    T_in = as_kind(T, data.draw(T_KINDS, label="kind"))
    targets = targets_for(data.draw, n, c)
    before = snapshot(logits, targets, T_in)

    per_example = lnc.forward_loss(logits, targets, T_in, reduction="none")
    module = lnc.ForwardCorrectedLoss(T_in, reduction="sum")(logits, targets)

    expected = forward_reference(logits, targets, as_float64(T_in))
    got = per_example.double().numpy()
    assert per_example.shape == (n,) and per_example.dtype == logits.dtype
    assert np.isfinite(got).all() and (got >= -tolerance(logits.dtype, 0, c)).all()
    scale = float(logits.double().abs().max())
    np.testing.assert_allclose(got, expected, rtol=0, atol=tolerance(logits.dtype, scale, c) * (1 + expected.max()))
    assert abs(module.double().item() - got.sum()) <= tolerance(logits.dtype, scale, c) * (1 + np.abs(got).sum()) * n
    assert_unchanged(before, logits, targets, T_in)


@ignore_fragile_warnings
@fuzz(80)
@given(data=st.data())
def test_valid_backward_loss_is_unbiased_and_matches_the_inverse(data):
    """E_{y~|y}[backward(h, y~)] = CE(h, y) for every clean y (float64), and the closed form with inv(T) (every
    float dtype)."""
    logits = data.draw(
        logits_arrays(bound=data.draw(st.sampled_from([1.0, 30.0, 1e4])), half_bound=30.0), label="logits"
    )
    n, c = logits.shape
    T = data.draw(
        st.one_of(transition_matrices(c=c, well_conditioned=True), pair_matrices(c=c, max_rate=0.4)), label="T"
    )
    T_in = as_kind(T, data.draw(T_KINDS, label="kind"))
    T64 = as_float64(T_in)
    before = snapshot(logits, T_in)
    every = torch.arange(c).repeat(n)  # every noisy label for every example
    rows = logits.repeat_interleave(c, dim=0)
    per_noisy = lnc.backward_loss(rows, every, T_in, reduction="none")
    assert per_noisy.shape == (n * c,) and per_noisy.dtype == logits.dtype
    assert torch.isfinite(per_noisy).all()
    per_noisy = per_noisy.double().numpy().reshape(n, c)

    ce = np.array([[float(-v) for v in mp_log_softmax(row)] for row in logits.double().tolist()])  # (n, c)
    T_inv = np.linalg.inv(T64)
    closed = ce @ T_inv.T  # [m, k] = sum_j inv(T)[k, j] * ce[m, j]
    cond = float(np.abs(T_inv).sum(axis=1).max())  # inf-norm of inv(T): the amplification
    scale = float(logits.double().abs().max())
    tol = tolerance(logits.dtype, scale, c) * (1 + cond) * (1 + np.abs(ce).max())
    np.testing.assert_allclose(per_noisy, closed, rtol=0, atol=tol)
    if logits.dtype == torch.float64:
        np.testing.assert_allclose(per_noisy @ T64.T, ce, rtol=0, atol=tol * (1 + cond))  # unbiased
    module = lnc.BackwardCorrectedLoss(T_in)(rows, every)
    assert abs(module.double().item() - per_noisy.mean()) <= tol * (1 + cond)
    assert_unchanged(before, logits, T_in)


@fuzz(120)
@given(data=st.data())
def test_bad_input_to_baseline_losses_is_refused_naming_the_argument(data):
    name = data.draw(st.sampled_from(BASELINES), label="name")
    c = data.draw(st.integers(2, 5))
    n = data.draw(st.integers(1, 5))
    logits, targets = torch.zeros(n, c), torch.arange(n) % c
    use_module = data.draw(st.booleans(), label="make_loss")

    def call(logits=logits, targets=targets, **kw):
        if use_module or name == "ce":
            return lnc.make_loss(name, **kw)(logits, targets)
        return FUNCTIONS[name](logits, targets, **kw)

    which = data.draw(
        st.sampled_from(
            ["logits", "targets", "reduction", "nonfinite", "empty"]
            + ["beta"] * name.startswith("bootstrap")
            + ["overflow"] * (name not in ("sigmoid", "ramp", "savage"))
        )
    )  # bounded
    if which == "logits":
        bad = data.draw(bad_logits(logits), label="logits")
        assert_rejects(lambda: call(logits=bad), "logits")
    elif which == "targets":
        bad = data.draw(bad_targets(targets, c), label="targets")
        assert_rejects(lambda: call(targets=bad), "targets")
    elif which == "reduction":
        bad = data.draw(BAD_REDUCTIONS, label="reduction")
        assert_rejects(lambda: call(reduction=bad), "reduction")
    elif which == "beta":
        bad = data.draw(
            st.one_of(
                BAD_REAL_OPTION,
                NON_FINITE,
                st.floats(1.0, 1e300, exclude_min=True),
                st.floats(-1e300, 0.0, exclude_max=True),
            )
        )
        assert_rejects(lambda: call(beta=bad), "beta")
    elif which == "nonfinite":  # every non-finite value in every float dtype
        where = data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, c - 1))
        for value in (math.nan, math.inf, -math.inf):
            bad = logits.clone()
            bad[where] = value
            for dtype in FLOAT_TORCH:
                assert_rejects(lambda: call(logits=bad.to(dtype)), "logits")
    elif which == "empty":
        assert_rejects(lambda: call(logits=torch.zeros(0, c), targets=torch.zeros(0, dtype=torch.long)), "logits")
    else:  # finite logits whose spread overflows the dtype: the loss would be inf or NaN
        dtype = data.draw(st.sampled_from([torch.float16, torch.float32]))
        big = torch.finfo(dtype).max * 0.75  # a row spread of 1.5 times the max
        wide = torch.zeros(n, c, dtype=dtype)
        wide[:, 0], wide[:, 1] = big, -big
        wide_targets = torch.ones(n, dtype=torch.long)  # the class of probability 0
        kw = {"reduction": "sum"} if name == "unhinged" else {}
        if name == "unhinged":  # the sum of n * big / c overflows
            wide, wide_targets = (
                torch.full((4 * c, c), -float(torch.finfo(dtype).max), dtype=dtype),
                torch.zeros(4 * c, dtype=torch.long),
            )
        assert_rejects(lambda: call(logits=wide, targets=wide_targets, **kw), "logits")


@fuzz(80)
@given(data=st.data())
def test_valid_baseline_losses_match_their_definitions(data):
    name = data.draw(st.sampled_from(BASELINES), label="name")
    logits = data.draw(logits_arrays(bound=data.draw(st.sampled_from([1.0, 30.0, 1e3]))), label="logits")
    n, c = logits.shape
    targets = targets_for(data.draw, n, c)
    beta = (
        data.draw(st.one_of(st.floats(0.0, 1.0), st.sampled_from([np.float32(0.5), 0, 1])), label="beta")
        if name.startswith("bootstrap")
        else None
    )
    kw = {} if beta is None else {"beta": beta}
    before = snapshot(logits, targets)
    if name == "ce":
        per_example = lnc.make_loss("ce", reduction="none")(logits, targets)
    else:
        per_example = FUNCTIONS[name](logits, targets, reduction="none", **kw)
    total = lnc.make_loss(name, reduction="sum", **kw)(logits, targets)

    expected = np.array(
        [
            baseline_reference(name, row, y, float(beta or 0))
            for row, y in zip(logits.double().tolist(), targets.tolist())
        ]
    )
    got = per_example.double().numpy()
    assert per_example.shape == (n,) and per_example.dtype == logits.dtype and np.isfinite(got).all()
    scale = float(logits.double().abs().max())
    atol = tolerance(logits.dtype, scale, c) * (1 + np.abs(expected).max())
    np.testing.assert_allclose(got, expected, rtol=0, atol=atol)
    assert abs(total.double().item() - got.sum()) <= tolerance(logits.dtype, scale, c) * n * (1 + np.abs(got).sum())
    assert_unchanged(before, logits, targets)


@fuzz(60)
@given(
    name=st.one_of(
        JUNK, st.text(max_size=8), st.sampled_from(["CE", "forward ", "Backward", "mse"]), st.integers(), st.floats()
    ),
    T=st.one_of(st.none(), st.just(np.eye(3))),
)
def test_bad_loss_names_are_refused_naming_the_argument(name, T):
    assume(not (isinstance(name, str) and name in lnc.losses.LOSS_NAMES))
    assert_rejects(lambda: lnc.make_loss(name, T=T), "name")


@fuzz(40)
@given(
    name=st.sampled_from(lnc.losses.LOSS_NAMES),
    option=st.sampled_from(["beta", "foo", "logits", "T_hat"]),
    with_T=st.booleans(),
)
def test_bad_loss_configurations_are_refused_naming_the_argument(name, option, with_T):
    T = lnc.pair_T(3, {0: 1}, 0.3)
    if name in ("forward", "backward"):
        if not with_T:
            assert_rejects(lambda: lnc.make_loss(name), "T")
            return
        assume(option != "beta")
        assert_rejects(lambda: lnc.make_loss(name, T=T, **{option: 0.5}), option)
    elif with_T:
        assert_rejects(lambda: lnc.make_loss(name, T=T), "T")
    else:
        assume(not (option == "beta" and name.startswith("bootstrap")))
        assert_rejects(lambda: lnc.make_loss(name, **{option: 0.5}), option)


# ================================================================================================== noise


@fuzz(120)
@given(data=st.data())
def test_bad_input_to_transition_matrix_builders_is_refused_naming_the_argument(data):
    which = data.draw(st.sampled_from(["num_classes", "rate", "pairs", "grouping", "reverse_rate"]))
    bad_rate = st.one_of(
        BAD_REAL_OPTION, NON_FINITE, st.floats(1.0, 1e308, exclude_min=True), st.floats(-1e308, 0.0, exclude_max=True)
    )
    if which == "num_classes":
        bad = data.draw(st.one_of(BAD_INT_OPTION, st.integers(-(10**20), 1), st.sampled_from([np.int64(1), 2.0])))
        make = data.draw(st.sampled_from([lambda c: lnc.symmetric_T(c, 0.2), lambda c: lnc.pair_T(c, {0: 1}, 0.2)]))
        assert_rejects(lambda: make(bad), "num_classes")
    elif which == "rate":
        bad = data.draw(bad_rate)
        make = data.draw(
            st.sampled_from(
                [
                    lambda r: lnc.symmetric_T(4, r),
                    lambda r: lnc.pair_T(4, {0: 1}, r),
                    lnc.mnist_asymmetric_T,
                    lnc.cifar10_asymmetric_T,
                    lnc.cifar100_asymmetric_T,
                    lnc.binary_asymmetric_T,
                ]
            )
        )
        assert_rejects(lambda: make(bad), "rate")
    elif which == "pairs":
        bad = data.draw(
            st.one_of(
                JUNK.filter(lambda v: not isinstance(v, dict)),
                st.builds(lambda: [(0, 1)]),
                st.dictionaries(
                    st.one_of(st.integers(-5, 8), st.text(max_size=1), st.floats(0, 3), st.booleans()),
                    st.one_of(st.integers(-5, 8), st.none(), st.floats(0, 3)),
                    min_size=1,
                    max_size=3,
                ).filter(
                    lambda d: (
                        not all(
                            isinstance(k, int)
                            and not isinstance(k, bool)
                            and 0 <= k < 4
                            and isinstance(v, int)
                            and 0 <= v < 4
                            and k != v
                            for k, v in d.items()
                        )
                    )
                ),
            )
        )
        assert_rejects(lambda: lnc.pair_T(4, bad, 0.2), "pairs")
    elif which == "grouping":
        bad = data.draw(st.one_of(JUNK, st.sampled_from(["Blocks", "coarse", "", ["blocks"]])))
        assert_rejects(lambda: lnc.cifar100_asymmetric_T(0.2, grouping=bad), "grouping")
    else:
        assert_rejects(lambda: lnc.binary_asymmetric_T(0.2, reverse_rate=data.draw(bad_rate)), "reverse_rate")


@fuzz(80)
@given(data=st.data())
def test_valid_transition_matrix_builders_give_their_formula(data):
    rate = data.draw(st.one_of(st.floats(0.0, 1.0), st.sampled_from([0, 1, np.float32(0.25), np.float64(0.6)])))
    c = data.draw(st.one_of(st.integers(2, 40), st.sampled_from([np.int32(3), np.int64(10)])))
    r = float(rate)
    grouping = data.draw(st.sampled_from(["blocks", "superclass"]))
    S = lnc.symmetric_T(c, rate)
    assert S.shape == (c, c) and S.dtype == np.float64
    for i in range(int(c)):
        for j in range(int(c)):
            assert S[i, j] == (1 - r if i == j else r / (int(c) - 1))
    sources = data.draw(st.lists(st.integers(0, int(c) - 1), unique=True, max_size=int(c)))
    pairs = {s: data.draw(st.integers(0, int(c) - 1).filter(lambda d, s=s: d != s)) for s in sources}
    P = lnc.pair_T(c, pairs, rate)
    expected = np.eye(int(c))
    for s, d in pairs.items():
        expected[s, s], expected[s, d] = 1 - r, r
    np.testing.assert_array_equal(P, expected)
    for make, size in (
        (lnc.mnist_asymmetric_T, 10),
        (lnc.cifar10_asymmetric_T, 10),
        (lnc.binary_asymmetric_T, 2),
        (lambda q: lnc.cifar100_asymmetric_T(q, grouping=grouping), 100),
    ):
        M = make(rate)
        assert M.shape == (size, size) and (M >= 0).all()
        assert np.abs(M.sum(axis=1) - 1).max() < 1e-12
    for M in (S, P):
        assert np.abs(M.sum(axis=1) - 1).max() < 1e-12
        np.testing.assert_array_equal(lnc.from_cleanlab(lnc.to_cleanlab(M)), M)
        np.testing.assert_array_equal(lnc.to_cleanlab(M), M.T)


@fuzz(150)
@given(data=st.data())
def test_bad_input_to_label_functions_is_refused_naming_the_argument(data):
    c = data.draw(st.integers(2, 5))
    T = data.draw(transition_matrices(c=c))
    labels = np.arange(6) % c
    bad_labels = st.one_of(
        JUNK,
        st.sampled_from(
            [
                labels.astype(np.float64),
                labels.astype(bool),
                labels.astype(np.complex64),
                labels.astype(np.float16),
                labels[None],
                labels[:, None],
                np.int64(1),
                np.array(1),
                torch.from_numpy(labels).double(),
                torch.from_numpy(labels).bool(),
                torch.from_numpy(labels).bfloat16(),
                [0.5, 1.0],
                [[0, 1], [1, 0]],
                (0, 1.5),
            ]
        ),
        st.builds(lambda v: np.array([0, v]), st.sampled_from([-1, c, 10**9, -(2**63)])),
        st.builds(lambda: np.array([2**64 - 1], dtype=np.uint64)),
    )
    which = data.draw(st.sampled_from(["labels", "T", "seed", "clean", "noisy", "num_classes", "shapes"]))
    if which == "labels":
        assert_rejects(lambda: lnc.corrupt_labels(data.draw(bad_labels), T, 0), "labels")
    elif which == "T":
        assert_rejects(lambda: lnc.corrupt_labels(labels, data.draw(bad_matrices(c)), 0), "T")
    elif which == "seed":
        bad = data.draw(
            st.one_of(
                st.integers(-(10**30), -1),
                st.floats(),
                st.text(max_size=2),
                st.booleans(),
                st.sampled_from([np.float64(1), np.random.RandomState(0), [1], (1,), {}]),
                st.builds(lambda: torch.Generator()),
            )
        )
        assert_rejects(lambda: lnc.corrupt_labels(labels, T, bad), "seed")
    elif which == "clean":
        assert_rejects(lambda: lnc.empirical_T(data.draw(bad_labels), labels, c), "clean")
    elif which == "noisy":
        assert_rejects(lambda: lnc.empirical_T(labels, data.draw(bad_labels), c), "noisy")
    elif which == "num_classes":
        bad = data.draw(st.one_of(BAD_INT_OPTION, st.integers(-5, 1), st.just(2**70), st.just(10**6)))
        assert_rejects(lambda: lnc.empirical_T(labels, labels, bad), "num_classes", "clean")
    else:  # different lengths, or a class without examples: never broadcast
        short = labels[: data.draw(st.integers(0, 5))]
        assert_rejects(lambda: lnc.empirical_T(labels, short, c), "clean", "noisy")


@fuzz(80)
@given(data=st.data())
def test_valid_corrupt_labels_is_seeded_in_range_and_follows_T(data):
    T = data.draw(st.one_of(transition_matrices(), pair_matrices()), label="T")
    c = T.shape[0]
    n = data.draw(st.integers(0, 60))
    seed = data.draw(st.one_of(st.integers(0, 2**63), st.sampled_from([np.int64(7), np.uint8(3)])))
    clean = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)), dtype=np.int64)
    kind = data.draw(st.sampled_from(["numpy", "torch", "list", "tuple"]))
    dtype = data.draw(st.sampled_from(INT_NUMPY if kind == "numpy" else INT_TORCH))
    labels = {
        "numpy": lambda: clean.astype(dtype),
        "torch": lambda: torch.from_numpy(clean).to(dtype),
        "list": clean.tolist,
        "tuple": lambda: tuple(clean.tolist()),
    }[kind]()
    T_in = as_kind(T, data.draw(T_KINDS))
    before = snapshot(labels, T_in)

    noisy = lnc.corrupt_labels(labels, T_in, seed)
    assert noisy.shape == (n,) and noisy.dtype == np.int64
    assert ((noisy >= 0) & (noisy < c)).all()
    T64 = as_float64(T_in)
    assert (T64[clean, noisy] > 0).all() if n else True  # a zero entry of T is never drawn
    np.testing.assert_array_equal(noisy, lnc.corrupt_labels(clean, T, seed))  # same seed
    np.testing.assert_array_equal(noisy, lnc.corrupt_labels(clean, T, np.random.default_rng(int(seed))))
    identity = np.eye(c, dtype=data.draw(st.sampled_from(INT_NUMPY + (np.float32, np.float64))))
    np.testing.assert_array_equal(lnc.corrupt_labels(clean, identity, seed), clean)
    assert_unchanged(before, labels, T_in)

    if n and set(clean.tolist()) == set(range(c)):
        E = lnc.empirical_T(clean, noisy, c)
        counts = np.zeros((c, c))
        for y, z in zip(clean, noisy):
            counts[y, z] += 1
        np.testing.assert_allclose(E, counts / counts.sum(axis=1, keepdims=True), rtol=0, atol=1e-15)
        assert np.abs(E.sum(axis=1) - 1).max() < 1e-12


@fuzz(60)
@given(data=st.data())
def test_bad_input_to_cleanlab_conversions_is_refused_naming_the_argument(data):
    c = data.draw(st.integers(2, 5))
    bad = data.draw(bad_matrices(c))
    assert_rejects(lambda: lnc.to_cleanlab(bad), "T")
    if not (
        isinstance(bad, np.ndarray)
        and bad.shape == (c, c)
        and bad.dtype.kind == "f"
        and np.isfinite(bad).all()
        and (bad >= 0).all()
        and np.abs(bad.sum(axis=0) - 1).max() <= 1e-6
    ):  # column-stochastic is what from_cleanlab takes
        assert_rejects(lambda: lnc.from_cleanlab(bad), "noise_matrix")


# ================================================================================================== estimation


@fuzz(100)
@given(data=st.data())
def test_bad_input_to_estimate_T_is_refused_naming_the_argument(data):
    c = data.draw(st.integers(2, 5))
    probs = np.full((6, c), 1.0 / c)
    which = data.draw(st.sampled_from(["shape", "dtype", "value", "logits", "junk", "quantile"]))
    if which == "shape":
        bad = np.full(data.draw(st.sampled_from([(), (c,), (0, c), (6, 1), (6, 0), (2, 6, c), (1, 1)])), 0.5)
    elif which == "dtype":
        bad = data.draw(
            st.sampled_from(
                [
                    probs.astype(np.complex128),
                    probs.astype(object),
                    probs.astype(str),
                    torch.from_numpy(probs).to(torch.complex64),
                    np.ma.masked_array(probs),
                ]
            )
        )
    elif which == "value":
        bad = probs.copy()
        bad[data.draw(st.integers(0, 5)), data.draw(st.integers(0, c - 1))] = data.draw(
            st.one_of(NON_FINITE, st.floats(-1e300, -1e-300))
        )
    elif which == "logits":
        bad = data.draw(hnp.arrays(np.float64, (6, c), elements=st.floats(-10, 10)))
        assume(np.abs(bad.sum(axis=1) - 1).max() > 1e-3 or (bad < 0).any())
    elif which == "junk":
        bad = data.draw(JUNK)
    else:
        quantile = data.draw(
            st.one_of(
                BAD_REAL_OPTION.filter(lambda v: v is not None),
                NON_FINITE,
                st.floats(1.0, 1e300),
                st.floats(-1e300, 0.0),
                st.integers(1, 100),
            )
        )
        assert_rejects(lambda: lnc.estimate_T(probs, quantile=quantile), "quantile")
        return
    assert_rejects(lambda: lnc.estimate_T(bad), "noisy_probs")


@ignore_fragile_warnings
@fuzz(50)
@given(data=st.data())
def test_valid_estimate_T_is_row_stochastic_and_exact_with_anchors(data):
    c = data.draw(st.integers(2, 6))
    T = data.draw(transition_matrices(c=c, well_conditioned=True))  # T[i, i] > T[k, i]: the anchors are the argmax
    seed = data.draw(st.integers(0, 2**32))
    n = data.draw(st.integers(0, 300))
    probs = simulation.anchored_posteriors(T, n, seed)
    kind = data.draw(st.sampled_from(["numpy", "torch", "float32"]))
    probs_in = {"numpy": probs, "torch": torch.from_numpy(probs), "float32": probs.astype(np.float32)}[kind]
    before = snapshot(probs_in)
    exact = lnc.estimate_T(probs_in, quantile=None)
    assert exact.shape == (c, c) and np.isfinite(exact).all() and (exact >= 0).all()
    assert np.abs(exact.sum(axis=1) - 1).max() < 1e-12
    assert np.abs(exact - T).max() < (1e-12 if kind != "float32" else 1e-6)
    quantile = data.draw(st.one_of(st.floats(0.01, 0.999), st.sampled_from([np.float64(0.97), np.float32(0.5)])))
    T_hat = lnc.estimate_T(probs_in, quantile=quantile)
    assert T_hat.shape == (c, c) and np.isfinite(T_hat).all() and (T_hat >= 0).all()
    assert np.abs(T_hat.sum(axis=1) - 1).max() < 1e-12
    for i in range(c):  # every row of T_hat is a row of probs, normalised
        row = T_hat[i]
        assert np.abs(probs / probs.sum(axis=1, keepdims=True) - row).max(axis=1).min() < 1e-6
    assert_unchanged(before, probs_in)


# ================================================================================================== metrics


@fuzz(120)
@given(data=st.data())
def test_bad_input_to_metrics_is_refused_naming_the_argument(data):
    c = data.draw(st.integers(2, 5))
    T = data.draw(transition_matrices(c=c))
    scores, labels = np.zeros((4, c)), np.arange(4) % c
    which = data.draw(st.sampled_from(["T_hat", "T", "mismatch", "cond", "flip", "scores", "labels", "nonfinite"]))
    if which == "T_hat":
        assert_rejects(lambda: lnc.estimation_error(data.draw(bad_matrices(c)), T), "T_hat")
    elif which == "T":
        assert_rejects(lambda: lnc.estimation_error(T, data.draw(bad_matrices(c))), "T")
    elif which == "mismatch":
        other = data.draw(transition_matrices(c=c + 1))
        assert_rejects(lambda: lnc.estimation_error(other, T), "T_hat")
    elif which == "cond":
        assert_rejects(lambda: lnc.condition_number(data.draw(bad_matrices(c))), "T")
    elif which == "flip":
        assert_rejects(lambda: lnc.metrics.flip_rate(data.draw(bad_matrices(c))), "T")
    elif which == "scores":
        bad = data.draw(
            st.one_of(
                JUNK,
                st.sampled_from(
                    [
                        np.zeros(()),
                        np.zeros(c),
                        np.zeros((0, c)),
                        np.zeros((4, 1)),
                        np.zeros((4, c, 1)),
                        scores.astype(np.complex64),
                        torch.zeros(4, c, dtype=torch.complex64),
                    ]
                ),
            )
        )
        assert_rejects(lambda: lnc.accuracy(bad, labels), "logits_or_probs")
    elif which == "labels":
        bad = data.draw(
            st.one_of(
                JUNK,
                st.sampled_from(
                    [
                        labels[:3],
                        np.append(labels, 0),
                        labels[None],
                        labels.astype(float),
                        labels.astype(bool),
                        labels - c,
                        labels + c,
                        torch.from_numpy(labels).float(),
                        torch.from_numpy(labels).bfloat16(),
                    ]
                ),
            )
        )
        assert_rejects(lambda: lnc.accuracy(scores, bad), "labels")
    else:
        bad = scores.copy()
        bad[data.draw(st.integers(0, 3)), data.draw(st.integers(0, c - 1))] = data.draw(NON_FINITE)
        kind = data.draw(st.sampled_from([lambda a: a, torch.from_numpy, lambda a: torch.from_numpy(a).half()]))
        assert_rejects(lambda: lnc.accuracy(kind(bad), labels), "logits_or_probs")


@fuzz(80)
@given(data=st.data())
def test_valid_metrics_match_a_loop(data):
    c = data.draw(st.integers(2, 6))
    T, T_hat = data.draw(transition_matrices(c=c)), data.draw(st.one_of(transition_matrices(c=c), pair_matrices(c=c)))
    T_in, T_hat_in = as_kind(T, data.draw(T_KINDS)), as_kind(T_hat, data.draw(T_KINDS))
    before = snapshot(T_in, T_hat_in)
    error = lnc.estimation_error(T_hat_in, T_in)
    a, b = as_float64(T_hat_in), as_float64(T_in)
    total = math.fsum(abs(a[i, j] - b[i, j]) for i in range(c) for j in range(c))
    assert isinstance(error, float) and abs(error - total / math.fsum(b.ravel())) < 1e-12
    # symmetric, as sum|T| = sum|T_hat| = c (within the 1e-6 that rows of a float32 T may be off by)
    assert abs(error - lnc.estimation_error(T_in, T_hat_in)) < 1e-5 and 0 <= error <= 2 + 1e-5
    assert lnc.estimation_error(T_in, T_in) == 0.0

    cond = lnc.condition_number(T_in)  # against the eigenvalues of T^T T (another routine)
    eig = np.linalg.eigvalsh(b.T @ b)
    if eig[0] > 1e-8 * eig[-1]:
        assert abs(cond - math.sqrt(eig[-1] / eig[0])) <= 1e-5 * cond
    assert cond >= 1.0 - 1e-12
    size = data.draw(st.sampled_from([2, 4, 8]))
    assert lnc.condition_number(np.full((size, size), 1.0 / size)) == math.inf  # rank one: inf on every CPU

    n = data.draw(st.integers(1, 30))
    scores = data.draw(hnp.arrays(np.float64, (n, c), elements=st.floats(-1e300, 1e300)))
    labels = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    kind = data.draw(
        st.sampled_from(["numpy", "int", "float32", "torch", "half", "bfloat16", "float8", "grad", "list"])
    )
    scores_in = {
        "numpy": lambda: scores,
        "int": lambda: np.clip(scores, -100, 100).astype(np.int64),
        "float32": lambda: np.clip(scores, -1e38, 1e38).astype(np.float32),
        "torch": lambda: torch.from_numpy(scores),
        "half": lambda: torch.from_numpy(scores.clip(-6e4, 6e4)).half(),
        "bfloat16": lambda: torch.from_numpy(scores.clip(-1e38, 1e38)).bfloat16(),
        "float8": lambda: torch.from_numpy(scores.clip(-400, 400)).to(torch.float8_e4m3fn),
        "grad": lambda: torch.tensor(scores, requires_grad=True),
        "list": scores.tolist,
    }[kind]()
    labels_in = data.draw(st.sampled_from([labels, torch.from_numpy(labels), labels.tolist(), labels.astype(np.uint8)]))
    before += snapshot(scores_in, labels_in)
    seen = scores_in.detach().double().numpy() if isinstance(scores_in, torch.Tensor) else np.asarray(scores_in, float)
    hits = 0
    for k in range(n):  # the first maximum, as argmax
        row = seen[k].tolist()
        hits += row.index(max(row)) == labels[k]
    assert lnc.accuracy(scores_in, labels_in) == hits / n
    assert_unchanged(before, T_in, T_hat_in, scores_in, labels_in)


# ================================================================================================== meta tensors


@fuzz(60)
@given(data=st.data())
def test_bad_meta_tensors_are_refused_naming_the_argument(data):
    """A ``meta`` tensor has a shape and a dtype but no values: every function of the maths core refuses it with a
    TypeError naming the argument, in every loss form and checks mode."""
    c, n = data.draw(st.integers(2, 4)), data.draw(st.integers(1, 4))
    T = data.draw(transition_matrices(c=c, well_conditioned=True))
    logits = torch.zeros(n, c, dtype=data.draw(st.sampled_from(FLOAT_TORCH)))
    targets, probs = torch.arange(n) % c, torch.full((n, c), 1.0 / c, dtype=torch.float64)
    loss = data.draw(st.sampled_from(lnc.losses.LOSS_NAMES))
    checks = data.draw(st.sampled_from(["auto", "eager", "deferred"]))
    module = lnc.make_loss(loss, T=T if loss in lnc.losses.CORRECTIONS else None, checks=checks)

    def meta(x):
        return torch.as_tensor(x).to("meta")

    name, call = data.draw(
        st.sampled_from(
            [
                ("logits", lambda: lnc.forward_loss(meta(logits), targets, T)),
                ("targets", lambda: lnc.backward_loss(logits, meta(targets), T)),
                ("T", lambda: lnc.forward_loss(logits, targets, meta(T))),
                ("T", lambda: lnc.BackwardCorrectedLoss(meta(T))),
                ("logits", lambda: module(meta(logits), meta(targets))),
                ("targets", lambda: module(logits, meta(targets))),
                ("logits_or_probs", lambda: lnc.accuracy(meta(logits), targets)),
                ("labels", lambda: lnc.accuracy(logits, meta(targets))),
                ("T_hat", lambda: lnc.estimation_error(meta(T), T)),
                ("T", lambda: lnc.condition_number(meta(T))),
                ("noisy_probs", lambda: lnc.estimate_T(meta(probs))),
                ("noisy_labels", lambda: lnc.estimate_T(probs, meta(targets), method="confident_joint")),
                ("labels", lambda: lnc.corrupt_labels(meta(targets), T, 0)),
                ("clean", lambda: lnc.empirical_T(meta(targets), targets, c)),
                ("T", lambda: lnc.to_cleanlab(meta(T))),
                ("noise_matrix", lambda: lnc.from_cleanlab(meta(T.T.copy()))),
            ]
        )
    )
    with pytest.raises(TypeError, match=rf"^{name} must be on a device with data \(cpu or cuda\), got a 'meta' tensor"):
        call()


# ================================================================================================== risk


@fuzz(80)
@given(data=st.data())
def test_bad_input_to_risk_is_refused_naming_the_argument(data):
    c = data.draw(st.integers(2, 4))
    ce = lnc.make_loss("ce", reduction="none")
    h, probs = torch.zeros(c, dtype=torch.float64), np.full(c, 1.0 / c)
    which = data.draw(st.sampled_from(["loss", "logits", "label_probs", "mean_loss", "max_iter"]))
    minimise = data.draw(st.booleans())
    if which == "loss":
        bad = data.draw(st.one_of(JUNK, st.integers(), st.sampled_from(["ce", np.eye(c)])))
        call = (
            (lambda: risk.minimise_conditional_risk(bad, probs))
            if minimise
            else (lambda: risk.conditional_risk(bad, h, probs))
        )
        assert_rejects(call, "loss")
    elif which == "logits":
        bad = data.draw(
            st.one_of(
                JUNK,
                st.sampled_from(
                    [h.numpy(), h.tolist(), h.long(), torch.tensor(0.0), h[None], h[:1], torch.zeros(c, 1)]
                ),
            )
        )
        assert_rejects(lambda: risk.conditional_risk(ce, bad, probs), "logits")
    elif which == "label_probs":
        bad = data.draw(
            st.one_of(
                JUNK,
                st.sampled_from(
                    [
                        probs[None],
                        probs[:1],
                        np.append(probs, 0.0),
                        np.float64(1.0),
                        probs * 2,
                        -probs,
                        probs.astype(np.complex64),
                        [0.5, "a"],
                        np.ma.masked_array(probs),
                    ]
                ),
                st.builds(lambda v: np.where(np.arange(c) == 0, v, probs), NON_FINITE),
            )
        )
        if minimise:  # c + 1 classes are fine when no logits fix c
            assume(not (isinstance(bad, np.ndarray) and bad.shape == (c + 1,)))
            assert_rejects(lambda: risk.minimise_conditional_risk(ce, bad), "label_probs")
        else:
            assert_rejects(lambda: risk.conditional_risk(ce, h, bad), "label_probs")
    elif which == "mean_loss":  # a loss reduced to a scalar has no value per label
        mean = lnc.make_loss(data.draw(st.sampled_from(BASELINES)))
        call = (
            (lambda: risk.minimise_conditional_risk(mean, probs))
            if minimise
            else (lambda: risk.conditional_risk(mean, h, probs))
        )
        assert_rejects(call, "loss")
    else:
        bad = data.draw(st.one_of(BAD_INT_OPTION, st.integers(-10, 0)))
        assert_rejects(lambda: risk.minimise_conditional_risk(ce, probs, max_iter=bad), "max_iter")


@fuzz(25)
@given(data=st.data())
def test_valid_conditional_risk_matches_a_loop_and_ce_is_minimised_by_the_label_distribution(data):
    c = data.draw(st.integers(2, 4))
    raw = data.draw(hnp.arrays(np.float64, c, elements=st.floats(0.05, 1.0)))
    probs = raw / raw.sum()
    T = data.draw(transition_matrices(c=c, well_conditioned=True))
    h = torch.from_numpy(data.draw(hnp.arrays(np.float64, c, elements=st.floats(-20, 20))))
    loss = data.draw(st.sampled_from(["ce", "forward", "backward"]))
    fn = lnc.make_loss(loss, T=None if loss == "ce" else T, reduction="none")
    kind = data.draw(st.sampled_from([probs, probs.tolist(), torch.from_numpy(probs)]))
    before = snapshot(h, kind)
    value = risk.conditional_risk(fn, h, kind)
    expected = math.fsum(probs[j] * fn(h[None], torch.tensor([j])).item() for j in range(c))
    assert value.shape == () and abs(value.item() - expected) < 1e-9 * (1 + abs(expected))
    minimiser = risk.minimise_conditional_risk(lnc.make_loss("ce", reduction="none"), kind)
    assert minimiser.shape == (c,) and np.abs(minimiser - probs).max() < 1e-6
    assert_unchanged(before, h, kind)


# ================================================================================================== simulation


@fuzz(80)
@given(data=st.data())
def test_bad_input_to_simulations_is_refused_naming_the_argument(data):
    T = lnc.pair_T(3, {0: 1, 1: 2}, 0.3)
    make = data.draw(st.sampled_from(["anchored", "outliers", "peaked"]))
    call = {
        "anchored": lambda T=T, n=5, seed=0, **kw: simulation.anchored_posteriors(T, n, seed),
        "outliers": lambda T=T, n=5, seed=0, **kw: simulation.posteriors_with_outliers(T, n, seed, **kw),
        "peaked": lambda T=T, n=5, seed=0, peakedness=2.0: simulation.peaked_posteriors(T, n, peakedness, seed),
    }
    which = data.draw(st.sampled_from(["T", "num_examples", "seed"] + ["option"] * (make != "anchored")))
    if which == "T":
        assert_rejects(lambda: call[make](T=data.draw(bad_matrices(3))), "T")
    elif which == "num_examples":
        bad = data.draw(st.one_of(BAD_INT_OPTION, st.integers(-(10**20), -1)))
        assert_rejects(lambda: call[make](n=bad), "num_examples")
    elif which == "seed":
        bad = data.draw(
            st.one_of(
                st.integers(-(10**20), -1),
                st.floats(),
                st.text(max_size=2),
                st.sampled_from([np.random.RandomState(0), [0]]),
            )
        )
        assert_rejects(lambda: call[make](seed=bad), "seed")
    elif make == "peaked":
        bad = data.draw(st.one_of(BAD_REAL_OPTION, NON_FINITE, st.floats(-1e300, 0.0)))
        assert_rejects(lambda: call[make](peakedness=bad), "peakedness")
    else:
        option = data.draw(st.sampled_from(["outlier_fraction", "near_anchor_fraction"]))
        bad = data.draw(
            st.one_of(
                BAD_REAL_OPTION,
                NON_FINITE,
                st.floats(1.0, 1e300, exclude_min=True),
                st.floats(-1e300, 0.0, exclude_max=True),
            )
        )
        assert_rejects(lambda: call[make](**{option: bad}), option)


@fuzz(40)
@given(data=st.data())
def test_valid_simulations_are_seeded_noisy_posteriors(data):
    T = data.draw(st.one_of(transition_matrices(), pair_matrices(c=data.draw(st.integers(2, 6)))))
    c = T.shape[0]
    n = data.draw(st.integers(0, 50))
    seed = data.draw(st.integers(0, 2**32))
    make = data.draw(st.sampled_from(["anchored", "outliers", "peaked"]))
    fraction = data.draw(st.floats(0.0, 1.0))
    peakedness = data.draw(st.floats(1e-3, 1e3))
    T_in = as_kind(T, data.draw(T_KINDS))
    before = snapshot(T_in)

    def draw(s):
        if make == "anchored":
            return simulation.anchored_posteriors(T_in, n, s)
        if make == "outliers":
            return simulation.posteriors_with_outliers(
                T_in, n, s, outlier_fraction=fraction, near_anchor_fraction=1 - fraction
            )
        return simulation.peaked_posteriors(T_in, n, peakedness, s)

    probs = draw(seed)
    rows = {"anchored": n + c, "outliers": c * (int((1 - fraction) * n) + int(fraction * n)) + n, "peaked": n}[make]
    assert probs.shape == (rows, c) and np.isfinite(probs).all() and (probs >= 0).all()
    if rows:  # T's rows sum to 1 within 1e-6 (float32)
        assert np.abs(probs.sum(axis=1) - 1).max() < 2e-6
    np.testing.assert_array_equal(probs, draw(seed))
    np.testing.assert_array_equal(probs, draw(np.random.default_rng(seed)))
    assert_unchanged(before, T_in)


@fuzz(60)
@given(data=st.data())
def test_bad_input_to_scattered_posteriors_and_sample_labels_is_refused_naming_the_argument(data):
    T = lnc.pair_T(3, {0: 1, 1: 2}, 0.3)
    which = data.draw(st.sampled_from(["T", "num_examples", "seed", "low", "high", "order", "posteriors", "draw_seed"]))
    bad_rate = st.one_of(
        BAD_REAL_OPTION, NON_FINITE, st.floats(1.0, 1e300, exclude_min=True), st.floats(-1e300, 0.0, exclude_max=True)
    )
    if which == "T":
        assert_rejects(lambda: simulation.scattered_posteriors(data.draw(bad_matrices(3)), 5, 0), "T")
    elif which == "num_examples":
        bad = data.draw(st.one_of(BAD_INT_OPTION, st.integers(-(10**20), -1)))
        assert_rejects(lambda: simulation.scattered_posteriors(T, bad, 0), "num_examples")
    elif which in ("seed", "draw_seed"):
        bad = data.draw(
            st.one_of(st.integers(-(10**20), -1), st.floats(), st.text(max_size=2), st.sampled_from([[0], True]))
        )
        call = (
            (lambda: simulation.scattered_posteriors(T, 5, bad))
            if which == "seed"
            else (lambda: simulation.sample_labels(np.full((2, 3), 1 / 3), bad))
        )
        assert_rejects(call, "seed")
    elif which in ("low", "high"):
        assert_rejects(lambda: simulation.scattered_posteriors(T, 5, 0, **{which: data.draw(bad_rate)}), which)
    elif which == "order":
        low = data.draw(st.floats(0.0, 1.0, exclude_min=True))
        high = data.draw(st.floats(0.0, low, exclude_max=True))
        assert_rejects(lambda: simulation.scattered_posteriors(T, 5, 0, low=low, high=high), "low")
    else:
        bad = data.draw(
            st.one_of(
                JUNK,
                st.sampled_from([np.zeros((0, 3)), np.full(3, 1 / 3), np.full((2, 1), 1.0), np.eye(3) * 2, -np.eye(3)]),
                st.builds(lambda v: np.where(np.eye(3, dtype=bool), v, 0.0), NON_FINITE),
            )
        )
        assert_rejects(lambda: simulation.sample_labels(bad, 0), "posteriors")


@fuzz(40)
@given(data=st.data())
def test_valid_scattered_posteriors_mix_two_classes_and_sample_labels_follows_them(data):
    T = data.draw(st.one_of(transition_matrices(), pair_matrices(c=data.draw(st.integers(2, 6)))))
    c, n, seed = T.shape[0], data.draw(st.integers(0, 40)), data.draw(st.integers(0, 2**32))
    low = data.draw(st.floats(0.0, 1.0))
    high = data.draw(st.floats(low, 1.0))
    T_in = as_kind(T, data.draw(T_KINDS))
    before = snapshot(T_in)
    clean, noisy = simulation.scattered_posteriors(T_in, n, seed, low=low, high=high)
    assert clean.shape == noisy.shape == (n, c) and np.isfinite(noisy).all()
    for row in np.sort(clean, axis=1):  # w on one class, 1 - w on another, w in [low, high]; 0 elsewhere
        assert abs(row[-2:].sum() - 1) < 1e-12 and not row[:-2].any()
        assert any(low - 1e-12 <= w <= high + 1e-12 for w in row[-2:])
    T64 = as_float64(T_in)
    loop = [[math.fsum(row[i] * T64[i, j] for i in range(c)) for j in range(c)] for row in clean]
    np.testing.assert_allclose(noisy, np.reshape(loop, (n, c)), rtol=0, atol=1e-12)
    same = simulation.scattered_posteriors(T_in, n, np.random.default_rng(seed), low=low, high=high)
    np.testing.assert_array_equal(noisy, same[1])
    assert_unchanged(before, T_in)

    probs = data.draw(hnp.arrays(np.float64, (data.draw(st.integers(1, 30)), c), elements=st.floats(0.0, 1.0)))
    assume((probs.sum(axis=1) > 0).all())
    probs /= probs.sum(axis=1, keepdims=True)
    labels = simulation.sample_labels(probs, seed)
    assert labels.shape == (len(probs),) and labels.dtype == np.int64
    assert (probs[np.arange(len(probs)), labels] > 0).all()  # a class of probability 0 is never drawn
    np.testing.assert_array_equal(labels, simulation.sample_labels(probs, np.random.default_rng(seed)))
    np.testing.assert_array_equal(simulation.sample_labels(np.eye(c)[labels], seed), labels)  # one-hot: that class


# ================================================================================================== curvature


@fuzz(60)
@given(data=st.data())
def test_bad_input_to_curvature_is_refused_naming_the_argument(data):
    ce = lnc.make_loss("ce")
    h = torch.zeros(3, dtype=torch.float64)
    net = models.mlp([2, 3]).double()
    x, y = torch.zeros(4, 2, dtype=torch.float64), torch.tensor([0, 1, 2, 0])
    which = data.draw(
        st.sampled_from(["loss", "logits", "target", "model", "inputs", "vector_loss", "blocks", "layers", "gaps"])
    )
    if which == "loss":
        bad = data.draw(st.one_of(JUNK, st.integers()))
        call = data.draw(
            st.sampled_from(
                [lambda: curvature.logit_hessian(bad, h, 0), lambda: curvature.full_hessian(net, bad, x, y)]
            )
        )
        assert_rejects(call, "loss")
    elif which == "logits":
        bad = data.draw(st.one_of(JUNK, st.sampled_from([h.numpy(), h.long(), h[None], torch.tensor(0.0), h[:1]])))
        assert_rejects(lambda: curvature.logit_hessian(ce, bad, 0), "logits")
    elif which == "target":
        bad = data.draw(
            st.one_of(
                BAD_INT_OPTION,
                st.integers(-(10**20), -1),
                st.integers(3, 10**20),
                st.sampled_from([torch.tensor(0.0), torch.tensor([0]), np.float64(1)]),
            )
        )
        assert_rejects(lambda: curvature.logit_hessian(ce, h, bad), "target")
    elif which == "model":
        bad = data.draw(st.one_of(JUNK, st.builds(lambda: net.state_dict()), st.just(lnc.make_loss)))
        call = data.draw(
            st.sampled_from([curvature.full_hessian, curvature.layer_hessian, curvature.parameter_hessian])
        )
        assert_rejects(lambda: call(bad, ce, x, y), "model")
        assert_rejects(lambda: curvature.layers_of(bad), "model")
    elif which == "inputs":
        bad = data.draw(
            st.one_of(
                JUNK,
                st.sampled_from(
                    [x.numpy(), torch.zeros(4, 3, dtype=torch.float64), torch.zeros(4, 2, 1, dtype=torch.float64)]
                ),
            )
        )
        assert_rejects(lambda: curvature.full_hessian(net, ce, bad, y), "inputs")
    elif which == "vector_loss":
        none = lnc.make_loss(data.draw(st.sampled_from(BASELINES)), reduction="none")
        assert_rejects(lambda: curvature.full_hessian(net, none, x, y), "loss")
    elif which == "blocks":
        bad = data.draw(st.one_of(JUNK.filter(lambda v: not isinstance(v, dict)), st.builds(dict)))
        assert_rejects(lambda: curvature.layer_blocks(bad, {"0": ["0.weight"]}), "blocks")
    elif which == "gaps":  # no layer_hessian result of the network: never broadcast, never NaN
        blocks = curvature.layer_hessian(net, ce, x, y)
        key = data.draw(st.sampled_from(sorted(blocks)))
        bad = data.draw(
            st.one_of(
                JUNK.filter(lambda v: not isinstance(v, dict)),
                st.just({}),
                st.just({k: v for k, v in blocks.items() if k != key}),  # a pair missing
                st.just({**blocks, key: blocks[key][:1]}),  # another shape: it would broadcast
                st.just({**blocks, key: blocks[key] * math.nan}),
                st.just({**blocks, key: blocks[key].numpy()}),
                st.just({**blocks, key: blocks[key].long()}),
                st.just({**blocks, "0": blocks[key]}),  # a key that is no pair
            )
        )
        first = data.draw(st.booleans())
        call = (lambda: curvature.block_gaps(bad, blocks)) if first else (lambda: curvature.block_gaps(blocks, bad))
        assert_rejects(call, "blocks_a" if first else "blocks_b")
    else:
        blocks = curvature.parameter_hessian(net, ce, x, y)
        bad = data.draw(
            st.one_of(
                JUNK.filter(lambda v: not isinstance(v, dict)),
                st.sampled_from([{"0": "0.weight"}, {"0": None}, {"0": ["1.weight"]}]),
            )
        )
        assert_rejects(lambda: curvature.layer_blocks(blocks, bad), "layers", "blocks")


@fuzz(20)
@given(data=st.data())
def test_valid_logit_hessian_is_the_softmax_covariance_and_full_hessian_is_symmetric(data):
    c = data.draw(st.integers(2, 5))
    h = torch.from_numpy(data.draw(hnp.arrays(np.float64, c, elements=st.floats(-30, 30))))
    T = data.draw(transition_matrices(c=c, well_conditioned=True))
    name = data.draw(st.sampled_from(["ce", "backward"]))
    target = data.draw(
        st.one_of(
            st.integers(0, c - 1),
            st.builds(np.int64, st.integers(0, c - 1)),
            st.builds(torch.tensor, st.integers(0, c - 1)),
        )
    )
    reduction = data.draw(st.sampled_from(["mean", "sum", "none"]))
    loss = lnc.make_loss(name, T=T if name == "backward" else None, reduction=reduction)
    before = snapshot(h)
    H = curvature.logit_hessian(loss, h, target)
    p = np.array([float(mpmath.exp(v)) for v in mp_log_softmax(h.tolist())])
    assert H.shape == (c, c)
    np.testing.assert_allclose(H.numpy(), np.diag(p) - np.outer(p, p), rtol=0, atol=1e-10)
    assert_unchanged(before, h)

    sizes = [data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)), c]
    net = models.mlp(sizes, activation="tanh").double()
    x = torch.from_numpy(data.draw(hnp.arrays(np.float64, (3, sizes[0]), elements=st.floats(-3, 3))))
    y = torch.tensor(data.draw(st.lists(st.integers(0, c - 1), min_size=3, max_size=3)))
    full = curvature.full_hessian(net, lnc.make_loss("ce"), x, y)
    count = models.count_parameters(net)
    assert full.shape == (count, count) and torch.isfinite(full).all()
    assert (full - full.T).abs().max() < 1e-10
    blocks = curvature.layer_hessian(net, lnc.make_loss("ce"), x, y)
    assert set(blocks) == {(a, b) for a in ("0", "2") for b in ("0", "2")}
    assert curvature.block_gaps(blocks, blocks) == (0.0, 0.0)
    key, step = data.draw(st.sampled_from(sorted(blocks))), data.draw(st.floats(1e-3, 10.0))
    moved = {k: v.clone() for k, v in blocks.items()}
    moved[key][0, 0] += step  # one entry moved by step: the gap of its kind of block
    diagonal, cross = curvature.block_gaps(blocks, moved)
    assert abs((diagonal if key[0] == key[1] else cross) - step) <= 1e-9 * (1 + step)
    assert (cross if key[0] == key[1] else diagonal) == 0.0


# ================================================================================================== figures


def _figure(columns):
    """A matplotlib figure (Agg: nothing shown) and its ``columns`` axes, in one row."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, columns, squeeze=False)
    return fig, list(axes[0])


def _close(fig):
    import matplotlib.pyplot as plt

    plt.close(fig)


def _curves(draw, length):
    """Per-epoch curves of ``length`` epochs, ``None`` for a diverged epoch (stored JSON has no NaN)."""
    loss = draw(st.lists(st.one_of(st.floats(-1e6, 1e6), st.none()), min_size=length, max_size=length))
    accuracy = draw(st.lists(st.one_of(st.floats(0.0, 1.0), st.none()), min_size=length, max_size=length))
    return {"train_loss": loss, "val_accuracy": accuracy}


@fuzz(100)
@given(data=st.data())
def test_bad_input_to_figures_is_refused_naming_the_argument(data):
    """Nothing is drawn from a NaN, a matrix of another shape, or records without their curves (past bug:
    ``show_T`` drew a T holding NaN; ``show_estimate`` broadcast ``T̂ - T`` of two shapes)."""
    fig, axes = _figure(3)
    try:
        c = data.draw(st.integers(2, 4))
        T = data.draw(transition_matrices(c=c))
        run = {"method": "ce", "noise": "a", "curves": _curves(data.draw, 2)}
        which = data.draw(
            st.sampled_from(
                ["ax", "T", "nonfinite", "title", "vmax", "cmap", "fig", "axes", "estimate", "T_hat", "mismatch"]
                + ["label", "records", "record", "key", "width", "points", "triangles"]
            )
        )
        if which == "ax":
            bad = data.draw(st.one_of(JUNK, st.just(fig), st.just(axes)))
            assert_rejects(lambda: plots.show_T(bad, T, "T"), "ax")
        elif which == "T":  # any finite (c, c) matrix is drawn, a difference too; not another shape or type
            bad = data.draw(
                st.one_of(
                    JUNK,
                    st.sampled_from(
                        [np.zeros(c), np.zeros((c, c + 1)), np.eye(1), np.zeros((0, 0)), np.zeros((2, c, c)), 0.5]
                    ),
                    st.builds(lambda: T.astype(np.complex64)),
                )
            )
            assert_rejects(lambda: plots.show_T(axes[0], bad, "T"), "T")
        elif which == "nonfinite":
            bad = T.copy()
            bad[data.draw(st.integers(0, c - 1)), data.draw(st.integers(0, c - 1))] = data.draw(NON_FINITE)
            kind = data.draw(st.sampled_from([lambda a: a, torch.from_numpy, lambda a: a.tolist()]))
            assert_rejects(lambda: plots.show_T(axes[0], kind(bad), "T", cmap="coolwarm"), "T")
        elif which == "title":
            assert_rejects(lambda: plots.show_T(axes[0], T, data.draw(NOT_STR)), "title")
        elif which == "vmax":
            bad = data.draw(st.one_of(BAD_REAL_OPTION, NON_FINITE, st.floats(-1e300, 0.0)))
            assert_rejects(lambda: plots.show_T(axes[0], T, "T", vmax=bad), "vmax")
        elif which == "cmap":
            bad = data.draw(st.one_of(NOT_STR, st.sampled_from(["Viridis", "nope", ""])))
            assert_rejects(lambda: plots.show_T(axes[0], T, "T", cmap=bad), "cmap")
        elif which == "fig":
            bad = data.draw(st.one_of(JUNK, st.just(axes[0])))
            assert_rejects(lambda: plots.show_estimate(bad, axes, T, T, "x"), "fig")
        elif which == "axes":  # two axes would draw two panels of three
            bad = data.draw(st.one_of(JUNK, st.just(axes[:2]), st.just([fig] * 3), st.just(axes[0])))
            assert_rejects(lambda: plots.show_estimate(fig, bad, T, T, "x"), "axes")
        elif which == "estimate":
            assert_rejects(lambda: plots.show_estimate(fig, axes, data.draw(bad_matrices(c)), T, "x"), "T")
        elif which == "T_hat":
            assert_rejects(lambda: plots.show_estimate(fig, axes, T, data.draw(bad_matrices(c)), "x"), "T_hat")
        elif which == "mismatch":  # T̂ - T would broadcast
            other = data.draw(transition_matrices(c=c + 1))
            assert_rejects(lambda: plots.show_estimate(fig, axes, T, other, "x"), "T_hat")
        elif which == "label":
            assert_rejects(lambda: plots.show_estimate(fig, axes, T, T, data.draw(NOT_STR)), "label")
        elif which == "records":
            bad = data.draw(st.one_of(st.none(), st.text(max_size=3), st.just([]), st.just(run), st.integers()))
            assert_rejects(lambda: plots.training_curves(bad, key=lambda r: r["noise"]), "records")
        elif which == "record":
            curves = run["curves"]
            bad = data.draw(
                st.sampled_from(
                    [
                        None,
                        {"noise": "a", "curves": curves},
                        {"method": "ce", "noise": "a"},
                        {"method": 3, "noise": "a", "curves": curves},
                        {"method": "ce", "noise": "a", "curves": None},
                        {"method": "ce", "noise": "a", "curves": {"train_loss": [1.0]}},
                        {"method": "ce", "noise": "a", "curves": {"train_loss": [], "val_accuracy": []}},
                        {"method": "ce", "noise": "a", "curves": {"train_loss": [1.0, 2.0], "val_accuracy": [0.5]}},
                        {"method": "ce", "noise": "a", "curves": {"train_loss": [math.nan], "val_accuracy": [0.5]}},
                        {"method": "ce", "noise": "a", "curves": {"train_loss": ["1"], "val_accuracy": [0.5]}},
                        {"method": "ce", "noise": "a", "curves": {"train_loss": [1.0], "val_accuracy": [50.0]}},
                        {"method": "ce", "noise": "a", "curves": {"train_loss": "1", "val_accuracy": [0.5]}},
                    ]
                )
            )
            assert_rejects(lambda: plots.training_curves([run, bad], key=lambda r: r["noise"]), "records[1]")
        elif which == "key":  # a key of no str would title a row with a list
            bad = data.draw(st.one_of(NOT_STR, st.sampled_from([lambda r: 1, lambda r: None, lambda r: [r["noise"]]])))
            assert_rejects(lambda: plots.training_curves([run], key=bad), "key", "key(records[0])")
        elif which == "width":
            bad = data.draw(st.one_of(BAD_REAL_OPTION, NON_FINITE, st.floats(-1e300, 0.0)))
            assert_rejects(lambda: plots.training_curves([run], key=lambda r: "a", width=bad), "width")
        elif which == "points":
            points = np.full((4, 3), 1 / 3)
            bad = data.draw(
                st.one_of(
                    JUNK,
                    st.sampled_from(
                        [np.full((4, 2), 0.5), np.full((4, 4), 0.25), np.zeros((0, 3)), -points, 2 * points, points[0]]
                    ),
                    st.builds(lambda v: np.where(np.eye(4, 3, dtype=bool), v, points), NON_FINITE),
                )
            )
            assert_rejects(lambda: plots.simplex_view(axes[0], bad, {"T": T}, "t"), "points")
        else:
            T3 = data.draw(transition_matrices(c=3))
            bad = data.draw(
                st.one_of(
                    JUNK.filter(lambda v: not isinstance(v, dict)),
                    st.just([T3]),
                    st.builds(lambda m: {"T": m}, bad_matrices(3)),
                    st.builds(lambda m: {"T": m}, transition_matrices(c=4)),
                    st.just({3: T3}),
                )
            )
            assert_rejects(lambda: plots.simplex_view(axes[0], np.full((2, 3), 1 / 3), bad, "t"), "triangles")
    finally:
        _close(fig)


@fuzz(30)
@given(data=st.data())
def test_valid_figures_draw_the_values_they_are_given(data):
    fig, axes = _figure(3)
    try:
        c = data.draw(st.integers(2, 5))
        T, T_hat = (
            data.draw(transition_matrices(c=c)),
            data.draw(st.one_of(transition_matrices(c=c), pair_matrices(c=c))),
        )
        T_in, T_hat_in = as_kind(T, data.draw(T_KINDS)), as_kind(T_hat, data.draw(T_KINDS))
        before = snapshot(T_in, T_hat_in)
        vmax, cmap = data.draw(st.floats(1e-3, 10.0)), data.draw(st.sampled_from(["viridis", "coolwarm", "Greys"]))
        image = plots.show_T(axes[0], T_in, "T", vmax=vmax, cmap=cmap)
        np.testing.assert_array_equal(image.get_array(), as_float64(T_in))  # rows clean, columns noisy
        assert image.get_clim() == ((-vmax if cmap == "coolwarm" else 0.0), vmax)
        plots.show_estimate(fig, axes, T_in, T_hat_in, "x")
        drawn = [ax.get_images()[-1].get_array() for ax in axes]
        for got, expected in zip(
            drawn, (as_float64(T_in), as_float64(T_hat_in), as_float64(T_hat_in) - as_float64(T_in))
        ):
            np.testing.assert_array_equal(got, expected)
        points = data.draw(hnp.arrays(np.float64, (data.draw(st.integers(1, 6)), 3), elements=st.floats(0.01, 1.0)))
        points /= points.sum(axis=1, keepdims=True)
        plots.simplex_view(axes[0], points, {"T": T_in} if c == 3 else {}, "t")
        x, y = points[:, 1] + points[:, 2] / 2, points[:, 2] * math.sqrt(3) / 2  # class k at corner k
        np.testing.assert_allclose(axes[0].collections[-1].get_offsets(), np.stack([x, y], axis=1), atol=1e-12)
        assert_unchanged(before, T_in, T_hat_in)
    finally:
        _close(fig)
    records = [
        {"method": data.draw(st.sampled_from(["ce", "forward", "mystery"])), "noise": noise, "curves": curves}
        for noise in data.draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=4))
        for curves in [_curves(data.draw, data.draw(st.integers(1, 5)))]
    ]
    fig = plots.training_curves(records, key=lambda r: r["noise"], width=data.draw(st.floats(2.0, 12.0)))
    try:
        keys = list(dict.fromkeys(r["noise"] for r in records))
        assert len(fig.axes) == 2 * len(keys)
        for k, key in enumerate(keys):  # a line per run, and the zero line on the loss axis
            runs = sum(r["noise"] == key for r in records)
            assert len(fig.axes[2 * k].lines) == runs and len(fig.axes[2 * k + 1].lines) == runs + 1
    finally:
        _close(fig)


# ================================================================================================== models


MODEL_OPTIONS = {
    "mnist_fc": {"num_classes": "class", "hidden": "sizes", "dropout": "dropout", "bounded": "bool"},
    "imdb_fc": {
        "num_words": "positive",
        "maxlen": "positive",
        "embed_dim": "positive",
        "dropout": "dropout",
        "num_classes": "class",
        "bounded": "bool",
    },
    "imdb_lstm": {
        "num_words": "positive",
        "embed_dim": "positive",
        "hidden": "positive",
        "dense": "positive",
        "dropout": "dropout",
        "num_classes": "class",
        "bounded": "bool",
    },
    "cifar_resnet": {"n": "positive", "num_classes": "class", "widths": "sizes", "bounded": "bool"},
    "preact_resnet34": {"num_classes": "class", "bounded": "bool"},
    "resnet50": {"num_classes": "class", "bounded": "bool"},
    "fast_net": {"num_classes": "class", "widths": "sizes", "bounded": "bool"},
}


@fuzz(120)
@given(data=st.data())
def test_bad_model_configurations_are_refused_naming_the_argument(data):
    name = data.draw(st.sampled_from(list(MODEL_OPTIONS)))
    which = data.draw(st.sampled_from(["model", "unknown"] + list(MODEL_OPTIONS[name])))
    if which == "model":
        bad = data.draw(st.one_of(JUNK, st.text(max_size=6), st.sampled_from(["MNIST_FC", "vgg", ["mnist_fc"]])))
        assume(bad not in models.MODELS if isinstance(bad, str) else True)
        assert_rejects(lambda: models.build_model(bad), "model")
        return
    if which == "unknown":
        option = data.draw(st.sampled_from(["foo", "num_class", "T", "depth"]))
        assert_rejects(lambda: models.build_model(name, **{option: 1}), option)
        return
    kind = MODEL_OPTIONS[name][which]
    bad = data.draw(
        {
            "class": st.one_of(BAD_INT_OPTION, st.integers(-(10**20), 1)),
            "positive": st.one_of(BAD_INT_OPTION, st.integers(-(10**20), 0)),
            "sizes": st.one_of(
                st.none(),
                st.text(max_size=3),
                st.integers(),
                st.builds(dict),
                st.lists(
                    st.one_of(st.integers(-5, 0), st.floats(0.5, 3), st.none(), st.booleans()), min_size=1, max_size=3
                ),
            ),
            "dropout": st.one_of(
                BAD_REAL_OPTION, NON_FINITE, st.floats(1.0, 1e300), st.floats(-1e300, 0.0, exclude_max=True)
            ),
            "bool": st.one_of(st.none(), st.integers(), st.text(max_size=3), st.floats(), st.builds(list)),
        }[kind]
    )
    if kind == "sizes" and which == "hidden" and isinstance(bad, list):
        assume(bad)  # an empty hidden list is a valid (linear) network
    kwargs = (
        {"n": 1, "widths": (2, 2, 2)}
        if name == "cifar_resnet"
        else {"num_words": 5, "embed_dim": 2, "hidden": 2, "dense": 2}
        if name == "imdb_lstm"
        else {}
    )
    kwargs[which] = bad
    assert_rejects(lambda: models.build_model(name, **kwargs), which)


@fuzz(30)
@given(data=st.data())
def test_valid_small_models_map_inputs_to_logits(data):
    name = data.draw(st.sampled_from(["mnist_fc", "imdb_fc", "imdb_lstm", "cifar_resnet", "mlp", "convnet"]))
    c = data.draw(st.one_of(st.integers(2, 5), st.builds(np.int64, st.integers(2, 5))))
    bounded = data.draw(st.one_of(st.booleans(), st.builds(np.bool_, st.booleans())))
    dropout = data.draw(st.one_of(st.floats(0.0, 0.9), st.just(0)))
    n = data.draw(st.integers(2, 3))
    if name == "mnist_fc":
        hidden = data.draw(st.lists(st.integers(1, 4), max_size=2))
        net, x = (
            models.build_model(name, num_classes=c, hidden=hidden, dropout=dropout, bounded=bounded),
            torch.zeros(n, 28, 28),
        )
    elif name == "imdb_fc":
        net, x = (
            models.build_model(
                name, num_words=7, maxlen=5, embed_dim=3, dropout=dropout, num_classes=c, bounded=bounded
            ),
            torch.zeros(n, 5, dtype=torch.long),
        )
    elif name == "imdb_lstm":
        net, x = (
            models.build_model(
                name, num_words=7, embed_dim=3, hidden=2, dense=2, dropout=dropout, num_classes=c, bounded=bounded
            ),
            torch.zeros(n, 4, dtype=torch.long),
        )
    elif name == "cifar_resnet":
        widths = tuple(data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
        net, x = models.build_model(name, n=1, num_classes=c, widths=widths, bounded=bounded), torch.zeros(n, 3, 8, 8)
    elif name == "mlp":
        sizes = data.draw(st.lists(st.integers(1, 4), min_size=2, max_size=4))
        net, x = (
            models.mlp(np.array(sizes), activation=data.draw(st.sampled_from(["relu", "tanh"])), dropout=dropout),
            torch.zeros(n, sizes[0]),
        )
        c = sizes[-1]
    else:
        size = data.draw(st.sampled_from([2, 4, 6]))
        net, x = (
            models.small_convnet(in_channels=2, image_size=size, channels=2, num_classes=c),
            torch.zeros(n, 2, size, size),
        )
    out = net.eval()(x)
    assert out.shape == (n, int(c)) and torch.isfinite(out).all()
    assert models.count_parameters(net) == sum(p.numel() for p in net.parameters())


@fuzz(60)
@given(data=st.data())
def test_bad_small_network_options_are_refused_naming_the_argument(data):
    """The book's small networks (``mlp``, ``small_convnet``) and the parameter count check their arguments too."""
    which = data.draw(
        st.sampled_from(
            ["sizes", "activation", "dropout", "in_channels", "image_size", "channels", "num_classes", "model"]
        )
    )
    positive = st.one_of(BAD_INT_OPTION, st.integers(-(10**6), 0))
    if which == "sizes":  # at least two positive ints
        bad = data.draw(
            st.one_of(
                st.none(),
                st.text(max_size=3),
                st.integers(),
                st.builds(dict),
                st.lists(st.integers(1, 4), max_size=1),
                st.lists(
                    st.one_of(st.integers(-5, 0), st.floats(0.5, 3), st.none(), st.booleans()), min_size=2, max_size=3
                ),
            )
        )
        assert_rejects(lambda: models.mlp(bad), "sizes")
    elif which == "activation":
        bad = data.draw(st.one_of(JUNK, st.sampled_from(["sigmoid", "ReLU", ["relu"]])))
        make = data.draw(
            st.sampled_from([lambda a: models.mlp([2, 2], activation=a), lambda a: models.small_convnet(activation=a)])
        )
        assert_rejects(lambda: make(bad), "activation")
    elif which == "dropout":
        bad = data.draw(
            st.one_of(BAD_REAL_OPTION, NON_FINITE, st.floats(1.0, 1e300), st.floats(-1e300, 0.0, exclude_max=True))
        )
        assert_rejects(lambda: models.mlp([2, 3, 2], dropout=bad), "dropout")
    elif which == "image_size":  # even, >= 2: the pooled map feeds a linear layer of a fixed size
        bad = data.draw(st.one_of(positive, st.integers(0, 50).map(lambda k: 2 * k + 1)))
        assert_rejects(lambda: models.small_convnet(image_size=bad), "image_size")
    elif which == "num_classes":
        bad = data.draw(st.one_of(BAD_INT_OPTION, st.integers(-5, 1)))
        assert_rejects(lambda: models.small_convnet(num_classes=bad), "num_classes")
    elif which == "model":
        bad = data.draw(st.one_of(JUNK, st.just(models.mlp), st.builds(lambda: models.mlp([2, 2]).state_dict())))
        assert_rejects(lambda: models.count_parameters(bad), "model")
    else:
        assert_rejects(lambda: models.small_convnet(**{which: data.draw(positive)}), which)


# ================================================================================================== learned T


@fuzz(120)
@given(data=st.data())
def test_bad_input_to_learned_T_losses_is_refused_naming_the_argument(data):
    c, n = data.draw(st.integers(2, 4)), data.draw(st.integers(1, 4))
    T = data.draw(transition_matrices(c=c, well_conditioned=True))
    logits, targets = torch.zeros(n, c, dtype=torch.float64), torch.arange(n) % c
    form = data.draw(st.sampled_from(["volmin", "revision"]))
    revise = data.draw(st.booleans())

    def make(**options):
        return learned_T.VolMinLoss(c, **options) if form == "volmin" else learned_T.RevisionLoss(T, revise, **options)

    which = data.draw(
        st.sampled_from(
            ["num_classes", "lam", "init", "reduction", "checks", "T_hat", "revise", "logits", "targets"]
            + ["nonfinite", "zero_column", "delta"]
        )
    )
    if which == "num_classes":
        bad = data.draw(st.one_of(BAD_INT_OPTION, st.integers(-(10**6), 1)))
        assert_rejects(lambda: learned_T.VolMinLoss(bad), "num_classes")
    elif which == "lam":
        bad = data.draw(st.one_of(BAD_REAL_OPTION, NON_FINITE, st.floats(-1e300, 0.0, exclude_max=True)))
        assert_rejects(lambda: learned_T.VolMinLoss(c, lam=bad), "lam")
    elif which == "init":
        bad = data.draw(st.one_of(BAD_REAL_OPTION.filter(lambda v: v is not None), NON_FINITE))  # None: -log(c - 1)
        assert_rejects(lambda: learned_T.VolMinLoss(c, init=bad), "init")
    elif which == "reduction":
        assert_rejects(lambda: make(reduction=data.draw(BAD_REDUCTIONS)), "reduction")
    elif which == "checks":
        bad = data.draw(st.one_of(JUNK, st.sampled_from(["Auto", "lazy", ["eager"]])))
        assert_rejects(lambda: make(checks=bad), "checks")
    elif which == "T_hat":
        assert_rejects(lambda: learned_T.RevisionLoss(data.draw(bad_matrices(c)), revise), "T_hat")
    elif which == "revise":  # "no" would revise
        bad = data.draw(st.one_of(st.none(), st.integers(), st.text(max_size=3), st.floats(), st.builds(list)))
        assert_rejects(lambda: learned_T.RevisionLoss(T, bad), "revise")
    elif which == "logits":
        assert_rejects(lambda: make()(data.draw(bad_logits(logits)), targets), "logits")
    elif which == "targets":
        assert_rejects(lambda: make()(logits, data.draw(bad_targets(targets, c))), "targets")
    elif which == "nonfinite":
        bad = logits.clone().to(data.draw(st.sampled_from(FLOAT_TORCH)))
        bad[data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, c - 1))] = data.draw(NON_FINITE)
        assert_rejects(lambda: make()(bad, targets), "logits")
    elif which == "zero_column":  # beta = p / (p T)[y] is infinite for a noisy class T_hat never produces
        zero = np.eye(c)
        zero[0] = np.eye(c)[1]
        loss = learned_T.RevisionLoss(zero, revise)
        assert_rejects(lambda: loss(logits, torch.zeros(n, dtype=torch.long)), "targets")
    else:  # a revised row without positive mass cannot be projected (its normalisation would be NaN)
        loss = learned_T.RevisionLoss(T, revise=True)
        row = data.draw(st.integers(0, c - 1))
        with torch.no_grad():
            if data.draw(st.booleans()):
                loss.delta[row] = data.draw(NON_FINITE)
            else:
                loss.delta[row] = -loss.T_hat[row] - data.draw(st.floats(0.0, 10.0))
        assert_rejects(loss.transition_matrix, "delta")


def mp_softmax(row):
    return [mpmath.exp(v) for v in mp_log_softmax(row)]


@fuzz(50)
@given(data=st.data())
def test_valid_learned_T_losses_match_their_formulas(data):
    """VolMinNet: ``T = rownorm(I + sigmoid(W) off the diagonal)``, the forward loss with it (eval) plus
    ``lam log|det T|`` (training). T-Revision: ``mean(beta * CE)``, ``beta = p_y / (p @ (T_hat + delta))_y``; its
    projection clips and renormalises. Each against a loop in 50 digits."""
    logits = data.draw(logits_arrays(dtypes=(torch.float64,), bound=30.0), label="logits")
    n, c = logits.shape
    targets = targets_for(data.draw, n, c)
    before = snapshot(logits, targets)
    lam = data.draw(st.one_of(st.floats(0.0, 1.0), st.just(0)))
    volmin = learned_T.VolMinLoss(c, lam=lam, init=data.draw(st.floats(-5.0, 5.0))).double()
    W = data.draw(hnp.arrays(np.float64, (c, c), elements=st.floats(-6.0, 2.0)))  # cond(T) < 100: a stable log det
    with torch.no_grad():
        volmin.W.copy_(torch.from_numpy(W))
    rows = [
        [mpmath.mpf(1) if i == j else 1 / (1 + mpmath.exp(-mpmath.mpf(W[i, j]))) for j in range(c)] for i in range(c)
    ]
    T = np.array([[float(v / mpmath.fsum(row)) for v in row] for row in rows])
    np.testing.assert_allclose(volmin.transition_matrix().detach().numpy(), T, rtol=0, atol=1e-12)
    forward = forward_reference(logits, targets, T).mean()
    assert abs(volmin.eval()(logits, targets).item() - forward) <= 1e-9 * (1 + forward)
    volume = float(mpmath.log(abs(mpmath.det(mpmath.matrix(T.tolist())))))
    trained = forward + lam * volume
    assert abs(volmin.train()(logits, targets).item() - trained) <= 1e-9 * (1 + abs(trained))

    T_hat = data.draw(transition_matrices(c=c, well_conditioned=True))  # a diagonal > 0.75
    revise = data.draw(st.booleans())
    revision = learned_T.RevisionLoss(T_hat, revise, reduction=data.draw(st.sampled_from(["mean", "sum", "none"])))

    def set_delta(low, high):
        delta = data.draw(hnp.arrays(np.float64, (c, c), elements=st.floats(low, high))) if revise else 0.0 * T_hat
        if revise:
            with torch.no_grad():
                revision.delta.copy_(torch.from_numpy(delta))
        return T_hat + delta

    revised = set_delta(0.0, 0.05)  # no row, no column near zero: beta is well conditioned
    per_example = []
    for row, y in zip(logits.tolist(), targets.tolist()):
        p = mp_softmax(row)
        beta = p[y] / mpmath.fsum(p[i] * mpmath.mpf(revised[i, y]) for i in range(c))
        per_example.append(float(-beta * mpmath.log(p[y])))
    expected = {"none": np.array(per_example), "sum": math.fsum(per_example), "mean": math.fsum(per_example) / n}
    got = revision(logits, targets).detach().numpy()
    np.testing.assert_allclose(got, expected[revision.reduction], rtol=1e-9, atol=1e-12)
    revised = set_delta(-0.5, 0.05)  # negative entries, clipped by the projection; each diagonal stays > 0.25
    clipped = np.array([[max(v, 0.0) for v in row] for row in revised.tolist()])
    projected = clipped / np.array([[math.fsum(row)] for row in clipped])
    np.testing.assert_allclose(revision.transition_matrix(), projected, rtol=0, atol=1e-15)
    assert_unchanged(before, logits, targets)


# ================================================================================================== training


NOISE_KINDS = ("none", "symmetric", "asymmetric", "dense")


@fuzz(100)
@given(data=st.data())
def test_bad_training_options_are_refused_naming_the_argument(data):
    which = data.draw(st.sampled_from(["noise", "rates", "task", "protocol", "device", "recipe"]))
    if which == "noise":
        bad = data.draw(
            st.one_of(
                JUNK.filter(lambda v: not isinstance(v, (set, np.ndarray))),
                st.integers(),
                st.just([]),
                st.lists(st.one_of(st.none(), st.integers(), st.floats()), min_size=1, max_size=2),
            )
        )
        assume(not (isinstance(bad, (list, tuple, set, dict)) and bad and all(isinstance(v, str) for v in bad)))
        assert_rejects(lambda: protocol.noise_settings(bad, [0.2]), "noise")
    elif which == "rates":
        bad = data.draw(
            st.one_of(
                st.none(),
                st.floats(),
                st.text(max_size=2),
                st.integers(),
                st.lists(
                    st.one_of(
                        NON_FINITE,
                        st.floats(1.0, 1e300, exclude_min=True),
                        st.floats(-1e300, 0.0, exclude_max=True),
                        st.text(max_size=1),
                        st.none(),
                        st.booleans(),
                    ),
                    min_size=1,
                    max_size=2,
                ),
            )
        )
        assert_rejects(lambda: protocol.noise_settings(["symmetric"], bad), "rates")
    elif which == "task":
        bad = data.draw(st.one_of(JUNK, st.text(max_size=5), st.sampled_from(["MNIST", "cifar", ["mnist"]])))
        assume(bad not in recipes.TASKS if isinstance(bad, str) else True)
        assert_rejects(lambda: recipes.get_recipe(bad), "task")
    elif which == "protocol":
        bad = data.draw(st.one_of(JUNK, st.sampled_from(["Paper", "gpu", "fast ", ["cpu"]])))
        assert_rejects(lambda: recipes.get_recipe("mnist", protocol=bad), "protocol")
    elif which == "device":
        bad = data.draw(
            st.one_of(
                JUNK,
                st.integers(),
                st.floats(),
                st.text(max_size=6),
                st.sampled_from(["gpu", "AUTO", "meta", "cuda:x", "cpu:-1", "mps", "", torch.device("meta"), b"cpu"]),
            )
        )
        assume(bad not in ("auto", "cpu", "cuda", "cuda:0") if isinstance(bad, str) else True)
        assume(not (isinstance(bad, str) and re.fullmatch(r"cpu(:\d+)?|cuda(:\d+)?", bad)))
        assert_rejects(lambda: loop.resolve_device(bad), "device")
    else:
        field = data.draw(
            st.sampled_from(
                [
                    "model",
                    "epochs",
                    "optimizer",
                    "lr",
                    "momentum",
                    "weight_decay",
                    "decay_all",
                    "milestones",
                    "batch_size",
                    "augment",
                    "normalize",
                    "quantile",
                    "model_kwargs",
                ]
            )
        )
        bad = data.draw(
            {
                "model": st.one_of(JUNK, st.sampled_from(["vgg", ["mnist_fc"]])),
                "epochs": st.one_of(BAD_INT_OPTION, st.integers(-10, 0)),
                "optimizer": st.one_of(JUNK, st.sampled_from(["adam", "SGD"])),
                "lr": st.one_of(BAD_REAL_OPTION, NON_FINITE, st.floats(-1e300, 0.0)),
                "momentum": st.one_of(BAD_REAL_OPTION, NON_FINITE, st.floats(-1e300, 0.0, exclude_max=True)),
                "weight_decay": st.one_of(BAD_REAL_OPTION, NON_FINITE, st.floats(-1e300, 0.0, exclude_max=True)),
                "decay_all": st.one_of(st.none(), st.integers(), st.text(max_size=2)),
                "milestones": st.one_of(
                    st.none(),
                    st.integers(),
                    st.text(max_size=2),
                    st.lists(st.one_of(st.integers(-5, -1), st.floats(), st.none()), min_size=1, max_size=2),
                ),
                "batch_size": st.one_of(BAD_INT_OPTION, st.integers(-10, 0)),
                "augment": st.one_of(st.sampled_from(["flip", "Shift", ["crop"], 1])),
                "normalize": st.one_of(st.sampled_from(["mean", "Scale", ["scale"], 1.0])),
                "quantile": st.one_of(
                    BAD_REAL_OPTION.filter(lambda v: v is not None),
                    NON_FINITE,
                    st.floats(1.0, 10.0),
                    st.floats(-10.0, 0.0),
                ),
                "model_kwargs": st.one_of(
                    st.text(max_size=2),
                    st.integers(),
                    st.builds(list),
                    st.dictionaries(st.integers(), st.integers(), min_size=1, max_size=2),
                ),
            }[field]
        )
        kwargs = {"model": "mnist_fc", "epochs": 1, field: bad}
        assert_rejects(lambda: recipes.Recipe(**kwargs), f"recipe.{field}")


@fuzz(60)
@given(
    noise=st.lists(st.sampled_from(NOISE_KINDS + ("aggre", "worst")), min_size=1, max_size=4),
    rates=st.lists(st.one_of(st.floats(0.0, 1.0), st.sampled_from([0, 1, np.float32(0.5)])), max_size=3),
    noise_container=st.sampled_from([list, tuple, iter]),
    rates_container=st.sampled_from([list, tuple, iter, lambda v: np.array(v, dtype=np.float64)]),
    task=st.sampled_from(list(recipes.TASKS)),
    protocol_name=st.sampled_from(["paper", "cpu"]),
)
def test_valid_training_options_give_the_expected_settings_and_recipes(
    noise, rates, noise_container, rates_container, task, protocol_name
):
    settings_ = protocol.noise_settings(noise_container(list(noise)), rates_container(list(rates)))
    expected = [("none", 0.0)] if "none" in noise else []
    expected += [(kind, float(rate)) for kind in noise if kind in NOISE_KINDS[1:] for rate in rates]
    expected += [(kind, 0.0) for kind in noise if kind not in NOISE_KINDS]
    assert settings_ == expected
    recipe = recipes.get_recipe(task, protocol=protocol_name)
    assert isinstance(recipe, recipes.Recipe) and recipe.model in models.MODELS and recipe.epochs >= 1
    assert loop.resolve_device("cpu") == torch.device("cpu")
    assert loop.resolve_device(torch.device("cpu")) == torch.device("cpu")
    assert loop.resolve_device("auto").type in ("cpu", "cuda")


@fuzz(120)
@given(data=st.data())
def test_bad_recipes_and_paper_T_are_refused_naming_the_field(data):
    """Every field of a Recipe is checked when it is made, also against the others (what torch would refuse at the
    first step, or the loop would ignore); ``paper_T`` checks its rate and its noise options for every kind."""
    base = dict(model="mnist_fc", epochs=data.draw(st.integers(1, 50)))
    which = data.draw(
        st.sampled_from(
            ["momentum", "nesterov", "not_sgd", "milestones", "triangle", "model_kwargs", "flag", "schedule"]
            + ["describe", "dataset", "noise", "rate", "option"]
        )
    )
    if which == "momentum":  # torch takes momentum >= 1, which never forgets a gradient
        bad = data.draw(st.one_of(st.floats(1.0, 1e300), st.integers(1, 10**6), st.builds(np.float32, st.just(1.0))))
        assert_rejects(lambda: recipes.Recipe(**base, optimizer="sgd", momentum=bad), "recipe.momentum")
    elif which == "nesterov":  # torch refuses Nesterov without momentum only when it builds the optimiser
        zero = data.draw(st.sampled_from([0, 0.0, np.float64(0.0)]))
        assert_rejects(lambda: recipes.Recipe(**base, optimizer="sgd", nesterov=True, momentum=zero), "recipe.nesterov")
    elif which == "not_sgd":  # Adagrad and Adam have no momentum: the loop would drop it
        options = data.draw(
            st.sampled_from([dict(momentum=0.9), dict(nesterov=True), dict(momentum=0.5, nesterov=True)])
        )
        optimizer = data.draw(st.sampled_from(["adagrad", "adam"]))
        assert_rejects(lambda: recipes.Recipe(**base, optimizer=optimizer, **options), "recipe.momentum")
    elif which == "milestones":  # a step twice, or out of order
        bad = data.draw(
            st.lists(st.integers(0, 100), min_size=2, max_size=4).filter(
                lambda m: any(a >= b for a, b in zip(m, m[1:]))
            )
        )
        assert_rejects(lambda: recipes.Recipe(**base, milestones=bad), "recipe.milestones")
    elif which == "triangle":  # the triangular schedule has no steps: they would be ignored
        steps = sorted(data.draw(st.sets(st.integers(0, 100), min_size=1, max_size=3)))
        assert_rejects(lambda: recipes.Recipe(**base, schedule="triangle", milestones=steps), "recipe.milestones")
    elif which == "model_kwargs":  # an option the builder lacks, or one the loop sets itself
        model = data.draw(st.sampled_from(list(models.MODELS)))
        option = data.draw(st.sampled_from(["num_classes", "bounded", "foo", "depth", "lr"]))
        assert_rejects(lambda: recipes.Recipe(model, 1, model_kwargs={option: 1}), "recipe.model_kwargs")
    elif which == "flag":
        field = data.draw(st.sampled_from(["decay_all", "nesterov"]))
        bad = data.draw(st.one_of(st.none(), st.integers(), st.text(max_size=3), st.floats(), st.builds(list)))
        assert_rejects(lambda: recipes.Recipe(**base, optimizer="sgd", momentum=0.9, **{field: bad}), f"recipe.{field}")
    elif which == "schedule":
        bad = data.draw(st.one_of(JUNK, st.sampled_from(["Step", "cosine", "", ["step"]])))
        assert_rejects(lambda: recipes.Recipe(**base, schedule=bad), "recipe.schedule")
    elif which == "describe":  # a record's recipe of another kind: described only if a Recipe could hold it
        fields = dataclasses.asdict(recipes.get_recipe("mnist"))
        field = data.draw(st.sampled_from(sorted(fields)))
        bad = data.draw(
            st.sampled_from([None, "x", [], {}, -1, math.nan, True, 2.5, ("a",)]).filter(
                lambda v: v not in VALID_TOO.get(field, ())
            )
        )
        assert_rejects(lambda: prose.describe_recipe({**fields, field: bad}), "recipe")
    elif which == "dataset":
        bad = data.draw(st.one_of(JUNK, st.sampled_from(["MNIST", "svhn", "cifar10n", ["mnist"]])))
        assert_rejects(lambda: recipes.paper_T(bad, "symmetric", 0.2), "dataset")
    elif which == "noise":
        bad = data.draw(st.one_of(JUNK, st.sampled_from(["pairflip", "Symmetric", "aggre", ["none"]])))
        assert_rejects(lambda: recipes.paper_T("mnist", bad, 0.2), "noise")
    elif which == "rate":  # checked for "none" too, where any rate in [0, 1] (or None) is ignored
        noise = data.draw(st.sampled_from(recipes.NOISE_KINDS))
        dataset = data.draw(
            st.sampled_from(list(recipes.ASYMMETRIC_T if noise == "asymmetric" else recipes.DATASET_CLASSES))
        )
        bad = data.draw(
            st.one_of(
                BAD_REAL_OPTION.filter(lambda v: not (noise == "none" and v is None)),
                NON_FINITE,
                st.floats(1.0, 1e300, exclude_min=True),
                st.floats(-1e300, 0.0, exclude_max=True),
            )
        )
        assert_rejects(lambda: recipes.paper_T(dataset, noise, bad), "rate")
    else:  # an option that the data set's asymmetric noise lacks is refused for every kind, never ignored
        dataset = data.draw(st.sampled_from(list(recipes.DATASET_CLASSES)))
        builder = recipes.ASYMMETRIC_T.get(dataset)
        options = set(inspect.signature(builder).parameters) if builder else set()
        option = data.draw(
            st.sampled_from(["grouping", "reverse_rate", "foo", "num_classes"]).filter(lambda o: o not in options)
        )
        noise = data.draw(st.sampled_from(recipes.NOISE_KINDS))
        assert_rejects(lambda: recipes.paper_T(dataset, noise, 0.2, **{option: "blocks"}), option)


VALID_TOO = {"augment": [None], "normalize": [None], "quantile": [None], "decay_all": [True], "lr": [2.5]}
VALID_TOO |= {"weight_decay": [2.5], "milestones": [[]], "model_kwargs": [{}]}
"""Values of the bad ones of the test above that are valid for a field of the recipe."""


MODEL_KWARGS = {
    "mnist_fc": {"dropout": 0.1, "hidden": (3,)},
    "imdb_fc": {"maxlen": 5, "embed_dim": 2},
    "cifar_resnet": {"n": 1, "widths": [2, 2, 2]},
    "fast_net": {"widths": (2, 2, 2)},
}


@fuzz(60)
@given(data=st.data())
def test_valid_recipes_keep_python_values_and_build_the_optimiser_they_state(data):
    model = data.draw(st.sampled_from(list(MODEL_KWARGS)))
    optimizer = data.draw(st.sampled_from(["adagrad", "sgd", "adam"]))
    momentum = data.draw(st.one_of(st.floats(0.0, 0.999), st.just(0))) if optimizer == "sgd" else 0.0
    nesterov = data.draw(st.booleans()) if momentum else False
    schedule = data.draw(st.sampled_from(["step", "triangle"]))
    milestones = [] if schedule == "triangle" else sorted(data.draw(st.sets(st.integers(0, 60), max_size=3)))
    fields = dict(
        epochs=data.draw(st.one_of(st.integers(1, 200), st.builds(np.int64, st.integers(1, 200)))),
        optimizer=optimizer,
        lr=data.draw(st.one_of(st.floats(1e-6, 10.0), st.builds(np.float32, st.floats(1e-3, 1.0)))),
        momentum=momentum,
        weight_decay=data.draw(st.one_of(st.floats(0.0, 1.0), st.just(0))),
        decay_all=data.draw(st.one_of(st.booleans(), st.builds(np.bool_, st.booleans()))),
        milestones=data.draw(st.sampled_from([list, tuple, np.array]))(milestones),
        schedule=schedule,
        nesterov=nesterov,
        batch_size=data.draw(st.one_of(st.integers(1, 512), st.builds(np.int32, st.integers(1, 512)))),
        quantile=data.draw(st.one_of(st.none(), st.floats(0.01, 0.99))),
        model_kwargs=data.draw(st.sampled_from([{}, MODEL_KWARGS[model]])),
    )
    recipe = recipes.Recipe(model, **fields)
    stored = dataclasses.asdict(recipe)
    assert json.loads(json.dumps(stored)) == json.loads(json.dumps(stored, default=float))  # plain Python values
    for name in ("epochs", "batch_size"):
        assert type(stored[name]) is int and stored[name] == int(fields[name])
    for name in ("lr", "momentum", "weight_decay"):
        assert type(stored[name]) is float and stored[name] == float(fields[name])
    assert type(recipe.decay_all) is bool and recipe.milestones == tuple(milestones)
    assert recipes.Recipe(**stored) == recipe  # a record's recipe reads back

    optimiser = loop._optimizer(models.mlp([2, 2]), recipe)  # torch accepts what the recipe accepted
    group = optimiser.param_groups[0]
    assert type(optimiser).__name__.lower() == optimizer and group["lr"] == recipe.lr
    if optimizer == "sgd":
        assert group["momentum"] == recipe.momentum and group["nesterov"] == recipe.nesterov
    text = prose.describe_recipe(recipe)
    assert f", {recipe.epochs} epoch" in text and ("Nesterov" in text) == recipe.nesterov

    dataset = data.draw(st.sampled_from(list(recipes.DATASET_CLASSES)))
    noise = data.draw(st.sampled_from(["none", "symmetric"] + ["asymmetric"] * (dataset in recipes.ASYMMETRIC_T)))
    rate = data.draw(st.one_of(st.floats(0.0, 1.0), st.sampled_from([0, 1, np.float32(0.25)])))
    c = recipes.DATASET_CLASSES[dataset]
    expected = {"none": lambda: np.eye(c), "symmetric": lambda: lnc.symmetric_T(c, rate)}
    expected["asymmetric"] = lambda: recipes.ASYMMETRIC_T[dataset](rate)
    np.testing.assert_array_equal(recipes.paper_T(dataset, noise, rate), expected[noise]())


# ================================================================================================== results


def _records(draw, n):
    methods = draw(st.lists(st.sampled_from(["ce", "forward", "backward", "forward_est"]), min_size=n, max_size=n))
    return [
        dict(
            task="mnist",
            noise=draw(st.sampled_from(["symmetric", "asymmetric"])),
            rate=draw(st.sampled_from([0.2, 0.6])),
            method=m,
            seed=k,
            test_accuracy=draw(st.one_of(st.floats(0.0, 1.0), st.none())),
            estimation_error=draw(st.floats(0.0, 2.0)),
            cond_T_hat=draw(st.one_of(st.floats(1.0, 1e3), st.none())),
            best_epoch=draw(st.integers(0, 40)),
        )
        for k, m in enumerate(methods)
    ]


@fuzz(100)
@given(data=st.data())
def test_bad_input_to_result_tables_is_refused_naming_the_argument(data):
    records = _records(data.draw, data.draw(st.integers(1, 4)))
    which = data.draw(
        st.sampled_from(
            ["records", "record", "value", "digits", "methods", "settings", "published", "no_ce", "run_summary"]
        )
    )
    table = data.draw(
        st.sampled_from(
            [
                results.summarize,
                tables.accuracy_table,
                tables.estimation_table,
                lambda r: tables.comparison_table(r, CIFARN),
            ]
        )
    )
    if which == "records":
        bad = data.draw(
            st.one_of(st.none(), st.text(max_size=3), st.integers(), st.builds(lambda: records[0]), st.floats())
        )
        assert_rejects(lambda: table(bad), "records")
    elif which == "record":
        field = data.draw(st.sampled_from(["method", "noise", "rate"]))
        bad = data.draw(
            st.one_of(
                st.none(),
                st.integers(),
                st.text(max_size=2),
                st.builds(list),
                st.builds(lambda: {k: v for k, v in records[0].items() if k != field}),
            )
        )
        assert_rejects(lambda: table([*records, bad]), "records")
    elif which == "value":
        bad = data.draw(
            st.one_of(
                st.none(), st.integers(), st.text(max_size=4).filter(lambda s: s not in records[0]), st.builds(list)
            )
        )
        assert_rejects(lambda: results.summarize(records, value=bad), "value")
    elif which == "digits":
        bad = data.draw(st.one_of(BAD_INT_OPTION, st.integers(-(10**6), -1)))
        call = data.draw(
            st.sampled_from(
                [
                    tables.accuracy_table,
                    tables.estimation_table,
                    lambda r, digits: tables.comparison_table(r, CIFARN, digits=digits),
                ]
            )
        )
        assert_rejects(lambda: call(records, digits=bad), "digits")
    elif which in ("methods", "settings"):
        bad = data.draw(
            st.one_of(
                st.text(max_size=3),
                st.integers(),
                st.just([]),
                st.lists(st.one_of(st.integers(), st.none(), st.sampled_from(["x", "CE"])), min_size=1, max_size=2),
            )
        )
        assert_rejects(lambda: tables.accuracy_table(records, **{which: bad}), which)
    elif which == "published":
        bad = data.draw(
            st.one_of(
                st.none(),
                st.builds(list),
                st.builds(dict),
                st.text(max_size=2),
                st.sampled_from(
                    [
                        {"ce": {"aggre": (1.0,)}},
                        {"ce": {"aggre": (math.nan, None)}},
                        {"ce": [1.0]},
                        {"ce": {"aggre": (1.0, -1.0)}},
                        {"ce": {"aggre": ("1", None)}},
                        {1: {}},
                        {"ce": {"aggre": (math.inf, 0.1)}},
                        {"ce": {2: (1.0, None)}},
                    ]
                ),
            )
        )
        assert_rejects(lambda: tables.comparison_table(records, bad), "published")
    elif which == "no_ce":
        assert_rejects(lambda: tables.estimation_table([dict(r, method="forward") for r in records]), "records")
    else:
        bad = data.draw(st.one_of(st.none(), st.just([]), st.text(max_size=2), st.builds(lambda: [{}])))
        assert_rejects(lambda: prose.run_summary(bad), "records")


@fuzz(60)
@given(data=st.data())
def test_valid_result_tables_match_a_loop(data):
    records = _records(data.draw, data.draw(st.integers(0, 8)))
    before = repr(records)
    summary = results.summarize(records)
    groups = {}
    for r in records:
        if r["test_accuracy"] is not None:
            groups.setdefault((r["method"], f"{r['noise']} {r['rate']:g}"), []).append(100 * r["test_accuracy"])
    assert set(summary) == set(groups)
    for key, values in groups.items():
        mean, std, count = summary[key]
        assert count == len(values) and abs(mean - math.fsum(values) / len(values)) < 1e-9
        if count > 1:
            var = math.fsum((v - math.fsum(values) / count) ** 2 for v in values) / (count - 1)
            assert abs(std - math.sqrt(var)) < 1e-6
        else:
            assert math.isnan(std)
    digits = data.draw(st.integers(0, 4))
    table = tables.accuracy_table(records, digits=digits)
    for (method, setting_), (mean, _, _) in summary.items():
        assert method in table and setting_ in table and f"{mean:.{digits}f}" in table
    if any(r["method"] == "ce" for r in records):
        assert "error" in tables.estimation_table(records, digits=digits)
    assert isinstance(tables.comparison_table(records, CIFARN, digits=digits), str)
    assert repr(records) == before


NOT_STR = st.one_of(st.none(), st.integers(), st.floats(), st.binary(max_size=2), st.builds(list), st.builds(dict))
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=5)  # one line each


@st.composite
def bad_rows(draw):
    """``(rows, name)``: no table of str rows as long as their header, and the argument its error must name."""
    width = draw(st.integers(1, 3))
    rows = draw(st.lists(st.lists(TEXT, min_size=width, max_size=width), min_size=2, max_size=4))
    kind = draw(st.sampled_from(["rows", "empty", "header", "ragged", "row", "cell"]))
    k = draw(st.integers(1, len(rows) - 1))
    if kind == "rows":
        return draw(st.one_of(NOT_STR.filter(lambda v: not isinstance(v, list)), st.text(max_size=3))), "rows"
    if kind == "empty":
        return [], "rows"
    if kind == "header":
        return [[], *rows], "rows[0]"
    if kind == "ragged":  # past bug: the cells of a longer row were dropped, a shorter row failed with IndexError
        rows[k] = rows[k][:-1] if draw(st.booleans()) else [*rows[k], "extra"]
        return rows, f"rows[{k}]"
    if kind == "row":
        rows[k] = draw(st.one_of(st.text(max_size=3), st.none(), st.integers(), st.builds(dict)))
        return rows, f"rows[{k}]"
    j = draw(st.integers(0, width - 1))
    rows[k][j] = draw(NOT_STR)
    return rows, f"rows[{k}][{j}]"


def not_a_sequence_of(bad_items, *others):
    """Values that are no sequence of good items: a str, None, an int, a short list holding one of ``bad_items``,
    or one of ``others``."""
    items = st.lists(st.one_of(*bad_items), min_size=1, max_size=3)
    return st.one_of(st.text(max_size=3), st.none(), st.integers(), items, *others)


@fuzz(150)
@given(data=st.data())
def test_bad_input_to_result_helpers_is_refused_naming_the_argument(data):
    """The helpers that put numbers into sentences and tables (``listing``, ``span``, ``verdict``, ``Table``,
    ``setting``, ``gain_table``, ``correction_table``, ``estimator_table``): a str where a sequence is expected, NaN,
    a non-bool flag, a ragged table, a misspelt name."""
    records = _records(data.draw, data.draw(st.integers(1, 4)))
    which = data.draw(
        st.sampled_from(
            ["items", "sep", "values", "spec", "flags", "rows", "record", "settings", "methods", "baseline", "key"]
            + ["correction_methods"]
        )
    )
    if which == "items":  # past bug: listing("abc") gave "a; b; c"
        bad = data.draw(
            st.one_of(
                st.text(max_size=4),
                NOT_STR.filter(lambda v: not isinstance(v, (list, dict))),
                st.lists(st.one_of(TEXT, NOT_STR), min_size=1, max_size=3).filter(
                    lambda v: not all(isinstance(s, str) for s in v)
                ),
            )
        )
        assert_rejects(lambda: prose.listing(bad), "items")
    elif which == "sep":
        assert_rejects(lambda: prose.listing(["a", "b"], sep=data.draw(NOT_STR)), "sep")
    elif which == "values":  # past bug: span([nan]) gave "nan", span(["1"]) "1"
        bad = data.draw(
            not_a_sequence_of(
                [
                    NON_FINITE,
                    st.text(max_size=1),
                    st.none(),
                    st.booleans(),
                    st.complex_numbers(max_magnitude=2),
                    st.builds(lambda: torch.tensor(1.0)),
                ],
                st.sampled_from([np.array(3.0), np.zeros((2, 2)), torch.zeros(2), {"a": 1.0}]),
            )
        )
        assert_rejects(lambda: prose.span(bad), "values")
    elif which == "spec":
        bad = data.draw(st.one_of(NOT_STR, st.sampled_from(["d", "zz", "s", "x", "%%", ".-1f", "b", "c"])))
        assert_rejects(lambda: prose.span([1.0, 2.5], spec=bad), "spec")
    elif which == "flags":  # past bug: verdict("abc") and verdict(["no"]) gave "holds"
        bad = data.draw(
            not_a_sequence_of(
                [
                    st.integers(),
                    st.floats(),
                    st.none(),
                    st.text(max_size=1),
                    st.builds(lambda: np.array([True, False])),
                    st.builds(lambda: torch.tensor(True)),
                ]
            )
        )
        assert_rejects(lambda: prose.verdict(bad), "flags")
    elif which == "rows":
        bad, name = data.draw(bad_rows())
        assert_rejects(lambda: tables.Table(bad), name)
    elif which == "record":
        bad = data.draw(
            st.one_of(
                st.none(),
                st.text(max_size=2),
                st.builds(list),
                st.just({"noise": "symmetric"}),
                st.just({"rate": 0.2}),
                st.builds(lambda v: {"noise": v, "rate": 0.2}, NOT_STR),
                st.builds(lambda v: {"noise": "symmetric", "rate": v}, st.one_of(NON_FINITE, st.text(max_size=2))),
            )
        )
        assert_rejects(lambda: results.setting(bad), "record")
    elif which in ("settings", "methods", "baseline"):  # past bug: a misspelt name gave a row or column of "-"
        bad = data.draw(
            st.one_of(NOT_STR, st.sampled_from(["CE", "symmetric 0.3", "forwrd"]))
            if which == "baseline"
            else st.one_of(
                st.text(max_size=3),
                st.just([]),
                st.lists(st.one_of(NOT_STR, st.sampled_from(["CE", "symmetric 0.3", "Aggre"])), min_size=1, max_size=2),
            )
        )
        options = {"settings": [results.setting(records[0])], "methods": ["forward"], which: bad}
        assert_rejects(lambda: tables.gain_table(records, CIFARN, **options), which)
    elif which == "key":
        bad = data.draw(st.one_of(NOT_STR, st.sampled_from(["symmetric 0.3", "Symmetric 0.2", ["symmetric 0.2"]])))
        assert_rejects(lambda: tables.estimator_table(records, bad), "key")
    else:
        bad = data.draw(st.one_of(st.text(max_size=3), st.just([]), st.lists(NOT_STR, min_size=1, max_size=2)))
        assert_rejects(
            lambda: tables.correction_table([dict(r, task="mnist") for r in records], methods=bad), "methods"
        )


def _run_record(seed=0, **changes):
    """A complete record of a successful CE run: every field that a table or a summary reads."""
    record = dict(
        task="mnist",
        noise="symmetric",
        rate=0.2,
        method="ce",
        seed=seed,
        status="ok",
        protocol="cpu",
        recipe=dataclasses.asdict(recipes.get_recipe("mnist", protocol="cpu")),
        epochs=2,
        subset=None,
        n_train=90,
        n_val=10,
        n_test=20,
        device="cpu",
        torch_version="2.0",
        threads=1,
        wall_time_s=60.0,
        test_accuracy=0.5,
        best_epoch=1,
        estimation_error=0.1,
        cond_T_hat=2.0,
        estimator="anchor",
        cross_fit=None,
        estimates={"in_sample": {"anchor": {"estimation_error": 0.1}}},
        curves={"train_loss": [1.0, 0.8], "val_loss": [1.1, 0.9]},
    )
    return {**record, **changes}


_SUMMARY = ("task", "method", *results.SUMMARY_FIELDS)
READS = {  # function -> (the fields it needs, the fields it reads where they are)
    "summarize": (results.summarize, ("method", "noise", "rate"), ("test_accuracy",)),
    "accuracy_tables": (tables.accuracy_tables, ("method", "noise", "rate"), ("test_accuracy",)),
    "comparison_table": (
        lambda r: tables.comparison_table(r, CIFARN),
        ("method", "noise", "rate"),
        ("test_accuracy",),
    ),
    "estimation_table": (
        tables.estimation_table,
        ("method", "noise", "rate", "best_epoch"),
        ("estimation_error", "cond_T_hat"),
    ),
    "correction_table": (tables.correction_table, ("task", "method", "noise", "rate"), ("test_accuracy",)),
    "run_summary": (prose.run_summary, _SUMMARY, ("status", "subset", "estimator", "cross_fit")),
    "cpu_minutes": (results.cpu_minutes, (*_SUMMARY, "threads"), ("status", "subset", "estimator", "cross_fit")),
    "describe_records": (prose.describe_records, prose.DESCRIBE_FIELDS, ("status",)),
    "estimator_stats": (
        results.estimator_stats,
        ("method", "noise", "rate", "seed"),
        ("estimates", "test_accuracy", "estimator", "cross_fit"),
    ),
    "loss_gaps": (results.loss_gaps, ("task", "method", "seed", "best_epoch", "curves"), ("status",)),
    "epochs_table": (
        tables.epochs_table,
        ("method", "noise", "rate", "seed", "epochs", "best_epoch", "test_accuracy"),
        ("status",),
    ),
}
BAD_INT = st.one_of(st.none(), st.text(max_size=2), st.floats(), st.booleans(), st.builds(list))
BAD_NUMBER = st.one_of(
    st.text(max_size=2), st.booleans(), NON_FINITE, st.builds(list), st.complex_numbers(max_magnitude=1)
)
BAD_FIELD = {  # field -> values of another kind (a bool is no int, a str no number, NaN no accuracy ...)
    **dict.fromkeys(("task", "method", "noise", "protocol", "device", "torch_version", "estimator"), NOT_STR),
    **dict.fromkeys(
        ("rate", "test_accuracy"),
        st.one_of(BAD_NUMBER, st.floats(1.0, 1e9, exclude_min=True), st.floats(-1e9, 0.0, exclude_max=True)),
    ),
    **dict.fromkeys(
        ("seed", "best_epoch", "n_train", "n_val", "n_test"), st.one_of(BAD_INT, st.integers(max_value=-1))
    ),
    **dict.fromkeys(("epochs", "threads"), st.one_of(BAD_INT, st.integers(max_value=0))),
    **dict.fromkeys(("estimation_error", "cond_T_hat"), st.one_of(BAD_NUMBER, st.floats(-1e9, 0.0, exclude_max=True))),
    "wall_time_s": st.one_of(st.none(), BAD_NUMBER, st.floats(-1e9, 0.0, exclude_max=True)),
    "subset": st.one_of(BAD_INT.filter(lambda v: v is not None), st.integers(max_value=0)),
    "cross_fit": st.one_of(BAD_INT.filter(lambda v: v is not None), st.integers(max_value=1)),
    "status": st.one_of(st.none(), st.integers(), st.sampled_from(["done", "OK", ""])),
    "recipe": st.sampled_from([None, "mnist_fc", [], {}, {"model": 3}, {"model": "mnist_fc", "model_kwargs": []}]),
    "estimates": st.sampled_from(
        [
            None,
            3,
            [],
            {"weird": {"anchor": {"estimation_error": 0.1}}},
            {"in_sample": None},
            {"in_sample": {"anchor": None}},
            {"in_sample": {3: {"estimation_error": 0.1}}},
            {"in_sample": {"anchor": {"estimation_error": "0.1"}}},
            {"in_sample": {"anchor": {"estimation_error": math.nan}}},
        ]
    ),
}


@fuzz(200)
@given(data=st.data())
def test_bad_record_fields_are_refused_naming_the_record(data):
    """Each table and summary checks every field it reads (past bugs: KeyError, AttributeError, "unhashable type",
    a format error, a sum with a str, or a silent wrong number such as a negative accuracy averaged): a field
    missing, or of another kind, raises naming ``records[k]``."""
    function, needed, optional = READS[data.draw(st.sampled_from(list(READS)), label="function")]
    records = [_run_record(seed=0), _run_record(seed=1)]
    k = data.draw(st.integers(0, 1))
    if data.draw(st.booleans(), label="missing"):
        field = data.draw(st.sampled_from(needed), label="field")
        del records[k][field]
    else:
        field = data.draw(st.sampled_from([f for f in (*needed, *optional) if f in BAD_FIELD]), label="field")
        records[k][field] = data.draw(BAD_FIELD[field], label="value")
    assert_rejects(lambda: function(records), f"records[{k}]")


@fuzz(60)
@given(data=st.data())
def test_valid_result_helpers_match_a_loop(data):
    items = data.draw(st.lists(TEXT, max_size=4))
    sep = data.draw(st.text(max_size=3))
    container = data.draw(st.sampled_from([list, tuple, iter]))
    assert prose.listing(container(items), sep) == (sep.join(items) if items else "none")

    values = data.draw(st.lists(st.one_of(st.floats(-1e6, 1e6), st.integers(-1000, 1000)), max_size=5))
    spec = data.draw(st.sampled_from([".0f", ".1f", ".3g", "+.2f", "", ".2e", ","]))
    floats = [float(v) for v in values]
    low, high = (format(min(floats), spec), format(max(floats), spec)) if values else ("none", "none")
    assert prose.span(container(values), spec) == (low if low == high else f"{low}–{high}")
    if values:
        assert prose.span(np.array(floats), spec) == prose.span(values, spec)

    flags = data.draw(st.lists(st.one_of(st.booleans(), st.builds(np.bool_, st.booleans())), max_size=5))
    held = sum(bool(f) for f in flags)
    expected = (
        "not tested"
        if not flags
        else "holds"
        if held == len(flags)
        else "does not hold"
        if not held
        else f"holds in part ({held} of {len(flags)})"
    )
    assert prose.verdict(container(flags)) == expected

    width = data.draw(st.integers(1, 4))
    rows = data.draw(st.lists(st.lists(TEXT, min_size=width, max_size=width), min_size=1, max_size=4))
    table = tables.Table(container(container(row) for row in rows))
    lines = table.split("\n")
    assert table.rows == tuple(map(tuple, rows)) and len(lines) == len(rows) + 1
    assert len({len(line) for line in lines}) == 1 and lines[1] == "-" * len(lines[0])  # aligned columns
    for line, row in zip(lines[:1] + lines[2:], rows):
        position = 0
        for cell in row:  # every cell, in order
            position = line.index(cell, position) + len(cell)
    markup = table._repr_html_()
    assert markup.count("<tr>") == len(rows) and all(
        html.escape(cell).replace("_", "_<wbr>") in markup for row in rows for cell in row
    )
    for function, _, _ in READS.values():  # the records that the next test spoils are valid for every reader
        function([_run_record(seed=0), _run_record(seed=1)])


@fuzz(40)
@given(data=st.data())
def test_valid_gain_table_accuracy_tables_and_estimator_stats_match_a_loop(data):
    records = _records(data.draw, data.draw(st.integers(1, 8)))
    digits = data.draw(st.integers(0, 3))
    keys = list(dict.fromkeys(results.setting(r) for r in records))
    methods = sorted({r["method"] for r in records})
    table = tables.gain_table(records, CIFARN, keys, methods=methods, digits=digits)

    def mean(method, key):
        runs = [r for r in records if r["method"] == method and results.setting(r) == key]
        values = [100 * r["test_accuracy"] for r in runs if r["test_accuracy"] is not None]
        return math.fsum(values) / len(values) if values else None

    for line, key in zip(table.rows[1:], keys):
        assert line[0] == key
        for cell, method in zip(line[1:], methods):
            ours, ce = mean(method, key), mean("ce", key)
            if ours is None or ce is None:
                assert cell == "-"
            else:
                assert abs(float(cell) - (ours - ce)) <= 0.5 * 10**-digits + 1e-9

    for published in (CIFARN, MINI_WEBVISION):  # each published number in its method's row
        rows = {row[0]: row[1:] for row in tables.comparison_table(records, published, digits=digits).rows}
        for method, cells in published.items():
            shown = rows[f"{method} (published)"]
            assert all(any(cell.startswith(f"{mean:.{digits}f}") for cell in shown) for mean, _ in cells.values())

    columns = data.draw(st.integers(2, 5))  # every setting in one table of at most columns settings
    split = tables.accuracy_tables(records, columns=columns, digits=digits)
    shown = [key for _, part in split for key in part.rows[0][1:]]
    assert sorted(shown) == sorted(keys) and all(len(part.rows[0]) <= columns + 1 for _, part in split)

    ce = [
        dict(r, estimates={"in_sample": {"anchor": {"estimation_error": r["estimation_error"]}}})
        for r in records
        if r["method"] == "ce"
    ]
    again = ce[: data.draw(st.integers(0, len(ce)))]  # a CE run recorded again by another estimator's job
    stats = results.estimator_stats([*ce, *(r for r in records if r["method"] != "ce"), *again])
    for key in keys:
        cell = stats.get((key, "anchor", "in_sample"), {})
        errors = [r["estimation_error"] for r in ce if results.setting(r) == key]
        accuracies = [
            100 * r["test_accuracy"]
            for r in records
            if r["method"] == "forward_est" and results.setting(r) == key and r["test_accuracy"] is not None
        ]
        for field, values in (("error", errors), ("accuracy", accuracies)):
            assert (field in cell) == bool(values)
            if values:
                assert cell[field][2] == len(values) and abs(cell[field][0] - math.fsum(values) / len(values)) < 1e-9


# ================================================================================================== past bugs


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda: results.summarize([dict(method="ce", noise="symmetric", rate="0.2", test_accuracy=0.5)]), "records"),
        (lambda: results.summarize([dict(method=["ce"], noise="symmetric", rate=0.2, test_accuracy=0.5)]), "records"),
        (
            lambda: results.summarize([dict(method="ce", noise="symmetric", rate=0.2, test_accuracy=math.nan)]),
            "records",
        ),
        (lambda: tables.estimation_table([dict(method="ce", noise="symmetric", rate=0.2)]), "records"),
        (lambda: prose.run_summary([dict(task="mnist")]), "records"),
        (lambda: results.setting({}), "record"),
    ],
    ids=["str-rate", "list-method", "nan-accuracy", "no-best-epoch", "no-wall-time", "setting-no-field"],
)
def test_result_tables_name_a_malformed_record(call, name):
    """Past bug, found by this fuzz: each call raised KeyError, a format error, "unhashable type", or averaged a
    NaN accuracy silently."""
    assert_rejects(call, name)


def _nan_heat_map():
    fig, axes = _figure(1)
    try:
        plots.show_T(axes[0], np.full((3, 3), math.nan), "T")
    finally:
        _close(fig)


def _estimate_of_two_shapes():
    fig, axes = _figure(3)
    try:
        plots.show_estimate(fig, axes, np.eye(3), np.ones((1, 3)) / 3, "x")
    finally:
        _close(fig)


def _without(record, field):
    return {k: v for k, v in record.items() if k != field}


def _revision_with_nan_delta():
    loss = learned_T.RevisionLoss(lnc.pair_T(3, {0: 1}, 0.3), revise=True)
    with torch.no_grad():
        loss.delta.fill_(math.nan)
    return loss.transition_matrix()


_GAPS = {("0", "0"): torch.eye(2, dtype=torch.float64)}
_ZERO_COLUMN = np.array([[0.5, 0.0, 0.5], [0.5, 0.0, 0.5], [0.0, 0.0, 1.0]])


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda: prose.listing("abc"), "items"),
        (lambda: tables.Table([["a", "b"], ["c"]]), "rows[1]"),
        (lambda: tables.Table([["a"], ["b", "c"]]), "rows[1]"),
        (lambda: prose.span([1.0, math.nan]), "values[1]"),
        (lambda: prose.verdict(["no"]), "flags[0]"),
        (lambda: results.summarize([_run_record(test_accuracy=-0.5)]), "records[0]"),
        (lambda: tables.gain_table([_run_record()], CIFARN, ["symetric 0.2"], methods=["ce"]), "settings"),
        (lambda: prose.run_summary([_run_record(recipe={})]), "records[0]"),
        (lambda: prose.run_summary([_run_record(seed=None)]), "records[0]"),
        (lambda: results.cpu_minutes([_run_record(threads="2")]), "records[0]"),
        (lambda: results.estimator_stats([_run_record(estimates=None)]), "records[0]"),
        (lambda: results.estimator_stats([_without(_run_record(method="volmin"), "estimation_error")]), "records[0]"),
        (lambda: prose.describe_recipe({**_run_record()["recipe"], "model_kwargs": None}), "recipe"),
        (lambda: prose.describe_records([_run_record(n_test=None)]), "records[0]"),
        (lambda: recipes.Recipe("mnist_fc", 1, optimizer="sgd", momentum=2), "recipe.momentum"),
        (lambda: recipes.Recipe("mnist_fc", 1, optimizer="sgd", nesterov=True), "recipe.nesterov"),
        (lambda: recipes.Recipe("mnist_fc", 1, momentum=0.9), "recipe.momentum"),
        (lambda: recipes.Recipe("mnist_fc", 1, milestones=(5, 3)), "recipe.milestones"),
        (lambda: recipes.Recipe("mnist_fc", 1, schedule="triangle", milestones=(3,)), "recipe.milestones"),
        (lambda: recipes.Recipe("mnist_fc", 1, model_kwargs={"num_classes": 3}), "recipe.model_kwargs"),
        (lambda: recipes.paper_T("mnist", "symmetric", 0.2, grouping="blocks"), "grouping"),
        (lambda: recipes.paper_T("mnist", "none", "abc"), "rate"),
        (lambda: learned_T.VolMinLoss(-2), "num_classes"),
        (lambda: learned_T.RevisionLoss(np.eye(3), revise="no"), "revise"),
        (lambda: learned_T.RevisionLoss(_ZERO_COLUMN, False)(torch.zeros(2, 3), torch.tensor([1, 1])), "T_hat"),
        (_revision_with_nan_delta, "delta"),
        (_nan_heat_map, "T"),
        (_estimate_of_two_shapes, "T_hat"),
        (lambda: curvature.block_gaps(_GAPS, {("0", "0"): torch.eye(1, dtype=torch.float64)}), "blocks_b"),
        (lambda: curvature.block_gaps({("0", "0"): torch.full((2, 2), math.nan)}, _GAPS), "blocks_a"),
        (lambda: curvature.block_gaps({}, {}), "blocks_a"),
        (lambda: lnc.forward_loss(torch.zeros(2, 3, device="meta"), torch.tensor([0, 1]), np.eye(3)), "logits"),
        (lambda: lnc.accuracy(torch.zeros(2, 3, device="meta"), [0, 1]), "logits_or_probs"),
    ],
    ids=[
        "listing-str",
        "table-short-row",
        "table-long-row",
        "span-nan",
        "verdict-str",
        "negative-accuracy",
        "gain-misspelt-setting",
        "summary-empty-recipe",
        "summary-seed-none",
        "cpu-threads-str",
        "estimates-none",
        "volmin-no-error",
        "recipe-kwargs-none",
        "describe-n-test-none",
        "momentum-2",
        "nesterov-no-momentum",
        "adagrad-momentum",
        "milestones-decreasing",
        "triangle-milestones",
        "model-kwargs-num-classes",
        "paper-T-ignored-option",
        "paper-T-none-rate",
        "volmin-negative-c",
        "revise-str",
        "revision-zero-column",
        "revision-nan-delta",
        "show-T-nan",
        "show-estimate-broadcast",
        "block-gaps-broadcast",
        "block-gaps-nan",
        "block-gaps-empty",
        "meta-logits",
        "meta-scores",
    ],
)
def test_fuzz_findings_of_the_experiment_and_book_helpers_are_refused(call, name):
    """Past bugs, found by this fuzz: each call returned a silent wrong result (``listing("abc")`` gave
    ``"a; b; c"``, a ragged ``Table`` dropped cells, ``span`` printed ``nan``, ``verdict(["no"])`` gave
    ``"holds"``, a negative accuracy was averaged, a misspelt setting gave a row of ``-``, ``Recipe`` took momentum
    2, Nesterov without momentum, momentum for Adagrad, unordered milestones or milestones with no step schedule,
    ``paper_T`` ignored an option, ``show_T`` drew NaN, ``block_gaps`` broadcast two shapes or returned NaN,
    ``RevisionLoss`` took ``revise="no"`` as True and projected a NaN T), or raised an unclear error (KeyError,
    AttributeError, IndexError, "unhashable type", RuntimeError from torch on a meta tensor, an overflow message for
    a zero column of T_hat)."""
    assert_rejects(call, name)


# ================================================================================================== coverage

FUZZED = {
    "ESTIMATORS",  # through estimate_T(method=...)
    "BackwardCorrectedLoss",
    "ForwardCorrectedLoss",
    "accuracy",
    "backward_loss",
    "binary_asymmetric_T",
    "bootstrap_hard_loss",
    "bootstrap_soft_loss",
    "cifar100_asymmetric_T",
    "cifar10_asymmetric_T",
    "condition_number",
    "corrupt_labels",
    "empirical_T",
    "estimate_T",
    "estimation_error",
    "forward_loss",
    "from_cleanlab",
    "make_loss",
    "mnist_asymmetric_T",
    "pair_T",
    "ramp_loss",
    "savage_loss",
    "sigmoid_loss",
    "symmetric_T",
    "to_cleanlab",
    "unhinged_loss",
}


def test_every_public_name_is_fuzzed():
    """A name added to ``lnc.__all__`` needs its fuzz tests here (then its name in FUZZED)."""
    assert set(lnc.__all__) <= FUZZED, sorted(set(lnc.__all__) - FUZZED)


@fuzz(60)
@given(data=st.data())
def test_the_run_description_refuses_bad_input_naming_it(data):
    records = [_run_record(test_accuracy=0.5)]
    paper = recipes.get_recipe("cifar10", "paper")
    which = data.draw(st.sampled_from(["records", "reference", "whose", "error"]))
    if which == "records":
        bad = data.draw(st.one_of(st.none(), st.text(max_size=3), st.integers(), st.builds(list)))
        call = data.draw(st.sampled_from([prose.failed_trainings, lambda r: prose.shown_run(r, paper, "its")]))
        assert_rejects(lambda: call(bad), "records")
    elif which == "reference":
        bad = data.draw(st.one_of(st.none(), st.text(max_size=3), st.integers(), st.builds(dict)))
        assert_rejects(lambda: prose.shown_run(records, bad, "its"), "reference")
    elif which == "whose":
        assert_rejects(lambda: prose.shown_run(records, paper, data.draw(NOT_STR)), "whose")
    else:
        failed = {**records[0], "status": "failed"}  # a failed record must say why
        assert_rejects(lambda: prose.failed_trainings([*records, failed]), "records[1]")


def _by_selection(records):
    """``records`` with both criteria's test accuracy (the accuracy itself and another draw-free value)."""
    return [
        {**r, "test_accuracy_by_selection": None if r["test_accuracy"] is None else
         {"val_accuracy": r["test_accuracy"], "val_loss": r["test_accuracy"] / 2}}
        for r in records
    ]  # fmt: skip


@fuzz(100)
@given(data=st.data())
def test_bad_input_to_paired_and_selection_tables_is_refused_naming_it(data):
    records = _by_selection(_records(data.draw, data.draw(st.integers(1, 4))))
    which = data.draw(st.sampled_from(["records", "baseline", "digits", "seed", "by_selection"]))
    if which == "records":
        bad = data.draw(st.one_of(st.none(), st.text(max_size=3), st.integers(), st.builds(lambda: records[0])))
        call = data.draw(st.sampled_from([results.paired_differences, tables.paired_table, tables.selection_table]))
        assert_rejects(lambda: call(bad), "records")
    elif which == "baseline":
        bad = data.draw(
            st.one_of(NOT_STR, st.text(max_size=4).filter(lambda b: b not in {r["method"] for r in records}))
        )
        call = data.draw(st.sampled_from([results.paired_differences, tables.paired_table]))
        assert_rejects(lambda: call(records, baseline=bad), "baseline")
    elif which == "digits":
        bad = data.draw(st.one_of(BAD_INT_OPTION, st.integers(-(10**6), -1)))
        call = data.draw(st.sampled_from([tables.paired_table, tables.selection_table]))
        assert_rejects(lambda: call(records, digits=bad), "digits")
    else:
        scored = [k for k, r in enumerate(records) if r["test_accuracy"] is not None]
        assume(scored)
        k = data.draw(st.sampled_from(scored))
        if which == "seed":
            records[k] = {key: v for key, v in records[k].items() if key != "seed"}
            baseline = records[k]["method"]  # a baseline of the records: the missing seed is what is refused
            assert_rejects(lambda: results.paired_differences(records, baseline=baseline), f"records[{k}]")
        else:
            bad = data.draw(st.sampled_from([None, 3, {}, {"val_loss": 0.5}, {"val_accuracy": 0.5}]))
            records[k] = {**records[k], "test_accuracy_by_selection": bad}
            assert_rejects(lambda: tables.selection_table(records), f"records[{k}]['test_accuracy_by_selection']")


@fuzz(100)
@given(data=st.data())
def test_paired_differences_match_a_loop_over_seeds(data):
    methods = ["ce", *data.draw(st.lists(st.sampled_from(["forward", "backward"]), min_size=1, unique=True))]
    seeds = data.draw(st.integers(1, 4))
    accuracy = st.one_of(st.floats(0.0, 1.0), st.none())
    records = [
        dict(task="mnist", noise="worst", rate=None, method=m, seed=s, test_accuracy=data.draw(accuracy))
        for m in methods
        for s in range(seeds)
        if data.draw(st.booleans()) or m == "ce"
    ]
    got = results.paired_differences(records)
    for method in methods[1:]:

        def score(m, s):
            found = [r["test_accuracy"] for r in records if r["method"] == m and r["seed"] == s]
            return found[0] if found else None

        pairs = [100 * score(method, s) - 100 * score("ce", s) for s in range(seeds)
                 if None not in (score(method, s), score("ce", s))]  # fmt: skip
        if not pairs:
            assert (method, "worst") not in got
        else:
            mean, std, n = got[method, "worst"]
            assert n == len(pairs) and abs(mean - math.fsum(pairs) / len(pairs)) < 1e-9
            assert (n == 1 and math.isnan(std)) or abs(std - float(np.std(pairs, ddof=1))) < 1e-9


@fuzz(50)
@given(data=st.data())
def test_training_key_tells_trainings_apart_and_one_ce_network_of_several_estimators_once(data):
    record = dict(noise="worst", rate=None, seed=0, protocol="fast2", subset=None, epochs=20, recipe={"model": "x"})
    ce = {**record, "method": "ce", "estimator": "anchor"}
    other = {**ce, "estimator": data.draw(st.sampled_from(["confident_joint", "dual_t"])), "cross_fit": None}
    assert results.training_key(ce) == results.training_key(other)  # one CE network serves every estimator
    field, value = data.draw(st.sampled_from([("seed", 1), ("method", "forward"), ("epochs", 12), ("noise", "aggre")]))
    assert results.training_key({**ce, field: value}) != results.training_key(ce)
    forward = {**record, "method": "forward_est", "estimator": "anchor"}
    assert results.training_key(forward) != results.training_key({**forward, "estimator": "dual_t"})


@fuzz(50)
@given(bad=st.one_of(st.none(), st.integers(), st.floats(), st.builds(list), st.builds(dict)))
def test_clip_table_and_the_inventory_refuse_a_path_of_another_kind(bad):
    assert_rejects(lambda: tables.clip_table(bad), "path")
    assert_rejects(lambda: inventory.runs_markdown(bad), "root")
    assert_rejects(lambda: inventory.stored_folders(bad), "root")
    assert_rejects(lambda: inventory.evidence_records(bad), "root")


@fuzz(30)
@given(missing=st.sampled_from(["method", "epochs", "clip_norm", "test_accuracy_by_selection", "epoch_by_selection"]))
def test_clip_table_names_the_line_that_lacks_a_field(tmp_path_factory, missing):
    line = dict(method="ce", epochs=12, clip_norm=1.0, test_accuracy_by_selection={"val_accuracy": 0.7},
                epoch_by_selection={"val_accuracy": 12})  # fmt: skip
    path = tmp_path_factory.mktemp("clip") / "clip_norm.jsonl"
    path.write_text(json.dumps(line) + "\n" + json.dumps({k: v for k, v in line.items() if k != missing}) + "\n")
    assert_rejects(lambda: tables.clip_table(path), "line 2 of clip_norm.jsonl")


def _backward_runs(draw, n):
    """``n`` backward runs (true T or T̂) and CE runs of two label sets, with random training-loss curves."""
    T = [[0.8, 0.2], [0.3, 0.7]]
    losses = st.lists(st.one_of(st.floats(-1e7, 10.0), st.none()), min_size=1, max_size=5).filter(
        lambda v: any(x is not None for x in v)
    )
    runs = []
    for k in range(n):
        method = draw(st.sampled_from(["ce", "backward", "backward_est"]))
        curve = draw(losses)
        run = dict(task="cifar10n", noise=draw(st.sampled_from(["aggre", "worst"])), rate=None, method=method, seed=k,
                   test_accuracy=draw(st.floats(0.0, 1.0)), best_epoch=len(curve), T_true=T, T_hat=T,
                   curves={"train_loss": curve, "val_accuracy": [0.5] * len(curve)})  # fmt: skip
        runs.append(run)
    return runs


@fuzz(100)
@given(data=st.data())
def test_backward_table_has_a_row_per_backward_run_and_finds_the_first_negative_loss(data):
    runs = _backward_runs(data.draw, data.draw(st.integers(1, 5)))
    rows = tables.backward_table(runs).rows[1:]
    backward = [r for r in runs if r["method"] != "ce"]
    assert len(rows) == len(backward)
    for row, r in zip(rows, backward):
        negative = [k + 1 for k, v in enumerate(r["curves"]["train_loss"]) if v is not None and v < 0]
        assert row[5] == (str(negative[0]) if negative else "never")
        assert row[2] == str(r["seed"]) and row[-1] == f"{100 * r['test_accuracy']:.1f}"


@fuzz(100)
@given(data=st.data())
def test_bad_input_to_the_backward_and_benchmark_tables_is_refused_naming_it(data):
    runs = _backward_runs(data.draw, 3)
    which = data.draw(st.sampled_from(["records", "record", "kind", "field", "estimators", "digits"]))
    if which == "records":
        bad = data.draw(st.one_of(st.none(), st.text(max_size=3), st.integers(), st.builds(lambda: runs[0])))
        call = data.draw(
            st.sampled_from([tables.backward_table, lambda r: tables.estimator_benchmark_table(r, "in_sample")])
        )
        assert_rejects(lambda: call(bad), "records")
    elif which == "record":
        k = data.draw(st.integers(0, 2))
        runs[k] = {**runs[k], "method": "backward"}
        field = data.draw(st.sampled_from(["seed", "curves", "best_epoch", "test_accuracy", "T_true"]))
        runs[k] = {key: v for key, v in runs[k].items() if key != field}
        assert_rejects(lambda: tables.backward_table(runs), f"records[{k}]")
    else:
        estimates = {"in_sample": {"anchor": {"estimation_error": 0.1}}}
        ce = [dict(task="mnist", noise="symmetric", rate=0.4, method="ce", seed=0, estimates=estimates)]
        bad = data.draw(st.one_of(NOT_STR, st.text(max_size=4).filter(lambda b: b not in ("in_sample", "anchor"))))
        options = {"kind": "in_sample", which: bad} if which in ("field", "estimators", "digits") else {which: bad}
        if which == "estimators":
            options[which] = data.draw(st.sampled_from([bad, [bad], ["dual_t"]]))
        if which == "digits":
            options[which] = data.draw(st.one_of(BAD_INT_OPTION.filter(lambda d: d is not None), st.integers(-9, -1)))
        assert_rejects(lambda: tables.estimator_benchmark_table(ce, **options), which)


@fuzz(100)
@given(items=st.lists(TEXT, max_size=4), extra=st.integers(0, 3), noun=TEXT)
def test_count_of_counts_and_names_the_cases_and_refuses_bad_input(items, extra, noun):
    text = prose.count_of(items, len(items) + extra, noun)
    assert text.startswith(f"{len(items)} of " if items else "none of the ")
    assert all(item in text for item in items)
    if items:
        assert_rejects(lambda: prose.count_of(items, len(items) - 1, noun), "total")
    assert_rejects(lambda: prose.count_of("ab", 2, noun), "items")
    assert_rejects(lambda: prose.count_of(items, len(items), 3), "noun")


HELPERS_FUZZED = {
    results: {
        "cpu_minutes",
        "estimator_stats",
        "loss_gaps",
        "paired_differences",
        "setting",
        "summarize",
        "training_key",
    },
    tables: {
        "Table",
        "accuracy_table",
        "accuracy_tables",
        "backward_table",
        "clip_table",
        "comparison_table",
        "correction_table",
        "epochs_table",
        "estimation_table",
        "estimator_benchmark_table",
        "estimator_table",
        "gain_table",
        "paired_table",
        "selection_table",
    },
    prose: {
        "count_of",
        "describe_recipe",
        "describe_records",
        "failed_trainings",
        "listing",
        "run_summary",
        "shown_run",
        "span",
        "verdict",
    },
    inventory: {"evidence_records", "runs_markdown", "stored_folders"},
    recipes: {"Recipe", "get_recipe", "paper_T"},
    learned_T: {"RevisionLoss", "VolMinLoss"},
    curvature: {
        "block_gaps",
        "full_hessian",
        "layer_blocks",
        "layer_hessian",
        "layers_of",
        "logit_hessian",
        "parameter_hessian",
    },
    risk: {"conditional_risk", "minimise_conditional_risk"},
    simulation: {
        "anchored_posteriors",
        "peaked_posteriors",
        "posteriors_with_outliers",
        "sample_labels",
        "scattered_posteriors",
    },
    plots: {"show_T", "show_estimate", "simplex_view", "training_curves"},
}


def test_every_public_helper_of_the_experiments_and_the_book_is_fuzzed():
    """A public function or class added to one of these modules needs its fuzz tests here (then its name above)."""
    for module, fuzzed in HELPERS_FUZZED.items():
        public = {
            name
            for name, value in vars(module).items()
            if callable(value) and not name.startswith("_") and getattr(value, "__module__", None) == module.__name__
        }
        assert public <= fuzzed, (module.__name__, sorted(public - fuzzed))
