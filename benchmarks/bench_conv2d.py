"""Time the reference conv2d (numpy, stride tricks + einsum) against torch's, on a typical audio layer.

The layer: a batch of 8 spectrogram patches of 128 x 128 (frequency bins x frames) with 16
channels, through 32 filters of 3 x 3, stride 1, padding 1, in float64. Both run in this
process, one after the other, and the script prints the best of several runs and their ratio
(above 1: the reference is slower), plus torch in float32 for context.

    python benchmarks/bench_conv2d.py
"""

import importlib.util
import timeit
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

SOLUTION = Path(__file__).resolve().parent.parent / "solutions" / "convolution.py"
N, C, F_OUT, SIZE, KERNEL = 8, 16, 32, 128, 3
REPEATS = 5


def load_reference():
    """The reference module, imported by path (solutions/ is not a package)."""
    spec = importlib.util.spec_from_file_location("reference_convolution", SOLUTION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def best_seconds(function) -> float:
    """The fastest of REPEATS single runs, after one warm-up run."""
    function()
    return min(timeit.repeat(function, number=1, repeat=REPEATS))


def main() -> None:
    reference = load_reference()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, C, SIZE, SIZE))
    w = rng.normal(size=(F_OUT, C, KERNEL, KERNEL))
    b = rng.normal(size=F_OUT)
    x_t, w_t, b_t = (torch.from_numpy(a) for a in (x, w, b))
    ours = reference.conv2d(x, w, b, padding=1)
    theirs = F.conv2d(x_t, w_t, b_t, padding=1).numpy()
    assert np.allclose(ours, theirs, rtol=1e-10, atol=1e-10), "the reference and torch disagree"
    numpy_s = best_seconds(lambda: reference.conv2d(x, w, b, padding=1))
    torch_s = best_seconds(lambda: F.conv2d(x_t, w_t, b_t, padding=1))
    x32, w32, b32 = (t.float() for t in (x_t, w_t, b_t))
    torch32_s = best_seconds(lambda: F.conv2d(x32, w32, b32, padding=1))
    print(f"layer: x {x.shape}, w {w.shape}, padding 1, float64, torch threads {torch.get_num_threads()}")
    print(f"reference conv2d (numpy): {numpy_s * 1e3:8.1f} ms")
    print(f"torch.nn.functional.conv2d: {torch_s * 1e3:6.1f} ms")
    print(f"ratio reference / torch (both float64): {numpy_s / torch_s:.2f}")
    print(f"for context, torch in float32: {torch32_s * 1e3:.1f} ms, ratio {numpy_s / torch32_s:.2f}")


if __name__ == "__main__":
    main()
