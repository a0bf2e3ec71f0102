"""Figures shared by the book's chapters (matplotlib, imported when called). ``T[i, j] = P(noisy = j | clean = i)``.

Every argument is checked before anything is drawn (``TypeError``/``ValueError`` naming it): a matrix with NaN or
inf, of another shape, or records without the fields a figure reads never make a figure that looks plausible.
"""

from collections.abc import Mapping

from .._checks import (
    as_float64_array,
    check_fields,
    check_probabilities,
    check_rate,
    check_real,
    check_sequence,
    check_str,
    check_transition_matrix,
    describe,
)


def show_T(ax, T, title, vmax=1.0, cmap="viridis"):
    """Heat-map of a transition matrix on ``ax``: rows clean labels ``i``, columns noisy labels ``j``.

    ``T``: a finite ``(c, c)`` matrix, c >= 2 (a difference ``T̂ - T`` too); the colour scale is ``[0, vmax]``, or
    ``[-vmax, vmax]`` with ``cmap="coolwarm"`` (entries beyond it take its end colours). ``title``: a str;
    ``vmax``: a finite number > 0; ``cmap``: the name of a matplotlib colour map.
    """
    _check_axes([ax], name="ax")
    T = _check_square(T, name="T")
    title, vmax = check_str(title, name="title"), check_real(vmax, name="vmax", positive=True)
    image = ax.imshow(T, cmap=_check_cmap(cmap), vmin=-vmax if cmap == "coolwarm" else 0.0, vmax=vmax)
    ax.set_xlabel("noisy label $j$")
    ax.set_ylabel("clean label $i$")
    ax.set_title(title)
    return image


def show_estimate(fig, axes, T, T_hat, label):
    """``T``, ``T̂`` and ``T̂ - T`` of one run on three ``axes`` of ``fig``, with colour bars. ``T`` and ``T_hat``:
    row-stochastic matrices of one shape; ``label``: a str."""
    import matplotlib.figure

    if not isinstance(fig, matplotlib.figure.FigureBase):
        raise TypeError(f"fig must be a matplotlib Figure, got {describe(fig)}")
    axes = _check_axes(axes, name="axes", count=3)
    T, T_hat = check_transition_matrix(T), check_transition_matrix(T_hat, name="T_hat")
    label = check_str(label, name="label")
    if T_hat.shape != T.shape:
        raise ValueError(f"T_hat must have the shape of T {T.shape}, got {T_hat.shape}")
    panels = [
        ("true $T$", T, "viridis", 1.0),
        (r"$\hat T$", T_hat, "viridis", 1.0),
        (r"$\hat T - T$", T_hat - T, "coolwarm", 0.5),
    ]
    for ax, (title, M, cmap, vmax) in zip(axes, panels):
        fig.colorbar(show_T(ax, M, f"{title}: {label}", vmax=vmax, cmap=cmap), ax=ax)


METHOD_COLORS = dict(zip(["ce", "forward", "forward_est", "backward", "backward_est"], ("C0", "C1", "C2", "C3", "C4")))
"""One colour per method in every experiment figure."""


def training_curves(records, key, width=10.0):
    """The per-epoch ``curves`` of ``records`` (one seed), a row per ``key(record)`` (e.g. its noise setting):
    accuracy on the noisy validation split (left) and the training loss on a symmetric-log scale (right; a grey
    line at zero, which a backward-corrected loss can cross). Returns the matplotlib figure.

    ``records``: a non-empty sequence of dicts, each with a str ``method`` and ``curves`` holding ``train_loss``
    (finite numbers) and ``val_accuracy`` (in [0, 1]) of one length >= 1, ``None`` for an epoch without a value (a
    diverged run's last; drawn as a gap); ``key``: a callable giving a str;
    ``width``: the figure's width in inches, a finite number > 0.
    """
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    records = check_sequence(records, name="records", item=_check_run)
    if not callable(key):
        raise TypeError(f"key must be a callable key(record) giving a str, got {describe(key)}")
    width = check_real(width, name="width", positive=True)
    keys = list(dict.fromkeys(check_str(key(r), name=f"key(records[{k}])") for k, r in enumerate(records)))
    fig, axes = plt.subplots(len(keys), 2, figsize=(width, 3.4 * len(keys)), squeeze=False)
    last = max(len(r["curves"]["train_loss"]) for r in records)
    for (ax_acc, ax_loss), row in zip(axes, keys):
        for r in (r for r in records if key(r) == row):
            curves = {k: np.array(v, dtype=float) for k, v in r["curves"].items()}
            x = np.arange(1, len(curves["train_loss"]) + 1)
            style = dict(marker="o", ms=3, color=METHOD_COLORS.get(r["method"]), label=r["method"])
            ax_acc.plot(x, 100 * curves["val_accuracy"], **style)
            ax_loss.plot(x, curves["train_loss"], **style)
        ax_acc.set(title=f"{row}: noisy-validation accuracy", xlabel="epoch", ylabel="%")
        ax_loss.set(title=f"{row}: training loss", xlabel="epoch", yscale="symlog")
        _symlog_ticks(ax_loss)
        ax_loss.axhline(0, color="grey", lw=0.8)
        for ax in (ax_acc, ax_loss):
            ax.set_xlim(0.5, last + 0.5)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0, 1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def _symlog_ticks(ax, most=6):
    """Ticks at 0 and at every k-th power of ten of both signs, about ``most`` of them at most."""
    import math

    low, high = ax.get_ylim()
    up = math.floor(math.log10(high)) if high > 1 else -1
    down = math.floor(math.log10(-low)) if low < -1 else -1
    step = max(1, math.ceil((up + down + 2) / most))
    stop = -1 if step == 1 else 0  # no ±1 beside 0 on a crowded axis
    ticks = [0.0] + [10.0**k for k in range(up, stop, -step)]
    ax.set_yticks(ticks + [-(10.0**k) for k in range(down, stop, -step)])


def simplex_view(ax, points, triangles, title):
    """Three-class posteriors on the probability simplex (an equilateral triangle, class ``k`` at corner ``k``):
    ``points`` (N, 3) as dots, and for each ``name: T`` of ``triangles`` the triangle spanned by the rows of ``T``
    (3, 3), ``T[i, j] = P(noisy = j | clean = i)``: the noisy posteriors of any clean ones lie inside it.
    ``points`` must be probabilities (rows in the simplex), ``triangles`` a dict of str names and row-stochastic
    ``(3, 3)`` matrices, ``title`` a str."""
    import numpy as np

    _check_axes([ax], name="ax")
    points, title = check_probabilities(points, name="points"), check_str(title, name="title")
    if points.shape[1] != 3:
        raise ValueError(f"points must have shape (N, 3) (three classes), got {points.shape}")
    if not isinstance(triangles, Mapping):
        raise TypeError(f"triangles must be a dict {{name: T}}, got {describe(triangles)}")
    triangles = {
        check_str(n, name="a name of triangles"): check_transition_matrix(T, name=f"triangles[{n!r}]")
        for n, T in triangles.items()
    }
    wrong = [n for n, T in triangles.items() if T.shape != (3, 3)]
    if wrong:
        raise ValueError(f"triangles[{wrong[0]!r}] must have shape (3, 3), got {triangles[wrong[0]].shape}")
    corners = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3) / 2]])
    ax.fill(*corners.T, color="0.95", zorder=0)
    ax.scatter(*(np.asarray(points) @ corners).T, s=3, color="0.5", alpha=0.5, label="noisy posteriors")
    for k, (name, T) in enumerate(triangles.items()):
        vertices = np.asarray(T) @ corners
        ax.fill(*vertices.T, fill=False, edgecolor=f"C{k}", linewidth=1.5, label=name)
    for k, corner in enumerate(corners):
        ax.annotate(f"class {k}", corner, textcoords="offset points", xytext=(0, -12 if k < 2 else 5), ha="center")
    ax.set_title(title)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.legend(loc="upper left", fontsize="small", frameon=False)


def _check_axes(axes, *, name, count=None):
    """``axes`` as a tuple of matplotlib Axes (``count`` of them, when given)."""
    import matplotlib.axes

    axes = check_sequence(axes, name=name)
    bad = [a for a in axes if not isinstance(a, matplotlib.axes.Axes)]
    if bad:
        raise TypeError(f"{name} must be matplotlib Axes, got {describe(bad[0])}")
    if count is not None and len(axes) != count:
        raise ValueError(f"{name} must hold {count} Axes, got {len(axes)}")
    return axes


def _check_square(T, *, name):
    """``T`` as a finite float64 ``(c, c)`` matrix, c >= 2 (not necessarily stochastic: a difference ``T̂ - T``)."""
    import numpy as np

    T = as_float64_array(T, name=name)
    if T.ndim != 2 or T.shape[0] != T.shape[1] or T.shape[0] < 2:
        raise ValueError(f"{name} must be a square (c, c) matrix with c >= 2, got shape {T.shape}")
    if not np.isfinite(T).all():
        raise ValueError(f"{name} must be finite, got {T[~np.isfinite(T)][0]}")
    return T


def _check_cmap(cmap):
    """The name of a matplotlib colour map."""
    import matplotlib

    if check_str(cmap, name="cmap") not in matplotlib.colormaps:
        raise ValueError(f"cmap must be the name of a matplotlib colour map, got {cmap!r}")
    return cmap


def _check_run(record, *, name):
    """A record that :func:`training_curves` can draw: a str ``method``, and ``curves`` of one length >= 1."""
    curves = check_fields(record, ("method", "curves"), name=name)["curves"]
    check_str(record["method"], name=f"{name}['method']")
    check_fields(curves, ("train_loss", "val_accuracy"), name=f"{name}['curves']")
    losses = check_sequence(
        curves["train_loss"],
        name=f"{name}['curves']['train_loss']",
        item=lambda v, name: None if v is None else check_real(v, name=name, signed=True),
    )
    accuracies = check_sequence(
        curves["val_accuracy"],
        name=f"{name}['curves']['val_accuracy']",
        item=lambda v, name: None if v is None else check_rate(v, name=name),
    )
    if len(losses) != len(accuracies):
        raise ValueError(
            f"{name}['curves'] must hold as many val_accuracy as train_loss values, got "
            f"{len(accuracies)} and {len(losses)}"
        )
    return record
