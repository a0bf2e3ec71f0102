"""Estimators of the noise transition matrix from a noisy-label classifier's posteriors.

N examples, c classes. Input: ``noisy_probs[n, j] ≈ P(noisy = j | x_n)`` (N, c). Output: ``T_hat`` (c, c),
row-stochastic, ``T_hat[i, j] ≈ P(noisy = j | clean = i)``. Estimators (:data:`ESTIMATORS`): ``"anchor"`` (Patrini
et al. 2017), ``"confident_joint"`` (Northcutt et al. 2021), ``"core_counts"`` (the noisy-label frequencies of
each predicted class's most confident examples), ``"dual_t"`` (Yao et al. 2020) and ``"min_volume"`` (the criterion
of VolMinNet, Li et al. 2021, on given posteriors).
"""

import inspect
import numbers
import warnings

import numpy as np
import torch

from ._checks import (
    check_choice,
    check_int,
    check_labels,
    check_probabilities,
    check_rate,
    check_real,
    check_transition_matrix,
)


def estimate_T(noisy_probs, noisy_labels=None, *, method="anchor", **options):
    """Estimate the transition matrix with the estimator ``method`` of :data:`ESTIMATORS`; shape ``(c, c)``.

    Parameters
    ----------
    noisy_probs : array_like or torch.Tensor
        Shape ``(N, c)``: ``noisy_probs[n, j] ≈ P(noisy = j | x_n)``, e.g. the softmax outputs of a network
        trained with plain cross-entropy on the noisy labels. Rows must sum to 1 (within 1e-3). Not modified.
    noisy_labels : array_like, optional
        Shape ``(N,)``, the noisy labels of the same examples, for the estimators that use them.
    method : str, default "anchor"
        A name of :data:`ESTIMATORS`.
    **options
        Options of that estimator (``quantile`` for ``"anchor"`` and ``"dual_t"``).

    Returns
    -------
    numpy.ndarray
        ``T_hat``, float64, ``T_hat[i, j] ≈ P(noisy = j | clean = i)``, rows summing to 1.
    """
    check_choice(method, ESTIMATORS, name="method")
    probs = check_probabilities(noisy_probs, name="noisy_probs")
    if noisy_labels is not None:
        noisy_labels = check_labels(noisy_labels, probs.shape[1], name="noisy_labels")
        if len(noisy_labels) != len(probs):
            raise ValueError(
                f"noisy_labels must have shape ({len(probs)},) to match noisy_probs, got {noisy_labels.shape}"
            )
    estimator = ESTIMATORS[method]
    known = [p for p in inspect.signature(estimator).parameters][2:]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise TypeError(f"estimator {method!r} has no option {unknown[0]!r}; its options: {known}")
    return estimator(probs, noisy_labels, **options)


def anchor(noisy_probs, noisy_labels=None, *, quantile=0.97):
    """Anchor-point estimate of T (Patrini et al. 2017, eqs. 12–13); shape ``(c, c)``, float64.

    For each class ``i`` pick an anchor ``x̄_i``, an example that is almost surely of clean class ``i``,
    and read row ``i`` of T off its noisy posterior: ``T_hat[i, :] = noisy_probs[x̄_i, :]``, then divide
    each row by its sum.

    Assumption: **anchor points**, an example of each clean class ``i`` with ``p(y = i | x) ≈ 1``, and a column
    maximum of T on the diagonal (``T[i, i] > T[k, i]``). The noisy labels are not used.

    Parameters
    ----------
    noisy_probs : numpy.ndarray
        Shape ``(N, c)``, float64, checked by :func:`estimate_T` (which calls this as ``method="anchor"``).
    noisy_labels : None
        Not used.
    quantile : float in (0, 1) or None, default 0.97
        ``None``: the anchor is the argmax, ``x̄_i = argmax_n noisy_probs[n, i]`` (eq. 12).
        A float α: the anchor is the example with the largest ``noisy_probs[n, i]`` strictly below the
        α-quantile of column ``i`` (numpy's ``method="higher"``), as in the official code's
        ``filter_outlier=True`` (α = 0.97 there, the "97th percentile" of the paper). This skips the
        top ~3% of over-confident outliers. Valid when every class holds well over ``1 - α`` of the examples
        (c up to about 15 balanced classes at α = 0.97) and the posteriors are not saturated: a column where a
        class holds less than ``2 (1 - α)`` of the probability mass, or where more than ``1 - α`` of the
        examples tie at the maximum (one-hot posteriors), takes the argmax instead, with a ``UserWarning``.
        Use ``None`` for many classes (the official code does on CIFAR-100).

    Returns
    -------
    numpy.ndarray
        ``T_hat``, shape ``(c, c)``, ``T_hat[i, j] ≈ P(noisy = j | clean = i)``, rows summing to 1.

    Notes
    -----
    Exact when ``noisy_probs = p(y|x) @ T`` and each class has an example with ``p(y = i | x) = 1``
    (``quantile=None``; book chapter ``ch-estimation``). Unlike the official code, which zeroes a view of
    its input, this never mutates ``noisy_probs``, so a later row never reads zeroed columns.
    """
    return _anchor(noisy_probs, quantile)


def _anchor(probs, quantile):
    """:func:`anchor`'s estimate, one call deeper for every estimator, so that the fallback warning's
    ``stacklevel`` names the caller of :func:`estimate_T` (``estimate_T`` → estimator → here)."""
    if quantile is None:
        anchors = probs.argmax(axis=0)
    else:
        if isinstance(quantile, bool) or not isinstance(quantile, numbers.Real):
            raise TypeError(f"quantile must be a float in (0, 1) or None, got {type(quantile).__name__} {quantile!r}")
        if not 0 < quantile < 1:  # also refuses NaN
            raise ValueError(f"quantile must be a float in (0, 1) or None, got {quantile!r}")
        anchors = _argmax_where_the_rule_fails(probs, quantile, *_quantile_anchors(probs, quantile))
    T_hat = probs[anchors]
    return T_hat / T_hat.sum(axis=1, keepdims=True)


def anchor_columns(T):
    """Whether each column ``i`` of ``T`` has its maximum on the diagonal, ``T[i, i] > T[k, i]`` for ``k != i``:
    (c,) bool. Where it holds, the argmax of the noisy posterior of class ``i`` is an anchor of clean class ``i``
    (book chapter ``ch-estimation``); where it fails, the anchor estimator reads row ``i`` off another class.
    ``T[i, j] = P(noisy = j | clean = i)``."""
    T = check_transition_matrix(T)
    off = np.where(np.eye(len(T), dtype=bool), -np.inf, T)
    return np.diag(T) > off.max(axis=0)


def confident_joint(noisy_probs, noisy_labels):
    """The calibrated confident joint of Northcutt, Jiang & Chuang (2021), as ``T_hat``; shape ``(c, c)``.

    Each example counts once, in row ``noisy_labels[n]`` and column ``k`` of a ``(c, c)`` joint, when its
    predicted probability of class ``k`` reaches the threshold ``t_k`` (the mean ``noisy_probs[:, k]`` over the
    examples labelled ``k``): ``k`` is the one class above its threshold, or the argmax of those that are.
    The joint is calibrated (rows sum to the label counts, at least 1 on the diagonal), rounded to counts that
    keep each row's total, normalised per column into ``P(noisy = i | clean = k)``, and its off-diagonal rates
    are clipped below 0.9999; ``T_hat`` is its transpose, so ``T_hat[k, i] ≈ P(noisy = i | clean = k)``. This is
    cleanlab's ``estimate_latent(compute_confident_joint(labels, pred_probs), labels)`` noise matrix,
    transposed (:func:`lnc.from_cleanlab`).

    Assumption: the posteriors rank each class's examples above the others (per-class thresholds), not anchor
    points; ``noisy_probs`` should be out-of-sample (cross-validated), as in the paper. ``noisy_labels`` (N,) is
    required.
    """
    if noisy_labels is None:
        raise ValueError("noisy_labels must be given for method 'confident_joint' (the labels of noisy_probs' rows)")
    c = noisy_probs.shape[1]
    counts = np.bincount(noisy_labels, minlength=c)
    if not counts.all():
        raise ValueError(f"noisy_labels must hold every class for method 'confident_joint', got no label "
                         f"{np.flatnonzero(counts == 0)[0]} (its row of T_hat would be undefined)")  # fmt: skip
    thresholds = [noisy_probs[noisy_labels == k, k].mean() for k in range(c)]
    thresholds = np.maximum(thresholds, 2e-6)
    above = noisy_probs >= thresholds - 1e-6
    n_above = above.sum(axis=1)
    guess = np.where(n_above > 1, noisy_probs.argmax(axis=1), above.argmax(axis=1))
    # joint[i, k]: examples labelled i whose clean class is guessed to be k. Built, and calibrated below, as the
    # transpose of a [k, i] array, as cleanlab does: sums then run in its order, so that rounding ties (.5, equal
    # remainders) resolve the same way and the result equals cleanlab's to the last bit.
    joint = np.zeros((c, c))
    np.add.at(joint, (guess[n_above > 0], noisy_labels[n_above > 0]), 1.0)
    joint = joint.T
    np.fill_diagonal(joint, np.maximum(joint.diagonal(), 1.0))
    # calibrate: row i sums to the count of label i, the whole to N
    joint = (joint.T / np.maximum(joint.sum(axis=1), 1e-100) * counts).T
    joint = np.array([_round_keeping_sum(row) for row in joint / max(np.sum(joint), 1e-100) * counts.sum()])
    noise = joint / np.maximum(joint.sum(axis=0), 1e-100)  # P(noisy = i | clean = k), columns sum to 1
    diagonal = noise.diagonal().copy()
    noise = np.clip(noise, 0.0, 0.9999)
    np.fill_diagonal(noise, diagonal)
    return (noise / np.maximum(noise.sum(axis=0), 1e-100)).T


def core_counts(noisy_probs, noisy_labels, *, keep=0.75):
    """The noisy-label frequencies in each predicted class's confident core; shape ``(c, c)``, float64.

    The examples predicted as class ``k`` (``argmax noisy_probs[n] = k``) are ranked by that largest probability,
    and the ``keep`` fraction of them ranked highest (at least one) is class ``k``'s core: ``T_hat[k, j]`` is the
    fraction of the core labelled ``j``, ``T_hat[k] ≈ P(noisy | clean = k)``.

    Assumption: class-conditional noise (``noisy ⊥ x | clean``) and posteriors that never saw these labels
    (out-of-fold): the core is then selected through ``x`` alone, so whatever clean class ``k`` examples it
    holds carry noisy labels drawn from ``T[k]``, however the posteriors are calibrated. The estimate is unbiased
    where each core is **pure** (only clean class ``k``), which needs ``T``'s rows to peak on the diagonal and the
    posteriors to rank class ``k``'s examples above the others' that they confuse with it. It is the confident
    joint's idea, counting the labels rather than reading the probabilities, with a core of the most confident
    examples instead of every example above a threshold, so that fewer misclassified examples mix other rows in
    (the confident joint's bias); ``keep`` trades that bias against the counts' variance.

    Parameters
    ----------
    noisy_probs : numpy.ndarray
        Shape ``(N, c)``, float64, checked by :func:`estimate_T`.
    noisy_labels : numpy.ndarray
        Shape ``(N,)``, int64, the noisy labels of the same examples; required.
    keep : float in (0, 1], default 0.75
        The fraction of each predicted class kept in its core (1: every example predicted as the class). 0.75 was
        chosen on MNIST's out-of-fold posteriors (seed 0, symmetric and pair-flip noise at 0.4; error against the
        true T for 0.25, 0.5, 0.6, 0.75, 0.9 and 1) before any other setting was run.

    A class that no example is predicted as has no core: its row is the identity row ``e_k`` (no noise read),
    with a ``UserWarning`` naming the classes, as :func:`dual_t` does.

    Raises
    ------
    ValueError
        ``noisy_labels`` is missing, or ``keep`` is not in (0, 1].
    """
    if noisy_labels is None:
        raise ValueError("noisy_labels must be given for method 'core_counts' (the labels of noisy_probs' rows)")
    keep = check_real(keep, name="keep")
    if not 0 < keep <= 1:
        raise ValueError(f"keep must be a fraction in (0, 1], got {keep!r}")
    c = noisy_probs.shape[1]
    predicted = noisy_probs.argmax(axis=1)
    sizes = np.bincount(predicted, minlength=c)
    order = np.lexsort((-noisy_probs.max(axis=1), predicted))  # by predicted class, most confident first
    rank = np.arange(len(order)) - np.repeat(np.cumsum(sizes) - sizes, sizes)  # rank within the predicted class
    core = order[rank < np.maximum(np.ceil(keep * sizes), 1)[predicted[order]]]
    joint = np.bincount(predicted[core] * c + noisy_labels[core], minlength=c * c).reshape(c, c).astype(np.float64)
    if not sizes.all():
        warnings.warn(
            f"estimate_T: no example is predicted as class(es) {np.flatnonzero(sizes == 0).tolist()}; core_counts "
            "takes the identity row for them",
            UserWarning,
            stacklevel=3,  # the caller of estimate_T
        )
        joint[sizes == 0] = np.eye(c)[sizes == 0]
    return joint / joint.sum(axis=1, keepdims=True)


def dual_t(noisy_probs, noisy_labels, *, quantile=0.97):
    """The Dual-T estimate of Yao et al. (2020), ``T_hat = T_club @ T_spade``; shape ``(c, c)``, float64.

    T is factored through an intermediate class ``y'``, the network's predicted noisy label
    ``y'_n = argmax_j noisy_probs[n, j]`` (hard argmax, the first class on ties)::

        T[i, k] = sum_j P(y' = j | clean = i) P(noisy = k | y' = j) = (T_club @ T_spade)[i, k]

    - ``T_club[i, j] ≈ P(y' = j | clean = i)`` (rows clean, columns intermediate) is the anchor estimate
      :func:`anchor` ``(noisy_probs, quantile=quantile)``: the network's output serves as the posterior of
      ``y'``, so the anchor of clean class ``i`` reads row ``i`` off it;
    - ``T_spade[j, k] ≈ P(noisy = k | y' = j)`` (rows intermediate, columns noisy) is counted:
      ``#{n : y'_n = j, noisy_labels[n] = k} / #{n : y'_n = j}``. It needs no anchor and has no
      estimation error beyond sampling, which is the point of the factorisation.

    Both factors are row-stochastic, hence so is their product; its rows are divided by their sums to
    remove float drift.

    Assumptions: **anchor points** for ``T_club`` (those of :func:`anchor`, for the intermediate class);
    and **conditional independence**, ``noisy ⊥ clean | y'``: ``y'`` carries all the information of the
    clean label about the noisy label, so that ``P(noisy | y', clean) = P(noisy | y')``.

    Parameters
    ----------
    noisy_probs : numpy.ndarray
        Shape ``(N, c)``, float64, checked by :func:`estimate_T` (which calls this as ``method="dual_t"``).
        Not modified.
    noisy_labels : numpy.ndarray
        Shape ``(N,)``, int64, the noisy labels of the same examples; required.
    quantile : float in (0, 1) or None, default 0.97
        The anchor rule of ``T_club``, as in :func:`anchor`.

    Returns
    -------
    numpy.ndarray
        ``T_hat``, shape ``(c, c)``, ``T_hat[i, k] ≈ P(noisy = k | clean = i)``, rows summing to 1.

    Notes
    -----
    Differs from the official code in one case: a class ``j`` that no example is predicted as leaves row ``j``
    of the count matrix empty, and the official code's ``0 / 0`` makes it ``NaN`` then ``0`` (a zero row: the
    product is then no transition matrix). Here that row of ``T_spade`` is the identity row ``e_j`` (the noisy
    label taken to be ``y'`` itself, i.e. ``T_spade = I`` on that row), with a ``UserWarning`` naming the
    classes; no ``NaN`` ever appears. Like :func:`anchor`, this never mutates ``noisy_probs``.
    """
    if noisy_labels is None:
        raise ValueError("noisy_labels must be given for method 'dual_t' (the labels of noisy_probs' rows)")
    c = noisy_probs.shape[1]
    T_club = _anchor(noisy_probs, quantile)
    predicted = noisy_probs.argmax(axis=1)
    counts = np.bincount(predicted * c + noisy_labels, minlength=c * c).reshape(c, c).astype(np.float64)
    empty = counts.sum(axis=1) == 0
    if empty.any():
        warnings.warn(
            f"estimate_T: no example is predicted as class(es) {np.flatnonzero(empty).tolist()}; dual_t takes "
            "the identity row for them in T_spade = P(noisy | predicted)",
            UserWarning,
            stacklevel=3,  # the caller of estimate_T
        )
        counts[empty] = np.eye(c)[empty]
    T_spade = counts / counts.sum(axis=1, keepdims=True)
    T_hat = T_club @ T_spade
    return T_hat / T_hat.sum(axis=1, keepdims=True)


def _round_keeping_sum(values):
    """``values`` rounded to integers whose sum is the rounded sum of ``values``: the entries rounded furthest
    from their value move by one (largest remainder)."""
    ints = values.round()
    missing = int(round(values.sum() - ints.sum()))
    order = np.argsort(values - ints)  # most rounded up first
    if missing > 0:
        ints[order[::-1][:missing]] += 1
    elif missing < 0:
        ints[order[:-missing]] -= 1
    return ints


def min_volume(noisy_probs, noisy_labels=None, *, lam=3e-4, steps=2000, max_examples=5000, trim=0.03):
    """The transition matrix of least volume that explains the posteriors: VolMinNet's criterion (Li et al. 2021)
    on given posteriors; shape ``(c, c)``, float64.

    Minimises ``mean_n KL(noisy_probs[n] || q_n @ T) + lam · log|det T|`` over clean posteriors ``q_n`` (one
    softmax per example) and ``T = rownorm(I + sigmoid(W) ⊙ (1 - I))`` (row-stochastic, each diagonal entry the
    largest of its row), with Adam (learning rate 0.05, ``steps`` full-batch steps) from ``q_n = noisy_probs[n]``
    and T near I (diagonal 0.9). The noisy posteriors lie in the simplex spanned by the rows of T; among the T whose
    simplex holds them, the smallest is the true one when the clean posteriors are **sufficiently scattered**
    (they reach the middle of every face of the probability simplex; anchor points, its corners, are not needed).
    A network's over-confident posteriors lie outside that simplex, and a few of them pull the fit towards I
    (1% of near one-hot rows: error 0.004 → 0.6 untrimmed), so the ``trim`` share of the most confident rows
    (largest maximum) is left out first, as the anchor rule leaves out the top 3% of each column. The noisy labels
    are not used.

    Parameters
    ----------
    noisy_probs : numpy.ndarray
        Shape ``(N, c)``, float64, checked by :func:`estimate_T`.
    noisy_labels : None
        Not used.
    lam : float >= 0, default 3e-4
        Weight of the volume: small enough for the fit to stay near exact, large enough to shrink T.
    steps : int >= 1, default 2000
    max_examples : int >= 1, default 5000
        At most this many rows, evenly spaced in ``noisy_probs`` (no randomness), enter the fit.
    trim : float in [0, 1), default 0.03
        Share of the rows with the largest maximum posterior left out before the fit (ties: the later rows).

    Returns
    -------
    numpy.ndarray
        ``T_hat``, ``T_hat[i, j] ≈ P(noisy = j | clean = i)``, rows summing to 1.

    Notes
    -----
    Exact up to the optimiser's tolerance for exact posteriors of sufficiently scattered clean ones
    (``lnc.book.simulation.scattered_posteriors``; book chapter ``ch-beyond-anchors``), where the anchor
    estimator is not. The end-to-end method, which learns T with the network, is the protocol's ``"volmin"``.
    """
    lam = check_real(lam, name="lam")
    steps = check_int(steps, name="steps", low=1)
    max_examples = check_int(max_examples, name="max_examples", low=1)
    trim = check_rate(trim, name="trim")
    if trim >= 1:
        raise ValueError(f"trim must be in [0, 1), got {trim}")
    n, c = noisy_probs.shape
    kept = np.sort(np.argsort(noisy_probs.max(axis=1), kind="stable")[: max(1, n - int(trim * n))])
    rows = kept[np.linspace(0, len(kept) - 1, min(len(kept), max_examples)).round().astype(np.int64)]
    target = torch.as_tensor(noisy_probs[rows], dtype=torch.float64)
    eye = torch.eye(c, dtype=torch.float64)
    off = 0.1 / (0.9 * (c - 1))  # sigmoid(W) off the diagonal for a diagonal of 0.9
    W = torch.full((c, c), float(np.log(off / (1 - off))), dtype=torch.float64, requires_grad=True)
    logits = torch.log(target.clamp_min(1e-12)).requires_grad_(True)
    entropy = torch.special.xlogy(target, target).sum(dim=1)
    optimizer = torch.optim.Adam([W, logits], lr=0.05)
    for _ in range(steps):
        T = _min_volume_T(W, eye)
        kl = (entropy - (target * torch.log(torch.softmax(logits, dim=1) @ T)).sum(dim=1)).mean()
        loss = kl + lam * torch.linalg.slogdet(T).logabsdet
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return _min_volume_T(W, eye).numpy()


def _min_volume_T(W, eye):
    """``rownorm(I + sigmoid(W) ⊙ (1 - I))``: row-stochastic, each diagonal entry the largest of its row."""
    T = eye + torch.sigmoid(W) * (1 - eye)
    return T / T.sum(dim=1, keepdim=True)


ESTIMATORS = {
    "anchor": anchor,
    "confident_joint": confident_joint,
    "core_counts": core_counts,
    "dual_t": dual_t,
    "min_volume": min_volume,
}
"""Estimators of T by name: ``fn(noisy_probs, noisy_labels, **options) -> T_hat``, called by :func:`estimate_T`
with checked float64 posteriors (N, c) and int64 labels (N,) or ``None``. A new estimator is one function here,
one entry, and its tests; ``lnc.experiments.protocol.run_protocol(estimator=...)`` then runs it by name."""


def _argmax_where_the_rule_fails(probs, quantile, anchors, saturated, argmax):
    """``anchors`` with the ``argmax`` in the columns where the quantile rule cannot find an anchor, with a warning.

    The rule skips the top ``1 - quantile`` of each column as outliers. It fails (1) when a class holds fewer
    than twice that share of the probability mass (the skipped "outliers" are then the class itself, and the
    anchor an example of another class: CIFAR-100's 1% classes under the 97% rule), and (2) when more than that
    share ties at the column's maximum (``saturated``: one-hot or float64-saturated posteriors), where the tied
    examples are equally good anchors and the rule would skip all of them.
    """
    small = probs.sum(axis=0) < 2 * (1 - quantile) * len(probs)
    failed = np.flatnonzero(small | saturated)
    if failed.size:
        warnings.warn(
            f"estimate_T: the {quantile:g}-quantile rule cannot pick an anchor in columns "
            f"{failed.tolist()} ({int(small.sum())} with less than {2 * (1 - quantile):.0%} of the mass, "
            f"{int(saturated.sum())} saturated at their maximum); used the argmax there "
            "(quantile=None does so everywhere)",
            UserWarning,
            stacklevel=5,  # the caller of estimate_T (→ estimate_T → estimator → _anchor → here)
        )
        anchors = np.where(small | saturated, argmax, anchors)
    return anchors


def _quantile_anchors(probs, quantile):
    """Per column ``i``: the first row with the largest ``probs[:, i]`` strictly below the column's α-quantile
    (numpy ``method="higher"``), else the column's argmax; shape ``(c,)``. Also returns ``saturated`` (c,) bool,
    where the quantile equals the column's maximum (more than ``1 - α`` of the examples tie there), and each
    column's argmax (c,).

    Same result as ``np.quantile(probs, quantile, axis=0, method="higher")`` followed by a masked argmax, in
    a fraction of the time: a strided sample gives each column a lower bound ``L`` under its quantile; only
    the entries ``>= L`` (a few percent) are partitioned, and ``#{entries < L}`` places the quantile among
    them exactly. A column where the bound fails, or where no candidate lies below the quantile, is done in full.
    """
    n, c = probs.shape
    k = int(np.quantile(np.arange(n), quantile, method="higher"))  # the quantile is the k-th smallest (0-based)
    sample = probs[:: max(1, n // 2048)]
    bound = np.quantile(sample, max(0.0, k / max(n - 1, 1) - 0.02), axis=0, method="lower")  # (c,)
    cols, rows = np.nonzero((probs >= bound).T)  # grouped by column, rows increasing within a column
    values = probs[rows, cols]
    counts = np.bincount(cols, minlength=c)
    starts = np.cumsum(counts) - counts
    anchors, argmax = np.empty(c, dtype=np.int64), np.empty(c, dtype=np.int64)
    saturated = np.zeros(c, dtype=bool)
    for i in range(c):
        cand_rows, cand = rows[starts[i] : starts[i] + counts[i]], values[starts[i] : starts[i] + counts[i]]
        rank = k - (n - len(cand))  # rank of the quantile among the candidates
        if rank >= 0:
            threshold = np.partition(cand, rank)[rank]
            below = cand < threshold
            if below.any():
                anchors[i] = cand_rows[np.argmax(np.where(below, cand, -np.inf))]
                top = np.argmax(cand)  # the candidates hold the column's maximum
                argmax[i], saturated[i] = cand_rows[top], threshold == cand[top]
                continue
        anchors[i], saturated[i], argmax[i] = _full_column_anchor(probs[:, i], quantile)
    return anchors, saturated, argmax


def _full_column_anchor(column, quantile):
    threshold = np.quantile(column, quantile, method="higher")
    below = column < threshold
    top = int(np.argmax(column))
    anchor = int(np.argmax(np.where(below, column, -np.inf))) if below.any() else top
    return anchor, bool(threshold == column[top]), top
