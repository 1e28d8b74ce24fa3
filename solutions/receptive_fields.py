"""Receptive fields: which inputs a neuron can see, in pixels, frames, seconds and hertz.

"The subset of input features whose values affect that neuron's value." One axis at a
time: a layer with kernel k (dilated to d * (k - 1) + 1) and stride s, on top of layers
whose strides multiply to a jump J, widens the field by (k - 1) * J inputs; padding moves
the field (into the padding) but never enlarges it. On a spectrogram, a field of r frames
and b bins covers ((r - 1) * hop + n_fft) / sample_rate seconds and b * sample_rate / n_fft Hz.

The lecture's least bittern: a 0.5 s "coo" at 500-600 Hz, recorded at 44.1 kHz, in a
spectrogram of 1024-sample frames with hop 512, seen by 3x3 conv -> 2x2 max-pool -> 3x3 conv.
"""


def layer_geometry(layer):
    """(kernel_size, stride, padding, dilation) of a layer tuple, with padding 0 and dilation 1
    when the tuple leaves them out: (3, 1) is a 3-wide layer of stride 1."""
    kernel_size, stride, *rest = layer
    padding = rest[0] if len(rest) > 0 else 0
    dilation = rest[1] if len(rest) > 1 else 1
    return kernel_size, stride, padding, dilation


def receptive_field(layers):
    """Receptive field of one output of a stack of layers, along one axis (Araujo et al., 2019).

    Convolutions and poolings are alike here: each is a window with a size and a stride.
    With J_l the product of the strides of the layers BEFORE layer l (1 for the first):
        size  = 1 + sum over l of (d_l * (k_l - 1)) * J_l
        jump  = product of all strides (the distance, in inputs, between neighbouring outputs)
        start = -(sum over l of p_l * J_l)
    Output j sees the inputs start + j * jump ... start + j * jump + size - 1 (a negative
    index lies in the padding).

    Inputs:
    - layers: list of tuples (kernel_size, stride[, padding[, dilation]]) of ints, input first

    Returns:
    - (size, jump, start): ints; size and jump >= 1, start <= 0
    """
    # Hint: walk the layers from the input, keeping the jump of the layers seen so far.
    ### BEGIN SOLUTION
    size, jump, start = 1, 1, 0
    for layer in layers:
        kernel_size, stride, padding, dilation = layer_geometry(layer)
        size += dilation * (kernel_size - 1) * jump
        start -= padding * jump
        jump *= stride
    ### END SOLUTION
    return size, jump, start


def spectrogram_resolution(sample_rate, n_fft, hop_length):
    """Frequency and time resolution of a short-time Fourier transform (STFT).

    Bin b of an n_fft-point FFT sits at b * sample_rate / n_fft Hz (n_fft // 2 + 1 bins
    from 0 Hz to the Nyquist frequency); a new frame starts every hop_length samples.

    Inputs:
    - sample_rate: float, samples per second (Hz)
    - n_fft: int, frame (window) length in samples
    - hop_length: int, samples between the starts of neighbouring frames

    Returns:
    - (hz_per_bin, frames_per_second): floats, sample_rate / n_fft and sample_rate / hop_length
    """
    # Hint: the frame length sets the frequency resolution, the hop the frame rate.
    ### BEGIN SOLUTION
    hz_per_bin = sample_rate / n_fft
    frames_per_second = sample_rate / hop_length
    ### END SOLUTION
    return float(hz_per_bin), float(frames_per_second)


def receptive_field_extent(rf_frames, rf_bins, sample_rate, n_fft, hop_length):
    """A receptive field on a spectrogram, in seconds and hertz.

    r consecutive frames start r - 1 hops apart and the last one still lasts a whole
    window, so they cover (r - 1) * hop_length + n_fft samples; b bins cover b bin widths.

    Inputs:
    - rf_frames: int, receptive field along time, in frames
    - rf_bins: int, receptive field along frequency, in bins
    - sample_rate: float, Hz
    - n_fft, hop_length: ints, in samples

    Returns:
    - (seconds, hz): floats, ((rf_frames - 1) * hop_length + n_fft) / sample_rate and
      rf_bins * sample_rate / n_fft
    """
    # Hint: count samples first, then divide by the sample rate.
    ### BEGIN SOLUTION
    seconds = ((rf_frames - 1) * hop_length + n_fft) / sample_rate
    hz = rf_bins * sample_rate / n_fft
    ### END SOLUTION
    return float(seconds), float(hz)


def pooling_stages_needed(duration_s, sample_rate, n_fft, hop_length):
    """How many 2x2 max-pool -> 3x3 conv stages a 3x3 conv needs to see a whole call.

    The network is 3x3 conv, then n stages of (2x2 max-pool with stride 2 -> 3x3 conv), all
    without padding; n = 1 is the lecture's network. Find the smallest n whose receptive
    field along time covers duration_s seconds.

    Inputs:
    - duration_s: float, length of the sound to see whole, in seconds
    - sample_rate: float, Hz
    - n_fft, hop_length: ints, in samples

    Returns:
    - n: int >= 0, the number of pooling stages
    """
    # Hint: grow the layer list one stage at a time; receptive_field and
    # receptive_field_extent do the arithmetic.
    ### BEGIN SOLUTION
    n, layers = 0, [(3, 1)]
    while receptive_field_extent(receptive_field(layers)[0], 1, sample_rate, n_fft, hop_length)[0] < duration_s:
        n += 1
        layers += [(2, 2), (3, 1)]
    ### END SOLUTION
    return n


def network_receptive_field(layers):
    """Receptive field of one output of a network with residual blocks, along one axis.

    A network is a list whose items are layers, tuples (kernel_size, stride[, padding[,
    dilation]]) as for receptive_field, or residual blocks, dicts in the spirit of the
    layer specs of parameter counting:
        {"type": "residual", "body": [items], "shortcut": [items]}
    with out = body(x) + shortcut(x); a missing or empty shortcut is the identity, and the
    items of a body or shortcut may be residual blocks themselves. Both branches must have
    the same jump, so that their outputs line up.

    An output of a block sees what either branch sees: the union of the two fields, which
    is the field of the longer path (a ResNet's field is that of its path through every
    body; the identity path alone sees much less). Within a block, a branch's field is
    measured from the block's input as (size, jump, start) as usual; a block then widens
    the field like a layer of kernel_size = size, stride = jump and padding = -start.

    Inputs:
    - layers: list of layer tuples and residual block dicts, input first

    Returns:
    - (size, jump, start): ints, as receptive_field returns them
    """
    # Hint: walk the items as receptive_field walks its layers; for a block, first find the
    # field of each branch from the block's input (recursively), then their union: the
    # earlier start and the later end (start + size - 1).
    ### BEGIN SOLUTION
    size, jump, start = 1, 1, 0
    for item in layers:
        if isinstance(item, dict):
            branches = [network_receptive_field(item["body"]), network_receptive_field(item.get("shortcut", []))]
            if branches[0][1] != branches[1][1]:
                raise ValueError("the body and the shortcut of a residual block must have the same stride")
            first = min(branch_start for _, _, branch_start in branches)
            last = max(branch_start + branch_size - 1 for branch_size, _, branch_start in branches)
            kernel_size, stride, padding, dilation = last - first + 1, branches[0][1], -first, 1
        else:
            kernel_size, stride, padding, dilation = layer_geometry(item)
        size += dilation * (kernel_size - 1) * jump
        start -= padding * jump
        jump *= stride
    ### END SOLUTION
    return size, jump, start
