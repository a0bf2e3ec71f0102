"""One MNIST epoch through ``protocol.train`` against a hand-written loop doing the same work.

Both sides: the paper's MNIST net (``models.mnist_fc``), Adagrad lr 0.01, batch 128, CE, the 54,000 noisy
training images in a seeded random order, converted from the uint8 arrays to float tensors, then the work of
model selection (the loss and accuracy on the 6,000 validation images, a copy of the weights as the best epoch,
restored at the end) and one pass over the 10,000 test images. So the ratio is the cost of ``train`` itself
(checks, the record, the shared epoch loop), not of work the bare loop skips.
Run: ``LNC_DATA_DIR=... python benchmarks/training.py``.
"""

import copy

import numpy as np
import torch
import torch.nn.functional as F
from _timing import best_time

from lnc.experiments import datasets, models, protocol, recipes
from lnc.losses import make_loss


def bare_train(splits, loss_fn, seed=0):
    """What ``train`` does for one epoch, written plainly."""
    x_train, x_val, x_test = (
        torch.as_tensor(x, dtype=torch.float32).div_(255.0) for x in (splits.x_train, splits.x_val, splits.x_test)
    )
    y_train, y_val, y_test = (
        torch.as_tensor(y, dtype=torch.long) for y in (splits.y_train, splits.y_val, splits.y_test)
    )
    torch.manual_seed(seed)
    model = models.mnist_fc()
    optimizer = torch.optim.Adagrad(model.parameters(), lr=0.01)
    order = torch.randperm(len(y_train), generator=torch.Generator().manual_seed(seed))
    model.train()
    for start in range(0, len(y_train), 128):
        idx = order[start : start + 128]
        loss = loss_fn(model(x_train[idx]), y_train[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        logits = model(x_val)
        val_loss, val_accuracy = loss_fn(logits, y_val).item(), (logits.argmax(1) == y_val).float().mean().item()
        best = copy.deepcopy(model.state_dict())
        model.load_state_dict(best)
        test_accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    return val_loss, val_accuracy, test_accuracy


def main():
    mnist = datasets.load_mnist()
    splits = datasets.noisy_splits(mnist, mnist.y_train, seed=0)
    recipe = recipes.get_recipe("mnist")
    T = 0.8 * np.eye(10) + 0.02
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; {len(splits.y_train)} training images, "
        f"{len(splits.y_val)} validation, {len(splits.y_test)} test, batch {recipe.batch_size}, one epoch"
    )
    print(f"{'loss':<10} {'bare s':>7} {'train s':>8} {'ratio':>6}")
    for name, loss_fn, kwargs in (("ce", F.cross_entropy, {}), ("forward", make_loss("forward", T), {"T": T})):
        base = best_time(lambda: bare_train(splits, loss_fn), repeats=5)
        ours = best_time(
            lambda: protocol.train(splits, name, recipe, epochs=1, device="cpu", progress=False, **kwargs), repeats=5
        )
        print(f"{name:<10} {base:7.3f} {ours:8.3f} {ours / base:6.2f}")


if __name__ == "__main__":
    main()
