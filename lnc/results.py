"""Result records of :func:`lnc.training.run_protocol`: JSON files, and tables of mean ± std over seeds."""

import json
import math
from collections import defaultdict
from pathlib import Path

import numpy as np


def record_name(record):
    """File name of a record: ``<task>_<noise>[-<rate>]_<method>_seed<seed>.json``."""
    rate = "" if record["rate"] is None else f"-{record['rate']:g}"
    return f"{record['task']}_{record['noise']}{rate}_{record['method']}_seed{record['seed']}.json"


def save_record(record, results_dir):
    """Write ``record`` as indented JSON into ``results_dir`` (created if needed); returns the path."""
    path = Path(results_dir) / record_name(record)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1, allow_nan=False) + "\n")
    return path


def load_records(results_dir, **where):
    """All records in ``results_dir`` (sorted by file name) whose fields equal ``where``'s values."""
    records = [json.loads(p.read_text()) for p in sorted(Path(results_dir).glob("*.json"))]
    return [r for r in records if all(r.get(k) == v for k, v in where.items())]


def setting(record):
    """The noise setting of a record as a column label: ``"none"``, ``"symmetric 0.2"``, ``"aggre"``, ..."""
    return record["noise"] if record["rate"] is None else f"{record['noise']} {record['rate']:g}"


def summarize(records, value="test_accuracy"):
    """``{(method, setting): (mean, std, n)}`` of ``value`` × 100 over seeds (std with ddof = 1; NaN if n = 1).

    Failed runs (``value`` is ``None``) are left out of the mean and counted in neither.
    """
    groups = defaultdict(list)
    for r in records:
        if r.get(value) is not None:
            groups[(r["method"], setting(r))].append(100.0 * r[value])
    return {key: (float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else math.nan, len(v))
            for key, v in groups.items()}


def accuracy_table(records, methods=None, settings=None, digits=1):
    """A text table: a row per method, a column per noise setting, cells ``mean ± std`` of the test accuracy (%).

    ``methods`` / ``settings`` fix the order (default: as first seen). Missing cells print ``-``.
    """
    stats = summarize(records)
    methods = methods or list(dict.fromkeys(m for m, _ in stats))
    settings = settings or list(dict.fromkeys(s for _, s in stats))

    rows = [[m, *(_cell(*stats[m, s][:2], digits) if (m, s) in stats else "-" for s in settings)] for m in methods]
    return _text_table([["method", *settings], *rows])


def comparison_table(records, published, methods=None, settings=None, digits=1):
    """Our test accuracies beside published ones: per method a row ``<method>`` (ours, mean ± std over seeds)
    and a row ``<method> (published)``; a column per noise setting.

    ``published``: ``{method: {setting: (mean, std or None)}}`` in %, as :data:`lnc.published.CIFARN`.
    ``methods`` / ``settings`` default to those of ``published``. Missing cells print ``-``.
    """
    ours = summarize(records)
    methods = methods or list(published)
    settings = settings or list(dict.fromkeys(s for values in published.values() for s in values))

    rows = [["method", *settings]]
    for m in methods:
        rows.append([m, *(_cell(*ours[m, s][:2], digits) if (m, s) in ours else "-" for s in settings)])
        if m in published:
            rows.append([f"{m} (published)",
                         *(_cell(*published[m][s], digits) if s in published[m] else "-" for s in settings)])
    return _text_table(rows)


def _cell(mean, std, digits):
    """``mean ± std`` with ``digits`` decimals; the mean alone when ``std`` is ``None`` or NaN."""
    return f"{mean:.{digits}f}" + ("" if std is None or math.isnan(std) else f" ± {std:.{digits}f}")


def _text_table(rows):
    """Rows of strings as aligned text: the first column left-aligned, the others right-aligned, a rule under
    the header row."""
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    lines = ["  ".join(text.ljust(w) if k == 0 else text.rjust(w) for k, (text, w) in enumerate(zip(row, widths)))
             for row in rows]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])


def estimation_table(records, digits=3):
    """A text table of the CE runs: per noise setting, the mean relative L1 error of ``T̂`` against the true T,
    the mean ``cond(T̂)`` (``nan`` where no run has a value) and the selected CE epochs (one per seed)."""
    ce = [r for r in records if r["method"] == "ce"]
    rows = []
    for key in dict.fromkeys(setting(r) for r in ce):
        runs = [r for r in ce if setting(r) == key]
        error, cond = (_mean_of(runs, field) for field in ("estimation_error", "cond_T_hat"))
        rows.append(f"{key:<16} error {error:.{digits}f}   cond(T_hat) {cond:8.2f}   "
                    f"best CE epoch {[r['best_epoch'] for r in runs]}")
    return "\n".join(rows)


def _mean_of(records, field):
    """Mean of ``field`` over the records that have a value (``None``: no true T, or an infinite cond); NaN if none."""
    values = [r[field] for r in records if r.get(field) is not None]
    return float(np.mean(values)) if values else math.nan


def run_summary(records):
    """One text line per task of ``records``: protocol, model, epochs, training / validation size, seeds, noise
    settings, trainings, and their summed wall time (CPU minutes when ``device`` is ``cpu``)."""
    lines = []
    for task in dict.fromkeys(r["task"] for r in records):
        runs = [r for r in records if r["task"] == task and r.get("status", "ok") == "ok"]
        first = runs[0]
        minutes = sum(r["wall_time_s"] for r in runs) / 60
        lines.append(f"{task}: protocol {first['protocol']!r}, {first['recipe']['model']} "
                     f"{first['recipe']['model_kwargs']}, {sorted({r['epochs'] for r in runs})} epochs, "
                     f"{first['n_train']} train / {first['n_val']} val, seeds {sorted({r['seed'] for r in runs})}, "
                     f"{len({setting(r) for r in runs})} settings, {len(runs)} trainings, "
                     f"{minutes:.0f} min on {sorted({r['device'] for r in runs})}")
    return "\n".join(lines)
