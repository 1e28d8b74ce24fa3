"""Prototype (not wired into the engine): a submission's warm parent forked from a shared,
already-warm zygote that joins a sandbox bubblewrap built, instead of a fresh interpreter
that imports torch inside it.

Per grading process, one zygote: `python -I` with the sandbox's ENVIRONMENT, cwd /, that
imports what a warm parent preloads (numpy, the worker's code, the standard modules torch
loads, torch and torch._dynamo) and nothing else: no course data, no student code, no
per-submission data either. It receives, per submission, one fixed message ("join") with
two descriptors (SCM_RIGHTS): a pidfd of the sandbox's pid 1 and the warm parent's end of
the control socket. So its memory, which every sandbox inherits, never holds a submission's
path, pid or settings.

Per submission:
1. the grader starts bubblewrap exactly as today (`isolation.bwrap_arguments`), except that
   the command is a placeholder run as the sandbox's pid 1 (`--as-pid-1`): sleep, ignoring
   SIGCHLD (so the kernel reaps every orphan of the sandbox, as bwrap's init would); bwrap's `--info-fd` names its host pid, a line on its stdout says
   bwrap's set-up is done; the grader opens its pidfd and passes it to the zygote;
2. the zygote forks C, which opens /proc/PID/root (checking with the pidfd that PID is
   still that process), joins the sandbox's namespaces (in user mode first the user
   namespace that owns them, then the others with the pidfd, then bwrap's nested user
   namespace of --disable-userns), fchdir+chroot to the sandbox's root, forks G (inside the
   PID namespace) and exits; the zygote, a child subreaper ignoring SIGCHLD, reaps G when
   it ends (a pid namespace's init waits for its zombies to be reaped, even by a parent
   outside);
3. G: setsid, chdir /tmp, drops the capability bounding set and the ambient set, sets
   no_new_privs (user mode: also clears its capabilities, which joining a user namespace
   granted), reads its settings from the control socket, and runs
   `autograder.worker.parent.main` unchanged: closing every other descriptor, leaving root
   (root mode), seccomp filters, limits, undumpable, preload (already done), hello, serve.

Run (as root; add --user-mode as an ordinary user):
    python prototype/zygote.py check     # today's sandbox and the joined one, fact by fact
    python prototype/zygote.py bench     # CPU and wall per submission, 5 rounds, medians
"""

import argparse
import ctypes
import fcntl
import json
import os
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENGINE = str(HERE.parent)
# The zygote's command: argv[1] the engine (as PARENT_MAIN's argv[2]), argv[2] this folder
# (taken off sys.path once this module is imported), argv[3] its socket's descriptor.
ZYGOTE_MAIN = (
    "import sys; sys.path.insert(0, sys.argv[1]); sys.path.append(sys.argv[2]); import zygote;"
    " sys.path.remove(sys.argv[2]); zygote.zygote_main(int(sys.argv[3]))"
)
CLONE = {"mnt": 0x00020000, "cgroup": 0x02000000, "uts": 0x04000000, "ipc": 0x08000000, "user": 0x10000000, "pid": 0x20000000, "net": 0x40000000}
MUST_DIFFER = ("mnt", "pid", "net", "ipc", "uts")  # what makes the placeholder a sandbox at all
NS_GET_USERNS, NS_GET_PARENT = 0xB701, 0xB702  # <linux/nsfs.h>: _IO(0xb7, 1), _IO(0xb7, 2)
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER = 1, 24, 38, 36
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
LINUX_CAPABILITY_VERSION_3 = 0x20080522
# The sandbox's pid 1: says bwrap's set-up is done, then sleeps ignoring SIGCHLD, so the
# kernel reaps every orphan of the sandbox (as bwrap's own init would; dash's `trap ''
# CHLD` catches the signal instead, and its `read` then returns). As pid 1, no kill(-1)
# from inside reaches it (the warm parent's reset, in user mode run as the same user).
PLACEHOLDER = ["/bin/sh", "-c", "echo ready; exec env --ignore-signal=CHLD sleep infinity"]


# ---------------------------------------------------------------- the zygote's side


def zygote_main(sock_fd: int) -> None:
    """The zygote: preload, then fork a joined warm parent for each "join" it receives."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # dies with the grading process
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # the joined warm parents are reparented here...
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # ...and reaped by the kernel
    import numpy  # noqa: F401 - what parent.py imports at its top

    from autograder.worker import parent  # noqa: F401 - and the worker's code below it
    from autograder.worker.preload import preload_standard_modules, preload_torch

    preload_standard_modules()
    preload_torch()
    sock = socket.socket(fileno=sock_fd)
    sock.send(b"ready")
    while True:
        message, fds, _, _ = socket.recv_fds(sock, 16, 2)
        if not message:
            os._exit(0)
        if message == b"join" and len(fds) == 2 and os.fork() == 0:
            sock.close()
            _join_and_serve(*fds)  # never returns
        for fd in fds:
            os.close(fd)


def _join_and_serve(pidfd: int, control_fd: int) -> None:
    """C, then G: join the sandbox of `pidfd`'s process, fork into its PID namespace, serve."""
    libc = ctypes.CDLL(None, use_errno=True)
    try:
        joined_user = _join(libc, pidfd)
    except OSError as problem:
        _refuse(control_fd, f"could not join the sandbox: {problem}")
    if os.fork() != 0:
        os._exit(0)  # C leaves; G is reparented to the zygote (a subreaper)
    os.setsid()  # as bwrap's --new-session: a session (and autogroup) of its own
    os.chdir("/tmp")
    os.environ["PWD"] = "/tmp"  # what bwrap's --chdir sets; the rest of the environment is the zygote's, bwrap's --setenv
    _drop_privileges(libc, joined_user)
    _reseed()
    control = socket.socket(fileno=control_fd)
    settings = json.loads(control.recv(1 << 16))
    control.detach()
    settings["control_fd"] = control_fd
    sys.argv[1:] = [json.dumps(settings), ENGINE]
    from autograder.worker import parent

    parent.main()
    os._exit(0)


def _join(libc, pidfd: int) -> bool:
    """Join the namespaces and the root of `pidfd`'s process; whether a user namespace was joined."""
    pid = _pid_of(pidfd)
    root = os.open(f"/proc/{pid}/root", os.O_PATH | os.O_DIRECTORY)
    signal.pidfd_send_signal(pidfd, 0)  # still that process: the root opened is the sandbox's
    mine = {name: _ns_id(f"/proc/self/ns/{name}") for name in CLONE}
    theirs = {name: _ns_id(f"/proc/{pid}/ns/{name}") for name in CLONE}
    if any(mine[name] == theirs[name] for name in MUST_DIFFER):
        raise OSError(f"the placeholder shares a namespace with the zygote: {[n for n in MUST_DIFFER if mine[n] == theirs[n]]}")
    flags = sum(CLONE[name] for name in CLONE if name != "user" and mine[name] != theirs[name])
    joined_user = mine["user"] != theirs["user"]
    if joined_user:
        # bwrap's namespaces are owned by the user namespace it made; with --disable-userns
        # the process runs in one nested in that. Walk down to the owner, join the rest, then
        # on down to the process's own.
        target = os.open(f"/proc/{pid}/ns/user", os.O_RDONLY)
        mnt = os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY)
        owner = fcntl.ioctl(mnt, NS_GET_USERNS)
        os.close(mnt)
        above_owner = _user_path(owner, mine["user"])
        below_owner = _user_path(target, _ns_id(f"/proc/self/fd/{owner}"))
        for fd in above_owner:
            _setns(libc, fd, CLONE["user"])
        _setns(libc, pidfd, flags)
        for fd in below_owner:
            _setns(libc, fd, CLONE["user"])
    else:
        _setns(libc, pidfd, flags)
    os.fchdir(root)
    os.chroot(".")
    os.close(root)
    os.close(pidfd)
    return joined_user


def _user_path(fd: int, stop: tuple) -> list[int]:
    """Descriptors of the user namespaces from just below `stop` down to `fd`'s, outermost first."""
    path = []
    while _ns_id(f"/proc/self/fd/{fd}") != stop:
        path.append(fd)
        fd = fcntl.ioctl(fd, NS_GET_PARENT)
    os.close(fd)
    return path[::-1]


def _setns(libc, fd: int, flags: int) -> None:
    if libc.setns(fd, flags) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"setns({flags:#x}): {os.strerror(errno)}")


def _ns_id(path: str) -> tuple:
    status = os.stat(path)
    return status.st_dev, status.st_ino


def _pid_of(pidfd: int) -> int:
    with open(f"/proc/self/fdinfo/{pidfd}", encoding="ascii") as info:
        return int(next(line for line in info if line.startswith("Pid:")).split()[1])


def _drop_privileges(libc, joined_user: bool) -> None:
    """What bwrap's --cap-drop ALL and no_new_privs give its child, and more: an empty
    bounding set (today's root mode keeps CAP_SETUID/SETGID there). As root, parent.main
    then leaves root for the sandbox's user, which clears the rest; in user mode, joining
    the user namespace granted every capability in it: cleared here."""
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    for capability in range(last + 1):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "PR_CAPBSET_DROP")
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
    if joined_user:
        header = (ctypes.c_uint32 * 2)(LINUX_CAPABILITY_VERSION_3, 0)
        data = (ctypes.c_uint32 * 6)()  # two {effective, permitted, inheritable}, all empty
        if libc.capset(header, data) != 0:
            raise OSError(ctypes.get_errno(), "capset")


def _reseed() -> None:
    """Fresh random states, as a fresh interpreter has: the zygote's, seeded once, would be
    every sandbox's (Python's str hash secret stays the zygote's: it is fixed at its start)."""
    import random

    import numpy

    random.seed()
    numpy.random.seed()


def _refuse(control_fd: int, problem: str) -> None:
    control = socket.socket(fileno=control_fd)
    control.send(json.dumps({"ready": False, "problem": problem}).encode())
    os._exit(1)


# ---------------------------------------------------------------- the grader's side


class Zygote:
    """The grading process's zygote (started once, warm once it says ready)."""

    def __init__(self):
        from autograder.worker.isolation import ENVIRONMENT

        self.sock, inside = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        environment = {**ENVIRONMENT, "HOME": "/tmp", "TMPDIR": "/tmp"}  # bwrap's --setenv, exactly
        log = open(os.environ.get("ZYGOTE_LOG", os.devnull), "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-c", ZYGOTE_MAIN, ENGINE, str(HERE), str(inside.fileno())], pass_fds=(inside.fileno(),),
            env=environment, cwd="/", stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
        inside.close()
        log.close()
        if not select.select([self.sock], [], [], 120)[0] or self.sock.recv(16) != b"ready":
            raise RuntimeError("the zygote did not start")

    def join(self, pidfd: int, control_fd: int) -> None:
        socket.send_fds(self.sock, [b"join"], [pidfd, control_fd])

    def close(self) -> None:
        self.sock.close()
        self.process.wait(timeout=10)


def joined_parent_class():
    from autograder.worker.isolation import BWRAP_SCRATCH, SANDBOX_ROOT, _settings_json, bwrap_arguments
    from autograder.worker.limits import descendants
    from autograder.worker.warm_parent import SandboxBroken, WarmParent

    class JoinedParent(WarmParent):
        """A WarmParent whose warm parent comes from `zygote`, joined into a sandbox that
        bwrap built around a placeholder; greet, spawn, reset, memory_bytes and kill are
        WarmParent's own."""

        def __init__(self, zygote: Zygote, isolation, layout, limits, probe=(), start_limit_s=60.0):
            self.isolation, self.layout, self.limits = isolation, layout, limits
            self.preloaded_torch = True
            self.control, inside = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            info_read, info_write = os.pipe()
            arguments = _without_added_capabilities(bwrap_arguments(layout))
            self.process = subprocess.Popen(
                [isolation.bwrap, *arguments, "--as-pid-1", "--info-fd", str(info_write), "--", *PLACEHOLDER],
                pass_fds=(info_write,), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                cwd=layout.workdir, start_new_session=True,
            )  # fmt: skip
            os.close(info_write)
            self.greeting_deadline = time.monotonic() + start_limit_s
            self.greeted = False
            try:
                with os.fdopen(info_read, "rb") as info:
                    self.init_pid = json.loads(info.read())["child-pid"]
                if self.process.stdout.readline() != b"ready\n":
                    raise SandboxBroken("the placeholder did not start")
                pidfd = os.pidfd_open(self.init_pid)
                if _ppid(self.init_pid) != self.process.pid:  # the pid was not reused before the pidfd was opened
                    os.close(pidfd)
                    raise SandboxBroken("the sandbox's init ended early")
                self.pid_namespace = os.stat(f"/proc/{self.init_pid}/ns/pid").st_ino
                zygote.join(pidfd, inside.fileno())
                os.close(pidfd)
            except (OSError, ValueError, KeyError) as problem:
                self.kill()
                raise SandboxBroken(str(problem)) from None
            finally:
                inside.close()
            settings = {
                "uid": layout.uid, "limits": asdict(limits), "kill_scope": "sandbox", "seccomp": True, "probe": list(probe), "preload_torch": True,
            }  # fmt: skip
            inner = _settings_json(settings, Path(SANDBOX_ROOT) / "submission", Path("/tmp"), [Path(folder) for folder in BWRAP_SCRATCH])
            self.control.send(inner.encode())

        def processes(self) -> list[int]:
            """bwrap and every process in the sandbox's PID namespace (the joined warm parent
            is no descendant of bwrap's)."""
            pids = descendants(self.process.pid) if self.process.poll() is None else []
            for entry in os.listdir("/proc"):
                if entry.isdigit() and int(entry) not in pids:
                    try:
                        if os.stat(f"/proc/{entry}/ns/pid").st_ino == self.pid_namespace:
                            pids.append(int(entry))
                    except OSError:
                        continue
            return pids

    return JoinedParent


def _without_added_capabilities(arguments: list[str]) -> list[str]:
    """bwrap's arguments without `--cap-add X`: the placeholder needs none (the warm parent
    gets what it needs, for a moment, from the zygote)."""
    kept, skip = [], False
    for argument in arguments:
        if skip:
            skip = False
        elif argument == "--cap-add":
            skip = True
        else:
            kept.append(argument)
    return kept


def _ppid(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return int(next(line for line in status if line.startswith("PPid:")).split()[1])


# ---------------------------------------------------------------- checks and measurements


def _layout():
    from autograder.worker.isolation import Isolation, find_bwrap
    from autograder.worker.limits import Limits
    from autograder.worker.spares import new_layout

    isolation = Isolation("bwrap", find_bwrap())
    limits = Limits()
    layout = new_layout(isolation, limits)
    shutil.copy(HERE / "probe_submission" / "probe.py", layout.submission / "probe.py")
    return isolation, limits, layout


def _call(parent, module: str, name: str, *args, limit_s: float = 60.0):
    """One worker in `parent`: import `module`, call `name(*args)`; its reply and the worker's socket."""
    from autograder.worker.channel import receive_message, send_message
    from autograder.worker.codec import decode_message, encode_message

    sock, _ = parent.spawn()
    deadline = time.monotonic() + limit_s
    replies = []
    for payload in ({"op": "import", "module": module}, {"op": "call", "module": module, "name": name, "args": list(args), "kwargs": {}}):
        send_message(sock, encode_message(payload, _refuse_objects), deadline)
        replies.append(decode_message(receive_message(sock, deadline, 1 << 24), lambda tag, body: body))
    sock.close()
    return replies[-1]


def _refuse_objects(value):
    raise TypeError(type(value).__name__)


def _secrets() -> list[str]:
    canary = Path(tempfile.mkdtemp(prefix="zygote-canary-"))
    (canary / "secret").write_text("hidden")
    return [str(canary / "secret"), "/work/main/solutions", "/work/main/checks/hidden", "/work/shared", "/root/.bashrc", "/work/notes", str(HERE)]


def check() -> int:
    """Facts seen by student code in today's sandbox and in a joined one, side by side;
    then reset, orphan and kill behaviour of the joined one."""
    from autograder.worker.warm_parent import WarmParent

    secrets = _secrets()
    os.environ["ZYGOTE_CANARY"] = f"canary-{os.urandom(8).hex()}"  # in the grading process only
    zygote = Zygote()
    isolation, limits, layout = _layout()
    today = WarmParent(isolation, layout, limits, probe=tuple(secrets), preload_torch=True)
    before = _call(today, "probe", "facts", secrets)
    torch_today = _call(today, "probe", "train_step")
    today.kill()
    isolation, limits, layout = _layout()
    joined = joined_parent_class()(zygote, isolation, layout, limits, probe=tuple(secrets))
    joined.greet()
    after = _call(joined, "probe", "facts", secrets)
    torch_joined = _call(joined, "probe", "train_step")
    if "ok" not in before or "ok" not in after:
        print("a probe failed:", before, after)
        return 1
    before, after = before["ok"], after["ok"]
    print(f"{'fact':28} | today's warm parent | joined from the zygote")
    for key in before:
        mark = "  " if before[key] == after[key] else "≠ "
        print(f"{mark}{key:26} | {json.dumps(before[key])[:400]}")
        if before[key] != after[key]:
            print(f"  {'':26} | {json.dumps(after[key])[:400]}")
    print("torch step (today, joined):", torch_today, torch_joined)
    # the memory of student code in a second joined sandbox: nothing of the first one's,
    # nor of its own host path, nor of the grading process's (a canary in its environment);
    # "/sandbox/submission" shows the scan works. (The zygote's own module, this file, is
    # in it whole: its source was read to be compiled.)
    first_home = str(layout.submission.parent)
    second_isolation, _, second_layout = _layout()
    second = joined_parent_class()(zygote, second_isolation, second_layout, limits, probe=tuple(secrets))
    second.greet()
    needles = [first_home, str(second_layout.submission.parent), os.environ["ZYGOTE_CANARY"], "/sandbox/submission"]
    halves = [[needle[: len(needle) // 2], needle[len(needle) // 2 :]] for needle in needles]
    print("memory of a worker in a second joined sandbox holds:", dict(zip(needles, _call(second, "probe", "scan", halves)["ok"])))
    print("its random state (the first's was", after["random_state"], "):", _call(second, "probe", "facts", secrets)["ok"]["random_state"])
    second.kill()
    # reset: kill(-1) inside must leave the placeholder (pid 1) and the warm parent alive
    joined.reset()
    again = _call(joined, "probe", "train_step")
    print("after a reset, a new worker's torch step:", again)
    # killing bwrap's pid 1 from the host ends every process of the sandbox
    from autograder.worker.limits import descendants

    _call(joined, "probe", "train_step")  # and a worker left running (its socket is closed, it lingers until it reads)
    below_zygote = [pid for pid in descendants(zygote.process.pid) if pid != zygote.process.pid]
    inside = sorted({*below_zygote, *(pid for pid in joined.processes() if pid != joined.process.pid)})
    os.kill(joined.init_pid, signal.SIGKILL)
    time.sleep(0.5)
    left = [pid for pid in inside if os.path.exists(f"/proc/{pid}") and not _zombie(pid)]
    print(f"processes of the sandbox (host pids) {inside}; alive 0.5 s after killing its pid 1: {left}")
    print("bwrap's exit code:", joined.process.wait(timeout=10))
    joined.kill()
    zygote.close()
    return 0


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            return any(line.startswith("State:") and "Z" in line.split()[1] for line in status)
    except OSError:
        return True


class CgroupCpu:
    """CPU seconds of this process and all it starts from now on (cgroup v1 cpuacct, or v2)."""

    def __init__(self, name: str = "zygote_prototype"):
        for folder, read in ((Path("/sys/fs/cgroup/cpuacct") / name, lambda f: int((f / "cpuacct.usage").read_text()) / 1e9),
                             (Path("/sys/fs/cgroup") / name, lambda f: int((f / "cpu.stat").read_text().split()[1]) / 1e6)):  # fmt: skip
            try:
                folder.mkdir(exist_ok=True)
                read(folder)
                (folder / "cgroup.procs").write_text(str(os.getpid()))
            except OSError:
                continue
            self.seconds = lambda folder=folder, read=read: read(folder)
            return
        self.seconds = lambda: sum(resource_times())  # no cgroup: this process and its reaped children


def resource_times() -> tuple[float, float]:
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def bench(repeat: int) -> int:
    """Per submission, CPU seconds (cgroup) and wall seconds to the warm parent's hello and to
    a first worker's torch step, today's way and joined; the floor in the same run."""
    from autograder.worker.warm_parent import WarmParent

    meter = CgroupCpu()
    started = meter.seconds(), time.perf_counter()
    zygote = Zygote()
    zygote_cost = meter.seconds() - started[0], time.perf_counter() - started[1]
    rows = {"floor": [], "today": [], "joined": []}
    JoinedParent = joined_parent_class()
    for _ in range(repeat):
        cpu, wall = meter.seconds(), time.perf_counter()
        subprocess.run([sys.executable, "-c", "import torch"], check=True)
        rows["floor"].append((meter.seconds() - cpu, time.perf_counter() - wall, 0.0, 0.0))
        for way in ("today", "joined"):
            isolation, limits, layout = _layout()
            cpu, wall = meter.seconds(), time.perf_counter()
            if way == "today":
                parent = WarmParent(isolation, layout, limits, preload_torch=True)
            else:
                parent = JoinedParent(zygote, isolation, layout, limits)
                parent.greet()
            hello = meter.seconds() - cpu, time.perf_counter() - wall
            assert "ok" in _call(parent, "probe", "train_step")
            parent.kill()
            rows[way].append((*hello, meter.seconds() - cpu, time.perf_counter() - wall))
            shutil.rmtree(layout.submission.parent, ignore_errors=True)
    zygote.close()
    print(f"zygote start (once per grading process): {zygote_cost[0]:.2f} CPU s, {zygote_cost[1]:.2f} s wall")
    print(f"{'':8} {'CPU to hello':>13} {'wall to hello':>14} {'CPU to step+end':>16} {'wall to step+end':>17}   (medians of {repeat}, seconds)")
    print(f"{'floor':8} {statistics.median(run[0] for run in rows['floor']):13.3f} {statistics.median(run[1] for run in rows['floor']):14.3f}   (python -c 'import torch')")
    for way in ("today", "joined"):
        runs = rows[way]
        medians = [statistics.median(run[i] for run in runs) for i in range(4)]
        print(f"{way:8} {medians[0]:13.3f} {medians[1]:14.3f} {medians[2]:16.3f} {medians[3]:17.3f}   all CPU to hello: {[round(r[0], 3) for r in runs]}")
    floor = statistics.median(run[0] for run in rows["floor"])
    for way in ("today", "joined"):
        print(f"{way}: {statistics.median(run[2] for run in rows[way]) / floor:.2f} floors per submission (to a torch step and the end)")
    return 0


def main() -> int:
    sys.path.insert(0, ENGINE)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("verb", choices=("check", "bench"))
    parser.add_argument("--repeat", type=int, default=5)
    arguments = parser.parse_args()
    return check() if arguments.verb == "check" else bench(arguments.repeat)


if __name__ == "__main__":
    sys.exit(main())
