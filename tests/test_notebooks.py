"""The nbgrader course notebooks: generated from the one source, no drift, and the shape
nbgrader needs (answer cells with solution regions, one checks cell worth the weight)."""

import ast
import base64
import functools
import json

import pytest

from autograder.generate.notebooks import drifted_notebooks, expected_notebooks, notebook_text
from autograder.generate.regions import HIDDEN_TESTS, SOLUTION, replace_regions
from autograder.grading.run import grade_submission
from autograder.nbgrader_cell import definitions
from autograder.registry import CONCEPTS, get_concept
from conftest import COURSE

NAMES = [f"source/{c.id}/{c.id}.ipynb" for c in CONCEPTS if (COURSE.solutions / f"{c.module}.py").is_file()]


@functools.cache
def notebooks() -> dict[str, str]:
    return expected_notebooks(COURSE)


def cells(name: str) -> list[dict]:
    return json.loads(notebooks()[name])["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def test_committed_notebooks_have_not_drifted_from_the_one_source():
    assert drifted_notebooks(COURSE) == [], "run `autograder build`"
    assert sorted(notebooks()) == sorted(NAMES)


def test_generation_is_deterministic():
    concept = get_concept("losses")
    assert notebook_text(COURSE, concept) == notebook_text(COURSE, concept)


@pytest.mark.parametrize("name", NAMES)
def test_a_notebook_explains_shows_asks_and_checks(name):
    concept = get_concept(name.split("/")[1])
    notebook = cells(name)
    assert notebook[0]["cell_type"] == "markdown" and source(notebook[0]).startswith("# ")
    ids = [cell["id"] for cell in notebook]
    assert len(set(ids)) == len(ids)
    figures = [cell for cell in notebook if cell.get("attachments")]
    for cell in figures:
        (png,) = cell["attachments"].values()
        assert base64.b64decode(png["image/png"]).startswith(b"\x89PNG")
    answers = [cell for cell in notebook if cell.get("metadata", {}).get("nbgrader", {}).get("solution")]
    assert answers and all(SOLUTION.begin in source(cell) for cell in answers)
    checks = [cell for cell in notebook if cell.get("metadata", {}).get("nbgrader", {}).get("grade")]
    assert [cell["id"] for cell in checks] == ["checks"]
    assert checks[0]["metadata"]["nbgrader"]["points"] == concept.weight


@pytest.mark.parametrize("name", NAMES)
def test_every_reference_definition_is_in_the_notebook(name):
    concept = get_concept(name.split("/")[1])
    reference = (COURSE.solutions / f"{concept.module}.py").read_text(encoding="utf-8")
    code = "\n\n".join(source(cell) for cell in cells(name) if cell["cell_type"] == "code" and cell["id"] != "checks")
    assert ast.dump(ast.parse(code)) == ast.dump(ast.parse(reference))


def test_the_students_checks_cell_reveals_nothing_hidden():
    (checks,) = [cell for cell in cells("source/losses/losses.ipynb") if cell["id"] == "checks"]
    student_view = replace_regions(source(checks), "checks", HIDDEN_TESTS, ())
    assert "public_checks('losses')" in student_view
    assert "grade_concept(" not in student_view.replace("import grade_concept", "")
    hidden_call = source(checks).split(HIDDEN_TESTS.begin)[1].split(HIDDEN_TESTS.end)[0]
    assert hidden_call.strip() == "grade_concept('losses')"


def test_the_kernel_source_keeps_imports_definitions_and_constants_only():
    cell = "import numpy as np\nfrom autograder.nbgrader_cell import grade_concept\nx = np.ones(3)\nprint(x)\nEPOCHS = 2 * 5\nrate = 0.1\n\ndef f(a):\n    return a + 1\n\nclass V:\n    pass\n"
    kept = definitions(cell)
    assert [type(node).__name__ for node in ast.parse(kept).body] == ["Import", "Assign", "Assign", "FunctionDef", "ClassDef"]
    assert "np.ones" not in kept
    assert definitions("def broken(:\n") == ""


def test_the_reference_notebooks_get_full_marks_as_the_checks_cell_grades_them(tmp_path):
    """What the checks cell hands the grader (the kernel's definitions) loses nothing."""
    for name in NAMES:
        concept = get_concept(name.split("/")[1])
        code = [source(cell) for cell in cells(name) if cell["cell_type"] == "code" and cell["id"] != "checks"]
        (tmp_path / f"{concept.module}.py").write_text("\n\n".join(filter(None, map(definitions, code))), encoding="utf-8")
    report = grade_submission(tmp_path, COURSE, student="notebook")
    graded = {c["id"]: (c["score"], c["max_score"]) for c in report["concepts"] if f"source/{c['id']}/{c['id']}.ipynb" in NAMES}
    assert graded and all(score == maximum > 0 for score, maximum in graded.values()), graded
