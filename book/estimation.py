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
# (ch-estimation)=
# # Estimating T From Noisy Data
#
# The corrections need $T$. The paper estimates it from the noisy data alone, with a network trained by plain
# cross-entropy on the noisy labels and the **anchor points** of each class (eqs. 12–13, after {cite:t}`menon2015`).
# This chapter states the assumption, shows exact recovery from exact posteriors, where the estimator breaks,
# what the 97th-percentile rule buys under over-confident outliers, and how the error falls with the sample size
# and the peakedness of the anchors. The estimator is `lnc.estimate_T`, the error `lnc.estimation_error`
# (relative L1, $\sum |\hat T - T| / \sum |T|$).
#
# | parameter | meaning | default |
# |---|---|---|
# | `num_classes` | classes $c$ of the simulations | `10` |
# | `seeds` | repetitions of each simulation | `5` |
# | `seed` | base seed | `0` |

# %% tags=["parameters"]
num_classes = 10
seeds = 5
seed = 0

# %%
import matplotlib.pyplot as plt
import numpy as np

import lnc
from lnc.estimation import anchor_columns
from lnc.experiments.datasets import cifarn_T
from lnc.book.simulation import (anchored_posteriors, peaked_posteriors,
                                 posteriors_with_outliers)

# %% [markdown]
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
# ```{prf:theorem} Exact recovery
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

# %%
rng = np.random.default_rng(seed)
for name, T in {"mnist asymmetric 0.4": lnc.mnist_asymmetric_T(0.4),
                "cifar-10n worst (human)": cifarn_T("worst"),
                "cifar-100n (human)": cifarn_T("cifar100n")}.items():
    T_hat = lnc.estimate_T(anchored_posteriors(T, 5000, rng), quantile=None)
    error = lnc.estimation_error(T_hat, T)
    off_diagonal_max = int((~anchor_columns(T)).sum())
    print(f"{name:25s} columns whose max is off the diagonal: {off_diagonal_max}, error {error:.4f}")
    if off_diagonal_max == 0:
        assert error < 1e-9

# %% [markdown]
# With the column condition, recovery is exact (`lnc.book.simulation.anchored_posteriors` draws the exact posteriors).
# The condition holds for the real CIFAR-10N and CIFAR-100N noise too: on CIFAR-100N three *rows* have an
# off-diagonal entry above the diagonal ({ref}`ch-noise`), but every *column* keeps its maximum on the diagonal,
# and the columns are what the argmax reads.
#
# ## Over-confident outliers and the 97th percentile
#
# A network trained on noisy labels can memorise: on a few examples it outputs a one-hot $\hat p(\tilde y \mid x)$
# whatever $T$ says. The argmax of {eq}`eq-anchor-estimator` picks such an outlier, whose row is $e_i$. The official
# code instead takes, for each class, the example with the largest score **strictly below the 97% quantile** of
# that column (`quantile=0.97`). Below (`lnc.book.simulation.posteriors_with_outliers`), 2% of the examples of each
# class are one-hot outliers and 10% are near-anchors with $\mathbb{P}(y = i \mid x) \ge 0.99$:

# %%
T = lnc.cifar10_asymmetric_T(0.3)
errors = {q: [lnc.estimation_error(lnc.estimate_T(posteriors_with_outliers(T, 4000, seed + s), quantile=q), T)
              for s in range(seeds)] for q in (None, 0.97)}
assert max(errors[0.97]) < 0.05 < min(errors[None])
for q, e in errors.items():
    print(f"quantile = {q}: estimation error {np.mean(e):.3f} ± {np.std(e):.3f} ({seeds} seeds)")

# %% [markdown]
# ## Error against sample size and peakedness
#
# Without outliers the quantile rule has a price: it never uses the most confident examples. We simulate clean
# posteriors (`lnc.book.simulation.peaked_posteriors`) $\mathbb{P}(y \mid x) = \lambda e_y + (1 - \lambda) u$ with $u$ uniform on the simplex and
# $\lambda \sim \mathrm{Beta}(a, 1)$: a larger $a$ gives more peaked examples. With exact noisy posteriors,
# the argmax error falls to zero as $N$ grows; the 97% rule stops at the peakedness of the 97% quantile.

# %%
T = lnc.symmetric_T(num_classes, 0.4)
sizes = [100, 300, 1000, 3000, 10000, 30000]
curves = {}
for peakedness in (1.0, 5.0, 20.0):
    for q in (None, 0.97):
        curves[peakedness, q] = [np.mean([lnc.estimation_error(lnc.estimate_T(
            peaked_posteriors(T, n, peakedness, seed + s), quantile=q), T)
            for s in range(seeds)]) for n in sizes]
assert curves[20.0, None][-1] < curves[20.0, None][0] and curves[1.0, None][-1] < curves[1.0, 0.97][-1]
for (peakedness, q), curve in curves.items():
    print(f"a = {peakedness:4.0f}, quantile = {str(q):4s}: error at N = {sizes[0]}: {curve[0]:.3f}, "
          f"at N = {sizes[-1]}: {curve[-1]:.3f}")

# %% mystnb={"figure": {"caption": "estimation error vs sample size", "name": "fig-estimation-error"}}
fig, ax = plt.subplots(figsize=(6, 4))
for (peakedness, q), curve in curves.items():
    ax.loglog(sizes, curve, "-" if q is None else ":", lw=2, color={1.0: "C0", 5.0: "C1", 20.0: "C2"}[peakedness],
              label=f"a = {peakedness:g}, {'argmax' if q is None else '97%'}")
ax.set_xlabel("examples n")
ax.set_ylabel("estimation error")
ax.legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# Solid lines: argmax; dotted: 97% quantile; colours: peakedness. Here the posteriors are exact, so the only
# error is the anchors' imperfection. With a trained network the posteriors carry their own error, and the
# quantile trades a little bias for robustness to memorised examples ({ref}`ch-estimation`, previous section).
#
# ## Exercises
#
# ```{exercise}
# :label: ex-wrong-anchor
#
# Build a $3 \times 3$ row-stochastic $T$ with $T_{10} > T_{00}$ and show that the argmax estimator returns a wrong
# row 0 even from exact posteriors with anchors. Which row does it return?
# ```
#
# ```{solution-start} ex-wrong-anchor
# :class: dropdown
# ```

# %%
T_bad = np.array([[0.5, 0.3, 0.2], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]])
T_hat = lnc.estimate_T(anchored_posteriors(T_bad, 2000, seed), quantile=None)
assert np.allclose(T_hat[0], T_bad[1])
print(f"row 0 of T_hat = row 1 of T: {np.round(T_hat[0], 3)}")

# %% [markdown]
# The largest $\hat p(\tilde y = 0 \mid x)$ is at the anchor of class 1, because class 1 produces the noisy label 0
# more often than class 0 does.
#
# ```{solution-end}
# ```
#
# ```{exercise}
# :label: ex-cleanlab-orientation
#
# cleanlab reports `noise_matrix[j, i] = P(noisy = j | clean = i)`. Convert `lnc.mnist_asymmetric_T(0.2)` to it and
# back, and say which of its sums equal one.
# ```
#
# ```{solution-start} ex-cleanlab-orientation
# :class: dropdown
# ```

# %%
T = lnc.mnist_asymmetric_T(0.2)
M = lnc.to_cleanlab(T)
assert np.allclose(M.sum(axis=0), 1.0) and np.array_equal(lnc.from_cleanlab(M), T)
print("cleanlab's columns sum to 1; lnc's rows sum to 1")

# %% [markdown]
# ```{solution-end}
# ```
