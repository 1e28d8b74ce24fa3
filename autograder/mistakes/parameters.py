"""Known mistakes in counting parameters, and checks of the counting functions a wrong
table or total may come from (checked first, so the feedback blames the right function)."""

from autograder.compare import expect_count

NO_BIAS = "the biases are missing: every unit and every kernel also learns one bias."
BIAS_ALWAYS = "bias=False is ignored: a layer without a bias learns its weights only."
NO_DEPTH = "the input depth is missing: each kernel spans all input channels (5 x 5 x 3, not 5 x 5)."
IGNORES_GROUPS = "the groups are ignored: with groups g, each kernel sees only in_channels // g channels."
POOL_PARAMETERS = "a pooling layer learns nothing: max and mean pooling have no parameters."
BN_RUNNING_STATS = "batchnorm2d learns a scale and a shift per channel; its running mean and variance are not parameters."
SHORTCUT_FORGOTTEN = "the shortcut of a residual block is missing: its 1 x 1 convolution and batchnorm learn too."
STATISTICS_AS_COUNTER = "num_batches_tracked is a counter, not a statistic: a batchnorm2d keeps 2 * C running statistics (a mean and a variance per channel)."
STATISTICS_MEAN_ONLY = "a batchnorm2d keeps two running statistics per channel, a mean and a variance: 2 * C."
STATISTICS_OF_SHORTCUT_FORGOTTEN = "the batchnorm of a residual block's shortcut keeps running statistics too."
MISSING_PLUS_ONE = "the output sizes miss the + 1: a window that fits once gives one output, (H + 2p - k) // s + 1."
PADDING_TOTAL = "padding is added on each side, so it counts twice: H + 2 * padding."
POOL_STRIDE_ONE = "a pooling layer's stride defaults to its kernel_size, not to 1."
CEIL_NOT_FLOOR = "the output sizes round up; a window that does not fit is dropped, so round down (//)."
ROUND_NOT_FLOOR = "the output sizes are rounded to the nearest whole number (round()); a window that does not fit is dropped, so round down (//)."
IGNORES_DILATION = "the dilation is ignored: a dilated kernel of k taps spans dilation * (k - 1) + 1 inputs."
POOL_PADDING_IGNORED = "a pooling layer's padding is ignored: like a convolution's, it adds padding on each side before the windows are counted."
ADAPTIVE_PAIR = "an adaptive pool's output_size may be a pair (oh, ow); an int n means (n, n)."


def counting_helpers(student, calls: dict) -> dict:
    """`helpers_first` checks of counting functions: `calls` maps a function's name to its
    (args, kwargs, expected count) on the layers of the network being counted."""

    def check(name, cases):
        def run():
            for args, kwargs, expected in cases:
                expect_count(getattr(student, name)(*args, **kwargs), expected, name)

        return run

    return {name: check(name, cases) for name, cases in calls.items()}
