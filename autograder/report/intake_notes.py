"""What the views say about how a submission was read: its status and the intake's notes."""

SHOWN_NOTES = 6


def intake_lines(report: dict, limit: int = SHOWN_NOTES) -> list[str]:
    """A few lines for a view: why nothing was graded, which file made which module, what was
    left out; the JSON report holds every note."""
    lines = []
    if report.get("status", "graded") != "graded":
        lines.append(f"Nothing graded: {report['status'].replace('_', ' ')} ({report.get('reason', '')})")
    notes = report.get("intake", {}).get("notes", [])
    lines += notes[:limit]
    if len(notes) > limit:
        lines.append(f"... and {len(notes) - limit} more notes in the JSON report")
    return lines
