"""Seccomp filters: one keeps a sandbox's memory where its limit can see it, one keeps
its processes off the network, one keeps them out of user namespaces of their own, one
keeps a worker's processes in its session.

The limit adds up what the sandbox's processes hold (`autograder.worker.limits`), and
some kernel objects are in no process: a memfd (`memfd_create`), a System V segment
(`shmget`), semaphore set (`semget`: 2 MiB a set) or message queue (`msgget`), a POSIX
message queue (`mq_open`), the event queue of an inotify or fanotify instance (8 MiB
each), or a key in the user's kernel keyring (`add_key`, `keyctl`) holds memory that no
process's VmData shows and no RLIMIT_AS bounds. Counting them instead is not robust: a memfd need not be mapped (so it is in no
RssShmem either), may travel between processes over a socket and outlive its creator;
the IPC objects and keys outlive every process of the sandbox, so that what one concept's code
kept in them the next concept's could read. Forbidding the calls is robust, costs no
honest submission anything (numpy, torch and the standard library use none of them:
multiprocessing's locks are POSIX semaphores, files in /dev/shm), and needs no
dependency: the warm parent installs this filter on itself with prctl (after
PR_SET_NO_NEW_PRIVS, which an unprivileged process may set) before it forks any worker,
and every process it starts inherits it for good. They fail with EPERM. The filter also
refuses every system call made through another architecture's entry (32-bit int 0x80,
x32), where the calls have other numbers. The other file systems student code may write
(the sandbox's /tmp and /dev/shm) are tmpfs of a fixed size (`autograder.worker.isolation`).

The network filter gives the uid sandbox, which has no network namespace, what bwrap's
namespace gives: no way to send a hidden input anywhere. It refuses socket() for every
address family but AF_UNIX (multiprocessing and torch's DataLoader workers pass their
data and file descriptors over Unix sockets) and AF_NETLINK (the kernel's own, which
glibc asks for the machine's interfaces), and io_uring_setup, whose rings can open and
connect sockets without calling socket() at all. It also refuses setsockopt() of a
socket's buffer sizes: bytes waiting in a Unix socket are kernel memory no process's
figures show, and each socket then holds at most the machine's default (some 200 KiB),
times the few hundred descriptors each process may open (`Limits.open_files`). The warm
parent installs it beside the first, in every sandbox: in bwrap's it changes nothing an
honest submission does.
"""

import ctypes
import errno
import platform
import struct

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
LOAD, JUMP_IF_EQUAL, JUMP_IF_AT_LEAST, RETURN = 0x20, 0x15, 0x35, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_JMP|JGE|K, BPF_RET|K
JUMP_IF_ANY_BIT = 0x45  # BPF_JMP|JSET|K
ALLOW, DENY = 0x7FFF0000, 0x00050000 | errno.EPERM  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EPERM
UNSUPPORTED = 0x00050000 | errno.ENOSYS  # "no such call": glibc then falls back to an older one
ARCH_OFFSET, NR_OFFSET = 4, 0  # offsetof(struct seccomp_data, arch), (…, nr)
FIRST_ARGUMENT_OFFSET = 16  # offsetof(struct seccomp_data, args[0]): its low 32 bits, on little-endian machines
ARGUMENT_BYTES = 8  # args[1] is 8 bytes further, args[2] 16
X32_BIT = 0x40000000
ARCHITECTURES = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}  # AUDIT_ARCH_*
NUMBERS = {  # the system calls forbidden somewhere, by machine
    "x86_64": {
        "memfd_create": 319, "shmget": 29, "semget": 64, "msgget": 68, "mq_open": 240,
        "inotify_init": 253, "inotify_init1": 294, "fanotify_init": 300, "add_key": 248, "request_key": 249, "keyctl": 250,
        "setsid": 112, "socket": 41, "setsockopt": 54, "io_uring_setup": 425, "clone": 56, "clone3": 435, "unshare": 272,
    },
    "aarch64": {
        "memfd_create": 279, "shmget": 194, "semget": 190, "msgget": 186, "mq_open": 180,
        "inotify_init1": 26, "fanotify_init": 262, "add_key": 217, "request_key": 218, "keyctl": 219,
        "setsid": 157, "socket": 198, "setsockopt": 208, "io_uring_setup": 425, "clone": 220, "clone3": 435, "unshare": 97,
    },
}  # fmt: skip
ABSENT = {"x86_64": set(), "aarch64": {"inotify_init"}}  # calls a machine does not have (only inotify_init1)
CLONE_NEWUSER = 0x10000000  # <linux/sched.h>
UNSEEN_KERNEL_OBJECTS = ("memfd_create", "shmget", "semget", "msgget", "mq_open", "inotify_init", "inotify_init1", "fanotify_init", "add_key", "request_key", "keyctl")
SOL_SOCKET, SO_SNDBUF, SO_RCVBUF, SO_SNDBUFFORCE, SO_RCVBUFFORCE = 1, 7, 8, 32, 33  # <asm-generic/socket.h>
BUFFER_SIZES = (SO_SNDBUF, SO_RCVBUF, SO_SNDBUFFORCE, SO_RCVBUFFORCE)
AF_UNIX, AF_NETLINK = 1, 16  # <sys/socket.h>: the only address families a sandbox may open


class NoFilter(Exception):
    """This machine's architecture has no filter here, or the kernel refused it."""


def program(
    machine: str,
    calls: tuple[str, ...],
    socket_families: tuple[int, ...] | None = None,
    flags: dict[str, int] | None = None,
    unsupported: tuple[str, ...] = (),
    socket_options: tuple[int, tuple[int, ...]] | None = None,
) -> list[tuple[int, int, int, int]]:
    """A filter, as (code, jump if true, jump if false, k) instructions, that denies
    `calls`; each call of `flags` whose first argument has a bit of its mask set;
    setsockopt() of `socket_options` (a level and its option names); given
    `socket_families`, socket() for any family not among them; and answers `unsupported`
    calls ENOSYS."""
    if machine not in ARCHITECTURES:
        raise NoFilter(f"no seccomp filter for {machine} machines")
    numbers = NUMBERS[machine]
    # Built with the labels "allow", "deny" and "unsupported" for jump targets, resolved at
    # the end: a jump's offset counts the instructions it skips.
    labelled = [
        (LOAD, 0, 0, ARCH_OFFSET),
        (JUMP_IF_EQUAL, 1, 0, ARCHITECTURES[machine]),  # another architecture's entry: deny
        (RETURN, 0, 0, DENY),
        (LOAD, 0, 0, NR_OFFSET),
        (JUMP_IF_AT_LEAST, "deny", 0, X32_BIT),  # x32's numbers: deny
        *[(JUMP_IF_EQUAL, "deny", 0, numbers[call]) for call in calls if call not in ABSENT[machine]],
        *[(JUMP_IF_EQUAL, "unsupported", 0, numbers[call]) for call in unsupported],
    ]
    for call, mask in (flags or {}).items():
        labelled += [
            (JUMP_IF_EQUAL, 0, 3, numbers[call]),  # another call: on to the next rule, the number still loaded
            (LOAD, 0, 0, FIRST_ARGUMENT_OFFSET),
            (JUMP_IF_ANY_BIT, "deny", 0, mask),
            (LOAD, 0, 0, NR_OFFSET),
        ]
    if socket_options is not None:
        level, names = socket_options
        labelled += [
            (JUMP_IF_EQUAL, 0, len(names) + 4, numbers["setsockopt"]),  # another call: past this rule
            (LOAD, 0, 0, FIRST_ARGUMENT_OFFSET + ARGUMENT_BYTES),  # the level
            (JUMP_IF_EQUAL, 0, len(names) + 1, level),  # another level: on to reloading the number
            (LOAD, 0, 0, FIRST_ARGUMENT_OFFSET + 2 * ARGUMENT_BYTES),  # the option's name
            *[(JUMP_IF_EQUAL, "deny", 0, name) for name in names],
            (LOAD, 0, 0, NR_OFFSET),
        ]
    if socket_families is not None:
        labelled += [
            (JUMP_IF_EQUAL, 0, "allow", numbers["socket"]),
            (LOAD, 0, 0, FIRST_ARGUMENT_OFFSET),  # the address family
            *[(JUMP_IF_EQUAL, "allow", 0, family) for family in socket_families],
            (RETURN, 0, 0, DENY),
        ]
    labelled += [(RETURN, 0, 0, ALLOW), (RETURN, 0, 0, DENY), (RETURN, 0, 0, UNSUPPORTED)]
    targets = {"allow": len(labelled) - 3, "deny": len(labelled) - 2, "unsupported": len(labelled) - 1}

    def offset(jump, position):
        return targets[jump] - position - 1 if isinstance(jump, str) else jump

    return [(code, offset(true, position), offset(false, position), k) for position, (code, true, false, k) in enumerate(labelled)]


def forbid_unseen_kernel_objects() -> None:
    """Forbid this process and all it forks the kernel objects whose memory no process's
    figures show (see the module's docstring)."""
    forbid(UNSEEN_KERNEL_OBJECTS)


def forbid_network() -> None:
    """Forbid this process and all it forks every socket but a Unix or netlink one, io_uring
    and larger socket buffers (see the module's docstring)."""
    forbid(("io_uring_setup",), socket_families=(AF_UNIX, AF_NETLINK), socket_options=(SOL_SOCKET, BUFFER_SIZES))


def forbid_user_namespaces() -> None:
    """Forbid this process and all it forks a user namespace of its own (unshare or clone
    with CLONE_NEWUSER; clone3, whose flags a filter cannot read, answers ENOSYS, and
    glibc falls back to clone). In one, student code could mount a tmpfs of its own, with
    no size but the machine's, whose memory no process's figures show."""
    forbid((), flags={"unshare": CLONE_NEWUSER, "clone": CLONE_NEWUSER}, unsupported=("clone3",))


def forbid_new_sessions() -> None:
    """Forbid setsid() to this process and all it forks (the worker, once in its session).

    The kernel shares the CPU between sessions (autogroups), not between processes: a
    submission whose children each start a session of their own would take a share per
    child from the classmates graded beside it (issue 10's cpu_hog). Kept in the worker's
    session, all it starts together get one share."""
    forbid(("setsid",))


def forbid(calls: tuple[str, ...], **rules) -> None:
    """Install the filter `program` makes of `calls` and `rules` on this process and all it
    forks, for good; raise NoFilter if it cannot be installed."""
    instructions = program(platform.machine(), calls, **rules)
    raw = b"".join(struct.pack("HBBI", *instruction) for instruction in instructions)
    buffer = ctypes.create_string_buffer(raw, len(raw))

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    libc = ctypes.CDLL(None, use_errno=True)
    prog = Program(len(instructions), ctypes.addressof(buffer))
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        raise NoFilter(f"the kernel refused the seccomp filter (errno {ctypes.get_errno()})")
