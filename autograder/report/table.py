"""The terminal view of a report: one row per concept, then what to look at next.

Every string of the report goes into a rich `Text`, never into markup, so a student's
"[bold red]" or "[link=...]" is shown as typed; control characters are stripped once more,
as a terminal would act on them.
"""

import io
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from autograder.report.sanitise import strip_controls
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
            title, check, message = strip_controls(concept_title), strip_controls(check_id), strip_controls(feedback, multiline=True)
            console.print(Text.assemble("  ", (title, "bold"), f" ({check}): ", message))
    return buffer.getvalue()


def _concept_table(report: dict) -> Table:
    """One line per concept, within 80 columns: no outer border, a two-line header; the
    caption names the sandbox a grade was made in."""
    title = Text(f"Per-concept results: {strip_controls(_short_path(report['submission']))}")
    table = Table(
        title=title, title_justify="left", caption=_isolation(report), caption_justify="left",
        box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True,
    )  # fmt: skip
    table.add_column("Concept", no_wrap=True)
    table.add_column("Passed", justify="right")
    table.add_column("Failed", justify="right")
    table.add_column("Not\nattempted", justify="right")
    table.add_column("Points", justify="right", no_wrap=True)
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
            Text(strip_controls(concept["title"])),
            f"{passed}/{len(checks)}",
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


def _isolation(report: dict) -> str | None:
    """A line naming the sandbox a grade was made in (a student's own run has none)."""
    sandbox = report.get("sandbox")
    if sandbox is None:
        return None
    return "graded without a sandbox" if sandbox == "none" else f"graded in the {sandbox} sandbox"


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
