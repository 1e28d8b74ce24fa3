"""Figure for `parameters`: a conv layer against its dense alternatives, and VGG16 layer by layer."""

import numpy as np
from matplotlib.figure import Figure

VGG16_CONVS = [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
VGG16_DENSE = [(512 * 7 * 7, 4096), (4096, 4096), (4096, 1000)]


def vgg16_counts():
    """(names, parameters) of VGG16's 13 convs (3 x 3) and 3 dense layers."""
    names, counts, depth = [], [], 3
    for number, width in enumerate(VGG16_CONVS, start=1):
        names.append(f"conv{number}")
        counts.append((3 * 3 * depth + 1) * width)
        depth = width
    for number, (n_in, n_out) in enumerate(VGG16_DENSE, start=6):
        names.append(f"fc{number}")
        counts.append(n_in * n_out + n_out)
    return names, np.array(counts)


def make_figure() -> Figure:
    """Left: the lecture's 7,600 against 4,915,300 and 49,153,000. Right: VGG16 per layer."""
    figure = Figure(figsize=(11, 4.2), layout="constrained")
    lecture, vgg = figure.subplots(1, 2, width_ratios=[1, 2])

    labels = ["conv: 100 kernels\n5 × 5 × 3", "dense:\n100 units", "dense:\n1,000 units"]
    counts = [(5 * 5 * 3 + 1) * 100, 128 * 128 * 3 * 100 + 100, 128 * 128 * 3 * 1000 + 1000]
    bars = lecture.bar(labels, counts, color=["tab:blue", "tab:orange", "tab:orange"])
    lecture.bar_label(bars, labels=[f"{count:,}" for count in counts])
    lecture.set_yscale("log")
    lecture.set_ylim(1e3, 3e8)
    lecture.set_ylabel("parameters (log scale)")
    lecture.set_title("One layer on a 128 × 128 × 3 image")

    names, per_layer = vgg16_counts()
    colours = ["tab:blue"] * len(VGG16_CONVS) + ["tab:orange"] * len(VGG16_DENSE)
    vgg.bar(names, per_layer / 1e6, color=colours)
    share = per_layer[len(VGG16_CONVS)] / per_layer.sum()
    vgg.annotate(f"fc6 alone: {share:.0%}\nof {per_layer.sum():,}", xy=(13, per_layer[13] / 1e6), xytext=(4, 80), arrowprops={"arrowstyle": "->"})
    vgg.set_ylabel("parameters (millions)")
    vgg.set_title("VGG16 layer by layer: convolutions share, dense layers do not")
    vgg.tick_params(axis="x", labelrotation=60)
    return figure
