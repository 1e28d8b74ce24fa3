"""Each planted convolution mistake loses exactly the checks it breaks, named in feedback;
a mistake in a helper is blamed on the helper, not on the function built on it."""

import pytest

from mutants import assert_mistake_caught

OUTPUT_SIZE_CHECKS = {
    "conv_output_size_of_the_lecture_example",
    "conv_output_size_with_padding_and_stride",
    "conv_output_size_with_dilation",
    "conv_output_size_matches_torch",
}
CONV2D_CHECKS = {
    "conv2d_sums_over_channels",
    "conv2d_matches_torch",
    "conv2d_with_stride_and_padding_matches_torch",
    "conv2d_with_dilation_matches_torch",
}
CORRELATE2D_CHECKS = {
    "correlate2d_reproduces_the_lecture_feature_map",
    "correlate2d_with_the_transposed_kernel",
    "correlate2d_matches_torch",
}
CONVOLVE2D_CHECKS = {"convolve2d_flips_the_kernel", "convolve2d_matches_torch"}
ZERO_PAD_CHECKS = {"zero_pad_adds_zeros_around_h_and_w", "zero_pad_matches_numpy"}
WINDOWS_CHECKS = {"windows_with_dilation_skip_every_other_pixel", "windows_matches_slicing"}
BACKWARD_CHECKS = {"conv2d_backward_matches_autograd", "conv2d_backward_with_padding_matches_autograd"}
PADDED_CONV2D_CHECKS = {
    "conv2d_with_padding_keeps_the_size",
    "conv2d_with_stride_and_padding_matches_torch",
    "conv2d_with_dilation_matches_torch",
}
UNCHANGED = "convolution_functions_leave_their_inputs_unchanged"
EQUIVARIANT = "conv2d_is_equivariant_to_shifts"


def zero_pad_mistake(pad_widths: str, words: str) -> tuple:
    """zero_pad with `pad_widths` (per axis) in place of (pad, pad): its own checks name `words`,
    the checks of functions built on it say to fix zero_pad first."""
    replacement = f"""
        def zero_pad(x, pad):
            return np.pad(x, {pad_widths})
        """
    built_on = PADDED_CONV2D_CHECKS | {"conv2d_backward_with_padding_matches_autograd"}
    return replacement, {**dict.fromkeys(ZERO_PAD_CHECKS | {UNCHANGED}, words), **dict.fromkeys(built_on, "fix zero_pad first")}


def conv2d_backward_mistake(dx: str = "dx", db: str = "db") -> str:
    """The reference backward pass with dx or db replaced by an expression of dx_pad, dout, dx, db."""
    return f"""
        _reference_backward = conv2d_backward

        def conv2d_backward(dout, x, w, stride=1, padding=0):
            dx, dw, db = _reference_backward(dout, x, w, stride, padding)
            dx_pad = zero_pad(dx, padding)
            return {dx}, dw, {db}
        """


MISTAKES = {
    "output_size_without_plus_one": (
        """
        def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
            return (input_size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride
        """,
        OUTPUT_SIZE_CHECKS,
        "the +1 counts",
    ),
    "output_size_without_floor": (
        """
        def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
            return (input_size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1
        """,
        OUTPUT_SIZE_CHECKS,
        "floor the division",
    ),
    # np.floor(...) + 1 floors right but gives a float: told so, never "not a whole number".
    "output_size_floored_as_a_float": (
        """
        def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
            return np.floor((input_size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1
        """,
        OUTPUT_SIZE_CHECKS,
        "the size is right but a float",
    ),
    "output_size_with_total_padding": (
        """
        def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
            return (input_size + padding - dilation * (kernel_size - 1) - 1) // stride + 1
        """,
        {"conv_output_size_with_padding_and_stride", "conv_output_size_matches_torch"},
        "on EACH side",
    ),
    "output_size_with_a_ceiling": (
        """
        import math

        def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
            return math.ceil((input_size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1
        """,
        {"conv_output_size_with_padding_and_stride", "conv_output_size_matches_torch"},
        "it rounds up",
    ),
    "output_size_rounded": (
        """
        def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
            return round((input_size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1
        """,
        {"conv_output_size_with_padding_and_stride": "it rounds up", "conv_output_size_matches_torch": "nearest whole number"},
    ),
    "correlate2d_flips_the_kernel": (
        """
        def correlate2d(image, kernel):
            flipped = kernel[::-1, ::-1]
            return np.einsum("hwij,ij->hw", sliding_window_view(image, kernel.shape), flipped)
        """,
        {**dict.fromkeys(CORRELATE2D_CHECKS | {UNCHANGED}, "the kernel is flipped"), **dict.fromkeys(CONVOLVE2D_CHECKS, "fix correlate2d first")},
    ),
    "convolve2d_does_not_flip": (
        """
        def convolve2d(image, kernel):
            return correlate2d(image, kernel)
        """,
        CONVOLVE2D_CHECKS | {UNCHANGED},
        "the kernel is not flipped",
    ),
    "zero_pad_pads_one_side": zero_pad_mistake("((0, 0), (0, 0), (pad, 0), (pad, 0))", "one side only"),
    "zero_pad_pads_top_and_left": zero_pad_mistake("((0, 0), (0, 0), (2 * pad, 0), (2 * pad, 0))", "top and left"),
    "windows_ignore_dilation": (
        """
        def windows(x, kernel_height, kernel_width, stride=1, dilation=1):
            return sliding_window_view(x, (kernel_height, kernel_width), axis=(2, 3))[:, :, ::stride, ::stride]
        """,
        {**dict.fromkeys(WINDOWS_CHECKS, "dilation is ignored"), "conv2d_with_dilation_matches_torch": "fix windows first"},
    ),
    "windows_as_a_writable_copy": (
        """
        reference_windows = windows

        def windows(x, kernel_height, kernel_width, stride=1, dilation=1):
            return reference_windows(x, kernel_height, kernel_width, stride, dilation).copy()
        """,
        set(),
        "",
    ),
    "conv2d_flips_the_kernel": (
        """
        def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
            pieces = windows(zero_pad(x, padding), w.shape[2], w.shape[3], stride, dilation)
            out = np.einsum("nchwij,fcij->nfhw", pieces, w[:, :, ::-1, ::-1])
            return out if b is None else out + b[None, :, None, None]
        """,
        CONV2D_CHECKS
        | {
            "conv2d_feature_map_shifts_with_the_image",
            "conv2d_with_stride_2_keeps_every_other_position",
            "conv2d_gives_one_map_per_filter",
            "conv2d_with_a_non_square_kernel",
            EQUIVARIANT,
            UNCHANGED,
        },
        "the kernel is flipped",
    ),
    "conv2d_averages_the_channels": (
        """
        def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
            pieces = windows(zero_pad(x, padding), w.shape[2], w.shape[3], stride, dilation)
            out = np.einsum("nchwij,fcij->nfhw", pieces, w) / x.shape[1]
            return out if b is None else out + b[None, :, None, None]
        """,
        CONV2D_CHECKS | {EQUIVARIANT, UNCHANGED},
        "channels are averaged",
    ),
    "conv2d_adds_the_bias_per_input_channel": (
        """
        def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
            pieces = windows(zero_pad(x, padding), w.shape[2], w.shape[3], stride, dilation)
            out = np.zeros((x.shape[0], w.shape[0], pieces.shape[2], pieces.shape[3]))
            for c in range(x.shape[1]):
                out += np.einsum("nhwij,fij->nfhw", pieces[:, c], w[:, c])
                if b is not None:
                    out += b[None, :, None, None]
            return out
        """,
        CONV2D_CHECKS | {UNCHANGED},
        "once per input channel",
    ),
    "conv2d_adds_the_bias_along_w": (
        """
        def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
            pieces = windows(zero_pad(x, padding), w.shape[2], w.shape[3], stride, dilation)
            out = np.einsum("nchwij,fcij->nfhw", pieces, w)
            return out if b is None else out + b
        """,
        {
            "conv2d_matches_torch": "along W",
            **dict.fromkeys(
                {
                    "conv2d_gives_one_map_per_filter",
                    "conv2d_with_stride_and_padding_matches_torch",
                    "conv2d_with_dilation_matches_torch",
                    UNCHANGED,
                },
                "conv2d raised ValueError",
            ),
        },
    ),
    "conv2d_halves_the_padding": (
        """
        def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
            pieces = windows(zero_pad(x, padding // 2), w.shape[2], w.shape[3], stride, dilation)
            out = np.einsum("nchwij,fcij->nfhw", pieces, w)
            return out if b is None else out + b[None, :, None, None]
        """,
        PADDED_CONV2D_CHECKS | {UNCHANGED},
        "on EACH side",
    ),
    "conv2d_pads_one_side_itself": (
        """
        def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
            x_pad = np.pad(x, ((0, 0), (0, 0), (padding, 0), (padding, 0)))
            out = np.einsum("nchwij,fcij->nfhw", windows(x_pad, w.shape[2], w.shape[3], stride, dilation), w)
            return out if b is None else out + b[None, :, None, None]
        """,
        PADDED_CONV2D_CHECKS | {UNCHANGED},
        "one side only",
    ),
    "conv2d_backward_slices_away_zero_padding": (
        conv2d_backward_mistake(dx="dx_pad[:, :, padding:-padding, padding:-padding]"),
        {"conv2d_backward_of_one_output", "conv2d_backward_matches_autograd"},
        "padding 0",
    ),
    "conv2d_backward_crops_a_hard_coded_one": (
        conv2d_backward_mistake(dx="dx_pad[:, :, 1:-1, 1:-1]"),
        {"conv2d_backward_of_one_output", "conv2d_backward_matches_autograd"},
        "not a fixed 1",
    ),
    "conv2d_backward_uses_one_sample_for_dw": (
        """
        _reference_backward = conv2d_backward

        def conv2d_backward(dout, x, w, stride=1, padding=0):
            dx, _, db = _reference_backward(dout, x, w, stride, padding)
            _, dw, _ = _reference_backward(dout[:1], x[:1], w, stride, padding)
            return dx, dw, db
        """,
        BACKWARD_CHECKS | {UNCHANGED},
        "sum over them all",
    ),
    "conv2d_backward_averages_db_over_the_batch": (
        conv2d_backward_mistake(db="db / len(x)"),
        BACKWARD_CHECKS | {UNCHANGED},
        "averaged over the batch",
    ),
    "conv2d_backward_sums_db_over_the_wrong_axes": (
        conv2d_backward_mistake(db="dout.sum(axis=(0, 1))"),
        BACKWARD_CHECKS | {UNCHANGED, "conv2d_backward_of_one_output"},
        "one entry per filter",
    ),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_planted_mistake_loses_exactly_its_checks(tmp_path, name):
    assert_mistake_caught(tmp_path, "convolution", MISTAKES[name])
