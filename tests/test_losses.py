"""Losses against independent computations: exact expectations, probability-space formulas, gradcheck,
and naive per-class formulas written with plain Python floats."""

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import random_T
from hypothesis import given, settings
from hypothesis import strategies as st

import lnc
from lnc import losses
from lnc.losses import NonFiniteLogitsError
from lnc.noise import pair_T, symmetric_T


def _logits(n, c, seed, scale=3.0):
    gen = torch.Generator().manual_seed(seed)
    return scale * torch.randn(n, c, generator=gen, dtype=torch.float64)


# ---------------------------------------------------------------- backward: Theorem 1


@pytest.mark.parametrize("c", [2, 3, 10])
def test_backward_loss_is_unbiased_for_every_clean_label(c, rng):
    T = random_T(c, rng)
    h = _logits(1, c, seed=c).expand(c, -1)  # one example, every possible noisy label
    per_noisy = losses.backward_loss(h, torch.arange(c), T, reduction="none")  # (c,)
    for y in range(c):
        expected = sum(T[y, k] * per_noisy[k].item() for k in range(c))  # E over y~ | y
        clean = F.cross_entropy(h[:1], torch.tensor([y])).item()
        assert abs(expected - clean) < 1e-5


@pytest.mark.filterwarnings("ignore:T is ill-conditioned")
@settings(max_examples=40, deadline=None)
@given(c=st.integers(2, 8), seed=st.integers(0, 2**31 - 1))
def test_backward_loss_expectation_equals_clean_cross_entropy_property(c, seed):
    rng = np.random.default_rng(seed)
    T = random_T(c, rng, diagonal=0.3)
    h = torch.from_numpy(rng.normal(scale=4.0, size=(1, c)))
    per_noisy = losses.backward_loss(h.expand(c, -1), torch.arange(c), T, reduction="none")
    expected = torch.from_numpy(T) @ per_noisy
    clean = F.cross_entropy(h.expand(c, -1), torch.arange(c), reduction="none")
    torch.testing.assert_close(expected, clean, atol=1e-8, rtol=1e-8)


def test_backward_loss_matches_closed_form_with_explicit_inverse(rng):
    T = random_T(4, rng)
    h, y = _logits(32, 4, seed=1), torch.from_numpy(rng.integers(0, 4, 32))
    T_inv = np.linalg.inv(T)
    expected = [
        sum(-T_inv[y[n], j] * math.log(math.exp(h[n, j]) / sum(math.exp(v) for v in h[n].tolist())) for j in range(4))
        for n in range(32)
    ]
    torch.testing.assert_close(
        losses.backward_loss(h, y, T, reduction="none"), torch.tensor(expected, dtype=torch.float64)
    )


def test_backward_loss_goes_negative_for_some_examples():
    """Documented behaviour: per-example values are unbounded below (rows of inv(T) have negative entries)."""
    T = symmetric_T(3, 0.4)
    h = torch.tensor([[-10.0, 10.0, -10.0]], dtype=torch.float64)  # confident and right
    assert losses.backward_loss(h, torch.tensor([1]), T).item() < -1.0


def test_backward_loss_warns_on_ill_conditioned_T():
    T = symmetric_T(10, 0.899)  # cond = 1 / |1 - 0.899 * 10 / 9| = 900
    with pytest.warns(UserWarning, match="ill-conditioned"):
        losses.backward_loss(_logits(4, 10, 0), torch.zeros(4, dtype=torch.long), T)


def test_backward_loss_does_not_warn_on_well_conditioned_T():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses.backward_loss(_logits(4, 10, 0), torch.zeros(4, dtype=torch.long), symmetric_T(10, 0.6))


def test_backward_loss_rejects_singular_T():
    with pytest.raises(ValueError, match="non-singular"):
        losses.backward_loss(_logits(2, 2, 0), torch.tensor([0, 1]), [[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(ValueError, match="non-singular"):
        losses.BackwardCorrectedLoss(lnc.mnist_asymmetric_T(0.5))


def test_inverse_is_cached_and_read_only(rng):
    T = random_T(5, rng)
    losses._inverse.cache_clear()
    first = losses.inverse_transition_matrix(T)
    second = losses.inverse_transition_matrix(T.copy())
    assert first is second and losses._inverse.cache_info().hits == 1
    assert not first.flags.writeable
    np.testing.assert_allclose(first.sum(axis=1), 1.0, atol=1e-12)  # rows of inv(T) sum to 1


# ---------------------------------------------------------------- forward


@pytest.mark.parametrize("c", [2, 3, 10])
def test_forward_loss_matches_probability_space_formula(c, rng):
    T = random_T(c, rng)
    h, y = _logits(64, c, seed=c), torch.from_numpy(rng.integers(0, c, 64))
    p_noisy = torch.softmax(h, dim=1) @ torch.from_numpy(T)  # (N, c): p(y~ = j | x)
    expected = -torch.log(p_noisy[torch.arange(64), y])
    torch.testing.assert_close(losses.forward_loss(h, y, T, reduction="none"), expected)


@settings(max_examples=40, deadline=None)
@given(c=st.integers(2, 8), seed=st.integers(0, 2**31 - 1))
def test_forward_loss_matches_probability_space_formula_property(c, seed):
    rng = np.random.default_rng(seed)
    T = random_T(c, rng, diagonal=0.2)
    h = torch.from_numpy(rng.normal(scale=5.0, size=(16, c)))
    y = torch.from_numpy(rng.integers(0, c, 16))
    expected = -torch.log((torch.softmax(h, dim=1) @ torch.from_numpy(T))[torch.arange(16), y])
    torch.testing.assert_close(losses.forward_loss(h, y, T, reduction="none"), expected)


def test_forward_and_backward_equal_cross_entropy_when_T_is_identity():
    h, y = _logits(32, 5, seed=3), torch.arange(32) % 5
    ce = F.cross_entropy(h, y, reduction="none")
    torch.testing.assert_close(losses.forward_loss(h, y, np.eye(5), reduction="none"), ce)
    torch.testing.assert_close(losses.backward_loss(h, y, np.eye(5), reduction="none"), ce)


@pytest.mark.parametrize("loss_fn", [losses.forward_loss, losses.backward_loss])
def test_corrected_losses_are_finite_with_finite_gradients_for_huge_logits(loss_fn):
    T = np.array([[0.7, 0.3, 0.0], [0.0, 1.0, 0.0], [0.2, 0.0, 0.8]])  # zero entries, no zero column
    h = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [0.0, 0.0, -1e4], [-1e4, -1e4, 1e4]], requires_grad=True)
    for y in range(3):
        value = loss_fn(h, torch.full((4,), y), T)
        (grad,) = torch.autograd.grad(value, h)
        assert torch.isfinite(value) and torch.isfinite(grad).all()


def test_forward_loss_is_exact_on_zero_entries_of_T():
    """A clean class with T[i, y~] = 0 contributes nothing: only p(i = 0 | x) matters for y~ = 2 here."""
    T = np.array([[0.5, 0.5, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    h = torch.tensor([[0.0, 0.0, math.log(2.0)]], dtype=torch.float64)  # p = (1/4, 1/4, 1/2)
    assert abs(losses.forward_loss(h, torch.tensor([2]), T).item() - (-math.log(0.5))) < 1e-12
    assert abs(losses.forward_loss(h, torch.tensor([0]), T).item() - (-math.log(0.125))) < 1e-12


def test_forward_loss_rejects_targets_that_T_never_produces():
    T = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.5, 0.0]])  # column 2 is zero
    with pytest.raises(ValueError, match="never produces"):
        losses.forward_loss(_logits(2, 3, 0), torch.tensor([0, 2]), T)
    assert torch.isfinite(losses.forward_loss(_logits(2, 3, 0), torch.tensor([0, 1]), T))


@pytest.mark.parametrize("loss_fn", [losses.forward_loss, losses.backward_loss])
def test_corrected_loss_gradients_pass_gradcheck(loss_fn, rng):
    T = random_T(4, rng)
    h = _logits(6, 4, seed=7).requires_grad_()
    y = torch.tensor([0, 1, 2, 3, 1, 2])
    assert torch.autograd.gradcheck(lambda z: loss_fn(z, y, T, reduction="none"), (h,))


@pytest.mark.parametrize("name", ["forward", "backward"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_module_form_equals_function_form(name, reduction, rng):
    T = random_T(4, rng)
    h, y = _logits(8, 4, seed=2).float(), torch.arange(8) % 4
    module = lnc.make_loss(name, T, reduction=reduction)
    function = {"forward": lnc.forward_loss, "backward": lnc.backward_loss}[name]
    torch.testing.assert_close(module(h, y), function(h, y, T, reduction=reduction))


def test_reductions_are_mean_and_sum_of_per_example_values(rng):
    T = random_T(3, rng)
    h, y = _logits(10, 3, seed=4), torch.arange(10) % 3
    for fn in (lnc.forward_loss, lnc.backward_loss, lnc.unhinged_loss, lnc.bootstrap_soft_loss):
        per_example = (
            fn(h, y, T, reduction="none") if fn in (lnc.forward_loss, lnc.backward_loss) else fn(h, y, reduction="none")
        )
        total = (
            fn(h, y, T, reduction="sum") if fn in (lnc.forward_loss, lnc.backward_loss) else fn(h, y, reduction="sum")
        )
        assert per_example.shape == (10,)
        assert abs(total.item() - sum(per_example.tolist())) < 1e-10


def test_corrected_loss_module_moves_T_with_to_and_keeps_input_T_untouched(rng):
    T = random_T(3, rng)
    original = T.copy()
    module = lnc.ForwardCorrectedLoss(T).to(torch.float64)
    assert module.log_T.dtype == torch.float64 and "log_T" in dict(module.named_buffers())
    module(_logits(4, 3, 0), torch.tensor([0, 1, 2, 0]))
    np.testing.assert_array_equal(T, original)


# ---------------------------------------------------------------- baselines vs naive formulas


def _softmax(row):
    m = max(row)
    e = [math.exp(v - m) for v in row]
    return [v / sum(e) for v in e]


def _naive(name, row, y, beta=None):
    """Per-example loss from the formula with one-hot y (0/1) and plain floats."""
    c = len(row)
    onehot = [1.0 if k == y else 0.0 for k in range(c)]
    p = _softmax(row)
    if name == "unhinged":
        return sum(1 - onehot[k] * row[k] for k in range(c)) / c
    if name == "sigmoid":
        return sum(1 / (1 + math.exp(onehot[k] * row[k])) for k in range(c)) / c
    if name == "ramp":
        return sum(min(1.0, max(0.0, 1 - onehot[k] * row[k])) for k in range(c)) / c
    if name == "savage":
        return sum((1 + math.exp(2 * onehot[k] * p[k])) ** -2 for k in range(c)) / c
    if name == "bootstrap_soft":
        return -sum((beta * onehot[k] + (1 - beta) * p[k]) * math.log(p[k]) for k in range(c))
    if name == "bootstrap_hard":
        z = max(range(c), key=lambda k: p[k])
        return -(beta * math.log(p[y]) + (1 - beta) * math.log(p[z]))
    raise AssertionError(name)


BASELINES = {
    "unhinged": (lnc.unhinged_loss, {}),
    "sigmoid": (lnc.sigmoid_loss, {}),
    "ramp": (lnc.ramp_loss, {}),
    "savage": (lnc.savage_loss, {}),
    "bootstrap_soft": (lnc.bootstrap_soft_loss, {"beta": 0.95}),
    "bootstrap_hard": (lnc.bootstrap_hard_loss, {"beta": 0.8}),
}
HAND_CASES = [([2.0, 0.0, -1.0], 0), ([2.0, 0.0, -1.0], 2), ([0.3, 0.5, 0.25], 1), ([-4.0, 1.5, 0.0, 0.7], 3)]


@pytest.mark.parametrize("name", BASELINES)
@pytest.mark.parametrize("row,y", HAND_CASES)
def test_baseline_matches_naive_formula(name, row, y):
    fn, kw = BASELINES[name]
    value = fn(torch.tensor([row], dtype=torch.float64), torch.tensor([y]), **kw).item()
    assert abs(value - _naive(name, row, y, **kw)) < 1e-12


def test_baselines_hand_checked_values():
    """Values worked out by hand for logits (2, 0, -1), target 0 (c = 3)."""
    h, y = torch.tensor([[2.0, 0.0, -1.0]], dtype=torch.float64), torch.tensor([0])
    assert abs(lnc.unhinged_loss(h, y).item() - (1 - 2 / 3)) < 1e-12
    assert abs(lnc.ramp_loss(h, y).item() - 2 / 3) < 1e-12  # (0 + 1 + 1) / 3
    assert abs(lnc.sigmoid_loss(h, y).item() - (1 / (1 + math.e**2) + 1.0) / 3) < 1e-12
    # the hard bootstrap's predicted class is the target here, so it equals cross-entropy
    assert abs(lnc.bootstrap_hard_loss(h, y).item() - F.cross_entropy(h, y).item()) < 1e-12


@pytest.mark.parametrize("name", ["unhinged", "sigmoid", "savage", "bootstrap_soft", "bootstrap_hard"])
def test_baseline_gradients_pass_gradcheck(name):
    fn, kw = BASELINES[name]
    h = _logits(5, 4, seed=11).requires_grad_()
    y = torch.tensor([0, 1, 2, 3, 0])
    assert torch.autograd.gradcheck(lambda z: fn(z, y, reduction="none", **kw), (h,))


def test_bootstrap_soft_gradient_flows_through_the_prediction_in_the_target():
    """Reed et al.'s soft bootstrap differentiates the (1 - beta) p log p term too (an entropy term)."""
    h = _logits(1, 3, seed=5).requires_grad_()
    y = torch.tensor([0])
    (g_soft,) = torch.autograd.grad(lnc.bootstrap_soft_loss(h, y, beta=0.0), h)
    p = torch.softmax(h.detach(), dim=1)
    entropy_grad = -(p * (torch.log(p) + 1)) + p * (p * (torch.log(p) + 1)).sum()  # d H(softmax(h)) / dh
    torch.testing.assert_close(g_soft, entropy_grad)


# ---------------------------------------------------------------- make_loss


@pytest.mark.parametrize("name", lnc.losses.LOSS_NAMES)
def test_make_loss_builds_every_named_loss(name, rng):
    T = random_T(3, rng) if name in ("forward", "backward") else None
    module = lnc.make_loss(name, T)
    h, y = _logits(6, 3, seed=9), torch.arange(6) % 3
    value = module(h, y)
    assert isinstance(module, torch.nn.Module) and value.shape == () and torch.isfinite(value)


def test_make_loss_ce_is_cross_entropy():
    h, y = _logits(6, 3, seed=9), torch.arange(6) % 3
    torch.testing.assert_close(lnc.make_loss("ce")(h, y), F.cross_entropy(h, y))


def test_make_loss_passes_options():
    h, y = _logits(6, 3, seed=9), torch.arange(6) % 3
    torch.testing.assert_close(
        lnc.make_loss("bootstrap_soft", beta=0.5, reduction="sum")(h, y),
        lnc.bootstrap_soft_loss(h, y, beta=0.5, reduction="sum"),
    )


# ---------------------------------------------------------------- bad input

GOOD_T = pair_T(3, {0: 1}, 0.3)
H, Y = torch.zeros(2, 3), torch.tensor([0, 1])


@pytest.mark.parametrize("fn", [lnc.forward_loss, lnc.backward_loss])
@pytest.mark.parametrize(
    "logits,targets,T,kw,error,match",
    [
        (H.numpy(), Y, GOOD_T, {}, TypeError, "logits must be a floating-point torch.Tensor"),
        (H.long(), Y, GOOD_T, {}, TypeError, "logits must be a floating-point"),
        (H, Y.float(), GOOD_T, {}, TypeError, "targets must be an integer"),
        (H, [0, 1], GOOD_T, {}, TypeError, "targets must be an integer"),
        (torch.zeros(2, 4), Y, GOOD_T, {}, ValueError, r"logits must have shape \(N, c\) with c = 3"),
        (torch.zeros(3), Y, GOOD_T, {}, ValueError, "logits must have shape"),
        (H, torch.tensor([0, 1, 2]), GOOD_T, {}, ValueError, r"targets must have shape \(2,\)"),
        (H, torch.tensor([0, 3]), GOOD_T, {}, ValueError, r"targets must lie in \[0, 3\), got 3"),
        (H, torch.tensor([-1, 0]), GOOD_T, {}, ValueError, "targets must lie in"),
        (torch.tensor([[0.0, float("nan"), 0.0]] * 2), Y, GOOD_T, {}, ValueError, "logits must be finite"),
        (H, Y, GOOD_T.T, {}, ValueError, "T must be row-stochastic"),
        (H, Y, GOOD_T[:2], {}, ValueError, "T must be a square"),
        (H, Y, np.eye(1), {}, ValueError, "T must be a square"),
        (H, Y, np.array([[1.5, -0.5, 0], [0, 1, 0], [0, 0, 1]]), {}, ValueError, "T must be finite and non-negative"),
        (H, Y, np.full((3, 3), np.nan), {}, ValueError, "T must be finite"),
        (H, Y, "identity", {}, TypeError, "T must be an array"),
        (H, Y, GOOD_T, {"reduction": "avg"}, ValueError, "reduction must be one of"),
    ],
)
def test_corrected_losses_reject_bad_input(fn, logits, targets, T, kw, error, match):
    with pytest.raises(error, match=match):
        fn(logits, targets, T, **kw)


@pytest.mark.parametrize("name", list(BASELINES))
def test_baselines_reject_bad_input(name):
    fn, _ = BASELINES[name]
    with pytest.raises(ValueError, match="targets must lie in"):
        fn(H, torch.tensor([0, 5]))
    with pytest.raises(TypeError, match="logits must be"):
        fn(H.numpy(), Y)
    with pytest.raises(ValueError, match="reduction must be one of"):
        fn(H, Y, reduction="batchmean")


@pytest.mark.parametrize("fn", [lnc.bootstrap_soft_loss, lnc.bootstrap_hard_loss])
@pytest.mark.parametrize(
    "beta,error", [(1.5, ValueError), (-0.1, ValueError), (float("nan"), ValueError), ("0.8", TypeError)]
)
def test_bootstraps_reject_bad_beta(fn, beta, error):
    with pytest.raises(error, match="beta must"):
        fn(H, Y, beta=beta)


@pytest.mark.parametrize(
    "call,error,match",
    [
        (lambda: lnc.make_loss("hinge"), ValueError, "name must be one of"),
        (lambda: lnc.make_loss("forward"), ValueError, "needs T"),
        (lambda: lnc.make_loss("backward"), ValueError, "needs T"),
        (lambda: lnc.make_loss("ce", T=GOOD_T), ValueError, "T is used only by"),
        (lambda: lnc.make_loss("unhinged", beta=0.5), TypeError, "beta"),
        (lambda: lnc.make_loss("bootstrap_soft", beta=2.0), ValueError, "beta must lie in"),
        (lambda: lnc.make_loss("ce", reduction="avg"), ValueError, "reduction must be one of"),
        (lambda: lnc.make_loss("forward", GOOD_T, reduction="avg"), ValueError, "reduction must be one of"),
        (lambda: lnc.make_loss("forward", GOOD_T.T), ValueError, "row-stochastic"),
    ],
)
def test_make_loss_rejects_bad_configuration(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    "module,function", [(lnc.ForwardCorrectedLoss, lnc.forward_loss), (lnc.BackwardCorrectedLoss, lnc.backward_loss)]
)
def test_module_follows_a_loaded_state_dict(module, function, rng):
    """The module's cached float32 copy of its buffer must not outlive a new T loaded in place."""
    T_old, T_new = random_T(4, rng), random_T(4, rng)
    loss = module(T_old)
    logits, targets = torch.randn(6, 4), torch.tensor([0, 1, 2, 3, 0, 1])
    loss(logits, targets)
    loss.load_state_dict(module(T_new).state_dict())
    torch.testing.assert_close(loss(logits, targets), function(logits, targets, T_new))


def test_forward_module_zero_columns_follow_a_loaded_state_dict():
    """Past bug: the zero columns were fixed at construction; after loading another T the module refused targets
    that forward_loss accepts (or accepted ones it refuses, with the wrong message)."""
    with_zero = np.array([[0.7, 0.3, 0.0], [0.0, 1.0, 0.0], [0.2, 0.3, 0.5]])  # column 2 only from class 2
    no_zero, never = pair_T(3, {0: 1}, 0.3), np.array([[0.7, 0.3, 0.0], [0.0, 1.0, 0.0], [0.5, 0.5, 0.0]])
    logits, targets = torch.randn(3, 3, generator=torch.Generator().manual_seed(0)), torch.tensor([0, 1, 2])
    loss = lnc.ForwardCorrectedLoss(never)
    loss.load_state_dict(lnc.ForwardCorrectedLoss(no_zero).state_dict())
    torch.testing.assert_close(loss(logits, targets), lnc.forward_loss(logits, targets, no_zero))
    loss = lnc.ForwardCorrectedLoss(with_zero)
    loss.load_state_dict(lnc.ForwardCorrectedLoss(never).state_dict())
    with pytest.raises(ValueError, match=r"targets holds the noisy classes \[2\], which T never produces"):
        loss(logits, targets)


ALL_LOSSES = {
    name: (
        lambda name: (
            lambda h, y, **kw: lnc.make_loss(name, GOOD_T if name in ("forward", "backward") else None, **kw)(h, y)
        )
    )(name)
    for name in lnc.losses.LOSS_NAMES
}


@pytest.mark.parametrize("name", lnc.losses.LOSS_NAMES)
@pytest.mark.parametrize("dtype", [torch.uint8, torch.int8, torch.int16, torch.int32])
def test_every_integer_target_dtype_means_class_indices(name, dtype):
    """Past bug: uint8 targets indexed T as a boolean mask when N == c (the loss of targets 0, 1, 2 was
    computed for [1, 2, 1]); int8 / int16 raised IndexError."""
    logits = torch.randn(3, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    targets = torch.tensor([1, 2, 1])
    expected = ALL_LOSSES[name](logits, targets, reduction="none")
    torch.testing.assert_close(ALL_LOSSES[name](logits, targets.to(dtype), reduction="none"), expected)


@pytest.mark.parametrize("name", lnc.losses.LOSS_NAMES)
def test_an_empty_batch_has_no_mean_but_a_zero_sum(name):
    """Past bug: reduction="mean" on an empty batch returned NaN (the baselines, "ce") or said "logits must be
    finite" (the corrections)."""
    logits, targets = torch.zeros(0, 3), torch.zeros(0, dtype=torch.long)
    with pytest.raises(ValueError, match=r"logits must hold at least one example for reduction='mean'"):
        ALL_LOSSES[name](logits, targets)
    assert ALL_LOSSES[name](logits, targets, reduction="sum").item() == 0.0
    assert ALL_LOSSES[name](logits, targets, reduction="none").shape == (0,)


@pytest.mark.parametrize("name", lnc.losses.LOSS_NAMES)
@pytest.mark.parametrize("logits", [H.numpy(), H.tolist(), None, torch.zeros(2, 3, dtype=torch.complex64)])
def test_loss_modules_refuse_non_tensor_logits_with_a_type_error(name, logits):
    """Past bug: the module forms cast T to the logits' dtype before checking them (AttributeError)."""
    with pytest.raises(TypeError, match="logits must be a floating-point torch.Tensor"):
        ALL_LOSSES[name](logits, Y)


def test_one_column_logits_get_a_message_that_does_not_contradict_itself():
    with pytest.raises(ValueError, match=r"logits must have shape \(N, c\) with c >= 2 classes, got \(5, 1\)"):
        lnc.make_loss("ce")(torch.zeros(5, 1), torch.zeros(5, dtype=torch.long))


def test_float16_backward_with_an_inverse_beyond_float16_names_T():
    """Past bug: inv(T) overflowed float16 and the message blamed the logits."""
    T = symmetric_T(2, 0.499997)  # cond(T) = 1.7e5: inv(T) has entries of about 8.3e4 > 65504
    logits, targets = torch.zeros(2, 2, dtype=torch.float16), torch.tensor([0, 1])
    with pytest.warns(UserWarning, match="ill-conditioned"), pytest.raises(ValueError, match="float16"):
        lnc.backward_loss(logits, targets, T)


def test_make_loss_names_must_be_strings():
    """Past bug: a list where a name is expected gave "unhashable type"."""
    with pytest.raises(TypeError, match=r"name must be one of .*, got \['ce'\]"):
        lnc.make_loss(["ce"])
    with pytest.raises(
        TypeError, match=r"cross_entropy_loss has no option 'beta'; its options: \['reduction', 'checks'\]"
    ):
        lnc.make_loss("ce", beta=0.5)


@pytest.mark.parametrize("T", [GOOD_T.astype(np.complex128), np.ma.masked_array(GOOD_T, mask=np.eye(3))])
def test_complex_and_masked_matrices_are_refused(T):
    """Past bug: a complex T lost its imaginary part and a masked T its mask, silently."""
    with pytest.raises(TypeError, match="T must be an array of real numbers"):
        lnc.forward_loss(H, Y, T)
    with pytest.raises(TypeError, match="noisy_probs must be an array of real numbers"):
        lnc.estimate_T(T)


@pytest.mark.parametrize("make", [lambda T: lambda h, y: lnc.forward_loss(h, y, T), lnc.ForwardCorrectedLoss])
def test_forward_loss_refuses_minus_inf_logits_like_every_loss(make):
    """Past bug: a -inf logit gave a finite forward-corrected loss (the only loss that accepted it), although
    every other loss refuses non-finite logits."""
    logits = torch.tensor([[0.0, -math.inf, 0.0]] * 2)
    with pytest.raises(ValueError, match="logits must be finite, got NaN or inf"):
        make(GOOD_T)(logits, Y)


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32])
def test_bootstrap_soft_loss_is_finite_when_a_class_other_than_the_target_has_probability_zero(dtype):
    """Past bug: a row spread beyond the dtype's range made a probability exactly 0, and the entropy term
    0 * log 0 = 0 * -inf gave a NaN loss (and NaN gradients) instead of the finite value of the definition."""
    big = torch.finfo(dtype).max * 0.75
    logits = torch.tensor([[big, -big, 0.0]], dtype=dtype, requires_grad=True)
    loss = lnc.bootstrap_soft_loss(logits, torch.tensor([0]))
    loss.backward()
    assert loss.item() == 0.0 and torch.isfinite(logits.grad).all()


@pytest.mark.parametrize("name", ["ce", "bootstrap_soft", "bootstrap_hard", "backward"])
def test_a_loss_that_overflows_finite_logits_says_so_instead_of_returning_inf(name):
    """Past bug: finite logits whose row spread exceeds the dtype's range gave an inf loss (cross-entropy, the
    bootstraps) or a message that blamed NaN or inf logits that were not there (backward)."""
    big = torch.finfo(torch.float32).max * 0.75
    logits = torch.tensor([[big, -big, 0.0]])
    loss = lnc.make_loss(name, T=GOOD_T if name == "backward" else None)
    with pytest.raises(ValueError, match=r"logits must be small enough for a finite loss in torch.float32"):
        loss(logits, torch.tensor([1]))


def test_logits_of_another_size_than_T_name_T():
    """Past bug: the message named only the logits when T had another number of classes."""
    with pytest.raises(ValueError, match=r"c = 2 \(the size of T\), got \(2, 3\)"):
        lnc.forward_loss(H, Y, np.eye(2))


@pytest.mark.parametrize("logits", [H.to(torch.float8_e4m3fn), H.to_sparse()])
@pytest.mark.parametrize("name", ["ce", "forward", "backward", "unhinged"])
def test_float8_and_sparse_logits_are_refused_with_a_type_error(name, logits):
    """Past bug: float8 or sparse logits passed the "floating point" check and failed inside log_softmax with
    NotImplementedError."""
    loss = lnc.make_loss(name, T=GOOD_T if name in ("forward", "backward") else None)
    with pytest.raises(TypeError, match=r"logits must be a floating-point torch.Tensor \(dense; float16"):
        loss(logits, Y)


# ---------------------------------------------------------------- forward: precision


def test_forward_loss_keeps_entries_of_T_below_float32s_range():
    """T[0, 1] = 1e-136 is 0 in float32; with float32 logits [0, -311] and target 1 the loss is
    -log(1e-136 + e^-311) = 310.7, not 311: log T is taken in float64, before the cast (the fuzz suite found a
    version that cast first)."""
    T = np.array([[1.0 - 1e-136, 1e-136], [0.0, 1.0]])
    loss = lnc.forward_loss(torch.tensor([[0.0, -311.0]]), torch.tensor([1]), T)
    assert abs(loss.item() - (-math.log(1e-136 + math.exp(-311.0)))) < 1e-3


# ---------------------------------------------------------------- deferred checks: no host synchronisation


class _HostReads(torch.utils._python_dispatch.TorchDispatchMode):
    """Counts the operations that read a tensor's value on the host (``.item()``, ``bool()``, ``.tolist()``):
    on an accelerator each is a synchronisation."""

    READS = {"aten._local_scalar_dense.default", "aten.is_nonzero.default", "aten.item.default"}

    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.count += str(func) in self.READS
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("name", lnc.losses.LOSS_NAMES)
def test_deferred_checks_read_nothing_on_the_host(name):
    T = GOOD_T if name in lnc.losses.CORRECTIONS else None
    h, y = torch.randn(5, 3, requires_grad=True), torch.tensor([0, 1, 2, 1, 0])
    for checks, reads in (("deferred", lambda n: n == 0), ("eager", lambda n: n > 0)):
        loss_fn = lnc.make_loss(name, T, checks=checks)
        with _HostReads() as mode:
            loss_fn(h, y).backward()
        assert reads(mode.count), (checks, mode.count)
        torch.testing.assert_close(loss_fn(h, y), lnc.make_loss(name, T)(h, y))


@pytest.mark.parametrize(
    ("name", "logits", "targets", "error", "message"),
    [
        ("ce", torch.zeros(2, 3), torch.tensor([0, 3]), ValueError, r"targets must lie in \[0, 3\)"),
        ("forward", torch.zeros(2, 3), torch.tensor([-1, 0]), ValueError, r"targets must lie in \[0, 3\)"),
        ("backward", torch.tensor([[0.0, math.nan, 1.0]]), torch.tensor([0]), NonFiniteLogitsError, "finite"),
        ("forward", torch.zeros(1, 3), torch.tensor([2]), ValueError, "T never produces"),
    ],
)
def test_deferred_checks_raise_the_eager_errors_at_verify(name, logits, targets, error, message):
    T = np.array([[0.7, 0.3, 0.0], [0.0, 1.0, 0.0], [0.5, 0.5, 0.0]]) if "never" in message else GOOD_T
    loss_fn = lnc.make_loss(name, T if name != "ce" else None, checks="deferred")
    with pytest.raises(error, match=message):
        lnc.make_loss(name, T if name != "ce" else None, checks="eager")(logits, targets)
    loss_fn(logits, targets)  # no error yet, and out-of-range targets did not index out of bounds
    with pytest.raises(error, match=message):
        loss_fn.verify()
    loss_fn.verify()  # the flags were read and cleared
    loss_fn(torch.zeros(2, 3), torch.tensor([0, 1]))
    loss_fn.verify()


def test_checks_must_be_a_known_mode():
    with pytest.raises(ValueError, match=r"checks must be one of \('auto', 'eager', 'deferred'\), got 'lazy'"):
        lnc.make_loss("forward", GOOD_T, checks="lazy")
