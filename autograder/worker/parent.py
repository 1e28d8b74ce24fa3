"""The warm parent: the first process of a submission's sandbox, and the workers' parent.

The grader starts it inside the sandbox (`autograder.worker.isolation`) with one inherited
socket, the control channel, and its settings as JSON in argv[1]. It gives up what it
will not need (other file descriptors, the environment, and, when started as root inside
bwrap, root itself), installs its seccomp filters (`autograder.worker.seccomp`), applies the
submission's limits so that every process it forks inherits them, sets the allocator to
keep freed memory in a sandbox for torch (`autograder.heap`, inherited too), imports numpy, the worker's code and
the standard modules torch loads (and torch, for a concept built on it; nothing of the
submission: `autograder.worker.preload`), and says hello. Then it serves
the grader, one request at a time:

- `spawn`: fork a worker (`autograder.worker.child`) and hand the grader its end of a
  fresh socket, passed over the control channel (SCM_RIGHTS);
- `reset`: kill every other process of the sandbox (whatever a worker left behind, a
  child that called setsid(), a double fork, a fork bomb), then empty the sandbox's
  scratch folders (its working folder; in bwrap, its /tmp and /dev/shm; in the uid
  sandbox, also what its user made in the machine's /tmp, /var/tmp and /dev/shm), so
  that the next worker starts as in a fresh sandbox: a module that makes a folder when
  imported can be imported again, and nothing one concept's code kept (its inputs, say)
  reaches the next. Scratch that cannot be emptied, or quickly, is answered "not ok",
  and the grader replaces the sandbox;
- end of input: exit (the sandbox ends with it).

It never runs student code, but student code runs beside it as the same user, so the
grader trusts nothing it says beyond the shape of a reply.
"""

import json
import os
import resource
import signal
import socket
import sys

import numpy  # noqa: F401 - imported once here, so no worker pays for it

from autograder.heap import keep_freed_memory
from autograder.worker import child
from autograder.worker.limits import Limits
from autograder.worker.preload import preload_standard_modules, preload_torch
from autograder.worker.scratch import emptied_folder, emptied_shared
from autograder.worker.seccomp import NoFilter, forbid_unseen_kernel_objects, forbid_network, forbid_user_namespaces
from autograder.worker.sweep import kill_every_other_process

PR_SET_DUMPABLE = 4  # <linux/prctl.h>
REQUEST_BYTES = 4096


def main() -> None:
    serve(json.loads(sys.argv[1]))


def serve(settings: dict) -> None:
    """Be the warm parent these settings describe (argv[1] of a fresh one; the control
    socket's first message for one forked from the zygote, `autograder.worker.zygote`)."""
    control = socket.socket(fileno=settings["control_fd"])
    limits = Limits(**settings["limits"])
    _close_other_descriptors(control.fileno())
    _leave_root(settings.get("uid"))
    if settings["seccomp"]:
        try:
            forbid_unseen_kernel_objects()
            forbid_network()
            forbid_user_namespaces()
        except NoFilter as problem:
            control.send(json.dumps({"ready": False, "problem": str(problem)}).encode())
            os._exit(1)
    _apply_limits(limits, counted_apart=settings["kill_scope"] == "sandbox")
    _undumpable()
    os.chdir(settings["workdir"])
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped by the kernel
    if settings["preload_torch"]:  # torch's tensors are what it is for (`autograder.heap`)
        keep_freed_memory()  # before the workers fork: each inherits it
    preload_standard_modules()  # before any student code has run in this sandbox
    if settings["preload_torch"]:
        preload_torch()
    readable = [path for path in settings["probe"] if _can_read(path)]
    control.send(json.dumps({"ready": True, "readable": readable}).encode())
    workers: list[int] = []
    while True:
        request = control.recv(REQUEST_BYTES)
        if not request:
            os._exit(0)
        op = json.loads(request)["op"]
        if op == "spawn":
            workers.append(_spawn(control, settings["submission"], limits, settings["seccomp"]))
        elif op == "reset":
            _kill_the_rest(settings["kill_scope"], workers)
            workers.clear()
            emptied = all([emptied_folder(folder) for folder in settings["scratch"]]) and emptied_shared(settings["shared_scratch"])
            control.send(json.dumps({"ok": emptied}).encode())  # not emptied: the grader replaces the sandbox


def _close_other_descriptors(keep: int) -> None:
    os.closerange(3, keep)
    os.closerange(keep + 1, 1 << 16)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _leave_root(uid: int | None) -> None:
    """Inside a bwrap sandbox started by root: become the submission's own unprivileged
    user, which keeps no capability (bwrap has set no_new_privs, so none comes back)."""
    if uid is None or os.geteuid() != 0:
        return
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def _apply_limits(limits: Limits, *, counted_apart: bool) -> None:
    """Limits every later process inherits. The process count only where this sandbox's
    processes are counted apart from the grader's (their own user, or user namespace)."""
    if counted_apart:
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _undumpable() -> None:
    """No other process of the sandbox may attach to this one or read its memory."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _can_read(path: str) -> bool:
    """Whether this sandbox can see `path`, a file or folder the course keeps secret."""
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            with open(path, "rb") as secret:
                secret.read(1)
    except OSError:
        return False
    return os.path.exists(path)


def _spawn(control: socket.socket, submission: str, limits: Limits, confined: bool) -> int:
    """Fork a worker; send the grader its socket; return its pid."""
    grader_end, worker_end = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        control.close()
        grader_end.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        child.serve(worker_end, submission, limits.output_chars, confined)
        os._exit(0)
    worker_end.close()
    socket.send_fds(control, [json.dumps({"worker": pid}).encode()], [grader_end.fileno()])
    grader_end.close()
    return pid


def _kill_the_rest(scope: str, workers: list[int]) -> None:
    """Kill every process of the sandbox but this one (and bwrap's init, which the kernel
    spares): kill(-1), repeated until none is left (`autograder.worker.sweep`), reaches
    exactly the sandbox's processes, because in bwrap mode they are all there is in its
    PID namespace and in uid mode they are all there is of its user (a user of the
    submission's own). Without a sandbox, only the workers' own process groups."""
    if scope == "sandbox":
        kill_every_other_process()
        return
    for pid in workers:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


if __name__ == "__main__":
    main()
