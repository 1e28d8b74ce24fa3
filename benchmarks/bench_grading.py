"""How fast the grader is, as ratios to baselines measured in the same run.

Prints, for this machine now:
- the floor: a bare `python -c "import torch"`, the least any fresh grading process costs;
- seconds per submission, graded sequentially, for the full hidden suite of every concept
  but `architectures` (its training check is timed apart): cold (a new grading process)
  and warm (the grading process grade-all reuses), and their ratios to the floor;
- the training check (`architectures`) alone;
- the throughput of `grade-all` on 30 generated submissions (some broken, some hostile)
  with one job per core, in submissions per minute;
- the sandbox's cost: a warm submission and the `grade-all` class in the bwrap sandbox
  against the same without a sandbox (`--no-sandbox`), as the added floors per
  submission (goal: at most 1) and the batch's ratio (goal: at most 1.5).

Run: `python benchmarks/bench_grading.py` (takes a few minutes).
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

COURSE = find_course_root()
WITHOUT_TRAINING = tuple(c.id for c in CONCEPTS if c.id != "architectures")
BROKEN = {
    "syntax_error": "def oops(:\n",
    "exits_at_import": "import sys\nsys.exit(0)\n",
    "wrong_mse": "\ndef mean_squared_error(y_true, y_pred):\n    return 0.5\n",
}


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


def make_class(folder: Path, size: int) -> None:
    """`size` submissions: the reference, the stubs, the sample, and broken or hostile copies."""
    kinds = ["reference", "stubs", "sample", *BROKEN]
    for index in range(size):
        kind = kinds[index % len(kinds)]
        target = folder / f"s{index:02d}-{kind}"
        source = {"stubs": COURSE.exercises, "sample": COURSE.path / "examples" / "sample-submission"}.get(kind, COURSE.solutions)
        shutil.copytree(source, target)
        if kind in BROKEN:
            losses = target / "losses.py"
            losses.write_text(losses.read_text() + "\n" + BROKEN[kind])


def warm_seconds(sandbox: str) -> float:
    """Seconds per submission on a warm grading process, every concept but the training."""
    with GradingProcess() as process:
        process.grade(COURSE.solutions, COURSE, student="bench", concepts=WITHOUT_TRAINING, sandbox=sandbox)  # warm it up
        return seconds(lambda: process.grade(COURSE.solutions, COURSE, student="bench", concepts=WITHOUT_TRAINING, sandbox=sandbox), repeat=3)


def class_seconds(sandbox: str, jobs: int) -> tuple[float, int, int]:
    """(seconds, graded, failed) for grade-all on the generated class of 30."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "class"
        make_class(folder, 30)
        options = {"public_only": False, "concepts": WITHOUT_TRAINING, "time_scale": 1.0, "sandbox": sandbox}
        started = time.perf_counter()
        result = grade_folder(folder, Path(scratch) / "grades", COURSE, jobs=jobs, options=options)
        return time.perf_counter() - started, len(result.graded), len(result.failed)


def main() -> None:
    cores = os.cpu_count() or 1
    floor = seconds(import_torch, repeat=5)
    print(f"floor: python -c 'import torch'            {floor:6.2f} s")
    cold = seconds(lambda: grade_submission(COURSE.solutions, COURSE, concepts=WITHOUT_TRAINING), repeat=3)
    print(f"one submission, cold process, no training    {cold:6.2f} s  ({cold / floor:.1f} x the floor)")
    warm = {sandbox: warm_seconds(sandbox) for sandbox in ("bwrap", "none")}
    print(f"one submission, warm process, no training    {warm['bwrap']:6.2f} s  ({warm['bwrap'] / floor:.1f} x the floor)")
    print(f"  the same without a sandbox                 {warm['none']:6.2f} s  (the sandbox adds {(warm['bwrap'] - warm['none']) / floor:.2f} floors; goal <= 1)")
    training = seconds(lambda: grade_submission(COURSE.solutions, COURSE, concepts=("architectures",)), repeat=1)
    print(f"architectures (with the training check)     {training:6.2f} s  ({training / floor:.1f} x the floor)")
    batch = {sandbox: class_seconds(sandbox, cores) for sandbox in ("bwrap", "none")}
    elapsed, graded, failed = batch["bwrap"]
    print(f"grade-all, 30 submissions, {cores} jobs          {elapsed:6.2f} s  ({60 * graded / elapsed:.1f} submissions a minute; {failed} failed)")
    print(f"  the same without a sandbox                 {batch['none'][0]:6.2f} s  (the sandbox's ratio {elapsed / batch['none'][0]:.2f}; goal <= 1.5)")
    print(f"ratios to the floor: cold {cold / floor:.2f}, warm {warm['bwrap'] / floor:.2f}, batch per submission {elapsed / 30 / floor:.2f}")


if __name__ == "__main__":
    main()
