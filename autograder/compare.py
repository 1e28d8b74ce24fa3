"""The grader's own comparisons (law 4): exact types, then shape, then values in float64.

Checks call these instead of `==` or `np.allclose` on a student's answer, so an answer
that is not what the contract promises (an ndarray subclass, a list, a tensor, an object
whose `__eq__` says yes, a bool for an int) fails on its type before any value is compared.
What is honest passes (law 8): each answer is first normalised as the worker normalises
it (`autograder.normalise`), an exact int is a float where a float is promised, any numpy
integer an int. A failure raises `CheckFailed` with a message for the student; expected
values are shown only in public checks (the plugin sets `REVEAL_EXPECTED` for each check).
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np

from autograder.feedback import Mistake, answers_agree, recognise
from autograder.mistakes.common import FLOAT32
from autograder.normalise import normalise
from autograder.worker.errors import StudentRaised
from autograder.worker.handles import Handle

REVEAL_EXPECTED: ContextVar[bool] = ContextVar("REVEAL_EXPECTED", default=True)

INPUT_CHANGED = "an input array was changed in place."
FORWARD_RTOL = 1e-7  # forward values against an oracle (CS231n's "good" bound)
GRADIENT_RTOL = 1e-6  # gradients against autograd
FLOAT32_RTOL = 1e-4  # float32 arithmetic (about 7 digits) agrees this well, relative to the largest value
LOW_PRECISION = (np.float32, np.float16)


class CheckFailed(AssertionError):
    """A check's verdict, worded for the student; `mistake` names a recognised misconception."""

    def __init__(self, message: str, mistake: str = ""):
        super().__init__(message)
        self.mistake = mistake


def describe(value: Any) -> str:
    """A short, value-free description of what a student returned. In a hidden check it
    names nothing student code chooses at run time (a choice that may spell the hidden
    inputs): not the name of its own type, not an array's shape."""
    kind = type(value)
    public = REVEAL_EXPECTED.get()
    if kind is Handle:
        return f"an object of type {value.student_type}" if public else "an object of a type of its own"
    if kind is np.ndarray:
        return f"a {value.dtype} array" + (f" of shape {value.shape}" if public else "")
    return f"a {kind.__module__}.{kind.__qualname__}" if kind.__module__ != "builtins" else f"a {kind.__name__}"


def shape_shown(shape: tuple[int, ...]) -> str:
    """`shape (2, 3)` of a student's answer in a public check; `the wrong shape` in a hidden
    one, where the shape is the student's to choose and could spell the hidden inputs."""
    return f"shape {tuple(shape)}" if REVEAL_EXPECTED.get() else "the wrong shape"


def relative_error(got: Any, expected: Any) -> float:
    """CS231n's max |got - expected| / max(1e-8, |got| + |expected|), in float64."""
    got64 = np.asarray(got, dtype=np.float64)
    expected64 = np.asarray(expected, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.abs(got64 - expected64) / np.maximum(1e-8, np.abs(got64) + np.abs(expected64))
    return float(np.max(error)) if error.size else 0.0


def expect_float(got: Any, name: str) -> float:
    """`got` as a float; fails unless it is exactly a float, numpy.float64 or an int (an
    exact number is honest where a float is promised: micrograd's relu gives Value(0))."""
    __tracebackhide__ = True  # the student sees the check, not the comparison's insides
    got = normalise(got)
    if type(got) in (float, np.float64, int):
        return float(got)
    if _low_precision(got):
        raise CheckFailed(f"{name} returned {got.dtype} where float64 is promised: {FLOAT32}", mistake=FLOAT32)
    raise CheckFailed(f"{name} should return a float (a Python float or numpy.float64); it returned {describe(got)}.")


def expect_int(got: Any, name: str) -> int:
    """`got` as an int; fails unless it is exactly an int or a numpy integer (never a bool)."""
    __tracebackhide__ = True
    got = normalise(got)
    if type(got) is not int:
        raise CheckFailed(f"{name} should return an int; it returned {describe(got)}.")
    return got


def expect_count(got: Any, expected: int, name: str, *, mistakes: Sequence[Mistake] = ()) -> None:
    """Fail unless `got` is exactly an int (or numpy integer) equal to `expected` (a size, a
    count of parameters); a wrong answer of any type is first compared with `mistakes`."""
    __tracebackhide__ = True
    got = normalise(got)
    if type(got) is int and got == expected:
        return
    mistake = recognise(got, mistakes)
    if mistake is not None:
        raise CheckFailed(f"{name} gave a wrong answer: {mistake.explanation}", mistake=mistake.explanation)
    expect_int(got, name)
    shown = f"; expected {expected}" if REVEAL_EXPECTED.get() else ""
    raise CheckFailed(f"{name} differs from the lecture's formula{shown}.")


def expect_array(got: Any, name: str, *, dtype: Any = np.float64) -> np.ndarray:
    """`got` as an ndarray; fails unless it is exactly numpy.ndarray of `dtype`."""
    __tracebackhide__ = True
    if type(got) is not np.ndarray:
        raise CheckFailed(f"{name} should return a numpy.ndarray of {np.dtype(dtype)}; it returned {describe(got)}.")
    if got.dtype != np.dtype(dtype):
        if np.dtype(dtype) == np.float64 and _low_precision(got):
            raise CheckFailed(f"{name} returned {got.dtype} values where float64 is promised: {FLOAT32}", mistake=FLOAT32)
        raise CheckFailed(f"{name} should return {np.dtype(dtype)} values; it returned {got.dtype}.")
    return got


def _low_precision(got: Any) -> bool:
    """True for a numpy scalar or array of float32 or float16: a precision, not a kind, is wrong."""
    return type(got) in LOW_PRECISION or (type(got) is np.ndarray and got.dtype.type in LOW_PRECISION)


def expect_tensor(got: Any, shape: tuple[int, ...], name: str, *, dtype: str = "float32", shape_mistakes: Sequence[Mistake] = ()) -> Any:
    """`got` detached, if it is exactly a torch.Tensor of `dtype` and `shape` with finite
    values; else fail, naming a mistake its shape shows (a test on the shape tuple)."""
    __tracebackhide__ = True
    import torch

    if type(got) is not torch.Tensor:
        raise CheckFailed(f"{name} should return a torch.Tensor; it returned {describe(got)}.")
    if got.dtype != getattr(torch, dtype):
        raise CheckFailed(f"{name} should return {dtype} values, as torch's layers do; it returned {got.dtype}.")
    if tuple(got.shape) != shape:
        _fail_naming(tuple(got.shape), shape_mistakes, f"{name} returned {shape_shown(got.shape)}", shape)
    if not bool(torch.isfinite(got).all()):
        raise CheckFailed(f"{name} returned nan or inf values.")
    return got.detach()


def expect_close(
    got: Any,
    expected: Any,
    name: str,
    *,
    rtol: float = FORWARD_RTOL,
    atol: float = 1e-12,
    mistakes: Sequence[Mistake] = (),
) -> None:
    """Fail unless `got` has the type and shape of `expected` and matches it within tolerance.

    `expected` is the oracle's float or float64 ndarray. Before a generic message, the
    student's answer is compared with each of `mistakes`, so the feedback can name one.
    """
    __tracebackhide__ = True
    got = normalise(got)
    if isinstance(expected, np.ndarray):
        got_value = expect_array(got, name, dtype=expected.dtype)
        if got_value.shape != expected.shape:
            _fail_naming(got_value, mistakes, f"{name} returned {shape_shown(got_value.shape)}", expected.shape)
    else:
        got_value = expect_float(got, name)
    if answers_agree(got_value, expected, rtol, atol):
        return
    if not np.all(np.isfinite(np.asarray(got_value, dtype=np.float64))):
        _fail_naming(got_value, mistakes, f"{name} returned nan or inf where the answer is finite", None)
    # the relative error of a chosen answer gives the expected value away: public checks only
    error = f" (relative error {relative_error(got_value, expected):.1e})" if REVEAL_EXPECTED.get() else ""
    float32 = Mistake(FLOAT32, test=lambda answer: computed_in_float32(answer, expected))
    _fail_naming(got_value, [*mistakes, float32], f"{name} differs from the lecture's definition{error}", expected)


def computed_in_float32(got: Any, expected: Any) -> bool:
    """True when every value of `got` is a float32 number while `expected`'s are not all,
    and the two agree to float32's precision: float32 arithmetic returned as float64."""
    got64 = np.asarray(got, dtype=np.float64)
    expected64 = np.asarray(expected, dtype=np.float64)
    if got64.shape != expected64.shape or not np.all(np.isfinite(got64)) or not np.all(np.isfinite(expected64)):
        return False
    scale = float(np.max(np.abs(expected64), initial=0.0))
    with np.errstate(over="ignore"):
        return _is_float32(got64) and not _is_float32(expected64) and answers_agree(got64, expected64, 0.0, FLOAT32_RTOL * scale)


def _is_float32(values: np.ndarray) -> bool:
    return bool(np.array_equal(values.astype(np.float32).astype(np.float64), values))


def expect_unchanged(before: np.ndarray, after: np.ndarray, name: str, argument: str) -> None:
    """Fail when a student's function changed an input array in place."""
    __tracebackhide__ = True
    if not np.array_equal(before, after, equal_nan=True):
        raise CheckFailed(f"{name} changed its input {argument} in place; work on a copy and leave inputs as they were.", mistake=INPUT_CHANGED)


@contextmanager
def helpers_first(name: str, helpers: Mapping[str, Callable[[], Any]]) -> Iterator[None]:
    """Blame a wrong helper, not `name`, for a failure inside the block.

    `helpers` maps each student function that `name` builds on (in the exercise's hints) to
    a check of it on the inputs `name` hands it: a call compared with the grader's own
    oracle that raises CheckFailed when wrong. When a comparison inside the block fails, or
    `name` raises while graded, the helpers are checked in order and the first wrong one
    replaces the feedback, so no mistake is named in `name` that may sit in its helper. The
    grader cannot see whether `name` calls the helper; a helper that is missing or raises
    is not blamed.
    """
    __tracebackhide__ = True
    try:
        yield
    except (CheckFailed, StudentRaised) as failure:
        wrong = _first_wrong(helpers)
        if wrong is None:
            raise
        what = "gives a wrong answer" if isinstance(failure, CheckFailed) else "raised an error"
        raise CheckFailed(
            f"{name} {what}, and {wrong}, which it builds on, is wrong on the same inputs: fix {wrong} first.",
            mistake=f"a wrong {wrong} (fix it first)",
        ) from None


def _first_wrong(helpers: Mapping[str, Callable[[], Any]]) -> str | None:
    for helper, check in helpers.items():
        try:
            check()
        except CheckFailed:
            return helper
        except Exception:  # a helper the student removed, left a stub or broke: it cannot be the cause
            continue
    return None


def _fail_naming(got: Any, mistakes: Sequence[Mistake], message: str, expected: Any) -> None:
    __tracebackhide__ = True
    mistake = recognise(got, mistakes)
    if mistake is not None:
        raise CheckFailed(f"{message}: {mistake.explanation}", mistake=mistake.explanation)
    if expected is not None and REVEAL_EXPECTED.get():
        message += f"; expected {expected!r}"
    raise CheckFailed(message + ".")
