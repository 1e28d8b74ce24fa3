"""How fast the grader is, as ratios to a floor measured in the same run.

The floor is a bare `python -c "import torch"`, the least any fresh grading process costs.
Every figure is printed in floors beside its goal (issues 10 and 13), so a slower or busier
machine moves the seconds, not the verdict:

- the command line's start (`autograder --help`, which imports every verb's module): goal at
  most 0.25 floors, as a student's `autograder grade` pays it before anything is graded;
- a complete submission (every concept, the training check included) on a warm grading
  process, in the bwrap sandbox: goal at most 3 floors;
- the same without a sandbox: the sandbox's cost per submission, goal at most 1 floor;
- a cold grading process (a new one for one submission), for reference;
- `grade-all` on a class of 30 complete, correct submissions and 10 broken or hostile ones,
  one job per core: goal at most 60 floors for the class; and the same class without a
  sandbox: goal, the sandbox's batch at most 1.5 times that.

Where it can make a cgroup of its own (as root), it also prints the CPU time of a complete
submission, the grader's and its sandbox's processes together, in CPU floors: a figure that
other work on a shared machine barely moves, unlike wall time.

Run: `python benchmarks/bench_grading.py` (about fifteen minutes on 2 cores), or with
`--warm-only` for the floor, the command line's start and the warm complete submission
alone (about two minutes), or with `--class-only` for the floor and the class in the bwrap
sandbox (about four minutes). It grades in the bwrap sandbox, so it needs what grading
needs: bubblewrap, as root or an ordinary user. As root, sandboxes start from the
zygotes (`autograder.worker.zygote`), as graders do by default; with `AUTOGRADER_ZYGOTE=0`
in its environment, or as an ordinary user, they start fresh. The first line says which.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.course import find_course_root
from autograder.grading.batch import grade_folder
from autograder.grading.run import GradingProcess, grade_submission
from autograder.registry import CONCEPTS
from autograder.worker.zygote import SWITCH, switched_on, why_not_here

COURSE = find_course_root()
EVERY_CONCEPT = tuple(concept.id for concept in CONCEPTS)
CORRECT, BROKEN_OR_HOSTILE = 30, 10
# Appended to losses.py of a copy of the reference; "stubs" is the released stubs as they are.
BROKEN = {
    "syntax_error": "def oops(:\n",
    "exits_at_import": "import sys\nsys.exit(0)\n",
    "wrong_mse": "\ndef mean_squared_error(y_true, y_pred):\n    return 0.5\n",
    "floods_its_output": "print('spam ' * 10**6)\n",
    "stubs": "",
}


class CpuMeter:
    """CPU seconds used by this process and every process it starts from now on, through a
    cgroup of its own (cgroup v2, or v1's cpuacct); `available` is False where none can be made."""

    def __init__(self):
        self.usage = None
        for folder, read in ((Path("/sys/fs/cgroup/bench_grading"), _v2_seconds), (Path("/sys/fs/cgroup/cpuacct/bench_grading"), _v1_seconds)):
            try:
                folder.mkdir(exist_ok=True)
                read(folder)  # a cgroup, not a folder of a file system that only looks like one
                (folder / "cgroup.procs").write_text(str(os.getpid()))
            except OSError:
                if not (folder / "cgroup.procs").exists():
                    shutil.rmtree(folder, ignore_errors=True)
                continue
            self.usage = lambda folder=folder, read=read: read(folder)
            break
        self.available = self.usage is not None

    def seconds(self, function) -> float:
        """CPU seconds of one run of `function`, its children's included."""
        before = self.usage()
        function()
        return self.usage() - before


def _v2_seconds(folder: Path) -> float:
    usage = next(line for line in (folder / "cpu.stat").read_text().splitlines() if line.startswith("usage_usec"))
    return int(usage.split()[1]) / 1e6


def _v1_seconds(folder: Path) -> float:
    return int((folder / "cpuacct.usage").read_text()) / 1e9


def seconds(function, repeat: int) -> float:
    """The median wall time of `repeat` runs of `function`."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def import_torch() -> None:
    subprocess.run([sys.executable, "-c", "import torch"], check=True)


def start_command_line() -> None:
    subprocess.run([sys.executable, "-m", "autograder", "--help"], check=True, capture_output=True)


def make_class(folder: Path) -> None:
    """CORRECT copies of the reference and BROKEN_OR_HOSTILE submissions, the kinds of BROKEN in turn."""
    for index in range(CORRECT):
        shutil.copytree(COURSE.solutions, folder / f"correct-{index:02d}")
    kinds = list(BROKEN)
    for index in range(BROKEN_OR_HOSTILE):
        kind = kinds[index % len(kinds)]
        target = folder / f"broken-{index:02d}-{kind}"
        shutil.copytree(COURSE.exercises if kind == "stubs" else COURSE.solutions, target)
        losses = target / "losses.py"
        losses.write_text(losses.read_text() + "\n" + BROKEN[kind])


def warm_seconds(sandbox: str, meter: CpuMeter | None = None) -> tuple[float, float | None]:
    """(wall seconds, CPU seconds or None) for one complete submission on a warm grading process."""
    with GradingProcess() as process:
        grade = lambda: process.grade(COURSE.solutions, COURSE, student="bench", concepts=EVERY_CONCEPT, sandbox=sandbox)  # noqa: E731
        grade()  # warm it up
        cpu = statistics.median(meter.seconds(grade) for _ in range(3)) if meter else None
        return seconds(grade, repeat=3), cpu


def class_seconds(sandbox: str, jobs: int) -> tuple[float, int, int]:
    """(seconds, graded, failed) for grade-all on the benchmark class."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "class"
        make_class(folder)
        options = {"public_only": False, "concepts": EVERY_CONCEPT, "time_scale": 1.0, "sandbox": sandbox}
        started = time.perf_counter()
        result = grade_folder(folder, Path(scratch) / "grades", COURSE, jobs=jobs, options=options)
        return time.perf_counter() - started, len(result.graded), len(result.failed)


def verdict(value: float, goal: float) -> str:
    return f"goal <= {goal:g}: {'met' if value <= goal else 'NOT MET'}"


def zygote_line() -> str:
    """Whether bwrap sandboxes start from the zygotes here, and why not."""
    if not switched_on():
        return f"no ({SWITCH}=0)"
    problem = why_not_here("bwrap")
    return "yes" if problem is None else f"no ({problem})"


def main(warm_only: bool = False, class_only: bool = False) -> None:
    cores = os.cpu_count() or 1
    meter = CpuMeter()
    print(f"sandboxes from the zygotes: {zygote_line()}")
    floor = seconds(import_torch, repeat=5)
    print(f"floor: python -c 'import torch'                 {floor:6.2f} s")
    if class_only:
        print_class(floor, cores, *class_seconds("bwrap", cores))
        return
    start = seconds(start_command_line, repeat=5)
    print(f"the command line's start, autograder --help     {start:6.2f} s  {start / floor:5.2f} floors  ({verdict(start / floor, 0.25)})")
    warm_bwrap, cpu = warm_seconds("bwrap", meter if meter.available else None)
    in_floors = warm_bwrap / floor
    print(f"a complete submission, warm process, bwrap      {warm_bwrap:6.2f} s  {in_floors:5.2f} floors  ({verdict(in_floors, 3)})")
    if cpu is not None:
        cpu_floor = statistics.median(meter.seconds(import_torch) for _ in range(5))
        print(f"  its CPU time, grader and sandbox together     {cpu:6.2f} s  {cpu / cpu_floor:5.2f} CPU floors (a CPU floor: {cpu_floor:.2f} s)")
    if warm_only:
        return
    warm_none = warm_seconds("none")[0]
    added = (warm_bwrap - warm_none) / floor
    print(f"  the same without a sandbox                    {warm_none:6.2f} s  the sandbox adds {added:5.2f} floors  ({verdict(added, 1)})")
    cold = seconds(lambda: grade_submission(COURSE.solutions, COURSE, concepts=EVERY_CONCEPT), repeat=1)
    print(f"a complete submission, cold process, bwrap      {cold:6.2f} s  {cold / floor:5.2f} floors")
    batch = {sandbox: class_seconds(sandbox, cores) for sandbox in ("bwrap", "none")}
    print_class(floor, cores, *batch["bwrap"])
    ratio = batch["bwrap"][0] / batch["none"][0]
    print(f"  the same without a sandbox                    {batch['none'][0]:6.2f} s  the sandbox's ratio {ratio:4.2f}  ({verdict(ratio, 1.5)})")


def print_class(floor: float, cores: int, elapsed: float, graded: int, failed: int) -> None:
    size = CORRECT + BROKEN_OR_HOSTILE
    print(
        f"grade-all, {CORRECT} correct + {BROKEN_OR_HOSTILE} broken, {cores} jobs, bwrap  {elapsed:6.2f} s  "
        f"{elapsed / floor:5.1f} floors  ({verdict(elapsed / floor, 60)}; {graded} graded, {failed} failed; "
        f"{60 * size / elapsed:.1f} submissions a minute)"
    )


if __name__ == "__main__":
    main(warm_only="--warm-only" in sys.argv[1:], class_only="--class-only" in sys.argv[1:])
