"""Public checks for receptive fields: the lecture's network and the least bittern.

The least bittern's breeding call is 0.5 s long at 500-600 Hz; it is recorded at 44.1 kHz
and turned into a spectrogram with frames of 1024 samples and a hop of 512. A layer is a
tuple (kernel_size, stride[, padding[, dilation]]); 3x3 conv -> 2x2 max-pool -> 3x3 conv is
[(3, 1), (2, 2), (3, 1)] along each axis.
"""

import numpy as np
import pytest

from autograder.compare import CheckFailed, expect_close, expect_count, expect_float, expect_int, helpers_first
from autograder.feedback import Mistake
from autograder.mistakes import receptive_fields as mistakes
from autograder.mistakes.receptive_fields import pooling_stages_helpers

pytestmark = pytest.mark.concept("receptive_fields")

SAMPLE_RATE, N_FFT, HOP = 44_100, 1024, 512
LECTURE_NETWORK = [(3, 1), (2, 2), (3, 1)]


def as_vector(got, name, length, expect):
    """A tuple of `length` numbers, each checked by `expect`, as a float64 vector."""
    if type(got) not in (tuple, list) or len(got) != length:
        raise CheckFailed(f"{name} should return a tuple of {length} numbers.")
    return np.array([expect(value, name) for value in got], dtype=np.float64)


def as_number(value, name):
    """An int, or a float (a mistaken start may be a half), as a float."""
    return expect_float(value, name) if isinstance(value, (float, np.floating)) else float(expect_int(value, name))


def expect_field(got, expected, mistaken):
    """receptive_field's (size, jump, start), exactly, as ints; `mistaken` lists (explanation, triple) pairs."""
    expect_close(
        as_vector(got, "receptive_field", 3, as_number),
        np.array(expected, dtype=np.float64),
        "receptive_field (size, jump, start)",
        rtol=0.0,
        atol=0.0,
        mistakes=[Mistake(why, answer=np.array(triple)) for why, triple in mistaken],
    )
    as_vector(got, "receptive_field", 3, expect_int)


def test_receptive_field_of_the_lecture_network(student):
    """3x3 conv -> 2x2 max-pool -> 3x3 conv: 1 + 2 * 1 + 1 * 1 + 2 * (1 * 2) = 8 inputs, jump 2."""
    expect_field(
        student.receptive_field(LECTURE_NETWORK),
        (8, 2, 0),
        [(mistakes.NO_JUMP, (6, 2, 0)), (mistakes.JUMP_INCLUDES_OWN_STRIDE, (9, 2, 0)), (mistakes.OFF_BY_ONE, (7, 2, 0))],
    )


def test_receptive_field_of_a_deeper_network(student):
    """conv3 -> pool2 -> conv3 -> pool2 -> conv3 sees 18 inputs (the kernel sizes add up to only 13)."""
    expect_field(
        student.receptive_field([(3, 1), (2, 2), (3, 1), (2, 2), (3, 1)]),
        (18, 4, 0),
        [
            (mistakes.KERNEL_SUM, (13, 4, 0)),
            (mistakes.NO_JUMP, (9, 4, 0)),
            (mistakes.JUMP_INCLUDES_OWN_STRIDE, (21, 4, 0)),
            (mistakes.OFF_BY_ONE, (17, 4, 0)),
            (mistakes.OFF_BY_ONE, (19, 4, 0)),
        ],
    )


def test_receptive_field_padding_moves_but_does_not_grow(student):
    """With padding 1 in both convs the field is still 8 wide, but output 0 starts 1 + 2 * 1 = 3 inputs into the padding."""
    expect_field(
        student.receptive_field([(3, 1, 1), (2, 2), (3, 1, 1)]),
        (8, 2, -3),
        [
            (mistakes.NO_JUMP, (6, 2, -3)),
            (mistakes.JUMP_INCLUDES_OWN_STRIDE, (9, 2, -3)),
            (mistakes.PADDING_GROWS, (14, 2, -3)),
            (mistakes.OFF_BY_ONE, (7, 2, -3)),
            (mistakes.START_IGNORES_PADDING, (8, 2, 0)),
            (mistakes.START_PADDING_UNSCALED, (8, 2, -2)),
        ],
    )


def test_receptive_field_of_a_dilated_network(student):
    """Dilations 2 and 4 (WaveNet's doubling): 3-tap kernels then span 5 and 9 inputs, so the field is
    1 + 4 + 8 = 13 wide; paddings 2 and 4 keep outputs centred, so output 0 starts 6 inputs into the padding."""
    expect_field(
        student.receptive_field([(3, 1, 2, 2), (3, 1, 4, 4)]),
        (13, 1, -6),
        [
            (mistakes.NO_DILATION, (5, 1, -6)),
            (mistakes.KERNEL_SUM, (6, 1, -6)),
            (mistakes.OFF_BY_ONE, (12, 1, -6)),
            (mistakes.PADDING_GROWS, (25, 1, -6)),
            (mistakes.START_IGNORES_PADDING, (13, 1, 0)),
            (mistakes.START_IGNORES_DILATION, (13, 1, -10)),
            (mistakes.START_IGNORES_DILATION, (13, 1, -14)),
        ],
    )


def test_spectrogram_resolution_of_the_least_bittern(student):
    """44,100 / 1024 = 43.07 Hz per bin and 44,100 / 512 = 86.13 frames per second."""
    expect_close(
        as_vector(student.spectrogram_resolution(SAMPLE_RATE, N_FFT, HOP), "spectrogram_resolution", 2, expect_float),
        np.array([SAMPLE_RATE / N_FFT, SAMPLE_RATE / HOP]),
        "spectrogram_resolution (hz_per_bin, frames_per_second)",
        mistakes=[
            Mistake(mistakes.HALF_BIN, answer=np.array([SAMPLE_RATE / (2 * N_FFT), SAMPLE_RATE / HOP])),
            Mistake(mistakes.WINDOW_NOT_HOP, answer=np.array([SAMPLE_RATE / N_FFT, SAMPLE_RATE / N_FFT])),
            Mistake(mistakes.SWAPPED, answer=np.array([SAMPLE_RATE / HOP, SAMPLE_RATE / N_FFT])),
        ],
    )


def test_receptive_field_extent_of_the_least_bittern(student):
    """8 frames and 8 bins: (7 * 512 + 1024) / 44,100 = 104.5 ms and 8 * 43.07 = 344.5 Hz."""
    extent = student.receptive_field_extent(8, 8, SAMPLE_RATE, N_FFT, HOP)
    expect_close(
        as_vector(extent, "receptive_field_extent", 2, expect_float),
        np.array([4608 / SAMPLE_RATE, 8 * SAMPLE_RATE / N_FFT]),
        "receptive_field_extent (seconds, hz)",
        mistakes=[
            Mistake(mistakes.HOPS_ONLY, answer=np.array([8 * HOP / SAMPLE_RATE, 8 * SAMPLE_RATE / N_FFT])),
            Mistake(mistakes.WINDOWS_ONLY, answer=np.array([8 * N_FFT / SAMPLE_RATE, 8 * SAMPLE_RATE / N_FFT])),
            Mistake(mistakes.BIN_CENTRES, answer=np.array([4608 / SAMPLE_RATE, 7 * SAMPLE_RATE / N_FFT])),
            Mistake(mistakes.HALF_BIN, answer=np.array([4608 / SAMPLE_RATE, 4 * SAMPLE_RATE / N_FFT])),
        ],
    )


def expect_network_field(got, expected, mistaken):
    """network_receptive_field's (size, jump, start), exactly; `mistaken` maps explanations to triples."""
    expect_close(
        as_vector(got, "network_receptive_field", 3, expect_int),
        np.array(expected, dtype=np.float64),
        "network_receptive_field (size, jump, start)",
        rtol=0.0,
        atol=0.0,
        mistakes=[Mistake(why, answer=np.array(triple)) for why, triple in mistaken.items()],
    )


def test_network_receptive_field_follows_the_longest_path(student):
    """Two 3-wide layers inside a residual block widen the field as if the block were not there: (8, 2, -3)."""
    block = {"type": "residual", "body": [(3, 1, 1), (3, 1, 1)]}
    expect_network_field(student.network_receptive_field([(3, 1, 1), block, (2, 2)]), (8, 2, -3), {mistakes.SHORTEST_PATH: (4, 2, -1)})


def test_network_receptive_field_of_a_downsampling_block(student):
    """A body with a stride-2 3-wide layer beside a stride-2 1 x 1 shortcut: the body's path decides, (13, 2, -6)."""
    block = {"type": "residual", "body": [(3, 2, 1), (3, 1, 1)], "shortcut": [(1, 2)]}
    expect_network_field(
        student.network_receptive_field([(3, 1, 1), block, (3, 1, 1)]),
        (13, 2, -6),
        {mistakes.BRANCHES_IN_SEQUENCE: (17, 4, -8), mistakes.SHORTEST_PATH: (7, 2, -3)},
    )


def test_pooling_stages_needed_for_the_least_bittern(student):
    """Fields of 8, 18, 38 and 78 frames for 1 to 4 stages: a 0.5 s call (43 frames) needs 4."""
    fields = [3, 8, 18, 38, 78, 158]
    with helpers_first("pooling_stages_needed", pooling_stages_helpers(student, SAMPLE_RATE, N_FFT, HOP, fields)):
        expect_count(
            student.pooling_stages_needed(0.5, SAMPLE_RATE, N_FFT, HOP),
            4,
            "pooling_stages_needed",
            mistakes=[
                Mistake(mistakes.NO_JUMP, answer=14),
                Mistake(mistakes.KERNEL_SUM, answer=8),
                Mistake(mistakes.WINDOWS_ONLY, answer=3),
            ],
        )
