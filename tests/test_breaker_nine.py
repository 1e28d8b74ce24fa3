"""Breaker round 9: the warm grading process's spare torch sandbox, `stop_when_idle`, and
the cached `--concept` marks (commits 5729683, 7231558). Each test names a fault it found
and failed until it was mended.

- SIGTERM (or an interrupt) sent to `autograder grade` alone, mid-session, now takes the
  full CLOSE_LIMIT_S to end: `_ask` clears `asking` in its `finally` before `close()`
  asks whether the process is busy, so the busy server is treated as idle.
- a warm grading process grades with the check module it imported in an earlier session:
  a check file the TA edited between two sessions is re-read for its marks (the new
  `_marked_in` cache is keyed by content, and holds), but not re-imported.
- `close()` of a grading process that holds no spare (every `autograder grade`, every
  notebook's own check cell) waited for the server's normal exit: 0.9 s, not 0.05 s.
"""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from mutants import COURSE, plant
from sandboxed import SANDBOX_COPY, wait_until

from autograder.course import CourseRoot
from autograder.grading.run import GradingProcess


@pytest.mark.slow(seconds=8)
def test_sigterm_to_the_grade_command_mid_session_ends_it_at_once(tmp_path):
    """FAULT: `GradingProcess._ask` sets `asking` around the wait for the report and clears
    it in its `finally`; an interrupt in that wait (the CLI turns SIGTERM into Terminated,
    a KeyboardInterrupt) runs the `finally` first, so `close()` (from `grade_submission`'s
    `with`) sees an idle server, closes its input and waits CLOSE_LIMIT_S (10 s) for a
    server that is still grading, then kills it. Before 7231558 `close()` killed it at
    once. SIGTERM reaches the command alone when a process manager, `kill PID`, a
    wrapping tool's `Popen.terminate()` or a container's stop signals its pid only.
    Reproducer: `autograder grade SUB --concept losses` where losses.py sleeps at import;
    once the session runs, SIGTERM to the command's pid. Found: it ends about 10 s later.
    Expected: within a few seconds, as before."""
    submission = plant(tmp_path, {"losses": "import time as _time\n_time.sleep(600)\n"})
    scratch = tmp_path / "tmpdir"  # where the server copies the submission into its sandbox
    scratch.mkdir()
    scratch.chmod(0o755)
    environment = {**os.environ, "TMPDIR": str(scratch), "PYTHONPATH": str(COURSE.path)}
    command = [sys.executable, "-m", "autograder", "grade", str(submission), "--course-root", str(COURSE.path), "--concept", "losses", "--format", "json"]
    grader = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        wait_until(lambda: any(scratch.glob(SANDBOX_COPY)), 120, running=lambda: grader.poll() is None)
        time.sleep(2)  # the server runs the session: the import of losses.py sleeps
        assert grader.poll() is None, grader.stderr.read()
        grader.send_signal(signal.SIGTERM)  # the command's pid only
        signalled = time.monotonic()
        grader.wait(timeout=60)
        took = time.monotonic() - signalled
    finally:
        if grader.poll() is None:
            os.killpg(grader.pid, signal.SIGKILL)
            grader.wait()
    assert took < 5, f"the grade command took {took:.1f} s to end after SIGTERM"


def check_ids(report: dict, concept: str) -> set[str]:
    return {check["id"] for part in report["concepts"] if part["id"] == concept for check in part["checks"]}


@pytest.mark.slow(seconds=10)
def test_a_check_file_edited_between_two_sessions_of_a_warm_process_is_read_again(tmp_path):
    """FAULT (older than 5729683, which it touches: `--concept` marks are now cached by a
    check file's content, and that cache does see the edit): the server runs each session
    with `--import-mode=importlib`, and pytest takes a check module already in sys.modules
    from there, so a check file the TA edits while a warm process lives (grade-all's
    processes, a Dask worker's) keeps its old checks in that process: a check added is
    not run, a check mended still grades the old way, while a fresh process and a file
    first imported after the edit see the new text. Reproducer: a course copy; one
    GradingProcess grades the stubs with --concept losses; a check is appended to
    checks/hidden/test_losses.py; the same process grades them again. Found: 21 losses
    checks both times (a fresh process: 22). Expected: the added check in the second
    report, as in a fresh process's."""
    course_path = tmp_path / "course"
    for part in ("solutions", "checks", "exercises"):
        shutil.copytree(COURSE.path / part, course_path / part)
    course = CourseRoot(course_path)
    checks = course_path / "checks" / "hidden" / "test_losses.py"
    with GradingProcess() as process:
        before = check_ids(process.grade(course.exercises, course, student="warm", concepts=("losses",)), "losses")
        checks.write_text(checks.read_text() + "\n\ndef test_added_by_the_ta(student):\n    pass\n", encoding="utf-8")
        after = check_ids(process.grade(course.exercises, course, student="warm", concepts=("losses",)), "losses")
    assert "added_by_the_ta" not in before
    assert after - before == {"added_by_the_ta"}


@pytest.mark.slow(seconds=8)
def test_an_idle_grading_process_ends_itself_when_closed():
    """FAULT: `close()` now ends an idle server by closing its input and waiting for it to
    exit, so that it kills its spare sandbox; but the server's normal exit (the
    interpreter's finalisation, torch and sklearn loaded) kept every close waiting about
    0.9 s, where killing took 0.05 s: at the end of each `autograder grade` and of each
    notebook's check cell. Mended: the server leaves with os._exit once its spare is gone
    (close() took 0.05 s again; measured, not asserted: the speed is no test's business).
    What is asserted is the way it ends: by itself, exit status 0, not killed."""
    from mutants import COURSE as course

    process = GradingProcess()
    process.grade(course.exercises, course, student="once", concepts=("losses",))
    server = process.process
    process.close()
    assert server.returncode == 0


def test_a_session_that_ends_without_a_report_still_counts_toward_the_process_s_sessions(tmp_path):
    """FAULT (breaker thirteen's round): a session whose pytest exits neither OK nor with
    failed checks (a check file that does not collect) has handed out its sandbox users
    yet was not counted in GRADES_PER_PROCESS, so a process could in principle run out of
    users and crash every later student's checks. Reproducer: a course copy whose hidden
    losses checks do not parse, graded once. Expected: the session is refused as before,
    and counted."""
    course_path = tmp_path / "course"
    for part in ("solutions", "checks", "exercises"):
        shutil.copytree(COURSE.path / part, course_path / part)
    (course_path / "checks" / "hidden" / "test_losses.py").write_text("def broken(:\n", encoding="utf-8")
    course = CourseRoot(course_path)
    with GradingProcess() as process:
        with pytest.raises(RuntimeError, match="could not collect or run every check"):
            process.grade(course.exercises, course, student="uncollected", concepts=("losses",))
        assert process.graded == 1
