"""The book's figures: heat-maps of T draw the matrices they are given, in the T orientation."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from lnc import symmetric_T  # noqa: E402
from lnc.book import plots  # noqa: E402


def test_show_estimate_draws_t_t_hat_and_their_difference():
    T, T_hat = symmetric_T(3, 0.3), symmetric_T(3, 0.1)
    fig, axes = plt.subplots(1, 3)
    plots.show_estimate(fig, axes, T, T_hat, "symmetric 0.3")
    drawn = [ax.get_images()[0] for ax in axes]
    for image, expected in zip(drawn, (T, T_hat, T_hat - T)):
        np.testing.assert_array_equal(image.get_array(), expected)
    assert drawn[2].get_clim() == (-0.5, 0.5) and drawn[0].get_clim() == (0.0, 1.0)
    assert [ax.get_title() for ax in axes] == [
        "true $T$: symmetric 0.3",
        r"$\hat T$: symmetric 0.3",
        r"$\hat T - T$: symmetric 0.3",
    ]
    assert axes[0].get_ylabel() == "clean label $i$" and axes[0].get_xlabel() == "noisy label $j$"
    plt.close(fig)
