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

# %% [markdown] papermill={"duration": 0.003891, "end_time": "2026-12-06T18:38:56.407632+00:00", "exception": false, "start_time": "2026-12-06T18:38:56.403741+00:00", "status": "completed"}
# (ch-hessian)=
# # Curvature Under Label Noise
#
# A loss correction changes the loss, so it may change the landscape an optimiser walks on: its slopes and
# its curvature. {cite:t}`patrini2017` study this in their Theorem 3, which their abstract sums up as
# "when ReLU is the only non-linearity, the loss curvature is immune to class-dependent label noise".
# This chapter makes that sentence precise in a proposition that we prove ({prf:ref}`thm-curvature`),
# says which part of it is the paper's claim, and checks each part with exact Hessians in float64
# (`torch.func.hessian`, through `lnc.book.curvature.layer_hessian` and
# `lnc.book.curvature.full_hessian`) on small networks from `lnc.experiments.models`.
#
# The short answer: the curvature w.r.t. the **logits**, and each **layer's own block** of the Hessian
# w.r.t. the weights of a ReLU network without batch normalisation, do not depend on the label or on $T$;
# the **cross-layer blocks do**. For any network, the **expected** Hessian under the noise equals the clean
# one.
#
# After this chapter you can
#
# - derive the Hessian of (backward-corrected) cross-entropy w.r.t. the logits;
# - say which blocks of the parameter Hessian are label-free, for which architectures, and why;
# - say which networks of the experiment chapters the result covers, and which it does not.
#
# ```{admonition} Parameters of this chapter
# :class: dropdown note
#
# The values used on this page are in the collapsed `parameters` cell below.
#
# | parameter | meaning |
# |---|---|
# | `num_examples` | examples in the batch whose loss is differentiated |
# | `flip_fraction` | fraction of the batch whose label is flipped to another class |
# | `seed` | seed of the weights, inputs and flipped labels |
# ```

# %% papermill={"duration": 0.022253, "end_time": "2026-12-06T18:38:56.434969+00:00", "exception": false, "start_time": "2026-12-06T18:38:56.412716+00:00", "status": "completed"} tags=["parameters", "hide-input"]
num_examples = 8
flip_fraction = 0.5
seed = 0

# %% papermill={"duration": 1.432217, "end_time": "2026-12-06T18:38:57.870334+00:00", "exception": false, "start_time": "2026-12-06T18:38:56.438117+00:00", "status": "completed"} tags=["hide-input"]
import numpy as np
import pandas as pd
import torch
from IPython.display import display

import lnc
from lnc.book.curvature import block_gaps, full_hessian, layer_hessian, logit_hessian
from lnc.book.display import plain_warnings
from lnc.experiments.models import mlp, small_convnet

plain_warnings()  # warnings print without this checkout's file paths

# %% [markdown] papermill={"duration": 0.003814, "end_time": "2026-12-06T18:38:57.876686+00:00", "exception": false, "start_time": "2026-12-06T18:38:57.872872+00:00", "status": "completed"}
# ## Statement
#
# Let $\hat p = \mathrm{softmax}(h)$ and let $v^\top$ be row $\tilde y$ of $T^{-1}$, so $\mathbf{1}^\top v = 1$
# ({ref}`ch-backward`). For cross-entropy, $\overleftarrow{\ell}(\tilde y, h) = -v^\top h + \log \sum_k e^{h_k}$,
# hence
#
# $$
# \nabla_h \overleftarrow{\ell} = \hat p - v, \qquad
# \nabla_h^2 \overleftarrow{\ell} = \mathrm{diag}(\hat p) - \hat p \hat p^\top .
# $$ (eq-logit-hessian)
#
# With $J_\theta$ the Jacobian of the logits w.r.t. the parameters $\theta$, the chain rule gives
#
# $$
# \nabla_\theta^2 \overleftarrow{\ell} = J_\theta^\top \big(\mathrm{diag}(\hat p) - \hat p \hat p^\top\big)
# J_\theta + \sum_k (\hat p_k - v_k)\, \nabla_\theta^2 h_k .
# $$ (eq-gauss-newton)
#
# Plain cross-entropy of a label $y$ is the case $v = e_y$ ($T = I$).
#
# ```{prf:proposition} Curvature under label noise, what we verify
# :label: thm-curvature
#
# For softmax cross-entropy and its backward correction with any non-singular $T$:
#
# 1. the Hessian w.r.t. the logits {eq}`eq-logit-hessian` is the same for every label and every $T$;
# 2. if the network is built from linear or convolutional layers with ReLU and max-pooling only (no batch
#    normalisation in training mode, no smooth activation), then for each layer $l$ the diagonal block
#    $\nabla^2_{W^{(l)}}$ of the Hessian w.r.t. that layer's weights and biases is the same for the clean
#    label, any noisy label and the backward-corrected loss (almost everywhere);
# 3. for any network, $\mathbb{E}_{\tilde y \mid y}\, \nabla^2_\theta \overleftarrow{\ell}(\tilde y, h) =
#    \nabla^2_\theta \ell(y, h)$.
#
# The cross-layer blocks $\nabla_{W^{(a)}} \nabla_{W^{(b)}}$, $a \ne b$, do depend on the label, and forward
# correction changes even the diagonal blocks.
# ```
#
# ```{prf:proof}
# (1) is {eq}`eq-logit-hessian`. (2): with the other layers fixed, a ReLU/max-pool network is piecewise linear
# in one layer's parameters, so $\nabla^2_{W^{(l)}} h_k = 0$ almost everywhere and only the label-free first
# term of {eq}`eq-gauss-newton` remains. The mixed second derivatives of $h_k$ across two layers are products
# of weights, not zero, so the second term survives in the cross blocks. (3): the Hessian is linear in the
# loss, and $\overleftarrow{\ell}$ is unbiased ({prf:ref}`thm-backward-unbiased`) for every $h$, hence for its
# second derivatives.
# ```
#
# **Relation to the paper's Theorem 3.** Part (2) is the sense in which the paper's claim holds: for a
# network whose only non-linearities are ReLU (and max-pooling), each layer's own block of the Hessian is
# the label-free first term of {eq}`eq-gauss-newton`, the same for the clean label, a noisy label and the
# backward correction. Read as a statement about the whole Hessian in all the weights at once, the claim
# does not hold: the cross-layer blocks depend on the label, as check (c) below shows. Parts (1) and (3)
# need no ReLU; they hold for any network.
#
# ```{important}
# Part (2) needs a network that is piecewise linear in each layer's parameters. The networks of the
# experiment chapters are mostly **outside** it: the ResNets of {ref}`ch-cifar` use batch normalisation,
# which divides by a batch standard deviation (a smooth function of the weights), and the LSTM of
# {ref}`ch-imdb` has sigmoid and tanh gates. For them only (1) and (3) hold; (2) fails, as it does for the
# tanh network below. The fully connected ReLU network of {ref}`ch-mnist` is inside it.
# ```
#
# ## The setting
#
# A ReLU MLP $4 \to 5 \to 5 \to 3$, a tanh MLP of the same sizes and a small conv net with max-pooling, in
# float64, and an asymmetric $T$. Parts (1) and (2) hold for any labels, so instead of drawing noisy labels
# from $T$ (which, on a small batch, may flip few of them) we flip a fixed fraction `flip_fraction` of the
# clean labels $y$ to another class, chosen with a seeded `torch.Generator`.

# %% papermill={"duration": 0.02636, "end_time": "2026-12-06T18:38:57.906894+00:00", "exception": false, "start_time": "2026-12-06T18:38:57.880534+00:00", "status": "completed"}
c = 3
T = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.1, 0.6]])
gen = torch.Generator().manual_seed(seed)
clean = torch.arange(num_examples) % c
num_flipped = round(flip_fraction * num_examples)
flipped = torch.randperm(num_examples, generator=gen)[:num_flipped]
shift = torch.randint(1, c, (num_flipped,), generator=gen)      # to another class
noisy = clean.clone()
noisy[flipped] = (clean[flipped] + shift) % c
with torch.random.fork_rng():       # seeded weights; the global RNG is left as it was
    torch.manual_seed(seed)
    nets = {
        "relu mlp": mlp([4, 5, 5, c]).double(),
        "relu conv + max-pool": small_convnet(num_classes=c).double(),
        "tanh mlp": mlp([4, 5, 5, c], activation="tanh").double(),
    }
shapes = {"relu mlp": (4,), "relu conv + max-pool": (1, 6, 6), "tanh mlp": (4,)}
inputs = {name: torch.randn(num_examples, *shape, dtype=torch.float64, generator=gen)
          for name, shape in shapes.items()}
losses = {
    "ce(clean)": (lnc.make_loss("ce"), clean),
    "ce(noisy)": (lnc.make_loss("ce"), noisy),
    "backward(noisy)": (lnc.make_loss("backward", T), noisy),
    "forward(noisy)": (lnc.make_loss("forward", T), noisy),
}
assert int((noisy != clean).sum()) == len(flipped)
print(f"{len(flipped)} of {num_examples} labels flipped")

# %% [markdown] papermill={"duration": 0.004037, "end_time": "2026-12-06T18:38:57.916547+00:00", "exception": false, "start_time": "2026-12-06T18:38:57.912510+00:00", "status": "completed"}
# ## (a) The Hessian w.r.t. the logits
#
# For every label and three different $T$ (including the identity), `lnc.book.curvature.logit_hessian` of
# the backward loss equals $\mathrm{diag}(\hat p) - \hat p \hat p^\top$:

# %% papermill={"duration": 1.134294, "end_time": "2026-12-06T18:38:59.054794+00:00", "exception": false, "start_time": "2026-12-06T18:38:57.920500+00:00", "status": "completed"}
h = torch.randn(c, dtype=torch.float64, generator=gen)
p = torch.softmax(h, dim=0)
closed_form = torch.diag(p) - torch.outer(p, p)
for T_any in (np.eye(c), T, lnc.symmetric_T(c, 0.5)):
    for label in range(c):
        H = logit_hessian(lnc.make_loss("backward", T_any), h, label)
        assert torch.allclose(H, closed_form, atol=1e-12)
print("logit Hessian = diag(p) - p p^T for every label and every T (to 1e-12)")

# %% [markdown] papermill={"duration": 0.001915, "end_time": "2026-12-06T18:38:59.059481+00:00", "exception": false, "start_time": "2026-12-06T18:38:59.057566+00:00", "status": "completed"}
# ## (b)–(e) Blocks of the Hessian w.r.t. the parameters
#
# For each network and loss we compute the exact Hessian, grouped into per-layer blocks, and compare each block
# with the one of the clean cross-entropy. The table gives the largest absolute difference in the diagonal
# (within-layer) blocks and in the cross-layer blocks.

# %% papermill={"duration": 0.975869, "end_time": "2026-12-06T18:39:00.044380+00:00", "exception": false, "start_time": "2026-12-06T18:38:59.068511+00:00", "status": "completed"}
differences = {}
for net_name, net in nets.items():
    x = inputs[net_name]
    reference = layer_hessian(net, losses["ce(clean)"][0], x, losses["ce(clean)"][1])
    for loss_name in ("ce(noisy)", "backward(noisy)", "forward(noisy)"):
        other = layer_hessian(net, losses[loss_name][0], x, losses[loss_name][1])
        differences[net_name, loss_name] = block_gaps(other, reference)
table = pd.DataFrame(
    [{"network": net_name, "loss vs ce(clean)": loss_name,
      "diagonal blocks": f"{diagonal:.1e}" if diagonal >= 1e-10 else "< 1e-10",
      "cross blocks": f"{cross:.3f}"}
     for (net_name, loss_name), (diagonal, cross) in differences.items()])
display(table.set_index(["network", "loss vs ce(clean)"]))

# %% [markdown] papermill={"duration": 0.005897, "end_time": "2026-12-06T18:39:00.052673+00:00", "exception": false, "start_time": "2026-12-06T18:39:00.046776+00:00", "status": "completed"}
# Reading the table, with the claims asserted:
#
# * **(b)** For both ReLU networks the diagonal blocks of `ce(noisy)` and `backward(noisy)` equal those of
#   `ce(clean)` to rounding error.
# * **(c)** Their cross-layer blocks differ far above rounding error: the full Hessian is
#   not label-independent.
# * **(d)** Forward correction changes even the diagonal blocks.
# * **(e)** With tanh, the diagonal blocks depend on the label too.

# %% papermill={"duration": 0.011319, "end_time": "2026-12-06T18:39:00.067837+00:00", "exception": false, "start_time": "2026-12-06T18:39:00.056518+00:00", "status": "completed"}
for net_name in ("relu mlp", "relu conv + max-pool"):
    for loss_name in ("ce(noisy)", "backward(noisy)"):
        diagonal, cross = differences[net_name, loss_name]
        assert diagonal < 1e-10 and cross > 1e-3, (net_name, loss_name)
    assert differences[net_name, "forward(noisy)"][0] > 1e-3
for loss_name in ("ce(noisy)", "backward(noisy)"):
    assert differences["tanh mlp", loss_name][0] > 1e-3
print("(b) diagonal blocks equal, (c) cross blocks differ, (d) forward differs, "
      "(e) tanh differs: all hold")

# %% [markdown] papermill={"duration": 0.004064, "end_time": "2026-12-06T18:39:00.076577+00:00", "exception": false, "start_time": "2026-12-06T18:39:00.072513+00:00", "status": "completed"}
# ## (f) The expected Hessian, for any architecture
#
# For one example of clean label $y$, the average of the backward-loss Hessians over the noisy labels, weighted by
# row $y$ of $T$, is the clean Hessian, here for the tanh network, where (2) fails:

# %% papermill={"duration": 0.325759, "end_time": "2026-12-06T18:39:00.406225+00:00", "exception": false, "start_time": "2026-12-06T18:39:00.080466+00:00", "status": "completed"}
net, x = nets["tanh mlp"], inputs["tanh mlp"][:1]
backward = lnc.make_loss("backward", T)
for y in range(c):
    expected = sum(T[y, k] * full_hessian(net, backward, x, torch.tensor([k]))
                   for k in range(c))
    clean_H = full_hessian(net, lnc.make_loss("ce"), x, torch.tensor([y]))
    assert torch.allclose(expected, clean_H, atol=1e-10)
print("E over y~ of the backward Hessian = clean Hessian, tanh network, every y "
      "(to 1e-10)")

# %% [markdown] papermill={"duration": 0.003836, "end_time": "2026-12-06T18:39:00.412676+00:00", "exception": false, "start_time": "2026-12-06T18:39:00.408840+00:00", "status": "completed"}
# ## Summary
#
# - The Hessian of cross-entropy w.r.t. the logits, corrected or not, is $\mathrm{diag}(\hat p) -
#   \hat p \hat p^\top$: it does not see the label or $T$.
# - For ReLU/max-pool networks without batch normalisation, each layer's own block of the parameter
#   Hessian is label-free; the cross-layer blocks are not, and forward correction changes every block.
# - For any network the backward-corrected Hessian equals the clean one in expectation over the noise;
#   the BatchNorm ResNets and the LSTM of the experiments get only this and part (1).
#
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

# %% papermill={"duration": 0.014864, "end_time": "2026-12-06T18:39:00.431340+00:00", "exception": false, "start_time": "2026-12-06T18:39:00.416476+00:00", "status": "completed"}
eigenvalues = torch.linalg.eigvalsh(closed_form)
kernel = closed_form @ torch.ones(c, dtype=torch.float64)
assert eigenvalues.min() > -1e-12 and kernel.abs().max() < 1e-12
print("positive semi-definite; the smallest eigenvalue is 0 (to 1e-12), eigenvector 1")

# %% [markdown] papermill={"duration": 0.001987, "end_time": "2026-12-06T18:39:00.435569+00:00", "exception": false, "start_time": "2026-12-06T18:39:00.433582+00:00", "status": "completed"}
# ```{solution-end}
# ```
#
# ```{exercise}
# :label: ex-batchnorm-curvature
#
# A layer followed by batch normalisation in training mode: is the network still piecewise linear in that
# layer's weights? What happens to part (2) of {prf:ref}`thm-curvature`?
# ```
#
# ```{solution-start} ex-batchnorm-curvature
# :class: dropdown
# ```
#
# No: batch normalisation divides by the batch standard deviation of the layer's outputs, a smooth non-linear
# function of the weights, so $\nabla^2_{W^{(l)}} h_k \ne 0$ and the label-dependent term of {eq}`eq-gauss-newton`
# enters the diagonal block, as with tanh. (In evaluation mode batch normalisation is affine and part (2) holds.)
#
# ```{solution-end}
# ```
