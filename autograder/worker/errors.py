"""How student code failed when the grader called it, as a check status and feedback.

These are raised inside a check by the worker's proxies; the plugin turns them into the
check's status. (A stub's NotImplementedError is raised as itself: *not attempted*.)
"""


class StudentCodeFailed(Exception):
    """Student code did not return; `status` is the check's status, the message its feedback."""

    status = "error"


class StudentRaised(StudentCodeFailed):
    """Student code raised an exception. Its parts are kept apart so that a hidden check's
    feedback can name the type and the student's line without the message, which may
    echo hidden inputs (a ValueError quoting a shape). Its args are the four parts, so
    `type(error)(*error.args)` makes a copy."""

    status = "error"

    def __init__(self, label: str, type_name: str, message: str, line: str = ""):
        super().__init__(label, type_name, message, line)
        self.label = label  # the function the check called (`conv2d`, `Value.backward`)
        self.type_name = type_name  # the exception's type, `ValueError`
        self.message = message  # the student's own text
        self.line = line  # `file.py:line` of the innermost frame of the submission

    def __str__(self) -> str:
        return raised_feedback(self.label, self.type_name, self.message, self.line, hidden=False)


class StudentTimedOut(StudentCodeFailed):
    status = "timeout"


class StudentCrashed(StudentCodeFailed):
    status = "crashed"


def timed_out(label: str) -> StudentTimedOut:
    """The one wording of a time limit reached, in the grader and in the student's pytest."""
    return StudentTimedOut(f"{label} did not finish within its time limit (an endless loop?)")


def raised_feedback(label: str, type_name: str, message: str, line: str, *, hidden: bool) -> str:
    """`conv2d raised ValueError: <message> (at convolution.py:42)`; without the message
    in a hidden check."""
    where = f" (at {line})" if line else ""
    text = f": {message}" if message and not hidden else ""
    return f"{label} raised {type_name}{text}{where}"
