"""Clean CIFAR-10 test accuracy against CPU-minutes: the paper's ResNet-8/20/32 and the fast net.

Each network is trained once with cross-entropy on clean CIFAR-10 (45,000 training images, model selection on the
5,000 held-out ones, seed 0) by :func:`lnc.experiments.protocol.train`, under its recipe:

- ResNet-8/20/32 (``cifar_resnet`` with n = 1, 3, 5): ``CPU_RECIPES["cifar10"]`` (the paper's SGD 0.1, momentum
  0.9, L2 on kernels, shifts and flips) with its depth, and the learning rate divided by 10 after two thirds of the
  epochs (the CPU recipe's 10 of 15);
- the fast net: ``FAST_RECIPES["cifar10"]`` (half-width fast net, triangular schedule).

Default epochs (``DEFAULT_EPOCHS``), chosen so that each run takes about 10 to 20 CPU-minutes at one thread: ResNet-8
15 (its CPU recipe, measured about 14 CPU-minutes in the book's runs), ResNet-20 7 and ResNet-32 4 (2.3 and 4 times
ResNet-8's time per image, measured), the fast net 12 (its recipe; 1.5 times ResNet-8's time per image).
About an hour of CPU time in all on the Intel machine of the book's earlier runs; every network took about twice as
long on an AMD EPYC (``results/cifar_speed.json``). ``--epochs N`` trains every network N epochs.

CPU-minutes are the record's wall time (data preparation, training, validation, the test pass) times torch's
threads (``--threads``; more threads cost more CPU-minutes for the same work, since they do not scale perfectly);
images/s is ``n_train * epochs / wall_time_s``. Prints a table with the ratios of CPU-minutes and of time per image
against ResNet-32 on the same CPU, and writes a JSON summary (``--out``) after each network. Resumable: a network
already in ``--out`` with the same epochs, CPU, threads, device, seed, data and versions is read instead of trained
again, and the summary keeps the networks it holds (``--overwrite`` starts it afresh).

Run: ``LNC_DATA_DIR=... python benchmarks/cifar_speed.py --threads 1`` (one to two hours);
``--models resnet8 fast_net`` runs some networks only; ``--tiny`` is the test of the script (seconds).
"""

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import torch

from lnc.experiments import datasets, protocol
from lnc.experiments.loop import environment
from lnc.experiments.models import count_parameters
from lnc.experiments.recipes import CPU_RECIPES, FAST_RECIPES

DEPTHS = {"resnet8": 1, "resnet20": 3, "resnet32": 5}
"""ResNet name → ``n`` of :func:`lnc.experiments.models.cifar_resnet` (depth 2 + 6n)."""
NETWORKS = (*DEPTHS, "fast_net")
DEFAULT_EPOCHS = {"resnet8": 15, "resnet20": 7, "resnet32": 4, "fast_net": 12}
BASELINE = "resnet32"
TINY = {"subset": 200, "epochs": 1, "test_subset": 500}
"""The ``--tiny`` run (a CPU test of the script): 200 images (180 to train), one epoch, 500 test images."""


def recipe(network, epochs):
    """The :class:`lnc.experiments.recipes.Recipe` of ``network`` trained ``epochs`` epochs."""
    if network == "fast_net":
        return dataclasses.replace(FAST_RECIPES["cifar10"], epochs=epochs)
    milestone = max(1, round(2 * epochs / 3))
    return dataclasses.replace(
        CPU_RECIPES["cifar10"], model_kwargs={"n": DEPTHS[network]}, epochs=epochs, milestones=(milestone,)
    )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", choices=NETWORKS, default=list(NETWORKS), help="networks to train")
    parser.add_argument("--epochs", type=int, default=None, help=f"epochs of every network (default {DEFAULT_EPOCHS})")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default="results/cifar_speed.json", help="JSON summary")
    parser.add_argument("--tiny", action="store_true", help=f"the test of the script: {TINY}")
    parser.add_argument("--overwrite", action="store_true", help="start --out afresh: train every listed network")
    return parser.parse_args(argv)


def splits(seed, subset=None, test_subset=None):
    """Clean CIFAR-10 cut into 90% training / 10% validation (clean labels as the "noisy" ones), whole test set or
    its first ``test_subset`` images."""
    cifar = datasets.load_cifar10()
    if test_subset is not None:
        cifar = dataclasses.replace(cifar, x_test=cifar.x_test[:test_subset], y_test=cifar.y_test[:test_subset])
    return datasets.noisy_splits(cifar, cifar.y_train, seed=seed, subset=subset)


def run(network, data, epochs, seed, device):
    """Train ``network`` with CE; its row of the summary."""
    spec = recipe(network, epochs)
    model, record = protocol.train(data, "ce", spec, seed=seed, device=device, progress=False)
    threads = torch.get_num_threads()
    n_train = len(data.y_train)
    return {
        "model": network,
        "params": count_parameters(model),
        "recipe": json.loads(json.dumps(dataclasses.asdict(spec))),
        "epochs": epochs,
        "n_train": n_train,
        "n_test": len(data.y_test),
        "threads": threads,
        "wall_time_s": record["wall_time_s"],
        "cpu_minutes": round(record["wall_time_s"] * threads / 60, 3),
        "images_per_s": round(n_train * epochs / record["wall_time_s"], 1),
        "test_accuracy": record["test_accuracy"],
        "best_epoch": record["best_epoch"],
        "curves": record["curves"],
    }


def ratios(rows, baseline=BASELINE):
    """``{model: {"cpu_minutes": ratio, "time_per_image": ratio}}`` against ``baseline``'s row (``{}`` without it)."""
    base = next((row for row in rows if row["model"] == baseline), None)
    if base is None:
        return {}
    return {
        row["model"]: {
            "cpu_minutes": row["cpu_minutes"] / base["cpu_minutes"],
            "time_per_image": base["images_per_s"] / row["images_per_s"],
        }
        for row in rows
    }


def stored_rows(out, setting):
    """``{model: row}`` of the summary at ``out`` when it was measured under ``setting`` (``{}`` otherwise: another
    CPU, thread count, device, seed, data or version)."""
    if not out.exists():
        return {}
    summary = json.loads(out.read_text())
    if any(summary.get(key) != value for key, value in setting.items()):
        return {}
    return {row["model"]: row for row in summary["runs"]}


def ordered(rows):
    """The rows of ``{model: row}`` in the order of :data:`NETWORKS`."""
    return [rows[network] for network in NETWORKS if network in rows]


def summarize(setting, rows):
    """The summary of ``{model: row}`` measured under ``setting``: its fields, the runs in order, the ratios."""
    runs = ordered(rows)
    return {**setting, "baseline": BASELINE, "runs": runs, "ratios": ratios(runs)}


def write_summary(out, summary):
    """Write ``summary`` to ``out`` as JSON."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=1, allow_nan=False) + "\n")


def markdown(summary):
    """The summary as a Markdown table (one row per network, ratios against ``BASELINE``), with a line that names
    the machine: what the script prints, and the README's table."""
    runs, against, threads = summary["runs"], summary["ratios"], summary["threads"]
    lines = [
        f"Clean CIFAR-10, {runs[0]['n_train']:,} training / {runs[0]['n_test']:,} test images, seed "
        f"{summary['seed']}, CE, model selection on the held-out split; {summary['cpu']}, {threads} "
        f"torch thread{'s' * (threads != 1)}, torch {summary['torch_version']}, device {summary['device']}.",
        "",
        f"| network | parameters | epochs | images/s | CPU-minutes | test accuracy (%) | CPU-minutes / {BASELINE} "
        f"| time per image / {BASELINE} |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for run in runs:
        ratio = against.get(run["model"])
        cells = ("n/a", "n/a") if ratio is None else (f"{ratio['cpu_minutes']:.2f}", f"{ratio['time_per_image']:.2f}")
        lines.append(
            f"| {run['model']} | {run['params']:,} | {run['epochs']} | {run['images_per_s']:,.0f} | "
            f"{run['cpu_minutes']:.1f} | {100 * run['test_accuracy']:.2f} | {cells[0]} | {cells[1]} |"
        )
    return "\n".join(lines)


def main(argv=None):
    """Train each network, print the table, write the JSON; returns the exit status."""
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    subset, test_subset = (TINY["subset"], TINY["test_subset"]) if args.tiny else (None, None)
    data = splits(args.seed, subset, test_subset)
    machine = environment()
    print(
        f"torch {torch.__version__}, threads {torch.get_num_threads()}, device {args.device}, "
        f"CPU {machine['cpu']}; clean CIFAR-10, {len(data.y_train)} training / {len(data.y_val)} "
        f"validation / {len(data.y_test)} test images, seed {args.seed}",
        flush=True,
    )
    setting = {**machine, "device": args.device, "seed": args.seed, "subset": subset, "test_subset": test_subset}
    out = Path(args.out)
    rows = {} if args.overwrite else stored_rows(out, setting)
    for network in args.models:
        epochs = TINY["epochs"] if args.tiny else args.epochs or DEFAULT_EPOCHS[network]
        reused = network in rows and rows[network]["epochs"] == epochs
        if not reused:
            rows[network] = run(network, data, epochs, args.seed, args.device)
            write_summary(out, summarize(setting, rows))
        row = rows[network]
        print(
            f"{network}: {row['cpu_minutes']:.1f} CPU-min, test accuracy {row['test_accuracy']:.4f}"
            + (f" (read from {out})" if reused else ""),
            flush=True,
        )
    print("\n" + markdown(summarize(setting, rows)))
    print(f"\nsummary written to {out}")
    return 0


if __name__ == "__main__":
    start = time.perf_counter()
    status = main()
    print(f"total {time.perf_counter() - start:.0f} s")
    sys.exit(status)
