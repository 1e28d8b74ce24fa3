"""Load a submission's exercise modules in this process (the student's loop).

In the student's own `pytest` the `student` fixture is the imported module itself, so
print and pdb work. The grader never uses this: it reaches student code through the
sandboxed worker (`autograder.worker`).
"""

import functools
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from autograder.normalise import normalise


class ModuleNotAttempted(NotImplementedError):
    """The submission has no file for this module."""


PACKAGE = "exercises"  # the folder of a student repository that holds the exercise modules


def exercises_package(folder: str) -> ModuleType:
    """A package `exercises` over the submission's folder, so a module that imports a
    sibling as a package does (`from exercises.nonlinearities import relu`, as in the
    student's repository run from its root) gets the student's own file, never the
    course's stubs or nothing."""
    package = ModuleType(PACKAGE)
    package.__path__ = [folder]
    return package


def missing_function(module: str, name: str) -> NotImplementedError:
    """A function the exercise names that the module does not define: not attempted, in the
    student's `pytest` and when grading alike (never "raised AttributeError")."""
    return NotImplementedError(f"{module}.py has no {name!r}; keep the names the exercise gives")


class StudentModule:
    """A submission module; a missing function is not attempted, with a clear message, and what a
    function returns is normalised as the grader's worker normalises it (law 8). Classes
    (`Value`) are given as they are, so a check may still isinstance with them."""

    def __init__(self, module: ModuleType):
        self._module = module

    def __getattr__(self, name: str):
        try:
            attribute = getattr(self._module, name)
        except AttributeError:
            if name.startswith("__"):  # Python's own probes (copy, inspect) expect AttributeError
                raise
            raise missing_function(self._module.__name__, name) from None
        if callable(attribute) and not isinstance(attribute, type):
            return _normalising(attribute)
        return attribute


def _normalising(function: Callable) -> Callable:
    @functools.wraps(function)
    def call(*args, **kwargs):
        __tracebackhide__ = True  # the student's traceback goes from the check to their code
        return normalise(function(*args, **kwargs))

    return call


class LocalSubmission:
    """Imports exercise modules from one folder, once each, into this process."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._modules: dict[str, StudentModule] = {}

    def module(self, name: str) -> StudentModule:
        if name not in self._modules:
            self._modules[name] = StudentModule(self._import(name))
        return self._modules[name]

    def _import(self, name: str) -> ModuleType:
        path = self.folder / f"{name}.py"
        if not path.is_file():
            raise ModuleNotAttempted(f"{name}.py is missing from the submission")
        # The folder goes first on sys.path so a student's own helper modules import.
        if str(self.folder) not in sys.path:
            sys.path.insert(0, str(self.folder))
        sys.modules.setdefault(PACKAGE, exercises_package(str(self.folder)))
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
