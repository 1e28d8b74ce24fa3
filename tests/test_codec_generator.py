"""A numpy Generator crosses the pipe as its exact state, and nothing that only looks like one."""

import json

import numpy as np
import pytest

from autograder.worker.codec import BIT_GENERATORS, decode_message, encode_message, pack, unpack


def refuse(value):
    raise TypeError(f"not data: {type(value).__name__}")


def no_tags(tag, body):
    raise ValueError(tag)


def round_trip(value):
    return decode_message(encode_message(value, refuse), no_tags)


@pytest.mark.parametrize("name", sorted(BIT_GENERATORS))
def test_a_generator_continues_the_same_stream_after_crossing(name):
    original = np.random.Generator(BIT_GENERATORS[name](1234))
    original.random(7)  # a state part-way through the stream, with any buffered bits
    original.integers(0, 2**32, dtype=np.uint32)
    copy = round_trip(original)
    assert type(copy) is np.random.Generator and type(copy.bit_generator) is BIT_GENERATORS[name]
    assert np.array_equal(copy.random(50), original.random(50))
    assert np.array_equal(copy.normal(size=9), original.normal(size=9))


def test_a_generator_inside_a_tuple_crosses_and_the_original_is_not_advanced():
    original = np.random.default_rng(7)
    before = original.bit_generator.state
    (array, copy) = round_trip((np.arange(3.0), original))
    copy.random(10)
    assert original.bit_generator.state == before
    assert np.array_equal(array, np.arange(3.0))


def test_a_generator_subclass_or_a_foreign_bit_generator_is_not_data():
    class Rigged(np.random.Generator):
        pass

    class Fixed(np.random.PCG64):
        pass

    for value in (Rigged(np.random.PCG64(0)), np.random.Generator(Fixed(0)), np.random.RandomState(0)):
        with pytest.raises(TypeError, match="not data"):
            encode_message(value, refuse)


def test_a_state_that_is_not_a_numpy_bit_generators_is_refused():
    tree, blobs = unpack(encode_message(np.random.default_rng(0), refuse))
    forged = json.loads(json.dumps(tree).replace('"PCG64"', '"Rigged"'))
    with pytest.raises(ValueError, match="numpy's bit generators"):
        decode_message(pack(forged, blobs), no_tags)
