"""Breaker round four on the sandbox's newest changes (these failed before the fixes; two are known, xfail).

- The kernel keyring carries data past the reset: the sandbox's user keyring (@u)
  outlives every process the reset kills, and add_key/keyctl are not filtered. One
  concept's code keeps what it was handed (a hidden input) in a "user" key; the next
  concept's code reads it back and may raise it into its feedback. Some 20 KB a user
  (kernel.keys.maxbytes), in both bwrap modes and the uid sandbox.
- Fair verdicts: torch's DataLoader with four workers (allowed since the 64-task limit)
  over a dataset held in memory (672 MiB of images; peak RSS 0.9 GB in a plain
  `python`) is called out of memory under the 3 GiB limit: each forked worker counts the
  parent's whole VmData again, though it shares it copy-on-write.
- Fair verdicts: four DataLoader workers with batches of 18 MiB (32 images of
  3x224x224) fail with "unable to allocate shared memory(shm) ... No space left on
  device": workers hand batches over in /dev/shm, which is 64 MiB in the sandbox; a plain
  `python` runs it.
"""

import pytest
from sandboxed import sandboxed

KEEPS_IN_THE_KEYRING = """
import ctypes

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_ADD_KEY, _KEYCTL = {"x86_64": (248, 250), "aarch64": (217, 219)}[__import__("platform").machine()]
_USER_KEYRING, _SEARCH, _READ = -4, 10, 11


def keep(text):
    data = text.encode()
    return _libc.syscall(_ADD_KEY, b"user", b"vault", data, len(data), _USER_KEYRING) >= 0


def kept():
    key = _libc.syscall(_KEYCTL, _SEARCH, _USER_KEYRING, b"user", b"vault", 0)
    if key < 0:
        return None
    buffer = ctypes.create_string_buffer(4096)
    size = _libc.syscall(_KEYCTL, _READ, key, buffer, 4096)
    return buffer.raw[: max(size, 0)].decode(errors="replace")
"""

HONEST_DATALOADERS = """
import torch
from torch.utils.data import DataLoader, TensorDataset


def _first_pixels(images, batch_size):
    loader = DataLoader(TensorDataset(images), batch_size=batch_size, num_workers=4)
    return sum(float(batch[0][:, 0, 0, 0].sum()) for batch in loader)


def in_memory_dataset():
    return _first_pixels(torch.ones(3584, 3, 128, 128), 8)  # 672 MiB held once, batches of 1.5 MiB


def large_batches():
    return _first_pixels(torch.ones(256, 3, 224, 224), 32)  # 147 MiB, batches of 18 MiB
"""


@pytest.mark.slow(seconds=15)
def test_the_kernel_keyring_carries_nothing_past_the_reset(tmp_path):
    """On main `reader` (another concept: the sandbox was reset between) reads back
    'hidden input 3.14'. Refused (add_key fails) or gone, both are fine."""
    submission = sandboxed(tmp_path, {"keeper": KEEPS_IN_THE_KEYRING, "reader": KEEPS_IN_THE_KEYRING})
    try:
        submission.start_check(20)
        submission.module("keeper").keep("hidden input 3.14")
        submission.start_check(20)
        assert submission.module("reader").kept() is None
    finally:
        submission.close()


@pytest.mark.slow(seconds=25)
@pytest.mark.parametrize(
    "workload, expected",
    [
        pytest.param(
            "in_memory_dataset", 3584.0,
            marks=pytest.mark.xfail(strict=True, reason="known, not fixed: forked workers count the memory they share with their parent again (README)"),
        ),
        pytest.param(
            "large_batches", 256.0,
            marks=pytest.mark.xfail(strict=True, reason="known, not fixed: /dev/shm is 64 MiB, smaller than 8 batches of 18 MiB (README)"),
        ),
    ],
)  # fmt: skip
def test_honest_dataloader_workers_run_in_the_sandbox_as_in_plain_python(tmp_path, workload, expected):
    """Each runs in a plain `python` with OMP_NUM_THREADS=1 (checked by hand: peak RSS
    0.9 GB for in_memory_dataset). On main: "ran out of memory (... 3 GiB)", and
    "unable to allocate shared memory(shm) ... No space left on device"."""
    submission = sandboxed(tmp_path, {"honest": HONEST_DATALOADERS})
    try:
        submission.start_check(25)
        assert getattr(submission.module("honest"), workload)() == expected
    finally:
        submission.close()
