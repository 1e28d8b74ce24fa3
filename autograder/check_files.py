"""Which concepts a check file grades, read from its source without importing it.

Importing a check file imports its oracles (torch, torch._dynamo, sklearn): seconds in a
fresh process, for a session that was asked for one concept (`--concept`) and may need
none of them. So the plugin skips a file whose `concept("id")` markers all name other
concepts. It answers only for a file whose checks and marks can come from nowhere but its
own text: every name it imports comes from the standard library, pytest, numpy, torch,
sklearn or the grader (`autograder`), never by a star or at run time (`importlib`,
`exec`), and no check is made by assignment. Then it reads every place the file gives
pytest a mark: the decorators of its `test*` functions, of its `Test*` classes and of any
class with a base (a `unittest.TestCase` is collected whatever its name), `pytestmark`,
`marks=` (pytest.param) and every `concept(...)` call. Where one of them is anything but a mark
written out (`pytest.mark.points(2)`, `pytest.mark.concept("losses")`), an id is not a
literal, or the file cannot be parsed, it answers None, and the file is imported as
before: its checks are kept or dropped by their markers.
"""

import ast
import sys
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

# Where a check file's imports may come from: none of them holds a check or a concept mark.
KNOWN_PACKAGES = frozenset({"pytest", "_pytest", "numpy", "torch", "sklearn", "autograder"}) | sys.stdlib_module_names
# Names through which a file reaches modules or its own namespace at run time.
DYNAMIC_NAMES = frozenset({"exec", "eval", "compile", "__import__", "importlib", "globals", "locals", "vars", "setattr", "__builtins__"})

UNREADABLE = None  # what _concepts_of answers for an expression that may hold a mark it cannot read


def marked_concepts(path: Path) -> frozenset[str] | None:
    """The ids of the concepts the check file at `path` marks its checks with, as written in
    its source; None when the source does not say for certain (see the module doc)."""
    try:
        return _marked_in(path.read_bytes())
    except OSError:
        return None


# A warm grading process meets the same check files in every session: the answer for a
# source is kept, so that only its first session parses it (about 0.05 s a file).
@lru_cache(maxsize=256)
def _marked_in(text: bytes) -> frozenset[str] | None:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return None
    called, named_concept, concepts = set(), set(), set()
    for node, at_import in _nodes(tree):
        if not _from_known_places(node):
            return None
        if (isinstance(node, ast.Name) and node.id == "concept") or (_is_text(node) and node.value == "concept"):
            return None  # `from ... import concept`, getattr(pytest.mark, "concept"), ...
        if isinstance(node, ast.Call):
            called.add(id(node.func))
        if _mark_name(node) == "concept":
            named_concept.add(id(node))
        for source in _mark_sources(node, at_import):
            found = _concepts_of(source)
            if found is UNREADABLE:
                return None
            concepts |= found
    if named_concept - called:
        return None  # `losses = pytest.mark.concept`, then losses("pooling") anywhere
    return frozenset(concepts) or None


def _nodes(tree: ast.AST) -> Iterator[tuple[ast.AST, bool]]:
    """Every node of `tree`, and whether it runs at import: outside every function and
    lambda (a function's decorators and defaults are inside it, as ast has them)."""
    stack = [(tree, True)]
    while stack:
        node, at_import = stack.pop()
        yield node, at_import
        inside = at_import and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        stack.extend((child, inside) for child in ast.iter_child_nodes(node))


def _from_known_places(node: ast.AST) -> bool:
    """False for an import from outside KNOWN_PACKAGES, a relative or star import, or a name
    that reaches modules or namespaces at run time (DYNAMIC_NAMES)."""
    if isinstance(node, ast.ImportFrom):
        return node.level == 0 and (node.module or "").split(".")[0] in KNOWN_PACKAGES and all(alias.name != "*" for alias in node.names)
    if isinstance(node, ast.Import):
        return all(alias.name.split(".")[0] in KNOWN_PACKAGES for alias in node.names)
    return not (isinstance(node, ast.Name) and node.id in DYNAMIC_NAMES)


def _mark_sources(node: ast.AST, at_import: bool) -> list[ast.expr | None]:
    """The expressions through which `node` gives a mark to a check (None: one that cannot
    be read), including any `concept(...)` call, wherever it is written.
    `at_import`: the node runs at import, where an assignment may make a check."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
        return node.decorator_list
    if isinstance(node, ast.ClassDef) and (node.name.startswith("Test") or node.bases or node.keywords):
        return node.decorator_list  # a class with a base may be a unittest.TestCase, collected whatever its name
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        names = [target.id for target in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(target, ast.Name)]
        if "pytestmark" in names:
            return [node.value]
        if at_import and any(name.startswith(("test", "Test")) for name in names):
            return [None]  # a check made by assignment, with whatever marks it carries
    if isinstance(node, ast.keyword) and node.arg == "marks":
        return [node.value]
    if isinstance(node, ast.Call) and _mark_name(node.func) == "concept":
        return [node]  # item.add_marker(pytest.mark.concept("losses")) in a hook, say
    return []


def _concepts_of(expression: ast.expr | None) -> set[str] | None:
    """The concept ids that a mark expression names: a mark or a fixture written out, or a
    list or tuple of them; UNREADABLE for anything else."""
    if isinstance(expression, (ast.List, ast.Tuple)):
        found = [_concepts_of(element) for element in expression.elts]
        return UNREADABLE if UNREADABLE in found else set().union(*found)
    if isinstance(expression, ast.Call) and _mark_name(expression.func) == "concept":
        literal = not expression.keywords and len(expression.args) == 1 and _is_text(expression.args[0])
        return {expression.args[0].value} if literal else UNREADABLE
    written_out = expression.func if isinstance(expression, ast.Call) else expression
    if _mark_name(written_out) not in (None, "concept") or _is_fixture(written_out):
        return set()
    return UNREADABLE


def _mark_name(expression: ast.expr | None) -> str | None:
    """`name` for `pytest.mark.name` or `mark.name`, else None."""
    if isinstance(expression, ast.Attribute):
        owner = expression.value
        if (isinstance(owner, ast.Attribute) and owner.attr == "mark") or (isinstance(owner, ast.Name) and owner.id == "mark"):
            return expression.attr
    return None


def _is_fixture(expression: ast.expr | None) -> bool:
    return (isinstance(expression, ast.Attribute) and expression.attr == "fixture") or (isinstance(expression, ast.Name) and expression.id == "fixture")


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)
