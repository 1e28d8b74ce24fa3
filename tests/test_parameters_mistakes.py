"""Each planted parameter-counting mistake loses exactly the checks it breaks, named in feedback;
a wrong conv2d_params, dense_params or layer_table is blamed there, not in what builds on it."""

import pytest

from mutants import assert_mistake_caught

CONV_PARAMS_CHECKS = {"conv2d_params_matches_torch", "conv2d_params_of_the_lecture_layer", "conv2d_params_with_groups_matches_torch"}
DENSE_PARAMS_CHECKS = {"dense_params_matches_torch", "dense_params_of_the_lecture_alternatives"}
BIASED_NETWORK_CHECKS = {
    "count_parameters_after_a_flatten_matches_torch",
    "count_parameters_of_alexnet_as_in_the_paper",
    "count_parameters_of_residual_networks_matches_torch",
    "count_parameters_of_torchvision_alexnet",
    "count_parameters_of_vgg16",
    "layer_table_of_a_small_network",
    "layer_table_parameters_match_torch",
}
FIX_LAYER_TABLE = "fix layer_table first"


def blamed(own: set[str], words: str, built_on: set[str], helper: str) -> dict[str, str]:
    """The helper's own checks name the mistake (`words`); the checks of what builds on it
    (`built_on`) say to fix `helper` first."""
    return {**dict.fromkeys(own, words), **dict.fromkeys(built_on, f"fix {helper} first")}


def output_size_mistake(formula: str) -> str:
    """output_size computing `formula` from a = size + 2 * padding - dilation * (kernel_size - 1) - 1."""
    return f"""
        import math

        def output_size(size, kernel_size, stride, padding=0, dilation=1):
            a = size + 2 * padding - dilation * (kernel_size - 1) - 1
            return {formula}
        """


def window_shape_mistake(padding: str, dilation: str) -> str:
    """window_output_shape reading a layer's padding and dilation by the given expressions."""
    return f"""
        def window_output_shape(layer, shape, default_stride):
            channels, *spatial = shape
            axes = zip(
                spatial,
                pair(layer["kernel_size"]),
                pair(layer.get("stride", default_stride)),
                pair({padding}),
                pair({dilation}),
            )
            return (layer.get("out_channels", channels),) + tuple(output_size(*axis) for axis in axes)
        """


def layer_parameters_mistake(kind: str, count: str) -> str:
    """layer_parameters counting `count` for layers of type `kind`."""
    return f"""
        counted_layer_parameters = layer_parameters

        def layer_parameters(layer, shape):
            if layer["type"] in {kind}:
                return {count}
            return counted_layer_parameters(layer, shape)
        """


SHAPE_ONLY = {"layer_table_output_shapes_match_torch"}
AFTER_FLATTEN = {"count_parameters_after_a_flatten_matches_torch"}

MISTAKES = {
    "conv_params_without_bias": (
        """
        def conv2d_params(in_channels, out_channels, kernel_size, bias=True, groups=1):
            kh, kw = pair(kernel_size)
            return out_channels * (in_channels // groups) * kh * kw
        """,
        blamed(CONV_PARAMS_CHECKS, "biases are missing", BIASED_NETWORK_CHECKS, "conv2d_params"),
    ),
    "conv_params_always_with_a_bias": (
        """
        def conv2d_params(in_channels, out_channels, kernel_size, bias=True, groups=1):
            kh, kw = pair(kernel_size)
            return out_channels * (in_channels // groups) * kh * kw + out_channels
        """,
        blamed(
            {"conv2d_params_with_groups_matches_torch"},
            "bias=False is ignored",
            {
                "count_parameters_after_a_flatten_matches_torch",
                "count_parameters_of_residual_networks_matches_torch",
                "count_parameters_of_resnet50",
                "layer_table_parameters_match_torch",
            },
            "conv2d_params",
        ),
    ),
    "conv_params_without_input_depth": (
        """
        def conv2d_params(in_channels, out_channels, kernel_size, bias=True, groups=1):
            kh, kw = pair(kernel_size)
            return out_channels * (kh * kw + int(bias))
        """,
        blamed(CONV_PARAMS_CHECKS, "input depth is missing", BIASED_NETWORK_CHECKS | {"count_parameters_of_resnet50"}, "conv2d_params"),
    ),
    "dense_params_without_bias": (
        """
        def dense_params(n_in, n_out, bias=True):
            return n_in * n_out
        """,
        blamed(DENSE_PARAMS_CHECKS, "biases are missing", BIASED_NETWORK_CHECKS | {"count_parameters_of_resnet50"}, "dense_params"),
    ),
    "conv_params_ignore_groups": (
        """
        def conv2d_params(in_channels, out_channels, kernel_size, bias=True, groups=1):
            kh, kw = pair(kernel_size)
            return out_channels * in_channels * kh * kw + (out_channels if bias else 0)
        """,
        blamed(
            {"conv2d_params_with_groups_matches_torch"},
            "groups are ignored",
            {"count_parameters_after_a_flatten_matches_torch", "count_parameters_of_alexnet_as_in_the_paper", "layer_table_parameters_match_torch"},
            "conv2d_params",
        ),
    ),
    "pools_given_parameters": (
        layer_parameters_mistake('("maxpool2d", "avgpool2d")', 'shape[0] * math.prod(pair(layer["kernel_size"]))'),
        {
            **dict.fromkeys(
                {
                    "count_parameters_of_alexnet_as_in_the_paper",
                    "count_parameters_of_resnet50",
                    "count_parameters_of_torchvision_alexnet",
                    "count_parameters_of_vgg16",
                    "layer_table_of_a_small_network",
                    "layer_table_parameters_match_torch",
                },
                "pooling layer learns nothing",
            ),
            "count_parameters_after_a_flatten_matches_torch": FIX_LAYER_TABLE,
        },
    ),
    "output_size_without_plus_one": (
        output_size_mistake("a // stride"),
        {
            **dict.fromkeys(
                {"count_parameters_of_alexnet_as_in_the_paper", "layer_table_of_a_small_network", "layer_table_output_shapes_match_torch"},
                "miss the + 1",
            ),
            "count_parameters_after_a_flatten_matches_torch": FIX_LAYER_TABLE,
        },
    ),
    "output_size_with_a_ceiling": (
        output_size_mistake("math.ceil(a / stride) + 1"),
        {
            "layer_table_output_shapes_match_torch": "round up",
            "count_parameters_of_alexnet_as_in_the_paper": "round up",
            "count_parameters_after_a_flatten_matches_torch": FIX_LAYER_TABLE,
        },
    ),
    "output_size_rounded": (
        output_size_mistake("round(a / stride) + 1"),
        {"layer_table_output_shapes_match_torch": "nearest whole number", "count_parameters_after_a_flatten_matches_torch": FIX_LAYER_TABLE},
    ),
    "layer_table_ignores_dilation": (
        window_shape_mistake(padding='layer.get("padding", 0)', dilation="1"),
        {"layer_table_output_shapes_match_torch": "dilation is ignored", "count_parameters_after_a_flatten_matches_torch": FIX_LAYER_TABLE},
    ),
    "layer_table_ignores_pool_padding": (
        window_shape_mistake(padding='layer.get("padding", 0) if "out_channels" in layer else 0', dilation='layer.get("dilation", 1)'),
        {"layer_table_output_shapes_match_torch": "padding is ignored", "count_parameters_after_a_flatten_matches_torch": FIX_LAYER_TABLE},
    ),
    "adaptive_pool_size_taken_as_an_int": (
        """
        counted_output_shape = layer_output_shape

        def layer_output_shape(layer, shape):
            if layer["type"] == "adaptiveavgpool2d":
                return (shape[0], layer["output_size"], layer["output_size"])
            return counted_output_shape(layer, shape)
        """,
        {"layer_table_output_shapes_match_torch": "may be a pair", "layer_table_parameters_match_torch": "layer_table raised TypeError"},
    ),
    "batchnorm_counts_running_statistics": (
        layer_parameters_mistake('("batchnorm2d",)', "4 * shape[0]"),
        {
            **dict.fromkeys({"count_parameters_of_resnet50", "layer_table_parameters_match_torch"}, "running mean and variance"),
            **dict.fromkeys({"count_parameters_after_a_flatten_matches_torch", "count_parameters_of_residual_networks_matches_torch"}, FIX_LAYER_TABLE),
        },
    ),
    "residual_shortcut_forgotten": (
        layer_parameters_mistake('("residual",)', 'count_parameters(layer["body"], shape)'),
        {"count_parameters_of_resnet50": "shortcut of a residual block", "count_parameters_of_residual_networks_matches_torch": FIX_LAYER_TABLE},
    ),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_planted_mistake_loses_exactly_its_checks(tmp_path, name):
    assert_mistake_caught(tmp_path, "parameters", MISTAKES[name])
