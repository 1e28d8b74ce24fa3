"""Hidden checks for convolution: seeded shapes, torch float64 and autograd as oracles."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder.compare import GRADIENT_RTOL, expect_close, expect_unchanged, helpers_first
from autograder.feedback import Mistake
from autograder.mistakes import convolution as mistakes
from autograder.mistakes.convolution import (
    conv2d_helpers,
    convolve2d_helpers,
    cut_windows,
    expect_size,
    expect_sizes,
    padded,
    rounds_to_nearest,
    zero_pad_mistakes,
)

pytestmark = pytest.mark.concept("convolution")


def torch64(array):
    return torch.from_numpy(np.array(array, dtype=np.float64))


def reference_conv(x, w, b=None, stride=1, padding=0, dilation=1):
    """torch's conv2d (cross-correlation) in float64, as numpy."""
    bias = None if b is None else torch64(b)
    out = F.conv2d(torch64(x), torch64(w), bias, stride=stride, padding=padding, dilation=dilation)
    return out.numpy()


def random_layer(rng, kernel=(3, 4), stride=1, padding=0, dilation=1, as_wide_as_filters=False):
    """x (N, C, H, W), w (F, C, kh, kw), b (F,) with N, C, F > 1 and non-square maps, sized so
    that the last window ends at the far edge of the padded input (every padded row and column
    counts); the output is F wide when as_wide_as_filters (so that a bias added along W shows)."""
    n, c, f = (int(v) for v in rng.integers(2, 5, size=3))
    h_out = int(rng.integers(5, 9))
    w_out = f if as_wide_as_filters else int(rng.integers(9, 13))
    height, width = ((size - 1) * stride + dilation * (k - 1) + 1 - 2 * padding for size, k in zip((h_out, w_out), kernel))
    x = rng.normal(size=(n, c, height, width))
    return x, rng.normal(size=(f, c, *kernel)), rng.normal(size=f)


def conv2d_mistakes(x, w, b, stride, padding, dilation=1):
    """What each known conv2d mistake returns on these inputs (b may be None)."""
    c = x.shape[1]
    options = {"stride": stride, "dilation": dilation}
    without_bias = reference_conv(x, w, None, stride, padding, dilation)
    known = [
        Mistake(mistakes.FLIPPED_KERNEL, answer=reference_conv(x, w[:, :, ::-1, ::-1], b, stride, padding, dilation)),
        Mistake(mistakes.PADDING_TOTAL, answer=reference_conv(x, w, b, stride, padding // 2, dilation)),
        Mistake(mistakes.PADDING_ONE_SIDE, answer=reference_conv(padded(x, padding, 0), w, b, **options)),
        Mistake(mistakes.PADDING_ONE_SIDE, answer=reference_conv(padded(x, 0, padding), w, b, **options)),
        Mistake(mistakes.PADDING_TOP_LEFT, answer=reference_conv(padded(x, 2 * padding, 0), w, b, **options)),
        Mistake(mistakes.IGNORES_STRIDE, answer=reference_conv(x, w, b, 1, padding, dilation)),
        Mistake(mistakes.IGNORES_DILATION, answer=reference_conv(x, w, b, stride, padding, 1)),
    ]
    if b is None:
        return [Mistake(mistakes.CHANNELS_AVERAGED, answer=without_bias / c), *known]
    per_filter = b[None, :, None, None]
    known += [
        Mistake(mistakes.CHANNELS_AVERAGED, answer=without_bias / c + per_filter),
        Mistake(mistakes.BIAS_PER_INPUT_CHANNEL, answer=without_bias + c * per_filter),
        Mistake(mistakes.MISSING_BIAS, answer=without_bias),
    ]
    if without_bias.shape[3] == len(b):
        known.append(Mistake(mistakes.BIAS_ALONG_W, answer=without_bias + b[None, None, None, :]))
    return known


def expect_conv2d(student, call, x, w, b=None, stride=1, padding=0, dilation=1):
    """conv2d's answer, from call(), equals torch's; else name a known mistake, or first a wrong helper."""
    with helpers_first("conv2d", conv2d_helpers(student, x, w.shape[2:], stride, padding, dilation)):
        expect_close(
            call(),
            reference_conv(x, w, b, stride, padding, dilation),
            "conv2d",
            mistakes=conv2d_mistakes(x, w, b, stride, padding, dilation),
        )


def call_conv2d(student, x, w, b=None, **options):
    """A call of the student's conv2d on copies of the inputs (b may be None)."""
    return lambda: student.conv2d(x.copy(), w.copy(), None if b is None else b.copy(), **options)


def distinct_cases(rng, draw, variants, count, where=lambda case: True):
    """`count` cases from `draw(rng)` that meet `where` and on which every variant's answer
    differs from the others."""
    cases = []
    while len(cases) < count:
        case = draw(rng)
        answers = [variant(**case) for variant in variants]
        if min(answers) >= 1 and len(set(answers)) == len(answers) and where(case):
            cases.append(case)
    return cases


def torch_conv_size(i, k, s, p, d):
    return F.conv2d(torch.zeros(1, 1, i, 1), torch.zeros(1, 1, k, 1), stride=(s, 1), padding=(p, 0), dilation=(d, 1)).shape[2]


def draw_conv(rng):
    """A random (i, k, s, p, d) whose dilated kernel fits into the padded input."""
    case = {name: int(rng.integers(low, high)) for name, low, high in [("k", 2, 7), ("s", 2, 5), ("p", 2, 8), ("d", 2, 5)]}
    case["i"] = int(rng.integers(case["d"] * (case["k"] - 1) + 1, 60))
    return {name: case[name] for name in "iksp" + "d"}


def left_over(stride, remainder):
    """A `where` for cases whose last half-fitting kernel position is `remainder` / `stride` of a stride."""
    return lambda case: case["s"] == stride and (case["i"] + 2 * case["p"] - case["d"] * (case["k"] - 1) - 1) % stride == remainder


def test_conv_output_size_matches_torch(student, rng):
    """conv_output_size equals the length of torch's conv2d output over random i, k, s, p, d,
    with divisions that leave less and more than half a stride."""
    known = {
        mistakes.MISSING_PLUS_ONE: lambda i, k, s, p, d: (i + 2 * p - d * (k - 1) - 1) // s,
        mistakes.CEIL_NOT_FLOOR: lambda i, k, s, p, d: -((-(i + 2 * p - d * (k - 1) - 1)) // s) + 1,
        mistakes.PADDING_TOTAL: lambda i, k, s, p, d: (i + p - d * (k - 1) - 1) // s + 1,
        mistakes.IGNORES_STRIDE: lambda i, k, s, p, d: i + 2 * p - d * (k - 1),
        mistakes.IGNORES_DILATION: lambda i, k, s, p, d: (i + 2 * p - k) // s + 1,
    }
    formula = lambda i, k, s, p, d: (i + 2 * p - d * (k - 1) - 1) // s + 1  # noqa: E731
    variants = [formula, *known.values()]
    cases = distinct_cases(rng, draw_conv, variants, 7)
    for stride, remainder in [(3, 1), (4, 1), (3, 2)]:
        cases += distinct_cases(rng, draw_conv, variants, 1, where=left_over(stride, remainder))
    cases += [{"i": int(rng.integers(7, 30)), "k": k, "s": 1, "p": 0, "d": 1} for k in (1, 2, 3)]
    got = [student.conv_output_size(c["i"], c["k"], stride=c["s"], padding=c["p"], dilation=c["d"]) for c in cases]
    wrong = [Mistake(text, answer=[variant(**case) for case in cases]) for text, variant in known.items()]
    ceilings = wrong[1].answer
    rounded = Mistake(mistakes.ROUND_NOT_FLOOR, test=rounds_to_nearest([formula(**case) for case in cases], ceilings))
    expect_sizes(got, [torch_conv_size(**case) for case in cases], "conv_output_size", mistakes=[*wrong, rounded])


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


def expect_correlate2d(call, image, kernel):
    expected = reference_conv(image[None, None], kernel[None, None])[0, 0]
    flipped = reference_conv(image[None, None], kernel[None, None, ::-1, ::-1])[0, 0]
    expect_close(call(), expected, "correlate2d", mistakes=[Mistake(mistakes.FLIPPED_KERNEL, answer=flipped)])


def expect_convolve2d(student, call, image, kernel):
    expected = reference_conv(image[None, None], kernel[None, None, ::-1, ::-1])[0, 0]
    not_flipped = reference_conv(image[None, None], kernel[None, None])[0, 0]
    with helpers_first("convolve2d", convolve2d_helpers(student, image, kernel)):
        expect_close(call(), expected, "convolve2d", mistakes=[Mistake(mistakes.NOT_FLIPPED, answer=not_flipped)])


def test_correlate2d_matches_torch(student, rng):
    """correlate2d equals torch's conv2d (a cross-correlation) on one channel."""
    image, kernel = random_image(rng)
    expect_correlate2d(lambda: student.correlate2d(image.copy(), kernel.copy()), image, kernel)


def test_convolve2d_matches_torch(student, rng):
    """convolve2d equals torch's conv2d with the kernel turned by 180 degrees."""
    image, kernel = random_image(rng)
    expect_convolve2d(student, lambda: student.convolve2d(image.copy(), kernel.copy()), image, kernel)


def expect_zero_pad(call, x, pad):
    expect_close(call(), padded(x, pad), "zero_pad", mistakes=zero_pad_mistakes(x, pad))


def test_zero_pad_matches_numpy(student, rng):
    """zero_pad equals np.pad of H and W only, for pad 0 and a random pad."""
    x = rng.normal(size=tuple(int(n) for n in rng.integers(2, 7, size=4)))
    for pad in (0, int(rng.integers(1, 4))):
        expect_zero_pad(lambda: student.zero_pad(x.copy(), pad), x, pad)


def expect_windows(call, x, kernel_height, kernel_width, stride=1, dilation=1):
    pieces = cut_windows(x, kernel_height, kernel_width, stride, dilation)
    undilated = cut_windows(x, kernel_height, kernel_width, stride)
    expect_close(
        call(),
        pieces,
        "windows",
        mistakes=[
            Mistake(mistakes.IGNORES_DILATION, answer=undilated),
            Mistake(mistakes.IGNORES_DILATION, answer=undilated[:, :, : pieces.shape[2], : pieces.shape[3]]),
            Mistake(mistakes.IGNORES_STRIDE, answer=cut_windows(x, kernel_height, kernel_width, 1, dilation)),
            Mistake(mistakes.SWAPPED_KERNEL_AXES, answer=cut_windows(x, kernel_width, kernel_height, stride, dilation)),
        ],
    )


def test_windows_matches_slicing(student, rng):
    """windows holds the piece under the kernel at every position: strides 1 to 3, dilations 1 and 2,
    square and non-square kernels."""
    x = rng.normal(size=(2, int(rng.integers(2, 4)), int(rng.integers(9, 13)), int(rng.integers(14, 18))))
    for kernel, stride, dilation in [((2, 3), 1, 1), ((3, 2), 2, 2), ((2, 2), 1, 2), ((3, 3), 3, 1)]:
        expect_windows(lambda: student.windows(x.copy(), *kernel, stride, dilation), x, *kernel, stride, dilation)


@pytest.mark.points(2)
def test_conv2d_matches_torch(student, rng):
    """conv2d at stride 1 and padding 0 equals torch's on random N, C, F > 1: a non-square
    kernel with a bias, then a square kernel without one."""
    x, w, b = random_layer(rng, as_wide_as_filters=True)
    expect_conv2d(student, call_conv2d(student, x, w, b), x, w, b)
    x, w, _ = random_layer(rng, kernel=(3, 3))
    expect_conv2d(student, call_conv2d(student, x, w), x, w)


def test_conv2d_with_stride_and_padding_matches_torch(student, rng):
    """conv2d with stride 2 and padding 2 equals torch's."""
    x, w, b = random_layer(rng, kernel=(3, 5), stride=2, padding=2)
    expect_conv2d(student, call_conv2d(student, x, w, b, stride=2, padding=2), x, w, b, stride=2, padding=2)


def test_conv2d_with_dilation_matches_torch(student, rng):
    """conv2d with dilation 2, stride 2 and padding 1 equals torch's."""
    x, w, b = random_layer(rng, kernel=(3, 2), stride=2, padding=1, dilation=2)
    options = {"stride": 2, "padding": 1, "dilation": 2}
    expect_conv2d(student, call_conv2d(student, x, w, b, **options), x, w, b, **options)


def shifted(x, down, right):
    """x moved down and right by non-negative amounts, with zeros coming in."""
    out = np.zeros_like(x)
    out[:, :, down:, right:] = x[:, :, : x.shape[2] - down, : x.shape[3] - right]
    return out


def test_conv2d_is_equivariant_to_shifts(student, rng):
    """Shifting the input shifts conv2d's (right) output: by (a, b) at stride 1, by (a, b) // 2 at stride 2."""
    x, w, _ = random_layer(rng, kernel=(3, 3))
    x = rng.normal(size=(*x.shape[:2], int(rng.integers(12, 16)), int(rng.integers(16, 20))))
    border = np.zeros(x.shape[2:], dtype=bool)
    border[:2] = border[-4:] = True
    border[:, :2] = border[:, -4:] = True
    x[:, :, border] = 0.0  # content never crosses the map's edge, so no window sees it go
    for stride in (1, 2):
        down, right = (stride * int(n) for n in rng.integers(1, 3, size=2))
        expect_conv2d(student, call_conv2d(student, x, w, stride=stride), x, w, stride=stride)
        expected = shifted(reference_conv(x, w, stride=stride), down // stride, right // stride)
        expect_close(
            call_conv2d(student, shifted(x, down, right), w, stride=stride)(),
            expected,
            "conv2d",
            mistakes=[Mistake(mistakes.NOT_EQUIVARIANT, test=lambda got: np.shape(got) == expected.shape)],
        )


def autograd_conv(dout, x_pad, w, stride):
    """dx_pad, dw and db of sum(conv2d(x_pad, w, b) * dout) from torch.autograd, as numpy."""
    tensors = [torch64(a).requires_grad_() for a in (x_pad, w, np.zeros(len(w)))]
    F.conv2d(*tensors, stride=stride).backward(torch64(dout))
    return [t.grad.numpy() for t in tensors]


def expect_conv2d_backward(student, call, dout, x, w, stride, padding):
    """conv2d_backward's (dx, dw, db), from call(), equal torch.autograd's; else name a known
    mistake, or first a wrong helper."""
    dx_pad, dw, db = autograd_conv(dout, padded(x, padding), w, stride)
    _, dw_one, db_one = autograd_conv(dout[:1], padded(x[:1], padding), w, stride)
    height, width = x.shape[2:]
    dx = dx_pad[:, :, padding : padding + height, padding : padding + width].copy()
    dx_mistakes = [Mistake(mistakes.PAD_SLICE_AT_ZERO, test=lambda answer: 0 in np.shape(answer))]
    if padding != 1:
        dx_mistakes.append(Mistake(mistakes.CROP_HARD_CODED, answer=dx_pad[:, :, 1:-1, 1:-1]))
    db_mistakes = [
        Mistake(mistakes.GRADIENT_NOT_SUMMED_OVER_BATCH, answer=db_one),
        Mistake(mistakes.DB_AVERAGED, answer=db / len(x)),
        Mistake(mistakes.DB_WRONG_AXES, test=lambda answer: np.shape(answer) != db.shape),
    ]
    with helpers_first("conv2d_backward", conv2d_helpers(student, x, w.shape[2:], stride, padding)):
        got_dx, got_dw, got_db = call()
        expect_close(got_dx, dx, "conv2d_backward (dx)", rtol=GRADIENT_RTOL, mistakes=dx_mistakes)
        batch = [Mistake(mistakes.GRADIENT_NOT_SUMMED_OVER_BATCH, answer=dw_one)]
        expect_close(got_dw, dw, "conv2d_backward (dw)", rtol=GRADIENT_RTOL, mistakes=batch)
        expect_close(got_db, db, "conv2d_backward (db)", rtol=GRADIENT_RTOL, mistakes=db_mistakes)


def check_conv2d_backward(student, rng, stride, padding):
    x, w, b = random_layer(rng, stride=stride, padding=padding)
    dout = rng.normal(size=reference_conv(x, w, b, stride, padding).shape)
    call = lambda: student.conv2d_backward(dout.copy(), x.copy(), w.copy(), stride=stride, padding=padding)  # noqa: E731
    expect_conv2d_backward(student, call, dout, x, w, stride, padding)


def test_conv2d_backward_matches_autograd(student, rng):
    """dx, dw and db equal torch.autograd's at stride 2 and padding 0."""
    check_conv2d_backward(student, rng, stride=2, padding=0)


def test_conv2d_backward_with_padding_matches_autograd(student, rng):
    """dx, dw and db equal torch.autograd's at stride 1 and padding 1."""
    check_conv2d_backward(student, rng, stride=1, padding=1)


def test_convolution_functions_leave_their_inputs_unchanged(student, rng):
    """Each convolution function gives the right answer and leaves the arrays it is given unchanged."""
    x, w, b = random_layer(rng)
    image, kernel, x_pad = x[0, 0].copy(), w[0, 0].copy(), padded(x, 1)
    dout = rng.normal(size=reference_conv(x, w, b, 1, 1).shape)
    for name, args, kwargs, expect in [
        ("correlate2d", (image, kernel), {}, lambda call: expect_correlate2d(call, image, kernel)),
        ("convolve2d", (image, kernel), {}, lambda call: expect_convolve2d(student, call, image, kernel)),
        ("zero_pad", (x,), {"pad": 1}, lambda call: expect_zero_pad(call, x, 1)),
        ("windows", (x_pad,), {"kernel_height": 3, "kernel_width": 4}, lambda call: expect_windows(call, x_pad, 3, 4)),
        ("conv2d", (x, w, b), {"padding": 1}, lambda call: expect_conv2d(student, call, x, w, b, padding=1)),
        ("conv2d_backward", (dout, x, w), {"padding": 1}, lambda call: expect_conv2d_backward(student, call, dout, x, w, 1, 1)),
    ]:
        copies = [a.copy() for a in args]
        expect(lambda: getattr(student, name)(*copies, **kwargs))
        for position, before, after in zip(("first", "second", "third"), args, copies):
            expect_unchanged(before, after, name, f"{position} argument")
