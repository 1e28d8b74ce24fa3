"""Public checks for nonlinearities: values you can work out by hand, and the lecture's
sequence of matrix projections that collapses to one."""

import math

import numpy as np
import pytest

from autograder.compare import CheckFailed, expect_close
from autograder.feedback import Mistake, not_finite
from autograder.mistakes import nonlinearities as mistakes

pytestmark = pytest.mark.concept("nonlinearities")


def s(x):
    return 1.0 / (1.0 + math.exp(-x))


def test_relu_is_max_of_zero_and_x(student):
    """ReLU(x) = max(0, x): negative values become 0, positive ones stay."""
    x = np.array([-2.0, -0.5, 0.0, 1.5])
    expect_close(student.relu(x), np.array([0.0, 0.0, 0.0, 1.5]), "relu")


def test_sigmoid_is_a_half_at_zero_and_symmetric(student):
    """sigmoid(0) = 0.5, and sigmoid(-x) = 1 - sigmoid(x)."""
    expect_close(student.sigmoid(np.array([0.0, 2.0, -2.0])), np.array([0.5, s(2.0), 1.0 - s(2.0)]), "sigmoid")


def test_sigmoid_and_softplus_at_plus_minus_1000(student):
    """sigmoid(-1000, 1000) = (0, 1) and softplus(-1000, 1000) = (0, 1000), with no inf or nan."""
    x = np.array([-1000.0, 1000.0])
    for name, expected in (("sigmoid", np.array([0.0, 1.0])), ("softplus", np.array([0.0, 1000.0]))):
        got = getattr(student, name)(x)
        if not_finite(got):
            raise CheckFailed(f"{name} returned nan or inf at x = +-1000: {mistakes.OVERFLOW}", mistake=mistakes.OVERFLOW)
        expect_close(got, expected, name)


def test_activation_gradient_of_sigmoid_is_a_quarter_at_zero(student):
    """sigmoid'(x) = sigmoid(x) * (1 - sigmoid(x)): 0.25 at x = 0, less elsewhere."""
    expect_close(
        student.activation_gradient("sigmoid", np.array([0.0, 2.0])),
        np.array([0.25, s(2.0) * (1.0 - s(2.0))]),
        "activation_gradient('sigmoid')",
        mistakes=[Mistake(mistakes.SIGMOID_GRADIENT_IS_SIGMOID, answer=np.array([0.5, s(2.0)]))],
    )


def test_activation_gradient_of_relu_at_zero_is_zero(student):
    """ReLU'(x) is 0 for x < 0 and 1 for x > 0; at the kink x = 0, PyTorch uses 0."""
    expect_close(
        student.activation_gradient("relu", np.array([-1.0, 0.0, 2.0])),
        np.array([0.0, 0.0, 1.0]),
        "activation_gradient('relu')",
        mistakes=[
            Mistake(mistakes.KINK_CONVENTION, answer=np.array([0.0, 1.0, 1.0])),
            Mistake(mistakes.KINK_CONVENTION, answer=np.array([0.0, 0.5, 1.0])),
        ],
    )


def test_collapse_linear_of_five_projections(student):
    """Y = F5 @ F4 @ F3 @ F2 @ F1 @ X: five projections without nonlinearity are one."""
    F1 = np.array([[1.0, 1.0], [0.0, 1.0]])
    F2 = np.array([[1.0, 0.0], [2.0, 1.0]])
    F3 = np.array([[0.0, -1.0], [1.0, 0.0]])
    F4 = np.array([[2.0, 0.0], [0.0, 0.5]])
    F5 = np.array([[1.0, 0.0], [1.0, 0.0]])
    W, b = student.collapse_linear([F1, F2, F3, F4, F5], [np.zeros(2)] * 5)
    expect_close(W, F5 @ F4 @ F3 @ F2 @ F1, "collapse_linear's W", mistakes=[Mistake(mistakes.REVERSED_PRODUCT, answer=F1 @ F2 @ F3 @ F4 @ F5)])
    expect_close(b, np.zeros(2), "collapse_linear's b")
