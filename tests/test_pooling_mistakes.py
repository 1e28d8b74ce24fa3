"""Each planted pooling mistake loses exactly the checks it breaks, named in feedback."""

import pytest

from mutants import assert_mistake_caught

UNCHANGED = "pooling_leaves_its_inputs_unchanged"
OVERLAPPING_MAX_BACKWARD = {
    "max_pool2d_backward_with_overlapping_windows",
    "max_pool2d_backward_adds_up_overlapping_windows",
    UNCHANGED,
}


def max_pool_backward_loop(first_line: str, winner: str, update: str) -> str:
    """A max_pool2d_backward written as a loop over windows, as students write it: `first_line`
    sets the stride, `winner` picks the mask of the window's maximum, `update` writes dx."""
    return f"""
        def max_pool2d_backward(dout, x, kernel_size, stride=None):
            {first_line}
            dx = np.zeros_like(x)
            for r in range(dout.shape[2]):
                for s in range(dout.shape[3]):
                    rows = slice(r * stride, r * stride + kernel_size)
                    cols = slice(s * stride, s * stride + kernel_size)
                    window = x[:, :, rows, cols]
                    {winner}
                    {update}
            return dx
        """


FIRST_MAX = """flat = window.reshape(*window.shape[:2], -1)
                    mask = (np.arange(flat.shape[2]) == flat.argmax(axis=2)[..., None]).reshape(window.shape)"""
LAST_MAX = """flat = window.reshape(*window.shape[:2], -1)[..., ::-1]
                    last = flat.shape[2] - 1 - flat.argmax(axis=2)
                    mask = (np.arange(flat.shape[2]) == last[..., None]).reshape(window.shape)"""
DEFAULT_STRIDE = "stride = kernel_size if stride is None else stride"
ADD = "dx[:, :, rows, cols] += mask * dout[:, :, r, s][:, :, None, None]"


def avg_pool_backward_loop(first_line: str, update: str) -> str:
    """An avg_pool2d_backward written as a loop over windows."""
    return f"""
        def avg_pool2d_backward(dout, x_shape, kernel_size, stride=None):
            {first_line}
            dx = np.zeros(x_shape)
            for r in range(dout.shape[2]):
                for s in range(dout.shape[3]):
                    rows = slice(r * stride, r * stride + kernel_size)
                    cols = slice(s * stride, s * stride + kernel_size)
                    {update}
            return dx
        """


MISTAKES = {
    "max_pool_ignores_the_stride": (
        """
        def max_pool2d(x, kernel_size, stride=None):
            return pool_windows(x, kernel_size, kernel_size).max(axis=(4, 5))
        """,
        {"max_pool2d_with_overlapping_windows", "max_pool2d_matches_torch", UNCHANGED},
        "the stride is ignored",
    ),
    # Every check that pools with the default stride names the mistake, the shift checks too.
    "max_pool_stride_one_by_default": (
        """
        def max_pool2d(x, kernel_size, stride=None):
            return pool_windows(x, kernel_size, 1 if stride is None else stride).max(axis=(4, 5))
        """,
        {
            "max_pool2d_small_example",
            "max_pool2d_ignores_a_shift_inside_its_window",
            "max_pool2d_moves_by_one_when_its_input_moves_by_the_stride",
            "max_pool2d_matches_torch",
            "max_pool2d_is_invariant_to_shifts_inside_its_windows",
            "pooling_is_equivariant_to_shifts_by_the_stride",
        },
        "stride=None means stride = kernel_size",
    ),
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
    "max_pool_gradient_to_the_last_tie": (
        max_pool_backward_loop(DEFAULT_STRIDE, LAST_MAX, ADD),
        {"max_pool2d_backward_sends_a_tie_to_one_entry", "max_pool2d_backward_sends_ties_to_one_entry"},
        "the last of the tied maxima",
    ),
    "max_pool_gradient_overwrites_overlaps": (
        max_pool_backward_loop(DEFAULT_STRIDE, FIRST_MAX, "dx[:, :, rows, cols][mask] = (mask * dout[:, :, r, s][:, :, None, None])[mask]"),
        OVERLAPPING_MAX_BACKWARD,
        "must add up",
    ),
    "max_pool_gradient_assigned_over_the_window": (
        max_pool_backward_loop(DEFAULT_STRIDE, FIRST_MAX, "dx[:, :, rows, cols] = mask * dout[:, :, r, s][:, :, None, None]"),
        OVERLAPPING_MAX_BACKWARD,
        "assigned (=) over the whole window",
    ),
    "max_pool_gradient_forgets_the_stride": (
        max_pool_backward_loop("stride = 1", FIRST_MAX, ADD),
        {
            "max_pool2d_backward_adds_up_overlapping_windows",
            UNCHANGED,
            "max_pool2d_backward_routes_the_gradient_to_each_maximum",
            "max_pool2d_backward_sends_a_tie_to_one_entry",
            "max_pool2d_backward_matches_autograd",
            "max_pool2d_backward_sends_ties_to_one_entry",
        },
        "the stride is ignored",
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
        {"avg_pool2d_backward_shares_the_gradient", "avg_pool2d_backward_matches_autograd", UNCHANGED},
        "dout / k**2",
    ),
    "avg_pool_gradient_assigned_over_the_window": (
        avg_pool_backward_loop(DEFAULT_STRIDE, "dx[:, :, rows, cols] = dout[:, :, r, s][:, :, None, None] / kernel_size**2"),
        {"avg_pool2d_backward_matches_autograd", UNCHANGED},
        "assigned (=) over the whole window",
    ),
    "avg_pool_gradient_forgets_the_stride": (
        avg_pool_backward_loop("stride = 1", "dx[:, :, rows, cols] += dout[:, :, r, s][:, :, None, None] / kernel_size**2"),
        {"avg_pool2d_backward_shares_the_gradient", "avg_pool2d_backward_matches_autograd", UNCHANGED},
        "the stride is ignored",
    ),
    "translate_wraps_around": (
        """
        def translate(x, down, right):
            return np.roll(x, (down, right), axis=(2, 3))
        """,
        {"translate_moves_a_single_pixel", "translate_matches_numpy", UNCHANGED},
        "wraps around",
    ),
    # Right answers, then the input zeroed in place: only the check of unchanged inputs
    # loses, never one whose expected values would be computed from the zeroed input.
    "max_pool_zeroes_its_input_afterwards": (
        """
        _max_pool2d = max_pool2d


        def max_pool2d(x, kernel_size, stride=None):
            pooled = _max_pool2d(x, kernel_size, stride)
            x[...] = 0.0
            return pooled
        """,
        {UNCHANGED},
        "changed its input first argument in place",
    ),
    "global_avg_pool_keeps_its_axes": (
        """
        def global_avg_pool(x):
            return x.mean(axis=(2, 3), keepdims=True)
        """,
        {"global_avg_pool_small_example", "global_avg_pool_matches_torch", "global_avg_pool_is_invariant_to_shifts", UNCHANGED},
        "two axes of length 1",
    ),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_planted_mistake_loses_exactly_its_checks(tmp_path, name):
    assert_mistake_caught(tmp_path, "pooling", MISTAKES[name])
