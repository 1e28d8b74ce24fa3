"""The gradebook: one row per student, one column per concept, from the reports.

A student id is a folder's name, which its student may have chosen: it is written without
control characters, and one that a spreadsheet would run as a formula gets a leading quote.
"""

import csv
import io

from autograder.registry import CONCEPTS
from autograder.report.sanitise import strip_controls

FORMULA_STARTS = ("=", "+", "-", "@")


def render_gradebook(reports: dict[str, dict]) -> str:
    """CSV text: student, score, max_score, then each concept's score (registry order)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "score", "max_score", *[c.id for c in CONCEPTS]])
    for student in sorted(reports):
        report = reports[student]
        by_concept = {c["id"]: c["score"] for c in report["concepts"]}
        writer.writerow([spreadsheet_text(student), f"{report['score']:g}", f"{report['max_score']:g}", *[f"{by_concept.get(c.id, 0):g}" for c in CONCEPTS]])
    return buffer.getvalue()


def spreadsheet_text(text: str) -> str:
    """`text` for a CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = strip_controls(text)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text
