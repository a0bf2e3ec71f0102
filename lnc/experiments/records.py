"""Run records: their identity, their files, stored folders, and a resume that trusts only what it has checked.

A record is a dict of JSON data: one training of :func:`lnc.experiments.protocol.run_protocol` (or of
:mod:`lnc.experiments.web`). Its **identity** (:data:`IDENTITY`) is every setting that changes its numbers: task,
noise and exact rate, method, seed, protocol, recipe, epochs, subset, the true T, estimator, cross-fitting, how
the epoch was selected, how a learned-T method trains its T. Its file name (:func:`record_name`) shows the first
few to people and ends with :func:`record_id`, a digest of the whole identity, so a run of other settings never
writes over a record.

A folder holding a file named :data:`STORED_MARK` is **stored**: the book's evidence. A grid reads it freely and
adds a job to it only when asked (``extend=True``), so a chapter re-run with other parameters cannot write into it.
Jobs take a file lock (:func:`job_lock`), so concurrent grids on one folder train each job once.
"""

import contextlib
import hashlib
import json
import math
import numbers
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from filelock import FileLock

from .._checks import check_fields, check_int, check_rate, describe
from .recipes import RECIPE_DEFAULTS

IDENTITY = ("task", "noise", "rate", "method", "seed", "protocol", "recipe", "epochs", "subset", "T_true",
            "estimator", "cross_fit", "selection", "pretrained", "method_options")  # fmt: skip
"""The fields that tell one run from another: two records that agree on all of them hold the same numbers."""
ADDED_LATER = ("method_options",)
"""Identity fields added after record ids existed: left out of the identity where ``None``, so that the records
written before them keep their names."""
IDENTITY_DEFAULTS = {"estimator": "anchor", "cross_fit": None, "selection": "val_loss", "pretrained": None}
"""The value of an identity field that a record written before the field existed has (its settings then)."""
NAME_FIELDS = ("task", "noise", "method")
"""Fields a file name shows, with ``estimator``; each must match :data:`NAME_PART`."""
NAME_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
"""A name in a file name: letters, digits, ``_``, ``-`` and ``.`` (and no ``..``), so the file stays in its folder."""
STORED_MARK = "STORED"
"""A folder holding a file of this name is stored: grids add jobs to it only with ``extend=True``."""
MIN_FREE_BYTES = 16 * 2**20
"""The free space a results folder must have before a training starts (a record takes at most a few 100 kB)."""
_NONE = object()  # a recipe field without a default


def identity(record):
    """The identity fields of ``record`` (:data:`IDENTITY`), a dict; a missing field takes its
    :data:`IDENTITY_DEFAULTS` value (else ``None``), and the recipe drops the fields at their default value, so that
    a new recipe field does not change the identity of older records; a field of :data:`ADDED_LATER` is left out
    where it is ``None``, for the same reason."""
    record = check_fields(record, name="record")
    fields = {key: record.get(key, IDENTITY_DEFAULTS.get(key)) for key in IDENTITY}
    fields = {key: value for key, value in fields.items() if value is not None or key not in ADDED_LATER}
    if isinstance(fields["recipe"], Mapping):
        fields["recipe"] = {k: v for k, v in fields["recipe"].items() if RECIPE_DEFAULTS.get(k, _NONE) != v}
    return fields


def record_id(record):
    """An 8-hex-digit digest of :func:`identity`: equal for two records exactly when their identities are equal
    (up to a 2**-32 chance)."""
    return _digest(identity(record), 8)


def record_name(record):
    """File name of a record: ``<task>_<noise>[-<rate>]_<method>[_<estimator>][_cf<k>]_seed<seed>_<id>.json``.

    ``estimator`` appears only when it is not ``"anchor"`` and ``cf<k>`` only when ``cross_fit`` is set; ``<id>`` is
    :func:`record_id`, so records of other protocols, recipes, epochs, subsets, exact rates or selections keep their
    own files.

    Raises
    ------
    TypeError, ValueError
        ``record`` is not a dict or lacks a field of the name; ``task``, ``noise``, ``method`` or ``estimator`` is
        not a str of letters, digits, ``_``, ``-`` and ``.`` (no path separator, no ``..``); ``rate`` is neither
        ``None`` nor in [0, 1]; ``seed`` is not an int >= 0; ``cross_fit`` is neither ``None`` nor an int >= 2.
    """
    record = check_fields(record, ("task", "noise", "rate", "method", "seed"), name="record")
    for field in NAME_FIELDS:
        _check_name_part(record[field], name=f"record[{field!r}]")
    estimator = _check_name_part(record.get("estimator", "anchor"), name="record['estimator']")
    rate = "" if record["rate"] is None else "-" + format(check_rate(record["rate"], name="record['rate']"), "g")
    seed = check_int(record["seed"], name="record['seed']", low=0)
    cross_fit = record.get("cross_fit")
    folds = "" if cross_fit is None else f"_cf{check_int(cross_fit, name='record[cross_fit]', low=2)}"
    extra = ("" if estimator == "anchor" else f"_{estimator}") + folds
    return f"{record['task']}_{record['noise']}{rate}_{record['method']}{extra}_seed{seed}_{record_id(record)}.json"


def check_results_dir(results_dir):
    """Return ``results_dir`` as a Path once it is known to be writable (created if needed, a probe file written
    and removed) with :data:`MIN_FREE_BYTES` free; ``None`` passes through. Called before each training, so that
    no training starts whose record could not be written.

    Raises
    ------
    TypeError
        ``results_dir`` is not a path.
    ValueError
        It cannot be created or written (a file, under a file, no write permission, a full disk).
    """
    if results_dir is None:
        return None
    path = _as_path(results_dir, name="results_dir")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-probe-"):
            pass
        free = shutil.disk_usage(path).free
    except OSError as err:
        raise ValueError(f"results_dir must be a folder that can be written, got '{path}' ({_why(err)})") from err
    if free < MIN_FREE_BYTES:
        raise ValueError(
            f"results_dir must have at least {MIN_FREE_BYTES // 2**20} MiB free before a training starts, got "
            f"'{path}' with {free / 2**20:.2f} MiB free"
        )
    return path


def save_record(record, results_dir):
    """Write ``record`` as indented JSON into ``results_dir`` (created if needed), named by :func:`record_name`;
    returns the path. The file is written whole or not at all (a temporary file, then renamed); a record that is not
    JSON data fails before anything is written.

    Raises
    ------
    TypeError, ValueError
        A field of the name is wrong (see :func:`record_name`); a value is not JSON data or is a non-finite float
        (the message names the field); ``results_dir`` cannot be written or is full (the message names it; no
        partial file is left).
    """
    name = record_name(record)
    _check_json(record, name="record")
    text = json.dumps(record, indent=1, allow_nan=False) + "\n"
    folder = _as_path(results_dir, name="results_dir")
    _write_whole(folder / name, lambda file: file.write(text.encode()))
    return folder / name


def posteriors_path(record, results_dir):
    """The file of a CE record's posteriors in ``results_dir``: the name of its record with the estimator
    ``"anchor"``, ending ``.npz``, so that the CE records that differ only in their estimator (one network) share it."""
    name = record_name({**record, "estimator": "anchor"})
    return _as_path(results_dir, name="results_dir") / name.replace(".json", ".npz")


def save_posteriors(record, results_dir, probs, noisy, clean):
    """Write the posteriors ``probs`` (N, c) of a CE record's network on its training + validation inputs, with
    their ``noisy`` and ``clean`` labels (N,), beside the record (:func:`posteriors_path`), whole or not at all;
    returns the path; a file already there is kept (the same network's). They let an estimator of ``T`` be
    evaluated on the network again without training it.

    Raises
    ------
    ValueError
        The shapes disagree, or ``results_dir`` cannot be written.
    """
    probs, noisy, clean = np.asarray(probs, np.float32), np.asarray(noisy), np.asarray(clean)
    if probs.ndim != 2 or noisy.shape != (len(probs),) or clean.shape != (len(probs),):
        raise ValueError(
            f"probs must be (N, c) and noisy and clean (N,), got shapes {probs.shape}, {noisy.shape}, {clean.shape}"
        )
    path = posteriors_path(record, results_dir)
    if path.is_file():
        return path
    _write_whole(path, lambda file: np.savez_compressed(file, probs=probs, noisy=noisy.astype(np.int16),
                                                        clean=clean.astype(np.int16)))  # fmt: skip
    return path


def _write_whole(path, write):
    """Create ``path``'s folder if needed and write the file whole or not at all: ``write(file)`` fills a temporary
    file (binary) beside it, which is then renamed. An ``OSError`` becomes a ``ValueError`` naming the folder and
    the file, and leaves nothing partial where the folder exists."""
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(part, "wb") as file:
            write(file)
        os.replace(part, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
        raise ValueError(
            f"results_dir must be a folder that can be written, got '{path.parent}' where {path.name} could not be "
            f"saved ({_why(err)})"
        ) from err


def load_posteriors(path):
    """``(probs, noisy, clean)`` from a file of :func:`save_posteriors`: float32 (N, c) and two int (N,)."""
    with np.load(_as_path(path, name="path")) as data:
        return data["probs"], data["noisy"].astype(np.int64), data["clean"].astype(np.int64)


def load_records(results_dir, **where):
    """All records in ``results_dir`` (sorted by file name) whose fields equal ``where``'s values.

    An existing folder without records gives ``[]``.

    Raises
    ------
    FileNotFoundError, NotADirectoryError
        ``results_dir`` does not exist, or is not a folder.
    ValueError
        A ``.json`` file does not hold a JSON object (a truncated write, say; the message names the file), or a
        key of ``where`` is a field of no record (a misspelt field would otherwise select nothing).
    """
    folder = _as_path(results_dir, name="results_dir")
    if not folder.is_dir():
        kind, why = (NotADirectoryError, "not a folder") if folder.exists() else (FileNotFoundError, "no such path")
        raise kind(f"results_dir must be an existing folder of records, got '{folder}' ({why})")
    records = [read_record(path) for path in sorted(folder.glob("*.json"))]
    fields = list(dict.fromkeys(field for r in records for field in r))
    unknown = [key for key in where if key not in fields]
    if records and unknown:
        raise ValueError(
            f"load_records() keyword {unknown[0]!r} must be a field of the records in '{folder}', one of {fields}"
        )
    return [r for r in records if all(r.get(k) == v for k, v in where.items())]


def read_record(path):
    """The record in the JSON file ``path``; a ``ValueError`` naming the file when it holds no JSON object."""
    try:
        record = json.loads(Path(path).read_text())
    except ValueError as err:  # invalid JSON or UTF-8: a truncated write or a foreign file
        raise ValueError(
            f"'{path}' must hold a JSON record, got invalid JSON ({err}); delete it or run it again"
        ) from err
    if not isinstance(record, dict):
        raise ValueError(f"'{path}' must hold a JSON record (an object), got a JSON {type(record).__name__}")
    return record


def stored_record(results_dir, expected):
    """The record of the run ``expected`` (its identity fields, :data:`IDENTITY`) stored in ``results_dir``, once
    checked; ``None`` when there is none, or when the stored one failed (a warning names its file, and the job
    runs again).

    Raises
    ------
    ValueError
        The file is damaged (no JSON object), holds another run (its identity differs from its name's), or lacks
        a result field of a successful run: it is never trusted nor written over. The message names the file.
    """
    path = _as_path(results_dir, name="results_dir") / record_name(expected)
    if not path.is_file():
        return None
    record = read_record(path)
    differs = [key for key, value in identity(expected).items() if identity(record)[key] != value]
    if differs:
        raise ValueError(
            f"'{path}' must hold the run its name says, got a record whose {differs[0]!r} differs "
            f"({describe(identity(record)[differs[0]])}); move it away to run the job again"
        )
    if record.get("status") == "failed":
        warnings.warn(f"'{path.name}' in '{results_dir}' is a failed run: the job runs again", stacklevel=3)
        return None
    problem = _result_problem(record)
    if problem:
        raise ValueError(f"'{path}' must hold a finished run, got a record whose {problem}; delete it to run it again")
    return record


def _result_problem(record):
    """What makes ``record`` no finished run (``None`` if it is one): its status and test accuracy."""
    if record.get("status") != "ok":
        return f"status is {record.get('status')!r}, not 'ok'"
    accuracy = record.get("test_accuracy")
    if isinstance(accuracy, bool) or not isinstance(accuracy, numbers.Real) or not 0 <= accuracy <= 1:
        return f"test_accuracy is {accuracy!r}, not a number in [0, 1]"
    return None


def is_stored(results_dir):
    """Whether ``results_dir`` (a path, or ``None``) is a stored folder (it holds :data:`STORED_MARK`)."""
    return results_dir is not None and (_as_path(results_dir, name="results_dir") / STORED_MARK).is_file()


def job_lock(results_dir, settings):
    """A :class:`filelock.FileLock` for the job whose records share ``settings`` (a dict of identity fields), in
    ``results_dir/.locks``: hold it while running the job, then re-read its records, so that a job is trained
    once however many processes run the grid."""
    folder = _as_path(results_dir, name="results_dir") / ".locks"
    folder.mkdir(parents=True, exist_ok=True)
    return FileLock(folder / f"job-{_digest(settings, 12)}.lock")


def _digest(data, digits):
    """The first ``digits`` hex digits of the SHA-256 of ``data`` as canonical JSON (sorted keys, no NaN)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()[:digits]


def _why(err):
    return err.strerror or str(err)


def _as_path(path, *, name):
    """Return ``path`` (a str or path-like) as a Path."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or pathlib.Path), got {type(path).__name__}")
    return Path(path)


def _check_name_part(part, *, name):
    if not isinstance(part, str):
        raise TypeError(f"{name} must be a str, got {type(part).__name__}")
    if not NAME_PART.fullmatch(part) or ".." in part:
        raise ValueError(f"{name} must hold only letters, digits, '_', '-' and '.' (no path, no '..'), got {part!r}")
    return part


def _check_json(value, *, name):
    """Check that ``value`` is JSON data: dicts, lists, tuples, str, int, bool, ``None`` and finite floats."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number (JSON has no NaN or inf), got {value}")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_json(item, name=f"{name}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        for k, item in enumerate(value):
            _check_json(item, name=f"{name}[{k}]")
    elif not isinstance(value, (str, int, float, type(None))):
        raise TypeError(
            f"{name} must be JSON data (dict, list, str, int, float, bool or None), got {type(value).__name__}"
        )
