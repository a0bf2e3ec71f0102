"""Print the book's configuration (_config.yml) with what a build for readers adds, as YAML for
``jupyter-book build --config``:

    python tools/book_config.py [--repository URL [--branch BRANCH]] [--hide-solutions] [--pdf]

``--repository`` (the Pages workflow passes the repository it runs in): the repository, source, edit and issue
buttons, and the launch buttons (Binder and Colab) that open a chapter's notebook from that repository and branch.
``--hide-solutions``: the students' edition, without the exercises' solutions (sphinx-exercise's
``hide_solutions``; the gated solutions' cells are taken out by ``tools/students.py``).
``--pdf``: the LaTeX settings of ``make pdf`` (xelatex, for the book's Unicode; one-sided pages; code in a font
size that fits 88-character lines), and ``tools/pdf_latex.py``, a Sphinx extension for the LaTeX builder only
(``make pdf`` puts ``tools/`` on ``PYTHONPATH``). The HTML build never loads it.
"""

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

# The PDF's LaTeX settings. jupyter-book's LaTeX extension (sphinx-jupyterbook-latex) appends its own preamble and
# picks xelatex too; latex_engine is set here as well so that the choice does not rest on that extension's default.
PDF_LATEX = {
    "latex_engine": "xelatex",
    "use_jupyterbook_latex": True,
    "latex_documents": {"targetname": "lnc-book.tex"},
}
PDF_PREAMBLE = r"""
% make pdf (tools/book_config.py --pdf)
\makeatletter
% The chapter in the header, wrapped when long, and the page number alone in the footer: a long chapter title
% never runs over the page number.
\fancypagestyle{normal}{%
  \fancyhf{}%
  \fancyhead[R]{\parbox[b]{\textwidth}{\raggedleft\py@HeaderFamily\nouppercase{\leftmark}}}%
  \fancyfoot[C]{{\py@HeaderFamily\thepage}}%
  \renewcommand{\headrulewidth}{0.4pt}%
  \renewcommand{\footrulewidth}{0pt}}
\setlength{\headheight}{24pt}
\addtolength{\topmargin}{-12pt}
% The introduction follows the table of contents: its pages are headed with the book's title, not "CONTENTS".
\g@addto@macro\sphinxtableofcontents{\markboth{\@title}{\@title}}
% tabulary's narrowest squeezed column (Sphinx: three digits) holds a word such as "Experiments" unbroken.
\setlength{\tymin}{80pt}
% Inline code (a parameter name such as selection_results_dir in a narrow column) may break after an underscore.
\let\lnc@sphinxupquote\sphinxupquote
\protected\def\sphinxupquote#1{{\def\_{\textunderscore\allowbreak}\lnc@sphinxupquote{#1}}}
% \boldsymbol (the vector of losses, a bold \ell) needs a bold math font: Latin Modern Math has none, so a fake one.
\AtBeginDocument{\setmathfont{latinmodern-math.otf}[version=bold,FakeBold=2]}
% A figure's image is at most 85% of the text height, so that a tall grid of heat maps and its caption fit a page.
\AtBeginDocument{\spx@image@maxheight=.85\textheight}
\makeatother
"""
PDF_SPHINX_CONFIG = {
    # No "Proof Index" of raw labels at the end (html_domain_indices: false does the same for the HTML).
    "latex_domain_indices": False,
    "latex_elements": {
        # A PDF read on a screen: no blank left-hand pages before chapters.
        "extraclassoptions": "openany,oneside",
        # The book's code lines are at most 88 characters: \footnotesize fits them in the text width unwrapped.
        "fvset": r"\fvset{fontsize=\footnotesize}",
        "preamble": PDF_PREAMBLE,
    },
}


def config(repository=None, branch="main", hide_solutions=False, pdf=False):
    """The book's configuration as a dict, with the buttons of ``repository``, hidden solutions and/or the PDF's
    LaTeX settings."""
    book = yaml.safe_load((ROOT / "_config.yml").read_text())
    if repository:
        book["repository"] = {"url": repository.rstrip("/"), "branch": branch, "path_to_book": ""}
        buttons = dict.fromkeys(("use_repository_button", "use_edit_page_button", "use_issues_button"), True)
        book["html"] = {**book.get("html", {}), **buttons}
        book["launch_buttons"] = {
            "binderhub_url": "https://mybinder.org",
            "colab_url": "https://colab.research.google.com",
            "notebook_interface": "classic",
        }
    if hide_solutions:
        book["title"] += " (students' edition)"
        sphinx = book.setdefault("sphinx", {}).setdefault("config", {})
        sphinx["hide_solutions"] = True
    if pdf:
        book["latex"] = {**book.get("latex", {}), **PDF_LATEX}
        sphinx = book.setdefault("sphinx", {})
        sphinx["extra_extensions"] = [*sphinx.get("extra_extensions", []), "pdf_latex"]
        sphinx_config = sphinx.setdefault("config", {})
        for key, value in PDF_SPHINX_CONFIG.items():
            sphinx_config[key] = {**sphinx_config.get(key, {}), **value} if isinstance(value, dict) else value
    return book


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repository")
    parser.add_argument("--branch", default="main")
    parser.add_argument("--hide-solutions", action="store_true")
    parser.add_argument("--pdf", action="store_true")
    args = parser.parse_args(argv)
    if args.repository and not args.repository.startswith("https://"):
        sys.exit(f"book_config: --repository must be an https:// URL, got {args.repository!r}")
    book = config(args.repository, args.branch, args.hide_solutions, args.pdf)
    yaml.safe_dump(book, sys.stdout, sort_keys=False)


if __name__ == "__main__":
    main()
