"""Breaker round 14: the codec that carries arrays as raw bytes, and the zygote as the
default as root. Each test names a fault it found.

FAULT 1 (test_a_blob_crosses_as_one_array_only, test_a_reply_naming_one_blob_twice_costs_its_check_alone):
an array crosses as [blob index, dtype, shape, fortran order] and the decoder made each
array a fresh copy of the blob the index names, but never asked whether an earlier array
had named the same blob. The worker's side is the student's (its socket can be written
from student code), so a reply of one 15 MiB blob and a header of 23,000 arrays naming it
(1 MiB of JSON, under the header's cap) decodes to 341 GiB in the grader, outside the
sandbox's memory limit and its watch: the grading process (a grade-all's, which grades the
whole class one submission after another) is taken by the machine's out-of-memory
killer. Reproducer: 200 arrays naming one 1 MiB blob, a 1 MiB message; found: 200
arrays, 200 MiB allocated; expected: refused (ValueError). Fixed: a blob is one array's;
a tree naming one twice is no answer (the check that asked is `crashed`).

FAULT 2 (test_a_scalar_tag_decodes_only_to_what_the_encoder_writes): the scalar tags were
decoded with numpy's constructors, which take much more than the encoder writes:
{"__f64__": [[1, 2], [3, 4]]} became a float64 *array* (built from JSON, outside the count
of values), {"__b8__": "False"} numpy.True_, {"__i64__": 2.9} 2; a "__npscalar__" took a
bool or a big-endian dtype, which no numpy scalar the encoder sends has. None of these
gives a student an answer they could not send honestly, but an "__f64__" that is no
float64 is not the strict decoding the contract promises. Fixed: each tag takes its
encoder's type alone (a float, an int that is no bool, a bool; a scalar of a numeric dtype
in native order).
"""

import time
import tracemalloc

import numpy as np
import pytest

from attacks import MSE_CHECKS
from autograder.worker.codec import Tagged, decode_message, encode_message, pack
from mutants import COURSE, checks_by_id, grading_process, plant

MIB = 2**20


def array_naming(index: int, size: int) -> dict:
    """An array's tree: `size` bytes of uint8 from blob `index`."""
    return {Tagged.ARRAY: [index, "|u1", [size], False]}


def test_a_blob_crosses_as_one_array_only():
    """200 arrays naming one 1 MiB blob are refused at once, without allocating them."""
    message = pack([array_naming(0, MIB)] * 200, [bytes(MIB)])
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ValueError):
            decode_message(message, None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 1.0 and peak < 8 * MIB


def test_a_blob_may_be_empty_and_each_array_has_its_own():
    """What the encoder writes still decodes: arrays of their own blobs, empty ones too,
    each a fresh writable array that shares nothing with the others."""
    value = [np.zeros(0), np.zeros(0), np.arange(3.0), np.asfortranarray(np.ones((2, 3))), np.arange(3.0)]
    back = decode_message(encode_message(value, None), None)
    assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(back, value))
    back[2][0] = 7.0
    back[3][0, 0] = 7.0
    assert back[4][0] == 0.0 and all(array.flags.writeable for array in back)
    assert not any(np.shares_memory(a, b) for i, a in enumerate(back) for b in back[i + 1 :])


# A losses.py whose mean_squared_error writes, into the worker's socket, a reply whose answer
# is a list of 64 arrays naming one 1 MiB blob (64 MiB decoded; the attack's 23,000 copies
# of 15 MiB would take the grader down, so the test stays this small).
BLOB_BOMB = """
import json, os, struct, sys

def _bomb(copies, size):
    frame = sys._getframe()
    while "sock" not in frame.f_locals:
        frame = frame.f_back
    array = {"__ndarray__": [0, "|u1", [size], False]}
    tree = {"__dict__": [["ok", [array] * copies], ["mutated", []]]}
    header = json.dumps(tree).encode()
    body = struct.pack("<Q", len(header)) + header + struct.pack("<Q", size) + bytes(size)
    frame.f_locals["sock"].sendall(struct.pack("<Q", len(body)) + body)
    os._exit(0)

def mean_squared_error(y_true, y_pred):
    _bomb(64, 2**20)
"""


@pytest.mark.slow(seconds=6)
def test_a_reply_naming_one_blob_twice_costs_its_check_alone(tmp_path):
    """Each check that calls mean_squared_error is `crashed` (the worker sent no answer);
    the other losses pass, as the reference's do."""
    submission = plant(tmp_path, {"losses": BLOB_BOMB})
    report = grading_process().grade(submission, COURSE, student="blob-bomb", concepts=("losses",))
    checks = checks_by_id(report, "losses")
    assert {check_id for check_id, check in checks.items() if check["status"] != "passed"} == MSE_CHECKS
    assert {checks[check_id]["status"] for check_id in MSE_CHECKS} == {"crashed"}
    assert all("not an answer" in checks[check_id]["feedback"] for check_id in MSE_CHECKS)


@pytest.mark.parametrize(
    "tree",
    [
        {Tagged.F64: [[1.0, 2.0], [3.0, 4.0]]},  # was a float64 array
        {Tagged.F64: "1e300"},  # was numpy.float64(1e300)
        {Tagged.F64: True},
        {Tagged.I64: 2.9},  # was 2
        {Tagged.I64: "12"},
        {Tagged.I64: [1, 2]},  # was an int64 array
        {Tagged.B8: "False"},  # was numpy.True_
        {Tagged.B8: 0},
    ],
)
def test_a_scalar_tag_decodes_only_to_what_the_encoder_writes(tree):
    with pytest.raises(ValueError):
        decode_message(pack(tree, []), None)


@pytest.mark.parametrize("descr", ["|b1", ">f8", ">i8"])
def test_a_numpy_scalar_crosses_only_in_a_dtype_the_encoder_sends(descr):
    """A numpy scalar crosses in its own (native) dtype, and bools under their own tag."""
    data = np.ones((), dtype=np.dtype(descr)).tobytes()
    with pytest.raises(ValueError):
        decode_message(pack({Tagged.SCALAR: [0, descr, [], False]}, [data]), None)


@pytest.mark.parametrize("value", [np.float64(-0.0), np.float64("nan"), np.int64(-(2**63)), np.bool_(False), np.float32(2.5), np.uint64(2**64 - 1), np.longdouble(1) / 3])
def test_numpy_scalars_still_cross_as_themselves(value):
    back = decode_message(encode_message(value, None), None)
    assert type(back) is type(value) and (back == value or (np.isnan(back) and np.isnan(value)))
