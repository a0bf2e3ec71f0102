"""Training: one run (:func:`train`) and the paper's two-stage protocol (:func:`run_protocol`).

Protocol (Patrini et al. 2017, official code): train with cross-entropy on the noisy training split and keep
the epoch with the lowest noisy-validation loss; estimate ``T̂`` (``T[i, j] = P(noisy = j | clean = i)``) from
that model's posteriors on the training inputs (training + validation split, as the code does); train a
fresh network with the forward/backward loss corrected by ``T̂`` (methods ``forward_est``, ``backward_est``)
or by the true T (``forward``, ``backward``); report the clean test accuracy of the selected epoch. Model
selection always uses the run's own (corrected) loss on the **noisy** validation split; the test set is
evaluated once per run.

A run is deterministic on CPU for a given seed (model initialisation, dropout, batch order, augmentation and
label noise all derive from it). Results are plain dicts, saved as JSON with every setting of the run.
"""

import copy
import dataclasses
import functools
import inspect
import json
import math
import numbers
import platform
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm import tqdm

from . import __version__, data
from ._checks import check_transition_matrix
from .estimation import estimate_T
from .losses import LOSS_NAMES, make_loss
from .metrics import condition_number, estimation_error
from .models import build_model
from .noise import NOISE_KINDS, corrupt_labels, paper_T
from .results import save_record

BOUNDED_LOSSES = ("unhinged", "sigmoid", "ramp")
"""Losses trained with the BatchNorm output head of the official code."""
METHODS = LOSS_NAMES + ("forward_est", "backward_est")
"""Methods of :func:`run_protocol`: the losses of :data:`lnc.losses.LOSS_NAMES` (``forward``/``backward``
with the true T) and the corrections with the estimated ``T̂``."""


@dataclass(frozen=True)
class Recipe:
    """How one task is trained: network, optimiser, schedule, preprocessing, estimator.

    ``weight_decay`` is PyTorch's (gradient ``+ wd * w``); with ``decay_all=False`` it applies to conv/linear
    kernels only, as a Keras ``l2(λ)`` regulariser does with ``wd = 2λ``. The learning rate is divided by 10
    at each epoch (0-based) in ``milestones``. ``augment``: ``None``, ``"shift"`` (random shifts up to 10% with
    edge replication + horizontal flips: Keras' generator of the code) or ``"crop"`` (4-pixel zero padding,
    random 32×32 crop + flips). ``normalize``: ``"scale"`` (x / 255), ``"pixel_mean"`` (x / 255 minus the
    training split's per-pixel mean) or ``"channel"`` (per-channel mean/std of the training split).
    ``quantile`` is the estimator's (``None`` = plain argmax, as the code does on CIFAR-100).
    """

    model: str
    epochs: int
    optimizer: str = "adagrad"
    lr: float = 0.01
    momentum: float = 0.0
    weight_decay: float = 0.0
    decay_all: bool = False
    milestones: tuple = ()
    batch_size: int = 128
    augment: str | None = None
    normalize: str | None = None
    quantile: float | None = 0.97
    model_kwargs: dict = field(default_factory=dict)


TASKS = {"mnist": "mnist", "fashion_mnist": "fashion_mnist", "imdb": "imdb", "imdb_lstm": "imdb",
         "cifar10": "cifar10", "cifar100": "cifar100", "cifar10n": "cifar10", "cifar100n": "cifar100"}
"""Task → data set. ``imdb_lstm`` is IMDB with the LSTM; ``cifar10n``/``cifar100n`` use the human labels."""

_CIFAR_SGD = dict(optimizer="sgd", lr=0.1, momentum=0.9, augment="shift", normalize="pixel_mean")
PAPER_RECIPES = {
    "mnist": Recipe("mnist_fc", 40, normalize="scale"),
    "fashion_mnist": Recipe("mnist_fc", 40, normalize="scale"),
    "imdb": Recipe("imdb_fc", 50),
    "imdb_lstm": Recipe("imdb_lstm", 50, lr=0.001),
    "cifar10": Recipe("cifar_resnet", 120, weight_decay=2e-4, milestones=(41, 81), model_kwargs={"n": 5}, **_CIFAR_SGD),
    "cifar100": Recipe("cifar_resnet", 150, weight_decay=2e-3, milestones=(81, 121), quantile=None,
                       model_kwargs={"n": 7}, **_CIFAR_SGD),
    "cifar10n": Recipe("preact_resnet34", 100, optimizer="sgd", lr=0.1, momentum=0.9, weight_decay=5e-4,
                       decay_all=True, milestones=(60,), augment="crop", normalize="channel"),
}
"""The paper's settings (official code): MNIST/IMDB Adagrad (Keras default lr 0.01; LSTM 0.001), 40/50 epochs;
CIFAR-10 ResNet-32, CIFAR-100 ResNet-44, SGD 0.1 momentum 0.9, L2 1e-4 / 1e-3 on kernels, lr / 10 after
epochs 40 and 80 (120 and 150 epochs; CIFAR-100: 80 and 120). CIFAR-N: the benchmark of Wei et al. (2022),
ResNet-34 for 100 epochs, SGD 0.1, weight decay 5e-4, lr / 10 at epoch 60 (their code)."""
PAPER_RECIPES["cifar100n"] = PAPER_RECIPES["cifar10n"]

CPU_RECIPES = {
    **{task: PAPER_RECIPES[task] for task in ("mnist", "fashion_mnist", "imdb")},
    "imdb_lstm": dataclasses.replace(PAPER_RECIPES["imdb_lstm"], epochs=10, lr=0.01,
                                     model_kwargs={"embed_dim": 64, "hidden": 64, "dense": 64}),
    "cifar10": dataclasses.replace(PAPER_RECIPES["cifar10"], epochs=15, milestones=(10,), model_kwargs={"n": 1}),
    "cifar100": dataclasses.replace(PAPER_RECIPES["cifar100"], epochs=15, milestones=(10,), model_kwargs={"n": 1}),
    "cifar10n": dataclasses.replace(PAPER_RECIPES["cifar10"], epochs=15, milestones=(10,), model_kwargs={"n": 1}),
}
"""The reduced settings of the book's stored CPU runs: MNIST and IMDB-FC as in the paper; the IMDB LSTM at
64/64/64 for 10 epochs (Adagrad 0.01); CIFAR with ResNet-8 (n = 1) for 15 epochs (lr / 10 after epoch 10)."""
CPU_RECIPES["cifar100n"] = CPU_RECIPES["cifar100"]
RECIPES = {"paper": PAPER_RECIPES, "cpu": CPU_RECIPES}


def get_recipe(task, protocol="paper"):
    """The :class:`Recipe` of ``task`` (:data:`TASKS`) under ``protocol`` (``"paper"`` or ``"cpu"``)."""
    if protocol not in RECIPES:
        raise ValueError(f"protocol must be one of {tuple(RECIPES)}, got {protocol!r}")
    if task not in TASKS:
        raise ValueError(f"task must be one of {tuple(TASKS)}, got {task!r}")
    return RECIPES[protocol][task]


def describe_run(task, protocol, *, epochs=None, subset=None, seeds=(0,), device="auto", workers=1):
    """One line stating the protocol of a chapter's run: network, epochs, optimiser, schedule, data, device."""
    recipe = get_recipe(task, protocol)
    schedule = f" (/10 at {list(recipe.milestones)})" if recipe.milestones else ""
    return (f"{task}, protocol {protocol!r}: {recipe.model} {recipe.model_kwargs}, {epochs or recipe.epochs} epochs, "
            f"{recipe.optimizer} lr {recipe.lr}{schedule}, batch {recipe.batch_size}, subset {subset}, "
            f"seeds {list(seeds)}, device {resolve_device(device)}, torch {torch.__version__}, {workers} worker(s)")


def resolve_device(device="auto"):
    """``"auto"`` → CUDA when available, else CPU; otherwise ``torch.device(device)``."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda[:k]', got {device!r}") from err
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device is 'cuda' but no CUDA device is available; use device='auto' or 'cpu'")
    return device


# ---------------------------------------------------------------- inputs

@dataclass(frozen=True, eq=False)
class Tensors:
    """Model-ready tensors of one run: ``x_*`` (float images or token ids), ``y_*`` int64 (train/val noisy)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def prepare(splits, recipe, device):
    """Turn :class:`lnc.data.NoisySplits` into :class:`Tensors` on ``device`` (images NCHW float32, normalised
    with statistics of the training split only)."""
    xs = [splits.x_train, splits.x_val, splits.x_test]
    if recipe.normalize is None:
        xs = [torch.as_tensor(x, dtype=torch.long) for x in xs]
    else:
        xs = [torch.as_tensor(x, dtype=torch.float32).div_(255.0) for x in xs]
        if xs[0].ndim == 4:  # NHWC images -> NCHW, channels_last in memory (faster convolutions on CPU)
            xs = [x.permute(0, 3, 1, 2) for x in xs]
        if recipe.normalize == "pixel_mean":
            mean = xs[0].mean(dim=0, keepdim=True)
            xs = [x - mean for x in xs]
        elif recipe.normalize == "channel":
            dims = (0, 2, 3)
            mean, std = xs[0].mean(dim=dims, keepdim=True), xs[0].std(dim=dims, keepdim=True)
            xs = [(x - mean) / std for x in xs]
    ys = [torch.as_tensor(y, dtype=torch.long) for y in (splits.y_train, splits.y_val, splits.y_test)]
    xs = [x.to(device) for x in xs]
    return Tensors(xs[0], ys[0].to(device), xs[1], ys[1].to(device), xs[2], ys[2].to(device))


def augment_batch(x, kind, generator):
    """Random translation + horizontal flip of an image batch ``(B, C, H, W)`` (see :class:`Recipe`)."""
    b, _, h, w = x.shape
    pad = max(1, round(0.1 * h)) if kind == "shift" else 4
    mode = "replicate" if kind == "shift" else "constant"
    padded = torch.nn.functional.pad(x, (pad, pad, pad, pad), mode=mode)
    dy, dx = (torch.randint(0, 2 * pad + 1, (2, b), generator=generator)).to(x.device)
    rows = (dy[:, None] + torch.arange(h, device=x.device))[:, None, :, None]  # (B, 1, H, 1)
    cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, None, :]  # (B, 1, 1, W)
    flip = torch.rand(b, generator=generator).to(x.device) < 0.5
    cols = torch.where(flip[:, None, None, None], cols.flip(-1), cols)
    batch = torch.arange(b, device=x.device)[:, None, None, None]
    channel = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
    return padded[batch, channel, rows, cols]


# ---------------------------------------------------------------- one run

def train(splits, method, recipe, *, T=None, seed=0, device="auto", progress=None, epochs=None):
    """Train a fresh network with loss ``method`` on ``splits``; return ``(model, record)``.

    Parameters
    ----------
    splits : lnc.data.NoisySplits
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

    Returns
    -------
    model : torch.nn.Module
        The network at the selected epoch (lowest noisy-validation loss), in eval mode.
    record : dict
        ``test_accuracy`` (clean, of the selected epoch), ``best_epoch`` (1-based), ``best_val_loss``,
        ``diverged``, ``curves`` (per-epoch ``train_loss``, ``val_loss``, ``val_accuracy`` on noisy labels),
        ``wall_time_s``, ``device``.
    """
    epochs = _check_epochs(recipe.epochs if epochs is None else epochs)
    if method not in LOSS_NAMES:
        raise ValueError(f"method must be one of {LOSS_NAMES}, got {method!r}")
    device = resolve_device(device)
    loss_fn = make_loss(method, T).to(device) if method in ("forward", "backward") else make_loss(method).to(device)
    start = time.perf_counter()
    tensors = prepare(splits, recipe, device)
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        generator = torch.Generator().manual_seed(seed)
        model = _build(recipe, splits.num_classes, method, device)
        optimizer = _optimizer(model, recipe)
        fitted = fit(model, optimizer, loss_fn, lambda: _shuffled_batches(tensors, recipe, generator),
                     lambda: _batches(tensors.x_val, tensors.y_val), lr=recipe.lr, milestones=recipe.milestones,
                     epochs=epochs, has_val=len(tensors.y_val) > 0, progress=progress, desc=method)
        _, test_accuracy = evaluate(model, tensors.x_test, tensors.y_test, None)
    record = {"method": method, "test_accuracy": test_accuracy, **fitted, "epochs": epochs,
              "wall_time_s": round(time.perf_counter() - start, 2), "device": str(device)}
    return model, record


def fit(model, optimizer, loss_fn, train_batches, val_batches, *, lr, milestones, epochs, has_val=True,
        progress=None, desc=None):
    """The epoch loop of every training here; leaves ``model`` at its selected epoch, in eval mode.

    ``train_batches()`` / ``val_batches()`` return a fresh iterable of ``(x, y)`` batches (noisy labels) for
    one epoch. Each epoch sets the learning rate to ``lr · 0.1^(number of milestones <= epoch)`` (0-based
    epochs), trains, and evaluates ``loss_fn`` on the validation batches; the epoch with the lowest validation
    loss is kept (the last one when ``has_val`` is false). A non-finite training loss (diverged weights)
    stops training at the best epoch so far.

    Returns ``{"best_epoch" (1-based), "best_val_loss", "diverged", "curves"}``; ``curves`` holds per-epoch
    ``train_loss``, ``val_loss`` and ``val_accuracy`` (``None`` where not finite).
    """
    curves = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    best = (math.inf, 0, copy.deepcopy(model.state_dict()))
    bar = tqdm(range(epochs), desc=desc, leave=False, disable=not _show_progress(progress))
    for epoch in bar:
        for group in optimizer.param_groups:
            group["lr"] = lr * 0.1 ** sum(epoch >= m for m in milestones)
        train_loss = _epoch(model, optimizer, loss_fn, train_batches())
        val_loss, val_accuracy = (evaluate_batches(model, val_batches(), loss_fn)
                                  if math.isfinite(train_loss) else (math.nan, math.nan))
        for key, value in zip(curves, (train_loss, val_loss, val_accuracy)):
            curves[key].append(value)
        if not math.isfinite(train_loss):  # diverged (e.g. backward with an ill-conditioned T): stop
            break
        if val_loss < best[0] or not has_val:
            best = (val_loss, epoch + 1, copy.deepcopy(model.state_dict()))
        bar.set_postfix(train=f"{train_loss:.3f}", val=f"{val_loss:.3f}")
    model.load_state_dict(best[2])
    model.eval()
    return {"best_epoch": best[1], "best_val_loss": best[0] if math.isfinite(best[0]) else None,
            "diverged": not math.isfinite(curves["train_loss"][-1]),
            "curves": {k: [round(v, 6) if math.isfinite(v) else None for v in vs] for k, vs in curves.items()}}


def _check_epochs(epochs):
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 1:
        raise ValueError(f"epochs must be an int >= 1, got {epochs!r}")
    return int(epochs)


def _build(recipe, num_classes, method, device):
    model = build_model(recipe.model, num_classes=num_classes, bounded=method in BOUNDED_LOSSES,
                        **recipe.model_kwargs).to(device)
    convolutional = any(isinstance(m, torch.nn.Conv2d) for m in model.modules())
    return model.to(memory_format=torch.channels_last) if convolutional else model  # inputs are NHWC in memory


def _optimizer(model, recipe):
    if recipe.decay_all:
        groups = [{"params": list(model.parameters()), "weight_decay": recipe.weight_decay}]
    else:  # Keras-style L2: conv / linear kernels only (not biases, not BatchNorm)
        kernels = [p for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) for p in [m.weight]]
        ids = {id(p) for p in kernels}
        groups = [{"params": kernels, "weight_decay": recipe.weight_decay},
                  {"params": [p for p in model.parameters() if id(p) not in ids], "weight_decay": 0.0}]
    if recipe.optimizer == "adagrad":
        return torch.optim.Adagrad(groups, lr=recipe.lr)
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=recipe.lr, momentum=recipe.momentum)
    raise ValueError(f"recipe.optimizer must be 'adagrad' or 'sgd', got {recipe.optimizer!r}")


def _shuffled_batches(tensors, recipe, generator):
    """The training split in a seeded random order, in batches of ``recipe.batch_size``, augmented if asked."""
    order = torch.randperm(len(tensors.y_train), generator=generator).to(tensors.y_train.device)
    for start in range(0, len(order), recipe.batch_size):
        idx = order[start:start + recipe.batch_size]
        x = tensors.x_train[idx]
        yield (augment_batch(x, recipe.augment, generator) if recipe.augment else x), tensors.y_train[idx]


def _batches(x, y, batch_size=1024):
    return ((x[start:start + batch_size], y[start:start + batch_size]) for start in range(0, len(y), batch_size))


def _epoch(model, optimizer, loss_fn, batches):
    """One training pass over ``batches``; returns the mean training loss (NaN once the weights diverge)."""
    model.train()
    total, n = None, 0
    for x, y in batches:
        logits = model(x)
        try:
            loss = loss_fn(logits, y)
        except ValueError:
            if torch.isfinite(logits).all():
                raise
            return math.nan  # the weights diverged to inf / NaN
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total = loss.detach() * len(y) if total is None else total + loss.detach() * len(y)
        n += len(y)
    return total.item() / n


@torch.no_grad()
def evaluate(model, x, y, loss_fn, batch_size=1024):
    """``(mean loss, accuracy)`` of ``model`` (eval mode) on ``(x, y)``; the loss is NaN when ``loss_fn`` is ``None``."""
    return evaluate_batches(model, _batches(x, y, batch_size), loss_fn)


@torch.no_grad()
def evaluate_batches(model, batches, loss_fn):
    """:func:`evaluate` over an iterable of ``(x, y)`` batches; ``(NaN, NaN)`` when there are none."""
    model.eval()
    total, correct, n = 0.0, 0, 0
    for x, y in batches:
        logits = model(x).float()
        if loss_fn is not None:
            total += loss_fn(logits, y).item() * len(y)
        correct += (logits.argmax(dim=1) == y).sum().item()
        n += len(y)
    if not n:
        return math.nan, math.nan
    return (total / n if loss_fn is not None else math.nan), correct / n


def predict_proba(model, x, batch_size=1024):
    """Softmax posteriors ``(N, c)`` (float64, CPU) of ``model`` in eval mode."""
    return posteriors(model, (x[s:s + batch_size] for s in range(0, len(x), batch_size)))


@torch.no_grad()
def posteriors(model, batches):
    """Softmax posteriors ``(N, c)`` (float64, CPU) of ``model`` in eval mode over an iterable of input batches."""
    model.eval()
    return torch.cat([torch.softmax(model(x).double(), dim=1).cpu() for x in batches])


def _show_progress(progress):
    return sys.stderr.isatty() if progress is None else bool(progress)


# ---------------------------------------------------------------- the two-stage protocol

def run_protocol(task, *, noise="symmetric", rate=0.2, methods=("ce", "backward", "forward", "backward_est",
                 "forward_est"), seeds=(0,), protocol="paper", epochs=None, subset=None, device="auto",
                 results_dir=None, progress=None, noise_kwargs=None):
    """The paper's protocol for ``task`` under one noise setting, for each seed and method; returns the records.

    Parameters
    ----------
    task : str
        One of :data:`TASKS`.
    noise : str or array_like
        ``"none"``, ``"symmetric"``, ``"asymmetric"`` (:func:`lnc.noise.paper_T` with ``rate``), a CIFAR-N label
        set for ``cifar10n``/``cifar100n`` (``"aggre"``, ``"random1"``, ..., ``"worst"``, ``"cifar100n"``; human
        labels, true T = :func:`lnc.data.cifarn_T`), or a ``(c, c)`` matrix T to sample the noise from.
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
        Each record is saved there as JSON (:func:`lnc.results.save_record`).
    noise_kwargs : dict, optional
        Passed to the asymmetric noise (``{"grouping": "superclass"}`` for CIFAR-100).

    Returns
    -------
    list of dict
        One record per (seed, method): the settings, ``test_accuracy``, ``best_epoch``, ``curves``, ``T`` used by
        the loss, ``T_true``, ``T_hat`` with its ``estimation_error`` and condition number, timing and versions.
        A correction whose ``T̂`` is singular gets ``status = "failed"`` and ``test_accuracy = None``.

    Raises
    ------
    ValueError
        Every configuration error (unknown task/method/noise, wrong T, epochs <= 0, ...) before any training.
    """
    recipe, methods, seeds, epochs, device, dataset, noise_name, T_true = _validate(
        task, noise, rate, methods, seeds, protocol, epochs, subset, device, noise_kwargs)
    records = []
    for seed in seeds:
        splits = _splits(task, dataset, noise, T_true, seed, subset)
        settings = {"task": task, "dataset": TASKS[task], "noise": noise_name,
                    "rate": rate if noise_name in ("symmetric", "asymmetric") else None, "seed": seed,
                    "protocol": protocol, "subset": subset, "n_train": len(splits.y_train), "n_val": len(splits.y_val),
                    "n_test": len(splits.y_test), "recipe": json.loads(json.dumps(dataclasses.asdict(recipe))),
                    "T_true": _listed(T_true),
                    "lnc_version": __version__, "torch_version": torch.__version__, "python": platform.python_version(),
                    "threads": torch.get_num_threads()}
        ce = None
        for method in methods:
            record = dict(settings)
            if method in ("ce", "forward_est", "backward_est") and ce is None:
                model, ce = train(splits, "ce", recipe, seed=seed, device=device, progress=progress, epochs=epochs)
                T_hat = _estimate(model, splits, recipe, device)
                ce.update(estimate_fields(T_hat, T_true))
            if method == "ce":
                record.update(ce, T=None)
            elif method.endswith("_est"):
                record.update(_corrected(splits, method, T_hat, recipe, seed, device, progress, epochs),
                              T=ce["T_hat"], **{k: ce[k] for k in ("T_hat", "estimation_error", "cond_T_hat")})
            else:
                T = T_true if method in ("forward", "backward") else None
                record.update(train(splits, method, recipe, T=T, seed=seed, device=device, progress=progress,
                                    epochs=epochs)[1], T=None if T is None else _listed(T))
            record.setdefault("status", "ok")
            records.append(record)
            if results_dir is not None:
                save_record(record, results_dir)
    return records


def _validate(task, noise, rate, methods, seeds, protocol, epochs, subset, device, noise_kwargs):
    """Check a configuration of :func:`run_protocol` without training; returns what it needs."""
    recipe = get_recipe(task, protocol)
    methods = _check_methods(methods)
    seeds = _check_seeds(seeds)
    epochs = _check_epochs(recipe.epochs if epochs is None else epochs)
    device = resolve_device(device)
    dataset = _load(task)
    if subset is not None and (isinstance(subset, bool) or not isinstance(subset, int)
                               or not 20 <= subset <= len(dataset.y_train)):
        raise ValueError(f"subset must be None or an int in [20, {len(dataset.y_train)}], got {subset!r}")
    noise_name, T_true = _noise(task, dataset, noise, rate, noise_kwargs or {})
    if "backward" in methods:
        make_loss("backward", T_true)  # raises now, not after training, if T is singular
    return recipe, methods, seeds, epochs, device, dataset, noise_name, T_true


def _check_methods(methods):
    if isinstance(methods, str) or not methods:
        raise ValueError(f"methods must be a non-empty sequence of names from {METHODS}, got {methods!r}")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"methods must be names from {METHODS}, got {unknown[0]!r}")
    return tuple(methods)


def _check_seeds(seeds):
    if isinstance(seeds, (str, int)) or not seeds or any(
            isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 0 for s in seeds):
        raise ValueError(f"seeds must be a non-empty sequence of ints >= 0, got {seeds!r}")
    return tuple(int(s) for s in seeds)


@functools.lru_cache(maxsize=1)
def _load(task):
    """The data set of ``task``, kept in memory for the next run of the same task (a grid loads it once)."""
    loaders = {"mnist": data.load_mnist, "fashion_mnist": data.load_fashion_mnist, "imdb": data.load_imdb,
               "cifar10": data.load_cifar10, "cifar100": data.load_cifar100}
    return loaders[TASKS[task]]()


def _noise(task, dataset, noise, rate, noise_kwargs):
    """``(name, T_true)`` of a noise specification (see :func:`run_protocol`)."""
    c = dataset.num_classes
    if isinstance(noise, str) and noise in data.CIFARN_LABEL_SETS:
        expected = "cifar100n" if noise == "cifar100n" else "cifar10n"
        if task != expected:
            raise ValueError(f"noise {noise!r} is a CIFAR-N label set of task {expected!r}, not of {task!r}")
        return noise, data.cifarn_T(noise)
    if task in ("cifar10n", "cifar100n"):
        raise ValueError(f"task {task!r} takes a CIFAR-N label set as noise, got {noise!r}")
    if isinstance(noise, str):
        if noise not in NOISE_KINDS:
            raise ValueError(f"noise must be one of {NOISE_KINDS}, a CIFAR-N label set or a (c, c) matrix, got {noise!r}")
        return noise, paper_T(TASKS[task], noise, rate, **noise_kwargs)
    T = check_transition_matrix(noise, name="noise")
    if T.shape != (c, c):
        raise ValueError(f"noise must be a ({c}, {c}) matrix for {task}, got shape {T.shape}")
    return "custom", T


def _splits(task, dataset, noise, T_true, seed, subset):
    if task in ("cifar10n", "cifar100n"):
        clean, noisy = data.load_cifarn_labels(noise)
        if not np.array_equal(clean, dataset.y_train):
            raise ValueError(f"the clean labels of {noise!r} do not match the {dataset.name} training labels")
    else:
        noisy = corrupt_labels(dataset.y_train, T_true, seed)
    return data.noisy_splits(dataset, noisy, seed=seed, subset=subset, T=T_true)


def _estimate(model, splits, recipe, device):
    """``T̂`` from the CE model's posteriors on the training + validation inputs (as the official code)."""
    tensors = prepare(splits, recipe, device)
    return estimate_T(predict_proba(model, torch.cat([tensors.x_train, tensors.x_val])), quantile=recipe.quantile)


def estimate_fields(T_hat, T_true=None):
    """The record fields of an estimate: ``T_hat`` (lists), ``cond_T_hat`` and ``estimation_error`` against
    ``T_true`` (``None`` where infinite, e.g. a singular ``T̂``, or where ``T_true`` is unknown)."""
    cond = condition_number(T_hat)
    return {"T_hat": _listed(T_hat), "cond_T_hat": round(cond, 4) if math.isfinite(cond) else None,
            "estimation_error": None if T_true is None else round(float(estimation_error(T_hat, T_true)), 6)}


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
        return {"status": "failed", "test_accuracy": None,
                "error": f"T_hat has zero columns {present} but the noisy labels hold these classes: the "
                         "forward-corrected loss would be infinite"}
    return None


def _listed(T):
    """T as nested lists for JSON, rounded to 1e-10 (row sums stay within 1e-8 of 1)."""
    return np.round(T, 10).tolist()


def _corrected(splits, method, T_hat, recipe, seed, device, progress, epochs):
    loss = method.removesuffix("_est")
    failed = unusable(loss, T_hat, np.concatenate([splits.y_train, splits.y_val]))
    if failed:
        return {"method": method, **failed}
    _, record = train(splits, loss, recipe, T=T_hat, seed=seed, device=device, progress=progress, epochs=epochs)
    record["method"] = method
    return record


def noise_settings(noise, rates):
    """The ``(noise, rate)`` settings of a chapter: ``("none", 0.0)`` if ``"none"`` is in ``noise``, then each
    other kind (or CIFAR-N label set, with rate 0.0) at each rate of ``rates`` (synthetic kinds only)."""
    if isinstance(noise, str) or isinstance(rates, (str, numbers.Number)):
        raise TypeError(f"noise and rates must be lists, got {noise!r} and {rates!r}")
    return ([("none", 0.0)] * ("none" in noise)
            + [(kind, float(rate)) for kind in noise if kind in NOISE_KINDS[1:] for rate in rates]
            + [(kind, 0.0) for kind in noise if kind not in NOISE_KINDS])


def run_grid(task, settings, *, seeds=(0,), workers=1, **kwargs):
    """:func:`run_protocol` for each ``(noise, rate)`` in ``settings`` and each seed; records in that order.

    ``workers > 1`` runs the (setting, seed) jobs in that many processes with one torch thread each (a run's
    numbers can differ in the last digits from a run with another thread count; ``threads`` is recorded).
    ``kwargs`` go to :func:`run_protocol` (``methods``, ``protocol``, ``epochs``, ``results_dir``, ...).
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    settings = [tuple(s) for s in settings]
    if not settings or any(len(s) != 2 for s in settings):
        raise ValueError(f"settings must be a non-empty list of (noise, rate) pairs, got {settings!r}")
    jobs = [dict(kwargs, task=task, noise=noise, rate=rate, seeds=(seed,))
            for noise, rate in settings for seed in _check_seeds(seeds)]
    for job in jobs:  # every configuration error surfaces now, before any training
        arguments = inspect.signature(run_protocol).bind(**job)
        arguments.apply_defaults()
        _validate(*(arguments.arguments[k] for k in inspect.signature(_validate).parameters))
    if workers == 1:
        return [r for job in jobs for r in run_protocol(**job)]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=torch.set_num_threads, initargs=(1,)) as pool:
        return [r for records in pool.map(_run_job, jobs) for r in records]


def _run_job(job):
    return run_protocol(**job)
