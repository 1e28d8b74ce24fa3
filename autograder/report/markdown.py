"""The Markdown view of a report: for a CI job summary or a feedback page."""

from autograder.report.intake_notes import intake_lines

STATUS_MARK = {
    "passed": "✅ passed",
    "failed": "❌ failed",
    "error": "💥 error",
    "timeout": "⏱️ timeout",
    "crashed": "💥 crashed",
    "not_attempted": "➖ not attempted",
}


def render_markdown(report: dict) -> str:
    """A heading with the total, a row per concept, then each concept's unfinished checks."""
    lines = [
        f"## Per-concept results: {report['score']:g} / {report['max_score']:g}",
        "",
        "| Concept | Passed | Points |",
        "| --- | ---: | ---: |",
    ]
    for concept in report["concepts"]:
        checks = concept["checks"]
        passed = sum(c["status"] == "passed" for c in checks)
        counted = f"{passed}/{len(checks)}" if checks else "no checks yet"
        lines.append(f"| {concept['title']} | {counted} | {concept['score']:g} / {concept['max_score']:g} |")
    read = intake_lines(report)
    if read:
        lines += ["", "<details><summary>How the submission was read</summary>", "", *[f"- {_escape(line)}" for line in read], "", "</details>"]
    for concept in report["concepts"]:
        unfinished = [c for c in concept["checks"] if c["status"] != "passed"]
        if not unfinished:
            continue
        lines += ["", f"<details><summary>{concept['title']}: {len(unfinished)} check(s) to look at</summary>", ""]
        for check in unfinished:
            feedback = f": {_escape(check['feedback'])}" if check["feedback"] else ""
            lines.append(f"- **{check['id']}** ({check['visibility']}) {STATUS_MARK[check['status']]}{feedback}")
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
