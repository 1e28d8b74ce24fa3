"""Grade one submission: a fresh pytest session runs the checks against it.

The session runs in its own process with a fixed configuration: no conftest.py, no
plugin autoload, no cache, a scratch working directory, and no bytecode written into the
submission. Its report comes back through a file in a private temporary folder.
"""

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.course import CourseRoot
from autograder.errors import UserError
from autograder.report.signing import verify
from autograder.submission import find_exercise_dir

SESSION_LIMIT_S = 1800  # a whole session; each check has its own, shorter limit


def grade_submission(
    path: Path,
    course: CourseRoot,
    *,
    student: str | None = None,
    public_only: bool = False,
    concepts: tuple[str, ...] = (),
    time_scale: float = 1.0,
) -> dict:
    """The report of one submission. Raises UserError for a path that is no submission."""
    exercise_dir = find_exercise_dir(path)
    check_dirs = [course.public_checks]
    if not public_only:
        if not course.hidden_checks.is_dir():
            raise UserError(f"no hidden checks in {course.hidden_checks} (grade with --public-only)")
        check_dirs.append(course.hidden_checks)
    student_id = student or default_student_id(path)
    started = time.perf_counter()
    key = secrets.token_bytes(32)
    with tempfile.TemporaryDirectory(prefix="autograder-") as scratch:
        scratch_dir = Path(scratch)
        key_read, key_write = os.pipe()
        os.write(key_write, key)
        os.close(key_write)
        report_file = scratch_dir / "report.json"
        (scratch_dir / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        command = [
            sys.executable, "-m", "pytest", "-q", "-p", "autograder.plugin", "-p", "no:cacheprovider",
            "--noconftest", "--import-mode=importlib", "-c", str(scratch_dir / "pytest.ini"), "--rootdir", str(scratch_dir),
            "--submission", str(exercise_dir.resolve()), "--report-json", str(report_file),
            "--student", student_id, "--grading", "--key-fd", str(key_read), f"--hidden-dir={course.hidden_checks}",
            *[f"--hide={path}" for path in secret_paths(course, scratch_dir)],
            f"--time-scale={time_scale}", *[f"--concept={concept}" for concept in concepts],
            *[str(d) for d in check_dirs],
        ]  # fmt: skip
        try:
            finished = subprocess.run(
                command, cwd=scratch_dir, env=session_environment(), capture_output=True, text=True,
                timeout=SESSION_LIMIT_S, stdin=subprocess.DEVNULL, pass_fds=(key_read,),
            )  # fmt: skip
        finally:
            os.close(key_read)
        if not report_file.is_file():
            tail = "\n".join((finished.stdout + finished.stderr).strip().splitlines()[-5:])
            raise RuntimeError(f"the grading session ended without a report (exit {finished.returncode}):\n{tail}")
        report = json.loads(verify(report_file.read_text(encoding="utf-8"), key))
    report["submission"] = str(path)
    report["duration_s"] = round(time.perf_counter() - started, 3)
    return report


def secret_paths(course: CourseRoot, session_dir: Path) -> list[str]:
    """What student code must not read: the reference, the hidden checks, the course's
    notebooks and history, and the session's own folder."""
    parts = [course.solutions, course.hidden_checks, course.path / "course", course.path / "tests", course.path / ".git", session_dir]
    return [str(path) for path in parts if path.is_dir()]


def default_student_id(path: Path) -> str:
    """A student id from the submission's folder name (its repository, or the folder itself)."""
    resolved = path.resolve()
    return resolved.parent.name if resolved.name == "exercises" else resolved.name


def session_environment() -> dict[str, str]:
    """The grading session's environment: no plugin autoload, no bytecode in the submission."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "AUTOGRADER_"))}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env
