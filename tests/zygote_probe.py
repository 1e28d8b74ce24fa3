"""Student code for tests/test_zygote.py: what code running in a worker can see.

`facts(secrets)` runs in a worker (as student code does) and returns plain data: the
sandbox's view of files, processes, network, identity, descriptors, environment and the
process's own memory map, so that today's sandbox and one whose warm parent came from the
zygote (`autograder.worker.zygote`) can be compared fact by fact. `state()` is the
interpreter's own state (modules, flags, warnings, locale, signals, limits);
`train_step()` is a tiny torch training step; `scan(halves)` looks for strings in the
worker's own memory.
"""

import ctypes
import hashlib
import os
import random
import signal
import socket
import sys
import tempfile
import time

PR_GET_DUMPABLE, PR_GET_PDEATHSIG = 3, 2
STATUS_FIELDS = ("Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters", "NSpid", "NSsid")


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            return file.read()
    except OSError as problem:
        return f"<{type(problem).__name__} {problem.errno}>"


def _status(pid: int | str) -> dict:
    text = _read(f"/proc/{pid}/status")
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    return {key: " ".join(fields[key].split()) for key in STATUS_FIELDS if key in fields}


def _listing(path: str) -> list | str:
    try:
        return sorted(os.listdir(path))
    except OSError as problem:
        return f"<{type(problem).__name__} {problem.errno}>"


def _attempt(action) -> str:
    try:
        return f"ok {action()!r}"[:200]
    except BaseException as problem:  # noqa: BLE001 - the failure is the fact
        return f"<{type(problem).__name__} {getattr(problem, 'errno', '')}>"


def _digest(value) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:12]


def _orphan_reaped() -> str:
    """Leave an orphan (child exits, grandchild lives 0.2 s), then see whether it lingers
    as a zombie: only a pid 1 that reaps (bwrap's init, or an init ignoring SIGCHLD) takes it."""
    middle = os.fork()
    if middle == 0:
        if os.fork() == 0:
            time.sleep(0.2)
            os._exit(0)
        os._exit(0)
    os.waitpid(middle, 0)
    time.sleep(0.6)
    zombies = [pid for pid in os.listdir("/proc") if pid.isdigit() and _status_state(pid).startswith("Z")]
    return f"zombies: {zombies}"


def _status_state(pid: str) -> str:
    for line in _read(f"/proc/{pid}/status").splitlines():
        if line.startswith("State:"):
            return line.split(":", 1)[1].strip()
    return ""


def facts(secrets: list) -> dict:
    libc = ctypes.CDLL(None, use_errno=True)
    import numpy as np
    import resource

    maps = sorted({line.split(None, 5)[5] for line in _read("/proc/self/maps").splitlines() if len(line.split(None, 5)) == 6})
    files = [path for path in maps if path.startswith("/")]
    ppid = os.getppid()
    first_map = _read("/proc/self/maps").splitlines()[0].split()[0]
    umask = os.umask(0o022)
    os.umask(umask)
    pids = sorted(int(pid) for pid in os.listdir("/proc") if pid.isdigit())
    return {
        "pid": os.getpid(),
        "ppid": ppid,
        "pgid_sid": [os.getpgid(0), os.getsid(0)],
        "processes": {str(pid): [_read(f"/proc/{pid}/comm").strip(), _status(pid).get("Uid", "?")] for pid in pids},
        "root": _listing("/"),
        "work": _listing("/work"),
        "root_home": _listing("/root"),
        "home": _listing("/home"),
        "etc": _listing("/etc"),
        "secrets_visible": [path for path in secrets if os.path.exists(path)],
        "interfaces": sorted(name for _, name in socket.if_nameindex()),
        "tcp_connect": _attempt(lambda: socket.create_connection(("1.1.1.1", 53), timeout=1)),
        "unix_socket": _attempt(lambda: socket.socket(socket.AF_UNIX).close()),
        "status_self": _status("self"),
        "status_warm_parent": _status(ppid),
        "status_pid1": _status(1),
        "fds": {fd: _attempt(lambda fd=fd: os.readlink(f"/proc/self/fd/{fd}")) for fd in sorted(os.listdir("/proc/self/fd"), key=int)},
        "warm_parent_fds": _listing(f"/proc/{ppid}/fd"),
        "environ": dict(os.environ),
        "proc_environ": sorted(_read("/proc/self/environ").split("\0")),
        "hostname": socket.gethostname(),
        "cwd": os.getcwd(),
        "argv": sys.argv,
        "cmdline": _read("/proc/self/cmdline").split("\0"),
        "torch_loaded": "torch" in sys.modules,
        "exe": _attempt(lambda: os.readlink("/proc/self/exe")),
        "exe_is_sandbox_file": _attempt(lambda: os.stat("/proc/self/exe").st_dev == os.stat(os.path.realpath(sys.executable)).st_dev),
        "exe_open_write": _attempt(lambda: os.close(os.open("/proc/self/exe", os.O_WRONLY))),
        "mapped_files": len(files),
        "mapped_files_missing_here": [path for path in files if not os.path.exists(path.replace(" (deleted)", ""))][:20],
        "map_files_open": _attempt(lambda: os.close(os.open(f"/proc/self/map_files/{first_map}", os.O_RDONLY))),
        "root_link": _attempt(lambda: os.readlink("/proc/self/root")),
        "mountinfo_lines": len(_read("/proc/self/mountinfo").splitlines()),
        "uid_map": _read("/proc/self/uid_map").split(),
        "gid_map": _read("/proc/self/gid_map").split(),
        "setgroups": _read("/proc/self/setgroups").strip(),
        "ns_same_as_pid1": {name: _attempt(lambda name=name: os.readlink(f"/proc/self/ns/{name}") == os.readlink(f"/proc/1/ns/{name}")) for name in ("user", "mnt", "pid", "net", "ipc", "uts", "cgroup")},
        "ns": {name: _attempt(lambda name=name: os.readlink(f"/proc/self/ns/{name}")) for name in ("user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time")},
        "sys_path": sys.path,
        "isolated_flag": sys.flags.isolated,
        "random_state": _digest(random.getstate()),
        "numpy_state": _digest(np.random.get_state()[1][:8].tolist()),
        "str_hash": hash("same string in every sandbox?"),
        "tempdir": tempfile.gettempdir(),
        "umask": oct(umask),
        "rlimits": {name: resource.getrlimit(getattr(resource, name)) for name in ("RLIMIT_AS", "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_FSIZE", "RLIMIT_CORE", "RLIMIT_STACK")},
        "nice": os.nice(0),
        "affinity": sorted(os.sched_getaffinity(0)),
        "oom_score_adj": _read("/proc/self/oom_score_adj").strip(),
        "cgroup": _read("/proc/self/cgroup").split(),
        "dumpable": libc.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0),
        "personality": _read("/proc/self/personality").strip(),
        "loginuid_sessionid": [_read("/proc/self/loginuid").strip(), _read("/proc/self/sessionid").strip()],
        "keys_visible": _attempt(lambda: _read("/proc/keys").count("\n")),
        "setns_attempt": _attempt(lambda: libc.setns(os.open("/proc/self/ns/net", os.O_RDONLY), 0) or ctypes.get_errno()),
        "chroot_attempt": _attempt(lambda: os.chroot("/tmp")),
        "orphans": _orphan_reaped(),
        "modules_outside_sandbox": sorted({getattr(m, "__file__", None) or "" for m in list(sys.modules.values())} - {""} - {f for f in {getattr(m, "__file__", None) or "" for m in list(sys.modules.values())} if os.path.exists(f)})[:20],
        "modules": len(sys.modules),
        "status_memory": {key: value for key, value in (line.split(":", 1) for line in _read("/proc/self/status").splitlines() if ":" in line) if key in ("VmData", "RssAnon", "VmRSS", "VmSize")},
    }


def train_step() -> float:
    """A tiny conv net's loss after one Adam step (torch works in the worker)."""
    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(4, 2))
    optimiser = torch.optim.Adam(net.parameters(), lr=0.01)
    x, y = torch.randn(8, 1, 16, 16), torch.randint(0, 2, (8,))
    loss = torch.nn.functional.cross_entropy(net(x), y)
    loss.backward()
    optimiser.step()
    return float(torch.nn.functional.cross_entropy(net(x), y))


def scan(halves: list) -> list:
    """For each needle, given as two halves (so that the request itself, which this
    process read, holds no needle whole): whether this process's private writable memory
    holds the needle (its heap, stacks and anonymous mappings, where a process keeps what it
    read or was sent), read in place with ctypes, as student code can (/proc/self/mem
    belongs to root in an undumpable process)."""
    found = [False] * len(halves)
    with open("/proc/self/maps", encoding="utf-8") as maps:
        regions = maps.read().splitlines()
    for line in regions:
        fields = line.split()
        name = fields[5] if len(fields) > 5 else ""
        if not fields[1].startswith("rw") or name not in ("", "[heap]", "[stack]"):
            continue
        start, end = (int(part, 16) for part in fields[0].split("-"))
        data = ctypes.string_at(start, end - start)
        for index, (first, second) in enumerate(halves):
            head, tail = first.encode(), second.encode()
            at = data.find(head)
            while not found[index] and at >= 0:
                found[index] = data.startswith(tail, at + len(head))
                at = data.find(head, at + 1)
    return found


def state() -> dict:
    """What the interpreter holds or set for itself that a submission could meet: a file
    of the submission's named like a module not loaded would be imported instead."""
    import atexit
    import gc
    import locale
    import threading
    import warnings

    handlers = {}
    for number in range(1, signal.NSIG):
        try:
            handler = signal.getsignal(number)
        except (ValueError, OSError):
            continue
        handlers[number] = handler if isinstance(handler, int) else getattr(handler, "__qualname__", repr(type(handler)))
    return {
        "modules": sorted(sys.modules),
        "flags": list(sys.flags),
        "warnings": [repr(f) for f in warnings.filters],
        "locale": locale.setlocale(locale.LC_ALL),
        "getlocale": list(locale.getlocale()),
        "blocked": sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])),
        "handlers": handlers,
        "recursion": sys.getrecursionlimit(),
        "switch": sys.getswitchinterval(),
        "gc": [gc.isenabled(), list(gc.get_threshold())],
        "threads": len(threading.enumerate()),
        "main_names": sorted(name for name in vars(sys.modules["__main__"]) if not name.startswith("__")),
        "meta_path": [repr(type(f)) for f in sys.meta_path],
        "path_hooks": len(sys.path_hooks),
        "importer_cache": sorted(sys.path_importer_cache),
        "argv0": sys.argv[0],
        "executable": sys.executable,
        "int_max_str_digits": sys.get_int_max_str_digits(),
        "float_repr": sys.float_repr_style,
        "atexit": atexit._ncallbacks(),
        "displayhook": repr(sys.displayhook),
        "excepthook": repr(sys.excepthook),
        "stdin": repr(sys.__stdin__),
        "stdout": repr(sys.__stdout__),
        "loaded_numpy_random": "numpy.random" in sys.modules,
    }
