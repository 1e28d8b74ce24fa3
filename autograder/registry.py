"""The concept registry (law 2): the one place that names the course's concepts.

Reports, notebooks, summaries and the release all read `CONCEPTS`. A concept's id never
changes once released; its weight is the most points its checks can add up to.
"""

import difflib
from dataclasses import dataclass

from autograder.errors import UserError


@dataclass(frozen=True)
class Concept:
    id: str
    title: str
    module: str  # exercises/<module>.py and solutions/<module>.py
    weight: float
    built_on_torch: bool = False  # its exercises build and train torch models


CONCEPTS = (
    Concept("losses", "Loss functions", "losses", 10.0),
    Concept("gradient_descent", "Linear regression and gradient descent", "gradient_descent", 10.0),
    Concept("nonlinearities", "Nonlinearities", "nonlinearities", 10.0),
    Concept("backprop", "Backpropagation", "backprop", 10.0),
    Concept("convolution", "Convolution arithmetic", "convolution", 10.0),
    Concept("parameters", "Counting parameters", "parameters", 10.0),
    Concept("pooling", "Pooling, invariance and equivariance", "pooling", 10.0),
    Concept("receptive_fields", "Receptive fields", "receptive_fields", 10.0),
    Concept("architectures", "CNN architectures for audio", "architectures", 10.0, built_on_torch=True),
    Concept("optimisers", "Momentum, RMSprop and Adam", "optimisers", 10.0),
    Concept("normalisation", "Batch norm, dropout, residuals", "normalisation", 10.0),
)

_BY_ID = {concept.id: concept for concept in CONCEPTS}


def get_concept(concept_id: str) -> Concept:
    """The concept with this id; raises UserError naming the known ids otherwise."""
    try:
        return _BY_ID[concept_id]
    except KeyError:
        close = difflib.get_close_matches(str(concept_id), _BY_ID, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise UserError(f"unknown concept {concept_id!r} ({hint}known: {', '.join(_BY_ID)})") from None


def exercise_modules() -> list[str]:
    """The module names a submission may hold, in course order."""
    return [concept.module for concept in CONCEPTS]
