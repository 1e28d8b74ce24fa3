"""The nbgrader route for real: nbgrader's own commands, a real Jupyter kernel, its gradebook.

In a temporary copy of course/: `nbgrader generate_assignment` for two concepts, three
students (the released notebooks filled with the reference code; left as released; the
reference with one loss summed instead of averaged), `nbgrader autograde`, `nbgrader
export`, `nbgrader generate_feedback`. Then: full marks, zero, and for the mistake the same
partial credit as `autograder grade` gives the same code; no stderr, nothing hidden in the
feedback.
"""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course import ROOT_ENV
from autograder.generate.notebooks import fill_solutions
from autograder.grading.run import grade_submission
from conftest import COURSE

pytest.importorskip("nbgrader")

ROUND_TRIP = ("losses", "receptive_fields")
STUDENTS = ("full", "blank", "wrong")
MEAN = "np.mean((y_true - y_pred) ** 2)"
SUM = "np.sum((y_true - y_pred) ** 2)"
NBGRADER_OUTPUT = ("gradebook.db", "release", "submitted", "autograded", "feedback", "*.csv")


def nbgrader(course: Path, *args: str) -> None:
    command = [sys.executable, "-m", "nbgrader", *args]
    done = subprocess.run(command, cwd=course, capture_output=True, text=True, env={**os.environ, ROOT_ENV: str(COURSE.path)}, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def summed_mse(notebook: dict) -> dict:
    """The mistake: mean_squared_error sums over the samples."""
    (cell,) = [cell for cell in notebook["cells"] if cell.get("id") == "mean_squared_error"]
    text = "".join(cell["source"])
    assert MEAN in text
    cell["source"] = text.replace(MEAN, SUM)
    return notebook


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("nbgrader") / "course"
    shutil.copytree(COURSE.path / "course", root, ignore=shutil.ignore_patterns(*NBGRADER_OUTPUT))
    for concept in ROUND_TRIP:
        nbgrader(root, "generate_assignment", concept)
        released = read(root / "release" / concept / f"{concept}.ipynb")
        full = fill_solutions(released, read(root / "source" / concept / f"{concept}.ipynb"))
        wrong = summed_mse(json.loads(json.dumps(full))) if concept == "losses" else full
        for student, notebook in zip(STUDENTS, (full, released, wrong)):
            folder = root / "submitted" / student / concept
            folder.mkdir(parents=True)
            (folder / f"{concept}.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    for concept in ROUND_TRIP:
        nbgrader(root, "autograde", concept, "--create")
    nbgrader(root, "export")
    nbgrader(root, "generate_feedback", "losses")
    return root


def exported(course: Path) -> dict[tuple[str, str], float]:
    with (course / "grades.csv").open(encoding="utf-8") as grades:
        return {(row["student_id"], row["assignment"]): float(row["score"]) for row in csv.DictReader(grades)}


def test_export_gives_full_marks_zero_and_the_partial_credit_of_the_grader(course, tmp_path):
    scores = exported(course)
    assert {scores[("full", c)] for c in ROUND_TRIP} == {10.0}
    assert {scores[("blank", c)] for c in ROUND_TRIP} == {0.0}
    assert scores[("wrong", "receptive_fields")] == 10.0
    submission = tmp_path / "wrong"
    submission.mkdir()
    reference = (COURSE.solutions / "losses.py").read_text(encoding="utf-8")
    (submission / "losses.py").write_text(reference.replace(MEAN, SUM), encoding="utf-8")
    report = grade_submission(submission, COURSE, student="wrong", concepts=("losses",))
    (expected,) = [c["score"] for c in report["concepts"] if c["id"] == "losses"]
    assert 0.0 < expected < 10.0
    assert scores[("wrong", "losses")] == pytest.approx(expected)


def test_checks_cells_write_no_stderr_and_reveal_no_hidden_check(course):
    hidden_ids = set(re.findall(r"^def test_(\w+)", (COURSE.hidden_checks / "test_losses.py").read_text(encoding="utf-8"), re.M))
    assert hidden_ids
    for student in STUDENTS:
        notebook = read(course / "autograded" / student / "losses" / "losses.ipynb")
        (checks,) = [cell for cell in notebook["cells"] if cell.get("id") == "checks"]
        assert not [o for o in checks["outputs"] if o["output_type"] == "error" or o.get("name") == "stderr"]
        shown = json.dumps(checks["outputs"]) + (course / "feedback" / student / "losses" / "losses.html").read_text(encoding="utf-8")
        assert not [check for check in hidden_ids if check in shown], student


def test_released_notebooks_hold_no_solution_and_no_hidden_call(course):
    for concept in ROUND_TRIP:
        released = (course / "release" / concept / f"{concept}.ipynb").read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in released and "HIDDEN TESTS" not in released
        assert "grade_concept(" not in released and "raise NotImplementedError()" in released


def test_the_nbgrader_gradebook_gives_the_grade_all_gradebook(course, tmp_path):
    out = tmp_path / "grades"
    done = subprocess.run([sys.executable, "-m", "autograder", "nbgrader-report", str(course / "gradebook.db"), "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with (out / "gradebook.csv").open(encoding="utf-8") as gradebook:
        rows = {row["student"]: row for row in csv.DictReader(gradebook)}
    scores = exported(course)
    for student in STUDENTS:
        for concept in ROUND_TRIP:
            assert float(rows[student][concept]) == pytest.approx(scores[(student, concept)])
        assert float(rows[student]["max_score"]) == 20.0
    assert (out / "summary" / "scores_per_concept.png").is_file()
