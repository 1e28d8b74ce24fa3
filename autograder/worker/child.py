"""The worker: the only process that imports and runs student code.

It is forked from a warm parent that has imported numpy and torch and nothing of the
submission (multiprocessing's forkserver, preloading this module), then closes itself
in: its own session, memory and file-size limits, an empty environment, a scratch working
directory, no stdin, output kept to a few kilobytes, and, when started as root, a mount
namespace in which the course's secrets are covered, as the `nobody` user. It answers requests from the grader until the pipe closes.
"""

import ctypes
import operator
import os
import resource
import sys
import traceback
from dataclasses import dataclass
from importlib import import_module
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
import torch

from autograder.catalogue import ENTRIES, Bound
from autograder.normalise import normalise
from autograder.worker.codec import Tagged, decode_message, encode_message

OUTPUT_CAP_CHARS = 64 * 1024
CLONE_NEWNS, MS_RDONLY, MS_REC, MS_PRIVATE = 0x00020000, 1, 1 << 14, 1 << 18  # <sched.h>, <sys/mount.h>
PR_SET_KEEPCAPS, PR_SET_NO_NEW_PRIVS = 8, 38  # <linux/prctl.h>
CAP_DAC_READ_SEARCH, LINUX_CAPABILITY_VERSION_3 = 2, 0x20080522  # <linux/capability.h>
BINARY_OPERATORS = {"add", "sub", "mul", "truediv", "floordiv", "pow", "matmul", "mod"}


@dataclass(frozen=True)
class Limits:
    memory_bytes: int  # address space allowed beyond what the warm parent already maps
    file_bytes: int  # largest file the worker may write
    drop_to_uid: int | None  # when started as root: run as this user
    hidden_paths: tuple[str, ...] = ()  # when started as root: folders covered by an empty one


class CappedText:
    """A text stream that keeps the first characters written and drops the rest."""

    def __init__(self, cap: int):
        self.cap, self.kept = cap, []
        self.size = 0

    def write(self, text: str) -> int:
        if self.size < self.cap:
            self.kept.append(text[: self.cap - self.size])
            self.size += len(self.kept[-1])
        return len(text)

    def flush(self) -> None:
        pass


def enter_sandbox(conn: Connection, submission: str, scratch: str, limits: Limits) -> None:
    """Everything the worker gives up before it imports a line of student code."""
    os.setsid()  # a process group of its own, so the grader can kill it with its children
    keep = conn.fileno()
    os.closerange(3, keep)
    os.closerange(keep + 1, 4096)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the worker
    sys.stdout = sys.stderr = CappedText(OUTPUT_CAP_CHARS)
    used = _address_space_bytes()
    resource.setrlimit(resource.RLIMIT_AS, (used + limits.memory_bytes, used + limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if os.geteuid() == 0:
        _cover(limits.hidden_paths)
    os.chdir(scratch)
    os.environ.clear()
    os.environ.update({"PATH": "/usr/bin:/bin", "HOME": scratch, "TMPDIR": scratch, "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1"})
    torch.set_num_threads(1)
    if limits.drop_to_uid is not None and os.geteuid() == 0:
        _become_reader(limits.drop_to_uid)
    sys.path.insert(0, submission)
    sys.dont_write_bytecode = True


def _cover(paths: tuple[str, ...]) -> None:
    """Mount an empty, read-only tmpfs over each path in a mount namespace of the worker's
    own, so the reference code, the hidden checks and the grader's files are not there
    to read. Needs root; where the kernel refuses, the nobody user's permissions remain."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0 or libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        return
    for path in paths:
        if os.path.isdir(path):
            libc.mount(b"tmpfs", path.encode(), b"tmpfs", MS_RDONLY, b"size=4k")


def _become_reader(uid: int) -> None:
    """Switch to `uid`, keeping one capability: to read any file (CAP_DAC_READ_SEARCH), so
    Python and its packages import wherever they are installed (a /root/.pyenv, say).
    What must stay secret is already covered by `_cover`, which this user cannot undo;
    writing stays limited to what `uid` owns, and no executable regains more (no_new_privs)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    header = (ctypes.c_uint32 * 2)(LINUX_CAPABILITY_VERSION_3, 0)
    read_any = 1 << CAP_DAC_READ_SEARCH
    sets = (ctypes.c_uint32 * 6)(read_any, read_any, 0, 0, 0, 0)  # effective, permitted, inheritable
    libc.capset(header, sets)
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def _address_space_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


class HandleTable:
    """Objects that are not data stay here; the grader holds their ids."""

    def __init__(self):
        self.objects: dict[int, Any] = {}

    def store(self, value: Any) -> dict:
        handle = len(self.objects) + 1
        self.objects[handle] = value
        return {Tagged.HANDLE: handle, "type": _type_name(value)}

    def resolve(self, tag: str, body: dict) -> Any:
        if tag == Tagged.HANDLE:
            return self.objects[body[Tagged.HANDLE]]
        if tag == Tagged.CATALOGUE and body["name"] in ENTRIES:
            return Bound(body["name"], body["kwargs"])
        raise ValueError(f"cannot resolve {tag} {body!r}")


def _type_name(value: Any) -> str:
    kind = type(value)
    return kind.__qualname__ if kind.__module__ in ("builtins", "__main__") else f"{kind.__module__}.{kind.__qualname__}"


def perform(request: dict, table: HandleTable) -> Any:
    """Carry out one request on student code and return its raw result."""
    op = request["op"]
    if op == "import":
        if not os.path.isfile(os.path.join(sys.path[0], f"{request['module']}.py")):
            raise NotImplementedError(f"{request['module']}.py is missing from the submission")
        import_module(request["module"])
        return None
    if op == "call":
        module = import_module(request["module"])
        return getattr(module, request["name"])(*request["args"], **request["kwargs"])
    target = table.objects[request["handle"]]
    if op == "getattr":
        return getattr(target, request["name"])
    if op == "call_handle":
        return target(*request["args"], **request["kwargs"])
    if op == "binop":
        name = request["name"]
        if name not in BINARY_OPERATORS:
            raise ValueError(f"operator {name!r} is not allowed")
        function = getattr(operator, name)
        return function(request["other"], target) if request["reflected"] else function(target, request["other"])
    if op == "neg":
        return -target
    if op == "iter":
        return list(target)
    if op == "len":
        return len(target)
    raise ValueError(f"unknown request {op!r}")


def mutated_arguments(request: dict, before: dict) -> list:
    """[position or name, new value] for each array argument the student changed in place."""
    changed = []
    for key, original in before.items():
        now = request["args"][key] if isinstance(key, int) else request["kwargs"][key]
        if now.shape != original.shape or not np.array_equal(now, original, equal_nan=True):
            changed.append([key, now])
    return changed


def answer(request: dict, table: HandleTable) -> dict:
    """The reply to one request: the result, or how the student code failed."""
    arrays = {i: a for i, a in enumerate(request.get("args", [])) if type(a) is np.ndarray}
    arrays.update({k: a for k, a in request.get("kwargs", {}).items() if type(a) is np.ndarray})
    before = {key: array.copy() for key, array in arrays.items()}
    try:
        result = normalise(perform(request, table))
    except NotImplementedError as error:
        return {"failed": "not_implemented", "message": _safe_str(error)}
    except MemoryError:
        return {"failed": "memory", "message": "ran out of memory"}
    except SystemExit as error:  # an exit code is shown, a message is not: it may quote hidden inputs
        return {"failed": "exit", "message": f"called sys.exit({error.code if type(error.code) is int else ''})"}
    except KeyboardInterrupt:
        return {"failed": "exit", "message": "raised KeyboardInterrupt"}
    except RecursionError:
        return {"failed": "raised", "type": "RecursionError", "message": "maximum recursion depth exceeded", "line": _student_line()}
    except BaseException as error:  # student code may raise anything; it is reported, not fatal
        return {"failed": "raised", "type": type(error).__name__, "message": _safe_str(error), "line": _student_line()}
    return {"ok": result, "mutated": mutated_arguments(request, before)}


def _safe_str(value: Any) -> str:
    try:
        return str(value)[:500]
    except BaseException:  # a student's __str__ may itself raise
        return "(no message)"


def _student_line() -> str:
    """'file.py:line' of the innermost frame of the submission, for the student's feedback."""
    frames = traceback.extract_tb(sys.exc_info()[2])
    student = [f for f in frames if f.filename.startswith(sys.path[0])]
    return f"{os.path.basename(student[-1].filename)}:{student[-1].lineno}" if student else ""


def serve(conn: Connection, submission: str, scratch: str, limits: Limits) -> None:
    """The worker's main loop: one reply for each request, until the grader hangs up."""
    enter_sandbox(conn, submission, scratch, limits)
    table = HandleTable()
    while True:
        try:
            message = conn.recv_bytes()
        except (EOFError, OSError):
            os._exit(0)
        request = decode_message(message, table.resolve)
        reply = answer(request, table)
        try:
            data = encode_message(reply, table.store)
        except (RecursionError, ValueError, TypeError) as error:
            data = encode_message({"failed": "raised", "type": type(error).__name__, "message": "the result could not be sent back", "line": ""}, table.store)
        conn.send_bytes(data)
