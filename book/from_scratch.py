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

# %% [markdown] papermill={"duration": 0.006191, "end_time": "2026-12-06T18:50:58.155732+00:00", "exception": false, "start_time": "2026-12-06T18:50:58.149541+00:00", "status": "completed"}
# (ch-from-scratch)=
# # Loss Correction From Scratch
#
# Loss correction {cite}`patrini2017` takes three small pieces: a forward-corrected loss, a
# backward-corrected loss and an estimator of the transition matrix $T$. Each is a few lines of PyTorch.
# This chapter builds them by hand before the rest of the book uses them from the library: first on
# paper, for one example with three classes, then as plain PyTorch functions that we check against
# `lnc`.
#
# Everywhere else the book imports these pieces (`lnc.ForwardCorrectedLoss`, `lnc.BackwardCorrectedLoss`,
# `lnc.estimate_T`); this is the one page that builds them itself, to show what they compute.
# The library's versions add what a teaching version leaves out: input checks, the forward loss in log
# space, and the inverse of $T$ computed once in float64, with a warning when $T$ is ill-conditioned.
#
# After this chapter you can
#
# - draw the two-stage protocol and say where the noisy validation split is used;
# - compute a forward- and a backward-corrected loss by hand for a $3 \times 3$ $T$;
# - write both losses and the anchor estimator of $T$ in a few lines of PyTorch, and check them against `lnc`.
#
# ```{admonition} Parameters of this chapter
# :class: dropdown note
#
# The values used on this page are in the collapsed `parameters` cell below.
#
# | parameter | meaning |
# |---|---|
# | `num_classes` | classes $c$ of the random checks (the worked example has 3) |
# | `num_examples` | examples in each random check |
# | `seed` | seed of every random draw |
# ```

# %% papermill={"duration": 0.01472, "end_time": "2026-12-06T18:50:58.175427+00:00", "exception": false, "start_time": "2026-12-06T18:50:58.160707+00:00", "status": "completed"} tags=["parameters", "hide-input"]
num_classes = 4
num_examples = 64
seed = 0

# %% papermill={"duration": 2.220844, "end_time": "2026-12-06T18:51:00.398534+00:00", "exception": false, "start_time": "2026-12-06T18:50:58.177690+00:00", "status": "completed"} tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.patches import FancyBboxPatch
from myst_nb import glue

import lnc
from lnc.book.display import plain_warnings
from lnc.book.simulation import anchored_posteriors, posteriors_with_outliers

plain_warnings()  # warnings print without this checkout's file paths

# %% [markdown] papermill={"duration": 0.003917, "end_time": "2026-12-06T18:51:00.408685+00:00", "exception": false, "start_time": "2026-12-06T18:51:00.404768+00:00", "status": "completed"}
# ## The pipeline
#
# The corrections need $T$, with $T_{ij} = \mathbb{P}(\tilde y = j \mid y = i)$ (rows clean, columns
# noisy). When nobody gives it to us, the paper estimates it from the noisy data in a first stage and
# corrects the loss in a second one ({prf:ref}`alg-two-stage` on {ref}`ch-protocol`):

# %% papermill={"duration": 0.355856, "end_time": "2026-12-06T18:51:00.768333+00:00", "exception": false, "start_time": "2026-12-06T18:51:00.412477+00:00", "status": "completed"} tags=["hide-input"]
fig, ax = plt.subplots(figsize=(5.2, 6.6))
ax.set(xlim=(0, 10), ylim=(0.9, 12.6))
ax.axis("off")
rows = {"data": 11.2, "ce": 9.2, "posteriors": 7.2, "T_hat": 5.2, "corrected": 3.2,
        "test": 1.2}                                   # lower edge of each box
height, main, side = 1.3, (0.15, 6.1), (6.95, 2.9)     # (left, width) of the columns


def box(left, bottom, width, box_height, text, colour):
    ax.add_patch(FancyBboxPatch((left, bottom), width, box_height, fc=colour, ec="0.3",
                                lw=1.2, boxstyle="round,pad=0.06,rounding_size=0.2"))
    ax.text(left + width / 2, bottom + box_height / 2, text, ha="center", va="center",
            fontsize=12)


def arrow(start, end):
    ax.annotate("", xy=end, xytext=start, arrowprops=dict(
        arrowstyle="-|>", lw=1.4, color="0.2", mutation_scale=14))


texts = {"data": "noisy data $(x_n, \\tilde y_n)$, split once at random",
         "ce": "stage 1: a network trained\nwith cross-entropy",
         "posteriors": "its posteriors $\\hat p(\\tilde y \\mid x)$ on\n"
                       "train + validation inputs",
         "T_hat": "$\\hat T$: row $i$ = the posterior\nat an anchor of class $i$",
         "corrected": "stage 2: a fresh network,\nloss corrected with $\\hat T$",
         "test": "clean test accuracy\n(test set read once)"}
colours = {"data": "#e8e8e8", "ce": "#cfe2f3", "posteriors": "#cfe2f3",
           "T_hat": "#fce5cd", "corrected": "#d9ead3", "test": "#f4cccc"}
box(main[0], rows["data"], side[0] + side[1] - main[0], height, texts["data"],
    colours["data"])
for key in list(rows)[1:]:
    box(main[0], rows[key], main[1], height, texts[key], colours[key])
bottom, top = rows["corrected"], rows["ce"] + height
box(side[0], bottom, side[1], top - bottom, "", "#fff2cc")
ax.text(side[0] + side[1] / 2, rows["T_hat"] + height / 2,
        "noisy\nvalidation\nsplit (10%)", ha="center", va="center", fontsize=12,
        fontweight="bold")
centre = main[0] + main[1] / 2
for upper, lower in zip(list(rows), list(rows)[1:]):
    arrow((centre, rows[upper] - 0.07), (centre, rows[lower] + height + 0.08))
arrow((side[0] + side[1] / 2, rows["data"] - 0.07), (side[0] + side[1] / 2, top + 0.08))
for key, text in {"ce": "picks the\nepoch", "posteriors": "its inputs\nfeed $\\hat T$",
                  "corrected": "picks the\nepoch"}.items():
    y = rows[key] + height / 2
    arrow((side[0] - 0.07, y), (main[0] + main[1] + 0.08, y))
    ax.text(side[0] + side[1] / 2 + 0.1, y, text, ha="center", va="center", fontsize=11)
glue("fig-from-scratch-pipeline", fig, display=False)
plt.close(fig)

# %% [markdown] papermill={"duration": 0.00384, "end_time": "2026-12-06T18:51:00.776728+00:00", "exception": false, "start_time": "2026-12-06T18:51:00.772888+00:00", "status": "completed"}
# ```{glue:figure} fig-from-scratch-pipeline
# :name: fig-from-scratch-pipeline
#
# The two-stage protocol. Follow the left column from top to bottom: a network trained with plain
# cross-entropy on the noisy labels gives posteriors, the posteriors give $\hat T$, and $\hat T$ corrects
# the loss of a second network trained from scratch. The right column is the noisy validation split: it
# picks the epoch of both trainings, and its inputs join the training inputs in the posteriors from
# which $\hat T$ is estimated. Nothing but the final accuracy reads the clean test set. With the true
# $T$ (methods `forward` and `backward`) stage 1 and $\hat T$ are skipped.
# ```
#
# The rest of the chapter zooms in on the three boxes in the middle: the corrected losses and $\hat T$.
#
# ## A worked example by hand
#
# Take $c = 3$ classes, numbered 0, 1, 2, and the asymmetric transition matrix, with
# $T_{ij} = \mathbb{P}(\tilde y = j \mid y = i)$,
#
# $$
# T = \begin{pmatrix} 0.8 & 0.1 & 0.1 \\ 0.2 & 0.7 & 0.1 \\ 0.1 & 0.3 & 0.6 \end{pmatrix}.
# $$
#
# One example has noisy label $\tilde y = 1$, and the network predicts $\hat p = \mathrm{softmax}(h) =
# (0.5, 0.3, 0.2)$. Uncorrected, its cross-entropy is $-\log \hat p_1 = -\log 0.3 = 1.2040$.
#
# **Forward.** The network's clean posterior becomes a predicted *noisy* posterior $T^\top \hat p$,
# $(T^\top \hat p)_j = \sum_i T_{ij} \hat p_i$, and the loss is its log-loss at the noisy label
# ({prf:ref}`def-forward`). Only column 1 of $T$ enters:
#
# $$
# \begin{aligned}
# (T^\top \hat p)_1 &= T_{01} \hat p_0 + T_{11} \hat p_1 + T_{21} \hat p_2 \\
# &= 0.1 \cdot 0.5 + 0.7 \cdot 0.3 + 0.3 \cdot 0.2 \\
# &= 0.05 + 0.21 + 0.06 = 0.32, \\
# \overrightarrow{\ell\;}\!(1, h) &= -\log 0.32 = 1.1394.
# \end{aligned}
# $$
#
# The whole noisy posterior is $T^\top \hat p = (0.48, 0.32, 0.20)$. The forward loss is below the
# cross-entropy here: classes 0 and 2 produce the noisy label 1 too ($0.05 + 0.06$), more than class 1
# loses to the other labels ($0.3 - 0.21 = 0.09$).
#
# **Backward.** Stack the cross-entropies under each possible label into a vector,
#
# $$
# \begin{aligned}
# \boldsymbol\ell(h) &= (-\log \hat p_0, -\log \hat p_1, -\log \hat p_2) \\
# &= (0.6931, 1.2040, 1.6094).
# \end{aligned}
# $$
#
# The backward-corrected loss is entry $\tilde y$ of $T^{-1} \boldsymbol\ell(h)$ ({prf:ref}`def-backward`).
# Here $\det T = 0.3$, and the adjugate gives
#
# $$
# T^{-1} = \frac{1}{30} \begin{pmatrix} 39 & -3 & -6 \\ -11 & 47 & -6 \\ -1 & -23 & 54 \end{pmatrix},
# $$
#
# whose rows each sum to 1 (as $T \mathbf 1 = \mathbf 1$ implies $T^{-1} \mathbf 1 = \mathbf 1$) and hold
# negative entries. With row 1, and products of the unrounded losses to three decimals,
#
# $$
# \begin{aligned}
# \overleftarrow{\ell}(1, h) &= (T^{-1})_{10}\, \ell(0, h) + (T^{-1})_{11}\, \ell(1, h) \\
# &\quad + (T^{-1})_{12}\, \ell(2, h) \\
# &= \tfrac{1}{30}\big({-11} \cdot 0.6931 + 47 \cdot 1.2040 - 6 \cdot 1.6094\big) \\
# &= \tfrac{1}{30}(-7.625 + 56.587 - 9.657) \\
# &= \tfrac{39.305}{30} = 1.3102.
# \end{aligned}
# $$
#
# The other two entries of $T^{-1} \boldsymbol\ell(h)$ are $\overleftarrow{\ell}(0, h) = 0.4588$ and
# $\overleftarrow{\ell}(2, h) = 1.9508$. Averaged over the noisy labels that clean class 1 produces (row 1
# of $T$) they give back the uncorrected loss, as {prf:ref}`thm-backward-unbiased` says:
#
# $$
# \begin{aligned}
# \textstyle\sum_k T_{1k}\, \overleftarrow{\ell}(k, h)
# &= 0.2 \cdot 0.4588 + 0.7 \cdot 1.3102 + 0.1 \cdot 1.9508 \\
# &= 1.2040 = \ell(1, h).
# \end{aligned}
# $$
#
# The next cell recomputes every number of this section, asserts that it equals the one written above
# to the precision written there, and checks the two losses against `lnc.forward_loss` and
# `lnc.backward_loss`.

# %% papermill={"duration": 0.021458, "end_time": "2026-12-06T18:51:00.802046+00:00", "exception": false, "start_time": "2026-12-06T18:51:00.780588+00:00", "status": "completed"}
T3 = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.3, 0.6]])
p_hat = np.array([0.5, 0.3, 0.2])
noisy_label = 1


def written(value, number, decimals):
    """Assert that `value` equals the `number` of the prose, to its `decimals`."""
    assert np.all(np.abs(np.asarray(value) - number) <= 0.5 * 10.0 ** -decimals), value


written(-np.log(p_hat[noisy_label]), 1.2040, 4)                  # cross-entropy
written(T3[:, noisy_label] * p_hat, [0.05, 0.21, 0.06], 12)      # the three products
written(p_hat[1] * (1 - T3[1, 1]), 0.09, 12)                     # class 1 loses
noisy_posterior = T3.T @ p_hat                                   # (T^T p_hat)_j
written(noisy_posterior, [0.48, 0.32, 0.20], 12)
forward = -np.log(noisy_posterior[noisy_label])
written(forward, 1.1394, 4)

ell = -np.log(p_hat)                                             # loss under each label
written(ell, [0.6931, 1.2040, 1.6094], 4)
written(np.linalg.det(T3), 0.3, 12)
T3_inv = np.linalg.inv(T3)
written(30 * T3_inv, [[39, -3, -6], [-11, 47, -6], [-1, -23, 54]], 9)
written(T3_inv.sum(axis=1), 1.0, 12)
products = 30 * T3_inv[noisy_label] * ell
written(products, [-7.625, 56.587, -9.657], 3)
written(products.sum(), 39.305, 3)
backward_all = T3_inv @ ell                                    # entry k: loss if y~ = k
written(backward_all, [0.4588, 1.3102, 1.9508], 4)
written(T3[1] @ [0.4588, 1.3102, 1.9508], 1.2040, 4)             # the rounded values
written(T3 @ backward_all, ell, 12)                              # unbiased, exactly

h = torch.from_numpy(p_hat).log()[None]                          # softmax(h) = p_hat
target = torch.tensor([noisy_label])
assert abs(lnc.forward_loss(h, target, T3).item() - forward) < 1e-12
assert abs(lnc.backward_loss(h, target, T3).item() - backward_all[1]) < 1e-12
print(f"forward {forward:.4f}, backward {backward_all[1]:.4f}, cross-entropy "
      f"{ell[1]:.4f}: every number of the prose holds, and lnc agrees to 1e-12")

# %% [markdown] papermill={"duration": 0.004297, "end_time": "2026-12-06T18:51:00.808619+00:00", "exception": false, "start_time": "2026-12-06T18:51:00.804322+00:00", "status": "completed"}
# ## The three pieces in plain PyTorch
#
# For a batch, `logits` has shape $(n, c)$, the noisy `targets` shape $(n,)$ and `T` shape $(c, c)$,
# $T_{ij} = \mathbb{P}(\tilde y = j \mid y = i)$. With one row per example, $T^\top \hat p$ is the row
# vector $\hat p^\top T$, so a batch of noisy posteriors is `softmax(logits) @ T`; and row $n$ of
# $T^{-1} \boldsymbol\ell$ is `ell[n] @ T_inv.T`. Each function returns the per-example losses; a training
# step takes their mean.

# %% papermill={"duration": 0.012917, "end_time": "2026-12-06T18:51:00.825462+00:00", "exception": false, "start_time": "2026-12-06T18:51:00.812545+00:00", "status": "completed"}
def forward_from_scratch(logits, targets, T):
    """Per example -log (T^T p_hat)[y~], with p_hat = softmax(logits)."""
    noisy_probs = torch.softmax(logits, dim=1) @ T          # row n: T^T p_hat_n
    return -torch.log(noisy_probs[torch.arange(len(targets)), targets])


def backward_from_scratch(logits, targets, T):
    """Per example (T^-1 ell)[y~], with ell[j] = -log p_hat[j], the loss if y~ = j."""
    ell = -torch.log_softmax(logits, dim=1)                 # (n, c)
    corrected = ell @ torch.linalg.inv(T).T                 # row n: T^-1 ell_n
    return corrected[torch.arange(len(targets)), targets]


def anchor_from_scratch(noisy_probs, quantile=None):
    """T_hat: row i is the posterior at the anchor of class i, the example with the
    largest noisy_probs[:, i] (or the largest strictly below its quantile)."""
    scores = noisy_probs
    if quantile is not None:                                # skip the top 1 - quantile
        cut = torch.quantile(noisy_probs, quantile, dim=0, interpolation="higher")
        scores = torch.where(noisy_probs < cut, noisy_probs, -torch.inf)
    T_hat = noisy_probs[scores.argmax(dim=0)]               # row i: at the anchor of i
    return T_hat / T_hat.sum(dim=1, keepdim=True)


# %% [markdown] papermill={"duration": 0.005126, "end_time": "2026-12-06T18:51:00.832624+00:00", "exception": false, "start_time": "2026-12-06T18:51:00.827498+00:00", "status": "completed"}
# The anchor rule is the paper's eqs. 12–13 ({ref}`ch-estimation`): at an example that surely belongs to
# class $i$, the noisy posterior is row $i$ of $T$. `quantile=None` takes the most confident example;
# `quantile=0.97` takes the most confident one strictly below the 97th percentile of column $i$, as the
# official code does {cite}`patrini2017code`, which skips over-confident outliers.
#
# ## Checks against `lnc`
#
# We draw random logits and noisy labels and an **asymmetric** $T$ (a symmetric one would hide a
# transposed index), and compare each loss and its gradient with respect to the logits with
# `lnc.ForwardCorrectedLoss` and `lnc.BackwardCorrectedLoss`:

# %% papermill={"duration": 0.778731, "end_time": "2026-12-06T18:51:01.615270+00:00", "exception": false, "start_time": "2026-12-06T18:51:00.836539+00:00", "status": "completed"}
rng = np.random.default_rng(seed)
T = 0.6 * np.eye(num_classes) + 0.4 * rng.dirichlet(np.ones(num_classes), num_classes)
gen = torch.Generator().manual_seed(seed)
logits = 3 * torch.randn(num_examples, num_classes, dtype=torch.float64, generator=gen)
targets = torch.randint(0, num_classes, (num_examples,), generator=gen)


def with_gradient(loss, logits, targets):
    """The per-example losses, and the gradient of their sum w.r.t. the logits."""
    logits = logits.clone().requires_grad_(True)
    values = loss(logits, targets)
    values.sum().backward()
    return values.detach(), logits.grad


pairs = {"forward": (forward_from_scratch,
                     lnc.ForwardCorrectedLoss(T, reduction="none")),
         "backward": (backward_from_scratch,
                      lnc.BackwardCorrectedLoss(T, reduction="none"))}
for name, (ours, library) in pairs.items():
    mine = with_gradient(lambda z, y: ours(z, y, torch.from_numpy(T)), logits, targets)
    theirs = with_gradient(library, logits, targets)
    for a, b in zip(mine, theirs):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-10)
    print(f"{name}: {num_examples} losses and their gradients equal lnc's, "
          "largest difference below 1e-10")

# %% [markdown] papermill={"duration": 0.004206, "end_time": "2026-12-06T18:51:01.624731+00:00", "exception": false, "start_time": "2026-12-06T18:51:01.620525+00:00", "status": "completed"}
# The estimator against `lnc.estimate_T`, on exact noisy posteriors of 2000 examples plus one anchor per
# class (`lnc.book.simulation.anchored_posteriors`). With the argmax both recover $T$ exactly. The 97%
# rule skips the most confident 3% of each column, anchors included; with these diffuse posteriors the
# example it keeps is far from an anchor, and $\hat T$ misses $T$: the rule's price when there are no
# outliers ({ref}`ch-estimation`). Both versions miss it by the same amount:

# %% papermill={"duration": 0.015638, "end_time": "2026-12-06T18:51:01.644165+00:00", "exception": false, "start_time": "2026-12-06T18:51:01.628527+00:00", "status": "completed"}
probs = anchored_posteriors(T, 2000, seed)            # (2000 + c, c) noisy posteriors
for quantile in (None, 0.97):
    mine = anchor_from_scratch(torch.from_numpy(probs), quantile).numpy()
    theirs = lnc.estimate_T(probs, quantile=quantile)
    np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-12)
    error = lnc.estimation_error(mine, T)
    assert error < 1e-12 if quantile is None else error > 1e-3
    print(f"quantile={quantile}: T_hat equals lnc.estimate_T's to 1e-12; "
          f"estimation error {error:.3f}")

# %% [markdown] papermill={"duration": 0.004042, "end_time": "2026-12-06T18:51:01.652604+00:00", "exception": false, "start_time": "2026-12-06T18:51:01.648562+00:00", "status": "completed"}
# ### What the library adds
#
# The teaching versions agree with `lnc` on ordinary inputs. The library's forward loss is computed in log
# space, $-\log \sum_i \exp\big(\log \hat p_i + \log T_{i \tilde y}\big)$ with a log-sum-exp, because
# `softmax` underflows: with $T$ holding zeros (here a pair flip, `lnc.pair_T`, whose column 2 is
# $e_2$) and a logit 800 below the others, the probability of the noisy label is $e^{-800}/2$, which is
# zero in float64.

# %% papermill={"duration": 0.010539, "end_time": "2026-12-06T18:51:01.667076+00:00", "exception": false, "start_time": "2026-12-06T18:51:01.656537+00:00", "status": "completed"}
T_pair = lnc.pair_T(3, {0: 1}, 0.3)                 # only class 2 produces the label 2
far = torch.tensor([[0.0, 0.0, -800.0]], dtype=torch.float64)
label = torch.tensor([2])
naive = forward_from_scratch(far, label, torch.from_numpy(T_pair)).item()
stable = lnc.forward_loss(far, label, T_pair).item()
assert naive == float("inf") and abs(stable - (800 + np.log(2))) < 1e-9
print(f"from scratch: {naive}; lnc.forward_loss: {stable:.4f} = 800 + log 2")

# %% [markdown] papermill={"duration": 0.004109, "end_time": "2026-12-06T18:51:01.676627+00:00", "exception": false, "start_time": "2026-12-06T18:51:01.672518+00:00", "status": "completed"}
# The library's backward loss inverts $T$ once, in float64, and keeps the inverse (the teaching version
# inverts it at every call); it raises on a singular $T$ and warns when
# $\mathrm{cond}(T)$ is large, where the corrected losses get a large variance ({ref}`ch-backward`). Its
# estimator checks its input, never modifies it, and falls back to the argmax, with a warning, in the
# columns where the 97% rule cannot find an anchor ({ref}`ch-estimation`).
#
# ## Summary
#
# - Stage 1 trains with cross-entropy and reads $\hat T$ off the posteriors at anchor points; stage 2
#   trains a fresh network with the corrected loss. The noisy validation split picks both epochs.
# - Forward: $\overrightarrow{\ell\;}\!(\tilde y, h) = -\log (T^\top \hat p)_{\tilde y}$, one matrix
#   product, `softmax(logits) @ T`, per batch.
# - Backward: $\overleftarrow{\ell}(\tilde y, h) = (T^{-1} \boldsymbol\ell(h))_{\tilde y}$; it may be
#   negative, and averaged over the noise it is the clean loss.
# - The book uses `lnc.ForwardCorrectedLoss`, `lnc.BackwardCorrectedLoss` and `lnc.estimate_T`, which
#   compute the same numbers with checks and numerical care.
#
# ## Exercises
#
# ```{exercise}
# :label: ex-scratch-identity
#
# Show that with $T = I$ (no noise) both corrected losses equal the cross-entropy, and check it with the
# functions of this chapter and with `lnc`.
# ```
#
# ```{solution-start} ex-scratch-identity
# :class: dropdown
# ```
#
# With $T = I$, $T^\top \hat p = \hat p$ and $T^{-1} \boldsymbol\ell = \boldsymbol\ell$: both losses are
# $-\log \hat p_{\tilde y}$.

# %% papermill={"duration": 0.059786, "end_time": "2026-12-06T18:51:01.742141+00:00", "exception": false, "start_time": "2026-12-06T18:51:01.682355+00:00", "status": "completed"}
identity = np.eye(num_classes)
ce = F.cross_entropy(logits, targets, reduction="none")
for loss in (forward_from_scratch, backward_from_scratch):
    torch.testing.assert_close(loss(logits, targets, torch.from_numpy(identity)), ce)
for loss in (lnc.forward_loss, lnc.backward_loss):
    torch.testing.assert_close(loss(logits, targets, identity, reduction="none"), ce)
print("T = I: both corrections, ours and lnc's, equal the cross-entropy")

# %% [markdown] papermill={"duration": 0.002267, "end_time": "2026-12-06T18:51:01.747164+00:00", "exception": false, "start_time": "2026-12-06T18:51:01.744897+00:00", "status": "completed"}
# ```{solution-end}
# ```
#
# ```{exercise}
# :label: ex-scratch-symmetric
#
# Symmetric noise of rate $N$ has $T_{ii} = 1 - N$ and $T_{ij} = b = N / (c - 1)$ for $i \neq j$, that is
# $T = a I + b \mathbf 1 \mathbf 1^\top$ with $a = 1 - N - b$. Show that the backward-corrected loss becomes
# an affine function of the uncorrected losses,
#
# $$
# \overleftarrow{\ell}(\tilde y, h) = \frac{1}{a} \Big( \ell(\tilde y, h) - b \sum_{j} \ell(j, h) \Big).
# $$
#
# Check it with `backward_from_scratch`, then compute the three backward losses of
# $\hat p = (0.9, 0.05, 0.05)$ at $N = 0.3$, $c = 3$. Which is negative, and why?
# ```
#
# ```{solution-start} ex-scratch-symmetric
# :class: dropdown
# ```
#
# As $a + bc = 1$, $(a I + b \mathbf 1 \mathbf 1^\top)(I - b \mathbf 1 \mathbf 1^\top) = a I +
# b(1 - a - bc)\mathbf 1 \mathbf 1^\top = a I$, so $T^{-1} = (I - b \mathbf 1 \mathbf 1^\top) / a$: entry
# $\tilde y$ of $T^{-1} \boldsymbol\ell$ is the formula.

# %% papermill={"duration": 0.037642, "end_time": "2026-12-06T18:51:01.794182+00:00", "exception": false, "start_time": "2026-12-06T18:51:01.756540+00:00", "status": "completed"}
rate, c = 0.3, 3
T_sym = lnc.symmetric_T(c, rate)
b = rate / (c - 1)
a = 1 - rate - b
p_confident = torch.tensor([[0.9, 0.05, 0.05]], dtype=torch.float64)
random_logits = 3 * torch.randn(num_examples, c, dtype=torch.float64, generator=gen)
check_logits = torch.cat([torch.log(p_confident), random_logits])
ell_all = -torch.log_softmax(check_logits, dim=1)               # (n, c)
for label in range(c):
    labels = torch.full((len(check_logits),), label)
    formula = (ell_all[:, label] - b * ell_all.sum(dim=1)) / a
    torch.testing.assert_close(
        backward_from_scratch(check_logits, labels, torch.from_numpy(T_sym)), formula)
values = backward_from_scratch(torch.log(p_confident).expand(c, -1), torch.arange(c),
                               torch.from_numpy(T_sym))
assert values[0] < 0 < values[1]
print("the formula holds; backward losses of p_hat = (0.9, 0.05, 0.05) for "
      "y~ = 0, 1, 2: " + ", ".join(f"{v:.3f}" for v in values.tolist()))

# %% [markdown] papermill={"duration": 0.004058, "end_time": "2026-12-06T18:51:01.808706+00:00", "exception": false, "start_time": "2026-12-06T18:51:01.804648+00:00", "status": "completed"}
# The loss of label 0 is negative. The prediction is confident and right for that label, so
# $\ell(0, h)$ is smaller than $b$ times the sum of all three losses, which the correction subtracts; in
# expectation over the noise the losses still average to the clean loss.
#
# ```{solution-end}
# ```
#
# ```{exercise}
# :label: ex-scratch-anchor
#
# A network that memorises a few examples outputs a one-hot posterior on them, whatever $T$ says. Draw
# such posteriors with `lnc.book.simulation.posteriors_with_outliers` (2000 examples, 1% one-hot outliers
# per class) for the $T$ of the checks above, and estimate $\hat T$ with `anchor_from_scratch`, by the
# argmax and by the 97% rule. Which is closer to $T$ (`lnc.estimation_error`), and why?
# ```
#
# ```{solution-start} ex-scratch-anchor
# :class: dropdown
# ```

# %% papermill={"duration": 0.013964, "end_time": "2026-12-06T18:51:01.826500+00:00", "exception": false, "start_time": "2026-12-06T18:51:01.812536+00:00", "status": "completed"}
outlier_probs = posteriors_with_outliers(T, 2000, seed, outlier_fraction=0.01)
T_hats, errors = {}, {}
for quantile in (None, 0.97):
    T_hats[quantile] = anchor_from_scratch(torch.from_numpy(outlier_probs),
                                           quantile).numpy()
    np.testing.assert_allclose(T_hats[quantile],
                               lnc.estimate_T(outlier_probs, quantile=quantile),
                               rtol=0, atol=1e-12)
    errors[quantile] = lnc.estimation_error(T_hats[quantile], T)
share = (outlier_probs == 1).sum(axis=0) / len(outlier_probs)  # one-hot rows per column
assert np.array_equal(T_hats[None], np.eye(num_classes)) and (share < 0.03).all()
assert errors[0.97] < errors[None]
print(f"estimation error: argmax {errors[None]:.3f}, 97% rule {errors[0.97]:.3f} "
      "(both equal to lnc.estimate_T's)")

# %% [markdown] papermill={"duration": 0.004081, "end_time": "2026-12-06T18:51:01.836641+00:00", "exception": false, "start_time": "2026-12-06T18:51:01.832560+00:00", "status": "completed"}
# The argmax of column $i$ is a one-hot outlier $e_i$, so every row of $\hat T$ is a row of the identity
# and the off-diagonal noise is lost. The outliers are fewer than 3% of each column, so the 97% rule
# skips them and lands on a near-anchor, whose posterior is close to row $i$ of $T$.
#
# ```{solution-end}
# ```
