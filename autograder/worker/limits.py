"""What one submission's sandbox may use: its processes together, not each on its own."""

import os
from dataclasses import dataclass

KIB = 1024
# What one file or folder of a tmpfs holds of the kernel's memory, which no process's
# figures show and no tmpfs size bounds (its inode and dentry: some 800 bytes with a long
# name, measured on Linux 6.18), rounded up: a million empty files are a GiB.
KERNEL_BYTES_PER_FILE = KIB


@dataclass(frozen=True)
class Limits:
    """The limits of one submission's sandbox.

    - memory_bytes: memory claimed by all its processes together (`claimed_bytes`), and,
      in bwrap, KERNEL_BYTES_PER_FILE for each file in its /tmp and /dev/shm
      (`files_in_scratch`); the grader adds it up while it waits for an answer and ends
      the sandbox when the sum passes it. Each process is also held to it on its own
      (RLIMIT_AS), so a single allocation that is too big fails at once with MemoryError.
    - processes: processes and threads at once (RLIMIT_NPROC, counted per sandbox); a fork
      bomb's forks fail, then the grader ends the sandbox. A check needs three (bwrap's
      init, the warm parent, the worker: torch and numpy start no threads, see
      `isolation.ENVIRONMENT`); the rest is for a submission's own children and threads:
      torch's DataLoader with four workers, pinned memory and four threads takes some 25.
      Their CPU is shared all the same: they stay in one session, which the kernel
      schedules as one (`autograder.worker.seccomp.forbid_new_sessions`).
    - file_bytes: the largest file a process may write (RLIMIT_FSIZE).
    - open_files: file descriptors a process may hold (RLIMIT_NOFILE): each pipe and Unix
      socket holds kernel memory that no process's figures show (some 200 KiB for a
      socket's waiting bytes, `autograder.worker.seccomp`), so their number bounds it; an
      honest submission (torch's DataLoader workers included) holds a few dozen.
    - tmp_bytes, shm_bytes: the sizes of the sandbox's private /tmp and /dev/shm (bwrap
      mode), the only memory files may hold: memfds and System V segments are forbidden
      (`autograder.worker.seccomp`).
    - output_chars: how much of what student code prints is kept (and then dropped).
    """

    memory_bytes: int = 3 * 1024**3
    processes: int = 64
    file_bytes: int = 64 * 1024**2
    open_files: int = 256
    tmp_bytes: int = 256 * 1024**2
    shm_bytes: int = 64 * 1024**2
    output_chars: int = 64 * 1024


def claimed_bytes(pids: list[int]) -> int:
    """Memory these processes have claimed, together, in bytes: for each, the larger of
    VmData + VmStk and RssAnon, plus RssShmem.

    VmData counts a process's heap and private mappings as soon as they are made, touched
    or not, and leaves out the shared libraries it maps; a forked child counts what it
    inherited again. So an allocation counts the moment it is asked for, and forked
    children cannot multiply memory unseen. VmStk adds what the kernel treats as stack (a
    MAP_GROWSDOWN mapping, which VmData leaves out); RssAnon, when larger, the private
    pages written where VmData does not look (a read-only mapping written through
    /proc/self/mem). RssShmem adds the shared memory it has touched (mmap(MAP_SHARED |
    MAP_ANONYMOUS), a tmpfs file mapped), which VmData leaves out; shared by several
    processes, it counts in each (the sum errs high, never low)."""
    total = 0
    for pid in pids:
        figures = _status_numbers(pid, ("VmData:", "VmStk:", "RssAnon:", "RssShmem:"))
        private = max(figures.get("VmData:", 0) + figures.get("VmStk:", 0), figures.get("RssAnon:", 0))
        total += private + figures.get("RssShmem:", 0)
    return total * KIB


def files_in_scratch(pids: list[int], folders: tuple[str, ...]) -> int:
    """Files and folders in `folders` (tmpfs mount points) as the first of `pids` in a
    mount namespace other than this process's sees them (through /proc/PID/root, which
    the sandbox's owner may enter); 0 where none is."""
    ours = os.readlink("/proc/self/ns/mnt")
    for pid in pids:
        try:
            if os.readlink(f"/proc/{pid}/ns/mnt") == ours:
                continue
            return sum(_files(os.statvfs(f"/proc/{pid}/root{folder}")) for folder in folders)
        except OSError:  # gone, or not ours to enter: the next one
            continue
    return 0


def _files(usage: os.statvfs_result) -> int:
    return usage.f_files - usage.f_ffree


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it, from /proc's children lists (Linux)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as children:
                    pending.extend(int(child) for child in children.read().split())
            except (OSError, ValueError):
                continue
    return found


def processes_of_user(uid: int) -> list[int]:
    """Every process whose real uid is `uid` (Linux /proc)."""
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit() and _status_number(int(entry), "Uid:") == uid]


def users_running(uids: set[int] | range) -> set[int]:
    """Those of `uids` as which some process runs (its real uid; Linux /proc)."""
    found = set()
    for entry in os.listdir("/proc"):
        uid = _status_number(int(entry), "Uid:") if entry.isdigit() else None
        if uid is not None and uid in uids:
            found.add(uid)
    return found


def _status_number(pid: int, field: str) -> int | None:
    """The first number of a line of /proc/<pid>/status, or None if the process is gone."""
    return _status_numbers(pid, (field,)).get(field)


def _status_numbers(pid: int, fields: tuple[str, ...]) -> dict[str, int]:
    """The first number of each of these lines of /proc/<pid>/status that it has (none
    if the process is gone)."""
    found = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith(fields):
                    found[line.split(":", 1)[0] + ":"] = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return {}
    return found
