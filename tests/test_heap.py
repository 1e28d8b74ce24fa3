"""The allocator keeps freed memory for the next tensor (`autograder.heap`): in the
grading process's own settings, and in every worker of a sandbox for torch, which
inherits them from its warm parent. Without it, torch's large tensors are mapped and faulted in afresh
each time (a forward pass over the held-out clips spent a third of its CPU so)."""

import subprocess
import sys
import textwrap

from sandboxed import sandboxed

PROBE = textwrap.dedent(
    """
    import os
    import numpy as np


    def resident_bytes():
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


    def kept_after_freeing(megabytes):
        \"\"\"Bytes still resident once an array of `megabytes` was filled and freed.\"\"\"
        before = resident_bytes()
        array = np.ones(megabytes << 17)
        del array
        return resident_bytes() - before
    """
)
MEGABYTES = 8  # far above glibc's first mmap threshold (128 KiB), below the one set (32 MiB)


def kept_in_a_fresh_interpreter(keep: bool) -> int:
    code = PROBE + ("from autograder.heap import keep_freed_memory\nassert keep_freed_memory()\n" if keep else "")
    done = subprocess.run([sys.executable, "-c", code + f"print(kept_after_freeing({MEGABYTES}))"], capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_freed_memory_is_kept_only_once_asked():
    assert kept_in_a_fresh_interpreter(keep=False) < 1 << 20  # glibc's default: unmapped at once
    assert kept_in_a_fresh_interpreter(keep=True) >= (MEGABYTES - 1) << 20


def test_a_torch_sandboxs_worker_keeps_freed_memory_and_no_other_does(tmp_path):
    """A module that imports torch is served by the sandbox for torch, which keeps freed
    memory; one that does not, by the other, on glibc's defaults (`autograder.heap`)."""
    for name, code, kept in (("plain", PROBE, False), ("torch", "import torch\n" + PROBE, True)):
        (tmp_path / name).mkdir()
        submission = sandboxed(tmp_path / name, {"probe": code})
        try:
            submission.start_check(20)
            freed = submission.module("probe").kept_after_freeing(MEGABYTES)
            assert freed >= (MEGABYTES - 1) << 20 if kept else freed < 1 << 20
        finally:
            submission.close()
