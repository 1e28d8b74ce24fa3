"""Figure for `convolution`: the lecture's O, its kernel and the feature map over the picture."""

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from numpy.lib.stride_tricks import sliding_window_view


def o_image() -> np.ndarray:
    """The lecture's clean 9 x 9 O: +1 on the ring, -1 elsewhere."""
    image = -np.ones((9, 9))
    image[[1, 7], 3:6] = 1.0
    image[[2, 2, 6, 6], [2, 6, 2, 6]] = 1.0
    image[3:6, [1, 7]] = 1.0
    return image


def show_values(axes, values, title, limit=1.0) -> None:
    """A grey image of `values` (black at -limit, white at +limit), each number on its cell."""
    axes.imshow(values, cmap="gray", vmin=-limit, vmax=limit)
    for (row, col), value in np.ndenumerate(values):
        axes.text(col, row, f"{value:.0f}", ha="center", va="center", fontsize=7, color="tab:red")
    axes.set_title(title)
    axes.set_xticks([])
    axes.set_yticks([])


def make_figure() -> Figure:
    """The O with the best-matching window outlined, the kernel, and the 7 x 7 feature map."""
    image = o_image()
    kernel = np.array([[-1.0, -1.0, -1.0], [-1.0, 1.0, 1.0], [1.0, -1.0, -1.0]])
    feature_map = np.einsum("hwij,ij->hw", sliding_window_view(image, (3, 3)), kernel)
    row, col = np.unravel_index(np.argmax(feature_map), feature_map.shape)

    figure = Figure(figsize=(11, 4), layout="constrained")
    picture, pattern, result = figure.subplots(1, 3, width_ratios=[9, 3, 7])
    show_values(picture, image, "input: the O (9 × 9)")
    show_values(pattern, kernel, "kernel (3 × 3)")
    show_values(result, feature_map, "feature map (7 × 7)", limit=9.0)
    picture.add_patch(outline(col, row, 3))
    result.add_patch(outline(col, row, 1))
    result.set_xlabel(f"max {feature_map.max():.0f} = a perfect match of the piece outlined on the left")
    return figure


def outline(col, row, size) -> Rectangle:
    """An orange square around the size x size cells whose top-left cell is (row, col)."""
    return Rectangle((col - 0.5, row - 0.5), size, size, fill=False, edgecolor="tab:orange", linewidth=2.5)
