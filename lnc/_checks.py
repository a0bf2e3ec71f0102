"""Input validation shared by the modules of ``lnc``.

Each helper checks one kind of input and **returns** it converted; a wrong type raises ``TypeError``,
wrong content raises ``ValueError``, and every message names the argument, what was expected and what
was given. Nothing is clipped, renormalised, broadcast or modified.
"""

import numbers

import numpy as np
import torch

ROW_SUM_ATOL = 1e-6
"""Tolerance on the row sums of a transition matrix."""

PROBS_ROW_SUM_ATOL = 1e-3
"""Tolerance on the row sums of predicted probabilities (float32 softmax outputs)."""

REDUCTIONS = ("mean", "sum", "none")


def as_float64_array(x, *, name):
    """Return a numpy or torch array-like as a float64 numpy array (a copy when converting)."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}") from err


def check_transition_matrix(T, *, name="T", atol=ROW_SUM_ATOL):
    """Return T as float64 after checking: square, finite, non-negative, row-stochastic.

    ``T[i, j] = P(noisy = j | clean = i)``: rows are clean labels and sum to 1.
    """
    T = as_float64_array(T, name=name)
    if T.ndim != 2 or T.shape[0] != T.shape[1] or T.shape[0] < 2:
        raise ValueError(f"{name} must be a square (c, c) matrix with c >= 2, got shape {T.shape}")
    return _check_rows_in_simplex(T, name, atol, "be row-stochastic (rows clean, columns noisy)",
                                  "transpose a column-stochastic matrix (see lnc.from_cleanlab)")


def check_probabilities(probs, *, name="probs", atol=PROBS_ROW_SUM_ATOL):
    """Return an ``(N, c)`` matrix of probabilities as float64 (rows in the simplex, within ``atol``)."""
    probs = as_float64_array(probs, name=name)
    if probs.ndim != 2 or probs.shape[0] < 1 or probs.shape[1] < 2:
        raise ValueError(f"{name} must have shape (N, c) with N >= 1 and c >= 2, got {probs.shape}")
    return _check_rows_in_simplex(probs, name, atol, "hold probabilities whose rows sum to 1",
                                  "pass softmax outputs, not logits")


def _check_rows_in_simplex(x, name, atol, what, hint):
    """Return the 2-D array ``x`` after checking finite, non-negative entries and row sums within ``atol`` of 1."""
    wrong = ~(np.isfinite(x) & (x >= 0))
    if wrong.any():
        raise ValueError(f"{name} must be finite and non-negative, got {x[wrong][0]:.3g}")
    row_sums = x.sum(axis=1)
    bad = np.flatnonzero(np.abs(row_sums - 1.0) > atol)
    if bad.size:
        raise ValueError(f"{name} must {what}; row {bad[0]} sums to {row_sums[bad[0]]:.6g}; {hint}")
    return x


def check_labels(labels, num_classes, *, name="labels"):
    """Return a 1-D int64 numpy array of labels in ``[0, num_classes)``."""
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    labels = np.asarray(labels)
    if labels.dtype == bool or not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"{name} must be an integer array, got dtype {labels.dtype}")
    if labels.ndim != 1:
        raise ValueError(f"{name} must be 1-D (N,), got shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)][0]
        raise ValueError(f"{name} must lie in [0, {num_classes}), got {bad}")
    return labels.astype(np.int64, copy=False)


def check_num_classes(num_classes, *, name="num_classes"):
    """Return ``num_classes`` as an int >= 2."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(num_classes).__name__}")
    if num_classes < 2:
        raise ValueError(f"{name} must be >= 2, got {num_classes}")
    return int(num_classes)


def check_rate(rate, *, name="rate", low=0.0, high=1.0):
    """Return ``rate`` as a float in the closed interval ``[low, high]``."""
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(rate).__name__}")
    if not (low <= rate <= high):  # also rejects NaN
        raise ValueError(f"{name} must lie in [{low}, {high}], got {rate}")
    return float(rate)


def check_reduction(reduction):
    """Return ``reduction`` after checking it is one of ``"mean"``, ``"sum"``, ``"none"``."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    return reduction


def check_logits_targets(logits, targets, *, num_classes=None, finite=True):
    """Check ``logits`` (N, c) floating and finite, ``targets`` (N,) integer in ``[0, c)``.

    ``num_classes=None`` takes c from ``logits``. ``finite=False`` leaves the finiteness of ``logits`` to
    :func:`check_finite_loss` on the result (one check of the output instead of one of every logit).
    """
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        raise TypeError(f"logits must be a floating-point torch.Tensor, got {_describe(logits)}")
    if not isinstance(targets, torch.Tensor) or targets.is_floating_point() or targets.dtype == torch.bool:
        raise TypeError(f"targets must be an integer torch.Tensor, got {_describe(targets)}")
    if num_classes is None and logits.ndim == 2:
        num_classes = logits.shape[1]
    if logits.ndim != 2 or logits.shape[1] != num_classes or num_classes < 2:
        raise ValueError(f"logits must have shape (N, c) with c = {num_classes or 'c >= 2'}, got {tuple(logits.shape)}")
    if targets.shape != logits.shape[:1]:
        raise ValueError(f"targets must have shape ({logits.shape[0]},) to match logits, got {tuple(targets.shape)}")
    if finite and not torch.isfinite(logits).all():
        raise ValueError("logits must be finite, got NaN or inf")
    if targets.numel():
        low, high = torch.aminmax(targets)
        if int(low) < 0 or int(high) >= num_classes:
            bad = targets[(targets < 0) | (targets >= num_classes)][0].item()
            raise ValueError(f"targets must lie in [0, {num_classes}), got {bad}")


def check_finite_loss(loss):
    """Return ``loss`` after checking it is finite; with finite logits the corrected losses always are, so a
    NaN or inf here means NaN or inf logits."""
    if not torch.isfinite(loss).all():
        raise ValueError("logits must be finite, got NaN or inf (the loss came out non-finite)")
    return loss


def reduce_loss(per_example, reduction):
    """Apply ``reduction`` to a per-example loss of shape (N,)."""
    if reduction == "mean":
        return per_example.mean()
    if reduction == "sum":
        return per_example.sum()
    return per_example


def _describe(x):
    if isinstance(x, torch.Tensor):
        return f"torch.Tensor of dtype {x.dtype}"
    return type(x).__name__


def make_rng(seed, *, name="seed"):
    """Return ``np.random.default_rng(seed)`` for an int >= 0, ``None`` or a ``np.random.Generator``."""
    if seed is not None and not isinstance(seed, np.random.Generator) and (
            isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
        raise TypeError(f"{name} must be a non-negative int, None or a np.random.Generator, got {seed!r}")
    return np.random.default_rng(seed)
