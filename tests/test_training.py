"""The trainer and the two-stage protocol: a complete result record, determinism, configuration errors
raised before any training, augmentation, the Keras-style weight decay, result tables."""

import json
import math

import numpy as np
import pytest
import torch

from lnc import data, results, training


@pytest.fixture
def toy_mnist(monkeypatch):
    """A learnable 10-class MNIST-shaped data set (class = the brightest of 10 pixel blocks), 600 training images."""
    rng = np.random.default_rng(0)

    def images(labels):
        x = rng.integers(0, 60, (len(labels), 28, 28), dtype=np.uint8)
        for k, y in enumerate(labels):
            x[k, 2 * y:2 * y + 4, 4:24] = 250
        return x

    y_train, y_test = rng.integers(0, 10, 600), rng.integers(0, 10, 200)
    toy = data.Dataset("mnist", images(y_train), y_train, images(y_test), y_test, data.MNIST_CLASSES)
    monkeypatch.setattr(training, "_load", lambda task: toy)
    return toy


FAST = dict(noise="asymmetric", rate=0.3, epochs=2, device="cpu")


def test_protocol_returns_complete_records_and_saves_them(toy_mnist, tmp_path):
    methods = ("ce", "backward", "forward", "backward_est", "forward_est", "unhinged")
    records = training.run_protocol("mnist", methods=methods, results_dir=tmp_path, **FAST)
    assert [r["method"] for r in records] == list(methods)
    for r in records:
        assert r["status"] == "ok" and 0.0 <= r["test_accuracy"] <= 1.0 and 1 <= r["best_epoch"] <= 2
        assert r["n_train"] + r["n_val"] == 600 and r["n_val"] == 60 and r["n_test"] == 200
        assert len(r["curves"]["val_loss"]) == 2 and r["recipe"]["model"] == "mnist_fc" and r["device"] == "cpu"
        assert np.asarray(r["T_true"]).shape == (10, 10) and r["wall_time_s"] > 0
        assert json.loads((tmp_path / results.record_name(r)).read_text()) == r
    by = {r["method"]: r for r in records}
    T_hat = np.asarray(by["forward_est"]["T"])
    assert T_hat.shape == (10, 10) and np.allclose(T_hat.sum(axis=1), 1.0)
    assert by["forward_est"]["T_hat"] == by["ce"]["T_hat"] == by["backward_est"]["T"]  # one CE stage, reused
    np.testing.assert_allclose(by["forward"]["T"], lnc_asymmetric(0.3))
    assert by["ce"]["estimation_error"] == pytest.approx(
        np.abs(T_hat - lnc_asymmetric(0.3)).sum() / 10, abs=1e-6)


def lnc_asymmetric(rate):
    from lnc import mnist_asymmetric_T
    return mnist_asymmetric_T(rate)


def test_two_identical_runs_give_identical_numbers(toy_mnist):
    def strip(records):
        return [{k: v for k, v in r.items() if k != "wall_time_s"} for r in records]

    first = training.run_protocol("mnist", methods=("ce", "forward_est"), seeds=(1,), **FAST)
    assert strip(first) == strip(training.run_protocol("mnist", methods=("ce", "forward_est"), seeds=(1,), **FAST))
    other = training.run_protocol("mnist", methods=("ce",), seeds=(2,), **FAST)
    assert other[0]["curves"] != first[0]["curves"]


def test_protocol_leaves_the_global_torch_rng_alone(toy_mnist):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    training.run_protocol("mnist", methods=("ce",), **FAST)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("kwargs,match", [
    (dict(task="svhn"), "task must be one of"),
    (dict(methods=("ce", "mae")), "methods must be names from"),
    (dict(methods="ce"), "methods must be a non-empty sequence"),
    (dict(noise="pairflip"), "noise must be one of"),
    (dict(noise=np.eye(3)), r"noise must be a \(10, 10\) matrix"),
    (dict(noise=np.ones((10, 10))), "noise must be row-stochastic"),
    (dict(noise="aggre"), "noise 'aggre' is a CIFAR-N label set of task 'cifar10n'"),
    (dict(rate=1.5), r"rate must lie in \[0.0, 1.0\]"),
    (dict(rate=0.5, methods=("backward",)), "T must be non-singular"),
    (dict(epochs=0), "epochs must be an int >= 1"),
    (dict(seeds=(0, -1)), "seeds must be a non-empty sequence of ints >= 0"),
    (dict(seeds=3), "seeds must be a non-empty sequence"),
    (dict(subset=5), r"subset must be None or an int in \[20, 600\]"),
    (dict(protocol="gpu"), "protocol must be one of"),
    (dict(device="tpu"), "device must be 'auto', 'cpu' or 'cuda"),
])
def test_bad_configurations_fail_before_training(toy_mnist, monkeypatch, kwargs, match):
    monkeypatch.setattr(training, "train", lambda *a, **k: pytest.fail("training started"))
    kwargs = {"task": "mnist", **FAST, **kwargs}
    with pytest.raises(ValueError, match=match):
        training.run_protocol(kwargs.pop("task"), **kwargs)


def test_grid_checks_every_setting_before_training(toy_mnist, monkeypatch):
    monkeypatch.setattr(training, "train", lambda *a, **k: pytest.fail("training started"))
    with pytest.raises(ValueError, match="T must be non-singular"):
        training.run_grid("mnist", [("symmetric", 0.2), ("asymmetric", 0.5)], methods=("backward",), epochs=1)
    with pytest.raises(ValueError, match="workers must be an int >= 1"):
        training.run_grid("mnist", [("symmetric", 0.2)], workers=0)


def test_describe_run_states_the_protocol():
    line = training.describe_run("cifar10", "cpu", subset=10000, seeds=(0, 1), device="cpu", workers=2)
    assert line.startswith("cifar10, protocol 'cpu': cifar_resnet {'n': 1}, 15 epochs, sgd lr 0.1 (/10 at [10]), ")
    assert "batch 128, subset 10000, seeds [0, 1], device cpu, torch " in line and line.endswith("2 worker(s)")
    assert "(/10" not in training.describe_run("mnist", "paper", device="cpu") and "40 epochs" in \
        training.describe_run("mnist", "paper", device="cpu")


def test_noise_settings_expand_kinds_and_rates():
    assert training.noise_settings(["none", "symmetric", "asymmetric"], [0.2, 0.6]) == [
        ("none", 0.0), ("symmetric", 0.2), ("symmetric", 0.6), ("asymmetric", 0.2), ("asymmetric", 0.6)]
    assert training.noise_settings(["aggre", "worst"], [0.2]) == [("aggre", 0.0), ("worst", 0.0)]
    assert training.noise_settings(["symmetric"], []) == []
    with pytest.raises(TypeError, match="must be lists"):
        training.noise_settings("symmetric", [0.2])
    with pytest.raises(TypeError, match="must be lists"):
        training.noise_settings(["symmetric"], 0.2)


def test_grid_runs_the_settings_in_order(toy_mnist):
    records = training.run_grid("mnist", [("none", 0.0), ("symmetric", 0.4)], seeds=(0, 1), methods=("ce",),
                                epochs=1, device="cpu")
    assert [(r["noise"], r["seed"]) for r in records] == [("none", 0), ("none", 1), ("symmetric", 0),
                                                          ("symmetric", 1)]
    assert records[0]["rate"] is None and records[2]["rate"] == 0.4


def test_a_singular_estimate_fails_only_the_backward_correction(toy_mnist, monkeypatch, tmp_path):
    monkeypatch.setattr(training, "estimate_T", lambda probs, quantile: np.full((10, 10), 0.1))
    records = training.run_protocol("mnist", methods=("backward_est", "forward_est"), results_dir=tmp_path, **FAST)
    by = {r["method"]: r for r in records}
    assert by["backward_est"]["status"] == "failed" and by["backward_est"]["test_accuracy"] is None
    assert by["backward_est"]["cond_T_hat"] > 1e12 and len(list(tmp_path.glob("*.json"))) == 2
    assert "non-singular" in by["backward_est"]["error"] and by["forward_est"]["status"] == "ok"


@pytest.mark.parametrize("kind,pad", [("shift", 3), ("crop", 4)])
def test_augmentation_is_a_translated_possibly_flipped_window(kind, pad):
    x = torch.rand(6, 3, 32, 32)
    out = training.augment_batch(x, kind, torch.Generator().manual_seed(0))
    mode = "replicate" if kind == "shift" else "constant"
    padded = torch.nn.functional.pad(x, (pad,) * 4, mode=mode)
    for b in range(6):
        windows = [view[:, dy:dy + 32, dx:dx + 32] for view in (padded[b], padded[b].flip(-1))
                   for dy in range(2 * pad + 1) for dx in range(2 * pad + 1)]
        assert any(torch.equal(out[b], w) for w in windows)


def test_keras_l2_decays_kernels_only():
    recipe = training.get_recipe("cifar10")
    model = training._build(recipe, 10, "ce", torch.device("cpu"))
    decayed, free = training._optimizer(model, recipe).param_groups
    assert decayed["weight_decay"] == 2e-4 and free["weight_decay"] == 0.0  # Keras l2(1e-4): gradient 2e-4 w
    assert all(p.ndim in (2, 4) for p in decayed["params"]) and all(p.ndim == 1 for p in free["params"])
    assert len(decayed["params"]) + len(free["params"]) == len(list(model.parameters()))


def test_learning_rate_schedule_follows_the_official_code():
    recipe = training.get_recipe("cifar10")
    lrs = [recipe.lr * 0.1 ** sum(e >= m for m in recipe.milestones) for e in (0, 40, 41, 80, 81, 119)]
    assert lrs == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001, 0.001])  # Keras: 0.1 while epoch <= 40, ...


def test_prepare_normalises_with_training_statistics_only():
    rng = np.random.default_rng(0)
    splits = data.NoisySplits(rng.integers(0, 256, (8, 32, 32, 3), dtype=np.uint8), np.zeros(8, dtype=np.int64),
                              rng.integers(0, 256, (2, 32, 32, 3), dtype=np.uint8), np.zeros(2, dtype=np.int64),
                              np.full((3, 32, 32, 3), 255, dtype=np.uint8), np.zeros(3, dtype=np.int64),
                              np.zeros(8, dtype=np.int64), np.zeros(2, dtype=np.int64), 10)
    t = training.prepare(splits, training.get_recipe("cifar10"), torch.device("cpu"))
    assert t.x_train.shape == (8, 3, 32, 32)
    assert t.x_train.mean(dim=0).abs().max() < 1e-6  # per-pixel mean of the training split removed
    mean = torch.as_tensor(splits.x_train, dtype=torch.float32).div(255).mean(dim=0).permute(2, 0, 1)
    torch.testing.assert_close(t.x_test[0], 1.0 - mean)


def test_predict_proba_rows_are_distributions():
    probs = training.predict_proba(torch.nn.Linear(4, 3), torch.randn(2500, 4))
    assert probs.shape == (2500, 3) and probs.dtype == torch.float64
    torch.testing.assert_close(probs.sum(dim=1), torch.ones(2500, dtype=torch.float64))


def test_a_diverging_run_stops_and_keeps_its_best_epoch(toy_mnist, monkeypatch):
    """Weights that blow up to NaN end the run (recorded as diverged) instead of raising."""
    real_epoch = training._epoch
    calls = []

    def epoch_then_poison(model, *args):
        calls.append(1)
        if len(calls) == 2:
            with torch.no_grad():
                for p in model.parameters():
                    p.fill_(float("nan"))
        return real_epoch(model, *args)

    monkeypatch.setattr(training, "_epoch", epoch_then_poison)
    record = training.run_protocol("mnist", methods=("backward",), **{**FAST, "epochs": 4})[0]
    assert record["diverged"] and record["best_epoch"] == 1 and len(calls) == 2
    assert record["curves"]["train_loss"][1] is None and 0.0 <= record["test_accuracy"] <= 1.0
