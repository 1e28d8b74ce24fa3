"""Figure for `losses`: regression losses against the error, and cross-entropy against p."""

import numpy as np
from matplotlib.figure import Figure


def make_figure() -> Figure:
    """Left: squared and absolute error of one prediction. Right: -ln p and -ln(1 - p)."""
    figure = Figure(figsize=(10, 4), layout="constrained")
    regression, classification = figure.subplots(1, 2)

    error = np.linspace(-3.0, 3.0, 301)
    regression.plot(error, error**2, label="squared error (MSE)")
    regression.plot(error, np.abs(error), label="absolute error (MAE)")
    regression.set_xlabel("prediction − target")
    regression.set_ylabel("loss")
    regression.set_title("Regression: how unhappy is one prediction?")
    regression.legend()

    p = np.linspace(1e-3, 1 - 1e-3, 500)
    classification.plot(p, -np.log(p), label="true label 1: −ln p")
    classification.plot(p, -np.log(1 - p), label="true label 0: −ln(1 − p)")
    classification.annotate("confident and wrong:\nvery unhappy", xy=(0.03, -np.log(0.03)), xytext=(0.25, 4.5), arrowprops={"arrowstyle": "->"})
    classification.set_xlabel("predicted probability p of class 1")
    classification.set_ylabel("binary cross-entropy")
    classification.set_ylim(0, 7)
    classification.set_title("Classification: cross-entropy")
    classification.legend()
    return figure
