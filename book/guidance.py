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

# %% [markdown] papermill={"duration": 0.002082, "end_time": "2026-12-07T03:28:11.470192+00:00", "exception": false, "start_time": "2026-12-07T03:28:11.468110+00:00", "status": "completed"}
# (ch-guidance)=
# # Which Correction When
#
# The theory chapters say when each correction is right in principle; the experiment chapters say what
# happened on real data. This closing chapter turns the stored runs into practical guidance: for every data
# set and noise setting we recorded, which properties of $T$ and of the cross-entropy (CE) model came with a
# correction that helped, and which with one that hurt. Every rule below is computed from the records and
# shown with the settings it rests on, so re-executing this chapter after new runs updates it.
#
# After this chapter you can
#
# - read $\operatorname{cond}(T)$, the anchor condition and the error of $\hat T$ as warning signs;
# - choose between forward and backward correction, with the true $T$ and with $\hat T$, for a new data set.

# %% papermill={"duration": 0.008755, "end_time": "2026-12-07T03:28:11.480542+00:00", "exception": false, "start_time": "2026-12-07T03:28:11.471787+00:00", "status": "completed"} tags=["parameters", "hide-input"]
results_root = None  # the folder of the chapters' record folders; None: results/
helps = 1.0  # points: a correction "helps" above +helps and "hurts" below -helps

# %% papermill={"duration": 1.692737, "end_time": "2026-12-07T03:28:13.174711+00:00", "exception": false, "start_time": "2026-12-07T03:28:11.481974+00:00", "status": "completed"} tags=["hide-input"]
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from myst_nb import glue

import lnc
from lnc.estimation import anchor_columns
from lnc.experiments.inventory import EVIDENCE, evidence_records
from lnc.experiments.prose import SELECTION_SHORT, listing, run_summary, span
from lnc.experiments.results import setting, summarize
from lnc.experiments.tables import Table

# every parameter is checked before any record is read
if not (results_root is None or isinstance(results_root, (str, Path))):
    raise TypeError("results_root must be a folder path (str) or None, got "
                    f"{type(results_root).__name__} {results_root!r}")
default = Path(lnc.__file__).resolve().parents[1] / "results"
root = default if results_root is None else Path(results_root)
if not root.is_dir():
    raise ValueError(f"results_root must be an existing folder, got {results_root!r}")
if isinstance(helps, bool) or not isinstance(helps, (int, float)):
    raise TypeError("helps must be a number of accuracy points, got "
                    f"{type(helps).__name__} {helps!r}")
if not 0 <= helps < 100:
    raise ValueError(f"helps must be in [0, 100) accuracy points, got {helps!r}")
evidence = evidence_records(root)
records = [r for runs in evidence.values() for r in runs]
if not records:
    raise ValueError("results_root must hold the book's evidence (EVIDENCE), none "
                     f"under {root}")
# printed relative to the repository when it lies inside it
repository = default.parent
inside = root.resolve().is_relative_to(repository)
read = root.resolve().relative_to(repository) if inside else root
display(Markdown(f"Records read from `{read.as_posix()}/`, each task's full-data runs "
                 "(the book's evidence, {ref}`ch-runs`):\n\n"
                 + "\n".join(f"- {run_summary(runs)} (folder `{EVIDENCE[task]}`)"
                             for task, runs in evidence.items() if runs)))
margin = f"{helps:g} point" + "s" * (helps != 1)  # how the rules name `helps`
glue("guidance-helps", margin, display=False)

# %% [markdown] papermill={"duration": 0.001377, "end_time": "2026-12-07T03:28:13.178171+00:00", "exception": false, "start_time": "2026-12-07T03:28:13.176794+00:00", "status": "completed"}
# ## What each setting looked like
#
# One row per data set and noise setting with a CE run and a correction: the condition number of the
# true $T$, whether every column of $T$ keeps its maximum on the diagonal (the anchor estimator's assumption,
# {ref}`ch-estimation`), the relative $L_1$ error of $\hat T$, the test accuracy (%) of CE (mean over seeds),
# and the change over CE of each correction with $T$ and with $\hat T$ (points); – where a correction has
# no run in that setting yet.

# %% papermill={"duration": 0.046057, "end_time": "2026-12-07T03:28:13.225577+00:00", "exception": false, "start_time": "2026-12-07T03:28:13.179520+00:00", "status": "completed"} tags=["hide-input"]
methods = ["forward", "backward", "forward_est", "backward_est"]
rows, seed_stds = [], []
for task in dict.fromkeys(r["task"] for r in records):
    runs = [r for r in records if r["task"] == task]
    stats = summarize(runs)
    for key in dict.fromkeys(setting(r) for r in runs):
        ce = [r for r in runs if setting(r) == key and r["method"] == "ce"]
        ran = [m for m in methods if (m, key) in stats]
        if key == "none" or not ce or not ran:
            continue
        seed_stds += [stats[m, key][1] for m in ["ce", *ran] if stats[m, key][2] >= 2]
        T = np.array(ce[0]["T_true"])
        errors = [r["estimation_error"] for r in ce
                  if r.get("estimation_error") is not None]
        rows.append({
            "task": task, "setting": key,
            "cond(T)": lnc.condition_number(T),
            "anchors": bool(anchor_columns(T).all()),
            "T̂ error": float(np.mean(errors)) if errors else np.nan,
            "CE": stats["ce", key][0],
            **{m: stats[m, key][0] - stats["ce", key][0] if m in ran else np.nan
               for m in methods},
        })
table = pd.DataFrame(rows)
formats = {"cond(T)": "{:.2f}", "anchors": "{}", "T̂ error": "{:.2f}", "CE": "{:.1f}",
           **{m: "{:+.1f}" for m in methods}}
display(Table([["task", "setting", *formats],
               *([r["task"], r["setting"],
                  *("–" if pd.isna(r[k]) else f.format(r[k])
                    for k, f in formats.items())]
                 for r in rows)]))
seed_noise = (f"in the settings with two seeds or more, the seed std of CE and of the "
              f"corrections spans {span(seed_stds, '.1f')} points" if seed_stds
              else "no setting has two seeds or more: the seed noise is not measured")
glue("guidance-seed-noise", seed_noise, display=False)
kept = {}  # how each task's runs kept their epoch -> the tasks
for task, runs in evidence.items():
    for rule in sorted({r.get("selection", "val_loss") for r in runs}):
        kept.setdefault(SELECTION_SHORT[rule], []).append(task)
glue("guidance-selection", "; ".join(f"{listing(tasks, ', ')} by {rule}"
                                     for rule, tasks in kept.items()), display=False)

# %% [markdown] papermill={"duration": 0.004644, "end_time": "2026-12-07T03:28:13.232368+00:00", "exception": false, "start_time": "2026-12-07T03:28:13.227724+00:00", "status": "completed"}
# ## Rules drawn from these runs
#
# A correction *helps* when it is more than {glue:text}`guidance-helps` above CE and *hurts* when more than
# {glue:text}`guidance-helps` below (the parameter `helps`); {glue:text}`guidance-seed-noise`. Each run kept
# its epoch on the noisy validation split: {glue:text}`guidance-selection`. By its own loss, which is unbounded
# below for backward, a backward run can be kept at an epoch where that loss is low and its accuracy is not
# ({ref}`mnist-selection`), so the backward columns of the runs kept that way may understate backward.

# %% papermill={"duration": 0.014279, "end_time": "2026-12-07T03:28:13.248259+00:00", "exception": false, "start_time": "2026-12-07T03:28:13.233980+00:00", "status": "completed"} tags=["hide-input"]
def where(mask):
    chosen = table[mask]
    pairs = zip(chosen["task"], chosen["setting"])
    return listing([f"{t} {s}" for t, s in pairs], ", ")


def count(mask, within):
    return f"{int((mask & within).sum())} of {int(within.sum())}"


close_T_hat = 0.2  # relative L1 error of T̂ that counts as "close"
good_T_hat = table["anchors"] & (table["T̂ error"] <= close_T_hat)
bad_T_hat = ~good_T_hat
with_forward = table["forward"].notna()
with_both = with_forward & table["backward"].notna()
with_est = table["forward_est"].notna()
forward_helps = table["forward"] > helps
forward_hurts = table["forward"] < -helps
backward_below = table["backward"] < table["forward"]
est_hurts = table["forward_est"] < -helps
ill = with_both & (table["cond(T)"] > 2)
hurts_T = int((forward_hurts & with_forward).sum())
below = int((backward_below & with_both).sum())
hurts_est = int((est_hurts & good_T_hat & with_est).sum())
hurt_T = "never hurt" if not hurts_T else "sometimes hurt"
mostly = "was" if 2 * below > int(with_both.sum()) else "was not"
hurt_est = "never hurt" if not hurts_est else "hurt"
display(Markdown(f"""
1. **With the true $T$, forward correction {hurt_T}.** It helps (by more than
   {margin}) in {count(forward_helps, with_forward)} settings and hurts (by more than
   {margin}) in {count(forward_hurts, with_forward)} (hurts at: {where(forward_hurts)}).
2. **Backward with $T$ {mostly} mostly below forward with $T$:** in
   {count(backward_below, with_both)} settings; where $\\operatorname{{cond}}(T) > 2$ in
   {count(backward_below, ill)} (not below at: {where(with_both & ~backward_below)}).
3. **Forward with $\\hat T$ {hurt_est} where the estimator's assumption holds and
   $\\hat T$ is close** (every column of $T$ keeps its maximum on the diagonal and the
   error of $\\hat T$ is at most {close_T_hat:g}): it hurts (by more than
   {margin}) in {count(est_hurts, good_T_hat & with_est)} such settings, and in
   {count(est_hurts, bad_T_hat & with_est)} of the others
   (at: {where(est_hurts)}).
   The error of $\\hat T$ is not known in practice, but its causes are: a weak CE model
   and columns of $T$ whose maximum leaves the diagonal.
"""))

# %% [markdown] papermill={"duration": 0.001545, "end_time": "2026-12-07T03:28:13.251814+00:00", "exception": false, "start_time": "2026-12-07T03:28:13.250269+00:00", "status": "completed"}
# ## In practice
#
# - Estimate $\hat T$ from a CE model that fits the data well, then look at it: a column whose maximum is off
#   the diagonal, or a large $\operatorname{cond}(\hat T)$, means the estimate or the backward correction
#   cannot be trusted ({ref}`ch-estimation`).
# - Where the rules above hold, use forward correction by default; backward correction multiplies by
#   $T^{-1}$, whose entries grow with $\operatorname{cond}(T)$ ({ref}`ch-backward`).
# - Select the epoch and compare methods on a *noisy* validation split, by a criterion that means the same for
#   every method, such as noisy-validation accuracy; the clean test set is for the final number only. A
#   method's own corrected loss, the paper's choice and that of the runs above kept by it, can be gamed:
#   backward's loss is unbounded below ({ref}`mnist-selection` shows both criteria on the same runs).
#
# ## Exercises
#
# ```{exercise}
# :label: ex-guidance-threshold
# Re-execute this chapter with `helps = 0.5` and with `helps = 2.0`. Which rules change their counts, and what
# does that say about how much of each rule rests on differences of the size of the seed noise?
# ```
#
# ```{solution-start} ex-guidance-threshold
# :class: dropdown
# ```

# %% papermill={"duration": 0.008847, "end_time": "2026-12-07T03:28:13.262302+00:00", "exception": false, "start_time": "2026-12-07T03:28:13.253455+00:00", "status": "completed"}
for threshold in sorted({0.5, helps, 2.0}):
    counts = ", ".join(f"{m} helps in {int((table[m] > threshold).sum())} and hurts"
                       f" in {int((table[m] < -threshold).sum())} of"
                       f" {int(table[m].notna().sum())}" for m in methods)
    print(f"threshold {threshold:g} points: {counts} settings")

# %% [markdown] papermill={"duration": 0.004636, "end_time": "2026-12-07T03:28:13.268671+00:00", "exception": false, "start_time": "2026-12-07T03:28:13.264035+00:00", "status": "completed"}
# A count that changes between the thresholds rests on differences of a point or two, the size of the seed
# spread measured above; a count that stays rests on larger differences.
#
# ```{solution-end}
# ```
#
# ```{exercise}
# :label: ex-guidance-cond
# Rule 2 splits the settings at $\operatorname{cond}(T) = 2$. Compute $\operatorname{cond}(T)$ of the symmetric
# noise matrix with $c$ classes and rate $N$ in closed form, and find the rate above which it exceeds 2 for
# $c = 2$ and for $c = 10$ (check with `lnc.symmetric_T` and `lnc.condition_number`).
# ```
#
# ```{solution-start} ex-guidance-cond
# :class: dropdown
# ```
#
# $T = (1 - N - \tfrac{N}{c-1}) I + \tfrac{N}{c-1} \mathbf{1}\mathbf{1}^\top$ is symmetric with eigenvalues
# $1$ (eigenvector $\mathbf{1}$) and $1 - \tfrac{Nc}{c-1}$ ($c - 1$ times), so for $N < \tfrac{c-1}{c}$
# $\operatorname{cond}(T) = 1 / (1 - \tfrac{Nc}{c-1})$, which exceeds 2 for $N > \tfrac{c-1}{2c}$: 0.25 for
# $c = 2$, 0.45 for $c = 10$.

# %% papermill={"duration": 0.00733, "end_time": "2026-12-07T03:28:13.277706+00:00", "exception": false, "start_time": "2026-12-07T03:28:13.270376+00:00", "status": "completed"}
for c in (2, 10):
    threshold = (c - 1) / (2 * c)
    for rate in (threshold - 0.01, threshold + 0.01):
        closed = 1 / (1 - rate * c / (c - 1))
        assert abs(lnc.condition_number(lnc.symmetric_T(c, rate)) - closed) < 1e-9
        assert (closed > 2) == (rate > threshold)
print("closed form and thresholds hold for c = 2 and c = 10")

# %% [markdown] papermill={"duration": 0.001602, "end_time": "2026-12-07T03:28:13.281169+00:00", "exception": false, "start_time": "2026-12-07T03:28:13.279567+00:00", "status": "completed"}
# ```{solution-end}
# ```
