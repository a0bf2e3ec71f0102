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

# %% [markdown] papermill={"duration": 0.00392, "end_time": "2026-12-07T00:03:38.866478+00:00", "exception": false, "start_time": "2026-12-07T00:03:38.862558+00:00", "status": "completed"}
# (ch-estimation)=
# # Estimating T From Noisy Data
#
# Both corrections need $T$, and in practice nobody hands it to us. {cite:t}`patrini2017` estimate it from
# the noisy data alone: train a network with plain cross-entropy on the noisy labels, read its predicted
# noisy posteriors, and take for each class its **anchor point**, an example that surely belongs to that
# class (eqs. 12–13 of the paper, after {cite:t}`menon2015`). Whether the corrections work in the
# experiment chapters depends on how good this estimate is.
#
# This chapter states the estimator's assumption, shows exact recovery from exact posteriors, where the
# estimator breaks, what the 97th-percentile rule of the official code buys under over-confident outliers,
# and how the error falls with the sample size and the peakedness of the anchors. The estimator is
# `lnc.estimate_T`, the error `lnc.estimation_error` (relative L1, $\sum |\hat T - T| / \sum |T|$).
#
# After this chapter you can
#
# - state when the anchor estimator recovers $T$ exactly, and check its column condition on a given $T$;
# - say when the 97% rule helps (memorised outliers) and when it costs (no outliers);
# - read how the estimation error depends on the sample size $n$ and on how peaked the posteriors are.
#
# ```{admonition} Parameters of this chapter
# :class: dropdown note
#
# The values used on this page are in the collapsed `parameters` cell below.
#
# | parameter | meaning |
# |---|---|
# | `num_classes` | classes $c$ of the simulations |
# | `seeds` | repetitions of each simulation |
# | `seed` | base seed |
# ```

# %% papermill={"duration": 0.01125, "end_time": "2026-12-07T00:03:38.880075+00:00", "exception": false, "start_time": "2026-12-07T00:03:38.868825+00:00", "status": "completed"} tags=["parameters", "hide-input"]
num_classes = 10
seeds = 5
seed = 0

# %% papermill={"duration": 2.377443, "end_time": "2026-12-07T00:03:41.259671+00:00", "exception": false, "start_time": "2026-12-07T00:03:38.882228+00:00", "status": "completed"} tags=["hide-input"]
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from myst_nb import glue

import lnc
from lnc.book.display import plain_warnings
from lnc.book.simulation import (anchored_posteriors, peaked_posteriors,
                                 posteriors_with_outliers)
from lnc.estimation import anchor_columns
from lnc.experiments.datasets import cifarn_T

plain_warnings()  # warnings print without this checkout's file paths

# %% [markdown] papermill={"duration": 0.001762, "end_time": "2026-12-07T00:03:41.263951+00:00", "exception": false, "start_time": "2026-12-07T00:03:41.262189+00:00", "status": "completed"}
# ## The anchor-point estimator
#
# ```{prf:definition} Anchor point
# :label: def-anchor
#
# $\bar x^i$ is an anchor point of class $i$ if $\mathbb{P}(y = i \mid \bar x^i) = 1$.
# ```
#
# At an anchor point the noisy posterior {eq}`eq-noisy-posterior` is row $i$ of $T$:
# $\mathbb{P}(\tilde y = j \mid \bar x^i) = \sum_k \mathbb{P}(y = k \mid \bar x^i) T_{kj} = T_{ij}$. So with an estimate
# $\hat p(\tilde y \mid x)$ of the noisy posterior on a sample $X'$, the paper takes
#
# $$
# \bar x^i = \operatorname*{argmax}_{x \in X'} \hat p(\tilde y = i \mid x), \qquad \hat T_{ij} = \hat p(\tilde y = j \mid \bar x^i).
# $$ (eq-anchor-estimator)
#
# ```{prf:proposition} Exact recovery
# :label: thm-anchor-recovery
#
# If $\hat p(\tilde y \mid x) = T^\top \mathbb{P}(y \mid x)$ exactly, every class has an anchor point in $X'$, and
# $T_{ii} > T_{ki}$ for all $k \neq i$, then {eq}`eq-anchor-estimator` returns $\hat T = T$.
# ```
#
# ```{prf:proof}
# $\hat p(\tilde y = i \mid x) = \sum_k \mathbb{P}(y = k \mid x) T_{ki}$ is a convex combination of column $i$ of $T$,
# maximal (uniquely, up to ties among anchors) where all the weight is on the largest entry $T_{ii}$, that is at an
# anchor of class $i$; its noisy posterior is row $i$ of $T$.
# ```
#
# The condition $T_{ii} > T_{ki}$ is easy to miss: the argmax of column $i$ finds the anchor of the class that
# most often *produces* the noisy label $i$, which is class $i$ only when the column's maximum is on the diagonal.
# `lnc.estimate_T(noisy_probs, quantile=None)` is {eq}`eq-anchor-estimator`; the default `quantile=0.97` is the
# official code's robust variant (below). Neither mutates `noisy_probs` (the official code zeroes a view of it).

# %% papermill={"duration": 0.048173, "end_time": "2026-12-07T00:03:41.313896+00:00", "exception": false, "start_time": "2026-12-07T00:03:41.265723+00:00", "status": "completed"}
rng = np.random.default_rng(seed)
rows = {}
for name, T in {"mnist asymmetric 0.4": lnc.mnist_asymmetric_T(0.4),
                "cifar-10n worst (human)": cifarn_T("worst"),
                "cifar-100n (human)": cifarn_T("cifar100n")}.items():
    T_hat = lnc.estimate_T(anchored_posteriors(T, 5000, rng), quantile=None)
    error = lnc.estimation_error(T_hat, T)
    off_diagonal_max = int((~anchor_columns(T)).sum())
    if off_diagonal_max == 0:
        assert error < 1e-9
    rows[name] = {"columns with max off the diagonal": off_diagonal_max,
                  "error < 1e-9": bool(error < 1e-9)}
display(pd.DataFrame.from_dict(rows, orient="index").rename_axis("T"))

# %% [markdown] papermill={"duration": 0.004011, "end_time": "2026-12-07T00:03:41.340838+00:00", "exception": false, "start_time": "2026-12-07T00:03:41.336827+00:00", "status": "completed"}
# With the column condition, recovery is exact (`lnc.book.simulation.anchored_posteriors` draws the exact posteriors).
# The condition holds for the real CIFAR-10N and CIFAR-100N noise too: on CIFAR-100N three *rows* have an
# off-diagonal entry above the diagonal ({ref}`ch-noise`), but every *column* keeps its maximum on the diagonal,
# and the columns are what the argmax reads.
#
# ## Over-confident outliers and the 97th percentile
#
# A network trained on noisy labels can memorise: on a few examples it outputs a one-hot
# $\hat p(\tilde y \mid x)$ whatever $T$ says. The argmax of {eq}`eq-anchor-estimator` picks such an
# outlier, whose row is $e_i$. The official code {cite}`patrini2017code` instead takes, for each class, the
# example with the largest score **strictly below the 97% quantile** of that column (`quantile=0.97`).
#
# We simulate it with `lnc.book.simulation.posteriors_with_outliers`: $n$ Dirichlet examples, plus, for
# each class, $0.1\, n$ near-anchors with $\mathbb{P}(y = i \mid x) \ge 0.99$ and a fraction $f\, n$ of
# one-hot outliers. The 97% rule skips the outliers of column $i$ only while they are fewer than 3% of all
# examples, so we sweep $f$ past that point and report, for each $f$, the outliers' share of a column.
#
# (tab-estimation-outliers)=
# **The outlier sweep.** Mean estimation error of the argmax and of the 97% rule over the seeds, for outlier
# fractions $f$ (per class, relative to $n$); "column share" is the share of all examples that are one-hot
# outliers of one class, and "97% rule wins" says whether its worst seed beats the argmax's best. "fallbacks"
# counts the seeds where `lnc.estimate_T` warned that the quantile was saturated by outliers and it fell back
# to the argmax.

# %% papermill={"duration": 0.205552, "end_time": "2026-12-07T00:03:41.550182+00:00", "exception": false, "start_time": "2026-12-07T00:03:41.344630+00:00", "status": "completed"}
T = lnc.cifar10_asymmetric_T(0.3)
n = 4000
fractions = [0.01, 0.02, 0.03, 0.04, 0.05, 0.10, 0.20]
rows = []
for f in fractions:
    errors = {q: [] for q in (None, 0.97)}
    with warnings.catch_warnings(record=True) as fallbacks:     # the rule's own warning
        warnings.simplefilter("always")
        for s in range(seeds):
            probs = posteriors_with_outliers(T, n, seed + s, outlier_fraction=f)
            for q in errors:
                T_hat = lnc.estimate_T(probs, quantile=q)
                errors[q].append(lnc.estimation_error(T_hat, T))
    rows.append({"f": f, "column share (%)": round(100 * int(f * n) / len(probs), 2),
                 "argmax": round(float(np.mean(errors[None])), 3),
                 "97% rule": round(float(np.mean(errors[0.97])), 3),
                 "97% rule wins": bool(max(errors[0.97]) < min(errors[None])),
                 "fallbacks": len(fallbacks)})
sweep = pd.DataFrame(rows).set_index("f")
display(sweep)


# %% papermill={"duration": 0.010254, "end_time": "2026-12-07T00:03:41.563484+00:00", "exception": false, "start_time": "2026-12-07T00:03:41.553230+00:00", "status": "completed"}
below = sweep[sweep["column share (%)"] < 3]
above = sweep[sweep["column share (%)"] >= 3]
verdict = {True: "holds", False: "does not hold"}
display(Markdown(
    f"- While the outliers are under 3% of a column ($f \\le$ {below.index.max():g}), "
    f"the 97% rule beats the argmax at every $f$: "
    f"{verdict[bool(below['97% rule wins'].all())]} "
    f"(errors {below['97% rule'].min():.3f}–{below['97% rule'].max():.3f} against "
    f"{below['argmax'].min():.3f}–{below['argmax'].max():.3f}).\n"
    f"- Once they are 3% or more ($f \\ge$ {above.index.min():g}), the 97% rule no "
    f"longer beats the argmax at any $f$: "
    f"{verdict[bool((~above['97% rule wins']).all())]} "
    f"(errors {above['97% rule'].min():.3f}–{above['97% rule'].max():.3f})."
))

# %% [markdown] papermill={"duration": 0.002655, "end_time": "2026-12-07T00:03:41.573437+00:00", "exception": false, "start_time": "2026-12-07T00:03:41.570782+00:00", "status": "completed"}
# ## Error against sample size and peakedness
#
# Without outliers the quantile rule has a price: it never uses the most confident examples. We simulate
# clean posteriors (`lnc.book.simulation.peaked_posteriors`) $\mathbb{P}(y \mid x) = \lambda e_y +
# (1 - \lambda) u$ with $u$ uniform on the simplex and $\lambda \sim \mathrm{Beta}(a, 1)$: a larger $a$
# gives more peaked examples. With exact noisy posteriors, the argmax error should fall towards zero as the
# sample size $n$ grows, while the 97% rule stops at the peakedness of the 97% quantile.

# %% papermill={"duration": 0.750457, "end_time": "2026-12-07T00:03:42.326579+00:00", "exception": false, "start_time": "2026-12-07T00:03:41.576122+00:00", "status": "completed"}
T = lnc.symmetric_T(num_classes, 0.4)
sizes = [100, 300, 1000, 3000, 10000, 30000]
curves = {}
for peakedness in (1.0, 5.0, 20.0):
    for q in (None, 0.97):
        curves[peakedness, q] = [np.mean([lnc.estimation_error(lnc.estimate_T(
            peaked_posteriors(T, n, peakedness, seed + s), quantile=q), T)
            for s in range(seeds)]) for n in sizes]
assert curves[20.0, None][-1] < curves[20.0, None][0]
assert curves[1.0, None][-1] < curves[1.0, 0.97][-1]
display(pd.DataFrame(
    [{"a": peakedness, "rule": "argmax" if q is None else "97%",
      f"error at n = {sizes[0]}": round(float(curve[0]), 3),
      f"error at n = {sizes[-1]}": round(float(curve[-1]), 3)}
     for (peakedness, q), curve in curves.items()]).set_index(["a", "rule"]))

# %% papermill={"duration": 0.529089, "end_time": "2026-12-07T00:03:42.859232+00:00", "exception": false, "start_time": "2026-12-07T00:03:42.330143+00:00", "status": "completed"}
fig, ax = plt.subplots(figsize=(7, 4.5))
colours = {1.0: "C0", 5.0: "C1", 20.0: "C2"}
for (peakedness, q), curve in curves.items():
    ax.loglog(sizes, curve, "-" if q is None else ":", marker="o", ms=3, lw=2,
              color=colours[peakedness],
              label=f"a = {peakedness:g}, {'argmax' if q is None else '97%'}")
ax.set_xlabel("sample size $n$")
ax.set_ylabel("estimation error")
ax.legend(fontsize=8)
fig.tight_layout()
glue("fig-estimation-error", fig, display=False)
plt.close(fig)

argmax_curves = [np.array(curves[a, None]) for a in colours]
rule_curves = [np.array(curves[a, 0.97]) for a in colours]
argmax_falls = all(np.all(np.diff(curve) <= 0) for curve in argmax_curves)
rule_falls = all(curve[-3] < curve[0] for curve in rule_curves)
rule_change = max(abs(curve[-1] / curve[-3] - 1) for curve in rule_curves)
rule_above = all(np.all(r > m) for r, m in zip(rule_curves, argmax_curves))
glue("est-n-first", f"{sizes[0]}", display=False)
glue("est-n-plateau", f"{sizes[-3]}", display=False)
glue("est-n-last", f"{sizes[-1]}", display=False)
glue("est-argmax-trend", "falls with each larger sample" if argmax_falls
     else "does not fall with each larger sample", display=False)
glue("est-argmax-last", f"{max(curve[-1] for curve in argmax_curves):.4f}",
     display=False)
glue("est-rule-trend", "falls too" if rule_falls else "does not fall", display=False)
glue("est-rule-change", f"{rule_change:.0%}", display=False)
glue("est-rule-above", "lies above" if rule_above else "does not lie above",
     display=False)

# %% [markdown] papermill={"duration": 0.004361, "end_time": "2026-12-07T00:03:42.868280+00:00", "exception": false, "start_time": "2026-12-07T00:03:42.863919+00:00", "status": "completed"}
# ```{glue:figure} fig-estimation-error
# :name: fig-estimation-error
#
# Mean estimation error against the sample size $n$, from exact noisy posteriors under symmetric noise,
# for the argmax (solid) and the 97% rule (dotted), coloured by peakedness $a$. The argmax error
# {glue:text}`est-argmax-trend`, down to at most {glue:text}`est-argmax-last` at
# $n$ = {glue:text}`est-n-last`. The error of the 97% rule {glue:text}`est-rule-trend`, from
# $n$ = {glue:text}`est-n-first` to {glue:text}`est-n-plateau`, then changes by at most
# {glue:text}`est-rule-change` of its value up to $n$ = {glue:text}`est-n-last`. Each dotted line
# {glue:text}`est-rule-above` the solid line of its colour at every $n$: that gap is the price of the
# 97% rule when there are no outliers.
# ```
#
# Here the posteriors are exact, so the only error is the anchors' imperfection. With a trained network
# the posteriors carry their own error, and the quantile trades a little bias for robustness to memorised
# examples, as long as they are fewer than 3% of a column ({ref}`the outlier sweep <tab-estimation-outliers>`).
#
# ## Summary
#
# - From exact posteriors with anchors, {eq}`eq-anchor-estimator` recovers $T$ exactly when every column
#   of $T$ has its maximum on the diagonal (`lnc.estimation.anchor_columns`).
# - The 97% rule of the official code skips memorised one-hot outliers only while they are under 3% of a
#   column; beyond that it fails like the argmax.
# - Without outliers the 97% rule costs accuracy, and both errors shrink with more peaked posteriors.
#
# ## Exercises
#
# ```{exercise}
# :label: ex-wrong-anchor
#
# Build a $3 \times 3$ row-stochastic $T$ with $T_{10} > T_{00}$, and every other column's maximum on the
# diagonal, and show that the argmax estimator returns a wrong row 0 even from exact posteriors with
# anchors. Which row does it return?
# ```
#
# ```{solution-start} ex-wrong-anchor
# :class: dropdown
# ```

# %% papermill={"duration": 0.018583, "end_time": "2026-12-07T00:03:42.896968+00:00", "exception": false, "start_time": "2026-12-07T00:03:42.878385+00:00", "status": "completed"}
T_bad = np.array([[0.5, 0.2, 0.3], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]])
assert anchor_columns(T_bad).tolist() == [False, True, True]     # no ties in any column
T_hat = lnc.estimate_T(anchored_posteriors(T_bad, 2000, seed), quantile=None)
assert np.allclose(T_hat[0], T_bad[1]) and np.allclose(T_hat[1:], T_bad[1:])
print(f"row 0 of T_hat = row 1 of T: {np.round(T_hat[0], 3).tolist()}; rows 1, 2 exact")

# %% [markdown] papermill={"duration": 0.004635, "end_time": "2026-12-07T00:03:42.906281+00:00", "exception": false, "start_time": "2026-12-07T00:03:42.901646+00:00", "status": "completed"}
# The largest $\hat p(\tilde y = 0 \mid x)$ is at the anchor of class 1, because class 1 produces the noisy
# label 0 more often than class 0 does. Columns 1 and 2 keep their maxima on the diagonal, so rows 1 and 2
# are recovered.
#
# ```{solution-end}
# ```
#
# ```{exercise}
# :label: ex-no-anchor-bias
#
# Without an exact anchor, the argmax picks for class $i$ an $x$ whose clean posterior
# $q = \mathbb{P}(y \mid x)$ is not $e_i$, so $\hat T_{i\cdot} = q^\top T$. For symmetric noise of rate $N$, show that then
# $\hat T_{ii} \le T_{ii}$: the estimator underestimates the diagonal. Check it with
# `lnc.book.simulation.peaked_posteriors` ($a = 1$).
# ```
#
# ```{solution-start} ex-no-anchor-bias
# :class: dropdown
# ```
#
# $\hat T_{ii} = q_i (1 - N) + (1 - q_i) \frac{N}{c - 1} = T_{ii} - (1 - q_i)\big(1 - N - \frac{N}{c-1}\big)$,
# and $1 - N - N/(c-1) > 0$ whenever $N < (c-1)/c$ (non-singular $T$).

# %% papermill={"duration": 0.013177, "end_time": "2026-12-07T00:03:42.923706+00:00", "exception": false, "start_time": "2026-12-07T00:03:42.910529+00:00", "status": "completed"}
T = lnc.symmetric_T(num_classes, 0.4)
T_hat = lnc.estimate_T(peaked_posteriors(T, 1000, 1.0, seed), quantile=None)
shortfall = np.diag(T) - np.diag(T_hat)
assert (shortfall >= -1e-12).all()
print(f"T_ii - T_hat_ii >= 0 for every i; mean shortfall {shortfall.mean():.4f}")

# %% [markdown] papermill={"duration": 0.008827, "end_time": "2026-12-07T00:03:42.937529+00:00", "exception": false, "start_time": "2026-12-07T00:03:42.928702+00:00", "status": "completed"}
# ```{solution-end}
# ```
