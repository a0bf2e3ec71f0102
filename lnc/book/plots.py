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
