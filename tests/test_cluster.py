"""`grade-all --scheduler`: a Dask cluster of two worker processes on this machine grades a
class to the reports of a local run, loses nothing and grades nothing twice when a worker
is killed mid-batch, and a rerun reuses every report.

"The same reports" means: the same files, each equal to the local run's in every field but
`duration_s` (wall time) and `signature` (which signs the duration too); both signatures
hold. The gradebook and the summary are equal byte for byte.
"""

import collections
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import dask
import distributed
import pytest

from autograder.cli import main
from autograder.course import CourseRoot, find_course_root
from autograder.grading.batch import grade_folder
from autograder.grading.cluster import ClusterGrading
from autograder.report.signing import instructor_key, verify_report

COURSE = find_course_root()
pytestmark = pytest.mark.slow(seconds=20)  # the class graded locally, on the cluster and again
CONCEPTS = ("losses", "pooling")
# Generous limits: a check that times out only because the machine is loaded would make
# two runs differ. No submission here loops, so the limits cost no time.
TIME_SCALE = 10.0
SALT = "a salt of the cluster tests"
BROKEN = {
    "syntax": "def mean_squared_error(y_true, y_pred)\n    return 0\n",
    "exits": "import sys\nsys.exit(0)\n",
    "crashes": "\ndef hinge_loss(y_true, scores):\n    import os\n    os._exit(3)\n",
}
ENTRIES = 8  # 7 submissions and an empty folder
TIMINGS = ("duration_s", "signature")
# grade-all in a process that says, last on stderr, which modules of Dask it imported.
REPORTING_DASK = """
import sys
from autograder.cli import main
code = main(sys.argv[1:])
print("dask modules:", sorted(m for m in sys.modules if m.split(".")[0] in ("dask", "distributed")), file=sys.stderr)
sys.exit(code)
"""


@pytest.fixture(scope="module")
def classroom(tmp_path_factory) -> tuple[CourseRoot, Path]:
    """A frozen copy of the course, and a class: two complete correct submissions, the sample,
    the stubs, three broken or hostile ones (a syntax error, sys.exit at import, os._exit in
    a function) and an empty folder."""
    root = tmp_path_factory.mktemp("cluster")
    course = CourseRoot(root / "course")
    for part in ("solutions", "checks", "exercises"):
        shutil.copytree(COURSE.path / part, course.path / part)
    folder = root / "class"
    sources = {"complete_1": COURSE.solutions, "complete_2": COURSE.solutions, "sample": COURSE.path / "examples" / "sample-submission", "stubs": COURSE.exercises}
    for name, source in sources.items():
        shutil.copytree(source, folder / name)
    for name, code in BROKEN.items():
        (folder / name).mkdir()
        (folder / name / "losses.py").write_text((COURSE.solutions / "losses.py").read_text() + "\n" + code)
    (folder / "empty").mkdir()
    return course, folder


@pytest.fixture(scope="module")
def dask_cluster():
    """A scheduler and two worker processes of one thread each."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR) as cluster:
        yield cluster


def grade_all(classroom, out: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    course, folder = classroom
    args = ["grade-all", str(folder), "--out", str(out), "--course-root", str(course.path), "--course-salt", SALT, "--time-scale", str(TIME_SCALE)]
    args += [f"--concept={concept}" for concept in CONCEPTS]
    done = subprocess.run([sys.executable, "-c", REPORTING_DASK, *args, *extra], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def options_of_grade_all(folder: Path, out: Path) -> dict:
    """The options `grade_all` gives `grade_folder`: its reports' fingerprints are the same."""
    return {
        "public_only": False, "concepts": CONCEPTS, "time_scale": TIME_SCALE, "sandbox": "auto",
        "secrets": (str(folder.resolve()), str(out.resolve())), "course_salt": SALT,
    }  # fmt: skip


def reports(out: Path) -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text()) for path in sorted((out / "reports").glob("*.json"))}


def without_timings(report: dict) -> dict:
    return {field: value for field, value in report.items() if field not in TIMINGS}


def dask_modules(done: subprocess.CompletedProcess) -> str:
    return done.stderr.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def local_run(classroom, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "grades"
    return out, grade_all(classroom, out, "--jobs", "2")


@pytest.fixture(scope="module")
def cluster_run(classroom, dask_cluster, tmp_path_factory):
    out = tmp_path_factory.mktemp("on-cluster") / "grades"
    return out, grade_all(classroom, out, "--scheduler", dask_cluster.scheduler_address)


def test_without_scheduler_nothing_of_dask_is_imported(local_run, cluster_run):
    assert dask_modules(local_run[1]) == "dask modules: []"
    assert "'distributed'" in dask_modules(cluster_run[1])  # the same probe sees Dask when it is used


def test_the_cluster_grades_the_class_to_the_reports_of_a_local_run(local_run, cluster_run):
    (local, local_done), (remote, remote_done) = local_run, cluster_run
    here, there = reports(local), reports(remote)
    assert len(here) == ENTRIES and here.keys() == there.keys()
    for submission_id in here:
        assert without_timings(there[submission_id]) == without_timings(here[submission_id]), submission_id
        assert verify_report(there[submission_id], instructor_key(), name=submission_id)
    assert here["complete_1"]["score"] == here["complete_1"]["max_score"] > here["sample"]["score"] > 0
    assert {check["status"] for concept in here["crashes"]["concepts"] for check in concept["checks"]} >= {"passed", "crashed"}
    for made in ("gradebook.csv", "summary/summary.md"):
        assert (remote / made).read_bytes() == (local / made).read_bytes(), made
    assert remote_done.stdout.replace(str(remote), "OUT") == local_done.stdout.replace(str(local), "OUT")
    assert f"{ENTRIES} entries (7 graded, 1 not submitted): {ENTRIES} graded, 0 unchanged and reused, 0 failed" in remote_done.stdout


def test_a_rerun_on_the_cluster_reuses_every_report(classroom, dask_cluster, local_run, cluster_run):
    """Its own reports, and a local run's: where a grade was made is no part of it."""
    course, folder = classroom
    for out, _ in (cluster_run, local_run):
        before = {path: path.read_bytes() for path in (out / "reports").glob("*.json")}
        with ClusterGrading(dask_cluster.scheduler_address) as cluster:
            result = grade_folder(folder, out, course, jobs=1, options=options_of_grade_all(folder, out), grader=cluster.graded)
        assert len(result.reused) == ENTRIES and result.graded == [] and result.failed == {} and result.altered == []
        assert {path: path.read_bytes() for path in (out / "reports").glob("*.json")} == before


def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_nothing(classroom, dask_cluster, local_run, tmp_path):
    course, folder = classroom
    out = tmp_path / "grades"
    done, killed = [], {}
    with distributed.Client(dask_cluster.scheduler_address, set_as_default=False) as watcher, ClusterGrading(dask_cluster.scheduler_address) as cluster:
        pids = watcher.run(os.getpid)

        def kill_a_busy_worker(submission_id: str, outcome: str) -> None:
            done.append((submission_id, outcome))
            if not killed:
                busy = {address: keys for address, keys in watcher.processing().items() if keys}
                address, keys = next(iter(busy.items()))
                os.kill(pids[address], signal.SIGKILL)
                killed.update(address=address, keys=keys)

        result = grade_folder(folder, out, course, jobs=1, options=options_of_grade_all(folder, out), on_done=kill_a_busy_worker, grader=cluster.graded)
        assert killed["address"] not in watcher.scheduler_info()["workers"]
    assert killed["keys"], "the killed worker was grading something"
    assert result.failed == {} and sorted(result.graded) == sorted(reports(local_run[0]))
    assert collections.Counter(done) == {(submission_id, "graded"): 1 for submission_id in result.graded}
    assert {key: without_timings(report) for key, report in reports(out).items()} == {key: without_timings(report) for key, report in reports(local_run[0]).items()}


def test_a_task_that_fails_is_a_failed_entry_and_the_batch_goes_on(classroom, dask_cluster, tmp_path):
    """A course without hidden checks: every worker refuses to grade, as `grade-all` would here."""
    course, folder = classroom
    public_only = CourseRoot(tmp_path / "course")
    for part in ("checks/public", "exercises"):
        shutil.copytree(course.path / part, public_only.path / part)
    out = tmp_path / "grades"
    with ClusterGrading(dask_cluster.scheduler_address) as cluster:
        result = grade_folder(folder, out, public_only, jobs=1, options=options_of_grade_all(folder, out), grader=cluster.graded)
    assert len(result.failed) == ENTRIES and result.graded == []
    assert all(why.startswith("UserError: no hidden checks in ") for why in result.failed.values())
    assert list((out / "reports").iterdir()) == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--scheduler", "127.0.0.1"], "autograder: error: 127.0.0.1: not a Dask scheduler address (Invalid url scheme."),
        (["--scheduler", "tcp://127.0.0.1:1"], "autograder: error: cannot reach the Dask scheduler at tcp://127.0.0.1:1 (Timed out trying to connect"),
        (["--scheduler", "tcp://127.0.0.1:1", "--jobs", "2"], "autograder: error: --jobs contradicts --scheduler (the cluster's workers decide how many are graded at once)"),
    ],
)
def test_a_bad_scheduler_is_one_line_and_nothing_is_written(classroom, tmp_path, capsys, extra, message):
    course, folder = classroom
    out = tmp_path / "grades"
    args = ["grade-all", str(folder), "--out", str(out), "--course-root", str(course.path), "--course-salt", SALT, *extra]
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code = main(args)
    lines = capsys.readouterr().err.splitlines()
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith(message)
    assert not out.exists()
