"""How student code failed when the grader called it, as a check status and feedback.

These are raised inside a check by the worker's proxies; the plugin turns them into the
check's status. (A stub's NotImplementedError is raised as itself: *not attempted*.)

A hidden check's feedback carries nothing that student code chooses at run time, since
that choice may depend on the hidden inputs (issue 10): no message, no exit code, no type
name of the student's own making. What it may say comes from a fixed vocabulary: the
function the check called, a built-in exception's name, a fixed text, and the student's
line (issue 11 item 7), which the grader keeps only if it is a line of the submission's
own files.
"""

import builtins


# Exception names a hidden check may show: Python's own, a fixed list no submission adds to.
BUILTIN_EXCEPTIONS = frozenset(name for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, BaseException))
OWN_EXCEPTION = "an exception of its own type"


class StudentCodeFailed(Exception):
    """Student code did not return; `status` is the check's status, the message its feedback
    in a public check, `hidden_message` (default: the message) in a hidden one. The args
    are (message, hidden_message), so `type(error)(*error.args)` makes a copy."""

    status = "error"

    def __init__(self, message: str = "", hidden_message: str | None = None):
        super().__init__(message, message if hidden_message is None else hidden_message)

    def __str__(self) -> str:
        return self.args[0]

    @property
    def hidden_message(self) -> str:
        return self.args[1]


class StudentRaised(StudentCodeFailed):
    """Student code raised an exception. Its parts are kept apart so that a hidden check's
    feedback can name the type and the student's line without the message, which may
    echo hidden inputs (a ValueError quoting a shape). Its args are the four parts, so
    `type(error)(*error.args)` makes a copy."""

    status = "error"

    def __init__(self, label: str, type_name: str, message: str, line: str = ""):
        Exception.__init__(self, label, type_name, message, line)
        self.label = label  # the function the check called (`conv2d`, `Value.backward`)
        self.type_name = type_name  # the exception's type, `ValueError`
        self.message = message  # the student's own text
        self.line = line  # `file.py:line` of the innermost frame of the submission

    def __str__(self) -> str:
        return raised_feedback(self.label, self.type_name, self.message, self.line, hidden=False)

    @property
    def hidden_message(self) -> str:
        return raised_feedback(self.label, self.type_name, self.message, self.line, hidden=True)


class StudentTimedOut(StudentCodeFailed):
    status = "timeout"


class StudentCrashed(StudentCodeFailed):
    status = "crashed"


def timed_out(label: str) -> StudentTimedOut:
    """The one wording of a time limit reached, in the grader and in the student's pytest."""
    return StudentTimedOut(f"{label} did not finish within its time limit (an endless loop?)")


def raised_feedback(label: str, type_name: str, message: str, line: str, *, hidden: bool) -> str:
    """`conv2d raised ValueError: <message> (at convolution.py:42)` in a public check;
    `conv2d raised ValueError (at convolution.py:42)` in a hidden one: no message, and a
    type of the student's own as `an exception of its own type`."""
    where = f" (at {line})" if line else ""
    if hidden:
        return f"{label} raised {type_name if type_name in BUILTIN_EXCEPTIONS else OWN_EXCEPTION}{where}"
    return f"{label} raised {type_name}{f': {message}' if message else ''}{where}"
