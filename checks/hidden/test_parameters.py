"""Hidden checks for counting parameters: seeded layers and networks, torch as the oracle.

Every spec is also built in torch (lazy layers infer their input sizes), run on zeros, and
counted with sum(p.numel()); the shapes are the shapes torch's layers produce.
"""

import math

import numpy as np
import pytest
import torch
from torch import nn

from autograder.compare import CheckFailed, expect_close, expect_count, expect_int, helpers_first
from autograder.feedback import Mistake
from autograder.mistakes import parameters as mistakes
from autograder.mistakes.parameters import counting_helpers

pytestmark = pytest.mark.concept("parameters")

POOLS = ("maxpool2d", "avgpool2d", "adaptiveavgpool2d")
RELU, FLATTEN, BATCHNORM = {"type": "relu"}, {"type": "flatten"}, {"type": "batchnorm2d"}


class Residual(nn.Module):
    """out = body(x) + shortcut(x), the spec's residual entry."""

    def __init__(self, body, shortcut):
        super().__init__()
        self.body, self.shortcut = body, shortcut

    def forward(self, x):
        return self.body(x) + self.shortcut(x)


TORCH_LAYERS = {
    "conv2d": nn.LazyConv2d,
    "maxpool2d": nn.MaxPool2d,
    "avgpool2d": nn.AvgPool2d,
    "adaptiveavgpool2d": nn.AdaptiveAvgPool2d,
    "relu": nn.ReLU,
    "flatten": nn.Flatten,
    "dense": nn.LazyLinear,
    "batchnorm2d": nn.LazyBatchNorm2d,
    "dropout": nn.Dropout,
}


def build(layers):
    """The spec as torch modules; the keys are torch's keyword names."""
    modules = []
    for layer in layers:
        if layer["type"] == "residual":
            modules.append(Residual(build(layer["body"]), build(layer.get("shortcut", []))))
        else:
            options = {key: value for key, value in layer.items() if key != "type"}
            modules.append(TORCH_LAYERS[layer["type"]](**options))
    return nn.Sequential(*modules)


def count_of(module):
    return sum(p.numel() for p in module.parameters())


def torch_rows(layers, input_shape):
    """The network in torch, and (output shape, parameters) per top-level layer."""
    net = build(layers).double().eval()
    x = torch.zeros((1, *input_shape), dtype=torch.float64)
    rows = []
    with torch.no_grad():
        for module in net:
            x = module(x)
            rows.append((tuple(x.shape[1:]), count_of(module)))
    return net, rows


def conv(out_channels, kernel_size, **options):
    return {"type": "conv2d", "out_channels": out_channels, "kernel_size": kernel_size, **options}


def non_square(rng, low=1, high=6):
    """A kernel (kh, kw) with kh != kw."""
    kh = int(rng.integers(low, high))
    return kh, int(rng.choice([k for k in range(low, high) if k != kh]))


def random_convnet(rng, pool_to=None, head=True):
    """(layers, input_shape) of one fixed design with random sizes: three conv blocks with
    square and non-square kernels, strides 1, 2 and a pair, paddings int and pair, dilations
    int and pair, groups 1 and 2, with and without bias; max-pools with the default stride and
    with padding, a mean-pool with stride != kernel; an adaptive pool to pool_to (an int or a
    pair) if given; then (if head) flatten, dropout and two dense layers, with and without bias."""
    widths = [2 * int(w) for w in rng.integers(1, 5, size=3)]
    padding = tuple(int(p) for p in rng.integers(0, 3, size=2))
    layers = [
        *(conv(widths[0], non_square(rng), stride=2, padding=int(rng.integers(1, 3))), BATCHNORM, RELU),
        {"type": "maxpool2d", "kernel_size": 2},
        *(conv(widths[1], int(rng.integers(2, 5)), padding=padding, dilation=2), RELU),
        {"type": "avgpool2d", "kernel_size": 3, "stride": 2},
        *(conv(widths[2], non_square(rng, 2), stride=(3, 1), dilation=(1, 2), groups=2, bias=False), RELU),
        {"type": "maxpool2d", "kernel_size": 3, "stride": 2, "padding": 1},
    ]
    layers += [{"type": "adaptiveavgpool2d", "output_size": pool_to}] if pool_to else []
    if head:
        layers += [FLATTEN, {"type": "dropout", "p": 0.5}, {"type": "dense", "out_features": int(rng.integers(5, 30))}, RELU]
        layers += [{"type": "dense", "out_features": int(rng.integers(2, 10)), "bias": False}]
    return layers, (int(rng.integers(1, 5)), int(rng.integers(100, 140)), int(rng.integers(140, 200)))


def floor_rule(i, k, s, p, d):
    return (i + 2 * p - d * (k - 1) - 1) // s + 1


def span_left(i, k, s, p, d):
    """What is left of the axis after the first window: divided by s, it counts the other windows."""
    return i + 2 * p - d * (k - 1) - 1


def shapes_under(layers, input_shape, rule=floor_rule, pool_stride=None, pool_padding=True):
    """Output shapes of a flat spec when each window axis follows `rule`, a pool's default
    stride is `pool_stride` (None: its kernel_size) and its padding counts (pool_padding):
    the shapes of a mistake."""
    shapes, shape = [], tuple(input_shape)
    for layer in layers:
        kind = layer["type"]
        if kind in ("conv2d", "maxpool2d", "avgpool2d"):
            default = 1 if kind == "conv2d" else pool_stride or layer["kernel_size"]
            padding = layer.get("padding", 0) if kind == "conv2d" or pool_padding else 0
            axes = zip(
                shape[1:],
                pairs(layer["kernel_size"]),
                pairs(layer.get("stride", default)),
                pairs(padding),
                pairs(layer.get("dilation", 1)),
            )
            sizes = tuple(rule(*axis) for axis in axes)
            shape = (layer.get("out_channels", shape[0]),) + sizes
        elif kind == "adaptiveavgpool2d":
            shape = (shape[0],) + pairs(layer["output_size"])
        elif kind == "flatten":
            shape = (math.prod(shape),)
        elif kind == "dense":
            shape = (layer["out_features"],)
        shapes.append(shape)
    return shapes


def pairs(value):
    return (value, value) if isinstance(value, int) else tuple(value)


SHAPE_MISTAKES = [
    (mistakes.MISSING_PLUS_ONE, {"rule": lambda *axis: span_left(*axis) // axis[2]}),
    (mistakes.PADDING_TOTAL, {"rule": lambda i, k, s, p, d: (i + p - d * (k - 1) - 1) // s + 1}),
    (mistakes.CEIL_NOT_FLOOR, {"rule": lambda *axis: -(-span_left(*axis) // axis[2]) + 1}),
    (mistakes.ROUND_NOT_FLOOR, {"rule": lambda *axis: round(span_left(*axis) / axis[2]) + 1}),
    (mistakes.ROUND_NOT_FLOOR, {"rule": lambda *axis: round(span_left(*axis) / axis[2] + 1)}),
    (mistakes.ROUND_NOT_FLOOR, {"rule": lambda *axis: math.floor(span_left(*axis) / axis[2] + 0.5) + 1}),
    (mistakes.IGNORES_DILATION, {"rule": lambda i, k, s, p, d: floor_rule(i, k, s, p, 1)}),
    (mistakes.POOL_STRIDE_ONE, {"pool_stride": 1}),
    (mistakes.POOL_PADDING_IGNORED, {"pool_padding": False}),
]


def shape_mistakes(layers, input_shape):
    """Each known shape mistake with the flat shapes it gives."""
    return [(why, flat(shapes_under(layers, input_shape, **how))) for why, how in SHAPE_MISTAKES]


def tells_shape_mistakes_apart(layers, input_shape):
    """Does every known shape mistake give other shapes than the truth and than the mistakes
    explained otherwise?"""
    truth = flat(shapes_under(layers, input_shape))
    wrong = shape_mistakes(layers, input_shape)
    for why, shapes in wrong:
        others = [other for reason, other in wrong if reason != why]
        if any(np.array_equal(shapes, other) for other in [truth, *others]):
            return False
    return True


def table_columns(rows, layers):
    """(shapes, counts) of a student's layer_table, after checking its structure."""
    if type(rows) is not list or len(rows) != len(layers):
        raise CheckFailed("layer_table should return a list with one row per layer.")
    shapes, counts = [], []
    for row, layer in zip(rows, layers):
        if type(row) not in (tuple, list) or len(row) != 3 or type(row[1]) not in (tuple, list):
            raise CheckFailed("each row of layer_table should be a tuple (type, output_shape, parameters).")
        if layer["type"] == "adaptiveavgpool2d" and any(type(n) in (tuple, list) for n in row[1]):
            raise CheckFailed(f"layer_table's output shapes are wrong: {mistakes.ADAPTIVE_PAIR}", mistake=mistakes.ADAPTIVE_PAIR)
        shapes.append(tuple(expect_int(n, "layer_table's output shapes") for n in row[1]))
        counts.append(expect_int(row[2], "layer_table's parameters"))
    return shapes, counts


def flat(shapes):
    """All output shapes as one float64 vector, for comparing (shape lengths differ)."""
    return np.array([n for shape in shapes for n in shape], dtype=np.float64)


def expect_exact(got, expected, name, mistakes):
    expect_close(got, expected, name, rtol=0.0, atol=0.0, mistakes=mistakes)


def counting_mistakes(module):
    """(explanation, how much that mistake changes the count) for a torch module."""
    convs = [m for m in module.modules() if isinstance(m, nn.Conv2d)]
    conv_biases = sum(m.bias.numel() for m in convs if m.bias is not None)
    dense_biases = sum(m.bias.numel() for m in module.modules() if isinstance(m, nn.Linear) and m.bias is not None)
    return [
        (mistakes.NO_BIAS, -conv_biases),
        (mistakes.NO_BIAS, -dense_biases),
        (mistakes.NO_BIAS, -conv_biases - dense_biases),
        (mistakes.NO_DEPTH, sum(m.out_channels * math.prod(m.kernel_size) - m.weight.numel() for m in convs)),
        (mistakes.IGNORES_GROUPS, sum(m.weight.numel() * (m.groups - 1) for m in convs)),
        (mistakes.BN_RUNNING_STATS, sum(2 * m.num_features for m in module.modules() if isinstance(m, nn.BatchNorm2d))),
        (mistakes.SHORTCUT_FORGOTTEN, -sum(p.numel() for name, p in module.named_parameters() if "shortcut." in name)),
    ]


def total_mistakes(net, expected):
    """The known mistakes of a total count."""
    return [Mistake(why, answer=expected + change) for why, change in counting_mistakes(net) if change]


def counting_calls(net):
    """The conv2d_params and dense_params calls a layer table of `net` makes, with torch's counts."""
    convs, denses = [], []
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            kh, kw = m.kernel_size
            options = {"bias": m.bias is not None, "groups": m.groups}
            convs.append(((m.in_channels, m.out_channels, kh if kh == kw else (kh, kw)), options, count_of(m)))
        elif isinstance(m, nn.Linear):
            denses.append(((m.in_features, m.out_features), {"bias": m.bias is not None}, count_of(m)))
    return {"conv2d_params": convs, "dense_params": denses}


def count_helpers(student, net, layers, input_shape, rows):
    """What count_parameters builds on: conv2d_params and dense_params, then layer_table
    (checked against torch's shapes and counts)."""

    def table():
        shapes, counts = table_columns(student.layer_table(layers, input_shape), layers)
        expect_exact(flat(shapes), flat([shape for shape, _ in rows]), "layer_table", [])
        expect_exact(np.array(counts, dtype=np.float64), np.array([count for _, count in rows], dtype=np.float64), "layer_table", [])

    return {**counting_helpers(student, counting_calls(net)), "layer_table": table}


def test_dense_params_matches_torch(student, rng):
    """dense_params equals the parameters of torch's nn.Linear, with and without bias."""
    for bias in (True, False):
        n_in, n_out = (int(n) for n in rng.integers(1, 2000, size=2))
        expected = sum(p.numel() for p in nn.Linear(n_in, n_out, bias=bias).parameters())
        got = student.dense_params(n_in, n_out, bias=bias)
        expect_count(got, expected, "dense_params", mistakes=[Mistake(mistakes.NO_BIAS, answer=expected - n_out)])


def test_conv2d_params_matches_torch(student, rng):
    """conv2d_params equals the parameters of torch's nn.Conv2d for square and non-square kernels."""
    for kernel_size in (int(rng.integers(2, 8)), non_square(rng, 1, 8)):
        c_in, c_out = (int(n) for n in rng.integers(2, 300, size=2))
        kh, kw = pairs(kernel_size)
        expected = sum(p.numel() for p in nn.Conv2d(c_in, c_out, kernel_size).parameters())
        expect_count(
            student.conv2d_params(c_in, c_out, kernel_size),
            expected,
            "conv2d_params",
            mistakes=[Mistake(mistakes.NO_BIAS, answer=expected - c_out), Mistake(mistakes.NO_DEPTH, answer=c_out * (kh * kw + 1.0))],
        )


def test_conv2d_params_with_groups_matches_torch(student, rng):
    """conv2d_params equals torch's nn.Conv2d with groups 2, 4 or 8, with and without bias."""
    for bias in (True, False):
        groups = int(rng.choice([2, 4, 8]))
        c_in, c_out = (groups * int(n) for n in rng.integers(1, 40, size=2))
        kernel_size = int(rng.integers(1, 6))
        expected = sum(p.numel() for p in nn.Conv2d(c_in, c_out, kernel_size, groups=groups, bias=bias).parameters())
        got = student.conv2d_params(c_in, c_out, kernel_size, bias=bias, groups=groups)
        bias_count = c_out if bias else 0
        known = [
            Mistake(mistakes.IGNORES_GROUPS, answer=c_out * c_in * kernel_size**2 + bias_count),
            Mistake(mistakes.NO_DEPTH, answer=c_out * kernel_size**2 + bias_count),
            Mistake(mistakes.NO_BIAS, answer=expected - c_out) if bias else Mistake(mistakes.BIAS_ALWAYS, answer=expected + c_out),
        ]
        expect_count(got, expected, "conv2d_params", mistakes=known)


@pytest.mark.points(2)
def test_layer_table_output_shapes_match_torch(student, rng):
    """layer_table's output shapes equal those of the same network in torch, layer by layer, on
    conv blocks (ending in an adaptive pool to a pair) where every known shape mistake shows."""
    layers, input_shape = random_convnet(rng, pool_to=non_square(rng, 2), head=False)
    while not tells_shape_mistakes_apart(layers, input_shape):
        layers, input_shape = random_convnet(rng, pool_to=non_square(rng, 2), head=False)
    _, rows = torch_rows(layers, input_shape)
    shapes, _ = table_columns(student.layer_table(layers, input_shape), layers)
    known = [Mistake(why, answer=shapes) for why, shapes in shape_mistakes(layers, input_shape)]
    expect_exact(flat(shapes), flat([shape for shape, _ in rows]), "layer_table's output shapes", known)


@pytest.mark.points(2)
def test_layer_table_parameters_match_torch(student, rng):
    """layer_table's parameter column equals torch's count per layer (pools, BN, groups, no-bias convs)."""
    layers, input_shape = random_convnet(rng, pool_to=non_square(rng, 2))
    net, rows = torch_rows(layers, input_shape)
    expected = np.array([count for _, count in rows], dtype=np.float64)
    kinds = np.array([layer["type"] for layer in layers])
    changes = np.array([[change for _, change in counting_mistakes(module)] for module in net], dtype=np.float64)
    explanations = [why for why, _ in counting_mistakes(net)]
    known = [Mistake(mistakes.POOL_PARAMETERS, test=lambda got: bool(np.any(got[np.isin(kinds, POOLS)] != 0)))]
    known += [Mistake(why, answer=expected + changes[:, i]) for i, why in enumerate(explanations)]
    with helpers_first("layer_table", counting_helpers(student, counting_calls(net))):
        _, counts = table_columns(student.layer_table(layers, input_shape), layers)
        expect_exact(np.array(counts, dtype=np.float64), expected, "layer_table's parameters", known)


def flattened_sizes(layers, input_shape):
    """(explanation, flattened size) of each known shape mistake, and the true flattened size."""
    at = [layer["type"] for layer in layers].index("flatten")
    wrong = [(why, shapes_under(layers, input_shape, **how)[at][0]) for why, how in SHAPE_MISTAKES]
    return wrong, shapes_under(layers, input_shape)[at][0]


def flattens_apart(layers, input_shape):
    """Does every known shape mistake give the first dense layer another number of inputs?"""
    wrong, truth = flattened_sizes(layers, input_shape)
    return all(size != truth for _, size in wrong)


def test_count_parameters_after_a_flatten_matches_torch(student, rng):
    """count_parameters equals torch's total when the first dense layer sees the flattened C * H * W,
    on a network where every known shape mistake changes that number."""
    layers, input_shape = random_convnet(rng)
    while not flattens_apart(layers, input_shape):
        layers, input_shape = random_convnet(rng)
    net, rows = torch_rows(layers, input_shape)
    expected = sum(count for _, count in rows)
    units = layers[[layer["type"] for layer in layers].index("flatten") + 2]["out_features"]
    flattened, truth = flattened_sizes(layers, input_shape)
    known = [Mistake(why, answer=expected + (n - truth) * units) for why, n in flattened]
    with helpers_first("count_parameters", count_helpers(student, net, layers, input_shape, rows)):
        got = student.count_parameters(layers, input_shape)
        expect_count(got, expected, "count_parameters", mistakes=known + total_mistakes(net, expected))


def residual_network(rng):
    """(layers, input_shape) of a small ResNet of one fixed design with random widths: a stem,
    a basic block of stride 2 and a bottleneck block, each with a 1 x 1 conv shortcut, a
    bottleneck with an identity shortcut ([]), a residual with no shortcut key, then an
    adaptive pool, a flatten and a dense layer. Convs before a batchnorm have no bias."""
    stem, basic, bottleneck = (2 * int(w) for w in rng.integers(2, 9, size=3))

    def block(convs, in_channels, stride):
        body = [layer for spec in convs for layer in (spec, BATCHNORM, RELU)][:-1]
        out_channels = convs[-1]["out_channels"]
        changes_shape = stride != 1 or in_channels != out_channels
        shortcut = [conv(out_channels, 1, stride=stride, bias=False), BATCHNORM] if changes_shape else []
        return [{"type": "residual", "body": body, "shortcut": shortcut}, RELU]

    def bottleneck_convs(width, stride=1):
        return [conv(width, 1, bias=False), conv(width, 3, stride=stride, padding=1, bias=False), conv(4 * width, 1, bias=False)]

    layers = [conv(stem, 3, padding=1), BATCHNORM, RELU]
    layers += block([conv(basic, 3, stride=2, padding=1, bias=False), conv(basic, 3, padding=1, bias=False)], stem, 2)
    layers += block(bottleneck_convs(bottleneck), basic, 1)
    layers += block(bottleneck_convs(bottleneck), 4 * bottleneck, 1)
    layers += [{"type": "residual", "body": [conv(4 * bottleneck, 3, padding=1)]}]
    layers += [{"type": "adaptiveavgpool2d", "output_size": 1}, FLATTEN, {"type": "dense", "out_features": int(rng.integers(2, 20))}]
    return layers, (int(rng.integers(1, 4)), int(rng.integers(16, 32)), int(rng.integers(16, 40)))


def torch_running_statistics(layers, input_shape):
    """torch's running_mean and running_var numbers, summed over the network's buffers."""
    net, _ = torch_rows(layers, input_shape)
    return net, sum(buffer.numel() for name, buffer in net.named_buffers() if name.rsplit(".", 1)[-1] in ("running_mean", "running_var"))


def statistics_network(rng):
    """(layers, input_shape): batchnorms at the top level, in a residual body and in a
    residual shortcut (a strided block), and in the body of an identity block."""
    stem, width = (2 * int(w) for w in rng.integers(2, 9, size=2))
    body = [conv(width, 3, stride=2, padding=1, bias=False), BATCHNORM, RELU, conv(width, 3, padding=1, bias=False), BATCHNORM]
    strided = {"type": "residual", "body": body, "shortcut": [conv(width, 1, stride=2, bias=False), BATCHNORM]}
    identity = {"type": "residual", "body": [conv(width, 3, padding=1, bias=False), BATCHNORM]}
    layers = [conv(stem, 3, padding=1), BATCHNORM, RELU, strided, RELU, identity, {"type": "dropout", "p": 0.5}]
    return layers, (int(rng.integers(1, 4)), int(rng.integers(12, 24)), int(rng.integers(12, 30)))


def test_count_running_statistics_matches_torch(student, rng):
    """count_running_statistics equals torch's running_mean and running_var sizes, for a convnet and a small ResNet."""
    for layers, input_shape in (random_convnet(rng), statistics_network(rng)):
        net, expected = torch_running_statistics(layers, input_shape)
        norms = [module for module in net.modules() if isinstance(module, nn.BatchNorm2d)]
        shortcut_statistics = sum(2 * m.num_features for name, m in net.named_modules() if ".shortcut." in f".{name}." and isinstance(m, nn.BatchNorm2d))
        known = [
            Mistake(mistakes.STATISTICS_AS_COUNTER, answer=expected + len(norms)),
            Mistake(mistakes.STATISTICS_MEAN_ONLY, answer=expected // 2),
            Mistake(mistakes.STATISTICS_OF_SHORTCUT_FORGOTTEN, answer=expected - shortcut_statistics),
        ]
        expect_count(student.count_running_statistics(layers, input_shape), expected, "count_running_statistics", mistakes=[m for m in known if m.answer != expected])


def test_count_parameters_of_residual_networks_matches_torch(student, rng):
    """count_parameters equals torch's total for a small ResNet: residual blocks with a shortcut conv,
    with an identity shortcut and with none given."""
    layers, input_shape = residual_network(rng)
    net, rows = torch_rows(layers, input_shape)
    expected = sum(count for _, count in rows)
    with helpers_first("count_parameters", count_helpers(student, net, layers, input_shape, rows)):
        got = student.count_parameters(layers, input_shape)
        expect_count(got, expected, "count_parameters", mistakes=total_mistakes(net, expected))
