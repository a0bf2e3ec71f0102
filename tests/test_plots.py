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


def test_training_curves_draw_a_row_per_setting_and_a_line_per_run():
    import matplotlib

    matplotlib.use("Agg")
    from lnc.book.plots import training_curves

    def record(method, noise, losses):
        accuracy = [0.5] * len(losses)
        return {"method": method, "noise": noise, "curves": {"train_loss": losses, "val_accuracy": accuracy}}

    records = [record("ce", "a", [2.0, 1.0]), record("backward", "a", [1.0, -30.0, -900.0]), record("ce", "b", [1.0])]
    fig = training_curves(records, key=lambda r: r["noise"])
    axes = fig.axes
    assert len(axes) == 4 and [len(ax.lines) for ax in axes] == [2, 3, 1, 2]  # + the zero line on each loss axis
    assert axes[1].get_yscale() == "symlog" and axes[0].get_xlim() == (0.5, 3.5)
    assert 0.0 in axes[1].get_yticks() and min(axes[1].get_yticks()) < 0
