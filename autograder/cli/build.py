"""`autograder build`: make the stubs from the one source (law 1)."""

import click

from autograder import console
from autograder.cli.options import COURSE_ROOT
from autograder.course import find_course_root
from autograder.errors import UserError
from autograder.generate.stubs import drifted_stubs, write_stubs


@click.command(short_help="Regenerate exercises/ and the course notebooks from solutions/")
@COURSE_ROOT
@click.option("--check", is_flag=True, help="Change nothing; exit 1 when a generated file has drifted.")
def build(*, course_root: str | None, check: bool) -> None:
    """Turn each solutions/<module>.py into exercises/<module>.py: every solution region
    becomes `raise NotImplementedError()`, docstrings and hints are kept; and, in an
    nbgrader course (course/nbgrader_config.py), write course/source/<concept>/<concept>.ipynb."""
    # nbformat takes seconds to import; `autograder --help` loads this module for the short help.
    from autograder.generate.notebooks import drifted_notebooks, write_notebooks

    course = find_course_root(course_root)
    if not course.solutions.is_dir():
        raise UserError(f"{course.solutions}: no reference code to build from")
    if check:
        drifted = drifted_stubs(course.solutions, course.exercises)
        if drifted:
            raise click.exceptions.Exit(_report_drift(drifted))
        stale = drifted_notebooks(course)
        if stale:
            console.error(f"course/ notebooks have drifted from the one source: {', '.join(stale)} (run `autograder build`)")
            raise click.exceptions.Exit(1)
        console.out("exercises/ is up to date with solutions/")
        return
    changed = write_stubs(course.solutions, course.exercises)
    changed += write_notebooks(course)
    console.out(f"wrote {len(changed)} file(s)" + "".join(f"\n  {p.relative_to(course.path)}" for p in changed))


def _report_drift(drifted: list[str]) -> int:
    console.error(f"exercises/ has drifted from solutions/: {', '.join(drifted)} (run `autograder build`)")
    return 1
