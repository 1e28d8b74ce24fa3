"""Honest data is accepted the same way in the student's pytest and in `autograder grade`
(law 8, issue 11 item 1): one submission written in styles real students use is graded
both ways with every check, public and hidden, and gets the same verdict check by check;
a different kind (a list for an array) and a lower precision (float32 for float64) fail
in both, with the same feedback saying which; a student's exception shows its text in
public checks only (item 7)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course import find_course_root
from mutants import checks_by_id, grading_process, plant
from styles import MICROGRAD_VALUE

COURSE = find_course_root()
STUDENT = "honest-styles"
pytestmark = pytest.mark.slow(seconds=25)  # every check of seven concepts, in pytest and graded

HONEST = {
    # torchinfo-like rows: a namedtuple, torch.Size shapes, np.int32 counts and sizes
    "parameters": """
        from collections import namedtuple

        import numpy as np
        import torch

        Row = namedtuple("Row", "type output_shape parameters")
        _layer_table = layer_table


        def layer_table(layers, input_shape):
            return [Row(kind, torch.Size(shape), np.int32(count)) for kind, shape, count in _layer_table(layers, input_shape)]
        """,
    "convolution": """
        def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
            return np.int32(np.floor((input_size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1)
        """,
    "receptive_fields": """
        from collections import namedtuple

        import numpy as np

        Field = namedtuple("Field", "size jump start")
        _receptive_field = receptive_field


        def receptive_field(layers):
            return Field(*(np.int64(n) for n in _receptive_field(layers)))
        """,
    "backprop": MICROGRAD_VALUE,
}

WRONG_KIND = {
    "nonlinearities": """
        _relu, _sigmoid = relu, sigmoid


        def relu(x):
            return _relu(x).tolist()


        def sigmoid(x):
            return _sigmoid(x).astype(np.float32)
        """,
    "losses": """
        def mean_squared_error(y_true, y_pred):
            return np.mean((y_true - y_pred).astype(np.float32) ** 2)
        """,
    # an exception that echoes the (hidden) input's shape (issue 11 item 7)
    "pooling": """
        def global_avg_pool(x):
            raise ValueError(f"cannot pool an input of shape {x.shape}")
        """,
}


def grade_locally(folder: Path, submission: Path, concepts: tuple[str, ...]) -> dict:
    """The report of the student's own pytest (the module imported in its process, no
    worker) with the public and hidden checks of `concepts`, run in `folder`."""
    for visibility, checks in (("public", COURSE.public_checks), ("hidden", COURSE.hidden_checks)):
        (folder / "checks" / visibility).mkdir(parents=True)
        for concept in concepts:
            shutil.copy(checks / f"test_{concept}.py", folder / "checks" / visibility)
    # the student repository's pytest configuration (autograder/templates/student/pyproject.toml)
    (folder / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\ntestpaths = ["checks"]\naddopts = "-p no:cacheprovider --import-mode=importlib"\n', encoding="utf-8"
    )
    report_path = folder / "local.json"
    # options as --name=value: pytest takes a bare path argument into account for its rootdir
    command = [sys.executable, "-m", "pytest", "-p", "no:randomly", f"--submission={submission}", f"--student={STUDENT}", f"--report-json={report_path}"]
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    assert report_path.is_file(), done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(report_path.read_text())


@pytest.fixture(scope="module")
def graded_both_ways(tmp_path_factory) -> tuple[dict, dict]:
    """(the student's pytest report, the grader's report) of one submission with the honest
    styles and the wrong kinds, for the same student id."""
    submission = plant(tmp_path_factory.mktemp("honest"), HONEST | WRONG_KIND)
    concepts = tuple(HONEST | WRONG_KIND)
    local = grade_locally(tmp_path_factory.mktemp("student-repo"), submission, concepts)
    graded = grading_process().grade(submission, COURSE, student=STUDENT, concepts=concepts)
    return local, graded


def verdicts(report: dict) -> dict[tuple[str, str], tuple[str, str]]:
    return {(c["id"], check["id"]): (check["status"], check["feedback"]) for c in report["concepts"] for check in c["checks"]}


def test_honest_styles_get_full_marks_locally_and_when_graded(graded_both_ways):
    for report in graded_both_ways:
        for concept in HONEST:
            failing = {i: c["feedback"] for i, c in checks_by_id(report, concept).items() if c["status"] != "passed"}
            assert failing == {}, concept


def test_each_check_gets_the_same_verdict_and_feedback_both_ways(graded_both_ways):
    local, graded = graded_both_ways
    assert verdicts(local) == verdicts(graded)


@pytest.mark.parametrize(
    ("concept", "check", "words"),
    [
        ("nonlinearities", "relu_is_max_of_zero_and_x", "should return a numpy.ndarray of float64; it returned a list"),
        ("nonlinearities", "sigmoid_tanh_relu_match_torch", "returned float32 values where float64 is promised"),
        ("losses", "mean_squared_error_matches_sklearn", "returned float32 where float64 is promised"),
    ],
)
def test_a_different_kind_or_precision_fails_both_ways_saying_which(graded_both_ways, concept, check, words):
    for report in graded_both_ways:
        verdict = checks_by_id(report, concept)[check]
        assert verdict["status"] == "failed" and words in verdict["feedback"], verdict["feedback"]


def test_a_students_exception_shows_its_type_and_line_both_ways_and_its_text_in_public_only(graded_both_ways):
    for report in graded_both_ways:
        failing = [check for check in checks_by_id(report, "pooling").values() if check["status"] != "passed"]
        assert {check["visibility"] for check in failing} == {"public", "hidden"}
        for check in failing:
            assert check["status"] == "error" and check["feedback"].startswith("global_avg_pool raised ValueError")
            assert "(at pooling.py:" in check["feedback"], check["feedback"]
            assert ("cannot pool" in check["feedback"]) == (check["visibility"] == "public"), check["feedback"]
