"""Convolution arithmetic: "CNNs match pieces of the images".

A convolutional layer slides each kernel over its input and, at every position, takes the
sum of the products of the kernel with the piece of input under it. Like the lecture and
every deep learning framework, this module calls that "convolution", although it is
cross-correlation: the kernel is not flipped. Learned kernels make the two interchangeable;
true convolution (`convolve2d`) flips the kernel first. Images and feature maps are NCHW
float64 numpy arrays; kernels are (F, C, kh, kw): F filters of depth C.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
    """Length of a convolution's output along one axis.

    A kernel of k taps with dilation d spans d * (k - 1) + 1 inputs. It fits into the
    input padded with `padding` zeros on each side, then moves by `stride` positions;
    the +1 counts the first position.

    Inputs:
    - input_size: int i, the input length (e.g. H)
    - kernel_size: int k
    - stride: int s >= 1
    - padding: int p >= 0, zeros added on EACH side
    - dilation: int d >= 1, the spacing of the kernel's taps

    Returns:
    - size: int, (input_size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1
    """
    # Hint: the span of a dilated kernel is dilation * (kernel_size - 1) + 1; floor with //.
    ### BEGIN SOLUTION
    span = dilation * (kernel_size - 1) + 1
    size = (input_size + 2 * padding - span) // stride + 1
    ### END SOLUTION
    return size


def conv_transpose_output_size(input_size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """Length of a transposed convolution's output along one axis (torch's ConvTranspose2d).

    A transposed convolution runs a convolution backwards: it maps the convolution's output
    size back to its input size. With stride > 1 several input sizes give the same output
    size, so `output_padding` (added on one side only) says which of them to produce.

    Inputs:
    - input_size: int i', the transposed convolution's input length
    - kernel_size: int k
    - stride: int s >= 1
    - padding: int p >= 0, the padding of the convolution it transposes (per side)
    - output_padding: int, 0 <= output_padding < max(stride, dilation)
    - dilation: int d >= 1

    Returns:
    - size: int, (input_size - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1
    """
    # Hint: solve conv_output_size for the input length, then add output_padding.
    ### BEGIN SOLUTION
    span = dilation * (kernel_size - 1) + 1
    size = (input_size - 1) * stride - 2 * padding + span + output_padding
    ### END SOLUTION
    return size


def correlate2d(image, kernel):
    """Valid cross-correlation of one image with one kernel: the lecture's feature map.

    out[r, c] = sum over i, j of image[r + i, c + j] * kernel[i, j]: the kernel is laid
    on the image with its top-left corner at (r, c), wherever it fits completely.

    Inputs:
    - image: float64 array of shape (H, W)
    - kernel: float64 array of shape (kh, kw)

    Returns:
    - out: float64 array of shape (H - kh + 1, W - kw + 1)
    """
    # Hint: sliding_window_view(image, kernel.shape) holds every piece of the image the
    # kernel covers, shape (H', W', kh, kw); multiply by the kernel and sum the last two axes.
    ### BEGIN SOLUTION
    pieces = sliding_window_view(image, kernel.shape)
    out = np.einsum("hwij,ij->hw", pieces, kernel)
    ### END SOLUTION
    return out


def convolve2d(image, kernel):
    """Valid true convolution: cross-correlation with the kernel rotated by 180 degrees.

    out[r, c] = sum over i, j of image[r + i, c + j] * kernel[kh - 1 - i, kw - 1 - j]

    Inputs:
    - image: float64 array of shape (H, W)
    - kernel: float64 array of shape (kh, kw)

    Returns:
    - out: float64 array of shape (H - kh + 1, W - kw + 1)
    """
    # Hint: flip the kernel along both axes (kernel[::-1, ::-1]), then reuse correlate2d.
    ### BEGIN SOLUTION
    out = correlate2d(image, kernel[::-1, ::-1])
    ### END SOLUTION
    return out


def zero_pad(x, pad):
    """Pad the two spatial axes of a batch of feature maps with zeros.

    Only H and W grow, by `pad` on each side; the batch and channel axes stay as they are.

    Inputs:
    - x: float64 array of shape (N, C, H, W)
    - pad: int >= 0, zeros added on each side of H and W

    Returns:
    - padded: float64 array of shape (N, C, H + 2 * pad, W + 2 * pad)
    """
    # Hint: np.pad with one (before, after) pair per axis, (0, 0) for N and C.
    ### BEGIN SOLUTION
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ### END SOLUTION
    return padded


def windows(x, kernel_height, kernel_width, stride=1, dilation=1):
    """Every piece of x that a kernel covers (im2col; stride tricks do it without copying).

    windows(x, ...)[n, c, r, s] is the (kernel_height, kernel_width) piece of x[n, c] that
    the kernel multiplies at output position (r, s): taps `dilation` apart, starting at row
    r * stride and column s * stride.

    Inputs:
    - x: float64 array of shape (N, C, H, W), already padded
    - kernel_height, kernel_width: int
    - stride, dilation: int >= 1

    Returns:
    - pieces: float64 array of shape (N, C, H', W', kernel_height, kernel_width) with
      H' = (H - dilation * (kernel_height - 1) - 1) // stride + 1 (W' likewise); a view
      (read-only, from stride tricks) and a copy are both fine
    """
    # Hint: sliding_window_view over axes (2, 3) with the dilated span, then keep every
    # stride-th window and every dilation-th tap with slices.
    ### BEGIN SOLUTION
    span = (dilation * (kernel_height - 1) + 1, dilation * (kernel_width - 1) + 1)
    every = sliding_window_view(x, span, axis=(2, 3))
    pieces = every[:, :, ::stride, ::stride, ::dilation, ::dilation]
    ### END SOLUTION
    return pieces


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
    """Forward pass of a convolutional layer (cross-correlation, as in the lecture).

    Each filter f has one kernel per input channel; the lecture's "convolutions computed for
    each channel and summed", plus one bias per filter:
        out[n, f, r, s] = b[f] + sum over c, i, j of
                          x_pad[n, c, r * stride + i * dilation, s * stride + j * dilation] * w[f, c, i, j]

    Inputs:
    - x: float64 array of shape (N, C, H, W)
    - w: float64 array of shape (F, C, kh, kw)
    - b: float64 array of shape (F,), or None for no bias
    - stride: int >= 1
    - padding: int >= 0, zeros on each side of H and W
    - dilation: int >= 1

    Returns:
    - out: float64 array of shape (N, F, H', W') with
      H' = (H + 2 * padding - dilation * (kh - 1) - 1) // stride + 1 (W' likewise)
    """
    # Hint: zero_pad, then windows(...) gives (N, C, H', W', kh, kw); np.einsum can multiply
    # by w and sum over c, i and j in one go. Add the bias once per filter.
    ### BEGIN SOLUTION
    pieces = windows(zero_pad(x, padding), w.shape[2], w.shape[3], stride, dilation)
    out = np.einsum("nchwij,fcij->nfhw", pieces, w, optimize=True)
    if b is not None:
        out = out + b[None, :, None, None]
    ### END SOLUTION
    return out


def conv2d_backward(dout, x, w, stride=1, padding=0):
    """Backward pass of conv2d (dilation 1): gradients of the loss for x, w and b.

    Each input x_pad[n, c, r * stride + i, s * stride + j] met w[f, c, i, j] in output
    out[n, f, r, s], so the chain rule sums over every such meeting:
        db[f]         = sum over n, r, s of dout[n, f, r, s]
        dw[f, c, i, j] = sum over n, r, s of dout[n, f, r, s] * x_pad[n, c, r * stride + i, s * stride + j]
        dx_pad[n, c, r * stride + i, s * stride + j] += sum over f of dout[n, f, r, s] * w[f, c, i, j]
    and dx is dx_pad without its padding.

    Inputs:
    - dout: float64 array of shape (N, F, H', W'), the upstream gradient
    - x: float64 array of shape (N, C, H, W), the forward input
    - w: float64 array of shape (F, C, kh, kw)
    - stride: int >= 1
    - padding: int >= 0

    Returns a tuple of:
    - dx: float64 array of shape (N, C, H, W)
    - dw: float64 array of shape (F, C, kh, kw)
    - db: float64 array of shape (F,)
    """
    # Hint: dw is like the forward pass with dout in place of w; for dx, loop over the kernel's
    # taps (i, j) and add to strided slices of dx_pad (dx_pad[:, :, p:-p] is empty at p = 0).
    ### BEGIN SOLUTION
    height, width = x.shape[2:]
    kh, kw = w.shape[2:]
    h_out, w_out = dout.shape[2:]
    db = dout.sum(axis=(0, 2, 3))
    x_pad = zero_pad(x, padding)
    dw = np.einsum("nfhw,nchwij->fcij", dout, windows(x_pad, kh, kw, stride), optimize=True)
    dx_pad = np.zeros_like(x_pad)
    for i in range(kh):
        for j in range(kw):
            rows = slice(i, i + stride * h_out, stride)
            cols = slice(j, j + stride * w_out, stride)
            dx_pad[:, :, rows, cols] += np.einsum("nfhw,fc->nchw", dout, w[:, :, i, j])
    dx = dx_pad[:, :, padding : padding + height, padding : padding + width]
    ### END SOLUTION
    return dx, dw, db
