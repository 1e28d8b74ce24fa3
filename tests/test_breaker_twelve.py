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
Fixed: as root, a sandbox that runs beside the one started ahead runs as a user of its own
(sandbox_uid; the +1 process is gone), and GRADES_PER_PROCESS counts three uids a session
(180, of some 570 a grading process can hand out).

FAULT 2 (test_a_reply_ahead_that_came_in_time_is_no_time_out_when_the_grader_looks_late):
the grader only looks at a call ahead at each check's start (`_advance_ahead`), and read
a reply it found whole against the call's deadline, which `channel._wait` checks before it
looks at the socket: a reply that came within the limit but was first seen after it was
read as a time-out, kept for the check that claims the call. A gap between two looks is a
check of another concept: one that times out (10 s), or a sandbox's restart after it. So
an honest train_detector that trains in 50 of its 60 s, beside a losses.py with an endless
loop, could lose its training checks as "did not finish within its time limit".
Reproducer: a call ahead of 0.2 s under a 3 s limit, then a losses check of 4 s; found:
"slow did not finish within its time limit"; expected: its answer. Fixed: a look that finds
the reply whole past the limit cannot tell when it came, so the call runs again in a new
worker (watched by `_answer_ahead` if it is still running when its concept starts); a look
past the limit that finds no whole reply is its time-out (the sandbox ends then, not when
the concept starts). The same for a reply larger than the socket's buffer, which never
waits whole: a train_detector that normalises X in place (a named mistake, which should
cost its own check) sends the 2.2 MB of X back, and was read as a time-out whenever its
concept started past its limit; now a look past the limit that finds a reply begun runs
the call again too (test_a_large_reply_ahead_that_came_in_time_is_no_time_out).

FAULT 3 (test_a_training_ahead_answers_the_same_after_an_earlier_check_of_its_concept_raised):
each training ahead runs in a fresh worker of its own, but a check of the concept whose
student code raises resets the sandbox, which ends the calls' workers; a training whose
worker ended then runs in the concept's worker, after whatever ran there. So a
train_detector that keeps state between calls answers differently depending on whether an
unrelated check raised first. Found end to end (`autograder grade --concept architectures
--student s1 --course-salt x`) with solutions/ whose train_detector trains once and returns
that model for every later call: 10/10; the same with a pixel_classifier that raises also
loses train_detector_keeps_the_best_epoch ("its model overfits": its noise training now
ran third in the concept's worker and got the public model), though the pixel checks are
all that differ; before the calls ahead the trainings all ran in the concept's worker and
it lost that check either way. Reproducer: two calls ahead of such a train_detector, then
a check's call that raises; found: the second training answers the first one's result;
expected: its own, as when nothing raised. Fixed: a call ahead whose worker ended after it
answered runs again in a worker of its own (`_run_again`: `_answer_ahead`, on its own limit
and off the check's clock); a failure there leaves the concept's worker, as a failure in it
does (test_a_call_ahead_that_fails_when_it_runs_again_leaves_the_concepts_worker).
"""

import os

import numpy as np
import pytest

from autograder.worker.errors import StudentRaised
from autograder.worker.isolation import GRADES_PER_PROCESS, PID_SPACE, choose_isolation, sandbox_uids_of
from autograder.worker.limits import Limits, _status_number, processes_of_user
from autograder.worker.sandbox import SandboxedSubmission
from tests.sandboxed import wait_until

pytestmark = pytest.mark.slow(seconds=29)  # the whole file, in the last clean-clone CI run

ARCHITECTURES = """
import os, threading, time

TRAINED = []

def train_once(X, seed):
    # trained once: the same answer for every later call
    if not TRAINED:
        TRAINED.append(float(X.sum()) + seed)
    return TRAINED[0]

def broken():
    raise ValueError("not yet")

def slow(seconds):
    time.sleep(seconds)
    return seconds

def grow(X):
    X += 1  # in place: the reply sends X back, larger than the socket's buffer
    return float(X[0])

def alone():
    # a stub, once a worker runs beside this one (the concept's): when it runs again
    siblings = [pid for pid in os.listdir("/proc") if pid.isdigit() and int(pid) != os.getpid() and _parent_of(pid) == os.getppid()]
    if siblings:
        raise NotImplementedError("not alone")
    return 1

def _parent_of(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("PPid:"))
    except (OSError, StopIteration):
        return None

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
import threading, time

def nap(seconds):
    time.sleep(seconds)
    return seconds

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


def send_whole_ahead(submission, losses) -> None:
    """Run quick checks of `losses` (each one's start moves the calls ahead on) until the
    first call ahead of architectures is written whole, and its limit runs."""
    call = submission._ahead["architectures"][0]

    def sent_whole():
        submission.start_check(10)
        assert losses.mse() == 0.0
        return call.unsent is not None and not call.unsent

    wait_until(sent_whole, 60)
    assert sent_whole(), "the call ahead was never sent"


def threads_ahead(submission) -> int:
    """Threads of every process of the torch sandbox started ahead (0 once it is adopted)."""
    ahead = submission._torch_ahead
    return sum(_status_number(pid, "Threads:") or 0 for pid in ahead.processes()) if ahead is not None else 0


@pytest.mark.skipif(os.geteuid() != 0, reason="as root only: else each sandbox has a user namespace of its own")
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
        users = {submission.layout.uid, submission._parent.layout.uid}
        assert len(users) == 2, "each sandbox runs as a user of its own"
    finally:
        submission.close()

    def left():
        return [pid for uid in users for pid in processes_of_user(uid)]

    wait_until(lambda: not left(), 10)  # SIGKILLed, a process with torch takes a moment to exit
    assert not left(), "both users' processes end with the session"


def test_a_reply_ahead_that_came_in_time_is_no_time_out_when_the_grader_looks_late(tmp_path):
    submission = submission_of(tmp_path, {"architectures": ARCHITECTURES, "losses": LOSSES})
    try:
        submission.start_ahead("architectures", "slow", (0.2,), 3.0)
        losses = submission.module("losses")
        send_whole_ahead(submission, losses)
        submission.start_check(10)
        assert losses.nap(4.0) == 4.0  # the call answers in 0.2 s; the grader looks again after 4
        submission.start_check(10)
        assert submission.module("architectures").slow(0.2) == 0.2
    finally:
        submission.close()


def test_a_large_reply_ahead_that_came_in_time_is_no_time_out(tmp_path):
    submission = submission_of(tmp_path, {"architectures": ARCHITECTURES, "losses": LOSSES})
    clips = np.zeros(2**20, dtype=np.float32)  # 4 MiB
    try:
        submission.start_ahead("architectures", "grow", (clips,), 3.0)
        losses = submission.module("losses")
        send_whole_ahead(submission, losses)
        submission.start_check(10)
        assert losses.nap(4.0) == 4.0
        submission.start_check(10)
        mine = clips.copy()
        assert submission.module("architectures").grow(mine) == 1.0
        assert (mine == 1).all(), "its change in place reaches the check's array"
    finally:
        submission.close()


@pytest.mark.parametrize("raised_first", [False, True])  # each call ahead answers from a fresh worker of its own, raised or not
def test_a_training_ahead_answers_the_same_after_an_earlier_check_of_its_concept_raised(tmp_path, raised_first):
    submission = submission_of(tmp_path, {"architectures": ARCHITECTURES, "losses": LOSSES})
    try:
        submission.start_ahead("architectures", "train_once", (zeros(), 0), 30)
        submission.start_ahead("architectures", "train_once", (np.ones(2, dtype=np.float32), 1), 30)
        submission.start_check(30)
        architectures = submission.module("architectures")
        if raised_first:
            with pytest.raises(StudentRaised):
                architectures.broken()  # an earlier check of the concept: its sandbox is reset
            submission.start_check(30)
        assert architectures.train_once(zeros(), 0) == 0.0
        assert architectures.train_once(np.ones(2, dtype=np.float32), 1) == 3.0, "as when no check raised before"
    finally:
        submission.close()


def test_a_call_ahead_that_fails_when_it_runs_again_leaves_the_concepts_worker(tmp_path):
    """Its failure resets the sandbox under the concept's worker: the next check gets a fresh one."""
    submission = submission_of(tmp_path, {"architectures": ARCHITECTURES, "losses": LOSSES})
    try:
        submission.start_ahead("architectures", "alone", (), 30)
        submission.start_check(30)
        architectures = submission.module("architectures")
        with pytest.raises(StudentRaised):
            architectures.broken()  # the call ahead answered alone, in its worker; the reset ended it
        submission.start_check(30)
        assert architectures.slow(0) == 0  # the check's first request: the concept's worker serves it
        with pytest.raises(NotImplementedError, match="not alone"):
            architectures.alone()  # runs again, beside the concept's worker (the check may hold objects there)
        submission.start_check(30)
        assert architectures.train_once(zeros(), 0) == 0.0
    finally:
        submission.close()


def test_a_grading_process_has_uids_for_three_a_session():
    """Its own (or the spare's), the sandbox beside the one started ahead, the next spare."""
    assert 3 * GRADES_PER_PROCESS < len(sandbox_uids_of(PID_SPACE - 1))  # the fewest any pid gets
