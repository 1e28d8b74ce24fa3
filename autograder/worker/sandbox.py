"""The grader's side of the sandbox: start workers, send requests, wait with a deadline.

`SandboxedSubmission` is what the `student` fixture gives a check when grading: its
modules are proxies whose calls travel to a worker as data. One worker serves one concept;
a worker that times out, crashes or exits is killed with everything it started, and the
next check gets a fresh one. A module whose import fails fails every check of its concept
at once, with the same status, instead of timing out again and again.
"""

import multiprocessing
import os
import pwd
import shutil
import signal
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from autograder.worker.child import Limits, serve
from autograder.worker.codec import Tagged, decode_message, encode_message
from autograder.worker.errors import StudentCodeFailed, StudentCrashed, StudentRaised, timed_out
from autograder.worker.handles import Handle

MAX_REPLY_BYTES = 512 * 1024 * 1024
IMPORT_LIMIT_S = 20.0  # a module's import, apart from any check's own limit
DEFAULT_LIMITS = Limits(memory_bytes=3 * 1024**3, file_bytes=64 * 1024**2, drop_to_uid=None)


def _context():
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["autograder.worker.child"])
    return context


def start_warm_parent() -> None:
    """Start the forkserver (numpy and torch imported) now, so no check pays for it."""
    from multiprocessing import forkserver

    _context()
    forkserver.ensure_running()


class Worker:
    """One sandboxed process and the pipe to it."""

    def __init__(self, submission: Path, scratch: Path, limits: Limits):
        context = _context()
        self.conn, child_end = context.Pipe()
        self.process = context.Process(target=serve, args=(child_end, str(submission), str(scratch), limits), daemon=True)
        self.process.start()
        child_end.close()
        self.owner: Any = None  # the SandboxedSubmission that handles report back to

    def request(self, payload: dict, deadline: float, label: str) -> dict:
        """Send one request and wait for its reply until `deadline` (time.monotonic)."""
        try:
            self.conn.send_bytes(encode_message(payload, _refuse))
            if not self.conn.poll(max(0.0, deadline - time.monotonic())):
                self.stop()
                raise timed_out(label)
            message = self.conn.recv_bytes(MAX_REPLY_BYTES)
        except (EOFError, OSError):
            raise StudentCrashed(f"{label} ended the worker process ({self._exit_reason()})") from None
        try:
            return decode_message(message, self._resolve)
        except Exception:  # noqa: BLE001 - whatever the worker wrote, it is not an answer
            self.stop()
            raise StudentCrashed(f"{label}: the worker sent something that is not an answer") from None

    def _resolve(self, tag: str, body: dict) -> Any:
        if tag == Tagged.HANDLE:
            return Handle(self, body[Tagged.HANDLE], str(body.get("type", "object")))
        raise ValueError(f"unexpected {tag} from the worker")

    def _exit_reason(self) -> str:
        self.process.join(timeout=2)
        code = self.process.exitcode
        self.stop()
        if code is None:
            return "it stopped answering"
        if code < 0:
            name = signal.Signals(-code).name
            return f"killed by {name}" + (", out of memory?" if name == "SIGKILL" else "")
        return f"os._exit({code}) or a crash"

    def stop(self) -> None:
        """Kill the worker and every process it started."""
        if self.process.pid is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.process.join(timeout=5)
        self.conn.close()


def _refuse(value: Any) -> Any:
    if isinstance(value, Handle):
        return value.tag()
    raise TypeError(f"a check may pass only data to student code, not {type(value).__name__}")


class SandboxedSubmission:
    """A submission graded through workers; the original folder is copied, never touched."""

    def __init__(self, folder: Path, limits: Limits = DEFAULT_LIMITS, hidden_paths: tuple[str, ...] = ()):
        self.folder = folder
        self.home = Path(tempfile.mkdtemp(prefix="autograder-sandbox-"))
        self.copy = self.home / "submission"
        shutil.copytree(folder, self.copy, ignore=shutil.ignore_patterns("__pycache__", ".git", "*.pyc"))
        self.scratch = self.home / "scratch"
        self.scratch.mkdir()
        self.limits = _with_unprivileged_user(replace(limits, hidden_paths=hidden_paths), self.home, self.scratch)
        self.worker: Worker | None = None
        self.worker_module: str | None = None
        self.deadline = float("inf")
        self.broken_imports: dict[str, StudentCodeFailed] = {}
        start_warm_parent()

    def start_check(self, time_limit_s: float) -> None:
        self.deadline = time.monotonic() + time_limit_s

    def module(self, name: str) -> "ModuleProxy":
        return ModuleProxy(self, name)

    def call(self, module: str, payload: dict, label: str) -> Any:
        """Send a request about `module`'s code to its worker; raise how it failed, if it did."""
        if module in self.broken_imports:
            failure = self.broken_imports[module]
            raise type(failure)(*failure.args)
        return self._send(self._worker_for(module), payload, label)

    def call_handle(self, handle: Handle, payload: dict, label: str) -> Any:
        """A request about a student object; it must come from the worker still running."""
        if self.worker is None or handle._worker is not self.worker:
            raise StudentCrashed(f"{label}: this object belongs to a worker that has stopped")
        return self._send(self.worker, payload, label)

    def _send(self, worker: Worker, payload: dict, label: str) -> Any:
        try:
            reply = worker.request(payload, self.deadline, label)
        except StudentCodeFailed:
            self._drop_worker()
            raise
        return self._result(reply, payload, label)

    def _worker_for(self, module: str) -> Worker:
        if self.worker is None or self.worker_module != module:
            self._drop_worker()
            worker = Worker(self.copy, self.scratch, self.limits)
            worker.owner = self
            try:
                import_deadline = time.monotonic() + IMPORT_LIMIT_S
                reply = worker.request({"op": "import", "module": module}, import_deadline, f"importing {module}.py")
                self._result(reply, {}, f"importing {module}.py")
            except (StudentCodeFailed, NotImplementedError) as failure:
                worker.stop()
                self.broken_imports[module] = failure
                raise
            self.worker, self.worker_module = worker, module
        return self.worker

    def _result(self, reply: dict, payload: dict, label: str) -> Any:
        failed = reply.get("failed")
        if failed is None:
            _copy_back(reply.get("mutated", []), payload)
            return reply.get("ok")
        if failed == "not_implemented":
            raise NotImplementedError(reply["message"] or f"{label} is not written yet")
        self._drop_worker()
        if failed == "memory":
            raise StudentCrashed(f"{label} ran out of memory (the limit is {self.limits.memory_bytes / 1024**3:g} GiB)")
        if failed == "exit":
            raise StudentCrashed(f"{label} {reply['message']}; a function must return, not end the program")
        raise StudentRaised(label, reply["type"], reply["message"], reply.get("line", ""))

    def _drop_worker(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        self.worker = self.worker_module = None

    def close(self) -> None:
        self._drop_worker()
        shutil.rmtree(self.home, ignore_errors=True)


def _copy_back(mutated: list, payload: dict) -> None:
    """Apply the student's in-place changes to the check's own arrays, as in one process."""
    for key, value in mutated:
        target = payload["args"][key] if isinstance(key, int) else payload["kwargs"][key]
        if type(target) is np.ndarray and type(value) is np.ndarray and target.shape == value.shape:
            target[...] = value


def _with_unprivileged_user(limits: Limits, home: Path, scratch: Path) -> Limits:
    """When grading as root, workers run as `nobody`: they may write only to scratch."""
    if os.geteuid() != 0:
        return limits
    nobody = pwd.getpwnam("nobody").pw_uid
    os.chmod(home, 0o711)
    os.chown(scratch, nobody, -1)
    return replace(limits, drop_to_uid=nobody)


class ModuleProxy:
    """`student.conv2d(x, w)` as a request to the worker for this module."""

    def __init__(self, submission: SandboxedSubmission, name: str):
        self._submission, self._name = submission, name

    def __getattr__(self, function: str):
        if function.startswith("__"):
            raise AttributeError(function)

        def call(*args, **kwargs):
            payload = {"op": "call", "module": self._name, "name": function, "args": list(args), "kwargs": kwargs}
            return self._submission.call(self._name, payload, function)

        call.__name__ = function
        return call
