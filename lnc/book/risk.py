"""Conditional risks: the expected loss of one prediction under a distribution of labels (book chapter
``ch-forward``). c classes; a loss is ``loss(logits, targets)`` with ``reduction="none"``."""

import torch

from .._checks import (
    LOGIT_DTYPES,
    as_float64_array,
    check_int,
    check_probabilities,
    describe,
)


def conditional_risk(loss, logits, label_probs):
    """``sum_j label_probs[j] * loss(logits, j)`` for logits of shape ``(c,)``: a scalar tensor.

    Parameters
    ----------
    loss : callable
        ``loss(logits, targets)`` returning per-example values of shape ``(c,)`` (``reduction="none"``).
    logits : torch.Tensor
        Shape ``(c,)``, floating point: one prediction.
    label_probs : array_like or torch.Tensor
        Shape ``(c,)``: the distribution of the label, entries >= 0 summing to 1 (within 1e-3).

    Raises
    ------
    TypeError, ValueError
        ``loss`` is not callable or returns another shape; ``logits`` is not a floating ``(c,)`` tensor with
        ``c >= 2``; ``label_probs`` is not a distribution over the c classes.
    """
    _check_loss(loss)
    if not isinstance(logits, torch.Tensor) or logits.dtype not in LOGIT_DTYPES or logits.layout != torch.strided:
        raise TypeError(f"logits must be a floating-point torch.Tensor of shape (c,), got {describe(logits)}")
    if logits.ndim != 1 or logits.shape[0] < 2:
        raise ValueError(f"logits must have shape (c,) with c >= 2, got {tuple(logits.shape)}")
    c = logits.shape[0]
    probs = _check_label_probs(label_probs)
    if probs.shape != (c,):
        raise ValueError(f"label_probs must have shape ({c},) to match logits, got {probs.shape}")
    weights = torch.as_tensor(probs, dtype=logits.dtype)
    per_label = loss(logits.expand(c, -1), torch.arange(c))
    if not isinstance(per_label, torch.Tensor) or per_label.shape != (c,):
        got = tuple(per_label.shape) if isinstance(per_label, torch.Tensor) else describe(per_label)
        raise ValueError(f"loss must return per-example values of shape ({c},) (reduction='none'), got {got}")
    return weights @ per_label


def minimise_conditional_risk(loss, label_probs, max_iter=500):
    """The prediction ``softmax(h*)`` minimising :func:`conditional_risk` over logits ``h``; shape ``(c,)``.

    L-BFGS with strong-Wolfe line search from ``h = 0`` in float64. ``loss(logits, targets)`` must return
    per-example values (``reduction="none"``); ``label_probs`` is the distribution of the label, shape ``(c,)``
    (entries >= 0 summing to 1); ``max_iter`` an int >= 1.
    """
    _check_loss(loss)
    label_probs = _check_label_probs(label_probs)
    max_iter = check_int(max_iter, name="max_iter", low=1)
    h = torch.zeros(label_probs.shape[0], dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS(
        [h], lr=1, max_iter=max_iter, tolerance_grad=1e-12, tolerance_change=1e-14, line_search_fn="strong_wolfe"
    )

    def closure():
        optimiser.zero_grad()
        value = conditional_risk(loss, h, label_probs)
        value.backward()
        return value

    optimiser.step(closure)
    return torch.softmax(h.detach(), dim=0).numpy()


def _check_loss(loss):
    if not callable(loss):
        raise TypeError(f"loss must be a callable loss(logits, targets), got {describe(loss)}")


def _check_label_probs(label_probs):
    """``label_probs`` as a float64 ``(c,)`` distribution (c >= 2)."""
    probs = as_float64_array(label_probs, name="label_probs")
    if probs.ndim != 1:
        raise ValueError(f"label_probs must have shape (c,), got {probs.shape}")
    return check_probabilities(probs[None], name="label_probs")[0]
