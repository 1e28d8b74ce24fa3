"""How fast the nbgrader route is beside `autograder grade-all`, on the same submissions.

In a temporary copy of course/, three students hand in two concepts (losses and
receptive_fields): the released notebooks filled with the reference code, the notebooks
as released, and the reference with the mean squared error summed instead of averaged.
The same code is also laid out as exercise folders. One run times the nbgrader route
(`nbgrader autograde`, a kernel per notebook one after another, then `autograder
nbgrader-grade`, which gives the points) and `autograder grade-all` with one job and with
one job per core, and prints the ratios.

Run: `python benchmarks/bench_nbgrader.py` (a few minutes; needs nbgrader and ipykernel).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from autograder.course import ROOT_ENV, find_course_root
from autograder.generate.notebooks import fill_solutions

COURSE = find_course_root()
CONCEPTS = ("losses", "receptive_fields")
STUDENTS = ("full", "blank", "wrong")
MEAN, SUM = "np.mean((y_true - y_pred) ** 2)", "np.sum((y_true - y_pred) ** 2)"
ENV = {**os.environ, ROOT_ENV: str(COURSE.path)}


def run(*command: str, cwd: Path | None = None) -> float:
    """Run a command to completion; its wall time in seconds."""
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=ENV, check=True, capture_output=True)
    return time.perf_counter() - started


def released_and_reference(course: Path, concept: str):
    run(sys.executable, "-m", "nbgrader", "generate_assignment", concept, cwd=course)
    released = nbformat.read(course / "release" / concept / f"{concept}.ipynb", as_version=4)
    return released, nbformat.read(course / "source" / concept / f"{concept}.ipynb", as_version=4)


def make_class(course: Path, folders: Path) -> None:
    """The submissions, as nbgrader notebooks in course/submitted/ and as exercise folders."""
    for concept in CONCEPTS:
        released, reference = released_and_reference(course, concept)
        full = nbformat.writes(fill_solutions(released, reference))
        notebooks = {"full": full, "blank": nbformat.writes(released), "wrong": full.replace(MEAN, SUM)}
        modules = {"full": COURSE.solutions, "blank": COURSE.exercises, "wrong": COURSE.solutions}
        for student in STUDENTS:
            (course / "submitted" / student / concept).mkdir(parents=True)
            (course / "submitted" / student / concept / f"{concept}.ipynb").write_text(notebooks[student], encoding="utf-8")
            (folders / student).mkdir(parents=True, exist_ok=True)
            code = (modules[student] / f"{concept}.py").read_text(encoding="utf-8")
            (folders / student / f"{concept}.py").write_text(code.replace(MEAN, SUM) if student == "wrong" else code, encoding="utf-8")


def main() -> None:
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as scratch:
        course, folders = Path(scratch) / "course", Path(scratch) / "class"
        shutil.copytree(COURSE.path / "course", course, ignore=shutil.ignore_patterns("gradebook.db", "release", "submitted", "autograded"))
        make_class(course, folders)
        nbgrader_s = sum(run(sys.executable, "-m", "nbgrader", "autograde", concept, "--create", cwd=course) for concept in CONCEPTS)
        nbgrader_s += run(sys.executable, "-m", "autograder", "nbgrader-grade", *CONCEPTS, cwd=course)
        only = [f"--concept={concept}" for concept in CONCEPTS]
        grade_all = [sys.executable, "-m", "autograder", "grade-all", str(folders), *only]
        serial_s = run(*grade_all, "--jobs=1", f"--out={Path(scratch) / 'serial'}")
        parallel_s = run(*grade_all, f"--jobs={cores}", f"--out={Path(scratch) / 'parallel'}")
    count = len(STUDENTS)
    print(f"{count} students x {len(CONCEPTS)} concepts ({', '.join(CONCEPTS)})")
    print(f"nbgrader autograde + points      {nbgrader_s:7.2f} s  ({nbgrader_s / count:.2f} s a student)")
    print(f"autograder grade-all, 1 job      {serial_s:7.2f} s  ({serial_s / count:.2f} s a student)")
    print(f"autograder grade-all, {cores} jobs     {parallel_s:7.2f} s  ({parallel_s / count:.2f} s a student)")
    print(f"ratio nbgrader / grade-all: {nbgrader_s / serial_s:.2f} with 1 job, {nbgrader_s / parallel_s:.2f} with {cores} jobs")


if __name__ == "__main__":
    main()
