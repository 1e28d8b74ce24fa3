"""The worker's codec: numpy scalars cross as themselves, so the grader judges their precision."""

import numpy as np
import pytest

from autograder.worker.codec import NUMPY_SCALARS, Tagged, array_to_bytes, decode_message, encode_message, pack


def roundtrip(value):
    handles = []
    message = encode_message(value, lambda other: handles.append(other) or {Tagged.HANDLE: len(handles)})
    return decode_message(message, lambda tag, body: ("handle", body[Tagged.HANDLE])), handles


@pytest.mark.parametrize("kind", sorted(NUMPY_SCALARS, key=lambda t: t.__name__))
def test_every_numeric_numpy_scalar_keeps_its_dtype_and_value(kind):
    value = kind(3)
    back, handles = roundtrip(value)
    assert isinstance(back, np.generic) and back.dtype == value.dtype and back == value and handles == []


def test_a_numpy_scalar_subclass_stays_in_the_worker():
    class Lying(np.float32):
        def __eq__(self, other):
            return True

    back, handles = roundtrip(Lying(1.0))
    assert back == ("handle", 1) and type(handles[0]) is Lying


def test_a_scalar_tag_holding_an_array_is_refused():
    message = pack({Tagged.SCALAR: 0}, [array_to_bytes(np.zeros(3, dtype=np.float32))])
    with pytest.raises(ValueError):
        decode_message(message, lambda tag, body: None)
