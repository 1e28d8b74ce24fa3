"""The one console wrapper of the command line: errors, warnings and plain output.

Errors, warnings and progress labels may name a student's folder or file, so they reach the
terminal without control characters and without rich markup.
"""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from autograder.report.sanitise import strip_controls


def error(message: str) -> None:
    """One line on stderr: `autograder: error: <what> (<what to do>)`."""
    click.echo(f"autograder: error: {strip_controls(message)}", err=True)


def warn(message: str) -> None:
    click.echo(f"autograder: warning: {strip_controls(message)}", err=True)


def out(text: str) -> None:
    """Text for stdout, as it is (a rendered table, a JSON document)."""
    click.echo(text, nl=not text.endswith("\n"))


def is_terminal() -> bool:
    return sys.stdout.isatty()


@contextmanager
def progress(total: int, what: str) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr; yields `advance(label)`, to call once per item done."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn(what, markup=False), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.description}", markup=False))
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task("", total=total)
        yield lambda label: bar.update(task, advance=1, description=strip_controls(label))
