"""Is a student's network a CNN? Whether its output depends on learnable 2-D convolution kernels.

The architecture checks test shapes and locality, which a module with no parameters can
also meet (a mean over frequency has the frame classifier's shape and locality). What the
lecture's networks are is convolutions whose kernels are learnt, so every architecture
check first asks for that: the network's `state_dict()` holds at least one 4-D floating
tensor (a 2-D convolution's kernel, (out_channels, in_channels, kH, kW)), and its output
changes when those kernels change. An nn.Conv2d kept aside and never called has a kernel,
but the output ignores it.
"""

from typing import Any

import torch

from autograder.compare import CheckFailed
from autograder.mistakes.architectures import NOT_CONVOLUTIONAL

KERNEL_ATOL = 1e-4  # float32 outputs computed twice; a changed kernel moves them by far more
KERNEL_NOISE = 0.1  # the change added to each kernel weight, relative to the kernel's mean |w| + 1


def kernels_matter(net: Any, x: torch.Tensor) -> bool:
    """Whether net(x) changes when every 2-D convolution kernel in net's state_dict changes.

    The network's state is put back afterwards, so a check can go on using it. A network
    that raises here is not judged: the exception propagates, as any other call's would.

    Inputs:
    - net: the student's nn.Module (a handle when grading)
    - x: float32 tensor of shape (N, 1, F, T), an input the network accepts
    """
    before = net(x)  # first: a lazy module makes its parameters on its first call
    state = {name: value.clone() for name, value in dict(net.state_dict()).items() if type(value) is torch.Tensor}
    kernels = {name: value for name, value in state.items() if value.dim() == 4 and value.is_floating_point()}
    if not kernels or type(before) is not torch.Tensor:
        return False
    generator = torch.Generator().manual_seed(0)
    changed = {
        name: kernel + KERNEL_NOISE * (kernel.abs().mean() + 1) * torch.randn(kernel.shape, generator=generator, dtype=kernel.dtype)
        for name, kernel in kernels.items()
    }
    try:
        net.load_state_dict({**state, **changed})
        after = net(x)
    finally:
        net.load_state_dict(state)
    return type(after) is torch.Tensor and after.shape == before.shape and not torch.allclose(before, after, rtol=0.0, atol=KERNEL_ATOL)


def expect_convolutional(net: Any, x: torch.Tensor, name: str) -> None:
    """Fail, naming `name` and the mistake, unless net(x) depends on learnable 2-D kernels."""
    if not kernels_matter(net, x):
        raise CheckFailed(f"{name}: {NOT_CONVOLUTIONAL}", mistake=NOT_CONVOLUTIONAL)
