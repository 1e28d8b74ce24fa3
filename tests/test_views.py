"""One report, many views (law 6): each view is made from the same report and agrees with it."""

import json
from xml.etree import ElementTree

import pytest

from autograder.report.model import CheckResult, build_report
from autograder.report.views import VIEWS, render

RESULTS = [
    CheckResult("losses", "mse_small_example", "public", 1.0, "passed", ""),
    CheckResult("losses", "mse_matches_sklearn", "hidden", 3.0, "failed", "mean_squared_error: it looks like a sum."),
    CheckResult("convolution", "conv2d_matches_torch", "hidden", 1.0, "timeout", "conv2d did not finish within the check's time limit"),
    CheckResult("convolution", "conv2d_shape", "public", 1.0, "crashed", "conv2d ended the worker process (os._exit(3) or a crash)"),
    CheckResult("pooling", "max_pool2d_example", "public", 1.0, "not_attempted", "max_pool2d is not written yet"),
    CheckResult("pooling", "max_pool2d_backward", "hidden", 1.0, "error", "max_pool2d_backward raised IndexError: out of bounds"),
]


@pytest.fixture
def report():
    return build_report(RESULTS, submission="sub/ada", student="ada", duration_s=1.5)


def test_scores_scale_to_concept_weights(report):
    losses = report["concepts"][0]
    assert [c["max_points"] for c in losses["checks"]] == [2.5, 7.5]
    assert losses["score"] == 2.5 and report["score"] == 2.5 and report["max_score"] == 30.0


def test_junit_has_one_case_per_check_with_the_right_outcome(report):
    root = ElementTree.fromstring(render(report, "junit"))
    cases = {case.get("name"): case for case in root.iter("testcase")}
    assert len(cases) == len(RESULTS)
    assert cases["mse_small_example"].find("failure") is None
    assert cases["mse_matches_sklearn"].find("failure").get("message") == "mean_squared_error: it looks like a sum."
    assert cases["conv2d_matches_torch"].find("error").get("type") == "timeout"
    assert cases["max_pool2d_example"].find("skipped") is not None


def test_gradescope_results_keep_scores_and_visibility(report):
    results = json.loads(render(report, "gradescope"))
    assert results["score"] == report["score"]
    assert sum(t["max_score"] for t in results["tests"]) == pytest.approx(report["max_score"])
    visibility = {t["name"].split(": ")[1]: t["visibility"] for t in results["tests"]}
    assert visibility["mse_small_example"] == "visible" and visibility["mse_matches_sklearn"] == "after_published"
    assert {t["status"] for t in results["tests"]} == {"passed", "failed"}


def test_markdown_lists_every_concept_and_each_unfinished_check(report):
    text = render(report, "markdown")
    assert text.startswith("## Per-concept results: 2.5 / 30")
    for result in RESULTS[1:]:
        assert f"**{result.id}**" in text
    assert "Receptive fields | no checks yet" in text


def test_the_points_line_is_what_github_classroom_reads(report):
    assert render(report, "points") == "::notice title=Autograding complete::Points 2.5/30\n"


def test_json_and_table_views(report):
    assert json.loads(render(report, "json")) == report
    table = render(report, "table")
    assert "Loss functions" in table and "2.5 / 30" in table
    assert set(VIEWS) == {"table", "json", "markdown", "junit", "gradescope", "points"}
