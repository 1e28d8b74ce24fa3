"""Public checks for counting parameters: the lecture's layer and the famous networks.

The specs below are the networks of the lecture's "Number of parameters" slide, written
layer by layer; read them to see how a network becomes a list of layer specs.
"""

import numpy as np
import pytest

from autograder.compare import expect_close, expect_count, expect_int, helpers_first
from autograder.feedback import Mistake
from autograder.mistakes import parameters as mistakes
from autograder.mistakes.parameters import counting_helpers

pytestmark = pytest.mark.concept("parameters")

RELU = {"type": "relu"}
FLATTEN = {"type": "flatten"}
DROPOUT = {"type": "dropout", "p": 0.5}
BATCHNORM = {"type": "batchnorm2d"}


def conv(out_channels, kernel_size, **options):
    return {"type": "conv2d", "out_channels": out_channels, "kernel_size": kernel_size, **options}


def maxpool(kernel_size, **options):
    return {"type": "maxpool2d", "kernel_size": kernel_size, **options}


def dense(out_features):
    return {"type": "dense", "out_features": out_features}


def adaptive_pool(output_size):
    return {"type": "adaptiveavgpool2d", "output_size": output_size}


CLASSIFIER = [DROPOUT, dense(4096), RELU, DROPOUT, dense(4096), RELU, dense(1000)]


def alexnet(widths, groups=1, pool_to=None):
    """AlexNet's five convs of the given widths; groups splits convs 2, 4 and 5 as the
    2012 paper did over its two GPUs; torchvision adds an adaptive pool to 6 x 6."""
    w1, w2, w3, w4, w5 = widths
    features = [
        *(conv(w1, 11, stride=4, padding=2), RELU, maxpool(3, stride=2)),
        *(conv(w2, 5, padding=2, groups=groups), RELU, maxpool(3, stride=2)),
        *(conv(w3, 3, padding=1), RELU, conv(w4, 3, padding=1, groups=groups), RELU),
        *(conv(w5, 3, padding=1, groups=groups), RELU, maxpool(3, stride=2)),
    ]
    pool = [adaptive_pool(pool_to)] if pool_to else []
    return features + pool + [FLATTEN] + CLASSIFIER


def vgg16():
    """13 convs of 3 x 3 with padding 1 in five blocks, each closed by a 2 x 2 max-pool."""
    layers = []
    for width, n_convs in [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]:
        layers += [conv(width, 3, padding=1), RELU] * n_convs + [maxpool(2)]
    return layers + [adaptive_pool(7), FLATTEN] + CLASSIFIER


def bottleneck(in_channels, width, stride):
    """ResNet50's block: 1 x 1 down to width, 3 x 3, 1 x 1 up to 4 * width, plus a shortcut
    (a strided 1 x 1 conv when the shape changes, else the identity). Convs before a
    batchnorm have no bias."""
    body = [
        *(conv(width, 1, bias=False), BATCHNORM, RELU),
        *(conv(width, 3, stride=stride, padding=1, bias=False), BATCHNORM, RELU),
        *(conv(4 * width, 1, bias=False), BATCHNORM),
    ]
    changes_shape = stride != 1 or in_channels != 4 * width
    shortcut = [conv(4 * width, 1, stride=stride, bias=False), BATCHNORM] if changes_shape else []
    return [{"type": "residual", "body": body, "shortcut": shortcut}, RELU]


def resnet50(with_classifier=True):
    layers = [conv(64, 7, stride=2, padding=3, bias=False), BATCHNORM, RELU, maxpool(3, stride=2, padding=1)]
    in_channels = 64
    for width, n_blocks, stride in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]:
        for block in range(n_blocks):
            layers += bottleneck(in_channels, width, stride if block == 0 else 1)
            in_channels = 4 * width
    classifier = [adaptive_pool(1), FLATTEN, dense(1000)] if with_classifier else []
    return layers + classifier


def pools_counted(student, layers, input_shape):
    """Does the student's own layer_table give a pooling layer parameters?"""
    try:
        return any(row[0] in ("maxpool2d", "avgpool2d") and row[2] != 0 for row in student.layer_table(layers, input_shape))
    except Exception:  # a layer_table that fails cannot name this mistake; the check fails anyway
        return False


def counts(conv2d_params=(), dense_params=()):
    """Calls a layer table of a network makes, with their counts: conv2d_params and dense_params
    map argument tuples to counts (a tuple ending in a dict passes it as keyword arguments)."""
    calls = {"conv2d_params": conv2d_params, "dense_params": dense_params}
    return {
        name: [(args[:-1], args[-1], count) if isinstance(args[-1], dict) else (args, {}, count) for args, count in cases]
        for name, cases in calls.items()
    }


def expect_total(student, layers, input_shape, expected, wrong_totals, calls):
    """count_parameters is `expected`; wrong_totals maps each known mistake to the totals it gives;
    `calls` (from counts()) check conv2d_params and dense_params first, so they are blamed if wrong."""
    known = [Mistake(mistakes.POOL_PARAMETERS, test=lambda _: pools_counted(student, layers, input_shape))]
    known += [Mistake(why, answer=total) for why, totals in wrong_totals.items() for total in totals]
    with helpers_first("count_parameters", counting_helpers(student, calls)):
        expect_count(student.count_parameters(layers, input_shape), expected, "count_parameters", mistakes=known)


def test_conv2d_params_of_the_lecture_layer(student):
    """100 kernels of 5 x 5 x 3 with a bias each: (5 * 5 * 3 + 1) * 100 = 7,600."""
    expect_count(
        student.conv2d_params(3, 100, 5),
        7600,
        "conv2d_params",
        mistakes=[Mistake(mistakes.NO_BIAS, answer=7500), Mistake(mistakes.NO_DEPTH, answer=2600)],
    )


def test_dense_params_of_the_lecture_alternatives(student):
    """A dense layer on the 128 x 128 x 3 image: 4,915,300 with 100 units, 49,153,000 with 1,000."""
    n_in = 128 * 128 * 3
    expect_count(student.dense_params(n_in, 100), 4_915_300, "dense_params", mistakes=[Mistake(mistakes.NO_BIAS, answer=4_915_200)])
    expect_count(student.dense_params(n_in, 1000), 49_153_000, "dense_params", mistakes=[Mistake(mistakes.NO_BIAS, answer=49_152_000)])


def test_layer_table_of_a_small_network(student):
    """conv 5x5 (100) -> ReLU -> 2x2 max-pool -> flatten -> dense 10 on a 3 x 32 x 32 image.

    Expected rows: ("conv2d", (100, 28, 28), 7600), ("relu", (100, 28, 28), 0),
    ("maxpool2d", (100, 14, 14), 0), ("flatten", (19600,), 0), ("dense", (10,), 196010).
    """
    layers = [conv(100, 5), RELU, maxpool(2), FLATTEN, dense(10)]
    rows = student.layer_table(layers, (3, 32, 32))
    assert type(rows) is list and len(rows) == len(layers), "layer_table should return a list with one row per layer."
    assert [row[0] for row in rows] == [layer["type"] for layer in layers], "each row should start with its layer's type."
    shapes = np.array([n for row in rows for n in row[1]], dtype=np.float64)
    expect_close(
        shapes,
        np.array([100, 28, 28, 100, 28, 28, 100, 14, 14, 19600, 10], dtype=np.float64),
        "layer_table's output shapes, row after row,",
        mistakes=[
            Mistake(mistakes.MISSING_PLUS_ONE, answer=np.array([100, 27, 27, 100, 27, 27, 100, 12, 12, 14400, 10])),
            Mistake(mistakes.POOL_STRIDE_ONE, answer=np.array([100, 28, 28, 100, 28, 28, 100, 27, 27, 72900, 10])),
        ],
    )
    calls = counts(conv2d_params=[((3, 100, 5), 7_600)], dense_params=[((19600, 10), 196_010)])
    with helpers_first("layer_table", counting_helpers(student, calls)):
        expect_close(
            np.array([expect_int(row[2], "layer_table's parameters") for row in rows], dtype=np.float64),
            np.array([7600, 0, 0, 0, 196_010], dtype=np.float64),
            "layer_table's parameters",
            mistakes=[
                Mistake(mistakes.POOL_PARAMETERS, test=lambda got: got[2] != 0),
                Mistake(mistakes.NO_BIAS, answer=np.array([7500, 0, 0, 0, 196_010])),
                Mistake(mistakes.NO_BIAS, answer=np.array([7600, 0, 0, 0, 196_000])),
                Mistake(mistakes.NO_BIAS, answer=np.array([7500, 0, 0, 0, 196_000])),
                Mistake(mistakes.NO_DEPTH, answer=np.array([2600, 0, 0, 0, 196_010])),
            ],
        )


def test_count_parameters_of_alexnet_as_in_the_paper(student):
    """The 2012 paper's AlexNet (96-256-384-384-256) on 227 x 227: 62,378,344, the lecture's "62 million".

    The paper split convs 2, 4 and 5 over two GPUs (groups=2): that network has 60,965,224.
    """
    wrong_totals = {
        mistakes.NO_BIAS: [62_376_968, 62_369_152, 62_367_776],
        mistakes.NO_DEPTH: [58_659_752],
        mistakes.MISSING_PLUS_ONE: [28_823_912],
        mistakes.PADDING_TOTAL: [41_406_824],
        mistakes.CEIL_NOT_FLOOR: [76_009_832],
    }
    calls = counts(conv2d_params=[((3, 96, 11), 34_944)], dense_params=[((9216, 4096), 37_752_832)])
    expect_total(student, alexnet((96, 256, 384, 384, 256)), (3, 227, 227), 62_378_344, wrong_totals, calls)
    grouped = alexnet((96, 256, 384, 384, 256), groups=2)
    calls = counts(conv2d_params=[((96, 256, 5, {"groups": 2}), 307_456)])
    expect_total(student, grouped, (3, 227, 227), 60_965_224, {mistakes.IGNORES_GROUPS: [62_378_344]}, calls)


def test_count_parameters_of_torchvision_alexnet(student):
    """torchvision's AlexNet (64-192-384-256-256, adaptive pool to 6 x 6) has 61,100,840."""
    wrong_totals = {mistakes.NO_BIAS: [61_099_688, 61_091_648, 61_090_496], mistakes.NO_DEPTH: [58_652_904]}
    calls = counts(conv2d_params=[((3, 64, 11), 23_296)], dense_params=[((9216, 4096), 37_752_832)])
    expect_total(student, alexnet((64, 192, 384, 256, 256), pool_to=6), (3, 224, 224), 61_100_840, wrong_totals, calls)


def test_count_parameters_of_vgg16(student):
    """VGG16 has 138,357,544 parameters, as on the slide; the first dense layer holds 74% of them."""
    wrong_totals = {mistakes.NO_BIAS: [138_353_320, 138_348_352, 138_344_128], mistakes.NO_DEPTH: [123_685_096]}
    calls = counts(conv2d_params=[((3, 64, 3), 1_792)], dense_params=[((25088, 4096), 102_764_544)])
    expect_total(student, vgg16(), (3, 224, 224), 138_357_544, wrong_totals, calls)


def test_count_running_statistics_of_resnet50(student):
    """ResNet50's 53 batchnorms keep 53,120 running statistics (a mean and a variance per channel) beside their 53,120 learned gamma and beta."""
    expect_count(
        student.count_running_statistics(resnet50(), (3, 224, 224)),
        53_120,
        "count_running_statistics",
        mistakes=[
            Mistake(mistakes.STATISTICS_AS_COUNTER, answer=53_173),
            Mistake(mistakes.STATISTICS_MEAN_ONLY, answer=26_560),
            Mistake(mistakes.STATISTICS_OF_SHORTCUT_FORGOTTEN, answer=45_440),
        ],
    )


def test_count_parameters_of_resnet50(student):
    """ResNet50 has 25,557,032 parameters; the slide's "23 million" is 23,508,032, without the classifier."""
    wrong_totals = {
        mistakes.NO_BIAS: [25_556_032],
        mistakes.NO_DEPTH: [2_161_960],
        mistakes.BN_RUNNING_STATS: [25_610_152],
        mistakes.SHORTCUT_FORGOTTEN: [22_780_456],
    }
    calls = counts(conv2d_params=[((3, 64, 7, {"bias": False}), 9_408)], dense_params=[((2048, 1000), 2_049_000)])
    expect_total(student, resnet50(), (3, 224, 224), 25_557_032, wrong_totals, calls)
    calls = counts(conv2d_params=[((3, 64, 7, {"bias": False}), 9_408)])
    expect_total(student, resnet50(with_classifier=False), (3, 224, 224), 23_508_032, {}, calls)
