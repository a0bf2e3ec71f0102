"""Loss corrections and the paper's baseline losses.

N examples, c classes, ``T[i, j] = P(noisy = j | clean = i)`` (row-stochastic: rows clean, columns
noisy). Every loss takes **logits** ``(N, c)`` and integer **noisy** targets ``(N,)``, never
probabilities, and a ``reduction`` in ``{"mean", "sum", "none"}``. Every loss raises ``ValueError`` for a NaN or
±inf logit, and for finite logits whose loss overflows their dtype (a row spread beyond its range), rather than
return a non-finite value.
"""

import functools
import inspect
import math
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._checks import (
    check_choice,
    check_finite_loss,
    check_logits_targets,
    check_rate,
    check_reduction,
    check_transition_matrix,
    reduce_loss,
)
from .metrics import condition_number

COND_WARNING_THRESHOLD = 100.0
"""``backward_loss`` warns when the 2-norm condition number of T exceeds this: a corrected per-example
loss is a combination of c log-losses with weights up to about ``cond(T)`` in size, so its variance grows
with it (symmetric noise near rate (c-1)/c, pair flips near 0.5, an estimated T with small diagonal)."""


# --------------------------------------------------------------------------------------------------
# forward correction


def forward_loss(logits, targets, T, reduction="mean"):
    """Forward-corrected cross-entropy, ``-log (softmax(logits) @ T)[n, targets[n]]``.

    Parameters
    ----------
    logits : torch.Tensor
        Shape ``(N, c)``. Unnormalised scores, never probabilities.
    targets : torch.Tensor
        Shape ``(N,)``, integer dtype. **Noisy** labels in ``[0, c)``.
    T : array_like or torch.Tensor
        Shape ``(c, c)``, row-stochastic: ``T[i, j] = P(noisy = j | clean = i)``.
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    torch.Tensor
        A scalar, or shape ``(N,)`` when ``reduction="none"``. Always >= 0.

    Raises
    ------
    ValueError
        If T is not a row-stochastic ``(c, c)`` matrix, a target is a noisy class that T never produces
        (a zero column of T, where the loss would be infinite), a logit is NaN or ±inf (-inf too, although the
        loss would be finite), or the inputs have the wrong shape.

    See Also
    --------
    ForwardCorrectedLoss : the module form, with T checked once.

    Notes
    -----
    Computed in log space, ``-logsumexp_i(log_softmax(logits)[n, i] + log T[i, targets[n]])`` with
    ``log 0 = -inf``: finite, with finite gradients, for ``|logits|`` up to 1e4 and for zeros in T.
    The minimiser of the noisy forward-corrected risk is the clean posterior (Patrini et al. 2017,
    Theorem 2; book chapter ``ch-forward``).
    """
    log_T = torch.as_tensor(_log(check_transition_matrix(T)))
    return _forward_loss(logits, targets, log_T, check_reduction(reduction))


class ForwardCorrectedLoss(nn.Module):
    """Module form of :func:`forward_loss`; T is checked once and stored (as ``log T``) in a float64 buffer,
    so ``.to(device)`` moves it with the model. It is cast to the logits' dtype per call unless the module was
    moved to that dtype (``.to(device, torch.float32)``, free per call)."""

    def __init__(self, T, reduction="mean"):
        super().__init__()
        T = check_transition_matrix(T)
        self.register_buffer("log_T", torch.as_tensor(_log(T), dtype=torch.float64))
        self._casts = {}
        self.reduction = check_reduction(reduction)

    def forward(self, logits, targets):
        return _forward_loss(logits, targets, self.log_T, self.reduction, self._casts)


def _forward_loss(logits, targets, log_T, reduction, casts=None):
    """The forward kernel; ``log_T`` (c, c) is cast to the logits' device and dtype (cached in ``casts``)."""
    targets = check_logits_targets(
        logits, targets, num_classes=log_T.shape[0], finite=False, reduction=reduction, classes_of="T"
    )
    log_T = _cast(log_T, logits, {} if casts is None else casts)
    joint = torch.log_softmax(logits, dim=1) + log_T.T[targets]  # [n, i] = log p(i|x_n) + log T[i, y~_n]
    loss = reduce_loss(-torch.logsumexp(joint, dim=1), reduction)
    # one synchronisation for both: a -inf logit gives a finite loss, yet it is refused as every loss refuses it
    if not (torch.isfinite(loss).all() & torch.isfinite(logits).all()):
        _explain_non_finite(loss, logits, targets, log_T)
    return loss


def _explain_non_finite(loss, logits, targets, log_T):
    """Raise the ``ValueError`` that says why a forward-corrected loss (or its logits) is not finite."""
    never = torch.isneginf(log_T).all(dim=0)  # noisy classes that T never produces (zero columns)
    held = sorted(set(torch.nonzero(never).flatten().tolist()) & set(targets.unique().tolist()))
    if not torch.isfinite(logits).all():
        raise ValueError("logits must be finite, got NaN or inf")
    if held:
        raise ValueError(
            f"targets holds the noisy classes {held}, which T never produces (zero columns of T): "
            "the forward-corrected loss would be infinite"
        )
    check_finite_loss(loss, logits)  # finite logits overflowed the dtype inside the loss: says so


def _cast(buffer, like, cache):
    """``buffer`` on ``like``'s device and dtype, converted once per (device, dtype) and cached; the key holds
    the buffer's storage and version, so ``.to()`` or ``load_state_dict`` invalidate the copy."""
    if buffer.dtype == like.dtype and buffer.device == like.device:
        return buffer
    key = (like.device, like.dtype, buffer.data_ptr(), buffer._version)
    if key not in cache:
        cache.clear()
        cache[key] = buffer.to(device=like.device, dtype=like.dtype)
    return cache[key]


def _log(T):
    with np.errstate(divide="ignore"):
        return np.log(T)


# --------------------------------------------------------------------------------------------------
# backward correction


def backward_loss(logits, targets, T, reduction="mean"):
    """Backward-corrected cross-entropy, ``sum_j inv(T)[targets[n], j] * (-log softmax(logits)[n, j])``.

    Parameters
    ----------
    logits : torch.Tensor
        Shape ``(N, c)``. Unnormalised scores, never probabilities.
    targets : torch.Tensor
        Shape ``(N,)``, integer dtype. **Noisy** labels in ``[0, c)``.
    T : array_like or torch.Tensor
        Shape ``(c, c)``, row-stochastic and non-singular: ``T[i, j] = P(noisy = j | clean = i)``.
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    torch.Tensor
        A scalar, or shape ``(N,)`` when ``reduction="none"``. **May be negative**: rows of ``inv(T)``
        sum to 1 but have negative entries, so a per-example value is unbounded below. That is the
        theory (only its expectation over the noise equals the clean loss), not a bug.

    Raises
    ------
    ValueError
        If T is singular (``cond(T)`` above :data:`lnc.metrics.SINGULAR_COND`), not row-stochastic, or the inputs
        have the wrong shape.

    Warns
    -----
    UserWarning
        When ``cond(T)`` exceeds :data:`COND_WARNING_THRESHOLD`.

    See Also
    --------
    BackwardCorrectedLoss : the module form, with T inverted once.

    Notes
    -----
    ``inv(T)`` is computed in float64 and cached per matrix. Unbiased: for every clean label ``y``,
    ``sum_k T[y, k] * backward_loss(h, k) = cross_entropy(h, y)`` (Patrini et al. 2017, Theorem 1;
    book chapter ``ch-backward``).
    """
    T_inv = torch.tensor(inverse_transition_matrix(T))
    return _backward_loss(logits, targets, T_inv, check_reduction(reduction))


class BackwardCorrectedLoss(nn.Module):
    """Module form of :func:`backward_loss`; T is checked and inverted once and ``inv(T)`` stored in a float64
    buffer, so ``.to(device)`` moves it with the model (cast per call as in :class:`ForwardCorrectedLoss`)."""

    def __init__(self, T, reduction="mean"):
        super().__init__()
        T_inv = inverse_transition_matrix(T)
        self.register_buffer("T_inv", torch.tensor(T_inv, dtype=torch.float64))
        self._casts = {}
        self.reduction = check_reduction(reduction)

    def forward(self, logits, targets):
        return _backward_loss(logits, targets, self.T_inv, self.reduction, self._casts)


def _backward_loss(logits, targets, T_inv, reduction, casts=None):
    """The backward kernel; ``T_inv`` (c, c) is cast to the logits' device and dtype (cached in ``casts``)."""
    targets = check_logits_targets(
        logits, targets, num_classes=T_inv.shape[0], finite=False, reduction=reduction, classes_of="T"
    )
    cast = _cast(T_inv, logits, {} if casts is None else casts)
    if logits.dtype == torch.float16 and not torch.isfinite(cast).all():
        raise ValueError(
            f"T must have an inverse that float16 logits can hold: inv(T) has entries up to "
            f"{T_inv.abs().max().item():.3g}, beyond float16's 65504; use float32 logits"
        )
    # cross-entropy against the "soft target" T_inv[targets[n]] (rows sum to 1, entries may be negative):
    # -sum_j T_inv[y~_n, j] log softmax(h_n)_j, one fused kernel
    return check_finite_loss(F.cross_entropy(logits, cast[targets], reduction=reduction), logits)


def inverse_transition_matrix(T, *, name="T"):
    """Return ``inv(T)`` (float64 numpy, read-only) for a row-stochastic, non-singular T.

    Rows of ``inv(T)`` sum to 1 (because ``T @ 1 = 1``). Cached per matrix; raises ``ValueError`` on a
    singular T and warns when ``cond(T) > COND_WARNING_THRESHOLD``.
    """
    T = check_transition_matrix(T, name=name)
    T_inv, cond = _inverse(T.tobytes(), T.shape[0])
    if cond > COND_WARNING_THRESHOLD:
        warnings.warn(
            f"{name} is ill-conditioned (cond = {cond:.3g} > {COND_WARNING_THRESHOLD:g}): "
            "backward-corrected losses will have a large variance",
            UserWarning,
            stacklevel=3,
        )
    return T_inv


@functools.lru_cache(maxsize=32)
def _inverse(key, num_classes):
    T = np.frombuffer(key, dtype=np.float64).reshape(num_classes, num_classes)
    cond = condition_number(T)
    if not math.isfinite(cond):
        raise ValueError(f"T must be non-singular for backward correction, got cond(T) = {cond:.3g}")
    T_inv = np.linalg.inv(T)
    T_inv.setflags(write=False)
    return T_inv, cond


# --------------------------------------------------------------------------------------------------
# baselines


def unhinged_loss(logits, targets, reduction="mean"):
    """Unhinged loss, ``(1/c) sum_k (1 - y_k f_k) = 1 - f[targets] / c`` with ``y`` the 0/1 one-hot target.

    van Rooyen, Menon & Williamson, "Learning with symmetric label noise: the importance of being
    unhinged", NeurIPS 2015, in the multi-class form of the paper's official code: the c one-vs-rest
    terms use 0/1 (not ±1) targets, so only the score of the noisy class moves the loss.
    It is linear and unbounded below in the score ``f = logits``: use it with a bounded head
    (the official code puts BatchNorm after the last linear layer; ``lnc.experiments.models`` does the same).
    """
    score = _target_score(logits, targets, reduction)
    return check_finite_loss(reduce_loss(1.0 - score / logits.shape[1], reduction), logits)


def sigmoid_loss(logits, targets, reduction="mean"):
    """Sigmoid loss, ``(1/c) sum_k sigmoid(-y_k f_k) = (sigmoid(-f[targets]) + (c-1)/2) / c``.

    The bounded sigmoid loss (e.g. Ghosh, Manwani & Sastry 2015, robust to symmetric noise), in the
    0/1 one-hot, averaged-over-outputs form of the paper's official code (slope 1). Acts on the raw
    score ``f = logits``, which the paper's models normalise with a BatchNorm head.
    """
    score = _target_score(logits, targets, reduction)
    c = logits.shape[1]
    return check_finite_loss(reduce_loss((torch.sigmoid(-score) + (c - 1) / 2) / c, reduction), logits)


def ramp_loss(logits, targets, reduction="mean"):
    """Ramp loss, ``(1/c) sum_k min(1, max(0, 1 - y_k f_k)) = (clamp(1 - f[targets], 0, 1) + c - 1) / c``.

    The bounded ramp loss (Collobert et al. 2006; Brooks 2011), in the 0/1 one-hot, averaged form of the
    paper's official code (used there for MNIST and IMDB). Acts on the raw score ``f = logits``
    (BatchNorm head).
    """
    score = _target_score(logits, targets, reduction)
    c = logits.shape[1]
    return check_finite_loss(reduce_loss((torch.clamp(1.0 - score, 0.0, 1.0) + (c - 1)) / c, reduction), logits)


def savage_loss(logits, targets, reduction="mean"):
    """Savage loss on probabilities, ``(1/c) sum_k (1 + exp(2 y_k p_k))^-2`` with ``p = softmax(logits)``.

    Masnadi-Shirazi & Vasconcelos, "On the design of loss functions for classification", NeurIPS 2008.
    As in the paper's official code the margin is the softmax probability (so the loss is bounded) and
    the target is 0/1 one-hot: ``((1 + exp(2 p[targets]))^-2 + (c-1)/4) / c``.
    """
    targets = check_logits_targets(logits, targets, finite=False, reduction=check_reduction(reduction))
    p = torch.softmax(logits, dim=1).gather(1, targets[:, None]).squeeze(1)
    c = logits.shape[1]
    return check_finite_loss(reduce_loss(((1.0 + torch.exp(2.0 * p)) ** -2 + (c - 1) / 4) / c, reduction), logits)


def bootstrap_soft_loss(logits, targets, beta=0.95, reduction="mean"):
    """Soft bootstrapping, ``-sum_k (beta * y_k + (1 - beta) * p_k) * log p_k`` with ``p = softmax(logits)``.

    Reed et al., "Training deep neural networks on noisy labels with bootstrapping", ICLR 2015 workshop;
    ``beta = 0.95`` as in the paper and its official code. The gradient flows through ``p`` in the
    target too (an entropy regulariser), as in the official code. ``log p`` is ``log_softmax``, so no
    clipping is needed.
    """
    beta = check_rate(beta, name="beta")
    targets = check_logits_targets(logits, targets, finite=False, reduction=check_reduction(reduction))
    log_p = torch.log_softmax(logits, dim=1)
    mixed = (1.0 - beta) * log_p.exp()
    mixed = mixed + beta * F.one_hot(targets, logits.shape[1]).to(log_p.dtype)
    # a class of weight 0 adds 0, also where its log p is -inf (a row spread beyond the dtype's range): 0 * -inf is NaN
    log_p = torch.where(torch.isneginf(log_p) & (mixed == 0), 0.0, log_p)
    return check_finite_loss(reduce_loss(-(mixed * log_p).sum(dim=1), reduction), logits)


def bootstrap_hard_loss(logits, targets, beta=0.8, reduction="mean"):
    """Hard bootstrapping, ``-(beta * log p[targets] + (1 - beta) * log p[argmax p])``, ``p = softmax(logits)``.

    Reed et al. (ICLR 2015 workshop), ``beta = 0.8`` as they recommend (the paper's official code has no
    hard bootstrap). The predicted class ``argmax p`` carries no gradient.
    """
    beta = check_rate(beta, name="beta")
    targets = check_logits_targets(logits, targets, finite=False, reduction=check_reduction(reduction))
    log_p = torch.log_softmax(logits, dim=1)
    predicted = log_p.detach().argmax(dim=1, keepdim=True)
    per_example = -(beta * log_p.gather(1, targets[:, None]) + (1.0 - beta) * log_p.gather(1, predicted))
    return check_finite_loss(reduce_loss(per_example.squeeze(1), reduction), logits)


def cross_entropy_loss(logits, targets, reduction="mean"):
    """Plain cross-entropy ``-log softmax(logits)[targets]`` (``F.cross_entropy`` after the checks)."""
    targets = check_logits_targets(logits, targets, finite=False, reduction=check_reduction(reduction))
    return check_finite_loss(F.cross_entropy(logits, targets, reduction=reduction), logits)


def _target_score(logits, targets, reduction):
    """``logits[n, targets[n]]``, shape (N,), after the checks (``reduction`` checked too)."""
    targets = check_logits_targets(logits, targets, finite=False, reduction=check_reduction(reduction))
    return logits.gather(1, targets[:, None]).squeeze(1)


# --------------------------------------------------------------------------------------------------
# by name

CORRECTIONS = {"forward": ForwardCorrectedLoss, "backward": BackwardCorrectedLoss}
"""The loss corrections by name: a module class built as ``cls(T, reduction=...)``. A new correction is one entry
here (with its tests); the protocol then runs it with the true T (``<name>``) and with ``T̂`` (``<name>_est``)."""
_FUNCTIONS = {
    "ce": cross_entropy_loss,
    "unhinged": unhinged_loss,
    "sigmoid": sigmoid_loss,
    "ramp": ramp_loss,
    "savage": savage_loss,
    "bootstrap_soft": bootstrap_soft_loss,
    "bootstrap_hard": bootstrap_hard_loss,
}
LOSS_NAMES = tuple(_FUNCTIONS) + tuple(CORRECTIONS)


def make_loss(name, T=None, **kw):
    """Return the loss ``name`` as an ``nn.Module`` called as ``loss(logits, targets)``.

    Parameters
    ----------
    name : str
        One of :data:`LOSS_NAMES`: ``"ce"``, ``"unhinged"``, ``"sigmoid"``, ``"ramp"``, ``"savage"``,
        ``"bootstrap_soft"``, ``"bootstrap_hard"``, ``"forward"``, ``"backward"``.
    T : array_like or torch.Tensor, optional
        Shape ``(c, c)``, ``T[i, j] = P(noisy = j | clean = i)``. Required by ``"forward"`` and
        ``"backward"``, refused by the others.
    **kw
        Options of that loss (``reduction``; ``beta`` for the bootstraps), checked now.
    """
    check_choice(name, LOSS_NAMES, name="name")
    if name in CORRECTIONS:
        if T is None:
            raise ValueError(f"make_loss({name!r}) needs T, the (c, c) transition matrix")
        unknown = sorted(set(kw) - {"reduction"})
        if unknown:
            raise TypeError(f"{CORRECTIONS[name].__name__} has no option {unknown[0]!r}; its options: ['reduction']")
        return CORRECTIONS[name](T, **kw)
    if T is not None:
        raise ValueError(f"T is used only by 'forward' and 'backward', not by {name!r}")
    return FunctionLoss(_FUNCTIONS[name], **kw)


class FunctionLoss(nn.Module):
    """Module calling a loss function of this module with fixed options: ``fn(logits, targets, **kw)``."""

    def __init__(self, fn, **kw):
        super().__init__()
        unknown = set(kw) - set(inspect.signature(fn).parameters) or {"logits", "targets"} & set(kw)
        if unknown:
            raise TypeError(
                f"{fn.__name__} has no option {sorted(unknown)[0]!r}; its options: "
                f"{[p for p in inspect.signature(fn).parameters if p not in ('logits', 'targets')]}"
            )
        if "reduction" in kw:
            check_reduction(kw["reduction"])
        if "beta" in kw:
            check_rate(kw["beta"], name="beta")
        self.fn, self.kw = fn, kw

    def forward(self, logits, targets):
        return self.fn(logits, targets, **self.kw)

    def extra_repr(self):
        return ", ".join([self.fn.__name__] + [f"{k}={v!r}" for k, v in self.kw.items()])
