"""A submission of a few modules, in a bwrap sandbox of its own: how the sandbox tests
drive student code directly, without a grading session."""

import time
from collections.abc import Callable
from pathlib import Path

from autograder.worker.errors import StudentCodeFailed
from autograder.worker.isolation import choose_isolation
from autograder.worker.limits import Limits
from autograder.worker.sandbox import SandboxedSubmission


# Where a `grade` or `grade-all` command's grading server copies a submission's losses.py
# into its sandbox, below the command's TMPDIR
SANDBOX_COPY = "autograder-*/tmp/autograder-sandbox-*/submission/losses.py"


def wait_until(condition: Callable[[], bool], seconds: float, running: Callable[[], bool] = lambda: True) -> None:
    """Poll `condition` every 0.1 s until it holds, `running()` turns false (the process
    waited on ended) or `seconds` pass; the caller's assertions then say what went wrong."""
    deadline = time.monotonic() + seconds
    while not condition() and running() and time.monotonic() < deadline:
        time.sleep(0.1)


def sandboxed(folder: Path, files: dict[str, str], memory_bytes: int | None = None) -> SandboxedSubmission:
    """`files` (module name -> code) written into `folder`, in a sandbox with the default
    limits, or a memory limit of `memory_bytes`. The caller closes it."""
    for module, code in files.items():
        (folder / f"{module}.py").write_text(code, encoding="utf-8")
    limits = Limits() if memory_bytes is None else Limits(memory_bytes=memory_bytes)
    return SandboxedSubmission(folder, choose_isolation("bwrap"), limits)


def held_by_flood(folder: Path, code: str, flood: str, memory_bytes: int) -> int:
    """The bytes the function `flood` of `code` (a module "hoarder") says it holds, run as
    flood(3) under a memory limit of `memory_bytes`; 0 when it failed (refused, or the
    sandbox ended for its memory)."""
    submission = sandboxed(folder, {"hoarder": code}, memory_bytes)
    try:
        submission.start_check(25)
        return getattr(submission.module("hoarder"), flood)(3)
    except StudentCodeFailed:
        return 0
    finally:
        submission.close()
