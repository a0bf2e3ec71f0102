"""Shared test helpers: random transition matrices (asymmetric on purpose, so a transpose bug fails), a toy
MNIST-shaped data set for protocol runs in seconds. Every test trains in float32 (``LNC_PRECISION=fp32``) on
every CPU, with bf16 units or not; the tests of bf16 autocast set it themselves."""

import functools

import numpy as np
import pytest
import torch

from lnc import estimation
from lnc.experiments import datasets, protocol, recipes, records


def random_T(num_classes, rng, diagonal=0.5):
    """A random row-stochastic, non-symmetric T with ``T[i, i] >= diagonal > T[k, i]`` (k != i), so that
    T is invertible and diagonally dominant in each column."""
    rows = rng.dirichlet(np.ones(num_classes), size=num_classes)
    return diagonal * np.eye(num_classes) + (1.0 - diagonal) * rows


@pytest.fixture(autouse=True)
def float32(monkeypatch):
    monkeypatch.setenv("LNC_PRECISION", "fp32")


@pytest.fixture
def rng():
    return np.random.default_rng(20170721)


@pytest.fixture
def torch_seeded():
    """torch's global RNG seeded with 0 for a test that builds networks, and restored afterwards."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        yield


@pytest.fixture
def toy_mnist(monkeypatch):
    """A learnable 10-class MNIST-shaped data set (class = the brightest of 10 pixel blocks), 600 training images."""
    rng = np.random.default_rng(0)

    def images(labels):
        x = rng.integers(0, 60, (len(labels), 28, 28), dtype=np.uint8)
        for k, y in enumerate(labels):
            x[k, 2 * y : 2 * y + 4, 4:24] = 250
        return x

    y_train, y_test = rng.integers(0, 10, 600), rng.integers(0, 10, 200)
    toy = datasets.Dataset("mnist", images(y_train), y_train, images(y_test), y_test, datasets.MNIST_CLASSES)
    monkeypatch.setattr(protocol, "_load", lambda task: toy)
    monkeypatch.setattr(protocol, "_STAGES", {})  # no CE stage of another test's toy data
    # every CE stage records every estimator's T̂: a short least-volume fit (these runs test the protocol)
    monkeypatch.setitem(estimation.ESTIMATORS, "min_volume", functools.partial(estimation.min_volume, steps=20))
    return toy


def config_of(record, results_dir):
    """The one-job :class:`protocol.ProtocolConfig` that a stored ``record`` came from, with ``results_dir``."""
    default_epochs = recipes.get_recipe(record["task"], record["protocol"]).epochs
    return protocol.configure(
        record["task"],
        noise=np.array(record["T_true"]) if record["noise"] == "custom" else record["noise"],  # a matrix's runs
        rate=0.0 if record["rate"] is None else record["rate"],
        seeds=(record["seed"],),
        methods=(record["method"],),
        protocol=record["protocol"],
        epochs=None if record["epochs"] == default_epochs else record["epochs"],
        subset=record["subset"],
        device="cpu",
        results_dir=results_dir,
        estimator=record.get("estimator", "anchor"),
        cross_fit=record.get("cross_fit"),
        selection=record.get("selection", records.IDENTITY_DEFAULTS["selection"]),
    )


def make_record(method, noise, rate, accuracy, seed=0, **extra):
    return {
        "task": "cifar10n",
        "method": method,
        "noise": noise,
        "rate": rate,
        "test_accuracy": accuracy,
        "seed": seed,
        **extra,
    }


def make_run(method, noise, **extra):
    """A complete record of a successful run, as :func:`protocol.run_protocol` saves it; ``extra`` overrides."""
    fields = dict(
        protocol="cpu",
        epochs=2,
        n_train=90,
        n_val=10,
        recipe={"model": "mnist_fc", "model_kwargs": {}},
        device="cpu",
        wall_time_s=60.0,
        status="ok",
        curves={"val_loss": [0.5, 0.4]},
    )
    return make_record(method, noise, None, 0.8, **{**fields, **extra})
