"""Experiment chapters: each has a golden (its papermill run with tiny parameters, nbval-checked by
`make test`) made from the parameters in tests/golden/<chapter>.yaml; a papermill run inside pytest writes
the JSON records the chapter promises."""

import json
import os
from pathlib import Path

import nbformat
import papermill
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
GOLDENS = sorted((ROOT / "tests" / "golden").glob("*.ipynb"))
needs_data = pytest.mark.skipif("LNC_DATA_DIR" not in os.environ, reason="LNC_DATA_DIR unset: no shared data")


def parameters_of(nb_path):
    """Names assigned in the cell tagged `parameters`."""
    nb = nbformat.read(nb_path, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    return {line.split("=")[0].strip() for line in cell.source.splitlines() if "=" in line and line[0] != " "}


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda p: p.stem)
def test_golden_is_the_chapter_run_with_its_yaml_parameters(golden):
    params = yaml.safe_load(golden.with_suffix(".yaml").read_text())
    chapter = ROOT / "book" / golden.name
    assert chapter.exists(), f"{golden.name} has no chapter book/{golden.name}"
    assert set(params) <= parameters_of(chapter), "the golden sets a parameter the chapter does not have"
    recorded = nbformat.read(golden, as_version=4).metadata["papermill"]["parameters"]
    assert recorded == params, f"{golden.name} is stale: run `make goldens`"


def test_stored_chapter_run_used_its_own_defaults():
    """The stored outputs of an experiment chapter come from one papermill run with the defaults shown."""
    for golden in GOLDENS:
        meta = nbformat.read(ROOT / "book" / golden.name, as_version=4).metadata
        assert meta.get("papermill", {}).get("parameters") == {}, f"book/{golden.name}: run `make run-{golden.stem}`"


@needs_data
def test_mnist_chapter_runs_under_papermill_and_writes_its_records(tmp_path):
    params = yaml.safe_load((ROOT / "tests" / "golden" / "mnist.yaml").read_text())
    params.update(
        seeds=[0],
        noise=["symmetric"],
        methods=["ce", "forward_est"],
        curve_rates=[0.4],
        results_dir=str(tmp_path / "results"),
        selection_results_dir=str(ROOT / "results" / "selection_mnist"),  # the golden's path is relative to it
    )
    papermill.execute_notebook(
        str(ROOT / "book" / "mnist.ipynb"),
        str(tmp_path / "out.ipynb"),
        parameters=params,
        cwd=str(ROOT),
        progress_bar=False,
    )
    records = [json.loads(p.read_text()) for p in sorted((tmp_path / "results").glob("*.json"))]
    assert sorted((r["noise"], r["rate"], r["method"]) for r in records) == [
        ("asymmetric", 0.4, "backward"),
        ("asymmetric", 0.4, "backward_est"),
        ("asymmetric", 0.4, "ce"),
        ("asymmetric", 0.4, "forward"),
        ("asymmetric", 0.4, "forward_est"),
        ("symmetric", 0.4, "ce"),
        ("symmetric", 0.4, "forward_est"),
    ]
    for r in records:
        assert r["status"] == "ok" and r["epochs"] == 2 and r["subset"] == 3000 and r["n_val"] == 300
        assert 0.3 < r["test_accuracy"] <= 1.0 and len(r.get("T_hat") or r["T_true"]) == 10
