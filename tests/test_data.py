"""Data loading: checksums, missing files, and the CIFAR-N true T against the shipped matrices."""

import os
from pathlib import Path

import numpy as np
import pytest

from lnc import data

needs_data = pytest.mark.skipif("LNC_DATA_DIR" not in os.environ, reason="LNC_DATA_DIR unset: no shared data")


def test_data_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LNC_DATA_DIR", str(tmp_path))
    assert data.data_dir() == tmp_path
    monkeypatch.delenv("LNC_DATA_DIR")
    assert data.data_dir() == Path.home() / ".cache" / "lnc"


def test_missing_file_says_where_it_looked(monkeypatch, tmp_path):
    monkeypatch.setenv("LNC_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=f"cifarn/cifar10n_labels.npz not found: looked for {tmp_path}"):
        data.load_cifarn_labels("aggre")


def test_checksum_mismatch_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("LNC_DATA_DIR", str(tmp_path))
    (tmp_path / "cifarn").mkdir()
    np.savez(tmp_path / "cifarn" / "cifar10n_labels.npz", clean_label=np.zeros(3), aggre_label=np.zeros(3))
    with pytest.raises(ValueError, match="expected be0540029bef"):
        data.load_cifarn_labels("aggre")


def test_unknown_label_set_is_refused():
    with pytest.raises(ValueError, match="label_set must be one of"):
        data.load_cifarn_labels("aggregate")


@needs_data
@pytest.mark.parametrize("label_set,shipped", [("aggre", "cifar10n_aggre"), ("worst", "cifar10n_worst"),
                                               ("random1", "cifar10n_random1"), ("cifar100n", "cifar100n_noisy_fine"),
                                               ("cifar100n_coarse", "cifar100n_noisy_coarse")])
def test_cifarn_T_matches_the_shipped_matrix(label_set, shipped):
    expected = np.load(Path(os.environ["LNC_DATA_DIR"]) / "cifarn" / f"T_{shipped}.npy")
    np.testing.assert_allclose(data.cifarn_T(label_set), expected, atol=1e-12)


@needs_data
def test_cifarn_noise_rates_match_the_published_ones():
    clean, noisy = data.load_cifarn_labels("worst")
    assert clean.shape == noisy.shape == (50_000,)
    assert abs(np.mean(clean != noisy) - 0.4021) < 1e-4
