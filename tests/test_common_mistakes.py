"""Mistakes any exercise can make (issue 11 items 5, 7 and 8): float32 arithmetic, code that
only numpy 1 runs, `np.max(0, x)`; each planted mutant loses exactly the checks it breaks,
named in feedback. And a student's exception never shows its text in a hidden check."""

import pytest

from autograder.mistakes import common
from mutants import assert_mistake_caught, checks_by_id, grade_mutant

CONV2D_CHECKS = {
    "conv2d_sums_over_channels",
    "conv2d_gives_one_map_per_filter",
    "conv2d_with_a_non_square_kernel",
    "conv2d_with_padding_keeps_the_size",
    "conv2d_feature_map_shifts_with_the_image",
    "conv2d_with_stride_2_keeps_every_other_position",
    "conv2d_matches_torch",
    "conv2d_with_stride_and_padding_matches_torch",
    "conv2d_with_dilation_matches_torch",
    "conv2d_is_equivariant_to_shifts",
    "convolution_functions_leave_their_inputs_unchanged",
}

MISTAKES = {
    "conv2d_in_torch_float32": (
        "convolution",
        """
        def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
            import torch
            import torch.nn.functional as F

            bias = None if b is None else torch.from_numpy(b).float()
            out = F.conv2d(torch.from_numpy(x).float(), torch.from_numpy(w).float(), bias, stride=stride, padding=padding, dilation=dilation)
            return out.numpy().astype(np.float64)
        """,
        # the side properties too: they earn points only with a right answer
        {
            "conv2d_matches_torch",
            "conv2d_with_stride_and_padding_matches_torch",
            "conv2d_with_dilation_matches_torch",
            "conv2d_is_equivariant_to_shifts",
            "convolution_functions_leave_their_inputs_unchanged",
        },
        "computed in float32",
    ),
    "conv2d_float_of_a_1x1x1_bias": (
        "convolution",
        # deeplearning.ai's conv_single_step: b of shape (1, 1, 1) through float(), numpy 1 only
        """
        def conv_single_step(a_slice_prev, W, b):
            s = a_slice_prev * W
            Z = np.sum(s)
            Z = Z + float(b)
            return Z


        def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
            n_filters, _, kh, kw = w.shape
            biases = np.zeros((1, 1, 1, n_filters)) if b is None else b.reshape(1, 1, 1, n_filters)
            x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
            out_h = (x_pad.shape[2] - kh) // stride + 1
            out_w = (x_pad.shape[3] - kw) // stride + 1
            out = np.zeros((x.shape[0], n_filters, out_h, out_w))
            for n in range(x.shape[0]):
                for f in range(n_filters):
                    for i in range(out_h):
                        for j in range(out_w):
                            window = x_pad[n, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
                            out[n, f, i, j] = conv_single_step(window, w[f], biases[:, :, :, f])
            return out
        """,
        CONV2D_CHECKS,
        common.ZERO_DIM_CONVERSION,
    ),
    "max_pool2d_backward_int_of_where": (
        "pooling",
        """
        def max_pool2d_backward(dout, x, kernel_size, stride=None):
            stride = kernel_size if stride is None else stride
            dx = np.zeros_like(x)
            for n in range(x.shape[0]):
                for c in range(x.shape[1]):
                    for i in range(dout.shape[2]):
                        for j in range(dout.shape[3]):
                            window = x[n, c, i * stride : i * stride + kernel_size, j * stride : j * stride + kernel_size]
                            first = int(np.where(window.ravel() == window.max())[0])
                            r, s = divmod(first, kernel_size)
                            dx[n, c, i * stride + r, j * stride + s] += dout[n, c, i, j]
            return dx
        """,
        {
            "max_pool2d_backward_routes_the_gradient_to_each_maximum",
            "max_pool2d_backward_sends_a_tie_to_one_entry",
            "max_pool2d_backward_matches_autograd",
            "max_pool2d_backward_adds_up_overlapping_windows",
            "max_pool2d_backward_sends_ties_to_one_entry",
            "max_pool2d_backward_with_overlapping_windows",
            "pooling_leaves_its_inputs_unchanged",
        },
        common.ZERO_DIM_CONVERSION,
    ),
    "dense_forward_with_a_name_numpy_2_removed": (
        "backprop",
        """
        def dense_forward(x, W, b):
            return (x @ W.T + b).astype(np.float_)
        """,
        {"dense_forward_small_example", "dense_forward_matches_torch", "mlp_loss_and_gradients_at_zero_weights", "mlp_loss_and_gradients_match_autograd"},
        common.REMOVED_IN_NUMPY_2,
    ),
    "hinge_loss_with_np_max": (
        "losses",
        """
        def hinge_loss(y_true, scores):
            return float(np.mean(np.max(0, 1 - y_true * scores)))
        """,
        {"hinge_loss_is_zero_beyond_the_margin", "hinge_loss_matches_sklearn", "losses_leave_their_inputs_unchanged"},
        "np.maximum(0, x)",
    ),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_planted_common_mistake_loses_exactly_its_checks(tmp_path, name):
    concept, *mistake = MISTAKES[name]
    assert_mistake_caught(tmp_path, concept, tuple(mistake))


def test_a_students_exception_shows_its_text_in_public_checks_only(tmp_path):
    """A ValueError that echoes the hidden shapes: hidden feedback gives its type and the
    student's line (one of the submission's own), public feedback its text as well."""
    report = grade_mutant(
        tmp_path,
        "convolution",
        "convolution",
        """
        def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
            raise ValueError(f"cannot convolve {x.shape} with {w.shape}")
        """,
    )
    checks = checks_by_id(report, "convolution")
    failed = {check_id: check for check_id, check in checks.items() if check["status"] != "passed"}
    assert set(failed) == CONV2D_CHECKS
    for check in failed.values():
        assert check["status"] == "error"
        assert check["feedback"].startswith("conv2d raised ValueError")
        assert "(at convolution.py:" in check["feedback"], check["feedback"]
        assert ("cannot convolve" in check["feedback"]) == (check["visibility"] == "public"), check["feedback"]


def test_no_message_of_a_student_reaches_hidden_feedback(tmp_path):
    """Nor a NotImplementedError's message or sys.exit's: either could quote hidden inputs."""
    report = grade_mutant(
        tmp_path,
        "losses",
        "losses",
        """
        import sys


        def hinge_loss(y_true, scores):
            raise NotImplementedError(f"secret {scores[:3]}")


        def mean_absolute_error(y_true, y_pred):
            sys.exit(f"secret {y_true[:3]}")
        """,
    )
    hidden = [check for check in checks_by_id(report, "losses").values() if check["visibility"] == "hidden"]
    assert {"not_attempted", "crashed"} <= {check["status"] for check in hidden}
    assert [check["feedback"] for check in hidden if "secret" in check["feedback"]] == []
