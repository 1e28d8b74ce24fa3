"""Hidden checks for convolution: seeded shapes, torch float64 and autograd as oracles."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder.compare import GRADIENT_RTOL, expect_array, expect_close, expect_unchanged
from autograder.feedback import Mistake
from autograder.mistakes import convolution as mistakes
from autograder.mistakes.convolution import expect_size

pytestmark = pytest.mark.concept("convolution")


def torch64(array):
    return torch.from_numpy(np.array(array, dtype=np.float64))


def reference_conv(x, w, b=None, stride=1, padding=0, dilation=1):
    """torch's conv2d (cross-correlation) in float64, as numpy."""
    bias = None if b is None else torch64(b)
    out = F.conv2d(torch64(x), torch64(w), bias, stride=stride, padding=padding, dilation=dilation)
    return out.numpy()


def random_layer(rng, kernel=(3, 4)):
    """x (N, C, H, W), w (F, C, kh, kw), b (F,) with N, C, F > 1 and non-square maps and kernels."""
    n, c, f = (int(v) for v in rng.integers(2, 5, size=3))
    height, width = int(rng.integers(9, 15)), int(rng.integers(16, 22))
    x = rng.normal(size=(n, c, height, width))
    return x, rng.normal(size=(f, c, *kernel)), rng.normal(size=f)


def conv2d_mistakes(x, w, b, stride, padding, dilation=1):
    """What each known conv2d mistake returns on these inputs."""
    c = x.shape[1]
    without_bias = reference_conv(x, w, None, stride, padding, dilation)
    per_channel = b[None, :, None, None]
    return [
        Mistake(mistakes.FLIPPED_KERNEL, answer=reference_conv(x, w[:, :, ::-1, ::-1], b, stride, padding, dilation)),
        Mistake(mistakes.CHANNELS_AVERAGED, answer=without_bias / c + per_channel),
        Mistake(mistakes.BIAS_PER_INPUT_CHANNEL, answer=without_bias + c * per_channel),
        Mistake(mistakes.MISSING_BIAS, answer=without_bias),
        Mistake(mistakes.PADDING_TOTAL, answer=reference_conv(x, w, b, stride, padding // 2, dilation)),
        Mistake(mistakes.IGNORES_STRIDE, answer=reference_conv(x, w, b, 1, padding, dilation)),
        Mistake(mistakes.IGNORES_DILATION, answer=reference_conv(x, w, b, stride, padding, 1)),
    ]


def distinct_cases(rng, draw, variants, count):
    """`count` cases from `draw(rng)` on which every variant's answer differs from the others."""
    cases = []
    while len(cases) < count:
        case = draw(rng)
        answers = [variant(**case) for variant in variants]
        if min(answers) >= 1 and len(set(answers)) == len(answers):
            cases.append(case)
    return cases


def torch_conv_size(i, k, s, p, d):
    return F.conv2d(torch.zeros(1, 1, i, 1), torch.zeros(1, 1, k, 1), stride=(s, 1), padding=(p, 0), dilation=(d, 1)).shape[2]


def draw_conv(rng):
    """A random (i, k, s, p, d) whose dilated kernel fits into the padded input."""
    case = {name: int(rng.integers(low, high)) for name, low, high in [("k", 2, 7), ("s", 2, 4), ("p", 2, 8), ("d", 2, 5)]}
    case["i"] = int(rng.integers(case["d"] * (case["k"] - 1) + 1, 60))
    return {name: case[name] for name in "iksp" + "d"}


def test_conv_output_size_matches_torch(student, rng):
    """conv_output_size equals the length of torch's conv2d output over random i, k, s, p, d."""
    known = {
        mistakes.MISSING_PLUS_ONE: lambda i, k, s, p, d: (i + 2 * p - d * (k - 1) - 1) // s,
        mistakes.CEIL_NOT_FLOOR: lambda i, k, s, p, d: -((-(i + 2 * p - d * (k - 1) - 1)) // s) + 1,
        mistakes.PADDING_TOTAL: lambda i, k, s, p, d: (i + p - d * (k - 1) - 1) // s + 1,
        mistakes.IGNORES_STRIDE: lambda i, k, s, p, d: i + 2 * p - d * (k - 1),
        mistakes.IGNORES_DILATION: lambda i, k, s, p, d: (i + 2 * p - k) // s + 1,
    }
    formula = lambda i, k, s, p, d: (i + 2 * p - d * (k - 1) - 1) // s + 1  # noqa: E731
    plain = [{"i": int(rng.integers(7, 30)), "k": k, "s": 1, "p": 0, "d": 1} for k in (1, 2, 3)]
    for case in distinct_cases(rng, draw_conv, [formula, *known.values()], 10) + plain:
        expect_size(
            student.conv_output_size(case["i"], case["k"], stride=case["s"], padding=case["p"], dilation=case["d"]),
            torch_conv_size(**case),
            "conv_output_size",
            mistakes=[Mistake(text, answer=variant(**case)) for text, variant in known.items()],
        )


def torch_transpose_size(i, k, s, p, op, d):
    weight = torch.zeros(1, 1, k, 1)
    out = F.conv_transpose2d(torch.zeros(1, 1, i, 1), weight, stride=(s, 1), padding=(p, 0), output_padding=(op, 0), dilation=(d, 1))
    return out.shape[2]


def draw_transpose(rng):
    case = {name: int(rng.integers(low, high)) for name, low, high in [("i", 3, 20), ("k", 2, 6), ("s", 2, 4), ("d", 1, 3)]}
    case["p"] = int(rng.integers(1, case["k"]))
    case["op"] = int(rng.integers(1, max(case["s"], case["d"])))
    return {name: case[name] for name in ("i", "k", "s", "p", "op", "d")}


def test_conv_transpose_output_size_matches_torch(student, rng):
    """conv_transpose_output_size equals the length of torch's conv_transpose2d output."""
    known = {
        mistakes.IGNORES_OUTPUT_PADDING: lambda i, k, s, p, op, d: (i - 1) * s - 2 * p + d * (k - 1) + 1,
        mistakes.PADDING_TOTAL: lambda i, k, s, p, op, d: (i - 1) * s - p + d * (k - 1) + op + 1,
        mistakes.IGNORES_DILATION: lambda i, k, s, p, op, d: (i - 1) * s - 2 * p + k + op,
        mistakes.FORWARD_FORMULA: lambda i, k, s, p, op, d: (i + 2 * p - d * (k - 1) - 1) // s + 1,
    }
    formula = lambda i, k, s, p, op, d: (i - 1) * s - 2 * p + d * (k - 1) + op + 1  # noqa: E731
    for case in distinct_cases(rng, draw_transpose, [formula, *known.values()], 12):
        expect_size(
            student.conv_transpose_output_size(
                case["i"], case["k"], stride=case["s"], padding=case["p"], output_padding=case["op"], dilation=case["d"]
            ),
            torch_transpose_size(**case),
            "conv_transpose_output_size",
            mistakes=[Mistake(text, answer=variant(**case)) for text, variant in known.items()],
        )


def random_image(rng):
    """A non-square image and a non-square kernel."""
    image = rng.normal(size=(int(rng.integers(8, 14)), int(rng.integers(15, 21))))
    return image, rng.normal(size=(int(rng.integers(2, 4)), int(rng.integers(4, 6))))


def test_correlate2d_matches_torch(student, rng):
    """correlate2d equals torch's conv2d (a cross-correlation) on one channel."""
    image, kernel = random_image(rng)
    expected = reference_conv(image[None, None], kernel[None, None])[0, 0]
    expect_close(
        student.correlate2d(image.copy(), kernel.copy()),
        expected,
        "correlate2d",
        mistakes=[Mistake(mistakes.FLIPPED_KERNEL, answer=reference_conv(image[None, None], kernel[None, None, ::-1, ::-1])[0, 0])],
    )


def test_convolve2d_matches_torch(student, rng):
    """convolve2d equals torch's conv2d with the kernel turned by 180 degrees."""
    image, kernel = random_image(rng)
    expected = reference_conv(image[None, None], kernel[None, None, ::-1, ::-1])[0, 0]
    expect_close(
        student.convolve2d(image.copy(), kernel.copy()),
        expected,
        "convolve2d",
        mistakes=[Mistake(mistakes.NOT_FLIPPED, answer=reference_conv(image[None, None], kernel[None, None])[0, 0])],
    )


def test_zero_pad_matches_numpy(student, rng):
    """zero_pad equals np.pad of H and W only, for pad 0 and a random pad."""
    x = rng.normal(size=tuple(int(n) for n in rng.integers(2, 7, size=4)))
    for pad in (0, int(rng.integers(1, 4))):
        expect_close(
            student.zero_pad(x.copy(), pad),
            np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))),
            "zero_pad",
            mistakes=[Mistake(mistakes.PADS_EVERY_AXIS, answer=np.pad(x, pad))],
        )


@pytest.mark.points(2)
def test_conv2d_matches_torch(student, rng):
    """conv2d with a bias, stride 1 and padding 0 equals torch's conv2d on random N, C, F > 1."""
    x, w, b = random_layer(rng)
    expect_close(
        student.conv2d(x.copy(), w.copy(), b.copy()),
        reference_conv(x, w, b),
        "conv2d",
        mistakes=conv2d_mistakes(x, w, b, 1, 0),
    )


def test_conv2d_with_stride_and_padding_matches_torch(student, rng):
    """conv2d with stride 2 and padding 2 equals torch's."""
    x, w, b = random_layer(rng, kernel=(3, 5))
    expect_close(
        student.conv2d(x.copy(), w.copy(), b.copy(), stride=2, padding=2),
        reference_conv(x, w, b, 2, 2),
        "conv2d",
        mistakes=conv2d_mistakes(x, w, b, 2, 2),
    )


def test_conv2d_with_dilation_matches_torch(student, rng):
    """conv2d with dilation 2, stride 2 and padding 1 equals torch's."""
    x, w, b = random_layer(rng, kernel=(3, 2))
    expect_close(
        student.conv2d(x.copy(), w.copy(), b.copy(), stride=2, padding=1, dilation=2),
        reference_conv(x, w, b, 2, 1, 2),
        "conv2d",
        mistakes=conv2d_mistakes(x, w, b, 2, 1, 2),
    )


def shifted(x, down, right):
    """x moved down and right by non-negative amounts, with zeros coming in."""
    out = np.zeros_like(x)
    out[:, :, down:, right:] = x[:, :, : x.shape[2] - down, : x.shape[3] - right]
    return out


def test_conv2d_is_equivariant_to_shifts(student, rng):
    """Shifting the input shifts conv2d's output: by (a, b) at stride 1, by (a, b) // 2 at stride 2."""
    x, w, _ = random_layer(rng, kernel=(3, 3))
    border = np.zeros(x.shape[2:], dtype=bool)
    border[:2] = border[-4:] = True
    border[:, :2] = border[:, -4:] = True
    x[:, :, border] = 0.0  # content never crosses the map's edge, so no window sees it go
    for stride in (1, 2):
        down, right = (stride * int(n) for n in rng.integers(1, 3, size=2))
        before = expect_array(student.conv2d(x.copy(), w.copy(), stride=stride), "conv2d")
        expected = shifted(before, down // stride, right // stride)
        expect_close(
            student.conv2d(shifted(x, down, right), w.copy(), stride=stride),
            expected,
            "conv2d",
            mistakes=[Mistake(mistakes.NOT_EQUIVARIANT, test=lambda got: np.shape(got) == expected.shape)],
        )


def autograd_conv(dout, x, w, b, stride, padding):
    """dx, dw, db of sum(conv2d(x, w, b) * dout) from torch.autograd, as numpy."""
    tensors = [torch64(a).requires_grad_() for a in (x, w, b)]
    out = F.conv2d(*tensors, stride=stride, padding=padding)
    out.backward(torch64(dout))
    return [t.grad.numpy() for t in tensors]


def check_conv2d_backward(student, rng, stride, padding):
    x, w, b = random_layer(rng)
    dout = rng.normal(size=reference_conv(x, w, b, stride, padding).shape)
    dx, dw, db = autograd_conv(dout, x, w, b, stride, padding)
    got_dx, got_dw, got_db = student.conv2d_backward(dout.copy(), x.copy(), w.copy(), stride=stride, padding=padding)
    empty = Mistake(mistakes.PAD_SLICE_AT_ZERO, test=lambda got: 0 in np.shape(got))
    one_sample = autograd_conv(dout[:1], x[:1], w, b, stride, padding)
    expect_close(got_dx, dx, "conv2d_backward (dx)", rtol=GRADIENT_RTOL, mistakes=[empty])
    batch = [Mistake(mistakes.GRADIENT_NOT_SUMMED_OVER_BATCH, answer=one_sample[1])]
    expect_close(got_dw, dw, "conv2d_backward (dw)", rtol=GRADIENT_RTOL, mistakes=batch)
    batch = [Mistake(mistakes.GRADIENT_NOT_SUMMED_OVER_BATCH, answer=one_sample[2])]
    expect_close(got_db, db, "conv2d_backward (db)", rtol=GRADIENT_RTOL, mistakes=batch)


def test_conv2d_backward_matches_autograd(student, rng):
    """dx, dw and db equal torch.autograd's at stride 2 and padding 0."""
    check_conv2d_backward(student, rng, stride=2, padding=0)


def test_conv2d_backward_with_padding_matches_autograd(student, rng):
    """dx, dw and db equal torch.autograd's at stride 1 and padding 1."""
    check_conv2d_backward(student, rng, stride=1, padding=1)


def test_convolution_functions_leave_their_inputs_unchanged(student, rng):
    """No convolution function changes the arrays it is given."""
    x, w, b = random_layer(rng)
    dout = rng.normal(size=reference_conv(x, w, b, 1, 1).shape)
    for name, args, kwargs in [
        ("correlate2d", (x[0, 0], w[0, 0]), {}),
        ("convolve2d", (x[0, 0], w[0, 0]), {}),
        ("zero_pad", (x,), {"pad": 1}),
        ("conv2d", (x, w, b), {"padding": 1}),
        ("conv2d_backward", (dout, x, w), {"padding": 1}),
    ]:
        copies = [a.copy() for a in args]
        getattr(student, name)(*copies, **kwargs)
        for position, before, after in zip(("first", "second", "third"), args, copies):
            expect_unchanged(before, after, name, f"{position} argument")
