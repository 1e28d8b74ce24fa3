"""The `autograder` command line: one module per verb, registered here."""

import importlib
import signal
import sys

import click

from autograder import console
from autograder.errors import UserError


class LazyGroup(click.Group):
    """A group that imports a verb's module only when that verb is asked for: click's
    documented LazyGroup ("Complex Applications", lazily loading subcommands). A student's
    `autograder grade` must not wait for what `build` needs (nbformat, whose jsonschema
    builds a grammar at import: seconds). `--help` still imports every verb's module for its
    short help, so those modules import their heavy tools inside the command function."""

    def __init__(self, *args, lazy_subcommands: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = lazy_subcommands  # verb -> "module.attribute" of its click.Command

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.lazy_subcommands)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy_subcommands:
            return None
        module, attribute = self.lazy_subcommands[cmd_name].rsplit(".", 1)
        return getattr(importlib.import_module(module), attribute)


VERBS = {
    "build": "autograder.cli.build.build",
    "grade": "autograder.cli.grade.grade",
    "grade-all": "autograder.cli.grade_all.grade_all",
    "nbgrader-grade": "autograder.cli.nbgrader_grade.nbgrader_grade",
    "nbgrader-report": "autograder.cli.nbgrader_report.nbgrader_report",
    "show": "autograder.cli.show.show",
    "release": "autograder.cli.release.release",
    "gradescope": "autograder.cli.release.gradescope",
}


@click.group(cls=LazyGroup, lazy_subcommands=VERBS, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show the full traceback of an unexpected error.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Exercises and per-concept grading for the lecture "CNNs and key concepts"."""
    ctx.obj = {"debug": debug}


class Terminated(KeyboardInterrupt):
    """SIGTERM (`timeout`, a cancelled CI job, a shutdown), raised as Ctrl-C is: the way out
    ends the grading processes and removes the grader's folders."""


def _terminated(signum: int, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one must not cut the way out short
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    """Run the command line; expected problems are one line on stderr and exit 2."""
    args = sys.argv[1:] if argv is None else argv
    if not args:  # asked for nothing: the help, as help (click 8.2 would raise it as a usage error)
        with click.Context(cli, info_name="autograder") as ctx:
            console.out(cli.get_help(ctx))
        return 0
    signal.signal(signal.SIGTERM, _terminated)
    try:
        # Without standalone mode click returns the code of a deliberate exit.
        code = cli.main(args=args, prog_name="autograder", standalone_mode=False)
    except UserError as problem:
        console.error(str(problem))
        return 2
    except click.exceptions.Abort as abort:
        terminated = isinstance(abort.__context__, Terminated)
        resume = "; the reports written so far are kept: run the same command again to grade the rest" if args[0] == "grade-all" else ""
        console.error(("terminated" if terminated else "interrupted") + resume)
        return 143 if terminated else 130
    except click.ClickException as problem:
        console.error(problem.format_message().replace("\n", " "))
        return 2
    except Exception as unexpected:  # the one place that turns a grader bug into one line
        if "--debug" in args:
            raise
        console.error(f"unexpected {type(unexpected).__name__}: {unexpected} (rerun with --debug for the traceback)")
        return 1
    return code if isinstance(code, int) else 0
