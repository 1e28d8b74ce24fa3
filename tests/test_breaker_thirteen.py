"""Breaker round 13: the total time limit counted from the first check, spawn and reset
limits scaled by --time-scale, and a session's second sandbox user with calls ahead that
run again. Each test names a fault it found.

FAULT 1 (test_a_call_ahead_that_runs_again_runs_alone_as_it_ran_ahead): a call ahead whose
worker ended after it answered (a check of its concept raised, and the reset ended it) runs
again when a check claims it (`_run_again`), in a worker of its own, but beside the
concept's worker, which the checks since the reset have used: what they left there (a
module's pool of threads, kept for later calls, as an executor is; memory) counts against
the call's limits (RLIMIT_NPROC counts the user's threads; the memory limit the sandbox's
processes together), which it never shared when it ran ahead, alone. So the verdict of a
training check depends on whether an unrelated check of the concept raised first (law 7),
and a limit another check's code used up is charged to it (law 5); `_run_again` says "so
that what the check gets does not depend on whether another failed". Reproducer:
Limits(processes=16); `train` holds 8 threads while it trains; a check's `keep_pool()`
keeps 8 in the concept's worker; found: "train raised RuntimeError: can't start new
thread" after `broken()` raised, 0.0 when it did not; expected 0.0 both times. Fixed: a
call that runs again as its check's first request (the check holds no object in the
sandbox yet) runs after the concept's worker is left, alone in the sandbox, as it ran ahead.
Left (strict xfail): one that runs again after the check's own first request still runs
beside the concept's worker (the third case of the same test).
"""

import pytest

from autograder.worker.errors import StudentRaised
from tests.test_breaker_twelve import submission_of, zeros

ARCHITECTURES = """
import threading

POOL = []
STOP = threading.Event()

def keep_pool():
    # a module-level pool of eight threads, kept for later calls (as an executor is)
    if not POOL:
        for _ in range(8):
            thread = threading.Thread(target=STOP.wait, daemon=True)
            thread.start()
            POOL.append(thread)
    return len(POOL)

def broken():
    raise ValueError("not yet")

def train(X, seed):
    # eight threads while it trains, all joined before it answers
    done = threading.Event()
    helpers = [threading.Thread(target=done.wait) for _ in range(8)]
    started = [helper.start() for helper in helpers]
    done.set()
    return float(X.sum()) + seed + sum(helper.join() or 0 for helper in helpers) + len(started) * 0
"""


LEFT = (
    "left: a call that runs again after the check's own first request still runs beside the concept's worker, where "
    "the check may hold objects (it cannot be left); running it alone would take a sandbox, and a user, of its own"
)


@pytest.mark.parametrize(
    "raised",  # the training answers alike whether or not a check raised before
    ["never", "in an earlier check", pytest.param("in an earlier check, and the claiming check asked first", marks=pytest.mark.xfail(strict=True, reason=LEFT))],
)
def test_a_call_ahead_that_runs_again_runs_alone_as_it_ran_ahead(tmp_path, raised):
    submission = submission_of(tmp_path, {"architectures": ARCHITECTURES}, processes=16)
    try:
        submission.start_ahead("architectures", "train", (zeros(), 0), 30)
        submission.start_check(30)
        architectures = submission.module("architectures")
        if raised != "never":
            with pytest.raises(StudentRaised):
                architectures.broken()  # the call ahead answered; the reset after this ended its worker
            submission.start_check(30)
        assert architectures.keep_pool() == 8  # a check that keeps threads in the concept's worker
        if raised != "in an earlier check, and the claiming check asked first":
            submission.start_check(30)
        assert architectures.train(zeros(), 0) == 0.0, "as when no check raised before"
    finally:
        submission.close()
