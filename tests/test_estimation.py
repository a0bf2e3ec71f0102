"""The estimators of T: anchor (exact recovery from exact posteriors, the quantile rule, no mutation), the
confident joint (equal to cleanlab's), core counts (equal to a loop, exact recovery, robust to ambiguous examples)
and Dual-T (equal to a loop, recovery under its assumptions)."""

import inspect

import numpy as np
import pytest
import torch
from conftest import random_T

import lnc
from lnc import estimation
from lnc.book.simulation import (
    anchored_posteriors,
    peaked_posteriors,
    posteriors_with_outliers,
    scattered_posteriors,
)


@pytest.mark.parametrize("c", [2, 3, 10, 50])
def test_estimate_T_recovers_T_exactly_from_exact_posteriors_with_anchors(c, rng):
    T = random_T(c, rng)  # T[i, i] > T[k, i]: the argmax of column i is class i's anchor
    T_hat = lnc.estimate_T(anchored_posteriors(T, 2000, rng), quantile=None)
    assert np.abs(T_hat - T).max() < 1e-6


def test_estimate_T_never_mutates_its_input(rng):
    probs = anchored_posteriors(random_T(5, rng), 500, rng)
    before = probs.copy()
    for quantile in (None, 0.97, 0.95):
        lnc.estimate_T(probs, quantile=quantile)
        assert probs.tobytes() == before.tobytes()
    tensor = torch.from_numpy(probs.copy())
    lnc.estimate_T(tensor)
    assert tensor.numpy().tobytes() == before.tobytes()


def _quantile_rule_by_loops(probs, quantile):
    """The official code's filter, written out: sort each column, take the 'higher' quantile value, then the
    example with the largest score strictly below it."""
    n, c = probs.shape
    T_hat = np.zeros((c, c))
    for i in range(c):
        column = probs[:, i]
        threshold = np.sort(column)[int(np.ceil(quantile * (n - 1)))]
        best = max((k for k in range(n) if column[k] < threshold), key=lambda k: column[k])
        T_hat[i] = probs[best] / probs[best].sum()
    return T_hat


@pytest.mark.parametrize("quantile", [0.97, 0.9])
def test_estimate_T_quantile_rule_matches_a_loop(quantile, rng):
    probs = rng.dirichlet(np.ones(4) * 0.5, size=301)
    np.testing.assert_allclose(lnc.estimate_T(probs, quantile=quantile), _quantile_rule_by_loops(probs, quantile))


def test_quantile_skips_overconfident_outliers_that_fool_the_argmax(rng):
    """2% of examples per class are memorised one-hot outputs; 10% are near-anchors (p(y=i|x) >= 0.99).
    The 97% quantile skips the outliers and lands on a near-anchor; the argmax picks an outlier."""
    T = random_T(4, rng)
    probs = posteriors_with_outliers(T, 4000, rng)
    assert lnc.estimation_error(lnc.estimate_T(probs, quantile=0.97), T) < 0.02
    assert lnc.estimation_error(lnc.estimate_T(probs, quantile=None), T) > 0.2


def test_peaked_posteriors_make_the_argmax_error_shrink_with_the_sample_size():
    T = lnc.symmetric_T(5, 0.3)
    errors = [
        lnc.estimation_error(lnc.estimate_T(peaked_posteriors(T, n, 5.0, seed=0), quantile=None), T)
        for n in (100, 10_000)
    ]
    assert errors[1] < errors[0] / 5


def test_estimate_T_falls_back_to_the_argmax_when_nothing_is_below_the_quantile():
    probs = np.array([[0.5, 0.5]] * 10)
    with pytest.warns(UserWarning, match="2 saturated"):
        np.testing.assert_allclose(lnc.estimate_T(probs, quantile=0.9), [[0.5, 0.5], [0.5, 0.5]])


def test_estimate_T_rows_are_renormalised():
    probs = np.array([[0.9995, 0.0], [0.0, 1.0004]])  # within the 1e-3 tolerance on row sums
    np.testing.assert_allclose(lnc.estimate_T(probs, quantile=None).sum(axis=1), 1.0)


@pytest.mark.parametrize(
    "probs,kw,error,match",
    [
        (np.ones(4) / 4, {}, ValueError, r"noisy_probs must have shape \(N, c\)"),
        (np.ones((3, 1)), {}, ValueError, "noisy_probs must have shape"),
        (np.array([[2.0, -1.0]]), {}, ValueError, "noisy_probs must be finite and non-negative"),
        (np.array([[np.nan, 1.0]]), {}, ValueError, "must be finite"),
        (np.array([[3.0, 1.0]]), {}, ValueError, "rows sum to 1; row 0 sums to 4; pass softmax outputs, not logits"),
        ("probs", {}, TypeError, "noisy_probs must be an array"),
        (np.eye(2), {"quantile": 97}, ValueError, r"quantile must be a float in \(0, 1\) or None"),
        (np.eye(2), {"quantile": 0.0}, ValueError, "quantile must be"),
        (np.eye(2), {"quantile": True}, TypeError, "quantile must be"),
    ],
)
def test_estimate_T_rejects_bad_input(probs, kw, error, match):
    with pytest.raises(error, match=match):
        lnc.estimate_T(probs, **kw)


def full_sort_anchors(probs, quantile):
    """The quantile rule written plainly: numpy's column quantile, then the masked argmax (argmax on ties);
    also whether the quantile equals the column's maximum."""
    threshold = np.quantile(probs, quantile, axis=0, method="higher")
    below = np.where(probs < threshold, probs, -np.inf)
    anchors = np.where(np.isfinite(below.max(axis=0)), below.argmax(axis=0), probs.argmax(axis=0))
    return anchors, threshold == probs.max(axis=0)


@pytest.mark.parametrize("trial", range(40))
def test_fast_quantile_anchors_equal_the_full_sort(trial):
    rng = np.random.default_rng(trial)
    n, c = int(rng.integers(1, 5000)), int(rng.integers(2, 12))
    probs = rng.dirichlet(np.full(c, rng.uniform(0.05, 3.0)), size=n)
    if trial % 2:  # coarse values: many ties around the quantile
        probs = np.round(probs, 1) + 1e-3
        probs /= probs.sum(axis=1, keepdims=True)
    quantile = [0.97, 0.5, 0.999, 0.01][trial % 4]
    anchors, saturated, argmax = estimation._quantile_anchors(probs, quantile)
    expected_anchors, expected_saturated = full_sort_anchors(probs, quantile)
    np.testing.assert_array_equal(anchors, expected_anchors)
    np.testing.assert_array_equal(saturated, expected_saturated)
    np.testing.assert_array_equal(argmax, probs.argmax(axis=0))


def test_one_hot_posteriors_give_the_identity_not_a_zero_diagonal():
    """Past bug: exact one-hot posteriors tie at the column maximum for every example of the class, the 97% rule
    skipped them all and read each row off an example of another class (T_hat with a zero diagonal)."""
    probs = np.eye(3)[np.arange(300) % 3]
    with pytest.warns(UserWarning, match=r"columns \[0, 1, 2\] \(0 with less .* 3 saturated"):
        T_hat = lnc.estimate_T(probs)
    np.testing.assert_array_equal(T_hat, np.eye(3))


def test_saturated_float64_posteriors_recover_T_with_the_97_rule(rng):
    """Noisy posteriors ``onehot @ T`` for half of the examples: the anchors tie at the maximum of their column."""
    T = random_T(4, rng)
    clean = np.concatenate([np.eye(4)[np.arange(400) % 4], rng.dirichlet(np.ones(4), size=400)])
    with pytest.warns(UserWarning, match="saturated"):
        T_hat = lnc.estimate_T(clean @ T)
    assert lnc.estimation_error(T_hat, T) < 1e-12


def test_the_97_rule_takes_the_argmax_for_classes_below_6_percent(rng):
    """Past bug: with 50 classes (2% each) the 97% rule skipped all of a class's examples and read each row of T
    off another class (relative error ~1.9); the argmax recovers T exactly from exact posteriors with anchors."""
    T = lnc.symmetric_T(50, 0.2)
    clean = np.concatenate([np.eye(50)[np.arange(1000) % 50], rng.dirichlet(np.full(50, 0.1), size=4000)])
    anchors = estimation._quantile_anchors(clean @ T, 0.97)[0]
    assert lnc.estimation_error((clean @ T)[anchors], T) > 0.5  # what the rule alone gives
    with pytest.warns(UserWarning, match="50 with less than 6% of the mass"):
        T_hat = lnc.estimate_T(clean @ T)
    assert lnc.estimation_error(T_hat, T) < 1e-12


def test_estimate_T_dispatches_to_the_registry_and_checks_its_arguments(rng):
    probs = anchored_posteriors(random_T(3, rng), 300, rng)
    assert set(estimation.ESTIMATORS) >= {"anchor"}
    np.testing.assert_array_equal(
        lnc.estimate_T(probs, method="anchor", quantile=None), estimation.anchor(probs, None, quantile=None)
    )
    with pytest.raises(ValueError, match="method must be one of"):
        lnc.estimate_T(probs, method="volume")
    with pytest.raises(TypeError, match="method must be one of"):
        lnc.estimate_T(probs, method=["anchor"])
    with pytest.raises(TypeError, match=r"estimator 'anchor' has no option 'alpha'; its options: \['quantile'\]"):
        lnc.estimate_T(probs, alpha=0.1)
    n = len(probs)
    with pytest.raises(ValueError, match=rf"noisy_labels must have shape \({n},\) to match noisy_probs"):
        lnc.estimate_T(probs, np.zeros(n - 1, dtype=int))
    with pytest.raises(ValueError, match=r"noisy_labels must lie in \[0, 3\)"):
        lnc.estimate_T(probs, np.full(n, 3))


def test_a_new_estimator_is_one_registry_entry(rng, monkeypatch):
    """What an estimator receives: the checked float64 posteriors and int64 labels, and its options."""
    seen = {}

    def label_counts(noisy_probs, noisy_labels, *, smoothing=1.0):
        seen.update(probs=noisy_probs.dtype, labels=noisy_labels.dtype, smoothing=smoothing)
        counts = np.bincount(noisy_labels, minlength=noisy_probs.shape[1]) + smoothing
        return np.tile(counts / counts.sum(), (noisy_probs.shape[1], 1))

    monkeypatch.setitem(estimation.ESTIMATORS, "label_counts", label_counts)
    probs = anchored_posteriors(random_T(3, rng), 30, rng).astype(np.float32)
    T_hat = lnc.estimate_T(probs, np.arange(len(probs)) % 3, method="label_counts", smoothing=0.0)
    np.testing.assert_allclose(T_hat, np.full((3, 3), 1 / 3))
    assert seen == {"probs": np.float64, "labels": np.int64, "smoothing": 0.0}


def test_anchor_columns_say_where_a_column_maximum_is_off_the_diagonal():
    assert estimation.anchor_columns(np.eye(3)).all()
    T = np.array([[0.3, 0.6, 0.1], [0.1, 0.5, 0.4], [0.2, 0.2, 0.6]])  # column 1: 0.6 in row 0 beats 0.5
    np.testing.assert_array_equal(estimation.anchor_columns(T), [True, False, True])
    np.testing.assert_array_equal(estimation.anchor_columns(lnc.symmetric_T(4, 0.8)), [False] * 4)


def _noisy_posteriors(seed):
    """Random noisy labels from an asymmetric T and posteriors that lean towards them."""
    rng = np.random.default_rng(seed)
    c, n = int(rng.integers(2, 12)), int(rng.integers(20, 3000))
    noisy = lnc.corrupt_labels(rng.integers(0, c, n), random_T(c, rng), seed=rng)
    probs = rng.dirichlet(np.full(c, 0.5), size=n) * 0.5 + 0.5 * np.eye(c)[noisy] * rng.uniform(0, 1, (n, 1))
    return probs / probs.sum(axis=1, keepdims=True), noisy


@pytest.mark.parametrize("seed", range(25))
def test_confident_joint_equals_cleanlabs_noise_matrix_transposed(seed):
    from cleanlab.count import compute_confident_joint, estimate_latent

    probs, noisy = _noisy_posteriors(seed)
    T_hat = lnc.estimate_T(probs, noisy, method="confident_joint")
    noise_matrix = estimate_latent(compute_confident_joint(noisy, probs), noisy)[1]
    np.testing.assert_allclose(T_hat, lnc.from_cleanlab(noise_matrix), rtol=0, atol=1e-6)
    np.testing.assert_allclose(T_hat.sum(axis=1), 1.0)


def test_confident_joint_is_the_empirical_T_when_the_posteriors_know_the_clean_class(rng):
    """Every example confidently counted once, in row noisy label and column clean class: the joint is the count
    matrix, so T_hat is the realised T of the labels."""
    clean = rng.integers(0, 4, 2000)
    noisy = lnc.corrupt_labels(clean, random_T(4, rng), seed=rng)
    probs = 0.9 * np.eye(4)[clean] + 0.1 / 4
    T_hat = lnc.estimate_T(probs, noisy, method="confident_joint")
    np.testing.assert_allclose(T_hat, lnc.empirical_T(clean, noisy, 4), atol=1e-12)


def test_confident_joint_needs_the_noisy_labels_of_every_class():
    """A class nobody is labelled with has no row in the confident joint: cleanlab returns a zero column there,
    which is no transition matrix; lnc refuses."""
    with pytest.raises(ValueError, match="noisy_labels must be given for method 'confident_joint'"):
        lnc.estimate_T(np.full((4, 2), 0.5), method="confident_joint")
    with pytest.raises(
        ValueError, match="noisy_labels must hold every class for method 'confident_joint', got no label 1"
    ):
        lnc.estimate_T(np.full((4, 3), 1 / 3), np.array([0, 2, 0, 2]), method="confident_joint")


# ============================================================================================= core counts


def _core_counts_by_loops(probs, labels, keep):
    """core_counts written out: per predicted class, its examples sorted by confidence (the first of equals
    first), the top ceil(keep * size) of them, their noisy labels counted."""
    n, c = probs.shape
    predicted = [max(range(c), key=lambda j: (row[j], -j)) for row in probs]
    T_hat = np.zeros((c, c))
    for k in range(c):
        members = sorted((i for i in range(n) if predicted[i] == k), key=lambda i: (-probs[i, k], i))
        for i in members[: max(1, int(np.ceil(keep * len(members))))]:
            T_hat[k, labels[i]] += 1
        T_hat[k] /= T_hat[k].sum()
    return T_hat


@pytest.mark.parametrize("keep", [0.1, 0.5, 1.0])
@pytest.mark.parametrize("seed", range(6))
def test_core_counts_equals_a_loop_and_leaves_its_input_alone(seed, keep):
    probs, noisy = _noisy_posteriors(seed)
    probs = np.round(probs, 2)  # ties in confidence
    probs /= probs.sum(axis=1, keepdims=True)
    if len(np.unique(probs.argmax(axis=1))) < probs.shape[1]:
        pytest.skip("a class nobody is predicted as (its own test below)")
    before = probs.tobytes()
    T_hat = lnc.estimate_T(probs, noisy, method="core_counts", keep=keep)
    assert probs.tobytes() == before
    np.testing.assert_allclose(T_hat, _core_counts_by_loops(probs, noisy, keep), rtol=0, atol=1e-12)


def _ideal_examples(T, blocks):
    """``20 * blocks`` examples of each clean class k, whose posterior is ``T[k]`` (the exact noisy posterior of a
    sure clean class) and whose noisy labels follow ``T[k]`` exactly in every block of 20 (``20 * T`` must be
    integers), so that any whole number of blocks holds the proportions ``T[k]``."""
    counts = np.rint(20 * T).astype(int)
    assert (counts.sum(axis=1) == 20).all()
    block = [np.repeat(np.arange(len(T)), row) for row in counts]
    return np.repeat(T, 20 * blocks, axis=0), np.concatenate([np.tile(b, blocks) for b in block])


def test_core_counts_recovers_T_exactly_and_ignores_less_confident_examples_of_other_classes():
    """The posteriors never saw the labels, so whatever the core selects, class k's labels follow T[k]: exact.
    Examples of class 0 that the posteriors take for class 1, with less confidence than class 1's own, stay out of
    class 1's core (keep=0.5) and leave T_hat alone; the whole predicted class (keep=1) takes them in."""
    T = np.array([[0.7, 0.1, 0.15, 0.05], [0.1, 0.6, 0.0, 0.3], [0.05, 0.05, 0.8, 0.1], [0.2, 0.0, 0.1, 0.7]])
    probs, noisy = _ideal_examples(T, 10)
    for keep in (0.5, 1.0):  # cores of whole blocks of 20
        np.testing.assert_allclose(lnc.estimate_T(probs, noisy, method="core_counts", keep=keep), T, atol=1e-15)
    mixed = 0.6 * T[1] + 0.4 * T[0]  # argmax 1, below T[1][1]
    assert mixed.argmax() == 1 and mixed[1] < T[1, 1]
    impure = np.vstack([probs, np.repeat(mixed[None], 40, axis=0)]), np.concatenate([noisy, np.zeros(40, int)])
    np.testing.assert_allclose(lnc.estimate_T(*impure, method="core_counts", keep=0.5), T, rtol=0, atol=1e-15)
    whole = lnc.estimate_T(*impure, method="core_counts", keep=1.0)  # the whole predicted class
    np.testing.assert_allclose(whole[1], (200 * T[1] + [40, 0, 0, 0]) / 240, rtol=0, atol=1e-15)


def test_core_counts_is_closer_to_T_than_the_confident_joint_when_some_examples_are_ambiguous():
    """Class-conditional noise on 20,000 examples, a quarter of them ambiguous (clean posterior 0.55 on their class,
    0.45 on another): the ambiguous ones are misclassified or least confident, and the core leaves them out."""
    rng = np.random.default_rng(0)
    T, n = random_T(5, rng, diagonal=0.6), 20_000
    clean = rng.integers(0, 5, n)
    other = (clean + rng.integers(1, 5, n)) % 5
    ambiguous = rng.uniform(size=n) < 0.25
    p = (
        np.eye(5)[clean] * np.where(ambiguous, 0.55, 0.95)[:, None]
        + np.eye(5)[other] * np.where(ambiguous, 0.45, 0.05)[:, None]
    )
    probs, noisy = p @ T, lnc.corrupt_labels(clean, T, seed=rng)
    errors = {
        m: np.abs(lnc.estimate_T(probs, noisy, method=m) - T).sum() / 5 for m in ("core_counts", "confident_joint")
    }
    assert errors["core_counts"] < 0.03 < errors["confident_joint"], errors  # measured: 0.023 and 0.040


@pytest.mark.parametrize(
    ("args", "options", "error", "match"),
    [
        ((np.full((4, 2), 0.5),), {}, ValueError, "noisy_labels must be given for method 'core_counts'"),
        (
            (np.eye(2)[[0, 1, 0]], np.array([0, 1, 1])),
            {"keep": 0.0},
            ValueError,
            r"keep must be a fraction in \(0, 1\], got 0.0",
        ),
        (
            (np.eye(2)[[0, 1, 0]], np.array([0, 1, 1])),
            {"keep": 1.5},
            ValueError,
            r"keep must be a fraction in \(0, 1\], got 1.5",
        ),
        ((np.eye(2)[[0, 1, 0]], np.array([0, 1, 1])), {"keep": "half"}, TypeError, "keep must be a real number"),
    ],
)
def test_core_counts_refuses_what_it_cannot_estimate(args, options, error, match):
    with pytest.raises(error, match=match):
        lnc.estimate_T(*args, method="core_counts", **options)


def test_core_counts_takes_the_identity_row_for_a_class_nobody_is_predicted_as():
    probs, labels = np.eye(3)[[0, 2, 0, 2]], np.array([0, 1, 2, 2])
    with pytest.warns(UserWarning, match=r"no example is predicted as class\(es\) \[1\]; core_counts takes"):
        T_hat = lnc.estimate_T(probs, labels, method="core_counts", keep=1.0)
    np.testing.assert_array_equal(T_hat, [[0.5, 0, 0.5], [0, 1, 0], [0, 0.5, 0.5]])


# ================================================================================================== Dual-T


def _dual_t_by_loops(probs, labels, quantile):
    """Dual-T written out: T_club from the anchor rule (by loops), T_spade from counts in a loop, their product
    in a triple loop."""
    n, c = probs.shape
    if quantile is None:
        T_club = np.zeros((c, c))
        for i in range(c):
            best = max(range(n), key=lambda k: (probs[k, i], -k))  # the first example at the column's maximum
            T_club[i] = probs[best] / probs[best].sum()
    else:
        T_club = _quantile_rule_by_loops(probs, quantile)
    counts = [[0] * c for _ in range(c)]
    for row, label in zip(probs, labels):
        predicted = max(range(c), key=lambda j: (row[j], -j))
        counts[predicted][label] += 1
    T_spade = [[counts[j][k] / sum(counts[j]) for k in range(c)] for j in range(c)]
    return np.array([[sum(T_club[i][j] * T_spade[j][k] for j in range(c)) for k in range(c)] for i in range(c)])


@pytest.mark.parametrize("quantile", [None, 0.95])
@pytest.mark.parametrize("seed", range(4))
def test_dual_t_equals_a_loop(seed, quantile):
    rng = np.random.default_rng(seed)
    c = 3 + seed
    probs = rng.dirichlet(np.full(c, 0.5), size=301)
    labels = rng.integers(0, c, len(probs))
    assert len(np.unique(probs.argmax(axis=1))) == c  # every class predicted: no identity row
    T_hat = lnc.estimate_T(probs, labels, method="dual_t", quantile=quantile)
    np.testing.assert_allclose(T_hat, _dual_t_by_loops(probs, labels, quantile), rtol=0, atol=1e-12)
    np.testing.assert_allclose(T_hat.sum(axis=1), 1.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("quantile", [None, 0.97])
def test_dual_t_is_the_anchor_estimate_when_the_labels_are_the_predictions(quantile, rng):
    """noisy label = argmax for every example: T_spade = I, and T_club @ I is T_club, the anchor estimate."""
    probs = anchored_posteriors(random_T(4, rng), 3000, rng)
    labels = probs.argmax(axis=1)
    T_hat = lnc.estimate_T(probs, labels, method="dual_t", quantile=quantile)
    np.testing.assert_allclose(T_hat, lnc.estimate_T(probs, quantile=quantile), rtol=0, atol=1e-15)


def test_dual_t_recovers_T_when_its_assumptions_hold():
    """A population built to satisfy both assumptions, with y' the argmax as in the estimator.

    Clean class y uniform; y' ~ T_club[y]; noisy ~ T_spade[y'] (so noisy ⊥ clean | y', and the true T is
    T_club @ T_spade). Each example's output is peaked on its y', ``0.5 e_{y'} + 0.5 / c``, so its argmax is y'
    but no column reaches 0.5 + 0.5 / c = 0.625 < min T_club[i, i]; one anchor per class outputs T_club[i]
    exactly, and is the argmax of column i (T_club[i, i] > T_club[k, i]), so the anchor rule reads T_club
    exactly. What remains is the sampling error of T_spade: row j is counted over n_j >= 40 000 examples
    (N = 200 000, c = 4, column sums of T_club >= 0.8), and its expected L1 error is at most
    sqrt(2 (c - 1) / (pi n_j)) ~ 0.007; the relative error of T_hat (a mean of L1 row errors) is below that,
    so 0.02 is about 3 times the expected error (the draws are seeded)."""
    rng = np.random.default_rng(0)
    c, n = 4, 200_000
    T_club = random_T(c, rng, diagonal=0.7)
    T_spade = random_T(c, rng, diagonal=0.6)
    T = T_club @ T_spade
    assert np.diag(T_club).min() > 0.625 and T_club.sum(axis=0).min() >= 0.8
    assert not np.allclose(T_spade, T_spade.T)  # asymmetric
    clean = rng.integers(0, c, n)
    intermediate = (rng.random((n, 1)) > T_club[clean].cumsum(axis=1)[:, :-1]).sum(axis=1)  # y' ~ T_club[clean]
    noisy = (rng.random((n, 1)) > T_spade[intermediate].cumsum(axis=1)[:, :-1]).sum(axis=1)  # noisy ~ T_spade[y']
    probs = np.concatenate([0.5 * np.eye(c)[intermediate] + 0.5 / c, T_club])
    labels = np.concatenate([noisy, np.arange(c)])
    assert (probs[:n].argmax(axis=1) == intermediate).all()
    T_hat = lnc.estimate_T(probs, labels, method="dual_t", quantile=None)
    assert lnc.estimation_error(T_hat, T) < 0.02
    # the anchor estimator alone reads T_club: it misses T_spade entirely
    anchor_error = lnc.estimation_error(lnc.estimate_T(probs, quantile=None), T)
    assert anchor_error > 10 * lnc.estimation_error(T_hat, T)


def test_dual_t_never_mutates_its_input(rng):
    probs = anchored_posteriors(random_T(4, rng), 500, rng)
    labels = rng.integers(0, 4, len(probs))
    before, labels_before = probs.copy(), labels.copy()
    for quantile in (None, 0.97):
        lnc.estimate_T(probs, labels, method="dual_t", quantile=quantile)
        assert probs.tobytes() == before.tobytes() and labels.tobytes() == labels_before.tobytes()


def test_dual_t_needs_the_noisy_labels():
    with pytest.raises(ValueError, match="noisy_labels must be given for method 'dual_t'"):
        lnc.estimate_T(np.full((4, 2), 0.5), method="dual_t")


def test_dual_t_takes_the_identity_row_for_a_class_nobody_is_predicted_as():
    """No example has argmax 2: row 2 of T_spade is e_2 (the official code's 0/0 gives a zero row), with a warning
    that points at the caller of estimate_T."""
    probs = np.array([[0.7, 0.2, 0.1], [0.2, 0.7, 0.1], [0.45, 0.15, 0.4], [0.6, 0.3, 0.1]])
    labels = np.array([0, 1, 2, 1])  # predicted: 0, 1, 0, 0
    with pytest.warns(UserWarning, match=r"no example is predicted as class\(es\) \[2\]") as record:
        T_hat = lnc.estimate_T(probs, labels, method="dual_t", quantile=None)
    assert record[0].filename == __file__
    T_club = probs[:3]  # the column maxima: rows 0, 1, 2
    T_spade = np.array([[1 / 3, 1 / 3, 1 / 3], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(T_hat, T_club @ T_spade, rtol=0, atol=1e-12)
    assert np.isfinite(T_hat).all()


@pytest.mark.parametrize("method", ["anchor", "dual_t"])
def test_the_anchor_fallback_warning_points_at_the_caller_of_estimate_T(method):
    probs = np.eye(3)[np.arange(300) % 3]
    with pytest.warns(UserWarning, match="3 saturated") as record:
        lnc.estimate_T(probs, np.arange(300) % 3, method=method)
    assert [w.filename for w in record] == [__file__]


@pytest.mark.parametrize("method", sorted(estimation.ESTIMATORS))
def test_every_estimator_gives_a_transition_matrix_and_refuses_unknown_options(method, rng):
    probs, labels = _noisy_posteriors(3)
    assert "dual_t" in estimation.ESTIMATORS
    T_hat = lnc.estimate_T(probs, labels, method=method)
    assert T_hat.shape == (probs.shape[1],) * 2 and np.isfinite(T_hat).all() and (T_hat >= 0).all()
    np.testing.assert_allclose(T_hat.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    known = list(inspect.signature(estimation.ESTIMATORS[method]).parameters)[2:]
    if "quantile" in known:
        lnc.estimate_T(probs, labels, method=method, quantile=None)
    with pytest.raises(TypeError, match=rf"estimator '{method}' has no option 'alpha'; its options: "):
        lnc.estimate_T(probs, labels, method=method, alpha=0.1)


T4 = np.array([[0.7, 0.1, 0.15, 0.05], [0.1, 0.6, 0.0, 0.3], [0.05, 0.05, 0.8, 0.1], [0.2, 0.0, 0.1, 0.7]])


def test_scattered_posteriors_mix_two_classes_and_hold_no_anchor():
    clean, noisy = scattered_posteriors(T4, 500, seed=0, low=0.3, high=0.6)
    assert ((clean > 0).sum(axis=1) == 2).all() and np.allclose(clean.sum(axis=1), 1.0)
    assert clean.max() <= 0.7 + 1e-12 and clean[clean > 0].min() >= 0.3 - 1e-12
    np.testing.assert_allclose(noisy, clean @ T4)
    with pytest.raises(ValueError, match="low must be <= high"):
        scattered_posteriors(T4, 5, seed=0, low=0.8, high=0.2)


def test_min_volume_recovers_T_without_anchor_points_where_the_anchor_estimate_fails():
    """Exact noisy posteriors of clean ones that reach the middle of every edge of the simplex but no corner:
    the least-volume T that explains them is the true one (VolMinNet's identifiability), the anchor rows are
    mixtures of the true rows."""
    _, noisy = scattered_posteriors(T4, 1000, seed=0)
    T_hat = lnc.estimate_T(noisy, method="min_volume")
    assert lnc.estimation_error(T_hat, T4) < 0.03  # measured 0.009: the optimiser's tolerance, not sampling
    assert lnc.estimation_error(lnc.estimate_T(noisy, quantile=None), T4) > 0.2


def test_min_volume_also_recovers_T_from_posteriors_near_the_anchors():
    noisy = peaked_posteriors(T4, 1000, 5.0, seed=1)
    assert lnc.estimation_error(lnc.estimate_T(noisy, method="min_volume"), T4) < 0.03  # measured 0.007


def test_min_volume_leaves_out_a_few_over_confident_rows():
    """1% of near one-hot rows (a network's over-confident posteriors) lie outside T's simplex: untrimmed, the
    least-volume fit grows towards I to hold them; the default trim leaves them out."""
    _, noisy = scattered_posteriors(T4, 1000, seed=0)
    loud = np.full((10, 4), 0.02 / 3)
    loud[np.arange(10), np.arange(10) % 4] = 0.98
    mixed = np.vstack([noisy, loud])
    assert lnc.estimation_error(lnc.estimate_T(mixed, method="min_volume"), T4) < 0.03  # measured 0.009
    assert lnc.estimation_error(lnc.estimate_T(mixed, method="min_volume", trim=0.0), T4) > 0.3  # measured 0.56


def test_min_volume_is_deterministic_and_leaves_its_input_alone():
    _, noisy = scattered_posteriors(T4, 300, seed=2)
    before = noisy.copy()
    first = lnc.estimate_T(noisy, method="min_volume", steps=50, max_examples=100)
    np.testing.assert_array_equal(noisy, before)
    np.testing.assert_array_equal(first, lnc.estimate_T(noisy, method="min_volume", steps=50, max_examples=100))
    np.testing.assert_allclose(first.sum(axis=1), 1.0)
    assert (np.diag(first)[:, None] >= first - 1e-12).all()  # the parametrisation keeps the diagonal largest


@pytest.mark.parametrize(
    "options,error,match",
    [
        (dict(lam=-1.0), ValueError, "lam"),
        (dict(steps=0), ValueError, "steps"),
        (dict(max_examples=1.5), TypeError, "max_examples"),
        (dict(trim=1.0), ValueError, r"trim must be in \[0, 1\), got 1.0"),
        (dict(trim=-0.1), ValueError, "trim"),
    ],
)
def test_min_volume_checks_its_options(options, error, match):
    with pytest.raises(error, match=match):
        lnc.estimate_T(anchored_posteriors(T4, 10, seed=0), method="min_volume", **options)
