"""Every concept has its notebook-ready explanation and figure, kept in the one source."""

import importlib.util

import pytest
from matplotlib.figure import Figure

from autograder.course import find_course_root
from autograder.registry import CONCEPTS

COURSE = find_course_root()


@pytest.mark.parametrize("concept", [c.id for c in CONCEPTS])
def test_the_explanation_is_written(concept):
    text = (COURSE.path / "course" / "explanations" / f"{concept}.md").read_text(encoding="utf-8")
    assert text.startswith("# ") and len(text.split()) > 150


@pytest.mark.parametrize("concept", [c.id for c in CONCEPTS])
def test_the_figure_draws(concept):
    path = COURSE.path / "course" / "figures" / f"{concept}.py"
    spec = importlib.util.spec_from_file_location(f"figure_{concept}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figure = module.make_figure()
    assert isinstance(figure, Figure) and figure.axes
    assert any(axes.has_data() for axes in figure.axes)
