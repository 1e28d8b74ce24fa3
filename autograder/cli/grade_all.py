"""`autograder grade-all DIR`: grade a class, in parallel and resumably, into a gradebook."""

import os
from contextlib import nullcontext
from pathlib import Path

import click

from autograder import console
from autograder.course import find_course_root
from autograder.errors import UserError
from autograder.salt import resolve_course_salt
from autograder.cli.options import grading_options, sandbox_mode, warn_if_public


@click.command(name="grade-all", short_help="Grade every submission in a folder")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), default=Path("grades"), show_default=True, help="Where the reports, gradebook.csv and summary go.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default="one per core", help="Submissions graded at once.")
@click.option("--scheduler", metavar="ADDRESS", help="Grade on the workers of this running Dask scheduler (tcp://host:port) instead of here; needs the cluster extra.")
@grading_options
@click.pass_context
def grade_all(ctx: click.Context, *, folder: Path, out: Path, jobs: int, scheduler: str | None, public_only: bool, concepts: tuple[str, ...], time_scale: float, course_root: str | None, hidden_checks: str | None, sandbox: str, no_sandbox: bool, course_salt: str | None) -> None:
    """Grade each entry of FOLDER: a folder or cloned repository per student, a .zip, a
    notebook, or the flat files of a Canvas or Moodle download (grouped per student).

    Every entry gets one report and one gradebook row, with a status and the reason when
    nothing in it could be graded. Reports are written to OUT/reports/ as each finishes,
    signed with a key kept in your user config folder; a rerun reuses every report whose
    signature holds and whose submission, checks and options are unchanged, so an
    interrupted batch resumes where it stopped.

    With --scheduler, the workers of a Dask cluster grade, each submission in its own
    sandbox there; this machine prepares, reuses, signs and writes, so the reports and the
    gradebook are those of a local run."""
    from autograder.files import write_atomically
    from autograder.grading.batch import grade_folder
    from autograder.intake import find_entries
    from autograder.report.gradebook import render_gradebook, status_counts
    from autograder.report.signing import instructor_key
    from autograder.report.summary import write_summary

    course = find_course_root(course_root, hidden_checks)
    if scheduler is not None and ctx.get_parameter_source("jobs") is not click.core.ParameterSource.DEFAULT:
        raise click.UsageError("--jobs contradicts --scheduler (the cluster's workers decide how many are graded at once)")
    if out.resolve().is_relative_to(folder.resolve()):
        raise UserError(f"{out}: the output folder may not be inside {folder} (pass --out elsewhere)")
    entries = find_entries(folder)
    warn_if_one_submission(folder, [entry.id for entry in entries])
    instructor_key()  # made or checked now, before any grading
    salt = resolve_course_salt(course_salt, course.path)
    warn_if_public(salt, public_only)
    # Student code must see neither the class's other submissions nor the grades.
    secrets = (str(folder.resolve()), str(out.resolve()))
    options = {
        "public_only": public_only, "concepts": tuple(concepts), "time_scale": time_scale,
        "sandbox": sandbox_mode(sandbox, no_sandbox), "secrets": secrets, "course_salt": salt.value,
    }  # fmt: skip
    cluster = connect(scheduler) if scheduler is not None else nullcontext()  # before anything is written
    with cluster, console.progress(len(entries), "grading") as advance:
        grader = cluster.graded if scheduler is not None else None
        result = grade_folder(folder, out, course, jobs=jobs, options=options, on_done=lambda sid, outcome: advance(f"{sid}: {outcome}"), grader=grader)
    write_atomically(out / "gradebook.csv", render_gradebook(result.reports, result.failed))
    write_summary(result.reports, out / "summary", result.failed)
    for submission_id, report in sorted(result.reports.items()):
        if report.get("status", "graded") != "graded":
            console.warn(f"{submission_id}: {report['status'].replace('_', ' ')} ({report['reason']})")
    for submission_id in result.altered:
        console.warn(f"{submission_id}: its saved report was changed or not signed on this machine; graded again")
    for submission_id, why in result.failed.items():
        console.warn(f"{submission_id}: could not be graded ({why}); rerun to retry")
    console.out(
        f"{len(entries)} entries ({status_counts(result.reports, result.failed)}): "
        f"{len(result.graded)} graded, {len(result.reused)} unchanged and reused, {len(result.failed)} failed; "
        f"gradebook: {out / 'gradebook.csv'}, summary: {out / 'summary' / 'summary.md'}"
    )


def warn_if_one_submission(folder: Path, ids: list[str]) -> None:
    """Warn, before grading, when FOLDER looks like one student's work rather than a class:
    its entries are named like exercise modules (`losses.py`, `pooling.ipynb`), or one is
    `exercises/` (a student repository). Each would be graded as a student of its own."""
    from autograder.registry import exercise_modules

    alike = [submission_id for submission_id in ids if submission_id in {*exercise_modules(), "exercises"}]
    if len(alike) >= 2 or "exercises" in alike:
        console.warn(f"{folder}: looks like one submission, not a class ({', '.join(alike[:3])}, ... are graded as students); `autograder grade {folder}` grades it as one")


def connect(address: str):
    """A `ClusterGrading` on the Dask scheduler at `address`; UserError when Dask is not
    installed or the scheduler cannot be reached."""
    try:
        from autograder.grading.cluster import ClusterGrading
    except ModuleNotFoundError as missing:
        if missing.name is None or missing.name.split(".")[0] not in ("dask", "distributed"):
            raise
        raise UserError("--scheduler needs dask.distributed (pip install 'cnn-key-concepts[cluster]')") from None
    return ClusterGrading(address)
