"""The same mistake costs every student the same (law 7, issue 11 item 2): one submission
with a planted mistake in each of several concepts, graded with the public and hidden
checks under 20 student ids, gets one score per concept. Each mistake below is one that
a coin flip per student used to decide (does MSE meet a 2-D input, relu a negative
number, conv2d a bias, a pool a stride other than its kernel, a conv groups > 1?); the
micrograd engine is correct code that some students' inputs used to fail."""

import pytest

from autograder.course import find_course_root
from mutants import grading_process, plant
from styles import MICROGRAD_VALUE

COURSE = find_course_root()
STUDENTS = [f"student-{i:02d}" for i in range(20)]

PLANTED = {
    "losses": """
        def mean_squared_error(y_true, y_pred):
            return float(np.sum((y_true - y_pred) ** 2) / len(y_true))
        """,
    "nonlinearities": """
        def relu(x):
            return x * 1.0
        """,
    "convolution": """
        _conv2d = conv2d


        def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
            return _conv2d(x, w, None, stride, padding, dilation)
        """,
    "pooling": """
        _max_pool2d = max_pool2d


        def max_pool2d(x, kernel_size, stride=None):
            return _max_pool2d(x, kernel_size)
        """,
    "parameters": """
        def conv2d_params(in_channels, out_channels, kernel_size, bias=True, groups=1):
            kh, kw = pair(kernel_size)
            return out_channels * in_channels * kh * kw + (out_channels if bias else 0)
        """,
    "backprop": MICROGRAD_VALUE,
}
CORRECT = {"backprop"}


@pytest.fixture(scope="module")
def scores(tmp_path_factory) -> dict[str, dict[str, float]]:
    """Concept -> student id -> score of the planted submission, all from one grading process."""
    submission = plant(tmp_path_factory.mktemp("planted"), PLANTED)
    by_concept: dict[str, dict[str, float]] = {concept: {} for concept in PLANTED}
    for student in STUDENTS:
        report = grading_process().grade(submission, COURSE, student=student, concepts=tuple(PLANTED))
        for concept in report["concepts"]:
            by_concept[concept["id"]][student] = concept["score"]
    return by_concept


@pytest.mark.parametrize("concept", sorted(PLANTED))
def test_a_planted_mistake_costs_every_student_the_same(scores, concept):
    distinct = sorted(set(scores[concept].values()))
    assert len(distinct) == 1, f"{concept}: scores {distinct} over {len(STUDENTS)} student ids"
    full = concept in CORRECT
    assert (distinct[0] == 10.0) == full, f"{concept}: {distinct[0]}"
