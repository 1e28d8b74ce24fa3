"""Public checks for batch norm, dropout and residual blocks: batches small enough to follow by hand."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder.compare import CheckFailed, GRADIENT_RTOL, expect_array, expect_close
from autograder.feedback import Mistake
from autograder.mistakes import normalisation as mistakes

pytestmark = pytest.mark.concept("normalisation")

EPS = 1e-5
# Two images (N = 2) of two channels, 1 x 2 pixels each. Channel 0 holds 1, 3 in both
# images: mean 2, variance 1. Channel 1 holds 0, 4 and 4, 0: mean 2, variance 4.
X = np.array([[[[1.0, 3.0]], [[0.0, 4.0]]], [[[1.0, 3.0]], [[4.0, 0.0]]]])
VAR = np.array([1.0, 4.0])[:, None, None]
X_HAT = (X - 2.0) / np.sqrt(VAR + EPS)
GAMMA, BETA = np.array([2.0, 1.0]), np.array([0.0, 10.0])


def per_channel(values):
    return np.asarray(values)[:, None, None]


def batchnorm(student, running_mean, running_var, momentum, training):
    result = student.batchnorm_forward(X.copy(), GAMMA.copy(), BETA.copy(), running_mean, running_var, momentum, EPS, training)
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        raise CheckFailed("batchnorm_forward should return a tuple (out, new_running_mean, new_running_var).")
    return result


def test_batchnorm_forward_standardises_each_channel(student):
    """Training: each channel becomes (x - mean) / sqrt(var + eps), here +-1, then gamma * that + beta."""
    out, _, _ = batchnorm(student, np.zeros(2), np.ones(2), 0.25, True)
    pixel_mean, pixel_var = X.mean(axis=0), X.var(axis=0)  # what statistics per pixel would be
    expect_close(
        out,
        per_channel(GAMMA) * X_HAT + per_channel(BETA),
        "batchnorm_forward",
        mistakes=[
            Mistake(mistakes.PER_PIXEL, answer=per_channel(GAMMA) * (X - pixel_mean) / np.sqrt(pixel_var + EPS) + per_channel(BETA)),
            Mistake(mistakes.EPS_OUTSIDE_SQRT, answer=per_channel(GAMMA) * (X - 2.0) / (np.sqrt(VAR) + EPS) + per_channel(BETA)),
        ],
    )


def test_batchnorm_forward_moves_the_running_statistics(student):
    """With momentum 0.25, running = 0.75 * running + 0.25 * batch; the variance's batch value is 4 / 3 * var (m = 4)."""
    _, running_mean, running_var = batchnorm(student, np.zeros(2), np.ones(2), 0.25, True)
    per_pixel = Mistake(mistakes.PER_PIXEL, test=lambda got: np.shape(got) == X.shape[1:])
    expect_close(
        running_mean,
        np.array([0.5, 0.5]),
        "batchnorm_forward's new_running_mean",
        mistakes=[Mistake(mistakes.MOMENTUM_REVERSED, answer=np.array([1.5, 1.5])), per_pixel],
    )
    expect_close(
        running_var,
        0.75 + 0.25 * np.array([1.0, 4.0]) * 4 / 3,
        "batchnorm_forward's new_running_var",
        mistakes=[
            Mistake(mistakes.BIASED_RUNNING_VAR, answer=0.75 + 0.25 * np.array([1.0, 4.0])),
            Mistake(mistakes.MOMENTUM_REVERSED, answer=0.25 + 0.75 * np.array([1.0, 4.0]) * 4 / 3),
            per_pixel,
        ],
    )


def test_batchnorm_forward_at_evaluation_uses_the_running_statistics(student):
    """training=False: running mean 0 and variance 4 and 1 stand in for the batch's, and stay as they were."""
    running_var = np.array([4.0, 1.0])
    out, running_mean, new_running_var = batchnorm(student, np.zeros(2), running_var.copy(), 0.25, False)
    expect_close(
        out,
        per_channel(GAMMA) * X / np.sqrt(per_channel(running_var) + EPS) + per_channel(BETA),
        "batchnorm_forward",
        mistakes=[
            Mistake(mistakes.BATCH_STATS_AT_EVALUATION, answer=per_channel(GAMMA) * X_HAT + per_channel(BETA)),
            Mistake(mistakes.EPS_OUTSIDE_SQRT, answer=per_channel(GAMMA) * X / (np.sqrt(per_channel(running_var)) + EPS) + per_channel(BETA)),
        ],
    )
    expect_close(running_mean, np.zeros(2), "batchnorm_forward's new_running_mean", mistakes=[Mistake(mistakes.RUNNING_STATS_CHANGED_AT_EVALUATION, answer=np.array([0.5, 0.5]))])
    expect_close(new_running_var, running_var, "batchnorm_forward's new_running_var")


def test_batchnorm_backward_of_a_constant_gradient_is_zero(student):
    """dout = 1 everywhere asks to shift every output, which batch norm undoes: dx = 0, dgamma = 0, dbeta = m = 4."""
    dx, dgamma, dbeta = student.batchnorm_backward(np.ones_like(X), X.copy(), GAMMA.copy(), EPS)
    expect_close(dbeta, np.array([4.0, 4.0]), "batchnorm_backward's dbeta")
    expect_close(dgamma, np.zeros(2), "batchnorm_backward's dgamma", atol=1e-12)
    expect_close(dx, np.zeros_like(X), "batchnorm_backward's dx", atol=1e-12, mistakes=[Mistake(mistakes.NO_MEAN_VARIANCE_TERMS, answer=np.ones_like(X) * per_channel(GAMMA) / np.sqrt(per_channel([1.0, 4.0]) + EPS))])


def test_batchnorm_backward_small_batch_matches_autograd(student):
    """On a small random batch, dx, dgamma and dbeta equal torch.autograd's through F.batch_norm."""
    rng = np.random.default_rng(0)
    x, dout, gamma = rng.normal(size=(2, 3, 2, 3)), rng.normal(size=(2, 3, 2, 3)), rng.normal(size=3)
    tensors = [torch.tensor(a, requires_grad=True) for a in (x, gamma, np.zeros(3))]
    F.batch_norm(tensors[0], None, None, tensors[1], tensors[2], True, 0.1, EPS).backward(torch.tensor(dout))
    got = student.batchnorm_backward(dout.copy(), x.copy(), gamma.copy(), EPS)
    # What dx is without the paths through the mean and the variance, and without the variance's.
    direct = per_channel(gamma) / np.sqrt(x.var(axis=(0, 2, 3), keepdims=True) + EPS) * dout
    without_variance = direct - per_channel(gamma) / np.sqrt(x.var(axis=(0, 2, 3), keepdims=True) + EPS) * dout.mean(axis=(0, 2, 3), keepdims=True)
    known = [Mistake(mistakes.NO_MEAN_VARIANCE_TERMS, answer=direct), Mistake(mistakes.NO_VARIANCE_TERM, answer=without_variance)]
    for name, value, tensor, found in zip(("dx", "dgamma", "dbeta"), got, tensors, (known, [], [])):
        expect_close(value, tensor.grad.numpy(), f"batchnorm_backward's {name}", rtol=GRADIENT_RTOL, mistakes=found)


def dropout(student, x, p, training, seed=0):
    result = student.dropout_forward(x.copy(), p, training, np.random.default_rng(seed))
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed("dropout_forward should return a tuple (out, cache).")
    return result


def test_dropout_forward_at_evaluation_changes_nothing(student):
    """training=False: out equals x, whatever p is."""
    x = np.arange(1.0, 13.0).reshape(3, 4)
    out, _ = dropout(student, x, 0.5, False)
    expect_close(out, x, "dropout_forward", mistakes=[Mistake(mistakes.DROPOUT_AT_EVALUATION, test=lambda got: np.shape(got) == x.shape)])


def test_dropout_forward_drops_a_quarter_and_scales_the_rest(student):
    """p = 0.25 on 10000 ones: about a quarter become 0, every other entry 1 / (1 - 0.25) = 4 / 3."""
    out = expect_array(dropout(student, np.ones(10000), 0.25, True)[0], "dropout_forward")
    if out.shape != (10000,):
        raise CheckFailed(f"dropout_forward returned shape {out.shape}; out has the shape of x, (10000,).")
    kept = out[out != 0]
    if np.allclose(kept, 1.0):
        raise CheckFailed(f"dropout_forward: {mistakes.NOT_SCALED}", mistake=mistakes.NOT_SCALED)
    dropped = 1 - kept.size / out.size
    if abs(dropped - 0.75) < 0.03:
        raise CheckFailed(f"dropout_forward dropped {dropped:.0%}: {mistakes.KEEP_PROBABILITY}", mistake=mistakes.KEEP_PROBABILITY)
    if not np.allclose(kept, 4 / 3, rtol=1e-12, atol=0):
        raise CheckFailed("dropout_forward: the entries kept should be 1 / (1 - 0.25) = 4 / 3, and the others 0.")
    if abs(dropped - 0.25) > 0.03:
        raise CheckFailed(f"dropout_forward dropped {dropped:.0%} of the entries; with p = 0.25 about 25% should be 0.")


def test_dropout_backward_reuses_the_mask(student):
    """The gradient reaches exactly the entries the forward pass kept, scaled like them."""
    x = np.arange(1.0, 101.0)
    out, cache = dropout(student, x, 0.5, True, seed=1)
    expect_array(out, "dropout_forward")
    expect_close(
        student.dropout_backward(np.ones(100), cache),
        out / x,
        "dropout_backward",
        mistakes=[Mistake(mistakes.MASK_DRAWN_AGAIN, test=lambda got: np.shape(got) == x.shape and bool(np.any((np.asarray(got) == 0) != (out == 0))))],
    )


def test_residual_block_forward_small_example(student):
    """x + relu(x @ w.T + b) for x = (1, -1), w = 2 I, b = 0: (1 + 2, -1 + 0) = (3, -1)."""
    expect_close(student.residual_block_forward(np.array([[1.0, -1.0]]), 2.0 * np.eye(2), np.zeros(2)), np.array([[3.0, -1.0]]), "residual_block_forward")


def test_residual_gradient_norms_one_block_by_hand(student):
    """One block, D = 1, w = 2, b = 0, x = (1, -1): the identity path carries the gradient even where the ReLU is off."""
    x, weights, biases = np.array([[1.0], [-1.0]]), [np.array([[2.0]])], [np.zeros(1)]
    # dL/dh_1 = (1, 1). Residual: dL/dx = (1 + 2, 1 + 0) = (3, 1). Plain: (2, 0).
    expect_close(
        student.residual_gradient_norms(x, weights, biases, True),
        np.array([np.sqrt(10.0), np.sqrt(2.0)]),
        "residual_gradient_norms",
        mistakes=[
            Mistake(mistakes.IDENTITY_GRADIENT_MISSING, answer=np.array([2.0, np.sqrt(2.0)])),
            Mistake(mistakes.NORMS_REVERSED, answer=np.array([np.sqrt(2.0), np.sqrt(10.0)])),
        ],
    )
    expect_close(student.residual_gradient_norms(x, weights, biases, False), np.array([2.0, np.sqrt(2.0)]), "residual_gradient_norms")
