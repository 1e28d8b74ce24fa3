"""Public checks for linear regression and gradient descent: the lecture's small examples."""

import numpy as np
import pytest

from autograder import catalogue
from autograder.compare import CheckFailed, expect_array, expect_close, expect_int
from autograder.feedback import Mistake, not_finite
from autograder.mistakes import gradient_descent as mistakes

pytestmark = pytest.mark.concept("gradient_descent")

# L(theta) = 0.5 theta^T A theta - b^T theta, smallest at theta = A^-1 b = (1, 0.5).
A = np.array([[1.0, 0.0], [0.0, 2.0]])
B = np.array([1.0, 1.0])


def test_design_matrix_of_the_lecture(student):
    """X = [[1, x_1], [1, x_2], [1, x_3]]: a leading column of ones for the intercept beta_0."""
    x = np.array([1.0, 2.0, 3.0])
    expect_close(
        student.design_matrix(x),
        np.array([[1.0, 1.0], [1.0, 2.0], [1.0, 3.0]]),
        "design_matrix",
        mistakes=[
            Mistake(mistakes.NO_INTERCEPT, answer=x[:, None]),
            Mistake(mistakes.ONES_LAST, answer=np.array([[1.0, 1.0], [2.0, 1.0], [3.0, 1.0]])),
        ],
    )


def test_fit_least_squares_of_points_on_a_line(student):
    """Points on y = 2 + 3 x give back beta = (2, 3)."""
    X = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]])
    y = 2.0 + 3.0 * X[:, 1]
    expect_close(student.fit_least_squares(X, y), np.array([2.0, 3.0]), "fit_least_squares", atol=1e-10)


def test_linear_mse_gradient_small_example(student):
    """Residuals (1, 2, 3, 4) on X = [[1, 0], [1, 1], [1, 2], [1, 3]] give dL/dbeta = 2 / 4 * X.T @ (1, 2, 3, 4) = (5, 10)."""
    X = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]])
    expect_close(
        student.linear_mse_gradient(np.array([1.0, 1.0]), X, np.zeros(4)),
        np.array([5.0, 10.0]),
        "linear_mse_gradient",
        mistakes=[
            Mistake(mistakes.HALF_GRADIENT, answer=np.array([2.5, 5.0])),
            Mistake(mistakes.HALF_SUM_GRADIENT, answer=np.array([10.0, 20.0])),
            Mistake(mistakes.GRADIENT_TIMES_N, answer=np.array([20.0, 40.0])),
            Mistake(mistakes.UPHILL, answer=np.array([-5.0, -10.0])),
        ],
    )


def test_gradient_descent_takes_one_lecture_step(student):
    """One update from theta = 0, where the gradient is -(1, 1), with alpha = 0.1 gives (0.1, 0.1)."""
    grad_fn = catalogue.quadratic_gradient(A=A, b=B)
    theta, steps = student.gradient_descent(grad_fn, np.zeros(2), 0.1, max_steps=1)
    expect_close(theta, np.array([0.1, 0.1]), "gradient_descent", mistakes=[Mistake(mistakes.UPHILL, answer=np.array([-0.1, -0.1]))])
    if expect_int(steps, "gradient_descent's steps") != 1:
        raise CheckFailed("gradient_descent with max_steps=1 should make exactly 1 update and return steps == 1.")


def test_gradient_descent_stops_where_the_gradient_is_zero(student):
    """Started at the minimum, the gradient is of size zero: stop at once, with 0 steps."""
    grad_fn = catalogue.quadratic_gradient(A=A, b=B)
    theta, steps = student.gradient_descent(grad_fn, np.array([1.0, 0.5]), 0.1)
    expect_close(theta, np.array([1.0, 0.5]), "gradient_descent")
    steps = expect_int(steps, "gradient_descent's steps")
    if steps == 1:
        raise CheckFailed(f"gradient_descent made 1 step from a minimum: {mistakes.COUNTS_EVALUATIONS}", mistake=mistakes.COUNTS_EVALUATIONS)
    if steps != 0:
        raise CheckFailed(f"gradient_descent made {steps} steps from a minimum; where the gradient is zero it should stop at once (step 3).")


def test_gradient_descent_reaches_the_minimum(student):
    """From theta = 0 with alpha = 0.5, descent ends at the minimum A^-1 b = (1, 0.5)."""
    theta, _ = student.gradient_descent(catalogue.quadratic_gradient(A=A, b=B), np.zeros(2), 0.5)
    if not_finite(theta):
        raise CheckFailed(f"gradient_descent ran off to inf or nan: {mistakes.UPHILL}", mistake=mistakes.UPHILL)
    expect_close(theta, np.array([1.0, 0.5]), "gradient_descent", rtol=1e-6, mistakes=[Mistake(mistakes.UPHILL, test=not_finite)])


def test_minibatch_indices_cover_every_sample_once(student):
    """Ten samples in batches of 4: batches of sizes 4, 4 and 2 that hold 0, ..., 9 once each."""
    batches = student.minibatch_indices(10, 4, seed=0)
    sizes = [len(expect_array(batch, "each batch of minibatch_indices", dtype=np.int64)) for batch in batches]
    if sizes == [4, 4]:
        raise CheckFailed(f"minibatch_indices(10, 4, seed=0): {mistakes.DROPS_LAST_BATCH}", mistake=mistakes.DROPS_LAST_BATCH)
    if sizes != [4, 4, 2]:
        raise CheckFailed(f"minibatch_indices(10, 4, seed=0) gave batches of sizes {sizes}; expected [4, 4, 2].")
    if sorted(np.concatenate(batches).tolist()) != list(range(10)):
        raise CheckFailed(f"minibatch_indices(10, 4, seed=0) should hold 0, ..., 9 once each: {mistakes.WITH_REPLACEMENT}", mistake=mistakes.WITH_REPLACEMENT)


def test_train_val_test_split_of_ten_samples(student):
    """Ten samples with 20% validation and 20% test: 6, 2 and 2 samples, each in one set."""
    train, val, test = student.train_val_test_split(10, 0.2, 0.2, seed=0)
    sizes = [len(expect_array(part, "train_val_test_split", dtype=np.int64)) for part in (train, val, test)]
    if sizes != [6, 2, 2]:
        raise CheckFailed(f"train_val_test_split(10, 0.2, 0.2) gave sets of sizes {sizes}; expected [6, 2, 2].")
    if sorted(np.concatenate([train, val, test]).tolist()) != list(range(10)):
        raise CheckFailed(f"train_val_test_split: {mistakes.SPLIT_OVERLAP}", mistake=mistakes.SPLIT_OVERLAP)
