"""The README's first command grades the bundled sample submission: mistakes named, not a crash."""

from autograder.course import find_course_root
from autograder.grading.run import grade_submission
from mutants import grading_process

COURSE = find_course_root()


def test_the_sample_submission_shows_its_three_named_mistakes():
    report = grade_submission(COURSE.path / "examples" / "sample-submission", COURSE, concepts=("losses",), process=grading_process())
    losses = next(c for c in report["concepts"] if c["id"] == "losses")
    statuses = {check["status"] for check in losses["checks"]}
    assert statuses == {"passed", "failed", "not_attempted"}
    feedback = " ".join(check["feedback"] for check in losses["checks"])
    for named in ("naive log(p)", "labels as 0/1", "factor of 2"):
        assert named in feedback
    assert 0 < report["score"] < report["max_score"]
