"""Activation functions and their derivatives, computed by torch.autograd."""

import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "ReLU": F.relu,
    "leaky ReLU (0.1)": lambda x: F.leaky_relu(x, 0.1),
    "swish": F.silu,
    "softplus": F.softplus,
}


def make_figure() -> Figure:
    """Top: the activations on [-5, 5]; bottom: their derivatives."""
    x = torch.linspace(-5.0, 5.0, 401, dtype=torch.float64, requires_grad=True)
    figure = Figure(figsize=(10, 6), layout="constrained")
    values_axes, gradient_axes = figure.subplots(2, 1, sharex=True)
    for name, activation in ACTIVATIONS.items():
        (gradient,) = torch.autograd.grad(activation(x).sum(), x)
        values_axes.plot(x.detach(), activation(x).detach(), label=name)
        gradient_axes.plot(x.detach(), gradient, label=name)
    gradient_axes.axhline(0.25, color="grey", linestyle=":", linewidth=1)
    gradient_axes.annotate("max sigmoid' = 0.25", (-4.9, 0.3), color="grey")
    values_axes.set(ylabel="activation(x)", ylim=(-1.5, 5))
    gradient_axes.set(xlabel="x", ylabel="d activation / dx", ylim=(-0.2, 1.2))
    values_axes.legend(ncols=2)
    values_axes.set_title("Nonlinearities and their gradients")
    return figure
