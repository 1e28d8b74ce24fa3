"""Public checks for pooling: small maps you can pool by hand, and what shifts do to them."""

import numpy as np
import pytest

from autograder.compare import expect_close
from autograder.feedback import Mistake
from autograder.mistakes import pooling as mistakes
from autograder.mistakes.pooling import routed_gradient

pytestmark = pytest.mark.concept("pooling")

# One 4 x 4 feature map; its 2 x 2 windows side by side are the four quarters.
FEATURE_MAP = np.array(
    [
        [1.0, 3.0, 2.0, 0.0],
        [4.0, 2.0, 1.0, 1.0],
        [0.0, 0.0, 5.0, 6.0],
        [1.0, 7.0, 8.0, 5.0],
    ]
)[None, None]


def test_max_pool2d_small_example(student):
    """2 x 2 max-pooling keeps the largest value of each quarter: 4, 2, 7 and 8."""
    expect_close(
        student.max_pool2d(FEATURE_MAP.copy(), 2),
        np.array([[[[4.0, 2.0], [7.0, 8.0]]]]),
        "max_pool2d",
        mistakes=[
            Mistake(mistakes.STRIDE_ONE_BY_DEFAULT, answer=np.array([[[[4.0, 3.0, 2.0], [4.0, 5.0, 6.0], [7.0, 8.0, 8.0]]]])),
            Mistake(mistakes.MEAN_FOR_MAX, answer=np.array([[[[2.5, 1.0], [2.0, 6.0]]]])),
        ],
    )


def test_avg_pool2d_small_example(student):
    """2 x 2 mean-pooling keeps the mean of each quarter: 2.5, 1, 2 and 6."""
    expect_close(
        student.avg_pool2d(FEATURE_MAP.copy(), 2),
        np.array([[[[2.5, 1.0], [2.0, 6.0]]]]),
        "avg_pool2d",
        mistakes=[
            Mistake(mistakes.STRIDE_ONE_BY_DEFAULT, answer=np.array([[[[2.5, 2.0, 1.0], [1.5, 2.0, 3.25], [2.0, 5.0, 6.0]]]])),
            Mistake(mistakes.MAX_FOR_MEAN, answer=np.array([[[[4.0, 2.0], [7.0, 8.0]]]])),
        ],
    )


def test_max_pool2d_with_overlapping_windows(student):
    """2 x 2 windows one step apart (stride 1) overlap: 3 x 3 of them fit, and 4 and 8 win two windows each."""
    expect_close(
        student.max_pool2d(FEATURE_MAP.copy(), 2, stride=1),
        np.array([[[[4.0, 3.0, 2.0], [4.0, 5.0, 6.0], [7.0, 8.0, 8.0]]]]),
        "max_pool2d",
        mistakes=[
            Mistake(mistakes.STRIDE_IGNORED, answer=np.array([[[[4.0, 2.0], [7.0, 8.0]]]])),
            Mistake(mistakes.MEAN_FOR_MAX, answer=np.array([[[[2.5, 2.0, 1.0], [1.5, 2.0, 3.25], [2.0, 5.0, 6.0]]]])),
        ],
    )


def test_max_pool2d_backward_with_overlapping_windows(student):
    """With stride 1, the 4 and the 8 above each win two windows, so each gets both windows' gradients: 2."""
    dout = np.ones((1, 1, 3, 3))
    expected = np.array([[[[0.0, 1.0, 1.0, 0.0], [2.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 2.0, 0.0]]]])
    expect_close(
        student.max_pool2d_backward(dout.copy(), FEATURE_MAP.copy(), 2, stride=1),
        expected,
        "max_pool2d_backward",
        mistakes=[
            Mistake(mistakes.OVERLAP_OVERWRITTEN, answer=np.minimum(expected, 1.0)),
            Mistake(mistakes.WINDOW_ASSIGNED, answer=routed_gradient(dout, FEATURE_MAP, 2, 1, assign="window")),
            Mistake(mistakes.STRIDE_IGNORED, answer=routed_gradient(dout, FEATURE_MAP, 2, 2)),
        ],
    )


def test_max_pool2d_ignores_a_shift_inside_its_window(student):
    """A feature that moves inside its 2 x 2 window (here from the top left to the bottom right) pools the same."""
    before = np.zeros((1, 1, 4, 4))
    after = np.zeros((1, 1, 4, 4))
    before[0, 0, 0, 2] = after[0, 0, 1, 3] = 9.0
    expected = np.array([[[[0.0, 9.0], [0.0, 0.0]]]])
    stride_one = Mistake(mistakes.STRIDE_ONE_BY_DEFAULT, test=lambda got: np.shape(got) == (1, 1, 3, 3))
    expect_close(student.max_pool2d(before, 2), expected, "max_pool2d", mistakes=[stride_one])
    expect_close(
        student.max_pool2d(after, 2),
        expected,
        "max_pool2d",
        mistakes=[stride_one, Mistake(mistakes.NOT_INVARIANT, test=lambda got: np.shape(got) == expected.shape)],
    )


def test_max_pool2d_moves_by_one_when_its_input_moves_by_the_stride(student):
    """Shift the input by 2 rows (the stride) and the 2 x 2 max-pooled map shifts by 1 row: equivariance."""
    shifted = np.zeros((1, 1, 4, 4))
    shifted[:, :, 2:] = FEATURE_MAP[:, :, :2]
    stride_one = Mistake(mistakes.STRIDE_ONE_BY_DEFAULT, test=lambda got: np.shape(got) == (1, 1, 3, 3))
    expect_close(student.max_pool2d(FEATURE_MAP.copy(), 2), np.array([[[[4.0, 2.0], [7.0, 8.0]]]]), "max_pool2d", mistakes=[stride_one])
    expected = np.array([[[[0.0, 0.0], [4.0, 2.0]]]])
    expect_close(
        student.max_pool2d(shifted, 2),
        expected,
        "max_pool2d",
        mistakes=[Mistake(mistakes.NOT_EQUIVARIANT, test=lambda got: np.shape(got) == expected.shape)],
    )


def test_max_pool2d_backward_routes_the_gradient_to_each_maximum(student):
    """Each window's gradient goes to the entry that won it (4, 2, 7, 8 above); all others get 0."""
    dout = np.array([[[[10.0, 20.0], [30.0, 40.0]]]])
    expected = np.zeros((1, 1, 4, 4))
    expected[0, 0, [1, 0, 3, 3], [0, 2, 1, 2]] = [10.0, 20.0, 30.0, 40.0]
    expect_close(
        student.max_pool2d_backward(dout, FEATURE_MAP.copy(), 2),
        expected,
        "max_pool2d_backward",
        mistakes=[Mistake(mistakes.STRIDE_IGNORED, answer=routed_gradient(dout, FEATURE_MAP, 2, 1))],
    )


def test_max_pool2d_backward_sends_a_tie_to_one_entry(student):
    """Tied maxima (5, 5, 5 and 2, 2, 2) share no gradient: it all goes to the first of them, as in torch."""
    x = np.array([[[[5.0, 5.0, 1.0, 2.0], [5.0, 0.0, 2.0, 2.0]]]])
    dout = np.array([[[[1.0, 10.0]]]])
    tied = np.array([[[[1.0, 1.0, 0.0, 10.0], [1.0, 0.0, 10.0, 10.0]]]])
    expect_close(
        student.max_pool2d_backward(dout, x, 2),
        np.array([[[[1.0, 0.0, 0.0, 10.0], [0.0, 0.0, 0.0, 0.0]]]]),
        "max_pool2d_backward",
        mistakes=[
            Mistake(mistakes.TIED_GRADIENT, answer=tied),
            Mistake(mistakes.LAST_MAXIMUM, answer=np.array([[[[0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 10.0]]]])),
            Mistake(mistakes.STRIDE_IGNORED, answer=routed_gradient(dout, x, 2, 1)),
        ],
    )


def test_avg_pool2d_backward_shares_the_gradient(student):
    """Each entry of a 2 x 2 window gets a quarter of the window's gradient."""
    dout = np.array([[[[4.0, 8.0]]]])
    expect_close(
        student.avg_pool2d_backward(dout, (1, 1, 2, 4), 2),
        np.array([[[[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]]]),
        "avg_pool2d_backward",
        mistakes=[
            Mistake(mistakes.NOT_DIVIDED, answer=np.array([[[[4.0, 4.0, 8.0, 8.0], [4.0, 4.0, 8.0, 8.0]]]])),
            Mistake(mistakes.STRIDE_IGNORED, answer=np.array([[[[1.0, 3.0, 2.0, 0.0], [1.0, 3.0, 2.0, 0.0]]]])),
        ],
    )


def test_global_avg_pool_small_example(student):
    """One mean per channel: the 4 x 4 map above averages to 46 / 16, its negative to -46 / 16."""
    x = np.concatenate([FEATURE_MAP, -FEATURE_MAP], axis=1)
    expect_close(
        student.global_avg_pool(x),
        np.array([[46.0 / 16, -46.0 / 16]]),
        "global_avg_pool",
        mistakes=[
            Mistake(mistakes.KEEPS_SPATIAL_AXES, answer=np.array([[[[46.0 / 16]], [[-46.0 / 16]]]])),
            Mistake(mistakes.SUM_NOT_MEAN, answer=np.array([[46.0, -46.0]])),
        ],
    )


def one_pixel(row, col):
    """A (1, 1, 3, 4) map that is 1 at (row, col) and 0 elsewhere."""
    x = np.zeros((1, 1, 3, 4))
    x[0, 0, row, col] = 1.0
    return x


def test_translate_moves_a_single_pixel(student):
    """translate(x, 1, -2) moves a pixel from (0, 2) to (1, 0); one moved past the edge is gone."""
    expect_close(
        student.translate(one_pixel(0, 2), 1, -2),
        one_pixel(1, 0),
        "translate",
        mistakes=[Mistake(mistakes.SWAPPED_AXES, answer=np.zeros((1, 1, 3, 4)))],
    )
    expect_close(
        student.translate(one_pixel(2, 3), 1, 2),
        np.zeros((1, 1, 3, 4)),
        "translate",
        mistakes=[Mistake(mistakes.WRAPS_AROUND, answer=one_pixel(0, 1))],
    )
