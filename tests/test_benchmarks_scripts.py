"""The CPU paths (``--tiny``) of the benchmark scripts ``benchmarks/gpu_check.py`` and ``benchmarks/cifar_speed.py``:
they run, write their records and summaries with the expected fields, and the GPU check fails when a smoke item
does."""

import dataclasses
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lnc.experiments import protocol
from lnc.losses import LOSS_NAMES

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
needs_data = pytest.mark.skipif("LNC_DATA_DIR" not in os.environ, reason="LNC_DATA_DIR unset: no shared data")


def load_script(name):
    """The benchmark script ``benchmarks/<name>.py`` as a module (its ``main(argv)`` not run)."""
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def small_test_set(monkeypatch):
    """CIFAR-10 with its first 500 test images for the protocol runs (a pass over the 10,000 takes 20 s on a CPU)."""
    full = protocol._load("cifar10n")
    small = dataclasses.replace(full, x_test=full.x_test[:500], y_test=full.y_test[:500])
    monkeypatch.setattr(protocol, "_load", lambda task: small)
    monkeypatch.setattr(protocol, "_STAGES", {})  # no CE stage of another test's data
    return small


@pytest.mark.slow
@needs_data
def test_gpu_check_tiny_on_cpu(tmp_path, small_test_set, monkeypatch, capsys):
    gpu_check = load_script("gpu_check")
    runs, out = tmp_path / "runs", tmp_path / "check.json"
    argv = ["--device", "cpu", "--tiny", "--results-dir", str(runs), "--out", str(out)]
    assert gpu_check.main(argv) == 0

    methods = gpu_check.METHODS
    assert len(list(runs.glob("*.json"))) == len(methods)
    for method in methods:
        (path,) = runs.glob(f"cifar10n_aggre_{method}_seed0_*.json")
        record = json.loads(path.read_text())
        assert {"test_accuracy", "wall_time_s", "n_train", "epochs", "T_true", "recipe"} <= set(record)
        assert (record["method"], record["noise"], record["protocol"]) == (method, "aggre", "fast")
        assert (record["subset"], record["epochs"], record["n_train"]) == (200, 1, 180)
    summary = json.loads(out.read_text())
    assert {"environment", "smoke", "jobs", "summary", "records"} <= set(summary)
    assert len(summary["smoke"]) == len(gpu_check.MODELS) + len(LOSS_NAMES) + 2
    assert all(item["ok"] for item in summary["smoke"]), summary["smoke"]
    assert summary["jobs"] == [{"noise": "aggre", "seed": 0, "status": "ok", "seconds": summary["jobs"][0]["seconds"]}]
    assert [(row["noise"], row["method"], row["n"]) for row in summary["summary"]] == [("aggre", m, 1) for m in methods]
    assert all(row["images_per_s"] > 0 and 0 <= row["mean"] <= 100 for row in summary["summary"])

    # a failing smoke item (a network without an input shape, an unknown loss) makes the exit status 1; the runs
    # are loaded from the results folder, not trained again
    monkeypatch.setattr(gpu_check, "MODELS", {"fast_net": None, "no_such_net": None})
    monkeypatch.setattr(gpu_check, "LOSS_NAMES", ("ce", "no_such_loss"))
    capsys.readouterr()
    assert gpu_check.main(argv) == 1
    summary = json.loads(out.read_text())
    assert {item["item"]: item["ok"] for item in summary["smoke"]} == {
        "model fast_net": True,
        "model no_such_net": False,
        "loss ce": True,
        "loss no_such_loss": False,
        "check target": True,
        "check nan": True,
    }
    assert [job["status"] for job in summary["jobs"]] == ["stored"]
    printed = capsys.readouterr().out
    assert "ERROR model no_such_net" in printed and "FAILED: ['model no_such_net', 'loss no_such_loss']" in printed


@pytest.mark.slow
@needs_data
def test_cifar_speed_tiny(tmp_path):
    out = tmp_path / "speed.json"
    command = [sys.executable, str(BENCHMARKS / "cifar_speed.py"), "--tiny", "--threads", "1", "--out", str(out)]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    summary = json.loads(out.read_text())
    assert {"torch_version", "threads", "runs", "ratios", "baseline"} <= set(summary)
    assert summary["threads"] == 1
    networks = ["resnet8", "resnet20", "resnet32", "fast_net"]
    assert [run["model"] for run in summary["runs"]] == networks
    for run in summary["runs"]:
        assert {"params", "epochs", "images_per_s", "cpu_minutes", "test_accuracy", "wall_time_s"} <= set(run)
        assert (run["epochs"], run["n_train"], run["n_test"]) == (1, 180, 500)
        assert run["cpu_minutes"] == pytest.approx(run["wall_time_s"] / 60, abs=1e-3)
    assert [run["recipe"]["model"] for run in summary["runs"]] == ["cifar_resnet"] * 3 + ["fast_net"]
    assert summary["ratios"]["resnet32"] == {"cpu_minutes": 1.0, "time_per_image": 1.0}
    assert set(summary["ratios"]) == set(networks)
    for network in networks:
        assert network in done.stdout


@pytest.mark.slow
@needs_data
def test_cifar_speed_reads_the_networks_its_summary_holds(tmp_path, capsys):
    cifar_speed = load_script("cifar_speed")
    out = tmp_path / "speed.json"
    argv = ["--tiny", "--out", str(out)]
    assert cifar_speed.main([*argv, "--models", "fast_net"]) == 0
    [first] = json.loads(out.read_text())["runs"]
    capsys.readouterr()

    assert cifar_speed.main([*argv, "--models", "resnet8", "fast_net"]) == 0
    summary = json.loads(out.read_text())
    assert [run["model"] for run in summary["runs"]] == ["resnet8", "fast_net"]
    assert summary["runs"][1] == first  # its wall time too: read, not trained again
    printed = capsys.readouterr().out
    assert f"fast_net: {first['cpu_minutes']:.1f} CPU-min" in printed and f"(read from {out})" in printed
    assert "resnet8: " in printed and printed.count("read from") == 1

    # measured on another CPU: nothing is read
    setting = {key: summary[key] for key in ("cpu", "threads", "device", "seed", "subset", "test_subset")}
    assert set(cifar_speed.stored_rows(out, setting)) == {"resnet8", "fast_net"}
    assert cifar_speed.stored_rows(out, {**setting, "cpu": "another CPU"}) == {}
    assert cifar_speed.stored_rows(tmp_path / "absent.json", setting) == {}


def test_the_readme_table_is_the_stored_cifar_speed_summary():
    cifar_speed = load_script("cifar_speed")
    summary = json.loads((BENCHMARKS.parent / "results" / "cifar_speed.json").read_text())
    assert [run["model"] for run in summary["runs"]] == list(cifar_speed.NETWORKS)
    assert summary["subset"] is None and summary["threads"] == 1
    assert cifar_speed.markdown(summary) in (BENCHMARKS.parent / "README.md").read_text()
