"""Known mistakes in pooling layers, their gradients and shifts, and the gradients they give."""

import numpy as np

STRIDE_ONE_BY_DEFAULT = "stride=None means stride = kernel_size (windows side by side), not stride 1."
STRIDE_IGNORED = "the stride is ignored: window (r, s) starts at row r * stride and column s * stride, so windows overlap when stride < k."
MEAN_FOR_MAX = "that is mean-pooling; max-pooling keeps each window's largest value."
MAX_FOR_MEAN = "that is max-pooling; mean-pooling keeps each window's mean."
TIED_GRADIENT = "the gradient went to every tied maximum; only one entry produced the output, so send it to the first maximum of the window, as torch does."
LAST_MAXIMUM = "the gradient went to the last of the tied maxima; it goes to the first of them in row-major order, as in torch."
OVERLAP_OVERWRITTEN = "where windows overlap (stride < k) the gradients must add up (+=); a later window overwrote an earlier one."
WINDOW_ASSIGNED = "each window's gradient was assigned (=) over the whole window, wiping out what an overlapping window had added; add (+=) it where it belongs."
NOT_DIVIDED = "each entry of a window contributes 1 / k**2 of its mean, so it receives dout / k**2, not dout."
SUM_NOT_MEAN = "that is the sum over the map; global average pooling takes the mean over H and W."
KEEPS_SPATIAL_AXES = "the result keeps two axes of length 1; global_avg_pool returns shape (N, C)."
AVERAGES_CHANNELS = "it averages over the channels too; pooling summarises each channel on its own."
WRAPS_AROUND = "the shift wraps around like np.roll; what leaves the map is lost and the new border is zeros."
SWAPPED_AXES = "rows and columns are swapped: `down` moves along H (axis 2), `right` along W (axis 3)."
OPPOSITE_DIRECTION = "it moves the wrong way: positive `down` moves content to larger row indices."
NOT_INVARIANT = "a feature that moved inside its window changed the pooled output; max-pooling keeps each window's largest value wherever it sits."
NOT_EQUIVARIANT = "shifting the input did not shift the output; an operation applied the same way at every position is equivariant."


def _windows(dout: np.ndarray, kernel_size: int, step: int):
    """(r, s, rows, cols) of each window in row-major order, starting `step` apart."""
    for r in range(dout.shape[2]):
        for s in range(dout.shape[3]):
            yield r, s, slice(r * step, r * step + kernel_size), slice(s * step, s * step + kernel_size)


def _winners(window: np.ndarray, which: str) -> np.ndarray:
    """A mask of the window's maximum: its first or last entry in row-major order, or all ties."""
    ties = window == window.max(axis=(2, 3), keepdims=True)
    if which == "ties":
        return ties
    flat = ties.reshape(*ties.shape[:2], -1)
    index = flat.argmax(axis=2) if which == "first" else flat.shape[2] - 1 - flat[..., ::-1].argmax(axis=2)
    mask = np.zeros_like(flat)
    n, c = np.indices(index.shape)
    mask[n, c, index] = True
    return mask.reshape(window.shape)


def routed_gradient(dout, x, kernel_size, step, which="first", assign=None) -> np.ndarray:
    """The max-pool gradient as a loop over windows `step` apart: each sends its dout to its
    `which` maximum ("first", "last" or "ties"), adding it (assign None), or assigning it at
    that entry ("entry") or over the whole window ("window")."""
    dx = np.zeros_like(x)
    for r, s, rows, cols in _windows(dout, kernel_size, step):
        window = x[:, :, rows, cols]
        if window.size == 0:
            continue
        mask = _winners(window, which)
        share = mask * dout[:, :, r, s][:, :, None, None]
        if assign == "window":
            dx[:, :, rows, cols] = share
        elif assign == "entry":
            dx[:, :, rows, cols] = np.where(mask, share, dx[:, :, rows, cols])
        else:
            dx[:, :, rows, cols] += share
    return dx


def shared_gradient(dout, x_shape, kernel_size, step, assign=False) -> np.ndarray:
    """The mean-pool gradient as a loop over windows `step` apart, each adding (or, with
    assign, assigning) dout / k**2 over its window."""
    dx = np.zeros(x_shape)
    for r, s, rows, cols in _windows(dout, kernel_size, step):
        share = dout[:, :, r, s][:, :, None, None] / kernel_size**2
        if assign:
            dx[:, :, rows, cols] = share
        else:
            dx[:, :, rows, cols] += share
    return dx
