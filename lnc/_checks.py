"""Input validation shared by the modules of ``lnc``.

Each helper checks one kind of input and **returns** it converted; a wrong type raises ``TypeError``,
wrong content raises ``ValueError``, and every message names the argument, what was expected and what
was given. Nothing is clipped, renormalised, broadcast or modified. A tensor must hold data: a ``meta`` tensor
(a shape and a dtype, no values) is refused with ``TypeError`` (:func:`check_has_data`), since the checks read values.
"""

import contextlib
import contextvars
import math
import numbers
from collections.abc import Iterable, Mapping

import numpy as np
import torch

ROW_SUM_ATOL = 1e-6
"""Tolerance on the row sums of a transition matrix."""

PROBS_ROW_SUM_ATOL = 1e-3
"""Tolerance on the row sums of predicted probabilities (float32 softmax outputs)."""

REDUCTIONS = ("mean", "sum", "none")

NUMPY_FLOATS = (torch.float16, torch.float32, torch.float64)
LOGIT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
"""The floating dtypes that torch's losses compute in (not the float8 storage formats)."""


def as_float64_array(x, *, name):
    """Return a numpy or torch array-like of real numbers as a float64 numpy array (a copy when converting).

    Refuses what a conversion would silently change: complex numbers (the imaginary part would be dropped)
    and masked arrays (the mask would be ignored).
    """
    if isinstance(x, torch.Tensor):
        if x.is_complex() or x.is_quantized or x.layout != torch.strided or x.is_nested:
            raise TypeError(f"{name} must be an array of real numbers, got {describe(x)}")
        x = check_has_data(x, name=name).detach().cpu()
        # numpy has no bfloat16 or float8: those go through float64, which holds them exactly
        x = (x.double() if x.is_floating_point() and x.dtype not in NUMPY_FLOATS else x).numpy()
    if isinstance(x, (str, bytes)) or x is None or isinstance(x, np.ma.MaskedArray):
        raise TypeError(f"{name} must be an array of real numbers, got {type(x).__name__}")
    try:
        array = np.asarray(x)
    except (TypeError, ValueError) as err:  # ragged nested lists
        raise TypeError(f"{name} must be an array of real numbers, got {type(x).__name__}") from err
    if array.dtype.kind not in "biuf":
        got = f"dtype {array.dtype}" if isinstance(x, np.ndarray) or array.dtype != object else describe(x)
        raise TypeError(f"{name} must be an array of real numbers, got {got}")
    return array.astype(np.float64, copy=array.dtype != np.float64)


def check_transition_matrix(T, *, name="T", atol=ROW_SUM_ATOL):
    """Return T as float64 after checking: square, finite, non-negative, row-stochastic.

    ``T[i, j] = P(noisy = j | clean = i)``: rows are clean labels and sum to 1.
    """
    T = as_float64_array(T, name=name)
    if T.ndim != 2 or T.shape[0] != T.shape[1] or T.shape[0] < 2:
        raise ValueError(f"{name} must be a square (c, c) matrix with c >= 2, got shape {T.shape}")
    return _check_rows_in_simplex(
        T,
        name,
        atol,
        "be row-stochastic (rows clean, columns noisy)",
        "transpose a column-stochastic matrix (see lnc.from_cleanlab)",
    )


def check_probabilities(probs, *, name="probs", atol=PROBS_ROW_SUM_ATOL):
    """Return an ``(N, c)`` matrix of probabilities as float64 (rows in the simplex, within ``atol``)."""
    probs = as_float64_array(probs, name=name)
    if probs.ndim != 2 or probs.shape[0] < 1 or probs.shape[1] < 2:
        raise ValueError(f"{name} must have shape (N, c) with N >= 1 and c >= 2, got {probs.shape}")
    return _check_rows_in_simplex(
        probs, name, atol, "hold probabilities whose rows sum to 1", "pass softmax outputs, not logits"
    )


def _check_rows_in_simplex(x, name, atol, what, hint):
    """Return the 2-D array ``x`` after checking finite, non-negative entries and row sums within ``atol`` of 1."""
    wrong = ~(np.isfinite(x) & (x >= 0))
    if wrong.any():
        raise ValueError(f"{name} must be finite and non-negative, got {x[wrong][0]:.3g}")
    row_sums = x.sum(axis=1)
    bad = np.flatnonzero(np.abs(row_sums - 1.0) > atol)
    if bad.size:
        raise ValueError(f"{name} must {what}; row {bad[0]} sums to {row_sums[bad[0]]:.6g}; {hint}")
    return x


def check_labels(labels, num_classes, *, name="labels"):
    """Return a 1-D int64 numpy array of labels in ``[0, num_classes)``."""
    if isinstance(labels, torch.Tensor):
        if not _is_integer_tensor(labels):
            raise TypeError(f"{name} must be an integer array, got {describe(labels)}")
        labels = check_has_data(labels, name=name).detach().cpu().numpy()
    if isinstance(labels, (str, bytes)) or labels is None or isinstance(labels, np.ma.MaskedArray):
        raise TypeError(f"{name} must be an integer array (N,), got {type(labels).__name__}")
    try:
        array = np.asarray(labels)
    except (TypeError, ValueError) as err:  # ragged nested lists
        raise TypeError(f"{name} must be an integer array (N,), got {describe(labels)}") from err
    if array.dtype == object:  # a generator, a dict, a set, a list of non-numbers
        raise TypeError(f"{name} must be an integer array (N,), got {describe(labels)}")
    labels = array
    if labels.ndim != 1:
        raise ValueError(f"{name} must be 1-D (N,), got shape {labels.shape}")
    if labels.dtype.kind not in "iu" and not (labels.size == 0 and labels.dtype == np.float64):
        raise TypeError(f"{name} must be an integer array, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)][0]
        raise ValueError(f"{name} must lie in [0, {num_classes}), got {bad}")
    return labels.astype(np.int64, copy=False)


def check_bool(value, *, name):
    """Return ``value`` as a bool after checking it is one (a str such as ``"no"`` would otherwise count as true)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r:.40}")
    return bool(value)


def check_num_classes(num_classes, *, name="num_classes"):
    """Return ``num_classes`` as an int >= 2."""
    return check_int(num_classes, name=name, low=2)


def check_int(value, *, name, low=None, high=None):
    """Return ``value`` as a Python int in ``[low, high]`` (either bound optional); bools are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {describe(value)}")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f">= {low}" if high is None else f"<= {high}" if low is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be an int {bounds}, got {value}")
    return int(value)


def check_optional_int(value, *, name, low=None, high=None):
    """``None``, or :func:`check_int`."""
    return None if value is None else check_int(value, name=name, low=low, high=high)


def check_seed(seed, *, name="seed"):
    """Return a seed as an int >= 0 (the one seed rule of ``lnc``: no ``None``, no float, no str)."""
    return check_int(seed, name=name, low=0)


def check_choice(value, choices, *, name):
    """Return ``value`` after checking it is one of ``choices`` (a str is expected; lists are refused)."""
    if not isinstance(value, (str, type(None), numbers.Number)) or value not in choices:
        kind = TypeError if not isinstance(value, (str, type(None), numbers.Number)) else ValueError
        raise kind(f"{name} must be one of {tuple(choices)}, got {value!r}")
    return value


def check_sequence(values, *, name, item=None, nonempty=True):
    """Return ``values`` as a tuple: any iterable but a str, bytes or mapping (a generator is read once, here).

    ``item(value, name=...)`` checks and converts each element; ``nonempty`` refuses an empty sequence.
    """
    zero_d = isinstance(values, (np.ndarray, torch.Tensor)) and values.ndim == 0  # iterable, yet no items
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable) or zero_d:
        raise TypeError(f"{name} must be a sequence (list or tuple), got {describe(values)}")
    values = tuple(values)
    if nonempty and not values:
        raise ValueError(f"{name} must be a non-empty sequence, got an empty one")
    if item is not None:
        values = tuple(item(v, name=f"{name}[{k}]") for k, v in enumerate(values))
    return values


def check_mapping(value, *, name):
    """Return a mapping as a dict (``None`` as ``{}``) whose keys are str."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise TypeError(f"{name} must be a dict with str keys or None, got {describe(value)}")
    return dict(value)


def check_fields(record, fields=(), *, name):
    """Return ``record`` after checking it is a mapping (a record, a dict) that holds every key of ``fields``."""
    if not isinstance(record, Mapping):
        raise TypeError(f"{name} must be a record (a dict), got {type(record).__name__}")
    missing = [field for field in fields if field not in record]
    if missing:
        raise ValueError(f"{name} must have the field {missing[0]!r}, got the fields {list(record)}")
    return record


def check_real(value, *, name, positive=False, signed=False):
    """Return a finite real ``value`` as a float: >= 0, > 0 when ``positive``, of either sign when ``signed``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {describe(value)}")
    if not math.isfinite(value) or (not signed and (value < 0 or (positive and value == 0))):
        expected = "finite" if signed else f"a finite number {'> 0' if positive else '>= 0'}"
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return float(value)


def check_str(value, *, name):
    """Return ``value`` after checking it is a str."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {describe(value)}")
    return value


def check_rate(rate, *, name="rate", low=0.0, high=1.0):
    """Return ``rate`` as a float in the closed interval ``[low, high]``."""
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(rate).__name__}")
    if not (low <= rate <= high):  # also rejects NaN
        raise ValueError(f"{name} must lie in [{low}, {high}], got {rate}")
    return float(rate)


def check_reduction(reduction):
    """Return ``reduction`` after checking it is one of ``"mean"``, ``"sum"``, ``"none"``."""
    return check_choice(reduction, REDUCTIONS, name="reduction")


def check_logits_targets(logits, targets, *, num_classes=None, reduction=None, classes_of=None):
    """Return ``targets`` as int64 after checking ``logits`` (N, c) floating, ``targets`` (N,) integer in ``[0, c)``.

    Every integer dtype means class indices (a uint8 tensor would otherwise index as a boolean mask).
    ``num_classes=None`` takes c from ``logits``; ``classes_of`` names where a given ``num_classes`` comes from
    (``"T"``), so that a mismatch names both arguments. ``reduction="mean"`` refuses an empty batch, whose mean is
    undefined. The finiteness of ``logits`` is left to :func:`check_finite_loss` on the result (one check of the
    output instead of one of every logit). Under :class:`DeferredChecks` the range of ``targets`` is a device flag
    and the targets come back clamped into ``[0, c)``, so that indexing with them cannot fault the device.
    """
    if (
        not isinstance(logits, torch.Tensor)
        or logits.dtype not in LOGIT_DTYPES
        or logits.layout != torch.strided
        or logits.is_nested
    ):
        raise TypeError(
            f"logits must be a floating-point torch.Tensor (dense; float16, bfloat16, float32 or float64), "
            f"got {describe(logits)}"
        )
    if not isinstance(targets, torch.Tensor) or not _is_integer_tensor(targets):
        raise TypeError(f"targets must be an integer torch.Tensor, got {describe(targets)}")
    check_has_data(logits, name="logits")
    check_has_data(targets, name="targets")
    if logits.ndim != 2 or logits.shape[1] < 2 or logits.shape[1] != (num_classes or logits.shape[1]):
        expected = (
            f"c = {num_classes}" + (f" (the size of {classes_of})" if classes_of else "")
            if num_classes
            else "c >= 2 classes"
        )
        raise ValueError(f"logits must have shape (N, c) with {expected}, got {tuple(logits.shape)}")
    num_classes = logits.shape[1]
    if targets.shape != logits.shape[:1]:
        raise ValueError(f"targets must have shape ({logits.shape[0]},) to match logits, got {tuple(targets.shape)}")
    if reduction == "mean" and not targets.numel():
        raise ValueError(
            "logits must hold at least one example for reduction='mean', got shape "
            f"{tuple(logits.shape)} (the mean of no loss is undefined)"
        )
    targets = targets.long()
    deferred = _DEFERRED.get()
    if deferred is not None:
        inside = targets.clamp(0, num_classes - 1)
        deferred.add((inside != targets).any(), ValueError, f"targets must lie in [0, {num_classes}), got one outside")
        return inside
    if targets.numel():
        low, high = torch.aminmax(targets)
        if int(low) < 0 or int(high) >= num_classes:
            bad = targets[(targets < 0) | (targets >= num_classes)][0].item()
            raise ValueError(f"targets must lie in [0, {num_classes}), got {bad}")
    return targets


def check_has_data(x, *, name):
    """Return the tensor ``x`` after checking that it holds values: a ``meta`` tensor has a shape and a dtype but no
    data, so that nothing (a check, a loss, a conversion to numpy) can read it."""
    if x.is_meta:
        raise TypeError(f"{name} must be on a device with data (cpu or cuda), got a 'meta' tensor")
    return x


def _is_integer_tensor(x):
    """Whether the tensor ``x`` holds plain integers: a dense, non-nested, non-quantized integer dtype (not bool)."""
    return not (
        x.is_floating_point()
        or x.is_complex()
        or x.dtype == torch.bool
        or x.is_quantized
        or x.layout != torch.strided
        or x.is_nested
    )


class NonFiniteLogitsError(ValueError):
    """A loss was given a NaN or ±inf logit. The training loop reads it as weights that diverged."""


def check_finite_loss(loss, logits, explain=None):
    """Return ``loss`` after checking that it and ``logits`` are finite, with one host synchronisation.

    The test is one float64 sum of each (a sum is finite when every term is, up to an overflow of the sum itself,
    which the exact check behind it tells apart). A non-finite loss from finite logits means that the logits
    overflowed the dtype inside the loss (a row whose spread ``max - min`` exceeds the dtype's range, so that a
    softmax probability is exactly 0): the message says so, instead of blaming NaN or inf logits that are not
    there; ``explain()``, when given, may raise a more specific error first. Under :class:`DeferredChecks` both
    tests are device flags.
    """
    deferred = _DEFERRED.get()
    if deferred is not None:
        deferred.add(~torch.isfinite(logits).all(), NonFiniteLogitsError, "logits must be finite, got NaN or inf")
        deferred.add(~torch.isfinite(loss).all(), ValueError, _overflow_message(logits))
        return loss
    loss_total = loss.detach().item() if loss.ndim == 0 else loss.detach().sum(dtype=torch.float64).item()
    if math.isfinite(loss_total + logits.detach().sum(dtype=torch.float64).item()):
        return loss
    if not torch.isfinite(logits).all():
        raise NonFiniteLogitsError("logits must be finite, got NaN or inf")
    if torch.isfinite(loss).all():
        return loss  # only the sums overflowed
    if explain is not None:
        explain()
    wide = logits.detach().double()
    spread = (wide.amax(dim=1) - wide.amin(dim=1)).max().item() if wide.numel() else 0.0
    raise ValueError(
        _overflow_message(logits) + f" (|logits| up to {wide.abs().max().item():.3g}, a row spread (max - min) up to "
        f"{spread:.3g})"
    )


def _overflow_message(logits):
    return (
        f"logits must be small enough for a finite loss in {logits.dtype}: the loss overflowed; use float64 logits "
        "or smaller scores"
    )


_DEFERRED = contextvars.ContextVar("lnc_deferred_checks", default=None)


class DeferredChecks:
    """The value checks of a loss kept as boolean device tensors, so that a training step never waits for the device.

    Inside :meth:`active`, :func:`check_logits_targets` and :func:`check_finite_loss` (and the forward correction's
    zero-column test) add a flag instead of raising; :meth:`raise_failed` reads every flag in one host
    synchronisation and raises the error of the first check that failed since its last call.
    """

    def __init__(self):
        self._failed = {}  # (error class, message) -> 0-d bool tensor, OR-ed over the calls

    @contextlib.contextmanager
    def active(self):
        token = _DEFERRED.set(self)
        try:
            yield
        finally:
            _DEFERRED.reset(token)

    def add(self, failed, error, message):
        key = (error, message)
        self._failed[key] = failed if key not in self._failed else self._failed[key] | failed

    def raise_failed(self):
        if not self._failed:
            return
        failed = dict(zip(self._failed, torch.stack(list(self._failed.values())).tolist()))
        self._failed.clear()
        for (error, message), bad in failed.items():
            if bad:
                raise error(message)


def deferred_checks():
    """The :class:`DeferredChecks` that the running loss reports to, or ``None`` when it checks at once."""
    return _DEFERRED.get()


def reduce_loss(per_example, reduction):
    """Apply ``reduction`` to a per-example loss of shape (N,)."""
    if reduction == "mean":
        return per_example.mean()
    if reduction == "sum":
        return per_example.sum()
    return per_example


def describe(x):
    """A short description of ``x`` for an error message: its type, and its value or dtype."""
    if isinstance(x, torch.Tensor):
        return f"torch.Tensor of dtype {x.dtype}" + ("" if x.layout == torch.strided else f" and layout {x.layout}")
    if isinstance(x, np.ndarray):
        return f"numpy array of dtype {x.dtype} and shape {x.shape}"
    text = repr(x)
    return f"{type(x).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def make_rng(seed, *, name="seed"):
    """Return ``np.random.default_rng(seed)`` for an int >= 0, ``None`` or a ``np.random.Generator``."""
    if seed is None or isinstance(seed, np.random.Generator):
        return np.random.default_rng(seed)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{name} must be a non-negative int, None or a np.random.Generator, got {describe(seed)}")
    return np.random.default_rng(check_seed(seed, name=name))
