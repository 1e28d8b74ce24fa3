"""Each planted pooling mistake loses exactly the checks it breaks, named in feedback."""

import pytest

from mutants import assert_mistake_caught

MISTAKES = {
    "max_pool_gradient_to_every_tie": (
        """
        def max_pool2d_backward(dout, x, kernel_size, stride=None):
            stride = kernel_size if stride is None else stride
            pieces = pool_windows(x, kernel_size, stride)
            ties = pieces == pieces.max(axis=(4, 5), keepdims=True)
            h_out, w_out = dout.shape[2:]
            dx = np.zeros_like(x)
            for i in range(kernel_size):
                for j in range(kernel_size):
                    rows = slice(i, i + stride * h_out, stride)
                    cols = slice(j, j + stride * w_out, stride)
                    dx[:, :, rows, cols] += np.where(ties[..., i, j], dout, 0.0)
            return dx
        """,
        {"max_pool2d_backward_sends_a_tie_to_one_entry", "max_pool2d_backward_sends_ties_to_one_entry"},
        "every tied maximum",
    ),
    "max_pool_gradient_overwrites_overlaps": (
        """
        def max_pool2d_backward(dout, x, kernel_size, stride=None):
            stride = kernel_size if stride is None else stride
            dx = np.zeros_like(x)
            n, c = np.indices(x.shape[:2])
            for r in range(dout.shape[2]):
                for s in range(dout.shape[3]):
                    window = x[:, :, r * stride : r * stride + kernel_size, s * stride : s * stride + kernel_size]
                    first = window.reshape(*x.shape[:2], -1).argmax(axis=2)
                    rows = r * stride + first // kernel_size
                    cols = s * stride + first % kernel_size
                    dx[n, c, rows, cols] = dout[:, :, r, s]
            return dx
        """,
        {"max_pool2d_backward_adds_up_overlapping_windows"},
        "must add up",
    ),
    "avg_pool_gradient_not_divided": (
        """
        def avg_pool2d_backward(dout, x_shape, kernel_size, stride=None):
            stride = kernel_size if stride is None else stride
            h_out, w_out = dout.shape[2:]
            dx = np.zeros(x_shape)
            for i in range(kernel_size):
                for j in range(kernel_size):
                    dx[:, :, i : i + stride * h_out : stride, j : j + stride * w_out : stride] += dout
            return dx
        """,
        {"avg_pool2d_backward_shares_the_gradient", "avg_pool2d_backward_matches_autograd"},
        "dout / k**2",
    ),
    "translate_wraps_around": (
        """
        def translate(x, down, right):
            return np.roll(x, (down, right), axis=(2, 3))
        """,
        {"translate_moves_a_single_pixel", "translate_matches_numpy"},
        "wraps around",
    ),
    "global_avg_pool_keeps_its_axes": (
        """
        def global_avg_pool(x):
            return x.mean(axis=(2, 3), keepdims=True)
        """,
        {"global_avg_pool_small_example", "global_avg_pool_matches_torch", "global_avg_pool_is_invariant_to_shifts"},
        "two axes of length 1",
    ),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_planted_mistake_loses_exactly_its_checks(tmp_path, name):
    assert_mistake_caught(tmp_path, "pooling", MISTAKES[name])
