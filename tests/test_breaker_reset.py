"""Breaker round on the reset between checks (found by a breaker; these failed before the fixes).

A failure in one concept costs that concept's checks and nothing else (law 5), the reset
leaves the next worker "as in a fresh sandbox", the sandbox holds no more than its memory
limit, and hidden inputs never reach feedback. Three faults:

- the reset before a new concept's first check runs inside that check's time limit, so a
  warm parent that student code stopped (SIGSTOP) or a /tmp full of empty folders makes
  an innocent concept's first check time out;
- the sandbox's /tmp and /dev/shm are bounded in bytes, not in inodes: empty files held
  kernel memory far past the memory limit (now each counts in it, `files_in_scratch`);
- a folder without permissions survives the reset's emptying, so a concept's hidden inputs
  can be shown in the next concept's public feedback.
"""

import json
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from grader_accounts import GraderAccount
from mutants import COURSE, checks_by_id, grading_process, plant
from sandboxed import sandboxed

# The warm parent is the worker's parent: a stopped one never answers the reset that the
# grader asks for when it moves to the next concept.
STOPS_THE_WARM_PARENT = """
import os as _os
import signal as _signal

_os.kill(_os.getppid(), _signal.SIGSTOP)
"""

# Empty folders take no bytes of the /tmp's size, so nothing stops them; the warm parent
# removes each with shutil.rmtree at the next reset, about five times slower than mkdir
# made it (4 s of mkdir: some 370,000 folders, 20 s of rmtree on a quiet machine).
FLOODS_TMP_WITH_EMPTY_FOLDERS = """
def _flood(seconds):
    import os, time
    end, n = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        for _ in range(1000):
            os.mkdir(f"/tmp/d{n}")
            n += 1


_flood(5)  # within the import's own 20 s limit
"""


def failed_checks(report: dict, concept: str) -> dict[str, str]:
    return {check_id: check["status"] for check_id, check in checks_by_id(report, concept).items() if check["status"] != "passed"}


# --time-scale for the stopped warm parent: the reset's limit (CONTROL_LIMIT_S, 10 s) and
# each check's (10 s) both become 3 s, so the reset waits 3 s, not 10, and its wait inside
# a check's limit would still use all of it
STOPPED_PARENT_SCALE = 0.3


@pytest.mark.slow(seconds=12)
def test_a_stopped_warm_parent_costs_no_check_of_the_next_concept(tmp_path):
    """losses.py stops the warm parent (its checks still pass); pooling, the reference,
    must pass every check. On main, the reset before pooling's first check waits
    CONTROL_LIMIT_S for the stopped parent, inside that check's own limit, as long: timeout."""
    submission = plant(tmp_path, {"losses": STOPS_THE_WARM_PARENT})
    report = grading_process().grade(submission, COURSE, student="stopper", concepts=("losses", "pooling"), time_scale=STOPPED_PARENT_SCALE)
    assert failed_checks(report, "losses") == {}
    assert failed_checks(report, "pooling") == {}


def test_the_resets_limit_scales_with_the_time_scale(tmp_path):
    """A reset waits CONTROL_LIMIT_S (10 s) times --time-scale, as a check waits its own
    limit times it: at 0.2, the reset that a stopped warm parent never answers, after a
    call that raised, gives up after 2 s (the sandbox is replaced), not 10."""
    from autograder.worker.errors import StudentRaised
    from autograder.worker.isolation import choose_isolation
    from autograder.worker.limits import Limits
    from autograder.worker.sandbox import SandboxedSubmission

    fails = "\n\ndef ok():\n    return 1\n\n\ndef fails():\n    raise RuntimeError('a failure: the grader resets the sandbox')\n"
    (tmp_path / "stopper.py").write_text(STOPS_THE_WARM_PARENT + fails, encoding="utf-8")
    submission = SandboxedSubmission(tmp_path, choose_isolation("bwrap"), Limits(), time_scale=0.2)
    try:
        submission.start_check(30)
        stopper = submission.module("stopper")
        assert stopper.ok() == 1  # imported: the warm parent is stopped
        started = time.monotonic()
        with pytest.raises(StudentRaised):
            stopper.fails()
        assert 2.0 <= time.monotonic() - started < 10.0
    finally:
        submission.close()


@pytest.mark.slow(seconds=40)
def test_a_flood_of_empty_folders_costs_no_check_of_the_next_concept(tmp_path):
    """losses.py leaves some 400,000 empty folders in /tmp (its checks still pass); on
    main the reset before pooling spends pooling's first check's time removing them, then
    gives up (CONTROL_LIMIT_S) and the sandbox is replaced: timeout."""
    submission = plant(tmp_path, {"losses": FLOODS_TMP_WITH_EMPTY_FOLDERS})
    report = grading_process().grade(submission, COURSE, student="flooder", concepts=("losses", "pooling"))
    assert failed_checks(report, "losses") == {}
    assert failed_checks(report, "pooling") == {}


HOARDS_INODES = """
import os


def flood(count):
    \"\"\"`count` empty files with long names in /tmp: no bytes, only kernel memory.\"\"\"
    for n in range(count):
        os.close(os.open(f"/tmp/{n:0200d}", os.O_CREAT | os.O_WRONLY))
    return count
"""
@pytest.mark.slow(seconds=25)
def test_a_flood_of_empty_files_is_stopped_at_the_memory_limit(tmp_path):
    """900,000 empty files (about 700 MiB of kernel memory) under a 512 MiB limit: the
    flood must fail (no space left, or out of memory), never complete unseen as on main."""
    from autograder.worker.errors import StudentCodeFailed

    submission = sandboxed(tmp_path, {"hoarder": HOARDS_INODES}, 512 * 2**20)
    try:
        submission.start_check(90)
        with pytest.raises((StudentCodeFailed, OSError)):
            submission.module("hoarder").flood(900_000)
    finally:
        submission.close()


# A folder without permissions survives the reset's emptying (shutil.rmtree cannot open it,
# and the reset's error handler makes only its parent writable): what a module keeps there
# outlives its worker and its concept.
LEAVES_A_LOCKED_FOLDER = """
import os


def leave():
    os.mkdir("/tmp/vault")
    with open("/tmp/vault/note", "w") as note:
        note.write("kept")
    os.chmod("/tmp/vault", 0o000)
    raise RuntimeError("a failure: the grader resets the sandbox")


def left():
    return sorted(os.listdir("/tmp"))
"""


def test_the_reset_empties_a_folder_without_permissions(tmp_path):
    from autograder.worker.errors import StudentRaised

    submission = sandboxed(tmp_path, {"locker": LEAVES_A_LOCKED_FOLDER})
    try:
        submission.start_check(30)
        with pytest.raises(StudentRaised):
            submission.module("locker").leave()
        submission.start_check(30)
        assert "vault" not in submission.module("locker").left()  # (what is left: the way to the interpreter, where it is under /tmp)
    finally:
        submission.close()


# losses.py writes every input it is handed (the hidden checks' too) into a locked folder;
# gradient_descent.py, graded next, reads it back and raises it in a public check, whose
# feedback shows the student's own message.
KEEPS_EVERY_INPUT = """
import os as _os
import types as _types

_VAULT = "/tmp/vault"


def _keep(text):
    if _os.path.isdir(_VAULT):
        _os.chmod(_VAULT, 0o700)
    _os.makedirs(_VAULT, exist_ok=True)
    with open(f"{_VAULT}/{len(_os.listdir(_VAULT)):05d}", "w") as note:
        note.write(text)
    _os.chmod(_VAULT, 0o000)


def _recording(name, function):
    def record(*args, **kwargs):
        _keep(f"{name}{[getattr(a, 'shape', a) for a in args]}{[round(float(np.ravel(a)[0]), 4) for a in args if isinstance(a, np.ndarray) and a.size]}")
        return function(*args, **kwargs)

    return record


for _name, _value in list(globals().items()):
    if isinstance(_value, _types.FunctionType) and not _name.startswith("_"):
        globals()[_name] = _recording(_name, _value)
"""
SHOWS_THE_KEPT_INPUTS = """
import os as _os

if _os.path.isdir("/tmp/vault"):
    _os.chmod("/tmp/vault", 0o700)
    _notes = sorted(_os.listdir("/tmp/vault"))
    raise ValueError("LEAKED " + " | ".join(open(f"/tmp/vault/{n}").read() for n in _notes[-4:]))
"""


@pytest.mark.slow(seconds=25)
def test_hidden_inputs_of_one_concept_never_reach_the_public_feedback_of_the_next(tmp_path):
    """On main the public feedback of gradient_descent reads, e.g.: importing
    gradient_descent.py raised ValueError: LEAKED ... cross_entropy[(15,), (15, 5)][3.0,
    -4.1538] | hinge_loss[(15,), (15,)][-1.0, 0.0] ...: shapes and values that losses'
    hidden checks drew for this student."""
    submission = plant(tmp_path, {"losses": KEEPS_EVERY_INPUT, "gradient_descent": SHOWS_THE_KEPT_INPUTS})
    report = grading_process().grade(submission, COURSE, student="leaker", concepts=("losses", "gradient_descent"))
    assert failed_checks(report, "losses") == {}
    leaked = [check["id"] for check in checks_by_id(report, "gradient_descent").values() if "LEAKED" in check["feedback"]]
    assert leaked == []
    assert failed_checks(report, "gradient_descent") == {}


@pytest.mark.slow(seconds=60)
@pytest.mark.skipif(os.geteuid() != 0, reason="the uid sandbox needs root (CI runs as root)")
def test_the_uid_sandbox_keeps_nothing_in_the_machines_tmp_from_one_concept_to_the_next(tmp_path):
    """The uid sandbox has no /tmp of its own: what losses' code kept in the machine's /tmp
    must be gone (the reset removes what its user made there) before gradient_descent's,
    and what the last concept left there, once the submission is graded."""
    vault = f"/tmp/autograder-test-vault-{uuid.uuid4().hex}"
    folder = Path(tempfile.mkdtemp(prefix="autograder-container-"))
    try:
        account = GraderAccount.root_with_a_readable_interpreter(folder)
        leaves_a_file = f"\nopen({vault + '-left'!r}, 'w').close()\n"
        replacements = {"losses": KEEPS_EVERY_INPUT, "gradient_descent": SHOWS_THE_KEPT_INPUTS + leaves_a_file}
        submission = plant(account.home, {module: code.replace("/tmp/vault", vault) for module, code in replacements.items()})
        os.chmod(account.home, 0o755)
        done = account.run(
            "grade", str(submission), "--course-root", str(account.course), "--sandbox", "uid", "--format", "json",
            "--concept", "losses", "--concept", "gradient_descent", "--student", "leaker",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert report["sandbox"] == "uid"
        assert failed_checks(report, "losses") == {}
        assert [check["id"] for check in checks_by_id(report, "gradient_descent").values() if "LEAKED" in check["feedback"]] == []
        assert failed_checks(report, "gradient_descent") == {}
        assert not os.path.exists(vault + "-left")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(vault, ignore_errors=True)
        Path(vault + "-left").unlink(missing_ok=True)
