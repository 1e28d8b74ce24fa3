"""The nbgrader route for real: nbgrader's own commands, a real Jupyter kernel, its gradebook,
and the points graded outside the kernel by `autograder nbgrader-grade`.

In a temporary copy of course/ holding the sources of four concepts (the first and last of
the spatial part, both of "stabilising training"): `nbgrader generate_assignment` and
`nbgrader autograde` run once for all four; students
handing in the released notebooks filled with the reference code or left as released; one
who hands in losses alone, with one loss summed instead of averaged; and, for losses,
nbgrader's traps: a scratch cell that
calls `os._exit`, a pasted-twice checks cell, a deleted checks cell, a renamed notebook,
helpers made by assignment, a lambda and a `%%time` cell, and a notebook that redefines
`grade_concept` and makes its kernel show a score of 10. Then `nbgrader autograde`,
`autograder nbgrader-grade`, `nbgrader export`, `nbgrader generate_feedback`: each student
gets what their functions deserve, the same as `autograder grade` gives the same code, and
nothing the kernel shows changes a score.

Each command runs its command line's own app in this process (`nbgrader`, `autograder`):
an nbgrader command started on its own spent some 3 s of CPU on imports (jsonschema builds
its IRI grammars at import) before it began, 5 s to 15 s of wall time on a loaded machine.
The kernels, and the grading processes their checks cells start, are real processes.
"""

import contextlib
import copy
import csv
import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbformat import v4

from autograder.cli import main
from autograder.course import ROOT_ENV
from autograder.generate.notebooks import fill_solutions
from autograder.grading.run import grade_submission
from conftest import COURSE
from mutants import grading_process

pytest.importorskip("nbgrader")
pytestmark = pytest.mark.slow(seconds=180)  # nbgrader runs every notebook in a kernel of its own

ROUND_TRIP = ("losses", "receptive_fields", "optimisers", "normalisation")
STUDENTS = ("full", "blank", "wrong")
TRAPS = ("exits", "pasted", "deleted", "renamed", "helpers", "fake")  # losses only; each deserves full marks but fake
MEAN = "np.mean((y_true - y_pred) ** 2)"
SUM = "np.sum((y_true - y_pred) ** 2)"
NBGRADER_OUTPUT = ("gradebook.db", "release", "submitted", "autograded", "feedback", "*.csv")
# What a kernel can be made to show as the checks cell's value: nbgrader would take it as the score.
FAKE_SCORE = "get_ipython().display_formatter.formatters['text/plain'].for_type(float, lambda value, printer, cycle: printer.text('10.0'))"


def autograder(course: Path, *arguments: str) -> str:
    """The output of `autograder ARGUMENTS` in the nbgrader course folder, which must succeed.
    It runs the command line's `main` in this process: nbgrader.api, which it imports, costs
    seconds in a process of its own."""
    with course_environment(course), CliRunner().isolation() as (stdout, stderr, _):
        code = main(list(arguments))
    assert code == 0, stdout.getvalue().decode() + stderr.getvalue().decode()
    return stdout.getvalue().decode()


def nbgrader(course: Path, *arguments: str, status: int = 0) -> str:
    """The log of `nbgrader ARGUMENTS` in the nbgrader course folder, its exit status
    `status`. It runs the command line's own app in this process, as nbgrader's tests run
    its commands (`nbgrader.tests.run_nbgrader`, which also swaps os.environ for a dict):
    a process of its own paid some 3 s of imports before each command began."""
    from jupyter_core.application import NoStart
    from nbgrader.apps import NbGraderApp

    log = io.StringIO()
    with course_environment(course):
        app = NbGraderApp.instance()
        try:
            app.initialize(list(arguments))
            app.init_logging(logging.StreamHandler, [log], color=False, subapps=True)
            app.start()
            code = 0
        except NoStart:
            code = 0
        except SystemExit as exit:
            code = exit.code or 0
        finally:
            app.reset()
    assert code == status, log.getvalue()
    return log.getvalue()


@contextlib.contextmanager
def course_environment(course: Path):
    """The course folder as working directory, the checkout as the course root, and the
    environment's bin first on PATH (nbgrader runs `alembic` when it makes a gradebook)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(course)
        patch.setenv(ROOT_ENV, str(COURSE.path))
        patch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
        yield


def cell_index(notebook, cell_id: str) -> int:
    return next(index for index, cell in enumerate(notebook.cells) if cell.get("id") == cell_id)


def with_cell_after(notebook, cell_id: str, source: str):
    changed = copy.deepcopy(notebook)
    changed.cells.insert(cell_index(changed, cell_id) + 1, v4.new_code_cell(source))
    return changed


def edited(notebook, cell_id: str, old: str, new: str):
    changed = copy.deepcopy(notebook)
    cell = changed.cells[cell_index(changed, cell_id)]
    assert old in cell.source
    cell.source = cell.source.replace(old, new)
    return changed


def traps(full, released) -> dict[str, tuple]:
    """Student -> (notebook, file name) for nbgrader's traps; see the module doc."""
    pasted = copy.deepcopy(full)
    pasted.cells.append(copy.deepcopy(pasted.cells[cell_index(pasted, "checks")]))
    deleted = copy.deepcopy(full)
    del deleted.cells[cell_index(deleted, "checks")]
    helpers = edited(full, "mean_squared_error", MEAN, "np.mean(square(y_true - y_pred))")
    helpers = edited(helpers, "mean_absolute_error", "np.abs(y_true - y_pred)", "absolute(y_true - y_pred)")
    helpers = edited(helpers, "hinge_loss", "def hinge_loss", "%%time\ndef hinge_loss")
    helpers = with_cell_after(helpers, "setup", "%matplotlib inline\nsquare = np.square\nabsolute = lambda v: np.abs(v)\n!echo trying things out")
    fake = with_cell_after(released, "setup", f"def grade_concept(concept_id):\n    return 10.0\n\n{FAKE_SCORE}")
    return {
        "exits": (with_cell_after(full, "mean_squared_error", "import os\nprint('trying things out')\nos._exit(0)"), "losses"),
        "pasted": (pasted, "losses"),
        "deleted": (deleted, "losses"),
        "renamed": (full, "losses-Copy1"),
        "helpers": (helpers, "losses"),
        "fake": (fake, "losses"),
    }


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("nbgrader") / "course"
    shutil.copytree(COURSE.path / "course", root, ignore=shutil.ignore_patterns(*NBGRADER_OUTPUT))
    for source in (root / "source").iterdir():
        if source.name not in ROUND_TRIP:
            shutil.rmtree(source)
    nbgrader(root, "generate_assignment", "*")  # the copy's assignments: ROUND_TRIP
    assert sorted(path.name for path in (root / "release").iterdir()) == sorted(ROUND_TRIP)
    for concept in ROUND_TRIP:
        released = nbformat.read(root / "release" / concept / f"{concept}.ipynb", as_version=4)
        full = fill_solutions(released, nbformat.read(root / "source" / concept / f"{concept}.ipynb", as_version=4))
        students = {"full": (full, concept), "blank": (released, concept)}
        if concept == "losses":  # the one the wrong student hands in
            students["wrong"] = (edited(full, "mean_squared_error", MEAN, SUM), concept)
            students.update(traps(full, released))
        for student, (notebook, name) in students.items():
            (root / "submitted" / student / concept).mkdir(parents=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the pasted cell's id: nbformat gives it a new one, as Jupyter does
                nbformat.write(notebook, root / "submitted" / student / concept / f"{name}.ipynb")
    return root


@pytest.fixture(scope="module")
def graded(course) -> dict:
    """nbgrader's kernel scores after `nbgrader autograde`, then the output of `nbgrader-grade`."""
    autograde = nbgrader(course, "autograde", "*", "--create", status=1)  # every assignment of the copy; some notebooks fail
    kernel_scores = gradebook_scores(course)
    points = autograder(course, "nbgrader-grade", *ROUND_TRIP)
    nbgrader(course, "export")
    nbgrader(course, "generate_feedback", "losses")
    return {"autograde": autograde, "kernel": kernel_scores, "points": points}


def gradebook_scores(course: Path) -> dict[tuple[str, str], float | None]:
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in gradebook.students:
            for concept in ROUND_TRIP:
                try:
                    (grade,) = [g for notebook in gradebook.find_submission(concept, student.id).notebooks for g in notebook.grades]
                except MissingEntry:
                    continue
                scores[(student.id, concept)] = grade.auto_score
    return scores


def exported(course: Path) -> dict[tuple[str, str], float]:
    with (course / "grades.csv").open(encoding="utf-8") as grades:
        return {(row["student_id"], row["assignment"]): float(row["score"]) for row in csv.DictReader(grades)}


def test_export_gives_full_marks_zero_and_the_partial_credit_of_the_grader(course, graded, tmp_path):
    scores = exported(course)
    assert {scores[("full", c)] for c in ROUND_TRIP} == {10.0}
    assert {scores[("blank", c)] for c in ROUND_TRIP} == {0.0}
    assert {scores[("wrong", c)] for c in ROUND_TRIP if c != "losses"} == {0.0}  # never handed in
    submission = tmp_path / "wrong"
    submission.mkdir()
    reference = (COURSE.solutions / "losses.py").read_text(encoding="utf-8")
    (submission / "losses.py").write_text(reference.replace(MEAN, SUM), encoding="utf-8")
    report = grade_submission(submission, COURSE, student="wrong", concepts=("losses",), process=grading_process())
    (expected,) = [c["score"] for c in report["concepts"] if c["id"] == "losses"]
    assert 0.0 < expected < 10.0
    assert scores[("wrong", "losses")] == pytest.approx(expected)


def test_each_trap_gets_what_the_students_functions_deserve(course, graded):
    scores = exported(course)
    assert {student: scores[(student, "losses")] for student in TRAPS} == {**dict.fromkeys(TRAPS, 10.0), "fake": 0.0}
    lines = graded["points"]
    assert "pasted: losses 10 / 10\n    losses.ipynb: the graded cell 'checks' appears 2 times" in lines
    assert "renamed: losses 10 / 10\n    losses: graded from losses-Copy1.ipynb" in lines
    assert "helpers: losses 10 / 10\n    losses.ipynb: cell 5 line 1: `%matplotlib inline` needs a Jupyter kernel; left out" in lines


def test_nbgrader_alone_fails_these_students_and_a_kernel_can_fake_its_score(graded):
    """Why the points never come from the kernel: what nbgrader autograde does by itself."""
    log = graded["autograde"]  # losses is the only assignment with traps
    for student in ("exits", "pasted", "renamed"):
        assert f"There was an error processing assignment 'losses' for student '{student}'" in log
    assert "DeadKernelError" in log and "Missing grade cell checks encountered, adding to notebook" in log
    assert graded["kernel"][("fake", "losses")] == 10.0 and graded["kernel"][("full", "losses")] == 0.0


def test_checks_cells_write_no_stderr_and_reveal_no_hidden_check(course, graded):
    hidden_ids = set(re.findall(r"^def test_(\w+)", (COURSE.hidden_checks / "test_losses.py").read_text(encoding="utf-8"), re.M))
    assert hidden_ids
    for student in STUDENTS:
        notebook = nbformat.read(course / "autograded" / student / "losses" / "losses.ipynb", as_version=4)
        (checks,) = [cell for cell in notebook.cells if cell.get("id") == "checks"]
        assert not [o for o in checks.outputs if o.output_type == "error" or o.get("name") == "stderr"]
        assert "passed" in "".join(o.get("text", "") for o in checks.outputs) or student == "blank"
        shown = nbformat.writes(notebook) + (course / "feedback" / student / "losses" / "losses.html").read_text(encoding="utf-8")
        assert not [check for check in hidden_ids if check in shown], student


def test_released_notebooks_hold_no_solution_and_no_hidden_region(course):
    for concept in ROUND_TRIP:
        released = (course / "release" / concept / f"{concept}.ipynb").read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in released and "HIDDEN TESTS" not in released
        assert "nbgrader-grade" not in released and "raise NotImplementedError()" in released


def test_the_nbgrader_gradebook_gives_the_grade_all_gradebook(course, graded, tmp_path):
    out = tmp_path / "grades"
    autograder(course, "nbgrader-report", str(course / "gradebook.db"), "--out", str(out))
    with (out / "gradebook.csv").open(encoding="utf-8") as gradebook:
        rows = {row["student"]: row for row in csv.DictReader(gradebook)}
    scores = exported(course)
    for student in STUDENTS:
        for concept in ROUND_TRIP:
            assert float(rows[student][concept]) == pytest.approx(scores[(student, concept)])
        assert float(rows[student]["max_score"]) == 10.0 * len(ROUND_TRIP)
    never_handed_in = json.loads((out / "reports" / "wrong.json").read_text(encoding="utf-8"))
    assert {check["status"] for c in never_handed_in["concepts"] if c["id"] in ROUND_TRIP[1:] for check in c["checks"]} == {"not_attempted"}
    assert (out / "summary" / "scores_per_concept.png").is_file()


def test_nbgrader_grade_refuses_what_is_no_nbgrader_course_in_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "autograder", "nbgrader-grade", "losses", "--nbgrader-course", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"autograder: error: {tmp_path / 'gradebook.db'}: no nbgrader gradebook (run this in the nbgrader course folder, course/, or pass --nbgrader-course; there, `nbgrader generate_assignment losses` makes it)\n"
