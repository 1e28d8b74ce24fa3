"""`autograder nbgrader-report`: an nbgrader gradebook becomes grade-all's gradebook and plots."""

import csv
import json
import subprocess
import sys

import pytest

pytest.importorskip("nbgrader")

from nbgrader.api import Gradebook  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Object of type .* not in session")  # nbgrader's own API, in the fixture
SCORES = {("ada", "losses"): 7.5, ("ada", "pooling"): 10.0, ("bob", "losses"): 0.0}  # bob never handed in pooling


@pytest.fixture
def gradebook(tmp_path):
    path = tmp_path / "gradebook.db"
    with Gradebook(f"sqlite:///{path}") as book:
        for concept in ("losses", "pooling"):
            book.add_assignment(concept)
            book.add_notebook(concept, concept)
            book.add_grade_cell("checks", concept, concept, max_score=10.0, cell_type="code")
        for student in ("ada", "bob"):
            book.add_student(student)
        for (student, concept), score in SCORES.items():
            book.add_submission(concept, student)
            book.find_grade("checks", concept, concept, student).auto_score = score
        book.db.commit()
    return path


def nbgrader_report(*args):
    return subprocess.run([sys.executable, "-m", "autograder", "nbgrader-report", *map(str, args)], capture_output=True, text=True)


def test_per_concept_scores_go_to_the_gradebook_csv_reports_and_plots(gradebook, tmp_path):
    before = gradebook.read_bytes()
    out = tmp_path / "grades"
    done = nbgrader_report(gradebook, "--out", out)
    assert done.returncode == 0, done.stderr
    with (out / "gradebook.csv").open(encoding="utf-8") as csv_file:
        rows = {row["student"]: row for row in csv.DictReader(csv_file)}
    assert (rows["ada"]["losses"], rows["ada"]["pooling"], rows["ada"]["score"], rows["ada"]["max_score"]) == ("7.5", "10", "17.5", "20")
    assert (rows["bob"]["losses"], rows["bob"]["pooling"], rows["bob"]["convolution"]) == ("0", "0", "0")
    bob = json.loads((out / "reports" / "bob.json").read_text(encoding="utf-8"))
    (pooling,) = [c for c in bob["concepts"] if c["id"] == "pooling"]
    assert [check["status"] for check in pooling["checks"]] == ["not_attempted"]
    assert {p.name for p in (out / "summary").iterdir()} >= {"summary.md", "scores_per_concept.png", "failed_checks.png"}
    assert gradebook.read_bytes() == before


@pytest.mark.parametrize("bad", ["missing.db", "not_a_database.db"])
def test_a_wrong_gradebook_is_one_line_on_stderr(tmp_path, bad):
    (tmp_path / "not_a_database.db").write_text("hello\n")
    done = nbgrader_report(tmp_path / bad, "--out", tmp_path / "grades")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("autograder: error: ")
    assert not (tmp_path / "grades").exists()
