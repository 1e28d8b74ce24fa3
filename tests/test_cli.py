"""The command line: bad input gets one clear line on stderr, a non-zero exit, and no change."""

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course import find_course_root

COURSE = find_course_root()


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, cwd=cwd)


def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["grade", "/no/such/folder"], "autograder: error: /no/such/folder: no such file or directory"),
        (["grade", "{empty}"], "autograder: error: {empty}: no exercise modules found (expected losses.py, gradient_descent.py, nonlinearities.py, ... or notebooks, here or in exercises/)"),
        (["grade", "{file}"], "autograder: error: {file}: no exercise modules found (expected losses.py, gradient_descent.py, nonlinearities.py, ... or notebooks, here or in exercises/)"),
        (["grade", "{nothing}"], "autograder: error: {nothing}: it holds no files"),
        (["grade", "{sub}", "--format", "xml"], "'xml' is not one of"),
        (["grade", "{sub}", "--concept", "nope"], "'nope' is not one of"),
        (["grade"], "Missing argument 'PATH'"),
        (["grade", "{sub}", "--bogus"], "--bogus"),
        (["frobnicate"], "frobnicate"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(tmp_path, args, message):
    """The line names the problem (click words its own usage errors; we check the gist)."""
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not code")
    (tmp_path / "file.py").write_text("x = 1\n")
    (tmp_path / "nothing").mkdir()
    submission = tmp_path / "sub"
    shutil.copytree(COURSE.solutions, submission)
    places = {"empty": str(empty), "file": str(tmp_path / "file.py"), "nothing": str(tmp_path / "nothing"), "sub": str(submission)}
    before = tree_digest(tmp_path)
    done = run(*[a.format(**places) for a in args])
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("autograder: error: ")
    assert message.format(**places) in lines[0]
    assert tree_digest(tmp_path) == before


@pytest.mark.slow(seconds=20)
def test_grading_leaves_the_submission_untouched(tmp_path):
    submission = tmp_path / "sub"
    shutil.copytree(COURSE.solutions, submission)
    before = tree_digest(submission)
    done = run("grade", str(submission), "--format", "json", "--concept", "losses")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["score"] > 0
    assert tree_digest(submission) == before


@pytest.mark.slow(seconds=20)
def test_the_table_shows_the_concepts_asked_for_and_the_total():
    done = run("grade", str(COURSE.solutions), "--concept", "losses", "--concept", "pooling")
    assert done.returncode == 0, done.stderr
    assert "Loss functions" in done.stdout and "Pooling" in done.stdout and "Receptive fields" not in done.stdout
    assert "Total" in done.stdout and "20 / 20" in done.stdout


def test_no_arguments_print_the_help_as_help():
    done = run()
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith("Usage: autograder") and "grade-all" in done.stdout
