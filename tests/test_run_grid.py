"""tools/run_grid.py: jobs run seed by seed, later estimators run only the methods that use T̂, every job is
checked before any training, and the same command continues an interrupted grid without training again."""

import importlib.util
from pathlib import Path

import pytest

from lnc.experiments import protocol
from lnc.experiments.records import load_records

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("run_grid", ROOT / "tools" / "run_grid.py")
run_grid = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_grid)


def test_jobs_run_seed_by_seed_and_later_estimators_run_only_the_methods_using_T_hat():
    args = run_grid.parse_args(
        ["cifar10n", "--noise", "aggre", "--methods", "ce", "forward", "forward_est", "volmin", "revision",
         "--estimators", "anchor", "confident_joint", "--seeds", "0", "1", "--results-dir", "x"]
    )  # fmt: skip
    every = ["ce", "forward", "forward_est", "volmin", "revision"]
    assert run_grid.jobs(args) == [
        (0, "anchor", every),
        (0, "confident_joint", ["ce", "forward_est", "revision"]),
        (1, "anchor", every),
        (1, "confident_joint", ["ce", "forward_est", "revision"]),
    ]


def test_a_bad_job_fails_before_any_training(toy_mnist, tmp_path, monkeypatch):
    monkeypatch.setattr(protocol, "train", lambda *a, **k: pytest.fail("trained"))
    argv = ["mnist", "--noise", "symmetric", "--rates", "0.3", "--estimators", "anchor", "anchr", "--epochs", "1",
            "--results-dir", str(tmp_path)]  # fmt: skip
    with pytest.raises(ValueError, match="estimator"):
        run_grid.main(argv)
    assert not list(tmp_path.glob("*.json"))


def test_the_same_command_continues_a_grid_without_training_again(toy_mnist, tmp_path, monkeypatch, capsys):
    argv = ["mnist", "--noise", "symmetric", "--rates", "0.3", "--methods", "ce", "forward_est", "--estimators",
            "anchor", "confident_joint", "--cross-fit", "2", "--seeds", "0", "1", "--epochs", "1", "--device", "cpu",
            "--results-dir", str(tmp_path)]  # fmt: skip
    run_grid.main(argv)
    records = load_records(tmp_path)
    assert {r["cross_fit"] for r in records} == {2} and len(list(tmp_path.glob("*.npz"))) == 2  # one network a seed
    assert sorted((r["seed"], r["estimator"], r["method"]) for r in records) == [
        (seed, estimator, method)
        for seed in (0, 1)
        for estimator in ("anchor", "confident_joint")
        for method in ("ce", "forward_est")
    ]
    assert capsys.readouterr().out.count("seed ") == 4
    monkeypatch.setattr(protocol, "train", lambda *a, **k: pytest.fail("trained again"))
    run_grid.main(argv)
    assert len(load_records(tmp_path)) == len(records)
