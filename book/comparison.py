# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# (ch-comparison)=
# # Our numbers against the published ones
#
# This chapter trains nothing: it reads the JSON records that the experiment chapters saved under `results/`
# and sets them beside the published numbers of `lnc.experiments.published`. Every number keeps its protocol next to it,
# because most gaps below are gaps of protocol (model size, epochs, training-set size, model selection), not of
# method. Re-running a chapter with other parameters rewrites its records; re-execute this chapter after it.

# %% tags=["parameters"]
results_root = None  # a folder of the chapters' record folders; None = this repository's results/

# %%
from pathlib import Path

import lnc
from lnc.experiments import published
from lnc.experiments.results import (comparison_table, correction_table, gain_table, load_records,
                                     run_summary)

root = Path(results_root) if results_root else Path(lnc.__file__).resolve().parents[1] / "results"
records = {name: load_records(root / name) for name in ("mnist", "imdb", "cifar10", "cifarn")}
if not any(records.values()):
    raise ValueError(f"results_root must hold the chapters' record folders, found no record under {root}")
for name, runs in records.items():
    print(run_summary(runs) if runs else f"{name}: no records under {root / name}")

# %% [markdown]
# ## The paper's main table
#
# The paper's table of test accuracies (MNIST, IMDB, CIFAR-10, CIFAR-100 × methods × noise) could not be
# obtained offline, and no later paper re-quotes it (`shared/reference/paper_tables.md`). We therefore test its
# three qualitative claims on our runs instead of its values:
#
# 1. forward correction with $\hat T$ is usually the best method or close to the $T$-known variant;
# 2. backward correction is less stable ($T^{-1}$ is ill-conditioned, the loss unbounded below);
# 3. on CIFAR-100 the estimator is poor and the $\hat T$ corrections under-perform (not testable here: no
#    CIFAR-100 images in the data folder).
#
# For each data set and noise setting: test accuracy (%) of CE, of forward / backward with $T$ and with $\hat T$
# (mean over seeds), the gap forward($\hat T$) − forward($T$), and the seed std of backward($\hat T$).

# %%
columns = ["ce", "forward", "forward_est", "backward", "backward_est"]
synthetic = [r for name in ("mnist", "imdb", "cifar10") for r in records[name]]
print(correction_table(synthetic, methods=columns))

# %% [markdown]
# What the table says about the three claims (every number has the protocol of its chapter, printed above):
#
# 1. **Forward with $\hat T$ close to forward with $T$: holds where the estimator's assumption holds and the CE
#    model is good.** The gap is within 0.2 points on MNIST in every setting but asymmetric 0.6 (−35.4: the
#    column maxima of $T$ leave the diagonal), and within 0.5 on IMDB at $N = 0.2$ (−9.7 at symmetric 0.6, the
#    same failure). It fails on the reduced CIFAR-10 runs (−6 / −7 points), where the assumption holds but a
#    55%-accurate CE model gives $\hat T$ errors of 0.38 to 0.55.
# 2. **Backward less stable: holds on MNIST and CIFAR, not on IMDB.** On MNIST backward with $T$ is below
#    forward with $T$ in every noisy setting and backward with $\hat T$ spreads over seeds (± 2.4 to 5.1); on
#    CIFAR-10 and CIFAR-10N backward with $\hat T$ collapses to chance. On the binary IMDB task, where $T^{-1}$
#    is well conditioned, backward with $T$ is the best method in three of the four noisy columns.
# 3. **CIFAR-100: not tested** (no CIFAR-100 images here; {ref}`ch-cifar` gives the command). The reduced
#    CIFAR-10 runs already show the $\hat T$ corrections under-performing when the CE model is weak.

# %% [markdown]
# ## CIFAR-10N: our runs beside the CIFAR-N benchmark
#
# Published: `lnc.experiments.published.CIFARN` {cite}`wei2022`: ResNet-34, 100 epochs, all 50,000 images, mean ±
# std over 5 seeds, and **the best test accuracy over epochs**, i.e. the model is selected on the test set.
# Ours: the stored run of {ref}`ch-cifarn` (ResNet-8, 15 epochs, 9,000 training images, one seed, the epoch
# with the lowest *noisy-validation* loss; the test set is read once). "forward" / "backward" use the true
# human $T$; the benchmark's "Forward-T" / "Backward-T" do not say whether their $T$ was estimated or the true
# one, so both of our variants are listed.

# %%
label_sets = ["aggre", "random1", "random2", "random3", "worst", "cifar100n"]
print(comparison_table(records["cifarn"], published.CIFARN, methods=columns, settings=label_sets))

# %% [markdown]
# Absolute accuracies differ by the protocol. What a correction *adds* over CE is closer to comparable: the gain
# of forward correction (true $T$ and $\hat T$) over CE, ours beside the benchmark's.

# %%
print(gain_table(records["cifarn"], published.CIFARN, label_sets, digits=2))

# %% [markdown]
# Every gap, honestly:
#
# - **Absolute accuracy: 22 to 26 points below the benchmark for every method.** That is the protocol, not the
#   method: ResNet-8 against a 21M-parameter ResNet-34, 15 against 100 epochs, 9,000 against 50,000 training
#   images, and one seed. The benchmark also reports the best *test* epoch, which is optimistic; ours is the
#   epoch of lowest noisy-validation loss, read once on the test set.
# - **Gain of forward correction with the true $T$ over CE: same sign, smaller** (+1.1 / +0.1 / +0.5 against
#   +0.47 / +1.86 / +2.10 at aggre / random1 / worst). A network trained for 15 epochs has barely begun to fit
#   the wrong labels, the thing a correction prevents, so there is less to gain; one seed cannot resolve
#   differences of this size either.
# - **Backward with the true $T$**: within 0.7 points of CE at aggre / random1 but 4.2 below it at worst, where
#   the benchmark has it level with CE (77.6 against 77.7).
# - **With $\hat T$ both corrections fall below CE** (forward −0.9 to −4.7, backward at chance): our $\hat T$ comes
#   from a weak CE model (error 0.42 to 0.43, {ref}`ch-cifarn`). Whether the benchmark's "Forward-T" used the
#   true or an estimated $T$ cannot be settled from these reduced runs; `protocol="paper"` on a GPU can.
# - random2, random3 and CIFAR-100N have no run of ours (CPU time; no CIFAR-100 images).

# %% [markdown]
# ## Clothing1M and mini-WebVision: published, not run here
#
# The published numbers (`lnc.experiments.published`): Clothing1M from the paper's own table (ResNet-50 from ImageNet
# weights, 1M noisy web images, 14 classes); mini-WebVision (first 50 classes of WebVision 1.0) from later
# papers that ran the forward correction with Inception-ResNet-v2.

# %%
print("Clothing1M, test accuracy (%)")
for name, (mean, _) in published.CLOTHING1M.items():
    print(f"  {name:58s}{mean:6.2f}")
print("mini-WebVision, forward correction, accuracy (%)")
for name, (mean, _) in published.MINI_WEBVISION["forward_est"].items():
    print(f"  {name:58s}{mean:6.2f}")

# %% [markdown]
# Why they are not run in this book:
#
# - **Data.** Clothing1M {cite}`xiao2015` is released on request by its authors; WebVision 1.0 is a
#   download of over 100 GB. Neither is in this repository's data folder, and this machine has no internet.
#   `lnc.experiments.web.load_clothing1m` / `load_webvision` read the official folder layouts wherever they exist.
# - **Compute.** One ResNet-50 training step costs about 12 GFLOP per 224 × 224 image (forward and backward):
#   one epoch over Clothing1M's 1M images is about $1.2 \times 10^{16}$ FLOP, more than a day on the 2-core
#   CPU of the stored runs, and the protocol needs three trainings (CE, then backward and forward with $\hat T$).
# - **Weights.** The paper starts from ImageNet weights, which cannot be downloaded here; `lnc.experiments.models.resnet50`
#   has torchvision's parameter names, so torchvision's file (`resnet50-0676ba61.pth`) loads as it is.
#
# Where the data exist, on a GPU, `lnc.experiments.web` runs the same two-stage protocol (CE → $\hat T$ from the CE
# posteriors on the training images → backward / forward with $\hat T$; model selection on a 10,000-image
# hold-out of the *noisy* training list; SGD lr 0.002, momentum 0.9, weight decay 1e-3, batch 64, 10 epochs,
# lr / 10 after epoch 5: our settings, since the paper gives no Clothing1M schedule):
#
# ```
# python -m lnc.experiments.web clothing1m --root /data/Clothing1M --pretrained resnet50-0676ba61.pth \
#   --device cuda --results-dir results/clothing1m
# python -m lnc.experiments.web webvision --root /data/WebVision --device cuda --results-dir results/webvision
# ```
#
# Two differences from the published rows remain and must be stated with any result: the paper's best
# Clothing1M number (80.38) fine-tunes the forward-corrected model on the 50k clean images, a step
# `lnc.experiments.web` does not take; and the mini-WebVision rows use Inception-ResNet-v2, not a ResNet-50, so only
# the gain of the correction over CE is comparable, not the accuracy itself.
