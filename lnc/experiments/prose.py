"""Result records in words, for the chapters' sentences: a claim's verdict over its cases, lists and ranges, a
recipe and the protocol that records state (:func:`describe_records`), a one-line summary of a run.
"""

import dataclasses
import json
from functools import partial

from .._checks import (
    check_bool,
    check_int,
    check_real,
    check_sequence,
    check_str,
)
from .recipes import Recipe
from .records import IDENTITY_DEFAULTS, identity
from .results import SUMMARY_FIELDS, _check_record, _check_records, _successful, setting, training_key


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


def count_of(items, total, noun):
    """How many of ``total`` cases (``noun``, a plural str) a claim holds in, naming them: ``"2 of 4 settings (a,
    b)"``, or ``"none of the 4 settings"``; ``items`` a sequence of str of at most ``total`` (an int >= 0)."""
    items = check_sequence(items, name="items", nonempty=False, item=check_str)
    total = check_int(total, name="total", low=len(items))
    noun = check_str(noun, name="noun")
    return f"{len(items)} of {total} {noun} ({', '.join(items)})" if items else f"none of the {total} {noun}"


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


def failed_trainings(records):
    """Markdown: ``"All <n> trainings finished."``, or how many of ``records`` failed, each with its setting,
    method, seed and the ``error`` its record states (failed trainings are left out of every table).

    Raises
    ------
    TypeError, ValueError
        ``records`` is not a non-empty sequence of dicts with ``method``, ``noise`` and ``rate``; a failed one
        lacks ``seed`` or ``error``.
    """
    records = _check_records(records, optional=("status",), nonempty=True)
    failed = [
        _check_record(r, name=f"records[{k}]", fields=("seed", "error"))
        for k, r in enumerate(records)
        if r.get("status", "ok") != "ok"
    ]
    if not failed:
        return f"All {len(records)} trainings finished."
    lines = [f"  - {setting(r)}, `{r['method']}`, seed {r['seed']}: {r['error']}" for r in failed]
    return (
        f"**Failed trainings: {len(failed)} of {len(records)}**, left out of every table (`-`), count and claim "
        "on this page:\n" + "\n".join(lines)
    )


def shown_run(records, reference, whose):
    """Markdown that opens an experiment chapter's results: whether its run is reduced (a subset) or another protocol
    than ``reference`` (the :class:`lnc.experiments.recipes.Recipe` of the published protocol, ``whose``: ``"the
    paper's"``, say), the protocol its records state (:func:`describe_records`), their summary
    (:func:`run_summary`) and failures (:func:`failed_trainings`), and the reference recipe.

    Raises
    ------
    TypeError, ValueError
        As :func:`describe_records`; ``reference`` is not a Recipe; ``whose`` is not a str.
    """
    if not isinstance(reference, Recipe):
        raise TypeError(f"reference must be an lnc.experiments.recipes.Recipe, got {type(reference).__name__}")
    whose = check_str(whose, name="whose")
    described = describe_records(records)  # checks that some run succeeded
    ok = [r for r in records if r.get("status", "ok") == "ok"]
    first = ok[0]
    if first["subset"] is not None:
        scope = f": a reduced protocol on a subset of {first['subset']:,}, not {whose}"
    elif first["protocol"] != "paper" or first["epochs"] != reference.epochs:
        scope = f": all the training data, under another protocol than {whose}"
    else:
        scope = ""
    return (
        f"**The run shown here{scope}.** {described}.\n\n"
        f"Records of the successful trainings: {run_summary(ok)}.\n\n{failed_trainings(records)}\n\n"
        f'The published protocol (`protocol="paper"`): {describe_recipe(reference)}, the whole training set.'
    )


def run_summary(records):
    """One text line per task of ``records``: protocol, network, epochs, training / validation size, seeds, noise
    settings, trainings (a CE record repeated by the jobs of other estimators counted once), and their summed wall
    time in minutes, named after the device (CPU- or GPU-minutes; the threads are not counted). A task whose runs
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
    model, kwargs = first["recipe"]["model"], first["recipe"].get("model_kwargs", {})
    network = NETWORK_TEXT[model](kwargs) if model in NETWORK_TEXT else model
    minutes = sum(r["wall_time_s"] for r in ok) / 60
    devices = " and ".join(sorted({"CPU" if r["device"] == "cpu" else "GPU" for r in ok}))
    settings = len({setting(r) for r in ok})
    selections = sorted({r.get("selection", IDENTITY_DEFAULTS["selection"]) for r in ok})
    epochs = sorted({r["epochs"] for r in ok})
    seeds = sorted({r["seed"] for r in ok})
    return (
        f"{task}: protocol '{first['protocol']}', {network}, "
        f"{' or '.join(str(e) for e in epochs)} epoch{'s' * (epochs != [1])}, "
        f"{first['n_train']:,} train / {first['n_val']:,} val, "
        f"seed{'s' * (len(seeds) > 1)} {', '.join(str(s) for s in seeds)}, "
        f"kept by {' or '.join(SELECTION_SHORT.get(s, s) for s in selections)}, "
        f"{settings} setting{'s' * (settings != 1)}, {len(ok)} training{'s' * (len(ok) != 1)}, "
        f"{minutes:.0f} {devices}-minute{'s' * (round(minutes) != 1)}"
    )


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
    shared = [{**r, **identity(r)} for r in ok]  # a recipe as its identity has it: a field added since, at its default
    for field in SHARED_FIELDS:
        values = list(dict.fromkeys(json.dumps(r[field], sort_keys=True) for r in shared))
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
    "val_loss": "the epoch of the lowest value of each run's own loss on the noisy validation split (the paper's "
    "choice)",
}
"""How :func:`describe_records` states a record's ``selection`` (:data:`lnc.experiments.loop.SELECTIONS`)."""
SELECTION_SHORT = {"val_accuracy": "noisy-val. accuracy", "val_loss": "own val. loss"}
"""What a record's epoch was kept by, in the short lines of :func:`run_summary` and the Runs page."""
