"""A worker's failure reply is read as a forgery would be: hidden feedback keeps only the
kind of failure, a built-in exception's name and a line of the submission's own files."""

import pytest

from autograder.worker.errors import StudentRaised
from autograder.worker.replies import expected_shape, failure

LINES = {"losses.py": 120, "helpers.py": 8}


def raised(type_name: str, line: str) -> StudentRaised:
    reply = {"failed": "raised", "type": type_name, "message": "shapes (3, 4) and (4,)", "line": line}
    assert expected_shape(reply)
    error = failure(reply, "mean_squared_error", 3.0, LINES)
    assert isinstance(error, StudentRaised)
    return error


@pytest.mark.parametrize("line", ["losses.py:1", "losses.py:120", "helpers.py:8"])
def test_a_line_of_the_submission_is_shown_in_hidden_feedback_without_the_message(line):
    error = raised("ValueError", line)
    assert error.hidden_message == f"mean_squared_error raised ValueError (at {line})"
    assert str(error) == f"mean_squared_error raised ValueError: shapes (3, 4) and (4,) (at {line})"


@pytest.mark.parametrize("line", ["losses.py:0", "losses.py:121", "losses.py:31337", "helpers.py:9", "other.py:3", "losses.py", "../x.py:1", ""])
def test_a_line_that_is_not_the_submissions_is_shown_nowhere(line):
    error = raised("ValueError", line)
    assert "(at" not in error.hidden_message and "(at" not in str(error)


def test_an_exception_type_of_the_students_own_is_not_named_in_hidden_feedback():
    error = raised("Leak_0p25_1p5", "losses.py:3")
    assert error.hidden_message == "mean_squared_error raised an exception of its own type (at losses.py:3)"
    assert "Leak_0p25_1p5" in str(error)
