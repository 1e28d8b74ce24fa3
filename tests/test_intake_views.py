"""How a submission was read reaches every place an instructor or student looks: the views
show the status and the intake's notes briefly, the gradebook has a row with a status for
every entry, and the summary counts every row."""

import csv
import io
import json

from markdown_it import MarkdownIt

from autograder.report.gradebook import render_gradebook
from autograder.report.model import CheckResult, build_report
from autograder.report.summary import write_summary
from autograder.report.views import render

NOTES = [f"note {index}" for index in range(9)]


def report(student: str, status: str = "graded", reason: str = "", notes=(), passed: bool = True) -> dict:
    results = [CheckResult("losses", "mse_small_example", "public", 1.0, "passed" if passed else "not_attempted", "")]
    made = build_report(results, submission=f"class/{student}", student=student, duration_s=1.0)
    made.update(status=status, reason=reason, intake={"files": {}, "refused": {}, "notes": list(notes)})
    return made


def test_the_views_show_why_nothing_was_graded_and_the_first_notes():
    ungradable = report("ada", "ungradable", "losses.py: a symbolic link (to /proc/self/mem); links are refused, never followed", NOTES, passed=False)
    table = render(ungradable, "table")
    assert "Nothing graded: ungradable (losses.py: a symbolic link (to /proc/self/mem)" in table.replace("\n", " ").replace("  ", " ")
    assert "note 5" in table and "note 6" not in table and "... and 3 more notes in the JSON report" in table
    markdown = render(ungradable, "markdown")
    assert "<details><summary>How the submission was read</summary>" in markdown and "- note 0" in markdown
    assert "Nothing graded: ungradable" in json.loads(render(ungradable, "gradescope"))["output"]


def test_a_report_read_without_notes_shows_nothing_more():
    plain = report("bea")
    plain.pop("intake")
    assert "How the submission was read" not in render(plain, "table") + render(plain, "markdown")


def test_the_gradebook_has_a_row_with_a_status_for_every_entry():
    reports = {"ada": report("ada"), "bo": report("bo", "not_submitted", "it holds no files", passed=False)}
    rows = list(csv.DictReader(io.StringIO(render_gradebook(reports, {"cy": "RuntimeError: the grading session ended"}))))
    assert [(row["student"], row["status"], row["score"], row["reason"]) for row in rows] == [
        ("ada", "graded", "10", ""),
        ("bo", "not_submitted", "0", "it holds no files"),
        ("cy", "failed", "", "the grader failed (RuntimeError: the grading session ended); rerun to retry"),
    ]


def test_the_summary_counts_every_row_and_lists_what_was_not_graded(tmp_path):
    reports = {"ada": report("ada"), "bo": report("bo", "ungradable", "no exercise modules found", passed=False)}
    write_summary(reports, tmp_path, {"cy": "RuntimeError: boom"})
    page = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert page.startswith("# Class summary: 3 entries (1 graded, 1 ungradable, 1 failed)")
    assert "- bo: ungradable (no exercise modules found)" in page
    assert "- cy: failed (the grader failed \\(RuntimeError\\: boom\\)\\; rerun to retry)" in page


def test_the_summary_shows_a_folder_name_as_text_never_as_a_link_or_heading(tmp_path):
    """Entry ids and reasons are names a student chose: in summary.md they are literal text."""
    hostile = "[grade](http://evil.example) ![i](http://evil.example/i.png) <b>x</b>"
    reports = {hostile: report(hostile, "not_submitted", "# heading [x](http://evil.example)", passed=False)}
    write_summary(reports, tmp_path, {"\n# pwned <script>": "boom"})
    page = (tmp_path / "summary.md").read_text(encoding="utf-8")
    tokens = MarkdownIt("commonmark").parse(page)
    inline = [child for token in tokens if token.children for child in token.children]
    assert [t.type for t in inline if t.type in ("link_open", "html_inline")] == []
    assert [t.content for t in inline if t.type == "image"] == ["Score distribution per concept", "Checks most often failed", "Mistakes most often named"]
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert not [h for h in headings if "pwned" in h or h.startswith("heading")]


def test_every_gradebook_cell_a_spreadsheet_would_run_starts_with_a_quote():
    """OWASP's CSV injection: a cell starting with = + - @, a tab or a carriage return, in any
    column (an id, a reason quoting a file name, a failed row's error), is text."""
    reports = {
        "-2+3": report("-2+3"),
        "@SUM(1)": report("@SUM(1)", "ungradable", '=HYPERLINK("http://x"): a symbolic link', passed=False),
        "\x1b[0m=1+1": report("ok"),
    }
    failed = {"\t=cmd": "RuntimeError", "\r+1": "x", "--help": "y"}
    rows = list(csv.reader(io.StringIO(render_gradebook(reports, failed))))[1:]
    cells = {row[0]: row for row in rows}
    assert set(cells) == {"'-2+3", "'@SUM(1)", "'=1+1", "' =cmd", "'+1", "'--help"}  # a tab becomes a space, a CR goes
    assert cells["'@SUM(1)"][-1] == "'=HYPERLINK(\"http://x\"): a symbolic link"
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)
