"""The student's loop: plain `pytest` in a student layout, in one process, ending in the table;
the grader's time limits and words, one line for a typo, a table of what ran in 80 columns."""

import json
import shutil
import sys

import pytest

from autograder.course import find_course_root
from autograder.registry import CONCEPTS
from autograder.worker.errors import timed_out

COURSE = find_course_root()
pytest_plugins = ["pytester"]


@pytest.fixture
def student_repo(pytester, monkeypatch):
    """A student layout: the stubs, the public checks and a pytest configuration."""
    monkeypatch.setenv("COLUMNS", "200")  # one table row per line, whatever the terminal
    shutil.copytree(COURSE.exercises, pytester.path / "exercises")
    shutil.copytree(COURSE.public_checks, pytester.path / "checks")
    pytester.makefile(".toml", pyproject='[tool.pytest.ini_options]\ntestpaths = ["checks"]\n')
    return pytester


def test_stubs_show_as_not_attempted_not_as_tracebacks_and_one_check_file_lists_only_its_concept(student_repo):
    result = student_repo.runpytest_subprocess("checks/test_losses.py", "-rs")
    outcomes = result.parseoutcomes()
    assert outcomes.get("skipped", 0) > 0 and "failed" not in outcomes and "errors" not in outcomes
    result.stdout.fnmatch_lines(["*per-concept results*", "*Loss functions*0/10*", "*SKIPPED*not attempted*"])
    result.stdout.no_fnmatch_line("*Traceback*")
    table = "\n".join(table_lines(result))
    assert [c.title for c in CONCEPTS if c.title in table] == ["Loss functions"]


def test_no_summary_leaves_out_the_table(student_repo):
    """--no-summary (a grading session's, whose terminal no one reads) draws no table."""
    result = student_repo.runpytest_subprocess("checks/test_losses.py", "--no-summary")
    assert result.parseoutcomes().get("skipped", 0) > 0
    result.stdout.no_fnmatch_line("*per-concept results*")
    result.stdout.no_fnmatch_line("Per-concept results*")


def test_a_finished_exercise_passes_a_wrong_one_is_named_and_print_works(student_repo):
    """One run of the student's pytest (-s) on the reference with a sum for a mean in
    mean_squared_error and a print in hinge_loss (which stays right): the wrong function's
    checks fail, named with the mistake; the right ones pass, and the print shows, as in a
    run with no worker between the student and their code."""
    shutil.copy(COURSE.solutions / "losses.py", student_repo.path / "exercises" / "losses.py")
    with open(student_repo.path / "exercises" / "losses.py", "a") as module:
        module.write("\n\ndef mean_squared_error(y_true, y_pred):\n    return float(np.sum((y_true - y_pred) ** 2))\n")
        module.write("\n\n_hinge = hinge_loss\ndef hinge_loss(y_true, scores):\n    print('debugging hinge')\n    return _hinge(y_true, scores)\n")
    result = student_repo.runpytest_subprocess("checks/test_losses.py", "-s")
    result.assert_outcomes(passed=8, failed=2)
    result.stdout.fnmatch_lines(["*What to look at next*", "*Loss functions (mean_squared_error_small_example)*", "*sum over the samples*"])
    result.stdout.fnmatch_lines(["*debugging hinge*"])


def append_to_reference(repo, module: str, code: str) -> None:
    """The reference `module` in the student's exercises/, with `code` redefining a function."""
    target = repo.path / "exercises" / f"{module}.py"
    shutil.copy(COURSE.solutions / f"{module}.py", target)
    with open(target, "a") as source:
        source.write("\n\n" + code)


def table_lines(result) -> list[str]:
    """The per-concept table's lines, from its title to its Total row."""
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if line.startswith("Per-concept results"))
    end = next(i for i, line in enumerate(lines) if line.strip().startswith("Total"))
    return lines[start : end + 1]


def test_an_endless_loop_stops_at_the_checks_time_limit_with_the_graders_words(student_repo):
    append_to_reference(student_repo, "losses", "def mean_squared_error(y_true, y_pred):\n    while True:\n        pass\n")
    result = student_repo.runpytest_subprocess("checks/test_losses.py", "--time-scale=0.05", timeout=120)
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] >= 1 and outcomes["passed"] >= 1
    result.stdout.fnmatch_lines([f"*{timed_out('mean_squared_error')}*"])


def test_a_concept_typo_is_one_line_not_an_internal_error(student_repo):
    result = student_repo.runpytest_subprocess("--concept", "los")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.stderr.lines if line.strip()] == [
        f"ERROR: --concept: unknown concept 'los' (did you mean 'losses'? known: {', '.join(c.id for c in CONCEPTS)})"
    ]
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_the_table_fits_80_columns_with_one_line_per_concept(student_repo, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    table = table_lines(student_repo.runpytest_subprocess())
    assert max(len(line.rstrip()) for line in table) <= 80
    for concept in CONCEPTS:
        rows = [line for line in table if concept.title in line]
        assert len(rows) == 1 and rows[0].rstrip().endswith("/ 10"), concept.title


def test_numpy_1s_warning_fails_the_check_as_numpy_2_would_naming_it(student_repo):
    """numpy 1.25 and 1.26 only warn where numpy 2, the grader's, raises: the student's run
    fails such code as the grader would, with the hint (the warning is numpy 1.25's own)."""
    append_to_reference(
        student_repo,
        "losses",
        "import warnings\n\n\ndef mean_absolute_error(y_true, y_pred):\n"
        "    warnings.warn('Conversion of an array with ndim > 0 to a scalar is deprecated, and will error in future.', DeprecationWarning)\n"
        "    return float(np.mean(np.abs(y_true - y_pred)))\n",
    )
    result = student_repo.runpytest_subprocess("checks/test_losses.py")
    assert result.parseoutcomes()["failed"] >= 1
    result.stdout.fnmatch_lines(["*What to look at next*", "*mean_absolute_error raised DeprecationWarning*", "*numpy 2, which the grader*"])


def test_a_missing_function_is_not_attempted_and_named_in_the_students_run(student_repo):
    source = (COURSE.solutions / "losses.py").read_text()
    (student_repo.path / "exercises" / "losses.py").write_text(source.replace("def hinge_loss(", "def my_hinge_loss("))
    result = student_repo.runpytest_subprocess("checks/test_losses.py", "-rs")
    outcomes = result.parseoutcomes()
    assert outcomes.get("skipped", 0) > 0 and "failed" not in outcomes and "errors" not in outcomes
    result.stdout.fnmatch_lines(["*losses.py has no 'hinge_loss'*"])


def test_a_concept_asked_for_imports_none_of_the_other_concepts_check_files(student_repo):
    """`pytest --concept losses` skips, unimported, the check files of other concepts: no
    torch for a concept whose checks need none (seconds in a fresh process)."""
    student_repo.makepyfile(probe="import sys\ndef pytest_collection_finish(session):\n    print('torch imported:', 'torch' in sys.modules, len(session.items))\n")
    asked = student_repo.runpytest_subprocess("--concept", "losses", "-p", "probe")
    asked.stdout.fnmatch_lines(["torch imported: False 10"])
    assert [c.title for c in CONCEPTS if c.title in "\n".join(table_lines(asked))] == ["Loss functions"]
    everything = student_repo.runpytest_subprocess("-p", "probe", "--collect-only", "-q")
    everything.stdout.fnmatch_lines(["torch imported: True *"])


# Collects the checks of `checks/` in one process, once whole and once per concept asked
# for, and prints {"": every check's concept, "<concept>": ...} as JSON.
COLLECT_BY_CONCEPT = """
import json, sys
import pytest
from autograder.registry import CONCEPTS

class Collected:
    def pytest_collection_finish(self, session):
        self.concepts = {item.nodeid: item.get_closest_marker("concept").args[0] for item in session.items}

runs = {}
for asked in ["", *(concept.id for concept in CONCEPTS)]:
    collected = Collected()
    options = ["-q", "--collect-only", "-p", "no:cacheprovider", "--import-mode=importlib", "--submission=" + sys.argv[1]]
    pytest.main([*options, *(["--concept=" + asked] if asked else []), "checks"], plugins=[collected])
    runs[asked] = collected.concepts
print("COLLECTED " + json.dumps(runs))
"""


@pytest.mark.slow(seconds=10)  # the checks collected thirteen times
def test_a_concept_asked_for_keeps_every_one_of_its_checks_public_and_hidden(pytester):
    """The check files skipped for --concept are exactly those of other concepts: every
    check of the concept asked for is collected, as when every file is imported."""
    shutil.copytree(COURSE.public_checks, pytester.path / "checks" / "public")
    shutil.copytree(COURSE.hidden_checks, pytester.path / "checks" / "hidden")
    script = pytester.makepyfile(collect_by_concept=COLLECT_BY_CONCEPT)
    result = pytester.run(sys.executable, script, str(COURSE.solutions), timeout=300)
    (line,) = [line for line in result.stdout.lines if line.startswith("COLLECTED ")]
    runs = json.loads(line.removeprefix("COLLECTED "))
    everything = runs.pop("")
    assert set(everything.values()) == {concept.id for concept in CONCEPTS}
    for concept, collected in runs.items():
        assert collected == {node: of for node, of in everything.items() if of == concept}, concept
