"""Hidden checks for loss functions: seeded shapes and values, sklearn and torch as oracles."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn import metrics

from autograder.compare import FORWARD_RTOL, GRADIENT_RTOL, expect_close, expect_unchanged
from autograder.feedback import Mistake, answers_agree, not_finite
from autograder.mistakes.losses import (
    DOUBLE_SOFTMAX,
    FLIPPED_SIGN,
    GRADIENT_TIMES_N,
    HALF_GRADIENT,
    HALF_MSE,
    HALF_SUM_GRADIENT,
    IGNORES_EPS,
    LOG10,
    LOG_OF_SOFTMAX,
    LOG_SUM_EXP,
    MEAN_OVER_ROWS,
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


def regression_cases(rng):
    """(y_true, y_pred) of 1, 2 and 3 dimensions: every student meets "any shape" the same way."""
    shapes = [
        (int(rng.integers(5, 40)),),
        tuple(int(n) for n in rng.integers(2, 9, size=2)),
        tuple(int(n) for n in rng.integers(2, 5, size=3)),
    ]
    cases = []
    for shape in shapes:
        y_true = rng.normal(0.0, 3.0, size=shape)
        cases.append((y_true, y_true + rng.normal(0.0, 1.0, size=shape)))
    return cases


def on_arrays(name, y):
    """The function's name with the number of dimensions it failed on (no values: it is hidden)."""
    return f"{name} of {y.ndim}-D arrays"


def binary_labels(rng, n):
    labels = rng.integers(0, 2, size=n).astype(np.float64)
    labels[:2] = [0.0, 1.0]  # both classes, always
    return labels


def labelled_logits(rng, n, low, high):
    """n >= 6 labels and logits with |z| in [low, high]; every student meets each label with
    a positive, a negative (right and wrong) and a zero logit, in a shuffled order."""
    y = binary_labels(rng, n)
    z = rng.uniform(low, high, size=n) * rng.choice([-1.0, 1.0], size=n)
    y[:6] = [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    z[:6] = np.abs(z[:6]) * [-1.0, 1.0, 0.0, -1.0, 1.0, 0.0]
    order = rng.permutation(n)
    return y[order], z[order]


def torch64(array):
    return torch.from_numpy(np.array(array, dtype=np.float64))


def mse_answer(y_true, y_pred):
    """sklearn's mean squared error, and what each known mistake gives instead."""
    expected = float(metrics.mean_squared_error(y_true.reshape(len(y_true), -1), y_pred.reshape(len(y_true), -1)))
    return expected, [
        Mistake(SUM_NOT_MEAN, answer=expected * y_true.size),
        Mistake(MEAN_OVER_ROWS, answer=expected * y_true.size / len(y_true)),
        Mistake(HALF_MSE, answer=expected / 2),
        Mistake(ROOT_MSE, answer=math.sqrt(expected)),
        Mistake(UNSQUARED, answer=float(np.mean(y_true - y_pred))),
    ]


def mae_answer(y_true, y_pred):
    expected = float(metrics.mean_absolute_error(y_true.reshape(len(y_true), -1), y_pred.reshape(len(y_true), -1)))
    return expected, [
        Mistake(SUM_NOT_MEAN, answer=expected * y_true.size),
        Mistake(MEAN_OVER_ROWS, answer=expected * y_true.size / len(y_true)),
        Mistake(MSE_FOR_MAE, answer=float(np.mean((y_true - y_pred) ** 2))),
    ]


def bce_answer(y, p, eps=1e-12):
    """The clipped closed form (sklearn's log_loss inside (0, 1)), and the known mistakes."""
    clipped = np.clip(p, eps, 1 - eps)
    expected = float(-np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped)))
    default_eps = np.clip(p, 1e-12, 1 - 1e-12)
    return expected, [
        Mistake(NAIVE_LOG, test=not_finite),
        Mistake(SUM_NOT_MEAN, answer=expected * len(y)),
        Mistake(LOG10, answer=expected / math.log(10.0)),
        Mistake(FLIPPED_SIGN, answer=-expected),
        Mistake(IGNORES_EPS, answer=float(-np.mean(y * np.log(default_eps) + (1 - y) * np.log(1 - default_eps)))),
    ]


def bce_with_logits_answer(y, z):
    expected = F.binary_cross_entropy_with_logits(torch64(z), torch64(y)).item()
    return expected, [
        Mistake(OVERFLOW, test=not_finite),
        Mistake(SUM_NOT_MEAN, answer=expected * len(y)),
        Mistake(SWAPPED_LABELS, answer=F.binary_cross_entropy_with_logits(torch64(z), torch64(1 - y)).item()),
    ]


def subtracts_the_row_max(student):
    """True when cross_entropy is right for logits near 1000, where exp alone overflows."""
    logits = np.array([[1000.0, 999.0, 998.0]])
    try:
        got = student.cross_entropy(np.array([0]), logits)
    except Exception:  # noqa: BLE001 - the student's error: this probe recognises nothing
        return False
    return answers_agree(got, math.log(1 + math.exp(-1) + math.exp(-2)), 1e-6)


def cross_entropy_answer(labels, logits, student):
    expected = F.cross_entropy(torch64(logits), torch.from_numpy(labels)).item()
    probabilities = torch.softmax(torch64(logits), dim=1)
    return expected, [
        Mistake(LOG_OF_SOFTMAX, test=lambda got: not_finite(got) and subtracts_the_row_max(student)),
        Mistake(LOG_SUM_EXP, test=not_finite),
        Mistake(SUM_NOT_MEAN, answer=expected * len(labels)),
        Mistake(DOUBLE_SOFTMAX, answer=F.cross_entropy(probabilities, torch.from_numpy(labels)).item()),
        Mistake(LOG10, answer=expected / math.log(10.0)),
    ]


def hinge_answer(y, scores):
    expected = float(metrics.hinge_loss(y, scores))
    return expected, [
        Mistake(SUM_NOT_MEAN, answer=expected * len(y)),
        Mistake(ZERO_ONE_LABELS, answer=float(np.mean(np.maximum(0.0, 1.0 - (2.0 * y - 1.0) * scores)))),
        Mistake(NO_MARGIN, answer=float(np.mean(np.maximum(0.0, -y * scores)))),
    ]


def mse_gradient_answer(y_true, y_pred):
    """torch.autograd's gradient of the mean squared error, and the known mistakes."""
    prediction = torch64(y_pred).requires_grad_()
    F.mse_loss(prediction, torch64(y_true)).backward()
    expected = prediction.grad.numpy()
    return expected, [
        Mistake(HALF_GRADIENT, answer=expected / 2),
        Mistake(HALF_SUM_GRADIENT, answer=expected * y_true.size / 2),
        Mistake(GRADIENT_TIMES_N, answer=expected * y_true.size),
        Mistake(MEAN_OVER_ROWS, answer=expected * y_true.size / len(y_true)),
        Mistake(UPHILL, answer=-expected),
    ]


def test_mean_squared_error_matches_sklearn(student, rng):
    """mean_squared_error equals sklearn's for 1-D, 2-D and 3-D arrays."""
    for y_true, y_pred in regression_cases(rng):
        expected, mistakes = mse_answer(y_true, y_pred)
        got = student.mean_squared_error(y_true.copy(), y_pred.copy())
        expect_close(got, expected, on_arrays("mean_squared_error", y_true), mistakes=mistakes)


def test_mean_absolute_error_matches_sklearn(student, rng):
    """mean_absolute_error equals sklearn's for 1-D, 2-D and 3-D arrays."""
    for y_true, y_pred in regression_cases(rng):
        expected, mistakes = mae_answer(y_true, y_pred)
        got = student.mean_absolute_error(y_true.copy(), y_pred.copy())
        expect_close(got, expected, on_arrays("mean_absolute_error", y_true), mistakes=mistakes)


def test_binary_cross_entropy_matches_sklearn(student, rng):
    """binary_cross_entropy equals sklearn's log_loss for probabilities inside (0, 1)."""
    n = int(rng.integers(6, 50))
    y = binary_labels(rng, n)
    p = rng.uniform(0.02, 0.98, size=n)
    expected = float(metrics.log_loss(y, p, labels=[0, 1]))
    got = student.binary_cross_entropy(y.copy(), p.copy())
    expect_close(got, expected, "binary_cross_entropy", mistakes=bce_answer(y, p)[1])


def test_binary_cross_entropy_clips_with_the_given_eps(student, rng):
    """p exactly 0 and exactly 1, each right and wrong, give the clipped closed form with the given eps."""
    n = int(rng.integers(6, 30))
    y = binary_labels(rng, n)
    p = rng.uniform(0.05, 0.95, size=n)
    y[:4], p[:4] = [0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 1.0, 1.0]  # every student meets all four
    order = rng.permutation(n)
    y, p = y[order], p[order]
    expected, mistakes = bce_answer(y, p, eps=1e-7)
    expect_close(student.binary_cross_entropy(y.copy(), p.copy(), eps=1e-7), expected, "binary_cross_entropy", mistakes=mistakes)


def test_binary_cross_entropy_with_logits_matches_torch(student, rng):
    """binary_cross_entropy_with_logits equals torch's for moderate logits of both signs and 0."""
    y, z = labelled_logits(rng, int(rng.integers(6, 50)), 0.1, 8.0)
    expected, mistakes = bce_with_logits_answer(y, z)
    got = student.binary_cross_entropy_with_logits(y.copy(), z.copy())
    expect_close(got, expected, "binary_cross_entropy_with_logits", mistakes=mistakes)


def test_binary_cross_entropy_with_logits_is_stable_at_large_logits(student, rng):
    """Logits of +-500 to +-1000, right and wrong for each label, give torch's finite loss."""
    y, z = labelled_logits(rng, int(rng.integers(6, 30)), 500.0, 1000.0)
    expected, mistakes = bce_with_logits_answer(y, z)
    got = student.binary_cross_entropy_with_logits(y.copy(), z.copy())
    expect_close(got, expected, "binary_cross_entropy_with_logits", mistakes=mistakes)


def test_cross_entropy_matches_torch(student, rng):
    """cross_entropy equals torch.nn.functional.cross_entropy (mean) on random N, K."""
    n, k = int(rng.integers(4, 30)), int(rng.integers(3, 12))
    logits = rng.normal(0.0, 2.0, size=(n, k))
    labels = rng.integers(0, k, size=n)
    expected, mistakes = cross_entropy_answer(labels, logits, student)
    expect_close(student.cross_entropy(labels.copy(), logits.copy()), expected, "cross_entropy", mistakes=mistakes)


def large_logits(rng):
    """Labels and logits in the thousands. Every student meets three kinds of row: logits
    near +1000 (exp overflows), a true class 800 or more below its row's max (its
    probability underflows) and logits near -1000 (every exp underflows)."""
    n, k = int(rng.integers(4, 20)), int(rng.integers(3, 8))
    logits = rng.normal(0.0, 1000.0, size=(n, k))
    labels = rng.integers(0, k, size=n)
    logits[0] = rng.uniform(800.0, 1000.0, size=k)
    logits[1] = rng.uniform(-100.0, 100.0, size=k)
    logits[1, labels[1]] = np.max(logits[1]) - rng.uniform(800.0, 1200.0)
    logits[2] = rng.uniform(-1000.0, -800.0, size=k)
    order = rng.permutation(n)
    return labels[order], logits[order]


def test_cross_entropy_is_stable_at_large_logits(student, rng):
    """Logits in the thousands, far above or below 0 or far below their row's max, still give torch's finite loss."""
    labels, logits = large_logits(rng)
    expected, mistakes = cross_entropy_answer(labels, logits, student)
    expect_close(student.cross_entropy(labels.copy(), logits.copy()), expected, "cross_entropy", mistakes=mistakes)


def test_hinge_loss_matches_sklearn(student, rng):
    """hinge_loss equals sklearn.metrics.hinge_loss for labels -1 and +1, on both sides of the margin and at it."""
    n = int(rng.integers(8, 50))
    y = 2.0 * binary_labels(rng, n) - 1.0
    scores = rng.normal(0.0, 1.5, size=n)
    # every student meets, for each label, y * s beyond the margin, inside it, on the wrong side and at the kink 1
    margins = [rng.uniform(1.2, 3.0), rng.uniform(0.1, 0.9), -rng.uniform(0.1, 2.0), 1.0]
    y[:8] = [1.0] * 4 + [-1.0] * 4
    scores[:8] = y[:8] * np.array(margins * 2)
    order = rng.permutation(n)
    y, scores = y[order], scores[order]
    expected, mistakes = hinge_answer(y, scores)
    expect_close(student.hinge_loss(y.copy(), scores.copy()), expected, "hinge_loss", mistakes=mistakes)


def test_mse_gradient_matches_autograd(student, rng):
    """mse_gradient equals torch.autograd's gradient of the mean squared error, for 1-D, 2-D and 3-D arrays."""
    for y_true, y_pred in regression_cases(rng):
        expected, mistakes = mse_gradient_answer(y_true, y_pred)
        got = student.mse_gradient(y_true.copy(), y_pred.copy())
        expect_close(got, expected, on_arrays("mse_gradient", y_true), rtol=GRADIENT_RTOL, mistakes=mistakes)


def test_losses_leave_their_inputs_unchanged(student, rng):
    """No loss changes the arrays it is given, and each gives the right answer (else no points)."""
    n = int(rng.integers(6, 20))
    y = binary_labels(rng, n)
    p = rng.uniform(0.0, 1.0, size=n)
    p[:2] = [0.0, 1.0]
    k = int(rng.integers(3, 6))
    labels, logits = rng.integers(0, k, size=n), rng.normal(0.0, 3.0, size=(n, k))
    calls = [
        ("mean_squared_error", (y, p), mse_answer(y, p)),
        ("mean_absolute_error", (y, p), mae_answer(y, p)),
        ("binary_cross_entropy", (y, p), bce_answer(y, p)),
        ("binary_cross_entropy_with_logits", (y, p * 10), bce_with_logits_answer(y, p * 10)),
        ("cross_entropy", (labels, logits), cross_entropy_answer(labels, logits, student)),
        ("hinge_loss", (2 * y - 1, p), hinge_answer(2 * y - 1, p)),
        ("mse_gradient", (y, p), mse_gradient_answer(y, p)),
    ]
    for name, args, (expected, mistakes) in calls:
        copies = [a.copy() for a in args]
        got = getattr(student, name)(*copies)
        for argument, before, after in zip(("first", "second"), args, copies):
            expect_unchanged(before, after, name, f"{argument} argument")
        expect_close(got, expected, name, rtol=GRADIENT_RTOL if name == "mse_gradient" else FORWARD_RTOL, mistakes=mistakes)
