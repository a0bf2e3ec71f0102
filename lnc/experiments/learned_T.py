"""Losses that learn the transition matrix with the network: VolMinNet's (:class:`VolMinLoss`) and T-Revision's
(:class:`RevisionLoss`). Each holds its T as parameters, which the epoch loop optimises with the network's and keeps
with the network's weights at the selected epoch (:func:`lnc.experiments.loop.fit`).

N examples, c classes; losses take logits ``(N, c)`` and noisy targets ``(N,)``; ``T[i, j] = P(noisy = j | clean =
i)``, rows clean, columns noisy.
"""

import numpy as np
import torch
import torch.nn.functional as F

from .._checks import (
    check_bool,
    check_finite_loss,
    check_logits_targets,
    check_num_classes,
    check_real,
    check_transition_matrix,
)
from ..estimation import _min_volume_T
from ..losses import LossModule, _check_produced, _forward_loss

VOLMIN_LR = 0.01
"""Learning rate of VolMinNet's T (its code: 0.01 for every data set), under the network's schedule."""
VOLMIN_OPTIMIZER = "adam"
"""VolMinNet's T has its own optimiser: Adam, as its code for MNIST and CIFAR-100 (SGD with momentum 0.9 for
CIFAR-10, over 80 epochs; Adam's step does not depend on the gradient's small size, so T moves in short recipes)."""
REVISION_LR = 5e-7
"""Adam learning rate of T-Revision's revision stage, for the network and the slack ΔT (its code)."""


class VolMinLoss(LossModule):
    """VolMinNet (Li et al. 2021): the forward-corrected loss with a learnable T, plus ``lam · log|det T|``
    while training.

    ``T = rownorm(I + sigmoid(W) ⊙ (1 - I))``: row-stochastic, each diagonal entry at least every other entry of
    its row, starting near I (``W = init``). Minimising the volume ``log|det T|`` while fitting the noisy labels
    recovers T without anchor points when the clean posteriors are sufficiently scattered (the paper's
    identifiability theorem). The penalty is added in training mode only: model selection (eval mode) reads the
    forward-corrected loss with the current T, as its code does.

    Parameters
    ----------
    num_classes : int
        c, an int >= 2.
    lam : float, default 1e-4
        Weight of the volume penalty (its code's), finite and >= 0.
    init : float, optional
        Initial ``W`` off the diagonal, a finite number. ``None``: ``-log(c - 1)``, which starts every diagonal entry
        at ``c / (2c - 1)`` ≈ 0.5 whatever c (its code: -2 for c = 10 and -4.5 for c = 100, diagonals 0.48).

    The epoch loop trains ``W`` with its own optimiser, :data:`VOLMIN_OPTIMIZER` at :data:`VOLMIN_LR`, as its
    code does (:class:`lnc.experiments.loop.Optimizers`).
    """

    lr = VOLMIN_LR
    optimizer = VOLMIN_OPTIMIZER

    def __init__(self, num_classes, lam=1e-4, init=None, reduction="mean", checks="auto"):
        super().__init__(reduction, checks)
        num_classes = check_num_classes(num_classes)
        self.lam = check_real(lam, name="lam")
        init = -np.log(num_classes - 1) if init is None else check_real(init, name="init", signed=True)
        self.W = torch.nn.Parameter(torch.full((num_classes, num_classes), float(init)))
        self.register_buffer("eye", torch.eye(num_classes))

    def transition_matrix(self):
        """The current T, ``(c, c)``, row-stochastic, differentiable in ``W`` (the parametrisation of
        :func:`lnc.estimation.min_volume`)."""
        return _min_volume_T(self.W, self.eye)

    def forward(self, logits, targets):
        T = self.transition_matrix()
        loss = self.checked(logits, _forward_loss, logits, targets, torch.log(T), self.reduction)
        return loss + self.lam * torch.linalg.slogdet(T).logabsdet if self.training else loss


class RevisionLoss(LossModule):
    """Importance reweighting with ``T = T̂ + ΔT`` (T-Revision, Xia et al. 2019): the mean over the batch of
    ``β_n · CE(logits_n, ỹ_n)``, with ``β_n = p(ỹ_n | x_n) / (p(· | x_n) @ T)[ỹ_n]`` and ``p = softmax(logits)``.

    ``revise=False``: ``ΔT = 0`` and ``β`` is a constant weight (detached), the reweighting stage. ``revise=True``:
    the slack ``ΔT`` (c, c), starting at 0, is a parameter, and the gradient flows through ``β`` into it and the
    network, as in its code. ``ΔT`` is added to ``T̂`` once per batch: its code adds it once per *example*
    inside its per-sample loop, so that example ``n`` of a batch uses ``T̂ + (n + 1) ΔT``. ``T̂ + ΔT`` is not
    kept row-stochastic (as in its code); :meth:`transition_matrix` returns its projection.

    Parameters
    ----------
    T_hat : array_like
        ``(c, c)`` row-stochastic, ``T̂[i, j] ≈ P(noisy = j | clean = i)``; each column the targets hold must be
        non-zero (else ``β`` is infinite).
    revise : bool
        ``True`` or ``False`` (a str such as ``"no"`` is refused).
    """

    lr = REVISION_LR

    def __init__(self, T_hat, revise, reduction="mean", checks="auto"):
        super().__init__(reduction, checks)
        self.register_buffer("T_hat", torch.as_tensor(check_transition_matrix(T_hat, name="T_hat")))
        revise = check_bool(revise, name="revise")
        self.delta = torch.nn.Parameter(torch.zeros_like(self.T_hat)) if revise else None

    def revised(self):
        """``T̂ + ΔT`` as used by the loss (``T̂`` when not revising), ``(c, c)``, float64."""
        return self.T_hat if self.delta is None else self.T_hat + self.delta

    def transition_matrix(self):
        """``T̂ + ΔT`` projected on the row-stochastic matrices (negative entries clipped to 0, rows normalised):
        numpy ``(c, c)``. Raises ``ValueError`` when a row has no finite positive mass to normalise (a NaN ``ΔT``,
        or a row driven to <= 0), rather than return NaN."""
        T = np.clip(self.revised().detach().cpu().numpy(), 0.0, None)
        sums = T.sum(axis=1)
        bad = np.flatnonzero(~(np.isfinite(sums) & (sums > 0)))
        if bad.size:
            raise ValueError(
                f"T_hat + delta must keep a finite, positive entry in each row to be projected, got row {bad[0]} = "
                f"{self.revised()[bad[0]].tolist()}"
            )
        return T / sums[:, None]

    def forward(self, logits, targets):
        return self.checked(logits, self._loss, logits, targets)

    def _loss(self, logits, targets):
        targets = check_logits_targets(logits, targets, num_classes=len(self.T_hat), reduction=self.reduction)
        probs = torch.softmax(logits, dim=1)
        columns = self.revised().to(logits).T[targets]  # [n, i] = T[i, y~_n]
        beta = probs.gather(1, targets[:, None]).squeeze(1) / (probs * columns).sum(dim=1)
        beta = beta if self.delta is not None else beta.detach()
        loss = beta * F.cross_entropy(logits, targets, reduction="none")
        return check_finite_loss(
            loss if self.reduction == "none" else getattr(loss, self.reduction)(),
            logits,
            explain=lambda: _check_produced(torch.log(columns), targets, name="T_hat"),
        )
