"""One training step of the paper's MNIST net (forward, loss, backward, Adagrad) with each loss, against the same
step with ``F.cross_entropy``, in interleaved rounds (so drifts of the machine hit every loss alike).

Batch 128, 2 torch threads, c = 10 and c = 100 (the net's last layer widened). "log-space formula" is the
forward correction's log-space formula alone, without checks (what ``ForwardCorrectedLoss`` computed before
its short route). Prints the median µs per step over
the rounds and its ratio to cross-entropy. Run: ``python benchmarks/step.py``.
"""

import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F
from _timing import log_space_formula

import lnc
from lnc.experiments import models


def stepper(loss_fn, c, seed=0):
    torch.manual_seed(seed)
    model = models.mnist_fc(num_classes=c)
    optimizer = torch.optim.Adagrad(model.parameters(), lr=0.01)
    x = torch.randn(128, 784, generator=torch.Generator().manual_seed(seed))
    y = torch.randint(0, c, (128,), generator=torch.Generator().manual_seed(seed))

    def step():
        loss = loss_fn(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step


def main(rounds=15, steps=100):
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, MNIST net, batch 128, {rounds} rounds")
    print(f"{'c':>4} {'loss':<22} {'µs/step':>8} {'ratio to CE':>12}")
    for c in (10, 100):
        rng = np.random.default_rng(0)
        T = 0.6 * np.eye(c) + 0.4 * rng.dirichlet(np.ones(c), size=c)
        losses = {
            "F.cross_entropy": F.cross_entropy,
            "log-space formula": log_space_formula(T),
            "ForwardCorrectedLoss": lnc.ForwardCorrectedLoss(T),
            "BackwardCorrectedLoss": lnc.BackwardCorrectedLoss(T),
        }
        steps_of = {name: stepper(fn, c) for name, fn in losses.items()}
        times = {name: [] for name in losses}
        for step in steps_of.values():
            step()  # warm-up
        for _ in range(rounds):
            for name, step in steps_of.items():
                start = time.perf_counter()
                for _ in range(steps):
                    step()
                times[name].append((time.perf_counter() - start) / steps)
        base = statistics.median(times["F.cross_entropy"])
        for name, ts in times.items():
            print(f"{c:>4} {name:<22} {1e6 * statistics.median(ts):8.1f} {statistics.median(ts) / base:12.2f}")


if __name__ == "__main__":
    main()
