"""The grader's folders in the machine's /tmp (a grading process's home, the intake's copies,
each sandbox's copy of the submission) are removed even when the grader is killed: by the
next grader, once no process of the killed one holds them (autograder.files)."""

import os
import shutil
import signal
import subprocess
import sys
import time

from autograder.course import find_course_root

COURSE = find_course_root()
HOLD = "from autograder.files import TemporaryFolder; f = TemporaryFolder('autograder-test-'); print(f.path, flush=True); import time; time.sleep(120)"
SWEEP = "from autograder.files import remove_abandoned; print(len(remove_abandoned()))"


def in_tmp(machine_tmp, *command, **options):
    """`command` (a Python program) with `machine_tmp` as the machine's temporary folder."""
    return subprocess.Popen([sys.executable, *command], env={**os.environ, "TMPDIR": str(machine_tmp)}, text=True, **options)


def swept(machine_tmp) -> int:
    done = in_tmp(machine_tmp, "-c", SWEEP, stdout=subprocess.PIPE)
    return int(done.communicate(timeout=60)[0])


def test_a_folder_is_kept_while_its_process_lives_and_removed_once_it_was_killed(tmp_path):
    holder = in_tmp(tmp_path, "-c", HOLD, stdout=subprocess.PIPE)
    folder = holder.stdout.readline().strip()
    stranger = tmp_path / "autograder-not-ours"  # no lock file: not a TemporaryFolder
    stranger.mkdir()
    assert swept(tmp_path) == 0 and os.path.isdir(folder)
    holder.kill()
    holder.wait()
    assert swept(tmp_path) == 1 and not os.path.exists(folder)
    assert stranger.is_dir()


def test_a_grader_killed_mid_session_leaves_nothing_once_the_next_has_graded(tmp_path):
    """`autograder grade` killed with its grading process and sandbox (the machine's OOM
    killer, a cancelled CI job) while a check loops: its home, intake copy and sandbox copy
    stay in /tmp until the next `autograder grade`, which removes them and its own."""
    machine_tmp = tmp_path / "machine-tmp"
    machine_tmp.mkdir()
    submission = tmp_path / "looping"
    shutil.copytree(COURSE.solutions, submission)
    with open(submission / "losses.py", "a") as module:
        module.write("\n\ndef mean_squared_error(y_true, y_pred):\n    while True:\n        pass\n")
    killed = in_tmp(machine_tmp, "-m", "autograder", "grade", str(submission), "--concept", "losses", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while not list(machine_tmp.glob("autograder-*/tmp/autograder-sandbox-*/submission")) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = sorted(machine_tmp.glob("autograder-*"))
    assert len(left) >= 2, left  # the grading process's home, the intake's copy
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    graded = in_tmp(machine_tmp, "-m", "autograder", "grade", str(COURSE.solutions), "--concept", "losses", stdout=subprocess.DEVNULL)
    assert graded.wait(timeout=300) == 0
    assert sorted(machine_tmp.glob("autograder-*")) == []
