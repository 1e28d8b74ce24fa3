"""Each planted mistake in batch norm, dropout or residual blocks loses exactly the checks it breaks, named in feedback."""

import pytest

from mutants import assert_mistake_caught

# A batch norm forward pass whose statistics and running update are given as code.
BATCHNORM = """
def batchnorm_forward(x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5, training=True):
    c = (slice(None), None, None)
    m = x.size // x.shape[1]
    {statistics}
    if training:
        {update}
    else:
        new_mean, new_var = running_mean.copy(), running_var.copy()
        {evaluation}
    {normalise}
    return out, new_mean, new_var
"""
PER_CHANNEL = "mean, var = x.mean(axis=(0, 2, 3))[c], x.var(axis=(0, 2, 3))[c]"
TORCH_UPDATE = "new_mean, new_var = (1 - momentum) * running_mean + momentum * mean[:, 0, 0], (1 - momentum) * running_var + momentum * var[:, 0, 0] * m / (m - 1)"
RUNNING = "mean, var = running_mean[c], running_var[c]"
NORMALISE = "out = gamma[c] * (x - mean) / np.sqrt(var + eps) + beta[c]"


def batchnorm(statistics=PER_CHANNEL, update=TORCH_UPDATE, evaluation=RUNNING, normalise=NORMALISE):
    return BATCHNORM.format(statistics=statistics, update=update, evaluation=evaluation, normalise=normalise)


TRAINING = {"batchnorm_forward_matches_torch_in_training", "batchnorm_forward_moves_the_running_statistics"}
BACKWARD = {"batchnorm_backward_small_batch_matches_autograd", "batchnorm_backward_matches_autograd", "normalisation_leaves_its_inputs_unchanged"}
DROPOUT_FORWARD = {"dropout_forward_drops_a_quarter_and_scales_the_rest", "dropout_forward_drops_p_and_scales_the_rest", "dropout_forward_draws_from_the_generator_it_is_given", "normalisation_leaves_its_inputs_unchanged"}
NORMS = {"residual_gradient_norms_one_block_by_hand", "residual_gradient_norms_match_autograd"}

MISTAKES = {
    "batch_statistics_at_evaluation": (
        batchnorm(evaluation="mean, var = x.mean(axis=(0, 2, 3))[c], x.var(axis=(0, 2, 3))[c]"),
        {"batchnorm_forward_at_evaluation_uses_the_running_statistics", "batchnorm_forward_matches_torch_at_evaluation"},
        "uses the running statistics",
    ),
    "biased_running_variance": (
        batchnorm(update="new_mean, new_var = (1 - momentum) * running_mean + momentum * mean[:, 0, 0], (1 - momentum) * running_var + momentum * var[:, 0, 0]"),
        TRAINING,
        "unbiased estimate",
    ),
    "momentum_convention_reversed": (
        batchnorm(update="new_mean, new_var = momentum * running_mean + (1 - momentum) * mean[:, 0, 0], momentum * running_var + (1 - momentum) * var[:, 0, 0] * m / (m - 1)"),
        TRAINING,
        "convention is reversed",
    ),
    "statistics_per_pixel": (
        batchnorm(
            statistics="mean, var = x.mean(axis=0), x.var(axis=0)",
            update="new_mean, new_var = (1 - momentum) * running_mean[c] + momentum * mean, (1 - momentum) * running_var[c] + momentum * var * x.shape[0] / (x.shape[0] - 1)",
        ),
        {"batchnorm_forward_standardises_each_channel", "batchnorm_forward_matches_torch_in_training", "batchnorm_forward_moves_the_running_statistics", "normalisation_leaves_its_inputs_unchanged"},
        "per pixel",
    ),
    "eps_outside_the_square_root": (
        batchnorm(normalise="out = gamma[c] * (x - mean) / (np.sqrt(var) + eps) + beta[c]"),
        {
            "batchnorm_forward_standardises_each_channel",
            "batchnorm_forward_at_evaluation_uses_the_running_statistics",
            "batchnorm_forward_matches_torch_in_training",
            "batchnorm_forward_matches_torch_at_evaluation",
            "normalisation_leaves_its_inputs_unchanged",
        },
        "inside the square root",
    ),
    "running_statistics_updated_in_place": (
        batchnorm(update="running_mean *= 1 - momentum; running_mean += momentum * mean[:, 0, 0]; running_var *= 1 - momentum; running_var += momentum * var[:, 0, 0] * m / (m - 1); new_mean, new_var = running_mean, running_var"),
        {"normalisation_leaves_its_inputs_unchanged"},
        "changed its input running_mean in place",
    ),
    "backward_without_the_mean_and_variance": (
        """
        def batchnorm_backward(dout, x, gamma, eps=1e-5):
            axes = (0, 2, 3)
            std = np.sqrt(x.var(axis=axes, keepdims=True) + eps)
            x_hat = (x - x.mean(axis=axes, keepdims=True)) / std
            return gamma[:, None, None] / std * dout, (dout * x_hat).sum(axis=axes), dout.sum(axis=axes)
        """,
        BACKWARD | {"batchnorm_backward_of_a_constant_gradient_is_zero"},
        "misses the paths through the batch's mean and variance",
    ),
    "backward_without_the_variance": (
        """
        def batchnorm_backward(dout, x, gamma, eps=1e-5):
            axes = (0, 2, 3)
            std = np.sqrt(x.var(axis=axes, keepdims=True) + eps)
            x_hat = (x - x.mean(axis=axes, keepdims=True)) / std
            dx = gamma[:, None, None] / std * (dout - dout.mean(axis=axes, keepdims=True))
            return dx, (dout * x_hat).sum(axis=axes), dout.sum(axis=axes)
        """,
        BACKWARD,
        "path through the batch's variance",
    ),
    "dropout_not_scaled": (
        """
        def dropout_forward(x, p, training, rng):
            mask = (rng.random(x.shape) >= p).astype(float) if training else np.ones_like(x)
            return x * mask, mask
        """,
        DROPOUT_FORWARD,
        "not divided by 1 - p",
    ),
    "dropout_keep_probability": (
        """
        def dropout_forward(x, p, training, rng):
            mask = (rng.random(x.shape) < p) / p if training else np.ones_like(x)
            return x * mask, mask
        """,
        DROPOUT_FORWARD,
        "not of keeping it",
    ),
    "dropout_at_evaluation": (
        """
        def dropout_forward(x, p, training, rng):
            mask = (rng.random(x.shape) >= p) / (1 - p)
            return x * mask, mask
        """,
        {"dropout_forward_at_evaluation_changes_nothing", "dropout_at_evaluation_changes_nothing"},
        "drops nothing",
    ),
    "dropout_mask_drawn_again_in_backward": (
        """
        def dropout_forward(x, p, training, rng):
            if not training:
                return x.copy(), None
            return x * (rng.random(x.shape) >= p) / (1 - p), (p, rng)


        def dropout_backward(dout, cache):
            if cache is None:
                return dout.copy()
            p, rng = cache
            return dout * (rng.random(dout.shape) >= p) / (1 - p)
        """,
        {"dropout_backward_reuses_the_mask", "dropout_backward_reuses_the_forward_mask"},
        "reuse the forward pass's mask",
    ),
    "dropout_with_a_generator_of_its_own": (
        """
        def dropout_forward(x, p, training, rng):
            mask = (np.random.default_rng(0).random(x.shape) >= p) / (1 - p) if training else np.ones_like(x)
            return x * mask, mask
        """,
        {"dropout_forward_draws_from_the_generator_it_is_given"},
        "not from a generator of your own",
    ),
    "dropout_from_numpys_global_generator": (
        """
        def dropout_forward(x, p, training, rng):
            mask = (np.random.random(x.shape) >= p) / (1 - p) if training else np.ones_like(x)
            return x * mask, mask
        """,
        {"dropout_forward_draws_from_the_generator_it_is_given"},
        "same state gave different masks",
    ),
    "residual_backward_without_the_identity_path": (
        """
        def residual_gradient_norms(x, weights, biases, residual=True):
            h, pre_activations = x, []
            for w, b in zip(weights, biases):
                z = h @ w.T + b
                pre_activations.append(z)
                h = h + np.maximum(0.0, z) if residual else np.maximum(0.0, z)
            grad = np.ones_like(h)
            norms = [np.linalg.norm(grad)]
            for w, z in zip(reversed(weights), reversed(pre_activations)):
                grad = (grad * (z > 0)) @ w
                norms.append(np.linalg.norm(grad))
            return np.array(norms[::-1])
        """,
        NORMS,
        "identity path is missing",
    ),
    "residual_norms_from_the_output_down": (
        """
        _norms = residual_gradient_norms


        def residual_gradient_norms(x, weights, biases, residual=True):
            return _norms(x, weights, biases, residual)[::-1].copy()
        """,
        NORMS,
        "reverse order",
    ),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_planted_mistake_loses_exactly_its_checks(tmp_path, name):
    assert_mistake_caught(tmp_path, "normalisation", MISTAKES[name])
