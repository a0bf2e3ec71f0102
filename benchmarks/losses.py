"""Forward + backward pass of the loss alone, batch 128: lnc's corrected losses against F.cross_entropy.

Run: ``python benchmarks/losses.py``. Prints µs per step and the ratio to cross-entropy (goal <= 1.05).
"""

import numpy as np
import torch
import torch.nn.functional as F

import lnc
from _timing import best_time


def step(loss_fn, logits, targets):
    def run():
        logits.grad = None
        loss_fn(logits, targets).backward()
    return run


def main(batch=128, number=2000):
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {batch}, float32, CPU")
    print(f"{'c':>4} {'loss':<22} {'µs/step':>8} {'ratio to CE':>12}")
    for c in (10, 100):
        rng = np.random.default_rng(0)
        T = 0.6 * np.eye(c) + 0.4 * rng.dirichlet(np.ones(c), size=c)
        logits = torch.randn(batch, c, requires_grad=True)
        targets = torch.randint(0, c, (batch,))
        base = best_time(step(F.cross_entropy, logits, targets), number=number)
        print(f"{c:>4} {'F.cross_entropy':<22} {1e6 * base:8.1f} {1.0:12.2f}")
        for name, loss_fn in (("ForwardCorrectedLoss", lnc.ForwardCorrectedLoss(T)),
                              ("BackwardCorrectedLoss", lnc.BackwardCorrectedLoss(T)),
                              ("forward_loss", lambda x, y: lnc.forward_loss(x, y, T)),
                              ("backward_loss", lambda x, y: lnc.backward_loss(x, y, T))):
            t = best_time(step(loss_fn, logits, targets), number=number)
            print(f"{c:>4} {name:<22} {1e6 * t:8.1f} {t / base:12.2f}")


if __name__ == "__main__":
    main()
