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

# %% [markdown] papermill={"duration": 0.006173, "end_time": "2026-12-06T18:41:58.632774+00:00", "exception": false, "start_time": "2026-12-06T18:41:58.626601+00:00", "status": "completed"}
# (ch-noise)=
# # Setup and Noise Models
#
# Every method in this book corrects for one object: the **transition matrix** $T$ that says how often a
# clean label becomes each noisy label. Before correcting anything we need a precise definition of $T$, a
# convention for its orientation (rows or columns?) that every function follows, and a feeling for what
# realistic matrices look like. The synthetic noise of the paper is tidy, a few pairs of confusable classes
# flipped at one rate; the human noise of CIFAR-10N and CIFAR-100N, whose true $T$ is known because every
# image also has its clean label, is not.
#
# This chapter fixes the notation of the book and shows every noise model of `lnc.noise` as a heat map.
#
# After this chapter you can
#
# - read $T_{ij} = \mathbb{P}(\tilde y = j \mid y = i)$ and compute a noisy posterior from a clean one;
# - build the symmetric and pair-flip matrices of the paper with `lnc` and draw noisy labels from them;
# - say how real human noise differs from the synthetic models, and when a $T$ is singular.
#
# ```{admonition} Parameters of this chapter
# :class: dropdown note
#
# The values used on this page are in the collapsed `parameters` cell below; re-run the chapter with
# others through papermill.
#
# | parameter | meaning |
# |---|---|
# | `rate` | flip probability $N$ of the synthetic noise models |
# | `num_samples` | labels drawn to check the realised rate |
# | `seed` | seed of every random draw |
# ```

# %% papermill={"duration": 0.011095, "end_time": "2026-12-06T18:41:58.647800+00:00", "exception": false, "start_time": "2026-12-06T18:41:58.636705+00:00", "status": "completed"} tags=["parameters", "hide-input"]
rate = 0.4
num_samples = 100_000
seed = 0

# %% papermill={"duration": 1.48129, "end_time": "2026-12-06T18:42:00.133793+00:00", "exception": false, "start_time": "2026-12-06T18:41:58.652503+00:00", "status": "completed"} tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from myst_nb import glue

import lnc
from lnc.book.plots import show_T
from lnc.estimation import anchor_columns
from lnc.experiments.datasets import CIFAR10_CLASSES, cifarn_T, load_cifarn_labels

# %% [markdown] papermill={"duration": 0.003866, "end_time": "2026-12-06T18:42:00.144649+00:00", "exception": false, "start_time": "2026-12-06T18:42:00.140783+00:00", "status": "completed"}
# ## Notation
#
# An example is $(x, y)$ with clean label $y \in \{0, \dots, c-1\}$; we observe a **noisy label** $\tilde y$.
# Noise is **class-conditional** when $\mathbb{P}(\tilde y \mid y, x) = \mathbb{P}(\tilde y \mid y)$: it is then
# a $c \times c$ matrix.
#
# ```{prf:definition} Transition matrix
# :label: def-transition-matrix
#
# $T_{ij} = \mathbb{P}(\tilde y = j \mid y = i)$. Rows are clean labels, columns noisy labels, and every
# row sums to one: $T$ is **row-stochastic**.
# ```
#
# With the posteriors as row vectors, the noisy posterior is the clean one times $T$:
#
# $$
# \mathbb{P}(\tilde y = j \mid x) = \sum_i \mathbb{P}(y = i \mid x)\, T_{ij},
# \qquad \text{i.e.} \qquad \tilde p(x)^\top = p(x)^\top T .
# $$ (eq-noisy-posterior)
#
# A network $h$ outputs logits $h(x) \in \mathbb{R}^c$ and $\hat p = \mathrm{softmax}(h)$. The **noise rate**
# is $\mathbb{P}(\tilde y \ne y)$. Every function of `lnc` that takes $T$ uses this orientation; cleanlab
# stores $T^\top$ (`lnc.to_cleanlab`, `lnc.from_cleanlab`).

# %% [markdown] papermill={"duration": 0.004104, "end_time": "2026-12-06T18:42:00.152560+00:00", "exception": false, "start_time": "2026-12-06T18:42:00.148456+00:00", "status": "completed"}
# ## Synthetic noise of the paper
#
# **Symmetric** noise flips a label with probability $N$ to one of the $c - 1$ other classes uniformly,
# $T = (1 - N) I + \frac{N}{c-1}(\mathbf{1}\mathbf{1}^\top - I)$ (`lnc.symmetric_T`). **Asymmetric** noise flips
# chosen classes to a similar one with probability $N$: on MNIST $2 \to 7$, $3 \to 8$, $5 \leftrightarrow 6$,
# $7 \to 1$; on CIFAR-10 truck $\to$ automobile, bird $\to$ airplane, cat $\leftrightarrow$ dog, deer $\to$ horse
# (`lnc.mnist_asymmetric_T`, `lnc.cifar10_asymmetric_T`).

# %% papermill={"duration": 0.493562, "end_time": "2026-12-06T18:42:00.650030+00:00", "exception": false, "start_time": "2026-12-06T18:42:00.156468+00:00", "status": "completed"}
synthetic = {
    f"symmetric {rate}": lnc.symmetric_T(10, rate),
    f"mnist asymmetric {rate}": lnc.mnist_asymmetric_T(rate),
    f"cifar-10 asymmetric {rate}": lnc.cifar10_asymmetric_T(rate),
}
fig, axes = plt.subplots(2, 2, figsize=(10, 8.6), layout="constrained")
for ax, (name, T) in zip(axes.flat, synthetic.items()):
    image = show_T(ax, T, name)
axes[1, 1].set_axis_off()
fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.6, label="$T_{ij}$")
glue("fig-synthetic-T", fig, display=False)
plt.close(fig)

# %% [markdown] papermill={"duration": 0.00224, "end_time": "2026-12-06T18:42:00.654933+00:00", "exception": false, "start_time": "2026-12-06T18:42:00.652693+00:00", "status": "completed"}
# ```{glue:figure} fig-synthetic-T
# :name: fig-synthetic-T
#
# The synthetic transition matrices of the paper for $c = 10$ classes, on one colour scale from 0 to 1.
# Symmetric noise spreads the flipped mass thinly over every off-diagonal cell, while the asymmetric
# models put all of it on a few cells, one per flipped class.
# ```
#
# The sampler `lnc.corrupt_labels` draws $\tilde y_n$ from row $T_{y_n, :}$, seeded. On `num_samples` labels the
# realised transition matrix (`lnc.empirical_T`) stays within a tolerance of the nominal one:

# %% papermill={"duration": 0.040538, "end_time": "2026-12-06T18:42:00.701106+00:00", "exception": false, "start_time": "2026-12-06T18:42:00.660568+00:00", "status": "completed"}
tolerance = 0.01
rng = np.random.default_rng(seed)
clean = rng.integers(0, 10, num_samples)
rows = {}
for name, T in synthetic.items():
    noisy = lnc.corrupt_labels(clean, T, seed=rng)
    gap = np.abs(lnc.empirical_T(clean, noisy, 10) - T).max()
    assert gap < tolerance, (name, gap)
    rows[name] = {"realised noise rate": round(float(np.mean(noisy != clean)), 3),
                  "cond(T)": round(float(lnc.condition_number(T)), 2)}
print(f"max |empirical T - T| < {tolerance} for every model, {num_samples} labels")
display(pd.DataFrame.from_dict(rows, orient="index").rename_axis("noise model"))

# %% [markdown] papermill={"duration": 0.005276, "end_time": "2026-12-06T18:42:00.708602+00:00", "exception": false, "start_time": "2026-12-06T18:42:00.703326+00:00", "status": "completed"}
# ## CIFAR-100: blocks or superclasses
#
# On CIFAR-100 the paper flips each class to the "next" class of its superclass of five, circularly. The
# official code {cite}`patrini2017code` groups **consecutive label ids** $\{5s, \dots, 5s+4\}$; CIFAR-100's fine
# labels are alphabetical, so these blocks are not the semantic superclasses. `lnc.cifar100_asymmetric_T`
# offers both: `grouping="blocks"` (the code, used for the experiments) and `grouping="superclass"` (the true
# coarse labels of `lnc.noise.CIFAR100_COARSE`).

# %% papermill={"duration": 0.209127, "end_time": "2026-12-06T18:42:00.921606+00:00", "exception": false, "start_time": "2026-12-06T18:42:00.712479+00:00", "status": "completed"}
cifar100 = {g: lnc.cifar100_asymmetric_T(rate, grouping=g)
            for g in ("blocks", "superclass")}
fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), layout="constrained")
for ax, (grouping, T) in zip(axes, cifar100.items()):
    image = show_T(ax, T, f"grouping = {grouping}")
fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, label="$T_{ij}$")
glue("fig-cifar100-T", fig, display=False)
plt.close(fig)

coarse = lnc.noise.CIFAR100_COARSE
off_diagonal = np.where(np.eye(100, dtype=bool), -np.inf, cifar100["blocks"])
flip_target = np.argmax(off_diagonal, axis=1)
same_group = np.mean(coarse[flip_target] == coarse)
glue("blocks-same-superclass", f"{same_group:.0%}", display=False)
print(f"blocks: {same_group:.0%} of the flips stay inside the true superclass")

# %% [markdown] papermill={"duration": 0.007765, "end_time": "2026-12-06T18:42:00.932688+00:00", "exception": false, "start_time": "2026-12-06T18:42:00.924923+00:00", "status": "completed"}
# ```{glue:figure} fig-cifar100-T
# :name: fig-cifar100-T
#
# CIFAR-100 asymmetric noise with the two groupings of `lnc.cifar100_asymmetric_T`, on one colour scale.
# With blocks of consecutive ids (left) every flip sits next to the diagonal; with the true superclasses
# (right) the flips scatter, because a superclass's members are not consecutive ids.
# ```
#
# Only {glue:text}`blocks-same-superclass` of the block flips land in the true superclass of the clean class.
#
# ## Real human noise: CIFAR-10N and CIFAR-100N
#
# CIFAR-N {cite}`wei2022` re-labelled the CIFAR training images by Amazon Mechanical Turk workers:
# *aggregate* (majority of three), *random 1–3* (one worker each) and *worst* (a wrong answer whenever one
# exists); CIFAR-100N has one noisy fine label per image. Every image also has its clean label, so the **true**
# $T$ is measured on all training images (`lnc.experiments.datasets.cifarn_T`). The labels come from
# `$LNC_DATA_DIR/cifarn` (CC BY-NC 4.0).

# %% papermill={"duration": 0.033001, "end_time": "2026-12-06T18:42:00.969552+00:00", "exception": false, "start_time": "2026-12-06T18:42:00.936551+00:00", "status": "completed"}
human = {name: cifarn_T(name) for name in ["aggre", "random1", "worst", "cifar100n"]}
rows = {}
for name, T in human.items():
    clean_labels, noisy_labels = load_cifarn_labels(name)
    assert np.allclose(T.sum(axis=1), 1.0)
    off = T - np.diag(np.diag(T))
    rows[name] = {"c": T.shape[0],
                  "noise rate": round(float(np.mean(clean_labels != noisy_labels)), 4),
                  "cond(T)": round(float(lnc.condition_number(T)), 2),
                  "rows with max off-diagonal": int((off.max(1) > np.diag(T)).sum()),
                  "columns with max off-diagonal": int((~anchor_columns(T)).sum())}
human_table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("label set")
display(human_table)

# %% papermill={"duration": 0.409774, "end_time": "2026-12-06T18:42:01.381937+00:00", "exception": false, "start_time": "2026-12-06T18:42:00.972163+00:00", "status": "completed"}
fig, axes = plt.subplots(2, 2, figsize=(10, 8.6), layout="constrained")
for ax, (name, T) in zip(axes.flat, human.items()):
    image = show_T(ax, T, f"true human $T$: {name}")
fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.6, label="$T_{ij}$")
glue("fig-human-T", fig, display=False)
plt.close(fig)

# %% [markdown] papermill={"duration": 0.005562, "end_time": "2026-12-06T18:42:01.392839+00:00", "exception": false, "start_time": "2026-12-06T18:42:01.387277+00:00", "status": "completed"}
# ```{glue:figure} fig-human-T
# :name: fig-human-T
#
# The true human transition matrices of three CIFAR-10N label sets and of CIFAR-100N, measured against
# the clean labels, on one colour scale. Look at the off-diagonal cells: they are neither uniform nor a
# few pairs, and they grow from `aggre` to `worst`.
# ```
#
# The claims below are computed from these matrices:

# %% papermill={"duration": 0.016409, "end_time": "2026-12-06T18:42:01.417065+00:00", "exception": false, "start_time": "2026-12-06T18:42:01.400656+00:00", "status": "completed"}
off = human["worst"] - np.diag(np.diag(human["worst"]))
cells = zip(*np.unravel_index(np.argsort(-off, axis=None)[:3], off.shape))
names = CIFAR10_CLASSES
confusions = ", ".join(f"{names[i]} → {names[j]} ({off[i, j]:.3f})" for i, j in cells)
worst = human_table.loc["worst", "noise rate"]
synthetic_rate = max(1 - np.trace(T) / len(T) for T in synthetic.values())  # balanced y
asymmetry = np.abs(human["worst"] - human["worst"].T).max()
bad_rows = human_table.loc["cifar100n", "rows with max off-diagonal"]
bad_columns = human_table.loc["cifar100n", "columns with max off-diagonal"]
verdict = {True: "holds", False: "does not hold"}
display(Markdown(
    f"- Largest confusions of *worst*: {confusions}.\n"
    f"- Human noise is not symmetric: max $|T_{{ij}} - T_{{ji}}|$ on *worst* is "
    f"{asymmetry:.3f}.\n"
    f"- *worst* is noisier than every synthetic model above at $N$ = {rate} "
    f"(noise rate at most {synthetic_rate:.4f} on balanced classes): "
    f"{verdict[bool(worst > synthetic_rate)]} (noise rate {worst:.4f}).\n"
    f"- On CIFAR-100N, {bad_rows} classes are relabelled to one particular other class "
    f"more often than kept (a row whose maximum is off the diagonal), and "
    f"{bad_columns} columns have their maximum off the diagonal. The anchor estimator "
    f"of {{ref}}`ch-estimation` reads the columns, so it needs the second count to be "
    f"zero: "
    f"{verdict[bool(bad_columns == 0)]}."
))

# %% [markdown] papermill={"duration": 0.004825, "end_time": "2026-12-06T18:42:01.424721+00:00", "exception": false, "start_time": "2026-12-06T18:42:01.419896+00:00", "status": "completed"}
# ## Summary
#
# - $T_{ij} = \mathbb{P}(\tilde y = j \mid y = i)$ is row-stochastic, and the noisy posterior is
#   $p(x)^\top T$ ({eq}`eq-noisy-posterior`).
# - The synthetic models of the paper are symmetric noise and pair flips; `lnc.corrupt_labels` samples
#   them, and the realised matrix matches the nominal one.
# - Human noise (CIFAR-N) is asymmetric and spread over confusable classes; whether its columns keep their
#   maximum on the diagonal decides whether $T$ can be estimated from anchors.
#
# ## Exercises
#
# ```{exercise}
# :label: ex-uniform-over-all
#
# Some papers flip "uniformly over all $c$ classes" with probability $N$ (the new label may equal the old one).
# What is the realised noise rate, and which `lnc.symmetric_T` rate gives the same $T$?
# ```
#
# ```{solution-start} ex-uniform-over-all
# :class: dropdown
# ```
#
# The label changes with probability $N (c-1)/c$, so that scheme with rate $N$ equals
# `lnc.symmetric_T(c, N * (c - 1) / c)`:

# %% papermill={"duration": 0.009637, "end_time": "2026-12-06T18:42:01.438259+00:00", "exception": false, "start_time": "2026-12-06T18:42:01.428622+00:00", "status": "completed"}
c, N = 10, 0.4
uniform_over_all = (1 - N) * np.eye(c) + N / c * np.ones((c, c))
assert np.allclose(uniform_over_all, lnc.symmetric_T(c, N * (c - 1) / c))
print(f"realised rate {N * (c - 1) / c:.2f} for N = {N}")

# %% [markdown] papermill={"duration": 0.008048, "end_time": "2026-12-06T18:42:01.456695+00:00", "exception": false, "start_time": "2026-12-06T18:42:01.448647+00:00", "status": "completed"}
# ```{solution-end}
# ```
#
# ```{exercise}
# :label: ex-singular-mnist
#
# For which rate is `lnc.mnist_asymmetric_T(rate)` singular? And `lnc.symmetric_T(c, rate)`?
# ```
#
# ```{solution-start} ex-singular-mnist
# :class: dropdown
# ```
#
# Rows 5 and 6 are $(1-N, N)$ and $(N, 1-N)$ on columns 5, 6: equal at $N = 1/2$. The eigenvalues of symmetric
# noise are $1$ and $1 - N c / (c-1)$, zero at $N = (c-1)/c$.

# %% papermill={"duration": 0.013686, "end_time": "2026-12-06T18:42:01.478277+00:00", "exception": false, "start_time": "2026-12-06T18:42:01.464591+00:00", "status": "completed"}
assert abs(np.linalg.det(lnc.mnist_asymmetric_T(0.5))) < 1e-12
assert abs(np.linalg.det(lnc.symmetric_T(10, 0.9))) < 1e-12
print("singular: mnist asymmetric at 0.5, symmetric (c = 10) at 0.9")

# %% [markdown] papermill={"duration": 0.008081, "end_time": "2026-12-06T18:42:01.492692+00:00", "exception": false, "start_time": "2026-12-06T18:42:01.484611+00:00", "status": "completed"}
# ```{solution-end}
# ```
#
# ```{exercise}
# :label: ex-noise-rate-from-T
#
# The noise rate depends on the clean-class frequencies $\pi_i = \mathbb{P}(y = i)$ as well as on $T$.
# Write it in terms of $\pi$ and $T$, and check it on CIFAR-10N *worst* against the rate measured on the
# labels.
# ```
#
# ```{solution-start} ex-noise-rate-from-T
# :class: dropdown
# ```
#
# $\mathbb{P}(\tilde y \ne y) = \sum_i \pi_i (1 - T_{ii}) = 1 - \sum_i \pi_i T_{ii}$.

# %% papermill={"duration": 0.020203, "end_time": "2026-12-06T18:42:01.520979+00:00", "exception": false, "start_time": "2026-12-06T18:42:01.500776+00:00", "status": "completed"}
clean_labels, noisy_labels = load_cifarn_labels("worst")
priors = np.bincount(clean_labels, minlength=10) / len(clean_labels)
from_T = 1 - priors @ np.diag(human["worst"])
measured = np.mean(clean_labels != noisy_labels)
assert abs(from_T - measured) < 1e-12
print(f"1 - sum_i pi_i T_ii = {from_T:.4f} = measured noise rate {measured:.4f}")

# %% [markdown] papermill={"duration": 0.008106, "end_time": "2026-12-06T18:42:01.536717+00:00", "exception": false, "start_time": "2026-12-06T18:42:01.528611+00:00", "status": "completed"}
# ```{solution-end}
# ```
