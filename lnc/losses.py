"""Loss corrections and the paper's baseline losses.

N examples, c classes, ``T[i, j] = P(noisy = j | clean = i)`` (row-stochastic: rows clean, columns
noisy). Every loss takes **logits** ``(N, c)`` and integer **noisy** targets ``(N,)``, never
probabilities, and a ``reduction`` in ``{"mean", "sum", "none"}``. Every loss raises ``TypeError`` for a ``meta``
tensor (no values to check), ``ValueError`` for a target out of range, :class:`NonFiniteLogitsError` (a
``ValueError``) for a NaN or ±inf logit, and ``ValueError`` for finite logits whose loss overflows their dtype (a
row spread beyond its range), rather than return a non-finite value. The modules (:class:`LossModule`) can defer
these checks on an accelerator, so that no step waits for it.
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
    DeferredChecks,
    check_choice,
    check_finite_loss,
    check_logits_targets,
    check_rate,
    check_reduction,
    check_transition_matrix,
    deferred_checks,
    reduce_loss,
)
from ._checks import NonFiniteLogitsError as NonFiniteLogitsError  # public here: the loop catches it
from .metrics import condition_number

COND_WARNING_THRESHOLD = 100.0
"""``backward_loss`` warns when the 2-norm condition number of T exceeds this: a corrected per-example
loss is a combination of c log-losses with weights up to about ``cond(T)`` in size, so its variance grows
with it (symmetric noise near rate (c-1)/c, pair flips near 0.5, an estimated T with small diagonal)."""


CHECKS = ("auto", "eager", "deferred")


class LossModule(nn.Module):
    """Base of the loss modules: ``reduction`` and when the value checks run (``checks``).

    ``checks="eager"`` raises at the call that gets a target out of range or a NaN/inf logit (one host
    synchronisation per call: free on a CPU, a stall on an accelerator). ``checks="deferred"`` keeps each check as a
    device flag, so a step never waits for the device, and :meth:`verify` raises the same errors later (the
    training loop calls it after every epoch); out-of-range targets are clamped meanwhile, so they cannot fault
    the device. ``"auto"`` (default): eager on CPU, deferred elsewhere.
    """

    def __init__(self, reduction="mean", checks="auto"):
        super().__init__()
        self.reduction = check_reduction(reduction)
        self.checks = check_choice(checks, CHECKS, name="checks")
        self._deferred = DeferredChecks()

    def checked(self, logits, kernel, *args, **kwargs):
        """``kernel(*args, **kwargs)``, its checks run as ``self.checks`` says for ``logits``' device."""
        if self.checks == "eager" or (self.checks == "auto" and getattr(logits, "is_cpu", True)):
            return kernel(*args, **kwargs)
        with self._deferred.active():
            return kernel(*args, **kwargs)

    def verify(self):
        """Raise the error of the first deferred check that failed since the last call (one host synchronisation);
        nothing to do after eager checks."""
        self._deferred.raise_failed()


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


class ForwardCorrectedLoss(LossModule):
    """Module form of :func:`forward_loss`; T is checked once and stored as ``log T`` in a float64 buffer, so
    ``.to(device)`` moves it with the model (each call casts it to the logits' dtype; taking the log in float64
    keeps entries of T below float32's range). ``checks`` as in :class:`LossModule`."""

    def __init__(self, T, reduction="mean", checks="auto"):
        super().__init__(reduction, checks)
        self.register_buffer("log_T", torch.as_tensor(_log(check_transition_matrix(T)), dtype=torch.float64))

    def forward(self, logits, targets):
        return self.checked(logits, _forward_loss, logits, targets, self.log_T, self.reduction)


def _forward_loss(logits, targets, log_T, reduction):
    """The forward kernel; ``log_T`` (c, c) is cast to the logits' device and dtype."""
    targets = check_logits_targets(logits, targets, num_classes=log_T.shape[0], reduction=reduction, classes_of="T")
    columns = log_T.to(logits).T[targets]  # [n, i] = log T[i, y~_n], -inf where T[i, y~_n] = 0
    deferred = deferred_checks()
    if deferred is not None:
        deferred.add(torch.isneginf(columns).all(dim=1).any(), ValueError, _NEVER_PRODUCED)
    loss = reduce_loss(-torch.logsumexp(torch.log_softmax(logits, dim=1) + columns, dim=1), reduction)
    return check_finite_loss(loss, logits, explain=lambda: _check_produced(columns, targets))


def _log(T):
    with np.errstate(divide="ignore"):
        return np.log(T)


_NEVER_PRODUCED = "targets holds a noisy class that T never produces (a zero column of T): the loss would be infinite"


def _check_produced(columns, targets, name="T"):
    """Raise for targets that are noisy classes T never produces: ``columns`` ``[n, i] = log T[i, targets[n]]`` all
    ``-inf`` (a zero column, where the loss is infinite); ``name`` is T's in the message."""
    never = torch.isneginf(columns).all(dim=1)
    if never.any():
        held = sorted(set(targets[never].tolist()))
        raise ValueError(
            f"targets holds the noisy classes {held}, which {name} never produces (zero columns of {name}): "
            "the corrected loss would be infinite"
        )


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


class BackwardCorrectedLoss(LossModule):
    """Module form of :func:`backward_loss`; T is checked and inverted once and ``inv(T)`` stored in a float64
    buffer, moved with ``.to(device)`` and cast per call as in :class:`ForwardCorrectedLoss`. ``checks`` as in
    :class:`LossModule`."""

    def __init__(self, T, reduction="mean", checks="auto"):
        super().__init__(reduction, checks)
        self.register_buffer("T_inv", torch.tensor(inverse_transition_matrix(T), dtype=torch.float64))

    def forward(self, logits, targets):
        return self.checked(logits, _backward_loss, logits, targets, self.T_inv, self.reduction)


def _backward_loss(logits, targets, T_inv, reduction):
    """The backward kernel; ``T_inv`` (c, c) is cast to the logits' device and dtype."""
    targets = check_logits_targets(logits, targets, num_classes=T_inv.shape[0], reduction=reduction, classes_of="T")
    cast = T_inv.to(logits)
    if logits.dtype == torch.float16:  # inv(T) may hold entries beyond float16's range
        _check_half_inverse(cast)
    # cross-entropy against the "soft target" T_inv[targets[n]] (rows sum to 1, entries may be negative):
    # -sum_j T_inv[y~_n, j] log softmax(h_n)_j, one fused kernel
    return check_finite_loss(F.cross_entropy(logits, cast[targets], reduction=reduction), logits)


def _check_half_inverse(cast):
    message = "T must have an inverse that float16 logits can hold: inv(T) has entries beyond 65504; use float32 logits"
    deferred = deferred_checks()
    if deferred is not None:
        deferred.add(~torch.isfinite(cast).all(), ValueError, message)
    elif not torch.isfinite(cast).all():
        raise ValueError(message)


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
    targets = check_logits_targets(logits, targets, reduction=check_reduction(reduction))
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
    targets = check_logits_targets(logits, targets, reduction=check_reduction(reduction))
    log_p = torch.log_softmax(logits, dim=1)
    mixed = (1.0 - beta) * log_p.exp()
    mixed = mixed.scatter_add(1, targets[:, None], torch.full_like(mixed[:, :1], beta))  # + beta * one-hot
    # a class of weight 0 adds 0, also where its log p is -inf (a row spread beyond the dtype's range): 0 * -inf is NaN
    log_p = torch.where(torch.isneginf(log_p) & (mixed == 0), 0.0, log_p)
    return check_finite_loss(reduce_loss(-(mixed * log_p).sum(dim=1), reduction), logits)


def bootstrap_hard_loss(logits, targets, beta=0.8, reduction="mean"):
    """Hard bootstrapping, ``-(beta * log p[targets] + (1 - beta) * log p[argmax p])``, ``p = softmax(logits)``.

    Reed et al. (ICLR 2015 workshop), ``beta = 0.8`` as they recommend (the paper's official code has no
    hard bootstrap). The predicted class ``argmax p`` carries no gradient.
    """
    beta = check_rate(beta, name="beta")
    targets = check_logits_targets(logits, targets, reduction=check_reduction(reduction))
    log_p = torch.log_softmax(logits, dim=1)
    predicted = log_p.detach().argmax(dim=1, keepdim=True)
    per_example = -(beta * log_p.gather(1, targets[:, None]) + (1.0 - beta) * log_p.gather(1, predicted))
    return check_finite_loss(reduce_loss(per_example.squeeze(1), reduction), logits)


def cross_entropy_loss(logits, targets, reduction="mean"):
    """Plain cross-entropy ``-log softmax(logits)[targets]`` (``F.cross_entropy`` after the checks)."""
    targets = check_logits_targets(logits, targets, reduction=check_reduction(reduction))
    return check_finite_loss(F.cross_entropy(logits, targets, reduction=reduction), logits)


def _target_score(logits, targets, reduction):
    """``logits[n, targets[n]]``, shape (N,), after the checks (``reduction`` checked too)."""
    targets = check_logits_targets(logits, targets, reduction=check_reduction(reduction))
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
        Options of that loss, checked now: ``reduction``, ``checks`` (see :class:`LossModule`), ``beta`` for the
        bootstraps.
    """
    check_choice(name, LOSS_NAMES, name="name")
    if name in CORRECTIONS:
        if T is None:
            raise ValueError(f"make_loss({name!r}) needs T, the (c, c) transition matrix")
        unknown = sorted(set(kw) - {"reduction", "checks"})
        if unknown:
            raise TypeError(
                f"{CORRECTIONS[name].__name__} has no option {unknown[0]!r}; its options: ['reduction', 'checks']"
            )
        return CORRECTIONS[name](T, **kw)
    if T is not None:
        raise ValueError(f"T is used only by 'forward' and 'backward', not by {name!r}")
    return FunctionLoss(_FUNCTIONS[name], **kw)


class FunctionLoss(LossModule):
    """Module calling a loss function of this module with fixed options: ``fn(logits, targets, **kw)``;
    ``checks`` as in :class:`LossModule`."""

    def __init__(self, fn, checks="auto", **kw):
        options = [p for p in inspect.signature(fn).parameters if p not in ("logits", "targets")]
        unknown = sorted(set(kw) - set(options))
        if unknown:
            raise TypeError(f"{fn.__name__} has no option {unknown[0]!r}; its options: {options + ['checks']}")
        super().__init__(kw.get("reduction", "mean"), checks)
        if "beta" in kw:
            check_rate(kw["beta"], name="beta")
        self.fn, self.kw = fn, kw

    def forward(self, logits, targets):
        return self.checked(logits, self.fn, logits, targets, **self.kw)

    def extra_repr(self):
        return ", ".join([self.fn.__name__] + [f"{k}={v!r}" for k, v in self.kw.items()])
