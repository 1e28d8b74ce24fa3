"""The versions of the libraries student code runs on, for reports and the release (issue 11
item 8): numpy 2 refuses code that numpy 1 accepts, so the student's environment must match
the grader's, and every report says which it was graded with."""

import platform
from importlib import metadata


def library_versions() -> dict[str, str]:
    """{"python", "numpy", "torch"}: the versions this interpreter runs, as installed
    (torch with its build tag, `2.13.0+cpu`); "not installed" for a missing one."""
    versions = {"python": platform.python_version()}
    for name in ("numpy", "torch"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def release_pin(version: str) -> str:
    """A version to pin with `==`: without the build tag (`+cpu`), which pip's own index
    does not carry and which `==2.13.0` accepts anyway."""
    return version.split("+", 1)[0]
