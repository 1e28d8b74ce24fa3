"""Planted mistakes: a copy of the reference code with one function redefined, graded."""

import atexit
import shutil
import textwrap
from functools import cache
from pathlib import Path

from autograder.course import find_course_root
from autograder.grading.run import GradingProcess
from autograder.registry import get_concept

COURSE = find_course_root()


@cache
def grading_process() -> GradingProcess:
    """One grading process for every mutant of this test run: its imports are paid once."""
    process = GradingProcess()
    atexit.register(process.close)
    return process


def make_mutant(folder: Path, module: str, replacement: str) -> Path:
    """Copy solutions/ into `folder` and append `replacement` (a redefinition) to `module`."""
    submission = folder / "submission"
    shutil.copytree(COURSE.solutions, submission)
    target = submission / f"{module}.py"
    target.write_text(target.read_text() + "\n\n" + textwrap.dedent(replacement), encoding="utf-8")
    return submission


def assert_mistake_caught(folder: Path, concept: str, mistake: tuple[str, set[str], str | dict[str, str]]) -> None:
    """Plant `mistake` (replacement code, the checks it breaks, the words that name it, or
    the words of each broken check) in the reference module of `concept`; it must fail
    exactly those checks, naming it."""
    replacement, broken, named = mistake
    report = grade_mutant(folder, concept, get_concept(concept).module, replacement)
    assert_loses_exactly(report, concept, broken, named)


def grade_mutant(folder: Path, concept: str, module: str, replacement: str) -> dict:
    """The report of the reference with one planted mistake, for one concept."""
    submission = make_mutant(folder, module, replacement)
    return grading_process().grade(submission, COURSE, student="mutant", concepts=(concept,))


def checks_by_id(report: dict, concept: str) -> dict[str, dict]:
    entry = next(c for c in report["concepts"] if c["id"] == concept)
    return {check["id"]: check for check in entry["checks"]}


def assert_loses_exactly(report: dict, concept: str, broken: set[str], named: str | dict[str, str]) -> None:
    """The mistake fails exactly the `broken` checks, each naming it (`named`, or
    `named[check]`), and passes the rest."""
    checks = checks_by_id(report, concept)
    failed = {check_id for check_id, check in checks.items() if check["status"] != "passed"}
    assert failed == broken, f"failed {sorted(failed)}, expected {sorted(broken)}"
    for check_id in broken:
        feedback, words = checks[check_id]["feedback"], named if isinstance(named, str) else named[check_id]
        assert words in feedback, f"{check_id}: {feedback!r} does not name {words!r}"
