"""Hidden checks for loss functions: seeded shapes and values, sklearn and torch as oracles."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn import metrics

from autograder.compare import GRADIENT_RTOL, expect_close, expect_unchanged
from autograder.feedback import Mistake, not_finite
from autograder.mistakes.losses import (
    DOUBLE_SOFTMAX,
    FLIPPED_SIGN,
    GRADIENT_TIMES_N,
    HALF_GRADIENT,
    IGNORES_EPS,
    LOG10,
    LOG_SUM_EXP,
    MSE_FOR_MAE,
    NAIVE_LOG,
    NO_MARGIN,
    OVERFLOW,
    ROOT_MSE,
    SUM_NOT_MEAN,
    SWAPPED_LABELS,
    UNSQUARED,
    UPHILL,
    ZERO_ONE_LABELS,
)

pytestmark = pytest.mark.concept("losses")

def regression_targets(rng):
    """y_true, y_pred of a random 1-D or 2-D shape with at least 5 elements."""
    shape = (int(rng.integers(5, 40)),) if rng.random() < 0.5 else tuple(int(n) for n in rng.integers(2, 9, size=2))
    y_true = rng.normal(0.0, 3.0, size=shape)
    return y_true, y_true + rng.normal(0.0, 1.0, size=shape)


def binary_labels(rng, n):
    labels = rng.integers(0, 2, size=n).astype(np.float64)
    labels[:2] = [0.0, 1.0]  # both classes, always
    return labels


def torch64(array):
    return torch.from_numpy(np.array(array, dtype=np.float64))


def test_mean_squared_error_matches_sklearn(student, rng):
    """mean_squared_error equals sklearn's on random shapes."""
    y_true, y_pred = regression_targets(rng)
    expected = float(metrics.mean_squared_error(y_true.reshape(len(y_true), -1), y_pred.reshape(len(y_true), -1)))
    expect_close(
        student.mean_squared_error(y_true.copy(), y_pred.copy()),
        expected,
        "mean_squared_error",
        mistakes=[
            Mistake(SUM_NOT_MEAN, answer=expected * y_true.size),
            Mistake(ROOT_MSE, answer=math.sqrt(expected)),
            Mistake(UNSQUARED, answer=float(np.mean(y_true - y_pred))),
        ],
    )


def test_mean_absolute_error_matches_sklearn(student, rng):
    """mean_absolute_error equals sklearn's on random shapes."""
    y_true, y_pred = regression_targets(rng)
    expected = float(metrics.mean_absolute_error(y_true.reshape(len(y_true), -1), y_pred.reshape(len(y_true), -1)))
    expect_close(
        student.mean_absolute_error(y_true.copy(), y_pred.copy()),
        expected,
        "mean_absolute_error",
        mistakes=[
            Mistake(SUM_NOT_MEAN, answer=expected * y_true.size),
            Mistake(MSE_FOR_MAE, answer=float(np.mean((y_true - y_pred) ** 2))),
        ],
    )


def test_binary_cross_entropy_matches_sklearn(student, rng):
    """binary_cross_entropy equals sklearn's log_loss for probabilities inside (0, 1)."""
    n = int(rng.integers(6, 50))
    y = binary_labels(rng, n)
    p = rng.uniform(0.02, 0.98, size=n)
    expected = float(metrics.log_loss(y, p, labels=[0, 1]))
    expect_close(
        student.binary_cross_entropy(y.copy(), p.copy()),
        expected,
        "binary_cross_entropy",
        mistakes=[
            Mistake(SUM_NOT_MEAN, answer=expected * n),
            Mistake(LOG10, answer=expected / math.log(10.0)),
            Mistake(FLIPPED_SIGN, answer=-expected),
        ],
    )


def test_binary_cross_entropy_clips_with_the_given_eps(student, rng):
    """p exactly 0 or 1, right and wrong, gives the clipped closed form with the given eps."""
    n = int(rng.integers(6, 30))
    y = binary_labels(rng, n)
    p = rng.uniform(0.05, 0.95, size=n)
    certain = rng.permutation(n)[: n // 2]
    p[certain] = rng.integers(0, 2, size=certain.size)
    eps = 1e-7
    clipped = np.clip(p, eps, 1 - eps)
    expected = float(-np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped)))
    default_eps = np.clip(p, 1e-12, 1 - 1e-12)
    expect_close(
        student.binary_cross_entropy(y.copy(), p.copy(), eps=eps),
        expected,
        "binary_cross_entropy",
        mistakes=[
            Mistake(NAIVE_LOG, test=not_finite),
            Mistake(
                IGNORES_EPS,
                answer=float(-np.mean(y * np.log(default_eps) + (1 - y) * np.log(1 - default_eps))),
            ),
        ],
    )


def test_binary_cross_entropy_with_logits_matches_torch(student, rng):
    """binary_cross_entropy_with_logits equals torch's for moderate logits."""
    n = int(rng.integers(6, 50))
    y = binary_labels(rng, n)
    z = rng.normal(0.0, 3.0, size=n)
    expected = F.binary_cross_entropy_with_logits(torch64(z), torch64(y)).item()
    expect_close(
        student.binary_cross_entropy_with_logits(y.copy(), z.copy()),
        expected,
        "binary_cross_entropy_with_logits",
        mistakes=[
            Mistake(SUM_NOT_MEAN, answer=expected * n),
            Mistake(
                SWAPPED_LABELS,
                answer=F.binary_cross_entropy_with_logits(torch64(z), torch64(1 - y)).item(),
            ),
        ],
    )


def test_binary_cross_entropy_with_logits_is_stable_at_large_logits(student, rng):
    """Logits of +-1000, right and wrong, give torch's finite loss."""
    n = int(rng.integers(6, 30))
    y = binary_labels(rng, n)
    z = rng.choice([-1000.0, 1000.0], size=n) * rng.uniform(0.5, 1.0, size=n)
    expected = F.binary_cross_entropy_with_logits(torch64(z), torch64(y)).item()
    expect_close(
        student.binary_cross_entropy_with_logits(y.copy(), z.copy()),
        expected,
        "binary_cross_entropy_with_logits",
        mistakes=[Mistake(OVERFLOW, test=not_finite)],
    )


def test_cross_entropy_matches_torch(student, rng):
    """cross_entropy equals torch.nn.functional.cross_entropy (mean) on random N, K."""
    n, k = int(rng.integers(4, 30)), int(rng.integers(3, 12))
    logits = rng.normal(0.0, 2.0, size=(n, k))
    labels = rng.integers(0, k, size=n)
    expected = F.cross_entropy(torch64(logits), torch.from_numpy(labels)).item()
    probabilities = torch.softmax(torch64(logits), dim=1)
    expect_close(
        student.cross_entropy(labels.copy(), logits.copy()),
        expected,
        "cross_entropy",
        mistakes=[
            Mistake(SUM_NOT_MEAN, answer=expected * n),
            Mistake(
                DOUBLE_SOFTMAX,
                answer=F.cross_entropy(probabilities, torch.from_numpy(labels)).item(),
            ),
            Mistake(LOG10, answer=expected / math.log(10.0)),
        ],
    )


def test_cross_entropy_is_stable_at_large_logits(student, rng):
    """Logits in the thousands still give torch's finite loss."""
    n, k = int(rng.integers(4, 20)), int(rng.integers(3, 8))
    logits = rng.normal(0.0, 1000.0, size=(n, k))
    labels = rng.integers(0, k, size=n)
    expected = F.cross_entropy(torch64(logits), torch.from_numpy(labels)).item()
    probabilities = torch.softmax(torch64(logits), dim=1)
    expect_close(
        student.cross_entropy(labels.copy(), logits.copy()),
        expected,
        "cross_entropy",
        mistakes=[
            Mistake(LOG_SUM_EXP, test=not_finite),
            Mistake(DOUBLE_SOFTMAX, answer=F.cross_entropy(probabilities, torch.from_numpy(labels)).item()),
        ],
    )


def test_hinge_loss_matches_sklearn(student, rng):
    """hinge_loss equals sklearn.metrics.hinge_loss for labels -1 and +1."""
    n = int(rng.integers(6, 50))
    y = 2.0 * binary_labels(rng, n) - 1.0
    scores = rng.normal(0.0, 1.5, size=n)
    expected = float(metrics.hinge_loss(y, scores))
    expect_close(
        student.hinge_loss(y.copy(), scores.copy()),
        expected,
        "hinge_loss",
        mistakes=[
            Mistake(SUM_NOT_MEAN, answer=expected * n),
            Mistake(
                ZERO_ONE_LABELS,
                answer=float(np.mean(np.maximum(0.0, 1.0 - (2.0 * y - 1.0) * scores))),
            ),
            Mistake(NO_MARGIN, answer=float(np.mean(np.maximum(0.0, -y * scores)))),
        ],
    )


def test_mse_gradient_matches_autograd(student, rng):
    """mse_gradient equals torch.autograd's gradient of the mean squared error."""
    y_true, y_pred = regression_targets(rng)
    prediction = torch64(y_pred).requires_grad_()
    F.mse_loss(prediction, torch64(y_true)).backward()
    expected = prediction.grad.numpy()
    expect_close(
        student.mse_gradient(y_true.copy(), y_pred.copy()),
        expected,
        "mse_gradient",
        rtol=GRADIENT_RTOL,
        mistakes=[
            Mistake(HALF_GRADIENT, answer=expected / 2),
            Mistake(GRADIENT_TIMES_N, answer=expected * y_true.size),
            Mistake(UPHILL, answer=-expected),
        ],
    )


def test_losses_leave_their_inputs_unchanged(student, rng):
    """No loss changes the arrays it is given."""
    n = int(rng.integers(6, 20))
    y = binary_labels(rng, n)
    p = rng.uniform(0.0, 1.0, size=n)
    p[:2] = [0.0, 1.0]
    for name, args in [
        ("mean_squared_error", (y, p)),
        ("mean_absolute_error", (y, p)),
        ("binary_cross_entropy", (y, p)),
        ("binary_cross_entropy_with_logits", (y, p * 10)),
        ("hinge_loss", (2 * y - 1, p)),
        ("mse_gradient", (y, p)),
    ]:
        copies = [a.copy() for a in args]
        getattr(student, name)(*copies)
        for argument, before, after in zip(("first", "second"), args, copies):
            expect_unchanged(before, after, name, f"{argument} argument")
