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

FAULT 3 (test_a_generator_positioned_outside_its_buffer_is_refused): a Generator crosses from
the worker as its bit generator's state, and numpy's setter takes any int as a Philox's
buffer_pos or an MT19937's pos, the index of the next value in its buffer. Reproducer: a
Philox at buffer_pos -3; found: its first draws were the drawing process's own pointers
(0x7ffa57e90a58, ...); an MT19937 at pos -5,000,000: a segmentation fault at the first
draw. No check draws from a Generator a worker sent today, but one that did would hand the
grader's memory to the student or crash the grading process. Fixed: a state whose position
lies outside its buffer is refused.

Tried and found sound: a float16, longdouble (x87 pseudo-denormals, unnormals), big-endian
or bool array whose bytes are 2 or 255 (numpy and torch read such a bool as True in every
comparison, reduction and cast tried); object, string, datetime, void and complex dtypes
(refused); negative, bool, float, huge and overflowing shapes (refused, or a zero-size
array that compares as a wrong shape); a blob index out of range; nesting past 64 levels,
JSON nested past the recursion limit (refused: any exception while decoding is "not an
answer"); an array that aliases another or a blob (each is a fresh writable copy, a Fortran
one a transposed view of its own copy); a tensor of a big-endian or longdouble dtype (torch
refuses it: not an answer).

The zygote, attacked from inside a joined sandbox, found sound: no shared writable mapping
or descriptor of the zygote's reaches a joined sandbox (its one shared mapping is glibc's
read-only gconv cache); the zygote is not in the sandbox's PID namespace, and orphans go to
its pid 1, not to the zygote (the kernel looks for a subreaper in the orphan's own
namespace); a process that hops pids and kill(-1)s, files left in /tmp and /dev/shm, and a
kill of the warm parent all end with the attacker's sandbox, and a classmate graded next
by the same grading process gets the reference's report, from the zygote
(test_a_classmate_after_a_haunting_is_graded_from_the_zygote_as_if_alone). A worker's
/proc/self/status, limits, mounts, signal dispositions, personality, timer slack and
top-level modules are a fresh sandbox's (but a stricter capability bounding set; the
engine's own zygote modules and encodings.ascii, which no file of a submission can stand in
for). sandbox_start_problem is always one of the grader's own phrases, cut by `brief`
before any text a warm parent or the zygote sent.
"""

import contextlib
import json
import os
import re
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from attacks import MSE_CHECKS
from autograder.grading.run import GradingProcess
from autograder.worker.codec import Tagged, decode_message, encode_message, pack, unpack
from autograder.worker.isolation import find_bwrap
from autograder.worker.zygote import SWITCH
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


# ------------------------------------------------------------ the zygote, attacked from inside

# Appended to the reference losses.py, after `import torch` (so each of its sandboxes is a
# torch sandbox, its warm parent forked from the grading process's zygote): at import, a
# process that hops 200 pids away and, named "haunter", kills every process it may signal
# and leaves files in the sandbox's scratch for a minute; and a mean_squared_error that
# kills every process it may signal (its warm parent too), then itself.
HAUNTS_THE_ZYGOTE = """
import ctypes, os, signal, time

def _haunt():
    for _ in range(200):  # a pid of its own, far from the worker's
        if os.fork():
            os._exit(0)
    ctypes.CDLL(None).prctl(15, b"haunter", 0, 0, 0)  # PR_SET_NAME, so the test can look for it
    end = time.monotonic() + 60
    while time.monotonic() < end:
        for folder in ("/tmp", "/dev/shm"):
            try:
                with open(f"{folder}/left-by-the-haunter", "w") as left:
                    left.write("haunted")
            except OSError:
                pass
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        time.sleep(0.01)

if os.fork() == 0:
    try:
        _haunt()
    finally:
        os._exit(0)

def mean_squared_error(y_true, y_pred):
    os.kill(-1, signal.SIGKILL)  # every process it may signal but itself: its warm parent too
    os._exit(0)
"""

# An honest classmate whose losses.py reads, at import, what a sandbox before it may have left.
LOOKS_FOR_WHAT_WAS_LEFT = """
import os

_LEFT = [path for path in ("/tmp/left-by-the-haunter", "/dev/shm/left-by-the-haunter") if os.path.exists(path)]
_reference_mae = mean_absolute_error

def mean_absolute_error(y_true, y_pred):
    if _LEFT:
        raise ValueError(f"found {_LEFT}")
    return _reference_mae(y_true, y_pred)
"""


def running(name: str) -> bool:
    """Whether a process named `name` runs on the machine."""
    for comm in Path("/proc").glob("[0-9]*/comm"):
        with contextlib.suppress(OSError):
            if comm.read_text().strip() == name:
                return True
    return False


@pytest.mark.skipif(os.geteuid() != 0 or find_bwrap() is None, reason="the zygote serves bwrap as root (CI runs as root)")
@pytest.mark.slow(seconds=40)
def test_a_classmate_after_a_haunting_is_graded_from_the_zygote_as_if_alone(tmp_path, monkeypatch):
    """One grading process grades an attacker whose sandboxes come from the zygote (its
    losses.py imports torch), then an honest classmate's, from the same zygote: the
    classmate gets the reference's report, from the zygote, and finds nothing left."""
    monkeypatch.delenv(SWITCH, raising=False)
    process = GradingProcess()
    try:
        attacker = plant(tmp_path / "attacker", {"losses": "import torch\n" + HAUNTS_THE_ZYGOTE})
        haunted = process.grade(attacker, COURSE, student="attacker", concepts=("losses",), sandbox="bwrap")
        assert haunted["sandbox_start"] == "zygote"
        honest = plant(tmp_path / "honest", {"losses": "import torch\n" + LOOKS_FOR_WHAT_WAS_LEFT})
        report = process.grade(honest, COURSE, student="honest", concepts=("losses",), sandbox="bwrap")
    finally:
        process.close()
    checks = checks_by_id(report, "losses")
    assert {check_id: check["feedback"] for check_id, check in checks.items() if check["status"] != "passed"} == {}
    assert (report["sandbox_start"], report.get("sandbox_start_problem")) == ("zygote", None)
    assert not running("haunter")


def forged_generator(name: str, key: str, position: int) -> bytes:
    """A message holding a Generator on bit generator `name` whose state says `position`
    under `key` (written as the JSON tree holds it: ["key", value])."""
    bit_generator = getattr(np.random, name)(0)
    tree, blobs = unpack(encode_message(np.random.Generator(bit_generator), None))
    text = json.dumps(tree)
    written = re.search(rf'\["{key}", (-?[0-9]+)\]', text)
    return pack(json.loads(text.replace(written.group(0), f'["{key}", {position}]')), blobs)


@pytest.mark.parametrize(("name", "key", "position"), [("Philox", "buffer_pos", -3), ("Philox", "buffer_pos", 5), ("MT19937", "pos", -5_000_000), ("MT19937", "pos", 700)])
def test_a_generator_positioned_outside_its_buffer_is_refused(name, key, position):
    """FAULT 3: numpy's setter takes any int as a Philox's buffer_pos or an MT19937's pos;
    the first draw from a Philox at -3 gave the drawing process's own pointers as numbers,
    from an MT19937 at -5,000,000 a segmentation fault. A Generator is data that crosses
    from the worker (the codec's GENERATOR_TAG): no check draws from one today, but one
    that did would read or crash the grader. Fixed: a position outside the buffer is refused."""
    with pytest.raises(ValueError, match="outside its buffer"):
        decode_message(forged_generator(name, key, position), None)


@pytest.mark.parametrize(("name", "key", "position"), [("Philox", "buffer_pos", 0), ("Philox", "buffer_pos", 4), ("MT19937", "pos", 0), ("MT19937", "pos", 624)])
def test_a_generator_at_any_position_of_its_buffer_crosses(name, key, position):
    back = decode_message(forged_generator(name, key, position), None)
    state = back.bit_generator.state
    assert (state["state"] if name == "MT19937" else state)[key] == position
