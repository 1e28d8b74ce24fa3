"""Breaker round 10: calls started ahead (commit d9e4062), the detector's trainings on the
public clips sent to the architectures worker while the other concepts are graded. Each
test names a fault it found.

FAULT 1 (test_the_calls_ahead_leave_the_concepts_worker_as_its_first_check_found_it):
the calls ahead ran before the concept's first check in the concept's own worker, so
every later check of `architectures` met that worker as the two trainings left it
(torch.manual_seed(0) and what followed, and any global a train_detector sets), not as
the warm parent handed it over: what a check sees depended on the calls ahead. Found with
`autograder grade solutions --student ckpt --course-salt x --concept architectures`, where
the reference failed clip_classifier_pools_over_the_whole_spectrogram after d9e4062 and
passed before (its unseeded network, built by the check, met another random state).
Expected: "They must change nothing a check sees but the time". Fixed: the calls ahead
run in a worker of their own; the concept's checks get a fresh worker, as before.

FAULT 2 (test_a_partial_reply_ahead_does_not_stall_the_check_of_another_concept): a call
ahead that writes the first bytes of a reply to its socket and then keeps running makes
`_advance` (from `start_check` of ANOTHER concept's check) block in `receive` until that
call's own limit (60 s x time scale when grading): the whole session stalls inside a
`losses` check, though `_advance_ahead` promises to move the calls on "without waiting".
Found: start_check took the call's limit; expected: it returns at once and the check
that reads the call meets the failure. Fixed: `Worker.answered` says a reply waits only
once all of it (or the end of the socket, or a length the grader refuses) has come.

FAULT 3 (test_a_worker_that_stops_reading_costs_the_check_its_limit_not_the_grader_forever):
the grader's end of a worker's socket was blocking, so `send_message`'s `sock.send` of a
request larger than the socket's buffer (a training's 2.2 MB of clips) waited for the
worker to read it with no deadline at all. A student function that answers and then
stops its own process (a thread: os.kill(os.getpid(), SIGSTOP)) hung the whole grading
session forever at the next call with a large argument: the early trainings' second
call (sent from another concept's start_check), or any check's call. Present at
d9e4062~1 too for a check's call; found: `grade` never ends; expected: the call times
out at its limit. Fixed: the grader's end is non-blocking (the channel already waits in
select up to the deadline, and handles BlockingIOError).

FAULT 4 (test_a_call_ahead_sent_to_a_worker_that_stopped_reading_does_not_stall_another_concept):
the same stopped worker, met by `_advance` sending the next call ahead (from another
concept's `start_check`): now bounded, the send still waited up to that call's own limit
(60 s x time scale when grading) inside the other concept's check, not "without
waiting". Fixed: a call ahead is written in parts, as much as the socket takes at each
check's start; the check that reads it meets its time-out.
"""

import time

import numpy as np
import pytest

from autograder.worker.errors import StudentCodeFailed, StudentTimedOut
from autograder.worker.isolation import choose_isolation
from autograder.worker.limits import Limits
from autograder.worker.sandbox import SandboxedSubmission

ARCHITECTURES = """
import os, stat, struct, time
import torch

TRAINED = False

def train_detector(X, seed):
    global TRAINED
    torch.manual_seed(seed)  # as the reference does
    TRAINED = True
    return float(torch.rand(1)) + float(X.sum())

def state():
    # what a check's own network, built without a seed, meets: the worker's globals and torch's random state
    return [TRAINED, torch.initial_seed()]

def half_a_reply(seconds):
    for fd in range(3, 256):
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.write(fd, struct.pack("<Q", 64) + b"{")  # a length, and the first byte of 64
        except OSError:
            pass
    time.sleep(seconds)
    return 0

def answer_then_stop():
    import signal, threading
    def stop():
        time.sleep(0.05)  # after the reply is written
        os.kill(os.getpid(), signal.SIGSTOP)
    threading.Thread(target=stop, daemon=True).start()
    return 1

def take(X):
    return float(X.sum())
"""
LOSSES = "def mse():\n    return 0.0\n"


# The worker stops itself just after its import answers: before a call's request is written
STOPS_AFTER_ITS_IMPORT = ARCHITECTURES + """
import signal, threading
threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGSTOP)).start()
"""


def submission_of(tmp_path, architectures=ARCHITECTURES, torch_ahead=True) -> SandboxedSubmission:
    (tmp_path / "architectures.py").write_text(architectures, encoding="utf-8")
    (tmp_path / "losses.py").write_text(LOSSES, encoding="utf-8")
    return SandboxedSubmission(tmp_path, choose_isolation("bwrap"), Limits(), torch_ahead=torch_ahead)


def test_the_calls_ahead_leave_the_concepts_worker_as_its_first_check_found_it(tmp_path):
    submission = submission_of(tmp_path)
    try:
        submission.start_ahead("architectures", "train_detector", (np.zeros(2, dtype=np.float32), 0), 30)
        submission.start_check(60)
        assert submission.module("losses").mse() == 0.0
        submission.start_check(60)
        trained, seed = submission.module("architectures").state()
        assert submission.module("architectures").train_detector(np.zeros(2, dtype=np.float32), 0) > 0  # answered ahead
        assert (trained, seed != 0) == (False, True), "the check's worker met the state the training left"
    finally:
        submission.close()


def test_a_partial_reply_ahead_does_not_stall_the_check_of_another_concept(tmp_path):
    submission = submission_of(tmp_path)
    try:
        submission.start_ahead("architectures", "half_a_reply", (10,), 3.0)
        deadline = time.monotonic() + 60
        while submission._ahead["architectures"][0].worker is None:  # sent early
            assert time.monotonic() < deadline, "the call ahead was never sent"
            submission.start_check(10)
            assert submission.module("losses").mse() == 0.0
            time.sleep(0.05)
        time.sleep(1.0)  # its half reply has come
        started = time.monotonic()
        submission.start_check(10)
        assert submission.module("losses").mse() == 0.0
        assert time.monotonic() - started < 2.0, "a losses check waited for the call ahead"
        submission.start_check(10)
        with pytest.raises(StudentCodeFailed):
            submission.module("architectures").half_a_reply(10)
    finally:
        submission.close()


LARGE = np.zeros(2**20, dtype=np.float32)  # 4 MiB, far more than a socket's buffer


def test_a_worker_that_stops_reading_costs_the_check_its_limit_not_the_grader_forever(tmp_path):
    (tmp_path / "losses.py").write_text(ARCHITECTURES.replace("import torch", ""), encoding="utf-8")
    submission = SandboxedSubmission(tmp_path, choose_isolation("bwrap"), Limits())
    try:
        submission.start_check(10)
        assert submission.module("losses").answer_then_stop() == 1
        time.sleep(0.5)
        submission.start_check(2)
        started = time.monotonic()
        with pytest.raises(StudentTimedOut):
            submission.module("losses").take(LARGE)
        assert time.monotonic() - started < 10
    finally:
        submission.close()


def test_a_call_ahead_sent_to_a_worker_that_stopped_reading_does_not_stall_another_concept(tmp_path):
    submission = submission_of(tmp_path, STOPS_AFTER_ITS_IMPORT)
    try:
        submission.start_ahead("architectures", "take", (LARGE,), 2.0)
        call = submission._ahead["architectures"][0]
        deadline = time.monotonic() + 60
        while call.worker is None:  # until its worker starts, and is sent the import
            assert time.monotonic() < deadline, "the call ahead never started"
            submission.start_check(10)
            assert submission.module("losses").mse() == 0.0
            time.sleep(0.05)
        time.sleep(1.0)  # its import answers, and 0.05 s later it stops: before the next check writes the call
        until = time.monotonic() + 3.0  # past the call's limit
        slowest = 0.0
        while time.monotonic() < until:
            started = time.monotonic()
            submission.start_check(10)
            assert submission.module("losses").mse() == 0.0
            slowest = max(slowest, time.monotonic() - started)
            time.sleep(0.3)
        assert slowest < 2.0, f"a losses check waited {slowest:.1f} s for the call ahead"
        submission.start_check(10)
        with pytest.raises(StudentTimedOut):
            submission.module("architectures").take(LARGE)
    finally:
        submission.close()
