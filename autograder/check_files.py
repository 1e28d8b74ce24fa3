"""Which concepts a check file grades, read from its source without importing it.

Importing a check file imports its oracles (torch, torch._dynamo, sklearn): seconds in a
fresh process, for a session that was asked for one concept (`--concept`) and may need
none of them. So the plugin skips a file whose `concept("id")` markers all name other
concepts. It reads every place a test file gives pytest a mark: the decorators of its
`test*` functions and `Test*` classes, `pytestmark`, and `marks=` (pytest.param). Where
one of them is anything but a mark written out (`pytest.mark.points(2)`,
`pytest.mark.concept("losses")`), such as a mark imported from a helper, a `Test*` class
with a base, an id that is not a literal, or where the file cannot be parsed, it answers
None, and the file is imported as before: its checks are kept or dropped by their markers.
"""

import ast
from pathlib import Path

UNREADABLE = None  # what _concepts_of answers for an expression that may hold a mark it cannot read


def marked_concepts(path: Path) -> frozenset[str] | None:
    """The ids of the concepts the check file at `path` marks its checks with, as written in
    its source; None when the source does not say for certain (see the module doc)."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError, RecursionError):
        return None
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    bodies = [tree.body, *(node.body for node in ast.walk(tree) if isinstance(node, ast.ClassDef))]
    top_level = {id(statement) for body in bodies for statement in body}  # where a check may be assigned
    concepts: set[str] = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Name) and node.id == "concept") or (_is_text(node) and node.value == "concept"):
            return None  # `from ... import concept`, getattr(pytest.mark, "concept"), ...
        if _mark_name(node) == "concept" and id(node) not in called:
            return None  # `losses = pytest.mark.concept`, then losses("pooling") anywhere
        for source in _mark_sources(node, id(node) in top_level):
            found = _concepts_of(source)
            if found is UNREADABLE:
                return None
            concepts |= found
    return frozenset(concepts) or None


def _mark_sources(node: ast.AST, top_level: bool) -> list[ast.expr | None]:
    """The expressions through which `node` gives a mark to a check (None: one that cannot
    be read), including any `concept(...)` call, wherever it is written. `top_level`: the
    node is a statement of the module or of a class, where an assignment may make a check."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
        return node.decorator_list
    if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
        return [*node.decorator_list, *([None] if node.bases or node.keywords else [])]
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        names = [target.id for target in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(target, ast.Name)]
        if "pytestmark" in names:
            return [node.value]
        if top_level and any(name.startswith(("test", "Test")) for name in names):
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
