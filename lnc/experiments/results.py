"""Result records of :func:`lnc.experiments.protocol.run_protocol` as numbers: means ± std over seeds, paired
differences, the estimators' errors, CPU time, and the checks of the record fields they read. Their files, identity
and resume live in :mod:`lnc.experiments.records`; their tables in :mod:`lnc.experiments.tables`, their protocol in
words in :mod:`lnc.experiments.prose`.

Test accuracies come out × 100 (%); records of one method and noise setting are averaged over seeds only when they
agree on every other identity field.
"""

import json
import math
from collections import defaultdict
from collections.abc import Mapping
from functools import partial

import numpy as np

from .._checks import (
    check_choice,
    check_fields,
    check_int,
    check_rate,
    check_real,
    check_sequence,
    check_str,
    check_transition_matrix,
)
from ..metrics import flip_rate
from .records import IDENTITY, identity


def setting(record):
    """The noise setting of a record as a column label: ``"none"``, ``"symmetric 0.2"``, ``"aggre"``, ..."""
    record = _check_record(record, name="record", fields=("noise", "rate"))
    return record["noise"] if record["rate"] is None else f"{record['noise']} {record['rate']:g}"


def summarize(records, value="test_accuracy"):
    """``{(method, setting): (mean, std, n)}`` of ``value`` × 100 over seeds (std with ddof = 1; NaN if n = 1).

    Failed runs (``value`` is ``None``) are left out of the mean and counted in neither. No records give ``{}``.

    Raises
    ------
    TypeError
        ``records`` is not a sequence of dicts, ``value`` is not a str, or a record's ``value`` is not a number.
    ValueError
        A record lacks ``method``, ``noise`` or ``rate``, no record has the field ``value``, or a record's ``value``
        is not finite or out of its range (:data:`RECORD_FIELDS`: a test accuracy lies in [0, 1]).
    """
    if not isinstance(value, str):
        raise TypeError(f"value must be a str (a field of the records), got {type(value).__name__}")
    records = _check_records(records, optional=(value,))
    if records and not any(value in r for r in records):
        raise ValueError(f"value must be a field of the records, one of {_fields(records)}, got {value!r}")
    groups, runs = defaultdict(list), defaultdict(list)
    for k, r in enumerate(records):
        if r.get(value) is not None:
            number = check_real(r[value], name=f"records[{k}][{value!r}]", signed=True)
            groups[(r["method"], setting(r))].append(100.0 * number)
            runs[(r["method"], setting(r))].append(identity(r))
    for key, identities in runs.items():
        _check_one_setting(key, identities)
    return {key: _mean_std(v) for key, v in groups.items()}


def _mean_std(values):
    """``(mean, std, n)`` of a non-empty list of numbers, ``std`` with ddof = 1 (NaN for one value)."""
    return float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else math.nan, len(values)


def _check_one_setting(key, identities):
    """Refuse to average the records of ``key`` (method, setting) unless they are the runs of one setting, one per
    seed: equal on every identity field but ``seed`` (:data:`lnc.experiments.records.IDENTITY`)."""
    for field in IDENTITY:
        values = list(dict.fromkeys(json.dumps(i.get(field), sort_keys=True) for i in identities))
        if field != "seed" and len(values) > 1:
            shown = ", ".join(v if len(v) <= 40 else v[:37] + "..." for v in values[:3])
            raise ValueError(
                f"records of {key[0]!r} at {key[1]!r} must be runs of one setting to be averaged over seeds, got "
                f"{len(values)} values of {field!r} ({shown}); select one, e.g. load_records(folder, {field}=...)"
            )
    seeds = [i["seed"] for i in identities if i["seed"] is not None]  # hand-made records may have no seed
    twice = [seed for seed in dict.fromkeys(seeds) if seeds.count(seed) > 1]
    if twice:
        raise ValueError(f"records of {key[0]!r} at {key[1]!r} must hold each seed once, got seed {twice[0]!r} twice")


def paired_differences(records, baseline="ce"):
    """``{(method, setting): (mean, std, n)}`` of the paired difference of test accuracy (points): each method's run
    minus ``baseline``'s run of the same seed and setting, over the ``n`` seeds run with both (std with ddof = 1;
    NaN if n = 1). Pairing takes out what a seed changes for every method alike (its split and initialisation).

    Raises
    ------
    TypeError, ValueError
        As :func:`summarize` (runs of one setting per method and setting, each seed once); a record with a test
        accuracy lacks ``seed``; ``baseline`` is not a method of ``records``.
    """
    records = _check_records(records, optional=("test_accuracy",))
    summarize(records)  # one setting per (method, setting), each seed once
    if check_str(baseline, name="baseline") not in {r["method"] for r in records}:
        raise ValueError(f"baseline must be a method of records, got {baseline!r}")
    ok = [_check_record(r, name=f"records[{k}]", fields=("seed",))
          for k, r in enumerate(records) if r.get("test_accuracy") is not None]  # fmt: skip
    accuracy = {(r["method"], setting(r), r["seed"]): 100.0 * r["test_accuracy"] for r in ok}
    groups = defaultdict(list)
    for (method, key, seed), value in accuracy.items():
        if method != baseline and (baseline, key, seed) in accuracy:
            groups[method, key].append(value - accuracy[baseline, key, seed])
    return {key: _mean_std(v) for key, v in groups.items()}


def _mean_of(records, field):
    """Mean of ``field`` over the records that have a value (``None``: no true T, or an infinite cond); NaN if none."""
    values = [r[field] for r in records if r.get(field) is not None]
    return float(np.mean(values)) if values else math.nan


def cpu_minutes(records):
    """The CPU time of each training of ``records`` in minutes, ``wall_time_s × threads / 60``, sorted ascending:
    successful records only, a CE record repeated by the jobs of other estimators counted once.

    Raises
    ------
    TypeError, ValueError
        ``records`` is not a sequence of dicts; a successful record lacks ``wall_time_s``, ``threads`` or a field of
        :data:`SUMMARY_FIELDS`, or ran on a GPU (its wall time is not CPU time).
    """
    records = _check_records(records, fields=("task",), optional=("status",))
    ok = _successful(records, (*SUMMARY_FIELDS, "method", "threads"))
    gpu = sorted({r["device"] for r in ok} - {"cpu"})
    if gpu:
        raise ValueError(f"records must have run on the CPU for CPU minutes, got device {gpu}")
    ok = {(r["task"], training_key(r)): r for r in ok}.values()
    return sorted(r["wall_time_s"] * r["threads"] / 60 for r in ok)


def loss_gaps(records):
    """Per CE training of ``records`` (successful ones; a CE record repeated by the jobs of other estimators counted
    once), its noisy-validation loss minus its training loss at the kept epoch (``best_epoch``), from its
    ``curves``: how much closer the network fits the rows it trained on than held-out ones. The training loss is the
    epoch's running mean, on augmented inputs where the recipe augments. Sorted ascending.

    Raises
    ------
    TypeError, ValueError
        ``records`` is not a sequence of dicts; a successful CE record lacks ``seed``, ``best_epoch`` (>= 1) or
        ``curves`` (with ``val_loss`` and ``train_loss``), or its curves are shorter than its kept epoch.
    """
    records = _check_records(records, fields=("task", "method"), optional=("status",))
    trainings = {}
    for k, r in enumerate(records):
        if r["method"] == "ce" and r.get("status", "ok") == "ok":
            _check_record(r, name=f"records[{k}]", fields=("seed", "best_epoch", "curves"),
                          optional=("subset", "estimator", "cross_fit"))  # fmt: skip
            trainings.setdefault((r["task"], training_key(r)), (k, r))
    gaps = []
    for k, r in trainings.values():
        curves = _check_record(r["curves"], name=f"records[{k}]['curves']", fields=("val_loss", "train_loss"))
        epoch = check_int(r["best_epoch"], name=f"records[{k}]['best_epoch']", low=1)
        val, train = curves["val_loss"], curves["train_loss"]
        if min(len(val), len(train)) < epoch:
            raise ValueError(f"records[{k}]['curves'] must reach its kept epoch {epoch}, got {len(val)} validation "
                             f"and {len(train)} training losses")  # fmt: skip
        losses = [check_real(c[epoch - 1], name=f"records[{k}]['curves'][{n!r}][{epoch - 1}]", signed=True)
                  for n, c in (("val_loss", val), ("train_loss", train))]  # fmt: skip
        gaps.append(losses[0] - losses[1])
    return sorted(gaps)


def _successful(records, fields):
    """The successful ones (``status`` ``"ok"`` or absent) of the checked ``records``, each checked to hold
    ``fields`` (and the fields that tell a training apart, where it has them)."""
    return [
        _check_record(r, name=f"records[{k}]", fields=fields, optional=("subset", "estimator", "cross_fit"))
        for k, r in enumerate(records)
        if r.get("status", "ok") == "ok"
    ]


SUMMARY_FIELDS = ("protocol", "recipe", "epochs", "n_train", "n_val", "seed", "noise", "rate", "wall_time_s", "device")
"""The fields :func:`run_summary` reads from a successful record."""


def training_key(record):
    """What tells one training from another: a CE network serves every estimator of its job, so the CE records of
    jobs that differ only in ``estimator`` or ``cross_fit`` are one training."""
    fields = ("noise", "rate", "seed", "protocol", "subset", "epochs", "method")
    fields += () if record["method"] == "ce" else ("estimator", "cross_fit")
    return tuple(json.dumps(record.get(field), sort_keys=True) for field in (*fields, "recipe"))


def _fields(records):
    """The fields of ``records``, in order of first appearance."""
    return list(dict.fromkeys(field for r in records for field in r))


def _check_records(records, *, fields=("method", "noise", "rate"), optional=(), nonempty=False):
    """Return ``records`` as a tuple of dicts that hold ``fields`` (a str or a single dict is refused), checked as
    :func:`_check_record` does."""
    item = partial(_check_record, fields=fields, optional=optional)
    return check_sequence(records, name="records", nonempty=nonempty, item=item)


def _check_record(record, *, name, fields, optional=()):
    """Return ``record`` after checking it is a dict holding ``fields``; each of them, and each of the ``optional``
    fields it holds, must be of its kind in :data:`RECORD_FIELDS` (when listed there)."""
    check_fields(record, fields, name=name)
    for field in (*fields, *optional):
        if field in RECORD_FIELDS and field in record:
            RECORD_FIELDS[field](record[field], name=f"{name}[{field!r}]")
    return record


def _optional(check):
    """``check`` that lets ``None`` pass (a field with no value: no true T, an infinite cond, a failed run)."""
    return lambda value, *, name: None if value is None else check(value, name=name)


def _check_estimates(estimates, *, name):
    """Check a CE record's ``estimates``: ``{kind: {estimator: fields}}``, ``kind`` one of :data:`ESTIMATOR_KINDS`
    but ``"learned"``, each ``fields`` a dict (its ``estimation_error`` a number >= 0 or ``None``; a pooled one's
    ``seeds`` a sequence of seeds)."""
    for kind, by_name in _check_record(estimates, name=name, fields=()).items():
        check_choice(kind, ESTIMATOR_KINDS[:-1], name=f"{name} key")
        for estimator, fields in _check_record(by_name, name=f"{name}[{kind!r}]", fields=()).items():
            check_str(estimator, name=f"{name}[{kind!r}] key")
            entry = f"{name}[{kind!r}][{estimator!r}]"
            _check_record(fields, name=entry, fields=(), optional=("estimation_error", "seeds"))
            if kind == "pooled" and fields.get("estimation_error") is not None:
                check_fields(fields, ("seeds",), name=entry)


RECORD_FIELDS = {
    **dict.fromkeys(("task", "method", "noise", "protocol", "device", "torch_version", "estimator"), check_str),
    **dict.fromkeys(("rate", "test_accuracy"), _optional(check_rate)),
    **dict.fromkeys(("seed", "best_epoch", "n_train", "n_val", "n_test"), partial(check_int, low=0)),
    **dict.fromkeys(("epochs", "threads"), partial(check_int, low=1)),
    **dict.fromkeys(("estimation_error", "cond_T_hat"), _optional(check_real)),
    "status": partial(check_choice, choices=("ok", "failed")),
    "subset": _optional(partial(check_int, low=1)),
    "cross_fit": _optional(partial(check_int, low=2)),
    "wall_time_s": check_real,
    "recipe": partial(_check_record, fields=("model",), optional=("model_kwargs",)),
    "model": check_str,
    "model_kwargs": partial(_check_record, fields=()),
    "estimates": _check_estimates,
    "seeds": partial(check_sequence, item=partial(check_int, low=0)),
}
"""The kind of each record field that a table reads: a str, a rate or accuracy in [0, 1] (or ``None``), an int, a
finite number >= 0 (or ``None`` where a value may be missing), a status, a recipe (a dict with a ``model``, and a
dict ``model_kwargs`` where it has one; :func:`describe_recipe` checks the rest), the estimates of a CE run."""


def _check_names(values, name, known):
    """``None``, or ``values`` as a list of str after checking each is one of ``known``."""
    if values is None:
        return None
    values = list(check_sequence(values, name=name, item=check_str))
    unknown = [v for v in values if v not in known]
    if unknown:
        raise ValueError(f"{name} must each be one of {sorted(known)}, got {unknown[0]!r}")
    return values


def _check_published(published):
    """Return ``published`` after checking ``{method: {setting: (mean, std or None)}}``: str keys, finite numbers,
    ``std >= 0``."""
    if not isinstance(published, Mapping):
        raise TypeError(
            f"published must be a dict {{method: {{setting: (mean, std or None)}}}}, got {type(published).__name__}"
        )
    if not published:
        raise ValueError("published must hold at least one method, got an empty dict")
    for method, cells in published.items():
        if not isinstance(method, str) or not isinstance(cells, Mapping):
            raise TypeError(
                f"published[{method!r}] must be a dict {{setting: (mean, std or None)}} under a str "
                f"method, got {type(cells).__name__}"
            )
        for key, cell in cells.items():
            name = f"published[{method!r}][{key!r}]"
            if not isinstance(key, str) or not isinstance(cell, (tuple, list)) or len(cell) != 2:
                raise TypeError(f"{name} must be a (mean, std or None) pair under a str setting, got {cell!r}")
            check_real(cell[0], name=f"{name}[0]", signed=True)
            if cell[1] is not None and check_real(cell[1], name=f"{name}[1]", signed=True) < 0:
                raise ValueError(f"{name}[1] must be a std >= 0 or None, got {cell[1]!r}")
    return published


ESTIMATOR_KINDS = ("in_sample", "held_out", "pooled", "cross_fit", "learned")
"""Where an estimate comes from: the CE network's own posteriors (of every row, of the held-out noisy-validation
rows only, or of the held-out rows of the networks of every seed together), out-of-fold ones, or a method that
learns T. All but the last are kinds of a CE record's ``estimates``."""


def _noise_of(T_hat, name):
    """:func:`lnc.metrics.flip_rate` of ``T_hat`` (lists, c x c, checked under ``name``), ``None`` without one."""
    return None if T_hat is None else flip_rate(check_transition_matrix(T_hat, name=name))


def estimator_stats(records):
    """Estimation error and forward-correction accuracy of every estimator and T-learning method, over seeds.

    Returns ``{(setting, name, kind): {"error": (mean, std, n), "anchor_ratio": (mean, std, n), "accuracy": (mean, std,
    n), "noise": (mean, std, n)}}``, ``kind`` in :data:`ESTIMATOR_KINDS`. For an estimator ``name`` of a CE record's
    ``estimates`` (every kind but ``"learned"``), ``error`` is the relative L1 error of its ``T̂`` (each CE run counted
    once per seed, however many jobs recorded it; a pooled estimate once for its seeds), ``anchor_ratio`` that error
    over the in-sample anchor error of the same CE run (the paper's estimate from the same network; for a pooled one,
    the mean over its seeds' runs; where the runs have it) and ``accuracy`` the clean test accuracy (%) of the
    ``forward_est`` runs with it (their ``estimator`` and ``cross_fit``); for ``volmin`` and ``revision`` (kind
    ``"learned"``), the error of the T they learned and their own accuracy. ``noise`` is the label noise the ``T̂`` puts
    in, one minus the mean of its diagonal (the flip rate under uniform classes), where the record keeps the ``T̂``.
    ``std`` has ddof = 1 (NaN when n = 1); a key missing a field has no runs of it.

    Raises
    ------
    TypeError, ValueError
        ``records`` is not a sequence of dicts with ``method``, ``noise`` and ``rate``; a CE record with
        ``estimates`` or a ``volmin`` / ``revision`` record lacks ``seed`` (or the latter ``estimation_error``); a
        field read is not of its kind (:data:`RECORD_FIELDS`).
    """
    records = _check_records(records, optional=("estimates", "test_accuracy", "estimator", "cross_fit"))
    errors, accuracies, anchors, noise = defaultdict(dict), defaultdict(list), defaultdict(dict), defaultdict(dict)
    for k, r in enumerate(records):
        key = setting(r)
        if r["method"] == "ce" and r.get("estimates"):
            _check_record(r, name=f"records[{k}]", fields=("seed",))
            anchor = r["estimates"].get("in_sample", {}).get("anchor", {}).get("estimation_error")
            if anchor:
                anchors[key][r["seed"]] = anchor
            for kind, by_name in r["estimates"].items():
                for name, fields in by_name.items():
                    if fields.get("estimation_error") is not None:  # a pooled estimate is one for its seeds
                        run = tuple(fields["seeds"]) if kind == "pooled" else (r["seed"],)
                        errors[key, name, kind][run] = fields["estimation_error"]
                        noise[key, name, kind][run] = _noise_of(fields.get("T_hat"), f"records[{k}] {name} T_hat")
        elif r["method"] == "forward_est" and r.get("test_accuracy") is not None:
            kind = "cross_fit" if r.get("cross_fit") else "in_sample"
            accuracies[key, r.get("estimator", "anchor"), kind].append(100.0 * r["test_accuracy"])
        elif r["method"] in ("volmin", "revision") and r.get("test_accuracy") is not None:
            _check_record(r, name=f"records[{k}]", fields=("seed", "estimation_error"))
            errors[key, r["method"], "learned"][(r["seed"],)] = r["estimation_error"]
            noise[key, r["method"], "learned"][(r["seed"],)] = _noise_of(r.get("T_hat"), f"records[{k}] T_hat")
            accuracies[key, r["method"], "learned"].append(100.0 * r["test_accuracy"])
    ratios = {  # each over the mean in-sample anchor error of its seeds' CE runs
        (key, name, kind): [e / np.mean([anchors[key][s] for s in run]) for run, e in by_run.items()
                            if all(s in anchors[key] for s in run)]
        for (key, name, kind), by_run in errors.items() if kind != "learned"
    }  # fmt: skip
    groups_of = {"error": {k: list(v.values()) for k, v in errors.items()}, "anchor_ratio": ratios,
                 "accuracy": accuracies, "noise": {k: list(v.values()) for k, v in noise.items()}}  # fmt: skip
    stats = defaultdict(dict)
    for field, groups in groups_of.items():
        for k, values in groups.items():
            values = [v for v in values if v is not None]
            if values:
                stats[k][field] = _mean_std(values)
    return dict(stats)
