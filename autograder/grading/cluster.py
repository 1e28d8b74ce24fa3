"""Grade a batch on a Dask distributed cluster: `grade-all --scheduler ADDRESS`.

Only the grading moves. The machine running `grade-all` (the client) prepares every entry,
fingerprints it, reuses what it can, and signs and writes each report as its result
arrives (`autograder.grading.batch`), exactly as for a local batch. Each submission to
grade is one task: its prepared folder's files travel in the task as bytes, so no folder
is shared between the client and the workers; the course's checks travel once, as one
task's result that every worker fetches. On a worker, the task writes the files into a
private folder and grades them with a warm grading process of that worker
(`GradingProcesses`), in a sandbox of their own, as `grade-all` does locally; it returns
the report. When a worker dies, Dask runs its tasks again on another; each submission
still has one result, so its report is written once. A task that fails (the grading
process lost, no sandbox on that worker) is that submission's `failed` entry, as locally.

Imported only for `--scheduler`: without it, nothing of Dask is loaded.
"""

import hashlib
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from queue import Empty, Queue

from distributed import Client, Worker, WorkerPlugin, as_completed, get_worker
from distributed.comm import get_address_host_port

from autograder import __version__
from autograder.course import CourseRoot
from autograder.errors import UserError
from autograder.grading.batch import Finished, graded_files
from autograder.grading.run import GradingProcess, overlap_helps
from autograder.intake.walk import write_file

PLUGIN = "autograder-grading-processes"

Files = dict[tuple[str, ...], bytes]  # a folder's files: path components below it -> content


def pack(root: Path) -> Files:
    """The files below `root` that a grade depends on (`graded_files`), as data for a task."""
    return {path.relative_to(root).parts: path.read_bytes() for path in graded_files(root)}


def unpack(files: Files, root: Path) -> None:
    """Write `files` into `root`, a new folder; raises ValueError for a path that would leave it."""
    root.mkdir(parents=True)
    for parts, data in files.items():
        if not parts or any(part in ("", ".", "..") or "/" in part for part in parts):
            raise ValueError(f"a shipped file may not be named {'/'.join(parts)!r}")
        write_file(root, parts, data)


@dataclass(frozen=True)
class ShippedChecks:
    """The course's checks as data: the public ones, and the hidden ones unless the batch is
    public-only (None: none are sent). `digest` names the content, so that a worker writes
    one copy however many batches send it."""

    digest: str
    public: Files
    hidden: Files | None

    @classmethod
    def of(cls, course: CourseRoot, public_only: bool) -> "ShippedChecks":
        public = pack(course.public_checks)
        hidden = None if public_only or not course.hidden_checks.is_dir() else pack(course.hidden_checks)
        digest = hashlib.sha256()
        for part, files in (("public", public), ("hidden", hidden or {})):
            for parts, data in sorted(files.items()):
                digest.update("/".join((part, *parts)).encode() + b"\0" + data + b"\0")
        return cls(digest.hexdigest(), public, hidden)


def held(checks: ShippedChecks) -> ShippedChecks:
    """The checks, as the result of a task of their own rather than scattered data: when
    every worker holding them is lost, the scheduler runs this task again."""
    return checks


class GradingProcesses(WorkerPlugin):
    """On one Dask worker: warm grading processes, one per task running at once (one, for a
    worker of one thread), each reused across the worker's tasks as a local batch reuses
    one per job; and a private folder for the submissions and checks sent to it. Both are
    closed and removed when the worker stops."""

    idempotent = True  # a second batch on the same cluster keeps the warm processes

    def setup(self, worker: Worker) -> None:
        # In the worker's own folder, which Dask removes when it finds the worker gone, even killed.
        self.scratch = Path(tempfile.mkdtemp(prefix="autograder-", dir=worker.local_directory))  # mode 0700
        self.idle: Queue[GradingProcess] = Queue()
        self.courses: dict[str, CourseRoot] = {}
        self.writing = threading.Lock()

    def teardown(self, worker: Worker) -> None:
        while True:
            try:
                self.idle.get_nowait().close()
            except Empty:
                break
        shutil.rmtree(self.scratch, ignore_errors=True)

    @contextmanager
    def process(self) -> Iterator[GradingProcess]:
        """A warm grading process of this worker's, for one task."""
        try:
            process = self.idle.get_nowait()
        except Empty:
            process = GradingProcess()
        try:
            yield process
        finally:
            self.idle.put(process)

    def course(self, checks: ShippedChecks) -> CourseRoot:
        """A course folder of this worker's that holds `checks`, written on first use."""
        with self.writing:
            if checks.digest not in self.courses:
                root = self.scratch / f"course-{checks.digest[:16]}"
                unpack(checks.public, root / "checks" / "public")
                if checks.hidden is not None:
                    unpack(checks.hidden, root / "checks" / "hidden")
                self.courses[checks.digest] = CourseRoot(root)
            return self.courses[checks.digest]


def grade_shipped(submission: Files, checks: ShippedChecks, student: str, options: dict, version: str) -> dict:
    """A task, run on a Dask worker: the report of the prepared submission `submission`, graded
    with `checks` and `options` by a warm grading process of the worker's, as `grade-all`
    grades it locally. Raises what `GradingProcess.grade` raises, and UserError when the
    worker runs another version of the grader than the client (`version`)."""
    if version != __version__:
        raise UserError(f"this Dask worker runs autograder {__version__}, grade-all runs {version} (install the same on every worker)")
    worker = get_worker()
    processes: GradingProcesses = worker.plugins[PLUGIN]
    course = processes.course(checks)
    # The sandbox must see neither the other submissions sent to this worker nor its checks.
    secrets = (*options.get("secrets", ()), str(processes.scratch))
    with tempfile.TemporaryDirectory(prefix="submission-", dir=processes.scratch) as folder, processes.process() as process:
        unpack(submission, Path(folder) / "submission")
        overlap = overlap_helps(worker.state.nthreads)  # a task a thread: as many sessions at once
        return process.grade(Path(folder) / "submission", course, student=student, overlap=overlap, **{**options, "secrets": secrets})


class ClusterGrading:
    """A connection to a Dask scheduler, whose workers grade a batch (`graded`). Raises
    UserError for an address that is none, or a scheduler that cannot be reached."""

    def __init__(self, address: str):
        try:
            get_address_host_port(address, strict=True)  # a Client made with a malformed one stalls the exit
        except ValueError as problem:
            raise UserError(f"{address}: not a Dask scheduler address ({problem}; expected tcp://host:port)") from None
        try:
            self.client = Client(address, set_as_default=False)
        except OSError as problem:
            raise UserError(f"cannot reach the Dask scheduler at {address} ({problem}; is it running?)") from None

    def __enter__(self) -> "ClusterGrading":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Disconnect; the scheduler forgets the tasks of a batch left unfinished."""
        self.client.close()

    def graded(self, work: dict[str, Path], course: CourseRoot, options: dict) -> Iterator[tuple[str, Finished]]:
        """Grade each prepared folder of `work` on the cluster; yield (submission id, finished
        Dask future of its report) as each ends, one for every submission."""
        if not work:
            return
        self.client.register_plugin(GradingProcesses(), name=PLUGIN)
        checks = self.client.submit(held, ShippedChecks.of(course, options.get("public_only", False)))
        futures = {
            self.client.submit(grade_shipped, pack(folder), checks, submission_id, options, __version__, pure=False): submission_id
            for submission_id, folder in work.items()
        }
        for future in as_completed(futures, loop=self.client.loop):
            yield futures[future], future
