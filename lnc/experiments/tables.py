"""Tables of result records (:class:`Table`: plain text for a terminal, HTML in a notebook): accuracies over seeds,
ours beside published numbers, gains and paired differences, estimators' errors, model selection, the clipping
sweep. The numbers come from :mod:`lnc.experiments.results`.
"""

import html
import json
import math
from collections import defaultdict

import numpy as np

from .._checks import (
    check_fields,
    check_int,
    check_sequence,
    check_str,
)
from ..metrics import condition_number, estimation_error, flip_rate
from .loop import SELECTIONS
from .records import _as_path
from .results import (
    ESTIMATOR_KINDS,
    _check_names,
    _check_published,
    _check_record,
    _check_records,
    _mean_of,
    _mean_std,
    estimator_stats,
    paired_differences,
    setting,
    summarize,
)


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
        written before it existed) or one of its criteria; ``digits`` is not an int >= 0.
    """
    records = _check_records(records, optional=("test_accuracy",))
    digits = check_int(digits, name="digits", low=0)
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


def _cell(mean, std, digits):
    """``mean ± std`` with ``digits`` decimals; the mean alone when ``std`` is ``None`` or NaN."""
    return f"{mean:.{digits}f}" + ("" if std is None or math.isnan(std) else f" ± {std:.{digits}f}")


class Table(str):
    """A result table: the aligned text (``print`` it; it is a ``str``) that also renders as an HTML table in a
    notebook (``_repr_html_``). ``rows``: the header row then the body rows, each a tuple of strings; the first
    column is left-aligned, the others right-aligned; a name breaks after its ``_`` in a narrow column.

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
                    f'<{tag} style="text-align:{"left" if k == 0 else "right"}">{_breakable(c)}</{tag}>'
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


def _breakable(text):
    """``text`` escaped for HTML, with a line-break opportunity after each ``_``, so that a narrow column breaks
    ``confident_joint`` between its words, not inside one."""
    return html.escape(text).replace("_", "_<wbr>")


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


def estimator_benchmark_table(records, kind, field="error", estimators=None, digits=None):
    """A :class:`Table` of every estimator over every noise setting of ``records``: a row per setting (with its task
    where ``records`` hold several), a column per estimator (``estimators``, default every one the CE records estimated
    with), cells ``mean ± std`` over seeds (their number ``(n)`` after a cell of fewer seeds than the table's most) of
    :func:`estimator_stats`'s ``field`` (``"error"``: of ``T̂`` against the true T; ``"accuracy"``: of forward with it,
    %) on ``kind`` posteriors (a kind of :data:`ESTIMATOR_KINDS` but ``"learned"``); ``-`` where no run. The smallest
    error (largest accuracy) of each row is marked ``*``; ``digits`` defaults to 3 for errors, 1 for accuracies. A table
    of errors starts with the error of the training labels' own realised ``T`` where the CE records hold it
    (``T_train``): the error of an estimator that knew every clean label, the labels' sampling noise, which no estimator
    reading these labels is expected to beat.

    Raises
    ------
    TypeError, ValueError
        As :func:`estimator_stats`; ``kind`` or ``field`` is not one of those above; ``estimators`` is not a
        sequence of names estimated in ``records``; ``digits`` is not an int >= 0.
    """
    records = _check_records(records)
    _check_names([check_str(kind, name="kind")], "kind", ESTIMATOR_KINDS[:-1])
    _check_names([check_str(field, name="field")], "field", ("error", "accuracy"))
    digits = (3 if field == "error" else 1) if digits is None else check_int(digits, name="digits", low=0)
    tasks = list(dict.fromkeys(r.get("task") for r in records))
    stats = {  # keyed by "<task> <setting>" where the records hold several tasks
        (key if len(tasks) == 1 else f"{task} {key}", name, k): value
        for task in tasks
        for (key, name, k), value in estimator_stats([r for r in records if r.get("task") == task]).items()
    }
    known = list(dict.fromkeys(name for _, name, k in stats if k == kind))
    names = known if estimators is None else check_sequence(estimators, name="estimators", item=check_str)
    _check_names(names, "estimators", known)
    settings = list(dict.fromkeys(key for key, name, k in stats if k == kind and field in stats[key, name, k]))
    floors = _label_floors(records, len(tasks) > 1) if field == "error" else {}
    most = max((v[field][2] for (_, name, k), v in stats.items() if k == kind and field in v), default=0)
    rows = [["setting", *(["labels' own T"] if floors else []), *names]]
    for key in settings:
        values = {name: stats.get((key, name, kind), {}).get(field) for name in names}
        found = [v[0] for v in values.values() if v]
        best = (min if field == "error" else max)(found) if found else None
        floor = [_cell(*_mean_std(floors[key])[:2], digits)] if key in floors else ["-"] * bool(floors)
        rows.append([key, *floor, *("-" if not v else _cell(*v[:2], digits) + f" ({v[2]})" * (v[2] < most)
                                    + " *" * (v[0] == best) for v in values.values())])  # fmt: skip
    return Table(rows)


def _label_floors(records, with_task):
    """``{setting: [error, ...]}``: per CE run (one per seed), the relative L1 error of the realised ``T`` of its
    training labels (``T_train``) against ``T_true``, the error an estimator that knew every clean label would
    make; settings keyed as :func:`estimator_benchmark_table` keys them."""
    floors = defaultdict(dict)
    for r in records:
        if r["method"] == "ce" and r.get("T_train") is not None and r.get("T_true") is not None:
            key = f"{r['task']} {setting(r)}" if with_task else setting(r)
            floors[key][r.get("seed")] = estimation_error(np.array(r["T_train"]), np.array(r["T_true"]))
    return {key: list(by_seed.values()) for key, by_seed in floors.items()}


def backward_table(records):
    """A :class:`Table` of the backward runs of ``records`` (methods ``backward`` and ``backward_est``), a row each:
    the matrix inverted (the true ``T`` or ``T̂``), its condition number and the smallest entry of its inverse; the
    first epoch whose mean training loss is negative and the training loss of the last epoch, with CE's on the same
    setting and seed where ``records`` hold it (a cross-entropy is never negative: a backward loss below zero is
    spent on pushing probabilities of other classes towards 0); the share of steps whose gradient was clipped (where
    recorded); the epoch kept out of those run; the best noisy-validation and the test accuracy (%).

    Raises
    ------
    TypeError, ValueError
        ``records`` is not a sequence of dicts with ``method``, ``noise`` and ``rate``; a backward record lacks
        ``seed``, ``curves``, ``best_epoch``, ``test_accuracy`` or its matrix.
    """
    records = _check_records(records)
    ce_loss = {(setting(r), r.get("seed")): _last(r["curves"]["train_loss"]) for r in records
               if r["method"] == "ce" and r.get("curves")}  # fmt: skip
    rows = [["setting", "method", "seed", "cond", "min of inverse", "loss < 0 from epoch", "last loss (CE)",
             "steps clipped (%)", "kept / run", "best val acc (%)", "test acc (%)"]]  # fmt: skip
    for k, r in enumerate(records):
        if r["method"] not in ("backward", "backward_est"):
            continue
        matrix = "T_true" if r["method"] == "backward" else "T_hat"
        _check_record(r, name=f"records[{k}]", fields=("seed", "curves", "best_epoch", "test_accuracy", matrix))
        M, curves = np.array(r[matrix], dtype=float), r["curves"]
        losses = curves["train_loss"]
        negative = [epoch + 1 for epoch, v in enumerate(losses) if v is not None and v < 0]
        ce = ce_loss.get((setting(r), r["seed"]))
        clipped = [v for v in curves.get("clipped", []) if v is not None]
        run = sum(v is not None for v in losses)
        rows.append([
            setting(r), r["method"], str(r["seed"]), f"{condition_number(M):.1f}", f"{np.linalg.inv(M).min():.2f}",
            str(negative[0]) if negative else "never",
            _loss(_last(losses)) + ("" if ce is None else f" ({_loss(ce)})"),
            f"{100 * np.mean(clipped):.0f}" if clipped else "-",
            f"{r['best_epoch']} / {run}" + " (diverged)" * bool(r.get("diverged")),
            f"{100 * np.nanmax(np.array(curves['val_accuracy'], dtype=float)):.1f}",
            f"{100 * r['test_accuracy']:.1f}",
        ])  # fmt: skip
    return Table(rows)


def _loss(value):
    """A loss in a table cell: two decimals, or three significant digits where it is 10,000 or more in size."""
    return f"{value:.2f}" if abs(value) < 1e4 else f"{value:.2e}"


def _last(values):
    """The last value of a curve that is not ``None`` (NaN if none)."""
    finite = [v for v in values if v is not None]
    return finite[-1] if finite else math.nan


def _check_row(row, *, name):
    """A row of a :class:`Table`: a sequence of str, as a tuple."""
    return check_sequence(row, name=name, nonempty=False, item=check_str)


def estimator_table(records, key, digits=3):
    """A :class:`Table` of one noise setting ``key`` (as :func:`setting` writes it): a row per estimator, then per
    T-learning method; columns the error of ``T̂`` for each kind of posteriors that any record of ``key`` has
    (in-sample, held-out, cross-fitted: :func:`estimator_stats`), the noise the in-sample (or learned) ``T̂`` puts
    in where the records keep it (one minus its mean diagonal; the header gives the true T's), then the forward
    correction's test accuracy (%) with it for each kind trained (in-sample where none is). Cells ``mean ± std``;
    ``-`` where no run.

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

    def kinds_with(field):
        return [kind for kind in ESTIMATOR_KINDS[:-1] if any(field in stats.get((key, n, kind), {}) for n in names)]

    errors, accuracies = kinds_with("error") or ["in_sample"], kinds_with("accuracy") or ["in_sample"]
    labels = {"in_sample": "in-sample", "held_out": "held-out", "pooled": "held-out pooled",
              "cross_fit": "cross-fitted"}  # fmt: skip

    def cell(name, kind, field, places):
        value = stats.get((key, name, kind), {}).get(field)
        return _cell(*value[:2], places) if value else "-"

    noise = [_noise_header(records, key)] if any("noise" in stats.get((key, n, k), {}) for n in [*names, *learned]
                                               for k in ("in_sample", "learned")) else []  # fmt: skip
    rows = [["estimator", *(f"error, {labels[kind]}" for kind in errors), *noise,
             *(f"accuracy, {labels[kind]}" for kind in accuracies)]]  # fmt: skip
    for name in names:
        rows.append([name, *(cell(name, kind, "error", digits) for kind in errors),
                     *[cell(name, "in_sample", "noise", digits)] * bool(noise),
                     *(cell(name, kind, "accuracy", 1) for kind in accuracies)])  # fmt: skip
    for name in learned:
        rows.append([f"{name} (learns T)", cell(name, "learned", "error", digits), *["-"] * (len(errors) - 1),
                     *[cell(name, "learned", "noise", digits)] * bool(noise),
                     cell(name, "learned", "accuracy", 1), *["-"] * (len(accuracies) - 1)])  # fmt: skip
    return Table(rows)


def _noise_header(records, key):
    """The header of :func:`estimator_table`'s noise column: with the noise of the true T where the records of
    ``key`` hold one (the same in all of them)."""
    true = {json.dumps(r["T_true"]) for r in records if setting(r) == key and r.get("T_true") is not None}
    if len(true) != 1:
        return "noise"
    return f"noise (true: {flip_rate(json.loads(true.pop())):.3f})"


def epochs_table(records, digits=1):
    """A :class:`Table` of the trainings of ``records`` that ran with more than one epoch count: a row per noise
    setting, method and seed that did, a column per epoch count (ascending), cells the clean test accuracy (%) and
    the kept epoch, ``"84.7 (epoch 20)"``; ``-`` where not run. Successful records only; their other settings are
    the caller's to keep alike (one protocol and selection).

    Raises
    ------
    TypeError, ValueError
        ``records`` is not a sequence of dicts; a successful record lacks a field read (``method``, ``noise``,
        ``rate``, ``seed``, ``epochs``, ``best_epoch``, ``test_accuracy``); ``digits`` is not an int >= 0.
    """
    records = _check_records(records, optional=("status",))
    digits = check_int(digits, name="digits", low=0)
    fields = ("seed", "epochs", "best_epoch", "test_accuracy")
    ok = [_check_record(r, name=f"records[{k}]", fields=fields) for k, r in enumerate(records)
          if r.get("status", "ok") == "ok" and r.get("test_accuracy", 0) is not None]  # fmt: skip
    cells = {(setting(r), r["method"], r["seed"], r["epochs"]):
             f"{100 * r['test_accuracy']:.{digits}f} (epoch {r['best_epoch']})" for r in ok}  # fmt: skip
    counts = defaultdict(set)
    for key, method, seed, epochs in cells:
        counts[key, method, seed].add(epochs)
    rows = [row for row, epochs in counts.items() if len(epochs) > 1]
    columns = sorted({e for row in rows for e in counts[row]})
    header = ["setting, method, seed", *(f"{e} epoch{'s' * (e != 1)}" for e in columns)]
    return Table([header, *([f"{key}, {method}, {seed}", *(cells.get((key, method, seed, e), "-") for e in columns)]
                            for key, method, seed in rows)])  # fmt: skip


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
