"""Hidden checks for pooling: seeded shapes and shifts, torch float64 and autograd as oracles."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder.compare import GRADIENT_RTOL, expect_array, expect_close, expect_unchanged
from autograder.feedback import Mistake
from autograder.mistakes import pooling as mistakes

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


def check_pool_matches_torch(student, rng, kind):
    """student's max_pool2d or avg_pool2d equals torch's, side by side and overlapping."""
    other = "avg" if kind == "max" else "max"
    x = random_maps(rng)
    for k, stride in SIDE_BY_SIDE + OVERLAPPING:
        expect_close(
            getattr(student, f"{kind}_pool2d")(x.copy(), k, stride),
            torch_pool(kind, x, k, stride),
            f"{kind}_pool2d",
            mistakes=[
                Mistake(mistakes.STRIDE_ONE_BY_DEFAULT, answer=torch_pool(kind, x, k, 1)),
                Mistake(WRONG_KIND[kind], answer=torch_pool(other, x, k, stride)),
            ],
        )


@pytest.mark.points(2)
def test_max_pool2d_matches_torch(student, rng):
    """max_pool2d equals torch's for windows side by side and overlapping."""
    check_pool_matches_torch(student, rng, "max")


@pytest.mark.points(2)
def test_avg_pool2d_matches_torch(student, rng):
    """avg_pool2d equals torch's for windows side by side and overlapping."""
    check_pool_matches_torch(student, rng, "avg")


def winners(x, kernel_size, stride):
    """Per output (n, c, r, s): the (row, col) lists of the entries that tie for its window's max."""
    n, c, height, width = x.shape
    for r in range((height - kernel_size) // stride + 1):
        for s in range((width - kernel_size) // stride + 1):
            window = x[:, :, r * stride : r * stride + kernel_size, s * stride : s * stride + kernel_size]
            best = window.max(axis=(2, 3), keepdims=True)
            yield r, s, window == best


def overwritten_gradient(dout, x, kernel_size, stride):
    """The gradient when each window assigns (=) to its first maximum instead of adding (+=)."""
    dx = np.zeros_like(x)
    for r, s, ties in winners(x, kernel_size, stride):
        first = ties.reshape(*ties.shape[:2], -1).argmax(axis=2)
        rows, cols = r * stride + first // kernel_size, s * stride + first % kernel_size
        n, c = np.indices(first.shape)
        dx[n, c, rows, cols] = dout[:, :, r, s]
    return dx


def tied_gradient(dout, x, kernel_size, stride):
    """The gradient when every entry that ties for a window's max receives its dout."""
    dx = np.zeros_like(x)
    for r, s, ties in winners(x, kernel_size, stride):
        window = (slice(None), slice(None), slice(r * stride, r * stride + kernel_size), slice(s * stride, s * stride + kernel_size))
        dx[window] += ties * dout[:, :, r, s][:, :, None, None]
    return dx


def check_max_pool_backward(student, x, dout, k, stride):
    expect_close(
        student.max_pool2d_backward(dout.copy(), x.copy(), k, stride),
        torch_pool("max", x, k, stride, dout),
        "max_pool2d_backward",
        rtol=GRADIENT_RTOL,
        mistakes=[
            Mistake(mistakes.TIED_GRADIENT, answer=tied_gradient(dout, x, k, stride or k)),
            Mistake(mistakes.OVERLAP_OVERWRITTEN, answer=overwritten_gradient(dout, x, k, stride or k)),
        ],
    )


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


def test_avg_pool2d_backward_matches_autograd(student, rng):
    """avg_pool2d_backward equals torch.autograd's, windows side by side and overlapping."""
    x = random_maps(rng)
    for k, stride in SIDE_BY_SIDE + OVERLAPPING:
        dout = rng.normal(size=torch_pool("avg", x, k, stride).shape)
        expected = torch_pool("avg", x, k, stride, dout)
        expect_close(
            student.avg_pool2d_backward(dout.copy(), tuple(x.shape), k, stride),
            expected,
            "avg_pool2d_backward",
            rtol=GRADIENT_RTOL,
            mistakes=[Mistake(mistakes.NOT_DIVIDED, answer=expected * k**2)],
        )


def test_global_avg_pool_matches_torch(student, rng):
    """global_avg_pool equals torch's adaptive_avg_pool2d to 1 x 1, as shape (N, C)."""
    x = random_maps(rng)
    expected = F.adaptive_avg_pool2d(torch64(x), 1).numpy()
    expect_close(
        student.global_avg_pool(x.copy()),
        expected[:, :, 0, 0].copy(),
        "global_avg_pool",
        mistakes=[
            Mistake(mistakes.KEEPS_SPATIAL_AXES, answer=expected),
            Mistake(mistakes.SUM_NOT_MEAN, answer=x.sum(axis=(2, 3))),
            Mistake(mistakes.AVERAGES_CHANNELS, answer=x.mean(axis=(1, 2, 3))),
        ],
    )


def shifted(x, down, right):
    """The grader's own translation: np.roll, then zeros where it wrapped around."""
    out = np.roll(x, (down, right), axis=(2, 3))
    height, width = x.shape[2:]
    out[:, :, : max(down, 0)] = 0.0
    out[:, :, height + min(down, 0) :] = 0.0
    out[:, :, :, : max(right, 0)] = 0.0
    out[:, :, :, width + min(right, 0) :] = 0.0
    return out


def test_translate_matches_numpy(student, rng):
    """translate equals a zero-filled shift by random amounts, down or up, right or left."""
    x = random_maps(rng)
    far = tuple(int(v) for v in rng.integers(1, 4, size=2) * rng.choice([-1, 1], size=2))
    for down, right in [far, (0, 2), (-3, 0)]:
        expect_close(
            student.translate(x.copy(), down, right),
            shifted(x, down, right),
            "translate",
            mistakes=[
                Mistake(mistakes.WRAPS_AROUND, answer=np.roll(x, (down, right), axis=(2, 3))),
                Mistake(mistakes.SWAPPED_AXES, answer=shifted(x, right, down)),
                Mistake(mistakes.OPPOSITE_DIRECTION, answer=shifted(x, -down, -right)),
            ],
        )


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
    expect_close(student.max_pool2d(scattered(rng, pooled, k), k), pooled, "max_pool2d")
    expect_close(
        student.max_pool2d(scattered(rng, pooled, k), k),
        pooled,
        "max_pool2d",
        mistakes=[Mistake(mistakes.NOT_INVARIANT, test=lambda got: np.shape(got) == pooled.shape)],
    )


def test_pooling_is_equivariant_to_shifts_by_the_stride(student, rng):
    """Moving the input by multiples of the stride moves max- and mean-pooled maps by those multiples."""
    k = int(rng.integers(2, 4))
    x = np.abs(random_maps(rng, 4 * k, 6 * k))
    x[:, :, -2 * k :] = x[:, :, :, -2 * k :] = 0.0
    down, right = (int(v) for v in rng.integers(1, 3, size=2))
    for kind in ("max", "avg"):
        pool = getattr(student, f"{kind}_pool2d")
        expected = shifted(expect_array(pool(x.copy(), k), f"{kind}_pool2d"), down, right)
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
    expected = x.mean(axis=(2, 3))
    for down, right in rng.integers(-3, 4, size=(3, 2)).tolist():
        expect_close(
            student.global_avg_pool(shifted(x, down, right)),
            expected,
            "global_avg_pool",
            mistakes=[Mistake(mistakes.KEEPS_SPATIAL_AXES, answer=expected[:, :, None, None])],
        )


def test_pooling_leaves_its_inputs_unchanged(student, rng):
    """No pooling function changes the arrays it is given."""
    x = random_maps(rng)
    dout = rng.normal(size=torch_pool("max", x, 2, None).shape)
    for name, args in [
        ("max_pool2d", (x, 2)),
        ("avg_pool2d", (x, 2)),
        ("max_pool2d_backward", (dout, x, 2)),
        ("avg_pool2d_backward", (dout, x.shape, 2)),
        ("global_avg_pool", (x,)),
        ("translate", (x, 1, -1)),
    ]:
        copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        getattr(student, name)(*copies)
        for position, before, after in zip(("first", "second"), args, copies):
            if isinstance(before, np.ndarray):
                expect_unchanged(before, after, name, f"{position} argument")
