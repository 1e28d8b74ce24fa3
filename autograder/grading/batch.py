"""Grade a folder of submissions: in parallel, one report per submission as it finishes,
resumable after a kill, and one gradebook.

A report carries a fingerprint of everything its grade depends on (the submission's
files, the checks, the options) and is signed with the instructor's key. Rerunning reuses
each report whose signature holds and whose fingerprint still matches, so an interrupted
batch loses nothing and grades nothing twice, and a report changed on disk is graded
again. A submission whose grading fails outright is listed and retried next time; it
never stops the batch.
"""

import hashlib
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from queue import Queue
from dataclasses import dataclass, field
from pathlib import Path

from autograder import __version__
from autograder.course import CourseRoot
from autograder.errors import UserError
from autograder.files import write_atomically
from autograder.grading.run import GradingProcess
from autograder.report.signing import instructor_key, sign_report, verify_report
from autograder.submission import find_exercise_dir

SKIPPED_PARTS = ("__pycache__", ".git", ".venv", "node_modules")


@dataclass
class BatchResult:
    graded: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # submission id -> why
    altered: list[str] = field(default_factory=list)  # saved reports whose signature did not hold
    not_submissions: list[str] = field(default_factory=list)
    reports: dict[str, dict] = field(default_factory=dict)


def find_submissions(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """Submission id (the folder's or repository's name) -> path, and the folders that hold none."""
    if not folder.is_dir():
        raise UserError(f"{folder}: no such folder")
    found, others = {}, []
    for child in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            find_exercise_dir(child)
        except UserError:
            others.append(child.name)
            continue
        found[child.name] = child
    if not found:
        raise UserError(f"{folder}: no submissions found (expected one folder per student holding the exercise modules)")
    return found, others


def fingerprint(submission: Path, course: CourseRoot, options: dict) -> str:
    """A digest of the submission's files, the checks and the grading options."""
    graded_with = {key: value for key, value in options.items() if key != "secrets"}  # where the folders are is no part of a grade
    digest = hashlib.sha256(json.dumps({"version": __version__, **graded_with}, sort_keys=True).encode())
    for root in (find_exercise_dir(submission), course.public_checks, course.hidden_checks):
        for path in _files(root):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not any(part in SKIPPED_PARTS for part in path.parts):
            yield path


def grade_folder(
    folder: Path,
    out: Path,
    course: CourseRoot,
    *,
    jobs: int,
    options: dict,
    on_done: Callable[[str, str], None] = lambda submission_id, outcome: None,
) -> BatchResult:
    """Grade every submission in `folder` into `out/reports/<id>.json`; see the module doc."""
    submissions, others = find_submissions(folder)
    reports_dir = out / "reports"
    reports_dir.mkdir(parents=True, exist_ok=True)
    result = BatchResult(not_submissions=others)
    pending = {}
    for submission_id, path in submissions.items():
        stamp = fingerprint(path, course, options)
        previous = _read_report(reports_dir / f"{submission_id}.json", result)
        if previous is not None and previous.get("fingerprint") == stamp:
            result.reused.append(submission_id)
            result.reports[submission_id] = previous
            on_done(submission_id, "reused")
        else:
            pending[submission_id] = (path, stamp)
    processes: Queue[GradingProcess] = Queue()
    for _ in range(jobs):
        processes.put(GradingProcess())

    def grade_one(path: Path, submission_id: str) -> dict:
        process = processes.get()  # one grading process per job, reused across submissions
        try:
            return process.grade(path, course, student=submission_id, **options)
        finally:
            processes.put(process)

    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(grade_one, path, sid): (sid, stamp) for sid, (path, stamp) in pending.items()}
            for future in as_completed(futures):
                submission_id, stamp = futures[future]
                _collect(future, submission_id, stamp, reports_dir, result, on_done)
    finally:
        while not processes.empty():
            processes.get().close()
    return result


def _collect(future, submission_id: str, stamp: str, reports_dir: Path, result: BatchResult, on_done) -> None:
    """Write one finished grade as its signed report, or note why there is none."""
    try:
        report = future.result()
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
