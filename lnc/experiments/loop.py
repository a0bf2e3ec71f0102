"""The epoch loop of every training here (:func:`train_on`, :func:`fit`), for in-memory and streamed batches:
model-ready tensors, augmentation, the optimiser of a recipe, evaluation, posteriors.

Model selection reads the **noisy** validation batches (:data:`SELECTIONS`); the test batches are read once.
"""

import copy
import datetime
import functools
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from .. import __version__
from .._checks import check_choice
from ..losses import LossModule, NonFiniteLogitsError
from .models import build_model

BOUNDED_LOSSES = ("unhinged", "sigmoid", "ramp")
"""Losses trained with the BatchNorm output head of the official code."""


def environment():
    """Where a run ran, for its record: the lnc, torch and Python versions, torch's threads, the CPU and the
    vector instructions torch's CPU kernels use on it (``cpu_isa``: ``"AVX512"``, ``"AVX2"``, ``"DEFAULT"``, ...;
    CPUs of one model name differ there, and a wall time means little without them)."""
    return {
        "lnc_version": __version__,
        "torch_version": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "cpu": cpu_name(),
        "cpu_isa": torch.backends.cpu.get_cpu_capability(),
    }


CPUINFO = Path("/proc/cpuinfo")


def cpu_name():
    """The CPU's model name: Linux's :data:`CPUINFO`, else ``platform.processor()``, else the machine type."""
    try:
        lines = CPUINFO.read_text().splitlines()
    except OSError:
        lines = []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else platform.processor() or platform.machine()


PRECISIONS = ("auto", "fp32", "bf16")
"""Values of the environment variable ``LNC_PRECISION`` (:func:`precision`); unset means ``"auto"``."""


def precision(device):
    """``"bf16"`` where the networks run under bf16 autocast on ``device``, else ``"fp32"``.

    ``"auto"`` (``LNC_PRECISION`` unset): bf16 on CUDA and on a CPU with bf16 units (:func:`cpu_has_bf16`), fp32
    elsewhere. ``LNC_PRECISION=fp32`` or ``bf16`` forces one (bf16 on a CPU without bf16 units is emulated: slow).
    Losses always see float32 logits. A record states the precision it ran in (:func:`train_on`).
    """
    chosen = os.environ.get("LNC_PRECISION", "auto")
    if chosen not in PRECISIONS:
        raise ValueError(f"the environment variable LNC_PRECISION must be one of {PRECISIONS}, got {chosen!r}")
    if chosen != "auto":
        return chosen
    return "bf16" if torch.device(device).type == "cuda" or cpu_has_bf16() else "fp32"


@functools.cache
def cpu_has_bf16():
    """Whether this CPU computes bf16 natively (AVX512-BF16 or AMX-BF16 in :data:`CPUINFO`'s flags) and torch
    uses it: its kernels at the AVX512 level and oneDNN's bf16 enabled (``ATEN_CPU_CAPABILITY=avx2`` or
    ``ONEDNN_MAX_CPU_ISA=AVX2`` turn it off, as on a CPU without them)."""
    try:
        flags = {flag for line in CPUINFO.read_text().splitlines() if line.startswith("flags") for flag in line.split()}
    except OSError:
        return False
    onednn = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)
    avx512 = torch.backends.cpu.get_cpu_capability() == "AVX512"
    return bool({"avx512_bf16", "amx_bf16"} & flags) and avx512 and onednn()


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
    """Turn :class:`lnc.experiments.datasets.NoisySplits` into :class:`Tensors` on ``device`` (images NCHW
    float32, normalised with statistics of the training split only)."""
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


@dataclass(frozen=True)
class Batches:
    """Where one training's batches come from: ``train(generator)`` (shuffled with that ``torch.Generator``),
    ``val()`` and ``test()`` each return a fresh iterable of ``(x, y)`` on the device (noisy training and
    validation labels, clean test labels); ``has_val``: whether the validation split is non-empty."""

    train: Callable
    val: Callable
    test: Callable
    has_val: bool


def train_on(
    make_batches, make_model, loss_fn, recipe, *, method, seed, device, epochs, progress=None, selection="val_accuracy"
):
    """The one training of ``lnc``, for in-memory and streamed data alike; returns ``(model, record)``.

    ``make_batches()`` gives the :class:`Batches` (called inside the timing: preparing the data is part of a
    run's wall time); ``make_model()`` a fresh network on ``device``, built after ``torch.manual_seed(seed)``
    (the global torch RNG is restored afterwards). :func:`fit` trains it with ``loss_fn`` under ``recipe``'s
    optimiser and schedule, with model selection by ``selection`` (:data:`SELECTIONS`) on the validation batches;
    the test batches are read once per criterion, after training (``test_accuracy_by_selection``).
    A loss with parameters (a learned T, :mod:`lnc.experiments.learned_T`) is trained with the network: its
    parameters form their own group, without weight decay, at the loss's ``lr`` (else the recipe's), in the
    optimiser its ``optimizer`` attribute names (:class:`Optimizers`; else the network's).
    The record holds ``method``, ``test_accuracy``, :func:`fit`'s fields, ``epochs``, ``wall_time_s``, ``finished``
    (UTC, ISO 8601), ``device`` (and ``gpu``, its name, on CUDA) and ``precision`` (:func:`precision`).
    """
    start = time.perf_counter()
    batches = make_batches()
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        generator = torch.Generator().manual_seed(seed)
        model = make_model()
        optimizer = _optimizer(model, recipe, loss_fn)
        fitted = fit(
            model,
            optimizer,
            loss_fn,
            lambda: batches.train(generator),
            batches.val,
            milestones=recipe.milestones,
            schedule=recipe.schedule,
            epochs=epochs,
            has_val=batches.has_val,
            progress=progress,
            desc=method,
            selection=selection,
            test_batches=batches.test,
            clip_norm=recipe.clip_norm,
        )
    record = {
        "method": method,
        **fitted,
        "epochs": epochs,
        "wall_time_s": round(time.perf_counter() - start, 2),
        "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "device": str(device),
        "precision": precision(device),
    }
    if device.type == "cuda":
        record["gpu"] = torch.cuda.get_device_name(device)
    return model, record


def in_memory_batches(tensors, recipe):
    """:class:`Batches` over :class:`Tensors`: shuffled (and augmented) training batches of ``recipe.batch_size``."""
    return Batches(
        lambda generator: _shuffled_batches(tensors, recipe, generator),
        lambda: _batches(tensors.x_val, tensors.y_val),
        lambda: _batches(tensors.x_test, tensors.y_test),
        has_val=len(tensors.y_val) > 0,
    )


SELECTIONS = ("val_accuracy", "val_loss")
"""How :func:`fit` keeps its epoch, on the noisy validation split: ``"val_accuracy"``, the highest accuracy of the
network's argmax against the noisy labels (the same criterion for every method, which no loss can game), or
``"val_loss"``, the lowest value of the run's own loss (the paper's choice; a backward-corrected loss is unbounded
below and rewards over-confidence there)."""


def fit(
    model,
    optimizer,
    loss_fn,
    train_batches,
    val_batches,
    *,
    milestones,
    epochs,
    schedule="step",
    has_val=True,
    progress=None,
    desc=None,
    selection="val_accuracy",
    test_batches=None,
    clip_norm=None,
):
    """The epoch loop of every training here; leaves ``model`` at its selected epoch, in eval mode.

    ``train_batches()`` / ``val_batches()`` return a fresh iterable of ``(x, y)`` batches (noisy labels) for
    one epoch. Each epoch sets the learning rate of each parameter group to its initial one times
    :func:`lr_factor` (0-based epochs, ``milestones``, ``schedule``), trains (each step's gradient scaled to a total
    norm of at most ``clip_norm`` when it is set), and evaluates ``loss_fn`` on the
    validation batches; the epoch that ``selection`` (:data:`SELECTIONS`) prefers is kept (the last one when
    ``has_val`` is false; the earliest of equals), with the loss's own state (a learned T). A non-finite training
    loss (diverged weights) stops training at the best epoch so far. The network runs in the :func:`precision` of its
    device; losses see float32 logits.

    Returns ``{"best_epoch" (1-based), "best_val_loss", "best_val_accuracy", "diverged", "curves",
    "epoch_by_selection"}``; ``curves`` holds per-epoch ``train_loss``, ``val_loss`` and ``val_accuracy`` (``None``
    where not finite), and ``grad_norm`` and ``clipped``: the median total gradient norm of the epoch's steps
    before clipping, and the fraction of its steps that ``clip_norm`` scaled down (0 without it);
    ``epoch_by_selection`` the epoch each criterion of :data:`SELECTIONS` keeps. With
    ``test_batches()`` (clean labels), also ``test_accuracy`` of the kept epoch and ``test_accuracy_by_selection``,
    the test accuracy of the epoch each criterion keeps: a report of what the choice does, never an input to it.
    """
    check_choice(selection, SELECTIONS, name="selection")
    curves = {"train_loss": [], "val_loss": [], "val_accuracy": [], "grad_norm": [], "clipped": []}
    best = {key: (-math.inf, 0, _state(model, loss_fn)) for key in SELECTIONS}  # (score, epoch, state)
    bar = tqdm(range(epochs), desc=desc, leave=False, disable=not _show_progress(progress))
    for epoch in bar:
        for group in optimizer.param_groups:
            group["lr"] = group.setdefault("initial_lr", group["lr"]) * lr_factor(epoch, epochs, milestones, schedule)
        train_loss, norms = _epoch(model, optimizer, loss_fn, train_batches(), clip_norm)
        val_loss, val_accuracy = (
            evaluate_batches(model, val_batches(), loss_fn) if math.isfinite(train_loss) else (math.nan, math.nan)
        )
        clipped = (norms > clip_norm).double().mean().item() if clip_norm is not None and len(norms) else 0.0
        grad_norm = norms.median().item() if len(norms) else math.nan
        for key, value in zip(curves, (train_loss, val_loss, val_accuracy, grad_norm, clipped)):
            curves[key].append(value)
        if not math.isfinite(train_loss):  # diverged (e.g. backward with an ill-conditioned T): stop
            break
        for key, score in (("val_accuracy", val_accuracy), ("val_loss", -val_loss)):
            if score > best[key][0] or not has_val:
                best[key] = (score, epoch + 1, _state(model, loss_fn))
        bar.set_postfix(train=f"{train_loss:.3f}", val=f"{val_loss:.3f}")
    tested = {}
    for key in sorted(SELECTIONS, key=lambda key: key == selection):  # the kept epoch's state last
        _load(model, loss_fn, best[key][2])
        if test_batches is not None:
            tested[key] = evaluate_batches(model, test_batches(), None)[1]
    epoch = best[selection][1]
    finite = [None if epoch == 0 or not math.isfinite(v) else round(v, 6) for v in _at(curves, epoch)]
    return {
        **({"test_accuracy": tested[selection], "test_accuracy_by_selection": tested} if tested else {}),
        "best_epoch": epoch,
        "best_val_loss": finite[0],
        "best_val_accuracy": finite[1],
        "diverged": not math.isfinite(curves["train_loss"][-1]),
        "curves": {k: [round(v, 6) if math.isfinite(v) else None for v in vs] for k, vs in curves.items()},
        "epoch_by_selection": {key: best[key][1] for key in SELECTIONS},
    }


def _at(curves, epoch):
    """Validation loss and accuracy at the 1-based ``epoch`` (NaN for epoch 0, before any training)."""
    return (curves["val_loss"][epoch - 1], curves["val_accuracy"][epoch - 1]) if epoch else (math.nan, math.nan)


def _load(model, loss_fn, state):
    """Put ``model`` (and a loss with parameters) back in ``state`` (:func:`_state`), in eval mode."""
    model.load_state_dict(state[0])
    if state[1] is not None:
        loss_fn.load_state_dict(state[1])
    model.eval()


def _state(model, loss_fn):
    """Copies of the network's state and of the loss's when it has parameters (else ``None``)."""
    learned = isinstance(loss_fn, torch.nn.Module) and any(True for _ in loss_fn.parameters())
    return copy.deepcopy(model.state_dict()), copy.deepcopy(loss_fn.state_dict()) if learned else None


def lr_factor(epoch, epochs, milestones=(), schedule="step"):
    """The learning-rate factor of 0-based ``epoch`` of ``epochs``: ``"step"``, ``0.1^(number of milestones <=
    epoch)``; ``"triangle"``, a linear rise to 1 over the first ``p = max(1, round(epochs / 5))`` epochs
    (``(epoch + 1) / p``) and a linear fall after (``(epochs - epoch) / (epochs - p + 1)``, ending at
    ``1 / (epochs - p + 1)``)."""
    if schedule == "step":
        return 0.1 ** sum(epoch >= m for m in milestones)
    peak = max(1, round(epochs / 5))
    return (epoch + 1) / peak if epoch < peak else (epochs - epoch) / (epochs - peak + 1)


def check_progress(progress):
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"progress must be None, True or False, got {progress!r}")
    return progress


def build_network(recipe, num_classes, method, device):
    model = build_model(
        recipe.model, num_classes=num_classes, bounded=method in BOUNDED_LOSSES, **recipe.model_kwargs
    ).to(device)
    convolutional = any(isinstance(m, torch.nn.Conv2d) for m in model.modules())
    return model.to(memory_format=torch.channels_last) if convolutional else model  # inputs are NHWC in memory


def _optimizer(model, recipe, loss_fn=None):
    if recipe.decay_all:
        groups = [{"params": list(model.parameters()), "weight_decay": recipe.weight_decay}]
    else:  # Keras-style L2: conv / linear kernels only (not biases, not BatchNorm)
        kernels = [p for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) for p in [m.weight]]
        ids = {id(p) for p in kernels}
        groups = [
            {"params": kernels, "weight_decay": recipe.weight_decay},
            {"params": [p for p in model.parameters() if id(p) not in ids], "weight_decay": 0.0},
        ]
    learned = list(loss_fn.parameters()) if isinstance(loss_fn, torch.nn.Module) else []
    learned = [{"params": learned, "weight_decay": 0.0, "lr": getattr(loss_fn, "lr", recipe.lr)}] if learned else []
    own = getattr(loss_fn, "optimizer", None)
    if own is None:
        return _make_optimizer(recipe.optimizer, groups + learned, recipe)
    return Optimizers(_make_optimizer(recipe.optimizer, groups, recipe), _make_optimizer(own, learned, recipe))


def _make_optimizer(name, groups, recipe):
    """A torch optimiser ``name`` (:data:`lnc.experiments.recipes.OPTIMIZERS`) over ``groups``; SGD takes the
    recipe's momentum and Nesterov."""
    if name == "adagrad":
        return torch.optim.Adagrad(groups, lr=recipe.lr)
    if name == "adam":
        return torch.optim.Adam(groups, lr=recipe.lr)
    return torch.optim.SGD(groups, lr=recipe.lr, momentum=recipe.momentum, nesterov=recipe.nesterov)


class Optimizers:
    """Torch optimisers stepped as one: the network's, and the own optimiser of a learned T (a loss whose
    ``optimizer`` attribute names one, as VolMinNet's code gives T Adam). ``param_groups`` lists all their groups,
    so that the schedule of :func:`fit` scales every learning rate alike."""

    def __init__(self, *optimizers):
        self.optimizers = optimizers

    @property
    def param_groups(self):
        return [group for optimizer in self.optimizers for group in optimizer.param_groups]

    def zero_grad(self, set_to_none=True):
        for optimizer in self.optimizers:
            optimizer.zero_grad(set_to_none=set_to_none)

    def step(self):
        for optimizer in self.optimizers:
            optimizer.step()


def _shuffled_batches(tensors, recipe, generator):
    """The training split in a seeded random order, in batches of ``recipe.batch_size``, augmented if asked."""
    order = torch.randperm(len(tensors.y_train), generator=generator).to(tensors.y_train.device)
    for start in range(0, len(order), recipe.batch_size):
        idx = order[start : start + recipe.batch_size]
        x = tensors.x_train[idx]
        yield (augment_batch(x, recipe.augment, generator) if recipe.augment else x), tensors.y_train[idx]


def _batches(x, y, batch_size=1024):
    return ((x[start : start + batch_size], y[start : start + batch_size]) for start in range(0, len(y), batch_size))


def _epoch(model, optimizer, loss_fn, batches, clip_norm=None):
    """One training pass over ``batches``: ``(mean training loss, norms)``, ``norms`` the total gradient norm of
    each step before clipping, a float tensor ``(steps,)``. The loss is NaN once the weights diverge (the loss
    refuses their NaN/inf logits, at once or, for deferred checks, at the end of the epoch)."""
    model.train()
    _mode(loss_fn, training=True)
    total, n, norms = None, 0, []
    params = [p for g in optimizer.param_groups for p in g["params"]]
    bound = math.inf if clip_norm is None else clip_norm  # an infinite bound measures without scaling
    try:
        for x, y in batches:
            loss = loss_fn(_logits(model, x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            norms.append(torch.nn.utils.clip_grad_norm_(params, bound).detach().float())
            optimizer.step()
            total = loss.detach() * len(y) if total is None else total + loss.detach() * len(y)
            n += len(y)
        _verify(loss_fn)
        loss = total.item() / n
    except NonFiniteLogitsError:
        loss = math.nan
    return loss, torch.stack(norms) if norms else torch.empty(0)


def _logits(model, x):
    """``model(x)``, under bf16 autocast where :func:`precision` says so; half-precision logits come back as
    float32."""
    with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=precision(x.device) == "bf16"):
        logits = model(x)
    return logits.float() if logits.dtype in (torch.bfloat16, torch.float16) else logits


def _mode(loss_fn, training):
    """Put a loss module in training or eval mode (VolMinNet's volume penalty counts in training only)."""
    if isinstance(loss_fn, torch.nn.Module):
        loss_fn.train(training)


def _verify(loss_fn):
    """Raise what the deferred checks of ``loss_fn`` found (a :class:`lnc.losses.LossModule`; others have none)."""
    if isinstance(loss_fn, LossModule):
        loss_fn.verify()


@torch.no_grad()
def evaluate(model, x, y, loss_fn, batch_size=1024):
    """``(mean loss, accuracy)`` of ``model`` (eval mode) on ``(x, y)``; the loss is NaN when ``loss_fn`` is
    ``None``."""
    return evaluate_batches(model, _batches(x, y, batch_size), loss_fn)


@torch.no_grad()
def evaluate_batches(model, batches, loss_fn):
    """:func:`evaluate` over an iterable of ``(x, y)`` batches; ``(NaN, NaN)`` when there are none."""
    model.eval()
    _mode(loss_fn, training=False)
    total, correct, n = 0.0, 0, 0
    for x, y in batches:
        logits = _logits(model, x)
        if loss_fn is not None:
            total += loss_fn(logits, y).item() * len(y)
        correct += (logits.argmax(dim=1) == y).sum().item()
        n += len(y)
    _verify(loss_fn)
    if not n:
        return math.nan, math.nan
    return (total / n if loss_fn is not None else math.nan), correct / n


def predict_proba(model, x, batch_size=1024):
    """Softmax posteriors ``(N, c)`` (float64, CPU) of ``model`` in eval mode."""
    return posteriors(model, (x[s : s + batch_size] for s in range(0, len(x), batch_size)))


@torch.no_grad()
def posteriors(model, batches):
    """Softmax posteriors ``(N, c)`` (float64, CPU) of ``model`` in eval mode over an iterable of input batches."""
    model.eval()
    return torch.cat([torch.softmax(_logits(model, x).double(), dim=1).cpu() for x in batches])


def _show_progress(progress):
    return sys.stderr.isatty() if progress is None else bool(progress)
