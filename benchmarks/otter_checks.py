"""The course's checks of one concept as an otter-grader test file, for bench_nbgrader.py.

`otter run` executes a notebook in a kernel, then runs its test files in that kernel: each
test case is a function given the notebook's globals. The test file made here has one case
per check of the concept (public ones visible, hidden ones hidden, each with its points),
and each case calls the course's own check function on the notebook's functions, with the
`rng` a check gets in a student's pytest: the same checks as `grade-all`, run otter's way,
in the student's kernel with no sandbox and no time limit. This module goes into the
autograder zip as a support file, beside the notebook.
"""

import importlib.util
import inspect
from functools import cache
from types import ModuleType, SimpleNamespace

import numpy as np

from autograder.compare import REVEAL_EXPECTED
from autograder.course import find_course_root
from autograder.plugin import hidden_seed
from autograder.registry import COURSE_SALT, get_concept
from autograder.shared import SharedResults

VISIBILITIES = ("public", "hidden")


def otter_test_file(concept: str) -> str:
    """The text of an exception-based otter test file with every check of `concept`."""
    lines = ["from otter.test_files import test_case", "from otter_checks import run_check", "", "OK_FORMAT = False", f"name = {concept!r}", ""]
    for index, (visibility, function) in enumerate(checks(concept)):
        lines += [
            "",
            f"@test_case(name={function.__name__.removeprefix('test_')!r}, points={points(function)}, hidden={visibility == 'hidden'})",
            f"def case_{index}(env):",
            f"    run_check({concept!r}, {visibility!r}, {function.__name__!r}, env)",
            "",
        ]  # fmt: skip
    return "\n".join(lines)


def checks(concept: str) -> list[tuple[str, object]]:
    """(visibility, check function) of every check of `concept`, public ones first."""
    found = []
    for visibility in VISIBILITIES:
        module = check_module(concept, visibility)
        found += [(visibility, f) for name, f in vars(module).items() if name.startswith("test_") and inspect.isfunction(f)]
    return found


def points(function) -> float:
    marks = [mark for mark in getattr(function, "pytestmark", []) if mark.name == "points"]
    return float(marks[0].args[0]) if marks else 1.0


@cache
def check_module(concept: str, visibility: str) -> ModuleType:
    course = find_course_root()
    folder = course.public_checks if visibility == "public" else course.hidden_checks
    path = folder / f"test_{get_concept(concept).module}.py"
    spec = importlib.util.spec_from_file_location(f"otter_checks_{visibility}_{concept}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_check(concept: str, visibility: str, name: str, env: dict) -> None:
    """Call one check on the notebook's globals `env`; it raises if the check fails."""
    function = getattr(check_module(concept, visibility), name)
    fixtures = {
        "student": SimpleNamespace(**env),
        "rng": np.random.default_rng(hidden_seed(COURSE_SALT, "", concept, name.removeprefix("test_"))),
        "shared": shared_results(),
    }
    REVEAL_EXPECTED.set(visibility == "public")
    function(**{parameter: fixtures[parameter] for parameter in inspect.signature(function).parameters})


@cache
def shared_results() -> SharedResults:
    """One kernel grades one notebook: its shared results, as a pytest session's."""
    return SharedResults(lambda concept, name: hidden_seed(COURSE_SALT, "", concept, name))
