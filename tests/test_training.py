"""The trainer and the two-stage protocol: a complete result record, determinism, configuration errors
raised before any training, augmentation, the Keras-style weight decay, result tables."""

import dataclasses
import datetime
import json
import math
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import config_of

import lnc
from lnc import estimation
from lnc.experiments import datasets, loop, protocol, recipes
from lnc.experiments.records import load_posteriors, posteriors_path, record_name

FAST = dict(noise="asymmetric", rate=0.3, epochs=2, device="cpu")


def test_protocol_returns_complete_records_and_saves_them(toy_mnist, tmp_path):
    methods = ("ce", "backward", "forward", "backward_est", "forward_est", "unhinged")
    records = protocol.run_protocol("mnist", methods=methods, results_dir=tmp_path, **FAST)
    assert [r["method"] for r in records] == list(methods)
    for r in records:
        assert r["status"] == "ok" and 0.0 <= r["test_accuracy"] <= 1.0 and 1 <= r["best_epoch"] <= 2
        assert r["n_train"] + r["n_val"] == 600 and r["n_val"] == 60 and r["n_test"] == 200
        assert len(r["curves"]["val_loss"]) == 2 and r["recipe"]["model"] == "mnist_fc" and r["device"] == "cpu"
        assert r["curves"]["clipped"] == [0.0, 0.0] and all(g > 0 for g in r["curves"]["grad_norm"])  # no clip_norm
        assert np.asarray(r["T_true"]).shape == (10, 10) and r["wall_time_s"] > 0
        assert r["threads"] == torch.get_num_threads() and r["cpu"] == loop.cpu_name() != ""
        assert r["cpu_isa"] == torch.backends.cpu.get_cpu_capability() != ""
        assert json.loads((tmp_path / record_name(r)).read_text()) == r
    by = {r["method"]: r for r in records}
    T_hat = np.asarray(by["forward_est"]["T"])
    assert T_hat.shape == (10, 10) and np.allclose(T_hat.sum(axis=1), 1.0)
    assert by["forward_est"]["T_hat"] == by["ce"]["T_hat"] == by["backward_est"]["T"]  # one CE stage, reused
    np.testing.assert_allclose(by["forward"]["T"], lnc_asymmetric(0.3))
    assert by["ce"]["estimation_error"] == pytest.approx(np.abs(T_hat - lnc_asymmetric(0.3)).sum() / 10, abs=1e-6)
    probs, noisy, clean = load_posteriors(posteriors_path(by["ce"], tmp_path))  # beside the CE record only
    assert sorted(p.suffix for p in tmp_path.iterdir() if not p.name.startswith(".")) == [".json"] * 6 + [".npz"]
    assert probs.shape == (600, 10) and noisy.shape == clean.shape == (600,) and (noisy != clean).any()
    np.testing.assert_allclose(estimation.estimate_T(probs, noisy), T_hat, atol=1e-9)  # the CE record's T̂ again
    held_out = by["ce"]["estimates"]["held_out"]  # every estimator on the last 60 rows, which the network never fitted
    np.testing.assert_allclose(held_out["anchor"]["T_hat"], estimation.estimate_T(probs[-60:], noisy[-60:]), atol=1e-6)
    older = {**by["ce"], "estimates": {"in_sample": by["ce"]["estimates"]["in_sample"]}}  # a record made before them
    again = protocol.held_out_estimates(older, tmp_path)["estimates"]  # from its stored (float32) posteriors
    assert set(again) == {"in_sample", "held_out"} and set(again["held_out"]) == set(held_out)
    for name, fields in held_out.items():
        assert set(again["held_out"][name]) == set(fields)  # the same estimators succeed, or fail
        if "T_hat" in fields:
            np.testing.assert_allclose(again["held_out"][name]["T_hat"], fields["T_hat"], atol=1e-6)
    assert set(older["estimates"]) == {"in_sample"}  # the record itself is not changed
    assert protocol.held_out_estimates(older, tmp_path / "elsewhere") is older  # no posteriors there: as it was
    assert protocol.held_out_estimates(by["forward"], tmp_path) is by["forward"]  # not a CE record
    with pytest.raises(TypeError, match="record must be a dict"):
        protocol.held_out_estimates(json.dumps(by["ce"]), tmp_path)


def test_the_cpu_is_named_from_cpuinfo_else_from_platform(monkeypatch, tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: Some CPU @ 2.0GHz\n\nprocessor\t: 1\nmodel name\t: Some CPU\n")
    monkeypatch.setattr(loop, "CPUINFO", info)
    assert loop.cpu_name() == "Some CPU @ 2.0GHz"
    monkeypatch.setattr(loop, "CPUINFO", tmp_path / "missing")
    monkeypatch.setattr(loop.platform, "processor", lambda: "")
    monkeypatch.setattr(loop.platform, "machine", lambda: "arm64")
    assert loop.cpu_name() == "arm64"


@pytest.mark.parametrize(
    "flags,capability,onednn,expected",
    [
        ("fpu avx512f avx512_bf16", "AVX512", True, True),
        ("fpu amx_bf16 amx_tile", "AVX512", True, True),
        ("fpu avx512f avx512bw", "AVX512", True, False),  # AVX-512 without bf16 units
        ("fpu avx512f avx512_bf16", "AVX2", True, False),  # ATEN_CPU_CAPABILITY=avx2
        ("fpu avx512f avx512_bf16", "AVX512", False, False),  # ONEDNN_MAX_CPU_ISA=AVX2
    ],
)
def test_bf16_units_are_detected_from_the_cpu_flags_and_what_torch_uses(
    monkeypatch, tmp_path, flags, capability, onednn, expected
):
    info = tmp_path / "cpuinfo"
    info.write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
    monkeypatch.setattr(loop, "CPUINFO", info)
    monkeypatch.setattr(loop.torch.backends.cpu, "get_cpu_capability", lambda: capability)
    monkeypatch.setattr(loop.torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: onednn)
    loop.cpu_has_bf16.cache_clear()
    try:
        assert loop.cpu_has_bf16() is expected
        monkeypatch.setenv("LNC_PRECISION", "auto")
        assert loop.precision("cpu") == ("bf16" if expected else "fp32")
    finally:
        loop.cpu_has_bf16.cache_clear()


def test_the_precision_follows_lnc_precision_and_refuses_other_values(monkeypatch):
    for value in ("fp32", "bf16"):
        monkeypatch.setenv("LNC_PRECISION", value)
        assert loop.precision("cpu") == value
    monkeypatch.setenv("LNC_PRECISION", "fp16")
    with pytest.raises(ValueError, match="LNC_PRECISION must be one of .*got 'fp16'"):
        loop.precision("cpu")


def test_bf16_autocast_runs_the_network_in_bf16_and_gives_float32_logits_near_fp32(monkeypatch, torch_seeded):
    recipe = recipes.get_recipe("cifar10", "fast")
    model = loop.build_network(recipe, 10, "ce", torch.device("cpu")).eval()
    torch.nn.init.normal_(model[-2].weight)  # the classifier starts at zero
    x = torch.randn(8, 3, 32, 32).contiguous(memory_format=torch.channels_last)
    model[0].whiten(x)  # and the stem before it has seen images
    reference = loop._logits(model, x)
    monkeypatch.setenv("LNC_PRECISION", "bf16")
    seen = []
    handle = model[-2].register_forward_hook(lambda m, i, out: seen.append(out.dtype))
    logits = loop._logits(model, x)
    handle.remove()
    assert seen == [torch.bfloat16] and logits.dtype == torch.float32 and reference.dtype == torch.float32
    scale = reference.abs().max().item()
    assert 0 < (logits - reference).abs().max().item() < 0.05 * scale  # bf16 keeps 8 bits of mantissa


def test_a_record_states_its_precision_and_when_it_finished(toy_mnist, monkeypatch):
    monkeypatch.setenv("LNC_PRECISION", "bf16")
    before = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    record = protocol.run_protocol("mnist", methods=("ce",), **FAST)[0]
    assert record["precision"] == "bf16" and record["status"] == "ok"
    assert before <= datetime.datetime.fromisoformat(record["finished"]) <= datetime.datetime.now(datetime.UTC)


def test_a_bf16_run_does_not_take_the_fp32_ce_network_of_the_same_settings(toy_mnist, monkeypatch):
    """Past bug: the CE stages of one process were cached by settings without the precision, so the bf16 run of
    benchmarks/precision.py returned the fp32 record (precision 'fp32', the same wall time)."""
    monkeypatch.setattr(protocol, "_STAGES", {})
    runs = {}
    for chosen in ("fp32", "bf16"):
        monkeypatch.setenv("LNC_PRECISION", chosen)
        runs[chosen] = protocol.run_protocol("mnist", methods=("ce",), **FAST)[0]
    assert [runs[p]["precision"] for p in ("fp32", "bf16")] == ["fp32", "bf16"]
    assert runs["fp32"]["curves"] != runs["bf16"]["curves"]


def test_records_carry_the_noise_the_training_split_holds(toy_mnist):
    """T_train is the empirical T of the run's own training labels, counted here from the split itself."""
    record = protocol.run_protocol("mnist", methods=("ce",), seeds=(3,), **FAST)[0]
    noisy = lnc.corrupt_labels(toy_mnist.y_train, lnc_asymmetric(0.3), 3)
    splits = datasets.noisy_splits(toy_mnist, noisy, seed=3)
    counts = np.zeros((10, 10))
    np.add.at(counts, (splits.clean_train, splits.y_train), 1)
    np.testing.assert_allclose(record["T_train"], counts / counts.sum(axis=1, keepdims=True), atol=1e-9)
    assert protocol.run_protocol("mnist", methods=("ce",), subset=20, **FAST)[0]["T_train"] is None  # classes missing


def lnc_asymmetric(rate):
    from lnc import mnist_asymmetric_T

    return mnist_asymmetric_T(rate)


def test_two_identical_runs_give_identical_numbers(toy_mnist):
    def strip(records):
        return [{k: v for k, v in r.items() if k not in ("wall_time_s", "finished")} for r in records]

    first = protocol.run_protocol("mnist", methods=("ce", "forward_est"), seeds=(1,), **FAST)
    protocol._STAGES.clear()  # train the CE stage again rather than reuse it
    assert strip(first) == strip(protocol.run_protocol("mnist", methods=("ce", "forward_est"), seeds=(1,), **FAST))
    other = protocol.run_protocol("mnist", methods=("ce",), seeds=(2,), **FAST)
    assert other[0]["curves"] != first[0]["curves"]


def test_protocol_leaves_the_global_torch_rng_alone(toy_mnist):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    protocol.run_protocol("mnist", methods=("ce",), **FAST)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (dict(task="svhn"), ValueError, "task must be one of"),
        (dict(task=["mnist"]), TypeError, "task must be one of"),
        (dict(methods=("ce", "mae")), ValueError, r"methods\[1\] must be one of"),
        (dict(methods="ce"), TypeError, r"methods must be a sequence \(list or tuple\), got str 'ce'"),
        (dict(methods=()), ValueError, "methods must be a non-empty sequence"),
        (dict(noise="pairflip"), ValueError, "noise must be one of"),
        (dict(noise=np.eye(3)), ValueError, r"noise must be a \(10, 10\) matrix"),
        (dict(noise=np.ones((10, 10))), ValueError, "noise must be row-stochastic"),
        (dict(noise="aggre"), ValueError, "noise 'aggre' is a CIFAR-N label set of task 'cifar10n'"),
        (dict(rate=1.5), ValueError, r"rate must lie in \[0.0, 1.0\]"),
        (dict(rate=0.5, methods=("backward",)), ValueError, "T must be non-singular"),
        (dict(epochs=0), ValueError, "epochs must be an int >= 1"),
        (dict(epochs=2.0), TypeError, "epochs must be an int, got float"),
        (dict(seeds=(0, -1)), ValueError, r"seeds\[1\] must be an int >= 0, got -1"),
        (dict(seeds=(0, "1")), TypeError, r"seeds\[1\] must be an int, got str '1'"),
        (dict(seeds=(1.5,)), TypeError, r"seeds\[0\] must be an int, got float"),
        (dict(seeds=(None,)), TypeError, r"seeds\[0\] must be an int, got NoneType"),
        (dict(seeds=3), TypeError, "seeds must be a sequence"),
        (dict(subset=5), ValueError, r"subset must be an int in \[20, 600\], got 5"),
        (dict(protocol="gpu"), ValueError, "protocol must be one of"),
        (dict(device="tpu"), ValueError, "device must be 'auto', 'cpu' or 'cuda"),
        (dict(device="meta"), ValueError, "device must be 'auto', 'cpu' or 'cuda\\[:k\\]', got 'meta'"),
        (dict(device="cpu:1"), ValueError, "device must be 'auto', 'cpu' or 'cuda\\[:k\\]', got 'cpu:1'"),
        (dict(device=0), TypeError, "device must be 'auto', 'cpu' or 'cuda"),
        (dict(noise_kwargs="abc"), TypeError, "noise_kwargs must be a dict with str keys or None, got str 'abc'"),
        (dict(progress="yes"), TypeError, "progress must be None, True or False"),
    ],
)
def test_bad_configurations_fail_before_training(toy_mnist, monkeypatch, kwargs, error, match):
    monkeypatch.setattr(protocol, "train", lambda *a, **k: pytest.fail("training started"))
    kwargs = {"task": "mnist", **FAST, **kwargs}
    with pytest.raises(error, match=match):
        protocol.run_protocol(kwargs.pop("task"), **kwargs)


def test_an_unusable_results_dir_fails_before_training(toy_mnist, monkeypatch, tmp_path):
    """Past bug: a results_dir under a file failed when the first record was saved, after its training."""
    monkeypatch.setattr(protocol, "train", lambda *a, **k: pytest.fail("training started"))
    (tmp_path / "file").write_text("")
    with pytest.raises((ValueError, OSError), match="results_dir"):
        protocol.run_protocol("mnist", results_dir=tmp_path / "file" / "out", **FAST)


@pytest.mark.parametrize("seeds", [np.array([0, 1]), (s for s in (0, 1)), range(2)])
def test_seeds_may_be_any_iterable_of_ints_even_a_generator(toy_mnist, seeds):
    """Past bug: a generator was used up by the validation and run_protocol returned [] without training;
    a numpy array raised "truth value ... ambiguous"."""
    records = protocol.run_protocol("mnist", methods=(m for m in ("ce",)), seeds=seeds, **FAST)
    assert [(r["method"], r["seed"]) for r in records] == [("ce", 0), ("ce", 1)]


def test_grid_checks_every_setting_before_training(toy_mnist, monkeypatch):
    monkeypatch.setattr(protocol, "train", lambda *a, **k: pytest.fail("training started"))
    with pytest.raises(ValueError, match="T must be non-singular"):
        protocol.run_grid("mnist", [("symmetric", 0.2), ("asymmetric", 0.5)], methods=("backward",), epochs=1)
    with pytest.raises(ValueError, match="workers must be an int >= 1"):
        protocol.run_grid("mnist", [("symmetric", 0.2)], workers=0)


def test_describe_run_states_the_protocol():
    line = protocol.describe_run("cifar10", "cpu", subset=10000, seeds=(0, 1), device="cpu", workers=2)
    assert line.startswith(
        "cifar10, protocol 'cpu': ResNet-8 (cifar_resnet, n=1), 15 epochs, SGD (lr 0.1, momentum 0.9, batch 128, "
        "lr / 10 after epoch 10), "
    )
    assert "; a seeded subset of 10,000; seeds 0, 1; device cpu; torch " in line and line.endswith("2 worker processes")
    one = protocol.describe_run("mnist", "paper", epochs=3, device="cpu")
    assert "mnist_fc, 3 epochs, Adagrad" in one and "; all the training data; seed 0;" in one
    assert one.endswith("1 worker process")


def test_noise_settings_expand_kinds_and_rates():
    assert protocol.noise_settings(["none", "symmetric", "asymmetric"], [0.2, 0.6]) == [
        ("none", 0.0),
        ("symmetric", 0.2),
        ("symmetric", 0.6),
        ("asymmetric", 0.2),
        ("asymmetric", 0.6),
    ]
    assert protocol.noise_settings(["aggre", "worst"], [0.2]) == [("aggre", 0.0), ("worst", 0.0)]
    assert protocol.noise_settings(["symmetric"], []) == []
    with pytest.raises(TypeError, match=r"noise must be a sequence .* \(from papermill: -y \"noise: \[symmetric\]\""):
        protocol.noise_settings("symmetric", [0.2])
    with pytest.raises(TypeError, match="rates must be a sequence"):
        protocol.noise_settings(["symmetric"], 0.2)
    with pytest.raises(ValueError, match=r"rates\[0\] must lie in \[0.0, 1.0\], got 1.5"):
        protocol.noise_settings(["asymmetric"], [1.5])


def test_check_grid_fails_in_seconds_on_a_bad_parameter_of_a_later_grid(toy_mnist, monkeypatch):
    """Past bug: a chapter's second grid (MNIST's curve rates, IMDB's LSTM methods) failed only after the first
    grid had trained for an hour; chapters now check every grid before training."""
    monkeypatch.setattr(protocol, "train", lambda *a, **k: pytest.fail("training started"))
    assert (
        len(
            protocol.check_grid(
                "mnist", [("asymmetric", 0.1), ("asymmetric", 0.2)], seeds=[0, 1], methods=["ce"], epochs=1
            )
        )
        == 4
    )
    with pytest.raises(ValueError, match=r"rate must lie in \[0.0, 1.0\], got 1.5"):
        protocol.check_grid("mnist", [("asymmetric", 1.5)], methods=["ce"])
    with pytest.raises(ValueError, match=r"methods\[0\] must be one of"):
        protocol.check_grid("mnist", [("symmetric", 0.2)], methods=["bogus"])
    with pytest.raises(TypeError, match="run_grid has no option 'methds'"):
        protocol.check_grid("mnist", [("symmetric", 0.2)], methds=["ce"])
    with pytest.raises(TypeError, match=r"settings\[0\] must be a \(noise, rate\) pair"):
        protocol.check_grid("mnist", ["symmetric"])


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (dict(normalize="bogus"), ValueError, r"recipe.normalize must be one of \(None, 'scale'"),
        (dict(augment="flip"), ValueError, "recipe.augment must be one of"),
        (dict(model="resnet"), ValueError, "recipe.model must be one of"),
        (dict(epochs=0), ValueError, "recipe.epochs must be an int >= 1"),
        (dict(batch_size=0), ValueError, "recipe.batch_size must be an int >= 1"),
        (dict(optimizer="rmsprop"), ValueError, "recipe.optimizer must be one of"),
        (dict(lr=0.0), ValueError, "recipe.lr must be a finite number > 0"),
        (dict(lr="0.1"), TypeError, "recipe.lr must be a real number"),
        (dict(weight_decay=-1e-4), ValueError, "recipe.weight_decay must be a finite number >= 0"),
        (dict(milestones=5), TypeError, "recipe.milestones must be a sequence"),
        (dict(milestones=(5, -1)), ValueError, r"recipe.milestones\[1\] must be an int >= 0"),
        (dict(quantile=1.0), ValueError, "recipe.quantile must lie in"),
        (dict(model_kwargs=[("n", 1)]), TypeError, "recipe.model_kwargs must be a dict"),
        (dict(decay_all=1), TypeError, "recipe.decay_all must be a bool"),
    ],
)
def test_a_recipe_checks_its_fields(kwargs, error, match):
    """Past bug: Recipe(normalize="bogus") was trained as "scale"."""
    with pytest.raises(error, match=match):
        recipes.Recipe(**{"model": "mnist_fc", "epochs": 1, **kwargs})
    assert recipes.Recipe("mnist_fc", 1, milestones=[3]).milestones == (3,)


def test_a_recipe_stores_python_numbers_so_that_its_record_is_json():
    """Past bug (found by the fuzz suite): Recipe(lr=np.float32(0.1)) kept a numpy float."""
    recipe = recipes.Recipe("mnist_fc", np.int64(2), lr=np.float32(0.5), milestones=np.array([1]))
    assert json.loads(json.dumps(dataclasses.asdict(recipe)))["lr"] == 0.5
    assert type(recipe.epochs) is int and recipe.milestones == (1,) and type(recipe.milestones[0]) is int


def _tiny_splits():
    gen = np.random.default_rng(0)
    x, y = gen.integers(0, 255, (30, 28, 28), dtype=np.uint8), np.arange(30) % 10
    d = datasets.Dataset("toy", x[:20], y[:20], x[20:], y[20:], datasets.MNIST_CLASSES)
    return datasets.noisy_splits(d, d.y_train, seed=0)


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (dict(splits="data"), TypeError, "splits must be an lnc.experiments.datasets.NoisySplits"),
        (dict(recipe={"model": "mnist_fc"}), TypeError, "recipe must be an lnc.experiments.recipes.Recipe"),
        (dict(method="mae"), ValueError, "method must be one of"),
        (dict(method=["ce"]), TypeError, "method must be one of"),
        (dict(seed="0"), TypeError, "seed must be an int, got str '0'"),
        (dict(seed=1.5), TypeError, "seed must be an int, got float"),
        (dict(seed=None), TypeError, "seed must be an int, got NoneType"),
        (dict(seed=-1), ValueError, "seed must be an int >= 0"),
        (dict(method="forward", T=lnc.symmetric_T(3, 0.2)), ValueError, r"T must be \(10, 10\) for 10 classes"),
        (dict(method="forward"), ValueError, "method 'forward' needs T"),
        (dict(method="ce", T=np.eye(10)), ValueError, "T is used only by the 'forward' and 'backward' methods"),
        (dict(device="meta"), ValueError, "device must be 'auto', 'cpu' or 'cuda"),
        (dict(epochs=0), ValueError, "epochs must be an int >= 1"),
    ],
)
def test_train_checks_its_arguments_before_training(kwargs, error, match):
    """Past bug: each of these failed late (AttributeError, torch's RuntimeError, a message about logits at the
    first batch, or after training had started for device="meta")."""
    arguments = {
        "splits": _tiny_splits(),
        "method": "ce",
        "recipe": recipes.Recipe("mnist_fc", 1, normalize="scale"),
        **kwargs,
    }
    with pytest.raises(error, match=match):
        protocol.train(arguments.pop("splits"), arguments.pop("method"), arguments.pop("recipe"), **arguments)


def _busy_pool(folder, initializer, initargs):
    """Run in a child process: a pool of 2 workers, each busy for 10 minutes (as a training is)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(
        2, mp_context=multiprocessing.get_context("spawn"), initializer=initializer, initargs=(*initargs, os.getpid())
    ) as pool:
        list(pool.map(_write_pid_and_sleep, [folder] * 2))


def _write_pid_and_sleep(folder):
    (Path(folder) / str(os.getpid())).write_text("")
    time.sleep(600)


def test_grid_workers_end_with_their_parent(tmp_path):
    """Past bug: a chapter interrupted by a papermill timeout left run_grid's workers training as orphans."""
    import multiprocessing

    parent = multiprocessing.get_context("spawn").Process(
        target=_busy_pool, args=(str(tmp_path), protocol._worker_init, (1,))
    )
    parent.start()
    deadline = time.monotonic() + 60
    while len(list(tmp_path.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    workers = [int(p.name) for p in tmp_path.iterdir()]
    os.kill(parent.pid, signal.SIGKILL)  # no clean-up code of the parent runs
    parent.join()
    deadline = time.monotonic() + 20
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    survivors = [p for p in workers if _alive(p)]
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    assert len(workers) == 2 and not survivors


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie (ended, not yet reaped by init) is not alive
        return stat.read().split()[2] != "Z"


def test_grid_runs_the_settings_in_order(toy_mnist):
    records = protocol.run_grid(
        "mnist", [("none", 0.0), ("symmetric", 0.4)], seeds=(0, 1), methods=("ce",), epochs=1, device="cpu"
    )
    assert [(r["noise"], r["seed"]) for r in records] == [("none", 0), ("none", 1), ("symmetric", 0), ("symmetric", 1)]
    assert records[0]["rate"] is None and records[2]["rate"] == 0.4


def test_a_singular_estimate_fails_only_the_backward_correction(toy_mnist, monkeypatch, tmp_path):
    monkeypatch.setattr(protocol, "estimate_T", lambda probs, labels, **options: np.full((10, 10), 0.1))
    records = protocol.run_protocol("mnist", methods=("backward_est", "forward_est"), results_dir=tmp_path, **FAST)
    by = {r["method"]: r for r in records}
    assert by["backward_est"]["status"] == "failed" and by["backward_est"]["test_accuracy"] is None
    assert by["backward_est"]["cond_T_hat"] is None and len(list(tmp_path.glob("*.json"))) == 2
    assert "non-singular" in by["backward_est"]["error"] and by["forward_est"]["status"] == "ok"


@pytest.mark.parametrize("kind,pad", [("shift", 3), ("crop", 4)])
def test_augmentation_is_a_translated_possibly_flipped_window(kind, pad):
    x = torch.rand(6, 3, 32, 32)
    out = loop.augment_batch(x, kind, torch.Generator().manual_seed(0))
    mode = "replicate" if kind == "shift" else "constant"
    padded = torch.nn.functional.pad(x, (pad,) * 4, mode=mode)
    for b in range(6):
        windows = [
            view[:, dy : dy + 32, dx : dx + 32]
            for view in (padded[b], padded[b].flip(-1))
            for dy in range(2 * pad + 1)
            for dx in range(2 * pad + 1)
        ]
        assert any(torch.equal(out[b], w) for w in windows)


def test_keras_l2_decays_kernels_only():
    recipe = recipes.get_recipe("cifar10")
    model = loop.build_network(recipe, 10, "ce", torch.device("cpu"))
    decayed, free = loop._optimizer(model, recipe).param_groups
    assert decayed["weight_decay"] == 2e-4 and free["weight_decay"] == 0.0  # Keras l2(1e-4): gradient 2e-4 w
    assert all(p.ndim in (2, 4) for p in decayed["params"]) and all(p.ndim == 1 for p in free["params"])
    assert len(decayed["params"]) + len(free["params"]) == len(list(model.parameters()))


def test_learning_rate_schedule_follows_the_official_code():
    recipe = recipes.get_recipe("cifar10")
    lrs = [recipe.lr * 0.1 ** sum(e >= m for m in recipe.milestones) for e in (0, 40, 41, 80, 81, 119)]
    assert lrs == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001, 0.001])  # Keras: 0.1 while epoch <= 40, ...


def test_prepare_normalises_with_training_statistics_only():
    rng = np.random.default_rng(0)
    splits = datasets.NoisySplits(
        rng.integers(0, 256, (8, 32, 32, 3), dtype=np.uint8),
        np.zeros(8, dtype=np.int64),
        rng.integers(0, 256, (2, 32, 32, 3), dtype=np.uint8),
        np.zeros(2, dtype=np.int64),
        np.full((3, 32, 32, 3), 255, dtype=np.uint8),
        np.zeros(3, dtype=np.int64),
        np.zeros(8, dtype=np.int64),
        np.zeros(2, dtype=np.int64),
        10,
    )
    t = loop.prepare(splits, recipes.get_recipe("cifar10"), torch.device("cpu"))
    assert t.x_train.shape == (8, 3, 32, 32)
    assert t.x_train.mean(dim=0).abs().max() < 1e-6  # per-pixel mean of the training split removed
    mean = torch.as_tensor(splits.x_train, dtype=torch.float32).div(255).mean(dim=0).permute(2, 0, 1)
    torch.testing.assert_close(t.x_test[0], 1.0 - mean)


def test_predict_proba_rows_are_distributions():
    probs = loop.predict_proba(torch.nn.Linear(4, 3), torch.randn(2500, 4))
    assert probs.shape == (2500, 3) and probs.dtype == torch.float64
    torch.testing.assert_close(probs.sum(dim=1), torch.ones(2500, dtype=torch.float64))


def test_a_grid_resumes_from_its_stored_records(toy_mnist, monkeypatch, tmp_path):
    """A job whose records are in results_dir with the same settings is loaded, not re-run; a job missing some
    re-runs only those, with the stored CE record's T̂."""
    grid = dict(seeds=(0, 1), methods=("ce", "forward_est"), results_dir=tmp_path, epochs=2, device="cpu")
    first, real_run = protocol.run_grid("mnist", [("symmetric", 0.2)], **grid), protocol._run
    monkeypatch.setattr(protocol, "_run", lambda config, overwrite: pytest.fail("re-ran a job"))
    assert protocol.run_grid("mnist", [("symmetric", 0.2)], **grid) == first
    path = tmp_path / record_name(first[3])  # seed 1, forward_est: a failed run, so it re-runs
    path.write_text(json.dumps({**first[3], "status": "failed", "test_accuracy": None}))
    monkeypatch.setattr(protocol, "_run", real_run)
    trained, real_train = [], protocol.train
    monkeypatch.setattr(protocol, "train", lambda *a, **k: trained.append(a[1]) or real_train(*a, **k))
    with pytest.warns(UserWarning, match=rf"'{path.name}' .* is a failed run: the job runs again"):
        again = protocol.run_grid("mnist", [("symmetric", 0.2)], **grid)
    assert trained == ["forward"]  # the corrected loss only: not the CE network again
    assert again[:3] == first[:3] and again[3]["T_hat"] == first[3]["T_hat"]
    resumed, fresh = again[3], first[3]
    assert (resumed["best_epoch"], resumed["test_accuracy"]) == (fresh["best_epoch"], fresh["test_accuracy"])
    assert resumed["curves"]["val_loss"] == pytest.approx(fresh["curves"]["val_loss"], rel=1e-6)
    path.unlink()  # a missing record re-runs too
    protocol.run_grid("mnist", [("symmetric", 0.2)], **grid)
    assert trained == ["forward"] * 2 and path.is_file()
    assert len(protocol.run_grid("mnist", [("symmetric", 0.2)], overwrite=True, **grid)) == 4
    assert trained == ["forward"] * 4  # every job re-runs (its CE network cached by this process: _STAGES)


def test_a_job_with_another_estimator_reuses_the_stored_ce_network(toy_mnist, monkeypatch, tmp_path):
    """Without cross_fit, the CE network does not depend on the estimator: a job with another estimator takes its
    CE record and T̂ from the stored record's in-sample estimates and trains only the correction."""
    grid = dict(methods=("ce", "forward_est"), results_dir=tmp_path, epochs=2, device="cpu")
    (ce, _) = protocol.run_grid("mnist", [("symmetric", 0.2)], **grid)
    protocol._STAGES.clear()  # no CE network cached in this process: only the stored record can help
    trained, real_train = [], protocol.train
    monkeypatch.setattr(protocol, "train", lambda *a, **k: trained.append(a[1]) or real_train(*a, **k))
    derived, forward = protocol.run_grid("mnist", [("symmetric", 0.2)], estimator="dual_t", **grid)
    assert trained == ["forward"]
    expected = ce["estimates"]["in_sample"]["dual_t"]
    assert forward["T_hat"] == derived["T_hat"] == expected["T_hat"] and forward["estimator"] == "dual_t"
    assert derived["estimation_error"] == expected["estimation_error"] != ce["estimation_error"]
    assert derived["test_accuracy"] == ce["test_accuracy"]
    stored = json.loads((tmp_path / record_name(derived)).read_text())
    assert stored == derived and stored["estimator"] == "dual_t"
    folded, _ = protocol.run_grid("mnist", [("symmetric", 0.2)], estimator="dual_t", cross_fit=2, **grid)
    assert trained[1:] == ["ce"] * 3 + ["forward"]  # the CE network and its 2 folds: no cf2 record to derive from
    protocol._STAGES.clear()
    sibling, _ = protocol.run_grid("mnist", [("symmetric", 0.2)], estimator="anchor", cross_fit=2, **grid)
    assert trained[5:] == ["forward"]  # its CE record derived from dual_t's out-of-fold estimates
    assert sibling["T_hat"] == folded["estimates"]["cross_fit"]["anchor"]["T_hat"] != ce["T_hat"]
    assert (tmp_path / record_name(sibling)).is_file() and sibling["cross_fit"] == 2
    probs, noisy, _ = load_posteriors(posteriors_path(folded, tmp_path))  # the out-of-fold ones its T̂ came from
    np.testing.assert_allclose(estimation.dual_t(probs, noisy), folded["T_hat"], atol=1e-9)
    assert posteriors_path(derived, tmp_path) == posteriors_path(ce, tmp_path)  # the same network's


def test_run_grid_checks_its_executor_options(toy_mnist):
    with pytest.raises(TypeError, match="executor must be a concurrent.futures.Executor"):
        protocol.run_grid("mnist", [("symmetric", 0.2)], executor="dask")
    with pytest.raises(ValueError, match="workers must be 1 when an executor runs the jobs"):
        protocol.run_grid("mnist", [("symmetric", 0.2)], executor=ThreadPoolExecutor(1), workers=2)
    with pytest.raises(TypeError, match="overwrite must be True or False"):
        protocol.run_grid("mnist", [("symmetric", 0.2)], overwrite="yes")
    with pytest.raises(TypeError, match=r"run_grid has no option 'noise' \(noise and rate come from settings\)"):
        protocol.run_grid("mnist", [("symmetric", 0.2)], noise="asymmetric")


def _without_timing(records):
    return [{k: v for k, v in r.items() if k not in ("wall_time_s", "finished")} for r in records]


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("LNC_DATA_DIR"), reason="LNC_DATA_DIR unset: MNIST not available")
def test_a_grid_on_a_dask_cluster_gives_the_records_of_a_serial_run(tmp_path):
    """Dask's Client.get_executor() on a LocalCluster of 2 worker processes (one thread each, as Dask sets)."""
    from distributed import Client, LocalCluster

    grid = dict(seeds=(0, 1), methods=("ce", "forward", "forward_est"), epochs=1, subset=300, device="cpu")
    settings = [("symmetric", 0.2), ("asymmetric", 0.3)]
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        on_dask = protocol.run_grid(
            "mnist", settings, executor=client.get_executor(), results_dir=tmp_path / "dask", **grid
        )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        serial = protocol.run_grid("mnist", settings, results_dir=tmp_path / "serial", **grid)
    finally:
        torch.set_num_threads(threads)
    assert len(on_dask) == 12 and _without_timing(on_dask) == _without_timing(serial)
    assert sorted(p.name for p in (tmp_path / "dask").iterdir()) == sorted(
        p.name for p in (tmp_path / "serial").iterdir()
    )


def test_the_protocol_runs_any_registered_estimator_and_records_it(toy_mnist, monkeypatch):
    """A new estimator is one entry of lnc.estimation.ESTIMATORS: the protocol runs it by name, with the noisy
    labels of the training + validation split, and records its name (stored_records tells estimators apart)."""
    received = []

    def uniform(noisy_probs, noisy_labels):
        received.append((noisy_probs.shape, noisy_labels.shape))
        return np.full((10, 10), 0.1) * 0.5 + np.eye(10) * 0.5

    monkeypatch.setitem(estimation.ESTIMATORS, "uniform", uniform)
    records = protocol.run_protocol("mnist", methods=("ce", "forward_est"), estimator="uniform", **FAST)
    # its own estimate and the record's "estimates": every row, then the 60 held-out ones
    assert received and set(received) == {((600, 10), (600,)), ((60, 10), (60,))}
    assert [r["estimator"] for r in records] == ["uniform", "uniform"]
    assert records[1]["T"] == (np.full((10, 10), 0.05) + np.eye(10) * 0.5).round(10).tolist()
    with pytest.raises(ValueError, match="estimator must be one of"):
        protocol.configure("mnist", estimator="oracle", **FAST)


def test_an_estimate_that_is_not_a_transition_matrix_is_recorded_as_an_error_and_stops_nothing(toy_mnist, monkeypatch):
    def zero_row(noisy_probs, noisy_labels):  # as an estimator may return where a class has no held-out row
        T = np.eye(10)
        T[3] = 0.0
        return T

    monkeypatch.setitem(estimation.ESTIMATORS, "zero_row", zero_row)
    records = protocol.run_protocol("mnist", methods=("ce", "forward_est"), **FAST)
    assert [r["status"] for r in records] == ["ok", "ok"]  # the job's own estimator (anchor) is unaffected
    for kind in ("in_sample", "held_out"):
        assert "row 3 sums to 0" in records[0]["estimates"][kind]["zero_row"]["error"]
        assert "estimation_error" in records[0]["estimates"][kind]["anchor"]


@pytest.mark.parametrize("estimator", sorted(estimation.ESTIMATORS))
def test_the_protocol_runs_every_estimator_of_the_registry(toy_mnist, estimator):
    records = protocol.run_protocol("mnist", methods=("ce", "forward_est"), estimator=estimator, **FAST)
    T_hat = np.array(records[0]["T_hat"])
    assert [r["estimator"] for r in records] == [estimator] * 2 and records[1]["T"] == records[0]["T_hat"]
    assert T_hat.shape == (10, 10) and np.allclose(T_hat.sum(axis=1), 1.0) and records[1]["status"] == "ok"


@pytest.mark.parametrize("checks", ["eager", "deferred"])
def test_fit_stops_at_nan_logits_with_eager_and_deferred_checks(checks):
    """NaN logits from the second epoch on: the run stops there and keeps epoch 1, whether the loss refuses them
    at once (eager) or at the epoch's end (deferred, as on an accelerator)."""

    class PoisonedAfter(torch.nn.Linear):
        def __init__(self, calls):
            super().__init__(4, 3)
            self.calls, self.seen = calls, 0

        def forward(self, x):
            self.seen += self.training
            out = super().forward(x)
            return out * math.nan if self.seen > self.calls else out

    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(64, 4, generator=gen), torch.randint(0, 3, (64,), generator=gen)
    model = PoisonedAfter(calls=4)  # 4 batches of 16 per epoch
    loss_fn = lnc.make_loss("forward", np.full((3, 3), 0.1) + 0.7 * np.eye(3), checks=checks)
    fitted = loop.fit(
        model,
        torch.optim.SGD(model.parameters(), lr=0.1),
        loss_fn,
        lambda: ((x[i : i + 16], y[i : i + 16]) for i in range(0, 64, 16)),
        lambda: [(x, y)],
        milestones=(),
        epochs=3,
    )
    assert fitted["diverged"] and fitted["best_epoch"] == 1 and fitted["curves"]["train_loss"][1] is None
    assert torch.isfinite(model.weight).all()  # the best epoch's weights are back


@pytest.mark.skipif(not os.environ.get("LNC_DATA_DIR"), reason="LNC_DATA_DIR unset: CIFAR-N labels not available")
def test_every_stored_record_is_recognised_so_no_chapter_retrains():
    """A change to the recipes or the record fields must not make the chapters retrain their stored runs (hours):
    every record under results/ is found by stored_records from its own settings."""
    root = Path(__file__).resolve().parents[1] / "results"
    paths = sorted(root.glob("*/*.json"))
    assert len(paths) >= 200
    for path in paths:
        config = config_of(json.loads(path.read_text()), path.parent)
        assert protocol.stored_records(config) is not None, path.name


@pytest.mark.parametrize(
    ("epochs", "expected"),
    [(10, [0.5, 1.0, 8 / 9, 7 / 9, 6 / 9, 5 / 9, 4 / 9, 3 / 9, 2 / 9, 1 / 9]), (3, [1.0, 2 / 3, 1 / 3]), (1, [1.0])],
)
def test_the_triangular_schedule_rises_then_falls_linearly(epochs, expected):
    got = [loop.lr_factor(e, epochs, schedule="triangle") for e in range(epochs)]
    assert got == pytest.approx(expected)
    assert [loop.lr_factor(e, 5, (1, 3)) for e in range(5)] == pytest.approx([1, 0.1, 0.1, 0.01, 0.01])


@pytest.mark.parametrize("protocol", ["fast", "fast2"])
def test_the_fast_protocols_exist_for_cifar_only(protocol):
    assert recipes.get_recipe("cifar10n", protocol).model == "fast_net"
    with pytest.raises(ValueError, match=rf"protocol '{protocol}' is defined for the tasks \['cifar10', .*not 'mnist'"):
        recipes.get_recipe("mnist", protocol)


def test_fast2_is_the_fast_recipe_clipped_for_every_method_with_more_epochs():
    fast, fast2 = recipes.get_recipe("cifar10n", "fast"), recipes.get_recipe("cifar10n", "fast2")
    assert fast.clip_norm is None and fast2.clip_norm is not None and fast2.epochs > fast.epochs
    assert dataclasses.replace(fast2, clip_norm=None, epochs=fast.epochs) == fast


@pytest.mark.parametrize(("selection", "kept"), [("val_accuracy", 2), ("val_loss", 4)])
def test_fit_keeps_the_epoch_its_selection_prefers_and_tests_both(monkeypatch, selection, kept):
    """The backward loss keeps falling while the noisy-validation accuracy peaks early (the CIFAR-10N worst case):
    val_loss keeps the last epoch, val_accuracy the accurate one; the test set is read for both, choosing nothing."""
    scripted = iter([(0.9, 0.5), (0.7, 0.8), (0.5, 0.6), (-2.0, 0.3)])  # (val loss, val accuracy) per epoch

    def one_epoch(model, optimizer, loss_fn, batches, clip_norm):
        with torch.no_grad():
            model.weight += 1.0  # the weight counts the epochs trained
        return 1.0, torch.ones(3)

    def evaluate(model, batches, loss_fn):  # the test accuracy reads the weight: the epoch whose state is loaded
        return next(scripted) if loss_fn is not None else (math.nan, model.weight.item() / 10)

    monkeypatch.setattr(loop, "_epoch", one_epoch)
    monkeypatch.setattr(loop, "evaluate_batches", evaluate)
    model = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.zeros_(model.weight)
    fitted = loop.fit(model, torch.optim.SGD(model.parameters(), lr=0.1), torch.nn.CrossEntropyLoss(), list,
                      list, milestones=(), epochs=4, selection=selection, test_batches=list)  # fmt: skip
    assert fitted["best_epoch"] == kept and model.weight.item() == kept
    assert fitted["epoch_by_selection"] == {"val_accuracy": 2, "val_loss": 4}
    assert fitted["test_accuracy_by_selection"] == pytest.approx({"val_accuracy": 0.2, "val_loss": 0.4})
    assert fitted["test_accuracy"] == pytest.approx(kept / 10)
    assert (fitted["best_val_loss"], fitted["best_val_accuracy"]) == {2: (0.7, 0.8), 4: (-2.0, 0.3)}[kept]


def test_a_record_states_its_selection_and_a_bad_one_is_refused(toy_mnist):
    (ce,) = protocol.run_protocol("mnist", methods=("ce",), selection="val_loss", **FAST)
    assert ce["selection"] == "val_loss" and set(ce["test_accuracy_by_selection"]) == set(loop.SELECTIONS)
    assert ce["test_accuracy"] == ce["test_accuracy_by_selection"]["val_loss"]
    with pytest.raises(ValueError, match="selection must be one of .*'val_accuracy'.*got 'accuracy'"):
        protocol.configure("mnist", selection="accuracy", **FAST)


def test_clip_norm_bounds_every_steps_gradient_norm(monkeypatch):
    """recipe.clip_norm scales each step's gradient to a total norm of at most clip_norm, measured independently at
    the optimiser's step (and leaves it alone without clipping)."""
    norms, before = [], []

    def one_training(clip_norm):
        gen = torch.Generator().manual_seed(0)
        model = torch.nn.Linear(5, 3)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        real_step = optimizer.step
        measure = lambda: torch.sqrt(sum((p.grad**2).sum() for p in model.parameters())).item()  # noqa: E731
        monkeypatch.setattr(optimizer, "step", lambda: norms.append(measure()) or real_step())
        x, y = 100 * torch.randn(8, 5, generator=gen), torch.randint(0, 3, (8,), generator=gen)
        before[:] = loop._epoch(model, optimizer, torch.nn.CrossEntropyLoss(), [(x, y)] * 3, clip_norm)[1].tolist()

    one_training(None)
    assert max(norms) > 1.0  # inputs of scale 100: gradients far above the bound
    assert before == pytest.approx(norms, rel=1e-6)  # the norms _epoch reports are those the optimiser saw
    norms.clear()
    one_training(0.5)
    assert len(norms) == 3 and max(norms) <= 0.5 + 1e-5
    assert norms == pytest.approx([min(b, 0.5) for b in before], rel=1e-5) and max(before) > 0.5  # before clipping
    assert recipes.Recipe("mnist_fc", 1, clip_norm=2).clip_norm == 2.0
    with pytest.raises(ValueError, match=r"recipe.clip_norm must be .*> 0"):
        recipes.Recipe("mnist_fc", 1, clip_norm=0)


def test_dense_noise_is_a_noise_kind_with_its_rate():
    """Past bug: only symmetric and asymmetric noise kept their rate; dense runs were recorded with rate None, so
    their file names and tables could not tell one rate from another."""
    config = protocol.configure("fashion_mnist", noise="dense", rate=0.3, epochs=1, device="cpu")
    assert (config.noise, config.rate) == ("dense", 0.3)
    np.testing.assert_array_equal(config.T_true, recipes.paper_T("fashion_mnist", "dense", 0.3))
    assert protocol.configure("mnist", noise="none", rate=0.3, epochs=1, device="cpu").rate is None
