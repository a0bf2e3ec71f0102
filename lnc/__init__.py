"""lnc: loss correction for learning with noisy labels (Patrini et al., CVPR 2017).

Convention everywhere: ``T[i, j] = P(noisy = j | clean = i)`` (row-stochastic); losses take logits.
"""

from .estimation import ESTIMATORS, estimate_T
from .losses import (
    BackwardCorrectedLoss,
    ForwardCorrectedLoss,
    backward_loss,
    bootstrap_hard_loss,
    bootstrap_soft_loss,
    forward_loss,
    make_loss,
    ramp_loss,
    savage_loss,
    sigmoid_loss,
    unhinged_loss,
)
from .metrics import accuracy, condition_number, estimation_error
from .noise import (
    binary_asymmetric_T,
    cifar10_asymmetric_T,
    cifar100_asymmetric_T,
    corrupt_labels,
    empirical_T,
    from_cleanlab,
    mnist_asymmetric_T,
    pair_T,
    symmetric_T,
    to_cleanlab,
)

__version__ = "0.1.0"

__all__ = [
    "ESTIMATORS",
    "BackwardCorrectedLoss",
    "ForwardCorrectedLoss",
    "accuracy",
    "backward_loss",
    "binary_asymmetric_T",
    "bootstrap_hard_loss",
    "bootstrap_soft_loss",
    "cifar100_asymmetric_T",
    "cifar10_asymmetric_T",
    "condition_number",
    "corrupt_labels",
    "empirical_T",
    "estimate_T",
    "estimation_error",
    "forward_loss",
    "from_cleanlab",
    "make_loss",
    "mnist_asymmetric_T",
    "pair_T",
    "ramp_loss",
    "savage_loss",
    "sigmoid_loss",
    "symmetric_T",
    "to_cleanlab",
    "unhinged_loss",
]
