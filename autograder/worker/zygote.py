"""The zygotes: warm interpreters of a grading process, from which each sandbox's warm
parent is forked into the sandbox that bubblewrap built; one preloads torch, for the
torch sandboxes, the other only what every warm parent imports, for the sandbox of the
other concepts. On by default wherever they can serve (the bwrap sandbox, the grader
running as root); AUTOGRADER_ZYGOTE=0 turns them off. Below, "the zygote" is either.

Why it may be the default: the zygote holds nothing of the course or of any submission
(it refuses to serve if anything it imported or mapped lies outside the sandbox's binds),
and every joined sandbox has bwrap's namespaces and root, so law 4's letter holds. What
the joined sandboxes of one grading process share is the zygote's memory image of the
preload, its address layout (ASLR) and its str-hash secret: none of it a classmate's
data, as with Android's zygote and every fork server.

Without it, a torch sandbox's warm parent is a fresh interpreter that imports torch and
torch._dynamo inside the sandbox: about 1.4 floors of CPU for every sandbox; the other
sandbox's imports numpy and the standard modules torch loads, about a tenth of a CPU
second a submission (3 % of a complete grading's CPU). The zygote imports them once
(`autograder.worker.preload`, and nothing else: no course data, no student code, nothing
of any submission), with a clean environment, cwd / and a private, empty TMPDIR and HOME.
(The sandbox of the other concepts is not served by the torch zygote: its workers,
forked from an interpreter holding torch, cost more than a fresh start saves.) Then, per
sandbox:

1. the grader starts bwrap with a fresh sandbox's arguments (`isolation.bwrap_arguments`), but with
   no capability added and, as the sandbox's pid 1, a placeholder (`PLACEHOLDER_MAIN`)
   that ignores SIGCHLD (so the kernel reaps the sandbox's orphans, as bwrap's own init
   would) and waits on its stdin, the grader's pipe; bwrap's `--info-fd` names its pid;
2. the grader sends the zygote the fixed message "join" with two descriptors (SCM_RIGHTS),
   a pidfd of that pid 1 and the warm parent's end of the control socket: so the zygote's
   memory, which every sandbox inherits, never holds a submission's path or settings. A
   sandbox started in the background sends it while the zygote is still at its imports
   (each is started with the grading process's first sandbox of its kind it can serve):
   the message waits in its socket;
3. the zygote forks C, which opens the placeholder's root (checking through the pidfd
   that the pid is still that process), joins its namespaces, chroots there, forks G
   (inside the PID namespace) and exits; G, reparented to the zygote (a child subreaper
   that ignores SIGCHLD: a dying PID namespace waits for its zombies to be reaped), makes
   a session of its own, drops the capability bounding and ambient sets, sets
   no_new_privs, takes a fresh sandbox's environment, reseeds its random states, reads its
   settings from the control socket and serves as a fresh warm parent does
   (`autograder.worker.parent.serve`: it leaves root, installs its seccomp filters, ...).

The zygote refuses to serve when a module it imported, or a file it mapped, lies outside
the folders a sandbox holds (`isolation.bound_folders`): its memory would hold what the
sandbox cannot see. The grader then starts each sandbox of its kind the fresh way and, for
a torch sandbox, says why (`WarmParent.zygote_problem`; briefly, in the report's
`sandbox_start_problem`). On
Debian's own python3 it always refuses: its site imports /usr/lib/python3.X/sitecustomize.py,
a link to /etc, which no sandbox holds. It dies with the grading process (PDEATHSIG), and ends, its
private folder removed, when the grader hangs up. User mode (bwrap as an ordinary user) is
not served: the grader could not list the joined processes (they are undumpable and in a
user namespace the grader does not own), so it could neither count their memory nor
kill them one by one.
"""

import ctypes
import fcntl
import json
import os
import platform
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.worker.isolation import PARENT_MAIN, sandbox_environment

SWITCH = "AUTOGRADER_ZYGOTE"  # "0": sandboxes start fresh; unset or anything else: from the zygotes, where they can serve
READY_LIMIT_S = 120.0  # the zygote's imports (torch, torch._dynamo) on a loaded machine
ZYGOTE_MAIN = "import sys; sys.path.insert(0, sys.argv[1]); from autograder.worker.zygote import zygote_main; zygote_main()"
# The sandbox's pid 1 while a joined warm parent serves: it says bwrap's set-up is done,
# then waits for the grader to hang up its stdin. SIGCHLD ignored, so the kernel reaps every
# orphan of the sandbox; SIGINT back to its default, so that, as pid 1, nothing in the
# sandbox can end it with a signal (the kernel drops those a pid 1 has no handler for).
PLACEHOLDER_MAIN = (
    "import os, signal; signal.signal(signal.SIGCHLD, signal.SIG_IGN); signal.signal(signal.SIGINT, signal.SIG_DFL);"
    " os.write(1, b'ready\\n'); os.read(0, 1)"
)
CLONE = {"mnt": 0x00020000, "cgroup": 0x02000000, "uts": 0x04000000, "ipc": 0x08000000, "pid": 0x20000000, "net": 0x40000000}
MUST_DIFFER = ("mnt", "pid", "net", "ipc", "uts")  # what makes the placeholder a sandbox at all
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 24, 36, 38  # <linux/prctl.h>
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4


def switched_on() -> bool:
    """Whether sandboxes should start from the zygotes where they can serve (the switch,
    read here only): yes unless AUTOGRADER_ZYGOTE is "0"."""
    return os.environ.get(SWITCH) != "0"


def brief(problem: str) -> str:
    """A problem of the zygote's as a report may show it: its first clause, without the
    details after ": " or " (" (the paths of files, an error's own text), which every
    problem this module and `autograder.worker.warm_parent` name keeps for there."""
    return re.split(r": | \(", problem, maxsplit=1)[0]


def why_not_here(mode: str) -> str | None:
    """Why the zygote cannot serve sandboxes of this isolation mode here, or None."""
    if mode != "bwrap":
        return f"the zygote serves the bwrap sandbox only, not {mode}"
    if os.geteuid() != 0:
        return "the zygote serves bwrap as root only: as an ordinary user the grader could not list a joined sandbox's processes"
    return None


# ---------------------------------------------------------------- the zygote's side


def zygote_main() -> None:
    """The zygote (argv[1] the engine, argv[2] its socket's descriptor; the folders a sandbox
    holds and its private folder come first on the socket, so that no joined process's
    /proc/PID/cmdline, the zygote's own, names them): preload, check that everything it
    holds is in those folders, say so, then fork a joined warm parent per "join"."""
    sock = socket.socket(fileno=int(sys.argv[2]))
    message = sock.recv(1 << 16)
    if not message:  # the grader hung up before it said
        os._exit(0)
    setup = json.loads(message)
    folders, private, torch = setup["folders"], setup["private"], setup["torch"]
    # started with the sandbox's environment, which its warm parents' /proc/PID/environ
    # shows; what it imports sees a private, empty folder
    os.environ.update({"HOME": private, "TMPDIR": private})
    libc = ctypes.CDLL(None, use_errno=True)
    signal.signal(signal.SIGTERM, lambda *_: _leave(private))
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)  # ends with the grading process...
    if os.getppid() == 1:  # ...which may have ended already
        _leave(private)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # joined warm parents are reparented here...
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # ...and reaped by the kernel
    import numpy  # noqa: F401 - what parent.py imports at its top

    from autograder.worker import parent  # noqa: F401 - and the worker's code below it
    from autograder.worker.preload import preload_standard_modules, preload_torch

    preload_standard_modules()
    if torch:
        preload_torch()
    outside = outside_folders(folders)
    try:
        sock.send(json.dumps({"ready": not outside, "outside": outside[:20]}).encode())
    except OSError:  # the grader has hung up already
        _leave(private)
    while not outside:
        message, fds, _, _ = socket.recv_fds(sock, 16, 2)
        if not message:
            break
        if message == b"join" and len(fds) == 2 and os.fork() == 0:
            try:
                sock.close()
                _join_and_serve(*fds, private)  # never returns...
            finally:
                os._exit(1)  # ...but a fork of the zygote must never go back to its loop
        for fd in fds:
            os.close(fd)
    _leave(private)


def _leave(private: str) -> None:
    shutil.rmtree(private, ignore_errors=True)
    os._exit(0)


def outside_folders(folders: list[str]) -> list[str]:
    """Files this process imported as modules or mapped (shared libraries) that lie outside
    `folders`, as named or once links are resolved: a sandbox holding only `folders` could
    not see them, yet the process's memory would hand their contents to it. A name that
    is no file (a module's stand-in) holds nothing of one."""
    files = {module.__file__ for module in list(sys.modules.values()) if isinstance(getattr(module, "__file__", None), str)}
    with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
        files |= {line.split(maxsplit=5)[5].strip() for line in maps if len(line.split(maxsplit=5)) == 6 and line.split(maxsplit=5)[5].startswith("/")}
    inside = [folder.rstrip("/") + "/" for folder in folders]
    return sorted(
        path for path in files
        if os.path.exists(path)  # not torch's stand-ins (torch._classes names "_classes.py")
        and not all(any(name.startswith(folder) for folder in inside) for name in (os.path.abspath(path), os.path.realpath(path)))
    )  # fmt: skip


def _join_and_serve(pidfd: int, control_fd: int, private: str) -> None:
    """C, then G: join the sandbox of `pidfd`'s process, fork into its PID namespace, serve."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the zygote's own, as a fresh interpreter has
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    libc = ctypes.CDLL(None, use_errno=True)
    try:
        _join(libc, pidfd)
    except OSError as problem:
        _refuse(control_fd, f"could not join the sandbox: {problem}")
    if os.fork() != 0:
        os._exit(0)  # C leaves; G is reparented to the zygote (a subreaper)
    try:
        os.setsid()  # as bwrap's --new-session: a session (and autogroup) of its own
        os.chdir("/tmp")
        _drop_privileges(libc)
    except OSError as problem:
        _refuse(control_fd, f"could not give up the zygote's privileges: {problem}")
    _take_sandbox_environment(private)
    _reseed()
    control = socket.socket(fileno=control_fd)
    settings = json.loads(control.recv(1 << 16))
    control.detach()
    from autograder.worker import parent

    settings["control_fd"] = control_fd
    sys.argv[1:] = [json.dumps(settings), sys.argv[1]]  # as a fresh warm parent's: its settings, the engine
    sys.orig_argv = [sys.executable, "-I", "-c", PARENT_MAIN, *sys.argv[1:]]  # its command line, not the zygote's
    parent.serve(settings)
    os._exit(0)


def _join(libc, pidfd: int) -> None:
    """Join the namespaces and the root of `pidfd`'s process (bwrap as root: no user namespace)."""
    pid = _pid_of(pidfd)
    root = os.open(f"/proc/{pid}/root", os.O_PATH | os.O_DIRECTORY)
    signal.pidfd_send_signal(pidfd, 0)  # still that process: the root opened is the sandbox's
    mine = {name: _ns_id(f"/proc/self/ns/{name}") for name in CLONE}
    theirs = {name: _ns_id(f"/proc/{pid}/ns/{name}") for name in CLONE}
    shared = [name for name in MUST_DIFFER if mine[name] == theirs[name]]
    if shared or _ns_id("/proc/self/ns/user") != _ns_id(f"/proc/{pid}/ns/user"):
        raise OSError(f"the placeholder is no sandbox the zygote can join (shared: {shared}, or another user namespace)")
    if libc.setns(pidfd, sum(CLONE[name] for name in CLONE if mine[name] != theirs[name])) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"setns: {os.strerror(errno)}")
    os.fchdir(root)
    os.chroot(".")
    os.close(root)
    os.close(pidfd)


def _ns_id(path: str) -> tuple[int, int]:
    status = os.stat(path)
    return status.st_dev, status.st_ino


def _pid_of(pidfd: int) -> int:
    with open(f"/proc/self/fdinfo/{pidfd}", encoding="ascii") as info:
        return int(next(line for line in info if line.startswith("Pid:")).split()[1])


def _drop_privileges(libc) -> None:
    """What bwrap's --cap-drop ALL and no_new_privs give its child, and more: an empty
    bounding set (a fresh warm parent keeps CAP_SETUID/SETGID there). The warm parent then
    leaves root for the submission's own user (`parent.serve`), which clears the rest."""
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    for capability in range(last + 1):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "PR_CAPBSET_DROP")
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")


def _take_sandbox_environment(private: str) -> None:
    """The environment bwrap gives a fresh warm parent (`isolation.sandbox_environment`,
    and PWD), with what the preload added to it as it adds it there: in the sandbox's
    /tmp, not in the zygote's `private` folder (torch's TORCHINDUCTOR_CACHE_DIR); and the
    timezone and host name the sandbox has (UTC: it holds no /etc/localtime), not the host's."""
    start = sandbox_environment()
    added = {key: value.replace(private, "/tmp") for key, value in os.environ.items() if key not in start}
    os.environ.clear()
    os.environ.update({**start, "PWD": "/tmp", **added})
    tempfile.tempdir = None  # looked up again, in the sandbox's /tmp
    time.tzset()  # the C library read the host's timezone (/etc/localtime) at the zygote's start
    platform._uname_cache = None  # the host's name, if the preload asked (torch does): the sandbox's is "sandbox"


def _reseed() -> None:
    """Fresh random states, as a fresh interpreter has: the zygote's, seeded once, would be
    every sandbox's (Python's str hash secret stays the zygote's: it is fixed at its start).
    Torch's default generator, multiprocessing's authentication key and the generators
    sympy made for itself (sympy.core.random's `rng` and `_assumptions_rng`, which torch's
    import loads), each seeded from os.urandom at import in a fresh interpreter, are fresh
    too. (After the preload, no other module holds a generator of its own.)"""
    import multiprocessing
    import random

    import numpy

    random.seed()
    numpy.random.seed()
    if "torch" in sys.modules:
        sys.modules["torch"].seed()
    if "sympy.core.random" in sys.modules:
        sys.modules["sympy.core.random"].seed()  # seed(None) reseeds both of its generators
    multiprocessing.current_process().authkey = os.urandom(32)


def _refuse(control_fd: int, problem: str) -> None:
    try:
        socket.socket(fileno=control_fd).send(json.dumps({"ready": False, "problem": problem}).encode())
    except OSError:  # the grader has given the sandbox up already (killed, or it waited too long)
        pass
    os._exit(1)


# ---------------------------------------------------------------- the grader's side


class ZygoteRefused(Exception):
    """The zygote did not start, or will not serve (what it holds lies outside the sandbox)."""


class Zygote:
    """A zygote of this process, for torch sandboxes (`torch`: it preloads torch) or for the
    others. `folders`: what a sandbox holds (isolation.bound_folders). Starts in the
    background; `wait_ready()` waits for it, raising ZygoteRefused."""

    def __init__(self, folders: list[str], torch: bool = True):
        self.torch = torch
        self.sock, inside = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.private = tempfile.mkdtemp(prefix="autograder-zygote-")
        engine = str(Path(__file__).resolve().parent.parent.parent)
        environment = sandbox_environment()  # the private folder replaces HOME and TMPDIR first thing
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-c", ZYGOTE_MAIN, engine, str(inside.fileno())],
                pass_fds=(inside.fileno(),), env=environment, cwd="/", stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        except OSError as problem:
            self.sock.close()
            shutil.rmtree(self.private, ignore_errors=True)
            raise ZygoteRefused(f"the zygote did not start ({problem})") from None
        finally:
            inside.close()
        self.sock.send(json.dumps({"folders": folders, "private": self.private, "torch": torch}).encode())
        self.problem: str | None = None
        self.ready = False

    def wait_ready(self) -> None:
        """Wait until the zygote has said it serves; raise ZygoteRefused (and end it) if not."""
        if self.ready:
            return
        if self.problem is None:
            self.problem = self._first_word()
        if self.problem is not None:
            self.close()
            raise ZygoteRefused(self.problem)
        self.ready = True

    def _first_word(self) -> str | None:
        if not select.select([self.sock], [], [], READY_LIMIT_S)[0]:
            return "the zygote did not start in time"
        try:
            word = json.loads(self._receive_word() or b"null")
        except (OSError, ValueError):
            word = None
        if not isinstance(word, dict):
            return "the zygote ended before it served"
        if word.get("ready") is not True:
            return f"the zygote holds files a sandbox cannot see: {', '.join(map(str, word.get('outside', [])))}"
        return None

    def _receive_word(self) -> bytes:
        """The zygote's first word. One that ended with a "join" unread in its socket (it
        refused, or was killed) leaves ECONNRESET, which the first read returns before the
        word it sent."""
        try:
            return self.sock.recv(1 << 16)
        except ConnectionResetError:
            return self.sock.recv(1 << 16)

    def answered(self) -> bool:
        """Whether the zygote has said whether it serves, or has ended, without waiting."""
        if self.ready or self.problem is not None or self.sock.fileno() < 0:
            return True
        return bool(select.select([self.sock], [], [], 0)[0])

    def alive(self) -> bool:
        return self.process.poll() is None

    def join(self, pidfd: int, control_fd: int) -> None:
        """Ask for a warm parent in the sandbox whose pid 1 `pidfd` holds, served on `control_fd`."""
        socket.send_fds(self.sock, [b"join"], [pidfd, control_fd])

    def close(self) -> None:
        """Hang up: the zygote removes its private folder and ends (killed if it does not)."""
        self.sock.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.private, ignore_errors=True)


class Zygotes:
    """This process's zygotes, once started, by whether they preload torch (one for torch
    sandboxes, one for the others); `refused`: why one does not serve, once known."""

    shared: dict[bool, Zygote] = {}
    refused: dict[bool, str] = {}


def start_zygote(*, torch: bool = True) -> None:
    """Start this process's zygote for torch sandboxes (or, without `torch`, for the others)
    in the background, if the switch is on, it can serve here (bwrap as root) and none was
    started. A grading process starts each with its first sandbox of that kind in the bwrap
    sandbox (`ready_zygote`), never for another mode."""
    from autograder.worker.isolation import bound_folders

    if not switched_on() or why_not_here("bwrap") is not None or torch in Zygotes.shared or torch in Zygotes.refused:
        return
    try:
        Zygotes.shared[torch] = Zygote(bound_folders(), torch)
    except ZygoteRefused as problem:
        Zygotes.refused[torch] = str(problem)


def ready_zygote(*, torch: bool = True, wait: bool = True) -> Zygote:
    """This process's zygote for torch sandboxes (or, without `torch`, for the others),
    started if need be and, with `wait`, waited for; without, one still at its imports is
    handed out as it is (a "join" sent to it waits in its socket until it serves: a
    session's torch sandbox, started ahead, waits for it while the session collects and
    grades its other concepts). ZygoteRefused says why there is none (it refused once: not
    again in this process's life)."""
    start_zygote(torch=torch)
    if torch in Zygotes.refused:
        raise ZygoteRefused(Zygotes.refused[torch])
    zygote = Zygotes.shared[torch]
    if not wait and not zygote.answered():
        return zygote
    try:
        zygote.wait_ready()
    except ZygoteRefused as problem:
        del Zygotes.shared[torch]
        Zygotes.refused[torch] = str(problem)
        raise
    if not zygote.alive():
        del Zygotes.shared[torch]
        Zygotes.refused[torch] = "the zygote has ended"
        zygote.close()
        raise ZygoteRefused(Zygotes.refused[torch])
    return zygote


def refusal(zygote: Zygote) -> str | None:
    """Why `zygote` serves no sandbox, if it has said so or ended, without waiting; else
    None. A warm parent asked of it before it answered never comes if it refused."""
    if zygote is not Zygotes.shared.get(zygote.torch):
        return Zygotes.refused.get(zygote.torch)
    if not zygote.answered():
        return None
    try:
        ready_zygote(torch=zygote.torch)
    except ZygoteRefused as problem:
        return str(problem)
    return None


def stop_zygote() -> None:
    """End this process's zygotes, if they run (their joined sandboxes live on until killed)."""
    while Zygotes.shared:
        _, zygote = Zygotes.shared.popitem()
        zygote.close()
