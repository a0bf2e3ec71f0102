"""Simulated posteriors for studying estimators of T (book chapter ``ch-estimation``).

c classes; clean posteriors ``p(y|x)`` are drawn, and the exact noisy posteriors are ``p(y|x) @ T`` with
``T[i, j] = P(noisy = j | clean = i)``. Each function returns an ``(N, c)`` float64 array; ``seed`` is an int,
``None`` or a ``np.random.Generator``.
"""

import numpy as np

from .._checks import check_int, check_probabilities, check_rate, check_real, check_transition_matrix, make_rng


def anchored_posteriors(T, num_examples, seed):
    """Exact noisy posteriors of ``num_examples`` Dirichlet(1) clean posteriors plus one anchor
    (``p(y = i|x) = 1``) per class, in random order; shape ``(num_examples + c, c)``. ``num_examples``: an int >= 0."""
    T = check_transition_matrix(T)
    num_examples = check_int(num_examples, name="num_examples", low=0)
    rng = make_rng(seed)
    c = T.shape[0]
    clean = np.vstack([rng.dirichlet(np.ones(c), size=num_examples), np.eye(c)])
    return clean[rng.permutation(len(clean))] @ T


def posteriors_with_outliers(T, num_examples, seed, outlier_fraction=0.02, near_anchor_fraction=0.1):
    """Per class, ``near_anchor_fraction * num_examples`` near-anchors (``p(y = i|x) >= 0.99``, exact noisy
    posteriors) and ``outlier_fraction * num_examples`` memorised one-hot outputs ``e_i``; then
    ``num_examples`` Dirichlet(1) examples. Models a network that is over-confident on a few examples.
    ``num_examples``: an int >= 0; both fractions in [0, 1]."""
    T = check_transition_matrix(T)
    num_examples = check_int(num_examples, name="num_examples", low=0)
    outlier_fraction = check_rate(outlier_fraction, name="outlier_fraction")
    near_anchor_fraction = check_rate(near_anchor_fraction, name="near_anchor_fraction")
    rng = make_rng(seed)
    c = T.shape[0]
    near, outliers = int(near_anchor_fraction * num_examples), int(outlier_fraction * num_examples)
    parts = []
    for i in range(c):
        leak = rng.dirichlet(np.ones(c), size=near) * rng.uniform(0, 0.01, (near, 1))
        leak[:, i] += 1 - leak.sum(axis=1)
        parts += [leak @ T, np.tile(np.eye(c)[i], (outliers, 1))]
    return np.vstack(parts + [rng.dirichlet(np.ones(c), size=num_examples) @ T])


def peaked_posteriors(T, num_examples, peakedness, seed):
    """Exact noisy posteriors of ``p(y|x) = lam e_y + (1 - lam) u``, ``y`` uniform, ``u ~ Dirichlet(1)``,
    ``lam ~ Beta(peakedness, 1)``: a larger ``peakedness`` puts more examples close to an anchor.
    ``num_examples``: an int >= 0; ``peakedness``: a finite real number > 0."""
    T = check_transition_matrix(T)
    num_examples = check_int(num_examples, name="num_examples", low=0)
    peakedness = check_real(peakedness, name="peakedness", positive=True)
    rng = make_rng(seed)
    c = T.shape[0]
    lam = rng.beta(peakedness, 1.0, size=(num_examples, 1))
    clean = lam * np.eye(c)[rng.integers(0, c, num_examples)] + (1 - lam) * rng.dirichlet(np.ones(c), num_examples)
    return clean @ T


def scattered_posteriors(T, num_examples, seed, low=0.25, high=0.75):
    """Exact noisy posteriors of clean posteriors **without anchor points** that are still sufficiently scattered:
    each mixes two distinct random classes, ``p(y = i|x) = w``, ``p(y = k|x) = 1 - w`` with ``w ~ U(low, high)``,
    so no clean posterior exceeds ``max(high, 1 - low)`` while the points cover the middle of every edge of the
    simplex. Returns ``(clean, noisy)``, both ``(num_examples, c)``, ``noisy = clean @ T``. ``num_examples``: an
    int >= 0; ``0 <= low <= high <= 1``."""
    T = check_transition_matrix(T)
    num_examples = check_int(num_examples, name="num_examples", low=0)
    low, high = check_rate(low, name="low"), check_rate(high, name="high")
    if low > high:
        raise ValueError(f"low must be <= high, got low={low} and high={high}")
    rng = make_rng(seed)
    c = T.shape[0]
    first = rng.integers(0, c, num_examples)
    second = (first + rng.integers(1, c, num_examples)) % c  # another class, uniform among the c - 1
    w = rng.uniform(low, high, num_examples)
    clean = np.zeros((num_examples, c))
    clean[np.arange(num_examples), first] = w
    clean[np.arange(num_examples), second] = 1 - w
    return clean, clean @ T


def sample_labels(posteriors, seed):
    """One label per row of ``posteriors`` (N, c), drawn from that row: int64 ``(N,)``. With noisy posteriors
    ``p(y|x) @ T``, the labels are noisy labels of the examples, ``T[i, j] = P(noisy = j | clean = i)``."""
    probs = check_probabilities(posteriors, name="posteriors")
    draws = make_rng(seed).random((len(probs), 1))
    return np.minimum((draws > np.cumsum(probs, axis=1)).sum(axis=1), probs.shape[1] - 1)
