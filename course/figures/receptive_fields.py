"""Figure for `receptive_fields`: fields of growing networks drawn on a least-bittern spectrogram."""

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

SAMPLE_RATE, N_FFT, HOP = 44_100, 1024, 512


def bittern_spectrogram(seconds=1.6, seed=0):
    """Log-magnitude STFT (bins, frames) of noise with a 0.5 s "coo" at 500-600 Hz from 0.5 s."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    inside = (t >= 0.5) & (t < 1.0)
    pitch = 500.0 + 100.0 * (t - 0.5) / 0.5
    phase = 2 * np.pi * np.cumsum(pitch) / SAMPLE_RATE
    signal = np.where(inside, np.sin(phase) * np.sin(np.pi * (t - 0.5) / 0.5) ** 2, 0.0)
    signal = signal + 0.05 * rng.normal(size=t.size)
    starts = np.arange(0, signal.size - N_FFT + 1, HOP)
    frames = np.stack([signal[s : s + N_FFT] for s in starts]) * np.hanning(N_FFT)
    return 20 * np.log10(np.abs(np.fft.rfft(frames, axis=1)).T + 1e-6)


def field_frames(n_stages):
    """Receptive field, in frames, of 3x3 conv followed by n_stages of (2x2 pool -> 3x3 conv)."""
    return 5 * 2**n_stages - 2


def make_figure() -> Figure:
    """Spectrogram up to 1.5 kHz: the lecture network's 8 x 8 field as a box on the call, and
    the time spans of the fields with 1 to 4 pooling stages against the call's 0.5 s."""
    figure = Figure(figsize=(10, 4.2), layout="constrained")
    axes = figure.subplots()
    spectrogram = bittern_spectrogram()
    hz_per_bin, seconds_per_frame = SAMPLE_RATE / N_FFT, HOP / SAMPLE_RATE
    n_bins = int(1500 / hz_per_bin)
    extent = (0, spectrogram.shape[1] * seconds_per_frame, 0, n_bins * hz_per_bin)
    axes.imshow(spectrogram[:n_bins], origin="lower", aspect="auto", extent=extent, cmap="magma")

    seconds_8, hz_8 = (7 * HOP + N_FFT) / SAMPLE_RATE, 8 * hz_per_bin
    box = Rectangle((0.5, 550 - hz_8 / 2), seconds_8, hz_8, fill=False, edgecolor="white", linewidth=2)
    axes.add_patch(box)
    axes.annotate("3x3 conv → 2x2 pool → 3x3 conv:\n8 × 8 = 104 ms × 345 Hz", xy=(0.5 + seconds_8, 550 + hz_8 / 2), xytext=(0.03, 850), color="white", arrowprops={"arrowstyle": "->", "color": "white"})
    for n_stages, colour in zip(range(1, 5), ["white", "cyan", "lime", "yellow"]):
        frames = field_frames(n_stages)
        seconds = ((frames - 1) * HOP + N_FFT) / SAMPLE_RATE
        height = 1000 + 100 * n_stages
        axes.plot([0.5, 0.5 + seconds], [height, height], color=colour, linewidth=2, marker="|", markersize=10)
        axes.text(0.03, height, f"{n_stages} × pool: {frames} frames = {seconds * 1000:.0f} ms", color=colour, va="center", fontsize=9)
    axes.axvspan(0.5, 1.0, ymin=0.0, ymax=0.02, color="tab:orange")
    axes.set_xlabel("time (s)   [hop 512 at 44.1 kHz: 86.13 frames/s; the call is the orange 0.5 s]")
    axes.set_ylabel("frequency (Hz)   [43.07 Hz per bin]")
    axes.set_title("Least bittern 'coo' (0.5 s, 500–600 Hz): the call needs 4 pooling stages along time")
    return figure
