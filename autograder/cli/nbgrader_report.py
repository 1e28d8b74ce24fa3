"""`autograder nbgrader-report GRADEBOOK`: the gradebook CSV and plots of grade-all, from nbgrader."""

import importlib.util
import json
from pathlib import Path

import click

from autograder import console
from autograder.errors import UserError


@click.command(name="nbgrader-report", short_help="Gradebook CSV and plots from an nbgrader gradebook")
@click.argument("gradebook", type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), default=Path("grades"), show_default=True, help="Where the reports, gradebook.csv and summary go.")
def nbgrader_report(*, gradebook: Path, out: Path) -> None:
    """Read GRADEBOOK, the gradebook.db of the course's nbgrader route (one assignment per
    concept), and write OUT/gradebook.csv, OUT/summary/ and OUT/reports/<student>.json, the
    same files as `autograder grade-all`. GRADEBOOK itself is never modified."""
    from autograder.files import write_atomically
    from autograder.report.from_nbgrader import reports_from_gradebook
    from autograder.report.gradebook import render_gradebook
    from autograder.report.summary import write_summary

    if not gradebook.is_file():
        raise UserError(f"{gradebook}: no such file (give nbgrader's gradebook.db)")
    if importlib.util.find_spec("nbgrader") is None:
        raise UserError("nbgrader is not installed (pip install -e \".[nbgrader]\")")
    try:
        reports = reports_from_gradebook(gradebook)
    except Exception as problem:  # sqlalchemy's errors: not a database, not a gradebook
        raise UserError(f"{gradebook}: not an nbgrader gradebook ({type(problem).__name__})") from None
    if not reports:
        raise UserError(f"{gradebook}: the gradebook has no students yet (run nbgrader autograde first)")
    (out / "reports").mkdir(parents=True, exist_ok=True)
    for student, report in reports.items():
        write_atomically(out / "reports" / f"{student}.json", json.dumps(report, indent=2))
    write_atomically(out / "gradebook.csv", render_gradebook(reports))
    write_summary(reports, out / "summary")
    console.out(f"{len(reports)} students; gradebook: {out / 'gradebook.csv'}, summary: {out / 'summary' / 'summary.md'}")
