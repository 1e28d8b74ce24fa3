"""`autograder nbgrader-grade ASSIGNMENT...`: the nbgrader route's points, graded outside the kernel."""

import importlib.util
from pathlib import Path

import click

from autograder import console
from autograder.cli.options import COURSE_ROOT, HIDDEN_CHECKS
from autograder.course import find_course_root
from autograder.errors import UserError
from autograder.registry import CONCEPTS


@click.command(name="nbgrader-grade", short_help="Grade submitted notebooks outside the kernel, into nbgrader's gradebook")
@click.argument("assignments", nargs=-1, required=True, metavar="ASSIGNMENT...", type=click.Choice([c.id for c in CONCEPTS]))
@click.option("--nbgrader-course", "nbgrader_course", type=click.Path(path_type=Path), default=Path("."), show_default="the working directory", help="The nbgrader course folder (holding gradebook.db and submitted/).")
@click.option("--time-scale", type=click.FloatRange(min=0.01, max=100), default=1.0, show_default=True, help="Multiply every check's time limit (a slow machine: more than 1).")
@COURSE_ROOT
@HIDDEN_CHECKS
def nbgrader_grade(*, assignments: tuple[str, ...], nbgrader_course: Path, time_scale: float, course_root: str | None, hidden_checks: str | None) -> None:
    """Grade every notebook in submitted/<student>/ASSIGNMENT/ with the sandboxed grader,
    outside the student's kernel, and write each concept's score into gradebook.db as the
    checks cell's auto score. Run it after `nbgrader autograde ASSIGNMENT`; the submitted
    notebooks are never changed, and a manual grade still overrides the score."""
    from autograder.grading.nbgrader_scores import grade_submitted
    from autograder.grading.run import GradingProcess

    if importlib.util.find_spec("nbgrader") is None:
        raise UserError('nbgrader is not installed (pip install -e ".[nbgrader]")')
    course = find_course_root(course_root, hidden_checks)
    with GradingProcess() as process:
        for assignment in assignments:
            grades = grade_submitted(nbgrader_course, assignment, course, process, time_scale=time_scale)
            if not grades:
                console.warn(f"{assignment}: no submissions in {nbgrader_course / 'submitted'} (run `nbgrader collect {assignment}` first)")
            for grade in grades:
                status = "" if grade.status == "graded" else f" ({grade.status.replace('_', ' ')})"
                console.out(f"{grade.student}: {assignment} {grade.score:g} / {grade.max_score:g}{status}")
                for note in grade.notes:
                    console.out(f"    {note}")
