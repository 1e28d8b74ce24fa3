"""The Markdown view of a report: for a CI job summary or a feedback page.

A student's text is one line with every ASCII punctuation character backslash-escaped
(CommonMark makes each a literal), so it cannot start a heading or a block, close a table
cell, or make a link, an image, an autolink, an entity or HTML. Inside the raw HTML of a
`<summary>` line, where Markdown does not apply, text is HTML-escaped instead.
"""

import html
import re

from autograder.report.intake_notes import intake_lines

MARKDOWN_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")  # CommonMark's escapable characters
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
        lines.append(f"| {escape_markdown(concept['title'])} | {counted} | {concept['score']:g} / {concept['max_score']:g} |")
    read = intake_lines(report)
    if read:
        lines += ["", "<details><summary>How the submission was read</summary>", "", *[f"- {escape_markdown(line)}" for line in read], "", "</details>"]
    for concept in report["concepts"]:
        unfinished = [c for c in concept["checks"] if c["status"] != "passed"]
        if not unfinished:
            continue
        lines += ["", f"<details><summary>{escape_html(concept['title'])}: {len(unfinished)} check(s) to look at</summary>", ""]
        for check in unfinished:
            feedback = f": {escape_markdown(check['feedback'])}" if check["feedback"] else ""
            lines.append(f"- **{check['id']}** ({check['visibility']}) {STATUS_MARK[check['status']]}{feedback}")
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def escape_markdown(text: str) -> str:
    """`text` as literal Markdown on one line: whitespace runs (newlines included) become
    one space, and every ASCII punctuation character is backslash-escaped."""
    return MARKDOWN_PUNCTUATION.sub(r"\\\g<0>", " ".join(text.split()))


def escape_html(text: str) -> str:
    """`text` as literal HTML on one line (a blank line would end the HTML block)."""
    return html.escape(" ".join(text.split()))
