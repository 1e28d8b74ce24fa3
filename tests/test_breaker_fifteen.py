"""Attacks on the day's two changes to the sandbox: the second zygote (the sandbox of the
concepts not built on torch forked from a zygote that preloads no torch,
`autograder.worker.zygote`) and the heap kept (`autograder.heap`). Real bwrap, as root
(where the zygote serves); the switch at its default, or AUTOGRADER_ZYGOTE=0 for a
sandbox started the fresh way."""

import os
import textwrap

import pytest

from autograder.worker.isolation import find_bwrap
from autograder.worker.zygote import SWITCH
from sandboxed import sandboxed
from test_zygote import call, ended, probe_sandbox

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0 or find_bwrap() is None, reason="the zygote serves bwrap as root (CI runs as root)"),
    pytest.mark.slow(seconds=12),  # pools of processes in the torch sandbox, both ways it starts
]

# Honest numpy code that works in parallel: a thread pool, then a process pool (fork),
# after a dataset of small arrays was loaded and let go. Each task waits a little, as
# real work would, so the grader sees every process at once.
PARALLEL = textwrap.dedent(
    """
    import multiprocessing
    import time
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np


    def _slow(i):
        time.sleep(1.0)
        return i


    def _slow_sum(i):
        row = np.ones(1000)
        time.sleep(0.5)
        return float(row.sum())


    def process_pool(n):
        with multiprocessing.get_context("fork").Pool(n) as workers:
            return sum(workers.map(_slow, range(n)))


    def threads_then_processes(threads, processes):
        with ThreadPoolExecutor(threads) as pool:
            total = sum(pool.map(_slow_sum, range(threads)))
        return total + process_pool(processes)


    def dataset_then_processes(megabytes, processes):
        rows = [np.ones(1 << 17) for _ in range(megabytes)]  # 1 MiB each: below the mmap threshold
        total = sum(float(row[0]) for row in rows)
        del rows
        return total + process_pool(processes)
    """
)


@pytest.mark.parametrize("switch", [None, "0"], ids=["zygote", "fresh"])
def test_honest_parallel_code_is_not_charged_the_heaps_padding_or_what_it_freed(tmp_path, monkeypatch, switch):
    """The heap kept (glibc's mallopt in every warm parent) made the memory limit count,
    in every process the student forks and every thread's arena, 64 MiB of padding never
    touched, and what the student had freed before it forked: a thread pool of 16 and
    then a process pool of 8 (or a 700 MiB dataset let go, then 4 processes) ran out of
    a limit of 3 GiB that they fit in easily before (some 200 MiB and 1 GiB together).
    The heap is kept in the sandbox for torch only since (`test_breaker_sixteen`, which
    also runs numpy code in the other): the code here imports torch, to run there."""
    if switch is None:
        monkeypatch.delenv(SWITCH, raising=False)
    else:
        monkeypatch.setenv(SWITCH, switch)
    submission = sandboxed(tmp_path, {"parallel": "import torch  # noqa: F401\n" + PARALLEL})  # importing torch, it is served by the sandbox for torch
    try:
        submission.start_check(60)
        assert submission.module("parallel").threads_then_processes(16, 8) == 16000.0 + 28
        submission.start_check(60)
        assert submission.module("parallel").dataset_then_processes(700, 4) == 700.0 + 6
    finally:
        submission.close()


def test_a_sandbox_from_the_light_zygote_holds_the_interpreter_state_of_a_fresh_one():
    """What the zygote without torch imported or set for itself that a submission could
    meet: the modules loaded (a file of the submission's named like one not loaded would
    be imported instead), flags, warnings filters, locale, signal handlers and mask,
    limits of recursion and integers, gc, threads. Only the engine's own modules and the
    names of __main__ (the zygote's -c code) differ."""
    states = {}
    for joined in (False, True):
        parent = probe_sandbox(joined=joined, torch=False)
        try:
            states[joined] = call(parent, "state")
        finally:
            ended(parent)
    fresh, joined = states[False], states[True]
    assert {name for name in set(fresh["modules"]) ^ set(joined["modules"]) if not name.startswith(("autograder.", "encodings."))} == set()
    assert {key: value for key, value in joined.items() if key not in ("modules", "main_names")} == {
        key: value for key, value in fresh.items() if key not in ("modules", "main_names")
    }
