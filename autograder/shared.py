"""Results that several checks of one pytest session share, each computed once.

Some checks need the same slow result: the architecture checks all read one trained
detector. The grader runs one pytest session per submission, and a student's own `pytest`
is one session too, so the session-scoped `shared` fixture (autograder.plugin) keeps each
such result for the session: the first check that asks computes it, through its own
`student` and within its own time limit, and every later check gets the same value. A
computation that failed is never tried again: every check that asks raises its failure,
so a training that timed out fails each check that depends on it at once, with the same
status (timeout, crashed, error, not attempted).

A shared result must be data (numbers, arrays, tensors, what student code returned), never
a handle: a handle lives only as long as the worker that made it.
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Outcome:
    """What a call returned, or the exception it raised, for a check to read later."""

    value: Any = None
    error: Exception | None = None

    def get(self) -> Any:
        """The value; or the call's exception, raised again."""
        if self.error is not None:
            raise self.error
        return self.value


def attempt(call: Callable[[], Any]) -> Outcome:
    """Call `call()` and keep what it returned or raised."""
    try:
        return Outcome(call())
    except Exception as error:  # a check raises it again when it reads the outcome
        return Outcome(error=error)


class SharedResults:
    """One session's shared results, by key, and personal seeds for their inputs."""

    def __init__(self, seed_of: Callable[[str, str], int]):
        self._outcomes: dict[Hashable, Outcome] = {}
        self._seed_of = seed_of

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The result for `key`: `compute()` the first time, then the same value, or the
        same exception raised again."""
        if key not in self._outcomes:
            self._outcomes[key] = attempt(compute)
        return self._outcomes[key].get()

    def rng(self, concept: str, name: str) -> np.random.Generator:
        """A generator for a shared result's inputs, seeded like a check's `rng` (law 7)
        by course salt, student, concept and the result's name."""
        return np.random.default_rng(self._seed_of(concept, name))
