"""The same mistake costs every student the same (law 7, issue 11 item 2). Each planted
submission below carries one mistake (or one honest style) per concept; graded with the
public and hidden checks under 20 student ids, every check of every concept gets one
status and one number of points for all of them. Each mistake is one that a coin flip per
student used to decide (does MSE meet a 2-D input, relu a negative number, conv2d a bias,
a pool a stride other than its kernel, a conv groups > 1, a batch size that does not
divide N, a shift a negative sign, a division a remainder, a field its edge?); the
micrograd engine is correct code that some students' inputs used to fail.
"""

import pytest

from autograder.course import find_course_root
from mutants import checks_by_id, grading_process, plant
from styles import MICROGRAD_VALUE
from test_convolution_mistakes import MISTAKES as CONVOLUTION
from test_parameters_mistakes import MISTAKES as PARAMETERS
from test_pooling_mistakes import MISTAKES as POOLING
from test_receptive_fields_mistakes import MISTAKES as RECEPTIVE_FIELDS

COURSE = find_course_root()
STUDENTS = [f"student-{i:02d}" for i in range(20)]
pytestmark = pytest.mark.slow(seconds=35)  # ten concepts graded for each of 20 students

MISTAKES = {
    "losses": """
        def mean_squared_error(y_true, y_pred):
            return float(np.sum((y_true - y_pred) ** 2) / len(y_true))
        """,
    "gradient_descent": """
        def design_matrix(x):
            return np.vstack([np.ones(len(x)), x]).T


        def minibatch_indices(n_samples, batch_size, seed):
            order = np.random.default_rng(seed).permutation(n_samples)
            return [order[i * batch_size : (i + 1) * batch_size] for i in range(n_samples // batch_size + 1)]
        """,
    "nonlinearities": """
        def relu(x):
            return x * 1.0
        """,
    "convolution": """
        _conv2d = conv2d


        def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
            return _conv2d(x, w, None, stride, padding, dilation)
        """,
    "pooling": """
        _max_pool2d = max_pool2d


        def max_pool2d(x, kernel_size, stride=None):
            return _max_pool2d(x, kernel_size)
        """,
    "parameters": """
        def conv2d_params(in_channels, out_channels, kernel_size, bias=True, groups=1):
            kh, kw = pair(kernel_size)
            return out_channels * in_channels * kh * kw + (out_channels if bias else 0)
        """,
    "optimisers": """
        def adam_step(params, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
            beta1, beta2 = betas
            m = beta1 * state.get("exp_avg", 0.0) + (1 - beta1) * grad
            v = beta2 * state.get("exp_avg_sq", 0.0) + (1 - beta2) * grad**2
            return params - lr * m / np.sqrt(v + eps), {"exp_avg": m, "exp_avg_sq": v}


        def rmsprop_step(params, grad, state, lr=0.01, alpha=0.99, eps=1e-8):
            square_avg = alpha * state.get("square_avg", 0.0) + (1 - alpha) * grad
            return params - lr * grad / (np.sqrt(square_avg) + eps), {"square_avg": square_avg}
        """,
    "normalisation": """
        def dropout_forward(x, p, training, rng):
            mask = (rng.random(x.shape) < p) / p
            return x * mask, mask


        _batchnorm_forward = batchnorm_forward


        def batchnorm_forward(x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5, training=True):
            return _batchnorm_forward(x, gamma, beta, running_mean, running_var, 1 - momentum, eps, training)
        """,
    "receptive_fields": RECEPTIVE_FIELDS["field_off_by_one"][0],
    "backprop": MICROGRAD_VALUE,  # honest: micrograd's own engine
}
MORE_MISTAKES = {
    "nonlinearities": """
        def relu(x):
            return np.array([max(0.0, value) for value in x])
        """,
    "convolution": CONVOLUTION["output_size_rounded"][0] + CONVOLUTION["zero_pad_pads_one_side"][0],
    "parameters": PARAMETERS["conv_params_always_with_a_bias"][0],
    "pooling": POOLING["max_pool_gradient_forgets_the_stride"][0]
    + """
        def translate(x, down, right):
            out = np.roll(x, (down, right), axis=(2, 3))
            out[:, :, :down] = 0.0
            out[:, :, :, :right] = 0.0
            return out
        """,
    "receptive_fields": RECEPTIVE_FIELDS["extent_without_the_last_window"][0],
}
HONEST = {"backprop"}


def graded_outcomes(planted: dict[str, str], folder) -> dict[str, dict[str, set]]:
    """Concept -> check -> the set of (status, points) it got over the 20 student ids."""
    submission = plant(folder, planted)
    found: dict[str, dict[str, set]] = {concept: {} for concept in planted}
    for student in STUDENTS:
        report = grading_process().grade(submission, COURSE, student=student, concepts=tuple(planted))
        for concept in planted:
            for check_id, check in checks_by_id(report, concept).items():
                found[concept].setdefault(check_id, set()).add((check["status"], check["points"]))
    return found


# MORE_MISTAKES is graded in test_same_mistake_same_score_more.py, a file of its own, so
# that under -n the two classes of 20 run on different workers.
@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, dict[str, set]]:
    return graded_outcomes(MISTAKES, tmp_path_factory.mktemp("planted"))


def test_every_check_has_one_outcome_for_every_student(outcomes):
    varying = {concept: sorted(c for c, results in checks.items() if len(results) > 1) for concept, checks in outcomes.items()}
    assert {concept: ids for concept, ids in varying.items() if ids} == {}, "these checks pass for some students and fail for others"


def test_a_mistake_is_seen_and_honest_code_gets_full_marks(outcomes):
    for concept, checks in outcomes.items():
        statuses = {status for results in checks.values() for status, _ in results}
        assert (statuses == {"passed"}) == (concept in HONEST), f"{concept}: {statuses}"
