"""The project's own tests. Helpers in this folder import as plain modules."""

import json
import os
import sys
from pathlib import Path

import pytest
from filelock import FileLock

sys.path.insert(0, str(Path(__file__).parent))

from autograder.course import find_course_root  # noqa: E402
from autograder.grading.run import grade_submission  # noqa: E402
from grader_accounts import remove_readable_environment  # noqa: E402
from mutants import grading_process  # noqa: E402

COURSE = find_course_root()


def pytest_collection_modifyitems(items):
    """Run the slowest files first: under `-n 2 --dist loadfile` each file goes whole to the
    next free worker, so a long file handed out last would leave the other worker idle.
    A file's cost is the `seconds` of its module's `slow` mark (`pytestmark`: the whole
    file), or else the sum of its tests' own (each parametrised case counts). Files without
    one follow, those with more tests first (xdist's own order). Tests keep their order
    within a file."""
    cost: dict = {}
    count: dict = {}
    for item in items:
        module_mark = item.getparent(pytest.Module).get_closest_marker("slow")
        own = sum(mark.kwargs["seconds"] for mark in item.own_markers if mark.name == "slow")
        cost[item.path] = module_mark.kwargs["seconds"] if module_mark else cost.get(item.path, 0) + own
        count[item.path] = count.get(item.path, 0) + 1
    items.sort(key=lambda item: (-cost[item.path], -count[item.path]))


@pytest.fixture(scope="session", autouse=True)
def private_config_home(tmp_path_factory):
    """A config folder of the tests' own, so `grade-all` makes its report key there, not
    in the home of whoever runs the tests (subprocesses inherit it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
        yield


def once_per_run(tmp_path_factory, name: str, compute) -> dict:
    """The JSON value `compute()` gives, computed once in the whole run: under xdist by the
    first worker that asks (the others wait for it and read its file, beside the workers'
    own temporary folders), else in this process. Every caller gets it read back from JSON."""
    base = tmp_path_factory.getbasetemp()
    path = (base.parent if "PYTEST_XDIST_WORKER" in os.environ else base) / f"{name}.json"
    with FileLock(f"{path}.lock"):
        if not path.is_file():
            path.write_text(json.dumps(compute()), encoding="utf-8")
        return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session", autouse=True)
def readable_environment_removed():
    """The grader accounts' readable environment (tests/grader_accounts.py) is made once a
    test process, when a test first asks for an account, and removed at the end."""
    yield
    remove_readable_environment()


@pytest.fixture(scope="session")
def reference_report(tmp_path_factory) -> dict:
    """The report of solutions/ with every public and hidden check."""
    return once_per_run(tmp_path_factory, "reference-report", lambda: grade_submission(COURSE.solutions, COURSE, student="reference", process=grading_process()))


@pytest.fixture(scope="session")
def stub_report(tmp_path_factory) -> dict:
    """The report of the generated stubs in exercises/."""
    return once_per_run(tmp_path_factory, "stub-report", lambda: grade_submission(COURSE.exercises, COURSE, student="stubs", process=grading_process()))
