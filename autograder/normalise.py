"""The one normalisation of what student code returns (law 8), in the student's `pytest` and
in the grader's worker alike, so no answer passes locally and fails when graded for a
reason of type.

Honest kinds become plain data: a tuple subclass (a namedtuple, torch.Size) a tuple, a
list or dict subclass a list or dict, a numpy integer scalar of any width an int; their
items are normalised too. Everything else is left as it is, so the comparisons can still
refuse a different kind (a list for an array) or precision (float32 for float64), and an
object that is not data stays an object (a handle when grading).
"""

from typing import Any

import numpy as np

MAX_DEPTH = 64  # deeper nesting is left as it is (and a cycle stops here)


def normalise(value: Any, depth: int = 0) -> Any:
    """`value` with honest kinds turned into plain data; never changes `value` itself."""
    if depth > MAX_DEPTH:
        return value
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, tuple):
        return tuple(normalise(item, depth + 1) for item in value)
    if isinstance(value, list):
        return [normalise(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {normalise(key, depth + 1): normalise(item, depth + 1) for key, item in value.items()}
    return value
