"""The synthetic bittern clips: a batch's spectrograms, computed a block of clips at a time,
are bit for bit those of the whole batch at once (the held-out clips a check scores a
model on must not depend on how they were computed)."""

import numpy as np
import pytest

from autograder.data import bittern


@pytest.mark.parametrize("shape", [(0,), (1,), (7,), (bittern.SPECTROGRAM_BLOCK,), (2 * bittern.SPECTROGRAM_BLOCK + 3,), (3, 10), ()])
def test_a_spectrogram_in_blocks_is_the_whole_batch_at_once(monkeypatch, shape):
    audio = np.random.default_rng(len(shape) + sum(shape)).standard_normal((*shape, bittern.N_SAMPLES))
    blocked = bittern.spectrogram(audio)
    monkeypatch.setattr(bittern, "SPECTROGRAM_BLOCK", 10**9)
    whole = bittern.spectrogram(audio)
    assert blocked.shape == whole.shape == (*shape, bittern.N_BINS, bittern.N_FRAMES)
    assert blocked.dtype == whole.dtype and blocked.strides == whole.strides
    assert np.array_equal(blocked.view(np.uint32), whole.view(np.uint32))
