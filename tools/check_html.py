"""Open every page of the built book in headless Chromium and fail on raw math or a Python traceback.

Usage: python tools/check_html.py [_build/html]. Saves one screenshot per page under _build/screenshots/.
The rendered DOM (after MathJax ran, offline) must hold no `$...$`, `\\(...\\)` or `\\[...\\]` text outside
code blocks, and no "Traceback (most recent call last)".
"""

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
    "--window-size=1280,1400",
]
CODE = re.compile(r"<(pre|code|script|style|mjx-container|textarea)\b.*?</\1>", re.S | re.I)
RAW_MATH = re.compile(r"\\\(|\\\[|\$[^$\s][^$]*\$")
TAG = re.compile(r"<[^>]+>")


def chromium(*args):
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if exe is None:
        sys.exit("check_html: no chromium found (`make browser` installs Debian's chromium)")
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [exe, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120, check=True
        ).stdout


def problems(dom):
    text = TAG.sub(" ", CODE.sub(" ", dom))
    found = []
    if "Traceback (most recent call last)" in dom:
        found.append("a Python traceback")
    for match in RAW_MATH.finditer(text):
        found.append(f"raw math {text[match.start() : match.start() + 40]!r}")
    return found


def main(root):
    pages = sorted(p for p in (root / "book").glob("*.html"))
    if not pages:
        sys.exit(f"check_html: no pages under {root / 'book'}")
    shots = root.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    failed = False
    for page in pages:
        url = page.resolve().as_uri()
        found = problems(chromium("--dump-dom", url))
        chromium(f"--screenshot={shots / (page.stem + '.png')}", url)
        print(f"{page.relative_to(root)}: {'ok' if not found else '; '.join(found[:3])}")
        failed |= bool(found)
    if failed:
        sys.exit("check_html: some pages show raw math or a traceback")
    print(f"check_html: {len(pages)} pages ok, screenshots in {shots}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "_build/html"))
