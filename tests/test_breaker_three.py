"""Breaker round three on the sandbox's newest limits (these failed before the fixes; one is known, xfail).

Fair verdicts: honest code that runs in a plain `python` must run in the sandbox too.

- RLIMIT_NPROC counts threads as well as processes, and 16 for the whole sandbox (the warm
  parent and the worker among them) is less than torch's DataLoader takes with four
  workers (each worker is a process with two threads, and the main process starts a
  feeder thread per worker: 18 tasks), or with two workers, pin_memory and
  torch.set_num_threads(4). A `train_detector` that trains through
  `DataLoader(..., num_workers=4)` grades 5/10 (every training check "raised
  RuntimeError: DataLoader worker exited unexpectedly"; alone, "did not finish within
  its time limit (an endless loop?)"), against 10/10 for the reference; outside the
  sandbox it reaches an AUC of 0.99.
- The sandbox's user has no name: getpass.getuser() raises KeyError (no USER or LOGNAME
  in the environment, no passwd entry for its uid).
- The worker's sys.stdout and sys.stderr lack what every text stream has (isatty,
  encoding, writelines).

Kernel memory and memory the limit does not see (VmData + RssShmem of the sandbox's
processes, 1 KiB a file in its tmpfs), under a 512 MiB limit, each held while the grader
polls:

- Unix stream connections to a listening socket that are never accepted: each client
  fills its send buffer, then closes its descriptor. The bytes wait in the embryonic
  socket in the listener's backlog (up to somaxconn, 4096 a listener): no descriptor is
  held per connection, so the 256-descriptor limit does not bound them. 1.25 GiB with two
  listeners.
- inotify event queues: 128 instances (max_user_instances) watching /tmp, while files
  with 250-character names are made and removed there: each instance queues up to 16384
  events (max_queued_events) of some 512 bytes of slab each, 1 GiB of unreclaimable slab
  for 128 descriptors and no file left.
- Anonymous memory outside VmData: a mapping made with MAP_GROWSDOWN is a stack (VmStk),
  and pages written through /proc/self/mem into a read-only private mapping are RssAnon
  of a mapping VmData leaves out (a child that exec'd is dumpable again). Three fresh
  interpreters hold 400 MiB each while VmData shows a few MiB.
"""

import pytest

from sandboxed import held_by_flood, sandboxed

LIMIT = 512 * 2**20  # the sandbox's memory limit in the flood tests
FLOOD_CAP = 5 * LIMIT // 2  # each flood stops itself here, past the limit, to spare the machine


HONEST = """
import getpass
import sys

import torch
from torch.utils.data import DataLoader, TensorDataset


def _batches(**options):
    data = TensorDataset(torch.arange(640.0).reshape(320, 2))
    loader = DataLoader(data, batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(0), **options)
    return sum(float(batch[0].sum()) for _ in range(2) for batch in loader)


def four_workers():
    return _batches(num_workers=4)


def pinned_persistent_workers_and_four_threads():
    torch.set_num_threads(4)
    return _batches(num_workers=2, pin_memory=True, persistent_workers=True)


def user_name():
    return bool(getpass.getuser())


def text_streams():
    sys.stdout.writelines(["epoch 1\\n", "epoch 2\\n"])
    return [type(stream.isatty()) is bool and isinstance(stream.encoding, str) for stream in (sys.stdout, sys.stderr)]
"""
TWICE_THE_SUM = 2 * float(sum(range(640)))
EXPECTED = {
    "four_workers": TWICE_THE_SUM,
    "pinned_persistent_workers_and_four_threads": TWICE_THE_SUM,
    "user_name": True,
    "text_streams": [True, True],
}


@pytest.mark.slow(seconds=20)
@pytest.mark.parametrize("workload", sorted(EXPECTED))
def test_honest_code_runs_in_the_sandbox_as_in_plain_python(tmp_path, workload):
    """Each runs in a plain `python` (checked by hand: OMP_NUM_THREADS=1 as in the sandbox)."""
    submission = sandboxed(tmp_path, {"honest": HONEST})
    try:
        submission.start_check(20)
        assert getattr(submission.module("honest"), workload)() == EXPECTED[workload]
    finally:
        submission.close()


HOARDS_UNSEEN_MEMORY = f"""
import ctypes
import os
import socket
import subprocess
import sys
import time

CAP = {FLOOD_CAP}


def unaccepted_connections(seconds):
    \"\"\"Connections to listeners that never accept: each client fills its buffer and
    closes. Bytes held.\"\"\"
    listeners, held, chunk = [], 0, b"x" * 2**16
    while held < CAP:
        address = f"\\0breaker-three-{{os.getpid()}}-{{len(listeners)}}"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(address)
        listener.listen(4096)
        listeners.append(listener)
        while held < CAP:
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.setblocking(False)
            try:
                client.connect(address)
            except OSError:  # the backlog is full: the next listener
                client.close()
                break
            try:
                while True:
                    held += client.send(chunk)
            except BlockingIOError:
                pass
            client.close()
    time.sleep(seconds)
    return held


EVENT_BYTES = 512  # an inotify event with a 250-character name: a kmalloc-512 object
QUEUED_EVENTS = 16384  # fs.inotify.max_queued_events


def inotify_queues(seconds, instances=128):
    \"\"\"inotify instances watching /tmp while a file is made and removed there, again and
    again: every instance queues each change. Bytes of events held.\"\"\"
    libc = ctypes.CDLL(None, use_errno=True)
    watching = 0
    for _ in range(instances):
        fd = libc.inotify_init1(os.O_NONBLOCK)
        if fd < 0 or libc.inotify_add_watch(fd, b"/tmp", 0x100 | 0x200) < 0:  # IN_CREATE | IN_DELETE
            break
        watching += 1
    name = "/tmp/" + "n" * 250
    for _ in range(QUEUED_EVENTS // 2 + 8):
        os.close(os.open(name, os.O_CREAT | os.O_WRONLY))
        os.unlink(name)
    time.sleep(seconds)
    return min(watching * QUEUED_EVENTS * EVENT_BYTES, CAP)


FILL = \"\"\"
import ctypes, mmap, os, sys, time
size, how = int(sys.argv[1]), sys.argv[2]
chunk = b"\\\\1" * 2**20
if how == "grows_down":
    stack = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | 0x100)  # MAP_GROWSDOWN
    for start in range(0, size, 2**20):
        stack[start:start + 2**20] = chunk
else:
    libc = ctypes.CDLL(None)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    address = libc.mmap(None, size, 1, 0x22, -1, 0)  # PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS
    memory = os.open("/proc/self/mem", os.O_RDWR)
    for start in range(0, size, 2**20):
        os.pwrite(memory, chunk, address + start)
os.write(1, b"k")
time.sleep(120)
\"\"\"


def _filled_children(seconds, how, children=3, each=400 * 2**20):
    \"\"\"Fresh interpreters that each write `each` bytes of anonymous memory that VmData
    leaves out. Bytes held.\"\"\"
    kids = [subprocess.Popen([sys.executable, "-S", "-c", FILL, str(each), how], stdout=subprocess.PIPE) for _ in range(children)]
    ready = sum(len(kid.stdout.read(1)) for kid in kids)
    time.sleep(seconds)
    return ready * each


def grows_down_mappings(seconds):
    return _filled_children(seconds, "grows_down")


def written_through_proc_mem(seconds):
    return _filled_children(seconds, "proc_mem")
"""


@pytest.mark.slow(seconds=20)
@pytest.mark.parametrize(
    "flood",
    [
        pytest.param(
            "unaccepted_connections",
            marks=pytest.mark.xfail(strict=True, reason="known, not fixed: socket queues of unaccepted connections; a memory cgroup would bound them (README)"),
        ),
        "inotify_queues",
        "grows_down_mappings",
        "written_through_proc_mem",
    ],
)
def test_memory_a_submission_holds_unseen_counts_in_its_limit(tmp_path, flood):
    """1 to 1.25 GiB under a 512 MiB limit: the flood must fail (refused, or the sandbox
    ended for its memory), or hold less than the limit. On main it holds all of it while
    the grader sees some 100 MiB."""
    held = held_by_flood(tmp_path, HOARDS_UNSEEN_MEMORY, flood, LIMIT)
    assert held < LIMIT, f"{held / 2**20:.0f} MiB held unseen under a {LIMIT / 2**20:.0f} MiB limit"
