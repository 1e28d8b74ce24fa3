"""The nbgrader route for the concepts of "stabilising training": nbgrader's own commands and
a real Jupyter kernel give the reference full marks and the released notebooks zero."""

import json
import shutil

import pytest

from autograder.generate.notebooks import fill_solutions
from conftest import COURSE
from test_nbgrader_roundtrip import NBGRADER_OUTPUT, exported, nbgrader, read

pytest.importorskip("nbgrader")

CONCEPTS = ("optimisers", "normalisation")


def test_the_reference_gets_full_marks_and_the_released_notebook_zero(tmp_path):
    root = tmp_path / "course"
    shutil.copytree(COURSE.path / "course", root, ignore=shutil.ignore_patterns(*NBGRADER_OUTPUT))
    for concept in CONCEPTS:
        nbgrader(root, "generate_assignment", concept)
        released = read(root / "release" / concept / f"{concept}.ipynb")
        full = fill_solutions(released, read(root / "source" / concept / f"{concept}.ipynb"))
        for student, notebook in (("full", full), ("blank", released)):
            folder = root / "submitted" / student / concept
            folder.mkdir(parents=True)
            (folder / f"{concept}.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
        nbgrader(root, "autograde", concept, "--create")
    nbgrader(root, "export")
    scores = exported(root)
    assert {scores[("full", c)] for c in CONCEPTS} == {10.0}
    assert {scores[("blank", c)] for c in CONCEPTS} == {0.0}
