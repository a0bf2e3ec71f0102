"""Gradient-norm clipping and the backward loss under the fast protocol: CE and backward-T (the true T) on a
subset of CIFAR-10N, at several ``clip_norm`` values of the same recipe, so that the clipping of ``fast2``
(:data:`lnc.experiments.recipes.FAST2_RECIPES`) is chosen from measurements.

Each training is :func:`lnc.experiments.protocol.train` with the fast recipe, ``clip_norm`` and ``epochs`` replaced,
on label set ``--noise`` (default ``worst``), ``--subset`` examples (default 20,000), seed 0, one torch thread. A
line of JSON per training is appended to ``--out`` (default ``results/clip_norm.jsonl``) as it ends: the settings,
the test accuracy of the epoch each selection keeps, the noisy-validation accuracy per epoch, wall time,
precision and CPU. A line already there is not trained again (resumable). The table of every line is printed.

Run: ``python benchmarks/clip_norm.py --clips none 0.25 0.5 1 5 --methods backward ce --epochs 12``.
"""

import argparse
import dataclasses
import json
import time
from pathlib import Path

import torch

from lnc.experiments import datasets, loop
from lnc.experiments.protocol import train
from lnc.experiments.recipes import get_recipe

KEY = ("noise", "subset", "clip_norm", "method", "epochs", "seed")


def run(data, noise, subset, clip_norm, method, epochs, seed=0):
    """One training on ``data`` (CIFAR-10, loaded once for every line); its line (a dict)."""
    recipe = dataclasses.replace(get_recipe("cifar10n", "fast"), clip_norm=clip_norm, epochs=epochs)
    _, noisy = datasets.load_cifarn_labels(noise)
    T = datasets.cifarn_T(noise)
    splits = datasets.noisy_splits(data, noisy, seed=seed, subset=subset, T=T)
    start = time.perf_counter()
    _, record = train(splits, method, recipe, T=T if method == "backward" else None, seed=seed, progress=False)
    return {
        **dict(zip(KEY, (noise, subset, clip_norm, method, epochs, seed))),
        "test_accuracy_by_selection": record["test_accuracy_by_selection"],
        "epoch_by_selection": record["epoch_by_selection"],
        "val_accuracy": [round(v, 4) for v in record["curves"]["val_accuracy"]],
        "wall_time_s": round(time.perf_counter() - start),
        "precision": record["precision"],
        "cpu": loop.cpu_name(),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", nargs="+", default=["none", "0.25", "0.5", "1", "5"])
    parser.add_argument("--methods", nargs="+", default=["backward", "ce"])
    parser.add_argument("--epochs", type=int, nargs="+", default=[12])
    parser.add_argument("--noise", default="worst")
    parser.add_argument("--subset", type=int, default=20000)
    parser.add_argument("--out", type=Path, default=Path("results/clip_norm.jsonl"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    lines = [json.loads(line) for line in args.out.read_text().splitlines()] if args.out.exists() else []
    done = {tuple(line[k] for k in KEY) for line in lines}
    data = datasets.load_cifar10()
    for epochs in args.epochs:
        for clip in [None if c == "none" else float(c) for c in args.clips]:
            for method in args.methods:
                if (args.noise, args.subset, clip, method, epochs, 0) in done:
                    continue
                line = run(data, args.noise, args.subset, clip, method, epochs)
                with args.out.open("a") as f:
                    f.write(json.dumps(line) + "\n")
                lines.append(line)
    print(f"{'noise':<8} {'clip':>5} {'method':<9} {'epochs':>6} {'test acc (val acc)':>19} {'kept':>5}")
    for line in lines:
        accuracy, kept = line["test_accuracy_by_selection"]["val_accuracy"], line["epoch_by_selection"]["val_accuracy"]
        print(f"{line['noise']:<8} {line['clip_norm']!s:>5} {line['method']:<9} {line['epochs']:>6} "
              f"{accuracy:>19.4f} {kept:>5}")  # fmt: skip


if __name__ == "__main__":
    main()
