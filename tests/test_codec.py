"""The worker's codec: numpy scalars cross as themselves, so the grader judges their precision."""

import numpy as np
import pytest

from autograder.worker.codec import NUMPY_SCALARS, Tagged, decode_message, encode_message, pack


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
    message = pack({Tagged.SCALAR: [0, "<f4", [3], False]}, [bytes(12)])
    with pytest.raises(ValueError):
        decode_message(message, lambda tag, body: None)


@pytest.mark.parametrize(
    "value",
    [
        np.arange(12.0).reshape(3, 4),
        np.asfortranarray(np.arange(12, dtype=np.int32).reshape(3, 4)),  # comes back in its own order
        np.arange(24.0).reshape(2, 3, 4)[:, ::2, 1:],  # not contiguous: comes back as a C-ordered copy
        np.arange(6, dtype=">u2").reshape(2, 3),  # big-endian
        np.zeros((0, 3), dtype=np.float16),
        np.array([True, False]),
        np.array(2.5, dtype=np.longdouble),
    ],
)
def test_an_array_comes_back_as_np_load_gives_it(value):
    """Values, dtype, shape and memory order as .npy keeps them, in a fresh writable array."""
    import io

    saved = io.BytesIO()
    np.save(saved, value)
    saved.seek(0)
    loaded = np.load(saved)
    back, _ = roundtrip(value)
    assert back.dtype == loaded.dtype and back.shape == loaded.shape and np.array_equal(back, loaded)
    assert back.strides == loaded.strides and back.flags.writeable and (back.base is None) == (loaded.base is None)


def forged_array(shape, descr, data: bytes, fortran=False) -> tuple[dict, list[bytes]]:
    """An array's tree and blob that claim `shape` and `descr` (a dtype's name) for `data`."""
    return {Tagged.ARRAY: [0, descr, shape, fortran]}, [data]


@pytest.mark.parametrize(
    ("tree", "blobs"),
    [
        ([[]] * 400_000, []),  # 1.2 MB of JSON: past the header's cap, refused unparsed
        ([[]] * 300_000, []),  # under it, but past the count of values
        (["x"], [b""] * 200_001),  # past the count of arrays
        forged_array([2**40], "<f8", b""),  # 8 TiB promised, nothing sent
        forged_array([2, -4], "<f8", b"x" * 64),  # a negative size
        forged_array([2], "<U9", b"x" * 72),  # strings are not data
        forged_array([1], "|O", b"x" * 8),  # nor objects
        forged_array([1], [["Leak_0p5", "<f8"]], b"x" * 8),  # nor named fields
        forged_array([1], "<f8", b"x" * 8, fortran="yes"),
        forged_array([1] * 33, "<f8", b"x" * 8),  # past MAX_DIMENSIONS
        ({Tagged.ARRAY: [1, "<f8", [1], False]}, [b"x" * 8]),  # no such blob
        ({Tagged.ARRAY: 0}, [b"x" * 8]),  # not an array's tree
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
