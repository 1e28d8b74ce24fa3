"""The project's own tests. Helpers in this folder import as plain modules."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from autograder.course import find_course_root  # noqa: E402
from autograder.grading.run import grade_submission  # noqa: E402
from mutants import grading_process  # noqa: E402

COURSE = find_course_root()


@pytest.fixture(scope="session", autouse=True)
def private_config_home(tmp_path_factory):
    """A config folder of the tests' own, so `grade-all` makes its report key there, not
    in the home of whoever runs the tests (subprocesses inherit it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
        yield


@pytest.fixture(scope="session")
def reference_report() -> dict:
    """The report of solutions/ with every public and hidden check."""
    return grade_submission(COURSE.solutions, COURSE, student="reference", process=grading_process())


@pytest.fixture(scope="session")
def stub_report() -> dict:
    """The report of the generated stubs in exercises/."""
    return grade_submission(COURSE.exercises, COURSE, student="stubs", process=grading_process())
