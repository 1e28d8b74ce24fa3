"""Figure for `pooling`: what 2 x 2 max-pooling does to a feature map and to shifted copies of it."""

import numpy as np
from matplotlib.figure import Figure


def max_pool(x: np.ndarray, k: int) -> np.ndarray:
    """k x k max-pooling of a 2-D map, windows side by side."""
    height, width = x.shape[0] // k, x.shape[1] // k
    return x[: height * k, : width * k].reshape(height, k, width, k).max(axis=(1, 3))


def shift(x: np.ndarray, down: int, right: int) -> np.ndarray:
    """x moved down and right by non-negative amounts, zeros coming in."""
    out = np.zeros_like(x)
    out[down:, right:] = x[: x.shape[0] - down, : x.shape[1] - right]
    return out


def draw(axes, values, title, window) -> None:
    """The map as an image, with the pooling windows' borders every `window` cells."""
    axes.imshow(values, cmap="magma", vmin=0.0, vmax=1.0)
    for edge in np.arange(window, max(values.shape), window) - 0.5:
        axes.axhline(edge, color="white", linewidth=0.6)
        axes.axvline(edge, color="white", linewidth=0.6)
    axes.set_title(title, fontsize=9)
    axes.set_xticks([])
    axes.set_yticks([])


def make_figure() -> Figure:
    """Top: a feature map, moved by 1 and by 2 pixels. Bottom: their 2 x 2 max-pooled maps."""
    feature_map = np.zeros((8, 10))
    feature_map[[0, 2, 4, 4], [2, 0, 4, 6]] = [1.0, 0.6, 0.8, 0.4]
    maps = {
        "feature map": feature_map,
        "moved 1 right, 1 down:\nstays inside its windows": shift(feature_map, 1, 1),
        "moved 2 right (the stride)": shift(feature_map, 0, 2),
    }
    verdicts = ["", ": the same\n(invariant)", ": moved 1 right\n(equivariant)"]
    figure = Figure(figsize=(10, 6), layout="constrained")
    grid = figure.subplots(2, 3)
    for column, ((title, values), verdict) in enumerate(zip(maps.items(), verdicts)):
        draw(grid[0, column], values, title, window=2)
        draw(grid[1, column], max_pool(values, 2), f"2 × 2 max-pooled{verdict}", window=1)
    figure.suptitle("Max-pooling: invariant to shifts inside a window, equivariant to shifts by the stride")
    return figure
