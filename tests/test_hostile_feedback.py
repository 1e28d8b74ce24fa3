"""A student's exception message is shown as text in every view: no escape sequence reaches a
terminal, no markup of rich, Markdown or HTML takes effect, the XML stays well-formed and the
JSON valid (issue 10 items 5 and 6)."""

import json
import re
import shutil
import unicodedata
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

from autograder.cli import main
from autograder.course import find_course_root
from autograder.grading.run import grade_submission
from autograder.report.gradebook import render_gradebook
from autograder.report.model import CheckResult, build_report
from autograder.report.views import VIEWS, render
from mutants import grading_process

COURSE = find_course_root()
GOLDEN = Path(__file__).parent / "golden"
HOSTILE = (
    "\x1b[2J\x1b]52;c;cHduZWQ=\x07\n\n# heading [bold red]loud[/bold red] [link=http://evil.example]click[/link] "
    "<script>alert(1)</script> ![img](http://evil.example/i.png) [x](http://evil.example) www.evil.example | cell &amp;"
)
HOSTILE_MODULE = f"""

def mean_squared_error(y_true, y_pred):
    raise ValueError({HOSTILE!r})
"""
SGR = re.compile(r"\x1b\[[0-9;]*m")  # colour and weight, which the table itself uses


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict:
    """The report of a real submission whose mean_squared_error raises HOSTILE."""
    submission = tmp_path_factory.mktemp("hostile") / "mallory"
    shutil.copytree(COURSE.solutions, submission)
    with open(submission / "losses.py", "a", encoding="utf-8") as module:
        module.write(HOSTILE_MODULE)
    return grade_submission(submission, COURSE, concepts=("losses",), process=grading_process())


def failing_feedback(report: dict) -> list[str]:
    return [check["feedback"] for concept in report["concepts"] for check in concept["checks"] if check["status"] != "passed"]


def controls(text: str) -> set[str]:
    return {c for c in text if unicodedata.category(c) == "Cc" and c not in "\n\t"}


def test_the_report_keeps_the_students_words_but_no_control_character(graded):
    """Public checks show the message; hidden checks its type only, as a message can echo a
    hidden input."""
    feedback = failing_feedback(graded)
    public = [c["feedback"] for concept in graded["concepts"] for c in concept["checks"] if c["status"] != "passed" and c["visibility"] == "public"]
    assert public and all("# heading [bold red]loud[/bold red]" in text for text in public)
    assert set().union(*map(controls, feedback)) == set()
    assert all("52;c;" not in text and "[2J" not in text for text in feedback)


def test_the_terminal_table_shows_rich_markup_as_typed(graded):
    plain = render(graded, "table")
    assert controls(plain) == set()
    assert "[bold red]loud[/bold red]" in plain and "[link=http://evil.example]click[/link]" in plain
    coloured = render(graded, "table", color=True)
    assert "\x1b" not in SGR.sub("", coloured)  # no OSC 8 link, no clipboard write, no clear screen
    assert "[bold red]loud[/bold red]" in SGR.sub("", coloured)


def test_markdown_gets_no_heading_link_image_html_or_table_cell_from_a_student(graded):
    text = render(graded, "markdown")
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    inline = [child for token in tokens if token.children for child in token.children]
    assert [t.tag for t in tokens if t.type == "heading_open"] == ["h2"]  # the view's own heading
    assert not [t for t in inline if t.type in ("link_open", "image", "html_inline")]
    assert [t.content.strip() for t in tokens if t.type == "html_block"] == ["<details><summary>Loss functions: 4 check(s) to look at</summary>", "</details>"]
    assert cells_per_row(tokens) == [3, 3]  # the header and the one concept
    assert "http://" not in text and "www." not in text  # no bare URL for GitHub to autolink
    shown = [t.content for t in inline if t.type == "text"]
    assert any("# heading [bold red]loud[/bold red]" in content and "<script>" in content for content in shown)


def cells_per_row(tokens) -> list[int]:
    rows = []
    for token in tokens:
        if token.type == "tr_open":
            rows.append(0)
        elif token.type in ("th_open", "td_open"):
            rows[-1] += 1
    return rows


def test_junit_xml_is_well_formed_and_carries_the_message_as_text(graded):
    root = ElementTree.fromstring(render(graded, "junit"))
    messages = [element.get("message") for element in root.iter("error")]
    assert messages == failing_feedback(graded)


def test_gradescope_results_are_valid_json_with_plain_text_fields(graded):
    results = json.loads(render(graded, "gradescope"))
    assert results["output_format"] == results["test_output_format"] == results["test_name_format"] == "text"
    outputs = [test["output"] for test in results["tests"] if test["status"] == "failed"]
    assert any("# heading" in output for output in outputs) and all(controls(output) == set() for output in outputs)


def test_the_points_line_holds_the_score_and_nothing_else(graded):
    assert render(graded, "points") == f"::notice title=Autograding complete::Points {graded['score']:g}/{graded['max_score']:g}\n"


def test_show_cleans_a_report_file_that_was_never_sanitised(tmp_path):
    raw = build_report([], submission="sub", student="ada", duration_s=1.0)
    raw["concepts"][0]["checks"] = [
        {"id": "planted", "visibility": "public", "points": 0.0, "max_points": 1.0, "status": "failed", "feedback": HOSTILE}
    ]
    (tmp_path / "report.json").write_text(json.dumps(raw), encoding="utf-8")
    with CliRunner().isolation() as (stdout, stderr, _):
        code = main(["show", str(tmp_path / "report.json")])
    shown = stdout.getvalue().decode()
    assert code == 0 and stderr.getvalue() == b""
    assert controls(shown) == set() and "[bold red]loud[/bold red]" in shown


def test_junit_is_well_formed_even_for_characters_xml_forbids():
    report = build_report([], submission="sub", student="ada", duration_s=1.0)
    report["concepts"][0]["checks"] = [  # written past the sanitiser, as a hand-made report could be
        {"id": "x\x00", "visibility": "public", "points": 0.0, "max_points": 1.0, "status": "failed", "feedback": "nul\x00 esc\x1b sur\udcff non\ufffe"}
    ]
    root = ElementTree.fromstring(render(report, "junit"))
    assert root.find(".//failure").get("message") == "nul\ufffd esc\ufffd sur\ufffd non\ufffd"


def test_the_gradebook_shows_a_student_id_as_text_never_as_a_formula():
    report = build_report([], submission="sub", student=None, duration_s=1.0)
    rows = render_gradebook({'=HYPERLINK("http://evil.example")': report, "ada\x1b[2J": report}).splitlines()[1:]
    assert [row.split(",")[0] for row in rows] == ['"\'=HYPERLINK(""http://evil.example"")"', "ada"]


# One hostile report, rendered by every view; the golden files show exactly what each view
# makes of it. To update them after a deliberate change to a view:
#   python -c "import sys; sys.path.insert(0, 'tests'); import test_hostile_feedback as t; t.write_golden()"
GOLDEN_NAMES = {"table": "table.txt", "json": "report.json", "markdown": "summary.md", "junit": "junit.xml", "gradescope": "results.json", "points": "points.txt"}


def golden_report() -> dict:
    results = [
        CheckResult("losses", "mse_small_example", "public", 1.0, "error", f"mean_squared_error raised ValueError: {HOSTILE} (at losses.py:3)"),
        CheckResult("losses", "mse_matches_sklearn", "hidden", 1.0, "passed", ""),
        CheckResult("pooling", "max_pool2d_example", "public", 1.0, "failed", "max_pool2d: \x9b31m<b>bold</b>\u202e | `code` *emph*"),
    ]
    report = build_report(results, submission="class/mallory\x1b]0;title\x07", student="mallory\x1b[31m", duration_s=2.5)
    report["versions"] = {"python": "3.11.7", "numpy": "2.3.5", "torch": "2.13.0+cpu"}  # the same on every machine
    return report


def write_golden() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for view, name in GOLDEN_NAMES.items():
        (GOLDEN / f"hostile-{name}").write_text(render(golden_report(), view), encoding="utf-8")


@pytest.mark.parametrize("view", list(VIEWS))
def test_each_view_of_a_hostile_report_matches_its_golden_file(view):
    expected = (GOLDEN / f"hostile-{GOLDEN_NAMES[view]}").read_text(encoding="utf-8")
    assert render(golden_report(), view) == expected
