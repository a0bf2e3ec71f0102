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

# %% [markdown] papermill={"duration": 0.012318, "end_time": "2026-12-08T05:06:53.952056+00:00", "exception": false, "start_time": "2026-12-08T05:06:53.939738+00:00", "status": "completed"}
# (ch-cifarn)=
# # CIFAR-10N and CIFAR-100N: Human Label Noise and the Estimator Against the True T
#
# The other experiment chapters corrupt clean labels with a noise model of our choosing, so the noise
# is exactly the class-conditional kind that loss correction assumes. CIFAR-10N and CIFAR-100N
# {cite}`wei2022` are different: every CIFAR training image was labelled again by people, and the noise
# is theirs. It need not be class-conditional (a blurry cat is mislabelled more often than a sharp one),
# but because the clean labels are known too, its $T$ can be measured: $T_{ij}$ is the fraction of
# training images of clean class $i$ that received human label $j$
# (`lnc.experiments.datasets.cifarn_T`).
#
# Two questions follow: do the corrections help when given this true human $T$, and how far does the
# estimator's $\hat T$ land from it? The second is a comparison the CIFAR-N benchmark does not publish.
# This chapter runs the two-stage protocol (`lnc.experiments.protocol.run_grid`) on CIFAR-10N label sets
# and reads its records.
#
# After this chapter you can
#
# - read a human transition matrix and check the estimator's anchor assumption on it;
# - separate the error of $\hat T$ that comes from the sample from the error the estimator adds;
# - compare a run with the CIFAR-N benchmark while keeping the two protocols apart.
#
# ````{admonition} Parameters of this chapter
# :class: dropdown note
#
# | parameter | meaning | stored run |
# |---|---|---|
# | `dataset` | `"cifar10n"` or `"cifar100n"` (CIFAR-100 images: download only) | `"cifar10n"` |
# | `noise` | label sets: `"aggre"`, `"random1"`, `"random2"`, `"random3"`, `"worst"`, `"cifar100n"` | aggre, random1, random2, worst |
# | `methods` | losses (`protocol.METHODS`) | CE, forward and backward with the true $T$ |
# | `seeds` | one run per seed (split, subset, initialisation, batch order; the labels are fixed) | `[0, 1, 2]` |
# | `protocol` | a recipe per task: paper (the benchmark's optimiser), cpu, fast, fast2 ({ref}`sec-recipes`) | `"fast2"` |
# | `epochs`, `subset` | overrides (`None` = the protocol's, all) | `None`, `None` |
# | `device`, `workers` | `"auto"`, worker processes (one per label set) | `"auto"`, `1` |
# | `results_dir` | where the JSON records go | `"results/cifarn_fast2"` |
#
# `selection` is how each training keeps its epoch on the noisy validation split: `"val_loss"` (its own
# loss, the paper's choice) or `"val_accuracy"` (the same for every method, the stored run's;
# {ref}`sec-model-selection`). `extend_results=True` lets a run add records to a folder of stored runs.
# `clip_norm_path` holds the measurements of `benchmarks/clip_norm.py` that {ref}`cifarn-clipping` shows;
# `epochs_dir` the runs of this protocol with another epoch count (`tools/run_grid.py --epochs`) that
# {ref}`cifarn-epochs` compares (a folder that does not exist: none).
#
# The stored run grows across seeds and label sets with `tools/run_grid.py` (the command is in its
# documentation); the parameters above name the part of it that has run.
#
# The benchmark's settings run on a GPU:
#
# ```
# python tools/run_chapter.py cifarn out.ipynb -p results_dir runs/cifarn \
#   -p protocol paper -p subset None -y "seeds: [0, 1, 2, 3, 4]" \
#   -y "noise: [aggre, random1, random2, random3, worst]"
# python tools/run_chapter.py cifarn out.ipynb -p results_dir runs/cifar100n \
#   -p dataset cifar100n -p protocol paper -p subset None -y "noise: [cifar100n]"
# ```
# ````

# %% papermill={"duration": 0.035972, "end_time": "2026-12-08T05:06:53.998799+00:00", "exception": false, "start_time": "2026-12-08T05:06:53.962827+00:00", "status": "completed"} tags=["parameters", "hide-input"]
dataset = "cifar10n"
noise = ["aggre", "random1", "random2", "worst"]
methods = ["ce", "forward", "backward"]
seeds = [0, 1, 2]
protocol = "fast2"
epochs = None
subset = None
device = "auto"
workers = 1
results_dir = "results/cifarn_fast2"
extend_results = False
selection = "val_accuracy"
clip_norm_path = "results/clip_norm.jsonl"
epochs_dir = "results/cifarn_epochs"

# %% papermill={"duration": 3.461923, "end_time": "2026-12-08T05:06:57.469687+00:00", "exception": false, "start_time": "2026-12-08T05:06:54.007764+00:00", "status": "completed"} tags=["hide-input"]
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from myst_nb import glue

from lnc import condition_number, estimation_error
from lnc.book.display import plain_warnings
from lnc.book.plots import show_T, training_curves
from lnc.estimation import anchor_columns
from lnc.metrics import flip_rate
from lnc.experiments import published
from lnc.experiments.datasets import (CIFAR10_CLASSES, CIFARN_LABEL_SETS, cifarn_T,
                                      load_cifar10, load_cifar100, load_cifarn_labels)
from lnc.experiments.protocol import (check_grid, noise_settings, posterior_estimates,
                                     run_grid)
from lnc.experiments.recipes import get_recipe
from lnc.experiments.records import IDENTITY_DEFAULTS, load_records
from lnc.experiments.prose import (SELECTION_TEXT, count_of, listing, run_summary,
                                   shown_run, span, verdict)
from lnc.experiments.results import (cpu_minutes, estimator_stats, paired_differences,
                                     setting, summarize)
from lnc.experiments.tables import (accuracy_tables, backward_table, clip_table,
                                    comparison_table, epochs_table, estimation_table,
                                    estimator_table, paired_table, selection_table)

plain_warnings()  # warnings print without this checkout's file paths

settings = noise_settings(noise, [])
# every parameter is checked before any training
configs = check_grid(dataset, settings, seeds=seeds, methods=methods,
                     protocol=protocol, epochs=epochs, subset=subset, device=device,
                     results_dir=results_dir, extend=extend_results,
                     selection=selection)

# %% [markdown] papermill={"duration": 0.004833, "end_time": "2026-12-08T05:06:57.482223+00:00", "exception": false, "start_time": "2026-12-08T05:06:57.477390+00:00", "status": "completed"}
# ## The human transition matrices
#
# Every label set, from its labels alone (all 50,000 training images): the fraction of wrong labels, the
# smallest diagonal entry of $T$, the largest off-diagonal one, whether every column of $T$ has its
# maximum on the diagonal (the estimator's anchor assumption $T_{ii} > T_{ki}$, {ref}`ch-estimation`),
# and $\operatorname{cond}(T)$. {numref}`fig-cifarn-human-T` shows four of the matrices.

# %% papermill={"duration": 1.541124, "end_time": "2026-12-08T05:06:59.028314+00:00", "exception": false, "start_time": "2026-12-08T05:06:57.487190+00:00", "status": "completed"} tags=["hide-input"]
human = {}
for name in CIFARN_LABEL_SETS:
    clean, noisy = load_cifarn_labels(name)
    T = cifarn_T(name)
    human[name] = {
        "wrong labels (%)": 100 * np.mean(clean != noisy),
        "min T_ii": T.diagonal().min(),
        "max T_ij, i ≠ j": (T - np.diag(np.diag(T))).max(),
        "anchors hold": bool(anchor_columns(T).all()),
        "cond(T)": condition_number(T),
    }
human = pd.DataFrame(human).T.rename_axis("label set")
formats = {"wrong labels (%)": "{:.1f}", "min T_ii": "{:.3f}",
           "max T_ij, i ≠ j": "{:.3f}", "cond(T)": "{:.2f}"}
display(human.style.set_uuid("cifarn-human").format(formats))

shown_T = ["aggre", "random1", "worst", "cifar100n"]
fig, axes = plt.subplots(2, 2, figsize=(10, 9.4))
for ax, name in zip(axes.flat, shown_T):
    T = cifarn_T(name)
    fig.colorbar(show_T(ax, T, f"true human $T$: {name}"), ax=ax)
    if len(T) == 10:
        ax.set_xticks(range(10), CIFAR10_CLASSES, rotation=90, fontsize=9)
        ax.set_yticks(range(10), CIFAR10_CLASSES, fontsize=9)
fig.tight_layout()
glue("fig-cifarn-human-T", fig, display=False)
plt.close(fig)

# %% [markdown] papermill={"duration": 0.006162, "end_time": "2026-12-08T05:06:59.048597+00:00", "exception": false, "start_time": "2026-12-08T05:06:59.042435+00:00", "status": "completed"}
# ```{glue:figure} fig-cifarn-human-T
# :name: fig-cifarn-human-T
#
# The true human $T$ of three CIFAR-10N label sets and of CIFAR-100N, on one colour scale. Look at the
# off-diagonal cells, the pairs of classes people confuse, and compare `aggre` (the majority vote of
# the annotators) with `worst`.
# ```

# %% [markdown] papermill={"duration": 0.005793, "end_time": "2026-12-08T05:06:59.060022+00:00", "exception": false, "start_time": "2026-12-08T05:06:59.054229+00:00", "status": "completed"}
# ## The run
#
# Every training of the grid (label set × seed × method) runs once and saves a JSON record; with
# `results_dir` set, a record already there is read instead of re-trained. What follows comes from these
# records:
#
# ````{admonition} Quick run
# :class: tip
#
# On a laptop, `-p protocol cpu -p subset 10000 -p selection val_loss -p results_dir runs/cifarn` runs the
# same chapter with a ResNet-8 on 10,000 training images in minutes. Such a run checks the code, not the
# method: its CE network is too weak for its $\hat T$ to be trusted, so no verdict of this book rests on it.
# ````

# %% papermill={"duration": 0.097456, "end_time": "2026-12-08T05:06:59.163419+00:00", "exception": false, "start_time": "2026-12-08T05:06:59.065963+00:00", "status": "completed"}
records = run_grid(dataset, settings, seeds=seeds, workers=workers, methods=methods,
                   protocol=protocol, epochs=epochs, subset=subset, device=device,
                   results_dir=results_dir, extend=extend_results,
                   selection=selection)
ok = [r for r in records if r.get("status", "ok") == "ok"]

# %% papermill={"duration": 0.034415, "end_time": "2026-12-08T05:06:59.207712+00:00", "exception": false, "start_time": "2026-12-08T05:06:59.173297+00:00", "status": "completed"} tags=["hide-input"]
paper = get_recipe(dataset, "paper")
benchmark = (" These are the optimiser settings of the CIFAR-N benchmark"
             " {cite}`wei2022`, whose own code trains a standard (post-activation)"
             " ResNet-34.")
display(Markdown(shown_run(records, paper, "the benchmark’s") + benchmark))
glue("cifarn-selection", SELECTION_TEXT[selection], display=False)

# %% [markdown] papermill={"duration": 0.009518, "end_time": "2026-12-08T05:06:59.226849+00:00", "exception": false, "start_time": "2026-12-08T05:06:59.217331+00:00", "status": "completed"}
# ## Test accuracy
#
# Clean test accuracy (%) of the epoch that model selection kept ({glue:text}`cifarn-selection`), mean ±
# standard deviation over the seeds (no ± with one seed). "backward" and "forward" use the true human $T$; "backward_est" and
# "forward_est" the $\hat T$ estimated from the CE run of the same label set and seed.

# %% papermill={"duration": 0.031514, "end_time": "2026-12-08T05:06:59.267806+00:00", "exception": false, "start_time": "2026-12-08T05:06:59.236292+00:00", "status": "completed"}
for heading, table in accuracy_tables(records, methods=methods, columns=5):
    display(Markdown(f"**{heading}**"), table)

# %% [markdown] papermill={"duration": 0.009878, "end_time": "2026-12-08T05:06:59.288134+00:00", "exception": false, "start_time": "2026-12-08T05:06:59.278256+00:00", "status": "completed"}
# ## Training curves
#
# Each record keeps, per epoch, the training loss and the loss and accuracy on the *noisy* validation
# split ({numref}`fig-cifarn-curves`). The training loss is the method's own: a corrected loss is not
# comparable with CE in value, and a backward-corrected one can be negative.

# %% papermill={"duration": 1.540875, "end_time": "2026-12-08T05:07:00.840171+00:00", "exception": false, "start_time": "2026-12-08T05:06:59.299296+00:00", "status": "completed"} tags=["hide-input"]
runs = [r for r in ok if r["seed"] == ok[0]["seed"] and "curves" in r]
keys = list(dict.fromkeys(setting(r) for r in runs))
fig = training_curves(runs, key=setting)
glue("fig-cifarn-curves", fig, display=False)
plt.close(fig)

# %% [markdown] papermill={"duration": 0.009917, "end_time": "2026-12-08T05:07:00.860481+00:00", "exception": false, "start_time": "2026-12-08T05:07:00.850564+00:00", "status": "completed"}
# ```{glue:figure} fig-cifarn-curves
# :name: fig-cifarn-curves
#
# Per epoch, for each label set (rows, first seed): accuracy on the noisy validation split (left) and the
# training loss on a symmetric-log scale (right; the grey line is zero). Look for a loss that crosses
# zero: that is a backward-corrected loss being driven towards $-\infty$.
# ```

# %% [markdown] papermill={"duration": 0.009009, "end_time": "2026-12-08T05:07:00.877957+00:00", "exception": false, "start_time": "2026-12-08T05:07:00.868948+00:00", "status": "completed"}
# ## $\hat T$ against the true human $T$
#
# Per label set: the relative $L_1$ error $\sum_{ij} |\hat T_{ij} - T_{ij}| / \sum_{ij} T_{ij}$, the
# condition number of $\hat T$ and the epoch model selection kept in the CE run.

# %% papermill={"duration": 0.024558, "end_time": "2026-12-08T05:07:00.912814+00:00", "exception": false, "start_time": "2026-12-08T05:07:00.888256+00:00", "status": "completed"}
display(estimation_table(records))

# %% [markdown] papermill={"duration": 0.009399, "end_time": "2026-12-08T05:07:00.933952+00:00", "exception": false, "start_time": "2026-12-08T05:07:00.924553+00:00", "status": "completed"}
# How much of that error would a perfect estimator still make? The run's training images are a sample:
# the *empirical* $T$ of their clean and human labels (which the estimator never sees; the record's
# `T_train`) already differs
# from $T$ of all 50,000 images. The first table sets that sampling error beside the error of $\hat T$
# (first seed); the second gives the $L_1$ error of each row of $\hat T$, one clean class a row.

# %% papermill={"duration": 0.534271, "end_time": "2026-12-08T05:07:01.482521+00:00", "exception": false, "start_time": "2026-12-08T05:07:00.948250+00:00", "status": "completed"} tags=["hide-input"]
ce_runs = [r for r in runs if r["method"] == "ce"]
images = load_cifar10() if dataset == "cifar10n" else load_cifar100()
errors, row_errors = {}, {}
for r in ce_runs:
    T, T_hat = np.array(r["T_true"]), np.array(r["T_hat"])
    own = r["T_train"]  # None where a class has no training image
    errors[r["noise"]] = {"T̂ error": estimation_error(T_hat, T),
                          "own-labels T error": np.nan if own is None
                          else estimation_error(np.array(own), T)}
    row_errors[r["noise"]] = np.abs(T_hat - T).sum(axis=1)
errors = pd.DataFrame(errors).T.rename_axis("label set")
display(errors.style.set_uuid("cifarn-errors").format("{:.3f}"))
row_errors = pd.DataFrame(row_errors,
                          index=pd.Index(images.class_names, name="clean class"))
if len(row_errors) > 10:  # CIFAR-100: the ten rows with the largest mean error
    row_errors = row_errors.loc[row_errors.mean(axis=1).nlargest(10).index]
display(row_errors.style.set_uuid("cifarn-rows").format("{:.2f}")
        .background_gradient(cmap="Reds", axis=None))

# %% papermill={"duration": 2.210332, "end_time": "2026-12-08T05:07:03.702118+00:00", "exception": false, "start_time": "2026-12-08T05:07:01.491786+00:00", "status": "completed"} tags=["hide-input"]
gap = max(np.abs(np.array(r["T_hat"]) - np.array(r["T_true"])).max() for r in ce_runs)
fig, axes = plt.subplots(len(ce_runs), 2, figsize=(10, 4.2 * len(ce_runs)),
                         squeeze=False)
for (ax_hat, ax_gap), r in zip(axes, ce_runs):
    T, T_hat = np.array(r["T_true"]), np.array(r["T_hat"])
    fig.colorbar(show_T(ax_hat, T_hat, rf"$\hat T$: {r['noise']}"), ax=ax_hat)
    fig.colorbar(show_T(ax_gap, T_hat - T, rf"$\hat T - T$: {r['noise']}", vmax=gap,
                        cmap="coolwarm"), ax=ax_gap)
    if len(T) <= 10:  # class names on the axes of a 10-class matrix
        for ax in (ax_hat, ax_gap):
            ax.set_xticks(range(len(T)), images.class_names, rotation=90, fontsize=9)
            ax.set_yticks(range(len(T)), images.class_names, fontsize=9)
fig.tight_layout()
glue("fig-cifarn-estimate", fig, display=False)
plt.close(fig)

# %% [markdown] papermill={"duration": 0.012886, "end_time": "2026-12-08T05:07:03.727284+00:00", "exception": false, "start_time": "2026-12-08T05:07:03.714398+00:00", "status": "completed"}
# ```{glue:figure} fig-cifarn-estimate
# :name: fig-cifarn-estimate
#
# The estimated $\hat T$ (left) and its error $\hat T - T$ against the true human $T$ (right, one colour
# scale for every row), per label set, first seed. Red cells are transitions $\hat T$ over-states, blue
# ones it under-states; compare the blue diagonal with the off-diagonal entries of
# {numref}`fig-cifarn-human-T`.
# ```

# %% [markdown] papermill={"duration": 0.009536, "end_time": "2026-12-08T05:07:03.747725+00:00", "exception": false, "start_time": "2026-12-08T05:07:03.738189+00:00", "status": "completed"}
# ## The backward corrections, epoch by epoch
#
# With the true $T$, the backward-corrected loss is an unbiased estimate of the clean loss ({ref}`ch-backward`),
# so on average it should do as well as CE. The inverse of the matrix it is given ($T$ or $\hat T$) has negative
# entries, so the loss rewards driving the probabilities of other classes towards 0 without limit: its
# training loss can cross zero, where a cross-entropy never goes, and keep falling. For each backward run:
# the condition number of the matrix used, the smallest entry of its inverse, the first epoch whose mean
# training loss is negative, the last epoch's training loss beside CE's on the same seed, the share of steps
# clipped where recorded, the epoch model selection kept out of the epochs run, the best noisy-validation
# accuracy over the epochs, and the test accuracy.

# %% papermill={"duration": 0.036425, "end_time": "2026-12-08T05:07:03.794249+00:00", "exception": false, "start_time": "2026-12-08T05:07:03.757824+00:00", "status": "completed"} tags=["hide-input"]
backward_runs = [r for r in ok if r["method"] in ("backward", "backward_est")]
if backward_runs:
    display(backward_table(ok))
    ce_of = {(r["noise"], r["seed"]): r for r in ok if r["method"] == "ce"}
    below = [r for r in backward_runs
             if np.nanmin(np.array(r["curves"]["train_loss"], dtype=float)) < 0]

    def best_val(r):
        return 100 * np.nanmax(np.array(r["curves"]["val_accuracy"], dtype=float))

    val_gap = {f"{r['method']} {r['noise']}, seed {r['seed']}":
               best_val(r) - best_val(ce) for r in backward_runs
               if (ce := ce_of.get((r["noise"], r["seed"])))}
    gaps_text = listing(f"{k}: {v:+.1f}" for k, v in val_gap.items())
    display(Markdown(
        f"**The backward training loss went below zero in {len(below)} of"
        f" {len(backward_runs)} runs.** Best noisy-validation accuracy minus CE's on"
        f" the same seed (points): {gaps_text}."
        " Forward's loss,"
        " $-\\log (T^\\top \\hat p)_{\\tilde y}$, is never negative: it trains on the"
        " same $T$ without this."))
else:
    display(Markdown("No backward run in this grid."))

# %% [markdown] papermill={"duration": 0.010841, "end_time": "2026-12-08T05:07:03.815669+00:00", "exception": false, "start_time": "2026-12-08T05:07:03.804828+00:00", "status": "completed"}
# ## What the run shows
#
# Each claim below is computed from the records and tables above and marked as holding or not, with its
# numbers.

# %% papermill={"duration": 0.053355, "end_time": "2026-12-08T05:07:03.879822+00:00", "exception": false, "start_time": "2026-12-08T05:07:03.826467+00:00", "status": "completed"} tags=["hide-input"]
near_chance = 5.0  # points above chance (100 / c %) that still count as "at chance"
estimator_share = 0.5  # "mostly the estimator's": own-labels error below this share
stats = summarize(ok)
n_classes = len(ok[0]["T_true"])
chance = 100 / n_classes
cond_T = {k: human.loc[k, "cond(T)"] for k in keys}


def acc(method, key, of=stats):
    """Mean test accuracy (%) of ``method`` on label set ``key`` in ``of``."""
    return of[method, key][0] if (method, key) in of else None


def gains(a, b, of=stats):
    """Per label set run with both methods: accuracy of ``a`` minus that of ``b``."""
    return {k: acc(a, k, of) - acc(b, k, of) for k in CIFARN_LABEL_SETS
            if None not in (acc(a, k, of), acc(b, k, of))}


def per_set(values, spec="+.1f"):
    """``{label set: value}`` as ``"label set: value"`` strings, for ``listing``."""
    return [f"{k}: {v:{spec}}" for k, v in values.items()]


def negative(epoch):
    if epoch == "never":
        return "mean training loss never negative"
    return f"mean training loss negative from epoch {epoch}"


claims = []
anchors = human["anchors hold"]
largest = human["cond(T)"].astype(float).nlargest(2)
claims.append(
    "**The human $T$ of each label set satisfies the anchor assumption:"
    f" {verdict(list(anchors))}**. The two worst conditioned: "
    + ", ".join(f"{k} ($\\operatorname{{cond}}(T)$ = {v:.2f},"
                f" {human.loc[k, 'wrong labels (%)']:.1f}% wrong labels)"
                for k, v in largest.items()) + ".")
forward = gains("forward", "ce")
flags = [g >= 0 for g in forward.values()]
claims.append("**Forward correction with the true $T$ not below CE in each label set:"
              f" {verdict(flags)}** (forward − CE, points:"
              f" {listing(per_set(forward))}).")
backward = gains("backward", "ce")
if len(backward) > 1:  # a comparison across label sets needs two of them
    worst_loss = min(backward, key=backward.get)
    worst_cond = max(backward, key=lambda k: cond_T[k])
    claims.append(
        "**Backward correction with the true $T$ fares worst against CE where $T$ is"
        f" worst conditioned: {verdict([worst_loss == worst_cond])}** (backward − CE,"
        f" points: {listing(per_set(backward))}; largest $\\operatorname{{cond}}(T)$:"
        f" {worst_cond}, {cond_T[worst_cond]:.2f}).")
else:
    claims.append("**Backward correction with the true $T$ against the conditioning"
                  " of $T$: not tested** (one label set; backward − CE:"
                  f" {listing(per_set(backward))}).")
share = {k: errors.loc[k, "own-labels T error"] / errors.loc[k, "T̂ error"]
         for k in errors.index}
flags = [v < estimator_share for v in share.values()]
largest_rows = "; ".join(
    f"{k}: " + ", ".join(f"{c} {row_errors.loc[c, k]:.2f}"
                         for c in row_errors[k].nlargest(4).index)
    for k in row_errors.columns)
claims.append(
    "**Most of the error of $\\hat T$ is the estimator's, not the sample's:"
    f" {verdict(flags)}** (own-labels error as a share of the $\\hat T$ error:"
    f" {listing(per_set(share, '.2f'))}). The rows with the largest errors:"
    f" {largest_rows}.")
forward_est = gains("forward_est", "ce")
if forward_est:
    flags = [g >= 0 for g in forward_est.values()]
    claims.append(f"**Forward correction with $\\hat T$ not below CE in each label set:"
                  f" {verdict(flags)}** (forward_est − CE, points:"
                  f" {listing(per_set(forward_est))}).")
ends = {k: acc("backward_est", k) for k in keys if acc("backward_est", k) is not None}
table = backward_table(runs)
details = [dict(zip(table.rows[0], row)) for row in table.rows[1:]
           if row[1] == "backward_est"]
selected_loss = {setting(r): r["best_val_loss"] for r in backward_runs
                 if r["method"] == "backward_est"}
flags = [a <= chance + near_chance for a in ends.values()]
claims += [] if not ends else [
    f"**Backward correction with $\\hat T$ ends at chance ({chance:.0f}%, within"
    f" {near_chance:g} points) in each label set: {verdict(flags)}** (test"
    f" accuracy, %: {listing(per_set(ends, '.1f'))}). "
    + " ".join(f"{row['setting']}: {negative(row['loss < 0 from epoch'])},"
               f" smallest entry of $\\hat T^{{-1}}$ {row['min of inverse']},"
               f" best noisy-validation accuracy {row['best val acc (%)']}%."
               for row in details)]
flags = [selected_loss[row["setting"]] < 0 for row in details]
kept = "; ".join(f"{row['setting']}: epoch {row['kept / run']},"
                 f" loss {selected_loss[row['setting']]:.3g}" for row in details)
claims += [] if not details or selection != "val_loss" else [
    "**Model selection keeps a backward-with-$\\hat T$ epoch whose validation loss is"
    " negative (the loss it selects by is itself unbounded below):"
    f" {verdict(flags)}** ({kept})."]
n_seeds = len({r["seed"] for r in ok})
claims.append(f"**Seeds: {n_seeds}.** "
              + ("With one seed no spread is measured: the differences above carry no"
                 " error bar." if n_seeds == 1 else
                 "The ± in the accuracy table is the spread over seeds."))
display(Markdown("\n".join(f"- {c}" for c in claims)))


# %% [markdown] papermill={"duration": 0.014168, "end_time": "2026-12-08T05:07:03.911126+00:00", "exception": false, "start_time": "2026-12-08T05:07:03.896958+00:00", "status": "completed"}
# ## Against the CIFAR-N benchmark
#
# The benchmark {cite}`wei2022` publishes CE, Forward-T and Backward-T on every label set
# (`lnc.experiments.published.CIFARN`, mean ± std over five seeds). Ours beside it: mean ± std over the seeds
# run (the mean alone for one seed), `-` for a run not made. Its protocol is not ours (below), so the absolute
# accuracies are not comparable; what a correction adds over CE is closer to comparable. {ref}`ch-comparison`
# sets all the numbers side by side.

# %% papermill={"duration": 0.043618, "end_time": "2026-12-08T05:07:03.967237+00:00", "exception": false, "start_time": "2026-12-08T05:07:03.923619+00:00", "status": "completed"} tags=["hide-input"]
theirs = published.CIFARN
shown = [k for k in CIFARN_LABEL_SETS if k in keys]
ran = [m for m in methods if m in theirs or any(r["method"] == m for r in ok)]
display(comparison_table(ok, theirs, methods=ran, settings=shown))

# %% [markdown] papermill={"duration": 0.014675, "end_time": "2026-12-08T05:07:03.997186+00:00", "exception": false, "start_time": "2026-12-08T05:07:03.982511+00:00", "status": "completed"}
# Seeds change the split and the initialisation of every method alike, so the fair comparison with CE is
# paired: for each seed, a method's accuracy minus CE's on the same seed. Mean ± std over the seeds with both
# runs (their number in brackets), in points:

# %% papermill={"duration": 0.064195, "end_time": "2026-12-08T05:07:04.078356+00:00", "exception": false, "start_time": "2026-12-08T05:07:04.014161+00:00", "status": "completed"} tags=["hide-input"]
if any(r["method"] != "ce" for r in ok):
    display(paired_table(ok))
paired = paired_differences(ok)


def gap(method):
    """Ours − published accuracy of ``method`` per label set run (points)."""
    return {k: acc(method, k) - theirs[method][k][0] for k in shown
            if acc(method, k) is not None and k in theirs.get(method, {})}


ours_gain = {k: g for k, g in forward.items() if k in theirs["forward"]}
their_gain = {k: theirs["forward"][k][0] - theirs["ce"][k][0] for k in ours_gain}
backward_vs_ce = {k: paired["backward", k][0] for k in shown
                  if ("backward", k) in paired}
kept = [r["best_epoch"] for r in ok]
cpu_time = (f"{span(cpu_minutes(ok))} CPU-minutes (wall time × threads of each record,"
            " in the precision it states; it depends on the CPU)"
            if all(r["device"] == "cpu" for r in ok) else "on a GPU (see the records)")
display(Markdown(
    f"- **Protocols.** Ours: {run_summary(ok).split(': ', 1)[1]}. The benchmark's:"
    f" {published.CIFARN_PROTOCOL}, i.e. the model is selected on the test set.\n"
    f"- **Ours − published (points):** CE {listing(per_set(gap('ce')))};"
    f" forward-T {listing(per_set(gap('forward')))};"
    f" backward-T {listing(per_set(gap('backward')))}.\n"
    "- **Backward-T − CE, paired (points):**"
    f" {listing(per_set(backward_vs_ce))}.\n"
    "- **Forward-T gain over CE smaller in our run (true $T$) than published in each"
    f" label set: {verdict([ours_gain[k] < their_gain[k] for k in ours_gain])}** (ours:"
    f" {listing(per_set(ours_gain))}; published: {listing(per_set(their_gain))}).\n"
    f"- **Kept epoch:** {span(kept)} of {ok[0]['epochs']}; the last one in"
    f" {sum(k == r['epochs'] for k, r in zip(kept, ok))} of {len(ok)} trainings.\n"
    f"- **Time per training:** {cpu_time}."))

# %% [markdown] papermill={"duration": 0.010158, "end_time": "2026-12-08T05:07:04.101300+00:00", "exception": false, "start_time": "2026-12-08T05:07:04.091142+00:00", "status": "completed"}
# Each record also holds the test accuracy of the epoch that the other criterion would have kept
# ({ref}`sec-model-selection`), so the two criteria compare on the same trainings:

# %% papermill={"duration": 0.030265, "end_time": "2026-12-08T05:07:04.142276+00:00", "exception": false, "start_time": "2026-12-08T05:07:04.112011+00:00", "status": "completed"} tags=["hide-input"]
both = [r for r in ok if r.get("test_accuracy_by_selection")]
display(selection_table(both) if both else Markdown(
    "The records of this run predate `test_accuracy_by_selection`."))

# %% [markdown] papermill={"duration": 0.010293, "end_time": "2026-12-08T05:07:04.163766+00:00", "exception": false, "start_time": "2026-12-08T05:07:04.153473+00:00", "status": "completed"}
# The same CE networks give every estimator's $\hat T$ (the CE record keeps them all). Per label set, the
# relative $L_1$ error of each against the true human $T$ and the accuracy of forward with it, where it was
# trained; VolMinNet's row is the error of the $T$ it learned and its own accuracy ({ref}`sec-learned-T`).
# The folder's records of this run's protocol are read, whichever estimator's and seed's (mean ± std over the
# seeds). The estimators read the CE network's posteriors of all the rows (in-sample) and, where the record's
# posteriors are stored, of the held-out rows alone (the noisy validation split, which the network never
# fitted), and those of every seed's network pooled where two or more have them. What each assumes
# ({ref}`ch-beyond-anchors`): `anchor` an anchor input per class; `confident_joint` a ranking of each class's
# examples; `dual_t` posteriors that have memorised the noisy labels (with an underfit CE network it counts the
# noise twice); `min_volume` and VolMinNet clean posteriors scattered enough to span the simplex. The noise
# column is one minus the mean diagonal of the in-sample $\hat T$ (or of the learned $T$): the share of labels
# it says are flipped, under uniform classes. Under the true $T$'s, the estimator has missed noise; over it,
# it has counted noise the labels do not hold.

# %% papermill={"duration": 38.432594, "end_time": "2026-12-08T05:07:42.610396+00:00", "exception": false, "start_time": "2026-12-08T05:07:04.177802+00:00", "status": "completed"} tags=["hide-input"]
def grid_of(r):  # the records of this run's protocol, whichever estimator's
    return [r.get(k, IDENTITY_DEFAULTS.get(k))
            for k in ("protocol", "subset", "epochs", "selection")]


stored = load_records(results_dir, task=dataset)
folder = [r for r in stored if r["status"] == "ok" and grid_of(r) == grid_of(ok[0])]
folder = posterior_estimates(folder, results_dir)  # held-out rows: each network's, all
for key in shown:
    display(Markdown(f"**{key}**"))
    display(estimator_table(folder, key))
learned_stats = estimator_stats(folder)


def mean_of(key, name, kind, field="error"):  # over seeds, or None where not run
    value = learned_stats.get((key, name, kind), {}).get(field)
    return value[0] if value else None


closer = {k: mean_of(k, "volmin", "learned") <= mean_of(k, "anchor", "in_sample")
          for k in shown if None not in (mean_of(k, "volmin", "learned"),
                                         mean_of(k, "anchor", "in_sample"))}
closer_in = [k for k, v in closer.items() if v]
counted = count_of(closer_in, len(closer), "label sets")
lines = ["- **VolMinNet's learned $T$ at least as close to the true $T$ as the anchor"
         f" $\\hat T$: {verdict(list(closer.values()))}**"
         + (f" (closer or as close in {counted})." if closer
            else ": no VolMinNet run in this grid.")]
# the noise each T puts in (flip_rate): the labels', VolMinNet's, the anchor's
labels = {k: flip_rate(cifarn_T(k)) for k in closer}
volmin = {k: mean_of(k, "volmin", "learned", "noise") for k in closer}
anchor, held = ({k: mean_of(k, "anchor", kind, "noise") for k in closer}
                for kind in ("in_sample", "held_out"))
if closer and None not in [*volmin.values(), *anchor.values()]:
    less = [max(volmin[k], anchor[k]) < labels[k] for k in closer]
    lines.append(
        f"- **Both put less noise in $T$ than the labels hold: {verdict(less)}** (one"
        " minus the mean diagonal, the flip rate under uniform classes; the labels' /"
        " VolMinNet's / anchor's: "
        + listing(f"{k}: {labels[k]:.3f} / {volmin[k]:.3f} / {anchor[k]:.3f}"
                  for k in closer)
        + ").")
if closer and None not in [*volmin.values(), *anchor.values(), *held.values()]:
    more = [held[k] > anchor[k] for k in closer]
    lines.append(
        "- **The anchor $\\hat T$ of the held-out rows, which the network never fitted,"
        f" puts in more noise than that of the training rows: {verdict(more)}** ("
        + listing(f"{k}: {held[k]:.3f}" for k in closer) + ")"
        + (": part of what is missing is the noise that the network has fitted on"
           " the training rows." if all(more) else "."))
display(Markdown("\n".join(lines)))

# %% [markdown] papermill={"duration": 0.011167, "end_time": "2026-12-08T05:07:42.633343+00:00", "exception": false, "start_time": "2026-12-08T05:07:42.622176+00:00", "status": "completed"}
# (cifarn-clipping)=
# ### Why every method is clipped
#
# Without clipping, backward with the true $T$ degraded within a few epochs at the fast recipe's peak learning
# rate: the backward-corrected loss is unbounded below, since the inverse of $T$ has negative entries, so its
# gradient can grow the logits without limit. `benchmarks/clip_norm.py` trained CE and backward-T on 20,000
# images of `worst` (seed 0; the fast recipe with only the clipping norm and the epochs changed) to choose one
# norm for every method. The table gives the test accuracy (%) of the epoch of highest noisy-validation
# accuracy, and that epoch; the norm `fast2` uses is in its recipe, stated with the records above.

# %% papermill={"duration": 0.020885, "end_time": "2026-12-08T05:07:42.665627+00:00", "exception": false, "start_time": "2026-12-08T05:07:42.644742+00:00", "status": "completed"} tags=["hide-input"]
display(clip_table(clip_norm_path))

# %% [markdown] papermill={"duration": 0.011106, "end_time": "2026-12-08T05:07:42.687699+00:00", "exception": false, "start_time": "2026-12-08T05:07:42.676593+00:00", "status": "completed"}
# (cifarn-epochs)=
# ### How many epochs
#
# The runs above kept their last epoch, or the one before, in most trainings (the "Kept epoch" line of the
# comparison with the benchmark): the networks may still be learning when their schedule ends. The same recipe
# with more epochs (its triangular schedule stretched over them), on the same label set and seed, says how much
# accuracy the epoch budget leaves out. The clean test accuracy (%) and the kept epoch of each training of the
# run beside the longer ones in `epochs_dir`, kept by the same criterion:

# %% papermill={"duration": 0.028764, "end_time": "2026-12-08T05:07:42.727293+00:00", "exception": false, "start_time": "2026-12-08T05:07:42.698529+00:00", "status": "completed"} tags=["hide-input"]
longer = [r for r in load_records(epochs_dir, task=dataset)
          if r["status"] == "ok" and r.get("selection") == selection
          and r["protocol"] == protocol and r.get("subset") == subset
          ] if epochs_dir and Path(epochs_dir).is_dir() else []
display(epochs_table([*ok, *longer]) if longer else Markdown(
    "No run of this protocol with another epoch count is stored."))
shorter = {(setting(r), r["method"], r["seed"]): r for r in ok}


def against_the_run(r):
    base = shorter.get((setting(r), r["method"], r["seed"]))
    return "" if base is None else (
        f", test accuracy {100 * (r['test_accuracy'] - base['test_accuracy']):+.1f}"
        f" points against {base['epochs']} epoch{'s' * (base['epochs'] != 1)}")


display(Markdown(
    "**The longer trainings kept an epoch before their last:"
    f" {verdict([r['best_epoch'] < r['epochs'] for r in longer])}**"
    + "".join(f"; {setting(r)} {r['method']}, seed {r['seed']}: epoch {r['best_epoch']}"
              f" of {r['epochs']}{against_the_run(r)}" for r in longer) + "."))

# %% [markdown] papermill={"duration": 0.017329, "end_time": "2026-12-08T05:07:42.757404+00:00", "exception": false, "start_time": "2026-12-08T05:07:42.740075+00:00", "status": "completed"}
# ## CIFAR-100N
#
# The human $T$ of CIFAR-100N is in the first table above: {glue:text}`c100n-wrong`% wrong labels, a
# smallest diagonal entry of {glue:text}`c100n-min-diag` and $\operatorname{cond}(T) =$
# {glue:text}`c100n-cond`; its anchor assumption holds: {glue:text}`c100n-anchors`. Its $\hat T$
# needs a CE model trained on the CIFAR-100 images, which are not in the book's data folder (only the
# CIFAR-N labels are). With an internet connection, `lnc.experiments.datasets.load_cifar100(download=True)`
# fetches the python release (checksum-verified), and the same chapter runs it:
# `python tools/run_chapter.py cifarn out.ipynb -p results_dir runs/cifarn -p dataset cifar100n -y "noise: [cifar100n]"` (the
# protocol `"fast2"`: all the training data, hours on a CPU) or with `-p protocol paper` (the benchmark's settings, GPU).

# %% papermill={"duration": 0.03891, "end_time": "2026-12-08T05:07:42.813512+00:00", "exception": false, "start_time": "2026-12-08T05:07:42.774602+00:00", "status": "completed"} tags=["hide-input"]
c100n = human.loc["cifar100n"]
glue("c100n-wrong", f"{c100n['wrong labels (%)']:.1f}", display=False)
glue("c100n-min-diag", f"{c100n['min T_ii']:.3f}", display=False)
glue("c100n-cond", f"{c100n['cond(T)']:.1f}", display=False)
glue("c100n-anchors", "yes" if c100n["anchors hold"] else "no", display=False)

# %% [markdown] papermill={"duration": 0.018985, "end_time": "2026-12-08T05:07:42.851245+00:00", "exception": false, "start_time": "2026-12-08T05:07:42.832260+00:00", "status": "completed"}
# ## Summary
#
# - Human noise comes with its true $T$: the corrections can be run with it, and $\hat T$ measured
#   against it.
# - The sampling error of $T$ on the run's training images and the error of $\hat T$ are two numbers;
#   their ratio says how much of the estimate's error the estimator (and the CE model it reads) adds.
# - The backward-corrected loss is unbounded below: at the fast recipe's learning rate its network degrades
#   unless the gradient is clipped (for every method alike), and selecting its epoch by its own validation
#   loss rewards an over-confident network ({ref}`sec-model-selection`). Pair each method with CE on the same
#   seed before reading a difference.
# - The benchmark's accuracies use another network, more data and epochs, and model selection on the
#   test set: compare gains over CE, not accuracies. A kept epoch at the end of the schedule does not by
#   itself mean that more epochs would close the gap: {ref}`cifarn-epochs` measures it.

# %% [markdown] papermill={"duration": 0.020245, "end_time": "2026-12-08T05:07:42.890708+00:00", "exception": false, "start_time": "2026-12-08T05:07:42.870463+00:00", "status": "completed"}
# ## Exercises
#
# ```{exercise}
# :label: ex-cifarn-confusions
#
# Use `lnc.experiments.datasets.cifarn_T` and `lnc.experiments.datasets.CIFAR10_CLASSES` to list the
# three largest off-diagonal entries of the human $T$ of `aggre` and of `worst`. Are the human confusions
# symmetric? By how much does the smallest column margin $\min_j \big(T_{jj} - \max_{k \ne j} T_{kj}\big)$
# shrink from `aggre` to `worst`, and what does that margin mean for the estimator?
# ```
#
# ```{solution-start} ex-cifarn-confusions
# :class: dropdown
# ```

# %% papermill={"duration": 0.042069, "end_time": "2026-12-08T05:07:42.950814+00:00", "exception": false, "start_time": "2026-12-08T05:07:42.908745+00:00", "status": "completed"}
for name in ("aggre", "worst"):
    T = cifarn_T(name)
    off = T - np.diag(np.diag(T))
    top = np.dstack(np.unravel_index(np.argsort(off, axis=None)[::-1][:3], T.shape))[0]
    margin = min(T[j, j] - np.delete(T[:, j], j).max() for j in range(len(T)))
    print(f"{name}: " + ", ".join(
        f"{CIFAR10_CLASSES[i]} → {CIFAR10_CLASSES[j]} {T[i, j]:.3f}"
        f" (reverse {T[j, i]:.3f})" for i, j in top)
        + f"; smallest margin {margin:.3f}")

# %% [markdown] papermill={"duration": 0.020576, "end_time": "2026-12-08T05:07:42.990589+00:00", "exception": false, "start_time": "2026-12-08T05:07:42.970013+00:00", "status": "completed"}
# The confusions come in pairs of similar classes but are not symmetric (compare each entry with its
# reverse). The margin is the slack of the anchor assumption $T_{jj} > T_{kj}$: while it stays positive,
# the input with the most confident noisy posterior for class $j$ is still of clean class $j$ for a
# well-calibrated model; a small margin leaves less room for a miscalibrated CE model.
#
# ```{solution-end}
# ```
