"""Re-run a chapter of the book with papermill, after checking every parameter name against the chapter's own.

    python tools/run_chapter.py <chapter> [out.ipynb] [-p NAME VALUE]... [-r NAME VALUE]... [-y YAML]... [-f FILE]...
        [--build]

``-p``, ``-r``, ``-y`` and ``-f`` are papermill's: ``-p`` reads ``True``, ``False``, ``None``, ints and floats
as such and anything else as a string, ``-r`` keeps the string, ``-y`` is a YAML mapping and ``-f`` a YAML file of
one (lists: ``-y "seeds: [0, 1]"``); later kinds win, in papermill's order ``-f``, ``-y``, ``-p``, ``-r``.

A name that is not one of the chapter's parameters (``-p epoch 1`` for ``epochs``) fails at once, listing the
valid names, instead of papermill's warning followed by a run with the defaults. The kernel runs in the
repository root, so relative paths in parameters are relative to it.

Without ``out.ipynb`` the chapter is re-executed in place (``book/<chapter>.ipynb``, as ``make run-<chapter>``
does) and its ``.py`` pair re-synced with jupytext; ``--build`` then rebuilds the book (``jupyter-book build .
-W -n --keep-going``, the whole book), otherwise the command that does is printed. A pair whose ``.py`` and
``.ipynb`` differ is synced first (``jupytext --sync``), so the edited source is what runs.
"""

import argparse
import contextlib
import difflib
import subprocess
import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat
import papermill
import yaml
from papermill.iorw import NoDatesSafeLoader

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
BIN = Path(sys.executable).parent
BUILD = ["jupyter-book", "build", ".", "-W", "-n", "--keep-going"]


def parse_args(argv=None):
    """The command line as an :class:`argparse.Namespace`."""
    parser = argparse.ArgumentParser(
        prog="python tools/run_chapter.py",
        description=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Example: python tools/run_chapter.py backward_correction /tmp/out.ipynb -p num_classes 4",
    )
    parser.add_argument("chapter", help="a chapter name (backward_correction), or its book/<chapter>.ipynb or .py")
    parser.add_argument("output", nargs="?", help="where the executed notebook goes; omitted: the chapter in place")
    add = parser.add_argument
    pair = dict(nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    add("-p", "--parameters", **pair, help="a parameter; True, False, None and numbers as such")
    add("-r", "--parameters_raw", **pair, help="a parameter kept as a string")
    add("-y", "--parameters_yaml", action="append", default=[], metavar="YAML", help="a YAML mapping of parameters")
    add("-f", "--parameters_file", action="append", default=[], metavar="FILE", help="a YAML file of parameters")
    add("--build", action="store_true", help="after an in-place run, rebuild the book")
    return parser.parse_intermixed_args(argv)  # the output may follow the parameters, as with papermill


def resolve_type(value):
    """A ``-p`` value as papermill reads it: ``True``/``False``/``None``, an int, a float, else the string."""
    if value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[value]
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def _yaml_mapping(text, where):
    try:
        loaded = yaml.load(text, Loader=NoDatesSafeLoader)
    except yaml.YAMLError as err:
        raise ValueError(f"{where} must be YAML, got {text!r}: {err}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ValueError(f"{where} must be a YAML mapping 'name: value', got {text!r}")
    return loaded


def collect_parameters(args):
    """The parameters dict of the command line, merged in papermill's order: ``-f``, ``-y``, ``-p``, ``-r``."""
    parameters = {}
    for file in args.parameters_file:
        path = Path(file)
        if not path.is_file():
            raise ValueError(f"-f must name a YAML file, got {file!r} (no such file)")
        parameters.update(_yaml_mapping(path.read_text(), f"-f {file}"))
    for text in args.parameters_yaml:
        parameters.update(_yaml_mapping(text, "-y"))
    parameters.update({name: resolve_type(value) for name, value in args.parameters})
    parameters.update(dict(args.parameters_raw))
    return parameters


def chapter_paths(chapter):
    """``(book/<name>.ipynb, book/<name>.py)`` of a chapter given as a name or as either path."""
    path = Path(chapter)
    name = path.stem if path.suffix in (".ipynb", ".py") else path.name
    ipynb = BOOK / f"{name}.ipynb"
    if not ipynb.is_file():
        names = ", ".join(sorted(p.stem for p in BOOK.glob("*.ipynb")))
        raise ValueError(f"chapter must be one of the book's chapters ({names}), got {chapter!r}")
    return ipynb, ipynb.with_suffix(".py")


def in_sync(ipynb, py):
    """Whether the ``.py`` pair is what jupytext writes from the ``.ipynb`` (the test of tests/test_notebooks)."""
    return not py.exists() or jupytext.writes(jupytext.read(ipynb), fmt="py:percent") == py.read_text()


def chapter_parameters(ipynb, py):
    """``{name: papermill's description}`` of the chapter's ``parameters`` cell, read from the newer of the pair
    (the source that a sync keeps), without changing either file."""
    newer = py if py.exists() and py.stat().st_mtime > ipynb.stat().st_mtime else ipynb
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / ipynb.name
        nbformat.write(jupytext.read(newer), copy)
        return papermill.inspect_notebook(copy)


def check_names(parameters, known, chapter):
    """Raise ``ValueError`` naming every unknown parameter, its likely meaning, and the valid names."""
    unknown = [name for name in parameters if name not in known]
    if not unknown:
        return
    if not known:
        raise ValueError(f"book/{chapter} has no parameters cell, so it takes no parameters; got {unknown}")
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1)
        hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    valid = ", ".join(f"{name} (default {info['default']})" for name, info in known.items())
    raise ValueError(
        f"book/{chapter} has no parameter {', '.join(hints)}; nothing was run. Its parameters are: {valid}"
    )


def jupytext_sync(path):
    subprocess.run([sys.executable, "-m", "jupytext", "--sync", str(path)], check=True)


def main(argv=None):
    args = parse_args(argv)
    try:
        ipynb, py = chapter_paths(args.chapter)
        if args.build and args.output:
            raise ValueError(f"--build rebuilds the book after an in-place run; drop it or {args.output!r}")
        parameters = collect_parameters(args)
        check_names(parameters, chapter_parameters(ipynb, py), ipynb.name)
    except ValueError as err:
        sys.exit(f"run_chapter: {err}")
    output = Path(args.output).resolve() if args.output else ipynb
    in_place = output == ipynb
    if not in_sync(ipynb, py):
        jupytext_sync(py)
    with contextlib.chdir(ROOT):  # papermill's metadata keeps book/<chapter>.ipynb, not this machine's path
        source = ipynb.relative_to(ROOT)
        papermill.execute_notebook(
            str(source), str(source if in_place else output), parameters=parameters, cwd=str(ROOT)
        )
    if not in_place:
        print(f"run_chapter: executed {source} into {output}")
        return
    jupytext_sync(ipynb)
    if args.build:
        subprocess.run([str(BIN / BUILD[0]), *BUILD[1:]], cwd=ROOT, check=True)
    else:
        print(f"run_chapter: re-executed {source} in place; rebuild the book with `make book` ({' '.join(BUILD)})")


if __name__ == "__main__":
    main()
