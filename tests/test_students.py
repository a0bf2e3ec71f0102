"""The builds for readers: tools/students.py (the students' edition keeps every exercise and drops every
solution, gated ones spanning cells included), tools/book_config.py (buttons, hidden solutions, the PDF's
settings) and tools/pdf_latex.py (the PDF's tables)."""

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


def test_the_pdf_config_adds_xelatex_and_its_latex_extension_and_leaves_the_html_settings_alone():
    import book_config

    html, pdf = book_config.config(), book_config.config(pdf=True)
    assert pdf["latex"]["latex_engine"] == "xelatex" and pdf["latex"]["latex_documents"]["targetname"] == "lnc-book.tex"
    assert pdf["sphinx"]["extra_extensions"] == [*html["sphinx"]["extra_extensions"], "pdf_latex"]
    latex_only = {key: value for key, value in pdf["sphinx"]["config"].items() if not key.startswith("latex_")}
    assert latex_only == html["sphinx"]["config"] and "latex" not in html
    assert {key: value for key, value in pdf.items() if key not in ("latex", "sphinx")} == {
        key: value for key, value in html.items() if key != "sphinx"
    }


def test_an_html_table_with_spans_and_an_index_name_becomes_rows_of_cells():
    import pdf_latex

    # As pandas writes a Styler with a column group and a named index, written out by hand: "acc" spans two
    # columns, "mnist" two rows, and the index name sits in a header row of its own.
    html = (
        "<style>#T_x td {color: red}</style><table><thead>"
        '<tr><th></th><th colspan="2">acc</th><th>cond</th></tr>'
        "<tr><th>setting</th><th></th><th></th><th></th></tr></thead><tbody>"
        '<tr><th rowspan="2">mnist</th><td>97.9 &plusmn; 0.1</td><td>T&#770;</td><td>1.26</td></tr>'
        "<tr><td>96.8</td><td>T<br>hat</td><td>3.60</td></tr></tbody></table>"
    )
    head, body = pdf_latex.html_table(html)
    assert head == [["setting", "acc", "", "cond"]]
    assert body == [["mnist", "97.9 ± 0.1", "T\u0302", "1.26"], ["", "96.8", "T hat", "3.60"]]
    assert pdf_latex.html_table("<p>no table</p>") is None
    assert pdf_latex.html_table("<table><tr><td>1</td></tr></table>" * 2) is None


def test_a_wide_tables_columns_hold_their_longest_word_and_fill_the_line():
    import pdf_latex

    rows = [["folder", "estimators"], ["cifar10_fast", "anchor, confident_joint, " * 8], ["mnist", "anchor"]]
    least, natural = pdf_latex.column_extent(rows)
    assert least == [1 + len("cifar10_"), 1 + len("confident_")]  # an identifier may break after "_"
    assert natural == [1 + len("cifar10_fast"), 1 + len(rows[1][1])]
    widths = pdf_latex.column_widths(rows, line=60)
    assert all(w >= low for w, low in zip(widths, least)) and abs(sum(widths) - 60) < 1e-9
    assert pdf_latex.column_widths(rows, line=10) == least  # too narrow for even the words: the words win
    assert pdf_latex.column_widths(rows, line=1000) == natural
