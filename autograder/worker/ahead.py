"""Calls started ahead: student calls with fixed inputs, sent before a check asks for them.

A complete submission's session grades the concepts one after another, and the last one,
`architectures`, spends most of its time training the student's detector on one core
while the other core waits. The training that its public check and several hidden ones share
has inputs that are the same for every student (the public clips, with seed 0), so the
checks declare it with `@pytest.mark.ahead(function, inputs)` and the session sends it to
a worker of its own in the concept's sandbox as soon as that sandbox is up, while the
other concepts are graded in a sandbox of their own.

Calls run one after another, in the order declared (each starts once the one before
answered well, in a worker of its own: no student code runs beside itself), and they have
all answered before the concept's first check starts, whether the sandbox was up early or
not. The concept's checks get a fresh worker, until a check claims a call with its first
request: they go on in the call's worker from then on, as in one process, where the call
would have run in that check (a worker kept beside them would cost a second warm-up, and
hold the call's memory and threads against their limits). Each call has its check's time
limit, counted from the moment it is sent whole. A check whose call is the same (same
function, equal arguments) gets that call's answer, or its failure, once; a call whose
worker has stopped since (its answer's objects are gone: a check of the concept that
failed resets its sandbox) runs again, in a worker of its own as before, never in one
where checks ran. The first call that fails stops the others.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.shared import Outcome

INPUT_TYPES = (type(None), bool, int, float, str, np.ndarray)  # and tuples and lists of these


@dataclass(eq=False)
class AheadCall:
    """One call started ahead, and the worker of its own that runs it (None until its
    sandbox is up). The worker imports the module first: `import_deadline`, by when that
    must answer, and `import_reply`, once read. Then the request: `unsent`, what of it is
    not written yet (None until it is framed); `deadline`, by when it must answer (its
    limit from its last part written); `reply`, as the worker sent it or the failure met
    reading it; `outcome`, what the check that claims it gets."""

    module: str
    payload: dict
    limit_s: float
    worker: Any = None
    import_deadline: float | None = None
    import_reply: Any = None
    unsent: memoryview | None = None
    deadline: float | None = None
    reply: Any = None
    outcome: Outcome | None = None
    claimed: bool = False
    done: bool = False  # answered (`outcome`), or stopped by an earlier call's failure

    def fail(self, failure: Callable[[str], BaseException]) -> None:
        """Keep `failure(label)` as the reply of what its worker was running when its
        sandbox ended (the import, or the call), for the check that reads it."""
        if self.import_reply is None:
            self.import_reply = failure(f"importing {self.module}.py")
        elif self.reply is None:
            self.reply = failure(self.payload["name"])

    def answers(self, payload: dict) -> bool:
        """Whether this call's answer, or failure, unclaimed, is the one `payload` asks for
        (an answer's objects live as long as its worker: if that ended, it runs again)."""
        return self.outcome is not None and not self.claimed and same_call(self.payload, payload)


def ahead_payload(module: str, function: str, inputs: tuple) -> dict:
    """The request for `module.function(*inputs)`; raises TypeError for an input that is
    not plain data (a call started ahead has the same inputs for every student)."""
    for value in _flat(inputs):
        if type(value) not in INPUT_TYPES:
            raise TypeError(f"a call started ahead takes data only, not {type(value).__name__}")
    return {"op": "call", "module": module, "name": function, "args": list(inputs), "kwargs": {}}


def _flat(values: Any):
    for value in values:
        if type(value) in (tuple, list):
            yield from _flat(value)
        else:
            yield value


def same_call(a: dict, b: dict) -> bool:
    """Whether two requests call the same function with equal arguments (arrays equal in
    dtype, shape and every element)."""
    return all(a.get(key) == b.get(key) for key in ("op", "module", "name")) and same_value(a.get("args"), b.get("args")) and same_value(a.get("kwargs"), b.get("kwargs"))


def same_value(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if type(a) is np.ndarray:
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if type(a) in (tuple, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        return a.keys() == b.keys() and all(same_value(a[key], b[key]) for key in a)
    return type(a) in INPUT_TYPES and a == b
