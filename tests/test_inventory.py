"""The Runs page's inventory: one row per grid of each stored folder, trainings counted once, the machine,
precision and dates a record states, and "not recorded" where older records lack them."""

from collections import defaultdict
from pathlib import Path

import pytest
from conftest import make_run

from lnc.experiments import inventory
from lnc.experiments.records import STORED_MARK, is_stored, save_record


def stored(folder, records):
    for r in records:
        save_record(r, folder)
    (folder / STORED_MARK).write_text("stored\n")


def test_a_row_per_grid_with_a_shared_ce_training_counted_once(tmp_path):
    ce = dict(threads=2, cpu="Xeon", precision="bf16", finished="2026-12-06T10:00:00+00:00", seed=0)
    records = [
        make_run("ce", "worst", estimator="anchor", **ce),
        make_run("ce", "worst", estimator="confident_joint", **ce),  # the same CE training, another estimator
        make_run("forward_est", "worst", estimator="confident_joint", threads=2, finished="2026-12-07T09:00:00"),
        make_run("ce", "worst", protocol="fast2", epochs=20),  # another grid, an older record
        make_run("forward", "worst", protocol="fast2", epochs=20, cpu="EPYC", cpu_isa="AVX2"),
    ]
    stored(tmp_path / "cifarn", records)
    (tmp_path / "scratch").mkdir()  # not stored: not the book's evidence
    save_record(make_run("ce", "aggre"), tmp_path / "scratch")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / STORED_MARK).write_text("stored\n")  # a stored folder whose grid has not run yet
    text = inventory.runs_markdown(tmp_path)
    assert text.count("**`cifarn`**") == 2 and "scratch" not in text and "aggre" not in text
    assert "**`empty`**: no records yet." in text
    first, second = text.split("\n\n")[:2]
    assert "cifar10n, cpu, 2 epochs, all training data" in first and "T̂ by confident_joint" in first
    assert "2026-12-06 to 2026-12-07" in first and "precision bf16, not recorded" in first
    assert "Xeon, not recorded" in first and "; 2 trainings;" in first  # CE once, forward once
    assert f"{2 * 2 * 60 / 3600:.1f} CPU-hours" in first  # 2 trainings × 60 s × 2 threads
    assert "cifar10n, fast2, 20 epochs" in second and "; 2 trainings;" in second
    assert "EPYC (AVX2), not recorded" in second  # the kernels' instructions, where the record states them
    assert second.splitlines()[-2].endswith("finished not recorded")


def test_runs_markdown_refuses_a_missing_root(tmp_path):
    with pytest.raises(ValueError, match="root must be an existing folder"):
        inventory.runs_markdown(tmp_path / "missing")
    with pytest.raises(TypeError, match="root must be a path"):
        inventory.runs_markdown(3)


def test_evidence_is_each_tasks_full_data_run_with_the_papers_T_hat(tmp_path):
    keep = [make_run("ce", "worst", estimator="anchor"), make_run("forward", "worst"),
            make_run("ce", "worst", seed=1), make_run("forward", "worst", seed=1, status="failed")]  # fmt: skip
    left_out = [
        make_run("ce", "worst", seed=2),  # forward has not run seed 2 yet: it waits
        make_run("ce", "aggre", subset=10_000),  # a reduced run
        make_run("forward_est", "aggre", estimator="confident_joint"),  # another estimator
        make_run("forward_est", "random1", estimator="anchor", cross_fit=2),  # cross-fitted T̂
        make_run("ce", "random1", task="cifar10"),  # another task in the folder
    ]
    stored(tmp_path / inventory.EVIDENCE["cifar10n"], keep + left_out)
    stored(tmp_path / "cifarn", [make_run("ce", "random2")])  # a folder that is not the evidence
    evidence = inventory.evidence_records(tmp_path)
    assert list(evidence) == ["cifar10n"]  # the other tasks' folders are missing
    assert sorted((r["method"], r["noise"], r["seed"]) for r in evidence["cifar10n"]) == [
        ("ce", "worst", 0),
        ("ce", "worst", 1),
        ("forward", "worst", 0),
        ("forward", "worst", 1),
    ]
    marked = [block.split("**:")[0] for block in inventory.runs_markdown(tmp_path).split("\n\n")
              if "the book's evidence" in block]  # fmt: skip
    assert marked == [f"**`{inventory.EVIDENCE['cifar10n']}`"]  # its cifar10n grid, not the others
    with pytest.raises(ValueError, match="root must be an existing folder"):
        inventory.evidence_records(tmp_path / "missing")


@pytest.mark.parametrize(
    "ran,shown",
    [
        # a new method with one seed waits, rather than cutting the others to that seed
        ({"ce": {0, 1, 2}, "forward": {0, 1, 2}, "volmin": {0}}, {"ce": {0, 1, 2}, "forward": {0, 1, 2}}),
        # a new seed of one method waits
        (
            {"ce": {0, 1, 2, 3}, "forward": {0, 1, 2}, "backward": {0, 1, 2}},
            {m: {0, 1, 2} for m in ("ce", "forward", "backward")},
        ),
        # no method has every seed of another: their common seeds
        ({"ce": {0, 1, 2}, "forward": {0, 1, 3}}, {"ce": {0, 1}, "forward": {0, 1}}),
        # as many records either way: the more methods
        ({"ce": {0, 1}, "forward": {0}}, {"ce": {0}, "forward": {0}}),
    ],
)
def test_evidence_keeps_the_seed_set_that_shows_the_most_runs(tmp_path, ran, shown):
    records = [make_run(method, "worst", seed=seed) for method, seeds in ran.items() for seed in sorted(seeds)]
    stored(tmp_path / inventory.EVIDENCE["cifar10n"], records)
    kept = defaultdict(set)
    for r in inventory.evidence_records(tmp_path)["cifar10n"]:
        kept[r["method"]].add(r["seed"])
    assert kept == shown


def test_the_stored_evidence_covers_every_task_on_all_the_training_data():
    root = Path(__file__).resolve().parents[1] / "results"
    evidence = inventory.evidence_records(root)
    assert list(evidence) == list(inventory.EVIDENCE)
    for task, records in evidence.items():
        assert is_stored(root / inventory.EVIDENCE[task]), task
        assert {"ce", "forward", "backward"} <= {r["method"] for r in records}, task
