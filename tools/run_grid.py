"""Run a grid of the two-stage protocol from the shell, seed by seed, resumable: the long runs behind a chapter.

    python tools/run_grid.py <task> --noise NOISE... [--rates RATE...] [--methods METHOD...]
        [--estimators ESTIMATOR...] [--cross-fit K] [--seeds SEED...] [--protocol P] [--epochs E] [--subset N]
        [--selection S] [--results-dir DIR] [--extend] [--workers W] [--device D]

Jobs run seed-major (every label set and method of seed 0, then seed 1, ...), so that an interrupted grid has
whole seeds. With several estimators, the first runs every method and the others only the methods that use its
``T̂`` (``ce``, ``*_est``, ``revision``), sharing the CE network. A record already in ``--results-dir`` is checked and
kept (:func:`lnc.experiments.protocol.run_grid`), so the same command continues an interrupted grid; ``--extend``
lets it add records to a stored folder. Each record is saved as its training ends; a line is printed for each seed
and estimator. ``--workers`` runs the label sets (or rates) of a seed in that many processes.

Example, the CIFAR-10N rows of the CIFAR-N chapter (a few CPU-days; run it under nohup):

    python tools/run_grid.py cifar10n --noise aggre random1 random2 random3 worst \\
        --methods ce forward backward forward_est volmin --estimators anchor confident_joint \\
        --seeds 0 1 2 --protocol fast2 --selection val_accuracy --results-dir results/cifarn_fast2 --extend --workers 2

then T-Revision from the CE runs (their records give T̂; each CE network is trained again from its seed):

    python tools/run_grid.py cifar10n --noise aggre random1 random2 random3 worst --methods ce revision \\
        --seeds 0 --protocol fast2 --selection val_accuracy --results-dir results/cifarn_fast2 --extend --workers 2
"""

import argparse
import time

from lnc.experiments.protocol import ESTIMATED, check_grid, noise_settings, run_grid


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task")
    parser.add_argument("--noise", nargs="+", required=True)
    parser.add_argument("--rates", nargs="*", type=float, default=[])
    parser.add_argument("--methods", nargs="+", default=["ce", "forward", "backward", "forward_est"])
    parser.add_argument("--estimators", nargs="+", default=["anchor"])
    parser.add_argument("--cross-fit", type=int)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--protocol", default="paper")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--subset", type=int)
    parser.add_argument("--selection", default="val_accuracy")
    parser.add_argument("--results-dir", required=True)
    parser.add_argument("--extend", action="store_true")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--device", default="auto")
    return parser.parse_args(argv)


def jobs(args):
    """``(seed, estimator, methods)`` in the order they run; the methods of every estimator but the first are those
    that use its ``T̂``."""
    per_estimator = [m for m in args.methods if m == "ce" or m in ESTIMATED or m == "revision"]
    return [
        (seed, estimator, args.methods if i == 0 else per_estimator)
        for seed in args.seeds
        for i, estimator in enumerate(args.estimators)
    ]


def main(argv=None):
    args = parse_args(argv)
    settings = noise_settings(args.noise, args.rates)
    options = dict(protocol=args.protocol, epochs=args.epochs, subset=args.subset, selection=args.selection,
                   results_dir=args.results_dir, extend=args.extend, device=args.device,
                   cross_fit=args.cross_fit)  # fmt: skip
    for seed, estimator, methods in jobs(args):  # every job is checked before any training
        check_grid(args.task, settings, seeds=(seed,), methods=methods, estimator=estimator, **options)
    for seed, estimator, methods in jobs(args):
        start = time.perf_counter()
        records = run_grid(args.task, settings, seeds=(seed,), methods=methods, estimator=estimator,
                           workers=args.workers, **options)  # fmt: skip
        accuracies = " ".join(f"{r['noise']}/{r['method']} {r.get('test_accuracy')}" for r in records)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        print(f"{stamp} seed {seed}, {estimator}: {accuracies} ({time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
