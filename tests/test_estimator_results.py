"""Record names that keep each estimator's runs apart, and the estimator tables of book chapter ch-beyond-anchors,
against hand-built records and numpy."""

import json
import math
import re

import numpy as np
import pytest

from lnc import estimate_T, estimation_error
from lnc.experiments.protocol import held_out_estimates, pooled_estimates, posterior_estimates
from lnc.experiments.records import record_name, save_posteriors
from lnc.experiments.results import estimator_stats, loss_gaps
from lnc.experiments.tables import estimator_table

BASE = dict(task="mnist", noise="symmetric", rate=0.2, seed=0)


@pytest.mark.parametrize(
    "extra,name",
    [
        ({}, "mnist_symmetric-0.2_forward_est_seed0"),
        ({"estimator": "anchor", "cross_fit": None}, "mnist_symmetric-0.2_forward_est_seed0"),
        ({"estimator": "dual_t"}, "mnist_symmetric-0.2_forward_est_dual_t_seed0"),
        ({"estimator": "min_volume", "cross_fit": 3}, "mnist_symmetric-0.2_forward_est_min_volume_cf3_seed0"),
        ({"cross_fit": 2}, "mnist_symmetric-0.2_forward_est_cf2_seed0"),
    ],
)
def test_a_record_name_carries_a_non_default_estimator_and_cross_fit(extra, name):
    assert re.fullmatch(
        re.escape(name) + r"_[0-9a-f]{8}\.json", record_name({**BASE, "method": "forward_est", **extra})
    )


@pytest.mark.parametrize(
    "extra,error,match",
    [({"estimator": "../x"}, ValueError, "estimator"), ({"cross_fit": 1}, ValueError, "cross_fit")],
)
def test_a_record_name_refuses_a_bad_estimator_or_cross_fit(extra, error, match):
    with pytest.raises(error, match=match):
        record_name({**BASE, "method": "ce", **extra})


def _ce(seed, in_sample, cross_fit=None):
    estimates = {"in_sample": {n: {"estimation_error": e} for n, e in in_sample.items()}}
    if cross_fit:
        estimates["cross_fit"] = {n: {"estimation_error": e} for n, e in cross_fit.items()}
    return {**BASE, "seed": seed, "method": "ce", "test_accuracy": 0.9, "estimates": estimates}


def _run(method, seed, accuracy, **fields):
    return {**BASE, "seed": seed, "method": method, "test_accuracy": accuracy, **fields}


RECORDS = [
    _ce(0, {"anchor": 0.10, "dual_t": 0.20}),
    _ce(0, {"anchor": 0.10, "dual_t": 0.20}, {"anchor": 0.05, "dual_t": 0.30}),  # the same CE run, another job
    _ce(1, {"anchor": 0.30, "dual_t": 0.20}, {"anchor": 0.15, "dual_t": {"error": "no label 3"}}),
    _run("forward_est", 0, 0.80, estimator="anchor", cross_fit=None),
    _run("forward_est", 1, 0.84, estimator="anchor", cross_fit=None),
    _run("forward_est", 0, 0.70, estimator="dual_t", cross_fit=2),
    _run("volmin", 0, 0.75, estimation_error=0.4),
    _run("forward_est", 0, None, estimator="dual_t", status="failed"),
]
RECORDS[2]["estimates"]["cross_fit"]["dual_t"] = {"error": "no label 3"}


def test_estimator_stats_count_each_ce_run_once_and_average_over_seeds():
    stats = estimator_stats(RECORDS)
    mean, std, n = stats["symmetric 0.2", "anchor", "in_sample"]["error"]
    assert (mean, n) == (pytest.approx(0.2), 2) and std == pytest.approx(np.std([0.1, 0.3], ddof=1))
    assert stats["symmetric 0.2", "anchor", "cross_fit"]["error"][:2] == (
        pytest.approx(0.1),
        pytest.approx(np.std([0.05, 0.15], ddof=1)),
    )
    assert stats["symmetric 0.2", "dual_t", "cross_fit"]["error"][0] == pytest.approx(0.3)  # the failed one left out
    accuracy = stats["symmetric 0.2", "anchor", "in_sample"]["accuracy"]
    assert accuracy[0] == pytest.approx(82.0) and accuracy[2] == 2
    assert stats["symmetric 0.2", "dual_t", "cross_fit"]["accuracy"][0] == pytest.approx(70.0)
    assert "accuracy" not in stats["symmetric 0.2", "dual_t", "in_sample"]  # its only run failed
    volmin = stats["symmetric 0.2", "volmin", "learned"]
    assert volmin["error"][0] == pytest.approx(0.4) and math.isnan(volmin["error"][1])
    assert volmin["accuracy"][0] == pytest.approx(75.0)


def test_estimator_table_has_a_row_per_estimator_then_per_learning_method():
    table = estimator_table(RECORDS, "symmetric 0.2")
    assert table.rows[0][0] == "estimator" and len(table.rows[0]) == 5
    rows = {row[0]: row[1:] for row in table.rows[1:]}
    assert list(rows) == ["anchor", "dual_t", "volmin (learns T)"]
    assert rows["anchor"] == ("0.200 ± 0.141", "0.100 ± 0.071", "82.0 ± 2.8", "-")
    assert rows["dual_t"] == ("0.200 ± 0.000", "0.300", "-", "70.0")
    assert rows["volmin (learns T)"] == ("0.400", "-", "75.0", "-")


def test_estimator_table_leaves_out_the_cross_fitted_columns_when_no_run_has_them():
    in_sample = [r for r in RECORDS if not r.get("cross_fit") and "cross_fit" not in r.get("estimates", {})]
    table = estimator_table(in_sample, "symmetric 0.2")
    assert table.rows[0] == ("estimator", "error, in-sample", "accuracy, in-sample")
    rows = [("anchor", "0.100", "82.0 ± 2.8"), ("dual_t", "0.200", "-"), ("volmin (learns T)", "0.400", "75.0")]
    assert table.rows[1:] == tuple(rows)


def test_estimator_table_refuses_an_unknown_setting():
    with pytest.raises(ValueError, match="key"):
        estimator_table(RECORDS, "asymmetric 0.2")


def test_estimator_table_gives_held_out_errors_their_own_column_and_no_accuracy_column_untrained():
    held_out = [_ce(0, {"anchor": 0.10, "dual_t": 0.20}), _run("forward_est", 0, 0.80, estimator="anchor")]
    held_out[0]["estimates"]["held_out"] = {"anchor": {"estimation_error": 0.06}, "dual_t": {"error": "no label 3"}}
    table = estimator_table(held_out, "symmetric 0.2")
    assert table.rows == (
        ("estimator", "error, in-sample", "error, held-out", "accuracy, in-sample"),
        ("anchor", "0.100", "0.060", "80.0"),  # forward was trained with the in-sample T̂ only
        ("dual_t", "0.200", "-", "-"),
    )
    stats = estimator_stats(held_out)
    nan = pytest.approx(math.nan, nan_ok=True)
    assert stats["symmetric 0.2", "anchor", "held_out"] == {"error": (0.06, nan, 1), "anchor_ratio": (0.6, nan, 1)}


def test_estimator_stats_divide_each_error_by_the_anchor_error_of_the_same_ce_run():
    records = [
        _ce(0, {"anchor": 0.10, "dual_t": 0.05}, {"dual_t": 0.02}),
        _ce(1, {"anchor": 0.40, "dual_t": 0.10}, {"dual_t": 0.30}),
        _ce(2, {"dual_t": 0.20}),  # no anchor estimate: an error, no ratio
        _ce(3, {"anchor": 0.0, "dual_t": 0.20}),  # an exact anchor: no ratio, rather than a division by zero
    ]
    stats = estimator_stats(records)
    ratio = stats["symmetric 0.2", "dual_t", "cross_fit"]["anchor_ratio"]
    assert ratio[0] == pytest.approx(np.mean([0.2, 0.75])) and ratio[2] == 2
    assert ratio[1] == pytest.approx(np.std([0.2, 0.75], ddof=1))
    # the ratio of the means is another number: each seed is divided by its own anchor error
    assert ratio[0] != pytest.approx(np.mean([0.02, 0.30]) / np.mean([0.1, 0.4]))
    assert stats["symmetric 0.2", "dual_t", "in_sample"]["anchor_ratio"][0] == pytest.approx(np.mean([0.5, 0.25]))
    assert stats["symmetric 0.2", "dual_t", "in_sample"]["error"][2] == 4
    assert stats["symmetric 0.2", "anchor", "in_sample"]["anchor_ratio"][:1] == (1.0,)


def _stored_ce(folder, seed, T, *, n=600, n_val=200, anchor_error=0.1, protocol="cpu"):
    """A CE record of three classes with exact posteriors stored beside it (no training); the last ``n_val`` rows are
    its held-out ones."""
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(3, 0.3), n) @ T
    noisy = np.array([rng.choice(3, p=p / p.sum()) for p in probs])
    record = dict(task="mnist", noise="symmetric", rate=0.2, method="ce", seed=seed, protocol=protocol, epochs=1,
                  recipe={"model": "mnist_fc", "quantile": 0.97}, subset=None, T_true=T.tolist(), n_val=n_val,
                  estimates={"in_sample": {"anchor": {"estimation_error": anchor_error}}})  # fmt: skip
    save_posteriors(record, folder, probs, noisy, noisy)
    return record, probs.astype(np.float32)[-n_val:], noisy[-n_val:]


def test_pooled_estimates_read_the_held_out_rows_of_every_seed_as_one_set(tmp_path):
    T = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7]])
    stored = [_stored_ce(tmp_path, seed, T, anchor_error=0.1 * (seed + 1) ** 2) for seed in (2, 0, 1)]
    alone = _stored_ce(tmp_path, 0, T, protocol="paper")[0]  # another run, with one seed: nothing to pool
    records = [r for r, _, _ in stored]
    again = {**records[1], "estimator": "dual_t"}  # the seed-0 network's record of another estimator's job
    forward = {**records[0], "method": "forward"}
    before = json.dumps([*records, again, alone, forward])
    out = pooled_estimates([*records, again, alone, forward], tmp_path)
    assert json.dumps([*records, again, alone, forward]) == before  # nothing changed in place
    assert out[-2] is alone and out[-1] is forward
    pooled = out[0]["estimates"]["pooled"]
    assert all(r["estimates"]["pooled"] == pooled for r in out[:4])  # one estimate for the run, in each record
    by_seed = {r["seed"]: (p, y) for r, p, y in stored}
    probs, noisy = (np.concatenate([by_seed[s][k] for s in (0, 1, 2)]) for k in (0, 1))  # seed-0 rows once
    for name in ("confident_joint", "core_counts"):
        assert pooled[name]["seeds"] == [0, 1, 2]
        T_hat = estimate_T(probs, noisy, method=name)  # the record rounds to 6 digits
        np.testing.assert_allclose(pooled[name]["T_hat"], T_hat, atol=1e-6)
        assert pooled[name]["estimation_error"] == pytest.approx(estimation_error(T_hat, T), abs=1e-6)
    stats = estimator_stats(out)
    error = stats["symmetric 0.2", "core_counts", "pooled"]
    assert error["error"][0] == pytest.approx(pooled["core_counts"]["estimation_error"]) and error["error"][2] == 1
    # over the mean anchor error of the three networks, not of any one of them
    assert error["anchor_ratio"][0] == pytest.approx(
        pooled["core_counts"]["estimation_error"] / np.mean([0.1, 0.4, 0.9])
    )
    assert pooled_estimates(records[:1], tmp_path) == records[:1]  # one seed: nothing to pool
    assert pooled_estimates(records, tmp_path / "elsewhere") == records  # no posteriors there
    with pytest.raises(TypeError, match=r"records\[1\] must be a record"):
        pooled_estimates([records[0], "ce"], tmp_path)


def test_posterior_estimates_add_each_networks_held_out_rows_and_their_pool(tmp_path):
    T = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7]])
    records = [_stored_ce(tmp_path, seed, T, anchor_error=0.1)[0] for seed in (0, 1)]
    before = json.dumps(records)
    out = posterior_estimates(records, tmp_path)
    assert json.dumps(records) == before  # nothing changed in place
    for r, one in zip(out, records):
        assert r["estimates"]["held_out"] == held_out_estimates(one, tmp_path)["estimates"]["held_out"]
        assert r["estimates"]["pooled"]["core_counts"]["seeds"] == [0, 1]
    assert out == pooled_estimates([held_out_estimates(r, tmp_path) for r in records], tmp_path)
    with pytest.raises(TypeError, match=r"records\[1\] must be a record"):
        posterior_estimates([records[0], 3], tmp_path)


def test_loss_gaps_are_validation_minus_training_loss_at_the_kept_epoch_once_per_ce_training():
    curves = {"train_loss": [2.0, 1.0, 0.5], "val_loss": [2.1, 1.4, 1.5]}
    ce = dict(_ce(0, {"anchor": 0.1}), task="mnist", best_epoch=2, curves=curves)
    records = [
        ce,
        {**ce, "estimator": "dual_t"},  # the same CE training, another estimator's job
        {**ce, "seed": 1, "best_epoch": 3},
        {**ce, "seed": 2, "status": "failed", "best_epoch": None},  # a failed training: no kept epoch
        _run("forward", 0, 0.8, task="mnist"),  # not a CE training
    ]
    assert loss_gaps(records) == pytest.approx([0.4, 1.0])
    with pytest.raises(ValueError, match=r"records\[0\]\['curves'\] must reach its kept epoch 4, got 3"):
        loss_gaps([{**ce, "best_epoch": 4}])
    with pytest.raises(ValueError, match=r"records\[0\]\['curves'\] must have the field 'train_loss'"):
        loss_gaps([{**ce, "curves": {"val_loss": [1.0]}}])
    with pytest.raises(TypeError, match=r"records\[0\]\['curves'\]\['train_loss'\]\[1\] must be"):
        loss_gaps([{**ce, "curves": {**curves, "train_loss": [2.0, "1.0"]}}])
    with pytest.raises(ValueError, match=r"records\[0\]\['best_epoch'\] must be"):
        loss_gaps([{**ce, "best_epoch": 0}])


def test_estimator_stats_give_the_noise_each_T_hat_puts_in_one_minus_its_mean_diagonal():
    rng = np.random.default_rng(0)
    T = {seed: rng.dirichlet(np.ones(4), size=4) for seed in (0, 1, 2)}
    records = [_ce(s, {"anchor": 0.1}) for s in (0, 1)] + [_run("volmin", 2, 0.7, estimation_error=0.2)]
    for r in records[:2]:
        r["estimates"]["in_sample"]["anchor"]["T_hat"] = T[r["seed"]].tolist()
    records[2]["T_hat"] = T[2].tolist()
    stats = estimator_stats(records)
    flips = {s: 1 - np.trace(T[s]) / 4 for s in T}  # the off-diagonal mass of a row, averaged over rows
    mean, std, n = stats["symmetric 0.2", "anchor", "in_sample"]["noise"]
    assert (mean, std, n) == (
        pytest.approx((flips[0] + flips[1]) / 2),
        pytest.approx(abs(flips[0] - flips[1]) / 2**0.5),
        2,
    )
    assert stats["symmetric 0.2", "volmin", "learned"]["noise"][0] == pytest.approx(flips[2])
    assert "noise" not in estimator_stats(RECORDS)["symmetric 0.2", "anchor", "in_sample"]  # no T̂ kept


def test_estimator_stats_refuse_a_T_hat_that_is_not_a_transition_matrix():
    records = [_run("volmin", 0, 0.7, estimation_error=0.2, T_hat=[[0.5, 0.5, 0.0]])]
    with pytest.raises(ValueError, match=r"records\[0\] T_hat must be a square"):
        estimator_stats(records)


def test_estimator_table_gives_the_noise_of_each_T_hat_beside_the_true_one():
    T_true = np.array([[0.8, 0.2], [0.4, 0.6]])  # noise 1 - (0.8 + 0.6) / 2 = 0.3
    T_hat = {0: [[0.9, 0.1], [0.3, 0.7]], 1: [[0.7, 0.3], [0.3, 0.7]]}  # noise 0.2 and 0.3
    records = [_ce(s, {"anchor": 0.1}) for s in (0, 1)] + [
        _run("volmin", 0, 0.7, estimation_error=0.2, T_hat=[[1.0, 0.0], [0.5, 0.5]])  # noise 0.25
    ]
    for r in records:
        r["T_true"] = T_true.tolist()
        if r["method"] == "ce":
            r["estimates"]["in_sample"]["anchor"]["T_hat"] = T_hat[r["seed"]]
    table = estimator_table(records, "symmetric 0.2")
    assert table.rows == (
        ("estimator", "error, in-sample", "noise (true: 0.300)", "accuracy, in-sample"),
        ("anchor", "0.100 ± 0.000", f"0.250 ± {np.std([0.2, 0.3], ddof=1):.3f}", "-"),
        ("volmin (learns T)", "0.200", "0.250", "70.0"),
    )
