"""A notebook as a submission: its code cells become a module, read through nbformat's API.

The student's code cells are every code cell but the checks cells (nbgrader grade cells,
and cells that call the course's checks); `statements.select` decides which of their
statements make the module. Outputs and execution counts are never read: what the
student's kernel printed is not evidence of anything, so they are left out before nbformat
reads the notebook. What reading costs is bounded before it is paid: at most MAX_CELLS
cells and MAX_JSON_VALUES values (nbformat's validation costs time per value) and
MAX_CODE_BYTES of code (`statements.select` costs time per statement).
"""

import functools
import json
import warnings
from collections import Counter
from dataclasses import dataclass

from autograder.intake.statements import MAX_CODE_BYTES, Cell, Parsed, choose, parse
from autograder.intake.walk import size_text

CHECKS_IMPORT = "autograder.nbgrader_cell"
MAX_CELLS = 2000  # cells of any kind; a course notebook has about 30
MAX_JSON_VALUES = 100_000  # outputs aside; a course notebook holds about 500


class NotANotebook(Exception):
    """The file is no readable notebook; the message says why."""


@dataclass(frozen=True)
class NotebookModule:
    """The module made from a notebook, the names it defines, and notes for the report."""

    source: str
    names: frozenset[str]
    notes: list[str]


def read_notebook(data: bytes):
    """The notebook in `data` as nbformat 4 (nbformat.reads), and a note when it does not
    validate. Raises NotANotebook for what is not a notebook at all."""
    import nbformat

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotANotebook("it is not UTF-8 text") from None
    text = _bounded_code(text)
    invalid: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbformat warns about ids it repairs, on stderr
        try:
            notebook = nbformat.reads(text, as_version=4, capture_validation_error=invalid)
        except Exception as problem:  # noqa: BLE001 - nbformat raises jsonschema's, Type, Attribute and Key errors for malformed files
            raise NotANotebook(f"nbformat cannot read it ({type(problem).__name__}: {str(problem)[:120]})") from None
    if not isinstance(notebook.get("cells"), list):
        raise NotANotebook("it has no list of cells")
    problem = invalid.get("ValidationError")
    why = str(getattr(problem, "message", problem)).splitlines()[0][:120] if problem else ""
    note = f"it does not validate as an nbformat 4 notebook ({why}); its code cells were read anyway" if problem else ""
    return notebook, note


def _bounded_code(text: str) -> str:
    """The notebook's JSON with every cell's outputs left out (never read, and where a
    notebook's bulk lies), refused when the rest holds more than MAX_CELLS cells or
    MAX_JSON_VALUES values: nbformat's validation costs time per value. What is no JSON
    object is returned as it is, for nbformat to say what is wrong with it."""
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError):
        return text
    if not isinstance(raw, dict):
        return text
    sheets = raw.get("worksheets") if isinstance(raw.get("worksheets"), list) else []  # nbformat 3
    groups = [group for group in [raw.get("cells"), *[sheet.get("cells") for sheet in sheets if isinstance(sheet, dict)]] if isinstance(group, list)]
    if sum(map(len, groups)) > MAX_CELLS:
        raise NotANotebook(f"it holds more than {MAX_CELLS} cells, more than any exercise needs")
    for cell in (cell for group in groups for cell in group):
        if isinstance(cell, dict) and isinstance(cell.get("outputs"), list):
            cell["outputs"] = []
    if _values(raw) > MAX_JSON_VALUES:
        raise NotANotebook(f"its cells and metadata hold more than {MAX_JSON_VALUES} values, more than any exercise needs")
    return json.dumps(raw)


def _values(document) -> int:
    """How many objects, arrays and values `document` (parsed JSON) holds; stops counting past MAX_JSON_VALUES."""
    count, pending = 0, [document]
    while pending and count <= MAX_JSON_VALUES:
        current = pending.pop()
        count += 1
        if isinstance(current, dict):
            pending += current.values()
        elif isinstance(current, list):
            pending += current
    return count


def notebook_module(data: bytes, name: str, called: frozenset[str] = frozenset()) -> NotebookModule:
    """The module made from the notebook `name` (bytes `data`); `called`: the names the
    checks call. Raises NotANotebook."""
    parsed, read_notes = _parsed(data)
    selection = choose(parsed, called)
    notes = [f"{name}: {n}" for n in read_notes + selection.notes]
    names = frozenset().union(*(s.binds for s in selection.kept))
    return NotebookModule(selection.source(f"made from the code cells of {name}, in the order written"), names, notes)


@functools.lru_cache(maxsize=4)
def _parsed(data: bytes) -> tuple[Parsed, list[str]]:
    """The notebook's code, parsed once however many modules it makes, and notes on reading
    it (validation, duplicated cells). Raises NotANotebook."""
    notebook, note = read_notebook(data)
    cells, notes = code_cells(notebook)
    return parse(cells), ([note] if note else []) + notes


def code_cells(notebook) -> tuple[list[Cell], list[str]]:
    """The student's code cells, labelled by position, and notes on duplicated graded cells.
    Raises NotANotebook for more than MAX_CODE_BYTES of code."""
    cells, notes, grade_ids, checks_ids = [], [], Counter(), set()
    for index, cell in enumerate(notebook["cells"], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        grade_id = _nbgrader(cell).get("grade_id")
        grade_ids[grade_id] += 1
        if is_checks_cell(cell):
            checks_ids.add(grade_id)
        elif not isinstance(source, str):
            notes.append(f"cell {index} has no text; left out")
        else:
            cells.append(Cell(f"cell {index}" + (f" ({grade_id})" if grade_id else ""), source))
    if sum(len(cell.source.encode("utf-8", "surrogatepass")) for cell in cells) > MAX_CODE_BYTES:
        raise NotANotebook(f"its code cells hold more than {size_text(MAX_CODE_BYTES)} of code, more than any exercise needs")
    for grade_id, count in sorted((g, n) for g, n in grade_ids.items() if g and n > 1):
        if grade_id in checks_ids:
            notes.append(f"the graded cell {grade_id!r} appears {count} times; checks cells are never part of the graded code")
        else:
            notes.append(f"the cell {grade_id!r} appears {count} times; every copy counts in order, so the last one's definitions win, as in a kernel")
    return cells, notes


def is_checks_cell(cell: dict) -> bool:
    """An nbgrader grade cell (autograder tests) or a cell that calls the course's checks."""
    metadata = _nbgrader(cell)
    is_grade_cell = bool(metadata.get("grade")) and not metadata.get("solution")
    return is_grade_cell or CHECKS_IMPORT in str(cell.get("source", ""))


def _nbgrader(cell: dict) -> dict:
    metadata = cell.get("metadata")
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return nbgrader if isinstance(nbgrader, dict) else {}
