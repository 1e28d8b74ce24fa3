"""Each planted parameter-counting mistake loses exactly the checks it breaks, named in feedback."""

import pytest

from mutants import assert_mistake_caught

MISTAKES = {
    "conv_params_without_bias": (
        """
        def conv2d_params(in_channels, out_channels, kernel_size, bias=True, groups=1):
            kh, kw = pair(kernel_size)
            return out_channels * (in_channels // groups) * kh * kw
        """,
        {
            "conv2d_params_matches_torch",
            "conv2d_params_of_the_lecture_layer",
            "conv2d_params_with_groups_matches_torch",
            "count_parameters_after_a_flatten_matches_torch",
            "count_parameters_of_alexnet_as_in_the_paper",
            "count_parameters_of_residual_networks_matches_torch",
            "count_parameters_of_torchvision_alexnet",
            "count_parameters_of_vgg16",
            "layer_table_of_a_small_network",
            "layer_table_parameters_match_torch",
        },
        "biases are missing",
    ),
    "conv_params_without_input_depth": (
        """
        def conv2d_params(in_channels, out_channels, kernel_size, bias=True, groups=1):
            kh, kw = pair(kernel_size)
            return out_channels * (kh * kw + int(bias))
        """,
        {
            "conv2d_params_matches_torch",
            "conv2d_params_of_the_lecture_layer",
            "conv2d_params_with_groups_matches_torch",
            "count_parameters_after_a_flatten_matches_torch",
            "count_parameters_of_alexnet_as_in_the_paper",
            "count_parameters_of_residual_networks_matches_torch",
            "count_parameters_of_resnet50",
            "count_parameters_of_torchvision_alexnet",
            "count_parameters_of_vgg16",
            "layer_table_of_a_small_network",
            "layer_table_parameters_match_torch",
        },
        "input depth is missing",
    ),
    "dense_params_without_bias": (
        """
        def dense_params(n_in, n_out, bias=True):
            return n_in * n_out
        """,
        {
            "count_parameters_after_a_flatten_matches_torch",
            "count_parameters_of_alexnet_as_in_the_paper",
            "count_parameters_of_residual_networks_matches_torch",
            "count_parameters_of_resnet50",
            "count_parameters_of_torchvision_alexnet",
            "count_parameters_of_vgg16",
            "dense_params_matches_torch",
            "dense_params_of_the_lecture_alternatives",
            "layer_table_of_a_small_network",
            "layer_table_parameters_match_torch",
        },
        "biases are missing",
    ),
    "conv_params_ignore_groups": (
        """
        def conv2d_params(in_channels, out_channels, kernel_size, bias=True, groups=1):
            kh, kw = pair(kernel_size)
            return out_channels * in_channels * kh * kw + (out_channels if bias else 0)
        """,
        {
            "conv2d_params_with_groups_matches_torch",
            "count_parameters_after_a_flatten_matches_torch",
            "count_parameters_of_alexnet_as_in_the_paper",
        },
        "groups are ignored",
    ),
    "pools_given_parameters": (
        """
        counted_layer_parameters = layer_parameters

        def layer_parameters(layer, shape):
            if layer["type"] in ("maxpool2d", "avgpool2d"):
                return shape[0] * math.prod(pair(layer["kernel_size"]))
            return counted_layer_parameters(layer, shape)
        """,
        {
            "count_parameters_after_a_flatten_matches_torch",
            "count_parameters_of_alexnet_as_in_the_paper",
            "count_parameters_of_resnet50",
            "count_parameters_of_torchvision_alexnet",
            "count_parameters_of_vgg16",
            "layer_table_of_a_small_network",
            "layer_table_parameters_match_torch",
        },
        "pooling layer learns nothing",
    ),
    "output_size_without_plus_one": (
        """
        def output_size(size, kernel_size, stride, padding=0, dilation=1):
            return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride
        """,
        {
            "count_parameters_after_a_flatten_matches_torch",
            "count_parameters_of_alexnet_as_in_the_paper",
            "layer_table_of_a_small_network",
            "layer_table_output_shapes_match_torch",
        },
        "miss the + 1",
    ),
    "batchnorm_counts_running_statistics": (
        """
        counted_layer_parameters = layer_parameters

        def layer_parameters(layer, shape):
            if layer["type"] == "batchnorm2d":
                return 4 * shape[0]
            return counted_layer_parameters(layer, shape)
        """,
        {
            "count_parameters_after_a_flatten_matches_torch",
            "count_parameters_of_residual_networks_matches_torch",
            "count_parameters_of_resnet50",
            "layer_table_parameters_match_torch",
        },
        "running mean and variance",
    ),
    "residual_shortcut_forgotten": (
        """
        counted_layer_parameters = layer_parameters

        def layer_parameters(layer, shape):
            if layer["type"] == "residual":
                return count_parameters(layer["body"], shape)
            return counted_layer_parameters(layer, shape)
        """,
        {
            "count_parameters_of_residual_networks_matches_torch",
            "count_parameters_of_resnet50",
        },
        "shortcut of a residual block",
    ),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_planted_mistake_loses_exactly_its_checks(tmp_path, name):
    assert_mistake_caught(tmp_path, "parameters", MISTAKES[name])
