"""A check's time limit in the student's own pytest, where student code runs in the check's
process: a SIGALRM timer interrupts it with the grader's words (`an endless loop?`).

Where there is no SIGALRM (Windows) or pytest runs off the main thread, checks run without
a limit; while a debugger is stepping, the limit does not interrupt it.
"""

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from autograder.worker.errors import timed_out

DEBUGGER_MODULES = ("bdb", "pydevd")  # pdb and breakpoint() trace through bdb; IDEs through pydevd


@contextmanager
def time_limit(seconds: float, folder: Path) -> Iterator[None]:
    """Raise StudentTimedOut, labelled with the student's function running in `folder`,
    if the block runs longer than `seconds`."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        if not _debugging():
            raise timed_out(_student_function(frame, folder))

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _student_function(frame: FrameType | None, folder: Path) -> str:
    """The outermost function of the submission on the stack: the one the check called."""
    label = "this check"
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path.is_relative_to(folder):
            name = frame.f_code.co_name
            label = path.name if name == "<module>" else name
        frame = frame.f_back
    return label


def _debugging() -> bool:
    trace = sys.gettrace()
    return trace is not None and getattr(trace, "__module__", "").split(".")[0] in DEBUGGER_MODULES
