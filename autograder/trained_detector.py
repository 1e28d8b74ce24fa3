"""A submission's trained detector, trained once a session and kept as data.

Training is what makes grading `architectures` slow, so the checks that need a trained
detector (the public one, generalisation, unchanged inputs, validation_loss) share one
run of the student's `train_detector` per session (started ahead when grading: the
checks mark it `ahead`, with `public_training` as its inputs), kept by the `shared` fixture
(autograder.shared): the first of these checks trains, within its own time limit, and the
others read what it kept. A run that failed (raised, timed out, crashed, not attempted)
fails each of them with the same status, and is never retried.

The run trains on the public clips, bittern.make_splits(0), with seed 0: a student's
`pytest` and the grader train the same model. What is personal (law 7) is the held-out
clips it is then scored on, drawn from a seed of the student's.
"""

import contextlib
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import torch

from autograder.compare import CheckFailed, describe
from autograder.data import bittern
from autograder.mistakes.architectures import NOT_CONVOLUTIONAL
from autograder.networks import kernels_matter
from autograder.shared import Outcome, SharedResults, attempt

TRAINING_LIMIT_S = 60.0  # a check that may train; the reference trains in about 0.6 s of CPU on one core
SEED = 0  # of the public clips and of the training
TRAIN_CLIPS = 200
TEST_CLIPS = 200  # public: bittern.make_splits(0)'s test part
HELD_OUT_CLIPS = 200  # personal
VALIDATION_CLIPS = 16  # the first held-out clips, given to validation_loss
KERNEL_CLIPS = 8  # the first test clips, on which the model's kernels must matter
DATA_TYPES = (type(None), bool, int, float, str, list, tuple, dict, np.ndarray, torch.Tensor)


@dataclass(frozen=True)
class Scored:
    """What the model returned for some clips (a tensor of scores, if all is well) and
    their labels, int64 of shape (N,)."""

    scores: Any
    labels: np.ndarray


@dataclass(frozen=True)
class DetectorRun:
    """One run of `train_detector(X, y, SEED)` on the public training clips, as data."""

    given: tuple[np.ndarray, np.ndarray]  # X and y as the grader made them
    after: tuple[np.ndarray, np.ndarray]  # the X and y handed to train_detector, after it returned
    public: Scored  # the eval-mode model on the public test clips
    held_out: Scored  # ... and on the personal held-out clips
    convolutional: Outcome  # whether the model's scores depend on learnable 2-D kernels (a CNN)
    validation_loss: Outcome  # student.validation_loss(model, x, t), handed the model in train mode
    train_mode_scores: Outcome  # the model's scores for the same x in train mode (batch statistics)


def trained_detector(student: Any, shared: SharedResults) -> DetectorRun:
    """This session's run of the student's train_detector: made once, through `student`."""
    return shared.get(("architectures", "trained_detector"), lambda: _run(student, held_out_clips(shared)))


def held_out_clips(shared: SharedResults) -> tuple[np.ndarray, np.ndarray]:
    """This session's personal clips (X, y), HELD_OUT_CLIPS of bittern.make_clips from a
    seed of the student's: made once, read-only, for every check that scores a model on
    clips it has never seen."""
    key = ("architectures", "held_out_clips")
    return shared.get(key, lambda: _read_only(bittern.make_clips(HELD_OUT_CLIPS, int(shared.rng(*key).integers(2**31)))))


def _read_only(arrays: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    for array in arrays:
        array.flags.writeable = False
    return arrays


@cache
def public_clips() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((X, y) to train on, (X, y) to test on) of bittern.make_splits(SEED), read-only:
    the same for every submission, so a grading process makes them once."""
    splits = bittern.make_splits(SEED, n_train=TRAIN_CLIPS, n_val=0, n_test=TEST_CLIPS)
    return _read_only(splits["train"]), _read_only(splits["test"])


def public_training() -> tuple[np.ndarray, np.ndarray, int]:
    """train_detector's inputs in this session's one training: the public training clips
    X, y and SEED (the inputs of an `ahead` marker: the same for every student)."""
    (X, y), _ = public_clips()
    return X, y, SEED


def _run(student: Any, held_out: tuple[np.ndarray, np.ndarray]) -> DetectorRun:
    X, y, seed = public_training()
    _, (X_test, y_test) = public_clips()
    X_held, y_held = held_out
    X_given, y_given = X.copy(), y.copy()
    with one_core():
        model = trained_model(student, X_given, y_given, seed)
        public, held_out = Scored(scores(model, X_test), y_test), Scored(scores(model, X_held), y_held)
        convolutional = attempt(lambda: kernels_matter(model, torch.from_numpy(np.array(X_test[:KERNEL_CLIPS]))))
        # Last, as they may change the model, and kept apart: a validation_loss that fails
        # fails its own check only.
        x, t = torch.from_numpy(np.array(X_held[:VALIDATION_CLIPS])), torch.from_numpy(y_held[:VALIDATION_CLIPS].astype(np.float32))
        loss = attempt(lambda: _validation_loss(student, model, x, t))
        train_mode = attempt(lambda: _train_mode_scores(model, x))
    return DetectorRun((X, y), (X_given, y_given), public, held_out, convolutional, loss, train_mode)


def _validation_loss(student: Any, model: Any, x: torch.Tensor, t: torch.Tensor) -> Any:
    """student.validation_loss given the model in train mode, as train_detector's loop
    leaves it: only one that switches to eval mode gives the eval-mode loss."""
    model.train()
    return student.validation_loss(model, x, t)


def _train_mode_scores(model: Any, x: torch.Tensor) -> Any:
    """The model's scores for x in train mode (batch norm on the batch's statistics)."""
    model.train()
    return _detached(model(x))


def expect_a_cnn(run: DetectorRun) -> None:
    """Fail unless the trained model is a CNN: its scores depend on learnable 2-D kernels
    (a hand-made detector can rank the clips well without learning anything)."""
    if not run.convolutional.get():
        raise CheckFailed(f"train_detector's model: {NOT_CONVOLUTIONAL}", mistake=NOT_CONVOLUTIONAL)


def trained_model(student: Any, X: np.ndarray, y: np.ndarray, seed: int) -> Any:
    """student.train_detector(X, y, seed), in eval mode; fails if it returned data."""
    model = student.train_detector(X, y, seed)
    if type(model) in DATA_TYPES:
        raise CheckFailed(f"train_detector should return the trained nn.Module; it returned {describe(model)}.")
    model.eval()
    return model


def scores(model: Any, X: np.ndarray) -> Any:
    """What `model` returns for the clips X, float32 of shape (N, 1, F, T): a tensor of
    shape (N,), if it keeps the contract."""
    return _detached(model(torch.from_numpy(np.array(X))))


def _detached(value: Any) -> Any:
    # In a student's own pytest the model runs here, with autograd on; keep no graph.
    return value.detach() if type(value) is torch.Tensor else value


@contextlib.contextmanager
def one_core():
    """Train on one CPU thread, as the grader's worker does, whatever the machine has."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
