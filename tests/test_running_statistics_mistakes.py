"""Each planted mistake in counting batch norm's running statistics loses exactly its checks, named."""

import pytest

from mutants import assert_mistake_caught

CHECKS = {"count_running_statistics_of_resnet50", "count_running_statistics_matches_torch"}

# A count of running statistics in which a batchnorm2d on C channels keeps `per_layer`.
COUNT = """
def count_running_statistics(layers, input_shape):
    total, shape = 0, tuple(input_shape)
    for layer in layers:
        if layer["type"] == "batchnorm2d":
            total += {per_layer}
        if layer["type"] == "residual":
            total += count_running_statistics(layer["body"], shape){shortcut}
        shape = layer_output_shape(layer, shape)
    return total
"""
SHORTCUT = ' + count_running_statistics(layer.get("shortcut", []), shape)'

MISTAKES = {
    "counts_num_batches_tracked": (COUNT.format(per_layer="2 * shape[0] + 1", shortcut=SHORTCUT), CHECKS, "num_batches_tracked is a counter"),
    "counts_the_mean_only": (COUNT.format(per_layer="shape[0]", shortcut=SHORTCUT), CHECKS, "a mean and a variance: 2 * C"),
    "forgets_the_shortcut": (COUNT.format(per_layer="2 * shape[0]", shortcut=""), CHECKS, "shortcut keeps running statistics"),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_planted_mistake_loses_exactly_its_checks(tmp_path, name):
    assert_mistake_caught(tmp_path, "parameters", MISTAKES[name])
