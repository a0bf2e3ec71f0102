"""The book's warnings: a re-executed page shows ``UserWarning: message``, not the checkout's file path."""

import subprocess
import sys
import warnings

from lnc.book.display import format_plain, plain_warnings


def test_format_plain_drops_the_path_and_line_number():
    text = format_plain(UserWarning("T is ill-conditioned"), UserWarning, "/home/me/lnc/lnc/losses.py", 411, "x")
    assert text == "UserWarning: T is ill-conditioned\n"
    assert format_plain("late", RuntimeWarning, "/tmp/a.py", 1) == "RuntimeWarning: late\n"


def test_plain_warnings_installs_the_formatter(monkeypatch):
    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)  # restored after the test
    assert plain_warnings() is None  # a cell ending with the call displays nothing
    assert warnings.formatwarning is format_plain
    plain_warnings()  # a second call changes nothing
    assert warnings.formatwarning is format_plain
    assert warnings.formatwarning("m", UserWarning, "/abs/lnc/noise.py", 3) == "UserWarning: m\n"


def test_a_warning_raised_in_lnc_prints_without_its_path():
    """What a notebook's stderr shows: the real warning of ``lnc.backward_loss`` on an ill-conditioned T."""
    code = (
        "import torch, lnc\n"
        "from lnc.book.display import plain_warnings\n"
        "plain_warnings()\n"
        "lnc.backward_loss(torch.zeros(1, 10), torch.tensor([0]), lnc.symmetric_T(10, 0.899))\n"
    )
    result = subprocess.run([sys.executable, "-W", "always", "-c", code], capture_output=True, text=True, check=True)
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("UserWarning: T is ill-conditioned (cond = ") for line in lines), lines
    assert ".py" not in result.stderr
