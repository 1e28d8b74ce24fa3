"""`autograder show REPORT`: another view of a saved JSON report, and a pass/fail threshold."""

import json
from pathlib import Path

import click

from autograder import console
from autograder.errors import UserError
from autograder.report.views import VIEWS


@click.command(short_help="Show a saved JSON report in another format")
@click.argument("report_file", metavar="REPORT", type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(list(VIEWS)), default="table", show_default=True, help="How to show the report.")
@click.option("--fail-below", type=click.FloatRange(0, 100), help="Exit 1 when the score is below this percentage of the maximum.")
def show(*, report_file: Path, output_format: str, fail_below: float | None) -> None:
    """Render REPORT (written by `autograder grade --format json`) as a table, Markdown,
    JUnit XML, Gradescope results or the GitHub Classroom points line."""
    from autograder.report.sanitise import sanitise_report
    from autograder.report.views import render

    try:
        report = json.loads(report_file.read_text(encoding="utf-8"))
    except OSError as problem:
        raise UserError(f"{report_file}: {problem.strerror.lower()}") from None
    except ValueError:
        raise UserError(f"{report_file}: not a JSON report") from None
    if not isinstance(report, dict) or report.get("schema") != 1:
        raise UserError(f"{report_file}: not a report of schema version 1")
    report = sanitise_report(report)  # a report file may come from anywhere, a student's CI included
    console.out(render(report, output_format, color=console.is_terminal()))
    if fail_below is not None and report["max_score"] and 100 * report["score"] / report["max_score"] < fail_below:
        console.error(f"the score {report['score']:g}/{report['max_score']:g} is below {fail_below:g}% (the threshold set for this course)")
        raise click.exceptions.Exit(1)
