"""Length-prefixed messages over a socket, read and written against a deadline.

The grader never trusts a sandboxed process to finish what it starts writing: a worker
that sends half a message and sleeps, or sends a length of a terabyte, must cost its check
its time limit and nothing more. So every read and every write here waits with `select`
until the deadline, in slices, calling `on_wait` between slices (the grader checks the
sandbox's memory there), and a message longer than `limit` is refused before it is read.

A message is `8-byte little-endian length | body`.
"""

import fcntl
import select
import socket
import struct
import sys
import termios
import time
from collections.abc import Callable

LENGTH = struct.Struct("<Q")
SLICE_S = 0.05  # how often a wait looks up from the socket (memory checks run this often)


class ChannelClosed(Exception):
    """The other end closed the socket, or the message broke the protocol."""


class MessageTooLong(ChannelClosed):
    """The other end announced a message longer than the reader accepts; none of it is read."""


class ChannelTimeout(Exception):
    """The deadline passed before the message was read or written whole."""


def send_message(sock: socket.socket, body: bytes, deadline: float, on_wait: Callable[[], None] = lambda: None) -> None:
    """Write one message before `deadline` (time.monotonic), or raise ChannelTimeout."""
    finish_sending(sock, framed(body), deadline, on_wait)


def framed(body: bytes) -> memoryview:
    """One message's bytes, as written: its length, then its body."""
    return memoryview(LENGTH.pack(len(body)) + body)


def finish_sending(sock: socket.socket, data: memoryview, deadline: float, on_wait: Callable[[], None] = lambda: None) -> memoryview:
    """Write the rest of a message (`data`) before `deadline`, or raise ChannelTimeout;
    what is left of it (nothing)."""
    while data:
        _wait(sock, deadline, on_wait, writing=True)
        data = send_available(sock, data)
    return data


def send_available(sock: socket.socket, data: memoryview) -> memoryview:
    """Write what of `data` the socket (non-blocking) takes now; the rest, to write later."""
    try:
        sent = sock.send(data[: 1 << 20])
    except BlockingIOError:
        return data
    except OSError as error:
        raise ChannelClosed(str(error)) from None
    return data[sent:]


def receive_message(sock: socket.socket, deadline: float, limit: int, on_wait: Callable[[], None] = lambda: None) -> bytes:
    """Read one whole message before `deadline`; refuse one longer than `limit` bytes."""
    (length,) = LENGTH.unpack(_read_exactly(sock, LENGTH.size, deadline, on_wait))
    if length > limit:
        raise MessageTooLong(f"a message of {length} bytes (at most {limit} are read)")
    return _read_exactly(sock, length, deadline, on_wait)


def message_waiting(sock: socket.socket, limit: int) -> bool:
    """Whether reading one message now would not wait: it has come whole, or the other end
    closed, or its length is over `limit` (refused unread). A message larger than the
    socket's buffer never waits whole: it is read by a blocking `receive_message`."""
    if not select.select([sock], [], [], 0)[0]:
        return False
    waiting = bytes_waiting(sock)
    if waiting == 0:  # readable with nothing to read: the other end is closed
        return True
    if waiting < LENGTH.size:
        return False
    (length,) = LENGTH.unpack(sock.recv(LENGTH.size, socket.MSG_PEEK))
    return length > limit or waiting >= LENGTH.size + length


def bytes_waiting(sock: socket.socket) -> int:
    """How many bytes the other end has written that were not read yet (0 if none, or closed)."""
    return int.from_bytes(fcntl.ioctl(sock, termios.FIONREAD, bytes(4)), sys.byteorder)


def _read_exactly(sock: socket.socket, size: int, deadline: float, on_wait: Callable[[], None]) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        _wait(sock, deadline, on_wait, writing=False)
        try:
            chunk = sock.recv(min(size - len(chunks), 1 << 20))
        except BlockingIOError:
            continue
        except OSError as error:
            raise ChannelClosed(str(error)) from None
        if not chunk:
            raise ChannelClosed("the other end closed the connection")
        chunks += chunk
    return bytes(chunks)


def _wait(sock: socket.socket, deadline: float, on_wait: Callable[[], None], *, writing: bool) -> None:
    """Return once `sock` is ready; raise ChannelTimeout at the deadline."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ChannelTimeout()
        readers, writers = ([], [sock]) if writing else ([sock], [])
        readable, writable, _ = select.select(readers, writers, [], min(remaining, SLICE_S))
        if readable or writable:
            return
        on_wait()


def send_blocking(sock: socket.socket, body: bytes) -> None:
    """Write one message, waiting as long as it takes (the sandbox's side: the grader reads)."""
    sock.sendall(LENGTH.pack(len(body)) + body)


def receive_blocking(sock: socket.socket) -> bytes:
    """Read one message, waiting as long as it takes (the sandbox's side: the grader writes).

    Raises ChannelClosed when the grader hangs up."""
    header = _recv_all(sock, LENGTH.size)
    (length,) = LENGTH.unpack(header)
    return _recv_all(sock, length)


def _recv_all(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(min(size - len(chunks), 1 << 20))
        if not chunk:
            raise ChannelClosed("the grader hung up")
        chunks += chunk
    return bytes(chunks)
