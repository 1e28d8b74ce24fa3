"""Public checks for loss functions: small examples you can work out by hand."""

import math

import numpy as np
import pytest

from autograder.compare import expect_close
from autograder.feedback import Mistake, not_finite
from autograder.mistakes import losses as mistakes

pytestmark = pytest.mark.concept("losses")


def test_mean_squared_error_small_example(student):
    """MSE of a prediction that is off by 2 in one of three places is 4 / 3."""
    y_true = np.array([1.0, 2.0, 3.0])
    y_pred = np.array([1.0, 2.0, 5.0])
    expect_close(
        student.mean_squared_error(y_true, y_pred),
        4.0 / 3.0,
        "mean_squared_error",
        mistakes=[
            Mistake(mistakes.SUM_NOT_MEAN, answer=4.0),
            Mistake(mistakes.HALF_MSE, answer=2.0 / 3.0),
            Mistake(mistakes.ROOT_MSE, answer=math.sqrt(4.0 / 3.0)),
        ],
    )


def test_mean_absolute_error_small_example(student):
    """MAE of errors 1, -1 and 2 is (1 + 1 + 2) / 3 = 4 / 3."""
    y_true = np.array([0.0, 0.0, 0.0])
    y_pred = np.array([1.0, -1.0, 2.0])
    expect_close(
        student.mean_absolute_error(y_true, y_pred),
        4.0 / 3.0,
        "mean_absolute_error",
        mistakes=[Mistake(mistakes.SUM_NOT_MEAN, answer=4.0), Mistake(mistakes.MSE_FOR_MAE, answer=2.0)],
    )


def test_losses_are_zero_for_a_perfect_prediction(student):
    """A perfect prediction makes nobody unhappy: MSE and MAE are 0; off by 1 everywhere, both are 1."""
    y = np.array([0.5, -1.5, 2.0, 7.0])
    off_by_one = y + np.array([1.0, -1.0, 1.0, -1.0])
    summed = Mistake(mistakes.SUM_NOT_MEAN, answer=4.0)
    for name, known in (("mean_squared_error", [summed, Mistake(mistakes.HALF_MSE, answer=0.5)]), ("mean_absolute_error", [summed])):
        expect_close(getattr(student, name)(y, y.copy()), 0.0, name)
        expect_close(getattr(student, name)(y, off_by_one), 1.0, name, mistakes=known)


def test_binary_cross_entropy_punishes_confident_mistakes(student):
    """Predicting 0.9 for a true 1 costs -ln(0.9); predicting 0.1 for it costs -ln(0.1)."""
    right = student.binary_cross_entropy(np.array([1.0]), np.array([0.9]))
    wrong = student.binary_cross_entropy(np.array([1.0]), np.array([0.1]))
    expect_close(right, -math.log(0.9), "binary_cross_entropy")
    expect_close(wrong, -math.log(0.1), "binary_cross_entropy")


def test_binary_cross_entropy_is_finite_at_certain_predictions(student):
    """p exactly 0 or 1 must give a large but finite loss: clip p to [eps, 1 - eps]."""
    loss = student.binary_cross_entropy(np.array([1.0, 0.0]), np.array([0.0, 0.0]), eps=1e-12)
    expect_close(loss, -math.log(1e-12) / 2, "binary_cross_entropy", mistakes=[Mistake(mistakes.NAIVE_LOG, test=not_finite)])


def test_binary_cross_entropy_with_logits_at_zero(student):
    """A logit of 0 means p = 0.5, so the loss is ln 2 whatever the label."""
    loss = student.binary_cross_entropy_with_logits(np.array([0.0, 1.0]), np.array([0.0, 0.0]))
    expect_close(loss, math.log(2.0), "binary_cross_entropy_with_logits")


def test_cross_entropy_of_uniform_logits_is_ln_k(student):
    """Ten equal logits give every class p = 0.1: the loss is -ln(0.1) = 2.302."""
    logits = np.zeros((4, 10))
    labels = np.array([0, 3, 7, 9])
    expect_close(
        student.cross_entropy(labels, logits),
        math.log(10.0),
        "cross_entropy",
        mistakes=[Mistake(mistakes.SUM_NOT_MEAN, answer=4 * math.log(10.0)), Mistake(mistakes.LOG10, answer=1.0)],
    )


def test_hinge_loss_is_zero_beyond_the_margin(student):
    """Right with a margin of at least 1 costs nothing; a score of 0 costs 1; 0.5 on the wrong side costs 1.5."""
    y = np.array([1.0, -1.0, 1.0, -1.0])
    scores = np.array([2.0, -1.5, 0.0, 0.5])
    expect_close(
        student.hinge_loss(y, scores),
        0.625,
        "hinge_loss",
        mistakes=[Mistake(mistakes.SUM_NOT_MEAN, answer=2.5), Mistake(mistakes.ZERO_ONE_LABELS, answer=0.875)],
    )


def test_mse_gradient_small_example(student):
    """dL/dy_pred = 2 (y_pred - y_true) / n: here n = 2."""
    grad = student.mse_gradient(np.array([0.0, 1.0]), np.array([1.0, 1.0]))
    expect_close(
        grad,
        np.array([1.0, 0.0]),
        "mse_gradient",
        mistakes=[Mistake(mistakes.HALF_GRADIENT, answer=np.array([0.5, 0.0])), Mistake(mistakes.UPHILL, answer=np.array([-1.0, 0.0]))],
    )


def test_mse_gradient_divides_by_the_number_of_elements(student):
    """With n = 4 the mean's 1/n shows: 2 (y_pred - y_true) / 4 = (y_pred - y_true) / 2."""
    y_true = np.zeros(4)
    y_pred = np.array([2.0, -1.0, 0.0, 4.0])
    expect_close(
        student.mse_gradient(y_true, y_pred),
        np.array([1.0, -0.5, 0.0, 2.0]),
        "mse_gradient",
        mistakes=[
            Mistake(mistakes.HALF_SUM_GRADIENT, answer=y_pred),
            Mistake(mistakes.HALF_GRADIENT, answer=y_pred / 4),
            Mistake(mistakes.GRADIENT_TIMES_N, answer=2 * y_pred),
            Mistake(mistakes.UPHILL, answer=-y_pred / 2),
        ],
    )
