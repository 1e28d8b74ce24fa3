"""Hidden checks for CNN architectures: seeded input sizes, locality, and a detector trained
on personal clips of autograder.data.bittern and scored on held-out ones."""

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from autograder.compare import CheckFailed, describe, expect_tensor, expect_unchanged
from autograder.data import bittern
from autograder.feedback import Mistake
from autograder.mistakes.architectures import (
    AXES_SWAPPED,
    CHANCE,
    CROPPED,
    DOWNSAMPLED,
    FIXED_SIZE,
    FREQUENCY_KEPT,
    GLOBAL_IN_TIME,
    INVERTED,
    NOT_A_SCORE_PER_CLIP,
    NOT_REPRODUCIBLE,
    ODD_SIZE_LOST,
    TIME_POOLED,
)
from autograder.worker.errors import StudentRaised

pytestmark = pytest.mark.concept("architectures")

MIN_AUC = 0.9  # the reference reached 0.95-0.99 over 12 seeds; an untrained network about 0.5
SCORE_ATOL = 1e-4  # float32 scores of unchanged frames, computed twice


def spectrograms(rng, n, f, t, scale=1.0):
    """Random float32 'spectrograms' of shape (n, 1, f, t)."""
    return torch.from_numpy(rng.normal(0.0, scale, size=(n, 1, f, t)).astype(np.float32))


def sizes(rng):
    """(F, T) pairs: the bittern's size first, then the smallest F, the smallest T, both odd."""
    odd = [2 * int(k) + 1 for k in rng.integers(8, 48, size=3)]
    return [(bittern.N_BINS, bittern.N_FRAMES), (16, odd[0]), (odd[1], 16), (odd[2], odd[2] + 2 * int(rng.integers(1, 20)))]


def scores_at_every_size(student, factory, rng, expected_shape, wrong_shapes):
    """Build one network and check its output on every size; a failure past the first size
    is a layer sized for one input."""
    n, n_classes = int(rng.integers(2, 5)), int(rng.integers(2, 7))
    net = getattr(student, factory)(n_classes)
    for i, (f, t) in enumerate(sizes(rng)):
        x = spectrograms(rng, n, f, t)
        try:
            out = net(x)
        except NotImplementedError:
            raise
        except (RuntimeError, StudentRaised) as error:
            if i == 0:
                raise
            raise CheckFailed(f"{factory}'s network failed on some input sizes: {FIXED_SIZE}", mistake=FIXED_SIZE) from error
        expect_tensor(out, expected_shape(n, n_classes, f, t), factory, shape_mistakes=wrong_shapes(n, n_classes, f, t))


@pytest.mark.points(2)
def test_clip_classifier_works_for_any_input_size(student, rng):
    """clip_classifier gives (N, n_classes) for any F, T >= 16, odd sizes and the smallest included."""
    scores_at_every_size(student, "clip_classifier", rng, lambda n, c, f, t: (n, c), lambda n, c, f, t: [])


@pytest.mark.points(2)
def test_frame_classifier_keeps_every_frame(student, rng):
    """frame_classifier gives (N, n_classes, T) for any F, T >= 16: no pooling over time."""
    scores_at_every_size(
        student,
        "frame_classifier",
        rng,
        lambda n, c, f, t: (n, c, t),
        lambda n, c, f, t: [
            Mistake(AXES_SWAPPED, test=lambda shape: shape == (n, t, c)),
            Mistake(TIME_POOLED, test=lambda shape: shape[:2] == (n, c) and len(shape) == 3 and shape[2] < t),
            Mistake(FREQUENCY_KEPT, test=lambda shape: len(shape) == 4 and shape[:2] == (n, c) and shape[3] == t),
        ],
    )


@pytest.mark.points(2)
def test_pixel_classifier_keeps_every_pixel(student, rng):
    """pixel_classifier gives (N, n_classes, F, T) for any F, T >= 16, odd sizes included."""
    scores_at_every_size(
        student,
        "pixel_classifier",
        rng,
        lambda n, c, f, t: (n, c, f, t),
        lambda n, c, f, t: [
            Mistake(ODD_SIZE_LOST, test=lambda shape: shape == (n, c, f - f % 2, t - t % 2)),
            Mistake(DOWNSAMPLED, test=lambda shape: len(shape) == 4 and shape[:2] == (n, c) and shape[2] <= f and shape[3] <= t),
        ],
    )


def test_clip_classifier_pools_over_the_whole_spectrogram(student, rng):
    """In eval mode, changing only the last frames, or only the top bins, changes the clip's scores."""
    n, n_classes = int(rng.integers(2, 4)), int(rng.integers(3, 6))
    f, t = int(rng.integers(40, 64)), int(rng.integers(80, 120))
    net = student.clip_classifier(n_classes)
    net.eval()
    x = spectrograms(rng, n, f, t)
    before = expect_tensor(net(x), (n, n_classes), "clip_classifier")
    for region in (np.s_[..., t - 8 :], np.s_[..., f - 8 :, :]):
        changed = False
        for scale in (3.0, 10.0, 30.0):
            y = x.clone()
            y[region] = spectrograms(rng, n, f, t, scale)[region]
            after = expect_tensor(net(y), (n, n_classes), "clip_classifier")
            changed = changed or not torch.allclose(before, after, rtol=0.0, atol=SCORE_ATOL)
        if not changed:
            raise CheckFailed(f"clip_classifier's scores ignore part of the spectrogram: {CROPPED}", mistake=CROPPED)


def test_frame_classifier_scores_each_frame_from_its_neighbourhood(student, rng):
    """In eval mode, changing the first quarter of a long clip changes its scores there and
    leaves the scores of its last quarter alone."""
    n, n_classes = int(rng.integers(2, 4)), int(rng.integers(2, 5))
    f, t = int(rng.integers(16, 40)), int(rng.integers(200, 240))
    net = student.frame_classifier(n_classes)
    net.eval()
    x = spectrograms(rng, n, f, t)
    y = x.clone()
    y[..., : t // 4] = spectrograms(rng, n, f, t // 4, 3.0)
    before, after = net(x), net(y)
    if type(before) is not torch.Tensor or before.dim() != 3:
        raise CheckFailed(f"frame_classifier should return a torch.Tensor of shape (N, n_classes, T); it returned {describe(before)}.")
    frames = before.shape[-1]
    if torch.allclose(before[..., : frames // 8], after[..., : frames // 8], rtol=0.0, atol=SCORE_ATOL):
        raise CheckFailed("frame_classifier's scores do not change where the input changes; each frame's score must come from its input.")
    if not torch.allclose(before[..., -frames // 4 :], after[..., -frames // 4 :], rtol=0.0, atol=SCORE_ATOL):
        raise CheckFailed(f"frame_classifier: {GLOBAL_IN_TIME}", mistake=GLOBAL_IN_TIME)


@pytest.fixture
def one_core():
    """Train on one CPU thread, as the grader's worker does, whatever the machine has."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.points(3)
@pytest.mark.time_limit(120)
def test_train_detector_generalises_to_held_out_clips(student, rng, one_core):
    """Trained on 400 personal clips, the detector ranks 300 held-out clips well (ROC AUC >= 0.9).

    Budget: the reference trains in about 10 s on one CPU core; the limit is 120 s.
    """
    seed = int(rng.integers(2**31))
    splits = bittern.make_splits(seed, n_train=400, n_val=0, n_test=300)
    (X, y), (X_test, y_test) = splits["train"], splits["test"]
    model = student.train_detector(X, y, int(rng.integers(1000)))
    model.eval()
    scores = expect_tensor(
        model(torch.from_numpy(X_test)),
        (len(y_test),),
        "train_detector's model",
        shape_mistakes=[Mistake(NOT_A_SCORE_PER_CLIP, test=lambda shape: shape == (len(y_test), 1))],
    )
    auc = roc_auc_score(y_test, scores.numpy())
    if auc < MIN_AUC:
        raise CheckFailed(f"train_detector's model ranks held-out clips poorly: {INVERTED if auc < 1 - MIN_AUC else CHANCE}")


@pytest.mark.time_limit(60)
def test_train_detector_leaves_its_inputs_unchanged(student, rng, one_core):
    """train_detector does not normalise or shuffle X and y in place."""
    X, y = bittern.make_clips(48, int(rng.integers(2**31)))
    X_given, y_given = X.copy(), y.copy()
    student.train_detector(X_given, y_given, 0)
    expect_unchanged(X, X_given, "train_detector", "X")
    expect_unchanged(y, y_given, "train_detector", "y")


@pytest.mark.time_limit(60)
def test_train_detector_is_reproducible(student, rng, one_core):
    """Two runs with the same seed on the same clips give the same scores."""
    X, y = bittern.make_clips(48, int(rng.integers(2**31)))
    seed = int(rng.integers(1000))
    x = torch.from_numpy(X)
    first, second = student.train_detector(X.copy(), y.copy(), seed), student.train_detector(X.copy(), y.copy(), seed)
    first.eval()
    second.eval()
    scores = [expect_tensor(model(x), (len(y),), "train_detector's model") for model in (first, second)]
    if not torch.allclose(*scores, rtol=1e-5, atol=1e-5):
        raise CheckFailed(f"train_detector: {NOT_REPRODUCIBLE}", mistake=NOT_REPRODUCIBLE)
