"""Public checks for optimisers: first steps you can follow by hand, and a path down a bowl."""

import numpy as np
import pytest

from autograder import catalogue
from autograder.compare import CheckFailed, expect_close
from autograder.feedback import Mistake, not_finite
from autograder.mistakes import optimisers as mistakes

pytestmark = pytest.mark.concept("optimisers")

# The gradient-descent concept's bowl, 0.5 theta^T A theta - b^T theta, smallest at (1, 0.5).
A = np.array([[1.0, 0.0], [0.0, 2.0]])
B = np.array([1.0, 1.0])
EXACT = 1e-10  # the steps are exact arithmetic; eps's place shows far below FORWARD_RTOL


def step_pair(result, name):
    """(new_params, new_state) from what a step function returned."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed(f"{name} should return a tuple (new_params, new_state).")
    return result


def test_sgd_momentum_step_two_steps_by_hand(student):
    """With momentum 0.5 and lr 0.1: v = (1, -1), then v = 0.5 * (1, -1) + (1, 1) = (1.5, 0.5)."""
    params, state = step_pair(student.sgd_momentum_step(np.array([1.0, 2.0]), np.array([1.0, -1.0]), {}, lr=0.1, momentum=0.5), "sgd_momentum_step")
    expect_close(
        params,
        np.array([0.9, 2.1]),
        "sgd_momentum_step",
        mistakes=[Mistake(mistakes.DAMPENED_MOMENTUM, answer=np.array([0.95, 2.05])), Mistake(mistakes.UPHILL, answer=np.array([1.1, 1.9]))],
    )
    params, _ = step_pair(student.sgd_momentum_step(params, np.array([1.0, 1.0]), state, lr=0.1, momentum=0.5), "sgd_momentum_step")
    expect_close(params, np.array([0.75, 2.05]), "sgd_momentum_step", mistakes=[Mistake(mistakes.DAMPENED_MOMENTUM, answer=np.array([0.8, 2.1]))])


def test_rmsprop_step_moves_large_and_small_gradients_alike(student):
    """A first step with alpha 0.75: s = 0.25 * grad**2, so gradients 2 and -0.5 both divide down to about 1."""
    grad = np.array([2.0, -0.5])
    root = np.sqrt(0.25 * grad**2)  # (1, 0.25)
    eps = 0.01  # large, so that where it goes shows
    params, _ = step_pair(student.rmsprop_step(np.ones(2), grad, {}, lr=0.01, alpha=0.75, eps=eps), "rmsprop_step")
    expect_close(
        params,
        1.0 - 0.01 * grad / (root + eps),
        "rmsprop_step",
        rtol=EXACT,
        mistakes=[
            Mistake(mistakes.DECAY_ON_GRADIENT, test=not_finite),
            Mistake(mistakes.EPS_INSIDE_SQRT, answer=1.0 - 0.01 * grad / np.sqrt(root**2 + eps)),
        ],
    )


def test_adam_first_step_moves_every_parameter_by_lr(student):
    """Bias-corrected, Adam's first step is lr * grad / (|grad| + eps): about lr, for a gradient of 4 or of -0.0001."""
    grad = np.array([4.0, -1e-4])
    params, _ = step_pair(student.adam_step(np.ones(2), grad, {}, lr=0.001), "adam_step")
    expect_close(
        params,
        1.0 - 0.001 * grad / (np.abs(grad) + 1e-8),
        "adam_step",
        rtol=EXACT,
        mistakes=[
            Mistake(mistakes.BIAS_CORRECTION_FROM_ZERO, test=not_finite),
            Mistake(mistakes.NO_BIAS_CORRECTION, answer=1.0 - 0.001 * 0.1 * grad / (np.sqrt(0.001) * np.abs(grad) + 1e-8)),
            Mistake(mistakes.EPS_INSIDE_SQRT, answer=1.0 - 0.001 * grad / np.sqrt(grad**2 + 1e-8)),
        ],
    )


def test_optimise_records_the_path_of_a_step_function(student):
    """A step of lr / t * grad at its t-th call, from (0, 0) on the bowl: (0.5, 0.5), then (0.625, 0.5)."""
    step = catalogue.decaying_gradient_step()
    expect_close(
        student.optimise(step, catalogue.quadratic_gradient(A=A, b=B), np.zeros(2), 2, lr=0.5),
        np.array([[0.0, 0.0], [0.5, 0.5], [0.625, 0.5]]),
        "optimise",
        mistakes=[
            Mistake(mistakes.STATE_NOT_PASSED_ON, answer=np.array([[0.0, 0.0], [0.5, 0.5], [0.75, 0.5]])),
            Mistake(mistakes.PATH_WITHOUT_START, answer=np.array([[0.5, 0.5], [0.625, 0.5]])),
        ],
    )


def test_optimise_with_no_momentum_is_gradient_descent(student):
    """optimise(sgd_momentum_step, ..., momentum=0) takes the steps theta - lr * (A theta - b) of plain descent."""
    theta, expected = np.zeros(2), [np.zeros(2)]
    for _ in range(5):
        theta = theta - 0.3 * (A @ theta - B)
        expected.append(theta)
    path = student.optimise(
        catalogue.student_function(module="optimisers", name="sgd_momentum_step"),
        catalogue.quadratic_gradient(A=A, b=B),
        np.zeros(2),
        5,
        lr=0.3,
        momentum=0.0,
    )
    expect_close(path, np.array(expected), "optimise")
