"""Print the book's configuration (_config.yml) with what a build for readers adds, as YAML for
``jupyter-book build --config``:

    python tools/book_config.py [--repository URL [--branch BRANCH]] [--hide-solutions]

``--repository`` (the Pages workflow passes the repository it runs in): the repository, source, edit and issue
buttons, and the launch buttons (Binder and Colab) that open a chapter's notebook from that repository and branch.
``--hide-solutions``: the students' edition, without the exercises' solutions (sphinx-exercise's
``hide_solutions``; the gated solutions' cells are taken out by ``tools/students.py``).
"""

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def config(repository=None, branch="main", hide_solutions=False):
    """The book's configuration as a dict, with the buttons of ``repository`` and/or hidden solutions."""
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
    return book


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repository")
    parser.add_argument("--branch", default="main")
    parser.add_argument("--hide-solutions", action="store_true")
    args = parser.parse_args(argv)
    if args.repository and not args.repository.startswith("https://"):
        sys.exit(f"book_config: --repository must be an https:// URL, got {args.repository!r}")
    yaml.safe_dump(config(args.repository, args.branch, args.hide_solutions), sys.stdout, sort_keys=False)


if __name__ == "__main__":
    main()
