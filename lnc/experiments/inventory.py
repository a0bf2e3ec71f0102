"""The book's evidence: what the stored record folders hold (:func:`runs_markdown`), for the book's Runs page.

A stored folder (:func:`lnc.experiments.records.is_stored`) holds the runs that chapters read. Its records are
grouped into **grids**: the records of one task, protocol, epoch count, subset and model selection. An entry per grid
says what ran (label sets or noise settings, methods, estimators, seeds), where (CPU or GPU kind, precision,
threads) and when, and what it cost; older records that predate a field say "not recorded".
"""

from collections import defaultdict

from .prose import SELECTION_SHORT
from .protocol import ESTIMATED
from .records import IDENTITY_DEFAULTS, _as_path, is_stored, load_records
from .results import setting, training_key

USES_T_HAT = (*ESTIMATED, "revision")
"""The methods whose records name the estimator of the ``T̂`` they used."""
GRID = ("task", "protocol", "epochs", "subset", "selection")
"""The fields that tell one grid of a folder from another."""
EVIDENCE = {"mnist": "mnist", "imdb": "imdb", "cifar10": "cifar10_fast", "cifar10n": "cifarn_fast2"}
"""Per task, the stored folder (under ``results/``) of its best protocol on all the training data: the runs the
landing figure, the comparison and the closing chapter read (:func:`evidence_records`)."""


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


def evidence_records(root):
    """The book's evidence under ``root`` (a path): per task of :data:`EVIDENCE` whose folder exists there, the
    records of that task in it trained on all the training data with the paper's ``T̂`` (the anchor estimator,
    in sample), failed ones included, of one set of seeds per noise setting that every method shown has run, so
    that the methods' means over seeds, and their differences, are over the same seeds: a seed that some methods
    have not reached yet waits, and so does a method that has not run every seed of the others yet (whichever keeps
    more records; :func:`_whole_seeds`). A dict ``{task: [record, ...]}`` in the order of :data:`EVIDENCE`.

    Raises
    ------
    TypeError, ValueError
        ``root`` is not a path, or not an existing folder; a record cannot be read
        (:func:`lnc.experiments.records.load_records`).
    """
    root = _as_path(root, name="root")
    if not root.is_dir():
        raise ValueError(f"root must be an existing folder of record folders, got '{root}'")
    return {
        task: _whole_seeds(
            [
                r
                for r in load_records(root / folder, task=task)
                if r.get("subset") is None
                and r.get("estimator", IDENTITY_DEFAULTS["estimator"]) == "anchor"
                and not r.get("cross_fit")
            ]
        )
        for task, folder in EVIDENCE.items()
        if (root / folder).is_dir()
    }


def _whole_seeds(records):
    """``records`` of one seed set per noise setting (:func:`_seed_set`), of the methods that have run all of it."""
    seeds = defaultdict(lambda: defaultdict(set))  # setting -> method -> seeds
    for r in records:
        seeds[setting(r)][r["method"]].add(r["seed"])
    chosen = {key: _seed_set(list(by_method.values())) for key, by_method in seeds.items()}
    return [r for r in records
            if r["seed"] in chosen[setting(r)] and chosen[setting(r)] <= seeds[setting(r)][r["method"]]]  # fmt: skip


def _seed_set(ran):
    """Of the seed sets ``ran`` of a setting's methods (a list of sets) and their intersection, the one that keeps
    the most records, then the most methods, when a method is kept only if it has run every seed of the set."""

    def score(chosen):  # records kept, methods kept
        methods = sum(chosen <= seeds for seeds in ran)
        return len(chosen) * methods, methods

    return max([*ran, set.intersection(*ran)], key=score)


def _grids(records):
    """``records`` grouped by :data:`GRID`, in order of first appearance: a list of lists."""
    groups = {}
    for r in records:
        key = tuple(str(r.get(field, IDENTITY_DEFAULTS.get(field))) for field in GRID)
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
    kept = SELECTION_SHORT[first.get("selection", IDENTITY_DEFAULTS["selection"])]
    estimators = ", ".join(dict.fromkeys(_estimator(r) for r in records if r["method"] in USES_T_HAT))
    return {
        "grid": f"{first['task']}, {first['protocol']}, {first['epochs']} epochs, {data}; kept by {kept}",
        "settings": ", ".join(dict.fromkeys(setting(r) for r in records)),
        "methods": ", ".join(dict.fromkeys(r["method"] for r in records))
        + (f"; T̂ by {estimators}" if estimators else ""),
        "seeds": ", ".join(str(s) for s in sorted({r["seed"] for r in records})),
        "trainings": f"{len(trainings)} training{'s' * (len(trainings) != 1)}"
        + (f" ({len(records) - len(ok)} failed)" if len(ok) < len(records) else ""),
        "machine": f"{_listed({_machine(r) for r in ok})}; precision {_listed({r.get('precision') for r in ok})}",
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
            lead = EVIDENCE.get(grid[0]["task"]) == folder.name and grid[0].get("subset") is None
            blocks.append(
                f"**`{folder.name}`**: {row['grid']}" + ("; **the book's evidence**" * lead) + "\n"
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


def _machine(record):
    """The GPU ``record`` ran on, else its CPU, with the vector instructions of its kernels where recorded."""
    if record.get("gpu"):
        return record["gpu"]
    isa = record.get("cpu_isa")
    return f"{record.get('cpu', 'not recorded')} ({isa})" if isa else record.get("cpu")


def _listed(values):
    """Sorted values joined by commas, ``"not recorded"`` for a missing one."""
    return ", ".join(sorted("not recorded" if v is None else str(v) for v in values))
