"""Options that several verbs share, declared once with their help."""

import click

from autograder import console
from autograder.registry import CONCEPTS
from autograder.salt import PUBLIC_SALT_WARNING, SALT_HELP, CourseSalt

COURSE_ROOT = click.option("--course-root", help="The course repository holding checks/ (default: this checkout).")
HIDDEN_CHECKS = click.option("--hidden-checks", help="A folder of hidden checks kept outside the course repository.")
SANDBOX = click.option(
    "--sandbox", type=click.Choice(["auto", "bwrap", "uid", "none"]), default="auto", show_default=True,
    help="Where student code runs: bwrap (bubblewrap), uid (as root: a user of its own), none (trusted code only); auto: the strongest that works here.",
)  # fmt: skip
NO_SANDBOX = click.option("--no-sandbox", is_flag=True, help="Run student code without a sandbox (trusted code on your own machine only): --sandbox none.")
COURSE_SALT = click.option("--course-salt", help=SALT_HELP)

GRADING = (
    click.option("--public-only", is_flag=True, help="Run only the checks students can see."),
    click.option("--concept", "concepts", multiple=True, type=click.Choice([c.id for c in CONCEPTS]), help="Grade only this concept (repeatable)."),
    click.option("--time-scale", type=click.FloatRange(min=0.01, max=100), default=1.0, show_default=True, help="Multiply every check's time limit (a slow machine: more than 1)."),
    COURSE_ROOT,
    HIDDEN_CHECKS,
    SANDBOX,
    NO_SANDBOX,
    COURSE_SALT,
)


def grading_options(command):
    """Add the options of every grading verb: public-only, concept, time-scale, course, sandbox, salt."""
    for option in reversed(GRADING):
        command = option(command)
    return command


def sandbox_mode(sandbox: str, no_sandbox: bool) -> str:
    """The sandbox asked for by --sandbox and --no-sandbox together."""
    if no_sandbox and sandbox not in ("auto", "none"):
        raise click.UsageError(f"--no-sandbox contradicts --sandbox {sandbox}")
    return "none" if no_sandbox else sandbox


def warn_if_public(salt: CourseSalt, public_only: bool) -> None:
    """Say so when hidden checks draw their inputs with the public default salt."""
    if not salt.secret and not public_only:
        console.warn(PUBLIC_SALT_WARNING)
