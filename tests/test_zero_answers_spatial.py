"""A side property ("inputs unchanged", "equivariant", "invariant") earns its points only with a
right answer: code that returns zeros of the right types and shapes earns nothing in
convolution, parameters, pooling and receptive fields."""

import pytest

from mutants import COURSE, checks_by_id, grading_process, plant

pytestmark = pytest.mark.slow(seconds=8)  # one grading, 6 s of it the two endless loops' limits
CONCEPTS = ("convolution", "parameters", "pooling", "receptive_fields")
# With every function zeroed, pooling_stages_needed grows its network for ever (a field of
# 0 s never covers the call): its two checks wait out their limits. The grading runs at
# three tenths of every limit (3 s a check, not 10; 6 s an import), ample for checks that
# answer in milliseconds; none but these two may time out, so no check is let off by it.
ENDLESS = {"pooling_stages_needed_for_the_least_bittern", "pooling_stages_needed_matches_the_closed_form"}
TIME_SCALE = 0.3

# Appended to a reference module: every function of it returns zeros of its answer's kind.
ZEROS = """
import inspect as _inspect

import numpy as _np


def _zero(answer):
    if type(answer) is _np.ndarray:
        return _np.zeros_like(answer)
    if isinstance(answer, (tuple, list)):
        return type(answer)(_zero(value) for value in answer)
    if isinstance(answer, (bool, str)):
        return answer
    return type(answer)(0) if isinstance(answer, (int, float)) else answer


def _zeroed(function):
    def zeros(*args, **kwargs):
        return _zero(function(*args, **kwargs))

    return zeros


for _name, _function in list(globals().items()):
    if _inspect.isfunction(_function) and not _name.startswith("_") and _function.__module__ == __name__:
        globals()[_name] = _zeroed(_function)
"""


def test_answers_of_zeros_earn_nothing(tmp_path):
    submission = plant(tmp_path, dict.fromkeys(CONCEPTS, ZEROS))
    report = grading_process().grade(submission, COURSE, student="zeros", concepts=CONCEPTS, time_scale=TIME_SCALE)
    timed_out = set()
    for concept in CONCEPTS:
        checks = checks_by_id(report, concept)
        passed = [check_id for check_id, check in checks.items() if check["status"] == "passed"]
        assert passed == [], f"{concept}: answers of zeros pass {passed}"
        timed_out |= {check_id for check_id, check in checks.items() if check["status"] == "timeout"}
    assert timed_out == ENDLESS
