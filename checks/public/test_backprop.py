"""Public checks for backpropagation: small cases worked by hand, and micrograd's own sanity check."""

import math

import numpy as np
import pytest

from autograder import catalogue
from autograder.compare import GRADIENT_RTOL, expect_close
from autograder.feedback import Mistake
from autograder.mistakes import backprop as mistakes

pytestmark = pytest.mark.concept("backprop")


def test_relative_error_of_a_small_table(student):
    """Equal arrays: 0; 2 against 2.2: 0.2 / 4.2; both 0: 0, thanks to the 1e-8 floor."""
    a = np.array([1.0, 2.0, 0.0])
    b = np.array([1.0, 2.2, 0.0])
    expect_close(
        student.relative_error(a, b),
        0.2 / 4.2,
        "relative_error",
        mistakes=[Mistake(mistakes.MEAN_ERROR, answer=0.2 / 4.2 / 3), Mistake(mistakes.ABSOLUTE_ERROR, answer=0.2)],
    )
    expect_close(student.relative_error(np.zeros(3), np.zeros(3)), 0.0, "relative_error", mistakes=[Mistake(mistakes.NO_FLOOR, test=math.isnan)])


def test_numerical_gradient_of_a_quadratic(student):
    """For f(x) = 0.5 x^T A x - b^T x the centred difference is exact: A x - b."""
    A = np.array([[2.0, 1.0], [1.0, 4.0]])
    b = np.array([1.0, -1.0])
    x = np.array([0.5, 1.0])
    h = 1e-3
    one_sided = A @ x - b + h / 2 * np.diag(A)  # (f(x + h e_i) - f(x)) / h for a quadratic
    unrestored = A @ x - b - h * np.array([0.0, A[1, 0]])  # x[0] left at x[0] - h
    expect_close(
        student.numerical_gradient(catalogue.quadratic(A=A, b=b), x, h=h),
        A @ x - b,
        "numerical_gradient",
        rtol=GRADIENT_RTOL,
        mistakes=[Mistake(mistakes.ONE_SIDED, answer=one_sided), Mistake(mistakes.NOT_RESTORED, answer=unrestored)],
    )


def test_dense_forward_small_example(student):
    """out = x @ W.T + b: one sample (1, 2) through a layer with M = 3 outputs."""
    x = np.array([[1.0, 2.0]])
    W = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    b = np.array([0.0, 10.0, 100.0])
    expect_close(student.dense_forward(x, W, b), np.array([[1.0, 12.0, 103.0]]), "dense_forward")


def test_mlp_loss_and_gradients_at_zero_weights(student):
    """With every weight 0 the logits are 0: the loss is ln 2 and only b2 gets a gradient, mean(0.5 - y)."""
    params = {"W1": np.zeros((3, 2)), "b1": np.zeros(3), "W2": np.zeros((1, 3)), "b2": np.zeros(1)}
    X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])
    y = np.array([1.0, 1.0, 1.0, 0.0])
    loss, grads = student.mlp_loss_and_gradients(params, X, y)
    expect_close(loss, math.log(2.0), "mlp_loss_and_gradients' loss", mistakes=[Mistake(mistakes.LOSS_SUM, answer=4 * math.log(2.0))])
    expect_close(
        grads["b2"],
        np.array([-0.25]),
        "the gradient of b2",
        mistakes=[Mistake(mistakes.GRADIENTS_TIMES_N, answer=np.array([-1.0])), Mistake(mistakes.DB_MEAN, answer=np.array([-0.0625]))],
    )
    for name in ("W1", "b1", "W2"):
        expect_close(grads[name], np.zeros_like(params[name]), f"the gradient of {name}")


def test_value_gradient_of_a_node_used_twice(student):
    """d(a + a)/da = 2 and d(a * a)/da = 2 a: a node used twice gets the gradient of both uses."""
    a = student.Value(3.0)
    (a + a).backward()
    expect_close(a.grad, 2.0, "Value: the gradient of a in a + a", mistakes=[Mistake(mistakes.OVERWRITTEN, answer=1.0)])
    a = student.Value(3.0)
    (a * a).backward()
    expect_close(a.grad, 6.0, "Value: the gradient of a in a * a", mistakes=[Mistake(mistakes.OVERWRITTEN, answer=3.0)])


def test_value_passes_micrograds_sanity_check(student):
    """micrograd's test_sanity_check: y = -20 and dy/dx = 46 at x = -4."""
    x = student.Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    expect_close(y.data, -20.0, "Value: y.data")
    expect_close(x.grad, 46.0, "Value: x.grad", mistakes=mistakes.backward_mistakes(student))
