"""A check's outcome as a status, feedback for the student and the mistake it names.

The plugin calls `classify` for every finished phase of a check, when grading (student
code failed in the worker: `StudentCodeFailed`) and in the student's own run (student
code raised in this process). Feedback of a hidden check never quotes a message that
could echo its inputs (issue 11 item 7), nor anything else student code chooses at run
time (issue 10): a student's exception shows as a built-in type's name there, without
its line, a crash without its exit code; public checks keep the message and the line.
"""

from pathlib import Path

import pytest

from autograder.compare import CheckFailed
from autograder.feedback import recognise
from autograder.mistakes.common import RAISED
from autograder.worker.errors import StudentCodeFailed, StudentRaised, raised_feedback

NOT_WRITTEN = "not written yet: a function this check calls raises NotImplementedError, or it or its module is missing."


def classify(excinfo: pytest.ExceptionInfo | None, *, hidden: bool, folder: Path | None) -> tuple[str, str, str]:
    """(status, feedback, mistake) for one finished check phase; `folder` holds the student
    code that runs in this process (None when grading).

    Decision table: no exception -> passed; NotImplementedError -> not_attempted (its
    message in a public check only);
    CheckFailed -> failed with its message and mistake; student code that raised (in the
    worker or in this process) -> error naming the function, the type and the student's
    line, in a hidden check only a built-in type's name (`raised_feedback`), and a
    known mistake it shows; student code that timed out or crashed -> timeout or crashed
    with its label (a hidden check: its fixed `hidden_message`); a bare assert -> failed
    (its text only in a public check); anything else -> error, never credit.
    """
    if excinfo is None:
        return "passed", "", ""
    error = excinfo.value
    if isinstance(error, NotImplementedError):
        if hidden:  # the student's own NotImplementedError may carry a message of any content
            return "not_attempted", NOT_WRITTEN, ""
        return "not_attempted", str(error) or "this exercise is still a stub", ""
    if isinstance(error, CheckFailed):
        return "failed", str(error), error.mistake
    if isinstance(error, StudentRaised):
        return _raised(error.label, error.type_name, error.message, error.line, hidden)
    if isinstance(error, StudentCodeFailed):
        return error.status, error.hidden_message if hidden else str(error), ""
    student_frame = _student_frame(excinfo, folder)
    if student_frame is not None:
        label, line = student_frame
        return _raised(label, type(error).__name__, _short(error), line, hidden)
    if isinstance(error, AssertionError):
        if hidden:
            return "failed", "the result does not behave as the lecture defines.", ""
        return "failed", _short(error) or "an assertion of this check failed.", ""
    if hidden:
        return "error", f"the check could not use your answer ({type(error).__name__}).", ""
    return "error", f"the check could not use your answer ({type(error).__name__}: {_short(error)}).", ""


def _raised(label: str, type_name: str, message: str, line: str, hidden: bool) -> tuple[str, str, str]:
    """An exception of student code as an error, naming a known mistake it shows."""
    feedback = raised_feedback(label, type_name, message, line, hidden=hidden)
    mistake = recognise(f"{type_name}: {message}", RAISED)
    if mistake is None:
        return "error", feedback, ""
    return "error", f"{feedback}: {mistake.explanation}", mistake.explanation


def _student_frame(excinfo: pytest.ExceptionInfo, folder: Path | None) -> tuple[str, str] | None:
    """(the outermost function of the submission in the traceback, `file.py:line` of the
    innermost one), if student code in `folder` raised."""
    if folder is None:
        return None
    entries = [entry for entry in excinfo.traceback if Path(entry.path).is_relative_to(folder)]
    if not entries:
        return None
    name, innermost = entries[0].frame.code.name, entries[-1]
    label = f"{Path(entries[0].path).stem}.py" if name == "<module>" else name
    return label, f"{Path(innermost.path).name}:{innermost.lineno + 1}"


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else ""
