"""Vanishing gradients: the gradient norm at each depth of a deep sigmoid and a deep ReLU stack."""

import numpy as np
from matplotlib.figure import Figure

DEPTH, WIDTH, BATCH = 30, 64, 16


def sigmoid(a):
    return np.exp(-np.logaddexp(0.0, -a))


def sigmoid_derivative(a):
    return sigmoid(a) * (1.0 - sigmoid(a))


def relu(a):
    return np.maximum(0.0, a)


def relu_derivative(a):
    return (a > 0).astype(np.float64)


def gradient_norms(activation, derivative, gain: float) -> np.ndarray:
    """||dL/d(input of layer k)|| for k = 1..DEPTH, with L = the sum of the last outputs.

    Forward: h_k = activation(h_{k-1} @ W_k.T). Backward, the lecture's recurrence:
    dL/dh_{k-1} = (dL/dh_k * activation'(a_k)) @ W_k.
    """
    rng = np.random.default_rng(0)
    h = rng.normal(size=(BATCH, WIDTH))
    weights, pre_activations = [], []
    for _ in range(DEPTH):
        weights.append(rng.normal(size=(WIDTH, WIDTH)) * gain / np.sqrt(WIDTH))
        pre_activations.append(h @ weights[-1].T)
        h = activation(pre_activations[-1])
    gradient, norms = np.ones_like(h), []
    for W, a in zip(reversed(weights), reversed(pre_activations)):
        gradient = (gradient * derivative(a)) @ W
        norms.append(np.linalg.norm(gradient))
    return np.array(norms[::-1])


def make_figure() -> Figure:
    """The gradient norm against depth, on a log scale, for sigmoid and ReLU stacks."""
    figure = Figure(figsize=(8, 4.5), layout="constrained")
    axes = figure.subplots()
    layers = np.arange(1, DEPTH + 1)
    axes.semilogy(layers, gradient_norms(sigmoid, sigmoid_derivative, gain=1.0), "o-", label="sigmoid (Xavier init)")
    axes.semilogy(layers, gradient_norms(relu, relu_derivative, gain=np.sqrt(2.0)), "s-", label="ReLU (He init)")
    axes.set(xlabel="layer (1 = nearest the input)", ylabel="||dL / d input of the layer||")
    axes.set_title(f"Backpropagating through {DEPTH} layers: the gradient vanishes with sigmoids")
    axes.legend()
    return figure
