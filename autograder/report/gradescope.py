"""The Gradescope view: `results.json` of the Gradescope autograder specification.

Public checks are visible at once; hidden checks show after the grades are published
(their feedback never holds expected values or code, so it may be shown then). Every text
field is declared plain text, so Gradescope renders none of a student's message as HTML or
Markdown; `json.dumps` keeps the file valid JSON whatever the text holds.
"""

import json

from autograder.report.classroom import points_line
from autograder.report.intake_notes import intake_lines

VISIBILITY = {"public": "visible", "hidden": "after_published"}


def render_gradescope(report: dict) -> str:
    tests = []
    for concept in report["concepts"]:
        for check in concept["checks"]:
            tests.append(
                {
                    "name": f"{concept['title']}: {check['id']}",
                    "score": check["points"],
                    "max_score": check["max_points"],
                    "status": "passed" if check["status"] == "passed" else "failed",
                    "output": _output(check),
                    "tags": [concept["id"]],
                    "visibility": VISIBILITY[check["visibility"]],
                }
            )
    results = {
        "score": report["score"],
        "execution_time": report["duration_s"],
        "output": "\n".join([points_line(report), *intake_lines(report)]),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    return json.dumps(results, indent=2) + "\n"


def _output(check: dict) -> str:
    label = check["status"].replace("_", " ")
    return f"{label}: {check['feedback']}" if check["feedback"] else label
