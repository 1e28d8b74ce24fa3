"""Breaker round 12: the calls started ahead after their refactor (AheadCall, calls written
and read in parts, a worker of their own each). Each test names a fault it found.

FAULT 1 (test_a_training_ahead_takes_no_processes_from_another_concepts_check): as root,
the torch sandbox started ahead runs as the submission's own user, and so does the sandbox
that grades the other concepts beside it; RLIMIT_NPROC counts a user's processes and
threads on the whole machine, so the two sandboxes share one count (the engine adds one
process, for the other sandbox's warm parent, and nothing for what student code starts).
A training ahead that holds threads (a DataLoader's workers, a thread pool) while another
concept is graded takes them from that concept's checks, and a check of that concept
that starts threads of its own may fail, or not, depending on whether the training
happened to be running at that moment: a verdict that depends on timing (law 7), and a
failure of one concept's code charged to another's check (law 5). Limits.processes says
"counted per sandbox". Reproducer: Limits(processes=16); train_detector ahead holds 8
threads; losses.work() starts 8; found: "work raised RuntimeError: can't start new
thread"; expected: 8, as when each runs alone under the same limit (checked: both answer).
Not fixed: the fix is a user of its own for a sandbox that runs beside another of the same
submission (sandbox_uid), which doubles the uids a session takes, and GRADES_PER_PROCESS
(500, of some 570 uids a grading process can hand out) would have to halve with it.
"""

import os

import numpy as np
import pytest

from autograder.worker.isolation import choose_isolation
from autograder.worker.limits import Limits, _status_number
from autograder.worker.sandbox import SandboxedSubmission
from tests.sandboxed import wait_until

ARCHITECTURES = """
import threading, time

def train_detector(X, seed):
    # a pool of eight threads, alive while it trains (here: sleeps)
    stop = threading.Event()
    pool = [threading.Thread(target=stop.wait) for _ in range(8)]
    for thread in pool:
        thread.start()
    time.sleep(30)
    stop.set()
    return 0
"""
LOSSES = """
import threading

def mse():
    return 0.0

def work():
    stop = threading.Event()
    pool = [threading.Thread(target=stop.wait) for _ in range(8)]
    for thread in pool:
        thread.start()
    stop.set()
    for thread in pool:
        thread.join()
    return len(pool)
"""


def submission_of(tmp_path, files: dict[str, str], **limits) -> SandboxedSubmission:
    for module, code in files.items():
        (tmp_path / f"{module}.py").write_text(code, encoding="utf-8")
    return SandboxedSubmission(tmp_path, choose_isolation("bwrap"), Limits(**limits), torch_ahead=True)


def zeros():
    return np.zeros(2, dtype=np.float32)


def threads_ahead(submission) -> int:
    """Threads of every process of the torch sandbox started ahead (0 once it is adopted)."""
    ahead = submission._torch_ahead
    return sum(_status_number(pid, "Threads:") or 0 for pid in ahead.processes()) if ahead is not None else 0


@pytest.mark.skipif(os.geteuid() != 0, reason="as root only: else each sandbox has a user namespace of its own")
@pytest.mark.xfail(strict=True, reason="FAULT 1: the two sandboxes of a submission share one user's RLIMIT_NPROC")
def test_a_training_ahead_takes_no_processes_from_another_concepts_check(tmp_path):
    submission = submission_of(tmp_path, {"architectures": ARCHITECTURES, "losses": LOSSES}, processes=16)
    try:
        submission.start_ahead("architectures", "train_detector", (zeros(), 0), 60)
        losses = submission.module("losses")

        def training_holds_its_pool():
            submission.start_check(10)  # moves the calls ahead on
            assert losses.mse() == 0.0
            return threads_ahead(submission) >= 9  # the worker and its pool

        wait_until(training_holds_its_pool, 60)
        assert threads_ahead(submission) >= 9, "the training ahead never started"
        submission.start_check(10)
        assert losses.work() == 8
    finally:
        submission.close()
