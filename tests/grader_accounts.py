"""Run the grader the way lecturers without our CI's set-up do: as an ordinary user, or as
root with an interpreter every user can read (the uid sandbox's case: a Docker container).

The tests run as root in CI, whose interpreter lives under /root (mode 0700), which no
other user can reach. So `GraderAccount` builds a virtual environment of /usr/bin/python3
that every user can read: the packages of the test run's own environment are hard-linked
into it (same Python minor version, so the same wheels), and the engine comes from a copy
of the course. Run as an ordinary user already, `ordinary` uses the current user as it is.

Where the run's own packages can be read by every user already (their folder and each
folder above it open to all, outside the temporary folder that a container test hides),
the environment points at them in place, and nothing is linked. Otherwise it holds some
50,000 links: about 5 s to make and 15 s to remove on a loaded 2-core machine. Nothing
writes into it, so one is made per test process and shared by every account (each keeps
its own course and home); `remove_readable_environment`, run by the session's teardown
(conftest.py), removes it.
"""

import os
import pwd
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from autograder.course import find_course_root

USER = "autograder-tester"
COURSE_PARTS = ("autograder", "checks", "solutions", "exercises", "pyproject.toml")
SECRET_PARTS = ("solutions", "checks/hidden")  # what the uid sandbox must not read


@dataclass(frozen=True)
class GraderAccount:
    user: str | None  # the account the grader runs as; None: this process's own
    python: str  # an interpreter this account can run, with the test run's packages
    course: Path  # a copy of the course
    home: Path  # a folder this account owns, for class folders and grades

    @classmethod
    def ordinary(cls, folder: Path) -> "GraderAccount":
        """An ordinary user with an environment, a course and a home under `folder`, a new
        folder in /tmp (not under pytest's own, which other users may not enter)."""
        course, home = _course_and_home(folder)
        if os.geteuid() != 0:
            return cls(None, sys.executable, course, home)
        _ensure_user(USER)
        python = readable_environment()
        subprocess.run(["chown", "-R", f"{USER}:{USER}", str(course), str(home)], check=True)
        return cls(USER, python, course, home)

    @classmethod
    def root_with_a_readable_interpreter(cls, folder: Path) -> "GraderAccount":
        """Root, as in a container, with the course's secrets readable by root only."""
        course, home = _course_and_home(folder)
        python = readable_environment()
        for part in SECRET_PARTS:
            os.chmod(course / part, 0o700)
        os.chmod(home, 0o700)
        return cls(None, python, course, home)

    @property
    def environment(self) -> Path:
        """The folder of /tmp holding the venv whose interpreter `python` is (one shared by
        every account: `readable_environment`), for a container that binds what it needs."""
        return Path(self.python).parents[2]

    def run(self, *arguments: str, environment: dict | None = None, wrapper: list[str] = (), timeout: float = 900) -> subprocess.CompletedProcess:
        """`python -m autograder ARGUMENTS` as this account, in its home folder (inside
        `wrapper`, a command that runs the one after it, if given)."""
        variables = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(self.course), "HOME": str(self.home), "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
        identity = {}
        if self.user is not None:
            account = pwd.getpwnam(self.user)
            identity = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        return subprocess.run(
            [*wrapper, self.python, "-m", "autograder", *arguments], cwd=self.home, env={**variables, **(environment or {})},
            capture_output=True, text=True, timeout=timeout, **identity,
        )  # fmt: skip


def _course_and_home(folder: Path) -> tuple[Path, Path]:
    course, home = folder / "course", folder / "home"
    home.mkdir(parents=True)
    os.chmod(folder, 0o755)
    source = find_course_root().path
    for part in COURSE_PARTS:
        if (source / part).is_dir():
            shutil.copytree(source / part, course / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source / part, course / part)
    return course, home


def _ensure_user(name: str) -> None:
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)


@cache
def readable_environment() -> str:
    """The interpreter of this process's venv of /usr/bin/python3 whose packages are this
    run's, hard-linked (or copied): made at the first call, in a new folder of /tmp that
    every user may enter (pytest's own may not be entered by other users)."""
    folder = Path(tempfile.mkdtemp(prefix="grader-accounts-env-"))
    os.chmod(folder, 0o755)
    return _readable_environment(folder / "env")


def remove_readable_environment() -> None:
    """Remove the environment `readable_environment` made, if it made one."""
    if readable_environment.cache_info().currsize:
        shutil.rmtree(Path(readable_environment()).parents[2], ignore_errors=True)  # the folder mkdtemp made
        readable_environment.cache_clear()


def _readable_environment(folder: Path) -> str:
    """A venv of /usr/bin/python3 whose packages are this run's: in place, when every user
    can read them there, else hard-linked (or copied)."""
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(folder)], check=True)
    source = sysconfig.get_paths()["purelib"]
    packages = Path(source) if _open_to_everyone(Path(source)) else folder / "packages"
    if packages != Path(source):
        linked = subprocess.run(["cp", "-al", source, str(packages)], capture_output=True)
        if linked.returncode != 0:
            shutil.copytree(source, packages, symlinks=True)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    (folder / "lib" / version / "site-packages" / "packages.pth").write_text(f"{packages}\n", encoding="utf-8")
    return str(folder / "bin" / "python3")


def _open_to_everyone(folder: Path) -> bool:
    """Whether every user may read `folder` and pass through each folder above it, and it
    lies outside the temporary folder (a container of test_isolation.py mounts its own there)."""
    folder = folder.resolve()
    if folder.is_relative_to(Path(tempfile.gettempdir()).resolve()):
        return False
    needed = [(folder, stat.S_IROTH | stat.S_IXOTH), *[(above, stat.S_IXOTH) for above in folder.parents]]
    return all(path.stat().st_mode & bits == bits for path, bits in needed)
