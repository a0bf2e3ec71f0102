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

# %% [markdown] papermill={"duration": 0.003587, "end_time": "2026-12-07T00:03:45.610212+00:00", "exception": false, "start_time": "2026-12-07T00:03:45.606625+00:00", "status": "completed"}
# (ch-forward)=
# # Forward Correction Recovers the Clean Posterior
#
# The backward correction of {ref}`ch-backward` is unbiased, but it inverts $T$ and pays for it with
# negative, high-variance losses. The **forward** correction avoids the inverse: it multiplies the
# network's predicted clean posterior by $T$, turning it into a predicted *noisy* posterior, and takes the
# ordinary log-loss of that against the noisy label. It is **not** unbiased; what it keeps is the
# minimiser: the prediction that minimises its noisy risk is the clean posterior. The correction is
# *classifier-consistent*.
#
# We state and prove this for cross-entropy, solve the stationarity condition symbolically for $c = 2$,
# then minimise the conditional risk numerically for $c = 3$ and $10$ with `lnc.forward_loss`.
#
# After this chapter you can
#
# - say what the forward correction keeps (the minimiser) and what it loses (unbiasedness);
# - prove that the minimiser of its conditional risk is the clean posterior when $T$ is non-singular, and
#   say when no minimiser exists;
# - compare forward and backward correction on sign, bias and the need for $T^{-1}$.
#
# ```{admonition} Parameters of this chapter
# :class: dropdown note
#
# The values used on this page are in the collapsed `parameters` cell below.
#
# | parameter | meaning |
# |---|---|
# | `seed` | seed of every random draw |
# ```

# %% papermill={"duration": 0.010921, "end_time": "2026-12-07T00:03:45.624189+00:00", "exception": false, "start_time": "2026-12-07T00:03:45.613268+00:00", "status": "completed"} tags=["parameters", "hide-input"]
seed = 0

# %% papermill={"duration": 1.606412, "end_time": "2026-12-07T00:03:47.233228+00:00", "exception": false, "start_time": "2026-12-07T00:03:45.626816+00:00", "status": "completed"} tags=["hide-input"]
import numpy as np
import sympy as sp
import torch

import lnc
from lnc.book.display import plain_warnings
from lnc.book.risk import conditional_risk, minimise_conditional_risk

plain_warnings()  # warnings print without this checkout's file paths

# %% [markdown] papermill={"duration": 0.001815, "end_time": "2026-12-07T00:03:47.237593+00:00", "exception": false, "start_time": "2026-12-07T00:03:47.235778+00:00", "status": "completed"}
# ## Statement
#
# ```{prf:definition} Forward correction
# :label: def-forward
#
# For logits $h$ and $\hat p = \mathrm{softmax}(h)$, the forward-corrected cross-entropy of the noisy label
# $\tilde y$ is $\overrightarrow{\ell\;}\!(\tilde y, h) = -\log\big(\hat p^\top T\big)_{\tilde y} =
# -\log \sum_i \hat p_i T_{i \tilde y}$.
# ```
#
# {cite:t}`patrini2017` state their Theorem 2 for every **proper composite** loss: a loss of a predicted
# probability (through an invertible link) whose conditional risk is minimised by the true distribution.
# Cross-entropy with the softmax link is one; the exercises take another. We state and prove the
# cross-entropy case, the one `lnc.forward_loss` implements.
#
# ```{prf:theorem} Forward correction is classifier-consistent (cross-entropy)
# :label: thm-forward-minimiser
#
# Let $T$ be non-singular, $x$ fixed and $p = \mathbb{P}(y \mid x)$ with $p_i > 0$ for every $i$. Then the
# conditional noisy risk $h \mapsto \mathbb{E}_{\tilde y \mid x}\, \overrightarrow{\ell\;}\!(\tilde y, h)$ is
# minimised exactly by the logits with $\mathrm{softmax}(h^\star) = p$. If some $p_i = 0$ it has no
# minimiser, and its infimum is approached by $\mathrm{softmax}(h) \to p$.
# ```
#
# ```{prf:proof}
# Write $\tilde p = T^\top p$ by {eq}`eq-noisy-posterior`. The conditional risk is the cross-entropy between
# $\tilde p$ and $T^\top \hat p$, which is at least the entropy of $\tilde p$, with equality exactly when
# $T^\top \hat p = \tilde p = T^\top p$ (Gibbs' inequality). As $T$ is non-singular this means $\hat p = p$.
# A softmax has every entry positive, so $\hat p = p$ is reached by some logits if and only if every
# $p_i > 0$. Otherwise the bound is not attained, and it is approached along any $h$ with
# $\mathrm{softmax}(h) \to p$, by continuity of the risk in $\hat p$; the logits then diverge.
# ```
#
# The one-hot case is not a corner case: the anchor points of {ref}`ch-estimation` are exactly the $x$ with
# a one-hot $p$. There the forward risk keeps decreasing as the logits grow, as computed below.
#
# ## Symbolic check, $c = 2$
#
# Let $q = \mathbb{P}(y = 1 \mid x)$ and let the model predict $r = \hat p_1$. Setting the derivative of the
# conditional noisy risk $R(r) = -\sum_j \tilde p_j \log\big(\hat p^\top T\big)_j$ to zero leaves one
# solution, $r = q$, whatever the noise rates:

# %% papermill={"duration": 0.26427, "end_time": "2026-12-07T00:03:47.503624+00:00", "exception": false, "start_time": "2026-12-07T00:03:47.239354+00:00", "status": "completed"}
q, r, rho_m, rho_p = sp.symbols("q r rho_- rho_+", positive=True)
T2 = sp.Matrix([[1 - rho_m, rho_m], [rho_p, 1 - rho_p]])
p_noisy = sp.Matrix([[1 - q, q]]) * T2                     # P(y~ | x) = p^T T
p_model = sp.Matrix([[1 - r, r]]) * T2                     # the model's noisy posterior
risk = -sum(p_noisy[j] * sp.log(p_model[j]) for j in range(2))
solutions = sp.solve(sp.diff(risk, r), r)
assert solutions == [q], solutions
print(f"d risk / d r = 0  <=>  r = {solutions[0]}")

# %% [markdown] papermill={"duration": 0.00262, "end_time": "2026-12-07T00:03:47.508722+00:00", "exception": false, "start_time": "2026-12-07T00:03:47.506102+00:00", "status": "completed"}
# The second derivative at $r = q$, simplified, is the square of $\rho_+ + \rho_- - 1$ over the product of
# the two noisy posteriors $\tilde p_0 = \mathbb{P}(\tilde y = 0 \mid x)$ and
# $\tilde p_1 = \mathbb{P}(\tilde y = 1 \mid x)$:

# %% papermill={"duration": 0.154392, "end_time": "2026-12-07T00:03:47.664891+00:00", "exception": false, "start_time": "2026-12-07T00:03:47.510499+00:00", "status": "completed"}
curvature = sp.simplify(sp.diff(risk, r, 2).subs(r, q))
p0, p1 = sp.symbols(r"\tilde{p}_0 \tilde{p}_1", positive=True)
closed_form = (rho_p + rho_m - 1) ** 2 / (p0 * p1)
as_noisy = closed_form.subs({p0: p_noisy[0], p1: p_noisy[1]})
assert sp.simplify(curvature - as_noisy) == 0
assert closed_form.is_nonnegative
print("the second derivative equals the closed form below and is >= 0")
R = sp.Function("R")
sp.Eq(sp.Subs(sp.Derivative(R(r), (r, 2)), r, q), closed_form)

# %% [markdown] papermill={"duration": 0.002126, "end_time": "2026-12-07T00:03:47.669632+00:00", "exception": false, "start_time": "2026-12-07T00:03:47.667506+00:00", "status": "completed"}
# As $\tilde p_0, \tilde p_1 > 0$, it is positive exactly when $\rho_- + \rho_+ \neq 1$, that is when $T$ is
# non-singular: $r = q$ is a strict minimum. At $\rho_- + \rho_+ = 1$ the risk is flat in $r$.
#
# ## Numerical check, $c = 3$ and $c = 10$
#
# We draw a clean posterior $p$ and an asymmetric $T$, form $\tilde p = T^\top p$, and minimise the
# conditional risk $\sum_j \tilde p_j\, \overrightarrow{\ell\;}\!(j, h)$ over the logits $h$ with L-BFGS
# (`lnc.book.risk.minimise_conditional_risk`), where $\overrightarrow{\ell\;}$ is `lnc.forward_loss`. For
# contrast we minimise the uncorrected cross-entropy on the noisy labels, and the backward-corrected risk
# (`lnc.backward_loss`).

# %% papermill={"duration": 1.459644, "end_time": "2026-12-07T00:03:49.136354+00:00", "exception": false, "start_time": "2026-12-07T00:03:47.676710+00:00", "status": "completed"}
tolerance = 1e-6
rng = np.random.default_rng(seed)
ce = lnc.make_loss("ce", reduction="none")
for c in (3, 10):
    T = 0.6 * np.eye(c) + 0.4 * rng.dirichlet(np.ones(c), size=c)    # asymmetric
    p = rng.dirichlet(np.ones(c))
    p_noisy = p @ T

    def forward(z, y):
        return lnc.forward_loss(z, y, T, reduction="none")

    def backward(z, y):
        return lnc.backward_loss(z, y, T, reduction="none")

    losses = {"forward": forward, "backward": backward, "ce": ce}
    found = {k: minimise_conditional_risk(f, p_noisy) for k, f in losses.items()}
    assert np.abs(found["forward"] - p).max() < tolerance
    assert np.abs(found["backward"] - p).max() < tolerance
    assert np.abs(found["ce"] - p_noisy).max() < tolerance
    print(f"c = {c:2d}: forward and backward minimisers within {tolerance:g} of p; "
          f"uncorrected CE lands on T^T p, {np.abs(found['ce'] - p).max():.3f} from p")

# %% [markdown] papermill={"duration": 0.002114, "end_time": "2026-12-07T00:03:49.141166+00:00", "exception": false, "start_time": "2026-12-07T00:03:49.139052+00:00", "status": "completed"}
# With a one-hot clean posterior (an anchor point) the forward risk along $h = t\, e_0$ keeps falling
# towards its infimum, the entropy of $\tilde p$, as $t$ grows, and never reaches it:

# %% papermill={"duration": 0.05464, "end_time": "2026-12-07T00:03:49.197786+00:00", "exception": false, "start_time": "2026-12-07T00:03:49.143146+00:00", "status": "completed"}
T = lnc.cifar10_asymmetric_T(0.4)
p_anchor = np.eye(10)[0]
p_noisy = p_anchor @ T
entropy = -(p_noisy[p_noisy > 0] * np.log(p_noisy[p_noisy > 0])).sum()
gaps = []
for t in (1.0, 2.0, 5.0, 10.0):
    h = t * torch.eye(10, dtype=torch.float64)[0]
    value = conditional_risk(lambda z, y: lnc.forward_loss(z, y, T, reduction="none"),
                             h, p_noisy).item()
    gaps.append(value - entropy)
    print(f"t = {t:4.0f}: risk - infimum = {value - entropy:.2e}")
assert all(0 < b < a for a, b in zip(gaps, gaps[1:]))
print("the gap is positive and decreasing in t: no finite minimiser")

# %% [markdown] papermill={"duration": 0.002146, "end_time": "2026-12-07T00:03:49.202408+00:00", "exception": false, "start_time": "2026-12-07T00:03:49.200262+00:00", "status": "completed"}
# ## Forward and backward side by side
#
# | | backward $\overleftarrow{\ell}$ | forward $\overrightarrow{\ell\;}$ |
# |---|---|---|
# | noisy risk = clean risk (unbiased) | yes ({prf:ref}`thm-backward-unbiased`) | no |
# | same minimiser as the clean risk | yes | yes ({prf:ref}`thm-forward-minimiser`) |
# | per-example value | any sign, unbounded below | $\ge 0$ |
# | needs $T^{-1}$ | yes | no |
#
# The forward loss is a negative log of a probability, so it is never negative; and it is not unbiased:

# %% papermill={"duration": 0.020172, "end_time": "2026-12-07T00:03:49.224657+00:00", "exception": false, "start_time": "2026-12-07T00:03:49.204485+00:00", "status": "completed"}
T = lnc.cifar10_asymmetric_T(0.4)
gen = torch.Generator().manual_seed(seed)
h = 3 * torch.randn(10, 10, dtype=torch.float64, generator=gen)
values = torch.stack([lnc.forward_loss(h, torch.full((10,), k), T, reduction="none")
                      for k in range(10)], dim=1)
expected = (values * torch.from_numpy(T)).sum(dim=1)    # row n: E over y~ given y = n
clean = ce(h, torch.arange(10))
assert (values >= 0).all()
bias = (expected - clean).abs().max().item()
assert bias > 1e-3
print(f"forward: min value {values.min():.3f} >= 0; "
      f"max |E[forward] - CE(y)| = {bias:.3f} (biased)")

# %% [markdown] papermill={"duration": 0.002307, "end_time": "2026-12-07T00:03:49.229525+00:00", "exception": false, "start_time": "2026-12-07T00:03:49.227218+00:00", "status": "completed"}
# ## Summary
#
# - The forward correction $\overrightarrow{\ell\;}\!(\tilde y, h) = -\log(\hat p^\top T)_{\tilde y}$ needs
#   no inverse and is never negative, but it is biased.
# - Its conditional noisy risk is minimised by the clean posterior when $T$ is non-singular
#   ({prf:ref}`thm-forward-minimiser`); for a one-hot posterior only the infimum exists.
# - The paper's theorem covers every proper composite loss; the proof uses only properness.
#
# ## Exercises
#
# ```{exercise}
# :label: ex-forward-proper-composite
#
# The proof of {prf:ref}`thm-forward-minimiser` uses one property of the log-loss: it is **proper**, its
# conditional risk $\sum_j q_j\, \ell(j, \hat q)$ over label distributions $q$ is minimised at
# $\hat q = q$. Take another proper loss, the square loss (Brier score)
# $\ell(j, \hat q) = \lVert e_j - \hat q \rVert^2$, and its forward correction
# $\ell(\tilde y, T^\top \hat p)$. Show that for $c = 2$ the conditional noisy risk is minimised at
# $\hat p = p$, as the proper-composite form of Theorem 2 {cite}`patrini2017` says.
# ```
#
# ```{solution-start} ex-forward-proper-composite
# :class: dropdown
# ```
#
# With $\hat q = T^\top \hat p$ and $\tilde p = T^\top p$, properness gives the minimum at
# $T^\top \hat p = \tilde p$, hence $\hat p = p$ when $T$ is non-singular. For $c = 2$, with the symbols of
# the symbolic check:

# %% papermill={"duration": 0.115185, "end_time": "2026-12-07T00:03:49.346924+00:00", "exception": false, "start_time": "2026-12-07T00:03:49.231739+00:00", "status": "completed"}
square = sum(p_noisy_j * sum(((1 if k == j else 0) - p_model[k]) ** 2 for k in range(2))
             for j, p_noisy_j in enumerate(sp.Matrix([[1 - q, q]]) * T2))
solutions = sp.solve(sp.diff(square, r), r)
assert solutions == [q], solutions
second = sp.factor(sp.diff(square, r, 2))
assert sp.simplify(second - 4 * (rho_m + rho_p - 1) ** 2) == 0
print(f"square loss: d risk / d r = 0  <=>  r = {solutions[0]}; "
      f"second derivative = {second}")

# %% [markdown] papermill={"duration": 0.002689, "end_time": "2026-12-07T00:03:49.357161+00:00", "exception": false, "start_time": "2026-12-07T00:03:49.354472+00:00", "status": "completed"}
# The second derivative $4(\rho_- + \rho_+ - 1)^2$ is positive for every non-singular $T$: the minimum is
# strict.
#
# ```{solution-end}
# ```
#
# ```{exercise}
# :label: ex-forward-gradient
#
# Show that the gradient of the forward loss w.r.t. the logits is
# $\nabla_h \overrightarrow{\ell\;}\!(\tilde y, h) = \hat p - w$, with
# $w_i = \hat p_i T_{i \tilde y} / \sum_k \hat p_k T_{k \tilde y}$ the posterior of the clean class $i$
# given the noisy label $\tilde y$, when $\hat p$ is the prior. Check it against autograd on
# `lnc.forward_loss`.
# ```
#
# ```{solution-start} ex-forward-gradient
# :class: dropdown
# ```
#
# With $s = \sum_k \hat p_k T_{k \tilde y}$ and $\partial_{h_j} \hat p_k = \hat p_k([j = k] - \hat p_j)$,
# $\partial_{h_j} (-\log s) = -\frac{1}{s} \sum_k T_{k \tilde y} \hat p_k ([j = k] - \hat p_j)
# = -w_j + \hat p_j$.

# %% papermill={"duration": 0.034471, "end_time": "2026-12-07T00:03:49.393800+00:00", "exception": false, "start_time": "2026-12-07T00:03:49.359329+00:00", "status": "completed"}
T = lnc.cifar10_asymmetric_T(0.4)
gen = torch.Generator().manual_seed(seed)
logits = torch.randn(6, 10, dtype=torch.float64, generator=gen, requires_grad=True)
noisy = torch.randint(0, 10, (6,), generator=gen)
lnc.forward_loss(logits, noisy, T, reduction="sum").backward()
p_hat = torch.softmax(logits.detach(), dim=1)
joint = p_hat * torch.from_numpy(T)[:, noisy].T            # p_i T_{i, y~}, per example
w = joint / joint.sum(dim=1, keepdim=True)
gap = (logits.grad - (p_hat - w)).abs().max().item()
assert gap < 1e-12, gap
print("autograd gradient of lnc.forward_loss = softmax - posterior (to 1e-12)")

# %% [markdown] papermill={"duration": 0.002354, "end_time": "2026-12-07T00:03:49.398645+00:00", "exception": false, "start_time": "2026-12-07T00:03:49.396291+00:00", "status": "completed"}
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

# %% papermill={"duration": 0.010157, "end_time": "2026-12-07T00:03:49.410865+00:00", "exception": false, "start_time": "2026-12-07T00:03:49.400708+00:00", "status": "completed"}
T_singular = np.array([[0.8, 0.1, 0.1], [0.2, 0.5, 0.3], [0.2, 0.5, 0.3]])
p_a, p_b = np.array([0.2, 0.5, 0.3]), np.array([0.2, 0.1, 0.7])
assert np.allclose(p_a @ T_singular, p_b @ T_singular)
print("two different clean posteriors, one noisy posterior")

# %% [markdown] papermill={"duration": 0.002786, "end_time": "2026-12-07T00:03:49.416274+00:00", "exception": false, "start_time": "2026-12-07T00:03:49.413488+00:00", "status": "completed"}
# ```{solution-end}
# ```
