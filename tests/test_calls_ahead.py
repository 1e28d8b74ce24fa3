"""Calls started ahead (autograder.worker.ahead): a session sends student calls with fixed
inputs to a worker of their own in their concept's sandbox as soon as it is up, and a
check's same call gets the answer. They must change nothing a check sees but the time: the same answers,
in-place changes and failures, student code run in the same order, no check charged for
another's time, and a call that timed out, crashed or ran out of memory early fails the
check that reads it, never the check that was running.
"""

import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from autograder.course import find_course_root
from autograder.grading.run import overlap_helps
from autograder.worker.errors import StudentCrashed, StudentRaised, StudentTimedOut
from autograder.worker.isolation import choose_isolation
from autograder.worker.limits import Limits
from autograder.worker.sandbox import SandboxedSubmission
from mutants import COURSE, checks_by_id, grading_process, make_mutant

# Every call logs itself, and when it started (the machine's monotonic clock), in the
# sandbox's own /tmp, which its workers share.
ARCHITECTURES = """
import mmap, os, time

def _log(what):
    with open(os.path.join(os.environ["HOME"], "calls.log"), "a") as log:
        log.write(f"{what} {time.monotonic()}\\n")

def _lines():
    with open(os.path.join(os.environ["HOME"], "calls.log")) as log:
        return [line.split() for line in log]

def calls():
    return [name for name, _ in _lines()]

def started(name):
    return min(float(at) for logged, at in _lines() if logged == name)

def train_detector(X, seed):
    _log(f"train:{seed}")
    X += 1  # in place
    return float(X.sum())

def shape():
    _log("shape")
    return 1

def slow(seconds):
    _log("slow")
    time.sleep(seconds)
    return seconds

def fails():
    _log("fails")
    raise ValueError("no")

def crash():
    _log("crash")
    os._exit(3)

def stub():
    raise NotImplementedError("stub")

def model():
    import torch
    _log("model")
    return torch.nn.Linear(2, 1)

def weights(net):
    return int(net.weight.numel())

def hoard():
    _log("hoard")
    for _ in range(4):
        if os.fork() == 0:
            shared = mmap.mmap(-1, 512 * 2**20, flags=mmap.MAP_SHARED | mmap.MAP_POPULATE)
            time.sleep(60)
            os._exit(0)
    time.sleep(60)
"""
LOSSES = "def mse():\n    return 0.0\n"


def submission_of(tmp_path, **limits) -> SandboxedSubmission:
    (tmp_path / "architectures.py").write_text(ARCHITECTURES, encoding="utf-8")
    (tmp_path / "losses.py").write_text(LOSSES, encoding="utf-8")
    return SandboxedSubmission(tmp_path, choose_isolation("bwrap"), Limits(**limits), torch_ahead=True)


def checks_of_another_concept_until(submission, done, limit_s=60.0):
    """Run quick checks of `losses` (each one's start moves the calls ahead on) until `done()`."""
    deadline = time.monotonic() + limit_s
    while not done():
        assert time.monotonic() < deadline, "the calls started ahead never ran"
        submission.start_check(10)
        assert submission.module("losses").mse() == 0.0
        time.sleep(0.05)


def answered_early(submission, count: int):
    """Whether `count` calls ahead of architectures were answered early (the test waits on
    the queue's state: its outcome shows only through a check's call)."""
    return lambda: sum(call.reply is not None for call in submission._ahead["architectures"]) == count


def sent_early(submission):
    return lambda: submission._ahead["architectures"][0].worker is not None


def zeros():
    return np.zeros((2, 3), dtype=np.float32)


def test_calls_started_ahead_run_early_in_order_and_answer_the_same_calls_once(tmp_path):
    submission = submission_of(tmp_path)
    try:
        submission.start_ahead("architectures", "train_detector", (zeros(), 0), 30)
        submission.start_ahead("architectures", "train_detector", (zeros(), 1), 30)
        submission.start_ahead("architectures", "train_detector", (zeros(), 0), 30)  # the same call: queued once
        checks_of_another_concept_until(submission, answered_early(submission, 2))
        first_check = time.monotonic()
        submission.start_check(10)
        architectures = submission.module("architectures")
        assert architectures.shape() == 1
        assert architectures.started("train:1") < first_check, "they ran while another concept was graded"
        mine = zeros()
        assert architectures.train_detector(mine, 0) == 6.0
        assert (mine == 1).all(), "the call's change to its input reaches the check's array"
        assert architectures.train_detector(zeros(), 1) == 6.0
        assert architectures.calls() == ["train:0", "train:1", "shape"]
        assert architectures.train_detector(zeros(), 0) == 6.0  # answered once: this one runs
        assert architectures.train_detector(np.ones((2, 3), dtype=np.float32), 1) == 12.0  # other inputs: runs
        assert architectures.calls() == ["train:0", "train:1", "shape", "train:0", "train:1"]
    finally:
        submission.close()


@pytest.mark.parametrize("losses", [LOSSES, "import torch\n" + LOSSES])
def test_calls_ahead_run_first_even_when_their_sandbox_was_not_up_early(tmp_path, losses):
    """The student's code runs in the same order whatever the machine's speed: the calls
    ahead before the concept's first check. Also when every concept is served by the torch
    sandbox (a submission that imports torch beyond its concepts), where none starts early."""
    submission = submission_of(tmp_path)
    (submission.layout.submission / "losses.py").write_text(losses, encoding="utf-8")
    submission.torch_everywhere = losses != LOSSES  # as the copy's scan would have found
    try:
        submission.start_ahead("architectures", "train_detector", (zeros(), 0), 30)
        submission.start_check(60)  # at once: the sandbox is still importing torch
        assert submission.module("losses").mse() == 0.0
        submission.start_check(60)
        architectures = submission.module("architectures")
        assert architectures.shape() == 1
        assert architectures.train_detector(zeros(), 0) == 6.0
        assert architectures.calls() == ["train:0", "shape"]
    finally:
        submission.close()


def test_a_call_ahead_that_times_out_fails_its_own_check_and_stops_the_queue(tmp_path):
    submission = submission_of(tmp_path)
    try:
        submission.start_ahead("architectures", "slow", (30,), 1.0)
        submission.start_ahead("architectures", "train_detector", (zeros(), 0), 30)
        checks_of_another_concept_until(submission, sent_early(submission))
        time.sleep(1.0)
        submission.start_check(0.5)  # less than the time the calls ahead and a new sandbox take
        architectures = submission.module("architectures")
        assert architectures.shape() == 1, "no check is charged for the calls ahead"
        with pytest.raises(StudentTimedOut):
            architectures.slow(30)
        submission.start_check(10)
        assert architectures.train_detector(zeros(), 0) == 6.0
        assert architectures.calls() == ["shape", "train:0"], "after a failure, the queue's other calls run only when asked"
    finally:
        submission.close()


@pytest.mark.parametrize(("function", "failure"), [("crash", StudentCrashed), ("fails", StudentRaised), ("stub", NotImplementedError)])
def test_a_call_ahead_that_fails_fails_the_check_that_reads_it_alone(tmp_path, function, failure):
    submission = submission_of(tmp_path)
    try:
        submission.start_ahead("architectures", function, (), 30)
        submission.start_check(60)
        architectures = submission.module("architectures")
        assert architectures.shape() == 1
        with pytest.raises(failure):
            getattr(architectures, function)()
        assert architectures.shape() == 1
    finally:
        submission.close()


def test_a_call_ahead_that_holds_too_much_memory_ends_its_sandbox_not_the_running_check(tmp_path):
    """Four children of 512 MiB each under a 1.5 GiB limit, while another concept's checks run."""
    submission = submission_of(tmp_path, memory_bytes=3 * 2**29)
    try:
        submission.start_ahead("architectures", "hoard", (), 60)
        checks_of_another_concept_until(submission, lambda: submission._torch_ahead is None)
        submission.start_check(60)
        architectures = submission.module("architectures")
        assert architectures.shape() == 1
        with pytest.raises(StudentCrashed, match="hoard ran out of memory"):
            architectures.hoard()
    finally:
        submission.close()


def test_a_call_ahead_whose_worker_was_left_since_runs_again(tmp_path):
    """A check's call that raised leaves the worker, and the objects of the answers ahead
    with it: the same call runs again, in a fresh worker of its own."""
    submission = submission_of(tmp_path)
    try:
        submission.start_ahead("architectures", "train_detector", (zeros(), 0), 30)
        submission.start_check(60)
        architectures = submission.module("architectures")
        with pytest.raises(StudentRaised):
            architectures.fails()
        assert architectures.train_detector(zeros(), 0) == 6.0
        assert architectures.calls() == ["train:0"]  # the reset emptied /tmp: logged by the fresh worker
    finally:
        submission.close()


def test_the_sessions_time_limit_bounds_the_calls_ahead(tmp_path):
    (tmp_path / "architectures.py").write_text(ARCHITECTURES, encoding="utf-8")
    submission = SandboxedSubmission(tmp_path, choose_isolation("bwrap"), Limits(), torch_ahead=True, session_time_s=3.0)
    try:
        submission.start_ahead("architectures", "slow", (30,), 60)
        started = time.monotonic()
        assert submission.session_deadline == float("inf")  # the session's time counts from its first check, as the checks count it
        submission.start_check(60)
        assert started + 3.0 <= submission.session_deadline <= time.monotonic() + 3.0
        with pytest.raises(StudentTimedOut):
            submission.module("architectures").slow(30)
        assert time.monotonic() - started < 30
    finally:
        submission.close()


def test_calls_ahead_take_data_only(tmp_path):
    submission = submission_of(tmp_path)
    try:
        with pytest.raises(TypeError, match="data only"):
            submission.start_ahead("architectures", "train_detector", (object(),), 30)
    finally:
        submission.close()


PROBE = """
import json, os
from autograder.plugin import SUBMISSION

def pytest_sessionfinish(session):
    queues = session.config.stash[SUBMISSION]._ahead
    calls = [call for module in queues.values() for call in module]
    with open(os.environ["AHEAD_PROBE"], "w") as out:
        json.dump({"calls": [call.payload["name"] for call in calls], "claimed": [call.claimed for call in calls]}, out)
"""


def test_the_checks_start_the_references_public_training_ahead_and_use_it(tmp_path):
    """The inputs the `ahead` markers declare are those the checks pass: a training started
    ahead that no check used would cost a submission its time for nothing."""
    course = find_course_root()
    (tmp_path / "ahead_probe.py").write_text(PROBE, encoding="utf-8")
    report = tmp_path / "report.json"
    isolation = choose_isolation("bwrap")
    environment = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "AHEAD_PROBE": str(tmp_path / "probe.json"), "PYTHONPATH": os.pathsep.join([str(tmp_path), str(course.path)])}
    done = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "autograder.plugin", "-p", "ahead_probe", "-p", "no:cacheprovider", "--noconftest",
            "--import-mode=importlib", f"--rootdir={tmp_path}", "-c", os.devnull, f"--submission={course.solutions}", "--grading",
            f"--bwrap={isolation.bwrap}", "--concept=architectures", f"--report-json={report}", f"--hidden-dir={course.hidden_checks}",
            str(course.public_checks), str(course.hidden_checks),
        ],
        env=environment, capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert json.loads((tmp_path / "probe.json").read_text()) == {"calls": ["train_detector"], "claimed": [True]}
    assert all(check["status"] == "passed" for concept in json.loads(report.read_text())["concepts"] for check in concept["checks"])


@pytest.mark.parametrize("marker", ['ahead("mean_squared_error", 3)', 'ahead("mean_squared_error", lambda: (object(),))', "ahead(lambda: ())"])
def test_a_malformed_ahead_marker_is_a_usage_error(tmp_path, marker):
    """A course author's mistake stops the session with the problem named (a RuntimeError
    from the grading process), never a grade without the check."""
    from autograder.course import CourseRoot
    from mutants import COURSE, grading_process

    hidden = tmp_path / "hidden"
    shutil.copytree(COURSE.hidden_checks, hidden, ignore=shutil.ignore_patterns("__pycache__"))
    checks = hidden / "test_losses.py"
    source = checks.read_text(encoding="utf-8")
    first = source.index("\ndef test_")
    checks.write_text(f"{source[:first]}\n@pytest.mark.{marker}{source[first:]}", encoding="utf-8")
    with pytest.raises(RuntimeError):
        grading_process().grade(COURSE.solutions, CourseRoot(COURSE.path, hidden), student="author", concepts=("losses",))


def test_an_object_answered_ahead_is_reachable_from_the_concepts_checks_until_its_worker_ends(tmp_path):
    """A model trained ahead lives in the calls' worker: a check's call that hands it over
    goes there; once a failure resets the sandbox, it is gone, and the check is told so."""
    submission = submission_of(tmp_path)
    try:
        submission.start_ahead("architectures", "model", (), 30)
        submission.start_check(60)
        architectures = submission.module("architectures")
        net = architectures.model()
        assert architectures.weights(net) == 2
        assert net.weight.shape == (1, 2)
        with pytest.raises(StudentRaised):
            architectures.fails()
        with pytest.raises(StudentCrashed, match="worker that has stopped"):
            architectures.weights(net)
        with pytest.raises(StudentCrashed, match="worker that has stopped"):
            net.weight
    finally:
        submission.close()


def test_a_call_ahead_that_fails_leaves_the_answers_before_it_whole(tmp_path):
    """The failure of the second call resets the sandbox, which ends the first call's worker
    too: its model is trained again when its check asks, never handed over dead."""
    submission = submission_of(tmp_path)
    try:
        submission.start_ahead("architectures", "model", (), 30)
        submission.start_ahead("architectures", "fails", (), 30)
        submission.start_check(60)
        architectures = submission.module("architectures")
        assert architectures.weights(architectures.model()) == 2
        with pytest.raises(StudentRaised):
            architectures.fails()
    finally:
        submission.close()


def test_a_session_overlaps_its_work_only_where_a_core_would_wait():
    """A session starts work early for an idle core: not with a grading job on every core."""
    cores = len(os.sched_getaffinity(0))
    assert not overlap_helps(cores) and not overlap_helps(cores + 1)
    assert overlap_helps(cores - 1) == (cores > 1)


TRAINS_ONCE_ONLY = """
_trainings = []
_train_detector = train_detector


def train_detector(X, y, seed):
    _trainings.append(seed)
    if len(_trainings) > 1:
        raise RuntimeError("trained twice in one worker")
    return _train_detector(X, y, seed)
"""


@pytest.mark.slow(seconds=5)  # two gradings of architectures
def test_a_grading_without_overlap_gives_the_same_report(tmp_path):
    """Overlapped or not, the checks see the same: a detector that fails when a worker
    trains it twice fails the same checks, with the same feedback (the calls marked ahead
    run in a worker each either way, only later without overlap), and passes the rest."""
    submission = make_mutant(tmp_path, "architectures", TRAINS_ONCE_ONLY)
    reports = [grading_process().grade(submission, COURSE, student="ahead", concepts=("architectures",), overlap=overlap) for overlap in (True, False)]
    outcomes = [{check_id: (check["status"], check["points"], check["feedback"]) for check_id, check in checks_by_id(report, "architectures").items()} for report in reports]
    assert outcomes[0] == outcomes[1]
    assert {status for status, _, _ in outcomes[0].values()} == {"passed", "error"}
