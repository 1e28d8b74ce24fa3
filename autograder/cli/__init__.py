"""The `autograder` command line: one module per verb, registered here."""

import sys

import click

from autograder import console
from autograder.errors import UserError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show the full traceback of an unexpected error.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Exercises and per-concept grading for the lecture "CNNs and key concepts"."""
    ctx.obj = {"debug": debug}


def _register() -> None:
    from autograder.cli.build import build
    from autograder.cli.grade import grade
    from autograder.cli.grade_all import grade_all
    from autograder.cli.nbgrader_grade import nbgrader_grade
    from autograder.cli.nbgrader_report import nbgrader_report
    from autograder.cli.release import gradescope, release
    from autograder.cli.show import show

    cli.add_command(build)
    cli.add_command(grade)
    cli.add_command(grade_all)
    cli.add_command(nbgrader_grade)
    cli.add_command(nbgrader_report)
    cli.add_command(show)
    cli.add_command(release)
    cli.add_command(gradescope)


_register()


def main(argv: list[str] | None = None) -> int:
    """Run the command line; expected problems are one line on stderr and exit 2."""
    args = sys.argv[1:] if argv is None else argv
    if not args:  # asked for nothing: the help, as help (click 8.2 would raise it as a usage error)
        with click.Context(cli, info_name="autograder") as ctx:
            console.out(cli.get_help(ctx))
        return 0
    try:
        # Without standalone mode click returns the code of a deliberate exit.
        code = cli.main(args=args, prog_name="autograder", standalone_mode=False)
    except UserError as problem:
        console.error(str(problem))
        return 2
    except click.exceptions.Abort:
        console.error("interrupted")
        return 130
    except click.ClickException as problem:
        console.error(problem.format_message().replace("\n", " "))
        return 2
    except Exception as unexpected:  # the one place that turns a grader bug into one line
        if "--debug" in args:
            raise
        console.error(f"unexpected {type(unexpected).__name__}: {unexpected} (rerun with --debug for the traceback)")
        return 1
    return code if isinstance(code, int) else 0
