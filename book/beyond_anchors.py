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

# %% [markdown] papermill={"duration": 0.015262, "end_time": "2026-12-08T05:06:53.979991+00:00", "exception": false, "start_time": "2026-12-08T05:06:53.964729+00:00", "status": "completed"}
# (ch-beyond-anchors)=
# # Beyond Anchor Points: Other Estimators of T, and Methods That Learn It
#
# The anchor estimator of {ref}`ch-estimation` reads each row of $T$ off one example, the one the CE network
# finds most typical of its class. It needs two things that real data need not give: an example of each class
# whose clean posterior is (nearly) one-hot, and a CE network whose posteriors on its own training inputs are
# still calibrated, although it was trained to fit their noisy labels. The field has answered both. The
# confident joint {cite}`northcutt2021` counts examples against per-class thresholds instead of reading one
# example; Dual-T {cite}`yao2020` splits $T$ through the class the network predicts; VolMinNet {cite}`li2021`
# drops anchor points for a geometric condition and learns $T$ with the network; T-Revision {cite}`xia2019`
# starts from $\hat T$ and revises it while training. Posteriors can also be taken out of fold, from networks
# that never saw the example.
#
# This chapter puts them side by side with one protocol: on a small exact example, where each assumption can
# be made to hold or fail; on MNIST and Fashion-MNIST with synthetic noise, where $T$ is known, in-sample
# against cross-fitted posteriors, over three seeds; and on CIFAR-10N, against the true $T$ of human noise. It
# also introduces an estimator of our own, `core_counts`, built from what the benchmark showed.
#
# After this chapter you can
#
# - state the condition under which each estimator recovers $T$, and build posteriors that break one and not
#   another;
# - say what cross-fitting changes in $\hat T$, and what it costs;
# - choose an estimator for a new data set from measured errors, and know which measurement to make first.
#
# ```{admonition} Parameters of this chapter
# :class: dropdown note
#
# The values used on this page are in the collapsed `parameters` cell below.
#
# | parameter | meaning |
# |---|---|
# | `example_size`, `seed` | examples of the exact example, and its seed |
# | `tasks`, `rates` | the synthetic-noise benchmark: each data set (`"mnist"`, `"fashion_mnist"`) with its kinds of noise (`"symmetric"`, `"asymmetric"`, `"dense"`), at each rate |
# | `seeds`, `protocol`, `epochs`, `subset` | its runs (`lnc.experiments.protocol.run_grid`) |
# | `cross_fit` | folds of the out-of-fold posteriors |
# | `forward_estimators` | the estimators whose cross-fitted $\hat T$ trains a forward correction (each a training per setting and seed) |
# | `learned_seeds` | the seeds of the methods that learn $T$ (VolMinNet, T-Revision) |
# | `device`, `workers`, `results_dir` | where it runs and where its JSON records go |
# | `extend_results` | `True` lets a run add records to a folder of stored runs |
# | `selection` | how each training keeps its epoch: `"val_accuracy"` (noisy-validation accuracy, the same for every method) or `"val_loss"` (its own loss on the noisy validation split, the paper's choice) |
# | `cifarn_noise`, `cifarn_seeds`, `cifarn_protocol`, `cifarn_epochs`, `cifarn_subset`, `cifarn_results_dir` | the CIFAR-10N runs |
# | `cifarn_estimators`, `cifarn_learned` | on CIFAR-10N, forward with each one's $\hat T$; the methods that learn $T$ (VolMinNet's CIFAR-10N rows are in {ref}`ch-cifarn`) |
# ```

# %% papermill={"duration": 0.028915, "end_time": "2026-12-08T05:06:54.016062+00:00", "exception": false, "start_time": "2026-12-08T05:06:53.987147+00:00", "status": "completed"} tags=["parameters", "hide-input"]
example_size = 2000
seed = 0
tasks = {"mnist": ["symmetric", "asymmetric"], "fashion_mnist": ["symmetric", "dense"]}
rates = [0.4]
seeds = [0, 1, 2]
protocol = "paper"
epochs = None
subset = None
cross_fit = 2
forward_estimators = ["anchor", "confident_joint", "core_counts"]
learned_seeds = [0]
device = "auto"
workers = 1
results_dir = "results/estimator_study"
cifarn_noise = ["aggre", "random1", "random2", "worst"]
cifarn_seeds = [0, 1, 2]
cifarn_estimators = []
cifarn_learned = []
cifarn_protocol = "fast2"
cifarn_epochs = None
cifarn_subset = None
cifarn_results_dir = "results/cifarn_fast2"
extend_results = False
selection = "val_accuracy"

# %% papermill={"duration": 4.059181, "end_time": "2026-12-08T05:06:58.082100+00:00", "exception": false, "start_time": "2026-12-08T05:06:54.022919+00:00", "status": "completed"} tags=["hide-input"]
import warnings

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from myst_nb import glue

import lnc
from lnc.book.display import plain_warnings
from lnc.book.plots import simplex_view
from lnc.book.simulation import anchored_posteriors, sample_labels, scattered_posteriors
from lnc.estimation import ESTIMATORS
from lnc.experiments.protocol import (check_grid, describe_run, noise_settings,
                                     posterior_estimates, run_grid)
from lnc.experiments.prose import count_of, listing, run_summary, span
from lnc.experiments.results import estimator_stats, loss_gaps, summarize
from lnc.experiments.tables import estimator_benchmark_table, estimator_table, Table

plain_warnings()  # warnings print without this checkout's file paths

names = list(ESTIMATORS)
grid = dict(seeds=seeds, protocol=protocol, epochs=epochs, subset=subset, device=device,
            results_dir=results_dir, extend=extend_results, selection=selection)
jobs = [dict(methods=["ce", "forward_est"], estimator=name, cross_fit=cross_fit)
        for name in forward_estimators]
jobs.append(dict(methods=["ce"]))  # in-sample: the full network of each seed
jobs.append(dict(methods=["ce", "volmin", "revision"], seeds=learned_seeds))
human_settings = noise_settings(cifarn_noise, [])
cifarn = dict(seeds=cifarn_seeds, protocol=cifarn_protocol, epochs=cifarn_epochs,
              subset=cifarn_subset, device=device, results_dir=cifarn_results_dir,
              extend=extend_results, selection=selection)
human_jobs = [dict(methods=["ce"])]  # the CE networks, whose records hold every T̂
human_jobs += [dict(methods=["ce", "forward_est"], estimator=name)
               for name in cifarn_estimators]
human_jobs += [dict(methods=["ce", *cifarn_learned])] if cifarn_learned else []
# every job of both experiments is checked before any training
configs = [c for task, noise in tasks.items() for job in jobs
           for c in check_grid(task, noise_settings(noise, rates), **{**grid, **job})]
configs += [c for job in human_jobs
            for c in check_grid("cifar10n", human_settings, **cifarn, **job)]

# %% [markdown] papermill={"duration": 0.003108, "end_time": "2026-12-08T05:06:58.088928+00:00", "exception": false, "start_time": "2026-12-08T05:06:58.085820+00:00", "status": "completed"}
# ## What each estimator assumes
#
# All of them read $\hat T$, with $\hat T_{ij} \approx P(\tilde y = j \mid y = i)$, from a CE network's
# posteriors $\hat p(\tilde y \mid x)$ (and, where they use them, the noisy labels). They differ in what
# they read and in the condition under which that reading is exact.
#
# | estimator (`lnc`) | reads | exact when |
# |---|---|---|
# | `anchor` {cite}`patrini2017` | row $i$ = the posterior of the example most typical of class $i$ | an anchor point per class, $p(y = i \mid x) = 1$ |
# | `confident_joint` {cite}`northcutt2021` | counts of examples above per-class thresholds, by noisy label | the posteriors rank each class's examples above the others |
# | `core_counts` (ours) | the noisy labels of the most confident 75% of the examples predicted as class $i$ | $\tilde y$ independent of $x$ given $y$, posteriors that never saw the labels, and a core of clean class $i$ only |
# | `dual_t` {cite}`yao2020` | $\hat T^\clubsuit \hat T^\spadesuit$: anchors for clean → predicted, counts for predicted → noisy | anchors, and $\tilde y$ independent of $y$ given the prediction |
# | `min_volume` (VolMinNet's criterion {cite}`li2021`) | the smallest simplex that holds the posteriors | clean posteriors *sufficiently scattered*; no anchors needed |
# | `volmin` method {cite}`li2021` | $T$ learned with the network, least volume | as `min_volume`, end to end |
# | `revision` method {cite}`xia2019` | $\hat T$ plus a slack learned by importance reweighting | a start $\hat T$ close enough to $T$ |
#
# The noisy posterior of an example is $p(y \mid x)^\top T$, a point of the simplex spanned by the rows of
# $T$. An anchor point of class $i$ lands on corner $i$ of that simplex, which is why reading it gives row
# $i$. Without anchors the points stay away from the corners; if they still reach the middle of every face
# (the *sufficiently scattered* condition), the smallest simplex that holds them is still the one of $T$.
#
# ## An exact example without anchor points
#
# Three classes, and clean posteriors that each mix two classes with weights between 0.25 and 0.75
# (`lnc.book.simulation.scattered_posteriors`): no example is within 0.25 of a corner, but every edge is
# covered in its middle. The noisy posteriors are exact, $p(y \mid x)^\top T$, and each example gets a noisy
# label drawn from its noisy posterior. For contrast, the same $T$ with Dirichlet clean posteriors plus one
# exact anchor per class (`anchored_posteriors`).

# %% papermill={"duration": 7.348203, "end_time": "2026-12-08T05:07:05.440806+00:00", "exception": false, "start_time": "2026-12-08T05:06:58.092603+00:00", "status": "completed"} tags=["hide-input"]
T_example = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.25, 0.05, 0.7]])
_, scattered = scattered_posteriors(T_example, example_size, seed)
anchored = anchored_posteriors(T_example, example_size, seed)
errors, estimates = {}, {}
for kind, probs in [("with anchors", anchored), ("without anchors", scattered)]:
    labels = sample_labels(probs, seed)
    for name in names:
        # the argmax anchors where the estimator takes a quantile
        options = {"quantile": None} if name in ("anchor", "dual_t") else {}
        T_hat = lnc.estimate_T(probs, labels, method=name, **options)
        errors[kind, name] = lnc.estimation_error(T_hat, T_example)
        estimates[kind, name] = T_hat
display(Table([["estimator", "error, with anchors", "error, without anchors"],
               *([name, *(f"{errors[kind, name]:.3f}"
                          for kind in ("with anchors", "without anchors"))]
                 for name in names)]))
fig, axes = plt.subplots(1, 2, figsize=(10, 4.6))
for ax, (kind, probs) in zip(axes, [("with anchors", anchored),
                                    ("without anchors", scattered)]):
    simplex_view(ax, probs, {"true $T$": T_example,
                             "anchor $\\hat T$": estimates[kind, "anchor"],
                             "min_volume $\\hat T$": estimates[kind, "min_volume"]},
                 f"clean posteriors {kind}")
plt.close(fig)
glue("fig-simplex", fig, display=False)
best = min(names, key=lambda name: errors["without anchors", name])
exact = 0.03


def close(kind):
    chosen = [f"`{n}`" for n in names if errors[kind, n] <= exact]
    return listing(chosen, ", ") or "none"


free = errors["without anchors", best]
anchored_error = errors["with anchors", "min_volume"]
display(Markdown(f"""
**Without anchor points, `{best}` comes closest (error {free:.3f}); the anchor
estimate is off by {errors['without anchors', 'anchor']:.3f}.** Within {exact} of $T$:
with anchors {close('with anchors')}; without anchors {close('without anchors')}.

- `min_volume` with anchors: error {anchored_error:.3f}. With three anchors among
  {example_size} interior points, the volume term pulls the fitted simplex slightly
  inside corners that almost no example reaches.
- `confident_joint`, `core_counts` and `dual_t` count labels against a hard reading of
  soft posteriors: an example of a mixture is counted in one class. On posteriors this
  far from one-hot, their assumptions (a ranking that separates the classes; cores of
  one clean class; a noisy label that depends on the clean one only through the
  predicted class) fail, whatever the sample size.
"""))

# %% [markdown] papermill={"duration": 0.004693, "end_time": "2026-12-08T05:07:05.450917+00:00", "exception": false, "start_time": "2026-12-08T05:07:05.446224+00:00", "status": "completed"}
# ```{glue:figure} fig-simplex
# :name: fig-simplex
# The noisy posteriors (grey dots) on the three-class simplex, with the triangle of the true $T$, of the
# anchor estimate and of the least-volume estimate. Left: one anchor per class, the corners of the true
# triangle. Right: no anchors; the noisy posteriors lie on the middle parts of the true triangle's edges
# (each clean posterior mixes two classes), the anchor estimate's corners sit on their extreme points, inside
# the true triangle, and the least-volume triangle closes on the true one (it hides the blue).
# ```
#
# ## A benchmark on MNIST and Fashion-MNIST
#
# Each estimator gets the same CE network's posteriors on the training and validation inputs (in-sample, the
# paper's choice) and out-of-fold posteriors: `cross_fit` more CE networks, each trained on all folds but one
# and predicting the held-out one, so that no posterior comes from a network that fitted that example's noisy
# label. The settings are of four kinds of $T$: symmetric (every wrong class alike) and pair flips (the paper's
# asymmetric noise) on MNIST, symmetric and dense on Fashion-MNIST (`lnc.noise.dense_T`: each class confused with
# every other in proportions of its own, a $T$ without structure). A fresh network is then trained with the
# forward correction and the cross-fitted $\hat T$ of each estimator in `forward_estimators`, and the two
# methods that learn $T$ are run on the seeds of `learned_seeds`: `volmin` from $T$ near $I$, `revision` from
# the anchor estimate of the in-sample posteriors. One CE network (and one set of folds) serves every estimator
# of a seed. The run, as its records state it:

# %% papermill={"duration": 78.790318, "end_time": "2026-12-08T05:08:24.246184+00:00", "exception": false, "start_time": "2026-12-08T05:07:05.455866+00:00", "status": "completed"} tags=["hide-input"]
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # the 97% rule's fallback
    # seed by seed, so that an interrupted run has whole seeds
    records = [r for seed in seeds for task, noise in tasks.items() for job in jobs
               if seed in job.get("seeds", seeds)
               for r in run_grid(task, noise_settings(noise, rates), workers=workers,
                                 **{**grid, **job, "seeds": [seed]})]
if results_dir:  # stored CE posteriors: the held-out rows of each network, and of all
    records = posterior_estimates(records, results_dir)
setups = [describe_run(task, protocol, epochs=epochs, subset=subset, seeds=seeds,
                       device=device, workers=workers) for task in tasks]
display(Markdown(f"- records: {run_summary(records)}\n"
                 + "".join(f"- set-up: {setup}\n" for setup in setups)
                 + f"- out-of-fold posteriors: {cross_fit} folds"))

# %% [markdown] papermill={"duration": 0.003807, "end_time": "2026-12-08T05:08:24.254205+00:00", "exception": false, "start_time": "2026-12-08T05:08:24.250398+00:00", "status": "completed"}
# The relative $L_1$ error of each $\hat T$ against the true $T$, mean ± std over the seeds (their number in
# brackets where fewer ran than in the rest of the table); the closest estimate of each setting is marked `*`.
# The first column is the error of the training labels' own $T$ (clean against noisy labels): the sampling
# noise of the labels, the error of an estimator that knew every clean label, which no estimator reading these
# labels is expected to beat. Four kinds of posteriors, each a table:
#
# 1. cross-fitted: the condition under which the counting estimators are exact, at `cross_fit` more networks;
# 2. the in-sample network's posteriors of the rows it never fitted, its noisy validation split (one network
#    per seed, a tenth of the rows);
# 3. those rows of every seed's network pooled into one set (one estimate, so no ±): the seeds are trained
#    anyway, so the rows come at no extra training;
# 4. the in-sample posteriors of every row, the paper's choice.
#
# A kind without stored posteriors (the held-out rows need each CE network's posteriors file) has no table.

# %% papermill={"duration": 0.419419, "end_time": "2026-12-08T05:08:24.679045+00:00", "exception": false, "start_time": "2026-12-08T05:08:24.259626+00:00", "status": "completed"} tags=["hide-input"]
KINDS = {"cross_fit": "cross-fitted posteriors",
         "held_out": "the held-out rows of each seed's network",
         "pooled": "the held-out rows of every seed's network, pooled",
         "in_sample": "in-sample posteriors"}
for kind, label in KINDS.items():
    if not any(kind in r.get("estimates", {}) for r in records):
        continue
    display(Markdown(f"**Error of $\\hat T$, {label}**"),
            estimator_benchmark_table(records, kind))

# %% [markdown] papermill={"duration": 0.008839, "end_time": "2026-12-08T05:08:24.696468+00:00", "exception": false, "start_time": "2026-12-08T05:08:24.687629+00:00", "status": "completed"}
# And what the error costs downstream: the clean test accuracy (%) of the forward correction trained with each
# cross-fitted $\hat T$, mean ± std over the seeds:

# %% papermill={"duration": 0.151481, "end_time": "2026-12-08T05:08:24.856528+00:00", "exception": false, "start_time": "2026-12-08T05:08:24.705047+00:00", "status": "completed"} tags=["hide-input"]
display(estimator_benchmark_table(records, "cross_fit", "accuracy"))
by_task = {task: estimator_stats([r for r in records if r["task"] == task])
           for task in tasks}


def mean(task, key, name, kind, field="error"):
    value = by_task[task].get((key, name, kind), {}).get(field)
    return value[0] if value else np.nan


cases = [(task, key) for task in tasks
         for key in dict.fromkeys(k for k, _, _ in by_task[task])]


def closer(kind, name="core_counts", other="confident_joint", margin=0.9):
    """Settings where ``name``'s mean error is at most ``margin`` times ``other``'s."""
    return [f"{task} {key}" for task, key in cases
            if mean(task, key, name, kind) <= margin * mean(task, key, other, kind)]


def worse(kind, name="core_counts", other="confident_joint"):
    return [f"{task} {key}" for task, key in cases
            if mean(task, key, name, kind) > mean(task, key, other, kind)]


lower = [(task, key, name) for task, key in cases for name in names
         if mean(task, key, name, "cross_fit") < mean(task, key, name, "in_sample")]
volmin_closer = [f"{task} {key}" for task, key in cases
                 if mean(task, key, "volmin", "learned")
                 <= mean(task, key, "anchor", "in_sample")]
learned = "; ".join(
    f"{task} {key}: `volmin` {mean(task, key, 'volmin', 'learned'):.3f},"
    f" `revision` {mean(task, key, 'revision', 'learned'):.3f}" for task, key in cases)
best_cf = {f"{task} {key}": min(names, key=lambda n: mean(task, key, n, "cross_fit"))
           for task, key in cases}
volmin_best = [f"{task} {key}" for task, key in cases
               if mean(task, key, "volmin", "learned")
               < min(mean(task, key, n, kind) for n in names
                     for kind in ("cross_fit", "in_sample"))]
glue("benchmark-volmin-best", count_of(volmin_best, len(cases), "settings"),
     display=False)
glue("benchmark-core-cf", f"{len(closer('cross_fit'))} of {len(cases)}", display=False)
glue("benchmark-core-in", f"{len(closer('in_sample'))} of {len(cases)}", display=False)
in_over_cf = [mean(task, key, "core_counts", "in_sample")
              / mean(task, key, "core_counts", "cross_fit") for task, key in cases]
glue("benchmark-core-ratio", span([v for v in in_over_cf if np.isfinite(v)], ".1f"),
     display=False)
higher = [f"{task} {key}" for (task, key), v in zip(cases, in_over_cf) if v > 1]
glue("benchmark-core-higher", count_of(higher, len(cases), "settings"), display=False)
pooled = [(task, key) for task, key in cases
          if not np.isnan(mean(task, key, "core_counts", "pooled"))]
counting = ["confident_joint", "core_counts"]
pooling_helped, pooled_beat_all = (
    [(task, key, name) for task, key in pooled for name in counting
     if mean(task, key, name, "pooled") < mean(task, key, name, other)]
    for other in ("held_out", "in_sample"))
pooled_over_cf = span([mean(task, key, "core_counts", "pooled")
                       / mean(task, key, "core_counts", "cross_fit")
                       for task, key in pooled], ".2f")
pooling = (
    f"lowered the error of the one-network held-out estimate in {len(pooling_helped)}"
    f" of {len(pooled) * len(counting)} counting estimator × setting pairs"
    f" (`confident_joint`, `core_counts`), and was below the in-sample estimate from"
    f" all the rows in {len(pooled_beat_all)} of them; `core_counts` on the pooled rows"
    f" is {pooled_over_cf} times its cross-fitted error, and at least 10% closer than"
    f" the confident joint in {count_of(closer('pooled'), len(pooled), 'settings')}"
    if pooled else "was not measured: no two seeds' networks have stored posteriors")
glue("benchmark-pooled", pooling, display=False)
glue("benchmark-loss-gap", span(loss_gaps(records), ".2f"), display=False)
display(Markdown(f"""
- **`core_counts` at least 10% closer to $T$ than the confident joint, cross-fitted
  posteriors: {count_of(closer('cross_fit'), len(cases), 'settings')}**; in-sample:
  {count_of(closer('in_sample'), len(cases), 'settings')}; farther than the confident
  joint in-sample: {count_of(worse('in_sample'), len(cases), 'settings')}.
- **Closest estimate per setting, cross-fitted:**
  {listing([f"{k}: `{v}`" for k, v in best_cf.items()], '; ')}.
- **Cross-fitting lowered the error in {len(lower)} of {len(cases) * len(names)}
  estimator × setting pairs.**
- **Pooling the held-out rows of every seed's network** {pooling}.
- **The learned $T$** (error against the true $T$, seeds {learned_seeds}): {learned}.
  VolMinNet's is at least as close as the in-sample anchor $\\hat T$ in
  {count_of(volmin_closer, len(cases), 'settings')}, and closer than every estimator
  from either posteriors in {count_of(volmin_best, len(cases), 'settings')}.
"""))

# %% [markdown] papermill={"duration": 0.006673, "end_time": "2026-12-08T05:08:24.869151+00:00", "exception": false, "start_time": "2026-12-08T05:08:24.862478+00:00", "status": "completed"}
# ## CIFAR-10N: against the true human T
#
# On human noise the true $T$ is measured from the clean and noisy labels of the training images
# ({ref}`ch-cifarn`). One CE network per label set and seed of `cifarn_seeds`, on the full training set (its
# protocol as the records below state it); every estimator reads its in-sample posteriors (cross-fitting would
# cost `cross_fit` more full-data trainings) and, where the record's posteriors are stored, those of the
# held-out rows alone: the noisy validation split, which the network never fitted (only its epoch was chosen on
# it), at no extra training; where several seeds' networks have them, also those rows of all of them pooled.
# A fresh network is trained with the forward correction and the $\hat T$ of each
# estimator in `cifarn_estimators` (the stored run: none yet; the CE record keeps every estimate). The methods
# of `cifarn_learned` learn their $T$ with their own network (VolMinNet on CIFAR-10N is in {ref}`ch-cifarn`).
# The CE networks' test accuracy is given for reference; forward with the true $T$ on the same label sets is
# in {ref}`ch-cifarn`. A CE record made before an estimator existed has no estimate of it (`-`). The run:

# %% papermill={"duration": 30.36941, "end_time": "2026-12-08T05:08:55.243690+00:00", "exception": false, "start_time": "2026-12-08T05:08:24.874280+00:00", "status": "completed"} tags=["hide-input"]
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    runs = [run_grid("cifar10n", human_settings, **cifarn, **job) for job in human_jobs]
human = [r for records_of_job in runs for r in records_of_job]
if cifarn_results_dir:  # the held-out rows of each network, and of all
    human = posterior_estimates(human, cifarn_results_dir)
setup = describe_run("cifar10n", cifarn_protocol, epochs=cifarn_epochs,
                     subset=cifarn_subset, seeds=cifarn_seeds, device=device)
display(Markdown(f"- records: {run_summary(human)}\n- set-up: {setup}"))

# %% [markdown] papermill={"duration": 0.009255, "end_time": "2026-12-08T05:08:55.259477+00:00", "exception": false, "start_time": "2026-12-08T05:08:55.250222+00:00", "status": "completed"}
# One table per label set: the relative $L_1$ error of each $\hat T$ against the true human $T$, from all the
# rows (in-sample), from the held-out rows and from those of every seed's network pooled, and the clean test
# accuracy (%) of the forward correction with it; for a method of `cifarn_learned`, the error of the $T$ it
# learned and its own accuracy; mean ± std over the seeds. The noise column is one minus the mean diagonal of
# the in-sample $\hat T$, the share of labels it says are flipped (under uniform classes), beside the true
# $T$'s. Forward is trained with the $\hat T$ of each estimator in `cifarn_estimators` (`-` for one left
# out): each costs a full-data training.

# %% papermill={"duration": 0.148576, "end_time": "2026-12-08T05:08:55.416537+00:00", "exception": false, "start_time": "2026-12-08T05:08:55.267961+00:00", "status": "completed"} tags=["hide-input"]
for key in cifarn_noise:
    display(Markdown(f"**{key}**"))
    display(estimator_table(human, key))

# %% papermill={"duration": 0.055759, "end_time": "2026-12-08T05:08:55.480372+00:00", "exception": false, "start_time": "2026-12-08T05:08:55.424613+00:00", "status": "completed"} tags=["hide-input"]
human_stats = estimator_stats(human)
reference = summarize(runs[0])  # the CE networks


def value(key, name, kind, field):
    entry = human_stats.get((key, name, kind), {}).get(field)
    return entry[0] if entry else np.nan


def percent(x):
    return "not run" if np.isnan(x) else f"{x:.1f}%"


ROWS = {"in_sample": "all rows", "held_out": "held-out rows",
        "pooled": "the held-out rows of every seed's network"}


def label_set_line(key):
    errors = {(n, kind): value(key, n, kind, "error") for n in names for kind in ROWS}
    best = min((k for k, e in errors.items() if not np.isnan(e)), key=errors.get)
    ratio = value(key, *best, "anchor_ratio")  # over the anchor error of the same run
    learned = "".join(f"; learned: `{n}` {value(key, n, 'learned', 'error'):.3f}"
                      for n in cifarn_learned)
    matrices = {f"`{n}`'s $\\hat T$": value(key, n, "in_sample", "accuracy")
                for n in dict.fromkeys((best[0], "anchor"))}
    forward = [f"{percent(a)} with {m}" for m, a in matrices.items() if not np.isnan(a)]
    trained = f" Forward: {listing(forward, ', ')};" if forward else ""
    ce = reference.get(("ce", key), (np.nan,))[0]
    return (f"- **{key}**: closest `{best[0]}` on {ROWS[best[1]]} at"
            f" {errors[best]:.3f}, {ratio:.2f} of the in-sample anchor error of the"
            f" same CE networks{learned}.{trained} CE {percent(ce)}."), ratio


lines, ratios = zip(*(label_set_line(key) for key in cifarn_noise))
halved = [key for key, ratio in zip(cifarn_noise, ratios) if ratio <= 0.5]
glue("cifarn-halved", f"{len(halved)} of {len(cifarn_noise)}", display=False)
glue("cifarn-ratios", span(ratios, ".2f"), display=False)
compared = [(key, name) for key in cifarn_noise for name in counting
            if not np.isnan(value(key, name, "held_out", "error"))]
held_out_won = [(key, name) for key, name in compared
                if value(key, name, "held_out", "error")
                < value(key, name, "in_sample", "error")]
glue("cifarn-held-out-won", f"{len(held_out_won)} of {len(compared)}", display=False)
glue("cifarn-loss-gap", span(loss_gaps(human), ".2f"), display=False)
display(Markdown(f"""
**The closest estimate's error is at most half the in-sample anchor error of the same
CE networks (mean of the ratios over the seeds) in
{count_of(halved, len(cifarn_noise), 'label sets')}**.

{chr(10).join(lines)}
"""))

# %% [markdown] papermill={"duration": 0.010706, "end_time": "2026-12-08T05:08:55.502670+00:00", "exception": false, "start_time": "2026-12-08T05:08:55.491964+00:00", "status": "completed"}
# ## Summary
#
# - Each estimator is exact under its own condition, and the conditions differ: anchors (`anchor`,
#   `dual_t`), a ranking of each class's examples (`confident_joint`), confident cores of one class each
#   (`core_counts`), scattered posteriors (`min_volume`, `volmin`). The exact example shows one that holds
#   without the other.
# - Which to use: on out-of-fold posteriors, `core_counts` was at least 10% closer to $T$ than the confident
#   joint in {glue:text}`benchmark-core-cf` settings of the benchmark, and in {glue:text}`benchmark-core-in`
#   on in-sample ones, where its error was {glue:text}`benchmark-core-ratio` times its cross-fitted one
#   (larger in {glue:text}`benchmark-core-higher`). Its condition asks for posteriors that never saw the
#   labels: a network that has fitted them ranks the examples it was told are class $i$ higher, so the core
#   holds too few of the others. A larger in-sample error is the sign of it, and the settings above say where
#   it showed. Use `core_counts` on cross-fitted posteriors; on in-sample ones, compare the errors above
#   first.
# - Without cross-fitting, a network's held-out rows are out of sample too, but few: a tenth of the data.
#   Pooling those of every seed's network, which a study with seeds trains anyway,
#   {glue:text}`benchmark-pooled`. Where a network kept at its best noisy-validation epoch fits its training
#   rows little better than the held-out ones, its in-sample posteriors are nearly out of sample, and there are
#   ten times more of them; where it fits them better, the held-out rows win: on CIFAR-10N they gave the
#   counting estimators a closer $\hat T$ in {glue:text}`cifarn-held-out-won` label set × estimator pairs.
#   The sign needs no clean label: the gap between the kept epoch's noisy-validation and training losses (the
#   records' `curves`) was {glue:text}`benchmark-loss-gap` for the MLPs of the benchmark and
#   {glue:text}`cifarn-loss-gap` for the CIFAR-10N networks (their training loss is measured on augmented
#   images, so their gap on the images themselves is larger still).
# - Learning $T$ with the network (VolMinNet) came closer than every estimator in
#   {glue:text}`benchmark-volmin-best`, at the price of a training of its own per setting.
# - Cross-fitting costs `cross_fit` more CE trainings; once the posteriors exist, the estimators cost
#   milliseconds (`min_volume`, a fit, seconds), so a run can record them all. The choice between them must not
#   read the clean test set.
# - On CIFAR-10N's human noise, the closest estimate is {glue:text}`cifarn-ratios` of the anchor error of
#   the same CE networks, at most half of it in {glue:text}`cifarn-halved` label sets; every estimator there
#   reads the posteriors of the CE networks, of all the rows and, where they are stored, of the held-out rows
#   alone (of one network, and of every seed's pooled), which the networks never fitted: posteriors that never
#   saw their labels, at no extra training, as cross-fitted ones are at `cross_fit` more.
#
# ## Exercises
#
# ```{exercise}
# :label: ex-beyond-scattered
# Draw the exact example again with clean posteriors that mix two classes with weights in $[0.45, 0.55]$ only
# (`scattered_posteriors(T_example, example_size, seed, low=0.45, high=0.55)`) and estimate $T$ with every
# estimator, as above. Which estimators still recover $T$? Compare the least-volume estimate with the one of
# the example above, and explain the difference with the condition under which it is exact.
# ```
#
# ```{solution-start} ex-beyond-scattered
# :class: dropdown
# ```

# %% papermill={"duration": 2.726858, "end_time": "2026-12-08T05:08:58.241932+00:00", "exception": false, "start_time": "2026-12-08T05:08:55.515074+00:00", "status": "completed"}
_, tight = scattered_posteriors(T_example, example_size, seed, low=0.45, high=0.55)
tight_labels = sample_labels(tight, seed)
for name in names:
    options = {"quantile": None} if name in ("anchor", "dual_t") else {}
    T_hat = lnc.estimate_T(tight, tight_labels, method=name, **options)
    error = lnc.estimation_error(T_hat, T_example)
    print(f"{name}: error {error:.3f} ({'within' if error <= exact else 'not within'} "
          f"{exact} of T; {errors['without anchors', name]:.3f} above)")

# %% [markdown] papermill={"duration": 0.011892, "end_time": "2026-12-08T05:08:58.266895+00:00", "exception": false, "start_time": "2026-12-08T05:08:58.255003+00:00", "status": "completed"}
# The least-volume estimate is exact when the clean posteriors are *sufficiently scattered*: their hull must
# hold the circle inscribed in the simplex, which touches every edge at its middle. Weights in $[0.25, 0.75]$
# spread the points along each edge, past the points of contact; weights in $[0.45, 0.55]$ keep them near the
# midpoints, whose hull, the triangle of the midpoints, lies inside that circle. A simplex smaller than the
# one of $T$ then holds every noisy posterior, and the least-volume fit finds it. The anchor estimate fails for
# the older reason: each class's most confident posterior mixes two rows of $T$.
#
# ```{solution-end}
# ```
#
# ```{exercise}
# :label: ex-beyond-folds
# From the records of the benchmark above (`records`), compare for each estimator the error of $\hat T$ from
# in-sample and from cross-fitted posteriors, and the CPU time the `cross_fit` extra CE trainings cost (the CE
# records' `wall_time_s`). When is the extra cost worth it?
# ```
#
# ```{solution-start} ex-beyond-folds
# :class: dropdown
# ```

# %% papermill={"duration": 0.024864, "end_time": "2026-12-08T05:08:58.304060+00:00", "exception": false, "start_time": "2026-12-08T05:08:58.279196+00:00", "status": "completed"}
for task, key in cases:
    gains = [f"{name} {mean(task, key, name, 'in_sample'):.3f}"
             f" → {mean(task, key, name, 'cross_fit'):.3f}" for name in names]
    print(f"{task} {key}: " + "; ".join(gains))
ce_minutes = [r["wall_time_s"] / 60 for r in records
              if r["method"] == "ce" and r.get("cross_fit") is None]
print(f"one CE training: {np.mean(ce_minutes):.1f} min (records' wall time);"
      f" cross-fitting adds {cross_fit} of them per seed")

# %% [markdown] papermill={"duration": 0.007049, "end_time": "2026-12-08T05:08:58.321308+00:00", "exception": false, "start_time": "2026-12-08T05:08:58.314259+00:00", "status": "completed"}
# Cross-fitting helps the estimators whose error falls in the printout, at the price of `cross_fit` more CE
# trainings per seed; the estimation itself costs seconds. Where the in-sample error is already small, the
# folds buy little.
#
# ```{solution-end}
# ```
