"""A failure costs its own check only, however the grader recovers from it.

Student code that raises costs its worker: the next check gets a fresh one from the same
warm parent, and the reset between them empties the sandbox's /tmp, so that a module that
makes a folder when it is imported (`os.mkdir("figures")`, as a notebook turned module
often does) imports again as it did the first time (found by a breaker: without the
emptying, every later check of the concept was lost with "importing losses.py raised
FileExistsError"). A crash costs its sandbox, and the sandbox that replaces it must be
cheap: only a sandbox for a concept built on torch imports torch (found by a breaker: with
torch in every new sandbox, 45 crashes used up a submission's whole time).
"""

import pytest
from attacks import HINGE_CHECKS
from mutants import COURSE, assert_loses_exactly, checks_by_id, grade_mutant, grading_process, plant

MAKES_A_FOLDER_AND_BREAKS_HINGE = """
import os

os.mkdir("figures")  # a folder for the notebook's plots, made when the module is imported


def hinge_loss(y_true, scores):
    scores = scores[:, 0]  # a bug of its own: the scores are 1-D
    return float(np.mean(np.maximum(0.0, 1.0 - y_true * scores)))
"""


def test_a_raising_check_costs_no_later_check_its_import(tmp_path):
    report = grade_mutant(tmp_path, "losses", "losses", MAKES_A_FOLDER_AND_BREAKS_HINGE)
    assert_loses_exactly(report, "losses", HINGE_CHECKS, "IndexError")


# Every function of the module ends its worker, as a crash in C code would: the grader
# replaces the whole sandbox after each of these checks.
CRASHES_EVERYWHERE = """
import os as _os
import types as _types


def _crashing(function):
    def crash(*args, **kwargs):
        _os._exit(1)

    return crash


for _name, _value in list(globals().items()):
    if isinstance(_value, _types.FunctionType) and not _name.startswith("_"):
        globals()[_name] = _crashing(_value)
"""
BUDGET_SCALE = 0.2  # a submission's 20 minutes become 4, each check's 10 s become 2


@pytest.mark.slow(seconds=50)
def test_crashes_in_early_concepts_leave_time_for_the_later_ones(tmp_path):
    """45 crashing checks (losses, gradient_descent) must not use up the submission's
    total time, so nonlinearities, correct, is graded and earns its points."""
    submission = plant(tmp_path, {"losses": CRASHES_EVERYWHERE, "gradient_descent": CRASHES_EVERYWHERE})
    concepts = ("losses", "gradient_descent", "nonlinearities", "architectures")
    report = grading_process().grade(submission, COURSE, student="crasher", concepts=concepts, time_scale=BUDGET_SCALE)
    nonlinearities = checks_by_id(report, "nonlinearities")
    assert {check["status"] for check in nonlinearities.values()} == {"passed"}, sorted(
        (check_id, check["status"]) for check_id, check in nonlinearities.items() if check["status"] != "passed"
    )
