"""Linear regression and gradient descent: fit y = beta_0 + beta_1 * x, then learn it.

The lecture writes linear regression as Y = X beta, where the design matrix X has a leading
column of ones (for the intercept beta_0) and one column per feature. Its loss is the mean
squared error L(beta) = mean((X @ beta - y) ** 2). We solve it once in closed form, then
again by gradient descent (the lecture's five steps), on minibatches (stochastic gradient
descent), and we divide the data into training, validation and test sets.
All arrays are float64 numpy unless an index array is asked for.
"""

import math

import numpy as np


def design_matrix(x):
    """The design matrix X of linear regression: a column of ones, then the features.

    The lecture's X = [[1, x_1], [1, x_2], ..., [1, x_N]], so that X @ beta gives
    beta_0 + beta_1 * x_i for every sample. With D features per sample, each row is
    [1, x_i1, ..., x_iD].

    Inputs:
    - x: float64 array of shape (N,) (one feature) or (N, D)

    Returns:
    - X: float64 array of shape (N, D + 1), X[:, 0] == 1 (D = 1 for x of shape (N,))
    """
    # Hint: x.reshape(len(x), -1) makes (N,) into (N, 1); np.ones and np.column_stack.
    # YOUR CODE HERE
    raise NotImplementedError()
    return X


def fit_least_squares(X, y):
    """The coefficients beta that minimise the mean squared error mean((X @ beta - y) ** 2).

    They solve the normal equations X.T @ X @ beta = X.T @ y. Solve them with a
    least-squares solver rather than by inverting X.T @ X, which is unstable when the
    columns of X are nearly dependent.

    Inputs:
    - X: float64 design matrix of shape (N, P), including its column of ones
    - y: float64 array of targets, shape (N,)

    Returns:
    - beta: float64 array of shape (P,); beta[0] is the intercept
    """
    # Hint: np.linalg.lstsq(X, y, rcond=None) returns a tuple; beta is its first element.
    # YOUR CODE HERE
    raise NotImplementedError()
    return beta


def linear_mse_gradient(beta, X, y):
    """Gradient dL/dbeta of the mean squared error L(beta) = mean((X @ beta - y) ** 2).

    dL/dbeta = 2 / N * X.T @ (X @ beta - y): the 2 comes from the square, the 1 / N from
    the mean over the N samples.

    Inputs:
    - beta: float64 array of shape (P,)
    - X: float64 design matrix of shape (N, P)
    - y: float64 array of targets, shape (N,)

    Returns:
    - grad: float64 array of shape (P,)
    """
    # Hint: the residuals X @ beta - y have shape (N,); X.T @ residuals has shape (P,).
    # YOUR CODE HERE
    raise NotImplementedError()
    return grad


def gradient_descent(grad_fn, theta0, learning_rate, tol=1e-8, max_steps=10000):
    """Gradient descent, the lecture's five steps.

    1. Start from the initial parameters theta0 (leave theta0 itself unchanged).
    2. Evaluate the gradient g = grad_fn(theta) at theta.
    3. If the gradient is of size zero (np.linalg.norm(g) <= tol), stop here.
    4. Update the parameters: theta <- theta - learning_rate * g.
    5. Go to step 2, unless max_steps updates have been made.

    Inputs:
    - grad_fn: function taking theta (float64, shape (P,)) and returning dL/dtheta, shape (P,)
    - theta0: float64 array of shape (P,), the starting point
    - learning_rate: float alpha > 0
    - tol: float, the gradient norm that counts as zero
    - max_steps: int, the most updates to make

    Returns a tuple of:
    - theta: float64 array of shape (P,), the parameters after the last update
    - steps: int, the number of updates made (0 when theta0 is already a minimum)
    """
    # Hint: a while loop over steps; theta = theta - ... makes a new array, so theta0 is safe.
    # YOUR CODE HERE
    raise NotImplementedError()
    return theta, steps


def max_stable_learning_rate(X):
    """The largest learning rate at which gradient descent on the MSE of X converges.

    The MSE is a quadratic in beta with Hessian H = 2 / N * X.T @ X. Gradient descent
    converges for every learning rate below 2 / lambda_max(H) = N / lambda_max(X.T @ X)
    and diverges above it, whatever the targets y are.

    Inputs:
    - X: float64 design matrix of shape (N, P)

    Returns:
    - rate: float, N / (largest eigenvalue of X.T @ X)
    """
    # Hint: np.linalg.eigvalsh returns the eigenvalues of a symmetric matrix in ascending order.
    # YOUR CODE HERE
    raise NotImplementedError()
    return float(rate)


def minibatch_indices(n_samples, batch_size, seed):
    """Divide the sample indices into shuffled minibatches for one epoch.

    Shuffle 0, 1, ..., n_samples - 1 with np.random.default_rng(seed).permutation, then cut
    the shuffled order into consecutive batches of batch_size; the last batch holds what is
    left and may be shorter. Every index appears in exactly one batch.

    Inputs:
    - n_samples: int N
    - batch_size: int B >= 1
    - seed: int, the seed of the shuffle

    Returns:
    - batches: list of int64 arrays, math.ceil(N / B) of them, each of shape (B,) but the last
    """
    # Hint: range(0, n_samples, batch_size) gives the start of each batch.
    # YOUR CODE HERE
    raise NotImplementedError()
    return batches


def sgd_linear_regression(X, y, learning_rate, batch_size, epochs, seed):
    """Linear regression by minibatch stochastic gradient descent.

    Start from beta = 0. In epoch e (e = 0, 1, ..., epochs - 1), go through the batches of
    minibatch_indices(N, batch_size, seed + e) in order, and for each batch update
    beta <- beta - learning_rate * linear_mse_gradient(beta, X[batch], y[batch]).
    A minibatch gradient is an estimate of the full gradient; with batch_size = N each
    epoch is one step of (full-batch) gradient descent.

    Inputs:
    - X: float64 design matrix of shape (N, P)
    - y: float64 array of targets, shape (N,)
    - learning_rate: float alpha > 0
    - batch_size: int B >= 1
    - epochs: int, the number of passes over the data
    - seed: int, the seed of the first epoch's shuffle

    Returns:
    - beta: float64 array of shape (P,)
    """
    # Hint: two loops, epochs outside, batches inside; reuse your functions above.
    # YOUR CODE HERE
    raise NotImplementedError()
    return beta


def train_val_test_split(n_samples, val_fraction, test_fraction, seed, groups=None):
    """Divide the sample indices into training, validation and test sets.

    Shuffle the units with np.random.default_rng(seed).permutation, give the first
    math.ceil(test_fraction * U) units to the test set, the next
    math.ceil(val_fraction * U) to the validation set and the rest to the training set.
    Without groups the units are the U = N samples. With groups (e.g. the recording or
    the bird each sample comes from), the units are the U distinct group ids, so a group
    never ends up in two sets: frames of one recording in both training and test data
    would leak the test set into training.

    Inputs:
    - n_samples: int N
    - val_fraction: float in [0, 1), the share of units for validation
    - test_fraction: float in [0, 1), the share of units for testing
    - seed: int, the seed of the shuffle
    - groups: None, or int array of shape (N,), the group id of each sample

    Returns a tuple of:
    - train, val, test: int64 arrays of sample indices, disjoint, together 0, ..., N - 1
    """
    # Hint: np.unique(groups) gives the distinct group ids; np.isin(groups, chosen_ids)
    # marks their samples and np.flatnonzero turns the marks into indices.
    # YOUR CODE HERE
    raise NotImplementedError()
    return train, val, test
