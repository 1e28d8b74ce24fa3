"""The gradebook: one row per student, one column per concept, from the reports."""

import csv
import io

from autograder.registry import CONCEPTS


def render_gradebook(reports: dict[str, dict]) -> str:
    """CSV text: student, score, max_score, then each concept's score (registry order)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "score", "max_score", *[c.id for c in CONCEPTS]])
    for student in sorted(reports):
        report = reports[student]
        by_concept = {c["id"]: c["score"] for c in report["concepts"]}
        writer.writerow([student, f"{report['score']:g}", f"{report['max_score']:g}", *[f"{by_concept.get(c.id, 0):g}" for c in CONCEPTS]])
    return buffer.getvalue()
