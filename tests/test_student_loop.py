"""The student's loop: plain `pytest` in a student layout, in one process, ending in the table."""

import shutil

import pytest

from autograder.course import find_course_root

COURSE = find_course_root()
pytest_plugins = ["pytester"]


@pytest.fixture
def student_repo(pytester, monkeypatch):
    """A student layout: the stubs, the public checks and a pytest configuration."""
    monkeypatch.setenv("COLUMNS", "200")  # one table row per line, whatever the terminal
    shutil.copytree(COURSE.exercises, pytester.path / "exercises")
    shutil.copytree(COURSE.public_checks, pytester.path / "checks")
    pytester.makefile(".toml", pyproject='[tool.pytest.ini_options]\ntestpaths = ["checks"]\n')
    return pytester


def test_stubs_show_as_not_attempted_not_as_tracebacks(student_repo):
    result = student_repo.runpytest_subprocess("checks/test_losses.py", "-rs")
    outcomes = result.parseoutcomes()
    assert outcomes.get("skipped", 0) > 0 and "failed" not in outcomes and "errors" not in outcomes
    result.stdout.fnmatch_lines(["*per-concept results*", "*Loss functions*0/10*", "*SKIPPED*not attempted*"])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_a_finished_exercise_passes_and_a_wrong_one_is_named(student_repo):
    shutil.copy(COURSE.solutions / "losses.py", student_repo.path / "exercises" / "losses.py")
    with open(student_repo.path / "exercises" / "losses.py", "a") as module:
        module.write("\n\ndef mean_squared_error(y_true, y_pred):\n    return float(np.sum((y_true - y_pred) ** 2))\n")
    result = student_repo.runpytest_subprocess("checks/test_losses.py")
    result.assert_outcomes(passed=8, failed=2)
    result.stdout.fnmatch_lines(["*What to look at next*", "*Loss functions (mean_squared_error_small_example)*", "*sum over the samples*"])


def test_print_works_in_the_students_own_run(student_repo):
    shutil.copy(COURSE.solutions / "losses.py", student_repo.path / "exercises" / "losses.py")
    with open(student_repo.path / "exercises" / "losses.py", "a") as module:
        module.write("\n\n_hinge = hinge_loss\ndef hinge_loss(y_true, scores):\n    print('debugging hinge')\n    return _hinge(y_true, scores)\n")
    result = student_repo.runpytest_subprocess("checks/test_losses.py", "-s")
    result.stdout.fnmatch_lines(["*debugging hinge*"])
