"""Which statements of a notebook's code cells become the graded module.

Each cell is first translated from IPython syntax to Python as IPython itself translates it
(`IPython.core.inputtransformer2.TransformerManager`). The module then keeps, in the order
written, every definition and whatever the definitions need, and leaves out what ran only
for the student to look at, so that a scratch cell (`os._exit(0)`, a plot, a call that
raises) cannot cost the functions that are right. Decision table, top to bottom:

| statement | in the module |
| --- | --- |
| a line that needs a kernel (`%matplotlib`, `!pip`, `x = !ls`) | never; a note names it |
| a `%%time`, `%%capture`, `%%prun` cell, a `%time` line | its body, by these rules |
| a cell that does not parse | never; a note says so (it defined nothing in the kernel either) |
| import, def, class | always (an import of the grader itself: never) |
| an assignment whose value makes no call (`square = np.square`, a lambda, a constant), once the names it reads are bound | always |
| a call that sets an imported library's defaults (`torch.set_default_dtype(torch.float64)`, `np.seterr(...)`), once the names it reads are bound | always: the kernel's functions ran with them |
| anything else (an assignment from a call, a loop, `if`, `try`, a method call or `setattr` that changes a value) | when it binds or changes a name that a kept statement reads, or that the checks call |

Redefinitions all stay in order, so the last one wins, as in a kernel run top to bottom. A
`from __future__` import goes to the top of the module, where Python requires it (a kernel
takes it in any cell, for the cells after it).
"""

import ast
import builtins
import symtable
from dataclasses import dataclass, field

# Cell magics whose body is Python that runs in the notebook's namespace (%%timeit runs
# its body inside a function of its own, so what it defines does not stay).
BODY_CELL_MAGICS = frozenset({"time", "capture", "prun"})
BODY_LINE_MAGICS = frozenset({"time", "prun"})
BUILTINS = frozenset(dir(builtins)) | {"__name__", "__file__", "__doc__"}
_COMPREHENSIONS = frozenset({"listcomp", "setcomp", "dictcomp", "genexpr"})
# A module's code, or a notebook's code cells together: 25 times the largest reference
# module; `select` costs time per statement, and this keeps it to seconds.
MAX_CODE_BYTES = 256 * 1024
_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class Cell:
    """A code cell: where it is ('cell 7'), and its source as written."""

    label: str
    source: str


@dataclass
class Statement:
    """One top-level statement and the names it binds, changes and reads."""

    node: ast.stmt
    label: str
    line: int
    text: str = ""  # the statement as Python source (ast.unparse), made once
    binds: frozenset[str] = frozenset()
    changes: frozenset[str] = frozenset()
    reads_now: frozenset[str] = frozenset()  # read when the statement runs
    reads_later: frozenset[str] = frozenset()  # read when what it defines is called
    always: bool = False


@dataclass
class Selection:
    """The module's statements in order, and notes on what was left out."""

    kept: list[Statement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def source(self, header: str) -> str:
        """The module's text: a header comment, the `from __future__` imports, then each
        cell's kept statements."""
        future = [s for s in self.kept if _is_future(s.node)]
        lines, label = [f"# {header}", "", *(ast.unparse(s.node) for s in future)], None
        for statement in (s for s in self.kept if not _is_future(s.node)):
            if statement.label != label:
                label = statement.label
                lines += ["", f"# {label}"]
            lines.append(statement.text)
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Parsed:
    """The classified top-level statements of some cells, and notes on lines left out."""

    statements: list[Statement]
    notes: list[str]


def parse(cells: list[Cell]) -> Parsed:
    """The statements of `cells`, classified: what costs time per statement, done once so
    that `choose` can pick for several modules."""
    notes: list[str] = []
    statements = []
    for cell in cells:
        statements += _statements(cell.label, cell.source, 0, notes)
    _classify(statements)
    return Parsed(statements, notes)


def select(cells: list[Cell], called: frozenset[str] = frozenset()) -> Selection:
    """The statements of `cells` that make the module; `called` are the names the checks call."""
    return choose(parse(cells), called)


def choose(parsed: Parsed, called: frozenset[str] = frozenset()) -> Selection:
    """The statements of `parsed` that make the module; `called` as for `select`."""
    statements = parsed.statements
    selection = Selection(notes=list(parsed.notes))
    kept = _keep(statements, called)
    selection.kept = [s for s in statements if id(s) in kept]
    left_out: dict[str, list[str]] = {}
    for statement in statements:
        if id(statement) not in kept and not _is_inert(statement.node):
            left_out.setdefault(statement.label, []).append(str(statement.line))
    if left_out:
        places = "; ".join(f"{label} line{'s' if len(lines) > 1 else ''} {', '.join(lines)}" for label, lines in left_out.items())
        selection.notes.append(f"left out, as nothing graded uses what they make (they ran only in your kernel): {places}")
    return selection


def _statements(label: str, source: str, offset: int, notes: list[str]) -> list[Statement]:
    """The top-level statements of one cell (or magic body), with kernel-only lines dropped."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError) as problem:
        line = getattr(problem, "lineno", None)
        where = f", line {line + offset}" if line else ""
        notes.append(f"{label} does not parse ({type(problem).__name__}{where}); left out, as it defined nothing in the kernel either")
        return []
    statements = []
    for node in tree.body:
        line = node.lineno + offset
        body = _magic_body(node)
        magic = _kernel_only(node)
        if body is not None:
            statements += _statements(label, body, line, notes)
        elif magic:
            notes.append(f"{label} line {line}: `{magic}` needs a Jupyter kernel; left out")
        elif not _imports_grader(node):
            statements.append(Statement(node, label, line))
    return statements


def _ipython_call(node: ast.AST) -> tuple[str, list] | None:
    """(method, constant arguments) of `get_ipython().method(...)`, else None."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    receiver = node.func.value
    if not (isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name) and receiver.func.id == "get_ipython"):
        return None
    return node.func.attr, [arg.value if isinstance(arg, ast.Constant) else None for arg in node.args]


def _magic_body(node: ast.stmt) -> str | None:
    """The Python body of `%%time`-like cells and `%time`-like lines, else None."""
    call = _ipython_call(node.value) if isinstance(node, ast.Expr) else None
    if call is None:
        return None
    method, args = call
    if method == "run_cell_magic" and len(args) == 3 and args[0] in BODY_CELL_MAGICS and isinstance(args[2], str):
        return args[2]
    if method == "run_line_magic" and len(args) == 2 and args[0] in BODY_LINE_MAGICS and isinstance(args[1], str):
        return args[1]
    return None


def _kernel_only(node: ast.stmt) -> str:
    """The IPython line a statement was translated from, when it needs a kernel; else ''."""
    value = node.value if isinstance(node, (ast.Expr, ast.Assign, ast.AnnAssign)) else None
    call = _ipython_call(value) if value is not None else None
    if call is None:
        uses_kernel = any(isinstance(n, ast.Name) and n.id == "get_ipython" for n in ast.walk(node))
        return ast.unparse(node).splitlines()[0][:60] if uses_kernel and not isinstance(node, _DEFINITIONS) else ""
    method, args = call
    text = [arg for arg in args if isinstance(arg, str)]
    if method in ("system", "getoutput") and text:
        return f"!{text[0]}"
    if method == "run_line_magic" and len(text) >= 2:
        return f"%{text[0]} {text[1]}".strip()
    if method == "run_cell_magic" and len(text) >= 2:
        return f"%%{text[0]} {text[1]}".strip()
    return f"get_ipython().{method}(...)"


def _imports_grader(node: ast.stmt) -> bool:
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")[0] == "autograder"
    return isinstance(node, ast.Import) and any(alias.name.split(".")[0] == "autograder" for alias in node.names)


def _is_future(node: ast.stmt) -> bool:
    return isinstance(node, ast.ImportFrom) and node.module == "__future__"


def _sets_library_defaults(node: ast.stmt, imported: frozenset[str]) -> bool:
    """A call such as `torch.set_default_dtype(torch.float64)` or `np.seterr(all="raise")`:
    a `set*` function of an imported module, called for its effect on the library."""
    call = node.value if isinstance(node, ast.Expr) else None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr.startswith("set")):
        return False
    return _root(call.func) in imported


def _is_inert(node: ast.stmt) -> bool:
    """A statement with no effect: `pass`, a docstring, `...`."""
    return isinstance(node, ast.Pass) or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))


def _classify(statements: list[Statement]) -> None:
    """Fill in what each statement binds, changes and reads, and whether it always stays."""
    for statement in statements:
        statement.text = ast.unparse(statement.node)
        try:
            table = symtable.symtable(statement.text, "<cell>", "exec")
        except SyntaxError:  # e.g. `return` outside a function: it never ran in the kernel
            continue
        symbols = table.get_symbols()
        statement.binds = frozenset(s.get_name() for s in symbols if s.is_assigned() or s.is_imported())
        now, later = _reads(table)
        statement.reads_now = frozenset(now | {s.get_name() for s in symbols if s.is_referenced()})
        statement.reads_later = frozenset(later)
    assigned = frozenset().union(*(s.binds for s in statements if not isinstance(s.node, _DEFINITIONS)))
    imported = frozenset().union(*(s.binds for s in statements if isinstance(s.node, (ast.Import, ast.ImportFrom))))
    for statement in statements:
        statement.changes = frozenset(_changed(statement.node, assigned))
        node = statement.node
        statement.always = isinstance(node, _DEFINITIONS) or _makes_no_call(node) or _sets_library_defaults(node, imported)


def _reads(table: symtable.SymbolTable) -> tuple[set[str], set[str]]:
    """Global names read by the scopes nested in `table`: (when it runs, when called later)."""
    now, later = set(), set()
    for child in table.get_children():
        immediate = child.get_type() == "class" or child.get_name() in _COMPREHENSIONS
        names = {s.get_name() for s in child.get_symbols() if s.is_global() and s.is_referenced()}
        child_now, child_later = _reads(child)
        if immediate:
            now |= names | child_now
            later |= child_later
        else:
            later |= names | child_now | child_later
    return now, later


def _changed(node: ast.stmt, assigned: frozenset[str]) -> set[str]:
    """Names whose value the statement changes in place: `T[k] = v`, `Value.relu = f`,
    `setattr(Value, "exp", f)`, `LAYERS.append(x)` (a method call counts only on a name some
    assignment binds)."""
    changed = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in ("setattr", "delattr") and sub.args:
            changed.add(_root(sub.args[0]))
        targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target] if isinstance(sub, (ast.AugAssign, ast.AnnAssign)) else []
        for target in targets:
            if isinstance(target, (ast.Attribute, ast.Subscript)):
                changed.add(_root(target))
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and _root(sub.func) in assigned:
            changed.add(_root(sub.func))
    changed.discard("")
    return changed


def _root(node: ast.expr) -> str:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def _makes_no_call(node: ast.stmt) -> bool:
    """An assignment whose value calls nothing (a lambda's body runs only when called)."""
    if not isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) or node.value is None:
        return False
    pending = [node.value]
    while pending:
        current = pending.pop()
        if isinstance(current, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom)):
            return False
        if not isinstance(current, ast.Lambda):
            pending += list(ast.iter_child_nodes(current))
    return True


def _keep(statements: list[Statement], called: frozenset[str]) -> set[int]:
    """Ids of the kept statements: the least set closed under the rules of the module doc.
    A statement that binds or changes a needed name is kept wherever it is; one kept on its
    own must read only names bound above it by kept statements, as the module runs top to
    bottom. A worklist makes this linear in the size of the cells (a pass per name, as a
    chain `x1 = f(x0)`, `x2 = f(x1)`, ... would need, is quadratic)."""
    kept: set[int] = set()
    binders: dict[str, list[Statement]] = {}  # name -> the statements that bind or change it
    for statement in statements:
        for name in statement.binds | statement.changes:
            binders.setdefault(name, []).append(statement)
    waiting = _Waiting(statements)
    needed: set[str] = set()
    pending = [s for s in statements if isinstance(s.node, _DEFINITIONS)] + waiting.ready()
    pending += [s for name in called for s in _newly_needed(name, needed, binders)]
    while pending:
        statement = pending.pop()
        if id(statement) in kept:
            continue
        kept.add(id(statement))
        for name in statement.reads_now | statement.reads_later:
            pending += _newly_needed(name, needed, binders)
        pending += waiting.bound(statement)
    return kept


def _newly_needed(name: str, needed: set[str], binders: dict[str, list[Statement]]) -> list[Statement]:
    """The statements that bind or change `name`, the first time it is needed; else none."""
    if name in needed:
        return []
    needed.add(name)
    return binders.get(name, [])


class _Waiting:
    """The statements kept on their own (`always`, not definitions) once every name they
    read is bound above them by a kept statement, with what each still waits for."""

    def __init__(self, statements: list[Statement]):
        self.position = {id(s): index for index, s in enumerate(statements)}
        self.missing: dict[int, set[str]] = {}
        self.readers: dict[str, list[Statement]] = {}  # name -> statements waiting for it, in order
        self.waiters = [s for s in statements if s.always and not isinstance(s.node, _DEFINITIONS)]
        for statement in self.waiters:
            self.missing[id(statement)] = set(statement.reads_now - BUILTINS)
            for name in self.missing[id(statement)]:
                self.readers.setdefault(name, []).append(statement)
        # name -> readers[name][frontier:] have it bound above them (none yet)
        self.frontier = {name: len(readers) for name, readers in self.readers.items()}

    def ready(self) -> list[Statement]:
        """The statements that wait for nothing."""
        return [s for s in self.waiters if not self.missing[id(s)]]

    def bound(self, statement: Statement) -> list[Statement]:
        """The statements that wait for nothing more now that `statement` is kept."""
        place, ready = self.position[id(statement)], []
        for name in statement.binds:
            readers, start = self.readers.get(name, []), self.frontier.get(name, 0)
            while start > 0 and self.position[id(readers[start - 1])] > place:
                start -= 1
                missing = self.missing[id(readers[start])]
                missing.discard(name)
                if not missing:
                    ready.append(readers[start])
            if name in self.frontier:
                self.frontier[name] = start
        return ready
