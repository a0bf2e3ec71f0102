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

# %% [markdown] papermill={"duration": 0.005597, "end_time": "2026-12-06T21:13:06.783284+00:00", "exception": false, "start_time": "2026-12-06T21:13:06.777687+00:00", "status": "completed"}
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
# | `noise` | label sets: `"aggre"`, `"random1"`, `"random2"`, `"random3"`, `"worst"`, `"cifar100n"` | aggre, random1, worst |
# | `methods` | losses of `lnc.experiments.protocol.METHODS` | CE and the four corrections |
# | `seeds` | one run per seed (split, subset, initialisation, batch order; the labels are fixed) | `[0]` |
# | `protocol` | `"paper"` (the CIFAR-N benchmark's optimiser settings) or `"cpu"` | `"cpu"` |
# | `epochs`, `subset` | overrides (`None` = the protocol's, all) | `None`, `10000` |
# | `device`, `workers` | `"auto"`, worker processes (one per label set) | `"auto"`, `3` |
# | `results_dir` | where the JSON records go | `"results/cifarn"` |
#
# `selection` is how each training keeps its epoch on the noisy validation split: `"val_loss"` (its own
# loss, the paper's choice and the stored run's) or `"val_accuracy"` (the same for every method;
# {ref}`sec-model-selection`). `extend_results=True` lets a run add records to a folder of stored runs.
#
# `fast_results_dir` (stored run: `"results/cifarn_fast2"`) is the folder of full-data fast-protocol records
# that the section {ref}`cifarn-fast` reads, and `clip_norm_path` the measurements of
# `benchmarks/clip_norm.py` it shows; neither trains anything.
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

# %% papermill={"duration": 0.012055, "end_time": "2026-12-06T21:13:06.799374+00:00", "exception": false, "start_time": "2026-12-06T21:13:06.787319+00:00", "status": "completed"} tags=["parameters", "hide-input"]
dataset = "cifar10n"
noise = ["aggre", "random1", "worst"]
methods = ["ce", "backward", "forward", "backward_est", "forward_est"]
seeds = [0]
protocol = "cpu"
epochs = None
subset = 10000
device = "auto"
workers = 3
results_dir = "results/cifarn"
extend_results = False
selection = "val_loss"
fast_results_dir = "results/cifarn_fast2"
clip_norm_path = "results/clip_norm.jsonl"

# %% papermill={"duration": 2.816252, "end_time": "2026-12-06T21:13:09.619602+00:00", "exception": false, "start_time": "2026-12-06T21:13:06.803350+00:00", "status": "completed"} tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from myst_nb import glue

from lnc import condition_number, estimation_error
from lnc.book.display import plain_warnings
from lnc.book.plots import show_T, training_curves
from lnc.estimation import anchor_columns
from lnc.experiments import published
from lnc.experiments.datasets import (CIFAR10_CLASSES, CIFARN_LABEL_SETS, cifarn_T,
                                      load_cifar10, load_cifar100, load_cifarn_labels)
from lnc.experiments.protocol import check_grid, noise_settings, run_grid
from lnc.experiments.recipes import get_recipe
from lnc.experiments.records import load_records
from lnc.experiments.prose import (describe_records, listing, run_summary, shown_run,
                                   span, verdict)
from lnc.experiments.results import (cpu_minutes, estimator_stats, paired_differences,
                                     setting, summarize)
from lnc.experiments.tables import (accuracy_tables, backward_table, clip_table,
                                    comparison_table, estimation_table, estimator_table,
                                    paired_table, selection_table)

plain_warnings()  # warnings print without this checkout's file paths

settings = noise_settings(noise, [])
# every parameter is checked before any training
configs = check_grid(dataset, settings, seeds=seeds, methods=methods,
                     protocol=protocol, epochs=epochs, subset=subset, device=device,
                     results_dir=results_dir, extend=extend_results,
                     selection=selection)

# %% [markdown] papermill={"duration": 0.004282, "end_time": "2026-12-06T21:13:09.634154+00:00", "exception": false, "start_time": "2026-12-06T21:13:09.629872+00:00", "status": "completed"}
# ## The human transition matrices
#
# Every label set, from its labels alone (all 50,000 training images): the fraction of wrong labels, the
# smallest diagonal entry of $T$, the largest off-diagonal one, whether every column of $T$ has its
# maximum on the diagonal (the estimator's anchor assumption $T_{ii} > T_{ki}$, {ref}`ch-estimation`),
# and $\operatorname{cond}(T)$. {numref}`fig-cifarn-human-T` shows four of the matrices.

# %% papermill={"duration": 1.408725, "end_time": "2026-12-06T21:13:11.048310+00:00", "exception": false, "start_time": "2026-12-06T21:13:09.639585+00:00", "status": "completed"} tags=["hide-input"]
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

# %% [markdown] papermill={"duration": 0.011498, "end_time": "2026-12-06T21:13:11.085101+00:00", "exception": false, "start_time": "2026-12-06T21:13:11.073603+00:00", "status": "completed"}
# ```{glue:figure} fig-cifarn-human-T
# :name: fig-cifarn-human-T
#
# The true human $T$ of three CIFAR-10N label sets and of CIFAR-100N, on one colour scale. Look at the
# off-diagonal cells, the pairs of classes people confuse, and compare `aggre` (the majority vote of
# the annotators) with `worst`.
# ```

# %% [markdown] papermill={"duration": 0.00727, "end_time": "2026-12-06T21:13:11.103699+00:00", "exception": false, "start_time": "2026-12-06T21:13:11.096429+00:00", "status": "completed"}
# ## The run
#
# Every training of the grid (label set × seed × method) runs once and saves a JSON record; with
# `results_dir` set, a record already there is read instead of re-trained. What follows comes from these
# records:

# %% papermill={"duration": 0.055974, "end_time": "2026-12-06T21:13:11.166840+00:00", "exception": false, "start_time": "2026-12-06T21:13:11.110866+00:00", "status": "completed"}
records = run_grid(dataset, settings, seeds=seeds, workers=workers, methods=methods,
                   protocol=protocol, epochs=epochs, subset=subset, device=device,
                   results_dir=results_dir, extend=extend_results,
                   selection=selection)
ok = [r for r in records if r.get("status", "ok") == "ok"]

# %% papermill={"duration": 0.023917, "end_time": "2026-12-06T21:13:11.201280+00:00", "exception": false, "start_time": "2026-12-06T21:13:11.177363+00:00", "status": "completed"} tags=["hide-input"]
paper = get_recipe(dataset, "paper")
benchmark = (" These are the optimiser settings of the CIFAR-N benchmark"
             " {cite}`wei2022`, whose own code trains a standard (post-activation)"
             " ResNet-34.")
display(Markdown(shown_run(records, paper, "the benchmark’s") + benchmark))

# %% [markdown] papermill={"duration": 0.008341, "end_time": "2026-12-06T21:13:11.217205+00:00", "exception": false, "start_time": "2026-12-06T21:13:11.208864+00:00", "status": "completed"}
# ## Test accuracy
#
# Clean test accuracy (%) of the epoch with the lowest noisy-validation loss, mean ± standard deviation over
# the seeds (no ± with one seed). "backward" and "forward" use the true human $T$; "backward_est" and
# "forward_est" the $\hat T$ estimated from the CE run of the same label set and seed.

# %% papermill={"duration": 0.031291, "end_time": "2026-12-06T21:13:11.255837+00:00", "exception": false, "start_time": "2026-12-06T21:13:11.224546+00:00", "status": "completed"}
for heading, table in accuracy_tables(records, methods=methods, columns=5):
    display(Markdown(f"**{heading}**"), table)

# %% [markdown] papermill={"duration": 0.00758, "end_time": "2026-12-06T21:13:11.271334+00:00", "exception": false, "start_time": "2026-12-06T21:13:11.263754+00:00", "status": "completed"}
# ## Training curves
#
# Each record keeps, per epoch, the training loss and the loss and accuracy on the *noisy* validation
# split ({numref}`fig-cifarn-curves`). The training loss is the method's own: a corrected loss is not
# comparable with CE in value, and a backward-corrected one can be negative.

# %% papermill={"duration": 0.606137, "end_time": "2026-12-06T21:13:11.885283+00:00", "exception": false, "start_time": "2026-12-06T21:13:11.279146+00:00", "status": "completed"} tags=["hide-input"]
runs = [r for r in ok if r["seed"] == ok[0]["seed"] and "curves" in r]
keys = list(dict.fromkeys(setting(r) for r in runs))
fig = training_curves(runs, key=setting)
glue("fig-cifarn-curves", fig, display=False)
plt.close(fig)

# %% [markdown] papermill={"duration": 0.005094, "end_time": "2026-12-06T21:13:11.895918+00:00", "exception": false, "start_time": "2026-12-06T21:13:11.890824+00:00", "status": "completed"}
# ```{glue:figure} fig-cifarn-curves
# :name: fig-cifarn-curves
#
# Per epoch, for each label set (rows, first seed): accuracy on the noisy validation split (left) and the
# training loss on a symmetric-log scale (right; the grey line is zero). Look for a loss that crosses
# zero: that is a backward-corrected loss being driven towards $-\infty$.
# ```

# %% [markdown] papermill={"duration": 0.004883, "end_time": "2026-12-06T21:13:11.905746+00:00", "exception": false, "start_time": "2026-12-06T21:13:11.900863+00:00", "status": "completed"}
# ## $\hat T$ against the true human $T$
#
# Per label set: the relative $L_1$ error $\sum_{ij} |\hat T_{ij} - T_{ij}| / \sum_{ij} T_{ij}$, the
# condition number of $\hat T$ and the epoch model selection kept in the CE run.

# %% papermill={"duration": 0.018281, "end_time": "2026-12-06T21:13:11.929222+00:00", "exception": false, "start_time": "2026-12-06T21:13:11.910941+00:00", "status": "completed"}
display(estimation_table(records))

# %% [markdown] papermill={"duration": 0.004986, "end_time": "2026-12-06T21:13:11.939763+00:00", "exception": false, "start_time": "2026-12-06T21:13:11.934777+00:00", "status": "completed"}
# How much of that error would a perfect estimator still make? The run's training images are a sample:
# the *empirical* $T$ of their clean and human labels (which the estimator never sees; the record's
# `T_train`) already differs
# from $T$ of all 50,000 images. The first table sets that sampling error beside the error of $\hat T$
# (first seed); the second gives the $L_1$ error of each row of $\hat T$, one clean class a row.

# %% papermill={"duration": 0.613795, "end_time": "2026-12-06T21:13:12.558655+00:00", "exception": false, "start_time": "2026-12-06T21:13:11.944860+00:00", "status": "completed"} tags=["hide-input"]
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

# %% papermill={"duration": 1.112017, "end_time": "2026-12-06T21:13:13.677064+00:00", "exception": false, "start_time": "2026-12-06T21:13:12.565047+00:00", "status": "completed"} tags=["hide-input"]
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

# %% [markdown] papermill={"duration": 0.009509, "end_time": "2026-12-06T21:13:13.693819+00:00", "exception": false, "start_time": "2026-12-06T21:13:13.684310+00:00", "status": "completed"}
# ```{glue:figure} fig-cifarn-estimate
# :name: fig-cifarn-estimate
#
# The estimated $\hat T$ (left) and its error $\hat T - T$ against the true human $T$ (right, one colour
# scale for every row), per label set, first seed. Red cells are transitions $\hat T$ over-states, blue
# ones it under-states; compare the blue diagonal with the off-diagonal entries of
# {numref}`fig-cifarn-human-T`.
# ```

# %% [markdown] papermill={"duration": 0.011513, "end_time": "2026-12-06T21:13:13.713320+00:00", "exception": false, "start_time": "2026-12-06T21:13:13.701807+00:00", "status": "completed"}
# ## The backward corrections, epoch by epoch
#
# The backward-corrected loss multiplies the vector of losses by the inverse of the matrix it is given
# ({ref}`ch-backward`); negative entries of that inverse make it unbounded below. For each backward run
# (first seed): the condition number of the matrix used ($T$ or $\hat T$), the smallest entry of its
# inverse, the first epoch whose mean training loss is negative, the last epoch's training loss beside
# CE's on the same seed, the share of steps clipped where recorded, the epoch model selection kept out of
# the epochs run, the best noisy-validation accuracy over the epochs, and the test accuracy.

# %% papermill={"duration": 0.027307, "end_time": "2026-12-06T21:13:13.757122+00:00", "exception": false, "start_time": "2026-12-06T21:13:13.729815+00:00", "status": "completed"} tags=["hide-input"]
backward_runs = [r for r in runs if r["method"] in ("backward", "backward_est")]
display(backward_table(runs) if backward_runs
        else Markdown("No backward run in this grid."))

# %% [markdown] papermill={"duration": 0.009179, "end_time": "2026-12-06T21:13:13.773919+00:00", "exception": false, "start_time": "2026-12-06T21:13:13.764740+00:00", "status": "completed"}
# ## What the run shows
#
# Each claim below is computed from the records and tables above and marked as holding or not, with its
# numbers.

# %% papermill={"duration": 0.067165, "end_time": "2026-12-06T21:13:13.853070+00:00", "exception": false, "start_time": "2026-12-06T21:13:13.785905+00:00", "status": "completed"} tags=["hide-input"]
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
flags = [g < 0 for g in forward_est.values()]
claims.append(f"**Forward correction with $\\hat T$ below CE in each label set:"
              f" {verdict(flags)}** (forward_est − CE, points:"
              f" {listing(per_set(forward_est))}).")
ends = {k: acc("backward_est", k) for k in keys if acc("backward_est", k) is not None}
table = backward_table(runs)
details = [dict(zip(table.rows[0], row)) for row in table.rows[1:]
           if row[1] == "backward_est"]
selected_loss = {setting(r): r["best_val_loss"] for r in backward_runs
                 if r["method"] == "backward_est"}
flags = [a <= chance + near_chance for a in ends.values()]
claims.append(
    f"**Backward correction with $\\hat T$ ends at chance ({chance:.0f}%, within"
    f" {near_chance:g} points) in each label set: {verdict(flags)}** (test"
    f" accuracy, %: {listing(per_set(ends, '.1f'))}). "
    + " ".join(f"{row['setting']}: {negative(row['loss < 0 from epoch'])},"
               f" smallest entry of $\\hat T^{{-1}}$ {row['min of inverse']},"
               f" best noisy-validation accuracy {row['best val acc (%)']}%."
               for row in details))
flags = [selected_loss[row["setting"]] < 0 for row in details]
kept = "; ".join(f"{row['setting']}: epoch {row['kept / run']},"
                 f" loss {selected_loss[row['setting']]:.3g}" for row in details)
claims.append(
    "**Model selection keeps a backward-with-$\\hat T$ epoch whose validation loss is"
    " negative (the loss it selects by is itself unbounded below):"
    f" {verdict(flags)}** ({kept}).")
n_seeds = len({r["seed"] for r in ok})
claims.append(f"**Seeds: {n_seeds}.** "
              + ("With one seed no spread is measured: the differences above carry no"
                 " error bar." if n_seeds == 1 else
                 "The ± in the accuracy table is the spread over seeds."))
display(Markdown("\n".join(f"- {c}" for c in claims)))

# %% [markdown] papermill={"duration": 0.008815, "end_time": "2026-12-06T21:13:13.873926+00:00", "exception": false, "start_time": "2026-12-06T21:13:13.865111+00:00", "status": "completed"}
# ## Against the CIFAR-N benchmark
#
# The benchmark {cite}`wei2022` publishes CE, Forward-T and Backward-T on every label set
# (`lnc.experiments.published.CIFARN`). Its protocol is not ours, so the absolute accuracies are not
# comparable; what a correction adds over CE is closer to comparable. {ref}`ch-comparison` sets all the
# numbers side by side.

# %% papermill={"duration": 0.01636, "end_time": "2026-12-06T21:13:13.906181+00:00", "exception": false, "start_time": "2026-12-06T21:13:13.889821+00:00", "status": "completed"} tags=["hide-input"]
theirs = published.CIFARN
gaps = {k: acc("ce", k) - theirs["ce"][k][0] for k in keys
        if acc("ce", k) is not None and k in theirs["ce"]}
ours_gain = {k: g for k, g in forward.items() if k in theirs["forward"]}


def published_gains(keys):
    """Per label set in ``keys``: the benchmark's Forward-T minus its CE accuracy."""
    return {k: theirs["forward"][k][0] - theirs["ce"][k][0] for k in keys}


their_gain = published_gains(ours_gain)
display(Markdown(
    f"- **Protocols.** Ours: {run_summary(records).split(': ', 1)[1]}, the epoch of"
    " lowest noisy-validation loss. The benchmark's:"
    f" {published.CIFARN_PROTOCOL}, i.e. the model is selected on the test set.\n"
    f"- **CE accuracy, ours − published (points):** {listing(per_set(gaps))}.\n"
    "- **Forward-T gain over CE smaller in our run (true $T$) than published in each"
    f" label set: {verdict([ours_gain[k] < their_gain[k] for k in ours_gain])}** (ours:"
    f" {listing(per_set(ours_gain))}; published: {listing(per_set(their_gain))})."))

# %% [markdown] papermill={"duration": 0.007695, "end_time": "2026-12-06T21:13:13.925557+00:00", "exception": false, "start_time": "2026-12-06T21:13:13.917862+00:00", "status": "completed"}
# (cifarn-fast)=
# ## The full training set with the fast protocol
#
# The run above is reduced to fit a CPU. `protocol="fast2"` trains on the full training set within a CPU budget
# ({ref}`sec-recipes`; `lnc.experiments.recipes.FAST2_RECIPES`): a small network built for accuracy per
# operation, 20 epochs, every method's gradient clipped to the same norm, the same recipe for every method and
# no change to the loss. Each training keeps the epoch of highest noisy-validation accuracy, and every label
# set runs with seeds 0, 1 and 2 (`tools/run_grid.py`; the command is in its documentation). `-` marks a run
# not yet made; the table gives mean ± std over the seeds run, the mean alone for one seed.

# %% papermill={"duration": 0.031352, "end_time": "2026-12-06T21:13:13.968770+00:00", "exception": false, "start_time": "2026-12-06T21:13:13.937418+00:00", "status": "completed"} tags=["hide-input"]
# the paper's estimator (the folder also holds forward with another one's T̂)
paper_T_hat = dict(task=dataset, estimator="anchor", cross_fit=None)
stored = load_records(fast_results_dir, task=dataset) if fast_results_dir else []
fast_all = [r for r in stored if r["status"] == "ok"]
fast = [r for r in fast_all if all(r.get(k) == v for k, v in paper_T_hat.items())]
if fast:
    shown = [k for k in CIFARN_LABEL_SETS if any(r["noise"] == k for r in fast)]
    ran = [m for m in methods if m in theirs or any(r["method"] == m for r in fast)]
    ran += [m for m in dict.fromkeys(r["method"] for r in fast) if m not in ran]
    display(comparison_table(fast, theirs, methods=ran, settings=shown))
else:
    none = (f"No full-data records in `{fast_results_dir}` yet." if fast_results_dir
            else "No folder of full-data records was given (`fast_results_dir`).")
    display(Markdown(none))

# %% [markdown] papermill={"duration": 0.007861, "end_time": "2026-12-06T21:13:13.985871+00:00", "exception": false, "start_time": "2026-12-06T21:13:13.978010+00:00", "status": "completed"}
# Seeds change the split and the initialisation of every method alike, so the fair comparison with CE is
# paired: for each seed, a method's accuracy minus CE's on the same seed. Mean ± std over the seeds with both
# runs (their number in brackets), in points:

# %% papermill={"duration": 0.034714, "end_time": "2026-12-06T21:13:14.036500+00:00", "exception": false, "start_time": "2026-12-06T21:13:14.001786+00:00", "status": "completed"} tags=["hide-input"]
if fast:
    if any(r["method"] != "ce" for r in fast):
        display(paired_table(fast))
    fast_acc = summarize(fast)
    paired = paired_differences(fast)

    def gap(method):
        """Ours − published accuracy of ``method`` per label set run (points)."""
        return {k: fast_acc[method, k][0] - theirs[method][k][0] for k in shown
                if (method, k) in fast_acc and k in theirs.get(method, {})}

    kept = [r["best_epoch"] for r in fast]
    minutes = cpu_minutes(fast)
    backward_vs_ce = {k: paired["backward", k][0] for k in shown
                      if ("backward", k) in paired}
    display(Markdown(
        f"- **Protocol.** {describe_records(fast)}. The benchmark's: its own, selected"
        " on the test set (above).\n"
        f"- **Ours − published (points):** CE {listing(per_set(gap('ce')))};"
        f" forward-T {listing(per_set(gap('forward')))};"
        f" backward-T {listing(per_set(gap('backward')))}.\n"
        "- **Backward-T − CE, paired (points):**"
        f" {listing(per_set(backward_vs_ce))}.\n"
        f"- **Kept epoch:** {span(kept)} of {fast[0]['epochs']}; the last one in"
        f" {sum(k == r['epochs'] for k, r in zip(kept, fast))} of {len(fast)}"
        " trainings.\n"
        f"- **CPU time per training:** {span(minutes)} CPU-minutes (wall time ×"
        " threads of each record, in the precision it states; it depends on the CPU)."))

# %% [markdown] papermill={"duration": 0.007585, "end_time": "2026-12-06T21:13:14.051971+00:00", "exception": false, "start_time": "2026-12-06T21:13:14.044386+00:00", "status": "completed"}
# (cifarn-backward-trails)=
# ### Why backward-T trails CE
#
# With the true $T$, the backward-corrected loss is an unbiased estimate of the clean loss
# ({ref}`ch-backward`), so on average it should do as well as CE. It does not, and the records show why. The
# inverse of $T$ has negative entries, so the loss rewards driving the probabilities of other classes
# towards 0 without limit: its training loss crosses zero, where a cross-entropy never goes, and keeps
# falling, while its noisy-validation accuracy stops improving. Per backward run of the full-data grid,
# beside CE's training loss on the same seed:

# %% papermill={"duration": 0.033491, "end_time": "2026-12-06T21:13:14.093111+00:00", "exception": false, "start_time": "2026-12-06T21:13:14.059620+00:00", "status": "completed"} tags=["hide-input"]
if fast and any(r["method"] == "backward" for r in fast):
    display(backward_table(fast))
    fast_backward = [r for r in fast if r["method"] == "backward"]
    fast_ce = {(r["noise"], r["seed"]): r for r in fast if r["method"] == "ce"}
    below = [r for r in fast_backward
             if np.nanmin(np.array(r["curves"]["train_loss"], dtype=float)) < 0]

    def best_val(r):
        return 100 * np.nanmax(np.array(r["curves"]["val_accuracy"], dtype=float))

    val_gap = {f"{r['noise']}, seed {r['seed']}": best_val(r) - best_val(ce)
               for r in fast_backward if (ce := fast_ce.get((r["noise"], r["seed"])))}
    display(Markdown(
        f"**The backward-T training loss went below zero in {len(below)} of"
        f" {len(fast_backward)} runs.** Its best noisy-validation accuracy minus"
        f" CE's on the same seed (points): {listing(per_set(val_gap))}. Forward's"
        " loss, $-\\log (T^\\top \\hat p)_{\\tilde y}$, is never negative: it trains"
        " on the same $T$ without this."))

# %% [markdown] papermill={"duration": 0.006962, "end_time": "2026-12-06T21:13:14.107926+00:00", "exception": false, "start_time": "2026-12-06T21:13:14.100964+00:00", "status": "completed"}
# Each record also holds the test accuracy of the epoch that the run's own noisy-validation loss would have
# kept (the paper's criterion, {ref}`sec-model-selection`), so the two criteria compare on the same trainings:

# %% papermill={"duration": 0.021967, "end_time": "2026-12-06T21:13:14.143640+00:00", "exception": false, "start_time": "2026-12-06T21:13:14.121673+00:00", "status": "completed"} tags=["hide-input"]
both = [r for r in fast if r.get("test_accuracy_by_selection")]
if both:
    display(selection_table(both))

# %% [markdown] papermill={"duration": 0.007304, "end_time": "2026-12-06T21:13:14.158417+00:00", "exception": false, "start_time": "2026-12-06T21:13:14.151113+00:00", "status": "completed"}
# The same CE networks give every estimator's $\hat T$ (the CE record keeps them all). Per label set, the
# relative $L_1$ error of each against the true human $T$ and the accuracy of forward with it, where it was
# trained (the anchor estimate and cleanlab's confident joint); VolMinNet's row is the error of the $T$ it
# learned and its own accuracy ({ref}`sec-learned-T`). What each assumes ({ref}`ch-beyond-anchors`): `anchor`
# an anchor input per class; `confident_joint` a ranking of each class's examples; `dual_t` posteriors that
# have memorised the noisy labels (with an underfit CE network it counts the noise twice); `min_volume` and
# VolMinNet clean posteriors scattered enough to span the simplex.

# %% papermill={"duration": 0.025359, "end_time": "2026-12-06T21:13:14.195095+00:00", "exception": false, "start_time": "2026-12-06T21:13:14.169736+00:00", "status": "completed"} tags=["hide-input"]
for key in (shown if fast else []):
    display(Markdown(f"**{key}**"))
    display(estimator_table(fast_all, key))
if fast:
    learned_stats = estimator_stats(fast_all)

    def error(key, name, kind):
        value = learned_stats.get((key, name, kind), {}).get("error")
        return value[0] if value else None

    closer = {k: error(k, "volmin", "learned") <= error(k, "anchor", "in_sample")
              for k in shown if None not in (error(k, "volmin", "learned"),
                                             error(k, "anchor", "in_sample"))}
    display(Markdown(
        "- **VolMinNet's learned $T$ at least as close to the true $T$ as the anchor"
        f" $\\hat T$: {verdict(list(closer.values()))}**"
        f" ({listing([k for k, v in closer.items() if v], ', ')})."))

# %% [markdown] papermill={"duration": 0.007677, "end_time": "2026-12-06T21:13:14.213603+00:00", "exception": false, "start_time": "2026-12-06T21:13:14.205926+00:00", "status": "completed"}
# ### Why every method is clipped
#
# Without clipping, backward with the true $T$ degraded within a few epochs at the fast recipe's peak learning
# rate: the backward-corrected loss is unbounded below, since the inverse of $T$ has negative entries, so its
# gradient can grow the logits without limit. `benchmarks/clip_norm.py` trained CE and backward-T on 20,000
# images of `worst` (seed 0; the fast recipe with only the clipping norm and the epochs changed) to choose one
# norm for every method. The table gives the test accuracy (%) of the epoch of highest noisy-validation
# accuracy, and that epoch; the norm `fast2` uses is in its recipe, stated with the records above.

# %% papermill={"duration": 0.016545, "end_time": "2026-12-06T21:13:14.237731+00:00", "exception": false, "start_time": "2026-12-06T21:13:14.221186+00:00", "status": "completed"} tags=["hide-input"]
display(clip_table(clip_norm_path))

# %% [markdown] papermill={"duration": 0.008109, "end_time": "2026-12-06T21:13:14.253893+00:00", "exception": false, "start_time": "2026-12-06T21:13:14.245784+00:00", "status": "completed"}
# ## CIFAR-100N
#
# The human $T$ of CIFAR-100N is in the first table above: {glue:text}`c100n-wrong`% wrong labels, a
# smallest diagonal entry of {glue:text}`c100n-min-diag` and $\operatorname{cond}(T) =$
# {glue:text}`c100n-cond`; its anchor assumption holds: {glue:text}`c100n-anchors`. Its $\hat T$
# needs a CE model trained on the CIFAR-100 images, which are not in the book's data folder (only the
# CIFAR-N labels are). With an internet connection, `lnc.experiments.datasets.load_cifar100(download=True)`
# fetches the python release (checksum-verified), and the same chapter runs it:
# `python tools/run_chapter.py cifarn out.ipynb -p results_dir runs/cifarn -p dataset cifar100n -y "noise: [cifar100n]"` (reduced, CPU) or
# with `-p protocol paper -p subset None` (the benchmark's settings, GPU).

# %% papermill={"duration": 0.02015, "end_time": "2026-12-06T21:13:14.289327+00:00", "exception": false, "start_time": "2026-12-06T21:13:14.269177+00:00", "status": "completed"} tags=["hide-input"]
c100n = human.loc["cifar100n"]
glue("c100n-wrong", f"{c100n['wrong labels (%)']:.1f}", display=False)
glue("c100n-min-diag", f"{c100n['min T_ii']:.3f}", display=False)
glue("c100n-cond", f"{c100n['cond(T)']:.1f}", display=False)
glue("c100n-anchors", "yes" if c100n["anchors hold"] else "no", display=False)

# %% [markdown] papermill={"duration": 0.015954, "end_time": "2026-12-06T21:13:14.314011+00:00", "exception": false, "start_time": "2026-12-06T21:13:14.298057+00:00", "status": "completed"}
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
#   test set: compare gains over CE, not accuracies.

# %% [markdown] papermill={"duration": 0.008192, "end_time": "2026-12-06T21:13:14.330784+00:00", "exception": false, "start_time": "2026-12-06T21:13:14.322592+00:00", "status": "completed"}
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

# %% papermill={"duration": 0.035243, "end_time": "2026-12-06T21:13:14.374093+00:00", "exception": false, "start_time": "2026-12-06T21:13:14.338850+00:00", "status": "completed"}
for name in ("aggre", "worst"):
    T = cifarn_T(name)
    off = T - np.diag(np.diag(T))
    top = np.dstack(np.unravel_index(np.argsort(off, axis=None)[::-1][:3], T.shape))[0]
    margin = min(T[j, j] - np.delete(T[:, j], j).max() for j in range(len(T)))
    print(f"{name}: " + ", ".join(
        f"{CIFAR10_CLASSES[i]} → {CIFAR10_CLASSES[j]} {T[i, j]:.3f}"
        f" (reverse {T[j, i]:.3f})" for i, j in top)
        + f"; smallest margin {margin:.3f}")

# %% [markdown] papermill={"duration": 0.008247, "end_time": "2026-12-06T21:13:14.390830+00:00", "exception": false, "start_time": "2026-12-06T21:13:14.382583+00:00", "status": "completed"}
# The confusions come in pairs of similar classes but are not symmetric (compare each entry with its
# reverse). The margin is the slack of the anchor assumption $T_{jj} > T_{kj}$: while it stays positive,
# the input with the most confident noisy posterior for class $j$ is still of clean class $j$ for a
# well-calibrated model; a small margin leaves less room for a miscalibrated CE model.
#
# ```{solution-end}
# ```
