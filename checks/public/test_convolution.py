"""Public checks for convolution: the lecture's X-vs-O example and sizes you can work out by hand."""

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from autograder.compare import expect_close
from autograder.feedback import Mistake
from autograder.mistakes import convolution as mistakes
from autograder.mistakes.convolution import expect_size

pytestmark = pytest.mark.concept("convolution")

# The lecture's clean "O" (+1 on the ring, -1 elsewhere) and its first kernel.
O_IMAGE = -np.ones((9, 9))
O_IMAGE[[1, 7], 3:6] = 1.0
O_IMAGE[[2, 2, 6, 6], [2, 6, 2, 6]] = 1.0
O_IMAGE[3:6, [1, 7]] = 1.0
KERNEL = np.array([[-1.0, -1.0, -1.0], [-1.0, 1.0, 1.0], [1.0, -1.0, -1.0]])

# The feature map on the slide "Who does convolution work on 2D data?": its maximum, 9, is a
# perfect match of the kernel with a piece of the O.
FEATURE_MAP = np.array(
    [
        [1, 3, 9, 5, 1, -1, 5],
        [3, 5, -3, -3, 1, 1, -1],
        [1, 1, 1, 3, 1, 1, 1],
        [1, 1, 3, 3, 3, 1, 1],
        [1, -3, 5, 3, 1, 1, 5],
        [3, 1, -3, 1, 5, 5, -1],
        [1, 3, 5, 5, 1, -1, 1],
    ],
    dtype=np.float64,
)


def correlate(image, kernel):
    """The grader's own valid cross-correlation of one image with one kernel."""
    return np.einsum("hwij,ij->hw", sliding_window_view(image, kernel.shape), kernel)


def rotated(array):
    """The array turned by 180 degrees in its last two axes."""
    return np.ascontiguousarray(array[..., ::-1, ::-1])


def test_conv_output_size_of_the_lecture_example(student):
    """A 3 x 3 kernel fits 9 - 3 + 1 = 7 times along each axis of the 9 x 9 O."""
    expect_size(
        student.conv_output_size(9, 3),
        7,
        "conv_output_size",
        mistakes=[Mistake(mistakes.MISSING_PLUS_ONE, answer=6)],
    )


def test_conv_output_size_with_padding_and_stride(student):
    """Padding 2 on each side: 9 + 2 * 2 - 3 + 1 = 11. Stride 2: (10 - 3) // 2 + 1 = 4, the last half step does not fit."""
    expect_size(
        student.conv_output_size(9, 3, padding=2),
        11,
        "conv_output_size",
        mistakes=[Mistake(mistakes.PADDING_TOTAL, answer=9), Mistake(mistakes.MISSING_PLUS_ONE, answer=10)],
    )
    expect_size(
        student.conv_output_size(10, 3, stride=2),
        4,
        "conv_output_size",
        mistakes=[
            Mistake(mistakes.CEIL_NOT_FLOOR, answer=5),
            Mistake(mistakes.MISSING_PLUS_ONE, answer=3),
            Mistake(mistakes.IGNORES_STRIDE, answer=8),
        ],
    )


def test_conv_output_size_with_dilation(student):
    """A 3-tap kernel with dilation 2 spans 5 inputs, so it fits 9 - 5 + 1 = 5 times."""
    expect_size(
        student.conv_output_size(9, 3, dilation=2),
        5,
        "conv_output_size",
        mistakes=[Mistake(mistakes.IGNORES_DILATION, answer=7), Mistake(mistakes.MISSING_PLUS_ONE, answer=4)],
    )


def test_conv_transpose_output_size_undoes_a_strided_conv(student):
    """k=3, s=2, p=1 maps both 7 and 8 to 4; output_padding 0 and 1 pick 7 and 8 back."""
    expect_size(
        student.conv_transpose_output_size(4, 3, stride=2, padding=1),
        7,
        "conv_transpose_output_size",
        mistakes=[Mistake(mistakes.FORWARD_FORMULA, answer=2), Mistake(mistakes.PADDING_TOTAL, answer=8)],
    )
    expect_size(
        student.conv_transpose_output_size(4, 3, stride=2, padding=1, output_padding=1),
        8,
        "conv_transpose_output_size",
        mistakes=[Mistake(mistakes.IGNORES_OUTPUT_PADDING, answer=7)],
    )


def test_correlate2d_reproduces_the_lecture_feature_map(student):
    """Sliding the kernel over the O gives the slide's 7 x 7 feature map, with a 9 for a perfect match."""
    expect_close(
        student.correlate2d(O_IMAGE.copy(), KERNEL.copy()),
        FEATURE_MAP,
        "correlate2d",
        mistakes=[Mistake(mistakes.FLIPPED_KERNEL, answer=rotated(FEATURE_MAP))],
    )


def test_correlate2d_with_the_transposed_kernel(student):
    """The slide's second kernel is the first one transposed; the O is symmetric, so its map is transposed too."""
    expect_close(
        student.correlate2d(O_IMAGE.copy(), KERNEL.T.copy()),
        FEATURE_MAP.T.copy(),
        "correlate2d",
        mistakes=[Mistake(mistakes.FLIPPED_KERNEL, answer=rotated(FEATURE_MAP.T))],
    )


def test_convolve2d_flips_the_kernel(student):
    """True convolution flips the kernel: on the O it gives the slide's map turned by 180 degrees."""
    expect_close(
        student.convolve2d(O_IMAGE.copy(), KERNEL.copy()),
        rotated(FEATURE_MAP),
        "convolve2d",
        mistakes=[Mistake(mistakes.NOT_FLIPPED, answer=FEATURE_MAP)],
    )


def test_zero_pad_adds_zeros_around_h_and_w(student):
    """Padding a (2, 3, 2, 4) batch by 1 gives (2, 3, 4, 6): zeros around, the maps in the middle."""
    x = np.ones((2, 3, 2, 4))
    expected = np.zeros((2, 3, 4, 6))
    expected[:, :, 1:3, 1:5] = 1.0
    expect_close(
        student.zero_pad(x.copy(), 1),
        expected,
        "zero_pad",
        mistakes=[Mistake(mistakes.PADS_EVERY_AXIS, answer=np.pad(x, 1))],
    )


def test_conv2d_sums_over_channels(student):
    """Two channels (the O twice) with kernels K and K.T: the maps are summed, plus one bias."""
    x = np.stack([O_IMAGE, O_IMAGE])[None]
    w = np.stack([KERNEL, KERNEL.T])[None]
    b = np.array([0.5])
    both = FEATURE_MAP + FEATURE_MAP.T
    expect_close(
        student.conv2d(x.copy(), w.copy(), b.copy()),
        (both + 0.5)[None, None],
        "conv2d",
        mistakes=[
            Mistake(mistakes.CHANNELS_AVERAGED, answer=(both / 2 + 0.5)[None, None]),
            Mistake(mistakes.BIAS_PER_INPUT_CHANNEL, answer=(both + 1.0)[None, None]),
            Mistake(mistakes.FLIPPED_KERNEL, answer=rotated(both + 0.5)[None, None]),
            Mistake(mistakes.MISSING_BIAS, answer=both[None, None]),
        ],
    )


def test_conv2d_feature_map_shifts_with_the_image(student):
    """Move the O one column right (in a 9 x 10 image): the feature map moves one column right too."""
    x = -np.ones((1, 1, 9, 10))
    x[0, 0, :, 1:] = O_IMAGE
    first_column = np.array([[3.0], [1.0], [3.0], [1.0], [3.0], [1.0], [3.0]])
    expected = np.hstack([first_column, FEATURE_MAP])[None, None]
    expect_close(
        student.conv2d(x.copy(), KERNEL[None, None].copy()),
        expected,
        "conv2d",
        mistakes=[Mistake(mistakes.FLIPPED_KERNEL, answer=correlate(x[0, 0], KERNEL[::-1, ::-1])[None, None])],
    )


def test_conv2d_with_stride_2_keeps_every_other_position(student):
    """Stride 2 moves the kernel two pixels at a time: every other entry of the slide's map."""
    expect_close(
        student.conv2d(O_IMAGE[None, None].copy(), KERNEL[None, None].copy(), stride=2),
        FEATURE_MAP[::2, ::2][None, None].copy(),
        "conv2d",
        mistakes=[
            Mistake(mistakes.IGNORES_STRIDE, answer=FEATURE_MAP[None, None]),
            Mistake(mistakes.FLIPPED_KERNEL, answer=rotated(FEATURE_MAP)[::2, ::2][None, None].copy()),
        ],
    )


def test_conv2d_backward_of_one_output(student):
    """The gradient of one output: dx is the kernel laid on its window, dw is that window, db is 1."""
    x = np.arange(20.0).reshape(1, 1, 4, 5)
    w = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    dout = np.zeros((1, 1, 3, 4))
    dout[0, 0, 1, 2] = 1.0
    dx, dw, db = student.conv2d_backward(dout.copy(), x.copy(), w.copy())
    expected_dx = np.zeros((1, 1, 4, 5))
    expected_dx[0, 0, 1:3, 2:4] = w[0, 0]
    flipped_dx = expected_dx.copy()
    flipped_dx[0, 0, 1:3, 2:4] = w[0, 0, ::-1, ::-1]
    expect_close(
        dx,
        expected_dx,
        "conv2d_backward (dx)",
        mistakes=[
            Mistake(mistakes.PAD_SLICE_AT_ZERO, test=lambda got: 0 in np.shape(got)),
            Mistake(mistakes.FLIPPED_KERNEL, answer=flipped_dx),
        ],
    )
    expect_close(dw, x[:, :, 1:3, 2:4].copy(), "conv2d_backward (dw)")
    expect_close(db, np.array([1.0]), "conv2d_backward (db)")
