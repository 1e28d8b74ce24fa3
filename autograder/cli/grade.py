"""`autograder grade PATH`: grade one submission with the public and hidden checks."""

from pathlib import Path

import click

from autograder import console
from autograder.course import find_course_root
from autograder.errors import UserError
from autograder.files import write_atomically
from autograder.cli.options import grading_options, sandbox_mode, warn_if_public
from autograder.report.views import VIEWS, render
from autograder.salt import resolve_course_salt


@click.command(short_help="Grade one submission")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(list(VIEWS)), default="table", show_default=True, help="How to show the report (points: the GitHub Classroom line).")
@click.option("--output", "-o", "output_file", type=click.Path(path_type=Path), help="Write the report here instead of stdout.")
@click.option("--student", help="Student id (default: the submission's folder name); personalises hidden inputs.")
@grading_options
def grade(*, path: Path, output_format: str, output_file: Path | None, public_only: bool, student: str | None, concepts: tuple[str, ...], time_scale: float, course_root: str | None, hidden_checks: str | None, sandbox: str, no_sandbox: bool, course_salt: str | None) -> None:
    """Grade PATH (a student repository, a folder of exercise modules or notebooks, a .zip
    of one, or a notebook) and print the per-concept report."""
    from autograder.grading.run import grade_submission

    course = find_course_root(course_root, hidden_checks)
    if output_file is not None and not output_file.parent.is_dir():
        raise UserError(f"{output_file.parent}: no such folder for --output")
    mode = sandbox_mode(sandbox, no_sandbox)
    salt = resolve_course_salt(course_salt, course.path)
    report = grade_submission(path, course, student=student, public_only=public_only, concepts=concepts, time_scale=time_scale, sandbox=mode, course_salt=salt.value)
    warn_if_public(salt, public_only)
    text = render(report, output_format, color=console.is_terminal() and output_file is None)
    if output_file is None:
        console.out(text)
    else:
        write_atomically(output_file, text)
