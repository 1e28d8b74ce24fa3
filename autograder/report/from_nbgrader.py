"""Report dicts from an nbgrader gradebook, for the gradebook CSV and the class summary.

In the course's nbgrader route each concept is an assignment (named by the concept's id)
and its checks cell is the grade cell, so a student's per-concept score is the score of
their submission of that assignment (a manual grade, when given, overrides the autograde,
as in nbgrader). Each grade cell becomes one check of the report. A concept that is not an
assignment of the gradebook is listed with a max_score of 0, like a concept with no checks.
"""

import shutil
import tempfile
from pathlib import Path

from autograder.registry import CONCEPTS, Concept


def reports_from_gradebook(database: Path) -> dict[str, dict]:
    """Student id -> report dict (schema 1), read from a copy of `database` (an nbgrader
    sqlite gradebook) so the instructor's file is never touched."""
    from nbgrader.api import Gradebook

    with tempfile.TemporaryDirectory(prefix="nbgrader-report-") as scratch:
        copy = Path(scratch) / "gradebook.db"
        shutil.copyfile(database, copy)
        with Gradebook(f"sqlite:///{copy}") as gradebook:
            assignments = {assignment.name: assignment for assignment in gradebook.assignments}
            reports = {}
            for student in gradebook.students:
                concepts = [_concept(gradebook, concept, assignments.get(concept.id), student.id) for concept in CONCEPTS]
                reports[student.id] = {
                    "schema": 1, "submission": str(database), "student": student.id,
                    "score": sum(c["score"] for c in concepts), "max_score": sum(c["max_score"] for c in concepts),
                    "duration_s": 0.0, "concepts": concepts,
                }  # fmt: skip
    return reports


def _concept(gradebook, concept: Concept, assignment, student_id: str) -> dict:
    """One concept's entry: its grade cells as checks, scored from the student's submission."""
    from nbgrader.api import MissingEntry

    entry = {"id": concept.id, "title": concept.title, "score": 0.0, "max_score": 0.0, "checks": []}
    if assignment is None:
        return entry
    try:
        submission = gradebook.find_submission(concept.id, student_id)
        grades = [grade for notebook in submission.notebooks for grade in notebook.grades]
        cells = [(g.name, g.score or 0.0, g.max_score, "passed" if (g.score or 0.0) >= g.max_score else "failed") for g in grades]
    except MissingEntry:  # never submitted
        cells = [(cell.name, 0.0, cell.max_score, "not_attempted") for notebook in assignment.notebooks for cell in notebook.grade_cells]
    entry["checks"] = [
        {"id": name, "visibility": "hidden", "points": score, "max_points": maximum, "status": status, "feedback": ""}
        for name, score, maximum, status in cells
    ]
    entry["score"] = float(sum(check["points"] for check in entry["checks"]))
    entry["max_score"] = float(sum(check["max_points"] for check in entry["checks"]))
    return entry
