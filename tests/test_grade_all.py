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
CLASS_SIZE = 30
HOSTILE = {
    "syntax": "def mean_squared_error(y_true, y_pred)\n    return 0\n",
    "exits": "import sys\nsys.exit(0)\n",
    "loops": "\ndef hinge_loss(y_true, scores):\n    while True:\n        pass\n",
}


@pytest.fixture
def classroom(tmp_path):
    """A frozen course copy and a class of 30: good repositories, samples, stubs, broken and
    hostile submissions, and one empty folder, which is listed as not submitted."""
    course = tmp_path / "course"
    for part in ("solutions", "checks"):
        shutil.copytree(COURSE.path / part, course / part)
    folder = tmp_path / "class"
    kinds = ["repository", "sample", "stubs", *HOSTILE]
    for index in range(CLASS_SIZE):
        kind = kinds[index % len(kinds)]
        target = folder / f"s{index:02d}-{kind}"
        if kind == "repository":
            shutil.copytree(COURSE.solutions, target / "exercises")
        elif kind == "sample":
            shutil.copytree(COURSE.path / "examples" / "sample-submission", target)
        elif kind == "stubs":
            shutil.copytree(COURSE.exercises, target)
        else:
            target.mkdir(parents=True)
            (target / "losses.py").write_text((COURSE.solutions / "losses.py").read_text() + "\n" + HOSTILE[kind])
    (folder / "notes").mkdir()
    return course, folder, tmp_path / "grades"


def grade_all(course, folder, out, *extra):
    command = [
        sys.executable, "-m", "autograder", "grade-all", str(folder), "--out", str(out), "--course-root", str(course),
        "--concept", "losses", "--time-scale", "0.2", *extra,
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def test_a_killed_batch_resumes_without_losing_or_repeating_a_grade(classroom):
    course, folder, out = classroom
    first = grade_all(course, folder, out)
    deadline = time.monotonic() + 300
    while len(list((out / "reports").glob("*.json"))) < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    finished = {p.name: p.read_bytes() for p in (out / "reports").glob("*.json")}
    assert 4 <= len(finished) < CLASS_SIZE
    second = grade_all(course, folder, out)
    stdout, stderr = second.communicate(timeout=900)
    assert second.returncode == 0, stderr
    entries = CLASS_SIZE + 1
    assert f"{entries} entries ({CLASS_SIZE} graded, 1 not submitted): {entries - len(finished)} graded, {len(finished)} unchanged and reused, 0 failed" in stdout
    assert "autograder: warning: notes: not submitted (it holds no files)" in stderr
    for name, content in finished.items():
        assert (out / "reports" / name).read_bytes() == content
    with open(out / "gradebook.csv") as gradebook:
        rows = {row["student"]: row for row in csv.DictReader(gradebook)}
    assert len(rows) == entries and rows.pop("notes")["status"] == "not_submitted"
    scores = {name.split("-", 1)[1]: float(row["losses"]) for name, row in rows.items()}
    assert scores["repository"] == 10 and scores["stubs"] == 0 and scores["syntax"] == 0 and scores["exits"] == 0
    assert 0 < scores["sample"] < 10 and 0 < scores["loops"] < 10
    for plot in ("scores_per_concept.png", "failed_checks.png", "named_mistakes.png", "summary.md"):
        assert (out / "summary" / plot).stat().st_size > 0


def test_a_changed_submission_is_graded_again(classroom):
    course, folder, out = classroom
    assert grade_all(course, folder, out).wait(timeout=600) == 0
    (folder / "s03-syntax" / "losses.py").write_text((COURSE.solutions / "losses.py").read_text())
    again = grade_all(course, folder, out)
    stdout, _ = again.communicate(timeout=600)
    assert f"1 graded, {CLASS_SIZE} unchanged and reused" in stdout


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
