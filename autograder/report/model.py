"""Check results and the report of schema version 1 (`../shared/design.md`).

A check's points are relative within its concept; the report scales them so a concept's
checks add up to its registry weight. Every concept of the registry is listed, those
with no checks yet with a max_score of 0. Its strings are made plain and capped here
(`autograder.report.sanitise`), so no view ever gets a student's control characters. Beyond
schema 1's fields, a report records the versions of Python, numpy and torch it was made
with (`versions`) and, for a grade whose torch sandbox served checks, how that sandbox's
warm parent started (`sandbox_start`: "zygote" or "fresh") and, when the zygote could have
served it and did not, why (`sandbox_start_problem`, `autograder.worker.zygote`).
"""

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from autograder.registry import CONCEPTS, Concept
from autograder.report.sanitise import sanitise_report
from autograder.versions import library_versions

SCHEMA_VERSION = 1
STATUSES = ("passed", "failed", "error", "not_attempted", "timeout", "crashed")


@dataclass(frozen=True)
class CheckResult:
    concept: str
    id: str
    visibility: str  # "public" or "hidden"
    points: float  # relative weight within the concept, from the points marker
    status: str  # one of STATUSES
    feedback: str  # for the student; empty when passed
    description: str = ""  # what the check looks at, from its docstring
    mistake: str = ""  # the misconception a detector recognised, if any

    def to_json(self) -> dict:
        return asdict(self)


def build_report(
    results: Iterable[CheckResult],
    *,
    submission: str,
    student: str | None,
    duration_s: float,
    concepts: Iterable[Concept] = CONCEPTS,
    sandbox: str | None = None,
    sandbox_start: str | None = None,
    sandbox_start_problem: str | None = None,
) -> dict:
    """The report dict: every concept, every check, scores scaled to concept weights,
    every string plain and capped. `sandbox` names the isolation a grade was made in
    (bwrap, uid or none); a student's own run, which is no grade, has none. So do
    `sandbox_start` and `sandbox_start_problem` (see the module's doc)."""
    by_concept: dict[str, list[CheckResult]] = {}
    for result in results:
        by_concept.setdefault(result.concept, []).append(result)
    concept_entries = [_concept_entry(concept, by_concept.get(concept.id, [])) for concept in concepts]
    report = {
        "schema": SCHEMA_VERSION,
        "submission": submission,
        "student": student,
        "score": round(sum(c["score"] for c in concept_entries), 6),
        "max_score": round(sum(c["max_score"] for c in concept_entries), 6),
        "duration_s": round(duration_s, 3),
        "concepts": concept_entries,
        "versions": library_versions(),  # what student code ran on: numpy 2 refuses code numpy 1 runs
    }
    if sandbox is not None:
        report["sandbox"] = sandbox
    if sandbox_start is not None:
        report["sandbox_start"] = sandbox_start
    if sandbox_start_problem is not None:
        report["sandbox_start_problem"] = sandbox_start_problem
    return sanitise_report(report)


def _concept_entry(concept: Concept, results: list[CheckResult]) -> dict:
    total_points = sum(r.points for r in results)
    checks = []
    for result in results:
        max_points = round(concept.weight * result.points / total_points, 6)
        checks.append(
            {
                "id": result.id,
                "visibility": result.visibility,
                "points": max_points if result.status == "passed" else 0.0,
                "max_points": max_points,
                "status": result.status,
                "feedback": result.feedback,
                "description": result.description,
                "mistake": result.mistake,
            }
        )
    passed_points = sum(r.points for r in results if r.status == "passed")
    return {
        "id": concept.id,
        "title": concept.title,
        "score": round(concept.weight * passed_points / total_points, 6) if checks else 0.0,
        "max_score": concept.weight if checks else 0.0,
        "checks": checks,
    }


def count_statuses(report: dict) -> dict[str, int]:
    """How many checks of the whole report have each status."""
    counts = dict.fromkeys(STATUSES, 0)
    for concept in report["concepts"]:
        for check in concept["checks"]:
            counts[check["status"]] += 1
    return counts
