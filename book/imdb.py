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

# %% [markdown] papermill={"duration": 0.003018, "end_time": "2026-12-07T00:55:53.950978+00:00", "exception": false, "start_time": "2026-12-07T00:55:53.947960+00:00", "status": "completed"}
# (ch-imdb)=
# # IMDB: The Embedding Network Under Synthetic Noise
#
# {ref}`ch-mnist` tested the corrections on ten classes of images. Sentiment analysis of movie reviews is a
# different test: text instead of pixels, a different network, and only two classes. With two classes the
# transition matrix $T$ is a $2 \times 2$ matrix: its inverse, which the backward correction multiplies the
# loss by, has a closed form, and the anchor estimator's assumption reduces to a single condition on $T$. Two
# classes do not make that inverse better conditioned, though: at the same rate of symmetric noise (below
# $9/14$), a binary $T$ is closer to singular than a ten-class one ({ref}`sec-imdb-conditioning`).
#
# This chapter trains the paper's IMDB embedding network with CE and with the backward and forward corrections
# (true $T$ and estimated $\hat T$) {glue:text}`imdb-noise-run`. A last section runs the paper's LSTM
# architecture on the same task, as a quick run.
#
# After this chapter you can
#
# - write the binary noise models as matrices and say when each is invertible and when $\hat T$ can be trusted;
# - read from the records which claims about the corrections hold on IMDB, with their numbers;
# - compare $\operatorname{cond}(T)$ of binary and ten-class noise at the same rate, and say what it means for
#   the backward correction.
#
# ```{admonition} Parameters of this chapter
# :class: dropdown note
#
# The values of the run on this page are in the collapsed `parameters` cell below; re-run with others through
# papermill, as in {ref}`ch-mnist`. Every run is saved as JSON under `results_dir` and re-used when the chapter
# is run again with the same settings.
#
# | parameter | meaning |
# |---|---|
# | `dataset` | `"imdb"` (the paper's dense net) or `"imdb_lstm"` |
# | `noise`, `rates` | noise kinds and rates $N$, as in {ref}`ch-mnist` |
# | `methods` | losses of `lnc.experiments.protocol.METHODS` |
# | `seeds` | one run per seed |
# | `protocol` | `"paper"` or `"cpu"` (the same dense net, a reduced LSTM) |
# | `epochs`, `subset` | overrides (`None` = the protocol's, all) |
# | `device`, `workers` | `"auto"`, worker processes |
# | `results_dir` | where the JSON records go (`None`: not saved) |
# | `extend_results` | `True` lets a run add records to a folder of stored runs (its `STORED` file) |
# | `selection` | how each training keeps its epoch: `"val_loss"` (its own loss on the noisy validation split, the paper's choice and the stored runs') or `"val_accuracy"` (noisy-validation accuracy, the same for every method) |
# | `lstm_settings`, `lstm_methods`, `lstm_subset`, `lstm_epochs` | the LSTM section, first seed only (`[]` skips it) |
# ```

# %% papermill={"duration": 0.011093, "end_time": "2026-12-07T00:55:53.964925+00:00", "exception": false, "start_time": "2026-12-07T00:55:53.953832+00:00", "status": "completed"} tags=["parameters", "hide-input"]
dataset = "imdb"
noise = ["none", "symmetric", "asymmetric"]
rates = [0.2, 0.6]
methods = ["ce", "backward", "forward", "backward_est", "forward_est"]
seeds = [0, 1]
protocol = "cpu"
epochs = None
subset = None
device = "auto"
workers = 2
results_dir = "results/imdb"
extend_results = False
selection = "val_loss"
lstm_settings = [["symmetric", 0.2], ["asymmetric", 0.2]]
lstm_methods = ["ce", "forward", "forward_est"]
lstm_subset = 5000
lstm_epochs = None

# %% papermill={"duration": 2.738076, "end_time": "2026-12-07T00:55:56.705304+00:00", "exception": false, "start_time": "2026-12-07T00:55:53.967228+00:00", "status": "completed"} tags=["hide-input"]
import dataclasses
import inspect
import math

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from myst_nb import glue

from lnc.book.display import plain_warnings
from lnc.estimation import anchor_columns
from lnc.experiments.models import build_model, count_parameters
from lnc.experiments.protocol import check_grid, describe_run, noise_settings, run_grid
from lnc.experiments.recipes import get_recipe, paper_T
from lnc.experiments.prose import listing, run_summary, verdict
from lnc.experiments.results import setting, summarize
from lnc.experiments.tables import (accuracy_table, accuracy_tables, estimation_table,
                                    Table)
from lnc.metrics import condition_number
from lnc.noise import binary_asymmetric_T

plain_warnings()  # warnings print without this checkout's file paths

settings = noise_settings(noise, rates)
grid = dict(protocol=protocol, epochs=epochs, subset=subset, device=device,
            results_dir=results_dir, extend=extend_results, selection=selection)
lstm_grid = dict(protocol=protocol, epochs=lstm_epochs, subset=lstm_subset,
                 device=device, results_dir=results_dir, extend=extend_results,
                 selection=selection)
# every parameter of both grids is checked before any training
check_grid(dataset, settings, seeds=seeds, methods=methods, **grid)
if lstm_settings:
    check_grid("imdb_lstm", lstm_settings, seeds=seeds[:1], methods=lstm_methods,
               **lstm_grid)
reverse = inspect.signature(binary_asymmetric_T).parameters["reverse_rate"].default
glue("imdb-reverse-rate", f"{reverse:g}", display=False)
glue("imdb-keep-rate", f"{1 - reverse:g}", display=False)


def and_list(items):
    items = list(items)
    return " and ".join([", ".join(items[:-1]), items[-1]] if len(items) > 1 else items)


kinds = [kind for kind in noise if kind != "none"]
above_half = [f"{r:g}" for r in rates if r > 0.5]
if kinds and rates:
    plural = "s" * (len(rates) > 1)
    noise_run = (f"under {and_list(kinds)} label noise at rate{plural} "
                 f"{and_list(f'{r:g}' for r in rates)}")
    if above_half:
        noise_run += (f" ({and_list(above_half)} above one half, where most labels of "
                      "a class are wrong)")
else:
    noise_run = "without label noise"
glue("imdb-noise-run", noise_run, display=False)


def describe(task, records, epochs, subset, seeds):
    """The protocol of one grid in markdown: against the paper's recipe, then records"""
    recipe, paper = get_recipe(task, protocol), get_recipe(task, "paper")
    names = [f.name for f in dataclasses.fields(recipe)
             if getattr(recipe, f.name) != getattr(paper, f.name)]
    changes = [f"`{name}` {getattr(recipe, name)!r} (paper: {getattr(paper, name)!r})"
               for name in names]
    if epochs not in (None, recipe.epochs):
        plural = "s" * (epochs != 1)
        changes.append(f"{epochs} epoch{plural} instead of {recipe.epochs}")
    if subset is not None:
        changes.append(f"a subset of {subset} training reviews")
    scope = ("a reduced protocol: " + ", ".join(changes) if changes
             else "the paper's protocol" if protocol == "paper"
             else f"the paper's protocol (protocol {protocol!r} keeps the paper's "
                  "recipe for this network)")
    setup = describe_run(task, protocol, epochs=epochs, subset=subset, seeds=seeds,
                         device=device, workers=workers)
    size = count_parameters(build_model(recipe.model, **recipe.model_kwargs))
    paper_size = count_parameters(build_model(paper.model, **paper.model_kwargs))
    where = f"saved as JSON under `{results_dir}/`" if results_dir else "not saved"
    return (f"**The `{task}` run follows {scope}.**\n\n"
            f"- records: {run_summary(records)}\n- set-up: {setup}\n"
            f"- network: `lnc.experiments.models.{recipe.model}`, {size:,} parameters "
            f"(the paper's: {paper_size:,}); the records are {where}\n")


# %% [markdown] papermill={"duration": 0.004676, "end_time": "2026-12-07T00:55:56.712723+00:00", "exception": false, "start_time": "2026-12-07T00:55:56.708047+00:00", "status": "completed"}
# ## Binary noise
#
# Labels are 0 (negative) and 1 (positive), and $T_{ij} = P(\tilde y = j \mid y = i)$. **Symmetric** noise flips
# either label with probability $N$. **Asymmetric** noise (`lnc.binary_asymmetric_T`, as in the official code
# {cite}`patrini2017code`) flips positive → negative with probability $N$ and negative → positive with a fixed
# reverse rate $r$ = {glue:text}`imdb-reverse-rate`:
#
# $$
# T_{\text{sym}} = \begin{pmatrix} 1-N & N \\ N & 1-N \end{pmatrix}, \qquad
# T_{\text{asym}} = \begin{pmatrix} 1-r & r \\ N & 1-N \end{pmatrix} \ (N > 0), \qquad T = I \ (N = 0).
# $$
#
# The official code refuses asymmetric rates $N \geq 1/2$; `lnc.binary_asymmetric_T` accepts them. Above one
# half a positive review is labelled negative more often than not, yet $\det T_{\text{asym}} = 1 - r - N$ stays
# away from zero for every $N < 1 - r$ = {glue:text}`imdb-keep-rate`, so $T$ remains invertible and both
# corrections are defined.
# Symmetric noise above one half makes the wrong label the majority of *both* classes; $T$ is still invertible
# there, but the estimator's anchors need $T_{ii} > T_{ki}$ ({ref}`ch-estimation`), which then fails.
#
# (sec-imdb-conditioning)=
# ### How well conditioned is $T$ with two classes?
#
# The backward correction multiplies the vector of losses by $T^{-1}$; how much that can amplify is measured by
# the condition number $\operatorname{cond}(T) = s_{\max} / s_{\min}$ (`lnc.condition_number`). Symmetric
# noise with $c$ classes has eigenvalues $1$ and $1 - Nc/(c-1)$, so $\operatorname{cond}(T) = 1 / |1 - 2N|$
# with two classes and $1 / |1 - 10N/9|$ with ten: for every rate $0 < N < 9/14$ the binary $T$ is the closer
# to singular. Asymmetric noise has no such rule, since the two data sets flip different pairs. The table sets
# $\operatorname{cond}(T)$ of the IMDB noise beside that of the ten-class MNIST noise of {ref}`ch-mnist`, at the
# noise settings of this chapter.

# %% papermill={"duration": 0.022229, "end_time": "2026-12-07T00:55:56.736964+00:00", "exception": false, "start_time": "2026-12-07T00:55:56.714735+00:00", "status": "completed"} tags=["hide-input"]
for c in (2, 10):  # the closed form, and where the binary T is the closer to singular
    for rate in (0.1, 0.2, 0.3, 0.4, 0.6):
        closed = 1 / abs(1 - rate * c / (c - 1))
        assert abs(condition_number(paper_T("imdb" if c == 2 else "mnist", "symmetric",
                                            rate)) - closed) < 1e-9
for rate in np.arange(1, 100) / 100:  # |1 - 2N| < |1 - 10N/9| exactly for N < 9/14
    closer = abs(1 - 2 * rate) < abs(1 - 10 * rate / 9)
    assert closer == (rate < 9 / 14), rate


def two_decimals(value):  # compare condition numbers as printed
    return float(f"{value:.2f}")


run_settings = [*settings, *lstm_settings]
cond_keys = list(dict.fromkeys(
    (kind, float(rate)) for kind, rate in run_settings if kind != "none"))
cond_pairs = {(kind, rate): (condition_number(paper_T("imdb", kind, rate)),
                             condition_number(paper_T("mnist", kind, rate)))
              for kind, rate in cond_keys}
binary_worse = [k for k, (two, ten) in cond_pairs.items()
                if two_decimals(two) > two_decimals(ten)]
display(Table([["setting", "cond(T), 2 classes (IMDB)", "cond(T), 10 classes (MNIST)"],
               *([f"{kind} {rate:g}", f"{two:.2f}", f"{ten:.2f}"]
                 for (kind, rate), (two, ten) in cond_pairs.items())]))


def described(keys):
    return listing([f"{kind} {rate:g} ({cond_pairs[kind, rate][0]:.2f} against "
                    f"{cond_pairs[kind, rate][1]:.2f})" for kind, rate in keys], ", ")


not_worse = [k for k in cond_pairs if k not in binary_worse]
cond_worse = f"{len(binary_worse)} of {len(cond_pairs)}"
glue("imdb-cond-worse", cond_worse, display=False)
if cond_pairs:
    display(Markdown(
        f"**The binary $T$ is the worse conditioned of the two in {cond_worse} noise "
        f"settings**" + (f": {described(binary_worse)}" if binary_worse else "")
        + (f"; it is not in {described(not_worse)}" if not_worse else "") + "."))
else:
    display(Markdown("No noisy setting was run, so no condition number is compared."))

# %% [markdown] papermill={"duration": 0.002318, "end_time": "2026-12-07T00:55:56.741869+00:00", "exception": false, "start_time": "2026-12-07T00:55:56.739551+00:00", "status": "completed"}
# ## The dense network
#
# Each run follows {ref}`the two-stage protocol <ch-estimation>`, as in {ref}`ch-mnist`: CE on the noisy labels,
# the epoch of lowest noisy-validation loss, $\hat T$ from its posteriors on the training reviews, then a fresh
# network with the corrected loss. Reviews are encoded by `lnc.experiments.text.load_imdb` (a vocabulary of the
# training split's most frequent words, each review cut or padded to a fixed length); the noisy validation split
# is taken from the training reviews, and the clean test split is read once per run.

# %% papermill={"duration": 0.234156, "end_time": "2026-12-07T00:55:56.978235+00:00", "exception": false, "start_time": "2026-12-07T00:55:56.744079+00:00", "status": "completed"} tags=["hide-input"]
records = run_grid(dataset, settings, seeds=seeds, workers=workers, methods=methods,
                   **grid)
display(Markdown(describe(dataset, records, epochs, subset, seeds)))

# %% [markdown] papermill={"duration": 0.004579, "end_time": "2026-12-07T00:55:56.988801+00:00", "exception": false, "start_time": "2026-12-07T00:55:56.984222+00:00", "status": "completed"}
# ### Test accuracy
#
# Clean test accuracy (%), mean ± standard deviation over the seeds, one table per kind of noise; the
# noise-free column is repeated in each as the reference.

# %% papermill={"duration": 0.016816, "end_time": "2026-12-07T00:55:57.009483+00:00", "exception": false, "start_time": "2026-12-07T00:55:56.992667+00:00", "status": "completed"}
keys = list(dict.fromkeys(setting(r) for r in records))
for heading, table in accuracy_tables(records, methods=methods):
    display(Markdown(f"**{heading}**"), table)

# %% papermill={"duration": 0.188981, "end_time": "2026-12-07T00:55:57.201486+00:00", "exception": false, "start_time": "2026-12-07T00:55:57.012505+00:00", "status": "completed"} tags=["hide-input"]
stats = summarize(records)


def acc(method, key):
    return stats[method, key][0] if (method, key) in stats else math.nan


def std(method, key):
    return stats[method, key][1] if (method, key) in stats else math.nan


styles = {"ce": ("k", "o", "CE"),
          "backward": ("C0", "o", "backward, T"), "forward": ("C1", "o", "forward, T"),
          "backward_est": ("C0", "s", r"backward, $\hat{T}$"),
          "forward_est": ("C1", "s", r"forward, $\hat{T}$")}
fig, ax = plt.subplots(figsize=(8, 4))
width = 0.8 / len(methods)
for j, method in enumerate(methods):
    color, marker, label = styles.get(method, (f"C{j + 2}", "^", method))
    xs = [i + (j - (len(methods) - 1) / 2) * width for i in range(len(keys))]
    ys = [acc(method, k) for k in keys]
    errors = [0.0 if math.isnan(std(method, k)) else std(method, k) for k in keys]
    ax.errorbar(xs, ys, yerr=errors, fmt=marker, color=color, capsize=3, label=label,
                markerfacecolor="white" if marker == "s" else color)
ax.set_xticks(range(len(keys)), keys)
ax.set(xlabel="noise setting", ylabel="test accuracy (%)",
       title=f"{dataset}, seeds {seeds}")
ax.grid(axis="y", alpha=0.3)
ax.legend(fontsize="small", ncol=2)
glue("fig-imdb-methods", fig, display=False)
plt.close(fig)

# %% [markdown] papermill={"duration": 0.007923, "end_time": "2026-12-07T00:55:57.216868+00:00", "exception": false, "start_time": "2026-12-07T00:55:57.208945+00:00", "status": "completed"}
# ```{glue:figure} fig-imdb-methods
# :name: fig-imdb-methods
#
# Test accuracy (%) of each method in each noise setting of the dense network's grid, mean over the seeds with
# error bars of one standard deviation; filled circles use the true $T$, open squares $\hat T$, CE is black.
# In each setting, compare the corrections with CE, and each open square with the filled circle of its colour:
# the gap is what estimating $T$ costs.
# ```

# %% [markdown] papermill={"duration": 0.002638, "end_time": "2026-12-07T00:55:57.222364+00:00", "exception": false, "start_time": "2026-12-07T00:55:57.219726+00:00", "status": "completed"}
# ### The estimated $\hat T$
#
# Relative $L_1$ error of $\hat T$ against the true $T$, condition number of $\hat T$ and the CE epoch that model
# selection kept, then the true $T$ beside the $\hat T$ of the first seed.

# %% papermill={"duration": 0.011466, "end_time": "2026-12-07T00:55:57.236403+00:00", "exception": false, "start_time": "2026-12-07T00:55:57.224937+00:00", "status": "completed"}
display(estimation_table(records))


def matrix(T):
    rows = ("[" + ", ".join(f"{v:.3g}" for v in row) + "]" for row in T)
    return "[" + ", ".join(rows) + "]"


first = {}
for r in records:
    if r["method"] == "ce" and r.get("T_hat") is not None:
        first.setdefault(setting(r), r)
display(Table([["setting", "true T", "T̂ (seed)"],
               *([k, matrix(r["T_true"]), f"{matrix(r['T_hat'])} ({r['seed']})"]
                 for k, r in first.items())]))

# %% [markdown] papermill={"duration": 0.002853, "end_time": "2026-12-07T00:55:57.242249+00:00", "exception": false, "start_time": "2026-12-07T00:55:57.239396+00:00", "status": "completed"}
# ## The LSTM: a quick run
#
# The same two-stage protocol with the paper's LSTM architecture (embedding → LSTM → dense → softmax), on the
# first seed only, at the sizes of `protocol`, on a seeded subset of the training reviews (`lstm_subset`; a part of
# it is the noisy validation split). The test set is the whole clean IMDB test split. How far this run is from
# the paper's protocol is stated below it. It is a quick run: it shows the architecture at work, and no verdict of
# this chapter rests on it.

# %% papermill={"duration": 0.223919, "end_time": "2026-12-07T00:55:57.468967+00:00", "exception": false, "start_time": "2026-12-07T00:55:57.245048+00:00", "status": "completed"} tags=["hide-input"]
lstm_records = []
if lstm_settings:
    lstm_records = run_grid("imdb_lstm", lstm_settings, seeds=seeds[:1],
                            workers=workers, methods=lstm_methods, **lstm_grid)
    display(Markdown(describe("imdb_lstm", lstm_records, lstm_epochs, lstm_subset,
                              seeds[:1])))
else:
    display(Markdown("The LSTM section was skipped (`lstm_settings` is empty)."))

# %% papermill={"duration": 0.018901, "end_time": "2026-12-07T00:55:57.492657+00:00", "exception": false, "start_time": "2026-12-07T00:55:57.473756+00:00", "status": "completed"}
if lstm_records:
    display(accuracy_table(lstm_records, methods=lstm_methods))
    display(estimation_table(lstm_records))
    lstm = summarize(lstm_records)
    ks = [k for k in dict.fromkeys(setting(r) for r in lstm_records)
          if ("ce", k) in lstm]
    extra = [m for m in lstm_methods if m != "ce"]
    details = [f"{k}: CE {lstm['ce', k][0]:.1f}, "
               + ", ".join(f"{m} {lstm[m, k][0] - lstm['ce', k][0]:+.1f}"
                           for m in extra if (m, k) in lstm) for k in ks]
    display(Markdown(f"In this quick run (points over CE): {listing(details)}."))

# %% [markdown] papermill={"duration": 0.003002, "end_time": "2026-12-07T00:55:57.499095+00:00", "exception": false, "start_time": "2026-12-07T00:55:57.496093+00:00", "status": "completed"}
# ## What this run shows
#
# Each claim below is computed from the records above and marked as holding or not, with its numbers.

# %% papermill={"duration": 0.02203, "end_time": "2026-12-07T00:55:57.524176+00:00", "exception": false, "start_time": "2026-12-07T00:55:57.502146+00:00", "status": "completed"} tags=["hide-input"]
tie, close, good = 0.5, 1.0, 0.1  # points, points, relative L1 error of T̂
noisy = [k for k in keys if k != "none"]
corrections = [m for m in ("backward", "forward", "backward_est", "forward_est")
               if m in methods]
ce_runs = {k: [r for r in records if r["method"] == "ce" and setting(r) == k]
           for k in keys}


def rate_of(key):
    return 0.0 if key == "none" else float(key.split()[1])


def mean_of(runs, field):  # mean over CE runs (they hold the estimate of T)
    values = [r[field] for r in runs if r.get(field) is not None]
    return float(np.mean(values)) if values else math.nan


def true_T(key):
    return np.asarray(ce_runs[key][0]["T_true"])


def points(x):  # compare differences as printed, to one decimal
    return round(x, 1)


def having(candidates, *needed):
    return [k for k in candidates if all((m, k) in stats for m in needed)]


claims = []
if ("ce", "none") in stats:
    here = [m for m in methods if (m, "none") in stats]
    lo, hi = min(acc(m, "none") for m in here), max(acc(m, "none") for m in here)
    claims.append(
        f"**Without noise the methods agree within {tie:g} points: "
        f"{verdict([points(hi - lo) <= tie])}** ({len(here)} methods, from {lo:.1f} "
        f"to {hi:.1f}); $T = I$ turns both corrections into CE, and $\\hat T$ is "
        f"within "
        f"{mean_of(ce_runs['none'], 'estimation_error'):.3f} (relative $L_1$) of $I$.")

low = having([k for k in noisy if rate_of(k) < 0.5], "ce", *corrections)
gains = {(m, k): acc(m, k) - acc("ce", k) for m in corrections for k in low}
if gains:
    claims.append(
        f"**Below one half, every correction beats CE: "
        f"{verdict([points(g) > 0 for g in gains.values()])}** "
        f"(gains from {min(gains.values()):+.1f} to {max(gains.values()):+.1f} points "
        f"over {len(gains)} method-settings; CE "
        + ", ".join(f"{acc('ce', k):.1f} at {k}" for k in low) + ").")

pairs = [(m, k) for m in ("backward", "forward") if f"{m}_est" in methods
         for k in having(noisy, m, f"{m}_est") if anchor_columns(true_T(k)).all()]
near = [(m, k) for m, k in pairs
        if abs(points(acc(f"{m}_est", k) - acc(m, k))) <= close]
details = [f"{m} at {k} {acc(f'{m}_est', k) - acc(m, k):+.1f}" for m, k in pairs]
claims.append(
    f"**Where the anchor assumption holds, the $\\hat T$ corrections are within "
    f"{close:g} point of the $T$ ones: {verdict([p in near for p in pairs])}** "
    f"($\\hat T$ − $T$: {listing(details)}).")

high = having([k for k in noisy if rate_of(k) > 0.5], "ce", *corrections)
above = [points(acc(m, k) - acc("ce", k)) > 0 for m in corrections
         if not m.endswith("_est") for k in high]
if high:
    details = [f"{k}: CE {acc('ce', k):.1f}, "
               + ", ".join(f"{m} {acc(m, k):.1f}" for m in corrections) for k in high]
    claims.append(
        f"**Above one half, the corrections with the true $T$ beat CE: "
        f"{verdict(above)}** ({listing(details)}).")

ks = [k for k in noisy if ce_runs[k]]
errors = {k: mean_of(ce_runs[k], "estimation_error") for k in ks}
anchors = {k: bool(anchor_columns(true_T(k)).all()) for k in ks}
match = [k for k in ks if (errors[k] <= good) == anchors[k]]
details = [f"{k}: anchors {'hold' if anchors[k] else 'fail'}, error "
           f"{errors[k]:.3f}" for k in ks]
claims.append(
    f"**$\\hat T$ has a relative error of at most {good:g} exactly where the anchor "
    f"assumption holds: {verdict([k in match for k in ks])}** ({listing(details)}).")

ks = having(noisy, "backward", "forward")
conds = {k: np.linalg.cond(true_T(k)) for k in ks}
ahead = [k for k in ks if points(acc("backward", k) - acc("forward", k)) >= 0]
spread = [k for k in ks if std("backward", k) > std("forward", k)]
if ks:
    worst = max(ks, key=conds.get)
    claims.append(
        f"**With two classes, backward with $T$ is not the less accurate correction "
        f"(it matches or beats forward with $T$) in each noisy setting: "
        f"{verdict([k in ahead for k in ks])}.** The largest cond($T$) is "
        f"{conds[worst]:.2f} ({worst}); backward's seed spread exceeds forward's in "
        + listing([f"{k} (± {std('backward', k):.1f} against "
                   f"± {std('forward', k):.1f})" for k in spread]) + ".")

epochs_of = {k: mean_of(ce_runs[k], "best_epoch") for k in keys if ce_runs[k]}
if "none" in epochs_of and noisy:
    earlier = [k for k in noisy if k in epochs_of and epochs_of[k] < epochs_of["none"]]
    claims.append(
        f"**Under noise, model selection keeps an earlier CE epoch than without noise: "
        f"{verdict([k in earlier for k in noisy])}** (mean selected epoch: "
        + listing([f"{k} {e:.1f}" for k, e in epochs_of.items()]) + ").")

display(Markdown("\n".join(f"{k}. {c}" for k, c in enumerate(claims, 1))))

# %% [markdown] papermill={"duration": 0.008147, "end_time": "2026-12-07T00:55:57.540923+00:00", "exception": false, "start_time": "2026-12-07T00:55:57.532776+00:00", "status": "completed"}
# ## Summary
#
# - With two classes, $T$ is invertible unless its two rows are equal, but that does not make its inverse better
#   behaved than with ten classes: for symmetric noise below $N = 9/14$ the binary $T$ is the closer to singular,
#   and of the noise settings of this chapter it is the worse conditioned in {glue:text}`imdb-cond-worse`
#   ({ref}`sec-imdb-conditioning`). What the backward correction can amplify is set by
#   $\operatorname{cond}(T)$, not by the number of classes; the claims above compare its seed spread with
#   forward's in this run.
# - Binary noise can make the wrong label the majority of a class and still leave $T$ invertible: the
#   corrections with the true $T$ remain defined there. Whether $\hat T$ can follow is decided by the anchor
#   condition, which for a $2 \times 2$ matrix is a condition on $\det T$ (second exercise).
# - Early stopping on the noisy validation loss is part of the protocol: it decides how much of the noise CE
#   has fitted before $\hat T$ is read from it. The claims above give what each of these meant in this run.

# %% [markdown] papermill={"duration": 0.003917, "end_time": "2026-12-07T00:55:57.548816+00:00", "exception": false, "start_time": "2026-12-07T00:55:57.544899+00:00", "status": "completed"}
# ## Exercises
#
# ```{exercise}
# :label: ex-imdb-binary-backward
#
# For binary symmetric noise $T = \begin{pmatrix} 1-N & N \\ N & 1-N \end{pmatrix}$, write the backward-corrected
# loss $\overleftarrow{\ell}(\tilde y, h)$ in terms of $\ell(\tilde y, h)$ and $\ell(1 - \tilde y, h)$. What
# happens to its two coefficients as $N \to 0.5$, and what are they at $N = 0.6$? In which direction does
# minimising the loss then push the prediction, and why is that right on average?
# ```
#
# ```{solution} ex-imdb-binary-backward
# :class: dropdown
#
# $T^{-1} = \frac{1}{1 - 2N}\begin{pmatrix} 1-N & -N \\ -N & 1-N \end{pmatrix}$, so
# $\overleftarrow{\ell}(\tilde y, h) = \frac{(1-N)\,\ell(\tilde y, h) - N\,\ell(1-\tilde y, h)}{1 - 2N}$. Both
# coefficients diverge as $N \to 0.5$ ($T$ becomes singular; `lnc.backward_loss` refuses $N = 0.5$ and warns
# when $\operatorname{cond}(T) > 100$). At $N = 0.6$ they are $-2$ on $\ell(\tilde y, h)$ and $+3$ on
# $\ell(1 - \tilde y, h)$. Minimising $-2\,\ell(\tilde y, h) + 3\,\ell(1 - \tilde y, h)$ *raises* the loss on the
# observed label and lowers it on the other one: it pushes the prediction **away from the observed label**,
# towards $1 - \tilde y$. That is right on average: at $N = 0.6$ the observed label is wrong with probability
# 0.6, so the other label is the clean one more often than not, and the expectation over the noise of the
# corrected loss is the clean loss. The price is that the loss is unbounded below (with the log loss,
# $-2\,\ell(\tilde y, h) \to -\infty$ as $h$ puts all its mass on $1 - \tilde y$), so single examples can pull
# hard, which shows as a larger spread across seeds.
# ```
#
# ```{exercise}
# :label: ex-imdb-anchor-determinant
#
# Show that for every row-stochastic $2 \times 2$ matrix $T$, $\det T = T_{00} - T_{10} = T_{11} - T_{01}$, and
# conclude that the anchor assumption ($T_{ii} > T_{ki}$ for $k \neq i$) holds if and only if $\det T > 0$. For
# which rates $N$ does it hold for the symmetric and for the asymmetric IMDB noise (reverse rate $r$)? What does
# the estimator return when $\det T < 0$?
# ```
#
# ```{solution} ex-imdb-anchor-determinant
# :class: dropdown
#
# With $T_{01} = 1 - T_{00}$ and $T_{11} = 1 - T_{10}$,
# $\det T = T_{00}(1 - T_{10}) - (1 - T_{00})T_{10} = T_{00} - T_{10}$, and symmetrically $T_{11} - T_{01}$. The
# anchor assumption asks $T_{00} > T_{10}$ (column 0) and $T_{11} > T_{01}$ (column 1): both are $\det T > 0$.
# Symmetric noise has $\det T = 1 - 2N$: the assumption holds for $N < 1/2$. Asymmetric noise has
# $\det T = 1 - r - N$: it holds for $N < 1 - r$, far beyond one half. When $\det T < 0$ the input that
# maximises the noisy posterior of class $i$ is an input of the *other* class, so the estimator reads the rows
# of $T$ in swapped order: $\hat T$ describes the flipped classes as the right ones, and the corrections with
# $\hat T$ undo the wrong noise, while $T$ itself stays invertible and the corrections with the true $T$ work.
# ```
