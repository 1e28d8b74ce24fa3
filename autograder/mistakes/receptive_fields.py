"""Known mistakes in receptive fields and spectrogram resolution, and the helpers a wrong
number of pooling stages may come from (checked first, so the feedback blames the right function)."""

from autograder.compare import expect_close, expect_count

NO_JUMP = "it ignores the jump of a stride: after a stride-s layer, each step of a later kernel moves s inputs, so (k - 1) is multiplied by the product of the earlier strides."
KERNEL_SUM = "that is the sum of the kernel sizes; each layer adds (k - 1) times the jump, not k."
JUMP_INCLUDES_OWN_STRIDE = "a layer's own stride does not widen its own window: multiply (k - 1) by the strides of the layers before it only."
PADDING_GROWS = "padding does not enlarge the receptive field; it only moves it (into the padding)."
NO_DILATION = "a dilated kernel spans d * (k - 1) + 1 inputs, not k."
SUM_OF_STRIDES = "the jump is the product of the strides, not their sum."
START_IGNORES_PADDING = "padding moves the field: output 0 starts p inputs into the padding, so start is negative."
START_PADDING_UNSCALED = "each layer's padding counts in that layer's input steps, so multiply it by the jump before the layer."
SHORTEST_PATH = "that is the field of the identity path alone; an output of a residual block also sees what its body sees, so the field follows the longest path."
BRANCHES_IN_SEQUENCE = "the shortcut runs beside the body, not after it: a block's field is the union of the fields of its two branches."
HALF_BIN = "that is sample_rate / (2 * n_fft); the n_fft // 2 + 1 bins are sample_rate / n_fft apart."
WINDOW_NOT_HOP = "frames follow each other every hop_length samples, not every n_fft: the frame rate is sample_rate / hop_length."
SWAPPED = "the two values are swapped: (hz_per_bin, frames_per_second)."
HOPS_ONLY = "r frames span (r - 1) hops plus one whole window: ((r - 1) * hop_length + n_fft) samples, not r * hop_length."
WINDOWS_ONLY = "frames overlap: r frames span (r - 1) * hop_length + n_fft samples, not r * n_fft."
BIN_CENTRES = "b bins cover b bin widths (b * sample_rate / n_fft), not the (b - 1) widths between the outer bin centres."
OFF_BY_ONE = "it is one off: with no layers an output sees 1 input, and each layer adds d * (k - 1) * J inputs, so size = 1 + the sum over the layers."
START_IGNORES_DILATION = "the start ignores the dilation: worked out from the field's middle or end it needs each kernel's dilated span d * (k - 1) + 1 (start = -(sum of p_l * J_l) needs no kernel at all)."


def stage_layers(stages: int) -> list[tuple[int, int]]:
    """The network of pooling_stages_needed: a 3x3 conv, then `stages` of 2x2 max-pool -> 3x3 conv."""
    return [(3, 1)] + [(2, 2), (3, 1)] * stages


def pooling_stages_helpers(student, sample_rate, n_fft, hop_length, fields: list[int]) -> dict:
    """The checks of receptive_field and receptive_field_extent on what pooling_stages_needed
    hands them while it grows its network stage by stage: fields[n] is the field of n stages."""

    def sizes():
        for n, size in enumerate(fields):
            expect_count(student.receptive_field(stage_layers(n))[0], size, "receptive_field")

    def extents():
        for frames in fields:
            seconds = student.receptive_field_extent(frames, 1, sample_rate, n_fft, hop_length)[0]
            expect_close(seconds, ((frames - 1) * hop_length + n_fft) / sample_rate, "receptive_field_extent")

    return {"receptive_field": sizes, "receptive_field_extent": extents}
