"""Class grading: every submission graded, a kill loses nothing, a rerun repeats nothing."""

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from autograder.course import find_course_root

COURSE = find_course_root()
CLASS_SIZE = 12  # each kind of submission twice: one may be graded before the kill, one after
HOSTILE = {
    "syntax": "def mean_squared_error(y_true, y_pred)\n    return 0\n",
    "exits": "import sys\nsys.exit(0)\n",
    "loops": "\ndef hinge_loss(y_true, scores):\n    while True:\n        pass\n",
}


def make_classroom(root):
    """A frozen course copy and a class of 12 under `root`: good repositories, samples, stubs,
    broken and hostile submissions, and one empty folder, which is listed as not submitted."""
    course = root / "course"
    for part in ("solutions", "checks"):
        shutil.copytree(COURSE.path / part, course / part)
    folder = root / "class"
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
    return course, folder, root / "grades"


@pytest.fixture
def classroom(tmp_path):
    """The class in this test's own folder, for a test that changes nothing graded."""
    return make_classroom(tmp_path)


def grade_all(course, folder, out, *extra):
    command = [
        sys.executable, "-m", "autograder", "grade-all", str(folder), "--out", str(out), "--course-root", str(course),
        "--concept", "losses", "--time-scale", "0.2", *extra,
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


@pytest.fixture(scope="module")
def resumed(tmp_path_factory):
    """The class graded by a batch killed after its fourth report and then run again: the
    folders, the reports the killed batch had finished, and the second run."""
    root = tmp_path_factory.mktemp("resumed")
    course, folder, out = make_classroom(root)
    first = grade_all(course, folder, out)
    deadline = time.monotonic() + 300
    while len(list((out / "reports").glob("*.json"))) < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    finished = {p.name: p.read_bytes() for p in (out / "reports").glob("*.json")}
    second = grade_all(course, folder, out)
    stdout, stderr = second.communicate(timeout=900)
    return root, finished, second.returncode, stdout, stderr


@pytest.mark.slow(seconds=70)
def test_a_killed_batch_resumes_without_losing_or_repeating_a_grade(resumed):
    root, finished, returncode, stdout, stderr = resumed
    out = root / "grades"
    assert 4 <= len(finished) < CLASS_SIZE
    assert returncode == 0, stderr
    entries = CLASS_SIZE + 1
    assert f"{entries} entries ({CLASS_SIZE} graded, 1 not submitted): {entries - len(finished)} graded, {len(finished)} unchanged and reused, 0 failed" in stdout
    assert "autograder: warning: notes: not submitted (it holds no files)" in stderr
    for name, content in finished.items():
        assert (out / "reports" / name).read_bytes() == content
    with open(out / "gradebook.csv") as gradebook:
        rows = {row["student"]: row for row in csv.DictReader(gradebook)}
    assert len(rows) == entries and rows.pop("notes")["status"] == "not_submitted"
    scores: dict[str, set[float]] = {}
    for name, row in rows.items():
        scores.setdefault(name.split("-", 1)[1], set()).add(float(row["losses"]))
    assert (scores["repository"], scores["stubs"], scores["syntax"], scores["exits"]) == ({10}, {0}, {0}, {0})
    assert all(0 < score < 10 for score in scores["sample"] | scores["loops"])
    for plot in ("scores_per_concept.png", "failed_checks.png", "named_mistakes.png", "summary.md"):
        assert (out / "summary" / plot).stat().st_size > 0


def test_a_changed_submission_is_graded_again(resumed, tmp_path):
    """On a copy of the resumed batch, fully graded: the grades hang on what was graded,
    never on where the folders are."""
    root, _, returncode, _, stderr = resumed
    assert returncode == 0, stderr
    for part in ("course", "class", "grades"):
        shutil.copytree(root / part, tmp_path / part, symlinks=True)
    course, folder, out = tmp_path / "course", tmp_path / "class", tmp_path / "grades"
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


def small_class(tmp_path, students: dict[str, str]):
    """A frozen course copy and a class of one `losses.py` per student (name -> its text)."""
    course = tmp_path / "course"
    for part in ("solutions", "checks"):
        shutil.copytree(COURSE.path / part, course / part)
    for name, text in students.items():
        (tmp_path / "class" / name).mkdir(parents=True)
        (tmp_path / "class" / name / "losses.py").write_text(text)
    return course, tmp_path / "class", tmp_path / "grades"


def gradebook_rows(out) -> list[list[str]]:
    with open(out / "gradebook.csv", newline="") as gradebook:
        return list(csv.reader(gradebook))[1:]


# folder name -> its gradebook cell: a leading quote; a tab in a name is shown escaped by the intake
FORMULA_IDS = {"-2+3": "'-2+3", "--help": "'--help", "@SUM(1)": "'@SUM(1)", "=1+1": "'=1+1", "+cmd": "'+cmd", "\t=1": "\\t=1"}


@pytest.mark.slow(seconds=20)
def test_ids_that_look_like_options_or_formulas_are_graded_and_shown_as_text(tmp_path):
    """A folder named `-2+3` was read by pytest as an option (never graded) and reached the
    gradebook as a formula. Each is graded in full under its own id, and its gradebook cell
    starts with a quote, as every cell that a spreadsheet would run."""
    reference = (COURSE.solutions / "losses.py").read_text()
    course, folder, out = small_class(tmp_path, {name: reference for name in FORMULA_IDS})
    done = grade_all(course, folder, out, "-j", "2", "--time-scale", "3")
    stdout, stderr = done.communicate(timeout=900)
    assert done.returncode == 0, stderr
    rows = gradebook_rows(out)
    assert sorted(row[0] for row in rows) == sorted(FORMULA_IDS.values())
    assert {(row[1], row[2]) for row in rows} == {("graded", "10")}
    for name in FORMULA_IDS:
        student = name.replace("\t", "\\t")
        report = json.loads((out / "reports" / f"{student}.json").read_text())
        assert report["student"] == student and report["score"] == 10


@pytest.mark.slow(seconds=15)
def test_a_submission_that_only_waits_gets_its_report_within_its_total_time_limit(tmp_path):
    """Every function sleeps, so its checks' own limits add up to more than a session may
    take: the row said `failed`, on every rerun. Now the checks left once the submission's
    total limit is used up are recorded as timed out with 0 points, the report and the row
    are written, and the classmate graded beside it loses nothing."""
    stub = (COURSE.exercises / "losses.py").read_text()
    sleeper = re.sub(r"raise NotImplementedError(\([^)]*\))?", "__import__('time').sleep(10**6)", stub)
    course, folder, out = small_class(tmp_path, {"sleeper": sleeper, "honest": (COURSE.solutions / "losses.py").read_text()})
    # 6 s for all 21 checks together, counted from the first one's start (the honest
    # classmate's take about one, its sandbox's start included), 5 s for each on its own
    total_s, scale = 12, 0.5
    patched = f"import sys, autograder.grading.run as run; run.SUBMISSION_LIMIT_S = {total_s}; from autograder.cli import main; sys.exit(main())"
    command = [sys.executable, "-c", patched, "grade-all", str(folder), "--out", str(out), "--course-root", str(course), "--concept", "losses", "--time-scale", str(scale), "-j", "2"]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < total_s * scale + 240  # not the 21 x 5 s of the checks' own limits
    rows = {row[0]: row for row in gradebook_rows(out)}
    assert (rows["sleeper"][1], rows["sleeper"][2]) == ("graded", "0") and (rows["honest"][1], rows["honest"][2]) == ("graded", "10")
    checks = [check for concept in json.loads((out / "reports" / "sleeper.json").read_text())["concepts"] for check in concept["checks"]]
    assert len(checks) == 21 and {check["status"] for check in checks} == {"timeout"}
    never_run = [check for check in checks if check["feedback"].startswith("not graded in time")]
    assert 0 < len(never_run) < 21
    assert never_run[0]["feedback"] == f"not graded in time: this submission's checks took all of their {total_s * scale:g} s together, so this one was never run"


SLOW_COLLECTION = """
import time

import pytest

time.sleep(1.5)  # collecting this file takes longer than the session's total time limit


@pytest.mark.concept("losses")
@pytest.mark.parametrize("n", range(3))
def test_quick(n):
    pass


@pytest.mark.concept("losses")
def test_waits():
    time.sleep(60)


@pytest.mark.concept("losses")
def test_quick_after():
    pass
"""


def test_the_total_time_limit_counts_from_the_first_checks_start(tmp_path):
    """The session's start and its collection (the checks' imports: torch, seconds on a
    loaded machine) are the grader's time, not the submission's checks'. Here collection
    takes 1.5 s of a 1 s total: the quick checks still pass (they were all recorded as not
    graded in time when the total counted from the session's start), the waiting one
    times out at the total, and the one after it is never run."""
    (tmp_path / "test_slow_collection.py").write_text(SLOW_COLLECTION, encoding="utf-8")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-rA", "--total-time-limit=1", "test_slow_collection.py"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    outcomes = {line.split()[1]: line.split()[0] for line in done.stdout.splitlines() if line.startswith(("PASSED ", "FAILED ", "ERROR "))}
    assert outcomes == {
        **{f"test_slow_collection.py::test_quick[{n}]": "PASSED" for n in range(3)},
        "test_slow_collection.py::test_waits": "FAILED",
        "test_slow_collection.py::test_quick_after": "ERROR",
    }, done.stdout
    assert "not graded in time: this submission's checks took all of their 1 s together" in done.stdout
