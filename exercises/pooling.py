"""Pooling, invariance and equivariance: "downsampling, shift invariance".

A pooling layer summarises each k x k window of a feature map by one number, its maximum
(max-pooling) or its mean (mean-pooling). It has no parameters to learn. Pooling shrinks the
map and makes it invariant to small shifts: a feature that moves inside its window gives the
same maximum. A convolution, by contrast, is equivariant: shift its input and its feature
map shifts along. The lecture's operator a(x) here is `translate`. All arrays are NCHW
float64 numpy; windows never overlap the border (no padding) and by default stride = k.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def pool_windows(x, kernel_size, stride):
    """Every k x k window that a pooling layer summarises, as a view (given to you).

    Inputs:
    - x: float64 array of shape (N, C, H, W)
    - kernel_size: int k
    - stride: int >= 1

    Returns:
    - pieces: float64 read-only view of shape (N, C, H', W', k, k) with
      H' = (H - k) // stride + 1 and W' = (W - k) // stride + 1
    """
    every = sliding_window_view(x, (kernel_size, kernel_size), axis=(2, 3))
    return every[:, :, ::stride, ::stride]


def max_pool2d(x, kernel_size, stride=None):
    """Max-pool each channel over k x k windows.

    out[n, c, r, s] = max of x[n, c, r * stride : r * stride + k, s * stride : s * stride + k]

    Inputs:
    - x: float64 array of shape (N, C, H, W)
    - kernel_size: int k
    - stride: int, or None for stride = k (windows side by side)

    Returns:
    - out: float64 array of shape (N, C, (H - k) // stride + 1, (W - k) // stride + 1)
    """
    stride = kernel_size if stride is None else stride
    # Hint: pool_windows, then the max over its last two axes.
    # YOUR CODE HERE
    raise NotImplementedError()
    return out


def avg_pool2d(x, kernel_size, stride=None):
    """Mean-pool each channel over k x k windows (the lecture's alternative to max).

    out[n, c, r, s] = mean of x[n, c, r * stride : r * stride + k, s * stride : s * stride + k]

    Inputs:
    - x: float64 array of shape (N, C, H, W)
    - kernel_size: int k
    - stride: int, or None for stride = k

    Returns:
    - out: float64 array of shape (N, C, (H - k) // stride + 1, (W - k) // stride + 1)
    """
    stride = kernel_size if stride is None else stride
    # Hint: like max_pool2d, with the mean.
    # YOUR CODE HERE
    raise NotImplementedError()
    return out


def max_pool2d_backward(dout, x, kernel_size, stride=None):
    """Backward pass of max_pool2d: each window's gradient goes to its maximum.

    Only the entry that won a window affects its output, so it alone receives that window's
    dout. When several entries tie for the maximum, the gradient goes to the first of them in
    row-major order, as in torch, not to all of them. Overlapping windows (stride < k) add up.

    Inputs:
    - dout: float64 array of shape (N, C, H', W'), the upstream gradient
    - x: float64 array of shape (N, C, H, W), the forward input
    - kernel_size: int k
    - stride: int, or None for stride = k

    Returns:
    - dx: float64 array of shape (N, C, H, W)
    """
    stride = kernel_size if stride is None else stride
    # Hint: argmax over each flattened window finds the first maximum (tap i * k + j); then
    # loop over the k * k taps and add dout where that tap won to a strided slice of dx.
    # YOUR CODE HERE
    raise NotImplementedError()
    return dx


def avg_pool2d_backward(dout, x_shape, kernel_size, stride=None):
    """Backward pass of avg_pool2d: each window shares its gradient equally.

    Every one of the k * k entries of a window contributes 1 / k**2 of its mean, so each
    receives dout / k**2; overlapping windows (stride < k) add up.

    Inputs:
    - dout: float64 array of shape (N, C, H', W'), the upstream gradient
    - x_shape: tuple (N, C, H, W), the shape of the forward input
    - kernel_size: int k
    - stride: int, or None for stride = k

    Returns:
    - dx: float64 array of shape x_shape
    """
    stride = kernel_size if stride is None else stride
    # Hint: loop over the k * k taps and add dout / k**2 to a strided slice of dx.
    # YOUR CODE HERE
    raise NotImplementedError()
    return dx


def global_avg_pool(x):
    """Global average pooling: one number per channel, the mean over the whole map.

    It works for any H and W, and is invariant to any shift that keeps the map's content
    inside it.

    Inputs:
    - x: float64 array of shape (N, C, H, W)

    Returns:
    - out: float64 array of shape (N, C)
    """
    # Hint: np.mean over the two spatial axes only.
    # YOUR CODE HERE
    raise NotImplementedError()
    return out


def translate(x, down, right):
    """Shift every feature map `down` rows and `right` columns, filling with zeros.

    The lecture's operator a(x) for invariance, f(a(x)) = f(x), and equivariance,
    f(a(x)) = a(f(x)). What leaves the map is lost; nothing wraps around.

    Inputs:
    - x: float64 array of shape (N, C, H, W)
    - down: int, rows to move down (negative: up)
    - right: int, columns to move right (negative: left)

    Returns:
    - out: float64 array of shape (N, C, H, W) with out[..., r + down, s + right] = x[..., r, s]
      wherever both are inside the map, and 0 elsewhere
    """
    # Hint: start from zeros; copy one slice of x to a slice of out (np.roll wraps around).
    # YOUR CODE HERE
    raise NotImplementedError()
    return out


def _overlap(length, shift):
    """The part of one axis that survives a shift, as slices.

    Inputs:
    - length: int, the axis's length (H or W)
    - shift: int, how far content moves along it (negative: towards index 0)

    Returns a tuple of:
    - destination: slice of the output that receives content
    - source: slice of the input that stays inside, as long as destination
    """
    # Hint: a shift beyond the axis leaves nothing; clip it to [-length, length] first.
    # YOUR CODE HERE
    raise NotImplementedError()
    return destination, source
