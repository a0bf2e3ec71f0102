"""tools/students.py: the students' edition keeps every exercise and drops every solution, gated ones spanning
cells included."""

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
_spec = importlib.util.spec_from_file_location("students", ROOT / "tools" / "students.py")
students = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(students)


def notebook(*cells):
    make = {"md": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    return nbformat.v4.new_notebook(cells=[make[kind](source) for kind, source in cells])


def test_a_gated_solution_is_cut_with_its_code_cells_and_the_exercise_stays():
    nb = notebook(
        ("md", "```{exercise}\n:label: ex-a\nWhy?\n```\n\n```{solution-start} ex-a\n:class: dropdown\n```\n"),
        ("code", "print('the answer')"),
        ("md", "Because.\n\n```{solution-end}\n```\n\nAfter the solution."),
        ("code", "print('next section')"),
    )
    kept = students.strip_notebook(nb)
    text = "\n".join(cell.source for cell in kept.cells)
    assert "```{exercise}\n:label: ex-a\nWhy?\n```" in text and "After the solution." in text
    assert "the answer" not in text and "Because." not in text and "solution-" not in text
    assert [cell.cell_type for cell in kept.cells] == ["markdown", "markdown", "code"]


def test_a_solution_left_open_is_an_error():
    with pytest.raises(ValueError, match="solution-start has no solution-end"):
        students.strip_notebook(notebook(("md", "```{solution-start} ex-a\n```\n"), ("code", "1")))


@pytest.mark.parametrize("page", sorted((ROOT / "book").glob("*.ipynb")), ids=lambda p: p.stem)
def test_no_chapter_keeps_a_gated_solution(page):
    original = nbformat.read(page, as_version=4)
    exercises = sum(cell.source.count("```{exercise}") for cell in original.cells)
    kept = students.strip_notebook(original)
    text = "\n".join(cell.source for cell in kept.cells)
    assert "{solution-start}" not in text and "{solution-end}" not in text
    assert text.count("```{exercise}") == exercises


def test_the_book_config_adds_the_buttons_of_the_repository_it_is_given():
    import book_config

    book = book_config.config("https://github.com/someone/lnc/", branch="dev")
    assert book["repository"] == {"url": "https://github.com/someone/lnc", "branch": "dev", "path_to_book": ""}
    assert book["html"]["use_edit_page_button"] and book["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert (
        "repository" not in book_config.config()
        and book_config.config(hide_solutions=True)["sphinx"]["config"]["hide_solutions"]
    )
