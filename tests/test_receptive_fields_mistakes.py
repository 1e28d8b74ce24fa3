"""Each planted receptive-field mistake loses exactly the checks it breaks, named in feedback."""

import pytest

from mutants import assert_mistake_caught

MISTAKES = {
    "field_ignores_the_jump": (
        """
        reference_field = receptive_field

        def receptive_field(layers):
            _, jump, start = reference_field(layers)
            size = 1 + sum(d * (k - 1) for k, _, _, d in map(layer_geometry, layers))
            return size, jump, start
        """,
        {
            "pooling_stages_needed_for_the_least_bittern",
            "pooling_stages_needed_matches_the_closed_form",
            "receptive_field_of_a_deeper_network",
            "receptive_field_of_the_lecture_network",
            "receptive_field_padding_moves_but_does_not_grow",
            "receptive_field_size_matches_autograd",
        },
        "ignores the jump of a stride",
    ),
    "field_sums_kernel_sizes": (
        """
        reference_field = receptive_field

        def receptive_field(layers):
            _, jump, start = reference_field(layers)
            return sum(layer_geometry(layer)[0] for layer in layers), jump, start
        """,
        {
            "pooling_stages_needed_for_the_least_bittern",
            "pooling_stages_needed_matches_the_closed_form",
            "receptive_field_of_a_deeper_network",
            "receptive_field_size_matches_autograd",
        },
        "sum of the kernel sizes",
    ),
    "padding_enlarges_the_field": (
        """
        reference_field = receptive_field

        def receptive_field(layers):
            size, jump, start = reference_field(layers)
            return size - 2 * start, jump, start
        """,
        {
            "receptive_field_padding_moves_but_does_not_grow",
            "receptive_field_size_matches_autograd",
        },
        "does not enlarge",
    ),
    "start_ignores_padding": (
        """
        reference_field = receptive_field

        def receptive_field(layers):
            size, jump, _ = reference_field(layers)
            return size, jump, 0
        """,
        {
            "receptive_field_padding_moves_but_does_not_grow",
            "receptive_field_start_matches_autograd",
        },
        "padding moves the field",
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
        {
            "receptive_field_extent_matches_torch_stft",
            "receptive_field_extent_of_the_least_bittern",
        },
        "not r * hop_length",
    ),
    "extent_in_whole_windows": (
        """
        def receptive_field_extent(rf_frames, rf_bins, sample_rate, n_fft, hop_length):
            return float(rf_frames * n_fft / sample_rate), float(rf_bins * sample_rate / n_fft)
        """,
        {
            "pooling_stages_needed_for_the_least_bittern",
            "pooling_stages_needed_matches_the_closed_form",
            "receptive_field_extent_matches_torch_stft",
            "receptive_field_extent_of_the_least_bittern",
        },
        "frames overlap",
    ),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_planted_mistake_loses_exactly_its_checks(tmp_path, name):
    assert_mistake_caught(tmp_path, "receptive_fields", MISTAKES[name])
