"""A class that loses nobody (law 9), graded for real: `autograder grade-all` on a class
folder holding every intake case gives each entry one report and one gradebook row with
the right score or status; nothing inside one submission (a link to /proc/self/mem, a
dangling link, a link loop, an undecodable name, a hostile zip) stops the batch; a notebook
is graded like the same code in modules."""

import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from conftest import COURSE

MEAN, SUM = "np.mean((y_true - y_pred) ** 2)", "np.sum((y_true - y_pred) ** 2)"
REFERENCE = (COURSE.solutions / "losses.py").read_text(encoding="utf-8")
FULL = {
    "folder", "repository", "download-zip", "zipped", "near-copy", "near-case", "near-txt", "notebook-folder",
    "nora", "mullerzoe", "Zoë Müller", "学生 01", "s\\xff01",
}  # fmt: skip
UNGRADABLE = {"readme-only", "procmem", "dangling", "loop", "linked", "evil", "outside"}
pytestmark = pytest.mark.slow(seconds=21)  # a class of every intake case, graded with grade-all


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def notebook_text(mistake: bool = False) -> str:
    """The course's losses notebook holding the reference answers (or the summed mistake)."""
    notebook = nbformat.read(COURSE.path / "course" / "source" / "losses" / "losses.ipynb", as_version=4)
    text = nbformat.writes(notebook)
    assert MEAN in text
    return text.replace(MEAN, SUM) if mistake else text


def make_class(folder: Path) -> None:
    """One entry per intake case (see the module's sets)."""
    write(folder / "folder" / "losses.py", REFERENCE)
    write(folder / "repository" / "exercises" / "losses.py", REFERENCE)
    write(folder / "repository" / "autograder" / "mistakes" / "losses.py", "raise SystemExit(3)\n")
    write(folder / "download-zip" / "cnn-exercises-main" / "exercises" / "losses.py", REFERENCE)
    with zipfile.ZipFile(folder / "zipped.zip", "w") as bundle:
        bundle.writestr("cnn-exercises-main/exercises/losses.py", REFERENCE)
    for name, file in (("near-copy", "losses (1).py"), ("near-case", "Losses.py"), ("near-txt", "losses.py.txt")):
        write(folder / name / file, REFERENCE)
    write(folder / "notebook-folder" / "losses.ipynb", notebook_text())
    write(folder / "nora.ipynb", notebook_text())
    write(folder / "mullerzoe_12345_67890_losses.py", REFERENCE)
    write(folder / "Zoë Müller_555_assignsubmission_file_losses.py", REFERENCE)
    write(folder / "学生 01" / "losses.py", REFERENCE)
    odd = Path(os.fsdecode(os.fsencode(folder) + b"/s\xff01"))
    write(odd / "losses.py", REFERENCE)
    write(Path(os.fsdecode(os.fsencode(odd) + b"/scratch\xfe.py")), "x = 1\n")
    write(folder / "mistake" / "losses.py", REFERENCE.replace(MEAN, SUM))
    write(folder / "mistake-notebook" / "losses.ipynb", notebook_text(mistake=True))
    shutil.copy(COURSE.exercises / "losses.py", write(folder / "stubs" / "losses.py", ""))
    (folder / "empty").mkdir()
    write(folder / "readme-only" / "README.md", "I will hand it in later.\n")
    for name, target in (("procmem", "/proc/self/mem"), ("dangling", "/no/such/losses.py"), ("loop", "losses.py")):
        (folder / name).mkdir()
        os.symlink(target, folder / name / "losses.py")
    os.symlink(COURSE.solutions, folder / "linked")
    (folder / "outside").mkdir()
    os.symlink(COURSE.solutions, folder / "outside" / "exercises")
    with zipfile.ZipFile(folder / "evil.zip", "w") as bundle:
        bundle.writestr("losses.py", REFERENCE)
        bundle.writestr("../../../escaped.py", "x = 1\n")


def grade_all(folder: Path, out: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "autograder", "grade-all", str(folder), "--out", str(out), "--concept", "losses", "-j", "2"]
    return subprocess.run(command, capture_output=True, text=True, timeout=1800)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class, graded once; then graded again, which must reuse every report."""
    root = tmp_path_factory.mktemp("intake-class")
    folder, out = root / "class", root / "grades"
    make_class(folder)
    first = grade_all(folder, out)
    assert first.returncode == 0, first.stderr
    with (out / "gradebook.csv").open(encoding="utf-8") as gradebook:
        rows = {row["student"]: row for row in csv.DictReader(gradebook)}
    again = grade_all(folder, out)
    return root, first, again, rows


def test_every_entry_has_exactly_one_row_and_one_report(graded):
    root, first, _, rows = graded
    expected = FULL | UNGRADABLE | {"mistake", "mistake-notebook", "stubs", "empty"}
    assert set(rows) == expected
    assert {path.stem for path in (root / "grades" / "reports").glob("*.json")} == expected
    assert f"{len(expected)} entries (16 graded, 1 not submitted, 7 ungradable)" in first.stdout


def test_each_shape_of_the_same_code_gets_full_marks(graded):
    rows = graded[3]
    assert {name: (rows[name]["status"], float(rows[name]["losses"])) for name in FULL} == {name: ("graded", 10.0) for name in FULL}


def test_a_mistake_costs_points_in_a_module_and_in_a_notebook_and_stubs_earn_nothing(graded):
    rows = graded[3]
    assert 0 < float(rows["mistake"]["losses"]) < 10 and 0 < float(rows["mistake-notebook"]["losses"]) < 10
    assert (rows["stubs"]["status"], float(rows["stubs"]["score"])) == ("graded", 0.0)


def test_entries_with_nothing_gradable_get_their_status_and_reason(graded):
    root, first, _, rows = graded
    assert (rows["empty"]["status"], rows["empty"]["reason"]) == ("not_submitted", "it holds no files")
    for name in UNGRADABLE:
        assert (rows[name]["status"], float(rows[name]["score"]), rows[name]["max_score"]) == ("ungradable", 0.0, "10"), name
    assert rows["procmem"]["reason"] == "losses.py: a symbolic link (to /proc/self/mem); links are refused, never followed"
    assert "links are refused" in rows["dangling"]["reason"] and "links are refused" in rows["loop"]["reason"]
    assert "leaves the archive" in rows["evil"]["reason"] and not list(root.rglob("escaped.py"))
    report = json.loads((root / "grades" / "reports" / "procmem.json").read_text(encoding="utf-8"))
    assert report["status"] == "ungradable" and report["intake"]["refused"] == {"losses": rows["procmem"]["reason"]}
    assert {check["status"] for concept in report["concepts"] for check in concept["checks"]} == {"not_attempted"}
    assert "autograder: warning: procmem: ungradable (losses.py: a symbolic link (to /proc/self/mem)" in first.stderr


def test_reports_name_the_file_used_and_what_was_left_out(graded):
    reports = graded[0] / "grades" / "reports"
    near = json.loads((reports / "near-copy.json").read_text(encoding="utf-8"))
    assert near["intake"]["files"] == {"losses": "losses (1).py"} and "losses: graded from losses (1).py" in near["intake"]["notes"]
    odd = json.loads((reports / "s\\xff01.json").read_text(encoding="utf-8"))
    assert odd["student"] == "s\\xff01" and "scratch\\xfe.py: its name is not UTF-8 text" in odd["intake"]["notes"]
    nora = json.loads((reports / "nora.json").read_text(encoding="utf-8"))
    assert nora["intake"]["files"] == {"losses": "nora.ipynb"}


def test_the_summary_counts_every_row(graded):
    summary = (graded[0] / "grades" / "summary" / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("# Class summary: 24 entries (16 graded, 1 not submitted, 7 ungradable)")
    assert "- empty: not submitted (it holds no files)" in summary


def test_a_second_run_reuses_every_report(graded):
    again = graded[2]
    assert again.returncode == 0, again.stderr
    assert "0 graded, 24 unchanged and reused, 0 failed" in again.stdout


def test_grade_takes_a_notebook_and_gives_the_score_of_the_same_code_in_modules(graded, tmp_path):
    notebook = write(tmp_path / "mistake.ipynb", notebook_text(mistake=True))
    command = [sys.executable, "-m", "autograder", "grade", str(notebook), "--concept", "losses", "--format", "json", "--student", "mistake"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "graded" and report["intake"]["files"] == {"losses": "mistake.ipynb"}
    assert report["score"] == pytest.approx(float(graded[3]["mistake"]["losses"]))


def test_grade_refuses_a_submission_that_is_only_a_link_in_one_line(tmp_path):
    (tmp_path / "sub").mkdir()
    os.symlink("/proc/self/mem", tmp_path / "sub" / "losses.py")
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp_path / "sub")], capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"autograder: error: {tmp_path / 'sub'}: losses.py: a symbolic link (to /proc/self/mem); links are refused, never followed\n"
