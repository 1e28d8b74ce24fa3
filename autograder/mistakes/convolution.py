"""Known mistakes in convolution arithmetic and convolutional layers."""

import numpy as np

from autograder.compare import expect_count
from autograder.feedback import Mistake

MISSING_PLUS_ONE = "it is one short: the +1 counts the kernel's first position, (i + 2p - k) // s + 1."
MISSING_FLOOR = "it is not a whole number: a kernel only moves whole strides, so floor the division with //."
CEIL_NOT_FLOOR = "it rounds up; a convolution only keeps positions where the kernel fits, so floor with //."
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
PAD_SLICE_AT_ZERO = "an axis came back empty: with padding 0, x[padding:-padding] is x[0:0]; slice up to padding + H instead."
GRADIENT_NOT_SUMMED_OVER_BATCH = "it is the gradient of one sample; the weights are shared by every sample and every position, so sum over them all."
NOT_EQUIVARIANT = "shifting the input did not shift the feature map: the same kernel at every position makes a convolution equivariant to shifts."


def is_float(got) -> bool:
    """A test for sizes computed with / instead of //: the answer is a float."""
    return type(got) in (float, np.float64)


def expect_size(got, expected: int, name: str, mistakes=()) -> None:
    """`expect_count` for an output size, where a float answer names the missing floor."""
    __tracebackhide__ = True
    expect_count(got, expected, name, mistakes=[Mistake(MISSING_FLOOR, test=is_float), *mistakes])
