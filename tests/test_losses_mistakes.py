"""Each planted loss-function mistake loses exactly the checks it breaks, named in feedback."""

import pytest

from mutants import assert_earns_nothing, assert_mistake_caught

MISTAKES = {
    "mse_sum_instead_of_mean": (
        """
        def mean_squared_error(y_true, y_pred):
            return float(np.sum((y_true - y_pred) ** 2))
        """,
        {
            "mean_squared_error_small_example",
            "mean_squared_error_matches_sklearn",
            "losses_are_zero_for_a_perfect_prediction",
            "losses_leave_their_inputs_unchanged",
        },
        "sum over the samples",
    ),
    "mae_is_squared": (
        """
        def mean_absolute_error(y_true, y_pred):
            return float(np.mean((y_true - y_pred) ** 2))
        """,
        {"mean_absolute_error_small_example", "mean_absolute_error_matches_sklearn", "losses_leave_their_inputs_unchanged"},
        "that is the mean squared error",
    ),
    "bce_naive_log": (
        """
        def binary_cross_entropy(y_true, p_pred, eps=1e-12):
            return float(-np.mean(y_true * np.log(p_pred) + (1 - y_true) * np.log(1 - p_pred)))
        """,
        {
            "binary_cross_entropy_is_finite_at_certain_predictions",
            "binary_cross_entropy_clips_with_the_given_eps",
            "losses_leave_their_inputs_unchanged",
        },
        "naive log(p)",
    ),
    "bce_with_logits_through_sigmoid": (
        """
        def binary_cross_entropy_with_logits(y_true, logits):
            p = 1 / (1 + np.exp(-logits))
            return float(-np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)))
        """,
        {"binary_cross_entropy_with_logits_is_stable_at_large_logits"},
        "stable form",
    ),
    "cross_entropy_without_log_sum_exp": (
        """
        def cross_entropy(labels, logits):
            p = np.exp(logits) / np.sum(np.exp(logits), axis=1, keepdims=True)
            return float(-np.mean(np.log(p[np.arange(len(labels)), labels])))
        """,
        {"cross_entropy_is_stable_at_large_logits"},
        "log-sum-exp",
    ),
    "cross_entropy_double_softmax": (
        """
        def cross_entropy(labels, logits):
            e = np.exp(logits - logits.max(axis=1, keepdims=True))
            z = e / e.sum(axis=1, keepdims=True)
            z = z - z.max(axis=1, keepdims=True)
            lse = np.log(np.sum(np.exp(z), axis=1))
            return float(np.mean(lse - z[np.arange(len(labels)), labels]))
        """,
        {"cross_entropy_matches_torch", "cross_entropy_is_stable_at_large_logits", "losses_leave_their_inputs_unchanged"},
        "softmax is applied twice",
    ),
    "hinge_with_zero_one_labels": (
        """
        def hinge_loss(y_true, scores):
            signs = 2 * y_true - 1
            return float(np.mean(np.maximum(0, 1 - signs * scores)))
        """,
        {"hinge_loss_is_zero_beyond_the_margin", "hinge_loss_matches_sklearn", "losses_leave_their_inputs_unchanged"},
        "labels as 0/1",
    ),
    "mse_gradient_without_the_two": (
        """
        def mse_gradient(y_true, y_pred):
            return (y_pred - y_true) / y_pred.size
        """,
        {
            "mse_gradient_small_example",
            "mse_gradient_divides_by_the_number_of_elements",
            "mse_gradient_matches_autograd",
            "losses_leave_their_inputs_unchanged",
        },
        "factor of 2",
    ),
    "bce_clips_in_place": (
        """
        def binary_cross_entropy(y_true, p_pred, eps=1e-12):
            p = np.clip(p_pred, eps, 1 - eps, out=p_pred)
            return float(-np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)))
        """,
        {"losses_leave_their_inputs_unchanged"},
        "changed its input",
    ),
    "half_the_mean_squared_error": (
        """
        def mean_squared_error(y_true, y_pred):
            return float(0.5 * np.mean((y_true - y_pred) ** 2))
        """,
        {
            "mean_squared_error_small_example",
            "mean_squared_error_matches_sklearn",
            "losses_are_zero_for_a_perfect_prediction",
            "losses_leave_their_inputs_unchanged",
        },
        "half the mean squared error",
    ),
    "mse_divides_by_the_number_of_rows": (
        """
        def mean_squared_error(y_true, y_pred):
            return float(np.sum((y_true - y_pred) ** 2) / len(y_true))
        """,
        {"mean_squared_error_matches_sklearn"},
        "divides by len(y_true)",
    ),
    "mse_gradient_of_half_the_sum": (
        """
        def mse_gradient(y_true, y_pred):
            return y_pred - y_true
        """,
        {"mse_gradient_divides_by_the_number_of_elements", "mse_gradient_matches_autograd", "losses_leave_their_inputs_unchanged"},
        "that is y_pred - y_true",
    ),
    "cross_entropy_takes_the_log_of_an_underflowed_softmax": (
        """
        def cross_entropy(labels, logits):
            shifted = logits - logits.max(axis=1, keepdims=True)
            p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
            return float(-np.mean(np.log(p[np.arange(len(labels)), labels])))
        """,
        {"cross_entropy_is_stable_at_large_logits"},
        "log-softmax",
    ),
    "cross_entropy_shifts_the_logits_in_place": (
        """
        def cross_entropy(labels, logits):
            logits -= logits.max(axis=1, keepdims=True)
            log_sum_exp = np.log(np.sum(np.exp(logits), axis=1))
            return float(np.mean(log_sum_exp - logits[np.arange(len(labels)), labels]))
        """,
        {"losses_leave_their_inputs_unchanged"},
        "changed its input",
    ),
}

RETURNS_ZEROS = """
def mean_squared_error(y_true, y_pred):
    return 0.0

mean_absolute_error = hinge_loss = binary_cross_entropy_with_logits = cross_entropy = mean_squared_error

def binary_cross_entropy(y_true, p_pred, eps=1e-12):
    return 0.0

def mse_gradient(y_true, y_pred):
    return np.zeros_like(y_pred)
"""


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_planted_mistake_loses_exactly_its_checks(tmp_path, name):
    assert_mistake_caught(tmp_path, "losses", MISTAKES[name])


def test_code_that_returns_zeros_earns_nothing(tmp_path):
    assert_earns_nothing(tmp_path, "losses", RETURNS_ZEROS)
