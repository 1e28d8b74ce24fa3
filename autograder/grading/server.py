"""A grading process: runs one pytest session per request, in this process, and answers
with the signed report.

It is started by `autograder.grading.run.GradingProcess`, reads its signing key from an
inherited file descriptor, then takes one JSON request a line on stdin (the session's
pytest arguments) and answers each with two lines on its original stdout: the report's
signature and the report. Student code never runs here: each session reaches the
submission through sandboxed workers. Reusing the process for many submissions saves the
imports (torch, torch._dynamo, sklearn) that a fresh process would pay for each, at its
first collection; and from its second session on, each session starts the torch sandbox of
the next while it trains (`autograder.worker.spares.Spares`). Its zygotes
(`autograder.worker.zygote`) start with its first sandbox of their kind that they can
serve (the bwrap sandbox, as root; never for the uid sandbox or none): started ahead,
with the session, its torch sandbox waits for the torch zygote's imports while the
session collects and grades its other concepts.
"""

import hashlib
import json
import os
import sys
from pathlib import Path

import pytest

from autograder.heap import keep_freed_memory
from autograder.report.signing import sign
from autograder.worker.spares import keep_spares
from autograder.worker.zygote import stop_zygote


class ReportSink:
    """A pytest plugin object that keeps the session's report, if the session completed."""

    def __init__(self):
        self.report: dict | None = None

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        from autograder.plugin import session_report

        if exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            self.report = session_report(session.config)


class CheckSources:
    """A pytest plugin object that keeps, for each check file this process imported, the
    digest of its source then. pytest takes a module it imported in an earlier session from
    sys.modules (--import-mode=importlib), so a check file edited since (a course's author
    mending a check in the middle of a batch) would keep grading the old way in a warm
    process: `forget_edited()`, before each session, drops such modules, and the session
    imports them again, as a fresh process would."""

    def __init__(self):
        self.imported: dict[Path, str | None] = {}

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector):
        report = yield
        if isinstance(collector, pytest.Module):  # its collection has just imported it
            self.imported.setdefault(collector.path, _digest(collector.path))
        return report

    def forget_edited(self) -> None:
        edited = {path for path, digest in self.imported.items() if _digest(path) != digest}
        if not edited:  # as almost always: spare the walk through torch's thousands of modules
            return
        for name, module in list(sys.modules.items()):
            if getattr(module, "__file__", None) and Path(module.__file__) in edited:
                del sys.modules[name]
        for path in edited:
            del self.imported[path]


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def run_session(arguments: list[str], checks: CheckSources) -> dict | None:
    sink = ReportSink()
    checks.forget_edited()
    pytest.main(arguments, plugins=[sink, checks])
    return sink.report


def serve(key_fd: int) -> None:
    with os.fdopen(key_fd, "rb") as source:
        key = source.read(64)
    requests = os.fdopen(os.dup(0), encoding="utf-8")
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    quiet = os.open(os.devnull, os.O_RDWR)
    # stdin, stdout and stderr are /dev/null for all the process runs and starts: what a
    # process started without stdin of its own inherits is no pipe of the grader's (the
    # requests name other students), and pytest's output does not mix with the replies
    for fd in (0, 1, 2):
        os.dup2(quiet, fd)
    keep_freed_memory()  # the checks' own oracles and clips allocate large arrays too
    checks = CheckSources()
    try:
        for line in requests:
            report = run_session(json.loads(line)["arguments"], checks)
            body = json.dumps(report)
            replies.write(sign(body, key) + "\n")
            replies.flush()
            keep_spares()  # this process grades one submission after another: from its second session on
    finally:
        keep_spares(False)
        stop_zygote()
    # Nothing is left to write or flush: the interpreter's finalisation (torch and sklearn
    # loaded, a second or so) would only keep the grader's close() waiting.
    os._exit(0)

