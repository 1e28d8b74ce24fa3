"""Run the grader as an ordinary user, as a lecturer without root would.

The tests run as root in CI, and an ordinary user cannot reach an interpreter under /root
(mode 0700). So `OrdinaryUser.create` makes a user, a virtual environment of
/usr/bin/python3 that this user can read, and a copy of the course: the packages of the
test run's own environment are hard-linked into a folder the user can read (same Python
minor version, so the same wheels), and the engine comes from the copy of the course.
Run as an ordinary user already, the tests use the current user and interpreter as they are.
"""

import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from autograder.course import find_course_root

USER = "autograder-tester"
COURSE_PARTS = ("autograder", "checks", "solutions", "exercises", "pyproject.toml")


@dataclass(frozen=True)
class OrdinaryUser:
    name: str
    python: str  # an interpreter this user can run, with the test run's packages
    course: Path  # a copy of the course this user owns
    home: Path  # a folder this user owns, for class folders and grades

    @classmethod
    def create(cls, folder: Path) -> "OrdinaryUser":
        """An ordinary user with an environment, a course and a home under `folder`, a new
        folder in /tmp (not under pytest's own, which other users may not enter)."""
        course, home = folder / "course", folder / "home"
        home.mkdir(parents=True)
        source = find_course_root().path
        for part in COURSE_PARTS:
            if (source / part).is_dir():
                shutil.copytree(source / part, course / part, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source / part, course / part)
        if os.geteuid() != 0:
            return cls(pwd.getpwuid(os.getuid()).pw_name, sys.executable, course, home)
        _ensure_user(USER)
        python = _readable_environment(folder / "env")
        os.chmod(folder, 0o755)
        subprocess.run(["chown", "-R", f"{USER}:{USER}", str(course), str(home)], check=True)
        return cls(USER, python, course, home)

    def run(self, *arguments: str, timeout: float = 900) -> subprocess.CompletedProcess:
        """`python -m autograder ARGUMENTS` as this user, in its home folder."""
        environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(self.course), "HOME": str(self.home), "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
        identity = {}
        if os.geteuid() == 0:
            account = pwd.getpwnam(self.name)
            identity = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        return subprocess.run(
            [self.python, "-m", "autograder", *arguments], cwd=self.home, env=environment,
            capture_output=True, text=True, timeout=timeout, **identity,
        )  # fmt: skip


def _ensure_user(name: str) -> None:
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)


def _readable_environment(folder: Path) -> str:
    """A venv of /usr/bin/python3 whose packages are this run's, hard-linked (or copied)."""
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(folder)], check=True)
    packages = folder / "packages"
    source = sysconfig.get_paths()["purelib"]
    linked = subprocess.run(["cp", "-al", source, str(packages)], capture_output=True)
    if linked.returncode != 0:
        shutil.copytree(source, packages, symlinks=True)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    (folder / "lib" / version / "site-packages" / "packages.pth").write_text(f"{packages}\n", encoding="utf-8")
    return str(folder / "bin" / "python3")
