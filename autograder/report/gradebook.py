"""The gradebook: one row per entry of the class, one column per concept, from the reports.

Every entry has its row (law 9): graded, not submitted or ungradable with the reason, and a
submission whose grading failed (to be retried) with its score left blank. So is a concept
that a report does not hold: a batch graded with `--concept` graded it for nobody. A student id is
a folder's name, which its student may have chosen, and a reason may quote it: every cell
is written without control characters, and one that a spreadsheet would run as a formula
(OWASP's CSV injection: a cell starting with = + - @, a tab or a carriage return) gets a
leading quote.
"""

import csv
import io
from collections import Counter

from autograder.registry import CONCEPTS
from autograder.report.sanitise import strip_controls

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

SUBMISSION_STATUSES = ("graded", "not_submitted", "ungradable")


def render_gradebook(reports: dict[str, dict], failed: dict[str, str] | None = None) -> str:
    """CSV text: student, status, score, max_score, each concept's score (registry order),
    reason; `failed` maps the students whose grading failed to why."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "status", "score", "max_score", *[c.id for c in CONCEPTS], "reason"])
    failed = failed or {}
    for student in sorted({*reports, *failed}):
        if student in failed:
            row = [student, "failed", "", "", *[""] * len(CONCEPTS), f"the grader failed ({failed[student]}); rerun to retry"]
        else:
            report = reports[student]
            by_concept = {c["id"]: c["score"] for c in report["concepts"]}
            # A concept the report lacks was not graded (`--concept`): blank, never an earned 0.
            scores = [f"{by_concept[c.id]:g}" if c.id in by_concept else "" for c in CONCEPTS]
            row = [student, report.get("status", "graded"), f"{report['score']:g}", f"{report['max_score']:g}", *scores, report.get("reason", "")]
        writer.writerow([spreadsheet_text(cell) for cell in row])
    return buffer.getvalue()


def spreadsheet_text(text: str) -> str:
    """`text` for a CSV cell that a spreadsheet shows as text, never runs as a formula."""
    shown = strip_controls(text)
    # Both: a tab becomes a space (` =1`), an escape sequence is removed (`\x1b[0m=1`).
    return f"'{shown}" if text.startswith(FORMULA_STARTS) or shown.startswith(FORMULA_STARTS) else shown


def status_counts(reports: dict[str, dict], failed: dict[str, str] | None = None) -> str:
    """How many rows have each status, e.g. `27 graded, 2 not submitted, 1 ungradable`."""
    counts = Counter(report.get("status", "graded") for report in reports.values())
    counts["failed"] = len(failed or {})
    return ", ".join(f"{counts[status]} {status.replace('_', ' ')}" for status in (*SUBMISSION_STATUSES, "failed") if counts[status])
