"""Hidden checks for CNN architectures: seeded input sizes, locality, and a detector trained
once a session (autograder.trained_detector) and scored on personal held-out clips.

Every network must be a CNN (autograder.networks): shapes and locality alone are met by
fixed arithmetic on the input too. And the detector must have learnt what it finds: trained
once more on the same clips upside down, it finds the coo in its new band."""

from dataclasses import dataclass, replace

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from autograder.compare import CheckFailed, describe, expect_close, expect_tensor, expect_unchanged
from autograder.data import bittern
from autograder.feedback import Mistake
from autograder.mistakes.architectures import (
    AXES_SWAPPED,
    CROPPED,
    DOWNSAMPLED,
    FIXED_SIZE,
    FREQUENCY_KEPT,
    GLOBAL_IN_TIME,
    NOT_A_DETECTOR_YET,
    NOT_A_SCORE_PER_CLIP,
    NOT_LEARNT,
    NOT_REPRODUCIBLE,
    ODD_SIZE_LOST,
    OVERFITTED,
    TIME_POOLED,
    TRAIN_MODE_LOSS,
    poor_ranking,
)
from autograder.networks import expect_convolutional
from autograder.trained_detector import (
    TRAINING_LIMIT_S,
    VALIDATION_CLIPS,
    Scored,
    expect_a_cnn,
    held_out_clips,
    one_core,
    public_training,
    scores,
    trained_detector,
    trained_model,
)
from autograder.worker.errors import StudentRaised

pytestmark = pytest.mark.concept("architectures")

# ROC AUC on personal held-out clips, over 8 training seeds x 20 ids: the reference at least
# 0.949; correct variants (narrower, global average pooling, dropout, numpy or sklearn
# splits with a DataLoader, and off the stub a tenth held out or lr 3e-2) at least 0.907
# (narrower); an untrained model 0.36-0.74 over 20 seeds; blind to time or frequency at most
# 0.79 (20 ids). Off the stub's lr 1e-2 and Adam, a training may not converge in 10 epochs:
# lr 3e-3 gave 0.607 and SGD with Nesterov momentum (lr 0.01) 0.523 for one seed in 8, as
# low as an untrained model's, which no bound can tell apart.
MIN_AUC = 0.9
SCORE_ATOL = 1e-4  # float32 scores of unchanged frames, computed twice
QUIET = 0.01  # the background's scale when a region is changed
# Loud regions tried in turn until one changes the scores: with three, the reference failed
# for 1 in 2,000 initial weights and draws; with twelve, for none of 4,000
# (tests/test_clip_pooling_check.py)
REGION_SCALES = (3.0, 10.0, 30.0) * 4
PAST_THE_FRAMES = slice(bittern.N_FRAMES + 4, bittern.N_FRAMES + 12)  # frames a network cropped to the bittern's size never sees
PAST_THE_BINS = slice(bittern.N_BINS + 4, bittern.N_BINS + 12)
LOSS_RTOL = 1e-5  # a float32 loss against the grader's float64 one
NOISE_CLIPS, NOISE_PROBES, NOISE_SIZE = 300, 300, 16
# Mean BCE on new noise clips. Chance's is ln 2 = 0.69. With 300 clips: the reference at
# most 1.132 over 1,000 student ids, AdamW 0.792 over 80, a tenth held out (off the stub's
# fifth) above the bound for 3 ids in 1,000 (1.392, 1.593, 1.761; else at most 1.276); the
# planted mistake (no hold-out, the last epoch) at least 1.327 over 300 ids, and holding out
# but keeping the last epoch at least 1.462 over 40. The clips
# are what makes a correct model's choice of epoch reliable: its validation part is all it
# has. With 240 clips a tenth held out failed for 3 ids in 300 (1.373, 1.801, 2.042: its
# noisy validation loss picked an overfitted epoch) and AdamW for 1 in 40; with 120, a tenth
# for 10 in 150 and the planted mistake passed for 7 in 60; with 360, a tenth above the
# bound for 1 id in 1,000 (1.391), but the planted mistake under it for 3 in 200 (from
# 1.264), at 0.40 s of CPU a run against 0.30 with 300 and 0.24 with 240.
MAX_NOISE_LOSS = 1.30
# The reproducibility check's two runs train on this many clips of noise, and compare their
# scores on as many new ones: a model from other initial weights, splits or batches scores
# them differently whatever their number. 64 leave every split and batch a correct student
# makes at least two clips (a fifth or a tenth held out, batches of 32), and cost 0.08 s of
# CPU a run, where a repeat of the best-epoch check's run on 300 cost 0.30.
REPRODUCIBILITY_CLIPS = 64
# ROC AUC on personal clips upside down, after training on the public clips upside down, over
# 20 training seeds x 20 ids each: the reference at least 0.950; 23 correct variants with
# Adam or AdamW (wider, narrower, two convolutions a stage, 5 x 5 kernels, average pooling,
# dropout, global average pooling; numpy, sklearn, stratified or last-fifth splits;
# DataLoader; the seed set elsewhere; a tenth held out, lr 3e-3 or 3e-2, 20 epochs) at least
# 0.894 (lr 3e-3; on the stub's settings 0.910); off the stub's Adam, SGD with Nesterov
# momentum at least 0.815 (lr 0.02) and 0.739 (lr 0.01). A detector made by hand for the
# coo's band (a fixed convolution, AUC 0.96 upright) at most 0.488 over 20 ids, median 0.44:
# the bound is 0.16 above it, four times the spread of an AUC on 200 clips (0.04), and 0.07
# below the worst correct model met, SGD's 0.719 (lr 0.01, tests/test_training_bounds.py). An
# untrained model scores 0.35-0.74 (its random features see loudness), but the upright run
# (MIN_AUC) fails it first. A network without batch norm, off conv_block's spec, failed to
# train for 2 seeds in 20 (0.44, 0.65), and is rightly failed then.
MIN_UPSIDE_DOWN_AUC = 0.65


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
    expect_convolutional(net, x, factory)


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
    """In eval mode, changing only frames past the bittern's 87, or only bins past its 32, changes the clip's scores."""
    n, n_classes = int(rng.integers(2, 4)), int(rng.integers(3, 6))
    # Large enough that a network which halves its map five times, dropping an odd row or
    # column each time, still reaches both regions; a network that crops its input to the
    # bittern's 32 x 87 reaches neither.
    f, t = int(rng.integers(76, 96)), int(rng.integers(136, 160))
    net = student.clip_classifier(n_classes)
    net.eval()
    x = spectrograms(rng, n, f, t)
    expect_tensor(net(x), (n, n_classes), "clip_classifier")
    expect_convolutional(net, x, "clip_classifier")
    # On a quiet clip a loud region stands out whatever the initial weights: on a loud one,
    # a max-pooled score may keep its place elsewhere for every class.
    quiet = x * QUIET
    before = expect_tensor(net(quiet), (n, n_classes), "clip_classifier")
    for region in (np.s_[..., PAST_THE_FRAMES], np.s_[..., PAST_THE_BINS, :]):
        if not any(_changes_scores(net, quiet, before, region, spectrograms(rng, n, f, t, scale)) for scale in REGION_SCALES):
            raise CheckFailed(f"clip_classifier's scores ignore part of the spectrogram: {CROPPED}", mistake=CROPPED)


def _changes_scores(net, x, before, region, loud):
    """Whether net's scores for x, `before`, change when x's `region` is replaced by loud's."""
    y = x.clone()
    y[region] = loud[region]
    after = expect_tensor(net(y), tuple(before.shape), "clip_classifier")
    return not torch.allclose(before, after, rtol=0.0, atol=SCORE_ATOL)


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
    expect_convolutional(net, x, "frame_classifier")
    frames = before.shape[-1]
    if torch.allclose(before[..., : frames // 8], after[..., : frames // 8], rtol=0.0, atol=SCORE_ATOL):
        raise CheckFailed("frame_classifier's scores do not change where the input changes; each frame's score must come from its input.")
    if not torch.allclose(before[..., -frames // 4 :], after[..., -frames // 4 :], rtol=0.0, atol=SCORE_ATOL):
        raise CheckFailed(f"frame_classifier: {GLOBAL_IN_TIME}", mistake=GLOBAL_IN_TIME)


def mean_bce(logits, labels):
    """Mean binary cross-entropy of logits against labels in {0, 1}, in float64."""
    z, t = np.asarray(logits, dtype=np.float64), np.asarray(labels, dtype=np.float64)
    return float(np.mean(np.logaddexp(0.0, z) - t * z))


def auc_of(scored):
    """ROC AUC of a model's scores for some clips; fails on a model that does not give one
    score per clip."""
    n = len(scored.labels)
    scores = expect_tensor(
        scored.scores, (n,), "train_detector's model", shape_mistakes=[Mistake(NOT_A_SCORE_PER_CLIP, test=lambda shape: shape == (n, 1))]
    )
    return roc_auc_score(scored.labels, scores.numpy())


def upside_down(X):
    """Spectrograms with the frequency axis reversed, float32 of X's shape (N, 1, F, T): the
    coo lies in another band, and the other birds below it."""
    return np.ascontiguousarray(X[:, :, ::-1])


def upside_down_training():
    """train_detector's inputs in its training on the public clips upside down."""
    X, y, seed = public_training()
    return upside_down(X), y.copy(), seed


def trained_upside_down(student, shared):
    """The scores, for the personal held-out clips upside down, of the model train_detector
    makes from the public training clips upside down."""
    X_held, y_held = held_out_clips(shared)
    with one_core():
        model = trained_model(student, *upside_down_training())
        return Scored(scores(model, upside_down(X_held)), y_held)


def expect_a_trained_detector(student, shared):
    """The trained model is a CNN that ranks personal held-out clips well, and it learnt
    that from its clips: trained on them upside down, it finds the coo in its new band."""
    run = trained_detector(student, shared)
    expect_a_cnn(run)
    auc = auc_of(run.held_out)
    if auc < MIN_AUC:
        mistake = poor_ranking(auc, MIN_AUC)
        raise CheckFailed(f"train_detector's model ranks held-out clips poorly: {mistake}", mistake=mistake)
    upside_down_run = shared.get(("architectures", "upside_down_run"), lambda: trained_upside_down(student, shared))
    if auc_of(upside_down_run) < MIN_UPSIDE_DOWN_AUC:
        raise CheckFailed(f"train_detector: {NOT_LEARNT}", mistake=NOT_LEARNT)


def require_a_working_detector(student, shared):
    """A side property (inputs unchanged, reproducible, no overfitting) earns its points only
    when train_detector also does its job: an untrained, hand-made or broken model has them for free."""
    try:
        expect_a_trained_detector(student, shared)
    except CheckFailed as failure:
        raise CheckFailed(f"train_detector: {NOT_A_DETECTOR_YET}") from failure


@pytest.mark.points(3)
@pytest.mark.time_limit(TRAINING_LIMIT_S)
@pytest.mark.ahead("train_detector", public_training)
def test_train_detector_generalises_to_held_out_clips(student, shared):
    """Trained on the public clips, the detector (a CNN) ranks 200 personal held-out clips well
    (ROC AUC >= 0.9), and it learnt that: trained on the clips upside down, it ranks personal
    clips upside down well too (ROC AUC >= 0.65).

    Uses the session's one training (autograder.trained_detector, started ahead) and one more
    on the clips upside down, in the concept's worker; the reference takes about 0.7 s of CPU
    for each on one core.
    """
    expect_a_trained_detector(student, shared)


@pytest.mark.time_limit(TRAINING_LIMIT_S)
def test_train_detector_leaves_its_inputs_unchanged(student, shared):
    """train_detector does not normalise or shuffle X and y in place (and its model works)."""
    require_a_working_detector(student, shared)
    run = trained_detector(student, shared)
    for name, given, after in zip("Xy", run.given, run.after):
        expect_unchanged(given, after, "train_detector", name)


@pytest.mark.time_limit(TRAINING_LIMIT_S)
def test_validation_loss_is_computed_in_eval_mode(student, shared):
    """validation_loss, handed the trained model in train mode, gives its mean BCE in eval mode."""
    run = trained_detector(student, shared)
    got = run.validation_loss.get()
    labels = run.held_out.labels[:VALIDATION_CLIPS]
    logits = expect_tensor(run.held_out.scores, (len(run.held_out.labels),), "train_detector's model")[:VALIDATION_CLIPS]
    mistakes = []
    train_mode = run.train_mode_scores
    if train_mode.error is None and type(train_mode.value) is torch.Tensor and train_mode.value.shape == logits.shape:
        mistakes.append(Mistake(TRAIN_MODE_LOSS, answer=mean_bce(train_mode.value, labels)))
    expect_close(got, mean_bce(logits, labels), "validation_loss", rtol=LOSS_RTOL, mistakes=mistakes)


@dataclass(frozen=True)
class NoiseRun:
    """train_detector(X, y, seed) on clips of noise, and what its model returns for new ones."""

    X: np.ndarray  # float32 (clips, 1, NOISE_SIZE, NOISE_SIZE), Gaussian noise
    y: np.ndarray  # int64 (clips,), coin flips
    seed: int
    probe: np.ndarray  # float32 (probes, 1, NOISE_SIZE, NOISE_SIZE), new noise
    probe_labels: np.ndarray  # int64 (probes,), coin flips
    scores: object = None  # what the model returned for probe


def noise_inputs(rng, clips=None, probes=None):
    """`clips` clips of noise with coin-flip labels (NOISE_CLIPS by default), and `probes`
    new ones (NOISE_PROBES): nothing to learn, only to memorise, so a model's loss on new
    ones grows above chance's (ln 2) as it overfits."""
    clips, probes = clips or NOISE_CLIPS, probes or NOISE_PROBES
    noise = rng.normal(size=(clips + probes, 1, NOISE_SIZE, NOISE_SIZE)).astype(np.float32)
    labels = rng.integers(0, 2, size=clips + probes)
    return NoiseRun(noise[:clips], labels[:clips], int(rng.integers(1000)), noise[clips:], labels[clips:])


def trained_on_noise(student, inputs):
    """`inputs` with the scores of the model train_detector makes from them."""
    with one_core():
        model = trained_model(student, inputs.X.copy(), inputs.y.copy(), inputs.seed)
        return replace(inputs, scores=scores(model, inputs.probe))


def noise_run(student, shared):
    """This session's run of train_detector on noise, for the best-epoch check."""
    return shared.get(("architectures", "noise_run"), lambda: trained_on_noise(student, noise_inputs(shared.rng("architectures", "noise_run"))))


@pytest.mark.points(2)
@pytest.mark.time_limit(TRAINING_LIMIT_S)
def test_train_detector_keeps_the_best_epoch(student, shared):
    """train_detector holds out validation clips and keeps the epoch with the lowest validation loss: its model does not overfit."""
    require_a_working_detector(student, shared)
    run = noise_run(student, shared)
    logits = expect_tensor(run.scores, (NOISE_PROBES,), "train_detector's model")
    if mean_bce(logits, run.probe_labels) > MAX_NOISE_LOSS:
        raise CheckFailed(f"train_detector: {OVERFITTED}", mistake=OVERFITTED)


@pytest.mark.time_limit(TRAINING_LIMIT_S)
def test_train_detector_is_reproducible(student, shared):
    """Two runs with the same seed on the same clips give the same scores (and the model works)."""
    require_a_working_detector(student, shared)
    inputs = noise_inputs(shared.rng("architectures", "reproducibility"), REPRODUCIBILITY_CLIPS, REPRODUCIBILITY_CLIPS)
    runs = [trained_on_noise(student, inputs) for _ in range(2)]
    outputs = [expect_tensor(run.scores, (REPRODUCIBILITY_CLIPS,), "train_detector's model") for run in runs]
    if not torch.allclose(*outputs, rtol=1e-5, atol=1e-5):
        raise CheckFailed(f"train_detector: {NOT_REPRODUCIBLE}", mistake=NOT_REPRODUCIBLE)
