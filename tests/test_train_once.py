"""Train once: the checks that need a trained detector share one training a session, and a
training that fails fails each of them at once, with its status, never training again."""

import shutil

import pytest

from autograder.shared import SharedResults
from mutants import COURSE, checks_by_id, grading_process, make_mutant

pytest_plugins = ["pytester"]

# Every check that reads the session's training (autograder.trained_detector).
NEED_THE_TRAINING = {
    "train_detector_learns_the_least_bittern",
    "train_detector_generalises_to_held_out_clips",
    "train_detector_leaves_its_inputs_unchanged",
    "validation_loss_is_computed_in_eval_mode",
    "train_detector_keeps_the_best_epoch",
    "train_detector_is_reproducible",
}


def shared_results() -> SharedResults:
    return SharedResults(lambda concept, name: len(concept) * 1000 + len(name))


def test_a_shared_result_is_computed_once():
    shared, calls = shared_results(), []
    values = [shared.get("key", lambda: calls.append(1) or len(calls)) for _ in range(3)]
    assert values == [1, 1, 1] and len(calls) == 1


def test_a_failed_computation_is_raised_again_and_never_retried():
    shared, calls = shared_results(), []

    def fails():
        calls.append(1)
        raise ValueError("training diverged")

    for _ in range(3):
        with pytest.raises(ValueError, match="training diverged"):
            shared.get("key", fails)
    assert len(calls) == 1


def test_shared_inputs_are_seeded_by_name():
    shared = shared_results()
    assert shared.rng("c", "a").integers(2**31) == shared.rng("c", "a").integers(2**31)
    assert shared.rng("c", "a").integers(2**31) != shared.rng("c", "ab").integers(2**31)


COUNTING = """

import os

_counted_train_detector = train_detector


def train_detector(X, y, seed):
    with open(os.environ["CALLS_FILE"], "a") as calls:
        calls.write(f"{X.shape}\\n")
    if os.environ.get("TRAINING_FAILS"):
        raise ValueError("training diverged")
    return _counted_train_detector(X, y, seed)
"""


def run_students_pytest(pytester, monkeypatch, *, fails: bool) -> tuple[dict, list[str]]:
    """The public and hidden architecture checks in one pytest session of a student layout,
    on the reference with train_detector counting its calls: (outcomes, the X shape of each call)."""
    shutil.copytree(COURSE.solutions, pytester.path / "exercises")
    with open(pytester.path / "exercises" / "architectures.py", "a") as module:
        module.write(COUNTING)
    for visibility in ("public", "hidden"):
        (pytester.path / "checks" / visibility).mkdir(parents=True)
        shutil.copy(COURSE.path / "checks" / visibility / "test_architectures.py", pytester.path / "checks" / visibility)
    calls = pytester.path / "calls.txt"
    monkeypatch.setenv("CALLS_FILE", str(calls))
    # One torch thread, as in a grading worker: the trainings' tensors are small, and a pool
    # of one thread a core spends most of its CPU spin-waiting on a loaded machine.
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    if fails:
        monkeypatch.setenv("TRAINING_FAILS", "1")
    result = pytester.runpytest_subprocess("checks", "--import-mode=importlib", "--submission", "exercises")
    return result.parseoutcomes(), calls.read_text().splitlines()


@pytest.mark.slow(seconds=8)  # a student's pytest: collection, then five trainings (two of them small)
def test_a_students_pytest_trains_once_for_the_public_and_hidden_checks(pytester, monkeypatch):
    """One training on the bittern clips, one on them upside down (did it learn?), one on
    noise (does it keep the best epoch?) and two on a few noise clips (is it reproducible?);
    nothing else trains."""
    outcomes, calls = run_students_pytest(pytester, monkeypatch, fails=False)
    assert outcomes.get("passed", 0) >= len(NEED_THE_TRAINING) and "failed" not in outcomes and "errors" not in outcomes
    assert calls == ["(200, 1, 32, 87)", "(200, 1, 32, 87)", "(300, 1, 16, 16)", "(64, 1, 16, 16)", "(64, 1, 16, 16)"]


def test_a_training_that_failed_fails_its_checks_and_is_never_tried_again(pytester, monkeypatch):
    outcomes, calls = run_students_pytest(pytester, monkeypatch, fails=True)
    assert outcomes.get("failed") == len(NEED_THE_TRAINING)
    assert calls == ["(200, 1, 32, 87)"]


@pytest.mark.slow(seconds=9)  # a grading that waits out the training's limit (6 s at --time-scale 0.1)
def test_a_training_that_times_out_fails_every_check_that_needs_it(tmp_path):
    submission = make_mutant(tmp_path, "architectures", "def train_detector(X, y, seed):\n    while True:\n        pass\n")
    report = grading_process().grade(submission, COURSE, student="mutant", concepts=("architectures",), time_scale=0.1)
    checks = checks_by_id(report, "architectures")
    assert {check_id: checks[check_id]["status"] for check_id in NEED_THE_TRAINING} == dict.fromkeys(NEED_THE_TRAINING, "timeout")
    assert all("did not finish within its time limit" in checks[check_id]["feedback"] for check_id in NEED_THE_TRAINING)


# When grading, a worker whose code raised is replaced with its whole sandbox (its /tmp too),
# so nothing in the sandbox can count the trainings; the pytest-level tests above count them
# through the same SharedResults. Here: every check that needs the training fails with it.
RAISES = """
def train_detector(X, y, seed):
    raise ValueError("training number 1")
"""


def test_a_training_that_failed_fails_every_check_that_needs_it_when_grading(tmp_path):
    submission = make_mutant(tmp_path, "architectures", RAISES)
    report = grading_process().grade(submission, COURSE, student="mutant", concepts=("architectures",))
    checks = checks_by_id(report, "architectures")
    assert {checks[check_id]["status"] for check_id in NEED_THE_TRAINING} == {"error"}
    assert all("ValueError" in checks[check_id]["feedback"] for check_id in NEED_THE_TRAINING)
    assert "training number 1" in checks["train_detector_learns_the_least_bittern"]["feedback"]  # public: its message shown


# train_detector trains with the reference's validation_loss; the module's own is a stub.
VALIDATION_LOSS_NOT_WRITTEN = """
_written_validation_loss, _train_detector = validation_loss, train_detector


def validation_loss(model, x, t):
    raise NotImplementedError


def train_detector(X, y, seed):
    global validation_loss
    stub, validation_loss = validation_loss, _written_validation_loss
    try:
        return _train_detector(X, y, seed)
    finally:
        validation_loss = stub
"""


def test_a_validation_loss_not_written_costs_its_own_check_only(tmp_path):
    submission = make_mutant(tmp_path, "architectures", VALIDATION_LOSS_NOT_WRITTEN)
    report = grading_process().grade(submission, COURSE, student="mutant", concepts=("architectures",))
    statuses = {check_id: check["status"] for check_id, check in checks_by_id(report, "architectures").items()}
    assert statuses.pop("validation_loss_is_computed_in_eval_mode") == "not_attempted"
    assert set(statuses.values()) == {"passed"}
