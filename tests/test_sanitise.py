"""A report's strings are plain and bounded, and the report is capped without losing a
concept or a check (issue 10 item 5; laws 5 and 9)."""

import json
import unicodedata

import pytest

from autograder.registry import CONCEPTS
from autograder.report.model import CheckResult, build_report
from autograder.report.sanitise import (
    FEEDBACK_LIMIT,
    REPORT_LIMIT_BYTES,
    SHORTEST_FEEDBACK,
    clip,
    sanitise_report,
    strip_controls,
)


@pytest.mark.parametrize(
    ("text", "single_line", "multi_line"),
    [
        ("clear\x1b[2Jscreen", "clearscreen", "clearscreen"),
        ("copy\x1b]52;c;cHduZWQ=\x07me", "copyme", "copyme"),
        ("osc with st\x1b]0;title\x1b\\ end", "osc with st end", "osc with st end"),
        ("link \x1b]8;;http://evil\x1b\\here\x1b]8;;\x1b\\", "link here", "link here"),
        ("8-bit csi \x9b31mred", "8-bit csi red", "8-bit csi red"),
        ("reset\x1bc!", "reset!", "reset!"),
        ("nul\x00 bel\x07 del\x7f", "nul bel del", "nul bel del"),
        ("a\r\nb\tc", "a b c", "a\nb\tc"),
        ("line\u2028sep", "line sep", "line\nsep"),
        ("bidi \u202eevil\u202c \u2066x\u2069", "bidi evil x", "bidi evil x"),
        ("undecodable \udcff name", "undecodable \ufffd name", "undecodable \ufffd name"),
        ("non\ufffecharacters\uffff", "noncharacters", "noncharacters"),
        ("[bold red]markup[/] and ünïcödé stay", "[bold red]markup[/] and ünïcödé stay", "[bold red]markup[/] and ünïcödé stay"),
    ],
)
def test_control_characters_and_escape_sequences_are_removed(text, single_line, multi_line):
    assert strip_controls(text) == single_line
    assert strip_controls(text, multiline=True) == multi_line


def test_nothing_a_terminal_acts_on_is_left_in_any_character():
    every_character = "".join(chr(code) for code in range(0x3000))
    for multiline in (False, True):
        kept = strip_controls(every_character, multiline=multiline)
        controls = {c for c in kept if unicodedata.category(c) == "Cc"}
        assert controls == ({"\n", "\t"} if multiline else set())
        assert "\u202e" not in kept and "\u2066" not in kept


def test_a_long_text_is_cut_with_a_mark():
    assert clip("abcdef", 6) == "abcdef"
    assert clip("abcdefg", 6) == "abcde…"


def hostile_results(feedback: str, copies: int) -> list[CheckResult]:
    """`copies` failing checks in every concept, each with `feedback`."""
    return [
        CheckResult(concept.id, f"check_{index}", "hidden", 1.0, "failed", feedback, mistake="m\x1b[31m")
        for concept in CONCEPTS
        for index in range(copies)
    ]


def test_every_string_field_has_a_cap():
    report = build_report(
        hostile_results("x" * 100_000, copies=1),
        submission="s/" + "d" * 10_000,
        student="\x1b]52;c;AAAA\x07" + "s" * 10_000,
        duration_s=1.0,
    )
    checks = [check for concept in report["concepts"] for check in concept["checks"]]
    assert all(len(check["feedback"]) == FEEDBACK_LIMIT and check["feedback"].endswith("…") for check in checks)
    assert all(check["mistake"] == "m" for check in checks)
    assert len(report["submission"]) <= 1024 and len(report["student"]) <= 512
    assert report["student"].startswith("sss")


def test_a_report_of_huge_messages_is_capped_and_keeps_every_concept_and_check():
    """Wide characters that JSON escapes as 12 bytes each, in 40 checks per concept."""
    results = hostile_results("\U0001f4a5" * 50_000, copies=40)
    report = build_report(results, submission="sub", student="ada", duration_s=1.0)
    assert len(json.dumps(report)) <= REPORT_LIMIT_BYTES
    assert [c["id"] for c in report["concepts"]] == [c.id for c in CONCEPTS]
    assert sum(len(c["checks"]) for c in report["concepts"]) == len(results)
    lengths = {len(check["feedback"]) for c in report["concepts"] for check in c["checks"]}
    assert len(lengths) == 1 and SHORTEST_FEEDBACK <= lengths.pop() < FEEDBACK_LIMIT
    assert report["score"] == 0 and report["max_score"] == sum(c.weight for c in CONCEPTS)


def test_sanitising_twice_changes_nothing():
    report = build_report(hostile_results("\x1b\x1b[2J#\x00" * 1000, copies=2), submission="sub", student=None, duration_s=1.0)
    assert sanitise_report(report) == report
    assert report["student"] is None
