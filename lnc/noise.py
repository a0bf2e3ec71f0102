"""Noise models: transition matrices and seeded label corruption.

``T[i, j] = P(noisy = j | clean = i)`` (row-stochastic: rows clean, columns noisy), float64 numpy.
Every random function takes ``seed`` (an int, ``None`` or a ``np.random.Generator``) and never touches
the global numpy RNG. cleanlab's ``noise_matrix`` is the transpose: see :func:`to_cleanlab`.
"""

import numpy as np

from ._checks import (
    as_float64_array,
    check_choice,
    check_labels,
    check_num_classes,
    check_rate,
    check_transition_matrix,
    make_rng,
)

CIFAR100_COARSE = np.array(
    [
        4,
        1,
        14,
        8,
        0,
        6,
        7,
        7,
        18,
        3,
        3,
        14,
        9,
        18,
        7,
        11,
        3,
        9,
        7,
        11,
        6,
        11,
        5,
        10,
        7,
        6,
        13,
        15,
        3,
        15,
        0,
        11,
        1,
        10,
        12,
        14,
        16,
        9,
        11,
        5,
        5,
        19,
        8,
        8,
        15,
        13,
        14,
        17,
        18,
        10,
        16,
        4,
        17,
        4,
        2,
        0,
        17,
        4,
        18,
        17,
        10,
        3,
        2,
        12,
        12,
        16,
        12,
        1,
        9,
        19,
        2,
        10,
        0,
        1,
        16,
        12,
        9,
        13,
        15,
        13,
        16,
        19,
        2,
        4,
        6,
        19,
        5,
        5,
        8,
        19,
        18,
        1,
        2,
        15,
        6,
        0,
        17,
        8,
        14,
        13,
    ]
)
"""``CIFAR100_COARSE[fine]`` = the CIFAR-100 superclass (coarse label, 0..19) of fine label ``fine``;
checked against the ``clean_coarse_label`` of all 50,000 CIFAR-100 training images."""
CIFAR100_COARSE.setflags(write=False)

MNIST_PAIRS = {2: 7, 3: 8, 5: 6, 6: 5, 7: 1}
"""The paper's MNIST flips: 2→7, 3→8, 5↔6, 7→1."""

CIFAR10_PAIRS = {9: 1, 2: 0, 3: 5, 5: 3, 4: 7}
"""The paper's CIFAR-10 flips: truck→automobile, bird→airplane, cat↔dog, deer→horse."""


def symmetric_T(num_classes, rate):
    """Symmetric noise: ``T = (1 - rate) I + rate / (c - 1) (11^T - I)``; shape ``(c, c)``.

    The label is flipped with probability ``rate``, uniformly to one of the c - 1 **other** classes, so
    the realised noise rate is ``rate`` (not ``rate (1 - 1/c)`` as when flipping uniformly over all c).
    T is singular at ``rate = (c - 1) / c``.
    """
    c = check_num_classes(num_classes)
    rate = check_rate(rate)
    T = np.full((c, c), rate / (c - 1))
    np.fill_diagonal(T, 1.0 - rate)
    return T


def pair_T(num_classes, pairs, rate):
    """Class-pair flips: ``T[i, i] = 1 - rate`` and ``T[i, pairs[i]] = rate`` for each listed ``i``.

    Rows not listed in ``pairs`` (a dict clean class → noisy class) are the identity. Shape ``(c, c)``.
    """
    c = check_num_classes(num_classes)
    rate = check_rate(rate)
    if not isinstance(pairs, dict):
        raise TypeError(f"pairs must be a dict {{clean class: noisy class}}, got {type(pairs).__name__}")
    T = np.eye(c)
    for src, dst in pairs.items():
        for name, k in (("key", src), ("value", dst)):
            if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k < c:
                raise ValueError(f"pairs must map classes in [0, {c}), got {name} {k!r}")
        if src == dst:
            raise ValueError(f"pairs must map a class to another class, got {src} -> {dst}")
        T[src, src] = 1.0 - rate
        T[src, dst] = rate
    return T


def dense_T(num_classes, rate, seed=0):
    """Dense noise: ``T[i, i] = 1 - rate`` and the rest of row ``i``, ``rate``, spread over the other c - 1
    classes by a Dirichlet(1, ..., 1) draw (seeded); shape ``(c, c)``.

    Unlike :func:`symmetric_T` and :func:`pair_T`, every class is confused with every other one in its own
    proportions: a T without structure, for testing estimators. The realised noise rate is ``rate``.
    """
    c = check_num_classes(num_classes)
    rate = check_rate(rate)
    shares = make_rng(seed).dirichlet(np.ones(c - 1), size=c)
    T = np.zeros((c, c))
    T[~np.eye(c, dtype=bool)] = (rate * shares).ravel()
    np.fill_diagonal(T, 1.0 - rate)
    return T


def mnist_asymmetric_T(rate):
    """The paper's MNIST asymmetric noise, flips 2→7, 3→8, 5↔6, 7→1 with probability ``rate``; (10, 10).

    Singular at ``rate = 0.5`` (rows 5 and 6 become equal).
    """
    return pair_T(10, MNIST_PAIRS, rate)


def cifar10_asymmetric_T(rate):
    """The paper's CIFAR-10 asymmetric noise, truck(9)→automobile(1), bird(2)→airplane(0), cat(3)↔dog(5),
    deer(4)→horse(7) with probability ``rate``; shape (10, 10)."""
    return pair_T(10, CIFAR10_PAIRS, rate)


def cifar100_asymmetric_T(rate, grouping="blocks"):
    """CIFAR-100 asymmetric noise: within each group of 5 classes, each class flips to the next one
    (circularly, in increasing fine-label order) with probability ``rate``; shape (100, 100).

    ``grouping="blocks"`` uses the groups of 5 consecutive label ids ``{5s, ..., 5s+4}`` of the paper's
    official code (fine labels are alphabetical, so these are not semantic groups); ``"superclass"`` uses
    the true CIFAR-100 superclasses (:data:`CIFAR100_COARSE`).
    """
    if check_choice(grouping, ("blocks", "superclass"), name="grouping") == "blocks":
        groups = np.arange(100).reshape(20, 5)
    else:
        groups = np.array([np.flatnonzero(CIFAR100_COARSE == s) for s in range(20)])
    pairs = {int(g[k]): int(g[(k + 1) % 5]) for g in groups for k in range(5)}
    return pair_T(100, pairs, rate)


def binary_asymmetric_T(rate, reverse_rate=0.05):
    """Binary (IMDB) noise: positive(1)→negative(0) with probability ``rate``, negative→positive with
    ``reverse_rate``: ``T = [[1 - reverse_rate, reverse_rate], [rate, 1 - rate]]``; the identity at ``rate = 0``.

    As in the official code (``noisify_binary_asymmetric``), ``rate = 0`` means no noise in either direction,
    so the noise-free setting is the same for every kind of noise. The official code refuses ``rate >= 0.5``;
    here any rate is allowed: above 0.5 a positive review is flipped more often than not, yet
    ``det T = 1 - rate - reverse_rate`` stays non-zero, so T is invertible unless ``rate + reverse_rate = 1``.
    """
    rate = check_rate(rate)
    reverse_rate = check_rate(reverse_rate, name="reverse_rate")
    if rate == 0.0:
        return np.eye(2)
    return np.array([[1.0 - reverse_rate, reverse_rate], [rate, 1.0 - rate]])


def corrupt_labels(labels, T, seed):
    """Noisy labels drawn per example from row ``T[labels[n]]``; shape ``(N,)``, int64.

    Parameters
    ----------
    labels : array_like
        Shape ``(N,)``, integer clean labels in ``[0, c)``. Not modified.
    T : array_like
        Shape ``(c, c)``, row-stochastic, ``T[i, j] = P(noisy = j | clean = i)``.
    seed : int, None or np.random.Generator

    Notes
    -----
    Inverse-CDF sampling with one uniform draw per example: ``noisy[n]`` is the first ``j`` with
    ``u_n < cumsum(T[labels[n]])[j]``, so a zero entry of T is never drawn.
    """
    T = check_transition_matrix(T)
    labels = check_labels(labels, T.shape[0])
    rng = make_rng(seed)
    cdf = np.cumsum(T, axis=1)
    cdf /= cdf[:, -1:]  # the last entry is exactly 1, so u < 1 always finds a class
    u = rng.random(labels.shape[0])
    return (cdf[labels] <= u[:, None]).sum(axis=1).astype(np.int64)


def empirical_T(clean, noisy, num_classes):
    """Realised transition matrix, ``T[i, j] = #{clean = i, noisy = j} / #{clean = i}``; shape ``(c, c)``.

    Raises ``ValueError`` if a class has no clean example (its row would be undefined).
    """
    c = check_num_classes(num_classes)
    clean = check_labels(clean, c, name="clean")
    noisy = check_labels(noisy, c, name="noisy")
    if clean.shape != noisy.shape:
        raise ValueError(f"clean and noisy must have the same shape, got {clean.shape} and {noisy.shape}")
    if c > clean.shape[0]:  # before counting: c * c counts for a huge c would not fit in memory
        raise ValueError(
            f"clean must hold every class to define every row of T; it has {clean.shape[0]} "
            f"examples for num_classes = {c}"
        )
    counts = np.bincount(clean * c + noisy, minlength=c * c).reshape(c, c).astype(np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    if (totals == 0).any():
        raise ValueError(
            f"clean must hold every class to define every row of T; class "
            f"{np.flatnonzero(totals[:, 0] == 0)[0]} has no example"
        )
    return counts / totals


def to_cleanlab(T):
    """cleanlab's ``noise_matrix`` (``M[j, i] = P(noisy = j | clean = i)``, columns sum to 1) = ``T.T``."""
    return check_transition_matrix(T).T.copy()


def from_cleanlab(noise_matrix):
    """``T`` (row-stochastic, ``T[i, j] = P(noisy = j | clean = i)``) from cleanlab's column-stochastic
    ``noise_matrix``."""
    M = as_float64_array(noise_matrix, name="noise_matrix")
    return check_transition_matrix(M.T, name="noise_matrix.T (cleanlab's columns must sum to 1)").copy()
