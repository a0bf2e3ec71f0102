"""Figures shared by the book's chapters (matplotlib, imported when called)."""


def show_T(ax, T, title, vmax=1.0, cmap="viridis"):
    """Heat-map of a transition matrix on ``ax``: rows clean labels ``i``, columns noisy labels ``j``."""
    image = ax.imshow(T, cmap=cmap, vmin=-vmax if cmap == "coolwarm" else 0.0, vmax=vmax)
    ax.set_xlabel("noisy label $j$")
    ax.set_ylabel("clean label $i$")
    ax.text(0.5, 1.02, title, transform=ax.transAxes, ha="center", va="bottom")
    return image
