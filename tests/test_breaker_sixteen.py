"""Attacks on the heap kept (`autograder.heap`), the throttled watch of the sandbox
started ahead and the zygote without torch. Real bwrap, as root (where the zygote serves,
as CI runs); the switch at its default, or AUTOGRADER_ZYGOTE=0 for a sandbox started the
fresh way."""

import os
import textwrap
import time

import pytest

from autograder.worker.isolation import choose_isolation, find_bwrap
from autograder.worker.limits import Limits
from autograder.worker.sandbox import SandboxedSubmission
from autograder.worker.zygote import SWITCH
from sandboxed import sandboxed

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0 or find_bwrap() is None, reason="the zygote serves bwrap as root (CI runs as root)"),
    pytest.mark.slow(seconds=8),  # gradings, and sandboxes whose memory is counted
]

@pytest.fixture(params=[None, "0"], ids=["zygote", "fresh"])
def switch(request, monkeypatch):
    """The zygotes' switch at its default (unset: they serve), or "0" (sandboxes start fresh)."""
    if request.param is None:
        monkeypatch.delenv(SWITCH, raising=False)
    else:
        monkeypatch.setenv(SWITCH, request.param)
    return request.param


# Honest numpy code: clips of 1 MiB loaded one by one, each one's small spectrum kept, the
# clips let go, then a process pool. The spectra, allocated between the clips, keep the
# heap's holes below its top: malloc_trim gives their pages back (RSS) but cannot shrink
# the heap, so each fork inherits the whole heap in VmData, which the limit counts.
SPECTRA = textwrap.dedent(
    """
    import multiprocessing
    import time

    import numpy as np


    def _slow(i):
        time.sleep(1.0)
        return i


    def spectra_then_processes(clips, processes):
        raws, spectra = [], []
        for i in range(clips):
            raw = np.random.default_rng(i).normal(size=1 << 17)  # a clip of 1 MiB
            raws.append(raw)
            spectra.append(np.abs(np.fft.rfft(raw[:2048])))  # its spectrum, 8 KiB, kept
        del raws
        with multiprocessing.get_context("fork").Pool(processes) as workers:
            return sum(workers.map(_slow, range(processes))) + len(spectra)
    """
)


def test_honest_numpy_code_is_not_charged_the_holes_of_a_heap_it_freed(tmp_path, switch):
    """With glibc's defaults each 1 MiB clip is a mapping of its own, unmapped when freed
    (VmData 65 MiB before the pool); with the heap kept (mmap threshold 32 MiB) the clips
    sit on the heap under the spectra, and every one of 4 forks counts its 800 MiB again:
    5 x 800 MiB passed the limit of 3 GiB that the code fits in by far."""
    submission = sandboxed(tmp_path, {"spectra": SPECTRA})
    try:
        submission.start_check(60)
        assert submission.module("spectra").spectra_then_processes(700, 4) == 700 + 6
    finally:
        submission.close()


# A train_detector that answers, and leaves children that map 4 GiB (VmData counts it at
# once) when the grader drops a file named "go" beside it: while it is there.
HOARDS_ON_CUE = textwrap.dedent(
    """
    import mmap
    import os
    import time

    CUE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "go")
    time.sleep(0.2)  # an import that works a little (a table built, say): its wait counts the sandbox's memory


    def train_detector():
        if os.fork() == 0:
            for _ in range(7):  # 8 processes of 512 MiB: each within its address space's limit
                if os.fork() == 0:
                    break
            while not os.path.exists(CUE):
                time.sleep(0.001)
            held = mmap.mmap(-1, 2**29, flags=mmap.MAP_PRIVATE)
            time.sleep(60)
            os._exit(0)
        return 1


    def shape():
        return 1
    """
)


def test_memory_held_after_a_call_ahead_answered_fails_that_call_not_its_concepts_import(tmp_path):
    """The sandbox started ahead is counted once a SLICE_S at most: a check of the concept
    that starts within 50 ms of the last count adopted it unseen, over its limit, and the
    import in the concept's fresh worker was blamed for the call's memory, as a broken
    import, failing every check of the concept (shape() here). Counted again as it is
    adopted, it ends there: the call runs again in a fresh sandbox (the cue gone), and
    every check stands on its own."""
    (tmp_path / "architectures.py").write_text(HOARDS_ON_CUE, encoding="utf-8")
    (tmp_path / "losses.py").write_text("def mse():\n    return 0.0\n", encoding="utf-8")
    submission = SandboxedSubmission(tmp_path, choose_isolation("bwrap"), Limits(), torch_ahead=True)
    cue = submission.layout.submission / "go"
    try:
        submission.start_ahead("architectures", "train_detector", (), 60)
        deadline = time.monotonic() + 120
        while submission._ahead["architectures"][0].reply is None:  # answered early, during another concept's checks
            assert time.monotonic() < deadline, "the call ahead never answered"
            time.sleep(0.06)
            submission.start_check(10)
            assert submission.module("losses").mse() == 0.0
        time.sleep(0.06)
        submission.start_check(10)  # counted here: nothing held yet
        cue.write_text("")
        time.sleep(0.01)  # the children's 4 GiB are mapped (in 3 ms)
        submission.start_check(60)  # the concept's first check, within a SLICE_S of the count
        cue.unlink()
        assert submission.module("architectures").shape() == 1
        submission.start_check(60)
        assert submission.module("architectures").shape() == 1
    finally:
        cue.unlink(missing_ok=True)
        submission.close()
