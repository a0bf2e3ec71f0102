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

# %% [markdown] papermill={"duration": 0.001529, "end_time": "2026-12-07T03:28:15.377348+00:00", "exception": false, "start_time": "2026-12-07T03:28:15.375819+00:00", "status": "completed"}
# (ch-intro)=
# # Loss Correction for Noisy Labels
#
# This book derives, verifies and reproduces the loss corrections of {cite:t}`patrini2017`, *Making Deep Neural
# Networks Robust to Label Noise: a Loss Correction Approach* (official code: {cite}`patrini2017code`), with the
# small PyTorch library `lnc` that every chapter imports.
#
# **Who it is for.** Readers who know supervised learning with neural networks (softmax, cross-entropy,
# stochastic gradient descent) and basic linear algebra and probability, and who want to understand, check and
# reuse loss correction for noisy labels; teachers who want chapters and exercises to put in a course. Every
# chapter runs on a CPU; the experiment chapters also take a GPU and the paper's settings.
#
# ## Chapter map
#
# | part | chapter | what it does |
# |---|---|---|
# | Theory | {ref}`ch-noise` | the noise models and their transition matrices $T$ |
# | | {ref}`ch-backward` | backward correction: unbiased, with $T^{-1}$ (Theorem 1) |
# | | {ref}`ch-forward` | forward correction: its minimiser is the clean posterior (Theorem 2) |
# | | {ref}`ch-hessian` | the curvature result for ReLU networks, verified numerically |
# | | {ref}`ch-estimation` | estimating $T$ from anchor points, and when that fails |
# | | {ref}`ch-from-scratch` | both corrections and the anchor estimator in plain PyTorch, checked against `lnc` |
# | Experiments | {ref}`ch-protocol` | the two-stage protocol, as an algorithm, and the baseline losses |
# | | {ref}`ch-mnist`, {ref}`ch-imdb`, {ref}`ch-cifar`, {ref}`ch-cifarn` | the protocol on real data |
# | | {ref}`ch-beyond-anchors` | other estimators of $T$ and methods that learn it, beside the anchor estimator on MNIST, Fashion-MNIST and CIFAR-10N |
# | | {ref}`ch-comparison` | our numbers beside the published ones |
# | | {ref}`ch-guidance` | which correction when: rules drawn from the stored runs |
# | | {ref}`ch-runs` | every run behind the book: protocol, seeds, machine, hours and dates |
# | Back matter | {ref}`ch-course`, {ref}`ch-notation`, {ref}`ch-references` | a three-week course plan; symbols; the bibliography |
#
# ## The results in one figure
#
# {numref}`fig-summary` sums up the full-data runs of the experiment chapters: for each data set, how much each
# correction changed the clean test accuracy over plain cross-entropy, averaged over the noisy settings run
# there (each chapter gives the settings, seeds and protocol behind these numbers).

# %% papermill={"duration": 1.966365, "end_time": "2026-12-07T03:28:17.344810+00:00", "exception": false, "start_time": "2026-12-07T03:28:15.378445+00:00", "status": "completed"} tags=["hide-input"]
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from myst_nb import glue

import lnc
from lnc.book.plots import METHOD_COLORS
from lnc.experiments.inventory import evidence_records
from lnc.experiments.results import summarize

root = Path(lnc.__file__).resolve().parents[1] / "results"
corrections = ["forward", "forward_est", "backward", "backward_est"]  # T̂: "_est"
changes = {}  # task -> mean change over CE (points) of each correction, noisy settings
runs = {}  # task -> its protocol and the settings averaged, for the caption
for task, records in evidence_records(root).items():
    stats = summarize(records)
    keys = [k for k in dict.fromkeys(k for _, k in stats)
            if k != "none" and ("ce", k) in stats]
    changes[task] = [np.mean([stats[m, k][0] - stats["ce", k][0]
                              for k in keys if (m, k) in stats] or [np.nan])
                     for m in corrections]
    seeds = len({r["seed"] for r in records})
    runs[task] = (f"{task}, protocol '{records[0]['protocol']}', {len(keys)} settings, "
                  f"{seeds} seed{'s' * (seeds != 1)}")
fig, ax = plt.subplots(figsize=(9, 3.6))
x = np.arange(len(changes))
for k, method in enumerate(corrections):  # T̂ hatched, in its correction's colour
    correction, estimated = method.removesuffix("_est"), method.endswith("_est")
    ax.bar(x + (k - 1.5) * 0.2, [v[k] for v in changes.values()], 0.2,
           label=f"{correction}, {'estimated T̂' if estimated else 'true T'}",
           color=METHOD_COLORS[correction], hatch="//" if estimated else None,
           edgecolor="white")
ax.axhline(0, color="grey", lw=0.8)
ax.set_xticks(x, list(changes))
ax.set_ylabel("test accuracy - CE (points)")
ax.legend(ncol=4, fontsize=10, loc="lower center", bbox_to_anchor=(0.5, 1.0),
          frameon=False)
fig.tight_layout()
glue("fig-summary", fig, display=False)
glue("summary-runs", "; ".join(runs[task] for task in changes), display=False)
plt.close(fig)

# %% [markdown] papermill={"duration": 0.001118, "end_time": "2026-12-07T03:28:17.349938+00:00", "exception": false, "start_time": "2026-12-07T03:28:17.348820+00:00", "status": "completed"}
# ```{glue:figure} fig-summary
# :name: fig-summary
#
# Change of the clean test accuracy over cross-entropy (points), per data set of the stored runs, averaged
# over its noisy settings: forward and backward correction with the true $T$ and with $\hat T$. Bars above
# the grey line are gains; compare each $\hat T$ bar with the bar of the same correction with the true $T$
# to see what estimating $T$ cost; a missing bar has no run yet. The runs, all on the full training data (the
# book's evidence, {ref}`ch-runs`): {glue:text}`summary-runs`.
# ```
#
# ## Re-running a chapter
# The code lives in the repository's `lnc/` package (the maths in `lnc.losses`, `lnc.noise`, `lnc.estimation`,
# `lnc.metrics`; the experiments in `lnc.experiments`); each chapter is a notebook under `book/`. From a clone,
# `make test` sets up everything and checks the book; one chapter re-executes with papermill, parameters given
# with `-p` (scalars) or `-y` (lists):
#
# ```
# .venv/bin/papermill --cwd . book/mnist.ipynb out.ipynb \
#     -p epochs 5 -p subset 3000 -y "seeds: [0]"
# ```
#
# An experiment chapter first loads the runs already recorded under `results/` with the same settings, so
# re-executing it with its own parameters takes seconds; new parameters train (minutes to hours on a CPU).
#
# ## The one convention
#
# Labels are $y \in \{0, \dots, c-1\}$ (clean) and $\tilde y$ (noisy). Class-conditional noise is a
# **row-stochastic** transition matrix
#
# $$
# T_{ij} = \mathbb{P}(\tilde y = j \mid y = i), \qquad \sum_{j} T_{ij} = 1,
# $$ (eq-T-convention)
#
# rows clean, columns noisy, so the noisy posterior is $\mathbb{P}(\tilde y \mid x)^\top = \mathbb{P}(y \mid x)^\top T$.
# (cleanlab's `noise_matrix` is $T^\top$: convert with `lnc.to_cleanlab` and `lnc.from_cleanlab`.)
#
# With $\hat p = \mathrm{softmax}(h)$ for the logits $h$ of a network, the two corrections of the paper are
#
# $$
# \overrightarrow{\ell}(\tilde y, h) = -\log \big(\hat p^\top T\big)_{\tilde y},
# \qquad
# \overleftarrow{\ell}(\tilde y, h) = \sum_{j} \big(T^{-1}\big)_{\tilde y j} \, \big(-\log \hat p_j\big),
# $$ (eq-corrections)
#
# implemented by `lnc.forward_loss` (in log space) and `lnc.backward_loss` (with a cached float64 inverse).
# The backward loss is unbiased, $\mathbb{E}_{\tilde y \mid y}\, \overleftarrow{\ell}(\tilde y, h) = \ell(y, h)$;
# the forward loss is not, but its minimiser is the clean posterior.
#
# ## How to read it
#
# **Theory** derives each result (sympy where it is algebra) and then checks it numerically with an `assert`, so
# a chapter that executes is a chapter whose claims held. **Experiments** run the paper's two-stage protocol
# (`lnc.experiments.protocol.run_protocol`: cross-entropy, estimate $\hat T$, retrain with the corrected loss) on real data.
# Every number there states its protocol (data set, network, epochs, subset, seeds, device) in the chapter's
# first lines; model selection uses the noisy validation split only, and the clean test set is read once per
# run. Each chapter re-runs with one `papermill` call (see the project README).
