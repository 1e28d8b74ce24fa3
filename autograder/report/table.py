"""The terminal view of a report: one row per concept, then what to look at next."""

import io
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from autograder.report.intake_notes import intake_lines

STATUS_STYLE = {
    "passed": "green",
    "failed": "red",
    "error": "red",
    "timeout": "magenta",
    "crashed": "magenta",
    "not_attempted": "dim",
}


def render_table(report: dict, *, color: bool = False, width: int = 100) -> str:
    """The report as a table of concepts and a list of next steps, as terminal text."""
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, color_system="standard" if color else None, width=width)
    console.print(_concept_table(report))
    read = intake_lines(report)
    if read:
        console.print(Text("How the submission was read", style="bold"))
        for line in read:
            console.print(Text(f"  {line}"))
    next_steps = _next_steps(report)
    if next_steps:
        console.print(Text("What to look at next", style="bold"))
        for concept_title, check_id, feedback in next_steps:
            console.print(Text.assemble("  ", (f"{concept_title}", "bold"), f" ({check_id}): ", feedback))
    return buffer.getvalue()


def _concept_table(report: dict) -> Table:
    table = Table(title=f"Per-concept results: {_short_path(report['submission'])}", title_justify="left")
    table.add_column("Concept")
    table.add_column("Passed", justify="right")
    table.add_column("Failed", justify="right")
    table.add_column("Not attempted", justify="right")
    table.add_column("Points", justify="right")
    for concept in report["concepts"]:
        checks = concept["checks"]
        passed = sum(c["status"] == "passed" for c in checks)
        not_attempted = sum(c["status"] == "not_attempted" for c in checks)
        failed = len(checks) - passed - not_attempted
        if not checks:
            row_style = "dim"
        elif passed == len(checks):
            row_style = "green"
        elif not_attempted == len(checks):
            row_style = "dim"
        else:
            row_style = "yellow"
        table.add_row(
            concept["title"],
            f"{passed}/{len(checks)}" if checks else "no checks yet",
            Text(str(failed), style="red" if failed else ""),
            str(not_attempted),
            f"{_points(concept['score'])} / {_points(concept['max_score'])}",
            style=row_style,
        )
    table.add_section()
    table.add_row("Total", "", "", "", f"{_points(report['score'])} / {_points(report['max_score'])}", style="bold")
    return table


def _points(value: float) -> str:
    return f"{round(value, 2):g}"


def _short_path(submission: str) -> str:
    """The submission relative to the working directory when it is below it."""
    path = Path(submission)
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return submission


def _next_steps(report: dict, per_concept: int = 3) -> list[tuple[str, str, str]]:
    """Up to `per_concept` failing checks of each concept with distinct feedback."""
    steps = []
    for concept in report["concepts"]:
        shown: set[str] = set()
        for check in concept["checks"]:
            if check["status"] in ("passed", "not_attempted") or check["feedback"] in shown:
                continue
            if len(shown) == per_concept:
                break
            shown.add(check["feedback"])
            steps.append((concept["title"], check["id"], check["feedback"]))
    return steps
