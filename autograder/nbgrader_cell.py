"""What a course notebook's checks cell calls: the public checks of the notebook's functions.

`public_checks("losses")` takes the code this kernel has run, from its input history, makes
the module of it as a submitted notebook's module is made (`autograder.intake.statements`:
definitions and what they need, scratch statements left out), and grades it with
`grade_submission`: a separate grading session whose worker is sandboxed, so no check runs in
the student's kernel and the kernel never holds an expected value or a hidden input.

This is feedback for the student only. The grade never passes through the kernel: in the
nbgrader route the points come from `autograder nbgrader-grade`, which grades the submitted
notebook's code outside it (docs/nbgrader.md). Nothing is written to stderr, as nbgrader
gives 0 points to a cell with any stderr output.
"""

import contextlib
import io
import os
import tempfile
import warnings
from pathlib import Path

from autograder.registry import get_concept

MARKS = {"passed": "✔", "failed": "✘", "error": "✘", "timeout": "⏱", "crashed": "✘", "not_attempted": "·"}


def public_checks(concept_id: str) -> None:
    """Print one line per public check of the concept, with its feedback when it fails.

    Under `nbgrader validate` a public check that does not pass fails the cell, so the
    student hears of it; under `nbgrader autograde` it never does."""
    report = _concept_report(concept_id)
    if report is None:
        return
    public = [check for check in report["checks"] if check["visibility"] == "public"]
    for check in public:
        print(f"{MARKS.get(check['status'], '?')} {check['id']} ({check['status'].replace('_', ' ')})")
        if check["status"] not in ("passed", "not_attempted") and check.get("feedback"):
            print("    " + check["feedback"].replace("\n", "\n    "))
    passed = sum(check["status"] == "passed" for check in public)
    print(f"{passed} of {len(public)} public checks of {get_concept(concept_id).title!r} pass.")
    if os.environ.get("NBGRADER_EXECUTION") == "validate" and passed < len(public):
        raise AssertionError(f"{len(public) - passed} public check(s) do not pass yet")


def _concept_report(concept_id: str) -> dict | None:
    """The concept's entry of the public checks' report on this kernel's code, or None when
    the grader could not run (never an exception: the cell must stay free of stderr)."""
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            report = _grade(concept_id)
    except Exception as problem:  # noqa: BLE001 - on stdout, never on stderr
        # The type only: a session's output could name hidden checks.
        print(f"The checks could not run ({type(problem).__name__}): is the course installed, with its checks/?")
        return None
    return next(c for c in report["concepts"] if c["id"] == concept_id)


def _grade(concept_id: str) -> dict:
    from autograder.course import find_course_root
    from autograder.grading.run import grade_submission
    from autograder.intake import checked_names

    course = find_course_root()
    module = get_concept(concept_id).module
    source = kernel_source(checked_names(course)[module])
    with tempfile.TemporaryDirectory(prefix="notebook-") as folder:
        (Path(folder) / f"{module}.py").write_text(source, encoding="utf-8")
        return grade_submission(Path(folder), course, student="notebook", public_only=True, concepts=(concept_id,))


def kernel_source(called: frozenset[str] = frozenset()) -> str:
    """The module made of the cells this kernel has run, in the order it ran them (a later
    definition wins, as in the kernel); `called`: the names the checks call."""
    from autograder.intake.statements import Cell, select

    try:
        from IPython import get_ipython

        history = get_ipython().user_ns.get("In", [])
    except (ImportError, AttributeError):
        return ""
    cells = [Cell(f"In [{number}]", text) for number, text in enumerate(history) if text]
    return select(cells, called).source("made from the cells this kernel has run, in the order it ran them")
