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
import os
import platform
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from . import __version__, data
from ._checks import (
    check_choice,
    check_int,
    check_mapping,
    check_optional_int,
    check_rate,
    check_real,
    check_seed,
    check_sequence,
    check_transition_matrix,
    describe,
)
from .estimation import estimate_T
from .losses import LOSS_NAMES, make_loss
from .metrics import condition_number, estimation_error
from .models import MODELS, build_model
from .noise import NOISE_KINDS, corrupt_labels, paper_T
from .results import check_results_dir, record_name, save_record

BOUNDED_LOSSES = ("unhinged", "sigmoid", "ramp")
"""Losses trained with the BatchNorm output head of the official code."""
METHODS = LOSS_NAMES + ("forward_est", "backward_est")
"""Methods of :func:`run_protocol`: the losses of :data:`lnc.losses.LOSS_NAMES` (``forward``/``backward``
with the true T) and the corrections with the estimated ``T̂``."""
DEFAULT_METHODS = ("ce", "backward", "forward", "backward_est", "forward_est")


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

    def __post_init__(self):
        """Check every field; store numbers as Python ints and floats (a record is JSON)."""
        check_choice(self.model, MODELS, name="recipe.model")
        check_choice(self.optimizer, ("adagrad", "sgd"), name="recipe.optimizer")
        if not isinstance(self.decay_all, bool):
            raise TypeError(f"recipe.decay_all must be a bool, got {self.decay_all!r}")
        check_choice(self.augment, AUGMENTATIONS, name="recipe.augment")
        check_choice(self.normalize, NORMALIZATIONS, name="recipe.normalize")
        checked = {
            "epochs": check_int(self.epochs, name="recipe.epochs", low=1),
            "batch_size": check_int(self.batch_size, name="recipe.batch_size", low=1),
            **{name: check_real(getattr(self, name), name=f"recipe.{name}", positive=name == "lr")
               for name in ("lr", "momentum", "weight_decay")},
            "milestones": check_sequence(self.milestones, name="recipe.milestones", nonempty=False,
                                         item=lambda m, name: check_int(m, name=name, low=0)),
            "quantile": None if self.quantile is None else check_rate(self.quantile, name="recipe.quantile",
                                                                      low=1e-12, high=1 - 1e-12),
            "model_kwargs": check_mapping(self.model_kwargs, name="recipe.model_kwargs"),
        }
        for name, value in checked.items():
            object.__setattr__(self, name, value)


AUGMENTATIONS = (None, "shift", "crop")
NORMALIZATIONS = (None, "scale", "pixel_mean", "channel")


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
    check_choice(protocol, RECIPES, name="protocol")
    check_choice(task, TASKS, name="task")
    return RECIPES[protocol][task]


def describe_run(task, protocol, *, epochs=None, subset=None, seeds=(0,), device="auto", workers=1):
    """One line stating the protocol of a chapter's run: network, epochs, optimiser, schedule, data, device."""
    recipe = get_recipe(task, protocol)
    schedule = f" (/10 at {list(recipe.milestones)})" if recipe.milestones else ""
    return (f"{task}, protocol {protocol!r}: {recipe.model} {recipe.model_kwargs}, {epochs or recipe.epochs} epochs, "
            f"{recipe.optimizer} lr {recipe.lr}{schedule}, batch {recipe.batch_size}, subset {subset}, "
            f"seeds {list(seeds)}, device {resolve_device(device)}, torch {torch.__version__}, {workers} worker(s)")


def resolve_device(device="auto"):
    """``"auto"`` → CUDA when available, else CPU; otherwise ``torch.device(device)`` (CPU or CUDA only)."""
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"device must be 'auto', 'cpu' or 'cuda[:k]', got {device!r}")
    try:
        device = torch.device(device)
    except RuntimeError as err:
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda[:k]', got {device!r}") from err
    if device.type not in ("cpu", "cuda") or (device.type == "cpu" and device.index not in (None, 0)):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda[:k]', got {str(device)!r}")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device is 'cuda' but no CUDA device is available; use device='auto' or 'cpu'")
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        raise ValueError(f"device {str(device)!r} does not exist: {torch.cuda.device_count()} CUDA device(s)")
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
    if not isinstance(splits, data.NoisySplits):
        raise TypeError(f"splits must be an lnc.data.NoisySplits (see lnc.data.noisy_splits), got {describe(splits)}")
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe must be an lnc.training.Recipe, got {describe(recipe)}")
    check_choice(method, LOSS_NAMES, name="method")
    seed = check_seed(seed)
    epochs = check_int(recipe.epochs if epochs is None else epochs, name="epochs", low=1)
    _check_progress(progress)
    device = resolve_device(device)
    loss_fn = _loss(method, T, splits.num_classes).to(device)
    return train_on(lambda: _in_memory(prepare(splits, recipe, device), recipe),
                    lambda: _build(recipe, splits.num_classes, method, device), loss_fn, recipe, method=method,
                    seed=seed, device=device, epochs=epochs, progress=progress)


@dataclass(frozen=True)
class Batches:
    """Where one training's batches come from: ``train(generator)`` (shuffled with that ``torch.Generator``),
    ``val()`` and ``test()`` each return a fresh iterable of ``(x, y)`` on the device (noisy training and
    validation labels, clean test labels); ``has_val``: whether the validation split is non-empty."""

    train: Callable
    val: Callable
    test: Callable
    has_val: bool


def train_on(make_batches, make_model, loss_fn, recipe, *, method, seed, device, epochs, progress=None):
    """The one training of ``lnc``, for in-memory and streamed data alike; returns ``(model, record)``.

    ``make_batches()`` gives the :class:`Batches` (called inside the timing: preparing the data is part of a
    run's wall time); ``make_model()`` a fresh network on ``device``, built after ``torch.manual_seed(seed)``
    (the global torch RNG is restored afterwards). :func:`fit` trains it with ``loss_fn`` under ``recipe``'s
    optimiser and schedule, with model selection on the validation batches; the test batches are read once.
    The record holds ``method``, ``test_accuracy``, :func:`fit`'s fields, ``epochs``, ``wall_time_s``, ``device``.
    """
    start = time.perf_counter()
    batches = make_batches()
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        generator = torch.Generator().manual_seed(seed)
        model = make_model()
        optimizer = _optimizer(model, recipe)
        fitted = fit(model, optimizer, loss_fn, lambda: batches.train(generator), batches.val, lr=recipe.lr,
                     milestones=recipe.milestones, epochs=epochs, has_val=batches.has_val, progress=progress,
                     desc=method)
        _, test_accuracy = evaluate_batches(model, batches.test(), None)
    record = {"method": method, "test_accuracy": test_accuracy, **fitted, "epochs": epochs,
              "wall_time_s": round(time.perf_counter() - start, 2), "device": str(device)}
    return model, record


def _in_memory(tensors, recipe):
    """:class:`Batches` over :class:`Tensors`: shuffled (and augmented) training batches of ``recipe.batch_size``."""
    return Batches(lambda generator: _shuffled_batches(tensors, recipe, generator),
                   lambda: _batches(tensors.x_val, tensors.y_val), lambda: _batches(tensors.x_test, tensors.y_test),
                   has_val=len(tensors.y_val) > 0)


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


def _loss(method, T, num_classes):
    """The loss module of ``method``; T, required by the corrections and refused by the others, must be (c, c)."""
    if method not in ("forward", "backward"):
        if T is not None:
            raise ValueError(f"T is used only by the 'forward' and 'backward' methods, not by {method!r}")
        return make_loss(method)
    if T is None:
        raise ValueError(f"method {method!r} needs T, the ({num_classes}, {num_classes}) transition matrix")
    T = check_transition_matrix(T)
    if T.shape != (num_classes, num_classes):
        raise ValueError(f"T must be ({num_classes}, {num_classes}) for {num_classes} classes, got {T.shape}")
    return make_loss(method, T)


def _check_progress(progress):
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"progress must be None, True or False, got {progress!r}")
    return progress


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
    return torch.optim.SGD(groups, lr=recipe.lr, momentum=recipe.momentum)


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

def run_protocol(task, *, noise="symmetric", rate=0.2, methods=DEFAULT_METHODS, seeds=(0,), protocol="paper",
                 epochs=None, subset=None, device="auto", results_dir=None, progress=None, noise_kwargs=None):
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
        Each record is saved there as JSON (:func:`lnc.results.save_record`); checked to be writable before any
        training.
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
    TypeError, ValueError
        Every configuration error (unknown task/method/noise, wrong T, epochs <= 0, an unwritable
        ``results_dir``, ...) before any training (see :func:`configure`).
    """
    return _run(configure(task, noise=noise, rate=rate, methods=methods, seeds=seeds, protocol=protocol,
                          epochs=epochs, subset=subset, device=device, results_dir=results_dir,
                          progress=progress, noise_kwargs=noise_kwargs))


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


def configure(task, *, noise="symmetric", rate=0.2, methods=DEFAULT_METHODS, seeds=(0,), protocol="paper",
              epochs=None, subset=None, device="auto", results_dir=None, progress=None, noise_kwargs=None):
    """Check the arguments of :func:`run_protocol` without training; return a :class:`ProtocolConfig`.

    Loads the task's data set (kept in memory for the run) to check ``subset`` and CIFAR-N labels, and creates
    ``results_dir`` if needed (:func:`lnc.results.check_results_dir`).
    """
    recipe = get_recipe(task, protocol)
    methods = check_sequence(methods, name="methods", item=lambda m, name: check_choice(m, METHODS, name=name))
    seeds = check_sequence(seeds, name="seeds", item=check_seed)
    epochs = check_int(recipe.epochs if epochs is None else epochs, name="epochs", low=1)
    rate = check_rate(rate)
    noise_kwargs = check_mapping(noise_kwargs, name="noise_kwargs")
    _check_progress(progress)
    device = resolve_device(device)
    dataset = _load(task)
    subset = check_optional_int(subset, name="subset", low=20, high=len(dataset.y_train))
    noise_name, T_true = _noise(task, dataset, noise, rate, noise_kwargs)
    if "backward" in methods:
        make_loss("backward", T_true)  # raises now, not after training, if T is singular
    rate = rate if noise_name in ("symmetric", "asymmetric") else None
    return ProtocolConfig(task, noise_name, rate, methods, seeds, protocol, recipe, epochs, subset, device,
                          check_results_dir(results_dir), progress, T_true)


def _run(config):
    """:func:`run_protocol` on a checked :class:`ProtocolConfig`."""
    task, recipe, T_true = config.task, config.recipe, config.T_true
    records = []
    for seed in config.seeds:
        run = dict(seed=seed, device=config.device, progress=config.progress, epochs=config.epochs)
        splits = _splits(task, _load(task), config.noise, T_true, seed, config.subset)
        settings = {**_settings(config, seed), "n_train": len(splits.y_train), "n_val": len(splits.y_val),
                    "n_test": len(splits.y_test), "lnc_version": __version__, "torch_version": torch.__version__,
                    "python": platform.python_version(), "threads": torch.get_num_threads()}
        ce = None
        for method in config.methods:
            record = dict(settings)
            if method in ("ce", "forward_est", "backward_est") and ce is None:
                model, ce = train(splits, "ce", recipe, **run)
                T_hat = _estimate(model, splits, recipe, config.device)
                ce.update(estimate_fields(T_hat, T_true))
            if method == "ce":
                record.update(ce, T=None)
            elif method.endswith("_est"):
                record.update(_corrected(splits, method, T_hat, recipe, run),
                              T=ce["T_hat"], **{k: ce[k] for k in ("T_hat", "estimation_error", "cond_T_hat")})
            else:
                T = T_true if method in ("forward", "backward") else None
                record.update(train(splits, method, recipe, T=T, **run)[1], T=None if T is None else _listed(T))
            record.setdefault("status", "ok")
            records.append(record)
            if config.results_dir is not None:
                save_record(record, config.results_dir)
    return records


def _settings(config, seed):
    """The fields of a record that say which job it belongs to (:func:`stored_records` matches them)."""
    return {"task": config.task, "dataset": TASKS[config.task], "noise": config.noise, "rate": config.rate,
            "seed": seed, "protocol": config.protocol, "subset": config.subset,
            "recipe": json.loads(json.dumps(dataclasses.asdict(config.recipe))), "T_true": _listed(config.T_true)}


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


def _corrected(splits, method, T_hat, recipe, run):
    loss = method.removesuffix("_est")
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
    return ([("none", 0.0)] * ("none" in noise)
            + [(kind, float(rate)) for kind in noise if kind in NOISE_KINDS[1:] for rate in rates]
            + [(kind, 0.0) for kind in noise if kind not in NOISE_KINDS])


def run_grid(task, settings, *, seeds=(0,), workers=1, executor=None, overwrite=False, **kwargs):
    """:func:`run_protocol` for each ``(noise, rate)`` in ``settings`` and each seed; records in that order.

    Each (setting, seed) is one job, seeded by its own settings, so the records do not depend on where it runs:

    - ``executor``: any :class:`concurrent.futures.Executor` runs the jobs: a local process pool, Dask's
      ``Client.get_executor()`` on a cluster, submitit's executor on Slurm (``results_dir`` must then be a folder
      the workers share). ``None``: ``workers`` local processes, or this process when ``workers == 1``.
    - ``workers > 1``: that many spawned processes with one torch thread each (numbers can differ in the last
      digits from a run with another thread count; ``threads`` is recorded), ended with the process that
      started them.
    - Resumable: with ``results_dir``, a job whose complete records are already there with the same settings
      (task, noise, rate, seed, protocol, recipe, epochs, subset, true T, every method) is loaded, not re-run,
      so an interrupted grid continues where it stopped; ``overwrite=True`` re-runs every job.

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
    stored = [None if overwrite else stored_records(config) for config in configs]
    todo = [config for config, records in zip(configs, stored) if records is None]
    if executor is None and workers > 1 and len(todo) > 1:
        import multiprocessing

        with ProcessPoolExecutor(min(workers, len(todo)), mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_worker_init, initargs=(1, os.getpid())) as pool:
            ran = list(pool.map(_run, todo))
    elif executor is not None:
        ran = [future.result() for future in [executor.submit(_run, config) for config in todo]]
    else:
        ran = [_run(config) for config in todo]
    ran = iter(ran)
    return [r for records in stored for r in (next(ran) if records is None else records)]


def stored_records(config):
    """The records of a one-seed job that its ``results_dir`` already holds, complete and with the same settings
    (one per method, in ``config.methods`` order); ``None`` when any is missing or differs."""
    if config.results_dir is None or len(config.seeds) != 1:
        return None
    expected = _settings(config, config.seeds[0])
    identity = ("task", "noise", "rate", "seed", "protocol", "subset", "recipe", "T_true")
    records = []
    for method in config.methods:
        path = config.results_dir / record_name({**expected, "method": method})
        if not path.is_file():
            return None
        record = json.loads(path.read_text())
        if any(record.get(key) != expected[key] for key in identity) or "status" not in record \
                or record.get("epochs", config.epochs) != config.epochs:
            return None
        records.append(record)
    return records


def check_grid(task, settings, *, seeds=(0,), **kwargs):
    """Check every job of :func:`run_grid` in seconds, without training; returns their :class:`ProtocolConfig`.

    A chapter calls it for each of its grids right after its parameters, so that a bad parameter fails before
    hours of training, not after.
    """
    options = [p for p in inspect.signature(configure).parameters if p not in ("task", "noise", "rate", "seeds")]
    unknown = sorted(set(kwargs) - set(options))
    if unknown:
        raise TypeError(f"run_grid has no option {unknown[0]!r} (noise and rate come from settings); its options: "
                        f"{options}")
    settings = check_sequence(settings, name="settings", item=_check_pair)
    seeds = check_sequence(seeds, name="seeds", item=check_seed)
    return [configure(task, noise=noise, rate=rate, seeds=(seed,), **kwargs) for noise, rate in settings
            for seed in seeds]


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
