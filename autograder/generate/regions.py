"""One region parser for every marker pair (solutions now, hidden tests in notebooks).

A region is the lines between a begin and an end marker, each alone on its line as a
comment (`### BEGIN SOLUTION`). `replace_regions` swaps every region for a stub, indented
like the begin marker, and refuses nested, unterminated or stray markers with the file,
line and marker named.
"""

import re
from dataclasses import dataclass

from autograder.errors import UserError


@dataclass(frozen=True)
class Markers:
    begin: str
    end: str


SOLUTION = Markers("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_TESTS = Markers("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")

# nbgrader's own code stub, so a stub file and a released notebook cell read the same.
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")


def replace_regions(text: str, where: str, markers: Markers, stub: tuple[str, ...]) -> str:
    """Return `text` with each region replaced by `stub` at the begin marker's indent.

    `where` names the source in error messages (a path or a cell id). Raises UserError
    for a nested or unterminated region, an end with no begin, or a region at module
    level (a stub there would stop the whole module from importing).
    """
    out: list[str] = []
    begin_line = None
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        marker = line.strip()
        if marker == markers.begin:
            if begin_line is not None:
                raise UserError(f"{where}:{number}: {markers.begin} inside the region opened at line {begin_line}")
            indent = re.match(r"[ \t]*", line).group(0)
            if not indent and where.endswith(".py"):
                raise UserError(f"{where}:{number}: {markers.begin} must sit inside a function body")
            begin_line = number
            out.extend(f"{indent}{stub_line}\n" for stub_line in stub)
        elif marker == markers.end:
            if begin_line is None:
                raise UserError(f"{where}:{number}: {markers.end} has no {markers.begin}")
            begin_line = None
        elif begin_line is None:
            out.append(line)
    if begin_line is not None:
        raise UserError(f"{where}:{begin_line}: {markers.begin} has no {markers.end}")
    return "".join(out)


def strip_markers(text: str, markers: Markers) -> str:
    """Return `text` with the marker lines removed and the regions' content kept."""
    kept = (line for line in text.splitlines(keepends=True) if line.strip() not in (markers.begin, markers.end))
    return "".join(kept)
