"""A check is hidden when its file lies anywhere under the hidden-checks folder, sub-folders
included: it is reported as hidden and its feedback shows no expected value (issue 10 item 5)."""

import json
import shutil

import pytest

from autograder.course import CourseRoot, find_course_root
from autograder.grading.run import grade_submission
from mutants import grading_process

COURSE = find_course_root()
pytest_plugins = ["pytester"]

# The answer 12.5 is wrong; a public check shows the expected 0.4375, a hidden one must not.
CHECK = """
import numpy as np
import pytest

from autograder.compare import expect_close

pytestmark = pytest.mark.concept("losses")


def test_{name}(student):
    y_true, y_pred = np.array([0.5, 1.0]), np.array([1.0, 0.25])
    expect_close(student.mean_squared_error(y_true, y_pred) + 12.5, 0.4375, "mean_squared_error")
"""


def visibilities(report_file) -> dict[str, tuple[str, str]]:
    report = json.loads(report_file.read_text())
    return {check["id"]: (check["visibility"], check["feedback"]) for concept in report["concepts"] for check in concept["checks"]}


@pytest.fixture
def layout(pytester):
    """The reference losses.py, and one check file at each depth of checks/."""
    shutil.copy(COURSE.solutions / "losses.py", pytester.mkdir("exercises") / "losses.py")
    for folder, name in [("checks/public", "public"), ("checks/public/more", "public_nested"), ("checks/hidden", "hidden"), ("checks/hidden/extra/deeper", "hidden_nested")]:
        (pytester.path / folder).mkdir(parents=True, exist_ok=True)
        (pytester.path / folder / f"test_{name}.py").write_text(CHECK.format(name=name))
    return pytester


@pytest.mark.parametrize("hidden_dir", [["--hidden-dir", "checks/hidden"], []], ids=["given", "named-hidden"])
def test_checks_in_sub_folders_of_the_hidden_folder_are_hidden(layout, hidden_dir):
    result = layout.runpytest_subprocess("--report-json", "report.json", *hidden_dir, "checks")
    result.assert_outcomes(failed=4)
    shown = visibilities(layout.path / "report.json")
    assert {check: visibility for check, (visibility, _) in shown.items()} == {
        "public": "public", "public_nested": "public", "hidden": "hidden", "hidden_nested": "hidden",
    }  # fmt: skip
    assert "0.4375" in shown["public_nested"][1]
    assert "0.4375" not in shown["hidden_nested"][1] and "0.4375" not in shown["hidden"][1]


def test_the_grader_hides_a_nested_hidden_check(tmp_path):
    course = CourseRoot(tmp_path / "course")
    shutil.copytree(COURSE.path / "checks" / "public", course.public_checks)
    (course.hidden_checks / "by-week" / "week1").mkdir(parents=True)
    (course.hidden_checks / "by-week" / "week1" / "test_nested.py").write_text(CHECK.format(name="nested_mse"))
    report = grade_submission(COURSE.solutions, course, concepts=("losses",), process=grading_process())
    nested = next(check for check in report["concepts"][0]["checks"] if check["id"] == "nested_mse")
    assert nested["visibility"] == "hidden" and nested["status"] == "failed"
    assert "0.4375" not in nested["feedback"]
