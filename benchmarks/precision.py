"""bf16 autocast on the CPU: the fast protocol's training (``fit`` of ``fast_net``) in bf16 and in fp32 against a
bare fp32 loop doing the same steps, and, with ``--accuracy``, the clean test accuracy of whole trainings in both.

Speed: clean CIFAR-10 images (``--images``, default 2,560: 10 batches of 256), the fast recipe's network,
optimiser, crops and flips, ``--epochs`` passes over them in the same seeded order for every contender:

- ``bare fp32 loop``: forward, cross-entropy, backward, SGD step, nothing else (no selection, no checks);
- ``lnc fit, fp32`` and ``lnc fit, bf16``: :func:`lnc.experiments.loop.fit` as every training here runs it
  (``LNC_PRECISION`` set for each), without a validation split.

After one warm-up run of each, rounds are interleaved (a drift of the machine hits every contender alike); the
median seconds per epoch and the ratio to the bare loop are printed. On a CPU without bf16 units, bf16 is emulated
and slow.

Accuracy (``--accuracy``): ``run_protocol("cifar10", noise="none", methods=("ce",), protocol=...)`` once per
precision and seed, records in ``--results-dir``/fp32 and /bf16 (resumable; a whole training each, about 20-40
CPU-minutes), then the test accuracy of each and the paired difference.

Run: ``python benchmarks/precision.py [--threads 1] [--accuracy --seeds 0 1 2]``.
"""

import argparse
import os
import statistics
import time

import torch
import torch.nn.functional as F

from lnc.experiments import datasets, loop
from lnc.experiments.protocol import run_protocol
from lnc.experiments.recipes import get_recipe


def contenders(images, epochs, seed=0):
    """name → a function that trains a fresh ``fast_net`` for ``epochs`` over the same batches."""
    recipe = get_recipe("cifar10", "fast")
    data = datasets.load_cifar10()
    splits = datasets.noisy_splits(data, data.y_train, seed=seed, subset=images)
    tensors = loop.prepare(splits, recipe, torch.device("cpu"))
    batches = loop.in_memory_batches(tensors, recipe)

    def fresh():
        torch.manual_seed(seed)
        model = loop.build_network(recipe, 10, "ce", torch.device("cpu"))
        return model, loop._optimizer(model, recipe)

    def bare():
        model, optimizer = fresh()
        model.train()
        generator = torch.Generator().manual_seed(seed)
        for _ in range(epochs):
            for x, y in batches.train(generator):
                loss = F.cross_entropy(model(x), y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()

    def lnc_fit(precision):
        def run():
            os.environ["LNC_PRECISION"] = precision
            model, optimizer = fresh()
            generator = torch.Generator().manual_seed(seed)
            loop.fit(model, optimizer, torch.nn.CrossEntropyLoss(), lambda: batches.train(generator), lambda: [],
                     milestones=(), epochs=epochs, schedule=recipe.schedule, has_val=False)  # fmt: skip

        return run

    return {"bare fp32 loop": bare, "lnc fit, fp32": lnc_fit("fp32"), "lnc fit, bf16": lnc_fit("bf16")}


def speed(images, epochs, rounds):
    runs = contenders(images, epochs)
    times = {name: [] for name in runs}
    for run in runs.values():
        run()  # warm-up: oneDNN builds its kernels on first use
    for _ in range(rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append((time.perf_counter() - start) / epochs)
    base = statistics.median(times["bare fp32 loop"])
    print(f"{'contender':<16} {'s/epoch':>8} {'ratio to bare fp32':>19}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<16} {median:8.3f} {median / base:19.2f}")


def accuracy(seeds, protocol, results_dir):
    accuracies = {}
    for precision in ("fp32", "bf16"):
        os.environ["LNC_PRECISION"] = precision
        records = run_protocol("cifar10", noise="none", methods=("ce",), seeds=seeds, protocol=protocol,
                               results_dir=f"{results_dir}/{precision}")  # fmt: skip
        accuracies[precision] = [r["test_accuracy"] for r in records]
        minutes = [round(r["wall_time_s"] * r["threads"] / 60, 1) for r in records]
        print(f"{precision}: test accuracy {accuracies[precision]}, CPU-minutes {minutes}")
    differences = [b - f for f, b in zip(accuracies["fp32"], accuracies["bf16"])]
    print(f"bf16 - fp32 per seed {seeds}: {[round(d, 4) for d in differences]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--images", type=int, default=2560)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--accuracy", action="store_true")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--protocol", default="fast")
    parser.add_argument("--results-dir", default="results/precision")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), CPU {loop.cpu_name()}, "
          f"bf16 units: {loop.cpu_has_bf16()}")  # fmt: skip
    if args.accuracy:
        accuracy(args.seeds, args.protocol, args.results_dir)
    else:
        speed(args.images, args.epochs, args.rounds)


if __name__ == "__main__":
    main()
