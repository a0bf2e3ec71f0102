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

# %% [markdown] papermill={"duration": 0.003337, "end_time": "2026-12-07T00:12:56.986462+00:00", "exception": false, "start_time": "2026-12-07T00:12:56.983125+00:00", "status": "completed"}
# (ch-cifar)=
# # ResNets on CIFAR-10 Under Synthetic Noise
#
# The two-stage protocol of {cite:t}`patrini2017` trains a network with CE, reads $\hat T$ off its
# posteriors, and retrains with a corrected loss. $\hat T$ can be no better than the CE network it is read
# from. On MNIST and IMDB ({ref}`ch-mnist`, {ref}`ch-imdb`) small networks fit the data quickly; natural
# images need a convolutional network, and one trained on a budget may be far from the true noisy
# posterior. This chapter runs the protocol on CIFAR-10 under the synthetic noise of the paper, with
# `lnc.experiments.protocol.run_grid`, and reads what the saved records say: accuracies, the estimated
# $\hat T$, and the per-epoch curves of every training.
#
# It ends with a question about the noise model itself: which CIFAR-100 classes the paper's code flips into
# which.
#
# After this chapter you can
#
# - run the CE → $\hat T$ → corrected-loss protocol on CIFAR-10 and read its records;
# - tell from a record's curves when SGD has exploited a backward-corrected loss that is unbounded below;
# - say why the CIFAR-100 noise of the official code is not "the next class of the same superclass".
#
# ````{admonition} Parameters of this chapter
# :class: dropdown note
#
# | parameter | meaning | stored run |
# |---|---|---|
# | `dataset` | `"cifar10"` or `"cifar100"` | `"cifar10"` |
# | `noise`, `rates` | noise kinds and rates, as in {ref}`ch-mnist` | symmetric and asymmetric, `[0.4]` |
# | `grouping` | CIFAR-100 asymmetric groups: `"blocks"` (official code) or `"superclass"` | `"blocks"` |
# | `methods` | losses (`protocol.METHODS`) | CE and the four corrections |
# | `seeds` | one run per seed | `[0]` |
# | `protocol` | a recipe per task: paper, cpu, fast, fast2 ({ref}`sec-recipes`) | `"fast"` |
# | `epochs`, `subset` | overrides (`None` = the protocol's, all) | `None`, `None` |
# | `device`, `workers` | `"auto"`, worker processes | `"auto"`, `1` |
# | `results_dir` | where the JSON records go | `"results/cifar10_fast"` |
#
# `selection` is how each training keeps its epoch on the noisy validation split: `"val_loss"` (its own
# loss, the paper's choice and the stored run's) or `"val_accuracy"` (the same for every method;
# {ref}`sec-model-selection`). `extend_results=True` lets a run add records to a folder of stored runs.
#
# The paper's protocol runs on a GPU:
#
# ```
# python tools/run_chapter.py cifar out.ipynb -p results_dir runs/cifar \
#   -p protocol paper -p subset None -y "seeds: [0, 1, 2, 3, 4]"
# python tools/run_chapter.py cifar out.ipynb -p results_dir runs/cifar100 \
#   -p dataset cifar100 -p protocol paper -p subset None -y "seeds: [0, 1, 2, 3, 4]"
# ```
#
# The CIFAR-100 images are not in the book's data folder;
# `lnc.experiments.datasets.load_cifar100(download=True)` fetches them where a network exists.
# ````

# %% papermill={"duration": 0.009875, "end_time": "2026-12-07T00:12:56.998863+00:00", "exception": false, "start_time": "2026-12-07T00:12:56.988988+00:00", "status": "completed"} tags=["parameters", "hide-input"]
dataset = "cifar10"
noise = ["symmetric", "asymmetric"]
rates = [0.4]
grouping = "blocks"
methods = ["ce", "backward", "forward", "backward_est", "forward_est"]
seeds = [0]
protocol = "fast"
epochs = None
subset = None
device = "auto"
workers = 1
results_dir = "results/cifar10_fast"
extend_results = False
selection = "val_loss"

# %% papermill={"duration": 2.236792, "end_time": "2026-12-07T00:12:59.238513+00:00", "exception": false, "start_time": "2026-12-07T00:12:57.001721+00:00", "status": "completed"} tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from myst_nb import glue

from lnc import cifar100_asymmetric_T, condition_number
from lnc.book.display import plain_warnings
from lnc.book.plots import show_T, training_curves
from lnc.experiments.datasets import CIFAR10_CLASSES
from lnc.experiments.protocol import check_grid, noise_settings, run_grid
from lnc.experiments.recipes import get_recipe, paper_T
from lnc.experiments.prose import (SELECTION_TEXT, listing, shown_run, span,
                                   verdict)
from lnc.experiments.results import cpu_minutes, setting, summarize
from lnc.experiments.tables import accuracy_tables, backward_table, estimation_table
from lnc.noise import CIFAR100_COARSE

plain_warnings()  # warnings print without this checkout's file paths

settings = noise_settings(noise, rates)
noise_kwargs = {"grouping": grouping} if dataset == "cifar100" else None
# every parameter is checked before any training
configs = check_grid(dataset, settings, seeds=seeds, methods=methods,
                     protocol=protocol, epochs=epochs, subset=subset, device=device,
                     results_dir=results_dir, extend=extend_results,
                     selection=selection,
                     noise_kwargs=noise_kwargs)

# %% [markdown] papermill={"duration": 0.003251, "end_time": "2026-12-07T00:12:59.248800+00:00", "exception": false, "start_time": "2026-12-07T00:12:59.245549+00:00", "status": "completed"}
# ## The run
#
# Every training of the grid (each noise setting × seed × method) runs once and saves a JSON record;
# with `results_dir` set, a record already there is read instead of re-trained. What this page shows
# comes from these records:

# %% papermill={"duration": 0.016395, "end_time": "2026-12-07T00:12:59.267533+00:00", "exception": false, "start_time": "2026-12-07T00:12:59.251138+00:00", "status": "completed"}
records = run_grid(dataset, settings, seeds=seeds, workers=workers, methods=methods,
                   protocol=protocol, epochs=epochs, subset=subset, device=device,
                   results_dir=results_dir, extend=extend_results,
                   selection=selection,
                   noise_kwargs=noise_kwargs)
ok = [r for r in records if r.get("status", "ok") == "ok"]

# %% papermill={"duration": 0.070318, "end_time": "2026-12-07T00:12:59.345847+00:00", "exception": false, "start_time": "2026-12-07T00:12:59.275529+00:00", "status": "completed"} tags=["hide-input"]
paper = get_recipe(dataset, "paper")
display(Markdown(shown_run(records, paper, "the paper’s")))
glue("cifar-selection", SELECTION_TEXT[selection], display=False)

# %% [markdown] papermill={"duration": 0.002259, "end_time": "2026-12-07T00:12:59.351071+00:00", "exception": false, "start_time": "2026-12-07T00:12:59.348812+00:00", "status": "completed"}
# The noise of each setting is the paper's: symmetric noise moves a label to any other class with
# probability $N / (c - 1)$ each (`lnc.symmetric_T`); asymmetric noise flips a few chosen classes to a
# similar one with probability $N$ (`lnc.cifar10_asymmetric_T` on CIFAR-10):

# %% papermill={"duration": 0.009192, "end_time": "2026-12-07T00:12:59.362574+00:00", "exception": false, "start_time": "2026-12-07T00:12:59.353382+00:00", "status": "completed"} tags=["hide-input"]
names = CIFAR10_CLASSES if dataset == "cifar10" else [str(k) for k in range(100)]
flip_T = paper_T(dataset, "asymmetric", 0.4, **(noise_kwargs or {}))
off_diagonal = flip_T - np.diag(np.diag(flip_T))
flips = [f"{names[i]} → {names[j]}" for i, j in zip(*np.nonzero(off_diagonal))]
display(Markdown(f"Asymmetric flips of `{dataset}`: {', '.join(flips[:10])}"
                 + (f" and {len(flips) - 10} more" if len(flips) > 10 else "") + "."))

# %% [markdown] papermill={"duration": 0.002361, "end_time": "2026-12-07T00:12:59.371853+00:00", "exception": false, "start_time": "2026-12-07T00:12:59.369492+00:00", "status": "completed"}
# ## Test accuracy
#
# Clean test accuracy (%) of the epoch that model selection kept ({glue:text}`cifar-selection`), mean ±
# standard deviation over the seeds (no ± with one seed). "backward" and "forward" use the true $T$; "backward_est" and
# "forward_est" the $\hat T$ estimated from the CE run of the same setting and seed.

# %% papermill={"duration": 0.015048, "end_time": "2026-12-07T00:12:59.389218+00:00", "exception": false, "start_time": "2026-12-07T00:12:59.374170+00:00", "status": "completed"}
for heading, table in accuracy_tables(records, methods=methods):
    display(Markdown(f"**{heading}**"), table)

# %% [markdown] papermill={"duration": 0.002844, "end_time": "2026-12-07T00:12:59.395007+00:00", "exception": false, "start_time": "2026-12-07T00:12:59.392163+00:00", "status": "completed"}
# ## Training curves
#
# Each record keeps, per epoch, the training loss and the loss and accuracy on the *noisy* validation
# split ({numref}`fig-cifar-curves`). The training loss is the method's own: a corrected loss is not
# comparable with CE in value, and a backward-corrected one can be negative.

# %% papermill={"duration": 0.433993, "end_time": "2026-12-07T00:12:59.831613+00:00", "exception": false, "start_time": "2026-12-07T00:12:59.397620+00:00", "status": "completed"} tags=["hide-input"]
runs = [r for r in ok if r["seed"] == ok[0]["seed"] and "curves" in r]
keys = list(dict.fromkeys(setting(r) for r in runs))
fig = training_curves(runs, key=setting)
glue("fig-cifar-curves", fig, display=False)
plt.close(fig)

# %% [markdown] papermill={"duration": 0.005441, "end_time": "2026-12-07T00:12:59.840899+00:00", "exception": false, "start_time": "2026-12-07T00:12:59.835458+00:00", "status": "completed"}
# ```{glue:figure} fig-cifar-curves
# :name: fig-cifar-curves
#
# Per epoch, for each noise setting (rows, first seed): accuracy on the noisy validation split (left) and
# the training loss on a symmetric-log scale (right; the grey line is zero). Look for a loss that crosses
# zero and keeps falling: that is a backward-corrected loss being driven towards $-\infty$.
# ```

# %% [markdown] papermill={"duration": 0.003039, "end_time": "2026-12-07T00:12:59.847123+00:00", "exception": false, "start_time": "2026-12-07T00:12:59.844084+00:00", "status": "completed"}
# ## The estimated $\hat T$
#
# Per setting, the relative $L_1$ error of $\hat T$ against the true $T$,
# $\sum_{ij} |\hat T_{ij} - T_{ij}| / \sum_{ij} T_{ij}$, its condition number, and the epoch that
# model selection kept in the CE run that $\hat T$ was estimated from. {numref}`fig-cifar-estimate`
# shows where the errors lie.

# %% papermill={"duration": 0.00822, "end_time": "2026-12-07T00:12:59.858950+00:00", "exception": false, "start_time": "2026-12-07T00:12:59.850730+00:00", "status": "completed"}
display(estimation_table(records))

# %% papermill={"duration": 0.707889, "end_time": "2026-12-07T00:13:00.570109+00:00", "exception": false, "start_time": "2026-12-07T00:12:59.862220+00:00", "status": "completed"} tags=["hide-input"]
ce_runs = [r for r in runs if r["method"] == "ce"]
gap = max(np.abs(np.array(r["T_hat"]) - np.array(r["T_true"])).max() for r in ce_runs)
fig, axes = plt.subplots(len(ce_runs), 2, figsize=(10, 4.2 * len(ce_runs)),
                         squeeze=False)
for (ax_hat, ax_gap), r in zip(axes, ce_runs):
    T, T_hat = np.array(r["T_true"]), np.array(r["T_hat"])
    fig.colorbar(show_T(ax_hat, T_hat, rf"$\hat T$: {setting(r)}"), ax=ax_hat)
    fig.colorbar(show_T(ax_gap, T_hat - T, rf"$\hat T - T$: {setting(r)}", vmax=gap,
                        cmap="coolwarm"), ax=ax_gap)
    if len(T) <= 10:  # class names on the axes of a 10-class matrix
        for ax in (ax_hat, ax_gap):
            ax.set_xticks(range(len(T)), names[:len(T)], rotation=90, fontsize=9)
            ax.set_yticks(range(len(T)), names[:len(T)], fontsize=9)
fig.tight_layout()
glue("fig-cifar-estimate", fig, display=False)
plt.close(fig)

# %% [markdown] papermill={"duration": 0.008411, "end_time": "2026-12-07T00:13:00.583171+00:00", "exception": false, "start_time": "2026-12-07T00:13:00.574760+00:00", "status": "completed"}
# ```{glue:figure} fig-cifar-estimate
# :name: fig-cifar-estimate
#
# The estimated $\hat T$ (left) and its error $\hat T - T$ (right, one colour scale for every row) for
# each noise setting, first seed. Red cells are transitions $\hat T$ over-states, blue ones it
# under-states; a blue diagonal cell means $\hat T$ under-states how often that class keeps its label.
# ```

# %% [markdown] papermill={"duration": 0.004013, "end_time": "2026-12-07T00:13:00.591492+00:00", "exception": false, "start_time": "2026-12-07T00:13:00.587479+00:00", "status": "completed"}
# ## The backward corrections, epoch by epoch
#
# The backward-corrected loss multiplies the vector of losses by the inverse of the matrix it is given
# ({ref}`ch-backward`). Negative entries of that inverse make the loss unbounded below. For
# each backward run (first seed): the condition number of the matrix used ($T$ or $\hat T$), the smallest
# entry of its inverse, the first epoch whose mean training loss is negative, the last epoch's training
# loss beside CE's on the same seed, the share of steps clipped where recorded, the epoch model selection
# kept out of the epochs run, the best noisy-validation accuracy over the epochs, and the test accuracy.

# %% papermill={"duration": 0.010432, "end_time": "2026-12-07T00:13:00.606078+00:00", "exception": false, "start_time": "2026-12-07T00:13:00.595646+00:00", "status": "completed"} tags=["hide-input"]
table = backward_table(runs)
rows = [dict(zip(table.rows[0], row)) for row in table.rows[1:]]
display(table if rows else Markdown("No backward run in this grid."))

# %% [markdown] papermill={"duration": 0.004255, "end_time": "2026-12-07T00:13:00.614843+00:00", "exception": false, "start_time": "2026-12-07T00:13:00.610588+00:00", "status": "completed"}
# ## What the run shows
#
# Each claim below is computed from the records above and marked as holding or not, with its numbers.

# %% papermill={"duration": 0.020618, "end_time": "2026-12-07T00:13:00.639899+00:00", "exception": false, "start_time": "2026-12-07T00:13:00.619281+00:00", "status": "completed"} tags=["hide-input"]
stats = summarize(ok)


def acc(method, key, of=stats):  # as the tables print it, to one decimal
    return float(f"{of[method, key][0]:.1f}") if (method, key) in of else None


def compare(a, b, keys, of=stats):
    """Per setting, the flags "``a`` above ``b``" and a text with both accuracies."""
    pairs = [(k, acc(a, k, of), acc(b, k, of)) for k in keys
             if None not in (acc(a, k, of), acc(b, k, of))]
    text = "; ".join(f"{k}: {a} {x:.1f}, {b} {y:.1f}" for k, x, y in pairs)
    return [x > y for _, x, y in pairs], text or "no setting has both"


def negative(epoch):
    if epoch == "never":
        return "the mean training loss never negative"
    return f"the mean training loss negative from epoch {epoch}"


def fmt(value):
    return "∞" if value is None else f"{value:.1f}"


cond_T = {setting(r): condition_number(np.array(r["T_true"])) for r in ce_runs}
err = {setting(r): (r["estimation_error"], r["cond_T_hat"]) for r in ce_runs}
best = {k: max(methods, key=lambda m: acc(m, k) if acc(m, k) is not None else -1)
        for k in keys}
claims = []
flags, text = compare("forward", "ce", keys)
claims.append(f"**Forward correction with the true $T$ above CE in each setting:"
              f" {verdict(flags)}** ({text}).")
flags = [best[k] == "forward" for k in keys if acc("forward", k) is not None]
claims.append(f"**Forward with the true $T$ the best method of each setting:"
              f" {verdict(flags)}** (best: "
              + ", ".join(f"{k}: {best[k]}" for k in keys) + ").")
flags, text = compare("ce", "backward", keys)
claims.append(f"**Backward correction with the true $T$ below CE in each setting:"
              f" {verdict(flags)}** ({text}); $\\operatorname{{cond}}(T)$ "
              + ", ".join(f"{k}: {c:.1f}" for k, c in cond_T.items()) + ".")
flags, text = compare("forward_est", "ce", keys)
claims.append(f"**Forward correction with $\\hat T$ above CE in each setting:"
              f" {verdict(flags)}** ({text}). The relative error of $\\hat T$ is "
              + ", ".join(f"{k}: {e:.2f}" for k, (e, _) in err.items())
              + "; $\\operatorname{cond}(\\hat T)$ "
              + ", ".join(f"{k}: {fmt(c)}" for k, (_, c) in err.items()) + ".")
flags, text = compare("backward", "backward_est", keys)
lost = [setting(r) for r in records
        if r["method"] == "backward_est" and r.get("status", "ok") != "ok"]
failed = f"; failed at {listing(lost, ', ')}, see *The run*" if lost else ""
claims.append(f"**Backward correction with $\\hat T$ below backward with the true $T$"
              f" in each setting: {verdict(flags)}** ({text}{failed}). "
              + " ".join(f"{row['setting']}: {negative(row['loss < 0 from epoch'])},"
                         f" smallest entry of"
                         f" $\\hat T^{{-1}}$ {row['min of inverse']}, epoch"
                         f" {row['kept / run']} kept."
                         for row in rows if row["method"] == "backward_est"))
on_cpu = all(r["device"] == "cpu" for r in ok)
claims.append(f"**CPU time per training:** {span(cpu_minutes(ok))} CPU-minutes (wall"
              " time × threads of each record; it depends on the CPU)." if on_cpu
              else "**Device:** a GPU (each record names it).")
n_seeds = len({r["seed"] for r in ok})
claims.append(f"**Seeds: {n_seeds}.** "
              + ("With one seed no spread is measured: the differences above carry no"
                 " error bar." if n_seeds == 1 else
                 "The ± in the accuracy table is the spread over seeds."))
display(Markdown("\n".join(f"- {c}" for c in claims)))

# %% [markdown] papermill={"duration": 0.008544, "end_time": "2026-12-07T00:13:00.653309+00:00", "exception": false, "start_time": "2026-12-07T00:13:00.644765+00:00", "status": "completed"}
# These claims are about the protocol of this run, stated under *The run* beside the paper's; they
# say nothing of the paper's regime until `protocol="paper"` is run. The protocol `"fast"` neither clips
# the gradient nor keeps the epoch by a criterion backward cannot game; {ref}`ch-cifarn` shows what
# `"fast2"`, which does both, changes for backward. {ref}`ch-comparison` tests the
# paper's qualitative claims on the records of every experiment chapter together.

# %% [markdown] papermill={"duration": 0.004199, "end_time": "2026-12-07T00:13:00.662010+00:00", "exception": false, "start_time": "2026-12-07T00:13:00.657811+00:00", "status": "completed"}
# ````{admonition} Quick run
# :class: tip
#
# On a laptop, `-p protocol cpu -p subset 10000 -p results_dir runs/cifar` runs the same chapter with a
# ResNet-8 on 10,000 training images in minutes. Such a run checks the code, not the method: its CE network
# is too weak for its $\hat T$ to be trusted, so no verdict of this book rests on it.
# ````

# %% [markdown] papermill={"duration": 0.004247, "end_time": "2026-12-07T00:13:00.670524+00:00", "exception": false, "start_time": "2026-12-07T00:13:00.666277+00:00", "status": "completed"}
# (cifar100-grouping)=
# ## CIFAR-100: which classes are flipped into which
#
# The paper's CIFAR-100 noise flips each class to the next one within groups of five. Its official code
# {cite}`patrini2017code` takes the groups as five *consecutive fine-label ids*, and the fine labels are
# numbered alphabetically (apple, aquarium fish, baby, bear, beaver, ...), so the groups are not semantic.
# The natural reading, "the next class of the same superclass", uses CIFAR-100's 20 superclasses instead
# (`grouping="superclass"`). The two noise models differ; `lnc.cifar100_asymmetric_T` implements both,
# with the official one as the default. How many of the 100 flips stay inside a superclass, and where
# do the others go ({numref}`fig-cifar100-flips`)?

# %% papermill={"duration": 0.196798, "end_time": "2026-12-07T00:13:00.871886+00:00", "exception": false, "start_time": "2026-12-07T00:13:00.675088+00:00", "status": "completed"} tags=["hide-input"]
rate = 0.4  # any rate in (0, 1) flips the same pairs


def flips_of(T):
    return [(i, j) for i, j in zip(*np.nonzero(T - np.diag(np.diag(T))))]


counts = {}
for g in ("blocks", "superclass"):
    pairs = flips_of(cifar100_asymmetric_T(rate, grouping=g))
    same = sum(CIFAR100_COARSE[i] == CIFAR100_COARSE[j] for i, j in pairs)
    counts[g] = (len(pairs), same)
    if g == "blocks":
        between = np.zeros((20, 20), dtype=int)
        for i, j in pairs:
            between[CIFAR100_COARSE[i], CIFAR100_COARSE[j]] += 1
display(Markdown("\n".join(
    f"- `grouping=\"{g}\"`: {n} flips, {s} of them within a superclass,"
    f" {n - s} across two."
    for g, (n, s) in counts.items())))
fig, ax = plt.subplots(figsize=(6.5, 5.5))
top = between.max()
image = ax.imshow(between, cmap=plt.get_cmap("Greys", top + 1),
                  vmin=-0.5, vmax=top + 0.5)
fig.colorbar(image, ax=ax, label="fine classes", ticks=range(top + 1))
ax.plot([-0.5, 19.5], [-0.5, 19.5], color="tab:red", lw=0.8)  # the diagonal
ax.set(xticks=range(20), yticks=range(20), xlabel="superclass of the noisy label",
       ylabel="superclass of the clean label",
       title=f"CIFAR-100 blocks grouping: {counts['blocks'][0]} flips by superclass")
ax.tick_params(labelsize=9)
glue("fig-cifar100-flips", fig, display=False)
plt.close(fig)

# %% [markdown] papermill={"duration": 0.004357, "end_time": "2026-12-07T00:13:00.881743+00:00", "exception": false, "start_time": "2026-12-07T00:13:00.877386+00:00", "status": "completed"}
# ```{glue:figure} fig-cifar100-flips
# :name: fig-cifar100-flips
#
# The flips of the official CIFAR-100 noise (`grouping="blocks"`), counted by superclass: cell $(a, b)$ is
# the number of fine classes of superclass $a$ whose labels are flipped into a class of superclass $b$.
# The diagonal (red line) holds the flips that stay inside a superclass; the superclass grouping puts
# all of them there.
# ```

# %% [markdown] papermill={"duration": 0.004452, "end_time": "2026-12-07T00:13:00.894907+00:00", "exception": false, "start_time": "2026-12-07T00:13:00.890455+00:00", "status": "completed"}
# ## Summary
#
# - `lnc.experiments.protocol.run_grid` runs the protocol of the paper (CE, $\hat T$ from its posteriors,
#   then the corrections) and keeps a record per training, with per-epoch curves.
# - What the $\hat T$ corrections gain depends on the CE model: $\hat T$ is read off its posteriors and
#   the corrections inherit its error; the claims above say how far $\hat T$ is from $T$ in this run.
# - A backward-corrected loss with negative entries in the inverse can be driven below zero; the
#   training curves show when that happens.
# - The CIFAR-100 noise of the official code flips between alphabetical neighbours, mostly across
#   superclasses.

# %% [markdown] papermill={"duration": 0.004357, "end_time": "2026-12-07T00:13:00.903778+00:00", "exception": false, "start_time": "2026-12-07T00:13:00.899421+00:00", "status": "completed"}
# ## Exercises
#
# ```{exercise}
# :label: ex-cifar-cat-dog
#
# The CIFAR-10 asymmetric noise swaps cat and dog with probability $N$. Show that $T$ is singular at
# $N = 0.5$. The backward correction then cannot be built; the forward correction can. What can a network
# trained with the forward-corrected loss learn about cats and dogs at $N = 0.5$, and what test accuracy on
# these two classes would you expect? Check with
# `python tools/run_chapter.py cifar out.ipynb -p results_dir runs/cifar -p protocol cpu -p subset 10000 -y "noise: [asymmetric]" -y "rates: [0.5]" -y "methods: [ce, forward]"`.
# ```
#
# ```{solution} ex-cifar-cat-dog
# :class: dropdown
#
# At $N = 0.5$ rows 3 (cat) and 5 (dog) of $T$ both equal $(0.5, 0.5)$ on columns 3 and 5, so $T$ has two equal
# rows and $\det T = 0$. The noisy posterior of the forward model depends on $p_{\text{cat}}$ and
# $p_{\text{dog}}$ only through their sum, $(p^\top T)_3 = (p^\top T)_5 = (p_3 + p_5)/2$: every split of
# the mass between cat and dog has the same loss, so the network learns "cat or dog" but nothing that separates
# them, and its choice between the two is arbitrary: about 50% on these two classes, unaffected elsewhere.
# ```
