"""Plain data across the pipe (law 4): JSON for the tree, raw bytes for arrays.

Nothing is pickled. A value is data only when its type is exactly one of: None, bool, int,
float, str, numpy.float64/int64/bool_ and other numeric numpy scalars (float32, ...),
numpy.ndarray of a numeric or bool dtype, torch.Tensor
(sent as its values), and lists, tuples and dicts of those. Anything else (an
ndarray subclass, a tensor-like object, a student's class) becomes a handle: an id in the
worker's table, which the grader wraps in a `Handle` and can only call, query or combine.

A message is `8-byte header length | JSON header | (8-byte length | blob)*`. An array is
its values' bytes in memory order, a blob of its own, and in the tree `[blob index, dtype, shape,
fortran order]` (the dtype as numpy spells it, '<f8'): as `.npy` would keep them, without the
`.npy` header, whose parsing (`ast.literal_eval`) cost more than the rest of a message.

A numpy.random.Generator on one of numpy's own bit generators is data too: it crosses as its
bit generator's exact `.state` (under GENERATOR_TAG) and continues the same stream on the
other side. The original is not advanced by what the copy draws.
"""

import functools
import json
import math
import operator
import struct
from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.catalogue import Bound

LENGTH = struct.Struct("<Q")
# What a message may hold, so that decoding one costs little whatever its sender wrote: a
# JSON tree of at most HEADER_BYTES, MAX_NODES values and MAX_DEPTH levels of nesting.
HEADER_BYTES = 1024**2
MAX_NODES = 200_000
MAX_DEPTH = 64
MAX_DIMENSIONS = 32
NUMERIC_KINDS = set("biuf")  # bool, int, unsigned, float: no object or string arrays
NUMPY_SCALARS = {np.dtype(code).type for code in np.typecodes["AllInteger"] + np.typecodes["Float"]}
# The dtypes an array may cross in, by name: those of NUMERIC_KINDS, in either byte order
DATA_DTYPES = {
    dtype.str: dtype
    for code in "?" + np.typecodes["AllInteger"] + np.typecodes["Float"]
    for dtype in (np.dtype(code).newbyteorder("<"), np.dtype(code).newbyteorder(">"))
}


class Tagged:
    """Keys that mark a JSON object as something other than a dict."""

    ARRAY, TENSOR, TUPLE, DICT, HANDLE, CATALOGUE, F64, I64, B8, SCALAR = (
        "__ndarray__", "__tensor__", "__tuple__", "__dict__", "__handle__", "__catalogue__", "__f64__", "__i64__", "__b8__",
        "__npscalar__",
    )  # fmt: skip


# The tags of numpy.float64, int64 and bool_: the JSON type each holds, and the scalar it makes
SCALAR_TAGS = {Tagged.F64: (float, np.float64), Tagged.I64: (int, np.int64), Tagged.B8: (bool, np.bool_)}

GENERATOR_TAG = "__generator__"
# The bit generators a Generator may sit on to cross as data: numpy's own, by class name.
BIT_GENERATORS = {kind.__name__: kind for kind in (np.random.PCG64, np.random.PCG64DXSM, np.random.MT19937, np.random.Philox, np.random.SFC64)}


# Where a bit generator's state indexes its own buffer, and the largest index a draw may
# start from (which refills the buffer): numpy's setter takes any int there, and a draw from
# a position outside the buffer reads the drawing process's memory (its pointers come out as
# random numbers) or crashes it.
BUFFER_POSITIONS = {"MT19937": (("state", "pos"), 624), "Philox": (("buffer_pos",), 4)}


def generator_from_state(state: dict) -> np.random.Generator:
    """A Generator in exactly `state` (a bit generator's `.state`); raises ValueError for a
    bit generator that is not numpy's own, or a position outside its buffer, TypeError or
    ValueError for a malformed state."""
    kind = BIT_GENERATORS.get(state.get("bit_generator")) if type(state) is dict else None
    if kind is None:
        raise ValueError("not the state of one of numpy's bit generators")
    bit_generator = kind(0)
    bit_generator.state = state
    if kind.__name__ in BUFFER_POSITIONS:
        path, last = BUFFER_POSITIONS[kind.__name__]
        position = functools.reduce(operator.getitem, path, bit_generator.state)
        if not 0 <= position <= last:
            raise ValueError(f"a {kind.__name__} state at position {position}, outside its buffer")
    return np.random.Generator(bit_generator)


def pack(tree: Any, blobs: list[bytes]) -> bytes:
    header = json.dumps(tree, allow_nan=True).encode("utf-8")
    parts = [LENGTH.pack(len(header)), header]
    for blob in blobs:
        parts += [LENGTH.pack(len(blob)), blob]
    return b"".join(parts)


def unpack(message: bytes) -> tuple[Any, list[bytes]]:
    """The JSON tree and the blobs of a message; raises ValueError for a header longer than
    HEADER_BYTES or more blobs than MAX_NODES, before any of it is parsed."""
    (header_length,) = LENGTH.unpack_from(message, 0)
    if header_length > HEADER_BYTES:
        raise ValueError(f"a header of {header_length} bytes (at most {HEADER_BYTES} are decoded)")
    offset = LENGTH.size + header_length
    tree = json.loads(message[LENGTH.size : offset])
    blobs = []
    while offset < len(message):
        if len(blobs) == MAX_NODES:
            raise ValueError(f"more than {MAX_NODES} arrays")
        (length,) = LENGTH.unpack_from(message, offset)
        offset += LENGTH.size
        blobs.append(message[offset : offset + length])
        offset += length
    return tree, blobs


def array_parts(array: np.ndarray) -> tuple[bytes, list]:
    """The blob of `array` (a numeric dtype's) and the rest of its tree, [dtype, shape, fortran
    order]: a Fortran-ordered array is written, and comes back, in its own order, as .npy does."""
    fortran = array.flags.f_contiguous and not array.flags.c_contiguous
    return array.tobytes(order="F" if fortran else "C"), [array.dtype.str, list(array.shape), fortran]


def array_from_parts(blob: bytes, descr: Any, shape: Any, fortran: Any) -> np.ndarray:
    """The array `array_parts` wrote, a fresh one of its own as np.load would make; raises
    ValueError unless its dtype is one of DATA_DTYPES and its shape agrees with the blob,
    checked before anything is allocated."""
    dtype = DATA_DTYPES.get(descr) if type(descr) is str else None
    if dtype is None or type(fortran) is not bool or type(shape) is not list or len(shape) > MAX_DIMENSIONS:
        raise ValueError(f"an array of dtype {descr!r} and shape {shape!r} is not data")
    if not all(type(size) is int and size >= 0 for size in shape) or math.prod(shape) * dtype.itemsize != len(blob):
        raise ValueError("an array whose shape disagrees with its bytes")
    values = np.frombuffer(blob, dtype).copy()
    return values.reshape(shape[::-1]).T if fortran else values.reshape(shape)


class Encoder:
    """Turns a value into (tree, blobs). `on_other` decides what a non-data value becomes
    (the worker stores it and returns a handle tag; the grader refuses it)."""

    def __init__(self, on_other: Callable[[Any], Any]):
        self.on_other = on_other
        self.blobs: list[bytes] = []

    def encode(self, value: Any) -> Any:
        kind = type(value)
        if value is None or kind in (bool, int, str):
            return value
        if kind is float:
            return value
        if kind is np.float64:
            return {Tagged.F64: float(value)}
        if kind is np.int64:
            return {Tagged.I64: int(value)}
        if kind is np.bool_:
            return {Tagged.B8: bool(value)}
        if kind is np.ndarray and value.dtype.kind in NUMERIC_KINDS:
            return {Tagged.ARRAY: self._array(value)}
        if kind in NUMPY_SCALARS:
            # kept as its own dtype, so float32 where float64 is promised is named as such
            return {Tagged.SCALAR: self._array(np.asarray(value))}
        if kind in (list, tuple):
            items = [self.encode(item) for item in value]
            return items if kind is list else {Tagged.TUPLE: items}
        if kind is dict:
            return {Tagged.DICT: [[self.encode(k), self.encode(v)] for k, v in value.items()]}
        if kind is Bound:
            return {Tagged.CATALOGUE: value.name, "kwargs": self.encode(value.kwargs)}
        if kind is np.random.Generator and type(value.bit_generator) in BIT_GENERATORS.values():
            return {GENERATOR_TAG: self.encode(value.bit_generator.state)}
        tensor = _tensor_values(value)
        if tensor is not None:
            return {Tagged.TENSOR: self._array(tensor)}
        return self.on_other(value)

    def _array(self, array: np.ndarray) -> list:
        blob, rest = array_parts(array)
        self.blobs.append(blob)
        return [len(self.blobs) - 1, *rest]


def _tensor_values(value: Any) -> np.ndarray | None:
    """A tensor's values as a fresh ndarray, read with torch's own base methods so a
    subclass cannot change what is sent; None when `value` is not a numeric tensor."""
    torch = _torch_if_loaded()
    if torch is None or not isinstance(value, torch.Tensor):
        return None
    try:
        values = torch.Tensor.numpy(torch.Tensor.cpu(torch.Tensor.detach(value)))
    except (TypeError, RuntimeError):
        return None
    return np.array(values, copy=True) if values.dtype.kind in NUMERIC_KINDS else None


def _torch_if_loaded():
    import sys

    return sys.modules.get("torch")


class Decoder:
    """Turns (tree, blobs) back into values; `on_tag(tag, body)` resolves a handle tag (body:
    the tag's JSON object) or a catalogue tag (body: {"name", "kwargs"} with kwargs decoded)."""

    def __init__(self, blobs: list[bytes], on_tag: Callable[[str, Any], Any]):
        self.blobs = blobs
        self.on_tag = on_tag
        self.nodes = 0
        # Each blob is one array's, as the encoder writes them: a tree naming one blob
        # twice would make many arrays of one blob's bytes, so that a reply of 16 MiB
        # decodes to GiBs in the grader (23,000 copies of one 15 MiB blob fit the header).
        self.taken: set[int] = set()

    def decode(self, tree: Any, depth: int = 0) -> Any:
        """The value of `tree`; raises ValueError past MAX_NODES values or MAX_DEPTH levels."""
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            raise ValueError(f"more than {MAX_NODES} values or {MAX_DEPTH} levels of nesting")
        depth += 1
        if isinstance(tree, list):
            return [self.decode(item, depth) for item in tree]
        if not isinstance(tree, dict):
            return tree
        (tag, body), *_ = tree.items()
        if tag in SCALAR_TAGS:
            held, scalar = SCALAR_TAGS[tag]
            if type(body) is not held:  # numpy's constructors take strings, lists (an array), ...
                raise ValueError(f"{tag} holds a {type(body).__name__}")
            return scalar(body)
        if tag == Tagged.ARRAY:
            return self._array(body)
        if tag == Tagged.SCALAR:
            return _scalar(self._array(body))
        if tag == Tagged.TENSOR:
            import torch

            return torch.from_numpy(self._array(body))
        if tag == Tagged.TUPLE:
            return tuple(self.decode(item, depth) for item in body)
        if tag == Tagged.DICT:
            return {self.decode(k, depth): self.decode(v, depth) for k, v in body}
        if tag == Tagged.CATALOGUE:
            return self.on_tag(tag, {"name": body, "kwargs": self.decode(tree["kwargs"], depth)})
        if tag == GENERATOR_TAG:
            return generator_from_state(self.decode(body, depth))
        return self.on_tag(tag, tree)

    def _array(self, body: Any) -> np.ndarray:
        """The array of an array's tree, [blob index, dtype, shape, fortran order]."""
        if type(body) is not list or len(body) != 4 or type(body[0]) is not int or not 0 <= body[0] < len(self.blobs) or body[0] in self.taken:
            raise ValueError("an array's tree must be [blob, dtype, shape, fortran order], a blob of its own")
        index, *rest = body
        self.taken.add(index)
        return array_from_parts(self.blobs[index], *rest)


def _scalar(array: np.ndarray) -> Any:
    """The numpy scalar of a 0-d array, of one of NUMPY_SCALARS in its native order, as
    the encoder writes one (a bool crosses under Tagged.B8)."""
    if array.ndim != 0 or array.dtype.type not in NUMPY_SCALARS or not array.dtype.isnative:
        raise ValueError("a numpy scalar must come as a 0-d array of a numeric dtype in native order")
    return array[()]


def encode_message(payload: Any, on_other: Callable[[Any], Any]) -> bytes:
    encoder = Encoder(on_other)
    tree = encoder.encode(payload)
    return pack(tree, encoder.blobs)


def decode_message(message: bytes, on_tag: Callable[[str, Any], Any]) -> Any:
    tree, blobs = unpack(message)
    return Decoder(blobs, on_tag).decode(tree)
