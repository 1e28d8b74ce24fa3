"""The grader's handle on one submission's sandbox: its warm parent and all below it.

`WarmParent` starts `autograder.worker.parent` in the chosen isolation, asks it for
workers and for a reset, adds up the memory of the sandbox's processes, and kills the
whole sandbox. Everything the warm parent says is read against a deadline and checked for
shape: student code runs beside it as the same user, so it is trusted with nothing.
"""

import json
import os
import select
import signal
import socket
import subprocess
import time
from dataclasses import asdict

from autograder.worker.isolation import (
    BWRAP_SCRATCH, ENVIRONMENT, Isolation, Layout, bwrap_settings_json, owners_in_shared_scratch, parent_command, placeholder_command,
    sandbox_uids_of, shared_scratch, sweep_command,
)  # fmt: skip
from autograder.worker.limits import KERNEL_BYTES_PER_FILE, Limits, claimed_bytes, descendants, files_in_scratch, processes_of_user, users_running
from autograder.worker.zygote import Zygote, ZygoteRefused, ready_zygote, refusal, switched_on, why_not_here

START_LIMIT_S = 60.0  # Python and numpy (and torch, when preloaded) starting on a loaded machine
CONTROL_LIMIT_S = 10.0  # a spawn or a reset, times --time-scale (`autograder.worker.sandbox`)
SWEEP_LIMIT_S = 30.0  # the uid sandbox's last sweep: an interpreter's start and a few rounds
REPLY_BYTES = 4096


class SandboxBroken(Exception):
    """The sandbox did not start, or its warm parent stopped answering as it should."""


class SecretsVisible(SandboxBroken):
    """The sandbox can read files the course keeps secret (`paths`)."""

    def __init__(self, paths: list[str]):
        super().__init__(", ".join(paths))
        self.paths = paths


class WarmParent:
    """One running sandbox. Raises SandboxBroken when it cannot start, SecretsVisible
    when one of `probe` (paths the course keeps secret) can be read from inside. With
    `preload_torch`, the warm parent imports torch before it says hello; `start_limit_s`:
    how long it may take to say it, from its start; `control_limit_s`: how long a spawn or a
    reset may take (a reset that has not emptied the sandbox by then replaces it). With
    `wait=False`, the sandbox starts in the background and `greet()` waits for its hello,
    raising what the constructor would have raised (nor does it wait for the zygote's
    imports).

    Unless switched off (AUTOGRADER_ZYGOTE=0), the warm parent is forked into the sandbox
    bwrap built from one of this process's zygotes (`autograder.worker.zygote`: the one that
    preloaded torch for a torch sandbox, the other for the rest), instead of a fresh
    interpreter importing numpy (and torch) in it; where that cannot be, or fails before the
    warm parent's hello, the sandbox starts the fresh way, and `zygote_problem` says why
    (`zygote_wanted`: a zygote serves such a sandbox here, so a fresh start is a fallback)."""

    def __init__(
        self,
        isolation: Isolation,
        layout: Layout,
        limits: Limits,
        probe: tuple[str, ...] = (),
        preload_torch: bool = False,
        start_limit_s: float = START_LIMIT_S,
        control_limit_s: float = CONTROL_LIMIT_S,
        *,
        wait: bool = True,
    ):
        self.isolation, self.layout, self.limits = isolation, layout, limits
        self.control_limit_s = control_limit_s
        self.preloaded_torch = preload_torch
        self.start_limit_s = start_limit_s
        self.settings = {
            "uid": layout.uid if isolation.mode == "bwrap" else None,
            "limits": asdict(limits),
            "kill_scope": "groups" if isolation.mode == "none" else "sandbox",
            "seccomp": isolation.mode != "none",
            "probe": list(probe),
            "preload_torch": preload_torch,
        }
        self.joined: JoinedSandbox | None = None
        self.zygote_problem: str | None = None
        self.zygote_wanted = False  # the zygote serves this sandbox's kind here: a fresh start is a fallback
        if switched_on():
            self.zygote_problem = why_not_here(isolation.mode)
            self.zygote_wanted = self.zygote_problem is None
            if self.zygote_wanted:
                try:
                    self._start_joined(ready_zygote(torch=preload_torch, wait=wait))
                except (ZygoteRefused, SandboxBroken) as problem:
                    self.zygote_problem = str(problem)
        if self.joined is None:
            self._start_fresh()
        if wait:
            self.greet()

    def _start_fresh(self) -> None:
        """Today's start: a fresh interpreter as the sandbox's warm parent."""
        self.control, inside = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        settings = {**self.settings, "control_fd": inside.fileno()}
        try:
            self.process = subprocess.Popen(
                parent_command(self.isolation, self.layout, settings), pass_fds=(inside.fileno(),), cwd=self.layout.workdir,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True, **self._identity(),
            )  # fmt: skip
        except OSError as problem:  # the interpreter, or the user to run as, is not there
            self.control.close()
            raise SandboxBroken(f"{type(problem).__name__}: {problem.strerror or problem}") from None
        finally:
            inside.close()
        self.greeting_deadline = time.monotonic() + self.start_limit_s
        self.greeted = False

    def _start_joined(self, zygote: Zygote) -> None:
        """bwrap builds the sandbox around a placeholder pid 1; `zygote` forks the warm
        parent into it, which reads its settings from the control socket."""
        self.greeting_deadline = time.monotonic() + self.start_limit_s
        self.greeted = False
        self.control, inside = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        info_read, info_write = os.pipe()
        try:
            self.process = subprocess.Popen(
                placeholder_command(self.isolation, self.layout, info_write), pass_fds=(info_write,), cwd=self.layout.workdir,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True, **self._identity(),
            )  # fmt: skip
        except OSError as problem:
            for end in (self.control, inside):
                end.close()
            os.close(info_read)
            raise SandboxBroken(f"the zygote's sandbox did not start ({type(problem).__name__}: {problem.strerror or problem})") from None
        finally:
            os.close(info_write)
        try:
            self.joined = JoinedSandbox(zygote, self.process, info_read, self.greeting_deadline)
            zygote.join(self.joined.pidfd, inside.fileno())
            self.control.send(bwrap_settings_json(self.settings).encode())
        except (OSError, SandboxBroken) as problem:
            self.kill()
            raise SandboxBroken(f"the zygote's sandbox did not start ({problem})") from None
        finally:
            inside.close()

    def greet(self) -> None:
        """Wait for the warm parent's hello, if it has not come yet, until the start limit.
        A warm parent from the zygote that fails before it says hello is replaced by one
        started the fresh way (`zygote_problem` says why)."""
        if self.greeted:
            return
        try:
            hello = self._receive(self.greeting_deadline)[0]
        except SandboxBroken as problem:
            if self._started_fresh_instead(str(problem)):
                return self.greet()
            self.kill()
            raise
        readable = hello.get("readable")
        if hello.get("ready") is not True or not isinstance(readable, list):
            problem = hello.get("problem")
            problem = problem[:300] if type(problem) is str else "the sandbox's first answer was not a greeting"
            if self._started_fresh_instead(problem):
                return self.greet()
            self.kill()
            raise SandboxBroken(problem)
        if readable:
            self.kill()
            raise SecretsVisible([str(path)[:300] for path in readable[:10]])
        self.greeted = True

    def _started_fresh_instead(self, problem: str) -> bool:
        """If this sandbox's warm parent came from the zygote: end the sandbox and start
        one the fresh way, keeping `problem` as the reason (or why the zygote refused); whether it did."""
        if self.joined is None:
            return False
        zygote = self.joined.zygote
        self.kill()
        self.joined, self.zygote_problem = None, refusal(zygote) or f"the zygote's warm parent failed: {problem}"
        self._start_fresh()
        return True

    def ready(self) -> bool:
        """Whether the warm parent said hello, without waiting: its hello, if it came, is
        read as greet() reads it (raising what greet() raises)."""
        if not self.greeted and select.select([self.control], [], [], 0)[0]:
            self.greet()
        return self.greeted

    def _identity(self) -> dict:
        """Popen's arguments for who the warm parent runs as, and its environment."""
        environment = {**ENVIRONMENT, "HOME": str(self.layout.workdir), "TMPDIR": str(self.layout.workdir)}
        if self.isolation.mode == "uid":
            uid = self.layout.uid
            return {"user": uid, "group": uid, "extra_groups": [], "env": environment}
        return {"env": environment}

    def spawn(self) -> tuple[socket.socket, int]:
        """A new worker: the grader's end of its socket, and its pid inside the sandbox."""
        self._send({"op": "spawn"})
        reply, fds = self._receive(time.monotonic() + self.control_limit_s, with_fd=True)
        if len(fds) != 1 or type(reply.get("worker")) is not int:
            for fd in fds:
                os.close(fd)
            raise SandboxBroken("the sandbox did not hand over a worker")
        return socket.socket(fileno=fds[0]), reply["worker"]

    def reset(self) -> None:
        """Kill every process of the sandbox but the warm parent."""
        self._send({"op": "reset"})
        if self._receive(time.monotonic() + self.control_limit_s)[0].get("ok") is not True:
            raise SandboxBroken("the sandbox did not reset")

    def _send(self, request: dict) -> None:
        try:
            self.control.send(json.dumps(request).encode())
        except OSError:
            raise SandboxBroken("the sandbox has ended") from None

    def _receive(self, deadline: float, *, with_fd: bool = False) -> tuple[dict, list[int]]:
        """One reply from the warm parent (a whole datagram), before the deadline (or
        already there, for a sandbox that started in the background)."""
        remaining = max(0.0, deadline - time.monotonic())
        if not select.select([self.control], [], [], remaining)[0]:
            raise SandboxBroken("the sandbox did not answer in time")
        try:
            if with_fd:
                data, fds, _, _ = socket.recv_fds(self.control, REPLY_BYTES, 1)
            else:
                data, fds = self.control.recv(REPLY_BYTES), []
            reply = json.loads(data)
        except (OSError, ValueError):
            raise SandboxBroken("the sandbox's answer could not be read") from None
        if not isinstance(reply, dict):
            raise SandboxBroken("the sandbox's answer could not be read")
        return reply, fds

    def processes(self) -> list[int]:
        """Host pids of every process of the sandbox still alive (bwrap and those below it;
        the warm parent from the zygote and those below it are not)."""
        pids = descendants(self.process.pid) if self.process.poll() is None else []
        if self.joined is not None:
            pids += [pid for pid in self.joined.processes() if pid not in pids]
        if self.isolation.mode == "uid":
            pids += [pid for pid in processes_of_user(self.layout.uid) if pid not in pids]
        return pids

    def memory_bytes(self) -> int:
        """Memory claimed by all the sandbox's processes together, and by the files in its
        own /tmp and /dev/shm (bwrap)."""
        pids = self.processes()
        files = files_in_scratch(pids, BWRAP_SCRATCH) if self.isolation.mode == "bwrap" else 0
        return claimed_bytes(pids) + files * KERNEL_BYTES_PER_FILE

    def kill(self) -> None:
        """End the sandbox and everything in it, however it was started."""
        for _ in range(100):  # a fork bomb refills what a sweep empties, for a few rounds
            alive = [pid for pid in self.processes() if pid != os.getpid()]
            if not alive:
                break
            for pid in alive:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        self.control.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if self.joined is not None:
            self.joined.close()
        if self.isolation.mode == "uid":
            self._sweep_user()

    def _sweep_user(self) -> None:
        """uid mode: kill(-1) as the sandbox's user until none of its processes is left.
        The listing above misses a process that changes its pid faster than /proc is read
        (fork, exit, fork); kill(-1) does not. One the sweep cannot end (it outlived every
        round) harms nobody: its uid is never handed out again."""
        sweep_user(self.layout.uid, shared_scratch(self.layout))


class JoinedSandbox:
    """What the grader holds of a sandbox whose warm parent comes from `zygote`: bwrap's
    pid 1, the placeholder (`pid`, `pidfd`), and its PID namespace, kept open so that its
    identity (`namespace`) is never another's while this sandbox is known. `bwrap`, just
    started, names the placeholder on `info_fd` and says its set-up is done on its stdout,
    both before `deadline`."""

    def __init__(self, zygote: Zygote, bwrap: subprocess.Popen, info_fd: int, deadline: float):
        self.zygote, self.bwrap = zygote, bwrap
        self.pidfd = self.namespace_fd = None
        try:
            info = json.loads(_read_until_end(info_fd, deadline))
            self.pid = info["child-pid"]
            if _read_until_end(bwrap.stdout.fileno(), deadline, line=True) != b"ready\n":
                raise SandboxBroken("the sandbox's pid 1 did not start")
            self.pidfd = os.pidfd_open(self.pid)
            if _parent_pid(self.pid) != bwrap.pid:  # the pid was not another's when the pidfd was opened
                raise SandboxBroken("the sandbox's pid 1 ended early")
            self.namespace_fd = os.open(f"/proc/{self.pid}/ns/pid", os.O_RDONLY)
            signal.pidfd_send_signal(self.pidfd, 0)  # still that process: the namespace opened is the sandbox's
        except (OSError, ValueError, KeyError, TypeError) as problem:
            self.close()
            raise SandboxBroken(f"the sandbox's pid 1 could not be reached ({problem})") from None
        finally:
            os.close(info_fd)
            bwrap.stdout.close()
        status = os.fstat(self.namespace_fd)
        self.namespace = (status.st_dev, status.st_ino)

    def processes(self) -> list[int]:
        """Host pids of the processes in the sandbox's PID namespace (as root, /proc tells):
        those below the zygote, or, if it has ended, any on the machine."""
        candidates = descendants(self.zygote.process.pid) if self.zygote.alive() else [int(e) for e in os.listdir("/proc") if e.isdigit()]
        found = []
        for pid in candidates:
            try:
                status = os.stat(f"/proc/{pid}/ns/pid")
            except OSError:  # gone, or a zombie
                continue
            if (status.st_dev, status.st_ino) == self.namespace:
                found.append(pid)
        return found

    def close(self) -> None:
        """Let go of the sandbox (once it is killed): its pid 1's stdin, pidfd and namespace."""
        if self.bwrap.stdin is not None:
            self.bwrap.stdin.close()
        for fd in (self.pidfd, self.namespace_fd):
            if fd is not None:
                os.close(fd)
        self.pidfd = self.namespace_fd = None


def _read_until_end(fd: int, deadline: float, *, line: bool = False) -> bytes:
    """What `fd` holds up to its end (or, with `line`, its first line), read before `deadline`."""
    data = b""
    while not (line and data.endswith(b"\n")):
        if not select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
            raise SandboxBroken("the sandbox did not start in time")
        chunk = os.read(fd, 1 if line else REPLY_BYTES)
        if not chunk:
            break
        data += chunk
    return data


def _parent_pid(pid: int) -> int | None:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return int(next(line for line in status if line.startswith("PPid:")).split()[1])


def sweep_user(uid: int, shared: dict[str, list[str]]) -> None:
    """As root: run the sweep (`autograder.worker.sweep`) as `uid`, which kills every
    process of that user and removes what it left in the shared folders `shared` names."""
    try:
        subprocess.run(
            sweep_command(shared), user=uid, group=uid, extra_groups=[], env=ENVIRONMENT, cwd="/",
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=SWEEP_LIMIT_S, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        pass


def sweep_sandbox_users_of(grading_pid: int) -> list[int]:
    """As root, once the grading process `grading_pid` was killed (its sandboxes' own sweeps
    died with it): sweep each uid it may have handed out (`sandbox_uids_of`) that still
    runs a process or owns a file in the machine's shared folders; the uids swept. The
    uid sandbox has no PID namespace that would end its processes with the grader."""
    uids = sandbox_uids_of(grading_pid)
    left = sorted(users_running(uids) | owners_in_shared_scratch(uids))
    for uid in left:
        sweep_user(uid, shared_scratch())
    return left

