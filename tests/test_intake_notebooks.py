"""Notebooks as submissions: the code cells become a module that keeps every definition and
what it needs, translates IPython syntax as IPython does, and leaves out what only ran for
the student's eyes, each left-out kernel line with a note, never the whole cell."""

import copy

import nbformat
import pytest
from nbformat import v4

from autograder.intake.notebook import NotANotebook, code_cells, notebook_module
from autograder.intake.statements import Cell, select
from conftest import COURSE

CALLED = frozenset({"mean_squared_error", "relu", "tanh", "hinge_loss", "Value"})


def module_of(*sources: str, called: frozenset[str] = CALLED) -> tuple[dict, str, list[str]]:
    """The namespace the module made of these cells defines, its text and the notes."""
    selection = select([Cell(f"cell {n}", source) for n, source in enumerate(sources, start=1)], called)
    text = selection.source("test")
    namespace: dict = {}
    exec(compile(text, "<module>", "exec"), namespace)  # our own fixture code, not a submission
    return namespace, text, selection.notes


def test_a_scratch_cell_that_kills_the_kernel_or_raises_costs_nothing():
    namespace, text, notes = module_of(
        "import numpy as np\nimport os",
        "def mean_squared_error(y_true, y_pred):\n    return float(np.mean((y_true - y_pred) ** 2))",
        "out = mean_squared_error(np.ones(3), np.zeros(3))\nprint(out)\nshape = out.shape\nos._exit(0)",
        "1 / 0",
    )
    assert namespace["mean_squared_error"](__import__("numpy").ones(2), __import__("numpy").zeros(2)) == 1.0
    assert "os._exit" not in text and "print" not in text and "1 / 0" not in text
    assert notes == ["left out, as nothing graded uses what they make (they ran only in your kernel): cell 3 lines 1, 2, 3, 4; cell 4 line 1"]


def test_helper_assignments_lambdas_and_the_constants_functions_use_are_kept():
    namespace, text, _ = module_of(
        "import numpy as np\nsquare = np.square\nrelu = lambda x: np.maximum(0, x)\nEPS = 1e-12",
        "KERNEL = np.array([1.0, -1.0])\nunused = np.ones(3)",
        "def mean_squared_error(y_true, y_pred):\n    return float(np.mean(square(y_true - y_pred)) + 0 * KERNEL.sum())",
    )
    assert namespace["relu"](-1.0) == 0 and namespace["EPS"] == 1e-12
    assert "KERNEL = np.array" in text and "unused" not in text


def test_an_assignment_that_reads_a_name_bound_only_further_down_is_left_out():
    namespace, text, _ = module_of("alias = later\nrelu = 1", "def later():\n    return 2")
    assert "alias" not in text and namespace["later"]() == 2


def test_a_name_the_checks_call_is_kept_however_it_is_made():
    namespace, _, _ = module_of("import numpy as np\ntanh = np.vectorize(np.tanh)")
    assert callable(namespace["tanh"])


def test_a_pasted_cell_keeps_both_copies_in_order_so_the_last_one_wins():
    namespace, _, _ = module_of("def relu(x):\n    return 'first'", "def relu(x):\n    return 'second'")
    assert namespace["relu"](1) == "second"


def test_ipython_syntax_is_translated_and_kernel_lines_are_dropped_with_a_note_not_the_cell():
    namespace, text, notes = module_of(
        "%matplotlib inline\nimport numpy as np\n!pip install nothing\nfiles = !ls\ndef relu(x):\n    return np.maximum(0, x)",
        "%%time\ndef hinge_loss(y, s):\n    return float(np.mean(np.maximum(0, 1 - y * s)))",
        "%time tanh = np.tanh",
        "%%bash\necho hi",
    )
    assert namespace["relu"](-2.0) == 0 and namespace["hinge_loss"](1.0, 2.0) == 0.0 and namespace["tanh"] is __import__("numpy").tanh
    assert "get_ipython" not in text
    assert notes == [
        "cell 1 line 1: `%matplotlib inline` needs a Jupyter kernel; left out",
        "cell 1 line 3: `!pip install nothing` needs a Jupyter kernel; left out",
        "cell 1 line 4: `!ls` needs a Jupyter kernel; left out",
        "cell 4 line 1: `%%bash` needs a Jupyter kernel; left out",
    ]


def test_a_redefined_grader_function_is_only_a_function_and_the_grader_import_goes():
    namespace, text, _ = module_of("from autograder.nbgrader_cell import public_checks\ndef grade_concept(concept_id):\n    return 10.0\ngrade_concept('losses')")
    assert "autograder" not in text and "grade_concept('losses')" not in text
    assert namespace["grade_concept"]("losses") == 10.0  # defined, but nothing reads it: the grade is the checks'


def test_a_cell_that_does_not_parse_is_left_out_with_a_note():
    namespace, _, notes = module_of("def relu(x:\n    return x", "def tanh(x):\n    return x")
    assert "relu" not in namespace and namespace["tanh"](3) == 3
    assert notes == ["cell 1 does not parse (SyntaxError, line 1); left out, as it defined nothing in the kernel either"]


def test_changes_to_a_kept_object_are_kept():
    namespace, _, _ = module_of(
        "class Value:\n    def __init__(self, data):\n        self.data = data",
        "Value.__radd__ = lambda self, other: Value(self.data + other)\nLAYERS = []\nLAYERS.append(3)\ndef relu(x):\n    return LAYERS",
    )
    assert namespace["Value"](1).__radd__(2).data == 3 and namespace["relu"](0) == [3]


def course_notebook(concept: str):
    return nbformat.read(COURSE.path / "course" / "source" / concept / f"{concept}.ipynb", as_version=4)


def test_the_checks_cell_is_never_part_of_the_module_and_a_duplicate_is_reported():
    notebook = course_notebook("losses")
    checks = next(cell for cell in notebook.cells if cell.get("id") == "checks")
    notebook.cells.append(copy.deepcopy(checks))
    cells, notes = code_cells(notebook)
    assert not [cell for cell in cells if "public_checks" in cell.source]
    assert notes == ["the graded cell 'checks' appears 2 times; checks cells are never part of the graded code"]


def test_a_notebook_module_holds_the_reference_definitions():
    made = notebook_module(nbformat.writes(course_notebook("pooling")).encode(), "pooling.ipynb", frozenset({"max_pool2d"}))
    assert {"max_pool2d", "avg_pool2d", "global_avg_pool"} <= made.names
    namespace: dict = {}
    exec(compile(made.source, "pooling.py", "exec"), namespace)
    assert callable(namespace["max_pool2d"])


@pytest.mark.parametrize("data", [b"not json", b"[]", b'{"cells": 5}', b"\xff\xfe", b'{"nbformat": 3}'])
def test_what_is_not_a_notebook_says_so(data):
    with pytest.raises(NotANotebook):
        notebook_module(data, "broken.ipynb")


def test_a_notebook_that_does_not_validate_is_read_with_a_note():
    notebook = v4.new_notebook(cells=[v4.new_code_cell("def relu(x):\n    return x")])
    notebook.cells[0]["unexpected"] = True
    made = notebook_module(nbformat.writes(notebook).encode(), "odd.ipynb")
    assert "relu" in made.names and made.notes[0].startswith("odd.ipynb: it does not validate as an nbformat 4 notebook")


def test_what_a_kernel_run_keeps_stays_setattr_library_defaults_and_a_late_future_import():
    """Seen in reviewed notebooks: a method added with setattr, torch's default dtype set
    once at the top, and `from __future__ import annotations` in a later cell; a kernel runs
    each, so the module must too."""
    namespace, text, _ = module_of(
        "import math\nimport torch",
        "torch.set_default_dtype(torch.float64)\nprint(torch.zeros(1))",
        "from __future__ import annotations\n\nclass Value:\n    def __init__(self, data: float):\n        self.data = data",
        "def _exp(self):\n    return Value(math.exp(self.data))\n\nsetattr(Value, 'exp', _exp)",
        "def relu(x):\n    return torch.zeros(1).dtype",
    )
    try:
        assert namespace["Value"](0.0).exp().data == 1.0
        assert namespace["relu"](0) == namespace["torch"].float64
        assert text.index("from __future__ import annotations") < text.index("import math")
        assert "print" not in text
    finally:
        namespace["torch"].set_default_dtype(namespace["torch"].float32)
