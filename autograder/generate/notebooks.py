"""Write the nbgrader course notebooks `course/source/<concept>/<concept>.ipynb` (law 1).

A concept's notebook is made from the one source: its explanation
(`course/explanations/<id>.md`), its figure (`course/figures/<id>.py`, rendered to a PNG
attachment so students need no course code to see it), the reference module split into one
cell per top-level definition, and one checks cell. A definition holding a solution region
becomes an nbgrader autograded-answer cell (nbgrader clears `### BEGIN SOLUTION` regions
itself, with the same stub as `exercises/`); the module header and given helpers become
read-only cells. The checks cell is an autograder-tests cell worth the concept's weight: its
visible line runs the public checks; its hidden-tests region makes nbgrader's own score of the
cell 0, because the points come from `autograder nbgrader-grade`, which grades the submitted
notebook's code outside the student's kernel (docs/nbgrader.md).

Notebooks are built, validated and written with nbformat's API. Generation is deterministic
(fixed cell ids, no timestamps, PNGs without a software tag); a concept whose reference
module is missing is skipped.
"""

import ast
import base64
import copy
import importlib.util
import io
from pathlib import Path

import nbformat
from nbformat import v4

from autograder.course import CourseRoot
from autograder.generate.regions import HIDDEN_TESTS, SOLUTION, replace_regions
from autograder.generate.stubs import stub_source
from autograder.registry import CONCEPTS, Concept

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
FIGURE_DPI = 80
INSTRUCTIONS = """## Your turn

Fill in every `# YOUR CODE HERE` below: delete the `raise NotImplementedError()` line and
write the computation, keeping the function names and signatures. Run each cell, then run
the **checks** cell at the end: it grades the functions you defined in a separate process
with the course's public checks and prints one line per check. When your notebook is
collected, hidden checks grade the functions its cells define; cells that only print, plot
or try things out are left aside.
"""


def nbgrader_course(course: CourseRoot) -> Path | None:
    """The nbgrader course folder (`course/` holding `nbgrader_config.py`), or None."""
    folder = course.path / "course"
    return folder if (folder / "nbgrader_config.py").is_file() else None


def expected_notebooks(course: CourseRoot) -> dict[str, str]:
    """`source/<id>/<id>.ipynb` -> notebook text, for every concept with reference code."""
    notebooks = {}
    for concept in CONCEPTS:
        solution = course.solutions / f"{concept.module}.py"
        if solution.is_file():
            notebooks[f"source/{concept.id}/{concept.id}.ipynb"] = notebook_text(course, concept)
    return notebooks


def write_notebooks(course: CourseRoot) -> list[Path]:
    """Regenerate every notebook of the nbgrader course; return the files that changed."""
    changed = []
    for target, text in _generated(course):
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            changed.append(target)
    return changed


def drifted_notebooks(course: CourseRoot, expected: dict[str, str] | None = None) -> list[str]:
    """Notebooks that are missing or differ from generation, figures' bytes aside (a PNG's
    bytes depend on the matplotlib and FreeType versions, its code does not). `expected`:
    what expected_notebooks(course) gave, if it was made already (a second generation of
    every figure costs seconds)."""
    return [
        str(target.relative_to(course.path / "course"))
        for target, text in _generated(course, expected)
        if not target.exists() or without_figures(target.read_text(encoding="utf-8")) != without_figures(text)
    ]


def _generated(course: CourseRoot, expected: dict[str, str] | None = None) -> list[tuple[Path, str]]:
    """(path, text) of each notebook generation makes (or made: `expected`); none outside
    an nbgrader course."""
    folder = nbgrader_course(course)
    if folder is None:
        return []
    return [(folder / name, text) for name, text in (expected if expected is not None else expected_notebooks(course)).items()]


def without_figures(text: str) -> dict:
    """A notebook (nbformat.reads) with every attachment's bytes blanked."""
    notebook = nbformat.reads(text, as_version=4)
    for cell in notebook.cells:
        for attachment in cell.get("attachments", {}).values():
            attachment.update({mime: "" for mime in attachment})
    return notebook


def notebook_text(course: CourseRoot, concept: Concept) -> str:
    """One concept's notebook, as nbformat writes it (nbformat 4.5, validated)."""
    where = f"solutions/{concept.module}.py"
    reference = (course.solutions / f"{concept.module}.py").read_text(encoding="utf-8")
    stub_source(reference, where)  # refuse a malformed region before writing anything
    cells = [v4.new_markdown_cell(_explanation(course, concept), id="explanation")]
    figure = course.path / "course" / "figures" / f"{concept.id}.py"
    if figure.is_file():
        cells.append(_figure_cell(figure, concept))
    cells.append(v4.new_markdown_cell(INSTRUCTIONS, id="instructions"))
    cells += [_code_cell(name, source) for name, source in split_module(reference)]
    cells.append(_checks_cell(concept))
    notebook = v4.new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    nbformat.validate(notebook)
    return nbformat.writes(notebook) + "\n"


def split_module(text: str) -> list[tuple[str, str]]:
    """(name, source) per cell: the header (docstring, imports), then one cell per top-level
    function or class with the comment lines right above it."""
    lines = text.splitlines(keepends=True)
    starts = []
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            while first > 1 and lines[first - 2].startswith("#"):
                first -= 1
            starts.append((node.name, first))
    bounds = [("setup", 1), *starts, ("", len(lines) + 1)]
    cells = []
    for (name, start), (_, end) in zip(bounds, bounds[1:]):
        source = "".join(lines[start - 1 : end - 1]).strip("\n")
        if source:
            cells.append((name, source))
    return cells


def _explanation(course: CourseRoot, concept: Concept) -> str:
    path = course.path / "course" / "explanations" / f"{concept.id}.md"
    return path.read_text(encoding="utf-8").strip("\n") if path.is_file() else f"# {concept.title}"


def _figure_cell(path: Path, concept: Concept):
    spec = importlib.util.spec_from_file_location(f"course_figure_{concept.id}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    buffer = io.BytesIO()
    module.make_figure().savefig(buffer, format="png", dpi=FIGURE_DPI, metadata={"Software": None})
    attachments = {f"{concept.id}.png": {"image/png": base64.b64encode(buffer.getvalue()).decode("ascii")}}
    return v4.new_markdown_cell(f"![{concept.title}](attachment:{concept.id}.png)", id="figure", attachments=attachments)


def _code_cell(name: str, source: str):
    is_solution = replace_regions(source, name, SOLUTION, ()) != source
    role = {"solution": is_solution, "locked": not is_solution}
    return _code(name, source, {"grade": False, "task": False, **role})


def _checks_cell(concept: Concept):
    source = "\n".join([
        f"# Checks of {concept.title!r}: run this cell to grade the functions above with the",
        "# course's checks, in a separate process. It prints one line per public check.",
        "from autograder.nbgrader_cell import public_checks",
        "",
        f"public_checks({concept.id!r})",
        HIDDEN_TESTS.begin,
        "# nbgrader's score of this cell is 0: the points are written into the gradebook by",
        "# `autograder nbgrader-grade`, which grades the notebook's code outside this kernel.",
        "0.0",
        HIDDEN_TESTS.end,
    ])  # fmt: skip
    role = {"grade": True, "solution": False, "locked": True, "task": False, "points": concept.weight}
    return _code("checks", source, role)


def _code(name: str, source: str, role: dict):
    nbgrader = {"grade_id": name, "schema_version": 3, **role}
    return v4.new_code_cell(source, id=name[:64], metadata={"nbgrader": nbgrader})


def fill_solutions(released, reference):
    """A copy of a released notebook (nbformat node) whose answer cells hold the reference
    notebook's code: a complete submission, for tests and benchmarks."""
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in reference.cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    filled = copy.deepcopy(released)
    for cell in filled.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return filled
