"""The sandbox a grade is made in: the strongest that works here, named in the report, or a
refusal in one line; never a weaker one in silence (law 4)."""

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from autograder.cli import main
from autograder.course import find_course_root
from autograder.grading.run import grade_submission
from autograder.report.views import render
from autograder.worker.isolation import find_bwrap
from grader_accounts import GraderAccount
from mutants import grading_process

COURSE = find_course_root()
NO_BWRAP = {"AUTOGRADER_BWRAP": "/bin/false"}  # a bwrap that cannot start, as in a default Docker container
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="the uid sandbox and the container's root need root (CI runs as root)")


@pytest.fixture(scope="module")
def container_root():
    """Root with an interpreter every user can read and the course's secrets root's alone."""
    folder = Path(tempfile.mkdtemp(prefix="autograder-container-"))
    yield GraderAccount.root_with_a_readable_interpreter(folder)
    shutil.rmtree(folder, ignore_errors=True)


def grade_arguments(account: GraderAccount, *more: str) -> list[str]:
    return ["grade", str(account.course / "solutions"), "--course-root", str(account.course), "--concept", "losses", *more]


@as_root
def test_root_without_bwrap_grades_in_the_uid_sandbox_and_says_so(container_root):
    done = container_root.run(*grade_arguments(container_root, "--format", "json"), environment=NO_BWRAP)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["sandbox"], report["score"]) == ("uid", 10.0)
    assert "graded in the uid sandbox" in render(report, "table")


@as_root
def test_the_uid_sandbox_refuses_a_course_whose_secrets_others_can_read(container_root):
    solutions = container_root.course / "solutions"
    os.chmod(solutions, 0o755)
    try:
        done = container_root.run(*grade_arguments(container_root, "--sandbox", "uid"))
    finally:
        os.chmod(solutions, 0o700)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"autograder: error: the uid sandbox can read {solutions}, which students must not see (make it readable by its owner only: chmod -R go-rwx PATH)"
    ]


@as_root
def test_a_root_without_privileges_or_user_namespaces_refuses_in_one_line(container_root):
    """Root inside a user namespace that may make no other (a rootless container): no
    namespaces for bwrap, no other user for the uid sandbox. The grader refuses."""
    folder, environment = str(container_root.course.parent), str(container_root.environment)
    container = [
        find_bwrap(), "--unshare-user", "--uid", "0", "--gid", "0", "--disable-userns", "--cap-add", "ALL", "--cap-drop", "CAP_SYS_ADMIN",
        "--ro-bind", "/", "/", "--tmpfs", "/tmp", "--bind", folder, folder, "--bind", environment, environment, "--dev", "/dev", "--proc", "/proc", "--",
    ]  # fmt: skip
    done = container_root.run(*grade_arguments(container_root), wrapper=container)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("autograder: error: the uid sandbox did not start"), lines


def test_an_ordinary_user_without_bwrap_is_refused_in_one_line():
    folder = Path(tempfile.mkdtemp(prefix="autograder-ordinary-"))
    try:
        account = GraderAccount.ordinary(folder)
        done = account.run(*grade_arguments(account), environment=NO_BWRAP)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("autograder: error: no sandbox can be built here"), lines
    assert lines[0].endswith("grade trusted code only, with --no-sandbox")


def test_without_a_sandbox_a_grade_says_so():
    report = grade_submission(COURSE.solutions, COURSE, concepts=("losses",), sandbox="none", process=grading_process())
    assert (report["sandbox"], report["score"]) == ("none", 10.0)
    assert "graded without a sandbox" in render(report, "table")


def test_no_sandbox_and_another_sandbox_contradict_each_other(capsys):
    assert main(["grade", str(COURSE.solutions), "--no-sandbox", "--sandbox", "bwrap"]) == 2
    assert capsys.readouterr().err == "autograder: error: --no-sandbox contradicts --sandbox bwrap\n"


SHARED_HOARD = """
import mmap, os, time
def hoard():
    done, ready = os.pipe()
    for _ in range(4):
        if os.fork() == 0:
            shared = mmap.mmap(-1, 512 * 2**20, flags=mmap.MAP_SHARED | mmap.MAP_POPULATE)
            os.write(ready, b"1")
            time.sleep(60)
            os._exit(0)
    for _ in range(4):
        os.read(done, 1)
    time.sleep(1)  # the grader adds up the sandbox's memory every 50 ms
    return "escaped"
"""


def test_shared_memory_of_forked_children_counts_toward_the_sandboxs_limit(tmp_path):
    """Four children each hold 512 MiB of shared anonymous memory, which no VmData shows,
    under a 1.5 GiB limit (smaller than the usual 3 GiB, so that a loaded machine passes it
    well within the check's time; each mapping fits the per-process limit)."""
    from autograder.worker.errors import StudentCrashed
    from autograder.worker.isolation import choose_isolation
    from autograder.worker.limits import Limits
    from autograder.worker.sandbox import SandboxedSubmission

    (tmp_path / "hoarder.py").write_text(SHARED_HOARD, encoding="utf-8")
    submission = SandboxedSubmission(tmp_path, choose_isolation("bwrap"), Limits(memory_bytes=3 * 2**29))
    try:
        submission.start_check(30)
        with pytest.raises(StudentCrashed, match="out of memory"):
            submission.module("hoarder").hoard()
    finally:
        submission.close()
