"""Hidden checks for counting parameters: seeded layers and networks, torch as the oracle.

Every spec is also built in torch (lazy layers infer their input sizes), run on zeros, and
counted with sum(p.numel()); the shapes are the shapes torch's layers produce.
"""

import math

import numpy as np
import pytest
import torch
from torch import nn

from autograder.compare import CheckFailed, expect_close, expect_count, expect_int
from autograder.feedback import Mistake
from autograder.mistakes import parameters as mistakes

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


def torch_rows(layers, input_shape):
    """The network in torch, and (output shape, parameters) per top-level layer."""
    net = build(layers).double().eval()
    x = torch.zeros((1, *input_shape), dtype=torch.float64)
    rows = []
    with torch.no_grad():
        for module in net:
            x = module(x)
            rows.append((tuple(x.shape[1:]), sum(p.numel() for p in module.parameters())))
    return net, rows


def conv(out_channels, kernel_size, **options):
    return {"type": "conv2d", "out_channels": out_channels, "kernel_size": kernel_size, **options}


def random_kernel(rng):
    return tuple(int(k) for k in rng.integers(1, 6, size=2))


def random_convnet(rng, pool_to=None):
    """(layers, input_shape): two or three conv blocks (stride 2, paddings, non-square kernels,
    a default-stride max-pool), an adaptive pool (if pool_to), a flatten and two dense layers."""
    first = conv(2 * int(rng.integers(1, 5)), random_kernel(rng), stride=2, padding=int(rng.integers(1, 3)))
    layers = [first, BATCHNORM, RELU, {"type": "maxpool2d", "kernel_size": 2}]
    for _ in range(int(rng.integers(1, 3))):
        groups = int(rng.choice([1, 2]))
        options = {"padding": int(rng.integers(0, 3)), "groups": groups, "bias": bool(rng.random() < 0.5)}
        layers += [conv(2 * int(rng.integers(1, 5)), random_kernel(rng), **options), RELU]
        layers += [{"type": "avgpool2d", "kernel_size": 3, "stride": 2} if rng.random() < 0.5 else {"type": "maxpool2d", "kernel_size": 3}]
    pool = [{"type": "adaptiveavgpool2d", "output_size": pool_to}] if pool_to else []
    head = [FLATTEN, {"type": "dropout", "p": 0.5}, {"type": "dense", "out_features": int(rng.integers(5, 30))}, RELU]
    layers += pool + head + [{"type": "dense", "out_features": int(rng.integers(2, 10)), "bias": bool(rng.random() < 0.5)}]
    return layers, (int(rng.integers(1, 5)), int(rng.integers(100, 140)), int(rng.integers(140, 200)))


def floor_rule(i, k, s, p, d):
    return (i + 2 * p - d * (k - 1) - 1) // s + 1


def shapes_under(layers, input_shape, rule, pool_stride=None):
    """Output shapes of a flat spec when each window axis follows `rule` and a pool's
    default stride is `pool_stride` (None: its kernel_size): the shapes of a mistake."""
    shapes, shape = [], tuple(input_shape)
    for layer in layers:
        kind = layer["type"]
        if kind in ("conv2d", "maxpool2d", "avgpool2d"):
            default = 1 if kind == "conv2d" else pool_stride or layer["kernel_size"]
            axes = zip(
                shape[1:],
                pairs(layer["kernel_size"]),
                pairs(layer.get("stride", default)),
                pairs(layer.get("padding", 0)),
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
    (mistakes.MISSING_PLUS_ONE, {"rule": lambda i, k, s, p, d: (i + 2 * p - d * (k - 1) - 1) // s}),
    (mistakes.PADDING_TOTAL, {"rule": lambda i, k, s, p, d: (i + p - d * (k - 1) - 1) // s + 1}),
    (mistakes.CEIL_NOT_FLOOR, {"rule": lambda i, k, s, p, d: -(-(i + 2 * p - d * (k - 1) - 1) // s) + 1}),
    (mistakes.POOL_STRIDE_ONE, {"rule": floor_rule, "pool_stride": 1}),
]


def table_columns(rows, n_layers):
    """(shapes, counts) of a student's layer_table, after checking its structure."""
    if type(rows) is not list or len(rows) != n_layers:
        raise CheckFailed("layer_table should return a list with one row per layer.")
    shapes, counts = [], []
    for row in rows:
        if type(row) not in (tuple, list) or len(row) != 3 or type(row[1]) not in (tuple, list):
            raise CheckFailed("each row of layer_table should be a tuple (type, output_shape, parameters).")
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


def total_mistakes(net, expected, student, layers, input_shape):
    """The known mistakes of a total count, including pools that the student's own
    layer_table gives parameters (a total alone cannot show which layer is wrong)."""

    def pools_counted(_):
        try:
            return any(row[0] in POOLS and row[2] != 0 for row in student.layer_table(layers, input_shape))
        except Exception:  # a layer_table that fails cannot name this mistake; the check fails anyway
            return False

    wrong = [Mistake(why, answer=expected + change) for why, change in counting_mistakes(net) if change]
    return [Mistake(mistakes.POOL_PARAMETERS, test=pools_counted)] + wrong


def test_dense_params_matches_torch(student, rng):
    """dense_params equals the parameters of torch's nn.Linear, with and without bias."""
    for bias in (True, False):
        n_in, n_out = (int(n) for n in rng.integers(1, 2000, size=2))
        expected = sum(p.numel() for p in nn.Linear(n_in, n_out, bias=bias).parameters())
        got = student.dense_params(n_in, n_out, bias=bias)
        expect_count(got, expected, "dense_params", mistakes=[Mistake(mistakes.NO_BIAS, answer=expected - n_out)])


def test_conv2d_params_matches_torch(student, rng):
    """conv2d_params equals the parameters of torch's nn.Conv2d for square and non-square kernels."""
    for kernel_size in (int(rng.integers(2, 8)), tuple(int(k) for k in rng.integers(1, 8, size=2))):
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
    groups = int(rng.choice([2, 4, 8]))
    c_in, c_out = (groups * int(n) for n in rng.integers(1, 40, size=2))
    kernel_size, bias = int(rng.integers(1, 6)), bool(rng.random() < 0.5)
    expected = sum(p.numel() for p in nn.Conv2d(c_in, c_out, kernel_size, groups=groups, bias=bias).parameters())
    got = student.conv2d_params(c_in, c_out, kernel_size, bias=bias, groups=groups)
    ungrouped = c_out * c_in * kernel_size**2 + (c_out if bias else 0.0)
    no_depth = c_out * kernel_size**2 + (c_out if bias else 0.0)
    known = [Mistake(mistakes.IGNORES_GROUPS, answer=ungrouped), Mistake(mistakes.NO_DEPTH, answer=no_depth)]
    if bias:
        known.append(Mistake(mistakes.NO_BIAS, answer=expected - c_out))
    expect_count(got, expected, "conv2d_params", mistakes=known)


@pytest.mark.points(2)
def test_layer_table_output_shapes_match_torch(student, rng):
    """layer_table's output shapes equal those of the same network in torch, layer by layer."""
    layers, input_shape = random_convnet(rng)
    _, rows = torch_rows(layers, input_shape)
    shapes, _ = table_columns(student.layer_table(layers, input_shape), len(layers))
    known = [Mistake(why, answer=flat(shapes_under(layers, input_shape, **how))) for why, how in SHAPE_MISTAKES]
    expect_exact(flat(shapes), flat([shape for shape, _ in rows]), "layer_table's output shapes", known)


@pytest.mark.points(2)
def test_layer_table_parameters_match_torch(student, rng):
    """layer_table's parameter column equals torch's count per layer (pools, BN, groups, no-bias convs)."""
    layers, input_shape = random_convnet(rng, pool_to=int(rng.integers(1, 4)))
    net, rows = torch_rows(layers, input_shape)
    _, counts = table_columns(student.layer_table(layers, input_shape), len(layers))
    expected = np.array([count for _, count in rows], dtype=np.float64)
    kinds = np.array([layer["type"] for layer in layers])
    changes = np.array([[change for _, change in counting_mistakes(module)] for module in net], dtype=np.float64)
    explanations = [why for why, _ in counting_mistakes(net)]
    known = [Mistake(mistakes.POOL_PARAMETERS, test=lambda got: bool(np.any(got[np.isin(kinds, POOLS)] != 0)))]
    known += [Mistake(why, answer=expected + changes[:, i]) for i, why in enumerate(explanations)]
    expect_exact(np.array(counts, dtype=np.float64), expected, "layer_table's parameters", known)


def test_count_parameters_after_a_flatten_matches_torch(student, rng):
    """count_parameters equals torch's total when the first dense layer sees the flattened C * H * W."""
    layers, input_shape = random_convnet(rng)
    net, rows = torch_rows(layers, input_shape)
    expected = sum(count for _, count in rows)
    got = student.count_parameters(layers, input_shape)
    at = [layer["type"] for layer in layers].index("flatten")
    units = layers[at + 2]["out_features"]
    flattened = {why: shapes_under(layers, input_shape, **how)[at][0] for why, how in SHAPE_MISTAKES}
    known = [Mistake(why, answer=expected + (n - rows[at][0][0]) * units) for why, n in flattened.items()]
    expect_count(got, expected, "count_parameters", mistakes=known + total_mistakes(net, expected, student, layers, input_shape))


def residual_block(rng, in_channels):
    """A basic (two 3 x 3) or bottleneck block of random width and stride; a 1 x 1 conv
    shortcut when the shape changes, else the identity. Convs before a batchnorm have no bias."""
    width, stride = 2 * int(rng.integers(1, 9)), int(rng.choice([1, 2]))
    if rng.random() < 0.5:
        convs = [conv(width, 1, bias=False), conv(width, 3, stride=stride, padding=1, bias=False), conv(4 * width, 1, bias=False)]
    else:
        convs = [conv(width, 3, stride=stride, padding=1, bias=False), conv(width, 3, padding=1, bias=False)]
    out_channels = convs[-1]["out_channels"]
    body = [layer for spec in convs for layer in (spec, BATCHNORM, RELU)][:-1]
    changes_shape = stride != 1 or in_channels != out_channels
    shortcut = [conv(out_channels, 1, stride=stride, bias=False), BATCHNORM] if changes_shape else []
    return {"type": "residual", "body": body, "shortcut": shortcut}, out_channels


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
    """count_parameters equals torch's total for a small ResNet: residual blocks with and without a shortcut conv."""
    channels = 2 * int(rng.integers(2, 9))
    layers = [conv(channels, 3, padding=1), BATCHNORM, RELU]
    while not any(block["type"] == "residual" and block["shortcut"] for block in layers) or len(layers) < 7:
        block, channels = residual_block(rng, channels)
        layers += [block, RELU]
    layers += [{"type": "residual", "body": [conv(channels, 3, padding=1)]}]
    layers += [{"type": "adaptiveavgpool2d", "output_size": 1}, FLATTEN, {"type": "dense", "out_features": int(rng.integers(2, 20))}]
    input_shape = (int(rng.integers(1, 4)), int(rng.integers(16, 32)), int(rng.integers(16, 40)))
    net, rows = torch_rows(layers, input_shape)
    expected = sum(count for _, count in rows)
    got = student.count_parameters(layers, input_shape)
    expect_count(got, expected, "count_parameters", mistakes=total_mistakes(net, expected, student, layers, input_shape))
