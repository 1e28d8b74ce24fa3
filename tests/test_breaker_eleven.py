"""Breaker round 11: calls started ahead run in a worker of their own (8f1051e), in parts
(a16c433). Each test names a fault it found.

FAULT 1 (test_an_idle_calls_worker_does_not_count_against_a_checks_memory): after the
drain, the calls' worker stays alive, idle, for the rest of the concept (it holds the
trained models' handles), in the same sandbox as the concept's own worker, and the
sandbox's memory limit counts every process in it: a forked worker of a torch sandbox
claims some 245 MiB (VmData counts what it inherited from the warm parent again), plus
what the trainings left. So every architectures check (the clip_classifier ones, the
trainings on noise) has some 245 MiB less of the submission's limit than before the
feature. Reproducer: a call in the concept's worker that holds one idle worker's worth
of memory under a limit that leaves it that and half as much again; found: "ran out of
memory"; expected: it answers, as it did when the trainings ran in the concept's worker
(the grader's own extra process must not cost the student memory).
"""

import time

import numpy as np
import pytest

from autograder.worker.isolation import choose_isolation
from autograder.worker.limits import Limits, claimed_bytes
from autograder.worker.sandbox import SandboxedSubmission

ARCHITECTURES = """
import time
import torch

def train_detector(X, seed):
    torch.manual_seed(seed)
    return torch.nn.Linear(2, 1)

def hold(n_bytes, seconds):
    block = bytearray(n_bytes)  # counted as soon as asked for (VmData)
    time.sleep(seconds)
    return len(block)
"""
LOSSES = "def mse():\n    return 0.0\n"


def submission_of(tmp_path, architectures=ARCHITECTURES, **limits) -> SandboxedSubmission:
    (tmp_path / "architectures.py").write_text(architectures, encoding="utf-8")
    (tmp_path / "losses.py").write_text(LOSSES, encoding="utf-8")
    return SandboxedSubmission(tmp_path, choose_isolation("bwrap"), Limits(**limits), torch_ahead=True)


def zeros():
    return np.zeros(2, dtype=np.float32)


@pytest.mark.xfail(strict=True, reason="FAULT 1: the idle calls' worker counts against the concept's checks' memory limit")
def test_an_idle_calls_worker_does_not_count_against_a_checks_memory(tmp_path):
    submission = submission_of(tmp_path)
    try:
        submission.start_ahead("architectures", "train_detector", (zeros(), 0), 30)
        submission.start_check(60)
        architectures = submission.module("architectures")
        assert architectures.hold(0, 0) == 0  # the drain: the calls' worker answered and idles
        calls_worker = submission._ahead["architectures"].worker
        assert not calls_worker.closed
        held = submission._parent.memory_bytes()
        idle = min(claimed_bytes([pid]) for pid in submission._parent.processes() if claimed_bytes([pid]) > 50 * 2**20)
        # as the trainings ran in the concept's worker: held - idle + idle <= the limit; now held + idle > it
        submission.limits = Limits(memory_bytes=held + idle // 2)
        submission.start_check(60)
        assert architectures.hold(idle, 1.0) == idle
    finally:
        submission.close()
