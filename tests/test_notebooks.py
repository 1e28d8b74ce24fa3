"""The nbgrader course notebooks: generated from the one source, no drift, and the shape
nbgrader needs (answer cells with solution regions, one checks cell worth the weight)."""

import ast
import base64
import functools
import json

import nbformat
import pytest

from autograder.generate.notebooks import drifted_notebooks, expected_notebooks, notebook_text
from autograder.generate.regions import HIDDEN_TESTS, SOLUTION, replace_regions
from autograder.grading.run import grade_submission
from autograder.registry import CONCEPTS, get_concept
from conftest import COURSE
from mutants import grading_process

NAMES = [f"source/{c.id}/{c.id}.ipynb" for c in CONCEPTS if (COURSE.solutions / f"{c.module}.py").is_file()]


@functools.cache
def notebooks() -> dict[str, str]:
    return expected_notebooks(COURSE)


def cells(name: str) -> list[dict]:
    return json.loads(notebooks()[name])["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


@pytest.mark.slow(seconds=5)  # generates every notebook, figures included (once a run: notebooks())
def test_committed_notebooks_have_not_drifted_from_the_one_source():
    assert drifted_notebooks(COURSE, notebooks()) == [], "run `autograder build`"
    assert sorted(notebooks()) == sorted(NAMES)


def test_generation_is_deterministic():
    """A notebook generated again is the one generated first (notebooks(), made apart)."""
    assert notebook_text(COURSE, get_concept("losses")) == notebooks()["source/losses/losses.ipynb"]


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


def test_the_checks_cell_shows_the_public_checks_and_gives_nbgrader_no_score_of_its_own():
    """The points never come from the student's kernel: nbgrader's own score of the checks
    cell is 0, and `autograder nbgrader-grade` writes the graded score."""
    (checks,) = [cell for cell in cells("source/losses/losses.ipynb") if cell["id"] == "checks"]
    student_view = replace_regions(source(checks), "checks", HIDDEN_TESTS, ())
    assert "public_checks('losses')" in student_view and "grade_concept" not in source(checks)
    hidden = source(checks).split(HIDDEN_TESTS.begin)[1].split(HIDDEN_TESTS.end)[0]
    assert [line for line in hidden.splitlines() if line and not line.startswith("#")] == ["0.0"]


def test_notebooks_are_valid_nbformat_4():
    for name in NAMES:
        nbformat.validate(nbformat.reads(notebooks()[name], as_version=4))


@pytest.mark.slow(seconds=14)  # every concept graded from notebooks, and the reference (once a run)
def test_the_reference_notebooks_graded_as_submissions_get_the_reference_report(tmp_path, reference_report):
    """A folder of the course's notebooks, graded by `autograder grade` as a student's
    notebooks are, scores what the same code in modules scores."""
    for name in NAMES:
        concept = get_concept(name.split("/")[1])
        (tmp_path / f"{concept.module}.ipynb").write_text(notebooks()[name], encoding="utf-8")
    report = grade_submission(tmp_path, COURSE, student="reference", process=grading_process())
    assert report["intake"]["files"] == {get_concept(n.split("/")[1]).module: f"{get_concept(n.split('/')[1]).module}.ipynb" for n in NAMES}
    graded = {c["id"]: c["score"] for c in report["concepts"]}
    expected = {c["id"]: c["score"] for c in reference_report["concepts"] if f"source/{c['id']}/{c['id']}.ipynb" in NAMES}
    assert {concept: graded[concept] for concept in expected} == expected
    assert all(score > 0 for score in expected.values())
