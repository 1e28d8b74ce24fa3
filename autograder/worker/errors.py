"""How student code failed when the grader called it, as a check status and feedback.

These are raised inside a check by the worker's proxies; the plugin turns them into the
check's status. (A stub's NotImplementedError is raised as itself: *not attempted*.)
"""


class StudentCodeFailed(Exception):
    """Student code did not return; `status` is the check's status, the message its feedback."""

    status = "error"


class StudentRaised(StudentCodeFailed):
    status = "error"


class StudentTimedOut(StudentCodeFailed):
    status = "timeout"


class StudentCrashed(StudentCodeFailed):
    status = "crashed"
