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
# (ch-backward)=
# # Backward Correction Is Unbiased
#
# A network trained with plain cross-entropy on noisy labels minimises the wrong risk: the one of the
# noisy labels. If we know $T$, can we change the loss so that training on noisy labels minimises the
# clean risk? The **backward** correction does this in the strongest sense: the corrected loss equals the
# clean loss *in expectation over the label noise*, for every prediction (Theorem 1 of
# {cite:t}`patrini2017`). It is the multi-class form of the binary correction of {cite:t}`natarajan2013`.
#
# We prove it for a general $c$ symbolically, for $c = 2$ in closed form (where the binary correction falls
# out), then numerically with `lnc.backward_loss`. We end with its price: the per-example values go
# negative and their variance grows with the condition number of $T$.
#
# After this chapter you can
#
# - define the backward-corrected loss $T^{-1} \boldsymbol\ell$ and prove that it is unbiased;
# - say why a corrected loss may be negative, and why that is no bug;
# - predict from $\mathrm{cond}(T)$ how noisy the corrected loss is.
#
# ```{admonition} Parameters of this chapter
# :class: dropdown note
#
# The values used on this page are in the collapsed `parameters` cell below.
#
# | parameter | meaning |
# |---|---|
# | `num_classes` | number of classes $c$ of the numerical checks |
# | `seed` | seed of every random draw |
# ```

# %% tags=["parameters", "hide-input"]
num_classes = 10
seed = 0

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
import sympy as sp
import torch
import torch.nn.functional as F
from myst_nb import glue

import lnc
from lnc.book.display import plain_warnings

plain_warnings()  # warnings print without this checkout's file paths

# %% [markdown]
# ## Statement
#
# Write $\boldsymbol\ell(h) = \big(\ell(0, h), \dots, \ell(c-1, h)\big)^\top$ for the vector of the losses of
# the logits $h$ under each possible label.
#
# ```{prf:definition} Backward correction
# :label: def-backward
#
# For a non-singular $T$, the backward-corrected loss is $\overleftarrow{\boldsymbol\ell}(h) = T^{-1}
# \boldsymbol\ell(h)$, that is $\overleftarrow{\ell}(\tilde y, h) = \sum_j (T^{-1})_{\tilde y j}\, \ell(j, h)$.
# ```
#
# ```{prf:theorem} Backward correction is unbiased
# :label: thm-backward-unbiased
#
# If $T$ is non-singular, with $T_{ij} = \mathbb{P}(\tilde y = j \mid y = i)$, then for every clean label $y$
# and every $h$
#
# $$
# \mathbb{E}_{\tilde y \mid y} \big[ \overleftarrow{\ell}(\tilde y, h) \big] = \ell(y, h),
# $$ (eq-backward-unbiased)
#
# so the noisy risk of $\overleftarrow{\ell}$ equals the clean risk of $\ell$, and they have the same minimisers.
# ```
#
# ```{prf:proof}
# The distribution of $\tilde y$ given $y$ is row $y$ of $T$, so the expectation is
# $\sum_k T_{yk} (T^{-1} \boldsymbol\ell)_k = (T T^{-1} \boldsymbol\ell)_y = \ell(y, h)$. Taking the expectation over
# $(x, y)$ gives the equality of risks.
# ```
#
# ## Symbolic checks
#
# For a general $c$, with $T$ and $\boldsymbol\ell$ as matrix symbols, the gap between the expected backward loss
# and the loss, $T (T^{-1} \boldsymbol\ell) - \boldsymbol\ell$, simplifies to zero:

# %%
c = sp.Symbol("c", integer=True, positive=True)
T_c, ell_c = sp.MatrixSymbol("T", c, c), sp.MatrixSymbol("ell", c, 1)
residual = T_c * (T_c.I * ell_c) - ell_c
assert sp.simplify(residual) == sp.ZeroMatrix(c, 1)
print(f"T (T^-1 ell) - ell = {sp.simplify(residual)} for a symbolic c x c matrix T")

# %% [markdown]
# That step trusts sympy's rule $T T^{-1} = I$. For $c = 3$ we let it invert an explicit $T$ whose rows sum to
# one (six free entries) and expand everything:

# %%
t = sp.symbols("t0:3_0:2")
T3 = sp.Matrix([[t[2 * i], t[2 * i + 1], 1 - t[2 * i] - t[2 * i + 1]]
                for i in range(3)])
ell3 = sp.Matrix(sp.symbols("l0:3"))
expected_backward = T3 * (T3.inv() * ell3)          # row y: sum_k T[y, k] * backward(k)
assert sp.simplify(expected_backward - ell3) == sp.zeros(3, 1)
assert sp.simplify(T3.inv() * sp.ones(3, 1) - sp.ones(3, 1)) == sp.zeros(3, 1)
print("c = 3: E[backward loss | y] - loss(y) simplifies to 0 for each y; "
      "rows of T^-1 sum to 1")

# %% [markdown]
# The second assertion is a fact used below and in {ref}`ch-hessian`: $T \mathbf{1} = \mathbf{1}$ implies
# $T^{-1} \mathbf{1} = \mathbf{1}$, so **every row of $T^{-1}$ sums to one**, although it has negative entries.
#
# ## The binary case
#
# For $c = 2$ write $\rho_- = \mathbb{P}(\tilde y = 1 \mid y = 0)$ and $\rho_+ = \mathbb{P}(\tilde y = 0 \mid y =
# 1)$. The backward loss of the noisy label $1$ is the unbiased estimator of {cite:t}`natarajan2013`
# $\big((1 - \rho_-)\, \ell(1, h) - \rho_+\, \ell(0, h)\big) / (1 - \rho_- - \rho_+)$:

# %%
rho_m, rho_p, l0, l1 = sp.symbols("rho_- rho_+ ell_0 ell_1")
T2 = sp.Matrix([[1 - rho_m, rho_m], [rho_p, 1 - rho_p]])
backward2 = sp.simplify(T2.inv() * sp.Matrix([l0, l1]))
natarajan = sp.Matrix([(1 - rho_p) * l0 - rho_m * l1,
                       (1 - rho_m) * l1 - rho_p * l0]) / (1 - rho_m - rho_p)
assert sp.simplify(backward2 - natarajan) == sp.zeros(2, 1)
backward2

# %% [markdown]
# ## Numerical check with `lnc.backward_loss`
#
# With an asymmetric pair-flip matrix of $c$ = `num_classes` classes (class $k$ flips to $k + 1$ with
# probability 0.4, the last class is kept; triangular with a positive diagonal, so non-singular for every $c$)
# and random logits, the exact expectation over $\tilde y$ of `lnc.backward_loss` equals the cross-entropy of
# the clean label, for every clean label, in float64:

# %%
T = lnc.pair_T(num_classes, {k: k + 1 for k in range(num_classes - 1)}, 0.4)
gen = torch.Generator().manual_seed(seed)
h = 3 * torch.randn(1, num_classes, dtype=torch.float64, generator=gen)
h = h.expand(num_classes, -1)
labels = torch.arange(num_classes)
per_noisy = lnc.backward_loss(h, labels, T, reduction="none")   # backward(h, k), all k
expected = torch.from_numpy(T) @ per_noisy                       # row y: E[. | y]
gap = (expected - F.cross_entropy(h, labels, reduction="none")).abs().max().item()
assert gap < 1e-10, f"max over y of |E[backward] - CE(y)| = {gap:.3g}, not < 1e-10"
print(f"max over y of |E[backward] - CE(y)| < 1e-10 (c = {num_classes})")

# %% [markdown]
# ## The price: negative values and variance
#
# Only the expectation is the clean loss. A single corrected value is a signed combination of $c$ log-losses
# and can be **negative**, without bound: a confident, correct prediction is rewarded with a negative loss.
# Below, symmetric noise two thirds of the way to its singular rate $(c-1)/c$ (where $\mathrm{cond}(T) = 3$).

# %%
print(f"backward losses of these logits under each noisy label: "
      f"min {per_noisy.min():.3f}, max {per_noisy.max():.3f}")
confident = torch.tensor([[12.0] + [-12.0] * (num_classes - 1)], dtype=torch.float64)
high = 2 / 3 * (num_classes - 1) / num_classes                 # cond(T) = 3
value = lnc.backward_loss(confident, torch.tensor([0]),
                          lnc.symmetric_T(num_classes, high)).item()
assert value < 0, f"backward loss of a confident, right prediction {value:.3g}, not < 0"
print(f"confident and right, symmetric noise {high:.2f}: backward loss {value:.2f}")

# %% [markdown]
# How far a single value strays is measured by its variance over the noise, $\mathrm{Var}_{\tilde y \mid y}\,
# \overleftarrow{\ell}(\tilde y, h) = \sum_k T_{yk} \big(\overleftarrow{\ell}(k, h) - \ell(y, h)\big)^2$ (the mean
# is $\ell(y, h)$ by {prf:ref}`thm-backward-unbiased`). For symmetric noise of rate $N$ it has a closed form.
# Write $T = \lambda I + \frac{1 - \lambda}{c} \mathbf{1}\mathbf{1}^\top$ with $\lambda = 1 - N c / (c-1)$; for
# $N < (c-1)/c$ the eigenvalues are $1$ and $\lambda \in (0, 1]$, so $\kappa = \mathrm{cond}(T) = 1 / \lambda$,
# which blows up as $N \to (c-1)/c$. Multiplying out checks that $T^{-1} = \kappa I - \frac{\kappa - 1}{c}
# \mathbf{1}\mathbf{1}^\top$, so $\overleftarrow{\ell}(k, h) = \bar\ell + \kappa\, d_k$, with $\bar\ell$ the mean
# of the $c$ losses $\ell(k, h)$ and $d_k = \ell(k, h) - \bar\ell$. Since $\sum_k T_{yk} d_k = d_y / \kappa$ and
# $\sum_k T_{yk} d_k^2 = d_y^2 / \kappa + (1 - 1/\kappa)\, s^2$,
#
# $$
# \mathrm{Var}_{\tilde y \mid y}\, \overleftarrow{\ell}(\tilde y, h) = (\kappa - 1)\,(d_y^2 + \kappa s^2),
# \qquad s^2 = \frac{1}{c} \sum_k d_k^2 ,
# $$ (eq-backward-variance)
#
# so for $\kappa \ge 1$ the standard deviation lies between $s \sqrt{\kappa(\kappa - 1)}$ and
# $\sqrt{d_y^2 + s^2}\, \sqrt{\kappa(\kappa - 1)}$: it **grows like $\mathrm{cond}(T)$**, and its ratio to
# $\kappa$ tends to $s$.
#
# On log-log axes its local slope is $e(\kappa) = \frac{1}{2}\big(\frac{\kappa}{\kappa - 1} + \frac{\kappa
# s^2}{d_y^2 + \kappa s^2}\big)$, which tends to one. The first term falls and the second rises with $\kappa$, so
# on $[\kappa_a, \kappa_b]$ the local slope lies between $e_- = \frac{1}{2}\big(\frac{\kappa_b}{\kappa_b - 1} +
# \frac{\kappa_a s^2}{d_y^2 + \kappa_a s^2}\big)$ and $e_+ = \frac{1}{2}\big(\frac{\kappa_a}{\kappa_a - 1} +
# \frac{\kappa_b s^2}{d_y^2 + \kappa_b s^2}\big)$. A least-squares slope through points of a curve is a weighted
# mean, with positive weights, of the slopes between consecutive points, and each of those is a local slope
# (mean-value theorem). So the fitted slope lies in $[e_-, e_+]$ for any logits: a bound that follows from
# {eq}`eq-backward-variance`, not a tolerance fitted to a few seeds.
#
# Below, the variance of `lnc.backward_loss` for growing $N$ (up to 95% of $(c-1)/c$) for the clean label
# $y = 0$, checked against {eq}`eq-backward-variance` in float64 (relative error below $10^{-9}$), and the slope
# fitted where $\kappa \ge 2$. `lnc.backward_loss` warns above `lnc.losses.COND_WARNING_THRESHOLD`.

# %%
rates = (num_classes - 1) / num_classes * np.linspace(0.0, 0.95, 20)
clean_loss = F.cross_entropy(h[:1], labels[:1]).item()            # ell(0, h)
losses = F.cross_entropy(h, labels, reduction="none").numpy()    # ell(k, h), all k
d = losses - losses.mean()                                        # d_k
s2, d0 = np.mean(d**2), d[0] ** 2
conds, stds = [], []
for r in rates:
    T_r = lnc.symmetric_T(num_classes, float(r))
    values = lnc.backward_loss(h, labels, T_r, reduction="none").numpy()
    variance = T_r[0] @ (values - clean_loss) ** 2                # row y = 0 of T
    kappa = lnc.condition_number(T_r)
    closed = (kappa - 1) * (d0 + kappa * s2)                      # eq-backward-variance
    assert abs(variance - closed) <= 1e-9 * max(closed, 1e-12), (
        f"rate {r:.3f}: variance {variance:.6g}, closed form {closed:.6g}")
    conds.append(kappa)
    stds.append(np.sqrt(variance))
conds, stds = np.array(conds), np.array(stds)
fit = conds >= 2
slope = np.polyfit(np.log(conds[fit]), np.log(stds[fit]), 1)[0]
k_a, k_b = conds[fit].min(), conds[fit].max()
e_low = (k_b / (k_b - 1) + k_a * s2 / (d0 + k_a * s2)) / 2
e_high = (k_a / (k_a - 1) + k_b * s2 / (d0 + k_b * s2)) / 2
assert e_low - 1e-9 <= slope <= e_high + 1e-9, (
    f"fitted slope {slope:.4f} outside [{e_low:.4f}, {e_high:.4f}], the range of the "
    f"local slope of eq-backward-variance for cond(T) in [{k_a:.2f}, {k_b:.2f}]")
print(f"variance = (kappa - 1)(d_y^2 + kappa s^2) at all {len(rates)} rates")
print(f"std grows like cond(T)^{slope:.2f} for cond(T) from {k_a:.0f} to {k_b:.0f}, "
      f"within the bounds [{e_low:.2f}, {e_high:.2f}]")

# %%
fig, ax = plt.subplots(figsize=(6, 4))
shown = conds > 1                              # std = 0 at cond(T) = 1, off log axes
root = np.sqrt(conds[shown] * (conds[shown] - 1))
ax.loglog(conds[shown], stds[shown], "o-", lw=2, label="lnc.backward_loss")
ax.loglog(conds[shown], np.sqrt(s2) * root, "k--", lw=1, label="bounds")
ax.loglog(conds[shown], np.sqrt(d0 + s2) * root, "k--", lw=1)
ax.legend()
ax.set_xlabel("cond(T), symmetric noise")
ax.set_ylabel("std over the noise")
fig.tight_layout()
glue("fig-backward-variance", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig-backward-variance
# :name: fig-backward-variance
#
# Standard deviation over the label noise of the backward-corrected loss of one prediction, against the
# condition number $\kappa$ of symmetric $T$ of growing rate, on log-log axes, between the bounds
# $s \sqrt{\kappa(\kappa - 1)}$ and $\sqrt{d_y^2 + s^2} \sqrt{\kappa(\kappa - 1)}$ (dashed) that follow from
# {eq}`eq-backward-variance`. The points bend towards a line of slope one: the noise of the corrected loss
# grows in proportion to $\mathrm{cond}(T)$.
# ```
#
# ## Summary
#
# - The backward-corrected loss $T^{-1} \boldsymbol\ell$ equals the clean loss in expectation over the
#   noise, for every prediction ({prf:ref}`thm-backward-unbiased`); for $c = 2$ it is the correction of
#   {cite:t}`natarajan2013`.
# - Each row of $T^{-1}$ sums to one but has negative entries, so single corrected values can be
#   negative, without bound.
# - Their spread over the noise grows like $\mathrm{cond}(T)$.
#
# ## Exercises
#
# ```{exercise}
# :label: ex-binary-negative
#
# For $c = 2$, with the closed form above, for which losses $\ell_0, \ell_1$ is the corrected loss of
# the noisy label 1 negative? Check your condition with `lnc.backward_loss` on logits $(0, t)$ for
# $\rho_- = 0.2$, $\rho_+ = 0.3$: find the $t$ where its sign changes.
# ```
#
# ```{solution-start} ex-binary-negative
# :class: dropdown
# ```
#
# If $\rho_- + \rho_+ < 1$ the denominator is positive, so the corrected loss of label 1,
# $((1-\rho_-)\ell_1 - \rho_+ \ell_0)/(1 - \rho_- - \rho_+)$, is negative exactly when
# $\ell_1 < \rho_+ \ell_0 / (1 - \rho_-)$. With logits $(0, t)$, $\ell_1 = \log(1 + e^{-t})$ and
# $\ell_0 = \log(1 + e^{t})$; the sign changes where $(1 - \rho_-)\ell_1 = \rho_+ \ell_0$.

# %%
minus, plus = 0.2, 0.3                                    # rho_-, rho_+
T_binary = np.array([[1 - minus, minus], [plus, 1 - plus]])
t = torch.linspace(-5, 5, 100001, dtype=torch.float64)
logits = torch.stack([torch.zeros_like(t), t], dim=1)
corrected = lnc.backward_loss(logits, torch.ones(len(t), dtype=torch.long), T_binary,
                              reduction="none")
crossing = t[(corrected < 0).nonzero()[0]].item()        # first t with a negative loss
s_t = sp.Symbol("t")
root = float(sp.nsolve((1 - minus) * sp.log(1 + sp.exp(-s_t))
                       - plus * sp.log(1 + sp.exp(s_t)), 0.5))
assert abs(crossing - root) < 1e-3
assert (corrected[t > root + 1e-3] < 0).all() and (corrected[t < root - 1e-3] > 0).all()
print(f"the corrected loss of label 1 is negative for t > {root:.4f} "
      f"(lnc.backward_loss changes sign at t = {crossing:.4f})")

# %% [markdown]
# ```{solution-end}
# ```
#
# ```{exercise}
# :label: ex-backward-ce-closed-form
#
# Show that for cross-entropy $\overleftarrow{\ell}(\tilde y, h) = -(T^{-1} h)_{\tilde y} + \log \sum_k e^{h_k}$, and
# check it against `lnc.backward_loss`.
# ```
#
# ```{solution-start} ex-backward-ce-closed-form
# :class: dropdown
# ```
#
# $\ell(j, h) = -h_j + \log\sum_k e^{h_k}$; multiply by row $\tilde y$ of $T^{-1}$ and use that it sums to one.

# %%
T_inv = torch.from_numpy(np.linalg.inv(T))
closed_form = -(h[0] @ T_inv.T) + torch.logsumexp(h[0], dim=0)
assert torch.allclose(closed_form, per_noisy, atol=1e-10)
print("closed form = lnc.backward_loss for every noisy label")

# %% [markdown]
# ```{solution-end}
# ```
#
# ```{exercise}
# :label: ex-backward-mix-identity
#
# The paper suggests mixing $T$ with the identity, $T_\alpha = \alpha I + (1 - \alpha) T$, before inverting.
# What does it do to $\mathrm{cond}(T)$ for symmetric noise of $c$ = `num_classes` classes at 95% of its
# singular rate $(c-1)/c$ (rate 0.855 for $c = 10$), and what does it cost?
# ```
#
# ```{solution-start} ex-backward-mix-identity
# :class: dropdown
# ```

# %%
T_sharp = lnc.symmetric_T(num_classes, 0.95 * (num_classes - 1) / num_classes)
for alpha in [0.0, 0.2, 0.5]:
    mixed = alpha * np.eye(num_classes) + (1 - alpha) * T_sharp
    print(f"alpha = {alpha:.1f}: cond = {lnc.condition_number(mixed):6.2f}")

# %% [markdown]
# $T_\alpha$ is symmetric noise of rate $(1-\alpha) N$, so its condition number falls quickly; but it is the
# wrong matrix, so the corrected loss is no longer unbiased: variance is traded for bias.
#
# ```{solution-end}
# ```
