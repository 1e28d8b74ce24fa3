"""Figure for `normalisation`: through a deep stack of dense ReLU blocks, batch norm keeps the
activations' size steady, and the identity path of residual blocks keeps the gradient's.

Everything is computed by torch (float64, autograd), so the figure does not repeat the exercises.
"""

import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

DEPTH, WIDTH, BATCH = 30, 64, 256


def blocks(scale: float, seed: int = 0) -> list[torch.Tensor]:
    """DEPTH weight matrices with entries of standard deviation scale / sqrt(WIDTH)."""
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(WIDTH, WIDTH, generator=generator, dtype=torch.float64) * scale / WIDTH**0.5 for _ in range(DEPTH)]


def activation_sizes(weights: list[torch.Tensor], batch_norm: bool) -> list[float]:
    """The standard deviation of each block's output, from the input (depth 0) up."""
    h = torch.randn(BATCH, WIDTH, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    sizes = [h.std().item()]
    for w in weights:
        z = h @ w.T
        if batch_norm:
            z = F.batch_norm(z, None, None, training=True)
        h = F.relu(z)
        sizes.append(h.std().item())
    return sizes


def gradient_norms(weights: list[torch.Tensor], residual: bool) -> list[float]:
    """||dL/dh_l|| for L = sum(h_DEPTH), at each depth l from the input up."""
    hs = [torch.randn(BATCH, WIDTH, generator=torch.Generator().manual_seed(1), dtype=torch.float64, requires_grad=True)]
    for w in weights:
        block = F.relu(hs[-1] @ w.T)
        hs.append(hs[-1] + block if residual else block)
        hs[-1].retain_grad()
    hs[-1].sum().backward()
    return [h.grad.norm().item() for h in hs]


def make_figure() -> Figure:
    """Left: activation sizes with and without batch norm. Right: gradient norms, plain and residual."""
    figure = Figure(figsize=(11, 4.2), layout="constrained")
    sizes, norms = figure.subplots(1, 2)
    depth = range(DEPTH + 1)
    for scale in (1.0, 2.0):
        sizes.semilogy(depth, activation_sizes(blocks(scale), batch_norm=False), label=f"plain, weights {scale:g} / sqrt(D)")
    sizes.semilogy(depth, activation_sizes(blocks(1.0), batch_norm=True), "k--", label="with batch norm (any scale)")
    sizes.set(xlabel="depth (block)", ylabel="std of the activations", title="Forward: batch norm keeps the activations' size")
    sizes.legend(fontsize=8)
    # Small blocks, as a residual block's change to its input should be; the same weights for both.
    small = blocks(0.2)
    norms.semilogy(depth, gradient_norms(small, residual=False), label="plain: h = relu(h W^T)")
    norms.semilogy(depth, gradient_norms(small, residual=True), label="residual: h = h + relu(h W^T)")
    norms.set(xlabel="depth (block): the input is 0", ylabel="||dL/dh||", title="Backward: the identity path carries the gradient down")
    norms.legend(fontsize=8)
    figure.suptitle(f"A stack of {DEPTH} dense ReLU blocks of width {WIDTH}")
    return figure
