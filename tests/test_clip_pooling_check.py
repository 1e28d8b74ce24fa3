"""clip_classifier_pools_over_the_whole_spectrogram, both ways, whatever the network's
initial weights: the check builds the student's network unseeded, and a grading worker's
torch seed differs from one process to the next.

It used to change the last eight frames and the top eight bins of a loud clip. The
reference failed it for about 1 in 250 initial weights (8 of 2,000): for some sizes its
four halvings, flooring odd sizes, drop the last frames; and for some weights, a
max-pooled score kept its place elsewhere for every class. The regions now lie just past
the bittern's size on a larger, quiet clip (tests for each kind of cropping below).
"""

import importlib.util
import types

import numpy as np
import pytest
import torch
from torch import nn

from autograder.compare import CheckFailed
from autograder.mistakes.architectures import CROPPED
from autograder.trained_detector import one_core
from mutants import COURSE

# Initial weights (torch seed 1000 + s) and inputs (rng s) tried: the old check failed the
# reference for s = 536, 601, 654 and 659; 4,000 passed when it was mended
SEEDS = range(500, 700)


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The checks run here as in a grading worker, on one torch thread (OMP_NUM_THREADS=1 in
    the sandbox). Their tensors are tiny: with torch's default pool of one thread a core, the
    threads' spin-waits cost ~40x the arithmetic on a loaded 2-core machine (27 s against
    0.6 s of CPU for 20 seeds of a cropped network)."""
    with one_core():
        yield


def hidden_checks():
    spec = importlib.util.spec_from_file_location("hidden_architectures", COURSE.hidden_checks / "test_architectures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reference():
    spec = importlib.util.spec_from_file_location("reference_architectures", COURSE.solutions / "architectures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Cropped(nn.Module):
    """What a network sees of its input: x[..., :bins, :frames]."""

    def __init__(self, bins, frames):
        super().__init__()
        self.bins, self.frames = bins, frames

    def forward(self, x):
        return x[..., : self.bins, : self.frames]


@pytest.mark.slow(seconds=8)  # 200 seeds, 4 s of CPU
def test_the_reference_pools_over_the_whole_spectrogram_whatever_its_initial_weights():
    check, solution = hidden_checks().test_clip_classifier_pools_over_the_whole_spectrogram, reference()
    failed = []
    for seed in SEEDS:
        torch.manual_seed(1000 + seed)
        try:
            check(solution, np.random.default_rng(seed))
        except CheckFailed:
            failed.append(seed)
    assert failed == []


@pytest.mark.parametrize(("bins", "frames"), [(32, 87), (32, None), (None, 87)])
def test_a_network_cropped_to_the_bitterns_size_fails_it_named(bins, frames):
    """Cropped to 32 x 87, to 32 bins, or to 87 frames: caught whatever the weights."""
    check, solution = hidden_checks().test_clip_classifier_pools_over_the_whole_spectrogram, reference()
    student = types.SimpleNamespace(clip_classifier=lambda n_classes: nn.Sequential(Cropped(bins, frames), solution.clip_classifier(n_classes)))
    for seed in range(20):
        torch.manual_seed(seed)
        with pytest.raises(CheckFailed) as failure:
            check(student, np.random.default_rng(seed))
        assert failure.value.mistake == CROPPED
