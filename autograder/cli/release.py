"""`autograder release DEST` and `autograder gradescope DEST.zip`: what leaves the course repository."""

from pathlib import Path

import click

from autograder import console
from autograder.cli.options import COURSE_ROOT, COURSE_SALT, HIDDEN_CHECKS, warn_if_public
from autograder.course import find_course_root


@click.command(short_help="Make the student repository")
@click.argument("dest", type=click.Path(path_type=Path))
@COURSE_ROOT
def release(*, dest: Path, course_root: str | None) -> None:
    """Write the student repository into DEST (new or empty): the stubs, the public checks,
    the engine they need, a README and the CI workflow; no reference code, no hidden check."""
    from autograder.release import release_student_repo

    release_student_repo(find_course_root(course_root), dest)
    console.out(f"released the student repository into {dest}")


@click.command(short_help="Make a Gradescope autograder bundle")
@click.argument("zip_path", metavar="DEST.zip", type=click.Path(path_type=Path))
@COURSE_ROOT
@HIDDEN_CHECKS
@COURSE_SALT
def gradescope(*, zip_path: Path, course_root: str | None, hidden_checks: str | None, course_salt: str | None) -> None:
    """Write a Gradescope autograder zip (setup.sh, run_autograder, the engine, every check
    and the course salt) that writes results/results.json with per-check visibility.
    Upload it yourself; never hand it to students."""
    from autograder.release import build_gradescope_bundle
    from autograder.salt import resolve_course_salt

    course = find_course_root(course_root, hidden_checks)
    salt = resolve_course_salt(course_salt, course.path)
    build_gradescope_bundle(course, zip_path, salt)
    warn_if_public(salt, public_only=False)
    console.out(f"wrote the Gradescope bundle {zip_path}")
