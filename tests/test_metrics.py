"""Metrics against loops and closed forms."""

import numpy as np
import pytest
import torch
from conftest import random_T

import lnc


def test_estimation_error_matches_a_loop(rng):
    T, T_hat = random_T(4, rng), random_T(4, rng)
    total = sum(abs(T_hat[i, j] - T[i, j]) for i in range(4) for j in range(4))
    assert abs(lnc.estimation_error(T_hat, T) - total / 4) < 1e-12


@pytest.mark.parametrize("c,rate", [(2, 0.1), (10, 0.4)])
def test_estimation_error_of_identity_against_symmetric_noise_is_twice_the_rate(c, rate):
    assert lnc.estimation_error(np.eye(c), lnc.symmetric_T(c, rate)) == pytest.approx(2 * rate)
    assert lnc.estimation_error(lnc.symmetric_T(c, rate), lnc.symmetric_T(c, rate)) == 0.0


def test_accuracy_matches_a_loop_for_numpy_and_torch(rng):
    scores, labels = rng.normal(size=(50, 5)), rng.integers(0, 5, 50)
    expected = sum(int(np.argmax(scores[n]) == labels[n]) for n in range(50)) / 50
    assert lnc.accuracy(scores, labels) == expected
    assert lnc.accuracy(torch.from_numpy(scores).float(), torch.from_numpy(labels)) == expected


@pytest.mark.parametrize("c,rate", [(3, 0.2), (10, 0.6), (10, 0.85)])
def test_condition_number_of_symmetric_T_has_closed_form(c, rate):
    """Eigenvalues of symmetric noise: 1 (once) and 1 - rate c / (c - 1); T is symmetric, so cond = ratio."""
    other = abs(1 - rate * c / (c - 1))
    assert lnc.condition_number(lnc.symmetric_T(c, rate)) == pytest.approx(max(1, other) / min(1, other))


@pytest.mark.parametrize(
    "call,error,match",
    [
        (lambda: lnc.estimation_error(np.eye(3), np.eye(2)), ValueError, "T_hat must have the shape of T"),
        (lambda: lnc.estimation_error(np.ones((2, 2)), np.eye(2)), ValueError, "T_hat must be row-stochastic"),
        (lambda: lnc.accuracy(np.zeros((3, 2)), [0, 1]), ValueError, r"labels must have shape \(3,\)"),
        (lambda: lnc.accuracy(np.zeros(3), [0, 1, 1]), ValueError, r"logits_or_probs must have shape \(N, c\)"),
        (lambda: lnc.accuracy(np.zeros((2, 2)), [0, 2]), ValueError, r"labels must lie in \[0, 2\)"),
        (lambda: lnc.accuracy(np.full((2, 2), np.nan), [0, 1]), ValueError, "must be finite"),
        (lambda: lnc.condition_number(np.eye(3) * 2), ValueError, "row-stochastic"),
    ],
)
def test_metrics_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_accuracy_takes_bfloat16_logits():
    """Past bug: a bfloat16 tensor (a common autocast output) failed inside numpy with "Got unsupported
    ScalarType BFloat16", a TypeError that named no argument."""
    scores = torch.tensor([[0.1, 2.0], [3.0, -1.0]], dtype=torch.bfloat16)
    assert lnc.accuracy(scores, [1, 1]) == 0.5
    with pytest.raises(TypeError, match="labels must be an integer array"):
        lnc.accuracy(scores, torch.tensor([1.0, 0.0], dtype=torch.bfloat16))


@pytest.mark.parametrize("rate", [0.0, 0.2, 0.6])
def test_flip_rate_of_symmetric_noise_is_its_rate(rate):
    assert lnc.metrics.flip_rate(lnc.symmetric_T(5, rate)) == pytest.approx(rate)


def test_flip_rate_is_the_off_diagonal_mass_per_row():
    T = random_T(6, np.random.default_rng(3))
    assert lnc.metrics.flip_rate(T) == pytest.approx(T[~np.eye(6, dtype=bool)].sum() / 6)
    with pytest.raises(ValueError, match="T must be a square"):
        lnc.metrics.flip_rate(T[:3])
