"""Calls started ahead: student calls with fixed inputs, sent before a check asks for them.

A complete submission's session grades the concepts one after another, and the last one,
`architectures`, spends most of its time training the student's detector on one core
while the other core waits. Two of those trainings have inputs that are the same for
every student (the public clips, and the same clips upside down, with seed 0), so a check
declares them with `@pytest.mark.ahead(function, inputs)` and the session sends them to
a worker of their own in the concept's sandbox as soon as that sandbox is up, while the
other concepts are graded in a sandbox of their own.

That worker runs them one after another, in the order declared, and they have all
answered before the concept's first check starts, whether the sandbox was up early or
not; the concept's checks then get a fresh worker of their own, which the calls never
touched. Each call has its check's time limit, counted from the moment it is sent whole. A
check whose call is the same (same function, equal arguments) gets that call's answer, or
its failure, once; a call whose worker has stopped since (its answer's objects are gone)
runs again. The first call that fails stops the queue.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.shared import Outcome

INPUT_TYPES = (type(None), bool, int, float, str, np.ndarray)  # and tuples and lists of these


@dataclass(eq=False)
class AheadCall:
    """One call started ahead: its request, its time limit, and, once read, its reply
    (decoded) and outcome (what the check that claims it gets)."""

    payload: dict
    limit_s: float
    deadline: float | None = None  # time.monotonic() by which it must answer: its limit from its last part written
    unsent: memoryview | None = None  # the end of its request, not written yet
    reply: Any = None  # as the worker sent it, or the failure met reading it
    outcome: Outcome | None = None
    worker: Any = None  # the worker it was sent to: the objects in its answer live only as long as it
    claimed: bool = False


@dataclass(eq=False)
class AheadQueue:
    """The calls started ahead for one exercise module, in order, and the worker that runs
    them (None until its sandbox is up). `import_deadline`: when the module's import, sent
    first, must have answered; `import_reply`: its reply, once read."""

    module: str
    calls: list[AheadCall] = field(default_factory=list)
    worker: Any = None
    import_deadline: float | None = None
    import_reply: Any = None
    done: bool = False  # every call answered, or the queue stopped at a failure

    def add(self, payload: dict, limit_s: float) -> None:
        """Queue a call, unless the same call is queued already."""
        if not any(same_call(call.payload, payload) for call in self.calls):
            self.calls.append(AheadCall(payload, limit_s))

    def fail(self, failure: Callable[[str], BaseException]) -> None:
        """Keep `failure(label)` as the reply of what runs in the early worker (the import,
        or the call sent and not answered), for the check that reads it."""
        if self.import_reply is None:
            self.import_reply = failure(f"importing {self.module}.py")
            return
        for call in self.calls:
            if call.worker is self.worker and call.reply is None:
                call.reply = failure(call.payload["name"])
                return

    def claim(self, payload: dict) -> AheadCall | None:
        """The answered, unclaimed call the same as `payload`, marked claimed; None if there
        is none, or if its answer's objects are gone with its worker (it runs again)."""
        for call in self.calls:
            if call.outcome is not None and not call.claimed and same_call(call.payload, payload):
                if call.outcome.error is None and call.worker.closed:
                    return None
                call.claimed = True
                return call
        return None


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
