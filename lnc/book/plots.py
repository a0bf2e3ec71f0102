"""Figures shared by the book's chapters (matplotlib, imported when called)."""


def show_T(ax, T, title, vmax=1.0, cmap="viridis"):
    """Heat-map of a transition matrix on ``ax``: rows clean labels ``i``, columns noisy labels ``j``."""
    image = ax.imshow(T, cmap=cmap, vmin=-vmax if cmap == "coolwarm" else 0.0, vmax=vmax)
    ax.set_xlabel("noisy label $j$")
    ax.set_ylabel("clean label $i$")
    ax.set_title(title)
    return image


def show_estimate(fig, axes, T, T_hat, label):
    """``T``, ``T̂`` and ``T̂ - T`` of one run on three ``axes`` of ``fig``, with colour bars."""
    panels = [("true $T$", T, "viridis", 1.0), (r"$\hat T$", T_hat, "viridis", 1.0),
              (r"$\hat T - T$", T_hat - T, "coolwarm", 0.5)]
    for ax, (title, M, cmap, vmax) in zip(axes, panels):
        fig.colorbar(show_T(ax, M, f"{title}: {label}", vmax=vmax, cmap=cmap), ax=ax)


METHOD_COLORS = dict(
    zip(["ce", "forward", "forward_est", "backward", "backward_est"], ("C0", "C1", "C2", "C3", "C4"))
)
"""One colour per method in every experiment figure."""


def training_curves(records, key, width=10.0):
    """The per-epoch ``curves`` of ``records`` (one seed), a row per ``key(record)`` (e.g. its noise setting):
    accuracy on the noisy validation split (left) and the training loss on a symmetric-log scale (right; a grey
    line at zero, which a backward-corrected loss can cross). Returns the matplotlib figure."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    keys = list(dict.fromkeys(key(r) for r in records))
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
    (3, 3), ``T[i, j] = P(noisy = j | clean = i)``: the noisy posteriors of any clean ones lie inside it."""
    import numpy as np

    corners = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3) / 2]])
    ax.fill(*corners.T, color="0.95", zorder=0)
    ax.scatter(*(np.asarray(points) @ corners).T, s=3, color="0.5", alpha=0.5, label="noisy posteriors")
    for k, (name, T) in enumerate(triangles.items()):
        vertices = np.asarray(T) @ corners
        ax.fill(*vertices.T, fill=False, edgecolor=f"C{k}", linewidth=1.5, label=name)
    for k, corner in enumerate(corners):
        ax.annotate(f"class {k}", corner, textcoords="offset points", xytext=(0, -12 if k < 2 else 5),
                    ha="center")
    ax.set_title(title)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.legend(loc="upper left", fontsize="small", frameon=False)
