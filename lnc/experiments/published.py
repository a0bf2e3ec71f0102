"""Published test accuracies (%) that the book compares its own runs with; sources in each docstring.

Every value is ``(mean, std)``; ``std`` is ``None`` where the source gives none.
"""

CIFARN = {
    "ce": {
        "aggre": (87.77, 0.38),
        "random1": (85.02, 0.65),
        "random2": (86.46, 1.79),
        "random3": (85.16, 0.61),
        "worst": (77.69, 1.55),
        "cifar100n": (55.50, 0.66),
    },
    "forward": {
        "aggre": (88.24, 0.22),
        "random1": (86.88, 0.50),
        "random2": (86.14, 0.24),
        "random3": (87.04, 0.35),
        "worst": (79.79, 0.46),
        "cifar100n": (57.01, 1.03),
    },
    "backward": {
        "aggre": (88.13, 0.29),
        "random1": (87.14, 0.34),
        "random2": (86.28, None),
        "random3": (86.86, None),
        "worst": (77.61, 1.05),
        "cifar100n": (57.14, None),
    },
}
"""CIFAR-10N / CIFAR-100N benchmark (Wei et al., ICLR 2022), mean ± std over 5 seeds: CE, Forward-T, Backward-T,
keyed by this library's method and label-set names. Protocol: ResNet-34 (CIFAR form), 100 epochs, SGD momentum
0.9, weight decay 5e-4, batch 128, lr 0.1 then 0.01, the whole training set; the figure is the **best test
accuracy over epochs** (model selection on the test set). Forward-T and CE as re-quoted in ε-Softmax (NeurIPS
2024, Table 4); Backward-T aggre / random1 / worst in Outlier Gradient Analysis (ICML 2025, Table 11), the other
Backward-T entries from the benchmark's Papers-with-Code listing (no std)."""

CIFARN_PROTOCOL = "ResNet-34, 100 epochs, all 50,000 images, 5 seeds, best test epoch"

CLOTHING1M = {
    "ce (1M noisy)": (68.94, None),
    "backward_est (1M noisy)": (69.13, None),
    "forward_est (1M noisy)": (69.84, None),
    "ce (50k clean)": (75.19, None),
    "forward_est (1M noisy), then ce fine-tuned on 50k clean": (80.38, None),
}
"""Clothing1M, the paper's table (ResNet-50, ImageNet initialisation). The last row is listed as 80.27 on
Papers-with-Code; the paper's table says 80.38."""

MINI_WEBVISION = {
    "forward_est": {
        "webvision top-1": (61.12, None),
        "webvision top-5": (82.68, None),
        "ilsvrc12 top-1": (57.36, None),
        "ilsvrc12 top-5": (82.36, None),
    }
}
"""mini-WebVision (first 50 classes of WebVision 1.0, Inception-ResNet-v2), F-correction as run by Chen et al.
(2019) and DivideMix (2020), as listed by Papers-with-Code: validation accuracy on WebVision and ILSVRC12."""
