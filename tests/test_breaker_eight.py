"""Breaker eight: attacks on round seven's mends. Each test here failed when it was
written; each docstring names the fault and how to reproduce it:

- `--concept X` skips, unimported, a check file that `marked_concepts` reads as holding
  only other concepts, while pytest collects a check of X from it: a concept mark that
  reaches a check through an imported name the scanner does not look at (a check
  imported from a helper, the cases of a `parametrize` decorator, a mark applied by a
  call, a `unittest.TestCase`, an assignment inside an `if`).
"""

import os

import pytest

from autograder.check_files import marked_concepts

pytest_plugins = ["pytester"]

COURSE_HELPER = '''
import unittest

import pytest

LOSSES = pytest.mark.concept("losses")
LOSS_CASES = [pytest.param(1, marks=LOSSES), pytest.param(2, marks=LOSSES)]


@LOSSES
def test_a_shared_loss_check():
    pass


def make_loss_check():
    @LOSSES
    def check():
        pass
    return check


@LOSSES
class LossCase(unittest.TestCase):
    def test_loss(self):
        pass
'''

# Each file names only pooling in a place the scanner reads, and carries a losses check
# that pytest collects (the check's own mark is closer than the module's).
POOLING_FILES_WITH_A_LOSSES_CHECK = {
    "imported_check": "import pytest\nfrom course_helper import test_a_shared_loss_check\n"
    "pytestmark = pytest.mark.concept('pooling')\n\ndef test_pooling():\n    pass\n",
    "star_import": "import pytest\nfrom course_helper import *\n"
    "pytestmark = pytest.mark.concept('pooling')\n\ndef test_pooling():\n    pass\n",
    "parametrize_cases": "import pytest\nfrom course_helper import LOSS_CASES\n"
    "pytestmark = pytest.mark.concept('pooling')\n\n@pytest.mark.parametrize('case', LOSS_CASES)\n"
    "def test_case(case):\n    pass\n\ndef test_pooling():\n    pass\n",
    "mark_applied_by_call": "import pytest\nfrom course_helper import LOSSES\n"
    "pytestmark = pytest.mark.concept('pooling')\n\ndef test_loss():\n    pass\n\nLOSSES(test_loss)\n\n"
    "def test_pooling():\n    pass\n",
    "unittest_case": "import pytest\nfrom course_helper import LossCase as LossChecks\n"
    "pytestmark = pytest.mark.concept('pooling')\n\ndef test_pooling():\n    pass\n",
    "assigned_in_if": "import sys\nimport pytest\nfrom course_helper import make_loss_check\n"
    "pytestmark = pytest.mark.concept('pooling')\n\nif sys.version_info >= (3,):\n"
    "    test_loss = make_loss_check()\n\ndef test_pooling():\n    pass\n",
}


@pytest.mark.parametrize("layout", sorted(POOLING_FILES_WITH_A_LOSSES_CHECK))
def test_the_scanner_does_not_answer_for_a_file_whose_checks_may_come_from_elsewhere(tmp_path, layout):
    """The layouts below, read without pytest: the scanner says it cannot tell."""
    path = tmp_path / "test_mixed.py"
    path.write_text(POOLING_FILES_WITH_A_LOSSES_CHECK[layout], encoding="utf-8")
    assert marked_concepts(path) is None


@pytest.mark.parametrize("layout", ["imported_check"])  # each layout costs three pytest runs; the scanner test above covers them all
def test_concept_keeps_a_losses_check_that_reaches_a_pooling_file_through_an_import(pytester, monkeypatch, layout):
    """FAULT: `marked_concepts` answers for certain ({"pooling"}) for a check file whose
    losses check gets its concept mark through an imported name in a place the scanner
    does not read: `from course_helper import test_x` or `import *` (checks shared with
    another file), `@pytest.mark.parametrize("case", LOSS_CASES)` with imported cases
    carrying `marks=LOSSES` (the decorator's arguments are never read), `LOSSES(test_loss)`
    as a statement, an imported `unittest.TestCase` subclass (collected whatever its name),
    `test_loss = make_loss_check()` inside an `if`. Reproducer: one such file beside the
    helper; `pytest --concept losses --collect-only`. Found: the losses check is not
    collected (the file is skipped unimported). Expected: it is, as without --concept's
    skip (a file that imports names besides pytest should make the scanner answer None)."""
    monkeypatch.setenv("PYTHONPATH", f"{pytester.path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    pytester.makepyfile(course_helper=COURSE_HELPER)
    (pytester.path / "checks").mkdir()
    (pytester.path / "checks" / "test_mixed.py").write_text(POOLING_FILES_WITH_A_LOSSES_CHECK[layout], encoding="utf-8")
    pytester.makefile(".toml", pyproject='[tool.pytest.ini_options]\ntestpaths = ["checks"]\n')
    whole = pytester.runpytest_subprocess("--collect-only", "-q", "-p", "no:randomly")
    losses_checks = [line for line in whole.outlines if "test_mixed.py::" in line and "pooling" not in line]
    assert losses_checks, whole.outlines
    pooling = pytester.runpytest_subprocess("--concept", "pooling", "--collect-only", "-q", "-p", "no:randomly")
    assert not set(losses_checks) & set(pooling.outlines), "the check is a losses check"
    asked = pytester.runpytest_subprocess("--concept", "losses", "--collect-only", "-q", "-p", "no:randomly")
    assert [line for line in asked.outlines if "test_mixed.py::" in line] == losses_checks
