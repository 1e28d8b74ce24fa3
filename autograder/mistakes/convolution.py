"""Known mistakes in convolution arithmetic and convolutional layers, and the helpers a
wrong answer may come from (checked first, so the feedback blames the right function)."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograder.compare import CheckFailed, expect_close, expect_count
from autograder.feedback import Mistake, recognise

MISSING_PLUS_ONE = "it is one short: the +1 counts the kernel's first position, (i + 2p - k) // s + 1."
MISSING_FLOOR = "it is not a whole number: a kernel only moves whole strides, so floor the division with //."
SIZE_AS_FLOAT = "the size is right but a float (from / or np.floor); a size counts positions, an int, so floor the division with // on ints."
CEIL_NOT_FLOOR = "it rounds up; a convolution only keeps positions where the kernel fits, so floor with //."
ROUND_NOT_FLOOR = "it rounds to the nearest whole number (round()); a convolution only keeps positions where the kernel fits, so floor with //."
PADDING_TOTAL = "padding is counted once, as a total; the padding p is added on EACH side, so 2 * p in all."
IGNORES_STRIDE = "the stride is ignored: the kernel moves `stride` positions at a time."
IGNORES_DILATION = "the dilation is ignored: a dilated kernel of k taps spans dilation * (k - 1) + 1 inputs."
IGNORES_OUTPUT_PADDING = "output_padding is ignored: it is added once, to pick one of the sizes a strided convolution maps together."
FORWARD_FORMULA = "that is the forward convolution's output size; a transposed convolution maps that size back up."
FLIPPED_KERNEL = "the kernel is flipped: that is true convolution, but the lecture's convolution layer computes cross-correlation, so slide the kernel as it is."
NOT_FLIPPED = "the kernel is not flipped: that is cross-correlation, but true convolution flips the kernel (kernel[::-1, ::-1]) first."
CHANNELS_AVERAGED = "the channels are averaged; the lecture's convolutions are computed for each channel and summed."
BIAS_PER_INPUT_CHANNEL = "the bias is added once per input channel; each filter has one bias, added once to its sum over channels."
MISSING_BIAS = "the bias b is missing: add b[f] to every output of filter f."
PADS_EVERY_AXIS = "it pads the batch and channel axes too; only H and W get zeros."
PADDING_ONE_SIDE = "the zeros went on one side only; `pad` zeros go on EACH side of H and W, before and after the map."
PADDING_TOP_LEFT = "all the padding went to the top and left; `pad` zeros go before the map and `pad` after it, (pad, pad) on H and W."
BIAS_ALONG_W = "the bias was added along W (the last axis), not per filter: b[f] is added to every output of filter f, b[None, :, None, None]."
SWAPPED_KERNEL_AXES = "the kernel lies on its side: axis 2 of w is the kernel's height kh, axis 3 its width kw."
PAD_SLICE_AT_ZERO = "an axis came back empty: with padding 0, x[padding:-padding] is x[0:0]; slice up to padding + H instead."
CROP_HARD_CODED = "dx has the wrong size: cut `padding` rows and columns from each side of dx_pad, not a fixed 1."
DB_AVERAGED = "db is averaged over the batch; the gradient of a shared bias sums over every sample and position, with no division."
DB_WRONG_AXES = "db has one entry per filter: sum dout over the batch and both spatial axes, axis=(0, 2, 3)."
GRADIENT_NOT_SUMMED_OVER_BATCH = "it is the gradient of one sample; the weights are shared by every sample and every position, so sum over them all."
NOT_EQUIVARIANT = "shifting the input did not shift the feature map: the same kernel at every position makes a convolution equivariant to shifts."


def is_float(got) -> bool:
    """A test for sizes computed with / instead of //: the answer is a float, not a whole one."""
    return type(got) in (float, np.float64) and not float(got).is_integer()


def expect_size(got, expected: int, name: str, mistakes=()) -> None:
    """`expect_count` for an output size, where a fractional answer names the missing floor
    and the right size as a float (np.floor(...) + 1) is told it should be an int."""
    __tracebackhide__ = True
    as_float = Mistake(SIZE_AS_FLOAT, test=lambda got: type(got) in (float, np.float64) and got == expected)
    expect_count(got, expected, name, mistakes=[Mistake(MISSING_FLOOR, test=is_float), as_float, *mistakes])


def expect_sizes(got: list, expected: list[int], name: str, mistakes=()) -> None:
    """`expect_size` for several answers of one function, with `mistakes` recognised on the
    whole list: rounding to the nearest is told from rounding up only over several sizes."""
    __tracebackhide__ = True
    failures = []
    for size, right in zip(got, expected):
        try:
            expect_size(size, right, name)
        except CheckFailed as failure:
            failures.append(failure)
    if not failures:
        return
    mistake = recognise(list(got), mistakes)
    if mistake is not None:
        raise CheckFailed(f"{name} gave a wrong answer: {mistake.explanation}", mistake=mistake.explanation)
    raise failures[0]


def rounds_to_nearest(floors: list[int], ceilings: list[int]):
    """A test for sizes that are each the floor or the ceiling, and both where they differ."""

    def test(got) -> bool:
        try:
            sizes = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return False
        low, high = np.asarray(floors), np.asarray(ceilings)
        apart = low != high
        if sizes.shape != low.shape or not np.all((sizes == low) | (sizes == high)):
            return False
        return bool(np.any(sizes[apart] == low[apart]) and np.any(sizes[apart] == high[apart]))

    return test


def padded(x: np.ndarray, before: int, after: int | None = None) -> np.ndarray:
    """x (N, C, H, W) with `before` zeros above and left of each map and `after` (default:
    the same) below and right of it."""
    after = before if after is None else after
    return np.pad(x, ((0, 0), (0, 0), (before, after), (before, after)))


def zero_pad_mistakes(x: np.ndarray, pad: int) -> list[Mistake]:
    """What each known padding mistake makes of x."""
    return [
        Mistake(PADS_EVERY_AXIS, answer=np.pad(x, pad)),
        Mistake(PADDING_ONE_SIDE, answer=padded(x, pad, 0)),
        Mistake(PADDING_ONE_SIDE, answer=padded(x, 0, pad)),
        Mistake(PADDING_TOP_LEFT, answer=padded(x, 2 * pad, 0)),
    ]


def cut_windows(x: np.ndarray, kernel_height: int, kernel_width: int, stride: int = 1, dilation: int = 1) -> np.ndarray:
    """The grader's own im2col by fancy indexing: [n, c, r, s, i, j] is
    x[n, c, r * stride + i * dilation, s * stride + j * dilation]."""
    height, width = x.shape[2:]
    rows = np.arange((height - dilation * (kernel_height - 1) - 1) // stride + 1)[:, None] * stride
    cols = np.arange((width - dilation * (kernel_width - 1) - 1) // stride + 1)[:, None] * stride
    rows = rows + np.arange(kernel_height) * dilation
    cols = cols + np.arange(kernel_width) * dilation
    return x[:, :, rows[:, None, :, None], cols[None, :, None, :]]


def correlate(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """The grader's own valid cross-correlation of one (H, W) image with one kernel."""
    return np.einsum("hwij,ij->hw", sliding_window_view(image, kernel.shape), kernel)


def convolve2d_helpers(student, image: np.ndarray, kernel: np.ndarray) -> dict:
    """The check of correlate2d on what convolve2d hands it: the kernel turned by 180 degrees."""
    turned = np.ascontiguousarray(kernel[::-1, ::-1])
    return {"correlate2d": lambda: expect_close(student.correlate2d(image.copy(), turned.copy()), correlate(image, turned), "correlate2d")}


def conv2d_helpers(student, x: np.ndarray, kernel_shape: tuple, stride: int = 1, padding: int = 0, dilation: int = 1) -> dict:
    """The checks of zero_pad and windows on what conv2d (and conv2d_backward) hands them."""
    x_pad = padded(x, padding)
    kernel_height, kernel_width = kernel_shape
    pieces = cut_windows(x_pad, kernel_height, kernel_width, stride, dilation)
    return {
        "zero_pad": lambda: expect_close(student.zero_pad(x.copy(), padding), x_pad, "zero_pad"),
        "windows": lambda: expect_close(student.windows(x_pad.copy(), kernel_height, kernel_width, stride, dilation), pieces, "windows"),
    }
