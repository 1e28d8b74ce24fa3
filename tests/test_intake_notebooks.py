"""Notebooks as submissions: the code cells become a module that keeps every definition and
what it needs, translates IPython syntax as IPython does, and leaves out what only ran for
the student's eyes, each left-out kernel line with a note, never the whole cell."""

import ast
import copy
import json
import random
import sys
import time

import nbformat
import pytest
from nbformat import v4

from autograder.intake.notebook import MAX_CELLS, MAX_JSON_VALUES, NotANotebook, code_cells, notebook_module
from autograder.intake.statements import BUILTINS, MAX_CODE_BYTES, Cell, choose, parse, select
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


def chain(lines: int) -> str:
    """A cell of `lines` assignments, each from a call on the one before, and a function
    reading the last: every line is needed, found one link at a time."""
    links = ["x0 = int(1)", *[f"x{i} = int(x{i - 1})" for i in range(1, lines)]]
    return "\n".join([*links, f"def mean_squared_error(y_true, y_pred):\n    return float(x{lines - 1})"])


def profiled_events(call) -> int:
    """How many Python and built-in calls `call()` makes: a measure of its work that, unlike
    time, does not depend on the machine's load."""
    count = [0]

    def profiler(frame, event, arg):
        count[0] += 1

    sys.setprofile(profiler)
    try:
        call()
    finally:
        sys.setprofile(None)
    return count[0]


def test_choosing_the_statements_costs_time_linear_in_the_cells():
    """A chain of assignments needed one link at a time cost a pass over every statement per
    link (quadratic: a 60 000-line notebook took over an hour). Doubling it now doubles the work."""
    called = frozenset({"mean_squared_error"})
    small, large = (parse([Cell("cell 1", chain(lines))]) for lines in (1000, 2000))
    assert len(choose(large, called).kept) == 2001
    work = [profiled_events(lambda parsed=parsed: choose(parsed, called)) for parsed in (small, large)]
    assert work[1] < 2.3 * work[0], work


def fixpoint_by_passes(statements: list, called: frozenset[str]) -> set[int]:
    """The rules of `statements`' module doc as plainly as they can be written: pass over
    every statement until a pass keeps nothing new (the quadratic original), an oracle."""
    kept: set[int] = set()
    changed = True
    while changed:
        changed = False
        needed = set(called).union(*(s.reads_now | s.reads_later for s in statements if id(s) in kept))
        bound = set(BUILTINS)
        for statement in statements:
            if id(statement) not in kept:
                on_its_own = statement.always and (isinstance(statement.node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)) or statement.reads_now <= bound)
                if on_its_own or (statement.binds | statement.changes) & needed:
                    kept.add(id(statement))
                    changed = True
            if id(statement) in kept:
                bound |= statement.binds
    return kept


def random_cell(rng: random.Random) -> str:
    names = [f"n{i}" for i in range(8)]
    forms = [
        lambda: f"{rng.choice(names)} = {rng.choice(names)} + 1",  # no call: kept once what it reads is bound above
        lambda: f"{rng.choice(names)} = f({rng.choice(names)})",  # a call: kept when needed
        lambda: f"{rng.choice(names)} = {rng.randint(0, 9)}",
        lambda: f"{rng.choice(names)}.append({rng.choice(names)})",
        lambda: f"def {rng.choice(names + ['relu'])}():\n    return {rng.choice(names)}",
        lambda: f"print({rng.choice(names)})",
    ]
    return "\n".join(rng.choice(forms)() for _ in range(rng.randint(5, 25)))


def test_the_linear_choice_keeps_exactly_what_passes_to_a_fixpoint_keep():
    rng = random.Random(12)
    for _ in range(200):
        parsed = parse([Cell(f"cell {n}", random_cell(rng)) for n in range(1, 4)])
        called = frozenset(rng.sample(["relu", "n1", "n5", "absent"], rng.randint(0, 2)))
        expected = [s for s in parsed.statements if id(s) in fixpoint_by_passes(parsed.statements, called)]
        assert choose(parsed, called).kept == expected


def notebook_bytes(*sources: str, cells: int = 0) -> bytes:
    notebook = v4.new_notebook(cells=[v4.new_code_cell(source) for source in sources] + [v4.new_markdown_cell("x") for _ in range(cells)])
    return nbformat.writes(notebook).encode()


def test_a_notebook_over_the_code_or_cell_limits_is_refused_before_it_is_read():
    over = MAX_CODE_BYTES // len("x = 1\n") + 1
    with pytest.raises(NotANotebook, match=r"its code cells hold more than 256 KiB of code"):
        notebook_module(notebook_bytes("x = 1\n" * over), "big.ipynb")
    with pytest.raises(NotANotebook, match=rf"it holds more than {MAX_CELLS} cells"):
        notebook_module(notebook_bytes("def relu(x):\n    return x", cells=MAX_CELLS), "many.ipynb")
    cell = v4.new_code_cell("def relu(x):\n    return x", metadata={"student": [0] * MAX_JSON_VALUES})
    with pytest.raises(NotANotebook, match=rf"its cells and metadata hold more than {MAX_JSON_VALUES} values"):
        notebook_module(nbformat.writes(v4.new_notebook(cells=[cell])).encode(), "deep.ipynb")


def test_outputs_are_left_out_before_the_notebook_is_read_so_they_cost_nothing():
    """200 000 printed outputs, which nbformat would validate one by one (11 s here), cost
    no more work than ten. The file is written as JSON directly, as nbformat would validate it."""

    def printed(count: int) -> bytes:
        cell = v4.new_code_cell("def relu(x):\n    return x", execution_count=1)
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x"}] * count
        return json.dumps(v4.new_notebook(cells=[cell])).encode()

    few, many = printed(10), printed(200_000)
    work = [profiled_events(lambda data=data: notebook_module(data, "printed.ipynb")) for data in (few, many)]
    assert work[1] < 1.2 * work[0], work
    assert notebook_module(many, "printed.ipynb").names == {"relu"}

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
