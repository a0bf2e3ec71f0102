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
# (ch-forward)=
# # Forward Correction Recovers the Clean Posterior
#
# The forward correction multiplies the network's predicted clean posterior by $T$ before taking the log-loss
# against the noisy label. It is **not** unbiased, but the minimiser of its noisy risk is the clean posterior
# (Theorem 2 of the paper): the correction is *classifier-consistent*. We solve the stationarity condition
# symbolically for $c = 2$, then minimise the conditional risk numerically for $c = 3$ and $10$ with
# `lnc.forward_loss`.
#
# | parameter | meaning | default |
# |---|---|---|
# | `seed` | seed of every random draw | `0` |

# %% tags=["parameters"]
seed = 0

# %%
import numpy as np
import sympy as sp
import torch

import lnc
from lnc.book.risk import minimise_conditional_risk

# %% [markdown]
# ## Statement
#
# ```{prf:definition} Forward correction
# :label: def-forward
#
# For logits $h$ and $\hat p = \mathrm{softmax}(h)$, the forward-corrected cross-entropy of the noisy label
# $\tilde y$ is $\overrightarrow{\ell}(\tilde y, h) = -\log\big(\hat p^\top T\big)_{\tilde y} = -\log \sum_i \hat p_i
# T_{i \tilde y}$.
# ```
#
# ```{prf:theorem} Forward correction is classifier-consistent
# :label: thm-forward-minimiser
#
# Let $T$ be non-singular. For every $x$, the minimiser over $h$ of the conditional noisy risk
# $\mathbb{E}_{\tilde y \mid x}\, \overrightarrow{\ell}(\tilde y, h)$ satisfies $\mathrm{softmax}(h^\star) =
# \mathbb{P}(y \mid x)$, so the minimiser of the noisy forward risk is the minimiser of the clean risk of
# cross-entropy.
# ```
#
# ```{prf:proof}
# Write $p = \mathbb{P}(y \mid x)$, so $\tilde p = T^\top p$ by {eq}`eq-noisy-posterior`. The conditional risk is
# the cross-entropy between $\tilde p$ and $T^\top \hat p$, minimised (Gibbs' inequality) exactly when
# $T^\top \hat p = \tilde p = T^\top p$. As $T$ is non-singular, $\hat p = p$.
# ```
#
# The log-loss is **proper**: its conditional risk is minimised by the true distribution. Forward correction
# composes it with the link $\hat p \mapsto T^\top \hat p$, and the composition is proper for the noisy labels.
#
# ## Symbolic check, $c = 2$
#
# Let $q = \mathbb{P}(y = 1 \mid x)$ and let the model predict $r = \hat p_1$. Setting the derivative of the
# conditional noisy risk to zero leaves one solution, $r = q$, whatever the noise rates:

# %%
q, r, rho_m, rho_p = sp.symbols("q r rho_- rho_+", positive=True)
T2 = sp.Matrix([[1 - rho_m, rho_m], [rho_p, 1 - rho_p]])
p_noisy = sp.Matrix([[1 - q, q]]) * T2                     # P(y~ | x) = p^T T
p_model = sp.Matrix([[1 - r, r]]) * T2                     # the model's noisy posterior
risk = -sum(p_noisy[j] * sp.log(p_model[j]) for j in range(2))
solutions = sp.solve(sp.diff(risk, r), r)
assert solutions == [q], solutions
print(f"d risk / d r = 0  <=>  r = {solutions[0]}")

# %% [markdown]
# The second derivative at $r = q$ is positive when $\rho_- + \rho_+ \neq 1$ (non-singular $T$):

# %%
curvature = sp.factor(sp.simplify(sp.diff(risk, r, 2).subs(r, q)))
curvature

# %% [markdown]
# ## Numerical check, $c = 3$ and $c = 10$
#
# We draw a clean posterior $p$ and an asymmetric $T$, form $\tilde p = T^\top p$, and minimise the
# conditional risk $\sum_j \tilde p_j\, \overrightarrow{\ell}(j, h)$ over the logits $h$ with L-BFGS
# (`lnc.book.risk.minimise_conditional_risk`), where $\overrightarrow{\ell}$ is `lnc.forward_loss`. For contrast we minimise the uncorrected cross-entropy on the
# noisy labels, and the backward-corrected risk (`lnc.backward_loss`).

# %%
rng = np.random.default_rng(seed)
for c in (3, 10):
    T = 0.6 * np.eye(c) + 0.4 * rng.dirichlet(np.ones(c), size=c)       # asymmetric, invertible
    p = rng.dirichlet(np.ones(c))
    p_noisy = p @ T
    forward = minimise_conditional_risk(lambda z, y: lnc.forward_loss(z, y, T, reduction="none"), p_noisy)
    backward = minimise_conditional_risk(lambda z, y: lnc.backward_loss(z, y, T, reduction="none"), p_noisy)
    plain = minimise_conditional_risk(lambda z, y: lnc.make_loss("ce", reduction="none")(z, y), p_noisy)
    assert np.abs(forward - p).max() < 1e-6 and np.abs(backward - p).max() < 1e-6
    assert np.abs(plain - p_noisy).max() < 1e-6
    print(f"c = {c:2d}: |forward minimiser - p| < 1e-6, |backward minimiser - p| < 1e-6, "
          f"uncorrected CE lands on T^T p, {np.abs(plain - p).max():.3f} away from p")

# %% [markdown]
# ## Forward and backward side by side
#
# | | backward $\overleftarrow{\ell}$ | forward $\overrightarrow{\ell}$ |
# |---|---|---|
# | noisy risk = clean risk (unbiased) | yes ({prf:ref}`thm-backward-unbiased`) | no |
# | same minimiser as the clean risk | yes | yes ({prf:ref}`thm-forward-minimiser`) |
# | per-example value | any sign, unbounded below | $\ge 0$ |
# | needs $T^{-1}$ | yes | no |
#
# The forward loss is a negative log of a probability, so it is never negative; and it is not unbiased:

# %%
T = lnc.cifar10_asymmetric_T(0.4)
h = 3 * torch.randn(10, 10, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
values = torch.stack([lnc.forward_loss(h, torch.full((10,), k), T, reduction="none") for k in range(10)], dim=1)
expected = (values * torch.from_numpy(T)).sum(dim=1)                # row n: E over y~ given y = n
clean = lnc.make_loss("ce", reduction="none")(h, torch.arange(10))
assert (values >= 0).all()
bias = (expected - clean).abs().max().item()
assert bias > 1e-3
print(f"forward: min value {values.min():.3f} >= 0; max |E[forward] - CE(y)| = {bias:.3f} (biased)")

# %% [markdown]
# ## Exercises
#
# ```{exercise}
# :label: ex-forward-identity
#
# Show that with $T = I$ both corrections are plain cross-entropy, and check it with `lnc`.
# ```
#
# ```{solution-start} ex-forward-identity
# :class: dropdown
# ```

# %%
targets = torch.arange(10)
for loss in (lnc.forward_loss, lnc.backward_loss):
    assert torch.allclose(loss(h, targets, np.eye(10)), lnc.make_loss("ce")(h, targets))
print("T = I: forward = backward = cross-entropy")

# %% [markdown]
# ```{solution-end}
# ```
#
# ```{exercise}
# :label: ex-forward-singular
#
# What goes wrong in {prf:ref}`thm-forward-minimiser` when $T$ is singular? Take $c = 3$ with rows 1 and 2 of $T$
# equal.
# ```
#
# ```{solution-start} ex-forward-singular
# :class: dropdown
# ```
#
# $T^\top \hat p = T^\top p$ no longer forces $\hat p = p$: any $\hat p$ that moves mass between classes 1 and 2
# has the same noisy posterior, so the risk has a whole segment of minimisers and the classifier between
# classes 1 and 2 is not identified.

# %%
T_singular = np.array([[0.8, 0.1, 0.1], [0.2, 0.5, 0.3], [0.2, 0.5, 0.3]])
p_a, p_b = np.array([0.2, 0.5, 0.3]), np.array([0.2, 0.1, 0.7])
assert np.allclose(p_a @ T_singular, p_b @ T_singular)
print("two different clean posteriors, one noisy posterior")

# %% [markdown]
# ```{solution-end}
# ```
