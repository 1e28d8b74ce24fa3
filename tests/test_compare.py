"""The grader's comparisons: exact types first, honest numbers accepted, float32 named, overflow
never right, expected values only in public."""

import numpy as np
import pytest

from autograder.compare import REVEAL_EXPECTED, CheckFailed, computed_in_float32, expect_array, expect_close, expect_count, expect_float, expect_int, helpers_first
from autograder.feedback import Mistake
from autograder.mistakes import common


class Agreeable(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)


class AlwaysEqual(float):
    def __eq__(self, other):
        return True


@pytest.mark.parametrize(
    ("got", "expected"),
    [
        (np.arange(3.0).view(Agreeable), np.arange(3.0)),
        (np.arange(3), np.arange(3.0)),
        ([0.0, 1.0, 2.0], np.arange(3.0)),
        (AlwaysEqual(2.0), 2.0),
        (np.array(2.0), 2.0),
        (float("inf"), 1000.0),
        (float("nan"), 1.0),
        (np.zeros(4), np.zeros(3)),
    ],
)
def test_answers_of_the_wrong_type_shape_or_overflowing_fail(got, expected):
    with pytest.raises(CheckFailed):
        expect_close(got, expected, "f")


def test_exact_types_pass():
    assert expect_float(np.float64(1.5), "f") == 1.5
    assert expect_int(np.int64(3), "f") == 3
    assert expect_array(np.zeros(2), "f").shape == (2,)
    expect_close(1.0 + 1e-9, 1.0, "f")
    with pytest.raises(CheckFailed):
        expect_int(True, "f")


def test_a_recognised_mistake_is_named_and_recorded():
    with pytest.raises(CheckFailed) as failed:
        expect_close(6.0, 2.0, "f", mistakes=[Mistake("a sum, not a mean.", answer=6.0)])
    assert str(failed.value).endswith("a sum, not a mean.") and failed.value.mistake == "a sum, not a mean."


def test_expected_values_show_in_public_checks_only():
    token = REVEAL_EXPECTED.set(False)
    try:
        with pytest.raises(CheckFailed) as hidden:
            expect_close(1.0, 1234.5, "f")
    finally:
        REVEAL_EXPECTED.reset(token)
    assert "1234.5" not in str(hidden.value)
    with pytest.raises(CheckFailed) as public:
        expect_close(1.0, 1234.5, "f")
    assert "1234.5" in str(public.value)


def test_honest_numbers_pass_where_the_contract_promises_them():
    """An exact int where a float is promised (micrograd's Value(0).data and its int grads),
    a numpy integer of any width where an int is promised."""
    assert expect_float(0, "Value.data") == 0.0 and type(expect_float(2, "Value.grad")) is float
    expect_close(0, 0.0, "Value: out.data")
    for number in (np.int8(7), np.int32(7), np.uint16(7), np.int64(7)):
        assert expect_int(number, "f") == 7
        expect_count(number, 7, "conv_output_size")


@pytest.mark.parametrize("fake", [True, np.bool_(True), np.array(1), 1.0])
def test_bools_arrays_and_floats_are_not_ints(fake):
    with pytest.raises(CheckFailed, match="should return an int"):
        expect_int(fake, "f")


def test_a_list_where_an_array_is_promised_fails_naming_the_kind():
    with pytest.raises(CheckFailed, match="should return a numpy.ndarray of float64; it returned a list"):
        expect_close([0.0, 1.0], np.arange(2.0), "relu")


@pytest.mark.parametrize("got", [np.arange(3.0, dtype=np.float32), np.float32(1.5)])
def test_float32_where_float64_is_promised_fails_naming_the_precision(got):
    expected = np.arange(3.0) if isinstance(got, np.ndarray) else 1.5
    with pytest.raises(CheckFailed, match="returned float32.*where float64 is promised") as failed:
        expect_close(got, expected, "sigmoid")
    assert failed.value.mistake == common.FLOAT32


def test_float32_arithmetic_returned_as_float64_is_named():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 40))
    expected = np.tanh(x) @ x.T
    in_float32 = (np.tanh(x.astype(np.float32)) @ x.T.astype(np.float32)).astype(np.float64)
    with pytest.raises(CheckFailed, match="computed in float32") as failed:
        expect_close(in_float32, expected, "f")
    assert failed.value.mistake == common.FLOAT32
    assert computed_in_float32(in_float32, expected)
    assert not computed_in_float32(expected * (1 + 1e-3), expected), "a float64 answer that is wrong is not float32"
    assert not computed_in_float32(np.round(expected), np.round(expected) + 0.5), "exact small numbers are float32 numbers"


def test_a_wrong_helper_is_blamed_instead_of_the_function_built_on_it():
    def wrong_helper():
        expect_close(1.0, 2.0, "helper")

    with pytest.raises(CheckFailed) as failed:
        with helpers_first("f", {"fine": lambda: None, "helper": wrong_helper}):
            expect_close(6.0, 2.0, "f", mistakes=[Mistake("a sum, not a mean.", answer=6.0)])
    assert "fix helper first" in str(failed.value) and "a sum" not in str(failed.value)
    assert failed.value.mistake == "a wrong helper (fix it first)"


def test_a_right_missing_or_broken_helper_leaves_the_named_mistake():
    def missing():
        raise AttributeError("no such function")

    with pytest.raises(CheckFailed) as failed:
        with helpers_first("f", {"right": lambda: expect_close(2.0, 2.0, "right"), "missing": missing}):
            expect_close(6.0, 2.0, "f", mistakes=[Mistake("a sum, not a mean.", answer=6.0)])
    assert failed.value.mistake == "a sum, not a mean."


def test_helpers_are_not_checked_when_the_function_is_right():
    def never():
        raise AssertionError("a helper was checked for a right answer")

    with helpers_first("f", {"helper": never}):
        expect_close(2.0, 2.0, "f")
