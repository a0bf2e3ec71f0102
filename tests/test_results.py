"""Result tables: mean ± std over seeds, T̂ quality, our numbers beside published ones, and run summaries."""

import json
import math
import re
import statistics
from pathlib import Path

import numpy as np
import pytest
from conftest import make_record, make_run

from lnc.experiments import prose, published, recipes, results, tables

PAPER_TABLES = Path(__file__).resolve().parents[2] / "shared" / "reference" / "paper_tables.md"


def test_accuracy_table_prints_mean_and_sample_std():
    records = [{"method": "ce", "noise": "symmetric", "rate": 0.2, "test_accuracy": a} for a in (0.9, 0.8, 0.85)]
    records += [
        {"method": "forward", "noise": "none", "rate": None, "test_accuracy": 0.95},
        {"method": "forward", "noise": "none", "rate": None, "test_accuracy": None},
    ]
    stats = results.summarize(records)
    assert stats[("ce", "symmetric 0.2")] == pytest.approx((85.0, 5.0, 3))
    assert stats[("forward", "none")][2] == 1 and math.isnan(stats[("forward", "none")][1])
    table = tables.accuracy_table(records, settings=["none", "symmetric 0.2"]).splitlines()
    assert table[0].split() == ["method", "none", "symmetric", "0.2"]
    assert table[2].split() == ["ce", "-", "85.0", "±", "5.0"] and table[3].split() == ["forward", "95.0", "-"]


def test_estimation_table_averages_the_ce_runs_per_setting():
    records = [
        make_record("ce", "aggre", None, 0.8, seed=s, estimation_error=e, cond_T_hat=c, best_epoch=b)
        for s, e, c, b in [(0, 0.1, 2.0, 3), (1, 0.3, 4.0, 5)]
    ]
    records.append(make_record("forward_est", "aggre", None, 0.9, estimation_error=9.0, cond_T_hat=9.0, best_epoch=1))
    table = tables.estimation_table(records)
    assert table.rows == (
        ("setting", "T̂ error", "cond(T̂)", "best CE epoch per seed"),
        ("aggre", "0.200", "3.00", "3, 5"),
    )


def test_a_table_is_its_text_and_renders_as_html():
    table = tables.Table([["method", "a < b"], ["ce", "85.0 ± 5.0"], ["forward_est", "-"]])
    assert table.splitlines() == [
        "method" + " " * 12 + "a < b",
        "-" * 23,
        "ce" + " " * 11 + "85.0 ± 5.0",
        "forward_est" + " " * 11 + "-",
    ]
    markup = table._repr_html_()
    assert markup.count("<tr>") == 3 and markup.count("<th ") == 2 and markup.count("<td ") == 4
    assert "a &lt; b" in markup and '<td style="text-align:right">85.0 ± 5.0</td>' in markup
    assert ">forward_<wbr>est</td>" in markup  # a narrow column breaks the name after its "_"


def test_comparison_table_puts_published_rows_under_ours():
    records = [make_record("ce", "aggre", None, a, seed=s) for s, a in enumerate((0.80, 0.84))]
    table = tables.comparison_table(records, {"ce": {"aggre": (87.77, 0.38), "worst": (77.69, None)}}).splitlines()
    assert table[0].split() == ["method", "aggre", "worst"]
    assert table[2].split() == ["ce", "82.0", "±", "2.8", "-"]
    assert table[3].split() == ["ce", "(published)", "87.8", "±", "0.4", "77.7"]


def test_run_summary_counts_trainings_and_sums_their_time():
    common = {
        "protocol": "cpu",
        "recipe": {"model": "cifar_resnet", "model_kwargs": {"n": 1}},
        "epochs": 15,
        "n_train": 9000,
        "n_val": 1000,
        "device": "cpu",
        "wall_time_s": 90.0,
    }
    records = [make_record(m, n, None, 0.8, **common) for m in ("ce", "forward") for n in ("aggre", "worst")]
    records.append(make_record("backward_est", "worst", None, None, status="failed", **common))
    records.append({**records[0], "estimator": "dual_t"})  # the same CE network, for another estimator's job
    assert prose.run_summary(records) == (
        "cifar10n: protocol 'cpu', ResNet-8, 15 epochs, 9,000 train / 1,000 val, seed 0, kept by own val. loss, "
        "2 settings, 4 trainings, 6 CPU-minutes"
    )
    records.append({**records[2], "estimator": "dual_t"})  # forward with another T: one more training
    assert "2 settings, 5 trainings, 8 CPU-minutes" in prose.run_summary(records)


def test_span_gives_one_value_when_the_ends_format_alike():
    assert prose.span([60.4, 19.2, 33.0]) == "19–60"
    assert prose.span([39.6, 40.4]) == "40"
    assert prose.span([0.104, 0.196], ".3f") == "0.104–0.196"
    assert prose.span([]) == "none"


def test_cpu_minutes_weights_wall_time_by_threads_and_counts_a_shared_ce_once():
    common = {"protocol": "fast", "recipe": {"model": "fast_net"}, "epochs": 12, "n_train": 45000, "n_val": 5000}
    common |= {"device": "cpu"}
    ce = make_record("ce", "aggre", None, 0.8, wall_time_s=1800.0, threads=2, **common)
    forward = make_record("forward", "aggre", None, 0.8, wall_time_s=1200.0, threads=1, **common)
    failed = make_record("backward", "aggre", None, None, status="failed")
    records = [ce, forward, failed, {**ce, "estimator": "dual_t"}]  # the CE network again, for another estimator
    assert results.cpu_minutes(records) == [20.0, 60.0]
    with pytest.raises(ValueError, match=r"run on the CPU.*\['cuda'\]"):
        results.cpu_minutes([{**ce, "device": "cuda"}])
    with pytest.raises(ValueError, match="field 'threads'"):
        results.cpu_minutes([{k: v for k, v in forward.items() if k != "threads"}])


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
    keys = {
        4: "ce (1M noisy)",
        5: "backward_est (1M noisy)",
        6: "forward_est (1M noisy)",
        7: "ce (50k clean)",
        8: "forward_est (1M noisy), then ce fine-tuned on 50k clean",
    }
    assert {keys[k]: (rows[k], None) for k in keys} == published.CLOTHING1M


def test_published_values_are_percentages():
    tables = [*published.CIFARN.values(), published.CLOTHING1M, *published.MINI_WEBVISION.values()]
    for table in tables:
        for mean, std in table.values():
            assert 0 < mean < 100 and (std is None or 0 < std < 5)


def test_summarize_refuses_a_value_that_no_record_has():
    """Past bug: ``summarize(records, value="test_acc")`` returned ``{}``."""
    records = [make_record("ce", "aggre", None, 0.8)]
    with pytest.raises(ValueError, match=r"value must be a field of the records.*'test_accuracy'.*got 'test_acc'"):
        results.summarize(records, value="test_acc")
    with pytest.raises(TypeError, match=r"records\[0\]\['method'\] must be a real number"):
        results.summarize(records, value="method")
    assert results.summarize([]) == {}


@pytest.mark.parametrize(
    "records, error, match",
    [
        (make_record("ce", "aggre", None, 0.8), TypeError, "records must be a sequence"),
        ("cifar10n_aggre_ce_seed0.json", TypeError, "records must be a sequence"),
        ([["ce", "aggre"]], TypeError, r"records\[0\] must be a record \(a dict\), got list"),
        ([{"method": "ce", "noise": "aggre"}], ValueError, r"records\[0\] must have the field 'rate'"),
    ],
)
def test_tables_refuse_records_that_are_not_a_sequence_of_dicts(records, error, match):
    """Past bug: a single record (a dict) or a str failed with ``AttributeError: 'str' object has no attribute``."""
    for table in (results.summarize, tables.accuracy_table, tables.estimation_table):
        with pytest.raises(error, match=match):
            table(records)
    with pytest.raises(error, match=match):
        tables.comparison_table(records, published.CIFARN)


@pytest.mark.parametrize("digits, error", [(-1, ValueError), (1.5, TypeError), (True, TypeError)])
def test_tables_refuse_digits_that_is_not_an_int_ge_0(digits, error):
    """Past bug: ``digits=-1`` failed inside an f-string with ``Format specifier missing precision``."""
    records = [make_record("ce", "aggre", None, 0.8, estimation_error=0.1, cond_T_hat=2.0, best_epoch=1)]
    for table in (
        tables.accuracy_table,
        tables.estimation_table,
        lambda r, digits: tables.comparison_table(r, published.CIFARN, digits=digits),
    ):
        with pytest.raises(error, match="digits must be an int"):
            table(records, digits=digits)


def test_accuracy_table_refuses_methods_and_settings_that_are_not_names_in_records():
    """Past bug: ``methods="ce"`` made a row per letter, and a misspelt method a row of ``-``."""
    records = [make_record("ce", "aggre", None, 0.8), make_record("forward", "aggre", None, 0.9)]
    with pytest.raises(TypeError, match="methods must be a sequence"):
        tables.accuracy_table(records, methods="ce")
    with pytest.raises(TypeError, match=r"settings\[0\] must be a str, got float"):
        tables.accuracy_table(records, settings=[0.2])
    with pytest.raises(ValueError, match=r"methods must each be one of \['ce', 'forward'\], got 'forwrd'"):
        tables.accuracy_table(records, methods=["ce", "forwrd"])
    with pytest.raises(ValueError, match="settings must each be one of.*got 'agre'"):
        tables.comparison_table(records, published.CIFARN, settings=["agre"])


@pytest.mark.parametrize(
    "table, error, match",
    [
        ({"ce": {"aggre": (87.77,)}}, TypeError, r"published\['ce'\]\['aggre'\] must be a \(mean, std or None\) pair"),
        ({"ce": {"aggre": 87.77}}, TypeError, r"published\['ce'\]\['aggre'\] must be a \(mean, std or None\) pair"),
        ({"ce": {"aggre": ("87.77", None)}}, TypeError, r"published\['ce'\]\['aggre'\]\[0\] must be a real number"),
        ({"ce": {"aggre": (87.77, -0.4)}}, ValueError, r"published\['ce'\]\['aggre'\]\[1\] must be a std >= 0 or None"),
        ({"ce": {"aggre": (math.nan, None)}}, ValueError, r"published\['ce'\]\['aggre'\]\[0\] must be finite, got nan"),
        (published.CLOTHING1M, TypeError, r"published\['ce \(1M noisy\)'\] must be a dict"),
        ([("ce", {"aggre": (87.77, 0.38)})], TypeError, "published must be a dict"),
        ({}, ValueError, "published must hold at least one method"),
    ],
)
def test_comparison_table_refuses_a_malformed_published_table(table, error, match):
    """Past bug: a cell that is not a ``(mean, std)`` pair failed with ``_cell() missing 'digits'``."""
    with pytest.raises(error, match=match):
        tables.comparison_table([make_record("ce", "aggre", None, 0.8)], table)


def test_estimation_table_refuses_records_without_ce_runs():
    """Past bug: records without a CE run gave an empty table."""
    with pytest.raises(ValueError, match=r"records must hold CE runs.*got the methods \['forward'\]"):
        tables.estimation_table([make_record("forward", "aggre", None, 0.8)])


def test_run_summary_reports_a_task_whose_runs_all_failed():
    """Past bug: a task with only failed runs raised ``IndexError: list index out of range``."""
    failed = [
        {**make_run("forward_est", n, task="mnist"), "status": "failed", "test_accuracy": None}
        for n in ("aggre", "worst", "random1")
    ]
    assert prose.run_summary([make_run("ce", "aggre"), *failed]).splitlines() == [
        "cifar10n: protocol 'cpu', mnist_fc, 2 epochs, 90 train / 10 val, seed 0, kept by own val. loss, "
        "1 setting, 1 training, 1 CPU-minute",
        "mnist: no successful run (3 failed)",
    ]


def test_run_summary_refuses_no_records():
    """Past bug: no records gave an empty summary."""
    with pytest.raises(ValueError, match="records must be a non-empty sequence"):
        prose.run_summary([])


def test_correction_table_gives_means_the_forward_gap_and_the_backward_est_spread():
    records = [make_record("ce", "aggre", None, 0.60, seed=s) for s in (0, 1)]
    records += [make_record("forward", "aggre", None, a, seed=s) for s, a in ((0, 0.70), (1, 0.72))]
    records += [make_record("forward_est", "aggre", None, a, seed=s) for s, a in ((0, 0.65), (1, 0.69))]
    records += [make_record("backward_est", "aggre", None, a, seed=s) for s, a in ((0, 0.50), (1, 0.54))]
    lines = tables.correction_table(records).splitlines()
    assert lines[0].split() == [
        "task",
        "setting",
        "ce",
        "forward",
        "forward_est",
        "backward",
        "backward_est",
        "forward_est",
        "-",
        "forward",
        "backward_est",
        "std",
    ]
    std = statistics.stdev([50.0, 54.0])  # percent, ddof = 1
    assert lines[2].split() == ["cifar10n", "aggre", "60.0", "71.0", "67.0", "-", "52.0", "-4.0", f"{std:.1f}"]


def test_gain_table_sets_our_gain_over_ce_beside_the_published_one():
    records = [
        make_record("ce", "worst", None, 0.55),
        make_record("forward", "worst", None, 0.58),
        make_record("forward_est", "worst", None, 0.50),
    ]
    table = tables.gain_table(records, published.CIFARN, ["worst", "aggre"])
    rows = [line.split() for line in table.splitlines()[2:]]
    paper = published.CIFARN["forward"]["worst"][0] - published.CIFARN["ce"]["worst"][0]
    assert rows[0] == ["worst", "+3.0", "-5.0", f"{paper:+.1f}"]
    assert rows[1][:3] == ["aggre", "-", "-"]


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ([True, True], "holds"),
        ([True, False, False], "holds in part (1 of 3)"),
        ([False], "does not hold"),
        ([], "not tested"),
        (iter([np.bool_(True)]), "holds"),
    ],
)
def test_a_verdict_counts_the_cases_a_claim_holds_in(flags, expected):
    assert prose.verdict(flags) == expected


def test_a_listing_names_the_cases_or_none():
    assert prose.listing(["a", "b"]) == "a; b" and prose.listing([], ", ") == "none"
    assert prose.listing((s for s in ["x"]), ", ") == "x"


def _grid(settings, methods=("ce", "forward"), seeds=(0,)):
    """Records of every method and seed in each ``(noise, rate)`` setting; accuracy 0.5 + rate / 10 + seed / 100."""
    return [
        make_record(m, noise, rate, 0.5 + (rate or 0) / 10 + s / 100, seed=s)
        for noise, rate in settings
        for s in seeds
        for m in methods
    ]


def test_accuracy_tables_make_one_table_per_noise_kind_with_the_noise_free_reference():
    records = _grid([("none", None), ("symmetric", 0.2), ("asymmetric", 0.2), ("symmetric", 0.6)], seeds=(0, 1))
    split = tables.accuracy_tables(records, methods=["forward", "ce"])
    assert [heading for heading, _ in split] == ["Symmetric noise", "Asymmetric noise"]
    symmetric = split[0][1].rows
    assert symmetric[0] == ("method", "none", "symmetric 0.2", "symmetric 0.6")
    # seeds 0 and 1: mean 0.5 + rate / 10 + 0.005, sample std 0.01 / sqrt(2) = 0.0071 -> 0.7 points
    assert symmetric[1] == ("forward", "50.5 ± 0.7", "52.5 ± 0.7", "56.5 ± 0.7")
    assert [row[0] for row in symmetric[1:]] == ["forward", "ce"]
    assert split[1][1].rows[0] == ("method", "none", "asymmetric 0.2")


def test_accuracy_tables_cut_a_long_group_and_gather_the_label_sets():
    rates = [0.1, 0.2, 0.3, 0.4, 0.5]
    records = _grid([("none", None), *(("asymmetric", r) for r in rates), ("aggre", None), ("worst", None)])
    split = tables.accuracy_tables(records, columns=3, digits=0)
    assert [heading for heading, _ in split] == [
        "Asymmetric noise, part 1 of 3",
        "Asymmetric noise, part 2 of 3",
        "Asymmetric noise, part 3 of 3",
        "Label sets",
    ]
    assert [t.rows[0][1:] for _, t in split] == [
        ("none", "asymmetric 0.1", "asymmetric 0.2"),
        ("none", "asymmetric 0.3", "asymmetric 0.4"),
        ("none", "asymmetric 0.5"),
        ("none", "aggre", "worst"),
    ]
    assert split[2][1].rows[1] == ("ce", "50", "55")  # one seed: no ±; 0.5 + 0.5 / 10


def test_accuracy_tables_of_noise_free_records_only_or_of_none():
    ((heading, table),) = tables.accuracy_tables(_grid([("none", None)]))
    assert heading == "No noise" and table.rows == (("method", "none"), ("ce", "50.0"), ("forward", "50.0"))
    assert tables.accuracy_tables([]) == []
    ((heading, table),) = tables.accuracy_tables(_grid([("aggre", None)]))  # no reference column
    assert heading == "Label sets" and table.rows[0] == ("method", "aggre")


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"columns": 1}, ValueError, "columns must be an int >= 2"),
        ({"columns": 2.5}, TypeError, "columns must be an int"),
        ({"methods": ["ce", "forwrd"]}, ValueError, "methods must each be one of .*got 'forwrd'"),
        ({"digits": -1}, ValueError, "digits must be an int"),
    ],
)
def test_accuracy_tables_refuse_bad_arguments(kwargs, error, match):
    records = _grid([("none", None), ("symmetric", 0.2)])
    with pytest.raises(error, match=match):
        tables.accuracy_tables(records, **kwargs)
    with pytest.raises(TypeError, match="records must be a sequence"):
        tables.accuracy_tables(records[0])


CPU_RESNET = {
    "model": "cifar_resnet",
    "epochs": 15,
    "optimizer": "sgd",
    "lr": 0.1,
    "momentum": 0.9,
    "weight_decay": 2e-4,
    "decay_all": False,
    "milestones": [10, 12],
    "batch_size": 64,
    "augment": "shift",
    "normalize": "pixel_mean",
    "quantile": 0.97,
    "model_kwargs": {"n": 1},
}


def test_describe_recipe_names_network_schedule_decay_and_preprocessing():
    assert prose.describe_recipe(CPU_RESNET) == (
        "ResNet-8 (cifar_resnet, n=1), 15 epochs, SGD (lr 0.1, momentum 0.9, batch 64, lr / 10 after epochs 10 and "
        "12), weight decay 0.0002 on the kernels, random shifts and horizontal flips, per-pixel mean subtraction"
    )
    # a step after the epochs run is left out, and one epoch is singular
    assert "1 epoch, SGD (lr 0.1, momentum 0.9, batch 64), weight" in prose.describe_recipe(CPU_RESNET, epochs=1)
    assert "lr / 10 after epoch 10)" in prose.describe_recipe(CPU_RESNET, epochs=11)


def test_describe_recipe_reads_a_recipe_object_as_its_fields():
    from lnc.experiments.recipes import Recipe

    recipe = Recipe("mnist_fc", 40, normalize="scale")
    assert prose.describe_recipe(recipe) == (
        "mnist_fc, 40 epochs, Adagrad (lr 0.01, batch 128), no weight decay, no augmentation, pixels / 255"
    )
    fast = Recipe("fast_net", 12, optimizer="sgd", lr=0.2, momentum=0.85, nesterov=True, schedule="triangle")
    assert "SGD (lr 0.2, Nesterov momentum 0.85, batch 128, triangular learning-rate schedule)" in (
        prose.describe_recipe(fast)
    )


@pytest.mark.parametrize(
    "recipe, epochs, error, match",
    [
        ("cifar_resnet", None, TypeError, "recipe must be a record"),
        ({k: v for k, v in CPU_RESNET.items() if k != "lr"}, None, ValueError, "recipe must have the field 'lr'"),
        ({**CPU_RESNET, "augment": "mixup"}, None, ValueError, r"recipe\['augment'\] must be one of"),
        (CPU_RESNET, 0, ValueError, "epochs must be an int >= 1"),
        (CPU_RESNET, 2.0, TypeError, "epochs must be an int"),
    ],
)
def test_describe_recipe_refuses_bad_input(recipe, epochs, error, match):
    with pytest.raises(error, match=match):
        prose.describe_recipe(recipe, epochs=epochs)


def _run_record(seed, **changes):
    record = {
        "task": "cifar10",
        "protocol": "cpu",
        "recipe": CPU_RESNET,
        "epochs": 15,
        "subset": 10000,
        "n_train": 9000,
        "n_val": 1000,
        "n_test": 10000,
        "seed": seed,
        "device": "cpu",
        "torch_version": "2.13.0",
        "method": "ce",
        "noise": "symmetric",
        "rate": 0.4,
        "status": "ok",
    }
    return {**record, **changes}


def test_describe_records_states_the_protocol_of_the_successful_runs():
    records = [_run_record(1), _run_record(0, device="cuda"), _run_record(7, status="failed", device="mps")]
    assert prose.describe_records(records) == (
        "cifar10, protocol 'cpu': ResNet-8 (cifar_resnet, n=1), 15 epochs, SGD (lr 0.1, momentum 0.9, batch 64, "
        "lr / 10 after epochs 10 and 12), weight decay 0.0002 on the kernels, random shifts and horizontal flips, "
        "per-pixel mean subtraction; 9,000 training and 1,000 noisy-validation examples (a seeded subset of 10,000), "
        "10,000 test examples; the epoch of the lowest value of each run's own loss on the noisy validation split "
        "(the paper's choice) kept; seeds 0, 1; device cpu, cuda; torch 2.13.0"
    )  # records written before the field 'selection' existed: the paper's choice, the only one then
    one = prose.describe_records(
        [_run_record(0, epochs=1, subset=None, n_train=45000, n_val=5000, selection="val_accuracy")]
    )
    assert ", 1 epoch, SGD (lr 0.1, momentum 0.9, batch 64), " in one
    assert "; 45,000 training and 5,000 noisy-validation examples, 10,000 test examples; the epoch of the " in one
    assert "; the epoch of the highest noisy-validation accuracy kept; seeds 0;" in one
    assert "; device cpu; precision bf16, fp32; torch" in prose.describe_records(
        [_run_record(0, precision="fp32"), _run_record(1, precision="bf16"), _run_record(2)]
    )
    newer = _run_record(1, recipe={**CPU_RESNET, "clip_norm": None})  # a recipe field added since, at its default
    assert prose.describe_records([_run_record(0), newer]) == prose.describe_records([_run_record(0)]).replace(
        "seeds 0;", "seeds 0, 1;"
    )


@pytest.mark.parametrize(
    "records, error, match",
    [
        ([], ValueError, "records must"),
        (_run_record(0), TypeError, "records must be a sequence"),
        ([_run_record(0, status="failed")], ValueError, "records must hold a successful run, got 1 failed"),
        ([{k: v for k, v in _run_record(0).items() if k != "n_val"}], ValueError, "must have the field 'n_val'"),
        ([_run_record(0), _run_record(1, task="cifar100")], ValueError, "records must share one 'task'"),
        ([_run_record(0), _run_record(1, recipe={**CPU_RESNET, "lr": 0.01})], ValueError, "share one 'recipe'"),
        ([_run_record(0), _run_record(1, selection="val_accuracy")], ValueError, "share one 'selection'"),
    ],
)
def test_describe_records_refuses_records_of_no_single_grid(records, error, match):
    with pytest.raises(error, match=match):
        prose.describe_records(records)


def test_paired_differences_subtract_the_baseline_of_the_same_seed():
    """Brute force: the per-seed differences of hand-made runs; a seed without a CE run is not paired."""
    accuracy = {("ce", 0): 0.80, ("ce", 1): 0.70, ("forward", 0): 0.83, ("forward", 1): 0.74, ("forward", 2): 0.99}
    runs = [make_record(m, "worst", None, a, seed=s) for (m, s), a in accuracy.items()]
    mean, std, n = results.paired_differences(runs)["forward", "worst"]
    assert (mean, std, n) == pytest.approx((3.5, statistics.stdev([3.0, 4.0]), 2))
    table = tables.paired_table(runs)
    assert "forward - ce" in table and "+3.5 ± 0.7 (2)" in table


def test_paired_differences_refuse_an_unknown_baseline_and_a_seed_twice():
    runs = [make_record("ce", "worst", None, 0.8), make_record("forward", "worst", None, 0.9)]
    with pytest.raises(ValueError, match="baseline must be a method of records, got 'CE'"):
        results.paired_differences(runs, baseline="CE")
    with pytest.raises(ValueError, match="seed 0 twice"):
        results.paired_differences([*runs, make_record("ce", "worst", None, 0.7)])


def test_epochs_table_sets_the_epoch_counts_of_a_training_side_by_side():
    def run(method, noise, epochs, best, accuracy, seed=0, **extra):
        return make_run(method, noise, epochs=epochs, best_epoch=best, test_accuracy=accuracy, seed=seed, **extra)

    records = [
        run("ce", "aggre", 20, 20, 0.8467),
        run("ce", "aggre", 40, 31, 0.8712),
        run("ce", "aggre", 30, 30, 0.86, seed=1),  # seed 1 ran one count only
        run("forward", "aggre", 20, 20, 0.8568),  # one count: no row
        run("ce", "random1", 20, 19, 0.8271),
        run("ce", "random1", 40, None, None, status="failed"),  # failed: not a count of random1's
        run("ce", "random2", 20, 20, 0.8),
        run("ce", "random2", 40, 40, None),  # no accuracy: not a count either
    ]
    table = tables.epochs_table(records)
    assert table.rows == (
        ("setting, method, seed", "20 epochs", "40 epochs"),
        ("aggre, ce, 0", "84.7 (epoch 20)", "87.1 (epoch 31)"),
    )
    assert tables.epochs_table(records[:1]).rows == (("setting, method, seed",),)  # nothing to compare
    one = tables.epochs_table([run("ce", "aggre", 1, 1, 0.1), run("ce", "aggre", 2, 2, 0.2)])
    assert one.rows[0] == ("setting, method, seed", "1 epoch", "2 epochs")
    with pytest.raises(ValueError, match=r"records\[0\] must have the field 'best_epoch'"):
        tables.epochs_table([make_run("ce", "aggre", epochs=20)])
    with pytest.raises(ValueError, match="digits"):
        tables.epochs_table(records, digits=-1)


def test_clip_table_reads_the_clip_norm_lines(tmp_path):
    path = tmp_path / "clip_norm.jsonl"
    lines = [
        dict(method="backward", epochs=12, clip_norm=c, test_accuracy_by_selection={"val_accuracy": a},
             epoch_by_selection={"val_accuracy": e})
        for c, a, e in ((1.0, 0.6317, 12), (None, 0.45, 3))
    ]  # fmt: skip
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    table = tables.clip_table(path)
    assert re.search(r"none.*\b1\b", table, re.S)  # no clipping first
    assert "45.0 (epoch 3)" in table and "63.2 (epoch 12)" in table
    path.write_text(json.dumps({"method": "ce"}) + "\n")
    with pytest.raises(ValueError, match="line 1 of clip_norm.jsonl"):
        tables.clip_table(path)
    with pytest.raises(ValueError, match="no such file"):
        tables.clip_table(tmp_path / "missing.jsonl")


def test_selection_table_shows_both_criteria_on_the_same_runs():
    runs = [
        make_record("backward", "worst", None, a, seed=s, test_accuracy_by_selection={"val_accuracy": a, "val_loss": b})
        for s, a, b in ((0, 0.80, 0.40), (1, 0.70, 0.50))
    ]
    table = tables.selection_table(runs)
    assert re.search(r"backward, kept by noisy-val\. accuracy\s+75\.0 ± 7\.1", table)
    assert re.search(r"backward, kept by its own val\. loss\s+45\.0 ± 7\.1", table)
    with pytest.raises(ValueError, match=r"records\[0\]\['test_accuracy_by_selection'\]"):
        tables.selection_table([make_record("ce", "worst", None, 0.8, test_accuracy_by_selection={"val_loss": 0.8})])


def test_shown_run_says_whether_the_run_is_reduced_and_names_each_failed_training():
    paper = recipes.get_recipe("cifar10", "paper")
    timed = dict(wall_time_s=60.0, threads=1)
    runs = [_run_record(0, **timed), _run_record(1, status="failed", error="T_hat is singular", method="backward_est")]
    text = prose.shown_run(runs, paper, "the paper’s")
    assert text.startswith(
        "**The run shown here: a reduced protocol on a subset of 10,000, not the paper’s.** cifar10, protocol 'cpu'"
    )
    whole = prose.shown_run([{**r, "subset": None, "protocol": "fast"} for r in runs], paper, "the paper’s")
    assert whole.startswith("**The run shown here: all the training data, under another protocol than the paper’s.**")
    same = [{**r, "subset": None, "protocol": "paper", "epochs": paper.epochs} for r in runs]
    assert prose.shown_run(same, paper, "the paper’s").startswith("**The run shown here.** cifar10, protocol 'paper'")
    assert "**Failed trainings: 1 of 2**" in text and "`backward_est`, seed 1: T_hat is singular" in text
    assert prose.failed_trainings([_run_record(0)]) == "All 1 trainings finished."
    with pytest.raises(TypeError, match="reference must be an lnc.experiments.recipes.Recipe"):
        prose.shown_run(runs, "paper", "the paper’s")


def test_backward_table_reads_each_backward_run_beside_ce_of_the_same_seed():
    T = [[0.8, 0.2], [0.3, 0.7]]  # inverse [[1.4, -0.4], [-0.6, 1.6]]
    curves = {"train_loss": [0.9, -0.1, -0.5], "val_accuracy": [0.6, 0.7, 0.65], "clipped": [1.0, 0.5, 0.0]}
    runs = [
        make_record("ce", "aggre", None, 0.8, seed=0, curves={"train_loss": [1.0, 0.7, 0.4]}),
        make_record("ce", "aggre", None, 0.8, seed=1, curves={"train_loss": [1.0, 0.7, 0.3]}),
        make_record("backward", "aggre", None, 0.75, seed=1, T_true=T, best_epoch=2, curves=curves),
        make_record("backward_est", "aggre", None, 0.5, seed=2, T_hat=T, best_epoch=3, diverged=True,
                    curves={**curves, "train_loss": [1.0, None, -2e6]}),
    ]  # fmt: skip
    table = tables.backward_table(runs)
    s = np.sqrt(np.linalg.eigvalsh(np.array(T).T @ np.array(T)))  # singular values, for the 2-norm cond
    cond = f"{s.max() / s.min():.1f}"
    assert table.rows[1] == ("aggre", "backward", "1", cond, "-0.60", "2", "-0.50 (0.30)", "50", "2 / 3", "70.0",
                             "75.0")  # fmt: skip
    assert table.rows[2][5:9] == ("3", "-2.00e+06", "50", "3 / 2 (diverged)")
    assert len(table.rows) == 3  # CE runs are only the reference
    with pytest.raises(ValueError, match=r"records\[0\] must have the field 'T_true'"):
        tables.backward_table([make_record("backward", "aggre", None, 0.7, curves=curves, best_epoch=1)])


def test_estimator_benchmark_table_sets_every_estimator_side_by_side_per_task_and_setting():
    def ce(task, seed, errors):
        estimates = {"cross_fit": {n: {"estimation_error": e} for n, e in errors.items()}}
        return make_record("ce", "symmetric", 0.4, 0.9, seed=seed, task=task, estimates=estimates)

    runs = [ce("mnist", 0, {"anchor": 0.2, "core_counts": 0.10}), ce("mnist", 1, {"anchor": 0.4, "core_counts": 0.12}),
            ce("fashion_mnist", 0, {"anchor": 0.1})]  # fmt: skip
    runs.append(make_record("forward_est", "symmetric", 0.4, 0.8, task="mnist", estimator="anchor", cross_fit=2))
    table = tables.estimator_benchmark_table(runs, "cross_fit")
    assert table.rows == (
        ("setting", "anchor", "core_counts"),
        ("mnist symmetric 0.4", "0.300 ± 0.141", "0.110 ± 0.014 *"),  # two seeds, the table's most
        ("fashion_mnist symmetric 0.4", "0.100 (1) *", "-"),
    )
    T = [[0.6, 0.4], [0.4, 0.6]]
    floored = [{**r, "T_true": T, "T_train": [[0.7, 0.3], [0.4, 0.6]] if r["seed"] else T} for r in runs[:3]]
    assert [row[:3] for row in tables.estimator_benchmark_table(floored, "cross_fit").rows] == [
        ("setting", "labels' own T", "anchor"),
        ("mnist symmetric 0.4", "0.050 ± 0.071", "0.300 ± 0.141"),  # errors 0 and 0.2 / 2
        ("fashion_mnist symmetric 0.4", "0.000", "0.100 (1) *"),
    ]
    accuracy = tables.estimator_benchmark_table(runs, "cross_fit", "accuracy")
    assert accuracy.rows[1:] == (("mnist symmetric 0.4", "80.0 *", "-"),)
    with pytest.raises(
        ValueError, match=r"kind must each be one of \['cross_fit', 'held_out', 'in_sample', 'pooled'\], got 'learned'"
    ):
        tables.estimator_benchmark_table(runs, "learned")
    with pytest.raises(ValueError, match="estimators must each be one of .*got 'dual_t'"):
        tables.estimator_benchmark_table(runs, "cross_fit", estimators=["dual_t"])


def test_count_of_names_the_cases_or_says_none():
    assert prose.count_of(["a", "b"], 4, "settings") == "2 of 4 settings (a, b)"
    assert prose.count_of([], 3, "label sets") == "none of the 3 label sets"
    with pytest.raises(ValueError, match="total"):
        prose.count_of(["a", "b"], 1, "settings")
    with pytest.raises(TypeError, match="items"):
        prose.count_of("ab", 2, "settings")
