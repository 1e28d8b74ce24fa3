"""Hostile submissions are graded to what their honest content deserves, never more, and the
grader, the course and the batch come through unharmed (laws 4 and 5)."""

import hashlib
import os
import shutil

import pytest

from attacks import ALL, ATTACKS, PLANTED_CONFTEST
from autograder.course import CourseRoot, find_course_root
from autograder.grading.batch import grade_folder

COURSE = find_course_root()
TIME_SCALE = 0.3  # 3 s instead of 10 s per check: the loops and bombs cost less to wait out


def digest(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every attack graded in one parallel batch against a private copy of the course."""
    root = tmp_path_factory.mktemp("adversarial")
    course = CourseRoot(root / "course")
    for part in ("solutions", "checks"):
        shutil.copytree(COURSE.path / part, course.path / part)
    class_folder = root / "class"
    for name, (code, _) in ATTACKS.items():
        submission = class_folder / name
        submission.mkdir(parents=True)
        reference = (course.solutions / "losses.py").read_text()
        (submission / "losses.py").write_text(reference + "\n" + code.replace("{course}", str(course.path)))
    (class_folder / "plants_a_conftest" / "conftest.py").write_text(PLANTED_CONFTEST)
    before = {"course": digest(course.path), "class": digest(class_folder)}
    options = {"public_only": False, "concepts": ("losses",), "time_scale": TIME_SCALE}
    result = grade_folder(class_folder, root / "grades", course, jobs=2, options=options)
    return result, before, course, class_folder


def losses_checks(report):
    return {c["id"]: c for c in next(c for c in report["concepts"] if c["id"] == "losses")["checks"]}


def test_the_batch_grades_every_attack_and_dies_on_none(graded):
    result, *_ = graded
    assert result.failed == {}
    assert sorted(result.graded) == sorted(ATTACKS)


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_an_attack_scores_exactly_its_honest_content(graded, attack):
    result, *_ = graded
    checks = losses_checks(result.reports[attack])
    broken = ATTACKS[attack][1]
    expected_failures = set(checks) if broken == ALL else broken
    failed = {check_id for check_id, check in checks.items() if check["status"] != "passed"}
    assert failed == expected_failures, {c: checks[c]["feedback"] for c in failed ^ expected_failures}


def test_failures_carry_the_label_of_what_happened(graded):
    result, *_ = graded
    status = {name: {c["status"] for c in losses_checks(result.reports[name]).values() if c["status"] != "passed"} for name in ATTACKS}
    assert status["loops_forever"] == {"timeout"}
    assert status["bombs_memory"] == {"crashed"}
    assert status["exits_at_import"] == {"crashed"}
    assert status["exits_with_os_exit"] == {"crashed"}
    assert status["raises_keyboard_interrupt"] == {"crashed"}
    assert status["returns_an_ndarray_subclass"] == {"failed"}
    feedback = " ".join(c["feedback"] for c in losses_checks(result.reports["exits_at_import"]).values())
    assert "sys.exit(0)" in feedback
    assert "out of memory" in losses_checks(result.reports["bombs_memory"])["hinge_loss_matches_sklearn"]["feedback"]


def test_the_course_and_the_submissions_are_untouched(graded):
    _, before, course, class_folder = graded
    assert digest(course.path) == before["course"]
    assert digest(class_folder) == before["class"]


@pytest.mark.skipif(os.geteuid() != 0, reason="hiding the course's files from the worker needs root (CI runs as root)")
def test_hidden_checks_and_reference_code_cannot_be_read(graded):
    result, *_ = graded
    checks = losses_checks(result.reports["reads_the_hidden_checks"])
    # a public check shows the student's message (a hidden one never does, issue 11 item 7)
    assert "nothing to steal" in checks["mean_squared_error_small_example"]["feedback"]
    assert "nothing to steal" not in checks["mean_squared_error_matches_sklearn"]["feedback"]
    for check in checks.values():
        assert "def test_" not in check["feedback"] and "BEGIN SOLUTION" not in check["feedback"]
