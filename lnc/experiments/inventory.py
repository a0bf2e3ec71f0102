"""The book's evidence: what the stored record folders hold (:func:`runs_markdown`), for the book's Runs page.

A stored folder (:func:`lnc.experiments.records.is_stored`) holds the runs that chapters read. Its records are
grouped into **grids**: the records of one task, protocol, epoch count, subset and model selection. An entry per grid
says what ran (label sets or noise settings, methods, estimators, seeds), where (CPU or GPU kind, precision,
threads) and when, and what it cost; older records that predate a field say "not recorded".
"""

from .protocol import ESTIMATED
from .records import _as_path, is_stored, load_records
from .results import setting, training_key

USES_T_HAT = (*ESTIMATED, "revision")
"""The methods whose records name the estimator of the ``T̂`` they used."""
GRID = ("task", "protocol", "epochs", "subset", "selection")
"""The fields that tell one grid of a folder from another."""


def stored_folders(root):
    """The stored folders directly under ``root`` (a path), sorted by name.

    Raises
    ------
    TypeError, ValueError
        ``root`` is not a path, or not an existing folder.
    """
    root = _as_path(root, name="root")
    if not root.is_dir():
        raise ValueError(f"root must be an existing folder of record folders, got '{root}'")
    return [folder for folder in sorted(root.iterdir()) if folder.is_dir() and is_stored(folder)]


def _grids(records):
    """``records`` grouped by :data:`GRID`, in order of first appearance: a list of lists."""
    groups = {}
    for r in records:
        key = tuple(str(r.get(field, "val_loss" if field == "selection" else None)) for field in GRID)
        groups.setdefault(key, []).append(r)
    return list(groups.values())


def _grid_row(records):
    """What one grid's records say, a dict of str: ``grid`` (task, protocol, epochs, data, selection), ``settings``,
    ``methods`` (and the estimators of ``T̂``), ``seeds``, ``trainings``, ``machine`` (and precision), ``hours``,
    ``finished``."""
    ok = [r for r in records if r.get("status", "ok") == "ok"]
    trainings = list({training_key(r): r for r in ok}.values())  # a CE record of several estimators once
    first = records[0]
    hours = sum(r["wall_time_s"] * (r.get("threads", 1) if r["device"] == "cpu" else 1) for r in trainings) / 3600
    finished = sorted(r["finished"][:10] for r in ok if r.get("finished"))
    data = "all training data" if first.get("subset") is None else f"subset {first['subset']:,}"
    kept = {"val_accuracy": "noisy-val. accuracy", "val_loss": "own val. loss"}[first.get("selection", "val_loss")]
    estimators = ", ".join(dict.fromkeys(_estimator(r) for r in records if r["method"] in USES_T_HAT))
    return {
        "grid": f"{first['task']}, {first['protocol']}, {first['epochs']} epochs, {data}; kept by {kept}",
        "settings": ", ".join(dict.fromkeys(setting(r) for r in records)),
        "methods": ", ".join(dict.fromkeys(r["method"] for r in records))
        + (f"; T̂ by {estimators}" if estimators else ""),
        "seeds": ", ".join(str(s) for s in sorted({r["seed"] for r in records})),
        "trainings": f"{len(trainings)} training{'s' * (len(trainings) != 1)}"
        + (f" ({len(records) - len(ok)} failed)" if len(ok) < len(records) else ""),
        "machine": f"{_listed({r.get('gpu') or r.get('cpu') for r in ok})}; "
        f"precision {_listed({r.get('precision') for r in ok})}",
        "hours": f"{hours:.1f} {'/'.join(sorted({'CPU' if r['device'] == 'cpu' else 'GPU' for r in ok}))}-hours",
        "finished": (finished[0] if finished[0] == finished[-1] else f"{finished[0]} to {finished[-1]}")
        if finished
        else "not recorded",
    }


def runs_markdown(root):
    """Every grid of every stored folder under ``root``, in Markdown (a list per grid, readable at any width): its
    folder and :func:`_grid_row`'s fields; a stored folder without records says so. ``hours`` is the wall time of
    each training (a CE record shared by several estimators counted once) times its threads on a CPU.

    Raises
    ------
    TypeError, ValueError
        As :func:`stored_folders`; a record cannot be read (:func:`lnc.experiments.records.load_records`) or lacks
        ``task``, ``method``, ``noise``, ``rate``, ``seed``, ``wall_time_s`` or ``device``.
    """
    blocks = []
    for folder in stored_folders(root):
        records = load_records(folder)
        if not records:
            blocks.append(f"**`{folder.name}`**: no records yet.")
        for grid in _grids(records):
            row = _grid_row(grid)
            blocks.append(
                f"**`{folder.name}`**: {row['grid']}\n"
                f"- noise: {row['settings']}\n"
                f"- methods: {row['methods']}\n"
                f"- seeds {row['seeds']}; {row['trainings']}; {row['hours']}; "
                f"finished {row['finished']}\n"
                f"- machine: {row['machine']}"
            )
    return "\n\n".join(blocks)


def _estimator(record):
    """The estimator of a record that uses ``T̂``, with its cross-fitting."""
    estimator = record.get("estimator", "anchor")
    return estimator + (f" (cross-fit {record['cross_fit']})" if record.get("cross_fit") else "")


def _listed(values):
    """Sorted values joined by commas, ``"not recorded"`` for a missing one."""
    return ", ".join(sorted("not recorded" if v is None else str(v) for v in values))
