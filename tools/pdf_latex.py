"""Sphinx extension of the PDF build (``make pdf``; ``tools/book_config.py --pdf`` lists it): outputs' HTML tables
set as LaTeX tables with column widths that fit the page, numbered exercise references, titled proofs and
solutions, and a stand-in for the ``bbm`` package. Every change is to the LaTeX builder's output only.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform


class _HtmlTable(HTMLParser):
    """The cells of the tables in an HTML fragment: ``tables`` counts them, ``head`` and ``body`` are lists of rows,
    each a list of ``(text, colspan, rowspan)``. Text outside cells (a ``<style>`` block) is ignored."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables, self.head, self.body = 0, [], []
        self._in_head, self._cell = False, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables += 1
        elif tag in ("thead", "tbody"):
            self._in_head = tag == "thead"
        elif tag == "tr":
            (self.head if self._in_head else self.body).append([])
        elif tag in ("th", "td"):
            span = dict(attrs)
            self._cell = ["", int(span.get("colspan") or 1), int(span.get("rowspan") or 1)]
            (self.head if self._in_head else self.body)[-1].append(self._cell)
        elif tag == "br" and self._cell is not None:
            self._cell[0] += " "

    def handle_endtag(self, tag):
        if tag in ("th", "td"):
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[0] += data


def _grid(rows):
    """Rows of ``(text, colspan, rowspan)`` as a rectangular list of rows of str: a spanning cell's text in its first
    slot, the slots it also covers empty."""
    slots = {}
    for r, row in enumerate(rows):
        c = 0
        for text, colspan, rowspan in row:
            while (r, c) in slots:
                c += 1
            for dr in range(rowspan):
                for dc in range(colspan):
                    slots[r + dr, c + dc] = " ".join(text.split()) if dr == dc == 0 else ""
            c += colspan
    width = 1 + max((c for _, c in slots), default=-1)
    return [[slots.get((r, c), "") for c in range(width)] for r in range(len(rows))]


def html_table(html):
    """``(head, body)``, each a list of rows of cell texts, of the one table in ``html`` (a pandas DataFrame or
    Styler, or an ``lnc`` result table); ``None`` when ``html`` holds no table or several, or an empty one."""
    parser = _HtmlTable()
    parser.feed(html)
    parser.close()
    if parser.tables != 1 or not parser.body:
        return None
    head, body = _grid(parser.head), _grid(parser.body)
    width = max(len(row) for row in head + body)
    head, body = ([row + [""] * (width - len(row)) for row in rows] for rows in (head, body))
    if len(head) == 2 and not head[0][0] and not any(head[1][1:]):  # pandas: the index's name in a row of its own
        head = [head[1][:1] + head[0][1:]]
    return head, body


# tabulary sets a table at the normal size, sharing the width by how much text each column has; a column narrower
# than its longest word lets that word run into the next column. So a wide table (its rows, unwrapped, longer than
# WIDE_TABLE characters, or its columns' longest words longer together than NORMAL_LINE, what a line holds at the
# normal size) is set in \scriptsize with 3pt column gaps (a line holds about SMALL_LINE characters), with column
# widths chosen as a browser does: each column at least its longest word (an identifier may break after an "_"),
# the spare width shared by how much text each column lacks. It is a longtable, so that it breaks across pages.
WIDE_TABLE = 160
NORMAL_LINE = 75
SMALL_LINE = 110


def _pieces(text):
    """The parts of ``text`` that a line in a wide table never breaks: its words, cut after each ``_``."""
    return [piece for piece in re.split(r"\s+|(?<=_)", text) if piece]


def column_extent(rows):
    """``(least, natural)``: per column of ``rows`` (lists of str), the characters of its longest unbreakable piece
    and of its longest cell, one more each, as letters can be wider than the average one."""
    columns = list(zip(*rows))
    least = [1 + max([len(piece) for text in column for piece in _pieces(text)] or [0]) for column in columns]
    natural = [max(low, *(1 + len(text) for text in column)) for low, column in zip(least, columns)]
    return least, natural


def column_widths(rows, line=SMALL_LINE):
    """Widths in characters of the columns of ``rows`` (lists of str) in a line of ``line`` characters: each at least
    its ``least``, at most its ``natural`` extent (:func:`column_extent`), the spare width shared in proportion to
    what each column lacks."""
    least, natural = column_extent(rows)
    spare, wanted = line - sum(least), sum(natural) - sum(least)
    if spare <= 0 or wanted == 0:
        return least
    if wanted <= spare:
        return natural
    return [low + (high - low) * spare / wanted for low, high in zip(least, natural)]


_BREAK = nodes.raw("", r"\allowbreak{}", format="latex")


def _cell(text, wide):
    """A table cell's paragraph; in a wide table, LaTeX may break a line after an ``_``."""
    if not wide or "_" not in text:
        return nodes.paragraph(text=text)
    *heads, tail = text.split("_")
    children = [node for part in heads for node in (nodes.Text(part + "_"), _BREAK.deepcopy())]
    return nodes.paragraph("", "", *children, nodes.Text(tail))


def table_nodes(head, body):
    """Docutils nodes for a table of ``head`` and ``body`` (lists of rows of str), which Sphinx's LaTeX writer sets:
    the table, and for a wide one (see ``WIDE_TABLE``) its column widths and the LaTeX around it that sets it small."""
    least, natural = column_extent(head + body)
    wide = sum(natural) > WIDE_TABLE or sum(least) > NORMAL_LINE
    group = nodes.tgroup(cols=len(least))
    group += [nodes.colspec(colwidth=1) for _ in least]
    for part, rows in ((nodes.thead(), head), (nodes.tbody(), body)):
        if rows:
            for cells in rows:
                part += nodes.row("", *(nodes.entry("", _cell(text, wide)) for text in cells))
            group += part
    table = nodes.table("", group, classes=["colwidths-auto"])
    if not wide:
        return [table]
    table["classes"].append("longtable")
    tenths = [max(1, round(10 * w)) for w in column_widths(head + body)]
    spec = "".join(rf">{{\raggedright\arraybackslash}}\X{{{w}}}{{{sum(tenths)}}}" for w in tenths)
    return [
        nodes.raw("", r"\begingroup\scriptsize\setlength{\tabcolsep}{3pt}", format="latex"),
        addnodes.tabular_col_spec(spec=spec),
        table,
        nodes.raw("", r"\endgroup", format="latex"),
    ]


class HtmlTablesForLatex(SphinxPostTransform):
    """In LaTeX, an output that has an HTML table becomes that table. myst-nb would otherwise show its text/plain,
    which for a pandas Styler is ``<pandas.io.formats.style.Styler at 0x...>``, and for an ``lnc`` result table (a
    str) its repr with literal ``\\n``. Runs before myst-nb's choice of one mime type per output (priority 4)."""

    default_priority = 3
    formats = ("latex",)

    def run(self, **kwargs):
        for bundle in list(self.document.findall(nodes.container)):
            if bundle.get("nb_element") != "mime_bundle":
                continue
            html = [child for child in bundle.children if child.get("mime_type") == "text/html"]
            raw = [node for child in html for node in child.findall(nodes.raw) if node.get("format") == "html"]
            table = html_table("".join(node.astext() for node in raw)) if raw else None
            if table:
                bundle.replace_self(table_nodes(*table))


class ExerciseReferencesForLatex(SphinxPostTransform):
    """In LaTeX, a reference to an exercise in another chapter points at the exercise. sphinx-exercise labels an
    exercise ``exercise:<label>`` in LaTeX but links within its chapter only; a reference from another chapter
    pointed at ``<chapter>:<label>``, which does not exist (LaTeX: undefined reference). Runs just before
    sphinx-exercise's own link transform (priority 22), which then handles it as a reference within the chapter."""

    default_priority = 21
    formats = ("latex",)

    def run(self, **kwargs):
        registry = getattr(self.env, "sphinx_exercise_registry", {})
        for node in list(self.document.findall(nodes.reference)):
            label = node.get("refuri", "").partition("#")[2]
            if node.get("refuri", "").startswith("%") and registry.get(label, {}).get("type") == "exercise":
                del node["refuri"]
                node["refid"] = label


class ProofTitlesForLatex(SphinxPostTransform):
    """In LaTeX, a proof's box has "Proof" in its title bar (sphinx-proof gives the box no title, so LaTeX drew an
    empty bar and took the first paragraph for the title), and the body loses its leading "Proof. "."""

    default_priority = 20
    formats = ("latex",)

    def run(self, **kwargs):
        for box in self.document.findall(nodes.admonition):
            if "proof" not in box["classes"] or (box.children and isinstance(box[0], nodes.title)):
                continue
            first = box.next_node(nodes.Text)
            if first is not None and first.startswith("Proof. "):
                first.parent.replace(first, nodes.Text(first[len("Proof. ") :]))
            box.insert(0, nodes.title(text="Proof"))


class SolutionTitlesForLatex(SphinxPostTransform):
    """In LaTeX, "Solution to Exercise 3" keeps its space: sphinx-exercise puts it at the start of the link
    (``\\hyperref[...]{ Exercise 3}``), where LaTeX drops it. Runs after sphinx-exercise titles solutions (21)."""

    default_priority = 25
    formats = ("latex",)

    def run(self, **kwargs):
        for title in self.document.findall(nodes.title):
            for link in list(title.findall(nodes.reference)):
                text = link.next_node(nodes.Text)
                if text is not None and text.startswith(" "):
                    text.parent.replace(text, nodes.Text(text.lstrip()))
                    link.parent.insert(link.parent.index(link), nodes.Text(" "))


# jupyter-book's LaTeX class (jupyterBook.cls) loads bbm, whose only Debian package is texlive-fonts-extra (about
# 1.4 GB). The book never writes \mathbbm (it writes \mathbb), so a two-line stand-in does, in the LaTeX folder only.
BBM_STUB = "\\ProvidesPackage{bbm}[2026/01/01 make pdf: mathbbm is mathbb]\n\\newcommand*{\\mathbbm}{\\mathbb}\n"


def _write_bbm_stub(app):
    if app.builder.format == "latex":
        Path(app.outdir, "bbm.sty").write_text(BBM_STUB)


def setup(app):
    """Sphinx extension of the PDF build (``config(pdf=True)`` lists it); every change is to LaTeX output only."""
    app.add_post_transform(HtmlTablesForLatex)
    app.add_post_transform(ExerciseReferencesForLatex)
    app.add_post_transform(ProofTitlesForLatex)
    app.add_post_transform(SolutionTitlesForLatex)
    app.connect("builder-inited", _write_bbm_stub)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
