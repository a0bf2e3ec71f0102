"""The public names of DESIGN.md §2 are importable from the top level, and nothing else is exported."""

import lnc

DESIGN_NAMES = {
    "forward_loss",
    "backward_loss",
    "ForwardCorrectedLoss",
    "BackwardCorrectedLoss",
    "unhinged_loss",
    "sigmoid_loss",
    "ramp_loss",
    "savage_loss",
    "bootstrap_soft_loss",
    "bootstrap_hard_loss",
    "make_loss",
    "symmetric_T",
    "pair_T",
    "mnist_asymmetric_T",
    "cifar10_asymmetric_T",
    "cifar100_asymmetric_T",
    "binary_asymmetric_T",
    "corrupt_labels",
    "empirical_T",
    "to_cleanlab",
    "from_cleanlab",
    "estimate_T",
    "estimation_error",
    "accuracy",
    "condition_number",
}
REGISTRIES = {"ESTIMATORS"}  # name -> function (DESIGN.md §2)


def test_top_level_exports_the_design_api():
    assert set(lnc.__all__) == DESIGN_NAMES | REGISTRIES
    assert all(callable(fn) and fn.__doc__ for registry in REGISTRIES for fn in getattr(lnc, registry).values())
    for name in DESIGN_NAMES:
        assert callable(getattr(lnc, name)), name
        assert getattr(lnc, name).__doc__, f"{name} has no docstring"
