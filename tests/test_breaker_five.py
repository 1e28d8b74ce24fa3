"""Breaker round 5: the torch sandbox started ahead, and a stand-in for torch._dynamo that
its warm parent installed for a while instead of importing the real one. Each test failed
on the commit it was written against.

The stand-in promised that no code, the submission's included, would see a difference but
the time it saved; honest code met differences (these tests, and two more on the stand-in
itself), and it was taken out: the warm parent imports the real torch._dynamo again.
"""

import contextlib
import os
import select
import signal

import pytest
from sandboxed import sandboxed

from autograder.worker.isolation import choose_isolation
from autograder.worker.limits import Limits
from autograder.worker.sandbox import SandboxedSubmission

# Calls torch.use_deterministic_algorithms, which imports the real torch._dynamo: a student
# who wants "the same seed must give the same model" may well write it
DETERMINISTIC = """
import torch


def deterministic():
    torch.use_deterministic_algorithms(True)
    return torch.are_deterministic_algorithms_enabled()
"""


@pytest.mark.parametrize("helper", ["profile", "fractions"])
def test_a_helper_named_like_a_standard_module_does_not_break_torchs_own_import_of_dynamo(tmp_path, helper):
    """The real torch._dynamo, imported in the worker when student code first needs it,
    is imported with the submission first on sys.path: a student's own profile.py or
    fractions.py (or decimal.py, getpass.py, colorsys.py) takes the place of the standard
    module it needs, and a correct call fails. The warm parent used to import it before
    the submission was on sys.path."""
    submission = sandboxed(tmp_path, {helper: "def mean(values):\n    return sum(values) / len(values)\n", "architectures": DETERMINISTIC})
    try:
        submission.start_check(60)
        assert submission.module("architectures").deterministic() is True
    finally:
        submission.close()


def test_a_module_that_gets_torch_from_a_helper_of_its_own_is_graded_as_when_torch_came_first(tmp_path):
    """losses.py imports the student's helpers.py, which imports torch; the student also
    has a timeit.py of their own. When the concepts built on torch were graded first, the
    sandbox that imported torch served losses too; now losses runs first, in a sandbox
    without torch (imports_torch reads losses.py alone), and torch, imported in the worker
    with the submission first on sys.path, takes the student's timeit.py for its own: the
    correct losses.py fails to import (it scored 10/10 before, 0/10 now, through the CLI)."""
    files = {
        "timeit": "from time import perf_counter\n\n\ndef timed(function):\n    start = perf_counter()\n    function()\n    return perf_counter() - start\n",
        "helpers": "import torch\n\n\ndef as_float64(values):\n    return torch.as_tensor(values, dtype=torch.float64).numpy()\n",
        "losses": "from helpers import as_float64\n\n\ndef total(values):\n    return float(as_float64(values).sum())\n",
        "architectures": DETERMINISTIC,
    }
    for module, code in files.items():
        (tmp_path / f"{module}.py").write_text(code, encoding="utf-8")
    submission = SandboxedSubmission(tmp_path, choose_isolation("bwrap"), Limits(), torch_ahead=True)
    try:
        submission.start_check(60)
        assert submission.module("losses").total([1.0, 2.0]) == 3.0
    finally:
        submission.close()


def test_a_sandbox_started_ahead_that_ended_while_it_waited_costs_no_check(tmp_path):
    """The sandbox started ahead waits, idle, while the other concepts are graded; if it
    ends meanwhile (the machine's out-of-memory killer picks its warm parent, which holds
    torch), no student code of it ran: the first check that needs it should get a fresh
    sandbox, as it would have had before, not fail with "could not start a worker"."""
    (tmp_path / "architectures.py").write_text(DETERMINISTIC.replace("torch.use_deterministic_algorithms(True)\n    ", ""), encoding="utf-8")
    submission = SandboxedSubmission(tmp_path, choose_isolation("bwrap"), Limits(), torch_ahead=True)
    try:
        ahead = submission._torch_ahead
        assert select.select([ahead.control], [], [], 60)[0]  # its hello came
        for pid in ahead.processes():
            with contextlib.suppress(ProcessLookupError):  # gone already: bwrap's child dies with it
                os.kill(pid, signal.SIGKILL)
        ahead.process.wait(10)
        submission.start_check(60)
        assert submission.module("architectures").deterministic() is False
    finally:
        submission.close()


@pytest.mark.parametrize(
    "call",
    ["torch.testing.assert_close(torch.ones(2), torch.ones(2))", "torch.jit.trace(torch.nn.Linear(2, 2), torch.ones(1, 2))"],
)
def test_torch_calls_that_import_dtensor_work_beside_the_stand_in(tmp_path, call):
    """torch.testing.assert_close (and torch.jit.trace, which checks its trace with it)
    imports torch.distributed.tensor; halfway through, torch.library asks inspect.getmodule
    for a frame's module, which reads __file__ of every module in sys.modules: the
    stand-in's __getattr__ then imports the real torch._dynamo, which needs the
    half-imported torch.distributed.tensor: ImportError (circular import) in correct code."""
    code = f"import torch\n\n\ndef check():\n    {call}\n    return True\n"
    submission = sandboxed(tmp_path, {"architectures": code})
    try:
        submission.start_check(60)
        assert submission.module("architectures").check() is True
    finally:
        submission.close()
