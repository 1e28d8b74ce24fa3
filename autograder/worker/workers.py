"""One worker process inside a submission's sandbox, and the grader's end of its socket.

A `Worker` sends requests and reads replies against deadlines, watching the sandbox's
memory while it waits, and turns what goes wrong in the channel into the student code's
failure: timed out, crashed, out of memory. It never trusts the worker to finish what it
starts writing, nor to read what the grader writes (its end of the socket never blocks).
"""

import contextlib
from typing import Any

from autograder.worker.channel import ChannelClosed, ChannelTimeout, MessageTooLong, bytes_waiting, finish_sending, framed, message_waiting, receive_message, send_available
from autograder.worker.codec import Tagged, decode_message, encode_message
from autograder.worker.errors import StudentCrashed, timed_out
from autograder.worker.handles import Handle
from autograder.worker.limits import Limits
from autograder.worker.replies import NOT_AN_ANSWER, TEXT_CHARS, expected_shape
from autograder.worker.warm_parent import WarmParent

# A reply's size, far above an honest one (the largest, an argument changed in place and
# sent back, is a few MiB) and small enough that decoding any reply of it costs its check
# alone, within the check's time: its JSON part is bounded again by the codec.
MAX_REPLY_BYTES = 16 * 1024**2


class SandboxOutOfMemory(Exception):
    """The sandbox's processes together hold more memory than its limit."""


class Worker:
    """One worker process inside the sandbox `parent`, and the socket to it, for
    `submission` (a SandboxedSubmission: its limits, and what handles report back to)."""

    def __init__(self, submission: Any, module: str, parent: WarmParent):
        self.submission = submission
        self.module = module
        self.parent = parent
        self.sock, self.pid = parent.spawn()
        # never blocking: a send waits for room only in the channel's select, up to its
        # deadline (a worker that stopped reading cannot hold the grader in send())
        self.sock.setblocking(False)
        self.owner = submission  # what handles report back to
        self.closed = False  # once closed, its objects are gone

    def request(self, payload: dict, deadline: float, label: str) -> dict:
        """Send one request and wait for its reply until `deadline` (time.monotonic)."""
        self.send(payload, deadline, label)
        return self.receive(deadline, label)

    def send(self, payload: dict, deadline: float, label: str) -> None:
        """Send one request, whole, before `deadline`."""
        self.finish_sending(self.framed(payload), deadline, label)

    def framed(self, payload: dict) -> memoryview:
        """A request's bytes, as written to the worker."""
        return framed(encode_message(payload, _refuse))

    def send_available(self, data: memoryview, label: str) -> memoryview:
        """Write what of a request's bytes the socket takes now, without waiting; the rest."""
        with self._failures(label):
            return send_available(self.sock, data)

    def finish_sending(self, data: memoryview, deadline: float, label: str) -> memoryview:
        """Write the rest of a request before `deadline`; what is left (nothing)."""
        with self._failures(label):
            return finish_sending(self.sock, data, deadline, self._watch)

    def receive(self, deadline: float, label: str) -> dict:
        """The reply to the oldest request not answered yet, read before `deadline`."""
        with self._failures(label):
            message = receive_message(self.sock, deadline, MAX_REPLY_BYTES, self._watch)
        try:
            return decode_message(message, self._resolve)
        except Exception:  # noqa: BLE001 - whatever the worker wrote, it is not an answer
            raise StudentCrashed(f"{label}: {NOT_AN_ANSWER}") from None

    def answered(self) -> bool:
        """Whether a whole reply waits to be read (`channel.message_waiting`)."""
        return message_waiting(self.sock, MAX_REPLY_BYTES)

    def replying(self) -> bool:
        """Whether a reply has begun to come (some of it waits to be read), whole or not: a
        reply larger than the socket's buffer never waits whole."""
        return bytes_waiting(self.sock) > 0

    def _watch(self) -> None:
        """While waiting: raise SandboxOutOfMemory when this worker's sandbox holds too much
        (and end the sandbox of calls started ahead, if that one does)."""
        self.submission.watch_ahead()
        if self.parent.memory_bytes() > self.submission.limits.memory_bytes:
            raise SandboxOutOfMemory()

    @contextlib.contextmanager
    def _failures(self, label: str):
        """The channel's failures as the student code's: timed out, crashed, out of memory."""
        try:
            yield
        except ChannelTimeout:
            raise timed_out(label) from None
        except SandboxOutOfMemory:
            raise out_of_memory(label, self.submission.limits) from None
        except MessageTooLong:
            raise StudentCrashed(f"{label} returned an answer larger than the grader reads ({MAX_REPLY_BYTES // 1024**2} MiB)") from None
        except ChannelClosed:
            raise StudentCrashed(f"{label} ended the worker process (os._exit, a crash or a signal)") from None

    def _resolve(self, tag: str, body: dict) -> Any:
        if tag == Tagged.HANDLE and type(body.get(Tagged.HANDLE)) is int:
            return Handle(self, body[Tagged.HANDLE], _text(body.get("type", "object"), TEXT_CHARS["type"]))
        raise ValueError(f"unexpected {tag} from the worker")

    def close(self) -> None:
        self.sock.close()
        self.closed = True


def out_of_memory(label: str, limits: Limits) -> StudentCrashed:
    return StudentCrashed(f"{label} ran out of memory (the submission's processes, with the files it made, together may use {limits.memory_bytes / 1024**3:g} GiB)")


def holder(payload: dict, worker: Worker, label: str) -> Worker:
    """The worker a request goes to: `worker`, or the worker that holds the student
    objects among its arguments (a model trained ahead, handed to validation_loss). Each
    worker numbers its objects from 1: objects of two workers never go in one request."""
    holders = {value._worker for value in _handles_in([payload.get("args"), payload.get("kwargs"), payload.get("other")])}
    if not holders:
        return worker
    holder = holders.pop()
    if holders:
        raise StudentCrashed(f"{label}: the objects it was given belong to different workers")
    if holder.closed:
        raise StudentCrashed(f"{label}: an object it was given belongs to a worker that has stopped")
    return holder


def _handles_in(value: Any):
    if isinstance(value, Handle):
        yield value
    elif type(value) in (list, tuple):
        for item in value:
            yield from _handles_in(item)
    elif type(value) is dict:
        for item in value.values():
            yield from _handles_in(item)


def answered_well(reply: Any) -> bool:
    return not isinstance(reply, BaseException) and expected_shape(reply) and "ok" in reply


def _refuse(value: Any) -> Any:
    if isinstance(value, Handle):
        return value.tag()
    raise TypeError(f"a check may pass only data to student code, not {type(value).__name__}")


def _text(value: Any, limit: int) -> str:
    """A string from the worker, as a plain str of at most `limit` characters."""
    return value[:limit] if type(value) is str else "?"
