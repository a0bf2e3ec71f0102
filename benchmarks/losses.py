"""Forward + backward pass of the loss alone: lnc's corrected losses against F.cross_entropy.

Batch 128 (the paper's) and 4096 (where arithmetic, not per-operation overhead, dominates).
"log-space formula": the forward correction's log-space formula alone, without checks.
Run: ``python benchmarks/losses.py``. Prints µs per step and the ratio to cross-entropy.
"""

import numpy as np
import torch
import torch.nn.functional as F
from _timing import best_time, log_space_formula

import lnc


def step(loss_fn, logits, targets):
    def run():
        logits.grad = None
        loss_fn(logits, targets).backward()

    return run


def main(number=1000):
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, float32, CPU")
    print(f"{'batch':>5} {'c':>4} {'loss':<22} {'µs/step':>8} {'ratio to CE':>12}")
    for batch, c in ((128, 10), (128, 100), (4096, 10), (4096, 100)):
        rng = np.random.default_rng(0)
        T = 0.6 * np.eye(c) + 0.4 * rng.dirichlet(np.ones(c), size=c)
        logits = torch.randn(batch, c, requires_grad=True)
        targets = torch.randint(0, c, (batch,))
        base = best_time(step(F.cross_entropy, logits, targets), number=number)
        print(f"{batch:>5} {c:>4} {'F.cross_entropy':<22} {1e6 * base:8.1f} {1.0:12.2f}")
        for name, loss_fn in (
            ("log-space formula", log_space_formula(T)),
            ("ForwardCorrectedLoss", lnc.ForwardCorrectedLoss(T)),
            ("BackwardCorrectedLoss", lnc.BackwardCorrectedLoss(T)),
            ("forward_loss", lambda x, y: lnc.forward_loss(x, y, T)),
            ("backward_loss", lambda x, y: lnc.backward_loss(x, y, T)),
        ):
            t = best_time(step(loss_fn, logits, targets), number=number)
            print(f"{batch:>5} {c:>4} {name:<22} {1e6 * t:8.1f} {t / base:12.2f}")


if __name__ == "__main__":
    main()
