"""Breaker eight: attacks on round seven's mends. Each test here failed when it was
written; each docstring names the fault and how to reproduce it:

- `--concept X` skips, unimported, a check file that `marked_concepts` reads as holding
  only other concepts, while pytest collects a check of X from it: a concept mark that
  reaches a check through an imported name the scanner does not look at (a check
  imported from a helper, the cases of a `parametrize` decorator, a mark applied by a
  call, a `unittest.TestCase`, an assignment inside an `if`);
- a second SIGTERM during grade-all's cleanup leaves its sessions grading for minutes
  and its grading processes' homes in TMPDIR;
- the uid sandbox's sweep and its uid-availability scan see only the top-level entries
  of /tmp: a file a sandbox's user left inside a world-writable folder of root's
  (/tmp/.X11-unix) stays, and its uid is handed out again.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from autograder.check_files import marked_concepts
from sandboxed import SANDBOX_COPY, wait_until

pytest_plugins = ["pytester"]

COURSE_HELPER = '''
import unittest

import pytest

LOSSES = pytest.mark.concept("losses")
LOSS_CASES = [pytest.param(1, marks=LOSSES), pytest.param(2, marks=LOSSES)]


@LOSSES
def test_a_shared_loss_check():
    pass


def make_loss_check():
    @LOSSES
    def check():
        pass
    return check


@LOSSES
class LossCase(unittest.TestCase):
    def test_loss(self):
        pass
'''

# Each file names only pooling in a place the scanner reads, and carries a losses check
# that pytest collects (the check's own mark is closer than the module's).
POOLING_FILES_WITH_A_LOSSES_CHECK = {
    "imported_check": "import pytest\nfrom course_helper import test_a_shared_loss_check\n"
    "pytestmark = pytest.mark.concept('pooling')\n\ndef test_pooling():\n    pass\n",
    "star_import": "import pytest\nfrom course_helper import *\n"
    "pytestmark = pytest.mark.concept('pooling')\n\ndef test_pooling():\n    pass\n",
    "parametrize_cases": "import pytest\nfrom course_helper import LOSS_CASES\n"
    "pytestmark = pytest.mark.concept('pooling')\n\n@pytest.mark.parametrize('case', LOSS_CASES)\n"
    "def test_case(case):\n    pass\n\ndef test_pooling():\n    pass\n",
    "mark_applied_by_call": "import pytest\nfrom course_helper import LOSSES\n"
    "pytestmark = pytest.mark.concept('pooling')\n\ndef test_loss():\n    pass\n\nLOSSES(test_loss)\n\n"
    "def test_pooling():\n    pass\n",
    "unittest_case": "import pytest\nfrom course_helper import LossCase as LossChecks\n"
    "pytestmark = pytest.mark.concept('pooling')\n\ndef test_pooling():\n    pass\n",
    "assigned_in_if": "import sys\nimport pytest\nfrom course_helper import make_loss_check\n"
    "pytestmark = pytest.mark.concept('pooling')\n\nif sys.version_info >= (3,):\n"
    "    test_loss = make_loss_check()\n\ndef test_pooling():\n    pass\n",
}


@pytest.mark.parametrize("layout", sorted(POOLING_FILES_WITH_A_LOSSES_CHECK))
def test_the_scanner_does_not_answer_for_a_file_whose_checks_may_come_from_elsewhere(tmp_path, layout):
    """The layouts below, read without pytest: the scanner says it cannot tell."""
    path = tmp_path / "test_mixed.py"
    path.write_text(POOLING_FILES_WITH_A_LOSSES_CHECK[layout], encoding="utf-8")
    assert marked_concepts(path) is None


@pytest.mark.parametrize("layout", ["imported_check"])  # each layout costs three pytest runs; the scanner test above covers them all
def test_concept_keeps_a_losses_check_that_reaches_a_pooling_file_through_an_import(pytester, monkeypatch, layout):
    """FAULT: `marked_concepts` answers for certain ({"pooling"}) for a check file whose
    losses check gets its concept mark through an imported name in a place the scanner
    does not read: `from course_helper import test_x` or `import *` (checks shared with
    another file), `@pytest.mark.parametrize("case", LOSS_CASES)` with imported cases
    carrying `marks=LOSSES` (the decorator's arguments are never read), `LOSSES(test_loss)`
    as a statement, an imported `unittest.TestCase` subclass (collected whatever its name),
    `test_loss = make_loss_check()` inside an `if`. Reproducer: one such file beside the
    helper; `pytest --concept losses --collect-only`. Found: the losses check is not
    collected (the file is skipped unimported). Expected: it is, as without --concept's
    skip (a file that imports names besides pytest should make the scanner answer None)."""
    monkeypatch.setenv("PYTHONPATH", f"{pytester.path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    pytester.makepyfile(course_helper=COURSE_HELPER)
    (pytester.path / "checks").mkdir()
    (pytester.path / "checks" / "test_mixed.py").write_text(POOLING_FILES_WITH_A_LOSSES_CHECK[layout], encoding="utf-8")
    pytester.makefile(".toml", pyproject='[tool.pytest.ini_options]\ntestpaths = ["checks"]\n')
    whole = pytester.runpytest_subprocess("--collect-only", "-q", "-p", "no:randomly")
    losses_checks = [line for line in whole.outlines if "test_mixed.py::" in line and "pooling" not in line]
    assert losses_checks, whole.outlines
    pooling = pytester.runpytest_subprocess("--concept", "pooling", "--collect-only", "-q", "-p", "no:randomly")
    assert not set(losses_checks) & set(pooling.outlines), "the check is a losses check"
    asked = pytester.runpytest_subprocess("--concept", "losses", "--collect-only", "-q", "-p", "no:randomly")
    assert [line for line in asked.outlines if "test_mixed.py::" in line] == losses_checks


@pytest.mark.slow(seconds=20)
def test_a_second_sigterm_during_the_cleanup_neither_hangs_the_grader_nor_leaves_its_folders(tmp_path):
    """FAULT: a second SIGTERM (or Ctrl-C) that arrives while `graded_locally` is ending
    its grading processes after the first raises a second Terminated inside its `finally`:
    the remaining `process.close()` calls never run, so the sessions still grading are not
    killed, and the interpreter's exit waits for the pool's threads, each blocked in
    `_ask` until its session's total limit (minutes), then leaves each grading process's
    home in TMPDIR. `timeout` sends SIGTERM to the command and then to its process group
    (the command again); a TA presses Ctrl-C twice when the first seems slow. Reproducer:
    `autograder grade-all CLASS -j 2 --concept losses` on a class of one honest and two
    submissions whose functions sleep; once the honest report is written and both sleepers
    are being graded, SIGTERM, and SIGTERM again 50 ms later. Found: the command ended 215 s
    later, two autograder-* folders left in TMPDIR. Expected: it ends within seconds, as
    after one SIGTERM (0.8 s, exit 143), and leaves nothing in TMPDIR."""
    import re
    import signal
    import subprocess
    import sys
    import time

    from mutants import COURSE
    from test_grade_all import small_class

    sleeper = re.sub(r"raise NotImplementedError(\([^)]*\))?", "__import__('time').sleep(10**6)", (COURSE.exercises / "losses.py").read_text())
    honest = (COURSE.solutions / "losses.py").read_text()
    course, folder, out = small_class(tmp_path, {"a_honest": honest, "b_sleeper": sleeper, "c_sleeper": sleeper, "d_honest": honest})
    scratch = tmp_path / "tmpdir"
    scratch.mkdir()
    scratch.chmod(0o755)
    command = [sys.executable, "-m", "autograder", "grade-all", str(folder), "--out", str(out), "--course-root", str(course), "--concept", "losses", "-j", "2"]
    environment = {**os.environ, "TMPDIR": str(scratch), "PYTHONPATH": str(COURSE.path)}
    grader = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not (out / "reports" / "a_honest.json").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        # Both sleepers are being graded: each grading process's sandbox holds a copy of one.
        wait_until(lambda: sum("sleep(10**6)" in _text(copy) for copy in scratch.glob(SANDBOX_COPY)) >= 2, deadline - time.monotonic())
        time.sleep(2)  # their workers are in the sleeping checks
        grader.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        time.sleep(0.05)
        grader.send_signal(signal.SIGTERM)
        try:
            grader.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
        took = time.monotonic() - signalled
    finally:
        if grader.poll() is None:
            os.killpg(grader.pid, signal.SIGKILL)
            grader.wait()
    time.sleep(1)
    left = sorted(path.name for path in scratch.iterdir())
    assert took < 30 and left == [], (round(took, 1), left)


def _text(path: Path) -> str:
    """`path`'s text, or "" for a file removed (or not yet written) as it is read."""
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return ""


def test_a_uid_sandboxs_file_inside_a_shared_world_writable_folder_is_swept(tmp_path):
    """FAULT: `sweep_sandbox_users_of` (run when a GradingProcess stops its server) and the
    refusal in `sandbox_uid` look only at the entries directly in /tmp, /var/tmp and
    /dev/shm (`owners_in_shared_scratch`, `emptied_folder(owner=uid)`): a file that a uid
    sandbox's user wrote into a world-writable folder of root's there (/tmp/.X11-unix and
    /tmp/.ICE-unix on most machines) is neither removed nor seen, so once pids wrap its uid,
    and that file, go to a classmate, which the round-7 mend exists to prevent.
    Reproducer (as root): a folder of root's in /tmp, mode 1777; in it a file owned by the
    first sandbox uid of a grading pid; `sweep_sandbox_users_of(pid)`. Found: nothing
    swept ([]), the file stays, `owners_in_shared_scratch` does not name the uid.
    Expected: the uid swept and its file removed, as a file directly in /tmp is."""
    import tempfile

    from autograder.worker.isolation import sandbox_uids_of
    from grader_accounts import GraderAccount

    if os.geteuid() != 0:
        pytest.skip("only root runs uid sandboxes")
    grading_pid = (1 << 22) - 7  # no process has it: pid_max is below
    uid = sandbox_uids_of(grading_pid)[0]
    folder = Path(tempfile.mkdtemp(prefix="autograder-container-"))
    shared = Path(tempfile.mkdtemp(prefix="breaker8-x11-unix-", dir="/tmp"))
    try:
        # The sweep runs the grader's interpreter as the sandbox's user: as in a uid
        # deployment, one every user can run, with the engine where every user can read it.
        account = GraderAccount.root_with_a_readable_interpreter(folder)
        shared.chmod(0o1777)  # as /tmp/.X11-unix
        left = shared / "left-by-a-sandbox"
        left.write_text("a submission's secret", encoding="utf-8")
        os.chown(left, uid, uid)
        sweep = (
            "import json, sys\n"
            "from autograder.worker.isolation import owners_in_shared_scratch\n"
            "from autograder.worker.warm_parent import sweep_sandbox_users_of\n"
            f"swept = sweep_sandbox_users_of({grading_pid})\n"
            f"print(json.dumps([swept, sorted(owners_in_shared_scratch({{{uid}}}))]))\n"
        )
        done = subprocess.run(
            [account.python, "-c", sweep], cwd=account.home, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(account.course)}, capture_output=True, text=True, timeout=300
        )  # in the account's home: `-c` puts the working folder first on sys.path
        swept, owners = json.loads(done.stdout.splitlines()[-1])
        assert (uid in swept, left.exists(), owners) == (True, False, [])
    finally:
        shutil.rmtree(shared, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)
