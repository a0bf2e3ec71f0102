"""The two-stage protocol on web-scale image lists read from disk: Clothing1M and mini-WebVision.

Neither data set fits in memory as tensors or can be fetched here (the official releases need a request form);
:func:`run_web_protocol` streams their images through a ``torch.utils.data.DataLoader`` with ImageNet-style
transforms into a ResNet-50 (optionally from ImageNet weights) and otherwise follows
:func:`lnc.experiments.protocol.run_protocol`: CE on the noisy labels → ``T̂`` from its posteriors on the training images
→ a fresh network with the corrected loss. Model selection uses a seeded hold-out of the *noisy* training list.
``T[i, j] = P(noisy = j | clean = i)``. Command line::

    python -m lnc.experiments.web clothing1m --root /data/Clothing1M --pretrained resnet50-0676ba61.pth --device cuda
"""

import argparse
import dataclasses
import functools
import json
import os
from pathlib import Path

import numpy as np
import torch

from .._checks import check_choice, check_int, check_seed, check_sequence
from ..estimation import estimate_T
from ..losses import make_loss
from .loop import Batches, environment, posteriors, resolve_device, train_on
from .models import build_model, load_pretrained
from .protocol import ESTIMATED, estimate_fields, unusable
from .recipes import Recipe
from .records import check_results_dir, save_record

WEB_SELECTION = "val_accuracy"
"""Model selection of the web runs (:data:`lnc.experiments.loop.SELECTIONS`): noisy-validation accuracy."""
WEBVISION_SOURCES = ("google", "flickr")
"""The image sources of WebVision 1.0 (``info/train_filelist_<source>.txt``)."""


class ImageList(torch.utils.data.Dataset):
    """Images read lazily from ``root / paths[i]`` with integer ``labels[i]``; ``transform`` maps a PIL RGB image."""

    def __init__(self, root, paths, labels, transform=None):
        self.root, self.paths, self.transform = Path(root), tuple(paths), transform
        self.labels = np.asarray(labels, dtype=np.int64)

    def __len__(self):
        return len(self.paths)

    def select(self, indices, transform=None):
        """A new :class:`ImageList` of the images at ``indices`` (in that order), read with ``transform``."""
        indices = np.asarray(indices, dtype=np.int64)
        return ImageList(self.root, [self.paths[i] for i in indices], self.labels[indices], transform)

    def __getitem__(self, i):
        from PIL import Image

        with Image.open(self.root / self.paths[i]) as image:
            image = image.convert("RGB")
        return (self.transform(image) if self.transform else image), int(self.labels[i])


CLOTHING1M_SPLITS = {
    "noisy_train": ("noisy_train_key_list.txt", "noisy_label_kv.txt"),
    "clean_train": ("clean_train_key_list.txt", "clean_label_kv.txt"),
    "clean_val": ("clean_val_key_list.txt", "clean_label_kv.txt"),
    "clean_test": ("clean_test_key_list.txt", "clean_label_kv.txt"),
}
"""Clothing1M split → (key list, label file) of the official release (Xiao et al. 2015)."""


def load_clothing1m(root, transform=None):
    """Clothing1M laid out as its official release: ``{split: ImageList}`` for :data:`CLOTHING1M_SPLITS`.

    ``root`` holds ``images/`` and the ``*_key_list.txt`` / ``*_label_kv.txt`` files (lines ``path label``),
    14 classes. ``noisy_train`` carries the noisy web labels; the three clean splits the clean ones.
    """
    root = _release_root(root, "Clothing1M")
    out = {}
    for split, (keys_file, labels_file) in CLOTHING1M_SPLITS.items():
        labels = dict(_read_list(root / labels_file, 14))
        keys = (root / keys_file).read_text().split()
        missing = [k for k in keys if k not in labels]
        if missing:
            raise ValueError(
                f"{root / keys_file}: {len(missing)} images have no label in {labels_file}, e.g. {missing[0]}"
            )
        out[split] = ImageList(root, keys, [labels[k] for k in keys], transform)
    return out


def load_webvision(root, *, num_classes=50, sources=("google",), transform=None):
    """mini-WebVision: the first ``num_classes`` classes of WebVision 1.0, laid out as its release.

    ``root`` holds ``info/train_filelist_<source>.txt`` and ``info/val_filelist.txt`` (lines ``path label``),
    the training images at the listed paths and the validation images under ``val_images_256/``. The
    common "mini" protocol (Jiang et al. 2018) keeps the Google images of classes 0-49: the defaults.
    ``num_classes`` is an int in ``[2, 1000]``; ``sources`` a non-empty tuple of distinct names from
    :data:`WEBVISION_SOURCES`. Returns ``{"train": ImageList (noisy web labels), "val": ImageList (clean labels)}``.
    """
    root = _release_root(root, "WebVision")
    num_classes = check_int(num_classes, name="num_classes", low=2, high=1000)
    sources = check_sequence(sources, name="sources", item=functools.partial(check_choice, choices=WEBVISION_SOURCES))
    if len(set(sources)) < len(sources):
        raise ValueError(f"sources must name each source once, got {sources}")
    train = [
        item
        for s in sources
        for item in _read_list(root / "info" / f"train_filelist_{s}.txt", 1000)
        if item[1] < num_classes
    ]
    val = [item for item in _read_list(root / "info" / "val_filelist.txt", 1000) if item[1] < num_classes]
    return {
        "train": ImageList(root, [p for p, _ in train], [y for _, y in train], transform),
        "val": ImageList(root / "val_images_256", [p for p, _ in val], [y for _, y in val], transform),
    }


def _release_root(root, name):
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a path (str or os.PathLike) to the {name} folder, got {type(root).__name__}")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(
            f"{name} root {root} is not a folder: download the official release (it cannot "
            "be fetched automatically) and pass the folder that holds it"
        )
    return root


def _read_list(path, num_classes):
    """``[(path, label)]`` from a ``path label`` text file, labels checked to lie in ``[0, num_classes)``."""
    if not path.is_file():
        raise FileNotFoundError(f"{path.name} not found: looked for {path}")
    items = []
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2 or not fields[1].isdigit() or int(fields[1]) >= num_classes:
            raise ValueError(f"{path}:{lineno}: expected 'path label' with label in [0, {num_classes}), got {line!r}")
        items.append((fields[0], int(fields[1])))
    return items


IMAGENET_MEAN = (0.485, 0.456, 0.406)


IMAGENET_STD = (0.229, 0.224, 0.225)


WEB_DATASETS = {
    "clothing1m": (load_clothing1m, "noisy_train", "clean_test", 14),
    "webvision": (load_webvision, "train", "val", 50),
}
"""Name → (loader, noisy training split, clean test split, number of classes)."""


WEB_RECIPE = Recipe(
    "resnet50",
    10,
    optimizer="sgd",
    lr=0.002,
    momentum=0.9,
    weight_decay=1e-3,
    decay_all=True,
    milestones=(5,),
    batch_size=64,
)
"""Our settings for both data sets (the paper gives no Clothing1M schedule): ResNet-50, SGD lr 0.002, momentum
0.9, weight decay 1e-3 on all weights, batch 64, 10 epochs, lr / 10 after epoch 5."""


STREAM_METHODS = ("ce", *sorted(ESTIMATED))


class ImageTransform:
    """PIL RGB image → float32 ``(3, crop, crop)``, ImageNet-normalised, after resizing to ``resize × resize``.

    ``train=True``: a random ``crop × crop`` window and a horizontal flip with probability 1/2 (torch's global
    RNG: seeded per DataLoader worker); ``train=False``: the centre window.
    """

    def __init__(self, train, crop=224, resize=256):
        resize = check_int(resize, name="resize", low=1)
        crop = check_int(crop, name="crop", low=1, high=resize)
        self.train, self.crop, self.resize = train, crop, resize

    def __call__(self, image):
        from PIL import Image

        image = image.resize((self.resize, self.resize), Image.BILINEAR)
        top = left = (self.resize - self.crop) // 2
        if self.train:
            top, left = torch.randint(0, self.resize - self.crop + 1, (2,)).tolist()
        image = image.crop((left, top, left + self.crop, top + self.crop))
        if self.train and torch.rand(()) < 0.5:
            image = image.transpose(Image.FLIP_LEFT_RIGHT)
        x = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).permute(2, 0, 1)
        return (x - torch.tensor(IMAGENET_MEAN)[:, None, None]) / torch.tensor(IMAGENET_STD)[:, None, None]


def run_web_protocol(
    dataset,
    root,
    *,
    methods=STREAM_METHODS,
    recipe=WEB_RECIPE,
    pretrained=None,
    seed=0,
    val_size=10000,
    crop=224,
    resize=256,
    device="auto",
    loader_workers=8,
    results_dir=None,
    progress=None,
):
    """CE → ``T̂`` → corrected losses on ``dataset`` (``"clothing1m"`` or ``"webvision"``) read from ``root``.

    ``methods``: of :data:`STREAM_METHODS` (CE always runs: it gives ``T̂``). ``pretrained``: a state-dict file
    (torchvision's ResNet-50 ImageNet weights) every network starts from, all but its classifier. ``val_size``
    images of the noisy training list (seeded) are the noisy validation split. Returns one record per method,
    as :func:`lnc.experiments.protocol.run_protocol` (``noise = "web"``, no true T).
    """
    check_choice(dataset, WEB_DATASETS, name="dataset")
    methods = check_sequence(methods, name="methods", item=lambda m, name: check_choice(m, STREAM_METHODS, name=name))
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe must be an lnc.experiments.recipes.Recipe, got {type(recipe).__name__}")
    seed = check_seed(seed)
    val_size = check_int(val_size, name="val_size", low=0)
    train_transform = ImageTransform(True, crop, resize)  # checks crop and resize before any loading
    loader_workers = check_int(loader_workers, name="loader_workers", low=0)
    load, train_split, test_split, num_classes = WEB_DATASETS[dataset]
    device = resolve_device(device)
    results_dir = check_results_dir(results_dir)
    splits = load(root)
    noisy, test = splits[train_split], splits[test_split]
    if not 0 <= val_size < len(noisy):
        raise ValueError(f"val_size must lie in [0, {len(noisy)}), got {val_size!r}")
    order = np.random.default_rng(seed).permutation(len(noisy))
    train_eval = ImageTransform(False, crop, resize)
    parts = {
        "train": noisy.select(order[val_size:], train_transform),
        "val": noisy.select(order[:val_size], train_eval),
        "test": test.select(np.arange(len(test)), train_eval),
        "train_eval": noisy.select(order[val_size:], train_eval),
    }
    settings = {
        "task": dataset,
        "dataset": dataset,
        "noise": "web",
        "rate": None,
        "seed": seed,
        "protocol": "web",
        "subset": None,
        "n_train": len(parts["train"]),
        "n_val": val_size,
        "n_test": len(test),
        "recipe": json.loads(json.dumps(dataclasses.asdict(recipe))),
        "pretrained": str(pretrained),
        "T_true": None,
        "selection": WEB_SELECTION,
        **environment(),
    }
    train = dict(
        parts=parts,
        recipe=recipe,
        pretrained=pretrained,
        num_classes=num_classes,
        seed=seed,
        device=device,
        loader_workers=loader_workers,
        progress=progress,
    )
    model, ce = _train_stream("ce", None, **train)
    inputs = (x.to(device) for x, _ in _loader(parts["train_eval"], False, recipe, loader_workers, device))
    T_hat = estimate_T(posteriors(model, inputs), parts["train_eval"].labels, quantile=recipe.quantile)
    estimate = estimate_fields(T_hat)
    noisy_labels = np.concatenate([parts["train"].labels, parts["val"].labels])
    records = []
    for method in methods:
        loss = ESTIMATED.get(method)
        if method == "ce":
            record = {**settings, **ce, **estimate, "T": None}
        else:
            run = unusable(loss, T_hat, noisy_labels) or _train_stream(loss, T_hat, **train)[1]
            record = {**settings, **run, **estimate, "method": method, "T": estimate["T_hat"]}
        record.setdefault("status", "ok")
        records.append(record)
        if results_dir is not None:
            save_record(record, results_dir)
    return records


def _train_stream(method, T, *, parts, recipe, pretrained, num_classes, seed, device, loader_workers, progress):
    """One fresh network trained with ``method`` (and ``T``) on the streamed parts; ``(model, record)``."""
    loss_fn = (make_loss(method) if T is None else make_loss(method, T)).to(device)

    def make_model():
        model = build_model(recipe.model, num_classes=num_classes, **recipe.model_kwargs)
        if pretrained is not None:
            load_pretrained(model, pretrained)
        return model.to(device)

    def loader(name, shuffle):
        return lambda generator=None: (
            (x.to(device), y.to(device))
            for x, y in _loader(parts[name], shuffle, recipe, loader_workers, device, generator)
        )

    batches = Batches(loader("train", True), loader("val", False), loader("test", False), has_val=len(parts["val"]) > 0)
    return train_on(
        lambda: batches,
        make_model,
        loss_fn,
        recipe,
        method=method,
        seed=seed,
        device=device,
        epochs=recipe.epochs,
        progress=progress,
        selection=WEB_SELECTION,
    )


def _loader(images, shuffle, recipe, loader_workers, device, generator=None):
    return torch.utils.data.DataLoader(
        images,
        batch_size=recipe.batch_size,
        shuffle=shuffle,
        generator=generator,
        num_workers=loader_workers,
        pin_memory=device.type == "cuda",
    )


def main(argv=None):
    """``python -m lnc.experiments.web DATASET --root PATH [...]``: :func:`run_web_protocol` from the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m lnc.experiments.web",
        description="CE -> T_hat -> corrected losses on Clothing1M or mini-WebVision",
    )
    parser.add_argument("dataset", choices=tuple(WEB_DATASETS))
    parser.add_argument("--root", required=True, help="folder of the official release")
    parser.add_argument("--pretrained", help="ImageNet weights (state dict) to start from, e.g. resnet50-0676ba61.pth")
    parser.add_argument("--methods", nargs="+", default=list(STREAM_METHODS), choices=STREAM_METHODS)
    parser.add_argument("--epochs", type=int, default=WEB_RECIPE.epochs)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--val-size", type=int, default=10000)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--loader-workers", type=int, default=8)
    parser.add_argument("--results-dir", default="results/web")
    args = parser.parse_args(argv)
    recipe = dataclasses.replace(WEB_RECIPE, epochs=args.epochs)
    for record in run_web_protocol(
        args.dataset,
        args.root,
        methods=args.methods,
        recipe=recipe,
        pretrained=args.pretrained,
        seed=args.seed,
        val_size=args.val_size,
        device=args.device,
        loader_workers=args.loader_workers,
        results_dir=args.results_dir,
    ):
        if record["status"] == "failed":
            print(f"{record['method']:13s} failed: {record['error']}")
        else:
            print(
                f"{record['method']:13s} test accuracy {100 * record['test_accuracy']:.2f}%  "
                f"(epoch {record['best_epoch']} of {record['epochs']})"
            )


if __name__ == "__main__":
    main()
