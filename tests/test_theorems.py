"""The book's theorem claims, on the helpers of lnc.book.curvature, lnc.book.risk and lnc.experiments.models, so
that a wrong lnc change fails here and not only in a chapter."""

import numpy as np
import pytest
import torch
from conftest import random_T

import lnc
from lnc.book.curvature import block_gaps, full_hessian, layer_hessian, logit_hessian
from lnc.book.risk import minimise_conditional_risk
from lnc.experiments.models import mlp, small_convnet

T3 = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.1, 0.6]])


def _net(kind):
    with torch.random.fork_rng():  # seeded, and the global RNG left as it was
        torch.manual_seed(0)
        if kind == "conv":
            return small_convnet(num_classes=3).double(), torch.randn(6, 1, 6, 6, dtype=torch.float64)
        return mlp([4, 5, 5, 3], activation=kind).double(), torch.randn(6, 4, dtype=torch.float64)


def _max_gaps(net, inputs, loss_a, targets_a, loss_b, targets_b):
    return block_gaps(layer_hessian(net, loss_a, inputs, targets_a), layer_hessian(net, loss_b, inputs, targets_b))


def test_logit_hessian_of_backward_loss_is_label_and_T_free():
    h = torch.randn(3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    p = torch.softmax(h, dim=0)
    for T in (np.eye(3), T3):
        for label in range(3):
            H = logit_hessian(lnc.make_loss("backward", T), h, label)
            torch.testing.assert_close(H, torch.diag(p) - torch.outer(p, p), atol=1e-12, rtol=0)


CLEAN, NOISY = torch.tensor([0, 1, 2, 0, 1, 2]), torch.tensor([1, 1, 0, 2, 0, 2])


@pytest.mark.parametrize("kind", ["relu", "conv"])
def test_relu_diagonal_blocks_are_label_free_and_cross_blocks_are_not(kind):
    net, x = _net(kind)
    ce = lnc.make_loss("ce")
    for loss in (ce, lnc.make_loss("backward", T3)):
        diagonal, cross = _max_gaps(net, x, ce, CLEAN, loss, NOISY)
        assert diagonal < 1e-10 and cross > 1e-3
    assert _max_gaps(net, x, ce, CLEAN, lnc.make_loss("forward", T3), NOISY)[0] > 1e-3


def test_tanh_diagonal_blocks_depend_on_the_label():
    net, x = _net("tanh")
    ce = lnc.make_loss("ce")
    assert _max_gaps(net, x, ce, CLEAN, ce, NOISY)[0] > 1e-3


def test_expected_backward_hessian_equals_clean_hessian_for_a_tanh_net():
    net, x = _net("tanh")
    backward, ce = lnc.make_loss("backward", T3), lnc.make_loss("ce")
    for y in range(3):
        expected = sum(T3[y, k] * full_hessian(net, backward, x[:1], torch.tensor([k])) for k in range(3))
        torch.testing.assert_close(expected, full_hessian(net, ce, x[:1], torch.tensor([y])), atol=1e-10, rtol=0)


def test_full_hessian_matches_finite_differences_of_the_gradient():
    net, x = _net("tanh")
    loss, y = lnc.make_loss("ce"), torch.tensor([0, 1, 2, 0, 1, 2])
    params = list(net.parameters())
    H = full_hessian(net, loss, x, y)

    def flat_grad():
        return torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss(net(x), y), params)])

    eps, k = 1e-6, 7  # column k: perturb the k-th parameter
    flat = torch.nn.utils.parameters_to_vector(params).detach()
    columns = []
    for sign in (1, -1):
        shifted = flat.clone()
        shifted[k] += sign * eps
        torch.nn.utils.vector_to_parameters(shifted, params)
        columns.append(flat_grad())
    torch.nn.utils.vector_to_parameters(flat, params)
    torch.testing.assert_close(H[:, k], (columns[0] - columns[1]) / (2 * eps), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("c", [3, 10])
def test_forward_and_backward_minimisers_are_the_clean_posterior(c):
    rng = np.random.default_rng(c)
    T = random_T(c, rng, diagonal=0.6)
    p = rng.dirichlet(np.ones(c))
    for name in ("forward", "backward"):
        loss = lnc.make_loss(name, T, reduction="none")
        assert np.abs(minimise_conditional_risk(loss, p @ T) - p).max() < 1e-6
    plain = minimise_conditional_risk(lnc.make_loss("ce", reduction="none"), p @ T)
    assert np.abs(plain - p @ T).max() < 1e-6


def test_mlp_and_convnet_shapes_and_parameter_counts():
    net = mlp([784, 128, 128, 10], dropout=0.2)
    assert sum(p.numel() for p in net.parameters()) == 784 * 128 + 128 + 128 * 128 + 128 + 128 * 10 + 10
    assert net(torch.zeros(5, 784)).shape == (5, 10)
    conv = small_convnet(in_channels=1, image_size=6, channels=2, num_classes=3)
    assert sum(p.numel() for p in conv.parameters()) == (9 * 2 + 2) + (2 * 9 * 3 + 3)
    assert conv(torch.zeros(4, 1, 6, 6)).shape == (4, 3)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: mlp([4]), "sizes must list at least two"),
        (lambda: mlp([4, 0, 3]), "sizes must list"),
        (lambda: mlp([4, 3], activation="gelu"), "activation must be one of"),
        (lambda: mlp([4, 5, 3], dropout=1.0), r"dropout must lie in \[0, 1\)"),
        (lambda: small_convnet(image_size=5), "image_size must be an even int"),
        (lambda: minimise_conditional_risk(lnc.make_loss("ce", reduction="none"), [0.5, 0.6]), "label_probs must hold"),
    ],
)
def test_model_and_risk_helpers_reject_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_risk_and_curvature_helpers_name_the_argument_they_refuse():
    """Past bugs: a reduced ("mean") loss in minimise_conditional_risk failed in matmul (RuntimeError); label_probs
    of another length than the logits raised a RuntimeError, and NaN ones gave a NaN risk; max_iter=-1 was
    accepted; a masked label_probs lost its mask; logit_hessian of a per-example loss returned shape (1, c, c);
    parameter_hessian of a per-example loss failed in reshape (RuntimeError); a missing block raised KeyError."""
    ce, h = lnc.make_loss("ce", reduction="none"), torch.zeros(3, dtype=torch.float64)
    net, x, y = mlp([2, 3]).double(), torch.zeros(4, 2, dtype=torch.float64), torch.tensor([0, 1, 2, 0])
    assert logit_hessian(ce, h, 1).shape == (3, 3)
    from lnc.book import curvature, risk

    for call, error, match in [
        (
            lambda: minimise_conditional_risk(lnc.make_loss("ce"), [0.5, 0.5]),
            ValueError,
            r"loss must return per-example values of shape \(2,\)",
        ),
        (lambda: risk.conditional_risk(ce, h, [0.5, 0.5]), ValueError, r"label_probs must have shape \(3,\)"),
        (lambda: risk.conditional_risk(ce, h, [np.nan, 0.5, 0.5]), ValueError, "label_probs must be finite"),
        (lambda: minimise_conditional_risk(ce, [0.5, 0.5], max_iter=-1), ValueError, "max_iter must be an int >= 1"),
        (lambda: minimise_conditional_risk(ce, np.ma.masked_array([0.5, 0.5])), TypeError, "label_probs must be"),
        (lambda: full_hessian(net, ce, x, y), ValueError, r"loss must return a scalar"),
        (
            lambda: full_hessian(net, lnc.make_loss("ce"), torch.zeros(4, 5, dtype=torch.float64), y),
            ValueError,
            "inputs must fit model",
        ),
        (lambda: logit_hessian(ce, h, 3), ValueError, r"target must be an int in \[0, 2\]"),
        (lambda: curvature.layer_blocks({}, {"0": ["0.weight"]}), ValueError, "blocks must hold every pair"),
    ]:
        with pytest.raises(error, match=match):
            call()


def test_simulations_check_their_options():
    """Past bug: peakedness NaN or inf gave NaN posteriors silently; a float num_examples failed inside numpy
    ("'float' object is not iterable"); near_anchor_fraction = 2 was accepted."""
    from lnc.book import simulation

    for call, error, match in [
        (lambda: simulation.peaked_posteriors(T3, 5, float("nan"), 0), ValueError, "peakedness must be a finite"),
        (lambda: simulation.anchored_posteriors(T3, 5.0, 0), TypeError, "num_examples must be an int"),
        (
            lambda: simulation.posteriors_with_outliers(T3, 5, 0, near_anchor_fraction=2.0),
            ValueError,
            r"near_anchor_fraction must lie in \[0.0, 1.0\]",
        ),
    ]:
        with pytest.raises(error, match=match):
            call()


def test_block_gaps_split_the_largest_difference_by_diagonal_and_cross_blocks():
    eye, zero = torch.eye(2, dtype=torch.float64), torch.zeros(2, 2, dtype=torch.float64)
    a = {("l1", "l1"): eye, ("l1", "l2"): zero, ("l2", "l1"): zero, ("l2", "l2"): eye}
    b = {("l1", "l1"): 3 * eye, ("l1", "l2"): zero + 0.5, ("l2", "l1"): zero, ("l2", "l2"): eye}
    assert block_gaps(a, b) == (2.0, 0.5)
