"""Figure for `architectures`: a least-bittern coo, the receptive fields of 3 and 4 pooling
stages drawn on its spectrogram, and what a clip-, frame- and pixel-level classifier predict."""

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from autograder.data import bittern

SEED = 3
COO_LEVEL = 0.5  # log10(power / noise floor) above which a pixel belongs to the coo (+5 dB)
FRAMES_PER_S = bittern.SAMPLE_RATE / bittern.HOP_LENGTH  # 86.13
HZ_PER_BIN = bittern.SAMPLE_RATE / bittern.N_FFT  # 43.07


def receptive_field(stages):
    """Size of conv3 -> pool2 repeated `stages` times, by r += (k - 1) * jump; jump *= stride."""
    size, jump = 1, 1
    for _ in range(stages):
        size += 2 * jump  # 3 x 3 conv
        size += jump  # 2 x 2 max-pool ...
        jump *= 2  # ... with stride 2
    return size


def make_figure() -> Figure:
    """Spectrogram with receptive fields (left); clip, frame and pixel targets (right)."""
    rng = np.random.default_rng(SEED)
    coo = bittern.least_bittern_coo(rng)
    spec = bittern.spectrogram(bittern.background(rng) + coo)
    pixels = bittern.spectrogram(coo) > COO_LEVEL
    frames = pixels.any(axis=0)
    seconds, hz = bittern.frame_times_s(), bittern.bin_frequencies_hz()
    extent = (seconds[0], seconds[-1], hz[0], hz[-1])

    figure = Figure(figsize=(11, 4.2), layout="constrained")
    left, right = figure.subfigures(1, 2, width_ratios=(1.4, 1))
    ax = left.subplots()
    ax.imshow(spec, origin="lower", aspect="auto", extent=extent, cmap="magma")
    centre_frame = int(np.mean(np.flatnonzero(frames)))
    for stages, colour in ((3, "cyan"), (4, "lime")):
        size = receptive_field(stages)
        width_s, height_hz = size / FRAMES_PER_S, size * HZ_PER_BIN
        corner = (seconds[centre_frame] - width_s / 2, 550.0 - height_hz / 2)
        label = f"{stages} pooling stages: {size} frames = {width_s:.2f} s"
        ax.add_patch(Rectangle(corner, width_s, height_hz, fill=False, color=colour, lw=2, label=label))
    ax.set(xlabel="time (s)", ylabel="frequency (Hz)", ylim=extent[2:], title="A coo (500-600 Hz, ~0.5 s) and two receptive fields")
    ax.legend(loc="upper right", fontsize=8)

    top, middle, bottom = right.subplots(3, 1, sharex=True, height_ratios=(1, 1, 2.5))
    top.text(0.5, 0.5, "(1) clip: coo present -> one score, (N, n_classes)", ha="center", va="center", transform=top.transAxes)
    top.set_axis_off()
    middle.step(seconds, frames, where="mid", color="tab:green")
    middle.set(title="(2) each frame: (N, n_classes, T)", yticks=(0, 1))
    bottom.imshow(pixels, origin="lower", aspect="auto", extent=extent, cmap="Greens")
    bottom.set(title="(3) each pixel: (N, n_classes, F, T)", xlabel="time (s)", ylabel="Hz")
    return figure
