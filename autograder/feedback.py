"""Mistake detectors: recognise a wrong answer as a known misconception (law 8).

A check lists the mistakes it can recognise, each with the wrong answer the grader
computes for it (or a test on the student's answer) and an explanation in the lecture's
words. `recognise` returns the first mistake the student's answer matches.

A mistake that makes student code raise instead of answer (`np.max(0, x)`, numpy 2's
`float()` of a 1-element array) is a `RaisedMistake`: the plugin compares every exception
that student code raises, in every check, with `autograder.mistakes.common.RAISED`.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

MISTAKE_RTOL = 1e-6  # looser than a check's own tolerance: a mistake is a shape of answer


@dataclass(frozen=True)
class Mistake:
    """A known misconception.

    - explanation: one sentence for the student, in the lecture's words; never a value.
    - answer: what that mistake produces on the check's inputs (float or ndarray), or
    - test: a predicate on the student's answer, for mistakes with no single answer.
    """

    explanation: str
    answer: Any = None
    test: Callable[[Any], bool] | None = None

    def matches(self, got: Any) -> bool:
        if self.test is not None:
            return bool(self.test(got))
        return answers_agree(got, self.answer, MISTAKE_RTOL)


@dataclass(frozen=True)
class RaisedMistake:
    """A known misconception that shows as an exception; `recognise` takes it with the
    exception written as `<type name>: <message>`.

    - explanation: one sentence for the student, in the lecture's words.
    - pattern: a regular expression searched in that text, e.g. `TypeError: only 0-dimensional`.
    """

    explanation: str
    pattern: str

    def matches(self, raised: str) -> bool:
        return re.search(self.pattern, raised) is not None


def answers_agree(got: Any, answer: Any, rtol: float, atol: float = 1e-12) -> bool:
    """True when two numeric answers have one shape and agree within rtol/atol, in float64."""
    try:
        got64 = np.asarray(got, dtype=np.float64)
        answer64 = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    # An overflow is never right: with got = inf the tolerance below would be inf as well.
    if got64.shape != answer64.shape or not np.all(np.isfinite(answer64)) or not np.all(np.isfinite(got64)):
        return False
    with np.errstate(invalid="ignore", over="ignore"):
        gap = np.abs(got64 - answer64)
        return bool(np.all(gap <= atol + rtol * np.maximum(np.abs(got64), np.abs(answer64))))


def recognise(got: Any, mistakes: Sequence[Mistake | RaisedMistake]) -> Mistake | RaisedMistake | None:
    """The first mistake in `mistakes` that `got` matches, or None."""
    for mistake in mistakes:
        if mistake.matches(got):
            return mistake
    return None


def not_finite(got: Any) -> bool:
    """A test for mistakes that show as nan or inf (a naive log or exp)."""
    try:
        return not bool(np.all(np.isfinite(np.asarray(got, dtype=np.float64))))
    except (TypeError, ValueError):
        return False

