"""How fast the grader is, as ratios to baselines measured in the same run.

Prints, for this machine now:
- the floor: a bare `python -c "import torch"`, the least any fresh grading process costs;
- seconds per submission, graded sequentially, for the full hidden suite of every concept
  but `architectures` (its training check is timed apart): cold (a new grading process)
  and warm (the grading process grade-all reuses), and their ratios to the floor;
- the training check (`architectures`) alone;
- the throughput of `grade-all` on 30 generated submissions (some broken, some hostile)
  with one job per core, in submissions per minute.

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


def main() -> None:
    cores = os.cpu_count() or 1
    floor = seconds(import_torch, repeat=5)
    print(f"floor: python -c 'import torch'            {floor:6.2f} s")
    cold = seconds(lambda: grade_submission(COURSE.solutions, COURSE, concepts=WITHOUT_TRAINING), repeat=3)
    print(f"one submission, cold process, no training    {cold:6.2f} s  ({cold / floor:.1f} x the floor)")
    with GradingProcess() as process:
        process.grade(COURSE.solutions, COURSE, student="bench", concepts=WITHOUT_TRAINING)  # warm it up
        per_submission = seconds(lambda: process.grade(COURSE.solutions, COURSE, student="bench", concepts=WITHOUT_TRAINING), repeat=3)
    print(f"one submission, warm process, no training    {per_submission:6.2f} s  ({per_submission / floor:.1f} x the floor)")
    training = seconds(lambda: grade_submission(COURSE.solutions, COURSE, concepts=("architectures",)), repeat=1)
    print(f"architectures (with the training check)     {training:6.2f} s  ({training / floor:.1f} x the floor)")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "class"
        make_class(folder, 30)
        options = {"public_only": False, "concepts": WITHOUT_TRAINING, "time_scale": 1.0}
        started = time.perf_counter()
        result = grade_folder(folder, Path(scratch) / "grades", COURSE, jobs=cores, options=options)
        elapsed = time.perf_counter() - started
    rate = 60 * len(result.graded) / elapsed
    print(f"grade-all, 30 submissions, {cores} jobs          {elapsed:6.2f} s  ({rate:.1f} submissions a minute; {len(result.failed)} failed)")
    print(f"ratios to the floor: cold {cold / floor:.2f}, warm {per_submission / floor:.2f}, batch per submission {elapsed / 30 / floor:.2f}")


if __name__ == "__main__":
    main()
