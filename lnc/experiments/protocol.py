"""The paper's two-stage protocol (:func:`run_protocol`), one training of it (:func:`train`), and grids of
runs (:func:`run_grid`) on any executor, resumable from their records.

Protocol (Patrini et al. 2017, official code): train with cross-entropy on the noisy training split and keep
the epoch that model selection picks on the **noisy** validation split; estimate ``T̂`` (``T[i, j] = P(noisy = j |
clean = i)``) from that model's posteriors on the training inputs (training + validation split, as the code does);
train a fresh network with the forward/backward loss corrected by ``T̂`` (methods ``forward_est``,
``backward_est``) or by the true T (``forward``, ``backward``); report the clean test accuracy of the selected
epoch. Model selection (``selection``) is by noisy-validation accuracy, the same for every method, or by the run's
own (corrected) validation loss, the paper's choice. The test set makes no choice: it is read after training, once
for the epoch each criterion keeps.

A run is deterministic on CPU for a given seed (model initialisation, dropout, batch order, augmentation and
label noise all derive from it). Results are plain dicts, saved as JSON with every setting of the run.
"""

import copy
import dataclasses
import functools
import inspect
import json
import math
import os
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .._checks import (
    check_choice,
    check_fields,
    check_int,
    check_mapping,
    check_optional_int,
    check_rate,
    check_seed,
    check_sequence,
    check_transition_matrix,
    describe,
)
from ..estimation import ESTIMATORS, estimate_T
from ..losses import CORRECTIONS, LOSS_NAMES, make_loss
from ..metrics import condition_number, estimation_error
from ..noise import corrupt_labels, empirical_T
from . import datasets
from .learned_T import REVISION_LR, VOLMIN_LR, VOLMIN_OPTIMIZER, RevisionLoss, VolMinLoss
from .loop import (
    SELECTIONS,
    build_network,
    check_progress,
    environment,
    in_memory_batches,
    precision,
    predict_proba,
    prepare,
    resolve_device,
    train_on,
)
from .prose import describe_recipe
from .recipes import NOISE_KINDS, TASKS, Recipe, get_recipe, paper_T
from .records import (
    check_results_dir,
    identity,
    is_stored,
    job_lock,
    load_posteriors,
    posteriors_path,
    record_name,
    save_posteriors,
    save_record,
    stored_record,
)
from .text import load_imdb

ESTIMATED = {f"{name}_est": name for name in CORRECTIONS}
"""Method ``<correction>_est`` → its correction of :data:`lnc.losses.CORRECTIONS`, used with the ``T̂`` of the CE run."""
LEARNED = ("volmin", "revision")
"""Methods that learn T with the network (:mod:`lnc.experiments.learned_T`): ``volmin``, VolMinNet from T near I;
``revision``, T-Revision from the ``T̂`` of the CE run (importance reweighting with ``T̂``, then the network and a
slack ``ΔT`` revised together)."""
METHOD_OPTIONS = {
    "volmin": {"T_optimizer": VOLMIN_OPTIMIZER, "T_lr": VOLMIN_LR, "T_init": "-log(c - 1)"},
    "revision": {"start": "ce"},
}
"""How a learned-T method runs beyond the recipe, as its authors' code does: VolMinNet's T on its own optimiser
from a diagonal near 0.5 whatever c; T-Revision from the CE network. Its records' ``method_options`` (an identity
field): records without it were made when T was a group of the network's optimiser (init -2) and T-Revision
started from a fresh network."""
METHODS = LOSS_NAMES + tuple(ESTIMATED) + LEARNED
"""Methods of :func:`run_protocol`: the losses of :data:`lnc.losses.LOSS_NAMES` (``forward``/``backward``
with the true T), the corrections with the estimated ``T̂``, and :data:`LEARNED`."""
_USES_T_HAT = (*ESTIMATED, "revision")


DEFAULT_METHODS = ("ce", "backward", "forward", "backward_est", "forward_est")


def describe_run(task, protocol, *, epochs=None, subset=None, seeds=(0,), device="auto", workers=1):
    """One line stating the protocol of a chapter's run before it runs, in words: the recipe
    (:func:`lnc.experiments.prose.describe_recipe`), the training data, seeds, device, torch and worker processes."""
    data = "all the training data" if subset is None else f"a seeded subset of {subset:,}"
    return (
        f"{task}, protocol '{protocol}': {describe_recipe(get_recipe(task, protocol), epochs)}; {data}; "
        f"seed{'s' * (len(seeds) > 1)} {', '.join(str(s) for s in seeds)}; device {resolve_device(device)}; "
        f"torch {torch.__version__}; {workers} worker process{'es' * (workers != 1)}"
    )


def train(
    splits, method, recipe, *, T=None, seed=0, device="auto", progress=None, epochs=None, selection="val_accuracy"
):
    """Train a fresh network with loss ``method`` on ``splits``; return ``(model, record)``.

    Parameters
    ----------
    splits : lnc.experiments.datasets.NoisySplits
        Noisy train / noisy validation / clean test.
    method : str
        A loss of :data:`lnc.losses.LOSS_NAMES`; ``"forward"``/``"backward"`` need ``T``.
    recipe : Recipe
    T : array_like, optional
        ``(c, c)``, ``T[i, j] = P(noisy = j | clean = i)``: the matrix the correction uses (true or estimated).
    seed : int
        Seeds model initialisation, dropout, batch order and augmentation.
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda"``.
    progress : bool, optional
        tqdm bar over epochs; ``None`` = only when stderr is a terminal.
    epochs : int, optional
        Overrides ``recipe.epochs``.
    selection : {"val_accuracy", "val_loss"}
        How the epoch is kept on the noisy validation split (:data:`lnc.experiments.loop.SELECTIONS`).

    Returns
    -------
    model : torch.nn.Module
        The network at the selected epoch, in eval mode.
    record : dict
        ``test_accuracy`` (clean, of the selected epoch), ``best_epoch`` (1-based), ``best_val_loss``,
        ``best_val_accuracy``, ``diverged``, ``curves`` (per-epoch ``train_loss``, ``val_loss``, ``val_accuracy``
        on noisy labels), ``epoch_by_selection`` and ``test_accuracy_by_selection`` (what each criterion keeps),
        ``wall_time_s``, ``device``.
    """
    if not isinstance(splits, datasets.NoisySplits):
        raise TypeError(
            f"splits must be an lnc.experiments.datasets.NoisySplits (see its noisy_splits), got {describe(splits)}"
        )
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe must be an lnc.experiments.recipes.Recipe, got {describe(recipe)}")
    check_choice(method, LOSS_NAMES, name="method")
    seed = check_seed(seed)
    epochs = check_int(recipe.epochs if epochs is None else epochs, name="epochs", low=1)
    check_progress(progress)
    check_choice(selection, SELECTIONS, name="selection")
    device = resolve_device(device)
    loss_fn = _loss(method, T, splits.num_classes)
    return _train(
        splits, method, loss_fn, recipe, seed=seed, device=device, progress=progress, epochs=epochs, selection=selection
    )


def _train(splits, method, loss_fn, recipe, *, seed, device, progress, epochs, selection, start=None):
    """:func:`train` with a loss module; ``start``: a network to go on training (a copy of it), else a fresh one."""
    network = (
        (lambda: copy.deepcopy(start))
        if start is not None
        else (lambda: build_network(recipe, splits.num_classes, method, device))
    )
    return train_on(
        lambda: in_memory_batches(prepare(splits, recipe, device), recipe),
        network,
        loss_fn.to(device),
        recipe,
        method=method,
        seed=seed,
        device=device,
        epochs=epochs,
        progress=progress,
        selection=selection,
    )


def _loss(method, T, num_classes):
    """The loss module of ``method``; T, required by the corrections and refused by the others, must be (c, c)."""
    if method not in CORRECTIONS:
        if T is not None:
            raise ValueError(f"T is used only by the 'forward' and 'backward' methods, not by {method!r}")
        return make_loss(method)
    if T is None:
        raise ValueError(f"method {method!r} needs T, the ({num_classes}, {num_classes}) transition matrix")
    T = check_transition_matrix(T)
    if T.shape != (num_classes, num_classes):
        raise ValueError(f"T must be ({num_classes}, {num_classes}) for {num_classes} classes, got {T.shape}")
    return make_loss(method, T)


def run_protocol(task, **options):
    """The paper's protocol for ``task`` under one noise setting, for each seed and method; returns the records.

    ``options`` are those of :func:`configure` (``noise``, ``rate``, ``methods``, ``seeds``, ``protocol``,
    ``epochs``, ``subset``, ``device``, ``results_dir``, ``progress``, ``noise_kwargs``, ``estimator``,
    ``cross_fit``), all checked before any training.

    Returns
    -------
    list of dict
        One record per (seed, method): the settings, ``test_accuracy``, ``best_epoch``, ``curves``, ``T`` used by
        the loss, ``T_true``, ``T_train`` (the realised noise of the training split, clean against noisy labels,
        which no method sees), ``T_hat`` with its ``estimation_error`` and condition number (for :data:`LEARNED`,
        the learned T), the ``estimator`` and ``cross_fit``, timing, versions and the CPU
        (:func:`.loop.environment`). A correction that cannot use its ``T̂`` (singular for the backward
        correction, a zero column the labels hold for the forward one) gets ``status = "failed"`` and
        ``test_accuracy = None``.
    """
    return _run(configure(task, **options))


@dataclass(frozen=True)
class ProtocolConfig:
    """A checked configuration of :func:`run_protocol`, made by :func:`configure` (picklable, for workers).

    ``noise`` is the setting's name (``"custom"`` for a matrix), ``rate`` ``None`` where it does not apply,
    ``T_true`` the (c, c) matrix the noise is drawn from, ``T[i, j] = P(noisy = j | clean = i)``.
    """

    task: str
    noise: str
    rate: float | None
    methods: tuple
    seeds: tuple
    protocol: str
    recipe: Recipe
    epochs: int
    subset: int | None
    device: torch.device
    results_dir: Path | None
    progress: bool | None
    T_true: np.ndarray
    estimator: str = "anchor"
    cross_fit: int | None = None
    selection: str = "val_accuracy"


def configure(
    task,
    *,
    noise="symmetric",
    rate=0.2,
    methods=DEFAULT_METHODS,
    seeds=(0,),
    protocol="paper",
    epochs=None,
    subset=None,
    device="auto",
    results_dir=None,
    progress=None,
    noise_kwargs=None,
    estimator="anchor",
    cross_fit=None,
    extend=False,
    selection="val_accuracy",
):
    """Check the arguments of :func:`run_protocol` without training; return a :class:`ProtocolConfig`.

    Loads the task's data set (kept in memory for the run) to check ``subset`` and CIFAR-N labels, and creates
    ``results_dir`` if needed (:func:`lnc.experiments.records.check_results_dir`).

    Parameters
    ----------
    task : str
        One of :data:`TASKS`.
    noise : str or array_like
        ``"none"``, ``"symmetric"``, ``"asymmetric"`` (:func:`lnc.experiments.recipes.paper_T` with ``rate``), a
        CIFAR-N label set for ``cifar10n``/``cifar100n`` (``"aggre"``, ``"random1"``, ..., ``"worst"``,
        ``"cifar100n"``; human labels, true T = :func:`lnc.experiments.datasets.cifarn_T`), or a ``(c, c)`` matrix T
        to sample the noise from.
    rate : float
        Noise rate of the synthetic noise.
    methods : sequence of str
        Of :data:`METHODS`. ``*_est`` use ``T̂`` estimated from the CE run of the same seed (run once, reused).
    seeds : sequence of int
        One run per seed: noise draw, split, initialisation and batch order derive from it.
    protocol : {"paper", "cpu"}
        :data:`PAPER_RECIPES` or :data:`CPU_RECIPES`.
    epochs, subset : int, optional
        Override the recipe's epochs; use a random ``subset`` of the training set (before the 10% validation cut).
    device : str
    results_dir : path, optional
        Each record is saved there as JSON (:func:`lnc.experiments.records.save_record`); checked to be writable
        before any training.
    progress : bool, optional
        tqdm bars over epochs; ``None`` = only when stderr is a terminal.
    noise_kwargs : dict, optional
        Passed to the asymmetric noise (``{"grouping": "superclass"}`` for CIFAR-100).
    estimator : str, default "anchor"
        The estimator of ``T̂`` (:data:`lnc.estimation.ESTIMATORS`), on the posteriors of the training +
        validation inputs and their noisy labels; the recipe's ``quantile`` goes to the estimators that take one.
    cross_fit : int >= 2, optional
        ``None`` (the paper's choice): the posteriors are the CE model's own, on its training inputs (in-sample).
        ``k``: out-of-fold posteriors of ``k`` more CE networks, each trained on all but one of ``k`` folds of the
        training + validation examples and predicting the held-out fold (whose noisy labels select its epoch).
    selection : {"val_accuracy", "val_loss"}, default "val_accuracy"
        How every training of the job keeps its epoch on the noisy validation split
        (:data:`lnc.experiments.loop.SELECTIONS`): the noisy-validation accuracy, the same criterion for every method,
        or ``"val_loss"``, the run's own loss (the paper's choice, which an unbounded backward loss games).
    extend : bool, default False
        Whether the job may add records to a stored ``results_dir`` (:func:`lnc.experiments.records.is_stored`,
        the book's evidence). Without it, a job whose records a stored folder does not hold already is refused, so
        a chapter re-run with other parameters never writes into its stored run's folder.

    Returns
    -------
    ProtocolConfig

    Raises
    ------
    TypeError, ValueError
        Every configuration error (unknown task/method/noise/estimator, wrong T, epochs <= 0, an unwritable
        ``results_dir``, a job a stored ``results_dir`` does not hold without ``extend``, a damaged or foreign
        record in ``results_dir``, ...).
    """
    recipe = get_recipe(task, protocol)
    methods = check_sequence(methods, name="methods", item=lambda m, name: check_choice(m, METHODS, name=name))
    seeds = check_sequence(seeds, name="seeds", item=check_seed)
    epochs = check_int(recipe.epochs if epochs is None else epochs, name="epochs", low=1)
    rate = check_rate(rate)
    noise_kwargs = check_mapping(noise_kwargs, name="noise_kwargs")
    check_choice(estimator, ESTIMATORS, name="estimator")
    cross_fit = check_optional_int(cross_fit, name="cross_fit", low=2)
    check_choice(selection, SELECTIONS, name="selection")
    if not isinstance(extend, bool):
        raise TypeError(f"extend must be True or False, got {describe(extend)}")
    check_progress(progress)
    device = resolve_device(device)
    dataset = _load(task)
    subset = check_optional_int(subset, name="subset", low=20, high=len(dataset.y_train))
    noise_name, T_true = _noise(task, dataset, noise, rate, noise_kwargs)
    for name in sorted(set(methods) & set(CORRECTIONS)):
        make_loss(name, T_true)  # raises now, not after training (e.g. a singular T for the backward correction)
    rate = rate if noise_name in NOISE_KINDS[1:] else None
    results_dir = check_results_dir(results_dir)
    config = ProtocolConfig(task, noise_name, rate, methods, seeds, protocol, recipe, epochs, subset, device,
                            results_dir, progress, T_true, estimator, cross_fit, selection)  # fmt: skip
    if is_stored(results_dir) and not extend and not _complete(config, _stored(config)):
        raise ValueError(
            f"results_dir '{results_dir}' holds stored runs, and not those of {task}, noise {noise_name}, rate "
            f"{rate}, seeds {list(seeds)}, methods {list(methods)}, protocol {protocol!r}, epochs {epochs}, subset "
            f"{subset}: a run of other settings must write elsewhere. Pass another results_dir (papermill: "
            f"-p results_dir runs/{results_dir.name}), None to keep no records (-p results_dir None), or "
            "extend=True to add these runs to the stored ones (-p extend_results True)"
        )
    return config


def _run(config, overwrite=False):
    """:func:`run_protocol` on a checked :class:`ProtocolConfig`.

    With ``results_dir``, the job holds its lock (:func:`lnc.experiments.records.job_lock`) and keeps the records
    of it already saved (:func:`_stored`; none with ``overwrite``) instead of re-running them; the methods that use
    ``T̂`` then take it from the stored CE record (10 significant digits), so the CE network is not trained again.
    """
    if config.results_dir is None:
        return _run_job(config, {})
    with job_lock(config.results_dir, [_settings(config, seed) for seed in config.seeds]):
        return _run_job(config, {} if overwrite else _stored(config))


def _run_job(config, stored):
    """:func:`_run` once the stored records of the job are known (method → record)."""
    task, recipe, T_true = config.task, config.recipe, config.T_true
    records = []
    for seed in config.seeds:
        run = dict(seed=seed, device=config.device, progress=config.progress, epochs=config.epochs,
                   selection=config.selection)  # fmt: skip
        splits = _splits(task, _load(task), config.noise, T_true, seed, config.subset)
        settings = {
            **_settings(config, seed),
            "n_train": len(splits.y_train),
            "n_val": len(splits.y_val),
            "n_test": len(splits.y_test),
            "T_train": _realised_T(splits),
            **environment(),
        }
        ce, T_hat = (stored["ce"], np.array(stored["ce"]["T_hat"])) if "ce" in stored else (None, None)
        if ce is not None and not (config.results_dir / record_name(ce)).is_file():
            save_record(ce, config.results_dir)  # derived from another estimator's CE record: its own file now
        for method in config.methods:
            if method in stored:
                records.append(stored[method])
                continue
            check_results_dir(config.results_dir)  # no training starts whose record could not be written
            record = {**settings, **_method_options(method)}
            if (method == "ce" or method in _USES_T_HAT) and ce is None:
                ce, T_hat = _ce_stage(splits, config, run)
            if method == "ce":
                record.update(ce, T=None)
            elif method in ESTIMATED:
                record.update(
                    _corrected(splits, method, T_hat, recipe, run),
                    T=ce["T_hat"],
                    **{k: ce[k] for k in ("T_hat", "estimation_error", "cond_T_hat")},
                )
            elif method == "volmin":
                record.update(_volmin(splits, recipe, run, T_true))
            elif method == "revision":
                record.update(_revision(splits, T_hat, config, run, T_true))
            else:
                T = T_true if method in CORRECTIONS else None
                record.update(train(splits, method, recipe, T=T, **run)[1], T=None if T is None else _listed(T))
            record.setdefault("status", "ok")
            records.append(record)
            if config.results_dir is not None:
                save_record(record, config.results_dir)
                if method == "ce":
                    _save_ce_posteriors(record, splits, config, run)
    return records


def _save_ce_posteriors(record, splits, config, run):
    """Store the posteriors that a CE record's ``T̂`` was estimated from (in-sample, or out-of-fold with
    ``cross_fit``) beside it (:func:`lnc.experiments.records.save_posteriors`), so that new estimators can be
    compared on them without training again."""
    probs = _STAGES[_stage_key(config, run)][1][config.cross_fit]
    noisy = np.concatenate([splits.y_train, splits.y_val])
    clean = np.concatenate([splits.clean_train, splits.clean_val])
    save_posteriors(record, config.results_dir, probs, noisy, clean)


def _method_options(method):
    """``{"method_options": ...}`` for a method of :data:`METHOD_OPTIONS`, else ``{}``."""
    return {"method_options": METHOD_OPTIONS[method]} if method in METHOD_OPTIONS else {}


def _settings(config, seed):
    """The identity fields of a job's records but ``method`` (:data:`lnc.experiments.records.IDENTITY`)."""
    return {
        "task": config.task,
        "dataset": TASKS[config.task],
        "noise": config.noise,
        "rate": config.rate,
        "seed": seed,
        "protocol": config.protocol,
        "subset": config.subset,
        "recipe": json.loads(json.dumps(dataclasses.asdict(config.recipe))),
        "T_true": _listed(config.T_true),
        "estimator": config.estimator,
        "cross_fit": config.cross_fit,
        "epochs": config.epochs,
        "selection": config.selection,
    }


@functools.lru_cache(maxsize=1)
def _load(task):
    """The data set of ``task``, kept in memory for the next run of the same task (a grid loads it once)."""
    loaders = {
        "mnist": datasets.load_mnist,
        "fashion_mnist": datasets.load_fashion_mnist,
        "imdb": load_imdb,
        "cifar10": datasets.load_cifar10,
        "cifar100": datasets.load_cifar100,
    }
    return loaders[TASKS[task]]()


def _noise(task, dataset, noise, rate, noise_kwargs):
    """``(name, T_true)`` of a noise specification (see :func:`run_protocol`)."""
    c = dataset.num_classes
    if isinstance(noise, str) and noise in datasets.CIFARN_LABEL_SETS:
        expected = "cifar100n" if noise == "cifar100n" else "cifar10n"
        if task != expected:
            raise ValueError(f"noise {noise!r} is a CIFAR-N label set of task {expected!r}, not of {task!r}")
        return noise, datasets.cifarn_T(noise)
    if task in ("cifar10n", "cifar100n"):
        raise ValueError(f"task {task!r} takes a CIFAR-N label set as noise, got {noise!r}")
    if isinstance(noise, str):
        if noise not in NOISE_KINDS:
            raise ValueError(
                f"noise must be one of {NOISE_KINDS}, a CIFAR-N label set or a (c, c) matrix, got {noise!r}"
            )
        return noise, paper_T(TASKS[task], noise, rate, **noise_kwargs)
    T = check_transition_matrix(noise, name="noise")
    if T.shape != (c, c):
        raise ValueError(f"noise must be a ({c}, {c}) matrix for {task}, got shape {T.shape}")
    return "custom", T


def _splits(task, dataset, noise, T_true, seed, subset):
    if task in ("cifar10n", "cifar100n"):
        clean, noisy = datasets.load_cifarn_labels(noise)
        if not np.array_equal(clean, dataset.y_train):
            raise ValueError(f"the clean labels of {noise!r} do not match the {dataset.name} training labels")
    else:
        noisy = corrupt_labels(dataset.y_train, T_true, seed)
    return datasets.noisy_splits(dataset, noisy, seed=seed, subset=subset, T=T_true)


_STAGES = {}
"""The CE stages of this process's latest jobs (:func:`_ce_stage`: record, posteriors by ``cross_fit``, network),
so that jobs differing only in ``estimator`` or ``cross_fit`` train their CE network (and its folds) once, and
T-Revision starts from it."""


def _ce_stage(splits, config, run):
    """The CE run of a job and its ``T̂``: ``(record, T_hat)``.

    ``T̂`` is ``config.estimator``'s on posteriors of the training + validation inputs and their noisy labels: the
    CE network's own (in-sample, as the official code), or out-of-fold ones with ``config.cross_fit``. The record
    also holds ``estimates``, every estimator's ``T̂`` fields (:func:`estimate_fields`) on the in-sample
    posteriors and, with ``cross_fit``, on the out-of-fold ones, so that one run compares them all.
    """
    key = _stage_key(config, run)
    if key not in _STAGES:
        if len(_STAGES) >= 16:
            _STAGES.pop(next(iter(_STAGES)))
        model, record = train(splits, "ce", config.recipe, **run)
        tensors = prepare(splits, config.recipe, config.device)
        probs = predict_proba(model, torch.cat([tensors.x_train, tensors.x_val])).numpy()
        _STAGES[key] = (record, {None: probs}, model)
    record, posteriors, _ = _STAGES[key]
    if config.cross_fit not in posteriors:
        posteriors[config.cross_fit] = _out_of_fold(splits, config, run)
    labels = np.concatenate([splits.y_train, splits.y_val])
    held_out = slice(len(splits.y_train), None)  # the noisy validation rows, which the CE network never fitted
    rows = {"in_sample": (posteriors[None], labels), "held_out": (posteriors[None][held_out], labels[held_out]),
            **({"cross_fit": (posteriors[config.cross_fit], labels)} if config.cross_fit else {})}  # fmt: skip
    T_hats = {kind: _estimates(p, y, config.recipe.quantile) for kind, (p, y) in rows.items()}
    T_hat = T_hats["cross_fit" if config.cross_fit else "in_sample"][config.estimator]
    if isinstance(T_hat, ValueError):  # the job's own estimator must succeed; the others are a comparison
        raise T_hat
    estimates = {kind: {name: _estimate_entry(T, config.T_true) for name, T in by_name.items()}
                 for kind, by_name in T_hats.items()}  # fmt: skip
    return {**record, **estimate_fields(T_hat, config.T_true), "estimates": estimates}, T_hat


def _estimates(probs, labels, quantile):
    """``{estimator: T̂, or the ValueError it raised}`` for every estimator of the registry on ``probs`` (N, c)
    and their noisy ``labels`` (:func:`_try_estimate`)."""
    return {name: _try_estimate(probs, labels, name, quantile) for name in ESTIMATORS}


def _estimate_entry(T_hat, T_true):
    """A CE record's ``estimates`` entry of one ``T̂`` or the ValueError it raised: its fields
    (:func:`estimate_fields`), or ``{"error": message}`` where it raised or is not a transition matrix (a class
    without rows among the held-out ones, say), so that one estimate does not stop the others."""
    if isinstance(T_hat, ValueError):
        return {"error": str(T_hat)}
    try:
        return estimate_fields(T_hat, T_true)
    except ValueError as err:
        return {"error": str(err)}


def held_out_estimates(record, results_dir):
    """A copy of the CE ``record`` whose ``estimates`` also hold ``"held_out"``: every estimator's ``T̂`` on the rows
    of its stored in-sample posteriors (:func:`lnc.experiments.records.save_posteriors` in ``results_dir``) that its
    network never fitted, the last ``n_val`` (the noisy validation split, on which only its epoch was chosen); as
    new CE records hold them. ``record`` itself where it is not an in-sample CE record, already holds them, or has
    no stored posteriors. The stored record is not changed.

    Raises
    ------
    TypeError, ValueError
        ``record`` is not a dict; a CE record without them lacks ``n_val``, ``T_true`` or ``recipe``; the file of
        its posteriors cannot be read.
    """
    if not isinstance(record, dict):
        raise TypeError(f"record must be a dict (a CE record), got {type(record).__name__}")
    path = _stored_posteriors(record, results_dir)
    if path is None or "held_out" in record.get("estimates", {}):
        return record
    held_out = _estimate_entries(*_held_out_rows(record, path), record)
    return {**record, "estimates": {**record.get("estimates", {}), "held_out": held_out}}


def pooled_estimates(records, results_dir):
    """Copies of ``records`` in which each in-sample CE record also holds ``estimates["pooled"]``: every estimator's
    ``T̂`` on the held-out rows of all the CE networks of its run that differ only in the seed, pooled: the last
    ``n_val`` rows of each one's stored posteriors (as :func:`held_out_estimates` reads them), ``n_val × seeds``
    rows, each scored by a network that never fitted it (a row that two seeds' splits both hold out counts twice).
    Each entry also lists its ``"seeds"``. The networks of several seeds are trained anyway; their held-out rows
    together give the estimators more rows at no extra training, as cross-fitting gives all of them at ``cross_fit``
    more. Runs with the posteriors of fewer than two seeds, and other records, are returned as they are. The stored
    records are not changed.

    Raises
    ------
    TypeError, ValueError
        ``records`` is not a sequence of dicts; a CE record with stored posteriors lacks ``seed``, ``n_val``,
        ``T_true`` or ``recipe``; the file of its posteriors cannot be read.
    """
    records = check_sequence(records, name="records", item=check_fields, nonempty=False)
    paths = [_stored_posteriors(r, results_dir) for r in records]
    keys = [None if path is None else _run_key(r) for r, path in zip(records, paths)]
    runs = defaultdict(dict)  # identity but seed and estimator -> {seed: (record, path)}
    for k, (r, path, key) in enumerate(zip(records, paths, keys)):
        if path is not None:
            check_fields(r, ("seed",), name=f"records[{k}]")
            runs[key].setdefault(r["seed"], (r, path))
    pooled = {}
    for key, by_seed in runs.items():
        if len(by_seed) > 1:
            rows = [_held_out_rows(*by_seed[seed]) for seed in sorted(by_seed)]  # in seed order
            probs, noisy = (np.concatenate(parts) for parts in zip(*rows))
            entries = _estimate_entries(probs, noisy, next(iter(by_seed.values()))[0])
            pooled[key] = {name: {**entry, "seeds": sorted(by_seed)} for name, entry in entries.items()}
    return [
        {**r, "estimates": {**r.get("estimates", {}), "pooled": pooled[key]}} if key in pooled else r
        for r, key in zip(records, keys)
    ]


def posterior_estimates(records, results_dir):
    """Copies of ``records`` with every estimate their stored posteriors in ``results_dir`` give beyond the
    in-sample one: each CE network's held-out rows (:func:`held_out_estimates`) and those of all the seeds of
    its run pooled (:func:`pooled_estimates`); the estimates a chapter shows beside the in-sample ones. Raises
    as those two do."""
    records = check_sequence(records, name="records", item=check_fields, nonempty=False)
    return pooled_estimates([held_out_estimates(r, results_dir) for r in records], results_dir)


def _stored_posteriors(record, results_dir):
    """The file of an in-sample CE record's stored posteriors in ``results_dir``; ``None`` for another record or
    where none is stored."""
    if record.get("method") != "ce" or record.get("cross_fit"):
        return None
    path = posteriors_path(record, results_dir)
    return path if path.exists() else None


def _held_out_rows(record, path):
    """``(probs, noisy)`` of the rows of the posteriors at ``path`` that the CE ``record``'s network never fitted:
    the last ``n_val``, its noisy validation split."""
    probs, noisy, _ = load_posteriors(path)
    rows = slice(len(probs) - check_int(record["n_val"], name="record['n_val']", low=1), None)
    return probs[rows], noisy[rows]


def _estimate_entries(probs, noisy, record):
    """``{estimator: estimates entry}`` of every estimator on ``probs`` and ``noisy``, against ``record``'s
    ``T_true``, with its recipe's quantile."""
    T_true = np.asarray(record["T_true"], dtype=float)
    return {name: _estimate_entry(T, T_true)
            for name, T in _estimates(probs, noisy, record["recipe"]["quantile"]).items()}  # fmt: skip


def _run_key(record):
    """The identity of a CE ``record``'s run but its seed and estimator (the CE records of one network differ only
    in the estimator), as canonical JSON."""
    fields = {k: v for k, v in identity(record).items() if k not in ("seed", "estimator")}
    return json.dumps(fields, sort_keys=True)


def _stage_key(config, run):
    """What a CE stage depends on: jobs with the same key share it (:data:`_STAGES`); the precision too, which the
    records state without it being part of their identity (a run in bf16 must not take the fp32 CE network)."""
    return (config.task, config.noise, config.rate, run["seed"], config.protocol, repr(config.recipe), config.epochs,
            config.subset, config.T_true.tobytes(), str(config.device), config.selection,
            precision(config.device))  # fmt: skip


def _ce_network(splits, config, run):
    """The selected CE network of the job: its CE stage's (:data:`_STAGES`), else trained again from the same seed
    (a CE record read from ``results_dir`` keeps no weights; on the same CPU kind the training is the same run, on
    another its last digits may differ)."""
    stage = _STAGES.get(_stage_key(config, run))
    return stage[2] if stage is not None else train(splits, "ce", config.recipe, **run)[0]


def _try_estimate(probs, labels, estimator, quantile):
    """:func:`_estimate`, or the ``ValueError`` it raised where the estimator cannot estimate (e.g. a class without
    labels), so that one estimator's failure does not stop the comparison."""
    try:
        return _estimate(probs, labels, estimator, quantile)
    except ValueError as err:
        return err


def _estimate(probs, labels, estimator, quantile):
    """``T̂`` by ``estimator`` on ``probs`` (N, c) and their noisy ``labels``; ``quantile`` (a recipe's) goes to the
    estimators that take one."""
    takes = "quantile" in inspect.signature(ESTIMATORS[estimator]).parameters
    return estimate_T(probs, labels, method=estimator, **({"quantile": quantile} if takes else {}))


def _out_of_fold(splits, config, run):
    """Posteriors ``(N, c)`` of the training + validation examples (in that order), each from a CE network that
    never saw it: the examples are cut into ``config.cross_fit`` folds (seeded by the run's seed); a network is
    trained on all folds but one, with model selection on that fold's noisy labels, and predicts it."""
    x = np.concatenate([splits.x_train, splits.x_val])
    y = np.concatenate([splits.y_train, splits.y_val])
    clean = np.concatenate([splits.clean_train, splits.clean_val])
    probs = np.empty((len(y), splits.num_classes))
    for fold in np.array_split(np.random.default_rng(run["seed"]).permutation(len(y)), config.cross_fit):
        rest = np.setdiff1d(np.arange(len(y)), fold)
        part = dataclasses.replace(
            splits, x_train=x[rest], y_train=y[rest], x_val=x[fold], y_val=y[fold], clean_train=clean[rest],
            clean_val=clean[fold],
        )  # fmt: skip
        model, _ = train(part, "ce", config.recipe, **run)
        probs[fold] = predict_proba(model, prepare(part, config.recipe, config.device).x_val).numpy()
    return probs


def estimate_fields(T_hat, T_true=None):
    """The record fields of an estimate: ``T_hat`` (lists), ``cond_T_hat`` and ``estimation_error`` against
    ``T_true`` (``None`` where infinite, e.g. a singular ``T̂``, or where ``T_true`` is unknown)."""
    cond = condition_number(T_hat)
    return {
        "T_hat": _listed(T_hat),
        "cond_T_hat": round(cond, 4) if math.isfinite(cond) else None,
        "estimation_error": None if T_true is None else round(float(estimation_error(T_hat, T_true)), 6),
    }


def unusable(loss, T_hat, labels):
    """The failed-record fields of a correction ``loss`` that cannot use ``T_hat`` on the noisy ``labels``, else
    ``None``: a singular ``T̂`` for the backward correction, or for the forward one a zero column ``j`` of ``T̂``
    (``T̂`` never produces noisy class ``j``) while ``labels`` hold ``j``, which makes the loss infinite."""
    try:
        make_loss(loss, T_hat)
    except ValueError as err:
        return {"status": "failed", "error": str(err), "test_accuracy": None}
    never = np.flatnonzero(~np.asarray(T_hat).any(axis=0))
    present = sorted(set(never.tolist()) & set(np.unique(labels).tolist()))
    if loss == "forward" and present:
        return {
            "status": "failed",
            "test_accuracy": None,
            "error": f"T_hat has zero columns {present} but the noisy labels hold these classes: the "
            "forward-corrected loss would be infinite",
        }
    return None


def _realised_T(splits):
    """The noise the training split holds, ``empirical_T(clean_train, y_train)`` as nested lists (rounded as
    :func:`_listed`); ``None`` where a class has no training example."""
    if len(np.unique(splits.clean_train)) < splits.num_classes:
        return None
    return _listed(empirical_T(splits.clean_train, splits.y_train, splits.num_classes))


def _listed(T):
    """T as nested lists for JSON, rounded to 1e-10 (row sums stay within 1e-8 of 1)."""
    return np.round(T, 10).tolist()


def _volmin(splits, recipe, run, T_true):
    """VolMinNet's training (:class:`VolMinLoss`, T on its own optimiser, :data:`METHOD_OPTIONS`); ``T`` and
    ``T_hat`` are its learned T at the selected epoch."""
    loss = VolMinLoss(splits.num_classes)
    _, record = _train(splits, "volmin", loss, recipe, **run)
    T = loss.transition_matrix().detach().double().cpu().numpy()
    T /= T.sum(axis=1, keepdims=True)
    return {**record, "T": _listed(T), **estimate_fields(T, T_true)}


def _revision(splits, T_hat, config, run, T_true):
    """T-Revision from ``T_hat``: importance reweighting (:class:`RevisionLoss`) under the job's recipe from its
    selected CE network (:func:`_ce_network`, a copy; its code's warm start), then, from the reweighted network,
    the network and ``ΔT`` trained together with Adam at :data:`REVISION_LR` for as many epochs. ``reweight`` holds
    the first stage's result; ``T`` and ``T_hat`` are ``T̂ + ΔT`` (projected row-stochastic). An unusable ``T_hat``
    fails before any training."""
    failed = unusable("forward", T_hat, np.concatenate([splits.y_train, splits.y_val]))  # β = p / (pT) infinite
    if failed:
        return {"method": "revision", **failed}
    recipe = config.recipe
    reweight = RevisionLoss(T_hat, revise=False)
    model, first = _train(splits, "revision", reweight, recipe, **run, start=_ce_network(splits, config, run))
    loss = RevisionLoss(T_hat, revise=True)
    revise = dataclasses.replace(
        recipe, optimizer="adam", lr=REVISION_LR, momentum=0.0, nesterov=False, schedule="step", milestones=()
    )
    _, record = _train(splits, "revision", loss, revise, **run, start=model)
    T = loss.transition_matrix()
    return {
        **record,
        "wall_time_s": round(first["wall_time_s"] + record["wall_time_s"], 2),
        "reweight": {key: first[key] for key in ("test_accuracy", "best_epoch", "best_val_loss", "curves")},
        "delta_T_l1": round(float(loss.delta.detach().abs().sum()), 8),
        "T": _listed(T),
        **estimate_fields(T, T_true),
    }


def _corrected(splits, method, T_hat, recipe, run):
    loss = ESTIMATED[method]
    failed = unusable(loss, T_hat, np.concatenate([splits.y_train, splits.y_val]))
    if failed:
        return {"method": method, **failed}
    _, record = train(splits, loss, recipe, T=T_hat, **run)
    record["method"] = method
    return record


def noise_settings(noise, rates):
    """The ``(noise, rate)`` settings of a chapter: ``("none", 0.0)`` if ``"none"`` is in ``noise``, then each
    other kind (or CIFAR-N label set, with rate 0.0) at each rate of ``rates`` (synthetic kinds only)."""
    try:
        noise = check_sequence(noise, name="noise", item=_check_name)
        rates = check_sequence(rates, name="rates", item=check_rate, nonempty=False)
    except TypeError as err:
        raise TypeError(f'{err} (from papermill: -y "noise: [symmetric]" -y "rates: [0.2]")') from None
    return (
        [("none", 0.0)] * ("none" in noise)
        + [(kind, float(rate)) for kind in noise if kind in NOISE_KINDS[1:] for rate in rates]
        + [(kind, 0.0) for kind in noise if kind not in NOISE_KINDS]
    )


def run_grid(task, settings, *, seeds=(0,), workers=1, executor=None, overwrite=False, **kwargs):
    """:func:`run_protocol` for each ``(noise, rate)`` in ``settings`` and each seed; records in that order.

    Each (setting, seed) is one job, seeded by its own settings, so the records do not depend on where it runs:

    - ``executor``: any :class:`concurrent.futures.Executor` runs the jobs: a local process pool, Dask's
      ``Client.get_executor()`` on a cluster, submitit's executor on Slurm (``results_dir`` must then be a folder
      the workers share). ``None``: ``workers`` local processes, or this process when ``workers == 1``.
    - ``workers > 1``: that many spawned processes with one torch thread each (numbers can differ in the last
      digits from a run with another thread count; ``threads`` is recorded), ended with the process that
      started them.
    - Resumable: with ``results_dir``, a record already there with the same identity
      (:data:`lnc.experiments.records.IDENTITY`) is checked and loaded, not re-run, so an interrupted grid
      continues with the first method it had not finished (with the stored CE record's ``T̂``), and a job that
      differs only in ``estimator`` takes the CE record and its ``T̂`` from the stored
      ``estimates`` of another. A failed record is run again (with a warning naming it); a damaged or foreign
      one stops the grid with an error naming it. ``overwrite=True`` re-runs every job (over the records of the
      same identity only).
    - Concurrent grids on one ``results_dir`` train each job once: a job runs under its file lock and re-reads
      its records first. A stored ``results_dir`` takes new jobs only with ``extend=True`` (:func:`configure`).

    ``kwargs`` go to :func:`run_protocol` (``methods``, ``protocol``, ``epochs``, ``results_dir``, ...). Every
    job is checked before any training (:func:`check_grid`).
    """
    workers = check_int(workers, name="workers", low=1)
    if executor is not None and not isinstance(executor, Executor):
        raise TypeError(f"executor must be a concurrent.futures.Executor or None, got {describe(executor)}")
    if executor is not None and workers != 1:
        raise ValueError(f"workers must be 1 when an executor runs the jobs, got {workers}")
    if not isinstance(overwrite, bool):
        raise TypeError(f"overwrite must be True or False, got {describe(overwrite)}")
    configs = check_grid(task, settings, seeds=seeds, **kwargs)
    stored = [{} if overwrite else _stored(config) for config in configs]
    complete = [_complete(config, done) for config, done in zip(configs, stored)]
    todo = [(config, overwrite) for config, done in zip(configs, complete) if not done]
    if executor is None and workers > 1 and len(todo) > 1:
        import multiprocessing

        with ProcessPoolExecutor(
            min(workers, len(todo)),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
            initargs=(1, os.getpid()),
        ) as pool:
            ran = list(pool.map(_run, *zip(*todo)))
    elif executor is not None:
        ran = [future.result() for future in [executor.submit(_run, *job) for job in todo]]
    else:
        ran = [_run(*job) for job in todo]
    ran = iter(ran)
    return [
        r
        for config, done, whole in zip(configs, stored, complete)
        for r in ([done[m] for m in config.methods] if whole else next(ran))
    ]


def stored_records(config):
    """The records of a one-seed job that its ``results_dir`` already holds, checked and with the same settings
    (one per method, in ``config.methods`` order); ``None`` when any is missing."""
    stored = _stored(config)
    return [stored[m] for m in config.methods] if _complete(config, stored) else None


def _complete(config, stored):
    """Whether ``stored`` (:func:`_stored`) holds a record of every method of the job."""
    return set(config.methods) <= set(stored)


def _stored(config):
    """The records of a one-seed job that its ``results_dir`` already holds, checked
    (:func:`lnc.experiments.records.stored_record`), as ``{method: record}`` (possibly empty; always empty without
    ``results_dir`` or with several seeds), with its CE record whenever a method uses ``T̂``, which is read from it
    then rather than trained again.

    The CE network (and its folds) does not depend on the estimator: a missing CE record is derived from the
    stored CE record of another estimator with the same ``cross_fit`` whose ``estimates`` hold this job's ``T̂``
    (in-sample, or out-of-fold with ``cross_fit``).
    """
    if config.results_dir is None or len(config.seeds) != 1:
        return {}
    expected = _settings(config, config.seeds[0])
    uses_ce = not {"ce", *_USES_T_HAT}.isdisjoint(config.methods)
    records = {}
    for method in dict.fromkeys([*config.methods, *(["ce"] if uses_ce else [])]):
        record = stored_record(config.results_dir, {**expected, "method": method, **_method_options(method)})
        if record is not None:
            records[method] = record
    if uses_ce and "ce" not in records:
        records.update(_sibling_ce(config, expected))
    return records


def _sibling_ce(config, expected):
    """``{"ce": record}`` for this job's estimator, from a stored CE record of another estimator (and the same
    ``cross_fit``) that holds its estimate from the same posteriors (``{}`` if none)."""
    kind = "cross_fit" if config.cross_fit else "in_sample"
    for other in ESTIMATORS:
        if other == config.estimator:
            continue
        record = stored_record(config.results_dir, {**expected, "method": "ce", "estimator": other}) or {}
        estimate = record.get("estimates", {}).get(kind, {}).get(config.estimator, {})
        if "T_hat" in estimate:
            return {"ce": {**record, "estimator": config.estimator, **estimate}}
    return {}


def check_grid(task, settings, *, seeds=(0,), **kwargs):
    """Check every job of :func:`run_grid` in seconds, without training; returns their :class:`ProtocolConfig`.

    A chapter calls it for each of its grids right after its parameters, so that a bad parameter fails before
    hours of training, not after.
    """
    options = [p for p in inspect.signature(configure).parameters if p not in ("task", "noise", "rate", "seeds")]
    unknown = sorted(set(kwargs) - set(options))
    if unknown:
        raise TypeError(
            f"run_grid has no option {unknown[0]!r} (noise and rate come from settings); its options: {options}"
        )
    settings = check_sequence(settings, name="settings", item=_check_pair)
    seeds = check_sequence(seeds, name="seeds", item=check_seed)
    return [
        configure(task, noise=noise, rate=rate, seeds=(seed,), **kwargs) for noise, rate in settings for seed in seeds
    ]


def _check_pair(value, name):
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        raise TypeError(f"{name} must be a (noise, rate) pair, got {value!r}")
    return tuple(value)


def _check_name(value, name):
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {describe(value)}")
    return value


def _worker_init(threads, parent):
    """Set the worker's torch threads; end the worker when ``parent`` (the process that started it) ends."""
    torch.set_num_threads(threads)

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)  # the parent died (killed, or its kernel was interrupted): stop training for nobody

    threading.Thread(target=watch, daemon=True).start()
