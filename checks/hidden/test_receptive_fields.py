"""Hidden checks for receptive fields: fields measured with torch autograd, STFTs in torch.

The oracle of a field is empirical: build the layers as 1-D convolutions with all-ones
kernels (no nonlinearity, so nothing cancels), back-propagate from one output and read
which inputs got a gradient. The networks are drawn so that a naive sum of the kernel
sizes, or a sum that ignores the strides, gets them wrong.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder.compare import CheckFailed, expect_close, expect_count, expect_float, helpers_first
from autograder.feedback import Mistake
from autograder.mistakes.receptive_fields import (
    BIN_CENTRES,
    HALF_BIN,
    HOPS_ONLY,
    JUMP_INCLUDES_OWN_STRIDE,
    KERNEL_SUM,
    NO_DILATION,
    NO_JUMP,
    OFF_BY_ONE,
    PADDING_GROWS,
    START_IGNORES_DILATION,
    START_IGNORES_PADDING,
    START_PADDING_UNSCALED,
    SUM_OF_STRIDES,
    SWAPPED,
    WINDOW_NOT_HOP,
    WINDOWS_ONLY,
    pooling_stages_helpers,
)
from autograder.mistakes.receptive_fields import BRANCHES_IN_SEQUENCE, SHORTEST_PATH

pytestmark = pytest.mark.concept("receptive_fields")

SAMPLE_RATES = (16_000, 22_050, 32_000, 44_100, 48_000)


def ones_network(layers, x):
    """The layers as 1-D convolutions with all-ones kernels, applied to x of shape (1, 1, L)."""
    for kernel_size, stride, padding, dilation in layers:
        ones = torch.ones((1, 1, kernel_size), dtype=torch.float64)
        x = F.conv1d(x, ones, stride=stride, padding=padding, dilation=dilation)
    return x


def support(layers, length, output_index):
    """First and last input index whose value reaches output `output_index`."""
    x = torch.zeros((1, 1, length), dtype=torch.float64, requires_grad=True)
    ones_network(layers, x)[0, 0, output_index].backward()
    reached = torch.nonzero(x.grad[0, 0]).flatten()
    return int(reached.min()), int(reached.max())


def measured_field(layers):
    """(size, jump, start) read off the gradients of two neighbouring outputs in the middle."""
    length = 1000
    middle = ones_network(layers, torch.zeros((1, 1, length), dtype=torch.float64)).shape[-1] // 2
    first, last = support(layers, length, middle)
    next_first, _ = support(layers, length, middle + 1)
    jump = next_first - first
    return last - first + 1, jump, first - middle * jump


def closed_form_size(layers, dilated=True, padding_grows=False, own_stride=False, use_jump=True):
    """The size formula, or a mistaken version of it."""
    size, jump = 1, 1
    for kernel_size, stride, padding, dilation in layers:
        span = dilation * (kernel_size - 1) if dilated else kernel_size - 1
        if own_stride:
            jump *= stride
        size += (span + 2 * padding * padding_grows) * (jump if use_jump else 1)
        if not own_stride:
            jump *= stride
    return size


def jumps_before(layers):
    """J_l, the product of the strides of the layers before each layer."""
    return np.cumprod([1] + [stride for _, stride, _, _ in layers[:-1]])


def size_mistakes(layers):
    size = closed_form_size(layers)
    return [
        (KERNEL_SUM, sum(k for k, _, _, _ in layers)),
        (NO_JUMP, closed_form_size(layers, use_jump=False)),
        (JUMP_INCLUDES_OWN_STRIDE, closed_form_size(layers, own_stride=True)),
        (PADDING_GROWS, closed_form_size(layers, padding_grows=True)),
        (NO_DILATION, closed_form_size(layers, dilated=False)),
        (OFF_BY_ONE, size - 1),
        (OFF_BY_ONE, size + 1),
    ]


def jump_mistakes(layers):
    return [(SUM_OF_STRIDES, sum(s for _, s, _, _ in layers))]


def start_mistakes(layers):
    """What each known mistake gives as the start; one who works out the start from the field's
    middle or end with undilated kernels is off by half or all of the dilation's extra span."""
    extra = sum((d - 1) * (k - 1) * jump for (k, _, _, d), jump in zip(layers, jumps_before(layers)))
    start = -sum(p * jump for (_, _, p, _), jump in zip(layers, jumps_before(layers)))
    return [
        (START_IGNORES_PADDING, 0),
        (START_PADDING_UNSCALED, -sum(p for _, _, p, _ in layers)),
        (START_IGNORES_DILATION, start - extra / 2),
        (START_IGNORES_DILATION, start - extra),
    ]


def random_network(rng):
    """3 to 5 layers (kernel, stride, padding, dilation) on which every known mistake of the
    size, the jump and the start gives another answer than the truth and the other mistakes."""
    while True:
        n = int(rng.integers(3, 6))
        first = (int(rng.integers(1, 6)), 2, int(rng.integers(0, 3)), int(rng.choice([1, 2])))
        layers = [first] + [
            (int(rng.integers(1, 6)), int(rng.choice([1, 2])), int(rng.integers(0, 3)), int(rng.choice([1, 1, 2])))
            for _ in range(n - 1)
        ]
        truths = [closed_form_size(layers), int(np.prod([s for _, s, _, _ in layers])), int(-sum(p * j for (_, _, p, _), j in zip(layers, jumps_before(layers))))]
        groups = [size_mistakes(layers), jump_mistakes(layers), start_mistakes(layers)]
        if all(len({truth, *(answer for _, answer in group)}) == len(group) + 1 for truth, group in zip(truths, groups)):
            return layers


def field_of(student, layers):
    """The student's (size, jump, start), after checking it is a triple."""
    got = student.receptive_field([tuple(layer) for layer in layers])
    if type(got) not in (tuple, list) or len(got) != 3:
        raise CheckFailed("receptive_field should return a tuple (size, jump, start) of ints.")
    return got


def known(mistakes):
    return [Mistake(why, answer=answer) for why, answer in mistakes]


@pytest.mark.points(2)
def test_receptive_field_size_matches_autograd(student, rng):
    """receptive_field's size equals the span of inputs that reach one output, measured with autograd."""
    layers = random_network(rng)
    size, _, _ = measured_field(layers)
    expect_count(field_of(student, layers)[0], size, "receptive_field's size", mistakes=known(size_mistakes(layers)))


def test_receptive_field_jump_matches_autograd(student, rng):
    """receptive_field's jump equals the distance between the fields of neighbouring outputs."""
    layers = random_network(rng)
    _, jump, _ = measured_field(layers)
    expect_count(field_of(student, layers)[1], jump, "receptive_field's jump", mistakes=known(jump_mistakes(layers)))


def test_receptive_field_start_matches_autograd(student, rng):
    """receptive_field's start is where output 0's field begins, in the padding when negative."""
    layers = random_network(rng)
    _, _, start = measured_field(layers)
    expect_count(field_of(student, layers)[2], start, "receptive_field's start", mistakes=known(start_mistakes(layers)))


def as_pair(got, name):
    if type(got) not in (tuple, list) or len(got) != 2:
        raise CheckFailed(f"{name} should return a tuple of two floats.")
    return np.array([expect_float(value, name) for value in got])


def random_stft(rng):
    """(sample_rate, n_fft, hop_length) with the hop shorter than the frame."""
    n_fft = int(rng.choice([256, 400, 512, 1024, 2048]))
    return int(rng.choice(SAMPLE_RATES)), n_fft, int(rng.integers(n_fft // 8, n_fft))


def test_spectrogram_resolution_matches_torch(student, rng):
    """hz_per_bin equals the spacing of torch.fft.rfftfreq; frames_per_second is sample_rate / hop_length."""
    sample_rate, n_fft, hop = random_stft(rng)
    hz_per_bin = float(torch.fft.rfftfreq(n_fft, d=1.0 / sample_rate, dtype=torch.float64)[1])
    frames_per_second = sample_rate / hop
    expect_close(
        as_pair(student.spectrogram_resolution(sample_rate, n_fft, hop), "spectrogram_resolution"),
        np.array([hz_per_bin, frames_per_second]),
        "spectrogram_resolution",
        mistakes=[
            Mistake(HALF_BIN, answer=np.array([hz_per_bin / 2, frames_per_second])),
            Mistake(WINDOW_NOT_HOP, answer=np.array([hz_per_bin, sample_rate / n_fft])),
            Mistake(SWAPPED, answer=np.array([frames_per_second, hz_per_bin])),
        ],
    )


def samples_reached(n_frames, n_fft, hop):
    """How many samples reach the first n_frames frames of torch.stft (rectangular window)."""
    x = torch.tensor(np.random.default_rng(0).normal(size=(n_frames + 1) * hop + n_fft), requires_grad=True)
    frames = torch.stft(x, n_fft, hop, window=torch.ones(n_fft, dtype=torch.float64), center=False, return_complex=True)
    frames[:, :n_frames].abs().pow(2).sum().backward()
    reached = torch.nonzero(x.grad).flatten()
    return int(reached.max() - reached.min()) + 1


@pytest.mark.points(2)
def test_receptive_field_extent_matches_torch_stft(student, rng):
    """seconds is the span of samples that reach r frames of torch.stft; hz is r_bins bin widths."""
    sample_rate, n_fft, hop = random_stft(rng)
    rf_frames, rf_bins = (int(n) for n in rng.integers(2, 60, size=2))
    seconds = samples_reached(rf_frames, n_fft, hop) / sample_rate
    hz = rf_bins * float(torch.fft.rfftfreq(n_fft, d=1.0 / sample_rate, dtype=torch.float64)[1])
    extent = student.receptive_field_extent(rf_frames, rf_bins, sample_rate, n_fft, hop)
    expect_close(
        as_pair(extent, "receptive_field_extent"),
        np.array([seconds, hz]),
        "receptive_field_extent",
        mistakes=[
            Mistake(HOPS_ONLY, answer=np.array([rf_frames * hop / sample_rate, hz])),
            Mistake(WINDOWS_ONLY, answer=np.array([rf_frames * n_fft / sample_rate, hz])),
            Mistake(BIN_CENTRES, answer=np.array([seconds, hz * (rf_bins - 1) / rf_bins])),
            Mistake(HALF_BIN, answer=np.array([seconds, hz / 2])),
        ],
    )


WHOLE_SPAN = lambda frames, n_fft, hop: (frames - 1) * hop + n_fft  # noqa: E731


def stages_for(duration_s, sample_rate, n_fft, hop, frames_of_stages=lambda n: 5 * 2**n - 2, samples=WHOLE_SPAN):
    """The fewest stages n whose field of frames_of_stages(n) frames lasts duration_s, when r
    frames span samples(r, n_fft, hop) samples (a mistaken field or span gives a mistake's answer)."""
    n = 0
    while samples(frames_of_stages(n), n_fft, hop) / sample_rate < duration_s:
        n += 1
    return n


def geometry(layer):
    """(kernel_size, stride, padding, dilation) of a layer tuple of two to four ints."""
    kernel_size, stride, *rest = layer
    defaults = (0, 1)
    return (kernel_size, stride, *rest, *defaults[len(rest) :])


def ones_residual_network(items, x):
    """A network of layer tuples and residual blocks as all-ones 1-D convolutions, applied to x."""
    for item in items:
        if isinstance(item, dict):
            x = ones_residual_network(item["body"], x) + ones_residual_network(item.get("shortcut", []), x)
        else:
            x = ones_network([geometry(item)], x)
    return x


def measured(network, length=1000):
    """(size, jump, start) of `network` (a function of x of shape (1, 1, length)) read off
    the gradients of two neighbouring outputs in the middle."""
    middle = network(torch.zeros((1, 1, length), dtype=torch.float64)).shape[-1] // 2
    spans = []
    for index in (middle, middle + 1):
        x = torch.zeros((1, 1, length), dtype=torch.float64, requires_grad=True)
        network(x)[0, 0, index].backward()
        reached = torch.nonzero(x.grad[0, 0]).flatten()
        spans.append((int(reached.min()), int(reached.max())))
    jump = spans[1][0] - spans[0][0]
    return spans[0][1] - spans[0][0] + 1, jump, spans[0][0] - middle * jump


def flattened(items, sequence):
    """The network as one chain of layers, as a mistake sees it: each block as its body then
    its shortcut (sequence), or as its shortcut alone (the identity path only)."""
    chain = []
    for item in items:
        if isinstance(item, dict):
            chain += (flattened(item["body"], sequence) if sequence else []) + flattened(item.get("shortcut", []), sequence)
        else:
            chain.append(geometry(item))
    return chain


def same_padding_layer(rng):
    """A layer of stride 1 that keeps the length: odd kernel, padding d * (k - 1) / 2."""
    kernel_size, dilation = int(rng.choice([3, 5])), int(rng.choice([1, 2]))
    return (kernel_size, 1, dilation * (kernel_size - 1) // 2, dilation)


def random_residual_network(rng):
    """A stem with a stride and a padding, an identity block holding a nested block, a
    downsampling block with a stride-2 1 x 1 shortcut, and a closing layer: every kind of item."""
    nested = {"type": "residual", "body": [same_padding_layer(rng)]}
    identity = {"type": "residual", "body": [same_padding_layer(rng), nested, same_padding_layer(rng)][: int(rng.integers(2, 4))]}
    downsampling = {"type": "residual", "body": [(3, 2, 1), same_padding_layer(rng)], "shortcut": [(1, 2)]}
    stem = [(int(rng.choice([3, 5, 7])), 2, int(rng.integers(1, 4))), (2, 2)]
    return stem + [identity, downsampling, (int(rng.integers(2, 4)), 1, int(rng.integers(0, 2)))]


@pytest.mark.points(2)
def test_network_receptive_field_matches_autograd(student, rng):
    """network_receptive_field equals the field measured with autograd through a network with residual blocks."""
    items = random_residual_network(rng)
    expected = measured(lambda x: ones_residual_network(items, x))
    got = student.network_receptive_field(items)
    if type(got) not in (tuple, list) or len(got) != 3:
        raise CheckFailed("network_receptive_field should return a tuple (size, jump, start) of ints.")
    mistaken = {
        SHORTEST_PATH: measured_field(flattened(items, sequence=False)),
        BRANCHES_IN_SEQUENCE: measured_field(flattened(items, sequence=True)),
    }
    # Every part is compared: a mistake shows in the part it changes (a shortcut run after the
    # body changes the jump; the size may agree by chance), so its name comes from any part.
    wrong = []
    for position, name in enumerate(("size", "jump", "start")):
        known = [Mistake(why, answer=triple[position]) for why, triple in mistaken.items() if triple[position] != expected[position]]
        try:
            expect_count(got[position], expected[position], f"network_receptive_field's {name}", mistakes=known)
        except CheckFailed as failure:
            wrong.append(failure)
    if wrong:
        raise next((failure for failure in wrong if failure.mistake), wrong[0])


def test_pooling_stages_needed_matches_the_closed_form(student, rng):
    """pooling_stages_needed is the fewest stages whose field of 5 * 2 ** n - 2 frames lasts the call;
    a call on which every known mistake, in it or in its helpers, gives another answer."""
    while True:
        sample_rate, n_fft, hop = random_stft(rng)
        call = (float(rng.uniform(0.2, 3.0)), sample_rate, n_fft, hop)
        expected = stages_for(*call)
        wrong = {
            NO_JUMP: stages_for(*call, frames_of_stages=lambda n: 3 + 3 * n),
            KERNEL_SUM: stages_for(*call, frames_of_stages=lambda n: 3 + 5 * n),
            WINDOWS_ONLY: stages_for(*call, samples=lambda frames, n_fft, hop: frames * n_fft),
        }
        in_helpers = [
            stages_for(*call, frames_of_stages=lambda n: 5 * 2**n - 3),
            stages_for(*call, samples=lambda frames, n_fft, hop: frames * hop),
        ]
        if len({expected, *wrong.values()}) == 4 and expected not in in_helpers:
            break
    mistakes = [Mistake(why, answer=n) for why, n in wrong.items()]
    fields = [5 * 2**n - 2 for n in range(expected + 2)]
    with helpers_first("pooling_stages_needed", pooling_stages_helpers(student, *call[1:], fields)):
        expect_count(student.pooling_stages_needed(*call), expected, "pooling_stages_needed", mistakes=mistakes)
