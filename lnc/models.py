"""Networks. Every model maps inputs to **logits** ``(N, c)``; losses apply the softmax themselves."""

from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


def mlp(sizes, activation="relu", dropout=0.0):
    """Fully connected net ``sizes[0] → ... → sizes[-1]``: Linear, then activation (and dropout) between layers.

    ``mlp([784, 128, 128, 10], dropout=0.2)`` is the paper's MNIST network. ``activation``: ``"relu"``
    (piecewise linear: the setting of Theorem 3) or ``"tanh"`` (smooth).
    """
    if len(sizes) < 2 or any(not isinstance(s, int) or isinstance(s, bool) or s < 1 for s in sizes):
        raise ValueError(f"sizes must list at least two positive ints, got {sizes!r}")
    act = _activation(activation)
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must lie in [0, 1), got {dropout!r}")
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
    if image_size < 2 or image_size % 2:
        raise ValueError(f"image_size must be an even int >= 2, got {image_size!r}")
    return nn.Sequential(
        nn.Conv2d(in_channels, channels, 3, padding=1), _activation(activation)(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(channels * (image_size // 2) ** 2, num_classes),
    )


def _activation(name):
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {tuple(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]
