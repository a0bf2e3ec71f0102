"""Data sets from a local folder: ``$LNC_DATA_DIR``, else ``~/.cache/lnc``.

Every file is checked against its sha256 before it is read; arrays are pickle-free (``.npz``).
Labels follow the training-set order of the python (pickle) CIFAR release (torchvision's order).
"""

import hashlib
import os
from pathlib import Path

import numpy as np

from .noise import empirical_T

CIFARN_FILES = {
    "cifar10n": ("cifarn/cifar10n_labels.npz", "be0540029bef4278fb52f58861a17d2a78068f9b4329d6f126b354c01dfab2cf"),
    "cifar100n": ("cifarn/cifar100n_labels.npz", "fa0fbf6a20eb8f0a2a28ae1bbb2f19a51af46b853d9cfd3ecff0b75537753526"),
}
"""Name → (path under :func:`data_dir`, sha256) of the pickle-free CIFAR-N label archives."""

CIFARN_LABEL_SETS = {
    "aggre": ("cifar10n", "clean_label", "aggre_label"),
    "random1": ("cifar10n", "clean_label", "random_label1"),
    "random2": ("cifar10n", "clean_label", "random_label2"),
    "random3": ("cifar10n", "clean_label", "random_label3"),
    "worst": ("cifar10n", "clean_label", "worse_label"),
    "cifar100n": ("cifar100n", "clean_label", "noisy_label"),
    "cifar100n_coarse": ("cifar100n", "clean_coarse_label", "noisy_coarse_label"),
}
"""CIFAR-N label set → (archive, clean key, noisy key). ``worst`` is stored as ``worse_label``."""


def data_dir():
    """The data folder: ``$LNC_DATA_DIR`` if set, else ``~/.cache/lnc``."""
    return Path(os.environ.get("LNC_DATA_DIR") or Path.home() / ".cache" / "lnc")


def verified_path(relative, sha256):
    """Return ``data_dir() / relative`` after checking that it exists and has the given sha256."""
    path = data_dir() / relative
    if not path.is_file():
        raise FileNotFoundError(f"{relative} not found: looked for {path}. Set LNC_DATA_DIR to the folder that "
                                f"holds it (the project's shared/data), or copy the file there.")
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != sha256:
        raise ValueError(f"{path} has sha256 {digest.hexdigest()}, expected {sha256}: the file is corrupt "
                         "or another version; fetch it again")
    return path


def load_cifarn_labels(label_set):
    """Clean and human noisy labels of a CIFAR-N label set: ``(clean, noisy)``, each (50000,) int64.

    ``label_set``: one of :data:`CIFARN_LABEL_SETS` (``"aggre"``, ``"random1"``, ``"random2"``,
    ``"random3"``, ``"worst"``, ``"cifar100n"``, ``"cifar100n_coarse"``). Wei et al., ICLR 2022
    (CC BY-NC 4.0).
    """
    if label_set not in CIFARN_LABEL_SETS:
        raise ValueError(f"label_set must be one of {tuple(CIFARN_LABEL_SETS)}, got {label_set!r}")
    archive, clean_key, noisy_key = CIFARN_LABEL_SETS[label_set]
    with np.load(verified_path(*CIFARN_FILES[archive]), allow_pickle=False) as arrays:
        return arrays[clean_key].astype(np.int64), arrays[noisy_key].astype(np.int64)


def cifarn_T(label_set):
    """The true human transition matrix of a CIFAR-N label set, ``T[i, j] = P(noisy = j | clean = i)``,
    measured on all 50,000 training images; shape (10, 10), (100, 100) or (20, 20)."""
    clean, noisy = load_cifarn_labels(label_set)
    return empirical_T(clean, noisy, int(clean.max()) + 1)
