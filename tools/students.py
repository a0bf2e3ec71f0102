"""Build the students' edition of the book: the same pages without the exercises' solutions.

    python tools/students.py [OUT]      (default OUT: _build/students; the HTML lands in OUT/_build/html)

The book's sources are copied to ``OUT`` with every solution taken out: a gated solution (from its
``solution-start`` directive to its ``solution-end``, code cells between included) is cut from the notebooks and
pages, and a plain ``solution`` directive is hidden by sphinx-exercise's ``hide_solutions``
(``tools/book_config.py --hide-solutions``). The exercises stay, with their labels, so that a course can refer
to them. The build is the book's (``jupyter-book build -W -n --keep-going``): it fails on any warning.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from book_config import ROOT, config  # noqa: E402

START = re.compile(r"^```\{solution-start\}.*?^```[ \t]*\n?", re.M | re.S)
END = re.compile(r"^```\{solution-end\}[ \t]*\n```[ \t]*\n?", re.M)


def strip_text(text, inside):
    """``(text without its solutions, whether a solution is still open at its end)``: ``inside`` says whether one
    was open at its start (a gated solution spans cells)."""
    kept, position = [], 0
    while True:
        if inside:
            end = END.search(text, position)
            if end is None:
                return "".join(kept), True
            position, inside = end.end(), False
        else:
            start = START.search(text, position)
            if start is None:
                kept.append(text[position:])
                return "".join(kept), False
            kept.append(text[position : start.start()])
            position, inside = start.end(), True


def strip_notebook(notebook):
    """``notebook`` (nbformat) without its gated solutions; raises ValueError on a solution left open."""
    cells, inside = [], False
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source, inside_after = strip_text(cell.source, inside)
            if cell.source.strip():
                cells.append(cell)
            inside = inside_after
        elif not inside:
            cells.append(cell)
    if inside:
        raise ValueError("a solution-start has no solution-end")
    notebook.cells = cells
    return notebook


def sources():
    """The files the book is built from: _toc.yml's pages, their bibliography, and the static folders."""
    return [ROOT / "_toc.yml", ROOT / "book", ROOT / "_static", ROOT / "_vendor"]


def build(out):
    out = Path(out).resolve()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for path in sources():
        target = out / path.name
        if path.is_dir():
            shutil.copytree(path, target, ignore=shutil.ignore_patterns("*.py", ".ipynb_checkpoints"))
        else:
            shutil.copy2(path, target)
    for page in (out / "book").glob("*.ipynb"):
        notebook = strip_notebook(nbformat.read(page, as_version=4))
        nbformat.write(notebook, page)
    for page in (out / "book").glob("*.md"):
        text, inside = strip_text(page.read_text(), False)
        if inside:
            raise ValueError(f"{page.name}: a solution-start has no solution-end")
        page.write_text(text)
    (out / "_config.yml").write_text(yaml.safe_dump(config(hide_solutions=True), sort_keys=False))
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(out), "-W", "-n", "--keep-going"]
    subprocess.run(command, check=True)
    return out / "_build" / "html"


if __name__ == "__main__":
    print(f"students' edition: {build(sys.argv[1] if len(sys.argv) > 1 else ROOT / '_build' / 'students')}")
