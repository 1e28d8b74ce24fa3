"""Breaker round 6: the torch sandbox started ahead, the concepts built on torch graded
last, and the line-by-line reading of a submission's imports that decides which of its
modules need torch. Each test failed on the commit it was written against.
"""

import pytest

from autograder.worker.isolation import choose_isolation
from autograder.worker.limits import Limits
from autograder.worker.sandbox import SandboxedSubmission

# A helper of the student's own named like the standard module torch's import needs
# (`from timeit import default_timer`); a student who times their code may well write it
TIMEIT = "from time import perf_counter\n\n\ndef timed(function):\n    start = perf_counter()\n    function()\n    return perf_counter() - start\n"
LOSSES = "import numpy as np\n{imports}\n\n\ndef total(values):\n    return float(np.sum(values))\n"


@pytest.mark.parametrize(
    "imports",
    [
        "import numpy.linalg as la, \\\n    torch  # torch: for my own comparisons",
        "from \\\n    torch import nn",
        "from contextlib import suppress\n\nwith suppress(AttributeError): import torch",
        "import importlib\n\ntorch = importlib.import_module('torch')",
        "from functorch import vmap  # torch's own package, installed with it",
    ],
    ids=["continued import line", "continued from line", "import after a colon", "importlib", "functorch"],
)
def test_a_module_that_imports_torch_in_a_line_the_grader_does_not_read_as_an_import_is_graded_as_when_torch_came_first(tmp_path, imports):
    """Correct Python that imports torch in a statement that TORCH_IMPORT does not see
    (a continued line, a compound statement on one line, importlib, functorch: a
    package of torch's wheel that imports it) runs, in a session
    that grades architectures, in the sandbox without torch: torch is then imported in
    the worker with the submission first on sys.path, finds the student's timeit.py,
    and the correct losses.py fails to import. Through the CLI, solutions/ with such a
    losses.py and a timeit.py scored 110/110 at 3eb5c49 (architectures graded first,
    its sandbox serving every concept) and 100/110 now (losses 0/10)."""
    (tmp_path / "timeit.py").write_text(TIMEIT, encoding="utf-8")
    (tmp_path / "losses.py").write_text(LOSSES.format(imports=imports), encoding="utf-8")
    submission = SandboxedSubmission(tmp_path, choose_isolation("bwrap"), Limits(), torch_ahead=True)
    try:
        submission.start_check(60)
        assert submission.module("losses").total([1.0, 2.0]) == 3.0
    finally:
        submission.close()
