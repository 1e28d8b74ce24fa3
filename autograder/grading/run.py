"""Grade submissions: a pytest session per submission, in a grading process of the grader's.

Each session has a fixed configuration: no conftest.py, no plugin autoload, no cache, a
private working directory, and no bytecode written into the submission; it reaches the
submission only through sandboxed workers. Its report comes back signed.
"""

import functools
import json
import os
import secrets
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from autograder.course import CourseRoot
from autograder.errors import UserError
from autograder.files import TemporaryFolder
from autograder.intake import checked_names, entry_for, prepare
from autograder.report.sanitise import sanitise_report
from autograder.report.signing import verify
from autograder.salt import SALT_FILE, resolve_course_salt
from autograder.worker.isolation import GRADES_PER_PROCESS, Isolation, choose_isolation
from autograder.worker.warm_parent import sweep_sandbox_users_of
from autograder.worker.zygote import SWITCH as ZYGOTE_SWITCH

# Limits of one submission's session, each times --time-scale, as each check's own limit is.
# All checks together get SUBMISSION_LIMIT_S, from the first check's start: those left when
# it is used up are recorded as timed out (0 points), so that a submission that only waits
# still gets its report. The session itself gets SESSION_MARGIN_S more (never scaled below
# 1) to start, collect and report; one past that is ended, and its submission listed as failed.
SUBMISSION_LIMIT_S = 1200.0
SESSION_MARGIN_S = 300.0
CLOSE_LIMIT_S = 10.0  # an idle grading process ending itself (its spare sandbox killed), before it is killed
# Started with -c, not -m: a __main__ with no file keeps multiprocessing from importing it
# again in every worker it forks.
SERVER_MAIN = "import sys; from autograder.grading.server import serve; serve(int(sys.argv[1]))"


def grade_submission(path: Path, course: CourseRoot, *, student: str | None = None, process: "GradingProcess | None" = None, **options) -> dict:
    """The report of one submission (a folder, repository, zip or notebook, read through
    `autograder.intake`), from `process` or, by default, a grading process of its own.

    Options: student (id, default from the submission's name), public_only, concepts,
    time_scale, sandbox (auto, bwrap, uid or none), secrets (more paths the sandbox must
    not read: a class folder, an output folder), course_salt (default: from the
    environment or the course, see `autograder.salt`), overlap (grade the torch concept's
    start beside the others, `overlap_helps`; default True). Raises UserError for a path that
    is no submission or holds nothing gradable, or a sandbox that cannot be built.
    """
    entry = entry_for(path)
    with TemporaryFolder("autograder-intake-") as scratch:
        intake = prepare(entry, scratch, checked_names(course))
        if not intake.gradable:
            raise UserError(f"{path}: {intake.reason}")
        if process is not None:
            return intake.annotate(process.grade(intake.folder, course, student=student or entry.id, **options))
        with GradingProcess() as own:
            return intake.annotate(own.grade(intake.folder, course, student=student or entry.id, **options))


def overlap_helps(jobs: int) -> bool:
    """Whether a session that overlaps its work (`GradingProcess.grade`'s `overlap`) finds a
    core for it: `jobs` grading sessions run at once on the cores this process may use.
    With a job per core, work started early only takes turns with the other sessions'
    (the class of `benchmarks/bench_grading.py` took about a tenth longer with it)."""
    return jobs < len(os.sched_getaffinity(0))


class GradingProcess:
    """A grading server process (`autograder.grading.server`) that grades submissions one
    after another (GRADES_PER_PROCESS at most: as root, each takes a uid of its own that
    the process never hands out again, from a range of its own). Its reports are signed with a key only it was given, so a report that
    student code forged is refused. A session that fails or hangs ends the process; the
    next `grade` starts a new one.

    The process's temporary folders (a sandbox's copy of the submission, its work folder)
    lie in `scratch`, inside this object's home: a session killed midway never cleans up
    after itself, so `stop()` empties scratch, and `close()` removes the home (or the next
    grader, if this one is killed: `autograder.files.TemporaryFolder`)."""

    def __init__(self):
        self.folder = TemporaryFolder("autograder-")  # in use while this process or the server lives
        self.home = self.folder.path
        (self.home / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        self.scratch = self.home / "tmp"  # the process's TMPDIR
        # 0711: a uid sandbox's user passes through to its own folder in scratch and can
        # list neither; what guards a classmate's folder is its mode, 0700 for its own user
        # (a folder's name can be read in /proc, in its warm parent's command line)
        self.home.chmod(0o711)
        self.process: subprocess.Popen | None = None
        self.key = b""
        self.graded = 0  # submissions the running process has graded
        self.asking = False  # a session runs (a thread may close a process another waits on)

    def __enter__(self) -> "GradingProcess":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def grade(
        self,
        folder: Path,
        course: CourseRoot,
        *,
        student: str,
        public_only: bool = False,
        concepts: tuple[str, ...] = (),
        time_scale: float = 1.0,
        sandbox: str = "auto",
        secrets: tuple[str, ...] = (),
        course_salt: str | None = None,
        overlap: bool = True,
    ) -> dict:
        """The report of `folder`, a prepared submission (`autograder.intake.prepare`).
        `overlap`: start the torch sandbox, and the calls marked ahead there, while the other
        concepts are graded, and a spare for the next session (pass `overlap_helps(jobs)`
        when grading several at once); the report is the same either way, but for a session
        that uses up its total time limit (SUBMISSION_LIMIT_S), which is wall time."""
        if not public_only and not course.hidden_checks.is_dir():
            raise UserError(f"no hidden checks in {course.hidden_checks} (grade with --public-only)")
        salt = resolve_course_salt(course_salt, course.path).value
        hidden = secret_paths(course, *secrets)
        # A new grading process imports pytest and the grader (about a second) while the
        # sandbox is tried, the first time in this process (about a second too): one
        # submission's `autograder grade`, and a notebook's checks cell, wait for one, not both.
        self._running()
        isolation = checked_isolation(sandbox, hidden)
        started = time.perf_counter()
        options = [f"--time-scale={time_scale}", f"--total-time-limit={SUBMISSION_LIMIT_S}", *[f"--concept={concept}" for concept in concepts]]
        options.append(f"--course-salt={salt}")  # sent on the session's stdin, never on a command line
        if not overlap:
            options.append("--no-overlap")
        arguments = self._arguments(folder, course, student, isolation, hidden, options, public_only)
        try:
            report = self._ask(arguments, SUBMISSION_LIMIT_S * time_scale + SESSION_MARGIN_S * max(1.0, time_scale))
        finally:
            # every session counts, reported or not: each took sandbox users of its own
            self.graded += 1
            if self.graded >= GRADES_PER_PROCESS:  # a fresh process, with fresh sandbox users
                self.stop_when_idle()
        report["submission"] = str(folder)
        report["duration_s"] = round(time.perf_counter() - started, 3)
        return sanitise_report(report)  # the submission's path may hold a student's folder name

    def _arguments(self, folder, course, student_id, isolation, hidden, options, public_only) -> list[str]:
        """The session's pytest arguments. Every value rides in its option as `--name=value`
        and every path is absolute, so that no student id or folder name (`-2+3`, `--help`)
        can be read as an option (pytest does not honour `--`)."""
        check_dirs = [course.public_checks] if public_only else [course.public_checks, course.hidden_checks]
        sandbox = [f"--sandbox={isolation.mode}", *([f"--bwrap={isolation.bwrap}"] if isolation.bwrap else []), *[f"--secret={p}" for p in hidden]]
        return [
            # no:unraisableexception: its gc.collect() at every session end costs more than the checks;
            # no:logging: it hooks a handler onto every non-propagating logger (torch's are
            # many) around each phase of each check, a second of CPU a session;
            # --no-summary: no one reads the session's terminal, so its per-concept table is not drawn;
            # --capture=no: what a check prints would go into reports no one reads, and the
            # process's stdin, stdout and stderr are /dev/null already (autograder.grading.server)
            "-q", "-p", "autograder.plugin", "-p", "no:cacheprovider", "-p", "no:unraisableexception", "-p", "no:logging",
            "--noconftest", "--import-mode=importlib", "--tb=no", "--no-summary", "--capture=no",
            f"--config-file={self.home / 'pytest.ini'}", f"--rootdir={self.home}",
            f"--submission={folder.resolve()}", f"--student={student_id}", "--grading",
            f"--hidden-dir={course.hidden_checks.resolve()}", *sandbox, *options, *[str(d.resolve()) for d in check_dirs],
        ]  # fmt: skip

    def _ask(self, arguments: list[str], limit_s: float) -> dict:
        """The session's verified report, within `limit_s` seconds."""
        process = self._running()
        self.asking = True
        try:
            process.stdin.write(json.dumps({"arguments": arguments}) + "\n")
            process.stdin.flush()
            ready, _, _ = select.select([process.stdout], [], [], limit_s)
            signature = process.stdout.readline() if ready else ""
            body = process.stdout.readline() if signature else ""
        except BaseException:  # interrupted (Ctrl-C, SIGTERM): the session still runs
            self.stop()
            raise
        self.asking = False
        if not body:
            self.stop()
            raise RuntimeError("the grading session ended without a report")
        report = json.loads(verify(f"{signature.rstrip()}\n{body.rstrip()}", self.key))
        if report is None:
            raise RuntimeError("the grading session could not collect or run every check")
        return report

    def _running(self) -> subprocess.Popen:
        if self.process is None or self.process.poll() is not None:
            self.graded = 0
            self.key = secrets.token_bytes(32)
            self.scratch.mkdir(exist_ok=True)
            self.scratch.chmod(0o711)
            key_read, key_write = os.pipe()
            os.write(key_write, self.key)
            os.close(key_write)
            try:
                self.process = subprocess.Popen(
                    [sys.executable, "-c", SERVER_MAIN, str(key_read)], cwd=self.home,
                    env={**session_environment(), "TMPDIR": str(self.scratch)}, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL, text=True, pass_fds=(key_read, self.folder.lock),
                )  # fmt: skip
            finally:
                os.close(key_read)
        return self.process

    def stop(self) -> None:
        """End the grading process, sweep (as root) the users of its uid sandboxes, whose
        processes and files outlive it, and remove what it left in scratch; the next
        `grade` starts a new one."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            if os.geteuid() == 0:  # its uid sandboxes' processes and files outlive it
                sweep_sandbox_users_of(self.process.pid)
            self.process = None
        shutil.rmtree(self.scratch, ignore_errors=True)

    def stop_when_idle(self) -> None:
        """stop(), but a grading process between sessions first ends itself, at the end of
        its input, as it is meant to: it kills its spare sandbox and waits for it
        (`autograder.grading.server`). One in a session is killed at once."""
        if self.process is not None and self.process.poll() is None and not self.asking:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=CLOSE_LIMIT_S)
            except subprocess.TimeoutExpired:
                pass
        self.stop()

    def close(self) -> None:
        self.stop_when_idle()
        self.folder.remove()


def secret_paths(course: CourseRoot, *more: str) -> tuple[str, ...]:
    """What student code must not read: the reference, the hidden checks, the course's
    notebooks, tests, history and salt, and `more` (a class folder, an output folder)."""
    course_files = [course.solutions, course.hidden_checks, *[course.path / part for part in ("course", "tests", ".git", SALT_FILE.parent)]]
    parts = [*course_files, *map(Path, more)]
    return tuple(str(path.resolve()) for path in parts if path.exists())


def checked_isolation(requested: str, secrets: tuple[str, ...]) -> Isolation:
    """The sandbox to grade in (`requested`: auto, bwrap, uid or none), once shown to start
    and to see none of `secrets`; raises UserError, naming why, otherwise. One trial at a
    time, so that the threads of grade-all wait for the first instead of each trying."""
    with _TRIAL:
        return _tried_isolation(requested, secrets)


_TRIAL = threading.Lock()


@functools.cache
def _tried_isolation(requested: str, secrets: tuple[str, ...]) -> Isolation:
    from autograder.worker.sandbox import SandboxedSubmission
    from autograder.worker.warm_parent import SandboxBroken, SecretsVisible

    isolation = choose_isolation(requested)
    if isolation.mode == "none":
        return isolation
    with tempfile.TemporaryDirectory(prefix="autograder-probe-") as empty:
        trial = None
        try:
            trial = SandboxedSubmission(Path(empty), isolation, probe=secrets)
            trial.parent()
        except SecretsVisible as visible:
            raise UserError(
                f"the {isolation.mode} sandbox can read {visible}, which students must not see "
                f"(make it readable by its owner only: chmod -R go-rwx PATH)"
            ) from None
        except SandboxBroken as problem:
            raise UserError(f"the {isolation.mode} sandbox did not start ({problem})") from None
        finally:
            if trial is not None:
                trial.close()
    return isolation


def session_environment() -> dict[str, str]:
    """The grading session's environment: no plugin autoload, no bytecode in the submission,
    one thread for torch, numpy's BLAS and OpenMP; of the grader's own settings, only the
    zygote's switch (`autograder.worker.zygote`: AUTOGRADER_ZYGOTE=0 turns it off)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "AUTOGRADER_")) or key == ZYGOTE_SWITCH}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # The oracles' tensors are small: on one thread each, no thread pool spins beside the
    # sandbox's workers when a machine grades one submission per core.
    env.update({"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"})
    return env
