"""Result records of :func:`lnc.experiments.protocol.run_protocol`: tables of mean ± std over seeds, and the
protocol the records state, in words. Their files, identity and resume live in :mod:`lnc.experiments.records`.

The tables take a sequence of records and print test accuracies × 100 (%); records of one method and noise
setting are averaged over seeds only when they agree on every other identity field.
"""

import dataclasses
import html
import json
import math
from collections import defaultdict
from collections.abc import Mapping
from functools import partial

import numpy as np

from .._checks import (
    check_bool,
    check_choice,
    check_fields,
    check_int,
    check_rate,
    check_real,
    check_sequence,
    check_str,
)
from .loop import SELECTIONS
from .recipes import Recipe
from .records import IDENTITY, IDENTITY_DEFAULTS, _as_path, identity


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
    return {
        key: (float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else math.nan, len(v))
        for key, v in groups.items()
    }


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


def accuracy_table(records, methods=None, settings=None, digits=1):
    """A :class:`Table`: a row per method, a column per noise setting, cells ``mean ± std`` of the test accuracy (%).

    ``methods`` / ``settings`` (str, each found in ``records``) fix the order (default: as first seen). Missing
    cells print ``-``. ``digits``: the decimals, an int >= 0.
    """
    records = _check_records(records)
    digits = check_int(digits, name="digits", low=0)
    stats = summarize(records)
    methods = _check_names(methods, "methods", {r["method"] for r in records}) or list(
        dict.fromkeys(m for m, _ in stats)
    )
    settings = _check_names(settings, "settings", {setting(r) for r in records}) or list(
        dict.fromkeys(s for _, s in stats)
    )

    rows = [[m, *(_cell(*stats[m, s][:2], digits) if (m, s) in stats else "-" for s in settings)] for m in methods]
    return Table([["method", *settings], *rows])


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
    return {
        key: (float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else math.nan, len(v))
        for key, v in groups.items()
    }


def paired_table(records, baseline="ce", digits=1):
    """A :class:`Table` of :func:`paired_differences`: a row per method but ``baseline``, a column per noise
    setting, cells ``mean ± std (n)`` in points; ``-`` where no seed has both runs."""
    digits = check_int(digits, name="digits", low=0)
    differences = paired_differences(records, baseline)
    settings = list(dict.fromkeys(setting(r) for r in records))
    methods = [m for m in dict.fromkeys(r["method"] for r in records) if m != baseline]

    def cell(key):
        if key not in differences:
            return "-"
        mean, std, n = differences[key]
        return f"{mean:+.{digits}f}" + ("" if math.isnan(std) else f" ± {std:.{digits}f}") + f" ({n})"

    rows = [[f"{m} - {baseline}", *(cell((m, s)) for s in settings)] for m in methods]
    return Table([["method", *settings], *rows])


def selection_table(records, methods=None, digits=1):
    """A :class:`Table` of what model selection changes on the same runs: per method two rows, the test accuracy
    (%, mean ± std over seeds) of the epoch the noisy-validation accuracy keeps and of the epoch the run's own
    validation loss keeps (``test_accuracy_by_selection``); a column per noise setting.

    Raises
    ------
    TypeError, ValueError
        As :func:`accuracy_table`; a record with a test accuracy lacks ``test_accuracy_by_selection`` (records
        written before it existed) or one of its criteria.
    """
    records = _check_records(records, optional=("test_accuracy",))
    ok = [r for r in records if r.get("test_accuracy") is not None]
    for k, r in enumerate(records):
        if r.get("test_accuracy") is not None:
            name = f"records[{k}]['test_accuracy_by_selection']"
            check_fields(r.get("test_accuracy_by_selection"), SELECTIONS, name=name)
    labels = {"val_accuracy": "kept by noisy-val. accuracy", "val_loss": "kept by its own val. loss"}
    kept = {c: [{**r, "test_accuracy": r["test_accuracy_by_selection"][c]} for r in ok] for c in SELECTIONS}
    stats = {c: summarize(runs) for c, runs in kept.items()}
    known = list(dict.fromkeys(r["method"] for r in ok))
    methods = _check_names(methods, "methods", set(known)) or known
    settings = list(dict.fromkeys(setting(r) for r in ok))
    rows = [
        [f"{m}, {labels[c]}", *(_cell(*stats[c][m, s][:2], digits) if (m, s) in stats[c] else "-" for s in settings)]
        for m in methods
        for c in SELECTIONS
    ]
    return Table([["method", *settings], *rows])


def accuracy_tables(records, methods=None, columns=5, digits=1):
    """:func:`accuracy_table` split by noise kind into tables that fit a page: a list of ``(heading, Table)``.

    Parameters
    ----------
    records : sequence of dict
        Records with ``method``, ``noise``, ``rate`` and ``test_accuracy``.
    methods : sequence of str, optional
        The rows, in this order (default: as first seen); each must be a method of ``records``.
    columns : int, default 5
        The most noise settings a table holds, an int >= 2; a longer group is cut into parts.
    digits : int, default 1
        The decimals, an int >= 0.

    Returns
    -------
    list of (str, Table)
        One table per noise kind with a rate, headed ``"Symmetric noise"`` (its settings in order of first
        appearance), then one headed ``"Label sets"`` for the settings without a rate other than ``"none"``
        (CIFAR-N label sets). The noise-free setting ``"none"``, when ``records`` hold it, is repeated as the
        first column of every table, as the reference; alone, it makes one table headed ``"No noise"``. A group
        cut into parts has headings ``"Symmetric noise, part 1 of 2"``, ... No records give ``[]``.

    Raises
    ------
    TypeError, ValueError
        As :func:`accuracy_table`; ``columns`` is not an int >= 2.
    """
    records = _check_records(records)
    columns = check_int(columns, name="columns", low=2)
    groups = {}  # heading -> its settings, in order of first appearance
    for r in records:
        if r["noise"] != "none":
            heading = "Label sets" if r["rate"] is None else f"{r['noise'].capitalize()} noise"
            groups.setdefault(heading, [])
            if setting(r) not in groups[heading]:
                groups[heading].append(setting(r))
    if "Label sets" in groups:  # after the kinds with a rate
        groups["Label sets"] = groups.pop("Label sets")
    reference = ["none"] if any(r["noise"] == "none" for r in records) else []
    if not groups:
        return [("No noise", accuracy_table(records, methods, reference, digits))] if reference else []
    room = columns - len(reference)
    tables = []
    for heading, shown in groups.items():
        parts = [shown[k : k + room] for k in range(0, len(shown), room)]
        for k, part in enumerate(parts, 1):
            title = heading if len(parts) == 1 else f"{heading}, part {k} of {len(parts)}"
            tables.append((title, accuracy_table(records, methods, reference + part, digits)))
    return tables


def comparison_table(records, published, methods=None, settings=None, digits=1):
    """Our test accuracies beside published ones: per method a row ``<method>`` (ours, mean ± std over seeds)
    and a row ``<method> (published)``; a column per noise setting.

    ``published``: ``{method: {setting: (mean, std or None)}}`` in %, as :data:`lnc.experiments.published.CIFARN`.
    ``methods`` / ``settings`` (str, each found in ``records`` or ``published``) default to those of
    ``published``. Missing cells print ``-``. ``digits``: the decimals, an int >= 0.
    """
    records = _check_records(records)
    published = _check_published(published)
    digits = check_int(digits, name="digits", low=0)
    ours = summarize(records)
    published_settings = list(dict.fromkeys(s for values in published.values() for s in values))
    methods = _check_names(methods, "methods", {r["method"] for r in records} | set(published)) or list(published)
    settings = (
        _check_names(settings, "settings", {setting(r) for r in records} | set(published_settings))
        or published_settings
    )

    rows = [["method", *settings]]
    for m in methods:
        rows.append([m, *(_cell(*ours[m, s][:2], digits) if (m, s) in ours else "-" for s in settings)])
        if m in published:
            rows.append(
                [f"{m} (published)", *(_cell(*published[m][s], digits) if s in published[m] else "-" for s in settings)]
            )
    return Table(rows)


def verdict(flags):
    """How a claim about several cases fared, from one bool per case: ``"holds"`` (in every case),
    ``"holds in part (k of n)"``, ``"does not hold"`` (in none) or ``"not tested"`` (no case). ``flags``: a sequence
    of bools (numpy's too); anything else, whose truth would be a guess, is refused."""
    flags = check_sequence(flags, name="flags", nonempty=False, item=check_bool)
    if not flags:
        return "not tested"
    if all(flags):
        return "holds"
    return f"holds in part ({sum(flags)} of {len(flags)})" if any(flags) else "does not hold"


def listing(items, sep="; "):
    """``items`` (a sequence of str, not a str) joined by ``sep`` (a str), or ``"none"``: the cases a claim names in
    a sentence."""
    items = check_sequence(items, name="items", nonempty=False, item=check_str)
    return check_str(sep, name="sep").join(items) if items else "none"


def span(values, spec=".0f"):
    """The range of ``values`` (a sequence of finite real numbers) as text, ``"19–60"``, formatted by ``spec`` (a
    float format such as ``".0f"``); one value when the smallest and largest format alike (``"40"``), ``"none"``
    when there are none."""
    values = check_sequence(values, name="values", nonempty=False, item=partial(check_real, signed=True))
    try:
        format(0.0, check_str(spec, name="spec"))
    except ValueError as err:
        raise ValueError(f"spec must be a format spec of a float, such as '.0f', got {spec!r}") from err
    if not values:
        return "none"
    low, high = f"{min(values):{spec}}", f"{max(values):{spec}}"
    return low if low == high else f"{low}–{high}"


def _cell(mean, std, digits):
    """``mean ± std`` with ``digits`` decimals; the mean alone when ``std`` is ``None`` or NaN."""
    return f"{mean:.{digits}f}" + ("" if std is None or math.isnan(std) else f" ± {std:.{digits}f}")


class Table(str):
    """A result table: the aligned text (``print`` it; it is a ``str``) that also renders as an HTML table in a
    notebook (``_repr_html_``). ``rows``: the header row then the body rows, each a tuple of strings; the first
    column is left-aligned, the others right-aligned.

    Raises ``TypeError`` when ``rows`` is not a sequence of sequences of str, ``ValueError`` when it has no header
    row, the header no cell, or a row another number of cells than the header (the message names the row)."""

    def __new__(cls, rows):
        rows = check_sequence(rows, name="rows", item=_check_row)
        if not rows[0]:
            raise ValueError("rows[0] (the header) must hold at least one cell, got none")
        ragged = [k for k, row in enumerate(rows) if len(row) != len(rows[0])]
        if ragged:
            k = ragged[0]
            raise ValueError(f"rows[{k}] must have {len(rows[0])} cells, as the header, got {len(rows[k])}")
        widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
        lines = [
            "  ".join(text.ljust(w) if k == 0 else text.rjust(w) for k, (text, w) in enumerate(zip(row, widths)))
            for row in rows
        ]
        table = super().__new__(cls, "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]]))
        table.rows = rows
        return table

    def _repr_html_(self):
        def row(cells, tag):
            return (
                "<tr>"
                + "".join(
                    f'<{tag} style="text-align:{"left" if k == 0 else "right"}">{html.escape(c)}</{tag}>'
                    for k, c in enumerate(cells)
                )
                + "</tr>"
            )

        head, *body = self.rows
        return (
            '<table class="lnc-table"><thead>'
            + row(head, "th")
            + "</thead><tbody>"
            + "".join(row(r, "td") for r in body)
            + "</tbody></table>"
        )


def correction_table(records, methods=("ce", "forward", "forward_est", "backward", "backward_est"), digits=1):
    """A :class:`Table` per task and noise setting: the mean test accuracy (%) over seeds of each of ``methods``, the
    gap ``forward_est - forward`` (what estimating T costs the forward correction) and the seed std of
    ``backward_est`` (its instability); ``-`` where a method has no run. Rows in the order of ``records``.

    Raises
    ------
    TypeError, ValueError
        As :func:`summarize`; ``methods`` not a sequence of str, ``digits`` not an int >= 0.
    """
    records = _check_records(records, fields=("task", "method", "noise", "rate"))
    methods = check_sequence(methods, name="methods", item=check_str)
    digits = check_int(digits, name="digits", low=0)

    def value(stats, method, key, field=0):
        return stats[method, key][field] if (method, key) in stats else math.nan

    rows = [["task", "setting", *methods, "forward_est - forward", "backward_est std"]]
    for task in dict.fromkeys(r["task"] for r in records):
        stats = summarize([r for r in records if r["task"] == task])
        for key in dict.fromkeys(s for _, s in stats):
            gap = value(stats, "forward_est", key) - value(stats, "forward", key)
            cells = [value(stats, m, key) for m in methods] + [gap, value(stats, "backward_est", key, 1)]
            rows.append([task, key, *("-" if math.isnan(v) else f"{v:.{digits}f}" for v in cells)])
    return Table(rows)


def gain_table(records, published, settings, methods=("forward", "forward_est"), baseline="ce", digits=1):
    """A :class:`Table` per noise setting: the gain (points of test accuracy, mean over seeds) of each of ``methods``
    over ``baseline`` in ``records``, beside the published gain of ``published[methods[0]]`` over
    ``published[baseline]`` (``published`` as :func:`comparison_table`); ``-`` where a value is missing.

    Raises
    ------
    TypeError, ValueError
        As :func:`summarize` and :func:`comparison_table`; ``settings``, ``methods`` (non-empty) or ``baseline`` is
        not a setting or method of ``records`` or ``published`` (a misspelt one would give a row or column of
        ``-``); ``digits`` is not an int >= 0.
    """
    records = _check_records(records)
    ours = summarize(records)
    published = _check_published(published)
    known = {(r["method"], setting(r)) for r in records} | {(m, s) for m, cells in published.items() for s in cells}
    settings = _check_names(check_sequence(settings, name="settings"), "settings", {s for _, s in known})
    methods = _check_names(methods, "methods", {m for m, _ in known})
    if check_str(baseline, name="baseline") not in {m for m, _ in known}:
        raise ValueError(f"baseline must be a method of records or published, got {baseline!r}")
    digits = check_int(digits, name="digits", low=0)

    def gain(table, method, key):
        if (method, key) in table and (baseline, key) in table:
            return table[method, key][0] - table[baseline, key][0]
        return math.nan

    theirs = {(m, s): cell for m, cells in published.items() for s, cell in cells.items()}
    rows = [["setting", *(f"ours: {m} - {baseline}" for m in methods), f"published: {methods[0]} - {baseline}"]]
    for key in settings:
        values = [gain(ours, m, key) for m in methods] + [gain(theirs, methods[0], key)]
        rows.append([key, *("-" if math.isnan(v) else f"{v:+.{digits}f}" for v in values)])
    return Table(rows)


def estimation_table(records, digits=3):
    """A :class:`Table` of the CE runs: per noise setting, the mean relative L1 error of ``T̂`` against the true T,
    the mean ``cond(T̂)`` (``nan`` where no run has a value) and the selected CE epochs (one per seed).

    Raises
    ------
    TypeError, ValueError
        ``records`` is not a sequence of dicts with ``method``, ``noise`` and ``rate``, or holds no CE run
        (``method == "ce"``); ``digits`` is not an int >= 0.
    """
    records = _check_records(records, optional=("estimation_error", "cond_T_hat"))
    digits = check_int(digits, name="digits", low=0)
    ce = [
        _check_record(r, name=f"records[{k}]", fields=("best_epoch",))
        for k, r in enumerate(records)
        if r["method"] == "ce"
    ]
    if not ce:
        raise ValueError(
            "records must hold CE runs (method 'ce'), the ones that estimate T, got the methods "
            f"{list(dict.fromkeys(r['method'] for r in records))}"
        )
    rows = [["setting", "T̂ error", "cond(T̂)", "best CE epoch per seed"]]
    for key in dict.fromkeys(setting(r) for r in ce):
        runs = [r for r in ce if setting(r) == key]
        error, cond = (_mean_of(runs, field) for field in ("estimation_error", "cond_T_hat"))
        epochs = ", ".join(str(r["best_epoch"]) for r in runs)
        rows.append([key, f"{error:.{digits}f}", f"{cond:.2f}", epochs])
    return Table(rows)


def _mean_of(records, field):
    """Mean of ``field`` over the records that have a value (``None``: no true T, or an infinite cond); NaN if none."""
    values = [r[field] for r in records if r.get(field) is not None]
    return float(np.mean(values)) if values else math.nan


def run_summary(records):
    """One text line per task of ``records``: protocol, model, epochs, training / validation size, seeds, noise
    settings, trainings (a CE record repeated by the jobs of other estimators counted once), and their summed wall
    time (CPU minutes when ``device`` is ``cpu``). A task whose runs
    all failed gets ``<task>: no successful run (<n> failed)``.

    Raises
    ------
    TypeError, ValueError
        ``records`` is not a non-empty sequence of dicts with a ``task``; a successful one lacks ``method`` or a
        field of :data:`SUMMARY_FIELDS`, or holds a field not of its kind (:data:`RECORD_FIELDS`).
    """
    records = _check_records(records, fields=("task",), optional=("status",), nonempty=True)
    ok = _successful(records, (*SUMMARY_FIELDS, "method"))
    return "\n".join(
        _task_summary(task, [r for r in ok if r["task"] == task], sum(r["task"] == task for r in records))
        for task in dict.fromkeys(r["task"] for r in records)
    )


def _task_summary(task, ok, count):
    """The line of :func:`run_summary` for ``ok``, the successful records of ``task`` among its ``count``."""
    if not ok:
        return f"{task}: no successful run ({count} failed)"
    ok = list({training_key(r): r for r in ok}.values())
    first = ok[0]
    minutes = sum(r["wall_time_s"] for r in ok) / 60
    return (
        f"{task}: protocol {first['protocol']!r}, {first['recipe']['model']} "
        f"{first['recipe'].get('model_kwargs', {})}, {sorted({r['epochs'] for r in ok})} epochs, "
        f"{first['n_train']} train / {first['n_val']} val, seeds {sorted({r['seed'] for r in ok})}, "
        f"{len({setting(r) for r in ok})} settings, {len(ok)} trainings, "
        f"{minutes:.0f} min on {sorted({r['device'] for r in ok})}"
    )


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


def _successful(records, fields):
    """The successful ones (``status`` ``"ok"`` or absent) of the checked ``records``, each checked to hold
    ``fields`` (and the fields that tell a training apart, where it has them)."""
    return [
        _check_record(r, name=f"records[{k}]", fields=fields, optional=("subset", "estimator", "cross_fit"))
        for k, r in enumerate(records)
        if r.get("status", "ok") == "ok"
    ]


def training_key(record):
    """What tells one training from another: a CE network serves every estimator of its job, so the CE records of
    jobs that differ only in ``estimator`` or ``cross_fit`` are one training."""
    fields = ("noise", "rate", "seed", "protocol", "subset", "epochs", "method")
    fields += () if record["method"] == "ce" else ("estimator", "cross_fit")
    return tuple(json.dumps(record.get(field), sort_keys=True) for field in (*fields, "recipe"))


SUMMARY_FIELDS = ("protocol", "recipe", "epochs", "n_train", "n_val", "seed", "noise", "rate", "wall_time_s", "device")
"""The fields :func:`run_summary` reads from a successful record."""


AUGMENT_TEXT = {
    None: "no augmentation",
    "shift": "random shifts and horizontal flips",
    "crop": "padded random crops and horizontal flips",
}
"""A recipe's ``augment`` (:data:`lnc.experiments.recipes.AUGMENTATIONS`) in words."""
NORMALIZE_TEXT = {
    None: "raw inputs",
    "scale": "pixels / 255",
    "pixel_mean": "per-pixel mean subtraction",
    "channel": "per-channel standardisation",
}
"""A recipe's ``normalize`` (:data:`lnc.experiments.recipes.NORMALIZATIONS`) in words."""
NETWORK_TEXT = {
    "cifar_resnet": lambda kwargs: f"ResNet-{2 + 6 * kwargs.get('n', 5)}",
    "preact_resnet34": lambda kwargs: "pre-activation ResNet-34",
}
"""A reader's name for the networks of :mod:`lnc.experiments.models` that have one (from their keyword arguments)."""
RECIPE_FIELDS = ("model", "epochs", "optimizer", "lr", "momentum", "weight_decay", "decay_all", "milestones",
                 "batch_size", "augment", "normalize", "model_kwargs")  # fmt: skip
"""The fields :func:`describe_recipe` reads (``schedule`` and ``nesterov``, younger, default to a step schedule
without Nesterov momentum)."""


def describe_recipe(recipe, epochs=None):
    """How a recipe trains, in words: network, epochs, optimiser, learning-rate steps, weight decay, preprocessing.

    Parameters
    ----------
    recipe : Recipe or dict
        A :class:`lnc.experiments.recipes.Recipe`, or its fields as a dict (a record's ``recipe``).
    epochs : int, optional
        The epochs run when not ``recipe``'s (an int >= 1); learning-rate steps after them are left out.

    Returns
    -------
    str
        One line, e.g. ``"ResNet-8 (cifar_resnet, n=1), 15 epochs, SGD (lr 0.1, momentum 0.9, batch 128, lr / 10
        after epoch 10), weight decay 0.0002 on the kernels, random shifts and horizontal flips, per-pixel mean
        subtraction"``. A step is named by the epochs done before it (``milestones`` are 0-based).

    Raises
    ------
    TypeError
        ``recipe`` is neither a Recipe nor a dict; ``epochs`` is not an int.
    ValueError
        ``recipe`` lacks a field of :data:`RECIPE_FIELDS`, or its ``augment`` or ``normalize`` is unknown;
        ``epochs`` < 1. And as :class:`lnc.experiments.recipes.Recipe` for a dict that no Recipe could hold (a
        field of another kind, an unknown field).

    See Also
    --------
    describe_records : the protocol of stored records, with this line for their recipe.
    """
    if isinstance(recipe, Recipe):
        recipe = dataclasses.asdict(recipe)
    recipe = _check_record(recipe, name="recipe", fields=RECIPE_FIELDS)
    for field, words in (("augment", AUGMENT_TEXT), ("normalize", NORMALIZE_TEXT)):
        if not isinstance(recipe[field], (str, type(None))) or recipe[field] not in words:
            raise ValueError(f"recipe['{field}'] must be one of {list(words)}, got {recipe[field]!r}")
    unknown = [key for key in recipe if key not in {field.name for field in dataclasses.fields(Recipe)}]
    if unknown:
        raise ValueError(f"recipe must hold the fields of a Recipe, got the field {unknown[0]!r}")
    recipe = dataclasses.asdict(Recipe(**recipe))  # checks every field, and fills in the younger ones
    epochs = recipe["epochs"] if epochs is None else check_int(epochs, name="epochs", low=1)
    kwargs = recipe["model_kwargs"]
    model = ", ".join([recipe["model"], *(f"{k}={v}" for k, v in kwargs.items())])
    name = NETWORK_TEXT.get(recipe["model"])
    network = f"{name(kwargs)} ({model})" if name else model
    steps = [str(m) for m in recipe["milestones"] if m < epochs]
    if recipe["schedule"] == "triangle":
        schedule = ", triangular learning-rate schedule"
    else:
        schedule = f", lr / 10 after epoch{'s' * (len(steps) > 1)} {' and '.join(steps)}" if steps else ""
    momentum = f", {'Nesterov ' * recipe['nesterov']}momentum {recipe['momentum']:g}"
    optimizer = {"sgd": "SGD", "adagrad": "Adagrad", "adam": "Adam"}.get(recipe["optimizer"], recipe["optimizer"])
    clip = "" if recipe["clip_norm"] is None else f", gradient norm clipped at {recipe['clip_norm']:g}"
    decay = "no weight decay"
    if recipe["weight_decay"]:
        where = "all weights" if recipe["decay_all"] else "the kernels"
        decay = f"weight decay {recipe['weight_decay']:g} on {where}"
    return (
        f"{network}, {epochs} epoch{'s' * (epochs != 1)}, {optimizer} (lr {recipe['lr']:g}"
        f"{momentum * bool(recipe['momentum'])}, batch {recipe['batch_size']}{schedule}{clip}), {decay}, "
        f"{AUGMENT_TEXT[recipe['augment']]}, {NORMALIZE_TEXT[recipe['normalize']]}"
    )


def describe_records(records):
    """The protocol of stored runs, in one line read from their records: task, protocol, network, epochs,
    optimiser and schedule, data sizes and subset, how the epoch was kept, seeds, device and torch version.

    Only successful records (``status`` ``"ok"`` or absent) count; they must share one task, protocol, recipe,
    number of epochs, subset and split sizes (the runs of one grid do).

    Parameters
    ----------
    records : sequence of dict
        Records of :func:`lnc.experiments.protocol.run_protocol`.

    Returns
    -------
    str
        e.g. ``"cifar10, protocol 'cpu': <describe_recipe>; 9,000 training and 1,000 noisy-validation examples
        (a seeded subset of 10,000), 10,000 test examples; the epoch of the highest noisy-validation accuracy kept;
        seeds 0, 1; device cpu; precision bf16; torch 2.13.0"`` (the precision where the records state it).

    Raises
    ------
    TypeError, ValueError
        ``records`` is not a non-empty sequence of dicts; no record is successful; a successful one lacks a field
        of :data:`DESCRIBE_FIELDS`; two differ in a field they must share (the message names it).

    See Also
    --------
    describe_recipe : the line of a recipe alone (the paper's, say).
    lnc.experiments.protocol.describe_run : the protocol of a run to come, from its parameters.
    """
    records = _check_records(records, fields=(), optional=("status",), nonempty=True)
    ok = _successful(records, DESCRIBE_FIELDS)
    if not ok:
        raise ValueError(f"records must hold a successful run, got {len(records)} failed ones")
    for field in SHARED_FIELDS:  # a recipe as its identity has it: a field added since, at its default, is the same
        values = list(dict.fromkeys(json.dumps({**r, **identity(r)}[field], sort_keys=True) for r in ok))
        if len(values) > 1:
            raise ValueError(f"records must share one {field!r} (one grid's runs), got {', '.join(values)}")
    selections = sorted({r.get("selection", IDENTITY_DEFAULTS["selection"]) for r in ok})  # older: the loss's
    if len(selections) > 1 or selections[0] not in SELECTION_TEXT:
        raise ValueError(f"records must share one 'selection' of {sorted(SELECTION_TEXT)}, got {selections}")
    first, selection = ok[0], selections[0]
    subset = f" (a seeded subset of {first['subset']:,})" if first["subset"] is not None else ""
    stated = sorted({r["precision"] for r in ok if r.get("precision")})  # older records do not state it
    precisions = f"; precision {', '.join(stated)}" if stated else ""
    return (
        f"{first['task']}, protocol {first['protocol']!r}: {describe_recipe(first['recipe'], first['epochs'])}; "
        f"{first['n_train']:,} training and {first['n_val']:,} noisy-validation examples{subset}, "
        f"{first['n_test']:,} test examples; {SELECTION_TEXT[selection]} kept; "
        f"seeds {', '.join(str(s) for s in sorted({r['seed'] for r in ok}))}; "
        f"device {', '.join(sorted({r['device'] for r in ok}))}"
        f"{precisions}; torch {', '.join(sorted({r['torch_version'] for r in ok}))}"
    )


SHARED_FIELDS = ("task", "protocol", "recipe", "epochs", "subset", "n_train", "n_val", "n_test")
"""The fields the records given to :func:`describe_records` must share."""
DESCRIBE_FIELDS = SHARED_FIELDS + ("seed", "device", "torch_version")
"""The fields :func:`describe_records` reads from a successful record."""
SELECTION_TEXT = {
    "val_accuracy": "the epoch of the highest noisy-validation accuracy",
    "val_loss": "the epoch of the lowest noisy-validation loss of each run's own loss (the paper's choice)",
}
"""How :func:`describe_records` states a record's ``selection`` (:data:`lnc.experiments.loop.SELECTIONS`)."""


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
    """Check a CE record's ``estimates``: ``{kind: {estimator: fields}}``, ``kind`` ``"in_sample"`` or
    ``"cross_fit"``, each ``fields`` a dict (its ``estimation_error`` a number >= 0 or ``None``)."""
    for kind, by_name in _check_record(estimates, name=name, fields=()).items():
        check_choice(kind, ESTIMATOR_KINDS[:2], name=f"{name} key")
        for estimator, fields in _check_record(by_name, name=f"{name}[{kind!r}]", fields=()).items():
            check_str(estimator, name=f"{name}[{kind!r}] key")
            _check_record(fields, name=f"{name}[{kind!r}][{estimator!r}]", fields=(), optional=("estimation_error",))


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


def _check_row(row, *, name):
    """A row of a :class:`Table`: a sequence of str, as a tuple."""
    return check_sequence(row, name=name, nonempty=False, item=check_str)


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


ESTIMATOR_KINDS = ("in_sample", "cross_fit", "learned")
"""Where an estimate comes from: the CE network's own posteriors, out-of-fold ones, or a method that learns T."""


def estimator_stats(records):
    """Estimation error and forward-correction accuracy of every estimator and T-learning method, over seeds.

    Returns ``{(setting, name, kind): {"error": (mean, std, n), "accuracy": (mean, std, n)}}``, ``kind`` in
    :data:`ESTIMATOR_KINDS`. For an estimator ``name`` of a CE record's ``estimates`` (``"in_sample"`` or
    ``"cross_fit"``), ``error`` is the relative L1 error of its ``T̂`` (each CE run counted once per seed, however
    many jobs recorded it) and ``accuracy`` the clean test accuracy (%) of the ``forward_est`` runs with it
    (their ``estimator`` and ``cross_fit``); for ``volmin`` and ``revision`` (kind ``"learned"``), the error of
    the T they learned and their own accuracy. ``std`` has ddof = 1 (NaN when n = 1); a key missing a field has
    no runs of it.

    Raises
    ------
    TypeError, ValueError
        ``records`` is not a sequence of dicts with ``method``, ``noise`` and ``rate``; a CE record with
        ``estimates`` or a ``volmin`` / ``revision`` record lacks ``seed`` (or the latter ``estimation_error``); a
        field read is not of its kind (:data:`RECORD_FIELDS`).
    """
    records = _check_records(records, optional=("estimates", "test_accuracy", "estimator", "cross_fit"))
    errors, accuracies = defaultdict(dict), defaultdict(list)
    for k, r in enumerate(records):
        key = setting(r)
        if r["method"] == "ce" and r.get("estimates"):
            _check_record(r, name=f"records[{k}]", fields=("seed",))
            for kind, by_name in r["estimates"].items():
                for name, fields in by_name.items():
                    if fields.get("estimation_error") is not None:
                        errors[key, name, kind][r["seed"]] = fields["estimation_error"]
        elif r["method"] == "forward_est" and r.get("test_accuracy") is not None:
            kind = "cross_fit" if r.get("cross_fit") else "in_sample"
            accuracies[key, r.get("estimator", "anchor"), kind].append(100.0 * r["test_accuracy"])
        elif r["method"] in ("volmin", "revision") and r.get("test_accuracy") is not None:
            _check_record(r, name=f"records[{k}]", fields=("seed", "estimation_error"))
            errors[key, r["method"], "learned"][r["seed"]] = r["estimation_error"]
            accuracies[key, r["method"], "learned"].append(100.0 * r["test_accuracy"])
    stats = defaultdict(dict)
    for field, groups in (("error", {k: list(v.values()) for k, v in errors.items()}), ("accuracy", accuracies)):
        for k, values in groups.items():
            values = [v for v in values if v is not None]
            if values:
                stats[k][field] = (
                    float(np.mean(values)),
                    float(np.std(values, ddof=1)) if len(values) > 1 else math.nan,
                    len(values),
                )
    return dict(stats)


def estimator_table(records, key, digits=3):
    """A :class:`Table` of one noise setting ``key`` (as :func:`setting` writes it): a row per estimator, then per
    T-learning method; columns the error of ``T̂`` and the forward correction's test accuracy (%) with it, for
    in-sample and, where any record of ``key`` has them, cross-fitted posteriors (:func:`estimator_stats`).
    Cells ``mean ± std``; ``-`` where no run.

    Raises
    ------
    TypeError, ValueError
        As :func:`estimator_stats`; ``key`` is not a setting of ``records``; ``digits`` is not an int >= 0.
    """
    records = _check_records(records)
    digits = check_int(digits, name="digits", low=0)
    _check_names([check_str(key, name="key")], "key", {setting(r) for r in records})
    stats = estimator_stats(records)
    names = list(dict.fromkeys(name for k, name, kind in stats if k == key and kind != "learned"))
    learned = [name for name in ("volmin", "revision") if (key, name, "learned") in stats]
    kinds = [kind for kind in ESTIMATOR_KINDS[:2] if any((key, name, kind) in stats for name in names)]
    labels = {"in_sample": "in-sample", "cross_fit": "cross-fitted"}

    def cell(name, kind, field, places):
        value = stats.get((key, name, kind), {}).get(field)
        return _cell(*value[:2], places) if value else "-"

    rows = [["estimator", *(f"{field}, {labels[kind]}" for field in ("error", "accuracy") for kind in kinds)]]
    for name in names:
        rows.append([name, *(cell(name, kind, "error", digits) for kind in kinds),
                     *(cell(name, kind, "accuracy", 1) for kind in kinds)])  # fmt: skip
    blank = ["-"] * (len(kinds) - 1)
    for name in learned:
        rows.append([f"{name} (learns T)", cell(name, "learned", "error", digits), *blank,
                     cell(name, "learned", "accuracy", 1), *blank])  # fmt: skip
    return Table(rows)


def clip_table(path, digits=1):
    """A :class:`Table` of the lines of ``benchmarks/clip_norm.py`` in the JSON-lines file ``path``: a row per method
    and epochs, a column per ``clip_norm`` (``none`` first), cells the test accuracy (%) of the epoch of highest
    noisy-validation accuracy and that epoch; ``-`` where not run.

    Raises
    ------
    TypeError, ValueError
        ``path`` is not a path; the file is missing, holds no line, or a line lacks a field read.
    """
    path = _as_path(path, name="path")
    if not path.is_file():
        raise ValueError(f"path must be a file of benchmarks/clip_norm.py's lines, got {str(path)!r} (no such file)")
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if not lines:
        raise ValueError(f"path must hold at least one line of benchmarks/clip_norm.py, got an empty {str(path)!r}")
    for k, line in enumerate(lines):
        check_fields(line, ("method", "epochs", "clip_norm", "test_accuracy_by_selection", "epoch_by_selection"),
                     name=f"line {k + 1} of {path.name}")  # fmt: skip
    clips = sorted({line["clip_norm"] for line in lines}, key=lambda c: (c is not None, c or 0.0))
    rows = list(dict.fromkeys((line["method"], line["epochs"]) for line in lines))
    cells = {
        (line["method"], line["epochs"], line["clip_norm"]): (
            f"{100 * line['test_accuracy_by_selection']['val_accuracy']:.{digits}f}"
            f" (epoch {line['epoch_by_selection']['val_accuracy']})"
        )
        for line in lines
    }
    header = ["method, epochs", *("none" if c is None else f"{c:g}" for c in clips)]
    return Table([header, *([f"{m}, {e}", *(cells.get((m, e, c), "-") for c in clips)] for m, e in rows)])
