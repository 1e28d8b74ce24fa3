"""Each planted receptive-field mistake loses exactly the checks it breaks, named in feedback;
a wrong receptive_field or receptive_field_extent is blamed there, not in pooling_stages_needed."""

import pytest

from mutants import assert_mistake_caught

STAGES_CHECKS = {"pooling_stages_needed_for_the_least_bittern", "pooling_stages_needed_matches_the_closed_form"}


def blamed(own: dict[str, str], helper: str, stages_checks=STAGES_CHECKS) -> dict[str, str]:
    """The words of each check a mistake in `helper` breaks: its own checks name the mistake,
    pooling_stages_needed's (those it breaks) say to fix the helper first."""
    return {**own, **dict.fromkeys(stages_checks, f"fix {helper} first")}


def field_mistake(returned: str) -> str:
    """receptive_field returning `returned`, an expression of the reference's size, jump and start."""
    return f"""
        reference_field = receptive_field

        def receptive_field(layers):
            size, jump, start = reference_field(layers)
            return {returned}
        """


MISTAKES = {
    "field_ignores_the_jump": (
        field_mistake("1 + sum(d * (k - 1) for k, _, _, d in map(layer_geometry, layers)), jump, start"),
        blamed(
            dict.fromkeys(
                {
                    "receptive_field_of_a_deeper_network",
                    "receptive_field_of_the_lecture_network",
                    "receptive_field_padding_moves_but_does_not_grow",
                    "receptive_field_size_matches_autograd",
                },
                "ignores the jump of a stride",
            ),
            "receptive_field",
        ),
    ),
    "field_sums_kernel_sizes": (
        field_mistake("sum(layer_geometry(layer)[0] for layer in layers), jump, start"),
        blamed(
            dict.fromkeys(
                {
                    "receptive_field_of_a_deeper_network",
                    "receptive_field_of_a_dilated_network",
                    "receptive_field_size_matches_autograd",
                },
                "sum of the kernel sizes",
            ),
            "receptive_field",
        ),
    ),
    "field_off_by_one": (
        field_mistake("size - 1, jump, start"),
        blamed(
            dict.fromkeys(
                {
                    "receptive_field_of_a_deeper_network",
                    "receptive_field_of_a_dilated_network",
                    "receptive_field_of_the_lecture_network",
                    "receptive_field_padding_moves_but_does_not_grow",
                    "receptive_field_size_matches_autograd",
                },
                "it is one off",
            ),
            "receptive_field",
            {"pooling_stages_needed_matches_the_closed_form"},
        ),
    ),
    "padding_enlarges_the_field": (
        field_mistake("size - 2 * start, jump, start"),
        {
            "receptive_field_padding_moves_but_does_not_grow",
            "receptive_field_of_a_dilated_network",
            "receptive_field_size_matches_autograd",
        },
        "does not enlarge",
    ),
    "start_ignores_padding": (
        field_mistake("size, jump, 0"),
        {
            "receptive_field_padding_moves_but_does_not_grow",
            "receptive_field_of_a_dilated_network",
            "receptive_field_start_matches_autograd",
        },
        "padding moves the field",
    ),
    "start_from_an_undilated_end": (
        """
        reference_field = receptive_field

        def receptive_field(layers):
            size, jump, _ = reference_field(layers)
            end, before = 0, 1
            for layer in layers:
                kernel_size, stride, padding, _ = layer_geometry(layer)
                end += (kernel_size - 1 - padding) * before
                before *= stride
            return size, jump, end - size + 1
        """,
        {"receptive_field_of_a_dilated_network", "receptive_field_start_matches_autograd"},
        "the start ignores the dilation",
    ),
    "bin_width_of_half_the_rate": (
        """
        def spectrogram_resolution(sample_rate, n_fft, hop_length):
            return float(sample_rate / (2 * n_fft)), float(sample_rate / hop_length)
        """,
        {
            "spectrogram_resolution_matches_torch",
            "spectrogram_resolution_of_the_least_bittern",
        },
        "sample_rate / (2 * n_fft)",
    ),
    "frame_rate_from_the_window": (
        """
        def spectrogram_resolution(sample_rate, n_fft, hop_length):
            return float(sample_rate / n_fft), float(sample_rate / n_fft)
        """,
        {
            "spectrogram_resolution_matches_torch",
            "spectrogram_resolution_of_the_least_bittern",
        },
        "every hop_length samples",
    ),
    "extent_without_the_last_window": (
        """
        def receptive_field_extent(rf_frames, rf_bins, sample_rate, n_fft, hop_length):
            return float(rf_frames * hop_length / sample_rate), float(rf_bins * sample_rate / n_fft)
        """,
        blamed(
            dict.fromkeys({"receptive_field_extent_matches_torch_stft", "receptive_field_extent_of_the_least_bittern"}, "not r * hop_length"),
            "receptive_field_extent",
            {"pooling_stages_needed_matches_the_closed_form"},
        ),
    ),
    "extent_in_whole_windows": (
        """
        def receptive_field_extent(rf_frames, rf_bins, sample_rate, n_fft, hop_length):
            return float(rf_frames * n_fft / sample_rate), float(rf_bins * sample_rate / n_fft)
        """,
        blamed(
            dict.fromkeys({"receptive_field_extent_matches_torch_stft", "receptive_field_extent_of_the_least_bittern"}, "frames overlap"),
            "receptive_field_extent",
        ),
    ),
    "stages_counted_in_whole_windows": (
        """
        def pooling_stages_needed(duration_s, sample_rate, n_fft, hop_length):
            n, layers = 0, [(3, 1)]
            while receptive_field(layers)[0] * n_fft / sample_rate < duration_s:
                n += 1
                layers += [(2, 2), (3, 1)]
            return n
        """,
        STAGES_CHECKS,
        "frames overlap",
    ),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_planted_mistake_loses_exactly_its_checks(tmp_path, name):
    assert_mistake_caught(tmp_path, "receptive_fields", MISTAKES[name])
