"""The paper's networks: output shapes, parameter counts against hand counts, the bounded head, spatial dropout."""

import pytest
import torch
from torch import nn

from lnc.experiments import models


def linear(fan_in, fan_out):
    return fan_in * fan_out + fan_out


def conv(fan_in, fan_out, k, bias=True):
    return fan_in * fan_out * k * k + (fan_out if bias else 0)


def bn(channels):
    return 2 * channels


def resnet_count(n, c, widths=(16, 32, 64)):
    """The CIFAR ResNet of depth 2 + 6n, counted by hand (convolutions with bias, as in Keras)."""
    total = conv(3, widths[0], 3) + bn(widths[0])
    fan_in = widths[0]
    for stage, width in enumerate(widths):
        for block in range(n):
            preact = bn(fan_in) if stage + block > 0 else 0
            shortcut = conv(fan_in, width, 1) if fan_in != width or (stage > 0 and block == 0) else 0
            total += preact + conv(fan_in, width, 3) + bn(width) + conv(width, width, 3) + shortcut
            fan_in = width
    return total + bn(widths[-1]) + linear(widths[-1], c)


def preact34_count(c):
    total = conv(3, 64, 3, bias=False)
    fan_in = 64
    for blocks, width in zip((3, 4, 6, 3), (64, 128, 256, 512)):
        for _ in range(blocks):
            shortcut = conv(fan_in, width, 1, bias=False) if fan_in != width else 0
            total += bn(fan_in) + conv(fan_in, width, 3, False) + bn(width) + conv(width, width, 3, False) + shortcut
            fan_in = width
    return total + bn(512) + linear(512, c)


@pytest.mark.parametrize(
    "name,kwargs,x,count",
    [
        ("mnist_fc", {}, torch.rand(3, 28, 28), linear(784, 128) + linear(128, 128) + linear(128, 10)),
        ("imdb_fc", {}, torch.randint(0, 5000, (3, 400)), 5000 * 50 + linear(400 * 50, 2)),
        (
            "imdb_lstm",
            {},
            torch.randint(0, 5000, (3, 20)),
            5000 * 512 + 4 * (512 * 512 + 512 * 512 + 2 * 512) + linear(512, 512) + linear(512, 2),
        ),
        (
            "imdb_lstm",
            dict(embed_dim=8, hidden=6, dense=5),
            torch.randint(0, 5000, (3, 20)),
            5000 * 8 + 4 * (8 * 6 + 6 * 6 + 2 * 6) + linear(6, 5) + linear(5, 2),
        ),
        ("cifar_resnet", dict(n=1), torch.rand(3, 3, 32, 32), resnet_count(1, 10)),
        ("cifar_resnet", dict(n=5), torch.rand(2, 3, 32, 32), resnet_count(5, 10)),
        ("cifar_resnet", dict(n=7, num_classes=100), torch.rand(2, 3, 32, 32), resnet_count(7, 100)),
        ("preact_resnet34", {}, torch.rand(2, 3, 32, 32), preact34_count(10)),
    ],
)
def test_output_shape_and_parameter_count(name, kwargs, x, count):
    net = models.build_model(name, **kwargs).eval()
    assert net(x).shape == (len(x), kwargs.get("num_classes", 2 if name.startswith("imdb") else 10))
    assert models.count_parameters(net) == count


def test_hand_counts_match_the_published_sizes():
    assert round(resnet_count(3, 10) / 1e6, 2) == 0.27  # ResNet-20: 0.27 M (He et al. 2016)
    assert round(resnet_count(7, 10) / 1e6, 2) == 0.66  # ResNet-44: 0.66 M
    assert round(preact34_count(10) / 1e6, 1) == 21.3


@pytest.mark.parametrize("name", list(models.MODELS))
def test_bounded_head_ends_with_batchnorm(name):
    net = models.build_model(name, num_classes=2 if name.startswith("imdb") else 10, bounded=True)
    assert isinstance(list(net.modules())[-1], nn.BatchNorm1d)


def test_resnet_depth_counts_the_weighted_layers():
    for n in (1, 3, 5):
        net = models.cifar_resnet(n=n)
        convs = [m for m in net.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)]
        dense = [m for m in net.modules() if isinstance(m, nn.Linear)]
        assert len(convs) + len(dense) == 2 + 6 * n  # 1×1 shortcut convolutions do not count


def test_spatial_dropout_drops_whole_channels(torch_seeded):
    layer = models.SpatialDropout1d(0.5).train()
    out = layer(torch.ones(4, 7, 16))  # (N, L, C)
    assert ((out == 0).all(dim=1) | (out == 2).all(dim=1)).all()  # a channel is zero at every step, or kept
    assert (out == 0).any() and (out == 2).any()
    assert torch.equal(layer.eval()(torch.ones(4, 7, 16)), torch.ones(4, 7, 16))


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: models.build_model("vgg"), "model must be one of"),
        (lambda: models.cifar_resnet(n=0), r"n must be an int >= 1"),
    ],
)
def test_bad_configurations_are_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_resnet50_has_torchvisions_parameter_count_and_names():
    model = models.resnet50()
    assert models.count_parameters(model) == 25_557_032  # torchvision.models.resnet50, 1000 classes
    names = list(model.state_dict())
    assert names[:2] == ["conv1.weight", "bn1.weight"] and names[-2:] == ["fc.weight", "fc.bias"]
    assert "layer4.2.bn3.running_var" in names and "layer1.0.downsample.1.weight" in names
    assert models.resnet50(num_classes=14)(torch.randn(2, 3, 64, 64)).shape == (2, 14)


def test_load_pretrained_keeps_a_fresh_classifier_and_refuses_other_weights(tmp_path, torch_seeded):
    source = models.resnet50()
    torch.save(source.state_dict(), tmp_path / "imagenet.pth")
    target = models.resnet50(num_classes=14)
    fc = target.fc.weight.clone()
    models.load_pretrained(target, tmp_path / "imagenet.pth")
    for name, value in target.state_dict().items():
        if not name.startswith("fc."):
            assert torch.equal(value, source.state_dict()[name]), name
    assert torch.equal(target.fc.weight, fc)
    torch.save(models.cifar_resnet(n=1).state_dict(), tmp_path / "other.pth")
    with pytest.raises(ValueError, match=r"other.pth: weights do not fit ResNet50: .*missing \['conv1.weight'"):
        models.load_pretrained(target, tmp_path / "other.pth")


def test_numpy_ints_are_sizes_and_bad_options_name_their_argument():
    """Past bug: ``mlp([np.int64(4), 3])`` and ``num_classes=np.int64(3)`` were refused as "not positive ints";
    a bad ``num_classes`` was reported as a bad ``sizes``; ``bounded="no"`` gave a bounded network; a list as the
    model name raised "unhashable type"; a str dropout raised a bare comparison TypeError."""
    import numpy as np

    assert models.mlp([np.int64(4), 3])(torch.zeros(2, 4)).shape == (2, 3)
    assert models.build_model("mnist_fc", num_classes=np.int64(3), hidden=(4,))(torch.zeros(2, 784)).shape == (2, 3)
    for call, error, match in [
        (lambda: models.build_model("mnist_fc", num_classes=0), ValueError, "num_classes must be an int >= 2"),
        (lambda: models.build_model("mnist_fc", bounded="no"), TypeError, "bounded must be a bool"),
        (lambda: models.build_model(["mnist_fc"]), TypeError, "model must be one of"),
        (lambda: models.build_model("mnist_fc", depth=3), TypeError, "model 'mnist_fc' has no option 'depth'"),
        (lambda: models.mlp([4, 3], dropout="0.2"), TypeError, "dropout must be a real number"),
        (lambda: models.cifar_resnet(n=1, widths=()), ValueError, "widths must be a non-empty sequence"),
        (lambda: models.count_parameters(None), TypeError, "model must be a torch.nn.Module"),
    ]:
        with pytest.raises(error, match=match):
            call()


def test_fast_net_whitens_its_stem_from_the_first_training_batch():
    gen = torch.Generator().manual_seed(0)
    mixing = torch.randn(3, 3, generator=gen)
    images = torch.einsum("ij,njhw->nihw", mixing, torch.randn(64, 3, 32, 32, generator=gen)).cumsum(dim=3)
    net = models.fast_net(num_classes=10, widths=(8, 16, 16))
    stem = net[0]
    assert not stem.initialised and net(images).shape == (64, 10) and stem.initialised
    weights = stem.weight.clone()
    net(images * 2)
    assert torch.equal(stem.weight, weights)  # computed once
    patches = images.double().unfold(2, 2, 1).unfold(3, 2, 1).permute(0, 2, 3, 1, 4, 5).reshape(-1, 12)
    whitened = patches @ stem.weight[:12].double().reshape(12, 12).T
    cov = torch.cov(whitened.T)
    eigenvalues = torch.linalg.eigvalsh(torch.cov(patches.T))
    torch.testing.assert_close(cov, torch.diag(eigenvalues / (eigenvalues + stem.eps)), atol=1e-6, rtol=1e-6)
    assert torch.equal(stem.weight[12:], -stem.weight[:12])
    assert not any(p is stem.weight for p in net.parameters())  # the filters are not trained
