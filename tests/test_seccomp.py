"""The sandbox's seccomp filters (autograder.worker.seccomp), installed in a child process
as the warm parent installs them: what they refuse, and what honest code still does.

The uid sandbox has no network namespace; its network filter is what keeps a hidden input
from leaving the machine (the class-wide attack is in test_adversarial.py)."""

import subprocess
import sys
import textwrap

import pytest

from autograder.worker.seccomp import ARCHITECTURES, JUMP_IF_AT_LEAST, JUMP_IF_EQUAL, MEMORY_FILES, program


def run_filtered(code: str) -> str:
    """stdout of `code`, run by a fresh interpreter after it installed the warm parent's filters."""
    preamble = "from autograder.worker.seccomp import forbid_memory_files, forbid_network\nforbid_memory_files()\nforbid_network()\n"
    done = subprocess.run([sys.executable, "-c", preamble + textwrap.dedent(code)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("family", ["AF_INET", "AF_INET6", "AF_PACKET", "AF_VSOCK"])
def test_no_socket_can_reach_a_network(family):
    out = run_filtered(f"""
        import socket
        kind = socket.SOCK_RAW if socket.{family} == socket.AF_PACKET else socket.SOCK_STREAM
        try:
            socket.socket(socket.{family}, kind)
        except PermissionError:
            print("refused")
    """)
    assert out == "refused\n"


def test_a_connection_and_a_datagram_to_the_host_are_refused():
    out = run_filtered("""
        import socket
        for attempt in (lambda: socket.create_connection(("127.0.0.1", 9), timeout=1),
                        lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", 9))):
            try:
                attempt()
            except PermissionError:
                print("refused")
    """)
    assert out == "refused\nrefused\n"


def test_io_uring_which_opens_sockets_without_socket_is_refused():
    out = run_filtered("""
        import ctypes, errno
        libc = ctypes.CDLL(None, use_errno=True)
        params = ctypes.create_string_buffer(120)  # struct io_uring_params, zeroed
        print(libc.syscall(425, 4, params), ctypes.get_errno() == errno.EPERM)
    """)
    assert out == "-1 True\n"


def test_unix_sockets_and_dataloader_workers_still_work():
    """multiprocessing and torch's DataLoader workers share data over Unix sockets."""
    out = run_filtered("""
        import socket
        import torch
        from torch.utils.data import DataLoader, TensorDataset
        left, right = socket.socketpair()
        left.send(b"ok")
        print(right.recv(2).decode())
        socket.socket(socket.AF_UNIX).close()
        batches = DataLoader(TensorDataset(torch.arange(20.0).reshape(10, 2)), batch_size=2, num_workers=2)
        print(sum(batch[0].sum().item() for batch in batches))
    """)
    assert out == "ok\n190.0\n"


@pytest.mark.parametrize("machine", sorted(ARCHITECTURES))
def test_every_jump_lands_inside_the_filter(machine):
    for calls, families in ((MEMORY_FILES, None), (("io_uring_setup",), (1, 16))):
        instructions = program(machine, calls, families)
        assert all(code not in (JUMP_IF_EQUAL, JUMP_IF_AT_LEAST) for code, *_ in instructions[-2:])  # it ends in returns
        for position, (code, true, false, _) in enumerate(instructions):
            if code in (JUMP_IF_EQUAL, JUMP_IF_AT_LEAST):
                assert 0 <= true and 0 <= false and position + 1 + max(true, false) < len(instructions)
