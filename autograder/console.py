"""The one console wrapper of the command line: errors, warnings and plain output."""

import sys

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
