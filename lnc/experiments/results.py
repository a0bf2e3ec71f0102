"""Result records of :func:`lnc.experiments.protocol.run_protocol`: JSON files, tables of mean ± std over seeds,
and the protocol the records state, in words.

A record is a dict of JSON data whose ``task``, ``noise``, ``rate``, ``method`` and ``seed`` name its file; the
tables take a sequence of records and print test accuracies × 100 (%).
"""

import dataclasses
import html
import json
import math
import numbers
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Mapping
from functools import partial
from pathlib import Path

import numpy as np

from .._checks import check_int, check_rate, check_sequence

NAME_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
"""What ``task``, ``noise`` and ``method`` may hold (and no ``..``), so that a record's file stays in its folder."""


def record_name(record):
    """File name of a record: ``<task>_<noise>[-<rate>]_<method>[_<estimator>][_cf<k>]_seed<seed>.json``, with
    ``estimator`` only when it is not ``"anchor"`` and ``cf<k>`` only when ``cross_fit`` is set, so that the runs
    of one job with other estimators keep their own files (and the paper's default keeps the short name).

    Raises
    ------
    TypeError, ValueError
        ``record`` is not a dict or lacks a field of the name; ``task``, ``noise`` or ``method`` is not a str of
        letters, digits, ``_``, ``-`` and ``.`` (no path separator, no ``..``); ``rate`` is neither ``None`` nor
        in [0, 1]; ``seed`` is not an int >= 0.
    """
    record = _check_record(record, name="record", fields=("task", "noise", "rate", "method", "seed"))
    for field in ("task", "noise", "method"):
        part = record[field]
        if not isinstance(part, str):
            raise TypeError(f"record[{field!r}] must be a str, got {type(part).__name__}")
        if not NAME_PART.fullmatch(part) or ".." in part:
            raise ValueError(
                f"record[{field!r}] must hold only letters, digits, '_', '-' and '.' (no path, no '..'), got {part!r}"
            )
    rate = "" if record["rate"] is None else "-" + format(check_rate(record["rate"], name="record['rate']"), "g")
    seed = check_int(record["seed"], name="record['seed']", low=0)
    estimator = record.get("estimator", "anchor")
    if not isinstance(estimator, str) or not NAME_PART.fullmatch(estimator) or ".." in estimator:
        raise ValueError(f"record['estimator'] must be a name of letters, digits, '_', '-' and '.', got {estimator!r}")
    cross_fit = record.get("cross_fit")
    folds = "" if cross_fit is None else f"_cf{check_int(cross_fit, name='record[cross_fit]', low=2)}"
    extra = ("" if estimator == "anchor" else f"_{estimator}") + folds
    return f"{record['task']}_{record['noise']}{rate}_{record['method']}{extra}_seed{seed}.json"


def check_results_dir(results_dir):
    """Return ``results_dir`` as a Path once it is known to be writable (created if needed, a probe file written
    and removed); ``None`` passes through. Call it before training, so that no run is lost to an unwritable folder.

    Raises
    ------
    TypeError
        ``results_dir`` is not a path.
    ValueError
        It cannot be created or written: it is a file, lies under a file, or lacks write permission.
    """
    return None if results_dir is None else _writable_dir(_as_path(results_dir, name="results_dir"))


def save_record(record, results_dir):
    """Write ``record`` as indented JSON into ``results_dir`` (created if needed); returns the path.

    The file, named by :func:`record_name`, lies in ``results_dir``. It is written whole or not at all (a
    temporary file, then renamed), and a record that is not JSON data fails before anything is written.

    Raises
    ------
    TypeError, ValueError
        A field of the name is wrong (see :func:`record_name`); a value is not JSON data or is a non-finite float
        (the message names the field); ``results_dir`` cannot be written (see :func:`check_results_dir`).
    """
    name = record_name(record)
    _check_json(record, name="record")
    text = json.dumps(record, indent=1, allow_nan=False) + "\n"
    path = _writable_dir(_as_path(results_dir, name="results_dir")) / name
    part = path.with_name(f".{name}.{os.getpid()}.part")
    part.write_text(text)
    os.replace(part, path)
    return path


def load_records(results_dir, **where):
    """All records in ``results_dir`` (sorted by file name) whose fields equal ``where``'s values.

    An existing folder without records gives ``[]``.

    Raises
    ------
    FileNotFoundError, NotADirectoryError
        ``results_dir`` does not exist, or is not a folder.
    ValueError
        A ``.json`` file does not hold a JSON object (a truncated write, say; the message names the file), or a
        key of ``where`` is a field of no record (a misspelt field would otherwise select nothing).
    """
    folder = _as_path(results_dir, name="results_dir")
    if not folder.is_dir():
        kind, why = (NotADirectoryError, "not a folder") if folder.exists() else (FileNotFoundError, "no such path")
        raise kind(f"results_dir must be an existing folder of records, got '{folder}' ({why})")
    records = [_read_record(path) for path in sorted(folder.glob("*.json"))]
    fields = _fields(records)
    unknown = [key for key in where if key not in fields]
    if records and unknown:
        raise ValueError(
            f"load_records() keyword {unknown[0]!r} must be a field of the records in '{folder}', one of {fields}"
        )
    return [r for r in records if all(r.get(k) == v for k, v in where.items())]


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
        A record lacks ``method``, ``noise`` or ``rate``, or no record has the field ``value``.
    """
    records = _check_records(records)
    if not isinstance(value, str):
        raise TypeError(f"value must be a str (a field of the records), got {type(value).__name__}")
    if records and not any(value in r for r in records):
        raise ValueError(f"value must be a field of the records, one of {_fields(records)}, got {value!r}")
    groups = defaultdict(list)
    for k, r in enumerate(records):
        if r.get(value) is not None:
            groups[(r["method"], setting(r))].append(100.0 * _check_number(r[value], name=f"records[{k}][{value!r}]"))
    return {
        key: (float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else math.nan, len(v))
        for key, v in groups.items()
    }


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
    ``"holds in part (k of n)"``, ``"does not hold"`` (in none) or ``"not tested"`` (no case)."""
    flags = [bool(f) for f in flags]
    if not flags:
        return "not tested"
    if all(flags):
        return "holds"
    return f"holds in part ({sum(flags)} of {len(flags)})" if any(flags) else "does not hold"


def listing(items, sep="; "):
    """``items`` (str) joined by ``sep``, or ``"none"``: the cases a claim names in a sentence."""
    items = list(items)
    return sep.join(items) if items else "none"


def span(values, spec=".0f"):
    """The range of ``values`` (numbers) as text, ``"19–60"``, formatted by ``spec``; one value when the smallest
    and largest format alike (``"40"``), ``"none"`` when there are none."""
    values = [float(v) for v in values]
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
    column is left-aligned, the others right-aligned."""

    def __new__(cls, rows):
        rows = tuple(tuple(row) for row in rows)
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
    methods = check_sequence(methods, name="methods", item=_check_str)
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
    ``published[baseline]`` (``published`` as :func:`comparison_table`); ``-`` where a value is missing."""
    ours = summarize(records)
    published = _check_published(published)
    settings = check_sequence(settings, name="settings", item=_check_str)
    methods = check_sequence(methods, name="methods", item=_check_str)
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
    records = _check_records(records)
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
        ``records`` is not a non-empty sequence of dicts with a ``task``.
    """
    records = _check_records(records, fields=("task",), nonempty=True)
    return "\n".join(
        _task_summary(task, [r for r in records if r["task"] == task])
        for task in dict.fromkeys(r["task"] for r in records)
    )


def _task_summary(task, runs):
    """The line of :func:`run_summary` for ``runs``, the records of ``task``."""
    ok = [
        _check_record(r, name=f"the record of {task}", fields=SUMMARY_FIELDS)
        for r in runs
        if r.get("status", "ok") == "ok"
    ]
    if not ok:
        return f"{task}: no successful run ({len(runs)} failed)"
    ok = list({_training(r): r for r in ok}.values())
    first = ok[0]
    minutes = sum(r["wall_time_s"] for r in ok) / 60
    return (
        f"{task}: protocol {first['protocol']!r}, {first['recipe']['model']} "
        f"{first['recipe']['model_kwargs']}, {sorted({r['epochs'] for r in ok})} epochs, "
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
    records = _check_records(records, fields=("task",))
    ok = [
        _check_record(r, name="a record", fields=(*SUMMARY_FIELDS, "method", "threads"))
        for r in records
        if r.get("status", "ok") == "ok"
    ]
    gpu = sorted({r["device"] for r in ok} - {"cpu"})
    if gpu:
        raise ValueError(f"records must have run on the CPU for CPU minutes, got device {gpu}")
    ok = {(r["task"], _training(r)): r for r in ok}.values()
    return sorted(r["wall_time_s"] * r["threads"] / 60 for r in ok)


def _training(record):
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
        ``epochs`` < 1.

    See Also
    --------
    describe_records : the protocol of stored records, with this line for their recipe.
    """
    if dataclasses.is_dataclass(recipe) and not isinstance(recipe, type):
        recipe = dataclasses.asdict(recipe)
    recipe = _check_record(recipe, name="recipe", fields=RECIPE_FIELDS)
    epochs = recipe["epochs"] if epochs is None else check_int(epochs, name="epochs", low=1)
    for field, words in (("augment", AUGMENT_TEXT), ("normalize", NORMALIZE_TEXT)):
        if recipe[field] not in words:
            raise ValueError(f"recipe['{field}'] must be one of {list(words)}, got {recipe[field]!r}")
    kwargs = recipe["model_kwargs"]
    model = ", ".join([recipe["model"], *(f"{k}={v}" for k, v in kwargs.items())])
    name = NETWORK_TEXT.get(recipe["model"])
    network = f"{name(kwargs)} ({model})" if name else model
    steps = [str(m) for m in recipe["milestones"] if m < epochs]
    if recipe.get("schedule", "step") == "triangle":
        schedule = ", triangular learning-rate schedule"
    else:
        schedule = f", lr / 10 after epoch{'s' * (len(steps) > 1)} {' and '.join(steps)}" if steps else ""
    momentum = f", {'Nesterov ' * recipe.get('nesterov', False)}momentum {recipe['momentum']:g}"
    optimizer = {"sgd": "SGD", "adagrad": "Adagrad", "adam": "Adam"}.get(recipe["optimizer"], recipe["optimizer"])
    decay = "no weight decay"
    if recipe["weight_decay"]:
        where = "all weights" if recipe["decay_all"] else "the kernels"
        decay = f"weight decay {recipe['weight_decay']:g} on {where}"
    return (
        f"{network}, {epochs} epoch{'s' * (epochs != 1)}, {optimizer} (lr {recipe['lr']:g}"
        f"{momentum * bool(recipe['momentum'])}, batch {recipe['batch_size']}{schedule}), {decay}, "
        f"{AUGMENT_TEXT[recipe['augment']]}, {NORMALIZE_TEXT[recipe['normalize']]}"
    )


def describe_records(records):
    """The protocol of stored runs, in one line read from their records: task, protocol, network, epochs,
    optimiser and schedule, data sizes and subset, seeds, device and torch version.

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
        (a seeded subset of 10,000), 10,000 test examples; seeds 0, 1; device cpu; torch 2.13.0"``.

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
    records = _check_records(records, fields=(), nonempty=True)
    ok = [
        _check_record(r, name=f"records[{k}]", fields=DESCRIBE_FIELDS)
        for k, r in enumerate(records)
        if r.get("status", "ok") == "ok"
    ]
    if not ok:
        raise ValueError(f"records must hold a successful run, got {len(records)} failed ones")
    for field in SHARED_FIELDS:
        values = list(dict.fromkeys(json.dumps(r[field], sort_keys=True) for r in ok))
        if len(values) > 1:
            raise ValueError(f"records must share one {field!r} (one grid's runs), got {', '.join(values)}")
    first = ok[0]
    subset = f" (a seeded subset of {first['subset']:,})" if first["subset"] is not None else ""
    return (
        f"{first['task']}, protocol {first['protocol']!r}: {describe_recipe(first['recipe'], first['epochs'])}; "
        f"{first['n_train']:,} training and {first['n_val']:,} noisy-validation examples{subset}, "
        f"{first['n_test']:,} test examples; seeds {', '.join(str(s) for s in sorted({r['seed'] for r in ok}))}; "
        f"device {', '.join(sorted({r['device'] for r in ok}))}; "
        f"torch {', '.join(sorted({r['torch_version'] for r in ok}))}"
    )


SHARED_FIELDS = ("task", "protocol", "recipe", "epochs", "subset", "n_train", "n_val", "n_test")
"""The fields the records given to :func:`describe_records` must share."""
DESCRIBE_FIELDS = SHARED_FIELDS + ("seed", "device", "torch_version")
"""The fields :func:`describe_records` reads from a successful record."""


def _as_path(path, *, name):
    """Return ``path`` (a str or path-like) as a Path."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or pathlib.Path), got {type(path).__name__}")
    return Path(path)


def _writable_dir(path):
    """Return the folder ``path`` after creating it if needed and writing and removing a probe file in it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-probe-"):
            pass
    except OSError as err:
        raise ValueError(
            f"results_dir must be a folder that can be written, got '{path}' ({err.strerror or err})"
        ) from err
    return path


def _read_record(path):
    """The record in the JSON file ``path``."""
    try:
        record = json.loads(path.read_text())
    except ValueError as err:  # invalid JSON or UTF-8: a truncated write or a foreign file
        raise ValueError(
            f"'{path}' must hold a JSON record, got invalid JSON ({err}); delete it or run it again"
        ) from err
    if not isinstance(record, dict):
        raise ValueError(f"'{path}' must hold a JSON record (an object), got a JSON {type(record).__name__}")
    return record


def _check_json(value, *, name):
    """Check that ``value`` is JSON data: dicts, lists, tuples, str, int, bool, ``None`` and finite floats."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number (JSON has no NaN or inf), got {value}")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_json(item, name=f"{name}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        for k, item in enumerate(value):
            _check_json(item, name=f"{name}[{k}]")
    elif not isinstance(value, (str, int, float, type(None))):
        raise TypeError(
            f"{name} must be JSON data (dict, list, str, int, float, bool or None), got {type(value).__name__}"
        )


def _fields(records):
    """The fields of ``records``, in order of first appearance."""
    return list(dict.fromkeys(field for r in records for field in r))


def _check_records(records, *, fields=("method", "noise", "rate"), nonempty=False):
    """Return ``records`` as a tuple of dicts that hold ``fields`` (a str or a single dict is refused)."""
    return check_sequence(records, name="records", nonempty=nonempty, item=partial(_check_record, fields=fields))


def _check_record(record, *, name, fields):
    """Return ``record`` after checking it is a dict holding ``fields``."""
    if not isinstance(record, Mapping):
        raise TypeError(f"{name} must be a record (a dict), got {type(record).__name__}")
    missing = [field for field in fields if field not in record]
    if missing:
        raise ValueError(f"{name} must have the field {missing[0]!r}, got the fields {list(record)}")
    for field in set(fields) & {"task", "method", "noise"}:
        if not isinstance(record[field], str):
            raise TypeError(f"{name}[{field!r}] must be a str, got {type(record[field]).__name__}")
    if "rate" in fields and record["rate"] is not None:
        check_rate(_check_number(record["rate"], name=f"{name}['rate']"), name=f"{name}['rate']")
    return record


def _check_names(values, name, known):
    """``None``, or ``values`` as a list of str after checking each is one of ``known``."""
    if values is None:
        return None
    values = list(check_sequence(values, name=name, item=_check_str))
    unknown = [v for v in values if v not in known]
    if unknown:
        raise ValueError(f"{name} must each be one of {sorted(known)}, got {unknown[0]!r}")
    return values


def _check_str(value, *, name):
    """Return ``value`` after checking it is a str."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    return value


def _check_number(value, *, name):
    """Return ``value`` after checking it is a finite real number (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


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
            _check_number(cell[0], name=f"{name}[0]")
            if cell[1] is not None and _check_number(cell[1], name=f"{name}[1]") < 0:
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
        ``records`` is not a sequence of dicts with ``method``, ``noise`` and ``rate``.
    """
    records = _check_records(records)
    errors, accuracies = defaultdict(dict), defaultdict(list)
    for r in records:
        key = setting(r)
        if r["method"] == "ce":
            for kind, by_name in r.get("estimates", {}).items():
                for name, fields in by_name.items():
                    if fields.get("estimation_error") is not None:
                        errors[key, name, kind][r["seed"]] = fields["estimation_error"]
        elif r["method"] == "forward_est" and r.get("test_accuracy") is not None:
            kind = "cross_fit" if r.get("cross_fit") else "in_sample"
            accuracies[key, r.get("estimator", "anchor"), kind].append(100.0 * r["test_accuracy"])
        elif r["method"] in ("volmin", "revision") and r.get("test_accuracy") is not None:
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
    _check_names([key], "key", {setting(r) for r in records})
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
