"""Public checks for convolution: the lecture's X-vs-O example and sizes you can work out by hand."""

import numpy as np
import pytest

from autograder.compare import expect_close, helpers_first
from autograder.feedback import Mistake
from autograder.mistakes import convolution as mistakes
from autograder.mistakes.convolution import conv2d_helpers, convolve2d_helpers, correlate, expect_size, zero_pad_mistakes

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
    with helpers_first("convolve2d", convolve2d_helpers(student, O_IMAGE, KERNEL)):
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
    expect_close(student.zero_pad(x.copy(), 1), expected, "zero_pad", mistakes=zero_pad_mistakes(x, 1))


def test_windows_with_dilation_skip_every_other_pixel(student):
    """A 2 x 2 kernel with dilation 2 takes every other pixel: on a 4 x 5 map numbered 0 to 19
    its first piece is [[0, 2], [10, 12]], and it fits 2 x 3 times."""
    x = np.arange(20.0).reshape(1, 1, 4, 5)
    pieces = [[x[0, 0, r : r + 3 : 2, s : s + 3 : 2] for s in range(3)] for r in range(2)]
    undilated = [[x[0, 0, r : r + 2, s : s + 2] for s in range(4)] for r in range(3)]
    expect_close(
        student.windows(x.copy(), 2, 2, dilation=2),
        np.array(pieces)[None, None],
        "windows",
        mistakes=[Mistake(mistakes.IGNORES_DILATION, answer=np.array(undilated)[None, None])],
    )


def test_conv2d_sums_over_channels(student):
    """Two channels (the O twice) with kernels K and K.T: the maps are summed, plus one bias."""
    x = np.stack([O_IMAGE, O_IMAGE])[None]
    w = np.stack([KERNEL, KERNEL.T])[None]
    b = np.array([0.5])
    both = FEATURE_MAP + FEATURE_MAP.T
    with helpers_first("conv2d", conv2d_helpers(student, x, (3, 3))):
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


def test_conv2d_gives_one_map_per_filter(student):
    """Two filters, K and K.T, with biases 1 and -1: two feature maps, the slide's map + 1 and its transpose - 1."""
    w = np.stack([KERNEL, KERNEL.T])[:, None]
    b = np.array([1.0, -1.0])
    expected = np.stack([FEATURE_MAP + 1.0, FEATURE_MAP.T - 1.0])[None]
    with helpers_first("conv2d", conv2d_helpers(student, O_IMAGE[None, None], (3, 3))):
        expect_close(
            student.conv2d(O_IMAGE[None, None].copy(), w.copy(), b.copy()),
            expected,
            "conv2d",
            mistakes=[
                Mistake(mistakes.MISSING_BIAS, answer=np.stack([FEATURE_MAP, FEATURE_MAP.T])[None]),
                Mistake(mistakes.FLIPPED_KERNEL, answer=rotated(expected)),
            ],
        )


def test_conv2d_with_a_non_square_kernel(student):
    """A 1 x 3 kernel [-1, 0, 1] measures how a row changes: on a 4 x 5 image that grows by 1 per
    column (and 5 per row) it gives 2 everywhere, in a 4 x 3 map."""
    x = np.arange(20.0).reshape(1, 1, 4, 5)
    w = np.array([[[[-1.0, 0.0, 1.0]]]])
    with helpers_first("conv2d", conv2d_helpers(student, x, (1, 3))):
        expect_close(
            student.conv2d(x.copy(), w.copy()),
            np.full((1, 1, 4, 3), 2.0),
            "conv2d",
            mistakes=[
                Mistake(mistakes.SWAPPED_KERNEL_AXES, answer=np.full((1, 1, 2, 5), 10.0)),
                Mistake(mistakes.FLIPPED_KERNEL, answer=np.full((1, 1, 4, 3), -2.0)),
            ],
        )


def test_conv2d_with_padding_keeps_the_size(student):
    """Padding 1 keeps a 3 x 3 kernel's output as large as its 3 x 4 input; a kernel of ones then counts
    the pixels of the image under it: 4 in a corner, 6 on an edge, 9 inside."""
    x = np.ones((1, 1, 3, 4))
    w = np.ones((1, 1, 3, 3))
    with helpers_first("conv2d", conv2d_helpers(student, x, (3, 3), padding=1)):
        expect_close(
            student.conv2d(x.copy(), w.copy(), padding=1),
            np.array([[[[4.0, 6.0, 6.0, 4.0], [6.0, 9.0, 9.0, 6.0], [4.0, 6.0, 6.0, 4.0]]]]),
            "conv2d",
            mistakes=[
                Mistake(mistakes.PADDING_TOTAL, answer=np.array([[[[9.0, 9.0]]]])),
                Mistake(mistakes.PADDING_ONE_SIDE, answer=np.array([[[[4.0, 6.0, 6.0], [6.0, 9.0, 9.0]]]])),
                Mistake(mistakes.PADDING_ONE_SIDE, answer=np.array([[[[9.0, 9.0, 6.0], [6.0, 6.0, 4.0]]]])),
                Mistake(mistakes.PADDING_TOP_LEFT, answer=np.array([[[[1.0, 2.0, 3.0, 3.0], [2.0, 4.0, 6.0, 6.0], [3.0, 6.0, 9.0, 9.0]]]])),
            ],
        )


def test_conv2d_feature_map_shifts_with_the_image(student):
    """Move the O one column right (in a 9 x 10 image): the feature map moves one column right too."""
    x = -np.ones((1, 1, 9, 10))
    x[0, 0, :, 1:] = O_IMAGE
    first_column = np.array([[3.0], [1.0], [3.0], [1.0], [3.0], [1.0], [3.0]])
    expected = np.hstack([first_column, FEATURE_MAP])[None, None]
    with helpers_first("conv2d", conv2d_helpers(student, x, (3, 3))):
        expect_close(
            student.conv2d(x.copy(), KERNEL[None, None].copy()),
            expected,
            "conv2d",
            mistakes=[Mistake(mistakes.FLIPPED_KERNEL, answer=correlate(x[0, 0], KERNEL[::-1, ::-1])[None, None])],
        )


def test_conv2d_with_stride_2_keeps_every_other_position(student):
    """Stride 2 moves the kernel two pixels at a time: every other entry of the slide's map."""
    with helpers_first("conv2d", conv2d_helpers(student, O_IMAGE[None, None], (3, 3), stride=2)):
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
    expected_dx = np.zeros((1, 1, 4, 5))
    expected_dx[0, 0, 1:3, 2:4] = w[0, 0]
    flipped_dx = expected_dx.copy()
    flipped_dx[0, 0, 1:3, 2:4] = w[0, 0, ::-1, ::-1]
    with helpers_first("conv2d_backward", conv2d_helpers(student, x, (2, 2))):
        dx, dw, db = student.conv2d_backward(dout.copy(), x.copy(), w.copy())
        expect_close(
            dx,
            expected_dx,
            "conv2d_backward (dx)",
            mistakes=[
                Mistake(mistakes.PAD_SLICE_AT_ZERO, test=lambda got: 0 in np.shape(got)),
                Mistake(mistakes.CROP_HARD_CODED, answer=expected_dx[:, :, 1:-1, 1:-1].copy()),
                Mistake(mistakes.FLIPPED_KERNEL, answer=flipped_dx),
            ],
        )
        expect_close(dw, x[:, :, 1:3, 2:4].copy(), "conv2d_backward (dw)")
        wrong_axes = Mistake(mistakes.DB_WRONG_AXES, test=lambda got: np.shape(got) != (1,))
        expect_close(db, np.array([1.0]), "conv2d_backward (db)", mistakes=[wrong_axes])
