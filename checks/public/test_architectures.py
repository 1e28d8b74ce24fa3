"""Public checks for CNN architectures: the three output shapes, and a detector that learns.

The inputs are spectrograms of the size autograder.data.bittern makes: 32 bins by 87
frames (1 s at the lecture's 44.1 kHz, frame 1024, hop 512).
"""

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from autograder.compare import CheckFailed, expect_tensor
from autograder.data import bittern
from autograder.feedback import Mistake
from autograder.mistakes import architectures as mistakes

pytestmark = pytest.mark.concept("architectures")

N, F, T = 2, bittern.N_BINS, bittern.N_FRAMES
MIN_AUC = 0.9  # the reference reaches about 0.97; an untrained network about 0.5


def spectrograms():
    """A fixed batch of two random 'spectrograms', float32 of shape (N, 1, F, T)."""
    return torch.from_numpy(np.random.default_rng(0).normal(size=(N, 1, F, T)).astype(np.float32))


def test_clip_classifier_output_shape(student):
    """(1) Classify a spectrogram: (N, 1, F, T) gives one score per class, (N, n_classes)."""
    expect_tensor(student.clip_classifier(3)(spectrograms()), (N, 3), "clip_classifier")


def test_frame_classifier_output_shape(student):
    """(2) Classify each column: (N, 1, F, T) gives a score per class and frame, (N, n_classes, T)."""
    expect_tensor(
        student.frame_classifier(3)(spectrograms()),
        (N, 3, T),
        "frame_classifier",
        shape_mistakes=[
            Mistake(mistakes.TIME_POOLED, test=lambda shape: shape[:2] == (N, 3) and len(shape) == 3 and shape[2] < T),
            Mistake(mistakes.AXES_SWAPPED, test=lambda shape: shape == (N, T, 3)),
        ],
    )


def test_pixel_classifier_output_shape(student):
    """(3) Classify each pixel: (N, 1, F, T) gives a score per class, bin and frame, (N, n_classes, F, T)."""
    expect_tensor(
        student.pixel_classifier(3)(spectrograms()),
        (N, 3, F, T),
        "pixel_classifier",
        shape_mistakes=[Mistake(mistakes.ODD_SIZE_LOST, test=lambda shape: shape == (N, 3, F, T - 1))],
    )


@pytest.mark.points(3)
@pytest.mark.time_limit(120)
def test_train_detector_learns_the_least_bittern(student):
    """Trained on 400 clips of bittern.make_splits(0), the detector ranks 300 new clips well (ROC AUC >= 0.9).

    Budget: the reference trains in about 10 s on one CPU core; the limit is 120 s.
    """
    splits = bittern.make_splits(0, n_train=400, n_val=0, n_test=300)
    (X, y), (X_test, y_test) = splits["train"], splits["test"]
    model = student.train_detector(X, y, 0)
    model.eval()
    scores = model(torch.from_numpy(X_test))
    expect_tensor(
        scores,
        (len(y_test),),
        "train_detector's model",
        shape_mistakes=[Mistake(mistakes.NOT_A_SCORE_PER_CLIP, test=lambda shape: shape == (len(y_test), 1))],
    )
    auc = roc_auc_score(y_test, scores.detach().numpy())
    if auc < MIN_AUC:
        mistake = mistakes.INVERTED if auc < 1 - MIN_AUC else mistakes.CHANCE
        raise CheckFailed(f"train_detector's model has a ROC AUC of {auc:.3f} on new clips, below {MIN_AUC}: {mistake}", mistake=mistake)
