"""Class grading: every submission graded, a kill loses nothing, a rerun repeats nothing."""

import csv
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from autograder.course import find_course_root

COURSE = find_course_root()
STUDENTS = ("ada", "bob", "cyd", "dan", "eve")


@pytest.fixture
def classroom(tmp_path):
    """A frozen course copy and a class folder: three good, one sample, one broken, one not a submission."""
    course = tmp_path / "course"
    for part in ("solutions", "checks"):
        shutil.copytree(COURSE.path / part, course / part)
    folder = tmp_path / "class"
    for student in ("ada", "bob", "dan"):
        shutil.copytree(COURSE.solutions, folder / student / "exercises")  # cloned repositories
    shutil.copytree(COURSE.path / "examples" / "sample-submission", folder / "cyd")
    (folder / "eve").mkdir()
    (folder / "eve" / "losses.py").write_text("def mean_squared_error(y_true, y_pred)\n    return 0\n")
    (folder / "notes").mkdir()
    return course, folder, tmp_path / "grades"


def grade_all(course, folder, out, *extra):
    command = [sys.executable, "-m", "autograder", "grade-all", str(folder), "--out", str(out), "--course-root", str(course), "--concept", "losses", *extra]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def test_a_killed_batch_resumes_without_losing_or_repeating_a_grade(classroom):
    course, folder, out = classroom
    first = grade_all(course, folder, out, "-j", "1")
    deadline = time.monotonic() + 240
    while not list((out / "reports").glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    finished = {p.name: p.read_bytes() for p in (out / "reports").glob("*.json")}
    assert 1 <= len(finished) < len(STUDENTS)
    second = grade_all(course, folder, out)
    stdout, stderr = second.communicate(timeout=600)
    assert second.returncode == 0, stderr
    assert f"{len(STUDENTS) - len(finished)} graded, {len(finished)} unchanged and reused, 0 failed" in stdout
    assert "notes: no exercise modules, skipped" in stderr
    for name, content in finished.items():
        assert (out / "reports" / name).read_bytes() == content
    with open(out / "gradebook.csv") as gradebook:
        rows = {row["student"]: row for row in csv.DictReader(gradebook)}
    assert sorted(rows) == sorted(STUDENTS)
    assert rows["ada"]["losses"] == "10" and rows["eve"]["losses"] == "0"
    assert 0 < float(rows["cyd"]["losses"]) < 10
    for plot in ("scores_per_concept.png", "failed_checks.png", "named_mistakes.png", "summary.md"):
        assert (out / "summary" / plot).stat().st_size > 0


def test_a_changed_submission_is_graded_again(classroom):
    course, folder, out = classroom
    assert grade_all(course, folder, out).wait(timeout=600) == 0
    (folder / "eve" / "losses.py").write_text((COURSE.solutions / "losses.py").read_text())
    again = grade_all(course, folder, out)
    stdout, _ = again.communicate(timeout=600)
    assert "1 graded, 4 unchanged and reused" in stdout


def refused(course, folder, out):
    done = subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(folder), "--out", str(out), "--course-root", str(course)], capture_output=True, text=True)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("autograder: error: ")
    assert not out.exists()
    return done.stderr


def test_an_output_folder_inside_the_class_folder_is_refused(classroom):
    course, folder, _ = classroom
    assert "may not be inside" in refused(course, folder, folder / "grades")


def test_a_folder_without_submissions_is_refused(classroom):
    course, folder, out = classroom
    empty = folder.parent / "empty-class"
    empty.mkdir()
    assert "no submissions found" in refused(course, empty, out)
