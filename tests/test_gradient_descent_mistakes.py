"""Each planted gradient-descent mistake loses exactly the checks it breaks, named in feedback."""

import pytest

from mutants import assert_earns_nothing, assert_mistake_caught, checks_by_id, grade_mutant

SGD_WITH_BATCHES = """
def sgd_linear_regression(X, y, learning_rate, batch_size, epochs, seed):
    beta = np.zeros(X.shape[1])
    shuffle = np.random.default_rng(seed)
    for epoch in range(epochs):
        for batch in {batches}:
            beta = beta - learning_rate * linear_mse_gradient(beta, X[batch], y[batch])
    return beta
"""

MISTAKES = {
    "design_matrix_without_the_column_of_ones": (
        """
        def design_matrix(x):
            return x.reshape(len(x), -1).copy()
        """,
        {"design_matrix_of_the_lecture", "design_matrix_matches_column_stack", "gradient_descent_functions_leave_their_inputs_unchanged"},
        "column of ones is missing",
    ),
    "gradient_descent_goes_uphill": (
        """
        def gradient_descent(grad_fn, theta0, learning_rate, tol=1e-8, max_steps=10000):
            theta, steps = theta0.copy(), 0
            while steps < max_steps and np.linalg.norm(grad_fn(theta)) > tol:
                theta, steps = theta + learning_rate * grad_fn(theta), steps + 1
            return theta, steps
        """,
        {
            "gradient_descent_takes_one_lecture_step",
            "gradient_descent_reaches_the_minimum",
            "gradient_descent_follows_the_update_rule",
            "gradient_descent_stops_at_the_tolerance",
            "gradient_descent_converges_below_the_stable_rate_and_diverges_above",
            "gradient_descent_functions_leave_their_inputs_unchanged",
        },
        "goes uphill",
    ),
    "linear_mse_gradient_without_the_two": (
        """
        def linear_mse_gradient(beta, X, y):
            return X.T @ (X @ beta - y) / len(y)
        """,
        {
            "linear_mse_gradient_small_example",
            "linear_mse_gradient_matches_autograd",
            "sgd_linear_regression_with_one_batch_is_gradient_descent",
            "sgd_linear_regression_shuffles_each_epoch_with_its_seed",
            "gradient_descent_functions_leave_their_inputs_unchanged",
        },
        "factor of 2",
    ),
    "linear_mse_gradient_of_the_sum": (
        """
        def linear_mse_gradient(beta, X, y):
            return 2.0 * X.T @ (X @ beta - y)
        """,
        {
            "linear_mse_gradient_small_example",
            "linear_mse_gradient_matches_autograd",
            "sgd_linear_regression_with_one_batch_is_gradient_descent",
            "sgd_linear_regression_shuffles_each_epoch_with_its_seed",
            "gradient_descent_functions_leave_their_inputs_unchanged",
        },
        "N times too large",
    ),
    "minibatch_indices_drop_the_last_batch": (
        """
        def minibatch_indices(n_samples, batch_size, seed):
            order = np.random.default_rng(seed).permutation(n_samples)
            return [order[i : i + batch_size] for i in range(0, n_samples - batch_size + 1, batch_size)]
        """,
        {
            "minibatch_indices_cover_every_sample_once",
            "minibatch_indices_cover_every_sample_once_per_epoch",
            "minibatch_indices_shuffle_with_the_seed",
            "sgd_linear_regression_shuffles_each_epoch_with_its_seed",
        },
        "last, shorter batch is missing",
    ),
    "train_val_test_split_ignores_groups": (
        """
        _split_samples = train_val_test_split

        def train_val_test_split(n_samples, val_fraction, test_fraction, seed, groups=None):
            return _split_samples(n_samples, val_fraction, test_fraction, seed)
        """,
        {"train_val_test_split_never_splits_a_group", "train_val_test_split_follows_its_seed"},
        "a group appears in two sets",
    ),
    "linear_mse_gradient_of_half_the_sum": (
        """
        def linear_mse_gradient(beta, X, y):
            return X.T @ (X @ beta - y)
        """,
        {
            "linear_mse_gradient_small_example",
            "linear_mse_gradient_matches_autograd",
            "sgd_linear_regression_with_one_batch_is_gradient_descent",
            "sgd_linear_regression_shuffles_each_epoch_with_its_seed",
            "gradient_descent_functions_leave_their_inputs_unchanged",
        },
        "½·sum of squares",
    ),
    "sgd_reuses_one_seed_every_epoch": (
        SGD_WITH_BATCHES.format(batches="minibatch_indices(len(X), batch_size, seed)"),
        {"sgd_linear_regression_shuffles_each_epoch_with_its_seed"},
        "every epoch shuffles the same way",
    ),
    "sgd_without_shuffling": (
        SGD_WITH_BATCHES.format(batches="np.array_split(np.arange(len(X)), range(batch_size, len(X), batch_size))"),
        {"sgd_linear_regression_shuffles_each_epoch_with_its_seed"},
        "not shuffled",
    ),
    "sgd_draws_every_epoch_from_one_generator": (
        SGD_WITH_BATCHES.format(batches="np.array_split(shuffle.permutation(len(X)), range(batch_size, len(X), batch_size))"),
        {"sgd_linear_regression_shuffles_each_epoch_with_its_seed"},
        "one generator",
    ),
    "train_val_test_split_ignores_its_seed": (
        """
        _split_with_seed = train_val_test_split

        def train_val_test_split(n_samples, val_fraction, test_fraction, seed, groups=None):
            return _split_with_seed(n_samples, val_fraction, test_fraction, 0, groups)
        """,
        {"train_val_test_split_follows_its_seed"},
        "does not change with the seed",
    ),
    "train_val_test_split_with_an_unseeded_generator": (
        """
        _split_with_seed = train_val_test_split

        def train_val_test_split(n_samples, val_fraction, test_fraction, seed, groups=None):
            return _split_with_seed(n_samples, val_fraction, test_fraction, int(np.random.randint(2**31)), groups)
        """,
        {"train_val_test_split_follows_its_seed"},
        "the same seed gives different splits",
    ),
}

RETURNS_ZEROS = """
def design_matrix(x):
    return np.zeros((len(x), x.reshape(len(x), -1).shape[1] + 1))

def fit_least_squares(X, y):
    return np.zeros(X.shape[1])

def linear_mse_gradient(beta, X, y):
    return np.zeros(X.shape[1])

def gradient_descent(grad_fn, theta0, learning_rate, tol=1e-8, max_steps=10000):
    return np.zeros_like(theta0), 0

def max_stable_learning_rate(X):
    return 0.0

def minibatch_indices(n_samples, batch_size, seed):
    return [np.zeros(batch_size, dtype=np.int64)]

def sgd_linear_regression(X, y, learning_rate, batch_size, epochs, seed):
    return np.zeros(X.shape[1])

def train_val_test_split(n_samples, val_fraction, test_fraction, seed, groups=None):
    return tuple(np.zeros(0, dtype=np.int64) for _ in range(3))
"""


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_planted_mistake_loses_exactly_its_checks(tmp_path, name):
    assert_mistake_caught(tmp_path, "gradient_descent", MISTAKES[name])


def test_code_that_returns_zeros_earns_nothing(tmp_path):
    assert_earns_nothing(tmp_path, "gradient_descent", RETURNS_ZEROS)


def test_an_empty_last_batch_is_named_where_it_is_made(tmp_path):
    """When batch_size divides N, an extra empty batch: minibatch_indices' check names it (the
    full-batch SGD that uses it divides by zero, and so does the inputs-unchanged check's)."""
    replacement = """
    _reference_batches = minibatch_indices

    def minibatch_indices(n_samples, batch_size, seed):
        return _reference_batches(n_samples, batch_size, seed) + ([np.zeros(0, dtype=np.int64)] if n_samples % batch_size == 0 else [])
    """
    checks = checks_by_id(grade_mutant(tmp_path, "gradient_descent", "gradient_descent", replacement), "gradient_descent")
    failed = {check_id for check_id, check in checks.items() if check["status"] != "passed"}
    assert failed == {
        "minibatch_indices_cover_every_sample_once_per_epoch",
        "sgd_linear_regression_with_one_batch_is_gradient_descent",
        "gradient_descent_functions_leave_their_inputs_unchanged",
    }
    assert "empty batch at the end" in checks["minibatch_indices_cover_every_sample_once_per_epoch"]["feedback"]
