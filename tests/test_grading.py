"""Grading one submission: full marks for the reference, zero for the stubs, one schema."""

import json
import shutil
from importlib import resources

import jsonschema
import pytest

from autograder.course import find_course_root
from autograder.grading.run import grade_submission
from autograder.registry import CONCEPTS
from autograder.versions import library_versions
from mutants import grading_process

COURSE = find_course_root()
SCHEMA = json.loads(resources.files("autograder.report").joinpath("schema.json").read_text())


def all_checks(report):
    return [check for concept in report["concepts"] for check in concept["checks"]]


def test_the_reference_gets_full_marks_on_every_check(reference_report):
    failing = [(c["id"], c["status"], c["feedback"]) for c in all_checks(reference_report) if c["status"] != "passed"]
    assert failing == []
    assert reference_report["score"] == pytest.approx(reference_report["max_score"])
    for concept in reference_report["concepts"]:
        assert concept["score"] == pytest.approx(concept["max_score"]), concept["id"]


def test_every_concept_with_checks_has_public_and_hidden_ones(reference_report):
    for concept in reference_report["concepts"]:
        if concept["checks"]:
            assert {c["visibility"] for c in concept["checks"]} == {"public", "hidden"}, concept["id"]


def test_the_stubs_score_zero_with_every_check_not_attempted(stub_report):
    assert stub_report["score"] == 0
    assert {c["status"] for c in all_checks(stub_report)} == {"not_attempted"}


def test_reports_list_every_concept_and_validate_against_the_schema(reference_report, stub_report):
    for report in (reference_report, stub_report):
        jsonschema.validate(report, SCHEMA)
        assert [c["id"] for c in report["concepts"]] == [c.id for c in CONCEPTS]
        assert sum(len(c["checks"]) for c in report["concepts"]) == len(all_checks(reference_report))


def test_reports_record_the_graders_numpy_and_torch(reference_report):
    """The grader's versions (issue 11 item 8), beside schema 1's fields, which keep their meaning."""
    assert reference_report["versions"] == library_versions()
    assert {"numpy", "torch", "python"} <= set(reference_report["versions"])
    without = {key: value for key, value in reference_report.items() if key != "versions"}
    jsonschema.validate(without, SCHEMA)  # a report of schema 1 from before, or from nbgrader's gradebook
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(dict(reference_report, versions={"numpy": 2}), SCHEMA)


def test_concept_scores_add_up_to_the_registry_weights(reference_report):
    weights = {c.id: c.weight for c in CONCEPTS}
    for concept in reference_report["concepts"]:
        if concept["checks"]:
            assert concept["max_score"] == weights[concept["id"]]
            assert sum(c["max_points"] for c in concept["checks"]) == pytest.approx(concept["max_score"])


def test_the_same_submission_always_gets_the_same_report():
    """Graded in a grading process of its own and in the one this test run shares with
    other tests' submissions: two processes, neither leaving a trace in the report."""
    first = grade_submission(COURSE.solutions, COURSE, student="ada", concepts=("losses",))
    second = grade_submission(COURSE.solutions, COURSE, student="ada", concepts=("losses",), process=grading_process())
    for report in (first, second):
        report.pop("duration_s")
    assert first == second


def test_a_student_repository_is_graded_from_its_exercises_folder(tmp_path):

    repo = tmp_path / "student-repo"
    shutil.copytree(COURSE.solutions, repo / "exercises")
    report = grade_submission(repo, COURSE, concepts=("losses",), process=grading_process())
    assert report["student"] == "student-repo"
    assert report["score"] == report["max_score"] > 0


def test_public_only_runs_no_hidden_check():
    report = grade_submission(COURSE.solutions, COURSE, public_only=True, concepts=("losses",), process=grading_process())
    assert {c["visibility"] for c in all_checks(report)} == {"public"}


def test_a_syntax_error_in_one_module_costs_only_its_concept(tmp_path):
    import shutil

    submission = tmp_path / "submission"
    shutil.copytree(COURSE.solutions, submission)
    (submission / "pooling.py").write_text("def max_pool2d(x, kernel_size, stride=None)\n    return x\n")
    report = grade_submission(submission, COURSE, concepts=("losses", "pooling"), process=grading_process())
    by_concept = {c["id"]: c for c in report["concepts"]}
    assert by_concept["losses"]["score"] == by_concept["losses"]["max_score"] > 0
    pooling = by_concept["pooling"]["checks"]
    assert pooling and {c["status"] for c in pooling} == {"error"}
    assert all("SyntaxError" in c["feedback"] for c in pooling)


@pytest.mark.parametrize(("time_scale", "passes"), [(0.1, False), (0.5, True)])
def test_the_import_limit_scales_with_the_time_scale(tmp_path, time_scale, passes):
    """A module whose import takes 3 s (as `import torch` may on a loaded machine) fails at a
    tenth of the usual limits and passes at half of them: --time-scale scales the import's
    20 s as it scales each check's limit."""
    (tmp_path / "losses.py").write_text("import time\n\ntime.sleep(3)\n" + (COURSE.solutions / "losses.py").read_text())
    report = grading_process().grade(tmp_path, COURSE, student="slow-import", concepts=("losses",), time_scale=time_scale)
    statuses = {c["status"] for c in all_checks(report)}
    assert statuses == ({"passed"} if passes else {"timeout"}), statuses


def test_a_missing_function_is_not_attempted_and_named(tmp_path):
    """A module without one of the exercise's functions (written before it was added, or
    renamed) loses that function's checks as not attempted, named in the public check,
    never as "raised AttributeError"."""
    source = (COURSE.solutions / "losses.py").read_text()
    (tmp_path / "losses.py").write_text(source.replace("def hinge_loss(", "def my_hinge_loss("))
    report = grading_process().grade(tmp_path, COURSE, student="renamed", concepts=("losses",))
    failing = {c["id"]: c for c in all_checks(report) if c["status"] != "passed"}
    assert failing and {c["status"] for c in failing.values()} == {"not_attempted"}
    assert any("losses.py has no 'hinge_loss'" in c["feedback"] for c in failing.values() if c["visibility"] == "public")


def test_every_view_gives_the_reference_full_marks_and_the_stubs_zero(reference_report, stub_report):
    from xml.etree import ElementTree

    from autograder.report.views import VIEWS, render

    for report, full in ((reference_report, True), (stub_report, False)):
        total = report["max_score"]
        expected_score = total if full else 0
        assert f"Points {expected_score:g}/{total:g}" in render(report, "points")
        assert json.loads(render(report, "gradescope"))["score"] == pytest.approx(expected_score)
        assert json.loads(render(report, "json"))["score"] == pytest.approx(expected_score)
        junit = ElementTree.fromstring(render(report, "junit"))
        outcomes = {child.tag for case in junit.iter("testcase") for child in case if child.tag != "properties"}
        assert outcomes == (set() if full else {"skipped"})
        assert f"## Per-concept results: {expected_score:g} / {total:g}" in render(report, "markdown")
        assert f"{expected_score:g} / {total:g}" in render(report, "table", color=False)
        assert set(VIEWS) == {"table", "json", "markdown", "junit", "gradescope", "points"}


def test_a_module_that_imports_its_sibling_as_a_package_gets_the_students_own(tmp_path):
    """`from exercises.nonlinearities import relu` (a student repository run from its root)
    imports the submission's own file when graded, never the course's stubs or nothing."""
    for module in ("nonlinearities", "backprop"):
        (tmp_path / f"{module}.py").write_text((COURSE.solutions / f"{module}.py").read_text())
    with open(tmp_path / "backprop.py", "a") as backprop:
        backprop.write("\n\nfrom exercises.nonlinearities import relu as _relu\n_dense_forward = dense_forward\n\n\n")
        backprop.write("def dense_forward(x, W, b):\n    return _dense_forward(x, W, b) + 0 * _relu(x[:1, :1])[0, 0]\n")
    report = grading_process().grade(tmp_path, COURSE, student="package-style", concepts=("backprop",))
    assert {c["status"] for c in all_checks(report)} == {"passed"}


def test_the_grading_process_reads_its_requests_from_a_pipe_no_process_it_starts_inherits():
    """Its stdin, stdout and stderr are /dev/null (its sessions run without pytest's capture):
    a process a check starts without stdin of its own inherits no pipe of the grader's,
    whose requests name other students."""
    import os

    process = grading_process()
    process.grade(COURSE.solutions, COURSE, student="pipes", concepts=("losses",))
    assert [os.readlink(f"/proc/{process.process.pid}/fd/{fd}") for fd in (0, 1, 2)] == ["/dev/null"] * 3


def test_a_session_killed_midway_leaves_no_copy_of_the_submission(tmp_path):
    """A session that hangs is killed (`GradingProcess.stop`), and never removes its
    sandbox's folder (the submission's copy, its work folder) itself: the grading process
    does, so a batch with hung submissions does not fill the machine's /tmp."""
    import threading
    import time

    from autograder.grading.run import GradingProcess

    submission = tmp_path / "submission"
    shutil.copytree(COURSE.solutions, submission)
    (submission / "losses.py").write_text("import time\ntime.sleep(600)\n", encoding="utf-8")
    with GradingProcess() as process:
        outcome = []
        grading = threading.Thread(target=lambda: outcome.append(_failure_of(process.grade, submission, COURSE, student="hung", concepts=("losses",))))
        grading.start()
        deadline = time.monotonic() + 120
        while not list(process.scratch.glob("autograder-sandbox-*/submission/losses.py")) and time.monotonic() < deadline:
            time.sleep(0.1)
        copies = list(process.scratch.glob("autograder-sandbox-*"))
        assert copies, "the session made no sandbox"
        process.process.kill()  # as _ask does when the session outlives its limit
        grading.join()
        assert outcome == ["the grading session ended without a report"]
        assert not any(copy.exists() for copy in copies)
        # the next submission is graded as usual
        assert process.grade(COURSE.solutions, COURSE, student="next", concepts=("losses",))["score"] > 0
    assert not process.home.exists()


def _failure_of(call, *arguments, **options) -> str:
    try:
        call(*arguments, **options)
    except RuntimeError as failure:
        return str(failure)
    return "no failure"
