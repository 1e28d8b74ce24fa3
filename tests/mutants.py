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
    return plant(folder, {module: replacement})


def plant(folder: Path, replacements: dict[str, str]) -> Path:
    """Copy solutions/ into `folder`/submission and append to each module its replacement."""
    submission = folder / "submission"
    shutil.copytree(COURSE.solutions, submission)
    for module, replacement in replacements.items():
        target = submission / f"{module}.py"
        target.write_text(target.read_text() + "\n\n" + textwrap.dedent(replacement), encoding="utf-8")
    return submission


def assert_mistake_caught(folder: Path, concept: str, mistake: tuple) -> None:
    """Plant `mistake` in the reference module of `concept`: (replacement code, the checks it
    breaks, the words that name it), or (replacement code, {each check it breaks: the words
    its feedback holds}). It must fail exactly those checks, with those words."""
    broken, named = expected_losses(mistake)
    report = grade_mutant(folder, concept, get_concept(concept).module, mistake[0])
    assert_loses_exactly(report, concept, broken, named)


def expected_losses(mistake: tuple) -> tuple[set[str], str | dict[str, str]]:
    """What a mistake (see assert_mistake_caught) declares: the checks it breaks, and the
    words that name it (one string, or one per check)."""
    _, *expected = mistake
    return (set(expected[0]), expected[1]) if len(expected) == 2 else (set(expected[0]), expected[0])


def grade_mutant(folder: Path, concept: str, module: str, replacement: str) -> dict:
    """The report of the reference with one planted mistake, for one concept."""
    submission = make_mutant(folder, module, replacement)
    return grading_process().grade(submission, COURSE, student="mutant", concepts=(concept,))


def checks_by_id(report: dict, concept: str) -> dict[str, dict]:
    entry = next(c for c in report["concepts"] if c["id"] == concept)
    return {check["id"]: check for check in entry["checks"]}


def assert_loses_exactly(report: dict, concept: str, broken: set[str], named: str | dict[str, str]) -> None:
    """The mistake fails exactly the `broken` checks, each naming it (`named`, or
    `named[check id]`), and passes the rest."""
    checks = checks_by_id(report, concept)
    failed = {check_id for check_id, check in checks.items() if check["status"] != "passed"}
    assert failed == broken, f"failed {sorted(failed)}, expected {sorted(broken)}"
    for check_id in broken:
        feedback = checks[check_id]["feedback"]
        words = named if isinstance(named, str) else named[check_id]
        assert words in feedback, f"{check_id}: {feedback!r} does not name {words!r}"


def assert_earns_nothing(folder: Path, concept: str, replacement: str) -> None:
    """Code whose answers are never right (say, zeros of the right shape) passes no check of
    `concept`, not even one of a side property such as "inputs unchanged"."""
    report = grade_mutant(folder, concept, get_concept(concept).module, replacement)
    passed = sorted(check_id for check_id, check in checks_by_id(report, concept).items() if check["status"] == "passed")
    assert passed == [], f"{passed} pass for answers that are never right"
