"""The worker: the only process that imports and runs student code.

It is forked by the sandbox's warm parent (`autograder.worker.parent`), which has already
closed the sandbox in and applied the submission's limits, and has imported numpy and
nothing of the submission. The worker takes a session of its own, keeps only what
student code prints up to a cap, puts the submission first on `sys.path`, and answers
the grader's requests on its socket until the grader hangs up. Everything it sends is
data (`autograder.worker.codec`); strings that student code chooses (exception names and
messages, type names) are cut to a few hundred characters before they leave.
"""

import io
import operator
import os
import socket
import sys
import traceback
from importlib import import_module
from typing import Any

import numpy as np

from autograder.catalogue import ENTRIES, Bound
from autograder.worker.channel import ChannelClosed, receive_blocking, send_blocking
from autograder.normalise import normalise
from autograder.submission import PACKAGE, exercises_package, missing_function
from autograder.worker.codec import Tagged, decode_message, encode_message
from autograder.worker.seccomp import forbid_new_sessions

MESSAGE_CHARS = 500  # an exception's message, as sent to the grader
NAME_CHARS = 200  # a type's name, as sent to the grader
BINARY_OPERATORS = {"add", "sub", "mul", "truediv", "floordiv", "pow", "matmul", "mod"}
SUBMISSION: list[str] = []  # the submission's folder, set once by enter_worker; sys.path is the student's to change


class Discarded(io.RawIOBase):
    """A binary stream that takes every byte and keeps none."""

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        return len(data)


class CappedText(io.TextIOBase):
    """A text stream that keeps the first characters written and drops the rest: a text
    file as far as student code can tell (an encoding, isatty, writelines, reconfigure; a
    descriptor, of /dev/null, for faulthandler and the like)."""

    encoding, errors = "utf-8", "strict"

    def __init__(self, cap: int):
        super().__init__()
        self.cap, self.kept = cap, []
        self.size = 0
        self.buffer = io.BufferedWriter(Discarded())  # for io.TextIOWrapper(sys.stdout.buffer, ...)

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.size < self.cap:
            self.kept.append(text[: self.cap - self.size])
            self.size += len(self.kept[-1])
        return len(text)

    def fileno(self) -> int:
        return 1  # the warm parent made descriptors 0 to 2 /dev/null (parent._close_other_descriptors)

    def reconfigure(self, **_) -> None:
        """Nothing to change: what is kept is text."""


def enter_worker(submission: str, output_chars: int, confined: bool) -> None:
    """What the worker sets up before it imports a line of student code. `confined` (in a
    sandbox): no process it starts may leave its session (`forbid_new_sessions`)."""
    os.setsid()  # a process group of its own: without a sandbox, the grader kills the group
    if confined:
        forbid_new_sessions()
    sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the worker
    sys.stdout = sys.stderr = CappedText(output_chars)
    SUBMISSION.append(submission)
    sys.path.insert(0, submission)
    sys.modules[PACKAGE] = exercises_package(submission)  # the student's own, whatever else is on sys.path
    sys.dont_write_bytecode = True


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
    name = kind.__qualname__ if kind.__module__ in ("builtins", "__main__") else f"{kind.__module__}.{kind.__qualname__}"
    return _capped(name, NAME_CHARS)


def perform(request: dict, table: HandleTable) -> Any:
    """Carry out one request on student code and return its raw result."""
    op = request["op"]
    if op == "import":
        if not os.path.isfile(os.path.join(SUBMISSION[0], f"{request['module']}.py")):
            raise NotImplementedError(f"{request['module']}.py is missing from the submission")
        import_module(request["module"])
        return None
    if op == "call":
        module = import_module(request["module"])
        if not hasattr(module, request["name"]):
            raise missing_function(request["module"], request["name"])
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
        return {"failed": "memory"}
    except SystemExit as error:  # an int exit code is sent, a message is not: it may quote hidden inputs
        return {"failed": "exit", "code": error.code if type(error.code) is int else None}
    except KeyboardInterrupt:
        return {"failed": "interrupt"}
    except RecursionError:
        return {"failed": "raised", "type": "RecursionError", "message": "maximum recursion depth exceeded", "line": _student_line()}
    except BaseException as error:  # student code may raise anything; it is reported, not fatal
        return {"failed": "raised", "type": _capped(type(error).__name__, NAME_CHARS), "message": _safe_str(error), "line": _student_line()}
    return {"ok": result, "mutated": mutated_arguments(request, before)}


def _safe_str(value: Any) -> str:
    try:
        return _capped(str(value), MESSAGE_CHARS)
    except BaseException:  # a student's __str__ may itself raise
        return "(no message)"


def _capped(text: Any, limit: int) -> str:
    """`text` as a str of at most `limit` characters (a student's str subclass as a str)."""
    return str.__str__(text)[:limit] if isinstance(text, str) else "?"


def _student_line() -> str:
    """'file.py:line' of the innermost frame of the submission, for the student's feedback."""
    frames = traceback.extract_tb(sys.exc_info()[2])
    student = [f for f in frames if f.filename.startswith(SUBMISSION[0])]
    return f"{os.path.basename(student[-1].filename)}:{student[-1].lineno}" if student else ""


def serve(sock: socket.socket, submission: str, output_chars: int, confined: bool) -> None:
    """The worker's main loop: one reply for each request, until the grader hangs up."""
    enter_worker(submission, output_chars, confined)
    table = HandleTable()
    while True:
        try:
            request = decode_message(receive_blocking(sock), table.resolve)
        except ChannelClosed:
            os._exit(0)
        reply = answer(request, table)
        try:
            data = encode_message(reply, table.store)
        except (RecursionError, ValueError, TypeError):
            data = encode_message({"failed": "raised", "type": "ValueError", "message": "the result could not be sent back", "line": ""}, table.store)
        try:
            send_blocking(sock, data)
        except OSError:
            os._exit(0)
