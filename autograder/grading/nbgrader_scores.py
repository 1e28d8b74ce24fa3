"""The nbgrader route's points: each submitted notebook graded outside the student's kernel,
its concept's score written into nbgrader's gradebook.

`nbgrader autograde` runs every notebook in the student's own kernel; that run is feedback
only, since a notebook can redefine any function, print any score or kill its kernel. This
step reads each student's submitted notebook from `submitted/<student>/<assignment>/` (by
name, or a renamed one by what it defines), makes the module of its code cells as
`autograder grade` does (`autograder.intake`), grades it with the sandboxed grader,
personalised with the nbgrader student id, and writes the concept's score as the auto score
of the notebook's checks cell with nbgrader's API (`nbgrader.api.Gradebook`). A student
whose notebook nbgrader could not run is graded all the same, and one student never stops
the class. The gradebook is changed only here; the submitted notebooks never.
"""

from dataclasses import dataclass, field
from pathlib import Path

from autograder.course import CourseRoot
from autograder.errors import UserError
from autograder.files import TemporaryFolder
from autograder.grading.run import GradingProcess
from autograder.intake import Entry, Intake, checked_names, prepare
from autograder.intake.walk import display
from autograder.registry import get_concept


@dataclass
class NotebookGrade:
    """One student's score for one assignment (a concept), and how the notebook was read."""

    student: str
    score: float
    max_score: float
    status: str  # "graded", "not_submitted", "ungradable" or "failed" (the grader failed; 0 written)
    notes: list[str] = field(default_factory=list)


def grade_submitted(course_dir: Path, assignment: str, course: CourseRoot, process: GradingProcess, *, time_scale: float = 1.0) -> list[NotebookGrade]:
    """Grade every submission of `assignment` in the nbgrader course `course_dir` with
    `process` (one for all the assignments of a run: its imports are paid once) and write
    the scores into its gradebook.db. Raises UserError when the assignment is not a concept
    of the course with its notebook in the gradebook."""
    concept = get_concept(assignment)
    database = course_dir / "gradebook.db"
    if not database.is_file():
        # Most often the command ran outside the course folder, so say that first.
        raise UserError(f"{database}: no nbgrader gradebook (run this in the nbgrader course folder, course/, or pass --nbgrader-course; there, `nbgrader generate_assignment {assignment}` makes it)")
    from nbgrader.api import Gradebook  # seconds to import: not for a refusal
    folders = sorted(path for path in (course_dir / "submitted").glob(f"*/{assignment}") if path.is_dir())
    grades = []
    with TemporaryFolder("autograder-nbgrader-") as scratch:
        checked = checked_names(course)
        for folder in folders:
            student = folder.parent.name
            intake = prepare(Entry(display(student), folder), scratch, checked)
            grades.append(_grade_one(process, intake, student, course, concept.id, time_scale))
    with Gradebook(f"sqlite:///{database}") as gradebook:
        cell, notebook = _checks_cell(gradebook, assignment)
        for grade in grades:
            _write(gradebook, assignment, notebook, cell, grade)
    return grades


def _grade_one(process: GradingProcess, intake: Intake, student: str, course: CourseRoot, concept_id: str, time_scale: float) -> NotebookGrade:
    weight = get_concept(concept_id).weight
    module = get_concept(concept_id).module
    if module not in intake.files:
        status = intake.status if not intake.gradable else "ungradable"
        why = intake.reason or intake.refused.get(module) or f"no notebook or {module}.py for this assignment"
        return NotebookGrade(student, 0.0, weight, status, [why, *intake.notes])
    try:
        report = process.grade(intake.folder, course, student=student, concepts=(concept_id,), time_scale=time_scale)
    except Exception as problem:  # noqa: BLE001 - one student never stops the class
        return NotebookGrade(student, 0.0, weight, "failed", [f"the grader failed ({type(problem).__name__}: {problem}); rerun to retry", *intake.notes])
    (entry,) = [c for c in report["concepts"] if c["id"] == concept_id]
    return NotebookGrade(student, float(entry["score"]), float(entry["max_score"]), "graded", intake.notes)


def _checks_cell(gradebook, assignment: str) -> tuple[str, str]:
    """(grade cell, notebook) of the assignment's one checks cell, as generate_assignment recorded it."""
    from nbgrader.api import MissingEntry

    try:
        notebooks = gradebook.find_assignment(assignment).notebooks
    except MissingEntry:
        raise UserError(f"assignment {assignment!r} is not in the gradebook (run `nbgrader generate_assignment {assignment}` first)") from None
    cells = [(cell.name, notebook.name) for notebook in notebooks for cell in notebook.grade_cells]
    if len(cells) != 1:
        raise UserError(f"assignment {assignment!r} has {len(cells)} graded cells; the course's notebooks have one checks cell")
    return cells[0]


def _write(gradebook, assignment: str, notebook: str, cell: str, grade: NotebookGrade) -> None:
    """Record the score as the checks cell's auto score; a manual grade still overrides it."""
    gradebook.update_or_create_student(grade.student)
    gradebook.update_or_create_submission(assignment, grade.student)
    record = gradebook.find_grade(cell, notebook, assignment, grade.student)
    record.auto_score = min(max(grade.score, 0.0), record.max_score)
    record.needs_manual_grade = record.manual_score is not None
    gradebook.db.commit()
