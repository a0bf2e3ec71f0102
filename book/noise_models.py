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
# (ch-noise)=
# # Setup and Noise Models
#
# This chapter fixes the notation of the book and shows every noise model of `lnc.noise` as a heat-map:
# the synthetic ones of the paper, and the real human noise of CIFAR-10N and CIFAR-100N, whose true
# transition matrix is known.
#
# | parameter | meaning | default |
# |---|---|---|
# | `rate` | flip probability of the synthetic noise models | `0.4` |
# | `num_samples` | labels drawn to check the realised rate | `100_000` |
# | `seed` | seed of every random draw | `0` |

# %% tags=["parameters"]
rate = 0.4
num_samples = 100_000
seed = 0

# %%
import matplotlib.pyplot as plt
import numpy as np

import lnc
from lnc.experiments.datasets import cifarn_T, load_cifarn_labels
from lnc.book.plots import show_T

# %% [markdown]
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

# %% [markdown]
# ## Synthetic noise of the paper
#
# **Symmetric** noise flips a label with probability $N$ to one of the $c - 1$ other classes uniformly,
# $T = (1 - N) I + \frac{N}{c-1}(\mathbf{1}\mathbf{1}^\top - I)$ (`lnc.symmetric_T`). **Asymmetric** noise flips
# chosen classes to a similar one with probability $N$: on MNIST $2 \to 7$, $3 \to 8$, $5 \leftrightarrow 6$,
# $7 \to 1$; on CIFAR-10 truck $\to$ automobile, bird $\to$ airplane, cat $\leftrightarrow$ dog, deer $\to$ horse
# (`lnc.mnist_asymmetric_T`, `lnc.cifar10_asymmetric_T`).

# %%
synthetic = {
    f"symmetric {rate}": lnc.symmetric_T(10, rate),
    f"mnist asymmetric {rate}": lnc.mnist_asymmetric_T(rate),
    f"cifar-10 asymmetric {rate}": lnc.cifar10_asymmetric_T(rate),
}

# %% mystnb={"figure": {"caption": "synthetic transition matrices, c = 10", "name": "fig-synthetic-T"}}
fig, axes = plt.subplots(1, 3, figsize=(11, 3.8))
for ax, (name, T) in zip(axes, synthetic.items()):
    show_T(ax, T, name)
fig.tight_layout()

# %% [markdown]
# The sampler `lnc.corrupt_labels` draws $\tilde y_n$ from row $T_{y_n, :}$, seeded. On `num_samples` labels the
# realised transition matrix (`lnc.empirical_T`) is within 0.01 of the nominal one:

# %%
rng = np.random.default_rng(seed)
clean = rng.integers(0, 10, num_samples)
for name, T in synthetic.items():
    noisy = lnc.corrupt_labels(clean, T, seed=rng)
    gap = np.abs(lnc.empirical_T(clean, noisy, 10) - T).max()
    assert gap < 0.01, (name, gap)
    print(f"{name:26s} realised noise rate {np.mean(noisy != clean):.3f}, cond(T) = {lnc.condition_number(T):.2f}")

# %% [markdown]
# ## CIFAR-100: blocks or superclasses
#
# On CIFAR-100 the paper flips each class to the "next" class of its superclass of five, circularly. The
# official code groups **consecutive label ids** $\{5s, \dots, 5s+4\}$; CIFAR-100's fine labels are
# alphabetical, so these blocks are not the semantic superclasses. `lnc.cifar100_asymmetric_T` offers both:
# `grouping="blocks"` (the code, used for the experiments) and `grouping="superclass"` (the true coarse labels
# of `lnc.noise.CIFAR100_COARSE`).

# %% mystnb={"figure": {"caption": "cifar-100 asymmetric noise, two groupings", "name": "fig-cifar100-T"}}
fig, axes = plt.subplots(1, 2, figsize=(9, 4.2))
for ax, grouping in zip(axes, ["blocks", "superclass"]):
    show_T(ax, lnc.cifar100_asymmetric_T(rate, grouping=grouping), f"grouping = {grouping}")
fig.tight_layout()

# %%
blocks, superclass = (lnc.cifar100_asymmetric_T(rate, grouping=g) for g in ("blocks", "superclass"))
same_group = np.mean([lnc.noise.CIFAR100_COARSE[np.argmax(blocks[i] * (np.arange(100) != i))]
                      == lnc.noise.CIFAR100_COARSE[i] for i in range(100)])
print(f"blocks: {same_group:.0%} of the flips stay inside the true superclass")

# %% [markdown]
# ## Real human noise: CIFAR-10N and CIFAR-100N
#
# CIFAR-N {cite}`wei2022` re-labelled the CIFAR training images by Amazon Mechanical Turk workers:
# *aggregate* (majority of three), *random 1–3* (one worker each) and *worst* (a wrong answer whenever one
# exists); CIFAR-100N has one noisy fine label per image. Every image also has its clean label, so the **true**
# $T$ is measured on all 50,000 images (`lnc.experiments.datasets.cifarn_T`). The labels come from `$LNC_DATA_DIR/cifarn`
# (CC BY-NC 4.0).

# %%
human = {name: cifarn_T(name) for name in ["aggre", "random1", "worst", "cifar100n"]}
for name, T in human.items():
    clean_labels, noisy_labels = load_cifarn_labels(name)
    assert np.allclose(T.sum(axis=1), 1.0)
    off = T - np.diag(np.diag(T))
    print(f"{name:10s} c = {T.shape[0]:3d}, noise rate {np.mean(clean_labels != noisy_labels):.4f}, "
          f"cond(T) = {lnc.condition_number(T):5.2f}, rows with an off-diagonal entry above the diagonal: "
          f"{int((off.max(axis=1) > np.diag(T)).sum())}")

# %% mystnb={"figure": {"caption": "true human transition matrices of cifar-n", "name": "fig-human-T"}}
fig, axes = plt.subplots(1, 4, figsize=(15, 3.9))
for ax, (name, T) in zip(axes, human.items()):
    show_T(ax, T, name)
fig.tight_layout()

# %% [markdown]
# Human noise is neither symmetric nor a set of pairs: it concentrates on confusable classes (cat and dog,
# automobile and truck), and the *worst* set is far noisier than the synthetic 20% settings. On CIFAR-100N three
# classes are relabelled to one particular other class more often than kept (a row whose maximum is off the
# diagonal); the anchor estimator of {ref}`ch-estimation` needs the *column* maxima on the diagonal, which still
# holds.
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

# %%
c, N = 10, 0.4
uniform_over_all = (1 - N) * np.eye(c) + N / c * np.ones((c, c))
assert np.allclose(uniform_over_all, lnc.symmetric_T(c, N * (c - 1) / c))
print(f"realised rate {N * (c - 1) / c:.2f} for N = {N}")

# %% [markdown]
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

# %%
assert abs(np.linalg.det(lnc.mnist_asymmetric_T(0.5))) < 1e-12
assert abs(np.linalg.det(lnc.symmetric_T(10, 0.9))) < 1e-12
print("singular: mnist asymmetric at 0.5, symmetric (c = 10) at 0.9")

# %% [markdown]
# ```{solution-end}
# ```
