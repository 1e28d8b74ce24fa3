"""The pytest plugin that turns check files into per-concept grades (law 3).

A check is a pytest test that carries `@pytest.mark.concept(id)` (usually as the module's
`pytestmark`) and optionally `@pytest.mark.points(n)`, and reaches the code under test only
through the `student` fixture; its seeded inputs come from the `rng` fixture, and a slow
result that several checks share (a trained detector) from the session's `shared` fixture.
A check is hidden when its file lies anywhere under the hidden-checks folder
(`--hidden-dir`, or a folder named `hidden`), sub-folders included.

In a student's `pytest`, `student` is the imported exercise module (print and pdb work),
whose functions' answers are normalised as the worker's are; each check keeps its time
limit (SIGALRM, where there is one); a stub's NotImplementedError shows as *not
attempted*, and the run ends with the table of the concepts it checked. When grading
(`--grading`), `student` is a proxy to the sandboxed worker instead, so no student code
runs in this process.
"""

import hashlib
import hmac
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from autograder.check_files import marked_concepts
from autograder.compare import REVEAL_EXPECTED
from autograder.errors import UserError
from autograder.registry import CONCEPTS, Concept, get_concept
from autograder.salt import SALT_HELP, CourseSalt, resolve_course_salt
from autograder.shared import SharedResults
from autograder.report.model import CheckResult, build_report
from autograder.time_limit import time_limit
from autograder.verdict import classify
from autograder.worker.errors import StudentTimedOut

CONCEPT_HELP = "concept(id): the concept of autograder.registry that a check grades"
POINTS_HELP = "points(n): the check's weight within its concept (default 1)"
TIME_LIMIT_HELP = "time_limit(seconds): this check's time limit, when grading and in a student's run (default 10 s)"
AHEAD_HELP = (
    "ahead(function, inputs): when grading, start the student's function(*inputs()) (inputs returns data that is the same "
    "for every student) as soon as its concept's sandbox is up, within this check's time limit; the same call answers it"
)
SUBMISSION_HELP = "folder holding the exercise modules to check (default: exercises/ under the rootdir)"
REPORT_HELP = "write the JSON report (schema 1) of the checks run to this file"
STUDENT_HELP = "student id: personalises the hidden inputs and names the report"
CONCEPTS_HELP = "run only the checks of this concept (repeatable)"
GRADING_HELP = "grade: reach the submission through the sandboxed worker, never in this process"
SANDBOX_HELP = "when grading: the sandbox student code runs in (bwrap, uid or none)"
BWRAP_HELP = "when grading in the bwrap sandbox: the bwrap executable"
SECRET_HELP = "when grading: a file or folder the sandbox must not be able to read (repeatable)"
NO_OVERLAP_HELP = (
    "when grading: grade one thing at a time, for when every core grades a submission of its own: the torch sandbox "
    "starts when its concept's first check needs it (not with the session, nor as a spare for the next one), and the "
    "calls marked ahead run then, before that check; the checks see the same"
)
TIME_SCALE_HELP = "multiply every check's time limit by this factor (a slow machine: more than 1)"
TOTAL_TIME_HELP = (
    "the time limit of the session's checks together, in seconds, times --time-scale, counted from the first check's start: "
    "a check gets at most what is left of it, and the checks left when it is used up are recorded as timed out, with 0 points (default: none)"
)
HIDDEN_DIR_HELP = "the folder whose checks, sub-folders included, are hidden (default: any folder named `hidden`)"

DEFAULT_TIME_LIMIT_S = 10.0
# When grading: concepts built on torch last, so that the sandbox whose warm parent imports
# torch for them, started with the session (autograder.worker.sandbox), imports it while
# the others are graded
GRADING_ORDER = {concept.id: index for index, concept in enumerate(sorted(CONCEPTS, key=lambda concept: concept.built_on_torch))}

# numpy 1.25 and 1.26 only warn where numpy 2, the grader's, raises: make the student's run agree
NUMPY_2_CONVERSION = "error:Conversion of an array with ndim > 0 to a scalar:DeprecationWarning"

KNOWN_CONCEPTS = frozenset(concept.id for concept in CONCEPTS)

RESULTS = pytest.StashKey[dict]()
SUBMISSION = pytest.StashKey[object]()
SALT = pytest.StashKey[CourseSalt]()
STARTED = pytest.StashKey[float]()
FIRST_CHECK = pytest.StashKey[float]()  # when the first check started: --total-time-limit counts from there
COLLECTED = pytest.StashKey[set]()
VISIBILITIES = pytest.StashKey[dict]()  # a check file's visibility, by its path
CONCEPT = pytest.StashKey[str | None]()  # a check's concept id


def pytest_addoption(parser: pytest.Parser) -> None:
    """Options and ini keys, each with one help text."""
    group = parser.getgroup("autograder", "per-concept grading of exercise modules")
    group.addoption("--submission", help=SUBMISSION_HELP)
    group.addoption("--report-json", help=REPORT_HELP)
    group.addoption("--student", help=STUDENT_HELP)
    group.addoption("--course-salt", help=SALT_HELP)
    group.addoption("--concept", action="append", default=[], dest="only_concepts", help=CONCEPTS_HELP)
    group.addoption("--grading", action="store_true", help=GRADING_HELP)
    group.addoption("--sandbox", choices=("bwrap", "uid", "none"), default="bwrap", help=SANDBOX_HELP)
    group.addoption("--bwrap", help=BWRAP_HELP)
    group.addoption("--secret", action="append", default=[], help=SECRET_HELP)
    group.addoption("--no-overlap", action="store_true", help=NO_OVERLAP_HELP)
    group.addoption("--hidden-dir", help=HIDDEN_DIR_HELP)
    group.addoption("--time-scale", type=float, default=1.0, help=TIME_SCALE_HELP)
    group.addoption("--total-time-limit", type=float, default=None, help=TOTAL_TIME_HELP)
    parser.addini("submission", SUBMISSION_HELP)


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers and make the submission this session checks."""
    config.addinivalue_line("markers", CONCEPT_HELP)
    config.addinivalue_line("markers", POINTS_HELP)
    config.addinivalue_line("markers", TIME_LIMIT_HELP)
    config.addinivalue_line("markers", AHEAD_HELP)
    config.addinivalue_line("filterwarnings", NUMPY_2_CONVERSION)
    for concept_id in config.getoption("only_concepts"):
        known_concept(concept_id, "--concept")
    config.stash[RESULTS] = {}
    config.stash[COLLECTED] = set()
    config.stash[VISIBILITIES] = {}
    config.stash[STARTED] = time.perf_counter()
    try:
        config.stash[SALT] = resolve_course_salt(config.getoption("course_salt"), config.rootpath)
    except UserError as problem:
        raise pytest.UsageError(str(problem)) from None
    config.stash[SUBMISSION] = _make_submission(config)


def _make_submission(config: pytest.Config):
    folder = (config.rootpath / (config.getoption("submission") or config.getini("submission") or "exercises")).resolve()
    if config.getoption("grading"):
        from autograder.worker.isolation import Isolation
        from autograder.worker.sandbox import SandboxedSubmission

        isolation = Isolation(config.getoption("sandbox"), config.getoption("bwrap"))
        asked = set(config.getoption("only_concepts")) or {concept.id for concept in CONCEPTS}
        overlap = not config.getoption("no_overlap")
        torch_ahead = overlap and any(concept.built_on_torch and concept.id in asked for concept in CONCEPTS)
        scale, total = config.getoption("time_scale"), config.getoption("total_time_limit")
        return SandboxedSubmission(
            folder, isolation, probe=tuple(config.getoption("secret")), time_scale=scale, torch_ahead=torch_ahead,
            session_time_s=None if total is None else total * scale,
        )  # fmt: skip
    from autograder.submission import LocalSubmission

    return LocalSubmission(folder)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the workers and remove the sandbox's copy of the submission."""
    submission = config.stash.get(SUBMISSION, None)
    if hasattr(submission, "close"):
        submission.close()


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """With --concept: skip, unimported, a check file whose markers name only other
    concepts of the registry (autograder.check_files): its oracles' imports would cost
    seconds. A file that names an unknown concept is imported, to fail as it would without
    --concept (a typo must not drop a concept's checks in silence), and so is every file
    where pytest collects other names than test* and Test* (the scanner reads those)."""
    only = set(config.getoption("only_concepts"))
    default_names = config.getini("python_functions") == ["test"] and config.getini("python_classes") == ["Test"]
    if only and default_names and collection_path.suffix == ".py" and collection_path.is_file():
        concepts = marked_concepts(collection_path)
        if concepts is not None and concepts <= KNOWN_CONCEPTS and not concepts & only:
            return True
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Validate every check's markers once, and keep only the concepts asked for."""
    seen: dict[tuple[str, str], str] = {}
    only = set(config.getoption("only_concepts"))
    kept, dropped = [], []
    for item in items:
        concept_id = concept_of(item)
        if concept_id is None:
            kept.append(item)
            continue
        key = (concept_id, check_id(item))
        if key in seen:
            raise pytest.UsageError(f"check id {key[1]!r} of concept {key[0]!r} is used twice: {seen[key]} and {item.path}")
        seen[key] = str(item.path)
        points_of(item)
        time_limit_of(item)
        (kept if not only or concept_id in only else dropped).append(item)
    config.stash[COLLECTED] = {concept_of(item) for item in kept} - {None}
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    if config.getoption("grading"):
        # A concept's public and hidden checks one after the other: the sandbox keeps one
        # worker per concept, and starts a new one (a new import) at each change.
        kept.sort(key=lambda item: GRADING_ORDER.get(concept_of(item), -1))
        start_ahead(config, kept)
    items[:] = kept


def start_ahead(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Queue the calls the checks mark `ahead`, in the checks' order, each with its
    check's time limit (autograder.worker.ahead)."""
    submission = config.stash[SUBMISSION]
    for item in items:
        for marker in item.iter_markers("ahead"):
            if len(marker.args) != 2 or type(marker.args[0]) is not str or not callable(marker.args[1]):
                raise pytest.UsageError(f"{item.nodeid}: write the marker as ahead('<function>', <inputs: a function that returns its arguments>)")
            function, inputs = marker.args
            if concept_of(item) is None:
                raise pytest.UsageError(f"{item.nodeid}: an ahead marker needs a concept marker")
            try:
                submission.start_ahead(get_concept(concept_of(item)).module, function, tuple(inputs()), time_limit_of(item) * config.getoption("time_scale"))
            except TypeError as problem:
                raise pytest.UsageError(f"{item.nodeid}: ahead marker: {problem}") from None


def concept_of(item: pytest.Item) -> str | None:
    """The concept id a check carries (validated against the registry), or None."""
    # asked some eight times for each check: its markers are read once (in the item's own stash)
    if CONCEPT not in item.stash:
        item.stash[CONCEPT] = _marked_concept(item)
    return item.stash[CONCEPT]


def _marked_concept(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("concept")
    if marker is None:
        return None
    if len(marker.args) != 1:
        raise pytest.UsageError(f"{item.nodeid}: write the marker as concept('<id>')")
    return known_concept(marker.args[0], f"{item.nodeid}: concept marker").id


def known_concept(concept_id: str, where: str) -> Concept:
    """The registry's concept; an unknown id is a usage error (one line), naming its source."""
    try:
        return get_concept(concept_id)
    except UserError as error:
        raise pytest.UsageError(f"{where}: {error}") from None


def points_of(item: pytest.Item) -> float:
    """The check's relative weight from its points marker (default 1)."""
    marker = item.get_closest_marker("points")
    if marker is None:
        return 1.0
    value = marker.args[0] if marker.args else None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise pytest.UsageError(f"{item.nodeid}: points marker needs a positive number, from marker, got {value!r}")
    return float(value)


def check_id(item: pytest.Item) -> str:
    """The check's id in reports: its test name without the `test_` prefix."""
    return item.name.removeprefix("test_")


def visibility_of(item: pytest.Item) -> str:
    """'hidden' for a check file anywhere under the --hidden-dir folder (without it: under
    a folder named `hidden`, below the rootdir), sub-folders included; else 'public'."""
    # asked three times for each check: each file's paths are resolved once a session
    known = item.config.stash[VISIBILITIES]
    if item.path not in known:
        known[item.path] = _visibility(Path(item.path).resolve(), item.config)
    return known[item.path]


def _visibility(path: Path, config: pytest.Config) -> str:
    hidden_dir = config.getoption("hidden_dir")
    if hidden_dir:
        return "hidden" if path.is_relative_to(Path(hidden_dir).resolve()) else "public"
    root = config.rootpath.resolve()
    folders = path.parent.relative_to(root).parts if path.is_relative_to(root) else path.parent.parts
    return "hidden" if "hidden" in folders else "public"


@pytest.fixture
def student(request: pytest.FixtureRequest):
    """The submission's module for this check's concept."""
    concept_id = concept_of(request.node)
    if concept_id is None:
        raise pytest.UsageError(f"{request.node.nodeid} uses `student` but has no concept marker")
    return request.config.stash[SUBMISSION].module(known_concept(concept_id, request.node.nodeid).module)


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """A generator seeded by course salt, student and check (law 7): same run, same inputs."""
    return np.random.default_rng(personal_seed(request.config, concept_of(request.node), check_id(request.node)))


@pytest.fixture(scope="session")
def shared(request: pytest.FixtureRequest) -> SharedResults:
    """Results several checks share, each computed once a session (a trained detector):
    see autograder.shared."""
    return SharedResults(lambda concept, name: personal_seed(request.config, concept, name))


def personal_seed(config: pytest.Config, concept: str, name: str) -> int:
    """The seed of a check's (or a shared result's) inputs for this session's student."""
    return hidden_seed(config.stash[SALT].value, config.getoption("student") or "", concept, name)


def hidden_seed(salt: str, student: str, concept: str, check: str) -> int:
    """A stable 64-bit seed for one check: HMAC-SHA256 keyed by the course salt (not hash(),
    which differs between processes; not a checksum, from which one seed seen would give
    away the others)."""
    digest = hmac.new(salt.encode("utf-8"), f"{student}/{concept}/{check}".encode("utf-8"), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Start the check's clock; let comparisons show expected values in public checks only."""
    REVEAL_EXPECTED.set(visibility_of(item) == "public")
    submission = item.config.stash[SUBMISSION]
    if concept_of(item) is None:
        return
    # The total counts from the first check: the session's start and its collection (the
    # checks' imports, torch's among them, seconds on a loaded machine) are the grader's
    # time, which the session's own margin covers (autograder.grading.run), not the submission's.
    item.config.stash.setdefault(FIRST_CHECK, time.perf_counter())
    limit = check_time_limit(item)
    if limit <= 0:
        total = item.config.getoption("total_time_limit") * item.config.getoption("time_scale")
        raise StudentTimedOut(f"not graded in time: this submission's checks took all of their {total:g} s together, so this one was never run")
    if hasattr(submission, "start_check"):
        submission.start_check(limit)


def check_time_limit(item: pytest.Item) -> float:
    """The seconds this check may take: its own limit, or what is left of the session's
    (`--total-time-limit`, counted from the first check's start), whichever is less; both
    times --time-scale."""
    scale = item.config.getoption("time_scale")
    own = time_limit_of(item) * scale
    total = item.config.getoption("total_time_limit")
    if total is None:
        return own
    return min(own, total * scale - (time.perf_counter() - item.config.stash[FIRST_CHECK]))


def time_limit_of(item: pytest.Item) -> float:
    """The check's time limit in seconds, from its time_limit marker (default 10)."""
    marker = item.get_closest_marker("time_limit")
    if marker is None:
        return DEFAULT_TIME_LIMIT_S
    value = marker.args[0] if marker.args else None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise pytest.UsageError(f"{item.nodeid}: time_limit marker needs a positive number of seconds, from marker, got {value!r}")
    return float(value)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """In the student's own run, stop a check at its time limit, as the grader does."""
    submission = item.config.stash[SUBMISSION]
    if hasattr(submission, "start_check") or concept_of(item) is None:
        return (yield)
    with time_limit(max(check_time_limit(item), 0.01), submission.folder):  # 0 would mean no limit
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Turn each check's outcome into a CheckResult; show stubs as not attempted."""
    report = yield
    concept_id = concept_of(item)
    if concept_id is None or report.when == "teardown" or (report.when == "setup" and report.passed):
        return report
    hidden = visibility_of(item) == "hidden"
    status, feedback, mistake = classify(call.excinfo, hidden=hidden, folder=getattr(item.config.stash[SUBMISSION], "folder", None))
    item.config.stash[RESULTS][item.nodeid] = CheckResult(
        concept=concept_id,
        id=check_id(item),
        visibility=visibility_of(item),
        points=points_of(item),
        status=status,
        feedback=feedback,
        description=_first_line(item.function.__doc__) if hasattr(item, "function") else "",
        mistake=mistake,
    )
    if status == "not_attempted":
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1], f"not attempted: {feedback}")
    return report


def _first_line(doc: str | None) -> str:
    return doc.strip().splitlines()[0] if doc and doc.strip() else ""


def session_report(config: pytest.Config, *, collected_only: bool = False) -> dict:
    """The report of every check this session ran: every concept, or those asked for
    (`collected_only`: those whose checks were collected, for the student's table); it
    says whether the hidden inputs were drawn with a secret course salt."""
    submission = config.stash[SUBMISSION]
    only = config.getoption("only_concepts")
    wanted = config.stash[COLLECTED] if collected_only else only
    report = build_report(
        config.stash[RESULTS].values(),
        submission=str(getattr(submission, "folder", submission)),
        student=config.getoption("student"),
        duration_s=time.perf_counter() - config.stash[STARTED],
        concepts=[c for c in CONCEPTS if not wanted or c.id in wanted],
        sandbox=config.getoption("sandbox") if config.getoption("grading") else None,
        sandbox_start=getattr(submission, "sandbox_start", None),
        sandbox_start_problem=getattr(submission, "sandbox_start_problem", None),
    )
    report["course_salt"] = "secret" if config.stash[SALT].secret else "public default"
    return report


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """End the run with the per-concept table of the concepts it checked, when any check ran
    and the summary is wanted (not --no-summary, which a grading session passes: no one
    reads its terminal)."""
    if not config.stash[RESULTS] or config.getoption("no_summary"):
        return
    from autograder.report.table import render_table

    terminalreporter.section("per-concept results", sep="=")
    width = min(shutil.get_terminal_size().columns, 120)
    report = session_report(config, collected_only=True)
    terminalreporter.write(render_table(report, color=terminalreporter.hasmarkup, width=width))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the JSON report when asked to."""
    target = session.config.getoption("report_json")
    complete = exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
    # A session that could not collect or run every check leaves no report: a missing
    # report is a grader error, never a silently short grade.
    if target and complete:
        Path(target).write_text(json.dumps(session_report(session.config), indent=2), encoding="utf-8")
