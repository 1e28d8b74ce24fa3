"""`autograder grade PATH`: grade one submission with the public and hidden checks."""

import json
from pathlib import Path

import click

from autograder import console
from autograder.course import find_course_root
from autograder.registry import CONCEPTS

FORMATS = ("table", "json")


@click.command(short_help="Grade one submission")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="table", show_default=True, help="How to show the report.")
@click.option("--public-only", is_flag=True, help="Run only the checks students can see.")
@click.option("--student", help="Student id (default: the submission's folder name); personalises hidden inputs.")
@click.option("--concept", "concepts", multiple=True, type=click.Choice([c.id for c in CONCEPTS]), help="Grade only this concept (repeatable).")
@click.option("--course-root", help="The course repository holding checks/ (default: this checkout).")
def grade(*, path: Path, output_format: str, public_only: bool, student: str | None, concepts: tuple[str, ...], course_root: str | None) -> None:
    """Grade PATH, a student repository or a folder holding the exercise modules,
    and print the per-concept report."""
    from autograder.grading.run import grade_submission

    course = find_course_root(course_root)
    report = grade_submission(path, course, student=student, public_only=public_only, concepts=concepts)
    if output_format == "json":
        console.out(json.dumps(report, indent=2))
    else:
        from autograder.report.table import render_table

        console.out(render_table(report, color=console.is_terminal()))
