"""Attacks on the heap kept (`autograder.heap`), the throttled watch of the sandbox
started ahead and the zygote without torch. Real bwrap, as root (where the zygote serves,
as CI runs); the switch at its default, or AUTOGRADER_ZYGOTE=0 for a sandbox started the
fresh way."""

import os
import textwrap

import pytest

from autograder.worker.isolation import find_bwrap
from autograder.worker.zygote import SWITCH
from sandboxed import sandboxed

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or find_bwrap() is None, reason="the zygote serves bwrap as root (CI runs as root)")

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


@pytest.mark.parametrize("switch", [None, "0"], ids=["zygote", "fresh"])
def test_honest_numpy_code_is_not_charged_the_holes_of_a_heap_it_freed(tmp_path, monkeypatch, switch):
    """With glibc's defaults each 1 MiB clip is a mapping of its own, unmapped when freed
    (VmData 65 MiB before the pool); with the heap kept (mmap threshold 32 MiB) the clips
    sit on the heap under the spectra, and every one of 4 forks counts its 800 MiB again:
    5 x 800 MiB passed the limit of 3 GiB that the code fits in by far."""
    if switch is None:
        monkeypatch.delenv(SWITCH, raising=False)
    else:
        monkeypatch.setenv(SWITCH, switch)
    submission = sandboxed(tmp_path, {"spectra": SPECTRA})
    try:
        submission.start_check(60)
        assert submission.module("spectra").spectra_then_processes(700, 4) == 700 + 6
    finally:
        submission.close()


@pytest.mark.parametrize("switch", [None, "0"], ids=["zygote", "fresh"])
def test_honest_parallel_code_fits_in_the_sandbox_for_torch_which_keeps_its_heap(tmp_path, monkeypatch, switch):
    """The heap kept only in the sandbox for torch: the thread pool and process pools of
    `test_breaker_fifteen` run there still (a module that imports torch is served by it)."""
    from test_breaker_fifteen import PARALLEL

    if switch is None:
        monkeypatch.delenv(SWITCH, raising=False)
    else:
        monkeypatch.setenv(SWITCH, switch)
    submission = sandboxed(tmp_path, {"parallel": "import torch  # noqa: F401\n" + PARALLEL})
    try:
        assert submission.needs_torch("parallel")
        submission.start_check(60)
        assert submission.module("parallel").threads_then_processes(16, 8) == 16000.0 + 28
        submission.start_check(60)
        assert submission.module("parallel").dataset_then_processes(700, 4) == 700.0 + 6
    finally:
        submission.close()

