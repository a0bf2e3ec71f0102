"""Noise generators: structure of each T, realised rates on 100k samples, seeding, no global RNG."""

import os
from pathlib import Path

import numpy as np
import pytest
from conftest import random_T

import lnc
from lnc.experiments.recipes import paper_T
from lnc.noise import CIFAR10_PAIRS, CIFAR100_COARSE, MNIST_PAIRS, dense_T

N_SAMPLES = 100_000


@pytest.mark.parametrize("c,rate", [(2, 0.3), (10, 0.2), (10, 0.6), (100, 0.5)])
def test_symmetric_T_flips_uniformly_to_other_classes(c, rate):
    T = lnc.symmetric_T(c, rate)
    for i in range(c):
        for j in range(c):
            assert T[i, j] == pytest.approx(1 - rate if i == j else rate / (c - 1))


@pytest.mark.parametrize("c,rate", [(2, 0.3), (10, 0.4), (100, 0.5)])
def test_dense_T_keeps_the_diagonal_and_spreads_the_rate_over_every_other_class(c, rate):
    T = dense_T(c, rate, seed=3)
    assert np.array_equal(T, dense_T(c, rate, seed=3)) and not np.array_equal(T, dense_T(c, rate, seed=4))
    np.testing.assert_allclose(np.diag(T), 1 - rate)
    np.testing.assert_allclose(T.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert (T[~np.eye(c, dtype=bool)] > 0).all()
    state = np.random.get_state()[1].copy()
    dense_T(c, rate)
    assert np.array_equal(np.random.get_state()[1], state)  # no global RNG


def test_pair_T_sets_only_the_listed_rows():
    T = lnc.pair_T(4, {0: 1, 2: 3}, 0.3)
    expected = np.array([[0.7, 0.3, 0, 0], [0, 1, 0, 0], [0, 0, 0.7, 0.3], [0, 0, 0, 1]])
    np.testing.assert_array_equal(T, expected)


@pytest.mark.parametrize(
    "make,pairs", [(lnc.mnist_asymmetric_T, MNIST_PAIRS), (lnc.cifar10_asymmetric_T, CIFAR10_PAIRS)]
)
def test_ten_class_asymmetric_T_match_the_papers_flips(make, pairs):
    T = make(0.4)
    for i in range(10):
        expected_row = np.zeros(10)
        if i in pairs:
            expected_row[i], expected_row[pairs[i]] = 0.6, 0.4
        else:
            expected_row[i] = 1.0
        np.testing.assert_array_equal(T[i], expected_row)


def test_named_flips_are_the_papers():
    assert MNIST_PAIRS == {2: 7, 3: 8, 5: 6, 6: 5, 7: 1}
    # truck -> automobile, bird -> airplane, cat <-> dog, deer -> horse
    assert CIFAR10_PAIRS == {9: 1, 2: 0, 3: 5, 5: 3, 4: 7}


@pytest.mark.parametrize(
    "grouping,group_of", [("blocks", lambda k: k // 5), ("superclass", lambda k: CIFAR100_COARSE[k])]
)
def test_cifar100_asymmetric_T_cycles_within_groups_of_five(grouping, group_of):
    T = lnc.cifar100_asymmetric_T(0.3, grouping=grouping)
    targets = np.array([np.flatnonzero((T[i] > 0) & (np.arange(100) != i))[0] for i in range(100)])
    np.testing.assert_array_equal(np.diag(T), 0.7)
    assert sorted(targets) == list(range(100))  # a permutation: each class receives once
    for i in range(100):
        assert T[i, targets[i]] == 0.3 and group_of(targets[i]) == group_of(i)
        cycle, k = [i], targets[i]
        while k != i:
            cycle.append(k)
            k = targets[k]
        assert len(cycle) == 5  # one cycle through the whole group


def test_cifar100_groupings_differ():
    assert not np.array_equal(lnc.cifar100_asymmetric_T(0.3, "blocks"), lnc.cifar100_asymmetric_T(0.3, "superclass"))


def test_cifar100_coarse_map_has_20_superclasses_of_5():
    np.testing.assert_array_equal(np.bincount(CIFAR100_COARSE), np.full(20, 5))


@pytest.mark.skipif("LNC_DATA_DIR" not in os.environ, reason="LNC_DATA_DIR unset: CIFAR-100N labels not available")
def test_cifar100_coarse_map_matches_the_dataset_labels():
    labels = np.load(Path(os.environ["LNC_DATA_DIR"]) / "cifarn" / "cifar100n_labels.npz")
    np.testing.assert_array_equal(CIFAR100_COARSE[labels["clean_label"]], labels["clean_coarse_label"])


def test_binary_asymmetric_T():
    np.testing.assert_array_equal(lnc.binary_asymmetric_T(0.3), [[0.95, 0.05], [0.3, 0.7]])
    np.testing.assert_array_equal(lnc.binary_asymmetric_T(0.2, reverse_rate=0.0), [[1.0, 0.0], [0.2, 0.8]])


def test_binary_asymmetric_T_at_rate_0_is_the_identity_and_stays_invertible_above_one_half():
    """Past bug: rate 0 gave [[0.95, 0.05], [0, 1]], noise in one direction, where the official code gives the
    identity. Rates above 0.5 (the IMDB chapter runs 0.6) keep det T = 1 - rate - reverse_rate non-zero."""
    np.testing.assert_array_equal(lnc.binary_asymmetric_T(0.0), np.eye(2))
    for rate in (0.6, 0.9):
        T = lnc.binary_asymmetric_T(rate)
        assert abs(np.linalg.det(T) - (1 - rate - 0.05)) < 1e-12


@pytest.mark.parametrize(
    "T",
    [
        lnc.symmetric_T(10, 0.2),
        lnc.symmetric_T(10, 0.6),
        lnc.mnist_asymmetric_T(0.6),
        lnc.cifar10_asymmetric_T(0.2),
        lnc.binary_asymmetric_T(0.4),
        random_T(7, np.random.default_rng(3)),
    ],
    ids=["sym0.2", "sym0.6", "mnist0.6", "cifar10-0.2", "binary", "random"],
)
def test_corrupt_labels_realises_the_nominal_T_on_100k_samples(T):
    rng = np.random.default_rng(0)
    c = T.shape[0]
    clean = rng.integers(0, c, N_SAMPLES)
    noisy = lnc.corrupt_labels(clean, T, seed=1)
    realised_rate = np.mean(noisy != clean)
    nominal_rate = np.mean(1 - np.diag(T)[clean])
    assert abs(realised_rate - nominal_rate) < 0.01
    assert np.abs(lnc.empirical_T(clean, noisy, c) - T).max() < 0.01


def test_corrupt_labels_never_draws_a_zero_probability_class():
    T = lnc.cifar100_asymmetric_T(0.4)
    clean = np.repeat(np.arange(100), 1000)
    noisy = lnc.corrupt_labels(clean, T, seed=0)
    assert (T[clean, noisy] > 0).all()


def test_corrupt_labels_is_seeded_and_leaves_global_state_and_input_alone():
    clean = np.arange(20_000) % 10
    before_input = clean.copy()
    before_state = np.random.get_state()[1].copy()
    T = lnc.symmetric_T(10, 0.4)
    first = lnc.corrupt_labels(clean, T, seed=7)
    np.testing.assert_array_equal(first, lnc.corrupt_labels(clean, T, seed=7))
    np.testing.assert_array_equal(first, lnc.corrupt_labels(clean, T, seed=np.random.default_rng(7)))
    assert not np.array_equal(first, lnc.corrupt_labels(clean, T, seed=8))
    np.testing.assert_array_equal(np.random.get_state()[1], before_state)
    np.testing.assert_array_equal(clean, before_input)
    assert first.dtype == np.int64 and first.shape == clean.shape


def test_corrupt_labels_with_identity_is_a_copy():
    clean = np.array([3, 1, 2, 0])
    noisy = lnc.corrupt_labels(clean, np.eye(4), seed=0)
    np.testing.assert_array_equal(noisy, clean)
    assert noisy is not clean


def test_empirical_T_counts_like_a_loop():
    rng = np.random.default_rng(5)
    clean, noisy = rng.integers(0, 4, 500), rng.integers(0, 4, 500)
    counts = np.zeros((4, 4))
    for a, b in zip(clean, noisy):
        counts[a, b] += 1
    np.testing.assert_allclose(lnc.empirical_T(clean, noisy, 4), counts / counts.sum(axis=1, keepdims=True))


def test_cleanlab_conversion_is_the_transpose_and_round_trips():
    T = lnc.pair_T(3, {0: 1}, 0.3)
    M = lnc.to_cleanlab(T)
    np.testing.assert_array_equal(M, T.T)
    np.testing.assert_allclose(M.sum(axis=0), 1.0)
    np.testing.assert_array_equal(lnc.from_cleanlab(M), T)


@pytest.mark.parametrize(
    "call,error,match",
    [
        (lambda: lnc.symmetric_T(1, 0.2), ValueError, "num_classes must be an int >= 2"),
        (lambda: lnc.symmetric_T(2.0, 0.2), TypeError, "num_classes must be an int"),
        (lambda: lnc.symmetric_T(10, 1.2), ValueError, r"rate must lie in \[0.0, 1.0\]"),
        (lambda: lnc.symmetric_T(10, -0.1), ValueError, "rate must lie in"),
        (lambda: lnc.symmetric_T(10, float("nan")), ValueError, "rate must lie in"),
        (lambda: lnc.symmetric_T(10, "0.2"), TypeError, "rate must be a real number"),
        (lambda: lnc.pair_T(4, [(0, 1)], 0.2), TypeError, "pairs must be a dict"),
        (lambda: lnc.pair_T(4, {0: 4}, 0.2), ValueError, r"pairs must map classes in \[0, 4\), got value 4"),
        (lambda: lnc.pair_T(4, {-1: 2}, 0.2), ValueError, "got key -1"),
        (lambda: lnc.pair_T(4, {1: 1}, 0.2), ValueError, "to another class"),
        (lambda: lnc.mnist_asymmetric_T(1.5), ValueError, "rate must lie in"),
        (lambda: lnc.cifar100_asymmetric_T(0.2, grouping="coarse"), ValueError, "grouping must be"),
        (lambda: lnc.binary_asymmetric_T(0.2, reverse_rate=2), ValueError, "reverse_rate must lie in"),
        (lambda: lnc.corrupt_labels([0, 1, 5], lnc.symmetric_T(3, 0.2), 0), ValueError, r"labels must lie in \[0, 3\)"),
        (lambda: lnc.corrupt_labels([0.0, 1.0], lnc.symmetric_T(3, 0.2), 0), TypeError, "labels must be an integer"),
        (lambda: lnc.corrupt_labels([[0, 1]], lnc.symmetric_T(3, 0.2), 0), ValueError, r"labels must be 1-D"),
        (lambda: lnc.corrupt_labels([0, 1], lnc.symmetric_T(3, 0.2).T * 2, 0), ValueError, "row-stochastic"),
        (
            lambda: lnc.corrupt_labels([0, 1], lnc.symmetric_T(3, 0.2), "seed"),
            TypeError,
            "seed must be a non-negative int",
        ),
        (lambda: lnc.empirical_T([0, 1], [0], 2), ValueError, "clean and noisy must have the same shape"),
        (lambda: lnc.empirical_T([0, 0], [0, 1], 2), ValueError, "class 1 has no example"),
        (lambda: lnc.empirical_T([0, 2], [0, 1], 2), ValueError, r"clean must lie in \[0, 2\)"),
        (lambda: lnc.from_cleanlab(lnc.pair_T(3, {0: 1}, 0.3)), ValueError, "columns must sum to 1"),
        (lambda: dense_T(1, 0.2), ValueError, "num_classes"),
        (lambda: dense_T(3, 1.2), ValueError, "rate"),
        (lambda: dense_T(3, 0.2, seed="a"), TypeError, "seed must be a non-negative int"),
    ],
)
def test_noise_functions_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    "dataset,noise,rate,expected",
    [
        ("mnist", "none", 0.3, np.eye(10)),
        ("imdb", "symmetric", 0.3, [[0.7, 0.3], [0.3, 0.7]]),
        ("imdb", "asymmetric", 0.3, [[0.95, 0.05], [0.3, 0.7]]),
        ("cifar10", "asymmetric", 0.3, lnc.cifar10_asymmetric_T(0.3)),
        ("cifar100", "symmetric", 0.3, lnc.symmetric_T(100, 0.3)),
        ("fashion_mnist", "dense", 0.4, dense_T(10, 0.4, seed=0)),
    ],
)
def test_paper_T_picks_the_papers_noise_per_dataset(dataset, noise, rate, expected):
    np.testing.assert_allclose(paper_T(dataset, noise, rate), expected)


def test_paper_T_passes_the_cifar100_grouping_and_refuses_unknown_settings():
    np.testing.assert_array_equal(
        paper_T("cifar100", "asymmetric", 0.2, grouping="superclass"),
        lnc.cifar100_asymmetric_T(0.2, grouping="superclass"),
    )
    with pytest.raises(ValueError, match="asymmetric noise is defined for"):
        paper_T("fashion_mnist", "asymmetric", 0.2)
    with pytest.raises(ValueError, match="dataset must be one of"):
        paper_T("svhn", "symmetric", 0.2)
    with pytest.raises(ValueError, match="noise must be one of"):
        paper_T("mnist", "pairflip", 0.2)


@pytest.mark.parametrize("labels", [[[0, 1], [1]], (k for k in range(2)), {0: 1}])
def test_ragged_or_lazy_labels_are_refused_naming_labels(labels):
    """Past bug: ragged nested lists raised numpy's "inhomogeneous shape" ValueError, which named no argument, and a
    generator or a dict was reported as a wrong shape ``()``."""
    with pytest.raises(TypeError, match=r"labels must be an integer array \(N,\)"):
        lnc.corrupt_labels(labels, lnc.pair_T(2, {0: 1}, 0.2), 0)


def test_empirical_T_refuses_more_classes_than_examples_before_counting():
    """Past bug: num_classes = 10**10 overflowed inside np.bincount (OverflowError) instead of saying that the
    classes without examples leave rows of T undefined."""
    with pytest.raises(ValueError, match="clean must hold every class .* 2 examples for num_classes = 10000000000"):
        lnc.empirical_T([0, 1], [0, 1], 10**10)


def test_cifar100_grouping_must_be_a_name():
    """Past bug: an array as grouping raised numpy's "truth value of an array is ambiguous"."""
    with pytest.raises(TypeError, match="grouping must be one of"):
        lnc.cifar100_asymmetric_T(0.2, grouping=np.array(["blocks", "superclass"]))
