"""A sample student submission: losses.py worked, with three classic mistakes left in."""

import numpy as np


def mean_squared_error(y_true, y_pred):
    """Mean squared error, the loss of linear regression.

    L = mean over every element of (y_true - y_pred) ** 2

    Inputs:
    - y_true: float64 array of targets, any shape
    - y_pred: float64 array of predictions, the same shape as y_true

    Returns:
    - loss: float, >= 0
    """
    # Hint: square the differences, then average them all (np.mean), do not sum.
    loss = np.mean((y_true - y_pred) ** 2)
    return float(loss)


def mean_absolute_error(y_true, y_pred):
    """Mean absolute error: like the MSE, but large errors are not squared.

    L = mean over every element of |y_true - y_pred|

    Inputs:
    - y_true: float64 array of targets, any shape
    - y_pred: float64 array of predictions, the same shape as y_true

    Returns:
    - loss: float, >= 0
    """
    # Hint: np.abs, then np.mean.
    loss = np.mean(np.abs(y_true - y_pred))
    return float(loss)


def binary_cross_entropy(y_true, p_pred, eps=1e-12):
    """Binary cross-entropy of predicted probabilities (a "probabilistic" binary classifier).

    L = -mean(y * ln(p) + (1 - y) * ln(1 - p)), with p clipped to [eps, 1 - eps]
    so that a prediction of exactly 0 or 1 gives a large but finite loss.

    Inputs:
    - y_true: float64 array of labels in {0, 1}, shape (N,)
    - p_pred: float64 array of predicted P(y = 1), in [0, 1], shape (N,)
    - eps: float, how far from 0 and 1 the probabilities are clipped

    Returns:
    - loss: float, >= 0 (natural logarithm)
    """
    # Hint: np.clip p first; log(0) is -inf and 0 * -inf is nan.
    loss = -np.mean(y_true * np.log(p_pred) + (1.0 - y_true) * np.log(1.0 - p_pred))
    return float(loss)


def binary_cross_entropy_with_logits(y_true, logits):
    """Binary cross-entropy computed from logits z, where p = sigmoid(z).

    The same loss as binary_cross_entropy(y, sigmoid(z)), written so that it never
    overflows, even for z = +-1000:
        L = mean(max(z, 0) - z * y + ln(1 + exp(-|z|)))

    Inputs:
    - y_true: float64 array of labels in {0, 1}, shape (N,)
    - logits: float64 array of real-valued scores z, shape (N,)

    Returns:
    - loss: float, >= 0
    """
    # Hint: np.log1p(np.exp(-np.abs(z))) never overflows; sigmoid then log does.
    z = logits
    loss = np.mean(np.maximum(z, 0.0) - z * y_true + np.log1p(np.exp(-np.abs(z))))
    return float(loss)


def cross_entropy(labels, logits):
    """Multi-class cross-entropy (softmax + negative log-likelihood), from logits.

    For sample i with logits z_i (one per class) and true class c_i:
        L_i = ln(sum_k exp(z_ik)) - z_ic_i      and      L = mean_i L_i
    Subtract max_k z_ik before exponentiating (the log-sum-exp trick) so large
    logits do not overflow. With K equal logits the loss is ln(K).

    Inputs:
    - labels: int array of class indices in [0, K), shape (N,)
    - logits: float64 array of scores, shape (N, K)

    Returns:
    - loss: float, >= 0
    """
    # Hint: shift each row by its max, then log-sum-exp; pick the true class with
    # logits[np.arange(N), labels].
    raise NotImplementedError()
    return float(loss)


def hinge_loss(y_true, scores):
    """Hinge loss of a linear classifier (the SVM loss), with labels -1 and +1.

    L = mean(max(0, 1 - y * s)): zero once a sample is on the right side with a
    margin of at least 1, growing linearly otherwise.

    Inputs:
    - y_true: float64 array of labels in {-1, +1} (not {0, 1}), shape (N,)
    - scores: float64 array of real-valued scores s, shape (N,)

    Returns:
    - loss: float, >= 0
    """
    # Hint: np.maximum(0, ...) is elementwise; np.max would take one number.
    signs = 2 * y_true - 1  # labels 0/1 -> -1/+1
    loss = np.mean(np.maximum(0.0, 1.0 - signs * scores))
    return float(loss)


def mse_gradient(y_true, y_pred):
    """Gradient of mean_squared_error with respect to the predictions.

    dL/dy_pred = 2 * (y_pred - y_true) / n, where n is the number of elements: the
    factor 2 comes from the square, the 1/n from the mean. Gradient descent moves
    y_pred against this direction.

    Inputs:
    - y_true: float64 array of targets, any shape
    - y_pred: float64 array of predictions, the same shape

    Returns:
    - grad: float64 array, the same shape as y_pred
    """
    # Hint: differentiate mean((y_pred - y_true) ** 2) one element at a time.
    grad = (y_pred - y_true) / y_pred.size
    return grad
