"""The one console wrapper of the command line: errors, warnings and plain output."""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click


def error(message: str) -> None:
    """One line on stderr: `autograder: error: <what> (<what to do>)`."""
    click.echo(f"autograder: error: {message}", err=True)


def warn(message: str) -> None:
    click.echo(f"autograder: warning: {message}", err=True)


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

    columns = (TextColumn(f"{what}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.description}"))
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task("", total=total)
        yield lambda label: bar.update(task, advance=1, description=label)
