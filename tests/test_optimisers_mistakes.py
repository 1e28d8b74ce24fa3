"""Each planted optimiser mistake loses exactly the checks it breaks, named in feedback."""

import pytest

from mutants import assert_mistake_caught

# Every check a wrong step function breaks: its own, the unchanged-inputs check (which
# earns its points only with right steps) and optimise driving it (which blames the step).
ADAM = {"adam_first_step_moves_every_parameter_by_lr", "adam_step_matches_torch", "steps_leave_their_inputs_unchanged", "optimise_with_your_own_steps_follows_torch"}
RMSPROP = {"rmsprop_step_moves_large_and_small_gradients_alike", "rmsprop_step_matches_torch", "steps_leave_their_inputs_unchanged", "optimise_with_your_own_steps_follows_torch"}
SGD = {"sgd_momentum_step_two_steps_by_hand", "sgd_momentum_step_matches_torch", "steps_leave_their_inputs_unchanged", "optimise_with_your_own_steps_follows_torch"}

MISTAKES = {
    "adam_without_bias_correction": (
        """
        def adam_step(params, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
            beta1, beta2 = betas
            m = beta1 * state.get("exp_avg", 0.0) + (1 - beta1) * grad
            v = beta2 * state.get("exp_avg_sq", 0.0) + (1 - beta2) * grad**2
            return params - lr * m / (np.sqrt(v) + eps), {"exp_avg": m, "exp_avg_sq": v}
        """,
        ADAM,
        "bias correction is missing",
    ),
    "adam_bias_correction_with_t_from_zero": (
        """
        def adam_step(params, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
            beta1, beta2 = betas
            t = state.get("step", 0)
            m = beta1 * state.get("exp_avg", 0.0) + (1 - beta1) * grad
            v = beta2 * state.get("exp_avg_sq", 0.0) + (1 - beta2) * grad**2
            m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
            return params - lr * m_hat / (np.sqrt(v_hat) + eps), {"step": t + 1, "exp_avg": m, "exp_avg_sq": v}
        """,
        ADAM,
        "used t = 0 at the first step",
    ),
    "adam_eps_inside_the_square_root": (
        """
        def adam_step(params, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
            beta1, beta2 = betas
            t = state.get("step", 0) + 1
            m = beta1 * state.get("exp_avg", 0.0) + (1 - beta1) * grad
            v = beta2 * state.get("exp_avg_sq", 0.0) + (1 - beta2) * grad**2
            m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
            return params - lr * m_hat / np.sqrt(v_hat + eps), {"step": t, "exp_avg": m, "exp_avg_sq": v}
        """,
        ADAM,
        "outside the square root",
    ),
    "rmsprop_eps_inside_the_square_root": (
        """
        def rmsprop_step(params, grad, state, lr=0.01, alpha=0.99, eps=1e-8):
            square_avg = alpha * state.get("square_avg", 0.0) + (1 - alpha) * grad**2
            return params - lr * grad / np.sqrt(square_avg + eps), {"square_avg": square_avg}
        """,
        RMSPROP,
        "outside the square root",
    ),
    "rmsprop_decay_on_the_gradient": (
        """
        def rmsprop_step(params, grad, state, lr=0.01, alpha=0.99, eps=1e-8):
            square_avg = alpha * state.get("square_avg", 0.0) + (1 - alpha) * grad
            return params - lr * grad / (np.sqrt(square_avg) + eps), {"square_avg": square_avg}
        """,
        RMSPROP,
        "averages the gradient itself",
    ),
    "sgd_dampened_momentum": (
        """
        def sgd_momentum_step(params, grad, state, lr=0.01, momentum=0.9):
            velocity = momentum * state.get("momentum_buffer", 0.0) + (1 - momentum) * grad
            return params - lr * velocity, {"momentum_buffer": velocity}
        """,
        SGD,
        "dampened momentum",
    ),
    "sgd_step_changes_the_callers_params": (
        """
        def sgd_momentum_step(params, grad, state, lr=0.01, momentum=0.9):
            velocity = momentum * state.get("momentum_buffer", 0.0) + grad
            params -= lr * velocity
            return params, {"momentum_buffer": velocity}
        """,
        {"steps_leave_their_inputs_unchanged"},
        "changed its input params in place",
    ),
    "optimise_forgets_the_state": (
        """
        def optimise(step, grad_fn, theta0, steps, **hyper):
            path = [theta0]
            for _ in range(steps):
                theta, _ = step(path[-1], grad_fn(path[-1]), {}, **hyper)
                path.append(theta)
            return np.array(path)
        """,
        {"optimise_records_the_path_of_a_step_function", "optimise_matches_the_lectures_loop", "optimise_with_your_own_steps_follows_torch"},
        "not handed on",
    ),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_planted_mistake_loses_exactly_its_checks(tmp_path, name):
    assert_mistake_caught(tmp_path, "optimisers", MISTAKES[name])
