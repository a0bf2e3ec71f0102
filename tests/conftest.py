"""Shared test helpers: random transition matrices (asymmetric on purpose, so a transpose bug fails)."""

import numpy as np
import pytest
import torch


def random_T(num_classes, rng, diagonal=0.5):
    """A random row-stochastic, non-symmetric T with ``T[i, i] >= diagonal > T[k, i]`` (k != i), so that
    T is invertible and diagonally dominant in each column."""
    rows = rng.dirichlet(np.ones(num_classes), size=num_classes)
    return diagonal * np.eye(num_classes) + (1.0 - diagonal) * rows


@pytest.fixture
def rng():
    return np.random.default_rng(20170721)


@pytest.fixture
def torch_seeded():
    """torch's global RNG seeded with 0 for a test that builds networks, and restored afterwards."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        yield
