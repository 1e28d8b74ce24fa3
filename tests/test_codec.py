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



def forged_npy(shape: tuple, descr, data: bytes) -> bytes:
    """.npy bytes whose header says `shape` and `descr` (a dtype), followed by `data`."""
    import io

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": descr, "fortran_order": False, "shape": shape})
    return np.lib.format.magic(1, 0) + header.getvalue() + data


@pytest.mark.parametrize(
    ("tree", "blobs"),
    [
        ([[]] * 400_000, []),  # 1.2 MB of JSON: past the header's cap, refused unparsed
        ([[]] * 300_000, []),  # under it, but past the count of values
        (["x"], [b""] * 200_001),  # past the count of arrays
        ({Tagged.ARRAY: 0}, [forged_npy((2**40,), "<f8", b"")]),  # 8 TiB promised, nothing sent
        ({Tagged.ARRAY: 0}, [forged_npy((2,), "<U9", b"x" * 72)]),  # strings are not data
        ({Tagged.ARRAY: 0}, [forged_npy((1,), [("Leak_0p5", "<f8")], b"x" * 8)]),  # nor named fields
    ],
)
def test_a_message_costly_to_decode_is_refused_at_once(tree, blobs):
    """A hostile message is refused within a fraction of a second, before its cost is paid."""
    import time

    message = pack(tree, blobs)
    started = time.perf_counter()
    with pytest.raises(ValueError):
        decode_message(message, None)
    assert time.perf_counter() - started < 1.0


def test_nesting_is_decoded_to_a_depth_and_refused_past_it():
    def nested(depth: int) -> list:
        return [nested(depth - 1)] if depth else []

    assert decode_message(pack(nested(60), []), None) == nested(60)
    with pytest.raises(ValueError):
        decode_message(pack(nested(100), []), None)
