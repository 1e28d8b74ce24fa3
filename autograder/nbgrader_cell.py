"""What a course notebook's checks cell calls: grade the notebook's functions in the sandbox.

`public_checks("losses")` (visible in the student's copy) and `grade_concept("losses")` (in
the cell's hidden-tests region) take the definitions this kernel has run, from its input
history, write them as `<module>.py` into a temporary folder and grade that folder with
`grade_submission`: a separate grading session whose worker is sandboxed, so no check runs
in the student's kernel and the kernel never holds an expected value or a hidden input.

`grade_concept` returns the concept's score, a float between 0 and the concept's weight,
which nbgrader takes as the cell's partial credit. It prints nothing, says nothing about
the hidden checks, and never writes to stderr: nbgrader zeroes a cell with stderr output.
One checks cell grades once: the public line grades with every check the course has and
shows the public ones; the hidden line reuses that report.
"""

import ast
import contextlib
import io
import os
import tempfile
import warnings
from pathlib import Path

from autograder.registry import get_concept

KEPT = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
MARKS = {"passed": "✔", "failed": "✘", "error": "✘", "timeout": "⏱", "crashed": "✘", "not_attempted": "·"}
_REPORTS: dict[tuple[str, str, str], dict] = {}


def public_checks(concept_id: str) -> None:
    """Print one line per public check of the concept, with its feedback when it fails.

    Under `nbgrader validate` a public check that does not pass fails the cell, so the
    student hears of it; under `nbgrader autograde` it never does (partial credit)."""
    report = _concept_report(concept_id)
    if report is None:
        return
    public = [check for check in report["checks"] if check["visibility"] == "public"]
    for check in public:
        print(f"{MARKS.get(check['status'], '?')} {check['id']} ({check['status'].replace('_', ' ')})")
        if check["status"] not in ("passed", "not_attempted") and check.get("feedback"):
            print("    " + check["feedback"].replace("\n", "\n    "))
    passed = sum(check["status"] == "passed" for check in public)
    print(f"{passed} of {len(public)} public checks of {get_concept(concept_id).title!r} pass.")
    if os.environ.get("NBGRADER_EXECUTION") == "validate" and passed < len(public):
        raise AssertionError(f"{len(public) - passed} public check(s) do not pass yet")


def grade_concept(concept_id: str) -> float:
    """The concept's score, in [0, weight], graded with the public and hidden checks."""
    weight = get_concept(concept_id).weight
    report = _concept_report(concept_id)
    if report is None or not report["max_score"]:
        return 0.0
    return round(min(max(report["score"] * weight / report["max_score"], 0.0), weight), 6)


def _concept_report(concept_id: str) -> dict | None:
    """The concept's entry of the report of this kernel's definitions, or None when the
    grader could not run (never an exception: the cell must stay free of stderr)."""
    concept = get_concept(concept_id)
    source = kernel_source()
    student = student_id()
    key = (concept_id, source, student)
    if key not in _REPORTS:
        try:
            with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
                warnings.simplefilter("ignore")
                _REPORTS[key] = _grade(concept.module, concept_id, source, student)
        except Exception as problem:  # noqa: BLE001 - on stdout, never on stderr
            # The type only: a session's output could name hidden checks.
            print(f"The checks could not run ({type(problem).__name__}): is the course installed, with its checks/?")
            return None
    return next(c for c in _REPORTS[key]["concepts"] if c["id"] == concept_id)


def _grade(module: str, concept_id: str, source: str, student: str) -> dict:
    from autograder.course import find_course_root
    from autograder.grading.run import grade_submission

    course = find_course_root()
    public_only = not course.hidden_checks.is_dir()  # a student's copy has no hidden checks
    with tempfile.TemporaryDirectory(prefix="notebook-") as folder:
        (Path(folder) / f"{module}.py").write_text(source, encoding="utf-8")
        return grade_submission(Path(folder), course, student=student, public_only=public_only, concepts=(concept_id,))


def kernel_source() -> str:
    """The imports, functions, classes and constants this kernel has run, in the order it
    ran them (a later definition wins, as in the kernel); other statements, such as a call
    that trains a network or prints, are left out."""
    try:
        from IPython import get_ipython

        history = get_ipython().user_ns.get("In", [])
    except (ImportError, AttributeError):
        return ""
    return "\n\n".join(filter(None, (definitions(cell) for cell in history if cell)))


def definitions(cell: str) -> str:
    """The top-level definitions of one cell's code: imports (not of the grader),
    functions, classes and constants (an UPPER_CASE name or a literal value)."""
    try:
        tree = ast.parse(cell)
    except SyntaxError:  # such a cell defined nothing in the kernel either
        return ""
    kept = [node for node in tree.body if (isinstance(node, KEPT) and not _imports_grader(node)) or _is_constant(node)]
    return "\n".join(ast.unparse(node) for node in kept)


def _is_constant(node: ast.stmt) -> bool:
    if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
        return False
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if all(isinstance(target, ast.Name) and target.id.isupper() for target in targets):
        return True
    try:
        ast.literal_eval(node.value)
    except ValueError:
        return False
    return True


def _imports_grader(node: ast.stmt) -> bool:
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")[0] == "autograder"
    return isinstance(node, ast.Import) and any(alias.name.split(".")[0] == "autograder" for alias in node.names)


def student_id() -> str:
    """The nbgrader student id when autograding (the kernel runs in
    `submitted/<student>/<assignment>/`), else "notebook"; it personalises hidden inputs."""
    here = Path.cwd()
    if len(here.parents) >= 2 and here.parents[1].name in ("submitted", "autograded"):
        return here.parent.name
    return "notebook"
