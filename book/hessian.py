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
# (ch-hessian)=
# # Curvature Under Label Noise
#
# The paper's abstract says that "when ReLU is the only non-linearity, the loss curvature is immune to
# class-dependent label noise" (Theorem 3). This chapter computes exact Hessians in float64 with
# `torch.func.hessian` (`lnc.book.curvature.layer_hessian`, `lnc.book.curvature.full_hessian`) on small networks from `lnc.experiments.models` and states precisely what holds.
# The short answer: the curvature w.r.t. the **logits**, and each **layer's own block** of the Hessian w.r.t. the
# weights of a ReLU network, do not depend on the label or on $T$; the **cross-layer blocks do**. For any
# network, the **expected** Hessian under the noise equals the clean one.
#
# | parameter | meaning | default |
# |---|---|---|
# | `num_examples` | examples in the batch whose loss is differentiated | `8` |
# | `seed` | seed of the weights, inputs and labels | `0` |

# %% tags=["parameters"]
num_examples = 8
seed = 0

# %%
import numpy as np
import torch

import lnc
from lnc.book.curvature import block_gaps, full_hessian, layer_hessian, logit_hessian
from lnc.experiments.models import mlp, small_convnet

torch.set_default_dtype(torch.float64)

# %% [markdown]
# ## Statement
#
# Let $\hat p = \mathrm{softmax}(h)$ and let $v^\top$ be row $\tilde y$ of $T^{-1}$, so $\mathbf{1}^\top v = 1$
# ({ref}`ch-backward`). For cross-entropy, $\overleftarrow{\ell}(\tilde y, h) = -v^\top h + \log \sum_k e^{h_k}$, hence
#
# $$
# \nabla_h \overleftarrow{\ell} = \hat p - v, \qquad \nabla_h^2 \overleftarrow{\ell} = \mathrm{diag}(\hat p) - \hat p \hat p^\top .
# $$ (eq-logit-hessian)
#
# With $J_\theta$ the Jacobian of the logits w.r.t. the parameters $\theta$, the chain rule gives
#
# $$
# \nabla_\theta^2 \overleftarrow{\ell} = J_\theta^\top \big(\mathrm{diag}(\hat p) - \hat p \hat p^\top\big) J_\theta
# + \sum_k (\hat p_k - v_k)\, \nabla_\theta^2 h_k .
# $$ (eq-gauss-newton)
#
# ```{prf:theorem} Curvature under label noise, precisely
# :label: thm-curvature
#
# For softmax cross-entropy and its backward correction with any non-singular $T$:
#
# 1. the Hessian w.r.t. the logits {eq}`eq-logit-hessian` is the same for every label and every $T$;
# 2. if the network is built from linear or convolutional layers with ReLU and max-pooling only, then for each
#    layer $l$ the diagonal block $\nabla^2_{W^{(l)}}$ of the Hessian w.r.t. that layer's weights and biases is the
#    same for the clean label, any noisy label and the backward-corrected loss (almost everywhere);
# 3. for any network, $\mathbb{E}_{\tilde y \mid y}\, \nabla^2_\theta \overleftarrow{\ell}(\tilde y, h) = \nabla^2_\theta
#    \ell(y, h)$.
#
# The cross-layer blocks $\nabla_{W^{(a)}} \nabla_{W^{(b)}}$, $a \ne b$, do depend on the label, and forward
# correction changes even the diagonal blocks.
# ```
#
# ```{prf:proof}
# (1) is {eq}`eq-logit-hessian`. (2): with the other layers fixed, a ReLU/max-pool network is piecewise linear in
# one layer's parameters, so $\nabla^2_{W^{(l)}} h_k = 0$ almost everywhere and only the label-free first term of
# {eq}`eq-gauss-newton` remains. The mixed second derivatives of $h_k$ across two layers are products of weights,
# not zero, so the second term survives in the cross blocks. (3): the Hessian is linear in the loss, and
# $\overleftarrow{\ell}$ is unbiased ({prf:ref}`thm-backward-unbiased`) for every $h$, hence for its second derivatives.
# ```
#
# ```{note}
# Where the paper's wording is broader than this: the *full* Hessian w.r.t. all weights of a ReLU network is **not**
# label-independent (the cross-layer blocks differ, shown below); the invariance is of the per-layer diagonal
# blocks, and only "in expectation" for the whole Hessian. Smooth activations (tanh, the LSTM's gates) and
# batch normalisation in training mode break (2).
# ```

# %% [markdown]
# ## The setting
#
# A ReLU MLP $4 \to 5 \to 5 \to 3$, a tanh MLP of the same sizes and a small conv net with max-pooling, in float64;
# an asymmetric $T$; clean labels $y$ and noisy labels $\tilde y$ drawn from $T$.

# %%
torch.manual_seed(seed)
c = 3
T = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.1, 0.6]])
clean = torch.arange(num_examples) % c
noisy = torch.from_numpy(lnc.corrupt_labels(clean.numpy(), T, seed=seed))
while torch.equal(noisy, clean):                       # make sure some labels were flipped
    noisy = torch.from_numpy(lnc.corrupt_labels(clean.numpy(), T, seed=seed + 1))
nets = {
    "relu mlp": (mlp([4, 5, 5, c]), torch.randn(num_examples, 4)),
    "relu conv + max-pool": (small_convnet(num_classes=c), torch.randn(num_examples, 1, 6, 6)),
    "tanh mlp": (mlp([4, 5, 5, c], activation="tanh"), torch.randn(num_examples, 4)),
}
losses = {
    "ce(clean)": (lnc.make_loss("ce"), clean),
    "ce(noisy)": (lnc.make_loss("ce"), noisy),
    "backward(noisy)": (lnc.make_loss("backward", T), noisy),
    "forward(noisy)": (lnc.make_loss("forward", T), noisy),
}
print(f"{int((noisy != clean).sum())} of {num_examples} labels flipped")

# %% [markdown]
# ## (a) The Hessian w.r.t. the logits
#
# For every label and three different $T$ (including the identity), `lnc.book.curvature.logit_hessian` of the backward
# loss equals $\mathrm{diag}(\hat p) - \hat p \hat p^\top$:

# %%
h = torch.randn(c)
p = torch.softmax(h, dim=0)
closed_form = torch.diag(p) - torch.outer(p, p)
for T_any in (np.eye(c), T, lnc.symmetric_T(c, 0.5)):
    for label in range(c):
        H = logit_hessian(lnc.make_loss("backward", T_any), h, label)
        assert torch.allclose(H, closed_form, atol=1e-12)
print("logit Hessian = diag(p) - p p^T for every label and every T (to 1e-12)")

# %% [markdown]
# ## (b)–(e) Blocks of the Hessian w.r.t. the parameters
#
# For each network and loss we compute the exact Hessian, grouped into per-layer blocks, and compare each block
# with the one of the clean cross-entropy. The table gives the largest absolute difference in the diagonal
# (within-layer) blocks and in the cross-layer blocks.

# %%
differences = {}
for net_name, (net, inputs) in nets.items():
    reference = layer_hessian(net, losses["ce(clean)"][0], inputs, losses["ce(clean)"][1])
    for loss_name in ("ce(noisy)", "backward(noisy)", "forward(noisy)"):
        other = layer_hessian(net, losses[loss_name][0], inputs, losses[loss_name][1])
        differences[net_name, loss_name] = block_gaps(other, reference)
print(f"{'network':22s} {'loss vs ce(clean)':18s} {'diagonal blocks':>16s} {'cross blocks':>13s}")
for (net_name, loss_name), (diagonal, cross) in differences.items():
    shown = f"{diagonal:.1e}" if diagonal >= 1e-10 else "< 1e-10"
    print(f"{net_name:22s} {loss_name:18s} {shown:>16s} {cross:13.3f}")

# %% [markdown]
# Reading the table, with the claims asserted:
#
# * **(b)** For both ReLU networks the diagonal blocks of `ce(noisy)` and `backward(noisy)` equal those of
#   `ce(clean)` to rounding error.
# * **(c)** Their cross-layer blocks differ by order one: the full Hessian is not label-independent.
# * **(d)** Forward correction changes even the diagonal blocks.
# * **(e)** With tanh, the diagonal blocks depend on the label too.

# %%
for net_name in ("relu mlp", "relu conv + max-pool"):
    for loss_name in ("ce(noisy)", "backward(noisy)"):
        diagonal, cross = differences[net_name, loss_name]
        assert diagonal < 1e-10 and cross > 1e-3, (net_name, loss_name)
    assert differences[net_name, "forward(noisy)"][0] > 1e-3
assert differences["tanh mlp", "ce(noisy)"][0] > 1e-3 and differences["tanh mlp", "backward(noisy)"][0] > 1e-3
print("(b) diagonal blocks equal, (c) cross blocks differ, (d) forward differs, (e) tanh differs: all hold")

# %% [markdown]
# ## (f) The expected Hessian, for any architecture
#
# For one example of clean label $y$, the average of the backward-loss Hessians over the noisy labels, weighted by
# row $y$ of $T$, is the clean Hessian, here for the tanh network, where (b) fails:

# %%
net, inputs = nets["tanh mlp"]
x = inputs[:1]
backward = lnc.make_loss("backward", T)
for y in range(c):
    expected = sum(T[y, k] * full_hessian(net, backward, x, torch.tensor([k])) for k in range(c))
    clean_H = full_hessian(net, lnc.make_loss("ce"), x, torch.tensor([y]))
    assert torch.allclose(expected, clean_H, atol=1e-10)
print("E over y~ of the backward Hessian = clean Hessian, tanh network, every y (to 1e-10)")

# %% [markdown]
# ## Exercises
#
# ```{exercise}
# :label: ex-ce-logit-hessian
#
# Derive $\nabla_h^2 \big(-\log \mathrm{softmax}(h)_y\big) = \mathrm{diag}(\hat p) - \hat p \hat p^\top$ and show it
# is positive semi-definite with $\mathbf{1}$ in its kernel.
# ```
#
# ```{solution-start} ex-ce-logit-hessian
# :class: dropdown
# ```
#
# $\partial_{h_j} = \hat p_j - [j = y]$ and $\partial_{h_i} \hat p_j = \hat p_j([i=j] - \hat p_i)$. For any $u$,
# $u^\top(\mathrm{diag}\,\hat p - \hat p\hat p^\top)u = \sum_j \hat p_j u_j^2 - (\sum_j \hat p_j u_j)^2 \ge 0$ (a variance),
# and $(\mathrm{diag}\,\hat p - \hat p \hat p^\top)\mathbf{1} = \hat p - \hat p = 0$.

# %%
eigenvalues = torch.linalg.eigvalsh(closed_form)
assert eigenvalues.min() > -1e-12 and torch.allclose(closed_form @ torch.ones(c), torch.zeros(c), atol=1e-12)
print("positive semi-definite; the smallest eigenvalue is 0 (to 1e-12), eigenvector 1")

# %% [markdown]
# ```{solution-end}
# ```
#
# ```{exercise}
# :label: ex-batchnorm-curvature
#
# A layer followed by batch normalisation in training mode: is the network still piecewise linear in that
# layer's weights? What happens to (b)?
# ```
#
# ```{solution-start} ex-batchnorm-curvature
# :class: dropdown
# ```
#
# No: batch normalisation divides by the batch standard deviation of the layer's outputs, a smooth non-linear
# function of the weights, so $\nabla^2_{W^{(l)}} h_k \ne 0$ and the label-dependent term of {eq}`eq-gauss-newton`
# enters the diagonal block, as with tanh. (In evaluation mode batch normalisation is affine and (b) holds.)
#
# ```{solution-end}
# ```
