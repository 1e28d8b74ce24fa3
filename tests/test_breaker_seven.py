"""Breaker seven: the grading server's scratch (`GradingProcess.stop` empties it after a
killed session) and `--concept` skipping the check files of other concepts unimported.
Each test here failed when it was written; each docstring names the fault and how to
reproduce it:

- uid sandbox, a session killed midway: its processes run on, its /tmp files stay, and
  once pids wrap its uid (and those files) go to a classmate;
- a grader ended by `timeout` (SIGTERM) leaves its home and the submission's copies;
- as root under umask 077, the sandbox cannot read the submission's copy (older fault);
- `--concept` silently skips a check file whose concept marker has a typo, or whose
  check of the concept asked for carries a mark imported from a helper.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from autograder.worker.limits import processes_of_user
from grader_accounts import GraderAccount
from mutants import plant
from sandboxed import SANDBOX_COPY, wait_until

pytest_plugins = ["pytester"]

# A hung session killed as `GradingProcess._ask` kills one past its limit, in the uid
# sandbox (run as root by an interpreter every user can read): prints what is left of the
# sandbox's user once the GradingProcess is closed.
KILL_A_HUNG_UID_SESSION = """
import json, sys, threading, time
from pathlib import Path
from autograder.course import find_course_root
from autograder.grading.run import GradingProcess

submission, course = Path(sys.argv[1]), find_course_root(Path(sys.argv[2]))
with GradingProcess() as process:
    failure = []
    def grade():
        try:
            process.grade(submission, course, student="hung", concepts=("losses",), sandbox="uid")
        except RuntimeError as problem:
            failure.append(str(problem))
    grading = threading.Thread(target=grade)
    grading.start()
    deadline = time.monotonic() + 180
    started = []
    while not started and time.monotonic() < deadline:
        started = list(process.scratch.glob("autograder-sandbox-*/work/started"))
        time.sleep(0.1)
    uid = started[0].stat().st_uid if started else None
    copy = Path(f"/tmp/breaker7-copy-{uid}.py")
    while uid is not None and not copy.exists() and time.monotonic() < deadline:
        time.sleep(0.1)  # the student's code is at work: its grandchild forked, its copy made
    time.sleep(0.5)
    process.process.kill()  # as _ask does when the session outlives its limit
    grading.join()
    home = process.home
time.sleep(2)
print("LEFT " + json.dumps({"uid": uid, "failure": failure, "home": str(home), "home_left": home.exists()}))
"""

# losses.py's extra code: hangs in its import, and leaves behind a process of its own
# (fork, fork: reparented to init) that copies the submission into the machine's /tmp.
HANGS_AND_LEAVES_A_PROCESS = """
import os as _os, time as _time
open("started", "w").close()
if _os.fork() == 0:
    if _os.fork() == 0:
        with open("/tmp/breaker7-copy-%d.py" % _os.getuid(), "w") as _copy:
            _copy.write(open(__file__).read())
        while True:
            _time.sleep(1)
    _os._exit(0)
_time.sleep(600)
"""


@pytest.fixture(scope="module")
def killed_uid_session():
    """What a killed uid session left: {"uid", "failure", "home", "home_left"}; every
    process of its user is killed, and its files removed, afterwards."""
    if os.geteuid() != 0:
        pytest.skip("the uid sandbox needs root (CI runs as root)")
    folder = Path(tempfile.mkdtemp(prefix="autograder-container-"))
    left = {}
    try:
        account = GraderAccount.root_with_a_readable_interpreter(folder)
        submission = plant(account.home, {"losses": HANGS_AND_LEAVES_A_PROCESS})
        os.chmod(account.home, 0o755)
        done = subprocess.run(
            [account.python, "-c", KILL_A_HUNG_UID_SESSION, str(submission), str(account.course)], cwd=account.home,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(account.course), "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"},
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        (line,) = [line for line in done.stdout.splitlines() if line.startswith("LEFT ")]
        left = json.loads(line.removeprefix("LEFT "))
        assert left["uid"] is not None, "the session never ran the submission"
        left["processes"] = processes_of_user(left["uid"])
        left["living"] = [pid for pid in left["processes"] if _alive(pid)]
        left["in_tmp"] = sorted(str(path) for path in Path("/tmp").iterdir() if _owner(path) == left["uid"])
        yield left
    finally:
        uid = left.get("uid")
        if uid is not None:
            for pid in processes_of_user(uid):  # the survivors this test's submission started
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            for path in Path("/tmp").iterdir():
                if _owner(path) == uid:
                    path.unlink(missing_ok=True) if not path.is_dir() else shutil.rmtree(path, ignore_errors=True)
        if left.get("home"):
            shutil.rmtree(left["home"], ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)


def _owner(path: Path) -> int | None:
    try:
        return path.lstat().st_uid
    except FileNotFoundError:
        return None


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            return not any(line.startswith("State:") and line.split()[1] in ("Z", "X") for line in status)
    except OSError:
        return False


@pytest.mark.slow(seconds=40)
def test_a_killed_uid_session_leaves_no_process_of_its_user(killed_uid_session):
    """FAULT: in the uid sandbox, a session killed midway (`GradingProcess.stop`, as `_ask`
    does past the session's limit) leaves the submission's processes running, for ever:
    only the server is killed, and no one sweeps the sandbox's user (the sweep,
    `WarmParent.kill`, runs in the server that was just killed), which has no PID
    namespace to take its processes with it. Reproducer: as root with a readable
    interpreter, grade with sandbox="uid" a losses.py that sleeps in its import and forks
    a grandchild that loops; kill the server; close the GradingProcess. Found: the
    sleeping worker and the grandchild still run as the sandbox's uid, free to use the
    CPU and the machine's /tmp while the rest of the class is graded. Expected: no
    living process of that uid."""
    assert killed_uid_session["failure"] == ["the grading session ended without a report"]
    assert killed_uid_session["living"] == []


@pytest.mark.slow(seconds=40)
def test_a_killed_uid_session_leaves_nothing_in_tmp(killed_uid_session):
    """FAULT: in the uid sandbox, a killed session leaves in the machine's /tmp what its
    code wrote there (here a copy of the submission, readable by every user): the sweep
    that removes a sandbox user's files from the shared folders (`sweep_command`, run by
    `WarmParent.kill`) runs in the server, which was just killed, and `stop()` empties
    only its own scratch. Reproducer: as in the test above. Expected: no file of the
    sandbox's uid in /tmp once the GradingProcess is closed, as after a session that
    ended by itself."""
    assert killed_uid_session["in_tmp"] == []
    assert not killed_uid_session["home_left"], f"{killed_uid_session['home']} is left"


def test_a_typo_in_a_concept_marker_is_not_silently_dropped_by_concept(tmp_path):
    """FAULT: a course author's typo in a check file's concept marker
    (`pytestmark = pytest.mark.concept("loss")` in checks/hidden/test_losses.py) is a
    usage error when the whole course is graded (the plugin validates every marker), but
    with `--concept losses`, which `autograder grade --concept`, the notebook's checks
    cell and `nbgrader-grade` (always) pass, `pytest_ignore_collect` skips the file
    unimported ({"loss"} names no concept asked for), so losses is graded from its public
    checks alone, silently: no error, fewer checks, a wrong score. Reproducer: copy
    checks/hidden, change that marker's id to "loss", grade the reference with
    concepts=("losses",). Found: a report, without the hidden losses checks. Expected:
    the session fails as it does without --concept (the typo named), as it did before
    the skip."""
    from autograder.course import CourseRoot
    from mutants import COURSE, grading_process

    hidden = tmp_path / "hidden"
    shutil.copytree(COURSE.hidden_checks, hidden, ignore=shutil.ignore_patterns("__pycache__"))
    checks = hidden / "test_losses.py"
    source = checks.read_text(encoding="utf-8")
    assert 'pytestmark = pytest.mark.concept("losses")' in source
    checks.write_text(source.replace('pytestmark = pytest.mark.concept("losses")', 'pytestmark = pytest.mark.concept("loss")'), encoding="utf-8")
    course = CourseRoot(COURSE.path, hidden)
    with pytest.raises(RuntimeError):  # the whole course: the typo is a usage error
        grading_process().grade(COURSE.solutions, course, student="typo", concepts=())
    with pytest.raises(RuntimeError):
        report = grading_process().grade(COURSE.solutions, course, student="typo", concepts=("losses",))
        (losses,) = [concept for concept in report["concepts"] if concept["id"] == "losses"]
        pytest.fail(f"losses graded from {len(losses['checks'])} checks, none of the hidden ones, with no error")


IMPORTED_MARK = """
import pytest
from course_marks import LOSSES

pytestmark = pytest.mark.concept("pooling")


@LOSSES
def test_a_loss_check_in_a_pooling_file():
    pass


def test_a_pooling_check():
    pass
"""


def test_a_concept_mark_imported_from_a_helper_is_not_dropped_by_concept(pytester, monkeypatch):
    """FAULT: `marked_concepts` answers for certain ({"pooling"}) for a check file whose
    checks also carry a concept mark it cannot see: one imported from a course helper
    (`from course_marks import LOSSES`, LOSSES = pytest.mark.concept("losses")), so that
    `--concept losses` skips the file, unimported, and drops its losses check, which
    pytest sees as losses (the check's own mark is closer than the module's). Reproducer:
    that file beside the helper; `pytest --concept losses --collect-only`. Found: no check
    collected. Expected: the losses check, as without the skip (a name the scanner cannot
    resolve should make it answer None, as `concept = pytest.mark.concept` does)."""
    monkeypatch.setenv("PYTHONPATH", f"{pytester.path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    pytester.makepyfile(course_marks='import pytest\nLOSSES = pytest.mark.concept("losses")\n')
    (pytester.path / "checks").mkdir()
    (pytester.path / "checks" / "test_mixed.py").write_text(IMPORTED_MARK, encoding="utf-8")
    pytester.makefile(".toml", pyproject='[tool.pytest.ini_options]\ntestpaths = ["checks"]\n')
    whole = pytester.runpytest_subprocess("--collect-only", "-q", "-p", "no:randomly")
    whole.stdout.fnmatch_lines(["*test_a_loss_check_in_a_pooling_file*"])
    asked = pytester.runpytest_subprocess("--concept", "losses", "--collect-only", "-q", "-p", "no:randomly")
    asked.stdout.fnmatch_lines(["*test_a_loss_check_in_a_pooling_file*"])


def test_a_grader_stopped_by_timeout_leaves_no_copy_of_the_submission(tmp_path):
    """FAULT: `timeout 3600 autograder grade-all ...` (a TA's cap on a batch, or a CI job's
    time limit) ends the grader with SIGTERM, sent to its whole process group: no
    `close()`, no `stop()`, no TemporaryDirectory cleanup runs (SIGTERM is not turned into
    an exception), so the grading process's home stays in TMPDIR, with the sandbox's copy
    of the submission in its scratch, and the intake's copy beside it. This machine's /tmp
    held some 150 such homes, three with a copy, from runs ended so. Reproducer: `timeout
    -s TERM 15 autograder grade SUBMISSION --concept losses` on a submission whose
    losses.py sleeps in its import, TMPDIR a folder of the test's own. Found:
    autograder-*/pytest.ini, autograder-*/tmp/autograder-sandbox-*/submission/losses.py and
    autograder-intake-*/entry-*/submission/losses.py left in it. Expected: none of them
    once the grader has ended."""
    from mutants import COURSE

    submission = plant(tmp_path, {"losses": "import time as _time\n_time.sleep(600)\n"})
    scratch = tmp_path / "tmpdir"
    scratch.mkdir()
    scratch.chmod(0o755)
    environment = {**os.environ, "TMPDIR": str(scratch), "PYTHONPATH": str(COURSE.path)}
    capped = subprocess.Popen(
        ["timeout", "-s", "TERM", "300", sys.executable, "-m", "autograder", "grade", str(submission), "--course-root", str(COURSE.path), "--concept", "losses", "--format", "json"],
        env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    # Mid-session: both copies made, and the sandbox's worker at the import that sleeps.
    # Then `timeout`'s cap runs out now rather than after a fixed wait: its timer is
    # SIGALRM, and one sent by hand takes the same way (SIGTERM to the command and its
    # process group, exit status 124).
    copies = (SANDBOX_COPY, "autograder-intake-*/entry-*/submission/losses.py")
    wait_until(lambda: all(any(scratch.glob(copy)) for copy in copies), 120, running=lambda: capped.poll() is None)
    time.sleep(2)  # the worker imports losses.py (which sleeps) rather than still copying it
    capped.send_signal(signal.SIGALRM)
    _, stderr = capped.communicate(timeout=120)
    assert capped.returncode == 124, stderr  # ended by timeout, mid-session
    time.sleep(2)
    left = sorted(str(path.relative_to(scratch)) for path in scratch.rglob("*") if path.name in ("losses.py", "pytest.ini"))
    assert left == []


def test_a_grader_with_umask_077_still_gives_the_reference_full_marks():
    """FAULT (older than this branch's changes, in the same path): as root, the default
    sandbox (bwrap, whose warm parent becomes a user of the submission's own) and the uid
    sandbox run student code as another user than the grader, which only `copy_submission`
    makes the copy readable for: it chmods the files 0644 but makes the folder with
    `mkdir(mode=0o755)`, which the umask narrows. Under `umask 077` (a hardened root
    account, a TA's shell profile) the copy's folder is 0700 root's, the sandbox cannot
    list it, and every module is "missing from the submission". Reproducer: `umask 077;
    autograder grade solutions --concept losses --format json` as root. Found: losses
    0 / 10, "losses.py is missing from the submission". Expected: 10 / 10, as under
    umask 022 (the home and scratch this branch added are chmodded after mkdtemp; the
    copy's folders need the same)."""
    from mutants import COURSE

    if os.geteuid() != 0:
        pytest.skip("only root runs student code as another user than the grader")
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(COURSE.solutions), "--course-root", str(COURSE.path), "--concept", "losses", "--format", "json"],
        env={**os.environ, "PYTHONPATH": str(COURSE.path)}, capture_output=True, text=True, timeout=300, umask=0o077,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (losses,) = json.loads(done.stdout)["concepts"]
    assert (losses["score"], losses["max_score"]) == (10.0, 10.0), losses["checks"][0]["feedback"]


# Grades A (killed midway, as _ask kills a session past its limit), then B in a fresh
# grading process whose pid is the killed one's: pids wrap (pid_max is 32768 on many
# machines, this one's too), and root's ns_last_pid makes the wrap happen now.
A_THEN_B_ON_THE_SAME_PID = """
import sys, threading, time
from pathlib import Path
from autograder.course import find_course_root
from autograder.grading.run import GradingProcess
from autograder.worker.limits import processes_of_user

a, b, course = Path(sys.argv[1]), Path(sys.argv[2]), find_course_root(Path(sys.argv[3]))
first = GradingProcess()
def grade():
    try:
        first.grade(a, course, student="a", concepts=("losses",), sandbox="uid")
    except RuntimeError:
        pass
grading = threading.Thread(target=grade)
grading.start()
deadline = time.monotonic() + 120
while not list(first.scratch.glob("autograder-sandbox-*/work/started")) and time.monotonic() < deadline:
    time.sleep(0.1)
uid = next(first.scratch.glob("autograder-sandbox-*/work/started")).stat().st_uid
server = first.process.pid
first.process.kill()
grading.join()
first.close()
while processes_of_user(uid) and time.monotonic() < deadline:  # A's code ends by itself
    time.sleep(0.5)
second = GradingProcess()
for attempt in range(50):
    with open("/proc/sys/kernel/ns_last_pid", "w") as last:
        last.write(str(server - 1))
    second._running()
    if second.process.pid == server:
        break
    second.stop()
else:
    sys.exit("the pid did not come round again")
report = second.grade(b, course, student="b", concepts=("losses",), sandbox="uid")
second.close()
print("FEEDBACK " + report["concepts"][0]["checks"][0]["feedback"])
"""

# A keeps a file only its own user may read, in the machine's /tmp, then ends by itself.
KEEPS_A_PRIVATE_FILE = """
import os as _os, time as _time
_fd = _os.open("/tmp/breaker7-private-%d" % _os.getuid(), _os.O_WRONLY | _os.O_CREAT, 0o600)
_os.write(_fd, b"A-PRIVATE")
_os.close(_fd)
open("started", "w").close()
_time.sleep(6)
"""

# B shows what it could read of such files in its feedback.
READS_THE_PRIVATE_FILES = """
import glob as _glob
_read = []
for _path in _glob.glob("/tmp/breaker7-private-*"):
    try:
        _read.append(open(_path).read())
    except OSError as _problem:
        _read.append(type(_problem).__name__)
raise RuntimeError("READ %r" % _read)
"""


@pytest.mark.slow(seconds=40)
def test_a_killed_uid_sessions_user_is_never_handed_to_a_classmate():
    """FAULT: the uid of a uid sandbox is BASE + the grading server's pid (+ a turn), and
    `sandbox_uid` hands it out again to a later grading process with the same pid as soon
    as no *process* runs as it, whatever *files* it still owns. After a killed session
    (no sweep: see test_a_killed_uid_session_leaves_nothing_in_tmp), A's files stay in
    /tmp; once pids wrap round (pid_max 32768 here), classmate B gets A's uid and reads
    A's private (0600) files. Reproducer: as root with a readable interpreter, grade A
    (writes /tmp/breaker7-private-<uid> 0600, sleeps 6 s in its import) in the uid sandbox,
    kill the server, wait for A's processes to end; start a new GradingProcess with the
    same pid (ns_last_pid), grade B, whose losses.py reads those files. Found: B's feedback
    shows 'A-PRIVATE'. Expected: PermissionError (B runs as a uid of its own)."""
    if os.geteuid() != 0:
        pytest.skip("the uid sandbox needs root (CI runs as root)")
    folder = Path(tempfile.mkdtemp(prefix="autograder-container-"))
    try:
        account = GraderAccount.root_with_a_readable_interpreter(folder)
        a = plant(account.home / "a", {"losses": KEEPS_A_PRIVATE_FILE})
        b = plant(account.home / "b", {"losses": READS_THE_PRIVATE_FILES})
        os.chmod(account.home, 0o755)
        done = subprocess.run(
            [account.python, "-c", A_THEN_B_ON_THE_SAME_PID, str(a), str(b), str(account.course)], cwd=account.home,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(account.course), "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"},
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        (feedback,) = [line for line in done.stdout.splitlines() if line.startswith("FEEDBACK ")] or [done.stderr[-2000:]]
        assert "READ" in feedback, feedback
        assert "A-PRIVATE" not in feedback
    finally:
        for path in Path("/tmp").glob("breaker7-private-*"):
            path.unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
