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

# %% [markdown] papermill={"duration": 0.001889, "end_time": "2026-12-06T19:17:01.746780+00:00", "exception": false, "start_time": "2026-12-06T19:17:01.744891+00:00", "status": "completed"}
# (ch-runs)=
# # The Runs Behind the Book
#
# Every number in the experiment chapters is read from a stored record: one JSON file per training, written as
# the training ends, named after every setting that changes its numbers (`lnc.experiments.records`). This page
# lists them all, read from the records themselves, so it is the book's canonical list of its evidence. Each row
# is one grid: the records of one stored folder that share a task, a protocol (its recipe and epochs), a subset
# of the training data and a model selection ({ref}`ch-protocol`).
#
# After this page you can
#
# - say which runs stand behind a chapter's numbers, with how many seeds, on which machine and when;
# - tell a reduced run (a subset, a smaller network) from a full-data one before reading its numbers.

# %% papermill={"duration": 0.007651, "end_time": "2026-12-06T19:17:01.756039+00:00", "exception": false, "start_time": "2026-12-06T19:17:01.748388+00:00", "status": "completed"} tags=["parameters", "hide-input"]
results_root = None  # the folder of the stored record folders; None: results/

# %% papermill={"duration": 1.008761, "end_time": "2026-12-06T19:17:02.765895+00:00", "exception": false, "start_time": "2026-12-06T19:17:01.757134+00:00", "status": "completed"} tags=["hide-input"]
from pathlib import Path

from IPython.display import Markdown, display

import lnc
from lnc.experiments.inventory import runs_table, stored_folders

book_results = Path(lnc.__file__).resolve().parents[1] / "results"
root = book_results if results_root is None else Path(results_root)
folders = stored_folders(root)
display(Markdown(f"Read from the {len(folders)} stored folders under `{root.name}/`."))

# %% [markdown] papermill={"duration": 0.001172, "end_time": "2026-12-06T19:17:02.768631+00:00", "exception": false, "start_time": "2026-12-06T19:17:02.767459+00:00", "status": "completed"}
# Columns: the folder; the grid (task, protocol, epochs, training data, and the epoch each training kept: by
# noisy-validation accuracy, or by its own loss on the noisy validation split, the paper's choice); the noise
# settings or CIFAR-N label sets; the methods ({ref}`ch-protocol`) and the estimators of $\hat T$ that
# `forward_est`, `backward_est` and `revision` used; the seeds; the trainings (a CE network shared by several
# estimators counted once); the CPU or GPU and the precision it ran in; the hours of computing (wall time ×
# threads on a CPU); the dates the trainings finished. "not recorded": records written before the field existed.

# %% papermill={"duration": 0.06006, "end_time": "2026-12-06T19:17:02.829718+00:00", "exception": false, "start_time": "2026-12-06T19:17:02.769658+00:00", "status": "completed"} tags=["hide-input"]
display(runs_table(root))

# %% [markdown] papermill={"duration": 0.000944, "end_time": "2026-12-06T19:17:02.832054+00:00", "exception": false, "start_time": "2026-12-06T19:17:02.831110+00:00", "status": "completed"}
# Two measurements that are not trainings of a chapter's grid sit beside the folders: `cifar_speed.json`, the
# CPU time of the CIFAR networks (`benchmarks/cifar_speed.py`), and `clip_norm.jsonl`, the clipping sweep of
# {ref}`ch-cifarn` (`benchmarks/clip_norm.py`).
