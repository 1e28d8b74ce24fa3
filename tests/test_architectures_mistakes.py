"""Each planted architecture mistake loses exactly the checks it breaks, named in feedback.

Every grading of this concept trains two detectors (about 30 s), so the list is short.
"""

import pytest

from mutants import assert_mistake_caught

MISTAKES = {
    "clip_classifier_with_a_dense_head": (
        """
        def clip_classifier(n_classes):
            return nn.Sequential(
                *conv_block(1, 8), nn.MaxPool2d(2), *conv_block(8, 16), nn.MaxPool2d(2),
                nn.Flatten(), nn.LazyLinear(n_classes),
            )
        """,
        {"clip_classifier_works_for_any_input_size"},
        "sized for one input size",
    ),
    "frame_classifier_pools_over_time": (
        """
        def frame_classifier(n_classes):
            return nn.Sequential(
                *conv_block(1, 16), nn.MaxPool2d(2), *conv_block(16, 32), nn.MaxPool2d(2),
                nn.AdaptiveMaxPool2d((1, None)), nn.Conv2d(32, n_classes, 1), nn.Flatten(2),
            )
        """,
        {"frame_classifier_output_shape", "frame_classifier_keeps_every_frame"},
        "it pools over time",
    ),
    "frame_classifier_adds_the_clip_mean": (
        """
        class AddClipMean(nn.Module):
            def forward(self, x):
                return x + x.mean(dim=-1, keepdim=True)


        def frame_classifier(n_classes):
            return nn.Sequential(
                *conv_block(1, 16), nn.AdaptiveMaxPool2d((1, None)), AddClipMean(),
                nn.Conv2d(16, n_classes, 1), nn.Flatten(2),
            )
        """,
        {"frame_classifier_scores_each_frame_from_its_neighbourhood"},
        "depends on the whole clip",
    ),
    "pixel_classifier_upsamples_by_two": (
        """
        def pixel_classifier(n_classes):
            return nn.Sequential(
                *conv_block(1, 16), nn.MaxPool2d(2), *conv_block(16, 16),
                nn.Upsample(scale_factor=2), nn.Conv2d(16, n_classes, 1),
            )
        """,
        {"pixel_classifier_output_shape", "pixel_classifier_keeps_every_pixel"},
        "loses a row or column",
    ),
    "train_detector_never_trains": (
        """
        def train_detector(X, y, seed):
            torch.manual_seed(seed)
            return nn.Sequential(clip_classifier(1), nn.Flatten(0)).eval()
        """,
        {"train_detector_learns_the_least_bittern", "train_detector_generalises_to_held_out_clips"},
        "barely better than guessing",
    ),
    "train_detector_normalises_in_place": (
        """
        _train_detector = train_detector


        def train_detector(X, y, seed):
            X -= X.mean()
            return _train_detector(X, y, seed)
        """,
        {"train_detector_leaves_its_inputs_unchanged"},
        "changed its input X in place",
    ),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_planted_mistake_loses_exactly_its_checks(tmp_path, name):
    assert_mistake_caught(tmp_path, "architectures", MISTAKES[name])
