"""Each planted convolution mistake loses exactly the checks it breaks, named in feedback."""

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
    "output_size_with_total_padding": (
        """
        def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
            return (input_size + padding - dilation * (kernel_size - 1) - 1) // stride + 1
        """,
        {"conv_output_size_with_padding_and_stride", "conv_output_size_matches_torch"},
        "on EACH side",
    ),
    "correlate2d_flips_the_kernel": (
        """
        def correlate2d(image, kernel):
            flipped = kernel[::-1, ::-1]
            return np.einsum("hwij,ij->hw", sliding_window_view(image, kernel.shape), flipped)
        """,
        {
            "correlate2d_reproduces_the_lecture_feature_map",
            "correlate2d_with_the_transposed_kernel",
            "correlate2d_matches_torch",
            "convolve2d_flips_the_kernel",
            "convolve2d_matches_torch",
        },
        "flipped",
    ),
    "conv2d_flips_the_kernel": (
        """
        def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
            pieces = windows(zero_pad(x, padding), w.shape[2], w.shape[3], stride, dilation)
            out = np.einsum("nchwij,fcij->nfhw", pieces, w[:, :, ::-1, ::-1])
            return out if b is None else out + b[None, :, None, None]
        """,
        CONV2D_CHECKS | {"conv2d_feature_map_shifts_with_the_image", "conv2d_with_stride_2_keeps_every_other_position"},
        "the kernel is flipped",
    ),
    "conv2d_averages_the_channels": (
        """
        def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
            pieces = windows(zero_pad(x, padding), w.shape[2], w.shape[3], stride, dilation)
            out = np.einsum("nchwij,fcij->nfhw", pieces, w) / x.shape[1]
            return out if b is None else out + b[None, :, None, None]
        """,
        CONV2D_CHECKS,
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
        CONV2D_CHECKS,
        "once per input channel",
    ),
    "conv2d_halves_the_padding": (
        """
        def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
            pieces = windows(zero_pad(x, padding // 2), w.shape[2], w.shape[3], stride, dilation)
            out = np.einsum("nchwij,fcij->nfhw", pieces, w)
            return out if b is None else out + b[None, :, None, None]
        """,
        {"conv2d_with_stride_and_padding_matches_torch", "conv2d_with_dilation_matches_torch"},
        "on EACH side",
    ),
    "conv2d_backward_slices_away_zero_padding": (
        """
        _reference_backward = conv2d_backward

        def conv2d_backward(dout, x, w, stride=1, padding=0):
            dx, dw, db = _reference_backward(dout, x, w, stride, padding)
            dx_pad = zero_pad(dx, padding)
            return dx_pad[:, :, padding:-padding, padding:-padding], dw, db
        """,
        {"conv2d_backward_of_one_output", "conv2d_backward_matches_autograd"},
        "padding 0",
    ),
    "conv2d_backward_uses_one_sample_for_dw": (
        """
        _reference_backward = conv2d_backward

        def conv2d_backward(dout, x, w, stride=1, padding=0):
            dx, _, db = _reference_backward(dout, x, w, stride, padding)
            _, dw, _ = _reference_backward(dout[:1], x[:1], w, stride, padding)
            return dx, dw, db
        """,
        {"conv2d_backward_matches_autograd", "conv2d_backward_with_padding_matches_autograd"},
        "sum over them all",
    ),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_planted_mistake_loses_exactly_its_checks(tmp_path, name):
    assert_mistake_caught(tmp_path, "convolution", MISTAKES[name])
