"""How fast two peers grade the same submissions as `autograder grade-all`: nbgrader and
otter-grader, as ratios to grade-all measured in the same run.

In a temporary copy of course/, three students hand in two concepts (losses and
receptive_fields): the released notebooks filled with the reference code, the notebooks
as released, and the reference with the mean squared error summed instead of averaged.
The same code is also laid out as exercise folders. One run times
- the nbgrader route: `nbgrader autograde` (a kernel per notebook, one notebook after
  another), then `autograder nbgrader-grade`, which gives the points;
- `otter run` (no Docker: a kernel per notebook, one after another) on the same notebooks
  without their checks cell, with an otter test file per concept holding the course's own
  public and hidden checks (benchmarks/otter_checks.py): the same checks, run in the
  student's kernel with no sandbox;
- `autograder grade-all` with one job and with one job per core;
and prints each peer's time as a ratio to grade-all's, with the scores each one gave.

Run: `python benchmarks/bench_nbgrader.py` (a few minutes; needs nbgrader, ipykernel and
otter-grader).
"""

import csv
import json
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
from otter_checks import otter_test_file

BENCHMARKS = Path(__file__).resolve().parent

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


def make_class(course: Path, folders: Path, otter: Path) -> None:
    """The submissions: nbgrader notebooks in course/submitted/, the same notebooks without
    their checks cell for otter, and exercise folders."""
    for concept in CONCEPTS:
        released, reference = released_and_reference(course, concept)
        full = nbformat.writes(fill_solutions(released, reference))
        notebooks = {"full": full, "blank": nbformat.writes(released), "wrong": full.replace(MEAN, SUM)}
        modules = {"full": COURSE.solutions, "blank": COURSE.exercises, "wrong": COURSE.solutions}
        for student in STUDENTS:
            (course / "submitted" / student / concept).mkdir(parents=True)
            (course / "submitted" / student / concept / f"{concept}.ipynb").write_text(notebooks[student], encoding="utf-8")
            (otter / student).mkdir(parents=True, exist_ok=True)
            (otter / student / f"{concept}.ipynb").write_text(json.dumps(without_checks_cell(json.loads(notebooks[student]))), encoding="utf-8")
            (folders / student).mkdir(parents=True, exist_ok=True)
            code = (modules[student] / f"{concept}.py").read_text(encoding="utf-8")
            (folders / student / f"{concept}.py").write_text(code.replace(MEAN, SUM) if student == "wrong" else code, encoding="utf-8")


def without_checks_cell(notebook: dict) -> dict:
    """The notebook without the cell that grades it through the sandboxed grader."""
    cells = [cell for cell in notebook["cells"] if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") != "checks"]
    return {**notebook, "cells": cells}


def otter_autograders(otter: Path) -> dict[str, Path]:
    """An otter autograder zip per concept: its test file and otter_checks.py as support file."""
    zips = {}
    for concept in CONCEPTS:
        folder = otter / "autograders" / concept
        (folder / "tests").mkdir(parents=True)
        (folder / "tests" / f"{concept}.py").write_text(otter_test_file(concept), encoding="utf-8")
        shutil.copy(BENCHMARKS / "otter_checks.py", folder)
        zips[concept] = folder / "autograder.zip"
        options = ["--no-config", "--no-requirements", "--no-environment"]
        run(sys.executable, "-m", "otter", "generate", "-t", "tests", "-o", str(zips[concept]), *options, "otter_checks.py", cwd=folder)
    return zips


def otter_run(otter: Path, zips: dict[str, Path]) -> tuple[float, dict[str, float]]:
    """`otter run` on every notebook, one after another: (seconds, each student's share of
    the points)."""
    seconds, points = 0.0, {student: [0.0, 0.0] for student in STUDENTS}
    for student in STUDENTS:
        for concept in CONCEPTS:
            out = otter / "results" / student / concept
            out.mkdir(parents=True)
            notebook = otter / student / f"{concept}.ipynb"
            seconds += run(sys.executable, "-m", "otter", "run", "-a", str(zips[concept]), "-o", str(out), "--no-logo", str(notebook))
            for test in json.loads((out / "results.json").read_text(encoding="utf-8"))["tests"]:
                points[student][0] += test.get("score") or 0.0
                points[student][1] += test.get("max_score") or 0.0
    return seconds, {student: got / total for student, (got, total) in points.items()}


def grade_all_shares(out: Path) -> dict[str, float]:
    """Each student's share of the points in grade-all's gradebook."""
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as gradebook:
        return {row["student"]: float(row["score"]) / float(row["max_score"]) for row in csv.DictReader(gradebook)}


def main() -> None:
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as scratch:
        course, folders, otter = Path(scratch) / "course", Path(scratch) / "class", Path(scratch) / "otter"
        shutil.copytree(COURSE.path / "course", course, ignore=shutil.ignore_patterns("gradebook.db", "release", "submitted", "autograded"))
        make_class(course, folders, otter)
        zips = otter_autograders(otter)
        nbgrader_s = sum(run(sys.executable, "-m", "nbgrader", "autograde", concept, "--create", cwd=course) for concept in CONCEPTS)
        nbgrader_s += run(sys.executable, "-m", "autograder", "nbgrader-grade", *CONCEPTS, cwd=course)
        otter_s, otter_shares = otter_run(otter, zips)
        only = [f"--concept={concept}" for concept in CONCEPTS]
        grade_all = [sys.executable, "-m", "autograder", "grade-all", str(folders), *only]
        serial_s = run(*grade_all, "--jobs=1", f"--out={Path(scratch) / 'serial'}")
        parallel_s = run(*grade_all, f"--jobs={cores}", f"--out={Path(scratch) / 'parallel'}")
        shares = grade_all_shares(Path(scratch) / "serial")
    count = len(STUDENTS)
    print(f"{count} students x {len(CONCEPTS)} concepts ({', '.join(CONCEPTS)})")
    print(f"nbgrader autograde + points      {nbgrader_s:7.2f} s  ({nbgrader_s / count:.2f} s a student)")
    print(f"otter run, no Docker             {otter_s:7.2f} s  ({otter_s / count:.2f} s a student)")
    print(f"autograder grade-all, 1 job      {serial_s:7.2f} s  ({serial_s / count:.2f} s a student)")
    print(f"autograder grade-all, {cores} jobs     {parallel_s:7.2f} s  ({parallel_s / count:.2f} s a student)")
    for tool, by_student in (("otter", otter_shares), ("grade-all", shares)):
        print(f"share of the points, {tool}: " + ", ".join(f"{student} {by_student.get(student, 0.0):.0%}" for student in STUDENTS))
    for peer, peer_s in (("nbgrader", nbgrader_s), ("otter", otter_s)):
        print(f"ratio {peer} / grade-all: {peer_s / serial_s:.2f} with 1 job, {peer_s / parallel_s:.2f} with {cores} jobs")


if __name__ == "__main__":
    main()
