"""Breaker round 6: the torch sandbox started ahead, the concepts built on torch graded
last, and the line-by-line reading of a submission's imports that decides which of its
modules need torch. Each test failed on the commit it was written against.
"""

import os
import select
from pathlib import Path

import pytest

from autograder.worker.isolation import choose_isolation
from autograder.worker.limits import Limits
from autograder.worker.sandbox import SandboxedSubmission

# A helper of the student's own named like the standard module torch's import needs
# (`from timeit import default_timer`); a student who times their code may well write it
TIMEIT = "from time import perf_counter\n\n\ndef timed(function):\n    start = perf_counter()\n    function()\n    return perf_counter() - start\n"
TOTAL = "import numpy as np\n{imports}\n\n\ndef total(values):\n    return float(np.sum(values))\n"
# Helpers of the student's own named like standard modules that the grader's torch, and a
# local pytest run, import before any student code; the submission never imports them
# itself, so nothing the student ran told them of the clash
SCRATCH = {
    "logging": '"""My training log: one line per epoch."""\n\n\ndef log_epoch(epoch, loss):\n    print(f"epoch {epoch}: loss {loss:.4f}")\n',
    "string": '"""Formatting my results for the report."""\n\n\ndef as_row(values):\n    return " & ".join(f"{value:.3f}" for value in values)\n',
}
# Starts threads until one fails to start (the sandbox's process limit), and says how many did
THREADS = """
import threading


def most_threads(wanted):
    stop, threads = threading.Event(), []
    try:
        for _ in range(wanted):
            thread = threading.Thread(target=stop.wait)
            thread.start()
            threads.append(thread)
    except RuntimeError:
        pass
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return len(threads)
"""


def graded(folder: Path, files: dict[str, str], module: str, function: str, *args, torch_ahead: bool = True):
    """`function` of `module` called with `args` in a session that grades architectures
    too (its sandbox started ahead, with its hello come), over `files` (name -> code)."""
    for name, code in files.items():
        (folder / f"{name}.py").write_text(code, encoding="utf-8")
    submission = SandboxedSubmission(folder, choose_isolation("bwrap"), Limits(), torch_ahead=torch_ahead)
    try:
        if torch_ahead:
            assert select.select([submission._torch_ahead.control], [], [], 60)[0]
        submission.start_check(60)
        return getattr(submission.module(module), function)(*args)
    finally:
        submission.close()


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
    (a continued line, a compound statement on one line, importlib, functorch: a package
    of torch's wheel that imports it) runs, in a session that grades architectures, in
    the sandbox without torch: torch is then imported in the worker with the submission
    first on sys.path, finds the student's timeit.py, and the correct losses.py fails to
    import. Through the CLI, solutions/ with such a losses.py (the continued line) and a
    timeit.py scored 110/110 at 3eb5c49 (architectures graded first, its sandbox serving
    every concept) and 100/110 now (losses 0/10). The README promises that torch is never
    imported with the submission's own modules first on its path."""
    files = {"timeit": TIMEIT, "losses": TOTAL.format(imports=imports)}
    assert graded(tmp_path, files, "losses", "total", [1.0, 2.0]) == 3.0


@pytest.mark.parametrize("helper", sorted(SCRATCH))
def test_a_helper_named_like_a_standard_module_that_torch_imports_does_not_break_a_module_without_torch(tmp_path, helper):
    """The sandbox without torch imported far fewer standard modules before the submission
    came first on sys.path than the torch sandbox that served every concept at 3eb5c49
    (logging, string, tempfile, email, queue, csv, shutil, subprocess... some 60): a
    student's own logging.py or string.py now takes the place of the module that
    numpy.testing (or concurrent.futures, matplotlib, sklearn, pandas) needs. Through the
    CLI, solutions/ with a logging.py of the student's and `from numpy.testing import
    assert_allclose` in backprop.py scored 110/110 at 3eb5c49 and 100/110 now (backprop
    0/10: "module 'logging' has no attribute 'getLogger'"); the student's own pytest run
    in the released repository passes it, 10/10 (pytest imported logging first)."""
    files = {helper: SCRATCH[helper], "backprop": TOTAL.format(imports="from numpy.testing import assert_allclose  # my own gradient checks")}
    assert graded(tmp_path, files, "backprop", "total", [1.0, 2.0]) == 3.0


@pytest.mark.skipif(os.geteuid() != 0, reason="bwrap started by root runs both sandboxes as one user; otherwise each has a user namespace")
def test_the_sandbox_started_ahead_takes_none_of_the_other_sandboxs_processes(tmp_path):
    """Limits.processes is "counted per sandbox" (RLIMIT_NPROC, per user). Started by
    root, the idle sandbox started ahead runs its warm parent as the submission's user,
    the user of the sandbox grading the other concepts: it takes one of their processes
    and threads (61 left for the submission's own, 62 with no sandbox started ahead, as
    at 3eb5c49 when the torch sandbox served every concept)."""
    files = {"pooling": THREADS}
    ahead = graded(tmp_path, files, "pooling", "most_threads", 200)
    assert ahead == graded(tmp_path, files, "pooling", "most_threads", 200, torch_ahead=False)
