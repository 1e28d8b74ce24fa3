"""What a newcomer teaching assistant met when following the README: a class graded with
`grade-all --concept X` has reports that hold concept X only, and the gradebook and the
summary must not show the other concepts as earned zeros; `nbgrader-grade` run outside the
nbgrader course folder must say where to run it."""

import csv
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.report.gradebook import render_gradebook
from autograder.report.model import CheckResult, build_report
from autograder.registry import CONCEPTS
from autograder.report.summary import write_summary

CHECKOUT = Path(__file__).resolve().parent.parent


def concept_only_report(student: str, concept: str, passed: bool) -> dict:
    """A report as `autograder grade --concept <concept>` makes it: that concept alone."""
    (graded,) = [c for c in CONCEPTS if c.id == concept]
    result = CheckResult(concept, "a_check", "public", 1.0, "passed" if passed else "failed", "")
    made = build_report([result], submission=f"class/{student}", student=student, duration_s=1.0, concepts=[graded])
    made.update(status="graded", reason="", intake={"files": {}, "refused": {}, "notes": []})
    return made


def test_a_concept_that_was_not_graded_is_blank_in_the_gradebook_not_zero():
    reports = {"ada": concept_only_report("ada", "pooling", passed=True), "bo": concept_only_report("bo", "pooling", passed=False)}
    rows = {row["student"]: row for row in csv.DictReader(io.StringIO(render_gradebook(reports)))}
    assert (rows["ada"]["pooling"], rows["bo"]["pooling"]) == ("10", "0")  # graded: a zero is a zero
    assert {rows[s][c.id] for s in rows for c in CONCEPTS if c.id != "pooling"} == {""}


def test_the_summary_says_a_concept_was_not_graded_rather_than_a_mean_of_zero(tmp_path):
    reports = {"ada": concept_only_report("ada", "pooling", passed=True)}
    write_summary(reports, tmp_path)
    lines = (tmp_path / "summary.md").read_text(encoding="utf-8").splitlines()
    (losses,) = [line for line in lines if line.startswith("| Loss functions |")]
    (pooling,) = [line for line in lines if line.startswith("| Pooling")]
    assert losses == "| Loss functions | not graded | |"
    assert pooling == "| Pooling, invariance and equivariance | 10.00 | 10 |"


def test_nbgrader_grade_run_outside_the_course_folder_says_where_to_run_it(tmp_path):
    """Run from the checkout rather than `course/`, the refusal used to say only `gradebook.db:
    no nbgrader gradebook (run nbgrader generate_assignment first)`, which sends a TA to make
    a new gradebook instead of changing folder."""
    pytest.importorskip("nbgrader")
    done = subprocess.run([sys.executable, "-m", "autograder", "nbgrader-grade", "losses"], cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(CHECKOUT)})
    assert done.returncode == 2 and done.stdout == ""
    assert "course/" in done.stderr and "--nbgrader-course" in done.stderr, done.stderr


def test_nbgrader_grade_names_its_argument_as_the_readme_does():
    """`autograder nbgrader-grade ASSIGNMENT` in the README; the usage line and the refusal of
    a wrong name said `{losses|gradient_descent|...}` instead, wrapped over four lines."""
    done = subprocess.run([sys.executable, "-m", "autograder", "nbgrader-grade", "bogus"], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(CHECKOUT)})
    assert done.returncode == 2
    assert "Invalid value for 'ASSIGNMENT...': 'bogus' is not one of 'losses'," in done.stderr, done.stderr


def test_the_score_plot_has_a_box_only_for_the_concepts_that_were_graded():
    from autograder.report.summary import _score_distribution

    figure = _score_distribution({"ada": concept_only_report("ada", "pooling", passed=True)})
    assert [label.get_text() for label in figure.axes[0].get_xticklabels()] == ["pooling"]


def test_grade_all_given_one_submission_warns_before_grading_its_modules_as_students(tmp_path):
    """`grade-all class/alice` (one student's folder of modules) graded losses.py and
    pooling.py as two students named `losses` and `pooling`, without a word."""
    one = tmp_path / "alice"
    one.mkdir()
    for module in ("losses", "pooling"):
        (one / f"{module}.py").write_text((CHECKOUT / "solutions" / f"{module}.py").read_text())
    command = [sys.executable, "-m", "autograder", "grade-all", str(one), "--out", str(tmp_path / "grades"), "-j", "1", "--concept", "losses", "--public-only"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(CHECKOUT)})
    assert done.returncode == 0, done.stderr
    assert f"autograder: warning: {one}: looks like one submission, not a class (losses, pooling, ... are graded as students); `autograder grade {one}` grades it as one" in done.stderr


@pytest.mark.slow(seconds=5)  # a grade-all started and stopped
def test_an_interrupted_grade_all_says_that_running_it_again_resumes(tmp_path):
    """Ended mid-batch, grade-all said only `autograder: error: terminated`, which reads as
    a failure; the README's promise (kill it and run it again) belongs in that line."""
    one = tmp_path / "class" / "ada"
    one.mkdir(parents=True)
    (one / "losses.py").write_text((CHECKOUT / "solutions" / "losses.py").read_text())
    command = [sys.executable, "-m", "autograder", "grade-all", str(one.parent), "--out", str(tmp_path / "grades"), "-j", "1"]
    batch = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(CHECKOUT)})
    deadline = time.monotonic() + 60
    while not (tmp_path / "grades" / "reports").is_dir() and batch.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    batch.send_signal(signal.SIGTERM)
    _, stderr = batch.communicate(timeout=120)
    assert batch.returncode == 143, stderr
    assert stderr.endswith("autograder: error: terminated; the reports written so far are kept: run the same command again to grade the rest\n"), stderr
