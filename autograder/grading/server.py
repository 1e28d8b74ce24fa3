"""A grading process: runs one pytest session per request, in this process, and answers
with the signed report.

It is started by `autograder.grading.run.GradingProcess`, reads its signing key from an
inherited file descriptor, then takes one JSON request a line on stdin (the session's
pytest arguments) and answers each with two lines on its original stdout: the report's
signature and the report. Student code never runs here: each session reaches the
submission through sandboxed workers. Reusing the process for many submissions saves the
imports (torch, torch._dynamo, sklearn) that a fresh process would pay for each, at its
first collection; and from its second session on, each session starts the torch sandbox of
the next while it trains (`autograder.worker.sandbox.Spares`).
"""

import json
import os
import sys

import pytest

from autograder.report.signing import sign
from autograder.worker.sandbox import keep_spares


class ReportSink:
    """A pytest plugin object that keeps the session's report, if the session completed."""

    def __init__(self):
        self.report: dict | None = None

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        from autograder.plugin import session_report

        if exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            self.report = session_report(session.config)


def run_session(arguments: list[str]) -> dict | None:
    sink = ReportSink()
    pytest.main(arguments, plugins=[sink])
    return sink.report


def serve(key_fd: int) -> None:
    with os.fdopen(key_fd, "rb") as source:
        key = source.read(64)
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)  # pytest's own output must not mix with the replies
    os.dup2(quiet, 2)
    try:
        for line in sys.stdin:
            report = run_session(json.loads(line)["arguments"])
            body = json.dumps(report)
            replies.write(sign(body, key) + "\n")
            replies.flush()
            keep_spares()  # this process grades one submission after another: from its second session on
    finally:
        keep_spares(False)

