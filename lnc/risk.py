"""Conditional risks: the expected loss of one prediction under a distribution of labels (book chapter
``ch-forward``). c classes; a loss is ``loss(logits, targets)`` with ``reduction="none"``."""

import numpy as np
import torch

from ._checks import check_probabilities


def conditional_risk(loss, logits, label_probs):
    """``sum_j label_probs[j] * loss(logits, j)`` for logits of shape ``(c,)``: a scalar tensor."""
    c = logits.shape[0]
    weights = torch.as_tensor(label_probs, dtype=logits.dtype)
    return weights @ loss(logits.expand(c, -1), torch.arange(c))


def minimise_conditional_risk(loss, label_probs, max_iter=500):
    """The prediction ``softmax(h*)`` minimising :func:`conditional_risk` over logits ``h``; shape ``(c,)``.

    L-BFGS with strong-Wolfe line search from ``h = 0`` in float64. ``loss(logits, targets)`` must return
    per-example values (``reduction="none"``); ``label_probs`` is the distribution of the label, shape ``(c,)``.
    """
    label_probs = check_probabilities(np.asarray(label_probs)[None], name="label_probs")[0]
    h = torch.zeros(label_probs.shape[0], dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS([h], lr=1, max_iter=max_iter, tolerance_grad=1e-12, tolerance_change=1e-14,
                                  line_search_fn="strong_wolfe")

    def closure():
        optimiser.zero_grad()
        value = conditional_risk(loss, h, label_probs)
        value.backward()
        return value

    optimiser.step(closure)
    return torch.softmax(h.detach(), dim=0).numpy()
