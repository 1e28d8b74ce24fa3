"""Each planted gradient-descent mistake loses exactly the checks it breaks, named in feedback."""

import pytest

from mutants import assert_mistake_caught

MISTAKES = {
    "design_matrix_without_the_column_of_ones": (
        """
        def design_matrix(x):
            return x.reshape(len(x), -1).copy()
        """,
        {"design_matrix_of_the_lecture", "design_matrix_matches_column_stack"},
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
        },
        "last, shorter batch is missing",
    ),
    "train_val_test_split_ignores_groups": (
        """
        _split_samples = train_val_test_split

        def train_val_test_split(n_samples, val_fraction, test_fraction, seed, groups=None):
            return _split_samples(n_samples, val_fraction, test_fraction, seed)
        """,
        {"train_val_test_split_never_splits_a_group"},
        "a group appears in two sets",
    ),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_planted_mistake_loses_exactly_its_checks(tmp_path, name):
    assert_mistake_caught(tmp_path, "gradient_descent", MISTAKES[name])
