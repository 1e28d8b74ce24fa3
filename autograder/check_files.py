"""Which concepts a check file grades, read from its source without importing it.

Importing a check file imports its oracles (torch, torch._dynamo, sklearn): seconds in a
fresh process, for a session that was asked for one concept (`--concept`) and may need
none of them. So the plugin skips a file whose `concept("id")` markers all name concepts
that were not asked for. Where the markers cannot be read from the source (an id that is
not a literal, `concept` reached by another way, a file that does not parse), the file is
imported as before, and its checks are kept or dropped by their markers.
"""

import ast
from pathlib import Path


def marked_concepts(path: Path) -> frozenset[str] | None:
    """The ids of the concepts the check file at `path` marks its checks with, as written in
    its source (`pytest.mark.concept("losses")`, module-wide or on a check); None when the
    source does not say for certain: no such marker, one whose id is not a string literal,
    the name `concept` used any other way, or a file that cannot be read or parsed."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError, RecursionError):
        return None
    called = {id(node.func): node for node in ast.walk(tree) if isinstance(node, ast.Call)}
    concepts = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "concept":
            call = called.get(id(node))
            if call is None or call.keywords or len(call.args) != 1 or not _is_text(call.args[0]):
                return None
            concepts.add(call.args[0].value)
        elif (isinstance(node, ast.Name) and node.id == "concept") or (_is_text(node) and node.value == "concept"):
            return None  # `concept = pytest.mark.concept`, getattr(pytest.mark, "concept"), ...
    return frozenset(concepts) or None


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)
