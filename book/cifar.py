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

# %% [markdown] papermill={"duration": 0.007831, "end_time": "2026-12-06T19:54:39.236805+00:00", "exception": false, "start_time": "2026-12-06T19:54:39.228974+00:00", "status": "completed"}
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
# | `methods` | losses of `lnc.experiments.protocol.METHODS` | CE and the four corrections |
# | `seeds` | one run per seed | `[0]` |
# | `protocol` | `"paper"` (the paper's settings) or `"cpu"` (a reduced ResNet) | `"cpu"` |
# | `epochs`, `subset` | overrides (`None` = the protocol's, all) | `None`, `10000` |
# | `device`, `workers` | `"auto"`, worker processes | `"auto"`, `2` |
# | `results_dir` | where the JSON records go | `"results/cifar10"` |
#
# `selection` is how each training keeps its epoch on the noisy validation split: `"val_loss"` (its own
# loss, the paper's choice and the stored run's) or `"val_accuracy"` (the same for every method;
# {ref}`sec-model-selection`). `extend_results=True` lets a run add records to a folder of stored runs.
#
# `fast_results_dir` (stored run: `"results/cifar10_fast"`) is the folder of full-data fast-protocol records
# that the section {ref}`cifar-fast` reads; it trains nothing.
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

# %% papermill={"duration": 0.011098, "end_time": "2026-12-06T19:54:39.250476+00:00", "exception": false, "start_time": "2026-12-06T19:54:39.239378+00:00", "status": "completed"} tags=["parameters", "hide-input"]
dataset = "cifar10"
noise = ["symmetric", "asymmetric"]
rates = [0.4]
grouping = "blocks"
methods = ["ce", "backward", "forward", "backward_est", "forward_est"]
seeds = [0]
protocol = "cpu"
epochs = None
subset = 10000
device = "auto"
workers = 2
results_dir = "results/cifar10"
extend_results = False
selection = "val_loss"
fast_results_dir = "results/cifar10_fast"

# %% papermill={"duration": 1.671967, "end_time": "2026-12-06T19:54:40.925261+00:00", "exception": false, "start_time": "2026-12-06T19:54:39.253294+00:00", "status": "completed"} tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from myst_nb import glue

from lnc import cifar100_asymmetric_T, condition_number
from lnc.book.display import plain_warnings
from lnc.book.plots import show_T, training_curves
from lnc.experiments.datasets import CIFAR10_CLASSES
from lnc.experiments.protocol import check_grid, noise_settings, run_grid
from lnc.experiments.recipes import get_recipe, paper_T
from lnc.experiments.records import load_records
from lnc.experiments.prose import (describe_records, failed_trainings, listing,
                                   shown_run, span, verdict)
from lnc.experiments.results import cpu_minutes, setting, summarize
from lnc.experiments.tables import accuracy_tables, estimation_table
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

# %% [markdown] papermill={"duration": 0.002273, "end_time": "2026-12-06T19:54:40.930451+00:00", "exception": false, "start_time": "2026-12-06T19:54:40.928178+00:00", "status": "completed"}
# ## The run
#
# Every training of the grid (each noise setting × seed × method) runs once and saves a JSON record;
# with `results_dir` set, a record already there is read instead of re-trained. What this page shows
# comes from these records:

# %% papermill={"duration": 0.013337, "end_time": "2026-12-06T19:54:40.945859+00:00", "exception": false, "start_time": "2026-12-06T19:54:40.932522+00:00", "status": "completed"}
records = run_grid(dataset, settings, seeds=seeds, workers=workers, methods=methods,
                   protocol=protocol, epochs=epochs, subset=subset, device=device,
                   results_dir=results_dir, extend=extend_results,
                   selection=selection,
                   noise_kwargs=noise_kwargs)
ok = [r for r in records if r.get("status", "ok") == "ok"]

# %% papermill={"duration": 0.014355, "end_time": "2026-12-06T19:54:40.963517+00:00", "exception": false, "start_time": "2026-12-06T19:54:40.949162+00:00", "status": "completed"} tags=["hide-input"]
paper = get_recipe(dataset, "paper")
display(Markdown(shown_run(records, paper, "the paper’s")))

# %% [markdown] papermill={"duration": 0.006488, "end_time": "2026-12-06T19:54:40.972520+00:00", "exception": false, "start_time": "2026-12-06T19:54:40.966032+00:00", "status": "completed"}
# The noise of each setting is the paper's: symmetric noise moves a label to any other class with
# probability $N / (c - 1)$ each (`lnc.symmetric_T`); asymmetric noise flips a few chosen classes to a
# similar one with probability $N$ (`lnc.cifar10_asymmetric_T` on CIFAR-10):

# %% papermill={"duration": 0.012343, "end_time": "2026-12-06T19:54:40.988806+00:00", "exception": false, "start_time": "2026-12-06T19:54:40.976463+00:00", "status": "completed"} tags=["hide-input"]
names = CIFAR10_CLASSES if dataset == "cifar10" else [str(k) for k in range(100)]
flip_T = paper_T(dataset, "asymmetric", 0.4, **(noise_kwargs or {}))
off_diagonal = flip_T - np.diag(np.diag(flip_T))
flips = [f"{names[i]} → {names[j]}" for i, j in zip(*np.nonzero(off_diagonal))]
display(Markdown(f"Asymmetric flips of `{dataset}`: {', '.join(flips[:10])}"
                 + (f" and {len(flips) - 10} more" if len(flips) > 10 else "") + "."))

# %% [markdown] papermill={"duration": 0.009554, "end_time": "2026-12-06T19:54:41.000545+00:00", "exception": false, "start_time": "2026-12-06T19:54:40.990991+00:00", "status": "completed"}
# ## Test accuracy
#
# Clean test accuracy (%) of the epoch with the lowest noisy-validation loss, mean ± standard deviation over
# the seeds (no ± with one seed). "backward" and "forward" use the true $T$; "backward_est" and
# "forward_est" the $\hat T$ estimated from the CE run of the same setting and seed.

# %% papermill={"duration": 0.011821, "end_time": "2026-12-06T19:54:41.014388+00:00", "exception": false, "start_time": "2026-12-06T19:54:41.002567+00:00", "status": "completed"}
for heading, table in accuracy_tables(records, methods=methods):
    display(Markdown(f"**{heading}**"), table)

# %% [markdown] papermill={"duration": 0.002117, "end_time": "2026-12-06T19:54:41.018926+00:00", "exception": false, "start_time": "2026-12-06T19:54:41.016809+00:00", "status": "completed"}
# ## Training curves
#
# Each record keeps, per epoch, the training loss and the loss and accuracy on the *noisy* validation
# split ({numref}`fig-cifar-curves`). The training loss is the method's own: a corrected loss is not
# comparable with CE in value, and a backward-corrected one can be negative.

# %% papermill={"duration": 0.616279, "end_time": "2026-12-06T19:54:41.640743+00:00", "exception": false, "start_time": "2026-12-06T19:54:41.024464+00:00", "status": "completed"} tags=["hide-input"]
runs = [r for r in ok if r["seed"] == ok[0]["seed"] and "curves" in r]
keys = list(dict.fromkeys(setting(r) for r in runs))
fig = training_curves(runs, key=setting)
glue("fig-cifar-curves", fig, display=False)
plt.close(fig)

# %% [markdown] papermill={"duration": 0.00349, "end_time": "2026-12-06T19:54:41.649152+00:00", "exception": false, "start_time": "2026-12-06T19:54:41.645662+00:00", "status": "completed"}
# ```{glue:figure} fig-cifar-curves
# :name: fig-cifar-curves
#
# Per epoch, for each noise setting (rows, first seed): accuracy on the noisy validation split (left) and
# the training loss on a symmetric-log scale (right; the grey line is zero). Look for a loss that crosses
# zero and keeps falling: that is a backward-corrected loss being driven towards $-\infty$.
# ```

# %% [markdown] papermill={"duration": 0.004311, "end_time": "2026-12-06T19:54:41.656672+00:00", "exception": false, "start_time": "2026-12-06T19:54:41.652361+00:00", "status": "completed"}
# ## The estimated $\hat T$
#
# Per setting, the relative $L_1$ error of $\hat T$ against the true $T$,
# $\sum_{ij} |\hat T_{ij} - T_{ij}| / \sum_{ij} T_{ij}$, its condition number, and the epoch that
# model selection kept in the CE run that $\hat T$ was estimated from. {numref}`fig-cifar-estimate`
# shows where the errors lie.

# %% papermill={"duration": 0.017108, "end_time": "2026-12-06T19:54:41.676799+00:00", "exception": false, "start_time": "2026-12-06T19:54:41.659691+00:00", "status": "completed"}
display(estimation_table(records))

# %% papermill={"duration": 0.467386, "end_time": "2026-12-06T19:54:42.147393+00:00", "exception": false, "start_time": "2026-12-06T19:54:41.680007+00:00", "status": "completed"} tags=["hide-input"]
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

# %% [markdown] papermill={"duration": 0.004777, "end_time": "2026-12-06T19:54:42.156731+00:00", "exception": false, "start_time": "2026-12-06T19:54:42.151954+00:00", "status": "completed"}
# ```{glue:figure} fig-cifar-estimate
# :name: fig-cifar-estimate
#
# The estimated $\hat T$ (left) and its error $\hat T - T$ (right, one colour scale for every row) for
# each noise setting, first seed. Red cells are transitions $\hat T$ over-states, blue ones it
# under-states; a blue diagonal cell means $\hat T$ under-states how often that class keeps its label.
# ```

# %% [markdown] papermill={"duration": 0.004595, "end_time": "2026-12-06T19:54:42.164737+00:00", "exception": false, "start_time": "2026-12-06T19:54:42.160142+00:00", "status": "completed"}
# ## The backward corrections, epoch by epoch
#
# The backward-corrected loss multiplies the vector of losses by the inverse of the matrix it is given
# ({ref}`ch-backward`). Negative entries of that inverse make the loss unbounded below. For
# each backward run (first seed): the condition number of the matrix used ($T$ or $\hat T$), the smallest
# entry of its inverse, the first epoch whose mean training loss is negative, the epoch model selection
# kept out of the epochs run, the best noisy-validation accuracy over the epochs, and the test accuracy.

# %% papermill={"duration": 0.061085, "end_time": "2026-12-06T19:54:42.237770+00:00", "exception": false, "start_time": "2026-12-06T19:54:42.176685+00:00", "status": "completed"} tags=["hide-input"]
def first_negative(values):
    """1-based first epoch with a negative value, or "never"."""
    below = [k + 1 for k, v in enumerate(values) if v is not None and v < 0]
    return below[0] if below else "never"


rows = []
for r in (r for r in runs if r["method"] in ("backward", "backward_est")):
    M = np.array(r["T_true"] if r["method"] == "backward" else r["T_hat"])
    run_length = sum(v is not None for v in r["curves"]["train_loss"])
    best_val = np.nanmax(np.array(r["curves"]["val_accuracy"], dtype=float))
    rows.append({
        "setting": setting(r), "method": r["method"],
        "cond": f"{condition_number(M):.1f}",
        "min of inverse": f"{np.linalg.inv(M).min():.2f}",
        "loss < 0 from epoch": first_negative(r["curves"]["train_loss"]),
        "kept / run": f"{r['best_epoch']} / {run_length}"
                      + " (diverged)" * r["diverged"],
        "best val acc (%)": f"{100 * best_val:.1f}",
        "test acc (%)": f"{100 * r['test_accuracy']:.1f}",
    })
backward_runs = pd.DataFrame(rows)
table = backward_runs.style.hide(axis="index").set_uuid("cifar-backward")
display(table if rows else Markdown("No backward run in this grid."))

# %% [markdown] papermill={"duration": 0.003842, "end_time": "2026-12-06T19:54:42.246116+00:00", "exception": false, "start_time": "2026-12-06T19:54:42.242274+00:00", "status": "completed"}
# ## What the run shows
#
# Each claim below is computed from the records above and marked as holding or not, with its numbers.

# %% papermill={"duration": 0.027404, "end_time": "2026-12-06T19:54:42.277273+00:00", "exception": false, "start_time": "2026-12-06T19:54:42.249869+00:00", "status": "completed"} tags=["hide-input"]
near_chance = 5.0  # points above chance (100 / c %) that still count as "at chance"
stats = summarize(ok)
n_classes = len(ok[0]["T_true"])
chance = 100 / n_classes


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
flags, text = compare("ce", "forward_est", keys)
claims.append(f"**Forward correction with $\\hat T$ below CE in each setting:"
              f" {verdict(flags)}** ({text}). The relative error of $\\hat T$ is "
              + ", ".join(f"{k}: {e:.2f}" for k, (e, _) in err.items())
              + "; $\\operatorname{cond}(\\hat T)$ "
              + ", ".join(f"{k}: {fmt(c)}" for k, (_, c) in err.items()) + ".")
ends = [(k, acc("backward_est", k)) for k in keys if acc("backward_est", k) is not None]
flags = [a <= chance + near_chance for _, a in ends]
lost = [setting(r) for r in records
        if r["method"] == "backward_est" and r.get("status", "ok") != "ok"]
ended = [f"{k}: {a:.1f}%" for k, a in ends]
ended += [f"failed at {listing(lost, ', ')} (see *The run*)"] if lost else []
claims.append(f"**Backward correction with $\\hat T$ ends at chance ({chance:.0f}%,"
              f" within {near_chance:g} points) in each setting: {verdict(flags)}**"
              + (f" ({'; '.join(ended)})" if ended else "") + ". "
              + " ".join(f"{row['setting']}: {negative(row['loss < 0 from epoch'])},"
                         f" smallest entry of"
                         f" $\\hat T^{{-1}}$ {row['min of inverse']}, epoch"
                         f" {row['kept / run']} kept."
                         for row in rows if row["method"] == "backward_est"))
n_seeds = len({r["seed"] for r in ok})
claims.append(f"**Seeds: {n_seeds}.** "
              + ("With one seed no spread is measured: the differences above carry no"
                 " error bar." if n_seeds == 1 else
                 "The ± in the accuracy table is the spread over seeds."))
display(Markdown("\n".join(f"- {c}" for c in claims)))

# %% [markdown] papermill={"duration": 0.003469, "end_time": "2026-12-06T19:54:42.284719+00:00", "exception": false, "start_time": "2026-12-06T19:54:42.281250+00:00", "status": "completed"}
# These claims are about the protocol of this run, stated under *The run* beside the paper's; they
# say nothing of the paper's regime until `protocol="paper"` is run. {ref}`ch-comparison` tests the
# paper's qualitative claims on the records of every experiment chapter together.

# %% [markdown] papermill={"duration": 0.008059, "end_time": "2026-12-06T19:54:42.296758+00:00", "exception": false, "start_time": "2026-12-06T19:54:42.288699+00:00", "status": "completed"}
# (cifar-fast)=
# ## The full training set with the fast protocol
#
# The run above is reduced to fit a CPU. `protocol="fast"` trains on the whole training set within a CPU
# budget (`lnc.experiments.recipes.FAST_RECIPES`: a small network built for accuracy per operation, a
# short schedule, the same recipe for every method and no change to the loss); {ref}`ch-cifarn` runs it on
# human noise. Its records (`fast_results_dir`) give the same tables; `-` marks a method and setting without
# a successful training, and failed trainings are named below the tables. The CIFAR-10 accuracies of
# {cite:t}`patrini2017` are not quoted in this book (`lnc.experiments.published` holds none;
# {ref}`ch-comparison`), so no published row stands beside ours.

# %% papermill={"duration": 0.030693, "end_time": "2026-12-06T19:54:42.330757+00:00", "exception": false, "start_time": "2026-12-06T19:54:42.300064+00:00", "status": "completed"} tags=["hide-input"]
# the paper's estimator only, as in the run above
paper_T_hat = dict(task=dataset, estimator="anchor", cross_fit=None)
stored = load_records(fast_results_dir, **paper_T_hat) if fast_results_dir else []
fast = [r for r in stored if r["status"] == "ok"]
if stored and not fast:
    display(Markdown(failed_trainings(stored)))
if fast:
    ran = [m for m in methods if any(r["method"] == m for r in fast)]
    for heading, table in accuracy_tables(fast, methods=ran):
        display(Markdown(f"**{heading}, fast protocol**"), table)
    display(Markdown("**$\\hat T$ of the fast CE model**"), estimation_table(fast))
    fast_stats = summarize(fast)
    fast_keys = list(dict.fromkeys(setting(r) for r in fast))
    # differences of the accuracies as the tables print them
    gains = {k: acc("ce", k, fast_stats) - acc("ce", k) for k in fast_keys
             if None not in (acc("ce", k, fast_stats), acc("ce", k))}
    flags, text = compare("forward", "ce", fast_keys, fast_stats)
    minutes = cpu_minutes(fast)
    display(Markdown(
        f"- **Protocol.** {describe_records(fast)}.\n"
        f"- **Trainings.** {failed_trainings(stored)}\n"
        "- **CE accuracy, fast protocol − the reduced run above (points):**"
        f" {listing(f'{k}: {g:+.1f}' for k, g in gains.items())}.\n"
        f"- **Forward correction with the true $T$ above CE in each setting:"
        f" {verdict(flags)}** ({text}).\n"
        f"- **CPU time per training:** {span(minutes)}"
        " CPU-minutes (wall time × threads of each record; it depends on the CPU)."))
else:
    display(Markdown("No fast-protocol records were given (`fast_results_dir`)."))

# %% [markdown] papermill={"duration": 0.00585, "end_time": "2026-12-06T19:54:42.340856+00:00", "exception": false, "start_time": "2026-12-06T19:54:42.335006+00:00", "status": "completed"}
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

# %% papermill={"duration": 0.185621, "end_time": "2026-12-06T19:54:42.530104+00:00", "exception": false, "start_time": "2026-12-06T19:54:42.344483+00:00", "status": "completed"} tags=["hide-input"]
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

# %% [markdown] papermill={"duration": 0.007074, "end_time": "2026-12-06T19:54:42.548331+00:00", "exception": false, "start_time": "2026-12-06T19:54:42.541257+00:00", "status": "completed"}
# ```{glue:figure} fig-cifar100-flips
# :name: fig-cifar100-flips
#
# The flips of the official CIFAR-100 noise (`grouping="blocks"`), counted by superclass: cell $(a, b)$ is
# the number of fine classes of superclass $a$ whose labels are flipped into a class of superclass $b$.
# The diagonal (red line) holds the flips that stay inside a superclass; the superclass grouping puts
# all of them there.
# ```

# %% [markdown] papermill={"duration": 0.00447, "end_time": "2026-12-06T19:54:42.556790+00:00", "exception": false, "start_time": "2026-12-06T19:54:42.552320+00:00", "status": "completed"}
# ## Summary
#
# - `lnc.experiments.protocol.run_grid` runs the protocol of the paper (CE, $\hat T$ from its posteriors,
#   then the corrections) and keeps a record per training, with per-epoch curves.
# - What the corrections gain depends on the CE model: with a ResNet trained briefly, $\hat T$ is far
#   from $T$ and the $\hat T$ corrections inherit its error; the claims above say how far, in this run.
# - A backward-corrected loss with negative entries in the inverse can be driven below zero; the
#   training curves show when that happens.
# - The CIFAR-100 noise of the official code flips between alphabetical neighbours, mostly across
#   superclasses.

# %% [markdown] papermill={"duration": 0.003745, "end_time": "2026-12-06T19:54:42.568422+00:00", "exception": false, "start_time": "2026-12-06T19:54:42.564677+00:00", "status": "completed"}
# ## Exercises
#
# ```{exercise}
# :label: ex-cifar-cat-dog
#
# The CIFAR-10 asymmetric noise swaps cat and dog with probability $N$. Show that $T$ is singular at
# $N = 0.5$. The backward correction then cannot be built; the forward correction can. What can a network
# trained with the forward-corrected loss learn about cats and dogs at $N = 0.5$, and what test accuracy on
# these two classes would you expect? Check with
# `python tools/run_chapter.py cifar out.ipynb -p results_dir runs/cifar -y "noise: [asymmetric]" -y "rates: [0.5]" -y "methods: [ce, forward]"`.
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
