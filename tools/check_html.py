"""Open every page of the built book in headless Chromium and fail on what a reader should never see.

Usage: python tools/check_html.py [_build/html]      check the book; one screenshot per page in _build/screenshots/
       python tools/check_html.py --self-check       check the checks on small pages made for the purpose

A page fails when its rendered DOM (window 1280x1400, after MathJax ran, offline) shows
- raw math: `$...$`, `\\(...\\)` or `\\[...\\]` text outside code blocks;
- a Python traceback: "Traceback (most recent call last)";
- an authoring leftover in its text: `shared/reference`, `paper_tables.md`, `cpu_speed.md`, "this machine";
- a code block (`pre`), a cell output (`.cell_output`) or a table that overflows horizontally: its content is wider
  than its box (scrollWidth > clientWidth), or it reaches past the right edge of the main content column;
- (chapter pages) an uncaptioned figure: an `img` in a cell output that is not inside a `figure` with a
  `figcaption` (a myst-nb `glue:figure` renders as one);
- at a phone's width (a second pass, window 390x844), math, code, an output, a table or an image that is cut off:
  it reaches past the window's right edge, or is wider than its own box, and neither it nor a box around it
  scrolls horizontally (content that scrolls can be read; content that is cut off cannot).

`--dump-dom` runs no script of ours, so the layout checks run in a copy of the page, written next to it (relative
links to CSS and JS keep working) with a script added: after `load` and MathJax it opens every collapsed block,
measures, and writes what it found into `<div id="lnc-check" data-found="[...]">`, which the dumped DOM carries back.
"""

import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=10000",
]
WIDE, NARROW = "--window-size=1280,1400", "--window-size=390,844"
"""The two windows: the desktop layout (overflow and figure checks) and a phone's (what is cut off)."""
CODE = re.compile(r"<(pre|code|script|style|mjx-container|textarea)\b.*?</\1>", re.S | re.I)
SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
RAW_MATH = re.compile(r"\\\(|\\\[|\$[^$\s][^$]*\$")
TAG = re.compile(r"<[^>]+>")
LEFTOVERS = re.compile(r"shared/reference[\w./-]*|paper_tables\.md|cpu_speed\.md|this\s+machine", re.I)
# Quotes are always escaped inside attribute values, so `"[^"]*"` spans the whole value.
MARKER = re.compile(r'<div id="lnc-check"[^>]*?\bdata-found="([^"]*)"[^>]*>\s*</div>')
# Pages without chapter figures: the landing page and the bibliography (genindex, search and the proof index lie
# outside book/ and are not checked at all).
NO_FIGURE_CHECK = {"intro.html", "references.html"}

# Runs in the page copy. Waits for MathJax (its typesetting changes widths), opens collapsed inputs and dropdowns
# so that their content is measured too, then records overflowing blocks and uncaptioned output images.
MEASURE_JS = """
(function () {
  function text(el) {
    return (el.textContent || "").replace(/\\s+/g, " ").trim().slice(0, 60);
  }
  function kind(el) {
    if (el.matches("table")) return "table";
    if (el.matches(".cell_output") || el.closest(".cell_output")) return "output";
    return "code block";
  }
  function overflows(el, column) {
    var right = el.getBoundingClientRect().right;
    var parent = el.parentElement;
    return el.scrollWidth > el.clientWidth + 1 || right > column.right + 1 ||
      (el.matches("table") && parent.scrollWidth > parent.clientWidth + 1);
  }
  function overflowing(root) {
    var column = root.getBoundingClientRect();
    var found = Array.prototype.filter.call(
      root.querySelectorAll("pre, table, .cell_output"), function (el) { return overflows(el, column); });
    // Report the innermost element: a wide `pre` also makes its `.cell_output` wide.
    return found.filter(function (el) {
      return !found.some(function (other) { return other !== el && el.contains(other); });
    }).map(function (el) {
      return kind(el) + " overflows by " + Math.max(el.scrollWidth - el.clientWidth,
        Math.round(el.getBoundingClientRect().right - column.right)) + " px: '" + text(el) + "'";
    });
  }
  function uncaptioned(root) {
    return Array.prototype.filter.call(root.querySelectorAll(".cell_output img"), function (img) {
      var figure = img.closest("figure");
      return !(figure && figure.querySelector("figcaption"));
    }).map(function (img) {
      var cell = img.closest(".cell");
      var input = cell && cell.querySelector(".cell_input");
      return "uncaptioned figure (output of '" + (input ? text(input) : img.getAttribute("src")) + "')";
    });
  }
  function scrolls(el) {
    var overflow = getComputedStyle(el).overflowX;
    return overflow === "auto" || overflow === "scroll";
  }
  function cutOff(root) {
    var width = document.documentElement.clientWidth;
    var items = root.querySelectorAll("mjx-container, pre, .cell_output, table, img");
    var found = Array.prototype.filter.call(items, function (el) {
      for (var box = el; box && box !== document.body; box = box.parentElement) {
        if (scrolls(box)) return false;
      }
      // An inline box reports its own right edge; a block box's content may run past it (scrollWidth).
      var box = el.getBoundingClientRect();
      var inline = getComputedStyle(el).display.indexOf("inline") === 0;
      return (inline ? box.right : box.left + el.scrollWidth) > width + 1;
    });
    return found.filter(function (el) {
      return !found.some(function (other) { return other !== el && el.contains(other); });
    }).map(function (el) {
      var name = el.matches("mjx-container") ? "math" : kind(el);
      var box = el.getBoundingClientRect();
      var by = Math.round(Math.max(box.right, box.left + el.scrollWidth) - width);
      return name + " cut off at 390 px by " + by + " px: '" + text(el) + "'";
    });
  }
  function expand() {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
    document.querySelectorAll(".toggle-hidden").forEach(function (e) { e.classList.remove("toggle-hidden"); });
  }
  function report() {
    expand();
    var root = document.querySelector(".bd-article") || document.querySelector("main") || document.body;
    var found = window.lncNarrow ? cutOff(root) : overflowing(root);
    if (window.lncFigures && !window.lncNarrow) found = found.concat(uncaptioned(root));
    var marker = document.createElement("div");
    marker.id = "lnc-check";
    marker.hidden = true;
    marker.dataset.found = JSON.stringify(found);
    document.body.appendChild(marker);
  }
  window.addEventListener("load", function () {
    var mj = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
    Promise.resolve(mj).then(function () { setTimeout(report, 1000); });
  });
})();
"""


def chromium(*args, window=WIDE):
    """Run headless Chromium with FLAGS, ``window`` and a throwaway profile; return its stdout."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if exe is None:
        sys.exit("check_html: no chromium found (`make browser` installs Debian's chromium)")
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [exe, *FLAGS, window, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout


def text_problems(dom):
    """Raw math, a traceback or an authoring leftover in the dumped DOM."""
    found = []
    if "Traceback (most recent call last)" in dom:
        found.append("a Python traceback")
    prose = TAG.sub(" ", CODE.sub(" ", dom))
    for match in RAW_MATH.finditer(prose):
        found.append(f"raw math {prose[match.start() : match.start() + 40]!r}")
    # Leftovers count in code and outputs too: the reader sees those as well.
    visible = html.unescape(TAG.sub(" ", SCRIPT.sub(" ", dom)))
    for match in LEFTOVERS.finditer(visible):
        context = " ".join(visible[max(match.start() - 30, 0) : match.end() + 30].split())
        found.append(f"authoring leftover {match.group(0)!r} in '...{context}...'")
    return found


def with_measuring_script(source, figures, narrow=False):
    """The page's HTML with MEASURE_JS added; `figures` turns the uncaptioned-figure check on, `narrow` measures
    what is cut off at the phone's width instead of what overflows."""
    flags = f"var lncFigures = {str(figures).lower()}; var lncNarrow = {str(narrow).lower()};"
    script = f"<script>{flags}{MEASURE_JS}</script>"
    if "</body>" in source:
        return source.replace("</body>", script + "</body>", 1)
    return source + script


def measured(page, figures, narrow=False):
    """Dump the DOM of a measuring copy of `page` (removed afterwards), in the phone's window when `narrow`;
    return (dom, layout problems)."""
    source = page.read_text(encoding="utf-8")
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=page.parent, prefix=".lnc-check-", suffix=".html", delete=False
    ) as copy:
        copy.write(with_measuring_script(source, figures, narrow))
    try:
        dom = chromium("--dump-dom", Path(copy.name).resolve().as_uri(), window=NARROW if narrow else WIDE)
    finally:
        Path(copy.name).unlink(missing_ok=True)
    marker = MARKER.search(dom)
    if marker is None:
        return dom, ["the layout check did not run (no #lnc-check marker in the DOM: script error or time budget)"]
    # The text checks must not see the marker: it quotes the page's own code and outputs.
    return MARKER.sub("", dom), json.loads(html.unescape(marker.group(1)))


def page_problems(page):
    """Every problem of one page: layout and figures (measured in the browser), then text, then what is cut off at
    the phone's width."""
    dom, found = measured(page, figures=page.name not in NO_FIGURE_CHECK)
    return found + text_problems(dom) + measured(page, figures=False, narrow=True)[1]


def main(root):
    """Check every page under root/book, save a screenshot of each, and exit non-zero if any page fails."""
    pages = sorted(p for p in (root / "book").glob("*.html") if not p.name.startswith(".lnc-check-"))
    if not pages:
        sys.exit(f"check_html: no pages under {root / 'book'}")
    shots = root.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    failed = []
    for page in pages:
        found = page_problems(page)
        chromium(f"--screenshot={shots / (page.stem + '.png')}", page.resolve().as_uri())
        chromium(f"--screenshot={shots / (page.stem + '-390px.png')}", page.resolve().as_uri(), window=NARROW)
        print(f"{page.relative_to(root)}: {'ok' if not found else f'{len(found)} problem(s)'}")
        for problem in found:
            print(f"  - {problem}")
        if found:
            failed.append(page.name)
    if failed:
        sys.exit(f"check_html: {len(failed)} of {len(pages)} pages fail: {', '.join(failed)}")
    print(f"check_html: {len(pages)} pages ok, screenshots in {shots}")


SELF_CHECK_PAGE = """<!DOCTYPE html><html><head><style>
  main {{ max-width: 600px; }} pre {{ overflow-x: auto; }} .wrap {{ overflow-x: auto; }}
  mjx-container {{ display: block; white-space: nowrap; }}
</style></head><body><main>
<div class="cell"><div class="cell_input"><pre>{code}</pre></div>
<div class="cell_output"><pre>{output}</pre></div></div>
<div class="cell"><div class="cell_input"><pre>plot_it()</pre></div>
<div class="cell_output"><img src="x.png" width="300" height="200"></div></div>
<div class="cell_output"><figure><img src="x.png" width="300" height="200">
<figcaption>Fig. 1</figcaption></figure></div>
<div class="wrap"><table><tr><td>{table}</td></tr></table></div>
<p>{prose}</p>
<mjx-container>{math}</mjx-container>
</main></body></html>
"""
# Each case: the page's parts, and the start of each problem it must raise (in order; nothing else).
SELF_CHECK_CASES = {
    "narrow": (
        dict(code="print(1)", output="short output", table="a narrow table", prose="We measured it.", math="x = 1"),
        ["uncaptioned figure"],
    ),
    "wide": (
        # The leftover in the code is quoted by the overflow message too: it must still count once. At 390 px the
        # code, output and table scroll (readable), the unbreakable formula does not (cut off).
        dict(
            code="# this machine\nx = " + "1 + " * 200,
            output="w" * 999,
            table="t" * 999,
            prose="On this machine.",
            math="x " * 200,
        ),  # fmt: skip
        ["code block", "output overflows", "table overflows", "uncaptioned figure"]
        + ["authoring leftover"] * 2
        + ["math cut off"],
    ),
}


def self_check():
    """Check the checks on two small pages, one narrow and one with a wide code block, output, table and formula
    and two leftovers (both with one captioned and one uncaptioned output image). Exits non-zero on a mismatch."""
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for name, (parts, expected) in SELF_CHECK_CASES.items():
            page = Path(tmp) / f"{name}.html"
            page.write_text(SELF_CHECK_PAGE.format(**parts), encoding="utf-8")
            found = page_problems(page)
            copies_left = [p.name for p in Path(tmp).iterdir() if p.name.startswith(".lnc-check-")]
            good = len(found) == len(expected) and all(f.startswith(e) for f, e in zip(found, expected))
            good &= not copies_left
            print(f"{name}: {'as expected' if good else f'EXPECTED {expected}'}")
            for problem in found:
                print(f"  - {problem}")
            ok &= good
    if not ok:
        sys.exit("check_html --self-check: FAILED")
    print("check_html --self-check: ok")


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-check"]:
        self_check()
    else:
        main(Path(sys.argv[1] if len(sys.argv) > 1 else "_build/html"))
