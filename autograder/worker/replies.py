"""What a worker may answer, and how the grader turns an answer into a result or a failure.

Student code runs in the worker and may write its own replies into the worker's socket,
so every reply is read as a forgery would be: it must have exactly the fields of one of
the shapes below, each of its type, or it is a failure with a fixed message. The text of
a failure is composed here, by the grader, from the reply's fields: a hidden check's
feedback is made of a fixed vocabulary (`autograder.worker.errors`), never of a text the
worker wrote.

    {"ok": value, "mutated": [[position or name, array], ...]}
    {"failed": "not_implemented", "message": str}
    {"failed": "memory"}
    {"failed": "exit", "code": int or None}
    {"failed": "interrupt"}
    {"failed": "raised", "type": str, "message": str, "line": "file.py:N" or ""}
"""

import re
from collections.abc import Mapping
from typing import Any

from autograder.worker.errors import StudentCrashed, StudentRaised

TEXT_CHARS = {"type": 200, "message": 500}  # what a worker's failure report may say
EXIT_CODES = range(-(2**31), 2**31)  # an exit code beyond these is no process's
LINE = re.compile(r"[\w.-]{1,100}\.py:[0-9]{1,9}")  # `file.py:42`
NOT_AN_ANSWER = "the worker sent something that is not an answer"
ANY = object  # a decoded value of any type (an answer)
SHAPES = {  # the key "failed" -> the reply's fields and the types each may have
    None: {"ok": (ANY,), "mutated": (list,)},
    "not_implemented": {"failed": (str,), "message": (str,)},
    "memory": {"failed": (str,)},
    "exit": {"failed": (str,), "code": (int, type(None))},
    "interrupt": {"failed": (str,)},
    "raised": {"failed": (str,), "type": (str,), "message": (str,), "line": (str,)},
}


def expected_shape(reply: Any) -> bool:
    """Whether `reply` has exactly the fields, and field types, of one reply's shape."""
    if type(reply) is not dict or type(reply.get("failed")) not in (str, type(None)):
        return False
    fields = SHAPES.get(reply.get("failed"), {})
    return set(reply) == set(fields) and all(ANY in kinds or type(reply[key]) in kinds for key, kinds in fields.items())


def failure(reply: dict, label: str, memory_gib: float, lines: Mapping[str, int]) -> BaseException:
    """The exception a failure reply stands for (`reply` of an expected shape and not ok):
    NotImplementedError for a stub, else a StudentCodeFailed (whose hidden message holds
    nothing the reply chose but its kind, a built-in exception's name and a line of the
    submission). `lines` gives each file of the submission its number of lines: a line the
    reply names is kept only if it is one of them."""
    kind = reply["failed"]
    if kind == "not_implemented":
        return NotImplementedError(reply["message"][: TEXT_CHARS["message"]] or f"{label} is not written yet")
    if kind == "memory":
        return StudentCrashed(f"{label} ran out of memory (the limit is {memory_gib:g} GiB)")
    if kind == "interrupt":
        return StudentCrashed(f"{label} raised KeyboardInterrupt; a function must return, not end the program")
    if kind == "exit":
        code = reply["code"]
        if code is not None and code not in EXIT_CODES:
            return StudentCrashed(f"{label}: {NOT_AN_ANSWER}")
        ending = "; a function must return, not end the program"
        return StudentCrashed(f"{label} called sys.exit({'' if code is None else code}){ending}", f"{label} called sys.exit(){ending}")
    line = reply["line"] if _real_line(reply["line"], lines) else ""
    return StudentRaised(label, reply["type"][: TEXT_CHARS["type"]], reply["message"][: TEXT_CHARS["message"]], line)



def _real_line(line: str, lines: Mapping[str, int]) -> bool:
    """Whether `line` (`file.py:N`) is a line of a file of the submission. Student code can
    name any file and line (compile() takes both), so a hidden check shows only one of the
    submission's own lines: a choice among them tells no more than the choice of which
    built-in exception to raise."""
    if not LINE.fullmatch(line):
        return False
    file, number = line.rsplit(":", 1)
    return 1 <= int(number) <= lines.get(file, 0)
