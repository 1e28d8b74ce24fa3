"""Each planted mistake in the receptive field of a network with residual blocks loses exactly its checks, named."""

import pytest

from mutants import assert_mistake_caught

CHECKS = {"network_receptive_field_matches_autograd", "network_receptive_field_of_a_downsampling_block"}

# A walk over the items in which a residual block becomes the chain of layers `chain(block)` gives.
WALK = """
def network_receptive_field(layers):
    chain = []
    for item in layers:
        chain += {chain} if isinstance(item, dict) else [item]
    return receptive_field(chain)
"""


def flattening(chain):
    """The walk, where `chain` is an expression of `item` that lists the block's layers in order."""
    return WALK.format(chain=chain)


MISTAKES = {
    "field_of_the_identity_path_only": (
        # Each branch is assumed to be a chain of plain layers here, which the checks' blocks are at the top level.
        flattening('[layer for layer in item.get("shortcut", []) if not isinstance(layer, dict)]'),
        CHECKS | {"network_receptive_field_follows_the_longest_path"},
        "identity path alone",
    ),
    "branches_one_after_the_other": (
        flattening('[layer for layer in item["body"] + item.get("shortcut", []) if not isinstance(layer, dict)]'),
        CHECKS,
        "runs beside the body",
    ),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_planted_mistake_loses_exactly_its_checks(tmp_path, name):
    assert_mistake_caught(tmp_path, "receptive_fields", MISTAKES[name])
