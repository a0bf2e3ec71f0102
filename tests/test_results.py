"""Result tables: mean ± std over seeds, T̂ quality, our numbers beside published ones, and run summaries."""

import math
import re
from pathlib import Path

import pytest

from lnc import published, results

PAPER_TABLES = Path(__file__).resolve().parents[2] / "shared" / "reference" / "paper_tables.md"


def _record(method, noise, rate, accuracy, seed=0, **extra):
    return {"task": "cifar10n", "method": method, "noise": noise, "rate": rate, "test_accuracy": accuracy,
            "seed": seed, **extra}


def test_accuracy_table_prints_mean_and_sample_std():
    records = [{"method": "ce", "noise": "symmetric", "rate": 0.2, "test_accuracy": a} for a in (0.9, 0.8, 0.85)]
    records += [{"method": "forward", "noise": "none", "rate": None, "test_accuracy": 0.95},
                {"method": "forward", "noise": "none", "rate": None, "test_accuracy": None}]
    stats = results.summarize(records)
    assert stats[("ce", "symmetric 0.2")] == pytest.approx((85.0, 5.0, 3))
    assert stats[("forward", "none")][2] == 1 and math.isnan(stats[("forward", "none")][1])
    table = results.accuracy_table(records, settings=["none", "symmetric 0.2"]).splitlines()
    assert table[0].split() == ["method", "none", "symmetric", "0.2"]
    assert table[2].split() == ["ce", "-", "85.0", "±", "5.0"] and table[3].split() == ["forward", "95.0", "-"]


def test_estimation_table_averages_the_ce_runs_per_setting():
    records = [_record("ce", "aggre", None, 0.8, seed=s, estimation_error=e, cond_T_hat=c, best_epoch=b)
               for s, e, c, b in [(0, 0.1, 2.0, 3), (1, 0.3, 4.0, 5)]]
    records.append(_record("forward_est", "aggre", None, 0.9, estimation_error=9.0, cond_T_hat=9.0, best_epoch=1))
    assert results.estimation_table(records).split() == [
        "aggre", "error", "0.200", "cond(T_hat)", "3.00", "best", "CE", "epoch", "[3,", "5]"]


def test_comparison_table_puts_published_rows_under_ours():
    records = [_record("ce", "aggre", None, a, seed=s) for s, a in enumerate((0.80, 0.84))]
    table = results.comparison_table(records, {"ce": {"aggre": (87.77, 0.38), "worst": (77.69, None)}}).splitlines()
    assert table[0].split() == ["method", "aggre", "worst"]
    assert table[2].split() == ["ce", "82.0", "±", "2.8", "-"]
    assert table[3].split() == ["ce", "(published)", "87.8", "±", "0.4", "77.7"]


def test_run_summary_counts_trainings_and_sums_their_time():
    common = {"protocol": "cpu", "recipe": {"model": "cifar_resnet", "model_kwargs": {"n": 1}}, "epochs": 15,
              "n_train": 9000, "n_val": 1000, "device": "cpu", "wall_time_s": 90.0}
    records = [_record(m, n, None, 0.8, **common) for m in ("ce", "forward") for n in ("aggre", "worst")]
    records.append(_record("backward_est", "worst", None, None, status="failed", **common))
    assert results.run_summary(records) == (
        "cifar10n: protocol 'cpu', cifar_resnet {'n': 1}, [15] epochs, 9000 train / 1000 val, seeds [0], "
        "2 settings, 4 trainings, 6 min on ['cpu']")


@pytest.mark.skipif(not PAPER_TABLES.exists(), reason="shared/reference/paper_tables.md not beside the repository")
def test_published_cifarn_numbers_match_the_reference_table():
    rows = {}
    for line in PAPER_TABLES.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] in ("CE", "Forward-T", "Backward-T") and len(cells) == 7:
            rows[cells[0]] = cells[1:]
    names = {"CE": "ce", "Forward-T": "forward", "Backward-T": "backward"}
    label_sets = ["aggre", "random1", "random2", "random3", "worst", "cifar100n"]
    assert set(rows) == set(names)
    for row, cells in rows.items():
        for label_set, text in zip(label_sets, cells):
            mean, std = re.fullmatch(r"([\d.]+)(?:±([\d.]+))?", text).groups()
            expected = (float(mean), None if std is None else float(std))
            assert published.CIFARN[names[row]][label_set] == expected, (row, label_set)


@pytest.mark.skipif(not PAPER_TABLES.exists(), reason="shared/reference/paper_tables.md not beside the repository")
def test_published_clothing1m_numbers_match_the_reference_table():
    rows = {}
    for line in PAPER_TABLES.read_text().splitlines():
        cells = [c.strip().strip("*") for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0].isdigit():
            rows[int(cells[0])] = float(cells[5])
    keys = {4: "ce (1M noisy)", 5: "backward_est (1M noisy)", 6: "forward_est (1M noisy)", 7: "ce (50k clean)",
            8: "forward_est (1M noisy), then ce fine-tuned on 50k clean"}
    assert {keys[k]: (rows[k], None) for k in keys} == published.CLOTHING1M


def test_published_values_are_percentages():
    tables = [*published.CIFARN.values(), published.CLOTHING1M, *published.MINI_WEBVISION.values()]
    for table in tables:
        for mean, std in table.values():
            assert 0 < mean < 100 and (std is None or 0 < std < 5)
