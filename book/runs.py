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

# %% [markdown] papermill={"duration": 0.001729, "end_time": "2026-12-07T05:20:10.796845+00:00", "exception": false, "start_time": "2026-12-07T05:20:10.795116+00:00", "status": "completed"}
# (ch-runs)=
# # The Runs Behind the Book
#
# Every number in the experiment chapters is read from a stored record: one JSON file per training, written as
# the training ends, named after every setting that changes its numbers (`lnc.experiments.records`). This page
# lists them all, read from the records themselves, so it is the book's canonical list of its evidence. Each entry
# is one grid: the records of one stored folder that share a task, a protocol (its recipe and epochs), a subset
# of the training data and a model selection ({ref}`ch-protocol`). The grid marked **the book's evidence** is its
# task's full-data run of the best protocol that has run (`lnc.experiments.inventory.EVIDENCE`): the landing
# page's figure, {ref}`ch-comparison` and {ref}`ch-guidance` read those and no other, and of each noise setting
# one set of seeds that every method they show has run, so that means and differences are over the same seeds:
# a method that has not run all of them yet waits, and so does a seed that not every method has reached.
#
# After this page you can
#
# - say which runs stand behind a chapter's numbers, with how many seeds, on which machine and when;
# - tell a reduced run (a subset, a smaller network) from a full-data one before reading its numbers.

# %% papermill={"duration": 0.009165, "end_time": "2026-12-07T05:20:10.807268+00:00", "exception": false, "start_time": "2026-12-07T05:20:10.798103+00:00", "status": "completed"} tags=["parameters", "hide-input"]
results_root = None  # the folder of the stored record folders; None: results/

# %% papermill={"duration": 1.373404, "end_time": "2026-12-07T05:20:12.182001+00:00", "exception": false, "start_time": "2026-12-07T05:20:10.808597+00:00", "status": "completed"} tags=["hide-input"]
from pathlib import Path

from IPython.display import Markdown, display

import lnc
from lnc.experiments.inventory import runs_markdown, stored_folders

book_results = Path(lnc.__file__).resolve().parents[1] / "results"
root = book_results if results_root is None else Path(results_root)
folders = stored_folders(root)
display(Markdown(f"Read from the {len(folders)} stored folders under `{root.name}/`."))

# %% [markdown] papermill={"duration": 0.001241, "end_time": "2026-12-07T05:20:12.185361+00:00", "exception": false, "start_time": "2026-12-07T05:20:12.184120+00:00", "status": "completed"}
# Per grid: its folder; the task, protocol, epochs and training data, and the epoch each training kept (by
# noisy-validation accuracy, or by its own loss on the noisy validation split, the paper's choice); the noise
# settings or CIFAR-N label sets; the methods ({ref}`ch-protocol`) and the estimators of $\hat T$ that
# `forward_est`, `backward_est` and `revision` used; the seeds; the trainings (a CE network shared by several
# estimators counted once); the hours of computing (wall time × threads on a CPU); the dates the trainings
# finished; the CPU or GPU and the precision it ran in, the CPU with the vector instructions torch's kernels
# used on it where the record states them (CPUs of one name differ there: AVX512, AVX2). "not recorded":
# records written before the field existed.

# %% papermill={"duration": 0.16981, "end_time": "2026-12-07T05:20:12.356167+00:00", "exception": false, "start_time": "2026-12-07T05:20:12.186357+00:00", "status": "completed"} tags=["hide-input"]
display(Markdown(runs_markdown(root)))

# %% [markdown] papermill={"duration": 0.001104, "end_time": "2026-12-07T05:20:12.359671+00:00", "exception": false, "start_time": "2026-12-07T05:20:12.358567+00:00", "status": "completed"}
# Two measurements that are not trainings of a chapter's grid sit beside the folders: `cifar_speed.json`, the
# CPU time of the CIFAR networks (`benchmarks/cifar_speed.py`), and `clip_norm.jsonl`, the clipping sweep of
# {ref}`ch-cifarn` (`benchmarks/clip_norm.py`).
