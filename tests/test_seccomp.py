"""The sandbox's seccomp filters (autograder.worker.seccomp), installed in a child process
as the warm parent installs them: what they refuse, and what honest code still does.

The uid sandbox has no network namespace; its network filter is what keeps a hidden input
from leaving the machine (the class-wide attack is in test_adversarial.py). In a user
namespace of its own, student code could mount a tmpfs as large as the machine's memory,
which no limit sees."""

import subprocess
import sys
import textwrap

import pytest
from sandboxed import sandboxed

from autograder.worker.seccomp import (
    ARCHITECTURES,
    BUFFER_SIZES,
    CLONE_NEWUSER,
    JUMP_IF_ANY_BIT,
    JUMP_IF_AT_LEAST,
    JUMP_IF_EQUAL,
    SOL_SOCKET,
    UNSEEN_KERNEL_OBJECTS,
    program,
)

JUMPS = (JUMP_IF_EQUAL, JUMP_IF_AT_LEAST, JUMP_IF_ANY_BIT)


def run_filtered(code: str) -> str:
    """stdout of `code`, run by a fresh interpreter after it installed the warm parent's filters."""
    preamble = "from autograder.worker.seccomp import *\nforbid_unseen_kernel_objects()\nforbid_network()\nforbid_user_namespaces()\n"
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


def test_no_kernel_object_that_outlives_its_processes():
    """System V semaphores and messages, POSIX message queues: kernel memory no limit sees,
    and a place to keep what one concept's code saw for the next concept's."""
    out = run_filtered("""
        import ctypes, errno, platform
        libc = ctypes.CDLL(None, use_errno=True)
        MQ_OPEN = {"x86_64": 240, "aarch64": 180}[platform.machine()]
        for result in (libc.semget(0, 1, 0o1600), libc.msgget(0, 0o1600), libc.syscall(MQ_OPEN, b"kept", 0o100 | 2, 0o600, None)):
            print(result, ctypes.get_errno() == errno.EPERM)
    """)
    assert out == "-1 True\n" * 3


def test_a_sockets_buffers_keep_their_default_size():
    out = run_filtered("""
        import socket
        sender, _ = socket.socketpair()
        for option in (socket.SO_SNDBUF, socket.SO_RCVBUF):
            try:
                sender.setsockopt(socket.SOL_SOCKET, option, 2**30)
            except PermissionError:
                print("refused")
        sender.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)  # any other option still works
        print(sender.getsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED))
    """)
    assert out == "refused\nrefused\n1\n"


def test_no_user_namespace_of_its_own():
    out = run_filtered("""
        import ctypes, errno, platform
        libc = ctypes.CDLL(None, use_errno=True)
        CLONE_NEWUSER, CLONE_NEWNS, SIGCHLD = 0x10000000, 0x00020000, 17
        CLONE = {"x86_64": 56, "aarch64": 220}[platform.machine()]
        print(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), ctypes.get_errno() == errno.EPERM)
        print(libc.syscall(CLONE, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0), ctypes.get_errno() == errno.EPERM)
    """)
    assert out == "-1 True\n-1 True\n"


def test_threads_forks_and_subprocesses_still_start():
    """pthread_create asks clone3 first, and takes clone when it answers ENOSYS."""
    out = run_filtered("""
        import os, subprocess, sys, threading
        import torch
        results = []
        thread = threading.Thread(target=lambda: results.append("thread"))
        thread.start(); thread.join()
        pid = os.fork()
        if pid == 0:
            os._exit(7)
        print(results[0], os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True, text=True).stdout.strip())
        torch.set_num_threads(2)
        print(float(torch.ones(512, 512).matmul(torch.ones(512, 512)).sum()))
    """)
    assert out == f"thread 7 42\n{512.0**3}\n"


@pytest.mark.parametrize("machine", sorted(ARCHITECTURES))
def test_every_jump_lands_inside_the_filter(machine):
    rules = [
        {"calls": UNSEEN_KERNEL_OBJECTS},
        {"calls": ("io_uring_setup",), "socket_families": (1, 16), "socket_options": (SOL_SOCKET, BUFFER_SIZES)},
        {"calls": (), "flags": {"unshare": CLONE_NEWUSER, "clone": CLONE_NEWUSER}, "unsupported": ("clone3",)},
    ]
    for rule in rules:
        instructions = program(machine, **rule)
        assert all(code not in JUMPS for code, *_ in instructions[-3:])  # it ends in returns
        for position, (code, true, false, _) in enumerate(instructions):
            if code in JUMPS:
                assert 0 <= true and 0 <= false and position + 1 + max(true, false) < len(instructions)


MOUNTS_A_TMPFS_OF_ITS_OWN = """
import ctypes


def mount():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x10000000 | 0x00020000) != 0:  # CLONE_NEWUSER | CLONE_NEWNS
        return "refused"
    return "mounted" if libc.mount(b"none", b"/tmp", b"tmpfs", 0, None) == 0 else "no mount"
"""


def test_sandboxed_code_cannot_mount_a_tmpfs_of_its_own(tmp_path):
    """As root, bwrap gives the sandbox no user namespace; student code may not make one."""
    submission = sandboxed(tmp_path, {"mounter": MOUNTS_A_TMPFS_OF_ITS_OWN})
    try:
        submission.start_check(30)
        assert submission.module("mounter").mount() == "refused"
    finally:
        submission.close()


@pytest.mark.parametrize("machine", sorted(ARCHITECTURES))
def test_every_call_forbidden_has_its_number_on_every_machine(machine):
    """A call missing from a machine's table fails the filter's making, never drops out of it."""
    from autograder.worker.seccomp import ABSENT, NUMBERS

    for call in (*UNSEEN_KERNEL_OBJECTS, "io_uring_setup", "setsid", "unshare", "clone", "clone3", "socket", "setsockopt"):
        assert call in NUMBERS[machine] or call in ABSENT[machine], call
