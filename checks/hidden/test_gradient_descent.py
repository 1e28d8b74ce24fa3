"""Hidden checks for linear regression and gradient descent: seeded problems, numpy, sklearn and
torch as oracles, and the properties the lecture promises (convergence, batches, splits)."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.linear_model import LinearRegression

from autograder import catalogue
from autograder.compare import GRADIENT_RTOL, CheckFailed, expect_array, expect_close, expect_int, expect_unchanged
from autograder.feedback import Mistake, not_finite, recognise
from autograder.mistakes import gradient_descent as mistakes

pytestmark = pytest.mark.concept("gradient_descent")


def regression_problem(rng):
    """A design matrix X of shape (N, P) with its column of ones, and noisy targets y."""
    n, d = int(rng.integers(20, 60)), int(rng.integers(1, 5))
    X = np.column_stack([np.ones(n), rng.normal(0.0, 1.0, size=(n, d))])
    y = X @ rng.normal(0.0, 2.0, size=d + 1) + rng.normal(0.0, 0.5, size=n)
    return X, y


def stable_rate(X):
    """The grader's own 2 / lambda_max(2 / N * X.T @ X)."""
    return len(X) / np.linalg.eigvalsh(X.T @ X)[-1]


def descend(gradient, theta, learning_rate, steps, sign=1.0):
    """`steps` updates theta <- theta - sign * learning_rate * gradient(theta)."""
    for _ in range(steps):
        theta = theta - sign * learning_rate * gradient(theta)
    return theta


def runs_away(theta, start, optimum):
    """True when theta ended further from the optimum than it started (or overflowed)."""
    distance = np.linalg.norm(np.asarray(theta, dtype=np.float64) - optimum)
    return not np.isfinite(distance) or distance > np.linalg.norm(start - optimum)


def reject_overflow(got, name, known):
    """Fail on nan or inf first: expect_close alone would credit inf (compare.answers_agree accepts inf)."""
    if not_finite(got):
        mistake = recognise(got, known)
        raise CheckFailed(f"{name} returned nan or inf where the answer is finite" + (f": {mistake.explanation}" if mistake else "."))


def random_quadratic(rng):
    """A, b of a convex quadratic 0.5 x^T A x - b^T x in 2 to 6 dimensions."""
    p = int(rng.integers(2, 7))
    Q = np.linalg.qr(rng.normal(size=(p, p)))[0]
    A = Q @ np.diag(rng.uniform(0.5, 3.0, size=p)) @ Q.T
    return A, rng.normal(0.0, 2.0, size=p)


def test_design_matrix_matches_column_stack(student, rng):
    """design_matrix puts a column of ones before the features, for x of shape (N,) or (N, D)."""
    n = int(rng.integers(5, 30))
    x = rng.normal(size=n) if rng.random() < 0.5 else rng.normal(size=(n, int(rng.integers(2, 5))))
    features = x.reshape(n, -1)
    expect_close(
        student.design_matrix(x.copy()),
        np.column_stack([np.ones(n), features]),
        "design_matrix",
        mistakes=[Mistake(mistakes.NO_INTERCEPT, answer=features), Mistake(mistakes.ONES_LAST, answer=np.column_stack([features, np.ones(n)]))],
    )


def test_fit_least_squares_matches_lstsq_and_sklearn(student, rng):
    """fit_least_squares equals numpy's lstsq and sklearn's LinearRegression (intercept_, coef_)."""
    X, y = regression_problem(rng)
    expected = np.linalg.lstsq(X, y, rcond=None)[0]
    model = LinearRegression().fit(X[:, 1:], y)
    assert np.allclose(expected, np.concatenate([[model.intercept_], model.coef_]), rtol=1e-9, atol=1e-10)
    expect_close(student.fit_least_squares(X.copy(), y.copy()), expected, "fit_least_squares", atol=1e-10)


@pytest.mark.points(2)
def test_linear_mse_gradient_matches_autograd(student, rng):
    """linear_mse_gradient equals torch.autograd's gradient of the mean squared error."""
    X, y = regression_problem(rng)
    beta = rng.normal(size=X.shape[1])
    beta_t = torch.from_numpy(beta).requires_grad_()
    F.mse_loss(torch.from_numpy(X) @ beta_t, torch.from_numpy(y)).backward()
    expected = beta_t.grad.numpy()
    expect_close(
        student.linear_mse_gradient(beta.copy(), X.copy(), y.copy()),
        expected,
        "linear_mse_gradient",
        rtol=GRADIENT_RTOL,
        mistakes=[
            Mistake(mistakes.HALF_GRADIENT, answer=expected / 2),
            Mistake(mistakes.GRADIENT_TIMES_N, answer=expected * len(y)),
            Mistake(mistakes.UPHILL, answer=-expected),
        ],
    )


@pytest.mark.points(2)
def test_gradient_descent_follows_the_update_rule(student, rng):
    """k updates theta <- theta - alpha * grad(theta) on a random quadratic, with steps == k."""
    A, b = random_quadratic(rng)
    theta0 = rng.normal(size=len(b))
    learning_rate, k = 0.5 / np.linalg.eigvalsh(A)[-1], int(rng.integers(3, 9))
    gradient = catalogue.quadratic_gradient(A=A, b=b)
    theta, steps = student.gradient_descent(gradient, theta0.copy(), learning_rate, tol=0.0, max_steps=k)
    expect_close(
        theta,
        descend(gradient, theta0, learning_rate, k),
        "gradient_descent",
        mistakes=[Mistake(mistakes.UPHILL, answer=descend(gradient, theta0, learning_rate, k, sign=-1.0))],
    )
    if expect_int(steps, "gradient_descent's steps") != k:
        raise CheckFailed("gradient_descent should return steps == max_steps when it never reaches tol.")


def test_gradient_descent_stops_at_the_tolerance(student, rng):
    """Descent stops at the first theta whose gradient norm is <= tol, returning the updates made."""
    A, b = random_quadratic(rng)
    learning_rate, tol = 0.5 / np.linalg.eigvalsh(A)[-1], 10.0 ** rng.uniform(-6, -3)
    gradient = catalogue.quadratic_gradient(A=A, b=b)
    theta, expected_steps = np.zeros(len(b)), 0
    while np.linalg.norm(gradient(theta)) > tol:
        theta, expected_steps = theta - learning_rate * gradient(theta), expected_steps + 1
    start = np.zeros(len(b))
    got_theta, got_steps = student.gradient_descent(gradient, start, learning_rate, tol=tol, max_steps=5000)
    optimum = np.linalg.solve(A, b)
    uphill = [Mistake(mistakes.UPHILL, test=lambda t: runs_away(t, start, optimum))]
    reject_overflow(got_theta, "gradient_descent", uphill)
    expect_close(got_theta, theta, "gradient_descent", mistakes=uphill)
    got_steps = expect_int(got_steps, "gradient_descent's steps")
    step_mistakes = [Mistake(mistakes.COUNTS_EVALUATIONS, answer=expected_steps + 1), Mistake(mistakes.NEVER_STOPS, answer=5000)]
    if got_steps != expected_steps:
        mistake = recognise(got_steps, step_mistakes)
        raise CheckFailed("gradient_descent made the wrong number of updates" + (f": {mistake.explanation}" if mistake else "."))


@pytest.mark.points(2)
def test_gradient_descent_converges_below_the_stable_rate_and_diverges_above(student, rng):
    """At 0.9 x the stable rate descent reaches the least-squares beta; at 1.1 x it runs away."""
    X, y = regression_problem(rng)
    optimum = np.linalg.lstsq(X, y, rcond=None)[0]
    gradient = catalogue.least_squares_gradient(X=X, y=y)
    start = np.zeros(X.shape[1])
    moved_away = Mistake(mistakes.UPHILL, test=lambda theta: runs_away(theta, start, optimum))
    theta, _ = student.gradient_descent(gradient, start, 0.9 * stable_rate(X), tol=1e-9, max_steps=2000)
    reject_overflow(theta, "gradient_descent below the stable learning rate", [moved_away])
    expect_close(theta, optimum, "gradient_descent below the stable learning rate", rtol=1e-6, mistakes=[moved_away])
    theta, _ = student.gradient_descent(gradient, start, 1.1 * stable_rate(X), tol=1e-9, max_steps=300)
    if not np.linalg.norm(expect_array(theta, "gradient_descent") - optimum) > 1e3 * np.linalg.norm(optimum):
        raise CheckFailed("gradient_descent above the stable learning rate should diverge, as the lecture says it does.")


def test_max_stable_learning_rate_matches_the_eigenvalues(student, rng):
    """max_stable_learning_rate is N / lambda_max(X.T @ X) = 2 / lambda_max of the MSE's Hessian."""
    X, _ = regression_problem(rng)
    expected = stable_rate(X)
    expect_close(
        student.max_stable_learning_rate(X.copy()),
        expected,
        "max_stable_learning_rate",
        mistakes=[
            Mistake(mistakes.RATE_HALVED, answer=expected / 2),
            Mistake(mistakes.RATE_OF_THE_SUM, answer=expected / len(X)),
            Mistake(mistakes.RATE_WITHOUT_THE_TWO, answer=2 * expected),
        ],
    )


def test_minibatch_indices_cover_every_sample_once_per_epoch(student, rng):
    """ceil(N / B) batches of size B (the last may be shorter) holding 0, ..., N - 1 once each."""
    n, batch_size = int(rng.integers(20, 80)), int(rng.integers(3, 9))
    if n % batch_size == 0:  # a shorter last batch, always
        n += 1
    batches = student.minibatch_indices(n, batch_size, int(rng.integers(1000)))
    sizes = [len(expect_array(batch, "each batch of minibatch_indices", dtype=np.int64)) for batch in batches]
    if sizes == [batch_size] * (n // batch_size):
        raise CheckFailed(f"minibatch_indices: {mistakes.DROPS_LAST_BATCH}", mistake=mistakes.DROPS_LAST_BATCH)
    if sizes != [batch_size] * (n // batch_size) + [n % batch_size]:
        raise CheckFailed("minibatch_indices should give batches of batch_size, and one shorter batch with the rest last.")
    if sorted(np.concatenate(batches).tolist()) != list(range(n)):
        raise CheckFailed(f"minibatch_indices: {mistakes.WITH_REPLACEMENT}", mistake=mistakes.WITH_REPLACEMENT)


def test_minibatch_indices_shuffle_with_the_seed(student, rng):
    """The batches, joined, are np.random.default_rng(seed).permutation(n_samples)."""
    n, batch_size, seed = int(rng.integers(20, 80)), int(rng.integers(3, 9)), int(rng.integers(1000))
    if n % batch_size == 0:  # a shorter last batch, always
        n += 1
    got = np.concatenate(student.minibatch_indices(n, batch_size, seed))
    if len(got) == n - n % batch_size:
        raise CheckFailed(f"minibatch_indices: {mistakes.DROPS_LAST_BATCH}", mistake=mistakes.DROPS_LAST_BATCH)
    if np.array_equal(got, np.arange(n)):
        raise CheckFailed(f"minibatch_indices: {mistakes.UNSHUFFLED}", mistake=mistakes.UNSHUFFLED)
    if not np.array_equal(got, np.random.default_rng(seed).permutation(n)):
        raise CheckFailed("minibatch_indices should shuffle with np.random.default_rng(seed).permutation(n_samples).")


@pytest.mark.points(2)
def test_sgd_linear_regression_with_one_batch_is_gradient_descent(student, rng):
    """With batch_size = N every epoch is one full-batch descent step from beta = 0."""
    X, y = regression_problem(rng)
    learning_rate, epochs = 0.5 * stable_rate(X), int(rng.integers(2, 7))
    gradient = catalogue.least_squares_gradient(X=X, y=y)
    start = np.zeros(X.shape[1])
    expect_close(
        student.sgd_linear_regression(X.copy(), y.copy(), learning_rate, len(X), epochs, 0),
        descend(gradient, start, learning_rate, epochs),
        "sgd_linear_regression",
        mistakes=[
            Mistake(mistakes.UPHILL, answer=descend(gradient, start, learning_rate, epochs, sign=-1.0)),
            Mistake(mistakes.GRADIENT_TIMES_N, answer=descend(gradient, start, learning_rate * len(X), epochs)),
            Mistake(mistakes.HALF_GRADIENT, answer=descend(gradient, start, learning_rate / 2, epochs)),
        ],
    )


def test_sgd_linear_regression_fits_noise_free_data(student, rng):
    """On targets y = X beta with no noise, small minibatches converge to beta."""
    X, _ = regression_problem(rng)
    beta = rng.normal(0.0, 2.0, size=X.shape[1])
    learning_rate = 0.25 / np.max(np.sum(X**2, axis=1))  # stable for every minibatch
    got = student.sgd_linear_regression(X.copy(), X @ beta, learning_rate, int(rng.integers(4, 9)), 400, 7)
    start = np.zeros(X.shape[1])
    runs = Mistake(mistakes.RUNS_AWAY, test=lambda b: runs_away(b, start, beta))
    reject_overflow(got, "sgd_linear_regression", [runs])
    expect_close(got, beta, "sgd_linear_regression", rtol=1e-6, atol=1e-9, mistakes=[runs])


def check_split(parts, n, name):
    """The three index arrays are int64, disjoint, and hold 0, ..., n - 1 together."""
    joined = np.concatenate([expect_array(part, name, dtype=np.int64) for part in parts])
    if len(np.unique(joined)) < len(joined):
        raise CheckFailed(f"{name}: {mistakes.SPLIT_OVERLAP}", mistake=mistakes.SPLIT_OVERLAP)
    if sorted(joined.tolist()) != list(range(n)):
        raise CheckFailed(f"{name}: {mistakes.SPLIT_MISSES}", mistake=mistakes.SPLIT_MISSES)


def fractions_away_from_whole_numbers(rng, units):
    """Validation and test fractions whose share of `units` is not a whole number."""
    while True:
        val, test = rng.uniform(0.1, 0.3, size=2)
        if all(0.05 < (f * units) % 1 < 0.95 for f in (val, test)):
            return float(val), float(test)


@pytest.mark.points(2)
def test_train_val_test_split_is_disjoint_and_covers(student, rng):
    """Disjoint sets that together hold every sample, of sizes ceil(f_test N) and ceil(f_val N)."""
    n = int(rng.integers(30, 200))
    val_fraction, test_fraction = fractions_away_from_whole_numbers(rng, n)
    parts = student.train_val_test_split(n, val_fraction, test_fraction, int(rng.integers(1000)))
    check_split(parts, n, "train_val_test_split")
    n_test, n_val = math.ceil(test_fraction * n), math.ceil(val_fraction * n)
    if [len(p) for p in parts] != [n - n_test - n_val, n_val, n_test]:
        raise CheckFailed("train_val_test_split should give ceil(test_fraction * N) test and ceil(val_fraction * N) validation samples.")


@pytest.mark.points(2)
def test_train_val_test_split_never_splits_a_group(student, rng):
    """With groups, every group lies in one set, and the sets hold ceil(f * G) of the G groups."""
    n_groups = int(rng.integers(10, 25))
    groups = rng.permutation(np.repeat(np.arange(n_groups) * 7 + 3, rng.integers(1, 6, size=n_groups)))
    val_fraction, test_fraction = fractions_away_from_whole_numbers(rng, n_groups)
    parts = student.train_val_test_split(len(groups), val_fraction, test_fraction, int(rng.integers(1000)), groups=groups.copy())
    check_split(parts, len(groups), "train_val_test_split")
    group_sets = [set(groups[part].tolist()) for part in parts]
    if any(group_sets[i] & group_sets[j] for i, j in ((0, 1), (0, 2), (1, 2))):
        raise CheckFailed(f"train_val_test_split: {mistakes.SPLIT_GROUP}", mistake=mistakes.SPLIT_GROUP)
    n_test, n_val = math.ceil(test_fraction * n_groups), math.ceil(val_fraction * n_groups)
    if [len(s) for s in group_sets] != [n_groups - n_test - n_val, n_val, n_test]:
        raise CheckFailed("train_val_test_split with groups should give ceil(test_fraction * G) groups to the test set and ceil(val_fraction * G) to validation.")


def test_gradient_descent_functions_leave_their_inputs_unchanged(student, rng):
    """No function changes the arrays it is given."""
    X, y = regression_problem(rng)
    beta = rng.normal(size=X.shape[1])
    calls = [
        ("design_matrix", (X[:, 1:],)),
        ("fit_least_squares", (X, y)),
        ("linear_mse_gradient", (beta, X, y)),
        ("sgd_linear_regression", (X, y, 0.5 * stable_rate(X), 5, 2, 0)),
    ]
    for name, args in calls:
        copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        getattr(student, name)(*copies)
        for position, (before, after) in enumerate(zip(args, copies)):
            if isinstance(before, np.ndarray):
                expect_unchanged(before, after, name, f"argument {position + 1}")
    theta0 = beta.copy()
    student.gradient_descent(catalogue.least_squares_gradient(X=X, y=y), theta0, 0.5 * stable_rate(X), max_steps=3)
    expect_unchanged(beta, theta0, "gradient_descent", "theta0")
