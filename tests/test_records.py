"""Run records (lnc.experiments.records): file names that carry every setting, whole writes, stored folders, a resume
that trusts only checked records, and one training per job under concurrent grids."""

import json
import math
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import make_run

from lnc.experiments import protocol, records, results


def test_save_record_then_load_records_round_trips_and_filters(tmp_path):
    saved = [make_run(m, n) for m in ("ce", "forward") for n in ("aggre", "worst")]
    paths = [records.save_record(r, tmp_path) for r in saved]
    assert [p.parent for p in paths] == [tmp_path] * 4 and re.fullmatch(
        r"cifar10n_aggre_ce_seed0_[0-9a-f]{8}\.json", paths[0].name
    )
    assert sorted(q.name for q in tmp_path.iterdir()) == sorted(p.name for p in paths)  # no temporary file left
    assert records.load_records(tmp_path, method="forward") == [saved[2], saved[3]]
    assert records.load_records(tmp_path, method="backward") == []


def test_posteriors_round_trip_beside_their_record_and_refuse_other_shapes(tmp_path):
    record, rng = make_run("ce", "aggre"), np.random.default_rng(0)
    probs, noisy, clean = rng.dirichlet(np.ones(10), size=50), rng.integers(0, 10, 50), rng.integers(0, 10, 50)
    path = records.save_posteriors(record, tmp_path, probs, noisy, clean)
    assert path == tmp_path / records.record_name(record).replace(".json", ".npz")
    assert [p.name for p in tmp_path.iterdir()] == [path.name] and records.load_records(tmp_path) == []
    loaded = records.load_posteriors(path)
    np.testing.assert_array_equal(loaded[0], probs.astype(np.float32))
    assert (loaded[1] == noisy).all() and (loaded[2] == clean).all()
    other = {**record, "estimator": "confident_joint"}  # the same CE network, another estimator: the same file
    assert records.save_posteriors(other, tmp_path, 1 - probs, noisy, clean) == path
    np.testing.assert_array_equal(records.load_posteriors(path)[0], probs.astype(np.float32))  # kept
    with pytest.raises(ValueError, match=r"noisy and clean \(N,\), got shapes \(50, 10\), \(49,\)"):
        records.save_posteriors(record, tmp_path, probs, noisy[1:], clean)


def test_load_records_of_an_existing_empty_folder_is_empty(tmp_path):
    assert records.load_records(tmp_path) == [] and records.load_records(tmp_path, method="ce") == []


def test_load_records_refuses_a_missing_folder_and_a_file(tmp_path):
    """Past bug: a misspelt folder, or a record file given as the folder, loaded as no records at all."""
    with pytest.raises(FileNotFoundError, match="results_dir must be an existing folder.*no such path"):
        records.load_records(tmp_path / "mnsit")
    path = records.save_record(make_run("ce", "aggre"), tmp_path)
    with pytest.raises(NotADirectoryError, match="results_dir must be an existing folder.*not a folder"):
        records.load_records(path)


def test_load_records_refuses_a_where_key_that_no_record_has(tmp_path):
    """Past bug: ``methd="ce"`` selected nothing and returned ``[]``."""
    records.save_record(make_run("ce", "aggre"), tmp_path)
    with pytest.raises(ValueError, match=r"keyword 'methd' must be a field of the records.*'method'"):
        records.load_records(tmp_path, methd="ce")


def test_load_records_names_a_truncated_record_file(tmp_path):
    """Past bug: a truncated JSON file raised a JSONDecodeError that did not say which file."""
    path = records.save_record(make_run("ce", "aggre"), tmp_path)
    path.write_text(path.read_text()[:40])
    with pytest.raises(ValueError, match=r"cifar10n_aggre_ce_seed0_[0-9a-f]{8}\.json' must hold a JSON record"):
        records.load_records(tmp_path)


@pytest.mark.parametrize(
    "field, value",
    [
        ("task", "../x"),
        ("task", "a/b"),
        ("noise", ".."),
        ("method", ""),
        ("method", "ce\\x"),
        ("task", "{tmp_path}/abs"),
    ],
)
def test_save_record_refuses_a_name_field_that_could_leave_results_dir(tmp_path, field, value):
    """Past bug: ``task="../x"`` wrote the record outside ``results_dir``."""
    results_dir = tmp_path / "results"
    with pytest.raises(ValueError, match=rf"record\['{field}'\] must hold only letters"):
        records.save_record({**make_run("ce", "aggre"), field: value.format(tmp_path=tmp_path)}, results_dir)
    assert sorted(p.name for p in tmp_path.rglob("*")) == []  # nothing written, not even the folder


@pytest.mark.parametrize(
    "field, value, error",
    [
        ("seed", None, KeyError),
        ("seed", -1, ValueError),
        ("seed", 1.0, TypeError),
        ("rate", "0.2", TypeError),
        ("method", 3, TypeError),
    ],
)
def test_save_record_checks_the_fields_of_the_file_name(tmp_path, field, value, error):
    """Past bug: a record without ``seed`` raised a bare ``KeyError: 'seed'``; a float seed made ``seed1.0``."""
    record = {**make_run("ce", "aggre"), field: value}
    if error is KeyError:
        del record[field]
        error = ValueError
    with pytest.raises(error, match=f"record.*{field}"):
        records.save_record(record, tmp_path)


def test_save_record_names_the_non_finite_field(tmp_path):
    """Past bug: json raised a bare ``ValueError: Out of range float values are not JSON compliant``."""
    record = make_run("ce", "aggre", curves={"val_loss": [0.5, math.nan]})
    with pytest.raises(ValueError, match=r"record\['curves'\]\['val_loss'\]\[1\] must be a finite number"):
        records.save_record(record, tmp_path)
    with pytest.raises(TypeError, match=r"record\['T'\] must be JSON data.*got set"):
        records.save_record(make_run("ce", "aggre", T={1, 2}), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_check_results_dir_creates_the_folder_and_passes_none(tmp_path):
    assert records.check_results_dir(None) is None
    assert records.check_results_dir(str(tmp_path / "a" / "b")) == tmp_path / "a" / "b"
    assert (tmp_path / "a" / "b").is_dir() and list((tmp_path / "a" / "b").iterdir()) == []  # the probe is gone
    with pytest.raises(TypeError, match="results_dir must be a path"):
        records.check_results_dir(3)


def test_check_results_dir_refuses_a_folder_under_a_file(tmp_path):
    """Fails for root too: nobody can create a folder under a regular file."""
    (tmp_path / "file").write_text("")
    for results_dir in (tmp_path / "file", tmp_path / "file" / "results"):
        with pytest.raises(ValueError, match="results_dir must be a folder that can be written"):
            records.check_results_dir(results_dir)
    with pytest.raises(ValueError, match="results_dir must be a folder that can be written"):
        records.save_record(make_run("ce", "aggre"), tmp_path / "file" / "results")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_check_results_dir_refuses_a_read_only_folder(tmp_path):
    read_only = tmp_path / "read_only"
    read_only.mkdir(mode=0o500)
    try:
        with pytest.raises(ValueError, match="results_dir must be a folder that can be written"):
            records.check_results_dir(read_only)
    finally:
        read_only.chmod(0o700)


BASE = dict(task="mnist", noise="symmetric", rate=0.2, method="ce", seed=0, protocol="paper", epochs=20, subset=None)


@pytest.mark.parametrize(
    "field, other",
    [("protocol", "cpu"), ("epochs", 1), ("subset", 400), ("rate", 0.2000001), ("selection", "val_accuracy"),
     ("recipe", {"lr": 0.5}), ("T_true", [[1.0, 0.0], [0.0, 1.0]]), ("estimator", "dual_t"), ("cross_fit", 2),
     ("method_options", {"T_lr": 0.1})],
)  # fmt: skip
def test_a_record_of_other_settings_gets_another_file(field, other):
    """Past bug: the name left out protocol, epochs and subset, so a 1-epoch re-run overwrote the paper's records."""
    assert records.record_name({**BASE, field: other}) != records.record_name(BASE)
    assert records.record_name({**BASE, "test_accuracy": 0.5, "wall_time_s": 3}) == records.record_name(BASE)


def test_a_record_written_before_a_field_existed_keeps_its_name():
    """A new identity field, or a new recipe field, at the value the older runs had does not rename them."""
    old = {**BASE, "recipe": {"model": "mnist_fc", "lr": 0.01}}
    new = {**old, "recipe": {**old["recipe"], "nesterov": False}, "estimator": "anchor", "selection": "val_loss"}
    new["method_options"] = None
    assert records.record_name(new) == records.record_name(old)


def test_summarize_refuses_to_average_runs_of_other_settings():
    """Past bug: a comparison averaged 1-epoch runs with the paper's 20-epoch runs (CE 89.6 instead of 96.8)."""
    runs = [{**BASE, "seed": s, "test_accuracy": 0.9} for s in (0, 1)]
    assert results.summarize(runs)[("ce", "symmetric 0.2")][:2] == pytest.approx((90.0, 0.0))
    with pytest.raises(ValueError, match=r"'ce' at 'symmetric 0.2' must be runs of one setting.*'epochs'"):
        results.summarize([*runs, {**BASE, "seed": 2, "epochs": 1, "test_accuracy": 0.5}])
    with pytest.raises(ValueError, match="must hold each seed once, got seed 0 twice"):
        results.summarize([*runs, runs[0]])


def test_check_results_dir_refuses_a_nearly_full_disk(tmp_path, monkeypatch):
    """Past bug: the write check passed with 8 KB free, and a finished training was lost at the write."""
    monkeypatch.setattr(records.shutil, "disk_usage", lambda path: SimpleNamespace(free=8192))
    with pytest.raises(ValueError, match=rf"results_dir must have at least 16 MiB free.*'{tmp_path}' with 0.01 MiB"):
        records.check_results_dir(tmp_path)


@pytest.mark.parametrize("errno, why", [(28, "No space left on device"), (13, "Permission denied")])
def test_save_record_names_results_dir_when_the_write_fails_and_leaves_nothing(tmp_path, monkeypatch, errno, why):
    """Past bug: a full disk raised a raw OSError and left a ``.part`` file."""

    def fail(part, path):  # the temporary file is written, then the error
        assert Path(part).stat().st_size > 0
        raise OSError(errno, why)

    monkeypatch.setattr(records.os, "replace", fail)
    with pytest.raises(ValueError, match=rf"results_dir must be a folder that can be written, got '{tmp_path}'.*{why}"):
        records.save_record(make_run("ce", "aggre"), tmp_path)
    assert list(tmp_path.iterdir()) == []


GRID = dict(methods=("ce", "forward"), epochs=1, device="cpu")


def _count_trainings(monkeypatch):
    trained, real_train = [], protocol.train
    monkeypatch.setattr(protocol, "train", lambda *a, **k: trained.append(a[1]) or real_train(*a, **k))
    return trained


@pytest.mark.parametrize(
    "damage, match",
    [
        (lambda r: {**r, "method": "forward"}, r"must hold the run its name says.*'method' differs"),
        (lambda r: {**r, "recipe": {**r["recipe"], "lr": 0.5}}, r"must hold the run its name says.*'recipe' differs"),
        (lambda r: {**r, "status": "running"}, r"must hold a finished run.*status is 'running'"),
        (lambda r: {**r, "test_accuracy": 1.5}, r"must hold a finished run.*test_accuracy is 1.5"),
        (lambda r: "{truncated", r"must hold a JSON record, got invalid JSON"),
    ],
)
def test_a_resumed_grid_refuses_a_damaged_or_foreign_record_naming_it(toy_mnist, monkeypatch, tmp_path, damage, match):
    """Past bugs: a truncated record stopped the resume with a JSONDecodeError that named no file; a record holding
    another method's run was reused."""
    (ce, _) = protocol.run_grid("mnist", [("symmetric", 0.2)], results_dir=tmp_path, **GRID)
    path = tmp_path / records.record_name(ce)
    changed = damage(ce)
    path.write_text(changed if isinstance(changed, str) else json.dumps(changed))
    trained = _count_trainings(monkeypatch)
    with pytest.raises(ValueError, match=rf"'{re.escape(str(path))}' {match}"):
        protocol.run_grid("mnist", [("symmetric", 0.2)], results_dir=tmp_path, **GRID)
    assert trained == [] and path.read_text() == (changed if isinstance(changed, str) else json.dumps(changed))


def test_a_stored_folder_takes_new_jobs_only_when_asked(toy_mnist, monkeypatch, tmp_path):
    """Past bug: a chapter re-run with 1 epoch and 400 images rewrote 6 stored paper-protocol records."""
    stored = protocol.run_grid("mnist", [("symmetric", 0.2)], results_dir=tmp_path, **GRID)
    (tmp_path / records.STORED_MARK).write_text("stored runs\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    trained = _count_trainings(monkeypatch)
    assert protocol.run_grid("mnist", [("symmetric", 0.2)], results_dir=tmp_path, **GRID) == stored
    for other in (dict(epochs=2), dict(subset=400), dict(seeds=(1,)), dict(rate=0.3)):
        rate = other.pop("rate", 0.2)
        with pytest.raises(ValueError, match=rf"results_dir '{tmp_path}' holds stored runs.*extend=True"):
            protocol.run_grid("mnist", [("symmetric", rate)], results_dir=tmp_path, **{**GRID, **other})
    assert trained == [] and sorted(p.name for p in tmp_path.iterdir()) == before
    protocol.run_grid("mnist", [("symmetric", 0.2)], results_dir=tmp_path, extend=True, **{**GRID, "epochs": 2})
    assert trained == ["ce", "forward"] and len(list(tmp_path.glob("*.json"))) == 4  # none written over


def test_a_job_of_a_T_hat_method_alone_reads_T_hat_from_the_stored_CE_record(toy_mnist, monkeypatch, tmp_path):
    """Past bug: a job of ``forward_est`` alone trained its CE network again (20 CPU-minutes on CIFAR-10N), its
    T̂ that of the new network, since the stored CE record was read only when ``ce`` was among the methods."""
    (ce,) = protocol.run_grid("mnist", [("symmetric", 0.2)], results_dir=tmp_path, **{**GRID, "methods": ("ce",)})
    (tmp_path / records.STORED_MARK).write_text("stored runs\n")
    monkeypatch.setattr(protocol, "_STAGES", {})  # a new process
    trained = _count_trainings(monkeypatch)
    alone = dict(GRID, methods=("forward_est",))
    with pytest.raises(ValueError, match=rf"results_dir '{tmp_path}' holds stored runs.*extend=True"):
        protocol.run_grid("mnist", [("symmetric", 0.2)], results_dir=tmp_path, **alone)
    (record,) = protocol.run_grid("mnist", [("symmetric", 0.2)], results_dir=tmp_path, extend=True, **alone)
    assert trained == ["forward"] and record["method"] == "forward_est"
    assert record["T"] == record["T_hat"] == ce["T_hat"]


def test_concurrent_grids_on_one_folder_train_each_job_once(toy_mnist, monkeypatch, tmp_path):
    """Past bug: with no lock, two processes on one results_dir trained every job twice."""
    trained = _count_trainings(monkeypatch)
    settings = [("symmetric", 0.2), ("asymmetric", 0.3)]
    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(protocol.run_grid, "mnist", settings, results_dir=tmp_path, **GRID) for _ in range(2)]
        first, second = (run.result() for run in runs)
    assert sorted(trained) == ["ce", "ce", "forward", "forward"]
    assert [r["test_accuracy"] for r in first] == [r["test_accuracy"] for r in second]


def test_no_training_starts_when_its_record_could_not_be_written(toy_mnist, monkeypatch, tmp_path):
    config = protocol.configure("mnist", results_dir=tmp_path, **GRID)
    monkeypatch.setattr(records.shutil, "disk_usage", lambda path: SimpleNamespace(free=8192))
    trained = _count_trainings(monkeypatch)
    with pytest.raises(ValueError, match=rf"results_dir must have at least 16 MiB free.*'{tmp_path}'"):
        protocol._run(config)
    assert trained == []


def test_is_stored_reads_the_mark_and_refuses_a_non_path(tmp_path):
    assert not records.is_stored(tmp_path) and not records.is_stored(None)
    (tmp_path / records.STORED_MARK).write_text("stored runs\n")
    assert records.is_stored(tmp_path) and records.is_stored(str(tmp_path))
    with pytest.raises(TypeError, match="results_dir must be a path"):
        records.is_stored(3)
