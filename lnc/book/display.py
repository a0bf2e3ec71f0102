"""What the book's pages show of the code's side output: warnings as ``UserWarning: message``, without the file
path and line number of the code that raised them (the checkout's, and they change with every edit)."""

import warnings


def format_plain(message, category, filename, lineno, line=None):
    """``"<Category>: <message>\\n"``: a warning without the file, line number and source line of its origin.

    Parameters
    ----------
    message : Warning or str
        The warning, or its text.
    category : type
        A subclass of :class:`Warning`, e.g. :class:`UserWarning`.
    filename, lineno, line
        Where it was raised; ignored (the signature of :func:`warnings.formatwarning`).

    Returns
    -------
    str
        The category's name, a colon and the message, ending with a newline.
    """
    return f"{category.__name__}: {message}\n"


def plain_warnings():
    """Show every warning of this process as ``UserWarning: message``, without a path (:func:`format_plain`).

    Installs :func:`format_plain` as :func:`warnings.formatwarning`, which :func:`warnings.showwarning` uses, so a
    re-executed chapter prints ``UserWarning: T is ill-conditioned ...`` instead of
    ``/home/me/lnc/lnc/losses.py:411: UserWarning: T is ill-conditioned ...``. It changes how warnings look, not
    which are shown (the filters are untouched). Call it once in a chapter's imports cell; calling it again changes
    nothing. Returns ``None``, so that a cell ending with the call displays nothing. Worker processes
    (``run_grid(..., workers=2)``) keep their own format.
    """
    warnings.formatwarning = format_plain
