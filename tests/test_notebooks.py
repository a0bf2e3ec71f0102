"""Guards for the stored chapters: executed top to bottom (else nbval compares nothing) and in sync with
their py:percent pair; papermill-ready (a kernelspec and at most one `parameters` cell); goldens that run the
chapter's current code; code lines that fit the page."""

from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
GOLDENS = sorted((ROOT / "tests" / "golden").glob("*.ipynb"))
NOTEBOOKS = CHAPTERS + GOLDENS


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_outputs_are_from_a_clean_top_to_bottom_run(nb_path):
    nb = nbformat.read(nb_path, as_version=4)
    counts = [cell.execution_count for cell in nb.cells if cell.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), f"{nb_path.name}: re-run top to bottom and save ({counts})"
    errors = [
        out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs if out.output_type == "error"
    ]
    assert not errors, f"{nb_path.name} stores an error output"


@pytest.mark.parametrize("nb_path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_is_in_sync_with_its_percent_script(nb_path):
    pair = nb_path.with_suffix(".py")
    assert pair.exists(), f"{nb_path.name} has no py:percent pair (jupytext --set-formats ipynb,py:percent)"
    assert jupytext.writes(jupytext.read(nb_path), fmt="py:percent") == pair.read_text(), (
        f"{nb_path.name} and {pair.name} differ: run jupytext --sync {pair}"
    )


@pytest.mark.parametrize("nb_path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_is_papermill_ready(nb_path):
    nb = nbformat.read(nb_path, as_version=4)
    assert nb.metadata.get("kernelspec", {}).get("name"), f"{nb_path.name} has no kernelspec"
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) <= 1, f"{nb_path.name} has {len(tagged)} cells tagged 'parameters'"


def _code(nb_path):
    """The code cells of a notebook, parameter cells (its defaults, papermill's injected ones) left out."""
    nb = nbformat.read(nb_path, as_version=4)
    skip = {"parameters", "injected-parameters"}
    return [c.source for c in nb.cells if c.cell_type == "code" and not skip & set(c.metadata.get("tags", []))]


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda p: p.stem)
def test_golden_runs_the_chapters_code(golden):
    chapter = ROOT / "book" / golden.name
    assert _code(golden) == _code(chapter), (
        f"{golden.name} tests older code than book/{golden.name}: run make goldens (or the chapter's papermill line)"
    )


CODE_WIDTH = 88  # STYLE: a chapter's code fits the rendered page without a scroll bar


@pytest.mark.parametrize("nb_path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_code_fits_the_page(nb_path):
    nb = nbformat.read(nb_path, as_version=4)
    code = (line for c in nb.cells if c.cell_type == "code" for line in c.source.splitlines())
    long = [line for line in code if len(line) > CODE_WIDTH]
    assert not long, f"{nb_path.name}: code lines over {CODE_WIDTH} characters: {long}"


def test_every_chapter_is_in_the_toc():
    toc = (ROOT / "_toc.yml").read_text()
    for path in list((ROOT / "book").glob("*.ipynb")) + list((ROOT / "book").glob("*.md")):
        assert f"book/{path.stem}" in toc, f"{path.name} is not in _toc.yml"
