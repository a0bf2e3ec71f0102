"""Metrics: transition-matrix estimation error, flip rate, accuracy, condition number.

``T[i, j] = P(noisy = j | clean = i)`` (row-stochastic).
"""

import math

import numpy as np

from ._checks import as_float64_array, check_labels, check_transition_matrix


def estimation_error(T_hat, T):
    """Relative L1 error ``sum|T_hat - T| / sum|T|``, the field's standard; a float >= 0.

    Both ``(c, c)`` and row-stochastic, ``T[i, j] = P(noisy = j | clean = i)``. Since ``sum|T| = c``, this
    is the mean over rows of the L1 distance between a row of ``T_hat`` and of ``T`` (at most 2).
    """
    T_hat = check_transition_matrix(T_hat, name="T_hat")
    T = check_transition_matrix(T)
    if T_hat.shape != T.shape:
        raise ValueError(f"T_hat must have the shape of T {T.shape}, got {T_hat.shape}")
    return float(np.abs(T_hat - T).sum() / np.abs(T).sum())


def flip_rate(T):
    """The label noise ``T`` holds: ``1 - mean_i T[i, i]``, the share of labels it flips when the classes are
    equally frequent; a float in [0, 1]. ``T`` is ``(c, c)`` and row-stochastic, ``T[i, j] = P(noisy = j | clean =
    i)``."""
    return 1.0 - float(np.mean(np.diag(check_transition_matrix(T))))


def accuracy(logits_or_probs, labels):
    """Fraction of rows whose argmax equals ``labels``: a float in [0, 1].

    ``logits_or_probs``: (N, c) numpy array or torch tensor (the argmax is the same for both);
    ``labels``: (N,) integers in ``[0, c)``.
    """
    scores = as_float64_array(logits_or_probs, name="logits_or_probs")
    if scores.ndim != 2 or scores.shape[0] < 1 or scores.shape[1] < 2:
        raise ValueError(f"logits_or_probs must have shape (N, c) with N >= 1 and c >= 2, got {scores.shape}")
    if not np.isfinite(scores).all():
        raise ValueError("logits_or_probs must be finite, got NaN or inf")
    labels = check_labels(labels, scores.shape[1])
    if labels.shape[0] != scores.shape[0]:
        raise ValueError(f"labels must have shape ({scores.shape[0]},) to match logits_or_probs, got {labels.shape}")
    return float((scores.argmax(axis=1) == labels).mean())


SINGULAR_COND = 1.0 / np.finfo(np.float64).eps
"""A condition number above this (about 4.5e15) means a numerically singular matrix."""


def condition_number(T):
    """2-norm condition number ``cond(T) = s_max / s_min`` of a transition matrix; ``inf`` if T is singular.

    ``inf`` for every ``cond(T)`` above :data:`SINGULAR_COND`: for an exactly singular T, LAPACK returns ``inf``
    on one CPU and about 1e17 on another, so the answer is made the same on every machine.
    """
    cond = float(np.linalg.cond(check_transition_matrix(T)))
    return cond if cond <= SINGULAR_COND else math.inf
