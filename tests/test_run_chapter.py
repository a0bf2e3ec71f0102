"""tools/run_chapter.py: a misspelt parameter name fails before anything runs, naming the valid ones; a correct
one runs the chapter with papermill; the values mean what papermill's -p, -r, -y and -f make of them."""

import importlib.util
from pathlib import Path

import nbformat
import papermill
import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("run_chapter", ROOT / "tools" / "run_chapter.py")
run_chapter = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_chapter)


@pytest.fixture
def nothing_runs(monkeypatch):
    """Fail the test if papermill executes anything or jupytext rewrites a chapter."""

    def forbidden(*args, **kwargs):
        raise AssertionError(f"ran {args}")

    monkeypatch.setattr(papermill, "execute_notebook", forbidden)
    monkeypatch.setattr(run_chapter, "jupytext_sync", forbidden)


@pytest.mark.parametrize("output", [None, "out.ipynb"], ids=["in-place", "to-a-file"])
def test_a_misspelt_name_fails_before_anything_runs_and_lists_the_valid_names(nothing_runs, tmp_path, output):
    chapter = ROOT / "book" / "hessian.ipynb"
    stored = chapter.read_bytes()
    argv = ["hessian", *([str(tmp_path / output)] if output else []), "-p", "num_example", "16", "-p", "seed", "1"]
    with pytest.raises(SystemExit) as exit_:
        run_chapter.main(argv)
    message = str(exit_.value.code)
    assert "has no parameter 'num_example' (did you mean 'num_examples'?)" in message
    assert "nothing was run" in message
    assert "num_examples (default 8), flip_fraction (default 0.5), seed (default 0)" in message
    assert chapter.read_bytes() == stored and not list(tmp_path.iterdir())


def test_yaml_and_file_names_are_checked_too(nothing_runs, tmp_path):
    file = tmp_path / "params.yaml"
    file.write_text("epoch: 1\n")
    with pytest.raises(SystemExit, match="has no parameter 'epoch'"):
        run_chapter.main(["hessian", str(tmp_path / "out.ipynb"), "-f", str(file)])
    with pytest.raises(SystemExit, match=r"has no parameter 'sed' \(did you mean 'seed'\?\)"):
        run_chapter.main(["backward_correction", str(tmp_path / "out.ipynb"), "-y", "sed: 3"])


def test_an_unknown_chapter_or_a_bad_value_fails_with_what_was_expected(nothing_runs, tmp_path):
    with pytest.raises(SystemExit, match=r"chapter must be one of the book's chapters \(.*hessian.*\), got 'hesian'"):
        run_chapter.main(["hesian"])
    with pytest.raises(SystemExit, match=r"-y must be a YAML mapping 'name: value', got '\[1, 2\]'"):
        run_chapter.main(["hessian", "-y", "[1, 2]"])
    with pytest.raises(SystemExit, match="-f must name a YAML file"):
        run_chapter.main(["hessian", "-f", str(tmp_path / "missing.yaml")])
    with pytest.raises(SystemExit, match="--build rebuilds the book after an in-place run"):
        run_chapter.main(["hessian", str(tmp_path / "out.ipynb"), "--build"])


def test_values_mean_what_papermill_makes_of_them(tmp_path):
    file = tmp_path / "params.yaml"
    file.write_text("seeds: [0, 1]\nrate: 0.5\nname: from-file\n")
    args = run_chapter.parse_args(
        ["mnist", "-f", str(file), "-y", "rate: 0.25", "-p", "epochs", "3", "-p", "subset", "None"]
        + ["-p", "name", "x", "-r", "raw", "3", "-p", "flag", "True", "-p", "lr", "1e-3"]
    )
    assert run_chapter.collect_parameters(args) == {
        "seeds": [0, 1],
        "rate": 0.25,  # -y after -f
        "name": "x",  # -p after both
        "epochs": 3,
        "subset": None,
        "raw": "3",
        "flag": True,
        "lr": 1e-3,
    }
    late = run_chapter.parse_args(["hessian", "-p", "seed", "1", "out.ipynb"])  # any order, as with papermill
    assert (late.chapter, late.output, late.parameters) == ("hessian", "out.ipynb", [["seed", "1"]])


def test_a_correct_name_runs_the_chapter(tmp_path):
    out = tmp_path / "out.ipynb"
    run_chapter.main(["book/backward_correction.py", str(out), "-p", "seed", "3"])
    nb = nbformat.read(out, as_version=4)
    assert nb.metadata.papermill.parameters == {"seed": 3}
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "seed = 3" in injected[0].source
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert outputs and not [o for o in outputs if o.output_type == "error"]
