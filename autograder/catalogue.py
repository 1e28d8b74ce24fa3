"""Callables the grader hands to student code, named so they can cross to the worker.

A check never passes its own function to student code (law 4: only data crosses).
Instead it names an entry of this catalogue with its data arguments bound:

    f = catalogue.quadratic(A=A, b=b)        # a Bound entry: a name and data
    student.numerical_gradient(f, x)         # the worker rebuilds f from its own copy

A `Bound` is callable where it is made (in the student's own pytest, where there is no
worker), and the worker rebuilds it from the name, so a student cannot swap the function.
Entries take the student's arguments first and the bound data as keyword arguments.

`student_function(module=..., name=...)` names one of the submission's own functions
(`optimise(step, ...)` drives the student's `adam_step`): the worker, or the student's own
pytest, looks it up by name in the submission's module when it is called.
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.registry import exercise_modules

ENTRIES: dict[str, Callable] = {}


@dataclass(frozen=True)
class Bound:
    """A catalogue entry with its data arguments: callable, and plain data to send."""

    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __call__(self, *args, **kwargs):
        return ENTRIES[self.name](*args, **kwargs, **self.kwargs)


def catalogued(function: Callable) -> Callable[..., Bound]:
    """Register `function`; the name it keeps becomes a factory of Bound entries."""
    ENTRIES[function.__name__] = function

    def bind(**kwargs) -> Bound:
        return Bound(function.__name__, kwargs)

    bind.__doc__ = function.__doc__
    bind.__name__ = function.__name__
    return bind


@catalogued
def quadratic(x, *, A, b):
    """f(x) = 0.5 x^T A x - b^T x, a float, for x of shape (d,); its gradient is A x - b."""
    return float(0.5 * x @ A @ x - b @ x)


@catalogued
def quadratic_gradient(x, *, A, b):
    """The gradient A x - b of `quadratic`, float64 of shape (d,)."""
    return A @ x - b


@catalogued
def least_squares_gradient(beta, *, X, y):
    """The gradient 2 / N * X^T (X beta - y) of the mean squared error of a linear model."""
    return 2.0 / len(y) * (X.T @ (X @ beta - y))


@catalogued
def sine_sum(x, *, w):
    """f(x) = sum(sin(w * x)), a float, for x of any shape; its gradient is w * cos(w * x)."""
    return float(np.sum(np.sin(w * x)))


@catalogued
def student_function(*args, module, name, **kwargs):
    """The submission's own function `name` of exercise module `module`, called with the
    arguments given. The module is the one the submission imported (in the worker, or in
    the student's pytest, where the submission registers its modules in sys.modules)."""
    if module not in exercise_modules():
        raise ValueError(f"{module!r} is not an exercise module")
    return getattr(importlib.import_module(module), name)(*args, **kwargs)


@catalogued
def decaying_gradient_step(params, grad, state, *, lr):
    """A step function for `optimise`: params - lr / t * grad at its t-th call, counting
    t in the state it returns ({"t": t}); new arrays, the caller's left unchanged."""
    t = state.get("t", 0) + 1
    return params - lr / t * grad, {"t": t}
