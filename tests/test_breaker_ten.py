"""Breaker round 10: calls started ahead (commit d9e4062), the detector's trainings on the
public clips sent to the architectures worker while the other concepts are graded. Each
test names a fault it found.

FAULT 1 (test_calls_ahead_leave_torchs_random_state_as_the_concepts_first_check_found_it):
the calls ahead run before the concept's first check, so every later check of
`architectures` now meets the worker's global torch random state as the two trainings
(torch.manual_seed(0), then randperm, init, shuffles) left it, not as the warm parent
handed it over. A student's network built by a check (clip_classifier(n), unseeded, as
the contract has it) gets other initial weights than before the commit, so a check whose
outcome depends on them changes its status. Reproducer (real grading):
`autograder grade solutions --student ckpt --course-salt x --concept architectures`: the
REFERENCE fails clip_classifier_pools_over_the_whole_spectrogram ("part of the
spectrogram never reaches the output") after d9e4062, and passed at d9e4062~1 (also in
`grade-all` of a class whose member `ckpt` is the reference). Found: another status for
the same code; expected: "They must change nothing a check sees but the time"
(tests/test_calls_ahead.py). Not a small fix: the answers' models live in the worker
that trained them, so the trainings cannot simply run in a worker of their own; either
the checks stop depending on the worker's random state, or the calls ahead keep it.

FAULT 2 (test_a_partial_reply_ahead_does_not_stall_the_check_of_another_concept): a call
ahead that writes the first bytes of a reply to its socket and then keeps running makes
`_advance` (from `start_check` of ANOTHER concept's check) block in `receive` until that
call's own limit (60 s x time scale when grading): the whole session stalls inside a
`losses` check, though `_advance_ahead` promises to move the calls on "without waiting".
Found: start_check took the call's limit; expected: it returns at once and the check
that reads the call meets the failure. Fixed: `Worker.answered` says a reply waits only
once all of it (or the end of the socket, or a length the grader refuses) has come.
"""

import time

import numpy as np
import pytest

from autograder.worker.errors import StudentCodeFailed
from autograder.worker.isolation import choose_isolation
from autograder.worker.limits import Limits
from autograder.worker.sandbox import SandboxedSubmission

ARCHITECTURES = """
import os, stat, struct, time
import torch

def train_detector(X, seed):
    torch.manual_seed(seed)  # as the reference does
    return float(torch.rand(1)) + float(X.sum())

def draw():
    # A check's own network, built without a seed (clip_classifier's init)
    return float(torch.rand(1))

def half_a_reply(seconds):
    for fd in range(3, 256):
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.write(fd, struct.pack("<Q", 64) + b"{")  # a length, and the first byte of 64
        except OSError:
            pass
    time.sleep(seconds)
    return 0
"""
LOSSES = "def mse():\n    return 0.0\n"


def submission_of(tmp_path) -> SandboxedSubmission:
    (tmp_path / "architectures.py").write_text(ARCHITECTURES, encoding="utf-8")
    (tmp_path / "losses.py").write_text(LOSSES, encoding="utf-8")
    return SandboxedSubmission(tmp_path, choose_isolation("bwrap"), Limits(), torch_ahead=True)


def first_draw(tmp_path, ahead: bool) -> float:
    """What architectures.draw() returns in the concept's first check, with or without
    the training started ahead."""
    submission = submission_of(tmp_path)
    try:
        if ahead:
            submission.start_ahead("architectures", "train_detector", (np.zeros(2, dtype=np.float32), 0), 30)
        submission.start_check(60)
        assert submission.module("losses").mse() == 0.0
        submission.start_check(60)
        return submission.module("architectures").draw()
    finally:
        submission.close()


@pytest.mark.xfail(strict=True, reason="FAULT 1: the calls ahead run before the concept's first check and leave the worker's torch random state changed; no small fix")
def test_calls_ahead_leave_torchs_random_state_as_the_concepts_first_check_found_it(tmp_path):
    (tmp_path / "with").mkdir()
    (tmp_path / "without").mkdir()
    assert first_draw(tmp_path / "with", ahead=True) == first_draw(tmp_path / "without", ahead=False)


def test_a_partial_reply_ahead_does_not_stall_the_check_of_another_concept(tmp_path):
    submission = submission_of(tmp_path)
    try:
        submission.start_ahead("architectures", "half_a_reply", (20,), 8.0)
        deadline = time.monotonic() + 60
        while submission._ahead["architectures"].calls[0].worker is None:  # sent early
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
            submission.module("architectures").half_a_reply(20)
    finally:
        submission.close()
