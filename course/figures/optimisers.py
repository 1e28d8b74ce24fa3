"""Figure for `optimisers`: plain gradient descent, momentum, RMSprop and Adam on a long, narrow bowl.

The paths come from torch.optim in float64, so the figure does not repeat the exercises.
"""

import numpy as np
import torch
from matplotlib.figure import Figure

# L(theta) = 0.5 theta^T A theta: 40 times steeper across the valley (theta_2) than along it.
A = np.diag([0.5, 20.0])
START = (-9.0, 1.0)
STEPS = 60
# Each optimiser at a learning rate that suits it; plain descent at 90% of its stable limit 2 / 20.
OPTIMISERS = {
    "gradient descent (lr 0.09)": (torch.optim.SGD, {"lr": 0.09}),
    "momentum 0.8 (lr 0.05)": (torch.optim.SGD, {"lr": 0.05, "momentum": 0.8}),
    "RMSprop (lr 0.3)": (torch.optim.RMSprop, {"lr": 0.3}),
    "Adam (lr 0.5, betas 0.8, 0.99)": (torch.optim.Adam, {"lr": 0.5, "betas": (0.8, 0.99)}),
}


def loss(theta: torch.Tensor) -> torch.Tensor:
    return 0.5 * theta @ torch.from_numpy(A) @ theta


def path_of(optimiser_class, hyper) -> np.ndarray:
    """The parameters before and after each of STEPS steps, shape (STEPS + 1, 2)."""
    theta = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    optimiser = optimiser_class([theta], **hyper)
    path = [theta.detach().numpy().copy()]
    for _ in range(STEPS):
        optimiser.zero_grad()
        loss(theta).backward()
        optimiser.step()
        path.append(theta.detach().numpy().copy())
    return np.array(path)


def make_figure() -> Figure:
    """Left: the four paths on the loss's contours. Right: the loss after each step."""
    figure = Figure(figsize=(11, 4.5), layout="constrained")
    contours, curves = figure.subplots(1, 2, width_ratios=(1.6, 1))
    t1, t2 = np.meshgrid(np.linspace(-10.0, 2.0, 300), np.linspace(-2.2, 1.6, 200))
    contours.contour(t1, t2, 0.5 * (A[0, 0] * t1**2 + A[1, 1] * t2**2), levels=np.geomspace(0.01, 60, 14), cmap="Greys", linewidths=0.7)
    for label, (optimiser_class, hyper) in OPTIMISERS.items():
        path = path_of(optimiser_class, hyper)
        (line,) = contours.plot(path[:, 0], path[:, 1], ".-", markersize=3, linewidth=1, label=label)
        losses = 0.5 * np.einsum("ki,ij,kj->k", path, A, path)
        curves.semilogy(losses, color=line.get_color(), label=label)
    contours.plot(*START, "ks")
    contours.plot(0.0, 0.0, "k*", markersize=10)
    contours.set(xlabel="theta_1 (the flat direction)", ylabel="theta_2 (the steep direction)", title="Paths from the square to the minimum (star)")
    contours.legend(loc="lower right", fontsize=8)
    curves.set(xlabel="step", ylabel="loss", ylim=(1e-6, 100), title="Loss after each step")
    figure.suptitle("A long, narrow valley: plain descent must keep its steps small for the steep direction, so it crawls along the flat one")
    return figure
