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
    import ctypes
    import numpy as np


    class Mallinfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


    def mapped_apart(megabytes):
        \"\"\"Bytes glibc holds in mappings of their own while an array of `megabytes` lives:
        the array's (freed, it is unmapped at once), or none (it came from the heap, where
        freed memory stays for the next allocation).\"\"\"
        libc = ctypes.CDLL(None)
        libc.mallinfo2.restype = Mallinfo2
        before = libc.mallinfo2().hblkhd
        array = np.ones(megabytes << 17)
        during = libc.mallinfo2().hblkhd
        del array
        return during - before
    """
)
# Far above glibc's first mmap threshold (128 KiB), below the one set (32 MiB). Asked whether
# the array is mapped apart, not how much memory stays resident after it: that depends on
# what the process freed before (a heap with room to spare grows no more), and glibc's own
# threshold rises once a process has freed a mapping as large.
MEGABYTES = 8


def mapped_in_a_fresh_interpreter(keep: bool) -> int:
    code = PROBE + ("from autograder.heap import keep_freed_memory\nassert keep_freed_memory()\n" if keep else "")
    done = subprocess.run([sys.executable, "-c", code + f"print(mapped_apart({MEGABYTES}))"], capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_freed_memory_is_kept_only_once_asked():
    assert mapped_in_a_fresh_interpreter(keep=False) >= MEGABYTES << 20  # glibc's default: mapped apart, unmapped when freed
    assert mapped_in_a_fresh_interpreter(keep=True) == 0


def test_a_torch_sandboxs_worker_keeps_freed_memory_and_no_other_does(tmp_path):
    """A module that imports torch is served by the sandbox for torch, which keeps freed
    memory; one that does not, by the other, on glibc's defaults (`autograder.heap`)."""
    for name, code, kept in (("plain", PROBE, False), ("torch", "import torch\n" + PROBE, True)):
        (tmp_path / name).mkdir()
        submission = sandboxed(tmp_path / name, {"probe": code})
        try:
            submission.start_check(20)
            mapped = submission.module("probe").mapped_apart(MEGABYTES)
            assert (mapped == 0) if kept else (mapped >= MEGABYTES << 20), (name, mapped)
        finally:
            submission.close()
