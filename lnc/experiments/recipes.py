"""How each task is trained (:class:`Recipe`: network, optimiser, schedule, preprocessing, estimator) under
the paper's settings and the reduced CPU ones, and the paper's synthetic noise of each data set.

``T[i, j] = P(noisy = j | clean = i)`` (row-stochastic).
"""

import dataclasses
import inspect
from dataclasses import dataclass, field

import numpy as np

from .._checks import (
    check_choice,
    check_int,
    check_mapping,
    check_rate,
    check_real,
    check_sequence,
)
from ..noise import (
    binary_asymmetric_T,
    cifar10_asymmetric_T,
    cifar100_asymmetric_T,
    dense_T,
    mnist_asymmetric_T,
    symmetric_T,
)
from .models import MODELS, check_bool

NOISE_KINDS = ("none", "symmetric", "asymmetric", "dense")


ASYMMETRIC_T = {
    "mnist": mnist_asymmetric_T,
    "cifar10": cifar10_asymmetric_T,
    "cifar100": cifar100_asymmetric_T,
    "imdb": binary_asymmetric_T,
}
"""Data set → its asymmetric noise of the paper (Fashion-MNIST has none)."""


DATASET_CLASSES = {"mnist": 10, "fashion_mnist": 10, "cifar10": 10, "cifar100": 100, "imdb": 2}


def paper_T(dataset, noise, rate, **kwargs):
    """The paper's synthetic T for ``dataset``: ``noise`` ``"none"`` (identity), ``"symmetric"``
    (:func:`symmetric_T`) or ``"asymmetric"`` (:data:`ASYMMETRIC_T`; ``kwargs`` go to it, e.g. ``grouping``); or
    ``"dense"`` (:func:`lnc.noise.dense_T` with seed 0, not the paper's: every class confused with every other).

    ``T[i, j] = P(noisy = j | clean = i)``, shape ``(c, c)``. ``rate`` (in [0, 1]) is ignored for ``"none"``, where
    it may be ``None``; ``kwargs`` must be options of ``dataset``'s asymmetric noise whatever ``noise`` is, so that one
    grid passes them to every kind (and a misspelt one fails at once).
    """
    check_choice(dataset, DATASET_CLASSES, name="dataset")
    check_choice(noise, NOISE_KINDS, name="noise")
    options = list(inspect.signature(ASYMMETRIC_T[dataset]).parameters)[1:] if dataset in ASYMMETRIC_T else []
    unknown = [key for key in kwargs if key not in options]
    if unknown:
        raise TypeError(f"{unknown[0]} must be an option of the asymmetric noise of {dataset!r}, one of {options}")
    if noise == "none":
        if rate is not None:
            check_rate(rate)
        return np.eye(DATASET_CLASSES[dataset])
    if noise == "symmetric":
        return symmetric_T(DATASET_CLASSES[dataset], rate)
    if noise == "dense":
        return dense_T(DATASET_CLASSES[dataset], rate, seed=0)
    if dataset not in ASYMMETRIC_T:
        raise ValueError(f"asymmetric noise is defined for {tuple(ASYMMETRIC_T)}, not {dataset!r}")
    return ASYMMETRIC_T[dataset](rate, **kwargs)


@dataclass(frozen=True)
class Recipe:
    """How one task is trained: network, optimiser, schedule, preprocessing, estimator.

    ``weight_decay`` is PyTorch's (gradient ``+ wd * w``); with ``decay_all=False`` it applies to conv/linear
    kernels only, as a Keras ``l2(λ)`` regulariser does with ``wd = 2λ``. ``schedule="step"``: the learning rate
    is divided by 10 at each epoch (0-based) in ``milestones``; ``"triangle"``: it rises linearly to ``lr`` over
    the first fifth of the epochs and falls linearly towards 0 after (``milestones`` unused). ``nesterov``: SGD
    with Nesterov momentum. ``augment``: ``None``, ``"shift"`` (random shifts up to 10% with
    edge replication + horizontal flips: Keras' generator of the code) or ``"crop"`` (4-pixel zero padding,
    random 32×32 crop + flips). ``normalize``: ``"scale"`` (x / 255), ``"pixel_mean"`` (x / 255 minus the
    training split's per-pixel mean) or ``"channel"`` (per-channel mean/std of the training split).
    ``quantile`` is the estimator's (``None`` = plain argmax, as the code does on CIFAR-100). ``clip_norm``: before
    each step the gradient of every trained parameter (network and learned T) is scaled to a total norm of at most
    this (``None``: no clipping), the same for every method.

    Every field is checked when the recipe is made: ``epochs`` and ``batch_size`` ints >= 1, ``lr`` > 0,
    ``weight_decay`` >= 0, ``momentum`` in [0, 1) and ``nesterov`` for SGD only (Nesterov with ``momentum > 0``),
    ``milestones`` increasing ints >= 0 (none with ``"triangle"``), ``model_kwargs`` options of ``model``'s builder
    other than ``num_classes`` and ``bounded`` (which the loop sets). A field the loop would ignore or torch refuse
    at the first step raises here (``TypeError`` or ``ValueError`` naming ``recipe.<field>``).
    """

    model: str
    epochs: int
    optimizer: str = "adagrad"
    lr: float = 0.01
    momentum: float = 0.0
    weight_decay: float = 0.0
    decay_all: bool = False
    milestones: tuple = ()
    schedule: str = "step"
    nesterov: bool = False
    batch_size: int = 128
    augment: str | None = None
    normalize: str | None = None
    quantile: float | None = 0.97
    model_kwargs: dict = field(default_factory=dict)
    clip_norm: float | None = None

    def __post_init__(self):
        """Check every field; store numbers as Python ints and floats (a record is JSON)."""
        check_choice(self.model, MODELS, name="recipe.model")
        check_choice(self.optimizer, OPTIMIZERS, name="recipe.optimizer")
        check_choice(self.schedule, SCHEDULES, name="recipe.schedule")
        check_choice(self.augment, AUGMENTATIONS, name="recipe.augment")
        check_choice(self.normalize, NORMALIZATIONS, name="recipe.normalize")
        checked = {
            "epochs": check_int(self.epochs, name="recipe.epochs", low=1),
            "batch_size": check_int(self.batch_size, name="recipe.batch_size", low=1),
            "lr": check_real(self.lr, name="recipe.lr", positive=True),
            "momentum": check_real(self.momentum, name="recipe.momentum"),
            "weight_decay": check_real(self.weight_decay, name="recipe.weight_decay"),
            "decay_all": check_bool(self.decay_all, name="recipe.decay_all"),
            "nesterov": check_bool(self.nesterov, name="recipe.nesterov"),
            "milestones": _check_milestones(self.milestones, self.schedule),
            "quantile": None
            if self.quantile is None
            else check_rate(self.quantile, name="recipe.quantile", low=1e-12, high=1 - 1e-12),
            "model_kwargs": _check_model_kwargs(self.model_kwargs, self.model),
            "clip_norm": None
            if self.clip_norm is None
            else check_real(self.clip_norm, name="recipe.clip_norm", positive=True),  # fmt: skip
        }
        for name, value in checked.items():
            object.__setattr__(self, name, value)
        _check_momentum(self.optimizer, self.momentum, self.nesterov)


def _check_momentum(optimizer, momentum, nesterov):
    """Momentum in [0, 1), and momentum or Nesterov only for SGD (Adagrad and Adam would ignore them); Nesterov
    needs momentum > 0 (torch refuses it at the first step otherwise)."""
    if momentum >= 1:
        raise ValueError(f"recipe.momentum must lie in [0, 1), got {momentum}")
    if optimizer != "sgd" and (momentum or nesterov):
        raise ValueError(
            f"recipe.momentum and recipe.nesterov must be 0 and False with optimizer {optimizer!r} (only 'sgd' "
            f"takes them), got {momentum} and {nesterov}"
        )
    if nesterov and not momentum:
        raise ValueError("recipe.nesterov must be False with momentum 0 (Nesterov SGD needs momentum > 0), got True")


def _check_milestones(milestones, schedule):
    """``milestones`` as a tuple of strictly increasing ints >= 0; empty with the triangular schedule."""
    milestones = check_sequence(
        milestones, name="recipe.milestones", nonempty=False, item=lambda m, name: check_int(m, name=name, low=0)
    )
    if any(a >= b for a, b in zip(milestones, milestones[1:])):
        raise ValueError(f"recipe.milestones must be strictly increasing epochs, got {list(milestones)}")
    if milestones and schedule == "triangle":
        raise ValueError(f"recipe.milestones must be empty with the triangular schedule, got {list(milestones)}")
    return milestones


def _check_model_kwargs(model_kwargs, model):
    """``model_kwargs`` as a dict of options of ``model``'s builder, but ``num_classes`` and ``bounded``."""
    model_kwargs = check_mapping(model_kwargs, name="recipe.model_kwargs")
    options = [key for key in inspect.signature(MODELS[model]).parameters if key not in ("num_classes", "bounded")]
    unknown = [key for key in model_kwargs if key not in options]
    if unknown:
        raise TypeError(f"recipe.model_kwargs must hold options of {model!r}, one of {options}, got {unknown[0]!r}")
    return model_kwargs


OPTIMIZERS = ("adagrad", "sgd", "adam")


AUGMENTATIONS = (None, "shift", "crop")


SCHEDULES = ("step", "triangle")


NORMALIZATIONS = (None, "scale", "pixel_mean", "channel")
RECIPE_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Recipe) if f.default is not dataclasses.MISSING}
"""The default of each :class:`Recipe` field that has one: a record written before a field existed had it."""


TASKS = {
    "mnist": "mnist",
    "fashion_mnist": "fashion_mnist",
    "imdb": "imdb",
    "imdb_lstm": "imdb",
    "cifar10": "cifar10",
    "cifar100": "cifar100",
    "cifar10n": "cifar10",
    "cifar100n": "cifar100",
}
"""Task → data set. ``imdb_lstm`` is IMDB with the LSTM; ``cifar10n``/``cifar100n`` use the human labels."""


_CIFAR_SGD = dict(optimizer="sgd", lr=0.1, momentum=0.9, augment="shift", normalize="pixel_mean")


PAPER_RECIPES = {
    "mnist": Recipe("mnist_fc", 40, normalize="scale"),
    "fashion_mnist": Recipe("mnist_fc", 40, normalize="scale"),
    "imdb": Recipe("imdb_fc", 50),
    "imdb_lstm": Recipe("imdb_lstm", 50, lr=0.001),
    "cifar10": Recipe("cifar_resnet", 120, weight_decay=2e-4, milestones=(41, 81), model_kwargs={"n": 5}, **_CIFAR_SGD),
    "cifar100": Recipe(
        "cifar_resnet", 150, weight_decay=2e-3, milestones=(81, 121), quantile=None, model_kwargs={"n": 7}, **_CIFAR_SGD
    ),
    "cifar10n": Recipe(
        "preact_resnet34",
        100,
        optimizer="sgd",
        lr=0.1,
        momentum=0.9,
        weight_decay=5e-4,
        decay_all=True,
        milestones=(60,),
        augment="crop",
        normalize="channel",
    ),
}
"""The paper's settings (official code): MNIST/IMDB Adagrad (Keras default lr 0.01; LSTM 0.001), 40/50 epochs;
CIFAR-10 ResNet-32, CIFAR-100 ResNet-44, SGD 0.1 momentum 0.9, L2 1e-4 / 1e-3 on kernels, lr / 10 after
epochs 40 and 80 (120 and 150 epochs; CIFAR-100: 80 and 120). CIFAR-N: the benchmark of Wei et al. (2022),
ResNet-34 for 100 epochs, SGD 0.1, weight decay 5e-4, lr / 10 at epoch 60 (their code), with a pre-activation
ResNet-34 here where their code has the original (post-activation) one: same depth and widths, so published
CIFAR-N numbers compare with a close but not identical network."""
PAPER_RECIPES["cifar100n"] = PAPER_RECIPES["cifar10n"]


CPU_RECIPES = {
    **{task: PAPER_RECIPES[task] for task in ("mnist", "fashion_mnist", "imdb")},
    "imdb_lstm": dataclasses.replace(
        PAPER_RECIPES["imdb_lstm"], epochs=10, lr=0.01, model_kwargs={"embed_dim": 64, "hidden": 64, "dense": 64}
    ),
    "cifar10": dataclasses.replace(PAPER_RECIPES["cifar10"], epochs=15, milestones=(10,), model_kwargs={"n": 1}),
    "cifar100": dataclasses.replace(PAPER_RECIPES["cifar100"], epochs=15, milestones=(10,), model_kwargs={"n": 1}),
    "cifar10n": dataclasses.replace(PAPER_RECIPES["cifar10"], epochs=15, milestones=(10,), model_kwargs={"n": 1}),
}
"""The reduced settings of the book's stored CPU runs: MNIST and IMDB-FC as in the paper; the IMDB LSTM at
64/64/64 for 10 epochs (Adagrad 0.01); CIFAR with ResNet-8 (n = 1) for 15 epochs (lr / 10 after epoch 10)."""
CPU_RECIPES["cifar100n"] = CPU_RECIPES["cifar100"]


_FAST_CIFAR = Recipe(
    "fast_net",
    12,
    optimizer="sgd",
    lr=0.2,
    momentum=0.85,
    nesterov=True,
    weight_decay=5e-4,
    decay_all=True,
    schedule="triangle",
    batch_size=256,
    augment="crop",
    normalize="channel",
    model_kwargs={"widths": (32, 128, 128)},
)
FAST_RECIPES = {"cifar10": _FAST_CIFAR, "cifar10n": _FAST_CIFAR, "cifar100": _FAST_CIFAR, "cifar100n": _FAST_CIFAR}
"""Full-data CIFAR within a CPU budget (book chapters ``ch-cifar``, ``ch-cifarn``): :func:`fast_net`
(airbench94's shape at half width), 12 epochs of Nesterov SGD with a triangular schedule, batch 256, crops and
flips. The loss is the method's own: no label smoothing or mixup, which are noise-robust losses themselves.
Defined for the CIFAR tasks only."""


_FAST2_CIFAR = dataclasses.replace(_FAST_CIFAR, epochs=20, clip_norm=1.0)
FAST2_RECIPES = dict.fromkeys(FAST_RECIPES, _FAST2_CIFAR)
"""The fast recipe with every method's gradient clipped to norm 1 (the backward loss, unbounded below, no longer
diverges at the peak learning rate; ``benchmarks/clip_norm.py`` measures it) and 20 epochs, the time that bf16
saves on a CPU with bf16 units (:func:`lnc.experiments.loop.precision`). The CIFAR-N rows of the book."""


RECIPES = {"paper": PAPER_RECIPES, "cpu": CPU_RECIPES, "fast": FAST_RECIPES, "fast2": FAST2_RECIPES}


def get_recipe(task, protocol="paper"):
    """The :class:`Recipe` of ``task`` (:data:`TASKS`) under ``protocol`` (``"paper"``, ``"cpu"``, ``"fast"`` or
    ``"fast2"``, the last two for the CIFAR tasks only)."""
    check_choice(protocol, RECIPES, name="protocol")
    check_choice(task, TASKS, name="task")
    if task not in RECIPES[protocol]:
        raise ValueError(f"protocol {protocol!r} is defined for the tasks {list(RECIPES[protocol])}, not {task!r}")
    return RECIPES[protocol][task]
