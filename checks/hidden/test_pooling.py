"""Hidden checks for pooling: seeded shapes and shifts, torch float64 and autograd as oracles."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder.compare import GRADIENT_RTOL, expect_close, expect_unchanged
from autograder.feedback import Mistake
from autograder.mistakes import pooling as mistakes
from autograder.mistakes.pooling import routed_gradient, shared_gradient

pytestmark = pytest.mark.concept("pooling")

# (kernel_size, stride) of each pooling layer a check tries: side by side, then overlapping.
SIDE_BY_SIDE = [(2, None), (3, None)]
OVERLAPPING = [(3, 2), (2, 1)]


def torch64(array):
    return torch.from_numpy(np.array(array, dtype=np.float64))


def random_maps(rng, low=8, high=15):
    """A float64 (N, C, H, W) batch with N, C > 1 and H != W."""
    n, c = (int(v) for v in rng.integers(2, 4, size=2))
    height = int(rng.integers(low, high))
    return rng.normal(size=(n, c, height, height + int(rng.integers(1, 5))))


def torch_pool(kind, x, kernel_size, stride, dout=None):
    """torch's max or avg pooling of x, and the gradient for dout when given, as numpy."""
    tensor = torch64(x).requires_grad_()
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    out = pool(tensor, kernel_size, stride)
    if dout is None:
        return out.detach().numpy()
    out.backward(torch64(dout))
    return tensor.grad.numpy()


WRONG_KIND = {"max": mistakes.MEAN_FOR_MAX, "avg": mistakes.MAX_FOR_MEAN}


def expect_pool(kind, got, x, k, stride=None):
    """max_pool2d's or avg_pool2d's answer equals torch's; else name a known mistake."""
    other = "avg" if kind == "max" else "max"
    expect_close(
        got,
        torch_pool(kind, x, k, stride),
        f"{kind}_pool2d",
        mistakes=[
            Mistake(mistakes.STRIDE_ONE_BY_DEFAULT, answer=torch_pool(kind, x, k, 1)),
            Mistake(mistakes.STRIDE_IGNORED, answer=torch_pool(kind, x, k, k)),
            Mistake(WRONG_KIND[kind], answer=torch_pool(other, x, k, stride)),
        ],
    )


def check_pool_matches_torch(student, rng, kind):
    """student's max_pool2d or avg_pool2d equals torch's, side by side and overlapping."""
    x = random_maps(rng)
    for k, stride in SIDE_BY_SIDE + OVERLAPPING:
        expect_pool(kind, getattr(student, f"{kind}_pool2d")(x.copy(), k, stride), x, k, stride)


@pytest.mark.points(2)
def test_max_pool2d_matches_torch(student, rng):
    """max_pool2d equals torch's for windows side by side and overlapping."""
    check_pool_matches_torch(student, rng, "max")


@pytest.mark.points(2)
def test_avg_pool2d_matches_torch(student, rng):
    """avg_pool2d equals torch's for windows side by side and overlapping."""
    check_pool_matches_torch(student, rng, "avg")


def expect_max_pool_backward(got, dout, x, k, stride=None):
    """max_pool2d_backward's answer equals torch.autograd's; else name a known mistake."""
    step = stride or k
    expect_close(
        got,
        torch_pool("max", x, k, stride, dout),
        "max_pool2d_backward",
        rtol=GRADIENT_RTOL,
        mistakes=[
            Mistake(mistakes.TIED_GRADIENT, answer=routed_gradient(dout, x, k, step, which="ties")),
            Mistake(mistakes.LAST_MAXIMUM, answer=routed_gradient(dout, x, k, step, which="last")),
            Mistake(mistakes.OVERLAP_OVERWRITTEN, answer=routed_gradient(dout, x, k, step, assign="entry")),
            Mistake(mistakes.WINDOW_ASSIGNED, answer=routed_gradient(dout, x, k, step, assign="window")),
            Mistake(mistakes.STRIDE_IGNORED, answer=routed_gradient(dout, x, k, k)),
            Mistake(mistakes.STRIDE_IGNORED, answer=routed_gradient(dout, x, k, 1)),
        ],
    )


def check_max_pool_backward(student, x, dout, k, stride):
    expect_max_pool_backward(student.max_pool2d_backward(dout.copy(), x.copy(), k, stride), dout, x, k, stride)


@pytest.mark.points(2)
def test_max_pool2d_backward_matches_autograd(student, rng):
    """max_pool2d_backward equals torch.autograd's on tie-free maps, windows side by side."""
    x = random_maps(rng)
    for k, stride in SIDE_BY_SIDE:
        check_max_pool_backward(student, x, rng.normal(size=torch_pool("max", x, k, stride).shape), k, stride)


def test_max_pool2d_backward_adds_up_overlapping_windows(student, rng):
    """With overlapping windows (stride < k), an entry that wins several windows gets all their gradients."""
    x = random_maps(rng)
    for k, stride in OVERLAPPING:
        check_max_pool_backward(student, x, rng.normal(size=torch_pool("max", x, k, stride).shape), k, stride)


@pytest.mark.points(2)
def test_max_pool2d_backward_sends_ties_to_one_entry(student, rng):
    """On maps full of tied maxima, the gradient goes to one entry per window, as torch.autograd's does."""
    x = rng.integers(0, 3, size=random_maps(rng).shape).astype(np.float64)
    check_max_pool_backward(student, x, rng.normal(size=torch_pool("max", x, 2, None).shape), 2, None)


def expect_avg_pool_backward(got, dout, x_shape, k, stride=None):
    """avg_pool2d_backward's answer equals torch.autograd's; else name a known mistake."""
    step = stride or k
    expected = torch_pool("avg", np.zeros(x_shape), k, stride, dout)
    expect_close(
        got,
        expected,
        "avg_pool2d_backward",
        rtol=GRADIENT_RTOL,
        mistakes=[
            Mistake(mistakes.NOT_DIVIDED, answer=expected * k**2),
            Mistake(mistakes.WINDOW_ASSIGNED, answer=shared_gradient(dout, x_shape, k, step, assign=True)),
            Mistake(mistakes.STRIDE_IGNORED, answer=shared_gradient(dout, x_shape, k, k)),
            Mistake(mistakes.STRIDE_IGNORED, answer=shared_gradient(dout, x_shape, k, 1)),
        ],
    )


def test_avg_pool2d_backward_matches_autograd(student, rng):
    """avg_pool2d_backward equals torch.autograd's, windows side by side and overlapping."""
    x = random_maps(rng)
    for k, stride in SIDE_BY_SIDE + OVERLAPPING:
        dout = rng.normal(size=torch_pool("avg", x, k, stride).shape)
        expect_avg_pool_backward(student.avg_pool2d_backward(dout.copy(), tuple(x.shape), k, stride), dout, x.shape, k, stride)


def expect_global_avg_pool(got, x):
    expected = F.adaptive_avg_pool2d(torch64(x), 1).numpy()
    expect_close(
        got,
        expected[:, :, 0, 0].copy(),
        "global_avg_pool",
        mistakes=[
            Mistake(mistakes.KEEPS_SPATIAL_AXES, answer=expected),
            Mistake(mistakes.SUM_NOT_MEAN, answer=x.sum(axis=(2, 3))),
            Mistake(mistakes.AVERAGES_CHANNELS, answer=x.mean(axis=(1, 2, 3))),
        ],
    )


def test_global_avg_pool_matches_torch(student, rng):
    """global_avg_pool equals torch's adaptive_avg_pool2d to 1 x 1, as shape (N, C)."""
    x = random_maps(rng)
    expect_global_avg_pool(student.global_avg_pool(x.copy()), x)


def shifted(x, down, right):
    """The grader's own translation: np.roll, then zeros where it wrapped around."""
    out = np.roll(x, (down, right), axis=(2, 3))
    height, width = x.shape[2:]
    out[:, :, : max(down, 0)] = 0.0
    out[:, :, height + min(down, 0) :] = 0.0
    out[:, :, :, : max(right, 0)] = 0.0
    out[:, :, :, width + min(right, 0) :] = 0.0
    return out


def every_direction(rng):
    """Shifts (down, right) of random sizes 1 to 3 in each of the four diagonal directions."""
    down, right = (int(v) for v in rng.integers(1, 4, size=2))
    return [(down, right), (down, -right), (-down, right), (-down, -right)]


def expect_translate(got, x, down, right):
    expect_close(
        got,
        shifted(x, down, right),
        "translate",
        mistakes=[
            Mistake(mistakes.WRAPS_AROUND, answer=np.roll(x, (down, right), axis=(2, 3))),
            Mistake(mistakes.SWAPPED_AXES, answer=shifted(x, right, down)),
            Mistake(mistakes.OPPOSITE_DIRECTION, answer=shifted(x, -down, -right)),
        ],
    )


def test_translate_matches_numpy(student, rng):
    """translate equals a zero-filled shift by random amounts: down and up, right and left, and along one axis."""
    x = random_maps(rng)
    for down, right in every_direction(rng) + [(0, 2), (-3, 0)]:
        expect_translate(student.translate(x.copy(), down, right), x, down, right)


def scattered(rng, pooled, k):
    """A map with each value of `pooled` at a random place inside its own k x k window, 0 elsewhere."""
    n, c, height, width = pooled.shape
    x = np.zeros((n, c, height * k, width * k))
    rows = np.arange(height)[:, None] * k + rng.integers(0, k, size=pooled.shape)
    cols = np.arange(width)[None, :] * k + rng.integers(0, k, size=pooled.shape)
    x[np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None], rows, cols] = pooled
    return x


def test_max_pool2d_is_invariant_to_shifts_inside_its_windows(student, rng):
    """Features that move anywhere inside their own windows leave the max-pooled map unchanged."""
    k = int(rng.integers(2, 4))
    pooled = rng.uniform(1.0, 2.0, size=random_maps(rng, 3, 6).shape)
    x = scattered(rng, pooled, k)
    expect_pool("max", student.max_pool2d(x.copy(), k), x, k)
    expect_close(
        student.max_pool2d(scattered(rng, pooled, k), k),
        pooled,
        "max_pool2d",
        mistakes=[Mistake(mistakes.NOT_INVARIANT, test=lambda got: np.shape(got) == pooled.shape)],
    )


def test_pooling_is_equivariant_to_shifts_by_the_stride(student, rng):
    """Moving the input by multiples of the stride moves max- and mean-pooled maps (that are right) by those multiples."""
    k = int(rng.integers(2, 4))
    x = np.abs(random_maps(rng, 4 * k, 6 * k))
    x[:, :, -2 * k :] = x[:, :, :, -2 * k :] = 0.0
    down, right = (int(v) for v in rng.integers(1, 3, size=2))
    for kind in ("max", "avg"):
        pool = getattr(student, f"{kind}_pool2d")
        expect_pool(kind, pool(x.copy(), k), x, k)
        expected = shifted(torch_pool(kind, x, k, None), down, right)
        expect_close(
            pool(shifted(x, down * k, right * k), k),
            expected,
            f"{kind}_pool2d",
            mistakes=[Mistake(mistakes.NOT_EQUIVARIANT, test=lambda got: np.shape(got) == expected.shape)],
        )


def test_global_avg_pool_is_invariant_to_shifts(student, rng):
    """A map moved in any direction, without losing its content, has the same global average."""
    x = random_maps(rng)
    x[:, :, :3] = x[:, :, -3:] = x[:, :, :, :3] = x[:, :, :, -3:] = 0.0
    for down, right in every_direction(rng):
        expect_global_avg_pool(student.global_avg_pool(shifted(x, down, right)), x)


def test_pooling_leaves_its_inputs_unchanged(student, rng):
    """Each pooling function gives the right answer and leaves the arrays it is given unchanged."""
    x = random_maps(rng)
    dout = rng.normal(size=torch_pool("max", x, 3, 2).shape)
    for name, args, expect in [
        ("max_pool2d", (x, 3, 2), lambda got: expect_pool("max", got, x, 3, 2)),
        ("avg_pool2d", (x, 3, 2), lambda got: expect_pool("avg", got, x, 3, 2)),
        ("max_pool2d_backward", (dout, x, 3, 2), lambda got: expect_max_pool_backward(got, dout, x, 3, 2)),
        ("avg_pool2d_backward", (dout, x.shape, 3, 2), lambda got: expect_avg_pool_backward(got, dout, x.shape, 3, 2)),
        ("global_avg_pool", (x,), lambda got: expect_global_avg_pool(got, x)),
        ("translate", (x, 1, -1), lambda got: expect_translate(got, x, 1, -1)),
    ]:
        copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        got = getattr(student, name)(*copies)
        for position, before, after in zip(("first", "second"), args, copies):
            if isinstance(before, np.ndarray):
                expect_unchanged(before, after, name, f"{position} argument")
        expect(got)
