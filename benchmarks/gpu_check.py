"""One prepared check for a lent GPU: a CUDA smoke test of every network and loss, then the fast protocol on
CIFAR-10N with timings.

1. Smoke test (one line per item, ``ok`` or ``ERROR``): every network of ``lnc.experiments.models.MODELS`` built on
   the device, one forward + backward on a small random batch of its input shape, under bf16 autocast on CUDA (in
   float32 on a CPU, as the training loop runs there); every loss of ``lnc.losses.LOSS_NAMES`` (the corrections
   with an asymmetric row-stochastic T) on device logits, its value against a float64 CPU reference and its
   gradient finite; the loss checks (an out-of-range target, a NaN logit) raising on the device too (deferred
   there: :meth:`lnc.losses.LossModule.verify`).
2. The fast protocol (``FAST_RECIPES``: the half-width fast net, 12 epochs) on CIFAR-10N ``aggre`` and ``worst``,
   methods ``ce``, ``forward``, ``backward`` (true T), seeds 0, 1, 2, full data, through
   :func:`lnc.experiments.protocol.run_grid` (``workers=1``), one job (label set, seed) at a time, seed-major so that
   a job cut by the time budget (``--budget-min``) loses the last seeds, not a label set. Prints per run the
   images/s (``n_train * epochs / wall_time_s`` of the record: data preparation, training, validation and the test
   pass) and the clean test accuracy, then mean ± std per label set × method. Records go to ``--results-dir``
   (resumable: a job whose records are there is loaded, not re-run, unless ``--overwrite``); ``--out`` gets one
   JSON with the environment, the smoke items, every record and the summary.

Exit status 1 when a smoke item or a job failed (every item and job still runs), else 0.

Run on the GPU (about 8 minutes at most, ``--budget-min`` 7.5 by default)::

    LNC_DATA_DIR=... PYTHONUNBUFFERED=1 python benchmarks/gpu_check.py --out "$OUT/gpu_check.json"

and on a CPU in a minute, for its test: ``python benchmarks/gpu_check.py --device cpu --tiny``.
"""

import argparse
import json
import math
import sys
import time
import traceback
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from lnc.experiments import datasets, protocol
from lnc.experiments.loop import environment, resolve_device
from lnc.experiments.models import MODELS, build_model
from lnc.experiments.results import summarize
from lnc.losses import CORRECTIONS, LOSS_NAMES, make_loss

TASK = "cifar10n"
NOISES = ("aggre", "worst")
METHODS = ("ce", "forward", "backward")
SEEDS = (0, 1, 2)
TINY = {"subset": 200, "epochs": 1, "seeds": (0,), "noises": ("aggre",)}
"""The ``--tiny`` run (a CPU test of the script): 200 images, one epoch, one seed, one label set."""
NUM_CLASSES = 10

INPUTS = {
    "mnist_fc": lambda n, g, tiny: torch.rand(n, 1, 28, 28, generator=g),
    "imdb_fc": lambda n, g, tiny: torch.randint(0, 5000, (n, 400), generator=g),
    "imdb_lstm": lambda n, g, tiny: torch.randint(0, 5000, (n, 50 if tiny else 400), generator=g),
    "cifar_resnet": lambda n, g, tiny: torch.randn(n, 3, 32, 32, generator=g),
    "preact_resnet34": lambda n, g, tiny: torch.randn(n, 3, 32, 32, generator=g),
    "resnet50": lambda n, g, tiny: torch.randn(n, 3, 224, 224, generator=g),
    "fast_net": lambda n, g, tiny: torch.randn(n, 3, 32, 32, generator=g),
}
"""Network → a random input batch ``(n, ...)`` of its shape (CPU, from generator ``g``; ``tiny``: the LSTM reads 50
tokens, not IMDB's 400, to keep the CPU test short). A network of the registry missing here fails its smoke
item, so that a new one is not left unchecked."""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda", help='"cuda" (default), "cuda:k" or "cpu"')
    parser.add_argument("--tiny", action="store_true", help=f"the CPU test of the script: {TINY}")
    parser.add_argument("--results-dir", default="results/cifarn_gpu", help="records of the runs (JSON, one per run)")
    parser.add_argument("--out", default=None, help="summary JSON (default: <results-dir>_check.json)")
    parser.add_argument("--budget-min", type=float, default=7.5, help="start no job that would end after this")
    parser.add_argument("--smoke-only", action="store_true", help="the smoke test alone, no training")
    parser.add_argument("--overwrite", action="store_true", help="re-run jobs whose records are in --results-dir")
    return parser.parse_args(argv)


# --------------------------------------------------------------------------------------------------
# smoke test


def asymmetric_T(c=NUM_CLASSES, seed=0):
    """A row-stochastic, non-symmetric, diagonally dominant T (so that a transposed T gives another loss)."""
    rows = np.random.default_rng(seed).dirichlet(np.ones(c), size=c)
    return 0.6 * np.eye(c) + 0.4 * rows


def check_model(name, device, batch, tiny=False):
    """Build ``name`` on ``device``, one forward + backward (under bf16 autocast on CUDA, in float32 on a CPU, as
    :mod:`lnc.experiments.loop` trains); a one-line description."""
    generator = torch.Generator().manual_seed(0)
    if name not in INPUTS:
        raise KeyError(f"no input shape for network {name!r}: add it to INPUTS")
    torch.manual_seed(0)
    model = build_model(name, num_classes=NUM_CLASSES).to(device)
    if any(isinstance(m, torch.nn.Conv2d) for m in model.modules()):
        model = model.to(memory_format=torch.channels_last)  # as lnc.experiments.loop.build_network
    x = INPUTS[name](batch, generator, tiny).to(device)
    y = torch.randint(0, NUM_CLASSES, (batch,), generator=generator).to(device)
    model.train()
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):  # as the loop does
        logits = model(x)
    dtype = logits.dtype
    loss = F.cross_entropy(logits.float(), y)
    loss.backward()
    if tuple(logits.shape) != (batch, NUM_CLASSES):
        raise ValueError(f"logits of shape {tuple(logits.shape)}, expected {(batch, NUM_CLASSES)}")
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    no_grad = [n for n, p in params if p.grad is None]
    bad = [n for n, p in params if p.grad is not None and not torch.isfinite(p.grad).all()]
    if not torch.isfinite(loss) or no_grad or bad:
        raise ValueError(f"loss {loss.item()}, parameters without gradient {no_grad[:3]}, non-finite {bad[:3]}")
    if not any(p.grad.abs().sum() > 0 for _, p in params):
        raise ValueError("every gradient is zero")
    count = sum(p.numel() for _, p in params)
    return (
        f"input {tuple(x.shape)}, logits {str(dtype).removeprefix('torch.')}, loss {loss.item():.3f}, {count:,} params"
    )


def check_loss(name, device, batch=64):
    """Loss ``name`` on float32 device logits against its float64 CPU value; finite gradient; deferred checks."""
    generator = torch.Generator().manual_seed(1)
    logits = 3.0 * torch.randn(batch, NUM_CLASSES, generator=generator, dtype=torch.float64)
    targets = torch.randint(0, NUM_CLASSES, (batch,), generator=generator)
    T = asymmetric_T() if name in CORRECTIONS else None
    reference = make_loss(name, T)(logits, targets).item()
    loss_fn = make_loss(name, T).to(device)
    on_device = logits.float().to(device).requires_grad_()
    value = loss_fn(on_device, targets.to(device))
    value.backward()
    loss_fn.verify()
    if not math.isclose(value.item(), reference, rel_tol=1e-4, abs_tol=1e-4):
        raise ValueError(f"value {value.item():.6f} on {device}, {reference:.6f} in float64 on the CPU")
    if not torch.isfinite(on_device.grad).all():
        raise ValueError("non-finite gradient")
    return f"value {value.item():.4f} (float64 CPU {reference:.4f}), checks {loss_fn.checks!r}"


def check_raises(kind, device):
    """The forward correction given an out-of-range target (``kind="target"``) or a NaN logit (``"nan"``) raises
    ``ValueError``: at the call (eager checks, CPU) or at ``verify()`` (deferred checks, on an accelerator)."""
    loss_fn = make_loss("forward", asymmetric_T()).to(device)
    logits = torch.zeros(8, NUM_CLASSES, device=device)
    targets = torch.zeros(8, dtype=torch.long, device=device)
    if kind == "target":
        targets[3] = NUM_CLASSES
    else:
        logits[5, 2] = math.nan
    try:
        loss_fn(logits, targets)
        loss_fn.verify()
    except ValueError as err:
        return f"raised {type(err).__name__}: {str(err)[:70]}"
    raise AssertionError(f"a bad {kind} passed unnoticed")


def smoke_items(device, batch, tiny=False):
    """``[(name, fn)]``: each ``fn()`` returns a description or raises."""
    sizes = {name: min(batch, 2) if name == "resnet50" else batch for name in MODELS}  # resnet50: 224 x 224 inputs
    return (
        [(f"model {name}", lambda name=name: check_model(name, device, sizes[name], tiny)) for name in MODELS]
        + [(f"loss {name}", lambda name=name: check_loss(name, device)) for name in LOSS_NAMES]
        + [(f"check {kind}", lambda kind=kind: check_raises(kind, device)) for kind in ("target", "nan")]
    )


def run_smoke(items, device):
    """Run each item; print a line per item; return ``[{"item", "ok", "detail", "seconds"}]``."""
    results = []
    for name, fn in items:
        start = time.perf_counter()
        try:
            detail, ok = fn(), True
            if device.type == "cuda":
                torch.cuda.synchronize(device)
        except Exception as err:  # a smoke test reports every failure and goes on
            detail, ok = f"{type(err).__name__}: {err}", False
        seconds = time.perf_counter() - start
        results.append({"item": name, "ok": ok, "detail": detail, "seconds": round(seconds, 3)})
        print(f"{'ok   ' if ok else 'ERROR'} {name:<24} {seconds:6.2f} s  {detail}", flush=True)
    return results


# --------------------------------------------------------------------------------------------------
# the fast protocol on CIFAR-10N


def images_per_s(record):
    """``n_train * epochs / wall_time_s`` of a record (``None`` without a wall time)."""
    wall = record.get("wall_time_s")
    return record["n_train"] * record["epochs"] / wall if wall else None


def run_jobs(args, options, start):
    """Each (seed, label set) job through ``run_grid``, seed-major, within the budget; ``(records, jobs)``."""
    seeds, noises = (TINY["seeds"], TINY["noises"]) if args.tiny else (SEEDS, NOISES)
    protocol.check_grid(TASK, [(noise, 0.0) for noise in noises], seeds=seeds, **options)  # every job, before any
    records, jobs, longest = [], [], 0.0
    print(f"{'label set':<9} {'seed':>4} {'method':<9} {'epochs':>6} {'wall s':>7} {'images/s':>9} {'test acc':>8}")
    for seed in seeds:
        for noise in noises:
            job = {"noise": noise, "seed": seed}
            elapsed = time.perf_counter() - start
            if elapsed + longest > 60 * args.budget_min:
                print(f"{noise:<9} {seed:>4} skipped: {elapsed:.0f} s spent, a job takes up to {longest:.0f} s")
                jobs.append({**job, "status": "skipped"})
                continue
            (config,) = protocol.check_grid(TASK, [(noise, 0.0)], seeds=(seed,), **options)
            stored = not args.overwrite and protocol.stored_records(config) is not None
            job_start = time.perf_counter()
            try:
                ran = protocol.run_grid(
                    TASK, [(noise, 0.0)], seeds=(seed,), workers=1, overwrite=args.overwrite, **options
                )
            except Exception:
                traceback.print_exc()
                jobs.append({**job, "status": "failed", "error": traceback.format_exc(limit=3)})
                continue
            seconds = time.perf_counter() - job_start
            longest = max(longest, seconds) if not stored else longest
            jobs.append({**job, "status": "stored" if stored else "ok", "seconds": round(seconds, 2)})
            for r in ran:
                rate, accuracy = images_per_s(r), r.get("test_accuracy")
                rate = "n/a" if rate is None else f"{rate:.0f}"
                accuracy = r.get("status", "failed") if accuracy is None else f"{accuracy:.4f}"
                print(
                    f"{noise:<9} {seed:>4} {r['method']:<9} {r['epochs']:>6} {r.get('wall_time_s') or math.nan:>7.1f} "
                    f"{rate:>9} {accuracy:>8}" + ("  (stored)" if stored else ""),
                    flush=True,
                )
            records += ran
    return records, jobs


def summary_rows(records):
    """``[{"noise", "method", "mean", "std", "n", "images_per_s"}]``: test accuracy (%) over seeds, mean images/s."""
    stats = summarize(records) if records else {}
    rows = []
    for (method, noise), (mean, std, n) in stats.items():
        rates = [images_per_s(r) for r in records if r["method"] == method and r["noise"] == noise]
        rates = [rate for rate in rates if rate is not None]
        std = None if math.isnan(std) else std
        rate = float(np.mean(rates)) if rates else None
        rows.append({"noise": noise, "method": method, "mean": mean, "std": std, "n": n, "images_per_s": rate})
    order = {m: k for k, m in enumerate(METHODS)}
    return sorted(rows, key=lambda row: (row["noise"], order.get(row["method"], len(order))))


def print_summary(rows):
    print(f"\n{'label set':<9} {'method':<9} {'test accuracy (%)':>18} {'seeds':>5} {'images/s':>9}")
    for row in rows:
        std = "n/a" if row["std"] is None else f"{row['std']:.2f}"
        rate = "n/a" if row["images_per_s"] is None else f"{row['images_per_s']:.0f}"
        print(f"{row['noise']:<9} {row['method']:<9} {row['mean']:>9.2f} ± {std:<6} {row['n']:>5} {rate:>9}")


def run_environment(device):
    """The machine of the check (:func:`lnc.experiments.loop.environment`), its device and data folder, and the
    GPU's properties on CUDA."""
    info = {
        **environment(),
        "device": str(device),
        "data_dir": str(datasets.data_dir()),
    }
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        info |= {
            "gpu": props.name,
            "gpu_memory_gib": round(props.total_memory / 2**30, 1),
            "capability": list(torch.cuda.get_device_capability(device)),
            "cuda_version": torch.version.cuda,
            "cudnn_version": torch.backends.cudnn.version(),
            "bf16_supported": torch.cuda.is_bf16_supported(),
        }
    return info


def main(argv=None):
    """Run the check; return the exit status (1 when a smoke item or a job failed)."""
    start = time.perf_counter()
    args = parse_args(argv)
    device = resolve_device(args.device)
    info = run_environment(device)
    print(", ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    smoke = run_smoke(smoke_items(device, 4 if args.tiny else 8, args.tiny), device)
    failed = [s["item"] for s in smoke if not s["ok"]]
    print(f"smoke test: {len(smoke) - len(failed)} of {len(smoke)} ok" + (f"; FAILED: {failed}" if failed else ""))
    records, jobs, rows = [], [], []
    if not args.smoke_only:
        options = dict(
            protocol="fast",
            methods=METHODS,
            epochs=TINY["epochs"] if args.tiny else None,
            subset=TINY["subset"] if args.tiny else None,
            device=device,
            results_dir=args.results_dir,
            progress=False,
        )
        run = protocol.describe_run(TASK, "fast", epochs=options["epochs"], subset=options["subset"], device=device)
        print(f"\n{run}")
        records, jobs = run_jobs(args, options, start)
        rows = summary_rows(records)
        print_summary(rows)
    total = time.perf_counter() - start
    bad_jobs = [job for job in jobs if job["status"] == "failed"]
    skipped = [job for job in jobs if job["status"] == "skipped"]
    print(
        f"\ntotal {total:.0f} s; smoke failures {len(failed)}, failed jobs {len(bad_jobs)}, "
        f"jobs skipped for the budget {len(skipped)}"
    )
    out = Path(args.out) if args.out else Path(args.results_dir).with_name(Path(args.results_dir).name + "_check.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    summary = {
        "environment": info,
        "argv": sys.argv[1:] if argv is None else list(argv),
        "total_s": round(total, 1),
        "smoke": smoke,
        "jobs": jobs,
        "summary": rows,
        "records": records,
    }
    out.write_text(json.dumps(summary, indent=1, allow_nan=False, default=str) + "\n")
    print(f"summary written to {out}")
    return 1 if failed or bad_jobs else 0


if __name__ == "__main__":
    sys.exit(main())
