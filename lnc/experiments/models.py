"""Networks. Every model maps inputs to **logits** ``(N, c)``; losses apply the softmax themselves.

The paper's networks (official code, ``models.py`` / ``resnet.py`` after the 2018 ResNet fix) plus a
pre-activation ResNet-34 for the CIFAR-N benchmark. ``bounded=True`` appends a ``BatchNorm1d`` to the
output layer, as the official code does for the bounded losses (unhinged, sigmoid, ramp). Initialisation
follows Keras: ``he_normal`` where the code sets it, else ``glorot_uniform`` for dense layers and
uniform(±0.05) for embeddings; BatchNorm, the LSTM cell and the pre-activation ResNet-34 keep PyTorch's defaults.
"""

import inspect
import numbers
import os

import numpy as np
import torch
from torch import nn

from .._checks import (
    check_choice,
    check_int,
    check_num_classes,
    check_sequence,
    describe,
)

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


def mlp(sizes, activation="relu", dropout=0.0):
    """Fully connected net ``sizes[0] → ... → sizes[-1]``: Linear, then activation (and dropout) between layers.

    ``mlp([784, 128, 128, 10], dropout=0.2)`` is the paper's MNIST network. ``activation``: ``"relu"``
    (piecewise linear: the setting of Theorem 3) or ``"tanh"`` (smooth).
    """
    sizes = check_sequence(sizes, name="sizes", nonempty=False)
    if any(isinstance(s, bool) or not isinstance(s, numbers.Integral) for s in sizes):
        raise TypeError(f"sizes must list at least two positive ints, got {sizes!r}")
    if len(sizes) < 2 or any(s < 1 for s in sizes):
        raise ValueError(f"sizes must list at least two positive ints, got {sizes!r}")
    sizes = [int(s) for s in sizes]
    act = _activation(activation)
    dropout = _check_dropout(dropout)
    layers = []
    for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(fan_in, fan_out))
        if k < len(sizes) - 2:
            layers += [act()] + ([nn.Dropout(dropout)] if dropout else [])
    return nn.Sequential(*layers)


def small_convnet(in_channels=1, image_size=6, channels=2, num_classes=3, activation="relu"):
    """A tiny conv net: conv 3×3 (padding 1) → activation → max-pool 2 → linear to ``num_classes`` logits.

    Input ``(N, in_channels, image_size, image_size)``, ``image_size`` even. Piecewise linear in each
    layer's weights with ``activation="relu"`` (max-pool is piecewise linear too); for book chapter ``ch-hessian``.
    """
    in_channels = check_int(in_channels, name="in_channels", low=1)
    if isinstance(image_size, bool) or not isinstance(image_size, numbers.Integral):
        raise TypeError(f"image_size must be an even int >= 2, got {describe(image_size)}")
    if image_size < 2 or image_size % 2:
        raise ValueError(f"image_size must be an even int >= 2, got {image_size!r}")
    image_size = int(image_size)
    channels = check_int(channels, name="channels", low=1)
    num_classes = check_num_classes(num_classes)
    return nn.Sequential(
        nn.Conv2d(in_channels, channels, 3, padding=1),
        _activation(activation)(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(channels * (image_size // 2) ** 2, num_classes),
    )


def mnist_fc(num_classes=10, hidden=(128, 128), dropout=0.2, bounded=False):
    """The paper's MNIST net: flatten 28×28 → Dense128-ReLU-Dropout0.2 → Dense128-ReLU-Dropout0.2 → Dense c.

    Input ``(N, 28, 28)`` or ``(N, 1, 28, 28)`` floats; all weights ``he_normal``, biases 0.
    """
    num_classes, bounded = check_num_classes(num_classes), check_bool(bounded, name="bounded")
    hidden = check_sequence(hidden, name="hidden", nonempty=False, item=lambda h, name: check_int(h, name=name, low=1))
    body = mlp([784, *hidden, num_classes], dropout=dropout)
    for layer in body:
        if isinstance(layer, nn.Linear):
            _he_normal(layer)
    return nn.Sequential(nn.Flatten(), *body, *_bounded(num_classes, bounded))


class SpatialDropout1d(nn.Module):
    """Keras' ``SpatialDropout1D`` for ``(N, L, C)`` sequences: drops whole channels (the same ones at every step)."""

    def __init__(self, p):
        super().__init__()
        self.dropout = nn.Dropout1d(p)

    def forward(self, x):
        return self.dropout(x.transpose(1, 2)).transpose(1, 2)


def imdb_fc(num_words=5000, maxlen=400, embed_dim=50, dropout=0.8, num_classes=2, bounded=False):
    """The paper's IMDB net: Embedding(num_words, 50) → SpatialDropout 0.8 → ReLU → flatten → Dense c.

    Input ``(N, maxlen)`` token ids.
    """
    num_words, maxlen, embed_dim = (
        check_int(v, name=k, low=1) for k, v in (("num_words", num_words), ("maxlen", maxlen), ("embed_dim", embed_dim))
    )
    dropout, num_classes = _check_dropout(dropout), check_num_classes(num_classes)
    bounded = check_bool(bounded, name="bounded")
    return nn.Sequential(
        _keras_embedding(num_words, embed_dim),
        SpatialDropout1d(dropout),
        nn.ReLU(),
        nn.Flatten(),
        _glorot(nn.Linear(maxlen * embed_dim, num_classes)),
        *_bounded(num_classes, bounded),
    )


class LSTMClassifier(nn.Module):
    """Embedding → SpatialDropout → LSTM (last step) → Dense → Dropout 0.5 → ReLU → Dense c; input ``(N, L)`` ids.

    PyTorch's LSTM has two bias vectors where Keras' has one (``4 * hidden`` more parameters).
    """

    def __init__(self, num_words, embed_dim, hidden, dense, dropout, num_classes, bounded):
        super().__init__()
        num_words, embed_dim, hidden, dense = (
            check_int(v, name=k, low=1)
            for k, v in (("num_words", num_words), ("embed_dim", embed_dim), ("hidden", hidden), ("dense", dense))
        )
        dropout, num_classes = _check_dropout(dropout), check_num_classes(num_classes)
        bounded = check_bool(bounded, name="bounded")
        self.embed = nn.Sequential(_keras_embedding(num_words, embed_dim), SpatialDropout1d(dropout))
        self.lstm = nn.LSTM(embed_dim, hidden, batch_first=True)
        self.head = nn.Sequential(
            _glorot(nn.Linear(hidden, dense)),
            nn.Dropout(0.5),
            nn.ReLU(),
            _glorot(nn.Linear(dense, num_classes)),
            *_bounded(num_classes, bounded),
        )

    def forward(self, tokens):
        _, (h, _) = self.lstm(self.embed(tokens))
        return self.head(h[-1])


def imdb_lstm(num_words=5000, embed_dim=512, hidden=512, dense=512, dropout=0.8, num_classes=2, bounded=False):
    """The paper's IMDB LSTM (Embedding 512, LSTM 512, Dense 512 by default): see :class:`LSTMClassifier`."""
    return LSTMClassifier(num_words, embed_dim, hidden, dense, dropout, num_classes, bounded)


class ResidualBlock(nn.Module):
    """[BN-ReLU] → conv3×3 (stride) → BN → ReLU → conv3×3, plus the input (a 1×1 strided conv when the shape changes).

    ``preact=False`` skips the first BN-ReLU (the very first block follows the stem's BN-ReLU).
    """

    def __init__(self, in_channels, out_channels, stride, preact):
        super().__init__()
        pre = [nn.BatchNorm2d(in_channels), nn.ReLU()] if preact else []
        self.residual = nn.Sequential(
            *pre,
            _he_normal(nn.Conv2d(in_channels, out_channels, 3, stride, 1)),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
            _he_normal(nn.Conv2d(out_channels, out_channels, 3, 1, 1)),
        )
        reshape = stride != 1 or in_channels != out_channels
        self.shortcut = _he_normal(nn.Conv2d(in_channels, out_channels, 1, stride)) if reshape else nn.Identity()

    def forward(self, x):
        return self.residual(x) + self.shortcut(x)


def cifar_resnet(n=5, num_classes=10, widths=(16, 32, 64), bounded=False):
    """The paper's CIFAR ResNet of depth ``2 + 6n`` (official code after its 2018 fix; n = 5: ResNet-32).

    conv3×3 16 → BN → ReLU; three stages of ``n`` :class:`ResidualBlock` with ``widths`` filters (stride 2
    at the first block of stages 2 and 3); BN → ReLU → global average pool → Dense c. Input ``(N, 3, 32, 32)``.
    Convolutions have biases, as in Keras; the paper's L2 applies to kernels only (see ``lnc.experiments.protocol``).
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"n must be an int >= 1 (depth 2 + 6n), got {describe(n)}")
    if n < 1:
        raise ValueError(f"n must be an int >= 1 (depth 2 + 6n), got {n!r}")
    num_classes, bounded = check_num_classes(num_classes), check_bool(bounded, name="bounded")
    widths = check_sequence(widths, name="widths", item=lambda w, name: check_int(w, name=name, low=1))
    layers = [_he_normal(nn.Conv2d(3, widths[0], 3, 1, 1)), nn.BatchNorm2d(widths[0]), nn.ReLU()]
    in_channels = widths[0]
    for stage, width in enumerate(widths):
        for block in range(n):
            stride = 2 if stage > 0 and block == 0 else 1
            layers.append(ResidualBlock(in_channels, width, stride, preact=stage + block > 0))
            in_channels = width
    layers += [
        nn.BatchNorm2d(in_channels),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        _he_normal(nn.Linear(in_channels, num_classes)),
        *_bounded(num_classes, bounded),
    ]
    return nn.Sequential(*layers)


class PreActBlock(nn.Module):
    """He et al. (2016) pre-activation block: BN-ReLU → conv3×3 → BN-ReLU → conv3×3, plus the shortcut
    (a 1×1 strided conv of the pre-activated input when the shape changes). Convolutions without bias."""

    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        self.pre = nn.Sequential(nn.BatchNorm2d(in_channels), nn.ReLU())
        self.residual = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
            nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False),
        )
        reshape = stride != 1 or in_channels != out_channels
        self.shortcut = nn.Conv2d(in_channels, out_channels, 1, stride, bias=False) if reshape else None

    def forward(self, x):
        out = self.pre(x)
        return self.residual(out) + (self.shortcut(out) if self.shortcut is not None else x)


def preact_resnet34(num_classes=10, bounded=False):
    """Pre-activation ResNet-34 in CIFAR form (3×3 stride-1 stem, no max-pool; stages of 3, 4, 6, 3 blocks
    with 64/128/256/512 filters), final BN-ReLU → global average pool → Dense c. Input ``(N, 3, 32, 32)``."""
    num_classes, bounded = check_num_classes(num_classes), check_bool(bounded, name="bounded")
    layers = [nn.Conv2d(3, 64, 3, 1, 1, bias=False)]
    in_channels = 64
    for stage, (blocks, width) in enumerate(zip((3, 4, 6, 3), (64, 128, 256, 512))):
        for block in range(blocks):
            layers.append(PreActBlock(in_channels, width, 2 if stage > 0 and block == 0 else 1))
            in_channels = width
    layers += [
        nn.BatchNorm2d(512),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(512, num_classes),
        *_bounded(num_classes, bounded),
    ]
    return nn.Sequential(*layers)


class Bottleneck(nn.Module):
    """ResNet v1.5 bottleneck: conv1×1 → BN-ReLU → conv3×3 (stride) → BN-ReLU → conv1×1 (4× width) → BN, plus
    the input (``downsample`` = strided conv1×1 + BN when the shape changes), then ReLU. torchvision's names."""

    def __init__(self, in_channels, width, stride):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(in_channels, width, 1, bias=False), nn.BatchNorm2d(width)
        self.conv2, self.bn2 = nn.Conv2d(width, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width)
        self.conv3, self.bn3 = nn.Conv2d(width, 4 * width, 1, bias=False), nn.BatchNorm2d(4 * width)
        self.relu = nn.ReLU(inplace=True)
        reshape = stride != 1 or in_channels != 4 * width
        self.downsample = (
            nn.Sequential(nn.Conv2d(in_channels, 4 * width, 1, stride, bias=False), nn.BatchNorm2d(4 * width))
            if reshape
            else None
        )

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet50(nn.Module):
    """ResNet-50 for ImageNet-size inputs ``(N, 3, 224, 224)``, parameter names as ``torchvision.models.resnet50``
    so its ImageNet weights load with :func:`load_pretrained` (the paper's Clothing1M network)."""

    def __init__(self, num_classes=1000, bounded=False):
        super().__init__()
        num_classes, bounded = check_num_classes(num_classes), check_bool(bounded, name="bounded")
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1, self.relu, self.maxpool = nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)
        in_channels = 64
        for stage, (blocks, width) in enumerate(zip((3, 4, 6, 3), (64, 128, 256, 512))):
            layer = []
            for block in range(blocks):
                layer.append(Bottleneck(in_channels, width, 2 if stage > 0 and block == 0 else 1))
                in_channels = 4 * width
            setattr(self, f"layer{stage + 1}", nn.Sequential(*layer))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_channels, num_classes)
        self.head = nn.Sequential(*_bounded(num_classes, bounded))
        for m in self.modules():  # torchvision's initialisation
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.head(self.fc(torch.flatten(self.avgpool(x), 1)))


def resnet50(num_classes=1000, bounded=False):
    """:class:`ResNet50` (25,557,032 parameters with 1000 classes)."""
    return ResNet50(num_classes, bounded)


def load_pretrained(model, path):
    """Load the weights saved at ``path`` (a state dict, e.g. torchvision's ``resnet50-0676ba61.pth``) into
    ``model``, all but its classifier ``fc``; returns ``model``.

    Raises ``ValueError`` naming the keys when any other weight is missing, unexpected or of another shape.
    """
    _check_module(model)
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a path (str or pathlib.Path), got {describe(path)}")
    state = {
        k: v for k, v in torch.load(path, map_location="cpu", weights_only=True).items() if not k.startswith("fc.")
    }
    own = model.state_dict()
    wrong = [k for k, v in state.items() if k in own and own[k].shape != v.shape]
    missing = [k for k in own if k not in state and not k.startswith("fc.")]
    unexpected = [k for k in state if k not in own]
    if wrong or missing or unexpected:
        raise ValueError(
            f"{path}: weights do not fit {type(model).__name__}: shape mismatch {wrong[:3]}, "
            f"missing {missing[:3]}, unexpected {unexpected[:3]}"
        )
    model.load_state_dict(state, strict=False)
    return model


class WhiteningStem(nn.Module):
    """A 2×2 convolution (no padding) whose 2·12 filters whiten the 2×2×3 patches of the images: the
    eigenvectors ``v`` of the patch covariance scaled by ``1/sqrt(λ + eps)``, and their negatives (so a GELU after
    it keeps both signs). The filters are fixed (not trained); they are computed from the first batch the stem sees
    in training mode (``initialised`` records it, and travels in the state dict), so that building the network
    needs no data. Input ``(N, 3, H, W)``, output ``(N, 24, H - 1, W - 1)``."""

    def __init__(self, eps=5e-4):
        super().__init__()
        self.eps = eps
        self.register_buffer("weight", torch.zeros(24, 3, 2, 2))
        self.register_buffer("initialised", torch.tensor(False))
        self.bias = nn.Parameter(torch.zeros(24))

    def forward(self, x):
        if self.training and not self.initialised:
            self.whiten(x)
        return nn.functional.conv2d(x, self.weight.to(x.dtype), self.bias)

    @torch.no_grad()
    def whiten(self, images):
        """Set the filters from ``images`` ``(N, 3, H, W)``."""
        patches = images.detach().double().unfold(2, 2, 1).unfold(3, 2, 1)  # (N, 3, H-1, W-1, 2, 2)
        patches = patches.permute(0, 2, 3, 1, 4, 5).reshape(-1, 12)
        eigenvalues, eigenvectors = torch.linalg.eigh(torch.cov(patches.T))
        filters = (eigenvectors.T / torch.sqrt(eigenvalues.clamp_min(0) + self.eps)[:, None]).reshape(12, 3, 2, 2)
        self.weight.copy_(torch.cat([filters, -filters]).to(self.weight))
        self.initialised.fill_(True)


def _conv_group(in_channels, out_channels):
    """conv3×3 → max-pool 2 → BN → GELU → conv3×3 → BN → GELU (airbench's block)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.MaxPool2d(2),
        nn.BatchNorm2d(out_channels),
        nn.GELU(),
        nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.GELU(),
    )


class _Scale(nn.Module):
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor


def fast_net(num_classes=10, widths=(64, 256, 256), bounded=False):
    """A network built for accuracy per FLOP on 32×32 images, in the shape of K. Jordan's airbench94 (2024):
    :class:`WhiteningStem` → GELU → three conv groups (``widths``; conv, max-pool, BN, GELU, twice) → global
    max-pool → Dense c without bias, scaled by 1/9. Input ``(N, 3, 32, 32)``; ``widths=(32, 128, 128)`` is the
    half-width net."""
    num_classes, bounded = check_num_classes(num_classes), check_bool(bounded, name="bounded")
    widths = check_sequence(widths, name="widths", item=lambda w, name: check_int(w, name=name, low=1))
    channels = [24, *widths]
    return nn.Sequential(
        WhiteningStem(),
        nn.GELU(),
        *(_conv_group(a, b) for a, b in zip(channels, channels[1:])),
        nn.AdaptiveMaxPool2d(1),
        nn.Flatten(),
        nn.Linear(widths[-1], num_classes, bias=False),
        _Scale(1 / 9),
        *_bounded(num_classes, bounded),
    )


MODELS = {
    "mnist_fc": mnist_fc,
    "imdb_fc": imdb_fc,
    "imdb_lstm": imdb_lstm,
    "cifar_resnet": cifar_resnet,
    "preact_resnet34": preact_resnet34,
    "resnet50": resnet50,
    "fast_net": fast_net,
}
"""Name → factory of the paper's networks (each takes ``num_classes`` and ``bounded``)."""


def build_model(name, **kwargs):
    """``MODELS[name](**kwargs)``, e.g. ``build_model("cifar_resnet", n=3, num_classes=10)``.

    Raises ``TypeError`` for an option that the factory does not take (the message lists its options).
    """
    check_choice(name, MODELS, name="model")
    options = [p for p in inspect.signature(MODELS[name]).parameters]
    unknown = sorted(set(kwargs) - set(options))
    if unknown:
        raise TypeError(f"model {name!r} has no option {unknown[0]!r}; its options: {options}")
    return MODELS[name](**kwargs)


def count_parameters(model):
    """Number of trainable parameters of ``model``."""
    _check_module(model)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _bounded(num_classes, bounded):
    return [nn.BatchNorm1d(num_classes)] if bounded else []


def _keras_embedding(num_words, embed_dim):
    """An embedding initialised as Keras' (uniform in [-0.05, 0.05]; PyTorch's N(0, 1) is 20 times larger)."""
    embedding = nn.Embedding(num_words, embed_dim)
    nn.init.uniform_(embedding.weight, -0.05, 0.05)
    return embedding


def _glorot(layer):
    """Keras' default ``glorot_uniform`` on the weights, zero biases; returns ``layer``."""
    nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


def _he_normal(layer):
    """Keras' ``he_normal`` on the weights (normal, std sqrt(2 / fan_in)), zero biases; returns ``layer``."""
    nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return layer


def _activation(name):
    return ACTIVATIONS[check_choice(name, ACTIVATIONS, name="activation")]


def _check_dropout(dropout):
    """``dropout`` as a float in [0, 1)."""
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real):
        raise TypeError(f"dropout must be a real number in [0, 1), got {describe(dropout)}")
    if not 0.0 <= dropout < 1.0:  # also refuses NaN
        raise ValueError(f"dropout must lie in [0, 1), got {dropout!r}")
    return float(dropout)


def check_bool(value, *, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {describe(value)}")
    return bool(value)


def _check_module(model):
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {describe(model)}")
