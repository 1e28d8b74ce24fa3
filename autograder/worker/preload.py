"""What a warm parent imports before any student code runs in its sandbox.

**The standard modules torch loads, in every sandbox.** A worker puts the submission first
on sys.path. A standard module imported after that can be taken by a file of the
submission's with its name: torch imported in a worker would pick up a student's own
`timeit.py`, numpy.testing a student's `logging.py`, and correct code would fail to
import. Every warm parent therefore imports STANDARD_MODULES first, so that each sandbox,
with torch or without, holds the same standard modules before the submission's code runs
(and the modules the student's own pytest run had loaded: pytest and torch load them too).

**torch, for a concept built on it.** A worker that trains a torch model pays for two
imports before its first step: torch itself (about one floor, a bare
`python -c "import torch"`) and, when it makes its first optimiser, torch._dynamo, nearly as
much again (torch.optim wraps its methods in torch._disable_dynamo, which imports it on
first use). Imported once in the warm parent, before it forks, both are inherited by every
worker of the sandbox: the concept's checks, and the fresh worker after each failure, pay
for neither. (A stand-in for torch._dynamo, importing the real one only when needed, was
tried and taken out: honest code met differences, `tests/test_breaker_five.py`.)

Nothing a submission leaves behind (in the sandbox's /tmp, say) can take part in these
imports: the warm parent's sys.path holds no folder it can write. (The grading process
needs torch._dynamo only for the optimisers' oracles, whose check module imports it at
collection.)
"""

import importlib

# The top-level standard modules that `import torch, torch._dynamo` loads (torch 2.13,
# Python 3.11), and a worker's own start does not: a module's submodules are looked up in
# its own folder, so the top level is what a submission's file could stand in for (a
# module built into this interpreter, such as gc, is found before any file).
# tests/test_preload.py fails when the installed torch loads one more.
STANDARD_MODULES = (
    "argparse", "asyncio", "atexit", "bz2", "cProfile", "calendar", "cmath", "colorsys",
    "concurrent", "csv", "decimal", "email", "fcntl", "fractions", "getpass", "gettext",
    "glob", "grp", "gzip", "http", "locale", "logging", "lzma", "mmap", "multiprocessing",
    "pickletools", "pkgutil", "pprint", "profile", "pstats", "pwd", "queue", "quopri", "runpy",
    "shlex", "shutil", "ssl", "statistics", "string", "subprocess", "sysconfig", "tarfile",
    "tempfile", "termios", "timeit", "unicodedata", "unittest", "uuid", "zipfile",
)  # fmt: skip
TORCH_MODULES = ("torch", "torch._dynamo")


def preload_standard_modules() -> None:
    """Import STANDARD_MODULES into this process, those this Python has."""
    for name in STANDARD_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:  # an older or newer Python, or a build without it (ssl, lzma)
            pass


def preload_torch() -> None:
    """Import TORCH_MODULES into this process, if they can be: a worker that needs torch
    and finds it missing imports it, and reports a failure, on its own."""
    try:
        for name in TORCH_MODULES:
            importlib.import_module(name)
    except Exception:  # noqa: BLE001, S110 - the worker's own import is the one that counts
        pass
