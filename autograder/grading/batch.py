"""Grade a folder of submissions: in parallel, one report per submission as it finishes,
resumable after a kill, and one gradebook.

Every entry of the folder (a folder, repository, zip, notebook or a platform's flat files,
see `autograder.intake`) is prepared first and gets one report: an entry with nothing
gradable is graded as empty, so its report lists every check, with its status and reason.
A report carries a fingerprint of everything its grade depends on (the prepared files,
the intake's notes, the checks, the options) and is signed with the instructor's key.
Rerunning reuses each report whose signature holds and whose fingerprint still matches,
so an interrupted batch loses nothing and grades nothing twice, and a report changed on
disk is graded again. A submission whose grading fails outright is listed and retried
next time; it never stops the batch. Submissions are graded by grading processes on this
machine, or by the workers of a Dask cluster (`autograder.grading.cluster`); either way,
preparing, fingerprints, reuse, signing and writing happen here, once per submission.
"""

import functools
import hashlib
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from queue import Queue
from pathlib import Path
from typing import Protocol

from autograder import __version__
from autograder.course import CourseRoot
from autograder.files import TemporaryFolder, write_atomically
from autograder.grading.run import GradingProcess, overlap_helps
from autograder.intake import Intake, checked_names, find_entries, prepare
from autograder.report.signing import instructor_key, sign_report, verify_report

SKIPPED_PARTS = ("__pycache__", ".git", ".venv", "node_modules")


@dataclass
class BatchResult:
    graded: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # submission id -> why
    altered: list[str] = field(default_factory=list)  # saved reports whose signature did not hold
    reports: dict[str, dict] = field(default_factory=dict)


def fingerprint(intake: Intake, course: CourseRoot, options: dict) -> str:
    """A digest of the prepared submission, the intake's record, the checks and the options."""
    graded_with = {key: value for key, value in options.items() if key != "secrets"}  # where the folders are is no part of a grade
    described = {"version": __version__, "student": intake.entry.id, **graded_with, **intake.fields()}
    digest = hashlib.sha256(json.dumps(described, sort_keys=True).encode())
    for root in (intake.folder, course.public_checks, course.hidden_checks):
        for path in graded_files(root):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def graded_files(root: Path) -> Iterator[Path]:
    """The files below `root` that a grade depends on, sorted: caches and version control left out."""
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not any(part in SKIPPED_PARTS for part in path.relative_to(root).parts):
            yield path


class Finished(Protocol):
    """A finished grade: its report, or the exception that ended it (a concurrent.futures
    or a Dask future)."""

    def result(self) -> dict: ...


# Grades a batch: (submission id -> prepared folder, course, options) to (submission id,
# finished grade) pairs, as each finishes: `graded_locally`, or
# `autograder.grading.cluster.ClusterGrading.graded` on a Dask cluster.
Grader = Callable[[dict[str, Path], CourseRoot, dict], Iterator[tuple[str, Finished]]]


def grade_folder(
    folder: Path,
    out: Path,
    course: CourseRoot,
    *,
    jobs: int,
    options: dict,
    on_done: Callable[[str, str], None] = lambda submission_id, outcome: None,
    grader: Grader | None = None,
) -> BatchResult:
    """Grade every entry of `folder` into `out/reports/<id>.json`; see the module doc. The
    grading runs in `jobs` grading processes here, or on `grader`; wherever it runs, this
    process alone prepares, fingerprints, reuses, signs and writes."""
    reports_dir = out / "reports"
    reports_dir.mkdir(parents=True, exist_ok=True)
    result = BatchResult()
    checked = checked_names(course)
    grade = grader or functools.partial(graded_locally, jobs=jobs)
    with TemporaryFolder("autograder-intake-") as scratch:
        pending = {}
        for entry in find_entries(folder):
            intake = prepare(entry, scratch, checked)
            stamp = fingerprint(intake, course, options)
            previous = _read_report(reports_dir / f"{entry.id}.json", result)
            if previous is not None and previous.get("fingerprint") == stamp:
                result.reused.append(entry.id)
                result.reports[entry.id] = previous
                on_done(entry.id, "reused")
            else:
                pending[entry.id] = (intake, stamp)
        work = {submission_id: intake.folder for submission_id, (intake, _) in pending.items()}
        for submission_id, future in grade(work, course, options):
            _collect(future, *pending[submission_id], reports_dir, result, on_done)
    return result


def graded_locally(work: dict[str, Path], course: CourseRoot, options: dict, *, jobs: int) -> Iterator[tuple[str, Finished]]:
    """Grade each prepared folder of `work` in one of `jobs` grading processes, each reused
    across submissions; yield (submission id, finished future of its report) as each ends."""
    every = [GradingProcess() for _ in range(jobs)]
    overlap = overlap_helps(jobs)
    processes: Queue[GradingProcess] = Queue()
    for process in every:
        processes.put(process)

    def grade_one(folder: Path, submission_id: str) -> dict:
        process = processes.get()
        try:
            return process.grade(folder, course, student=submission_id, overlap=overlap, **options)
        finally:
            processes.put(process)

    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = {pool.submit(grade_one, folder, submission_id): submission_id for submission_id, folder in work.items()}
        for future in as_completed(futures):
            yield futures[future], future
    finally:
        # Interrupted (Ctrl-C, SIGTERM) or done: grade nothing more, and end the sessions
        # still running (their grades fail, and are redone by the next run), then wait.
        pool.shutdown(wait=False, cancel_futures=True)
        for process in every:
            process.close()
        pool.shutdown(wait=True)


def _collect(future: Finished, intake: Intake, stamp: str, reports_dir: Path, result: BatchResult, on_done) -> None:
    """Write one finished grade as its signed report, or note why there is none."""
    submission_id = intake.entry.id
    try:
        report = intake.annotate(future.result())
    except Exception as problem:  # noqa: BLE001 - one submission never stops the batch
        result.failed[submission_id] = f"{type(problem).__name__}: {problem}".splitlines()[0]
        on_done(submission_id, "failed")
        return
    report = sign_report({**report, "fingerprint": stamp}, instructor_key(), name=submission_id)
    write_atomically(reports_dir / f"{submission_id}.json", json.dumps(report, indent=2))
    result.graded.append(submission_id)
    result.reports[submission_id] = report
    on_done(submission_id, "graded")


def _read_report(path: Path, result: BatchResult) -> dict | None:
    """The saved report of submission `path.stem` when it is exactly what the grader wrote
    for it (signed for it with the instructor's key); None when there is none, and a note
    in `result.altered` when there is one that was changed, copied or not signed here."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        report = None
    if verify_report(report, instructor_key(), name=path.stem):
        return report
    result.altered.append(path.stem)
    return None
