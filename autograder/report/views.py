"""Every view of the one report (law 6), by the name `--format` takes."""

import json

from autograder.report.classroom import render_classroom
from autograder.report.gradescope import render_gradescope
from autograder.report.junit import render_junit
from autograder.report.markdown import render_markdown
from autograder.report.table import render_table


def render_json(report: dict) -> str:
    return json.dumps(report, indent=2) + "\n"


VIEWS = {
    "table": render_table,
    "json": render_json,
    "markdown": render_markdown,
    "junit": render_junit,
    "gradescope": render_gradescope,
    "points": render_classroom,
}


def render(report: dict, view: str, *, color: bool = False) -> str:
    if view == "table":
        return render_table(report, color=color)
    return VIEWS[view](report)
