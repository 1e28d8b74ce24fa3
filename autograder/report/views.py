"""Every view of the one report (law 6), by the name `--format` takes."""

import json

from autograder.report.classroom import render_classroom
from autograder.report.gradescope import render_gradescope
from autograder.report.junit import render_junit
from autograder.report.markdown import render_markdown


def _render_table(report: dict, *, color: bool = False) -> str:
    """The terminal table; rich is imported only here, as it costs a tenth of a second that
    `autograder --help` and the other views need not pay."""
    from autograder.report.table import render_table

    return render_table(report, color=color)


def render_json(report: dict) -> str:
    return json.dumps(report, indent=2) + "\n"


VIEWS = {
    "table": _render_table,
    "json": render_json,
    "markdown": render_markdown,
    "junit": render_junit,
    "gradescope": render_gradescope,
    "points": render_classroom,
}


def render(report: dict, view: str, *, color: bool = False) -> str:
    if view == "table":
        return _render_table(report, color=color)
    return VIEWS[view](report)
