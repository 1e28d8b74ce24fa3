"""Public checks for CNN architectures: the three output shapes of networks whose scores come
from learnable convolution kernels, and a detector that learns.

The inputs are spectrograms of the size autograder.data.bittern makes: 32 bins by 87
frames (1 s with the lecture's 43 Hz bins and 86 frames a second).
"""

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from autograder.compare import CheckFailed, expect_tensor
from autograder.data import bittern
from autograder.feedback import Mistake
from autograder.mistakes import architectures as mistakes
from autograder.networks import expect_convolutional
from autograder.trained_detector import TRAINING_LIMIT_S, expect_a_cnn, public_training, trained_detector

pytestmark = pytest.mark.concept("architectures")

N, F, T = 2, bittern.N_BINS, bittern.N_FRAMES
MIN_AUC = 0.9  # the reference reaches 0.99; a detector blind to time or frequency about 0.7; an untrained one 0.5


def spectrograms():
    """A fixed batch of two random 'spectrograms', float32 of shape (N, 1, F, T)."""
    return torch.from_numpy(np.random.default_rng(0).normal(size=(N, 1, F, T)).astype(np.float32))


def test_clip_classifier_output_shape(student):
    """(1) Classify a spectrogram: the CNN maps (N, 1, F, T) to one score per class, (N, n_classes)."""
    net = student.clip_classifier(3)
    expect_tensor(net(spectrograms()), (N, 3), "clip_classifier")
    expect_convolutional(net, spectrograms(), "clip_classifier")


def test_frame_classifier_output_shape(student):
    """(2) Classify each column: the CNN maps (N, 1, F, T) to a score per class and frame, (N, n_classes, T)."""
    net = student.frame_classifier(3)
    expect_tensor(
        net(spectrograms()),
        (N, 3, T),
        "frame_classifier",
        shape_mistakes=[
            Mistake(mistakes.TIME_POOLED, test=lambda shape: shape[:2] == (N, 3) and len(shape) == 3 and shape[2] < T),
            Mistake(mistakes.AXES_SWAPPED, test=lambda shape: shape == (N, T, 3)),
        ],
    )
    expect_convolutional(net, spectrograms(), "frame_classifier")


def test_pixel_classifier_output_shape(student):
    """(3) Classify each pixel: the CNN maps (N, 1, F, T) to a score per class, bin and frame, (N, n_classes, F, T)."""
    net = student.pixel_classifier(3)
    expect_tensor(
        net(spectrograms()),
        (N, 3, F, T),
        "pixel_classifier",
        shape_mistakes=[Mistake(mistakes.ODD_SIZE_LOST, test=lambda shape: shape == (N, 3, F, T - 1))],
    )
    expect_convolutional(net, spectrograms(), "pixel_classifier")


@pytest.mark.points(3)
@pytest.mark.time_limit(TRAINING_LIMIT_S)
@pytest.mark.ahead("train_detector", public_training)
def test_train_detector_learns_the_least_bittern(student, shared):
    """Trained on the 200 clips of bittern.make_splits(0) with seed 0, the detector (a CNN) ranks 200 new clips well (ROC AUC >= 0.9).

    Budget: the reference trains in about 2 s on one CPU core; the limit is 60 s. The other
    checks that need a trained detector reuse this training (autograder.trained_detector).
    """
    run = trained_detector(student, shared)
    public = run.public
    scores = expect_tensor(
        public.scores,
        (len(public.labels),),
        "train_detector's model",
        shape_mistakes=[Mistake(mistakes.NOT_A_SCORE_PER_CLIP, test=lambda shape: shape == (len(public.labels), 1))],
    )
    expect_a_cnn(run)
    auc = roc_auc_score(public.labels, scores.numpy())
    if auc < MIN_AUC:
        mistake = mistakes.poor_ranking(auc, MIN_AUC)
        raise CheckFailed(f"train_detector's model has a ROC AUC of {auc:.3f} on new clips, below {MIN_AUC}: {mistake}", mistake=mistake)
