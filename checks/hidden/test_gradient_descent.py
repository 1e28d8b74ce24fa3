"""Hidden checks for linear regression and gradient descent: seeded problems, numpy, sklearn and
torch as oracles, and the properties the lecture promises (convergence, minibatch SGD). The
minibatches and data splits are checked in test_gradient_descent_batches_and_splits.py."""

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


def design_matrix_answer(x):
    """np.column_stack of ones and the features, and what each known mistake gives instead."""
    features = x.reshape(len(x), -1)
    ones = np.ones(len(x))
    return np.column_stack([ones, features]), [
        Mistake(mistakes.NO_INTERCEPT, answer=features),
        Mistake(mistakes.ONES_LAST, answer=np.column_stack([features, ones])),
    ]


def test_design_matrix_matches_column_stack(student, rng):
    """design_matrix puts a column of ones before the features, for x of shape (N,) and of shape (N, D)."""
    n = int(rng.integers(5, 30))
    for x, shape in ((rng.normal(size=n), "(N,)"), (rng.normal(size=(n, int(rng.integers(2, 5)))), "(N, D)")):
        expected, known = design_matrix_answer(x)
        expect_close(student.design_matrix(x.copy()), expected, f"design_matrix of x of shape {shape}", mistakes=known)


def test_fit_least_squares_matches_lstsq_and_sklearn(student, rng):
    """fit_least_squares equals numpy's lstsq and sklearn's LinearRegression (intercept_, coef_)."""
    X, y = regression_problem(rng)
    expected = np.linalg.lstsq(X, y, rcond=None)[0]
    model = LinearRegression().fit(X[:, 1:], y)
    assert np.allclose(expected, np.concatenate([[model.intercept_], model.coef_]), rtol=1e-9, atol=1e-10)
    expect_close(student.fit_least_squares(X.copy(), y.copy()), expected, "fit_least_squares", atol=1e-10)


def linear_mse_gradient_answer(beta, X, y):
    """torch.autograd's gradient of the MSE, and what each known mistake gives instead."""
    beta_t = torch.from_numpy(beta.copy()).requires_grad_()
    F.mse_loss(torch.from_numpy(X) @ beta_t, torch.from_numpy(y)).backward()
    expected = beta_t.grad.numpy()
    return expected, [
        Mistake(mistakes.HALF_GRADIENT, answer=expected / 2),
        Mistake(mistakes.HALF_SUM_GRADIENT, answer=expected * len(y) / 2),
        Mistake(mistakes.GRADIENT_TIMES_N, answer=expected * len(y)),
        Mistake(mistakes.UPHILL, answer=-expected),
    ]


@pytest.mark.points(2)
def test_linear_mse_gradient_matches_autograd(student, rng):
    """linear_mse_gradient equals torch.autograd's gradient of the mean squared error."""
    X, y = regression_problem(rng)
    beta = rng.normal(size=X.shape[1])
    expected, known = linear_mse_gradient_answer(beta, X, y)
    got = student.linear_mse_gradient(beta.copy(), X.copy(), y.copy())
    expect_close(got, expected, "linear_mse_gradient", rtol=GRADIENT_RTOL, mistakes=known)


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


def one_batch_sgd_answer(X, y, learning_rate, epochs):
    """With batch_size = N, `epochs` full-batch descent steps from beta = 0, and the known mistakes."""
    gradient = catalogue.least_squares_gradient(X=X, y=y)
    start = np.zeros(X.shape[1])
    return descend(gradient, start, learning_rate, epochs), [
        Mistake(mistakes.UPHILL, answer=descend(gradient, start, learning_rate, epochs, sign=-1.0)),
        Mistake(mistakes.GRADIENT_TIMES_N, answer=descend(gradient, start, learning_rate * len(X), epochs)),
        Mistake(mistakes.HALF_GRADIENT, answer=descend(gradient, start, learning_rate / 2, epochs)),
        Mistake(mistakes.HALF_SUM_GRADIENT, answer=descend(gradient, start, learning_rate * len(X) / 2, epochs)),
    ]


@pytest.mark.points(2)
def test_sgd_linear_regression_with_one_batch_is_gradient_descent(student, rng):
    """With batch_size = N every epoch is one full-batch descent step from beta = 0."""
    X, y = regression_problem(rng)
    learning_rate, epochs = 0.5 * stable_rate(X), int(rng.integers(2, 7))
    expected, known = one_batch_sgd_answer(X, y, learning_rate, epochs)
    got = student.sgd_linear_regression(X.copy(), y.copy(), learning_rate, len(X), epochs, 0)
    expect_close(got, expected, "sgd_linear_regression", mistakes=known)


def sgd_in_order(X, y, learning_rate, batch_size, orders, scale=lambda m: 1.0):
    """Minibatch SGD from beta = 0 that goes through the samples `orders[e]`, cut into batches, in epoch e;
    `scale(m)` times the gradient of a batch of m samples stands for a gradient off by that factor."""
    beta = np.zeros(X.shape[1])
    for order in orders:
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            gradient = 2.0 / len(batch) * (X[batch].T @ (X[batch] @ beta - y[batch]))
            beta = beta - learning_rate * scale(len(batch)) * gradient
    return beta


def shorter_last_batch(X, y, batch_size):
    """X and y, one sample shorter when batch_size divides N: every student meets a shorter last batch."""
    return (X[1:], y[1:]) if len(X) % batch_size == 0 else (X, y)


@pytest.mark.points(2)
def test_sgd_linear_regression_shuffles_each_epoch_with_its_seed(student, rng):
    """Epoch e goes through the batches of minibatch_indices(N, batch_size, seed + e), a shorter batch last."""
    batch_size, epochs, seed = int(rng.integers(3, 9)), int(rng.integers(3, 6)), int(rng.integers(1000))
    X, y = shorter_last_batch(*regression_problem(rng), batch_size)
    n, learning_rate = len(X), 0.25 / np.max(np.sum(X**2, axis=1))
    shuffled = [np.random.default_rng(seed + epoch).permutation(n) for epoch in range(epochs)]
    generator = np.random.default_rng(seed)

    def run(orders, scale=lambda m: 1.0):
        return sgd_in_order(X, y, learning_rate, batch_size, orders, scale)

    expect_close(
        student.sgd_linear_regression(X.copy(), y.copy(), learning_rate, batch_size, epochs, seed),
        run(shuffled),
        "sgd_linear_regression",
        rtol=GRADIENT_RTOL,
        mistakes=[
            Mistake(mistakes.SAME_SEED_EVERY_EPOCH, answer=run([np.random.default_rng(seed).permutation(n)] * epochs)),
            Mistake(mistakes.SGD_UNSHUFFLED, answer=run([np.arange(n)] * epochs)),
            Mistake(mistakes.ONE_GENERATOR, answer=run([generator.permutation(n) for _ in range(epochs)])),
            Mistake(mistakes.DROPS_LAST_BATCH, answer=run([order[: n - n % batch_size] for order in shuffled])),
            Mistake(mistakes.UPHILL, answer=run(shuffled, lambda m: -1.0)),
            Mistake(mistakes.HALF_GRADIENT, answer=run(shuffled, lambda m: 0.5)),
            Mistake(mistakes.HALF_SUM_GRADIENT, answer=run(shuffled, lambda m: m / 2)),
            Mistake(mistakes.GRADIENT_TIMES_N, answer=run(shuffled, lambda m: m)),
        ],
    )


def test_sgd_linear_regression_fits_noise_free_data(student, rng):
    """On targets y = X beta with no noise, small minibatches (a shorter one last) converge to beta."""
    batch_size = int(rng.integers(4, 9))
    X, _ = shorter_last_batch(*regression_problem(rng), batch_size)
    beta = rng.normal(0.0, 2.0, size=X.shape[1])
    learning_rate = 0.25 / np.max(np.sum(X**2, axis=1))  # stable for every minibatch
    got = student.sgd_linear_regression(X.copy(), X @ beta, learning_rate, batch_size, 400, 7)
    start = np.zeros(X.shape[1])
    runs = Mistake(mistakes.RUNS_AWAY, test=lambda b: runs_away(b, start, beta))
    reject_overflow(got, "sgd_linear_regression", [runs])
    expect_close(got, beta, "sgd_linear_regression", rtol=1e-6, atol=1e-9, mistakes=[runs])


def test_gradient_descent_functions_leave_their_inputs_unchanged(student, rng):
    """No function changes the arrays it is given, and each gives the right answer (else no points)."""
    X, y = regression_problem(rng)
    beta = rng.normal(size=X.shape[1])
    rate = 0.5 * stable_rate(X)
    calls = [
        ("design_matrix", (X[:, 1:],), design_matrix_answer(X[:, 1:])),
        ("fit_least_squares", (X, y), (np.linalg.lstsq(X, y, rcond=None)[0], [])),
        ("linear_mse_gradient", (beta, X, y), linear_mse_gradient_answer(beta, X, y)),
        ("sgd_linear_regression", (X, y, rate, len(X), 2, 0), one_batch_sgd_answer(X, y, rate, 2)),
    ]
    for name, args, (expected, known) in calls:
        copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        got = getattr(student, name)(*copies)
        for position, (before, after) in enumerate(zip(args, copies)):
            if isinstance(before, np.ndarray):
                expect_unchanged(before, after, name, f"argument {position + 1}")
        expect_close(got, expected, name, rtol=GRADIENT_RTOL, atol=1e-10, mistakes=known)
    theta0 = beta.copy()
    gradient = catalogue.least_squares_gradient(X=X, y=y)
    theta, _ = student.gradient_descent(gradient, theta0, rate, max_steps=3)
    expect_unchanged(beta, theta0, "gradient_descent", "theta0")
    uphill = [Mistake(mistakes.UPHILL, answer=descend(gradient, beta, rate, 3, sign=-1.0))]
    expect_close(theta, descend(gradient, beta, rate, 3), "gradient_descent", mistakes=uphill)
