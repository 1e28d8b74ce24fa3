"""Synthetic least-bittern recordings, as the spectrograms of the lecture's example.

The least bittern's "coo" is about 0.5 s long and lies between 500 and 600 Hz. Each clip
here is 1 s of audio: white background noise at a random level, a few other birds (tones
and chirps outside the call's band, and short blips inside it, which are too short to be
a coo), and, in half of the clips, one coo gliding down through 500-600 Hz. The clip
becomes a spectrogram with a Hann window and centred frames, of which the lowest N_BINS
bins (0-1335 Hz) are kept.

The lecture records at 44.1 kHz with frames of 1024 samples and a hop of 512. Nothing
here lies above 1.4 kHz, so the clips are made at a quarter of that rate, 11,025 Hz, with
frames of 256 samples and a hop of 128: the same 43.07 Hz bins and 86.13 frames per
second as the lecture's, at a quarter of the cost.

Values are log10(power / noise floor): 0 where a bin holds as much energy as the
white-noise floor, 1 for ten times (+10 dB) more. The same seed always gives the same
clips, so checks and students can draw the same kind of data with their own seeds.
"""

import numpy as np

SAMPLE_RATE = 11_025  # Hz: the lecture's 44.1 kHz / 4
N_FFT = 256  # samples per frame: 43.07 Hz per bin, as 1024 at 44.1 kHz
HOP_LENGTH = 128  # samples between frames: 86.13 frames per second, as 512 at 44.1 kHz
N_BINS = 32  # bins 0..31 kept: 0 to 1335 Hz
CLIP_SECONDS = 1.0
N_SAMPLES = int(CLIP_SECONDS * SAMPLE_RATE)
N_FRAMES = 1 + N_SAMPLES // HOP_LENGTH  # 87, centred frames
CALL_BAND_HZ = (500.0, 600.0)
CALL_SECONDS = (0.45, 0.55)
BLIP_SECONDS = (0.04, 0.12)  # in-band sounds too short to be a coo
OTHER_BIRDS_HZ = (750.0, 1300.0)
SNR_DB = (5.0, 15.0)  # the peak bin of a coo or another bird above the noise floor
SPECTROGRAM_BLOCK = 25  # clips whose spectrograms are computed together

_WINDOW = np.hanning(N_FFT + 1)[:-1]  # periodic Hann, as torch.hann_window
_NOISE_FLOOR = float(np.sum(_WINDOW**2))  # E|S|^2 of unit white noise
_PEAK_GAIN = float(np.sum(_WINDOW)) / 2  # |S| of a unit sinusoid at a bin centre


def bin_frequencies_hz():
    """Centre frequency of each kept bin, float64 of shape (N_BINS,): k * SAMPLE_RATE / N_FFT."""
    return np.arange(N_BINS) * SAMPLE_RATE / N_FFT


def frame_times_s():
    """Centre time of each frame, float64 of shape (N_FRAMES,): t * HOP_LENGTH / SAMPLE_RATE."""
    return np.arange(N_FRAMES) * HOP_LENGTH / SAMPLE_RATE


def spectrogram(audio):
    """The kept bins of the spectrograms of one clip or a batch, as log10(power / noise floor).

    Inputs:
    - audio: float64 array of shape (..., N_SAMPLES)

    Returns:
    - spec: float32 array of shape (..., N_BINS, N_FRAMES)
    """
    pad = [(0, 0)] * (audio.ndim - 1) + [(N_FFT // 2, N_FFT // 2)]
    padded = np.pad(audio, pad, mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT, axis=-1)[..., ::HOP_LENGTH, :]
    # SPECTROGRAM_BLOCK clips at a time, to the same values: a batch's windowed frames at once
    # (35 MB for 200 clips, and their transforms) would leave the caches, and take twice the time
    blocks = range(0, max(len(frames), 1), SPECTROGRAM_BLOCK)
    power = np.concatenate([np.abs(np.fft.rfft(frames[i : i + SPECTROGRAM_BLOCK] * _WINDOW)[..., :N_BINS]) ** 2 for i in blocks])
    return np.log10(np.swapaxes(power, -1, -2) / _NOISE_FLOOR + 1e-6).astype(np.float32)


def _add_tone(audio, rng, start_hz, end_hz, seconds, amplitude):
    """Add to `audio` (in place) a tone gliding from start_hz to end_hz, with smooth onset
    and offset, at a random place."""
    n = int(seconds * SAMPLE_RATE)
    frequency = np.linspace(start_hz, end_hz, n)
    phase = 2 * np.pi * np.cumsum(frequency) / SAMPLE_RATE + rng.uniform(0, 2 * np.pi)
    envelope = np.sqrt(np.sin(np.pi * np.arange(n) / n))
    offset = int(rng.integers(0, N_SAMPLES - n))
    audio[offset : offset + n] += amplitude * envelope * np.sin(phase)


def _amplitude(snr_db):
    """The amplitude of a tone whose peak bin lies `snr_db` above the noise floor."""
    return np.sqrt(_NOISE_FLOOR * 10 ** (snr_db / 10)) / _PEAK_GAIN


def background(rng):
    """A clip without a coo: white noise within 3 dB of the floor, one to three other birds
    (tones outside the call's band) and one or two blips: the glide of a coo, too short to
    be one. Only a detector that sees both axes tells a coo from them: the birds differ
    from it in frequency only, the blips in time only.

    Returns:
    - audio: float64 array of shape (N_SAMPLES,)
    """
    audio = rng.uniform(0.7, 1.4) * rng.standard_normal(N_SAMPLES)
    for _ in range(int(rng.integers(1, 4))):
        start, end = rng.uniform(*OTHER_BIRDS_HZ, size=2)
        _add_tone(audio, rng, start, end, rng.uniform(0.1, 0.7), _amplitude(rng.uniform(*SNR_DB)))
    for _ in range(int(rng.integers(1, 3))):
        _add_tone(audio, rng, *_coo_glide(rng), rng.uniform(*BLIP_SECONDS), _amplitude(rng.uniform(*SNR_DB)))
    return audio


def _coo_glide(rng):
    """(start_hz, end_hz) of a coo's glide down through the call's band."""
    return rng.uniform(565.0, 595.0), rng.uniform(505.0, 535.0)


def least_bittern_coo(rng):
    """One coo: about 0.5 s, gliding down through 500-600 Hz, at a random place and loudness.

    Returns:
    - audio: float64 array of shape (N_SAMPLES,), silent outside the coo
    """
    audio = np.zeros(N_SAMPLES)
    _add_tone(audio, rng, *_coo_glide(rng), rng.uniform(*CALL_SECONDS), _amplitude(rng.uniform(*SNR_DB)))
    return audio


def make_clips(n_clips, seed, call_fraction=0.5):
    """Spectrograms of synthetic clips and whether each holds a least-bittern coo.

    Inputs:
    - n_clips: int N
    - seed: int; the same seed gives the same clips
    - call_fraction: float, the share of clips that hold a coo

    Returns a tuple of:
    - X: float32 array of shape (N, 1, N_BINS, N_FRAMES), log10(power / noise floor)
    - y: int64 array of shape (N,), 1 where a clip holds a coo, else 0
    """
    rng = np.random.default_rng(seed)
    y = (rng.random(n_clips) < call_fraction).astype(np.int64)
    audio = np.empty((n_clips, N_SAMPLES))
    for i in range(n_clips):
        audio[i] = background(rng)
        if y[i]:
            audio[i] += least_bittern_coo(rng)
    return spectrogram(audio)[:, None], y


def make_splits(seed, n_train=200, n_val=50, n_test=200):
    """Train, validation and test sets drawn from independent seeds of one seed.

    Returns:
    - splits: dict with keys "train", "val", "test", each an (X, y) pair as make_clips gives
    """
    seeds = np.random.SeedSequence(seed).generate_state(3)
    sizes = {"train": n_train, "val": n_val, "test": n_test}
    return {name: make_clips(size, int(s)) for (name, size), s in zip(sizes.items(), seeds)}
