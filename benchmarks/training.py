"""One epoch of the paper's MNIST net through ``lnc.training`` against a bare hand-written loop.

Both: the same network (``lnc.models.mnist_fc``), Adagrad lr 0.01, batch 128, CE, the same 54,000 in-memory
training images in a seeded random order. ``lnc``'s epoch also evaluates the 6,000 validation images (its model
selection), so that is part of its cost. Run: ``LNC_DATA_DIR=... python benchmarks/training.py``.
"""

import numpy as np
import torch
import torch.nn.functional as F

from _timing import best_time
from lnc import data, models, training


def bare_epoch(x, y, seed=0):
    torch.manual_seed(seed)
    model = models.mnist_fc()
    optimizer = torch.optim.Adagrad(model.parameters(), lr=0.01)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    model.train()
    for start in range(0, len(y), 128):
        idx = order[start:start + 128]
        loss = F.cross_entropy(model(x[idx]), y[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()


def main():
    mnist = data.load_mnist()
    splits = data.noisy_splits(mnist, mnist.y_train, seed=0)
    recipe = training.get_recipe("mnist")
    tensors = training.prepare(splits, recipe, torch.device("cpu"))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {len(splits.y_train)} training images, "
          f"{len(splits.y_val)} validation, batch {recipe.batch_size}")
    base = best_time(lambda: bare_epoch(tensors.x_train, tensors.y_train), repeats=5)
    ours = best_time(lambda: training.train(splits, "ce", recipe, epochs=1, device="cpu", progress=False), repeats=5)
    fwd_T = 0.8 * np.eye(10) + 0.02
    ours_fwd = best_time(lambda: training.train(splits, "forward", recipe, T=fwd_T, epochs=1, device="cpu",
                                                progress=False), repeats=5)
    print(f"{'loop':<40} {'s/epoch':>8} {'ratio':>6}")
    for name, t in (("bare loop, F.cross_entropy", base), ("lnc.training.train, ce", ours),
                    ("lnc.training.train, forward (T)", ours_fwd)):
        print(f"{name:<40} {t:8.3f} {t / base:6.2f}")


if __name__ == "__main__":
    main()
