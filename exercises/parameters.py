"""Counting parameters: how many numbers a network learns, layer by layer.

A dense layer connects every input to every unit; a convolutional layer shares one small
kernel over every position of the input, so its count does not depend on the image size.
The lecture's example: an image of 128 x 128 x 3 and 100 kernels of 5 x 5 x 3 need
(5 * 5 * 3 + 1) * 100 = 7,600 parameters, while a dense layer of 100 units on the same
image needs (128 * 128 * 3) * 100 + 100 = 4,915,300, and one of 1,000 units 49,153,000.

A network is written as a list of layer specs: dicts with a "type" and torch's keyword
names, so that each spec is one torch layer (`layer_table` documents every type).
Shapes are (C, H, W) without the batch axis; counts are Python ints.
"""

import math


def pair(value):
    """(value, value) for an int, or the pair itself: torch's kernel_size=3 means 3 x 3."""
    if isinstance(value, int):
        return (value, value)
    return tuple(value)


def dense_params(n_in, n_out, bias=True):
    """Number of parameters of a dense (fully-connected, torch's nn.Linear) layer.

    Every one of the n_out units has a weight for each of the n_in inputs, plus one bias.

    Inputs:
    - n_in: int, number of input features (for an image: C * H * W)
    - n_out: int, number of units
    - bias: bool, whether each unit has a bias

    Returns:
    - count: int, n_in * n_out + n_out (without the + n_out when bias is False)
    """
    # Hint: a weight matrix of shape (n_out, n_in) and a bias vector of shape (n_out,).
    # YOUR CODE HERE
    raise NotImplementedError()
    return count


def conv2d_params(in_channels, out_channels, kernel_size, bias=True, groups=1):
    """Number of parameters of a 2-D convolutional layer (torch's nn.Conv2d).

    Each of the out_channels kernels spans the whole input depth ("for every filter:
    5 x 5 x 3 + 1 = 76 parameters"), and is shared over every position, so the image size
    does not appear. With groups g, the input channels are split into g groups and each
    kernel sees only in_channels // g of them.

    Inputs:
    - in_channels: int C, the input depth (divisible by groups)
    - out_channels: int F, the number of kernels (divisible by groups)
    - kernel_size: int k for k x k kernels, or a pair (kh, kw)
    - bias: bool, whether each kernel has a bias
    - groups: int g >= 1

    Returns:
    - count: int, F * (C // g) * kh * kw + F (without the + F when bias is False)
    """
    # Hint: pair(kernel_size) gives (kh, kw) for an int or a pair.
    # YOUR CODE HERE
    raise NotImplementedError()
    return count


def output_size(size, kernel_size, stride, padding=0, dilation=1):
    """Output length along one axis of a convolution or pooling window (torch's floor rule).

    Inputs:
    - size: int, input length along the axis
    - kernel_size, stride, padding (zeros added on EACH side), dilation: ints

    Returns:
    - length: int, (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1
    """
    # Hint: the dilated kernel spans dilation * (kernel_size - 1) + 1 inputs.
    # YOUR CODE HERE
    raise NotImplementedError()
    return length


def window_output_shape(layer, shape, default_stride):
    """Output shape (C', H', W') of a conv2d, maxpool2d or avgpool2d spec on input (C, H, W).

    Inputs:
    - layer: dict with "kernel_size" and optional "stride" (else default_stride),
      "padding" (0) and "dilation" (1), each an int or a pair (height, width);
      a conv2d also has "out_channels", which replaces C
    - shape: tuple (C, H, W) of ints
    - default_stride: int or pair, the stride when the spec has none

    Returns:
    - shape: tuple (C', H', W') of ints, each axis by output_size
    """
    channels, *spatial = shape
    # Hint: zip the (height, width) pairs and call output_size once per axis.
    # YOUR CODE HERE
    raise NotImplementedError()
    return (layer.get("out_channels", channels),) + sizes


def layer_output_shape(layer, shape):
    """The shape one layer spec makes of its input shape (see layer_table for the types).

    Inputs:
    - layer: dict, one layer spec
    - shape: tuple of ints, the input shape, (C, H, W) or (features,) after a flatten

    Returns:
    - shape: tuple of ints, the output shape
    """
    # Hint: a pool's stride defaults to its kernel_size, a conv's to 1; a residual block
    # has the output shape of its body.
    # YOUR CODE HERE
    raise NotImplementedError()


def layer_parameters(layer, shape):
    """Number of learned parameters of one layer spec on an input of the given shape.

    Inputs:
    - layer: dict, one layer spec
    - shape: tuple of ints, the layer's INPUT shape

    Returns:
    - count: int; 0 for layers that learn nothing (pools, relu, flatten, dropout)
    """
    # Hint: batchnorm2d learns a scale and a shift per channel; its running mean and
    # variance are statistics (torch buffers), not parameters.
    # YOUR CODE HERE
    raise NotImplementedError()


def layer_table(layers, input_shape):
    """Walk through a network spec, tracking the shape, like torchinfo's summary.

    Layer types, with torch's keyword names (optional keys and their defaults in brackets):
    - {"type": "conv2d", "out_channels": F, "kernel_size": k, ["stride": 1, "padding": 0,
      "dilation": 1, "groups": 1, "bias": True]}; kernel_size, stride, padding and
      dilation are ints or (height, width) pairs; padding is per side
    - {"type": "maxpool2d" or "avgpool2d", "kernel_size": k, ["stride": k, "padding": 0]}
    - {"type": "adaptiveavgpool2d", "output_size": int or pair}: (C, H, W) -> (C, oh, ow)
    - {"type": "relu"}, {"type": "dropout", ["p": 0.5]}, {"type": "batchnorm2d"}
    - {"type": "flatten"}: (C, H, W) -> (C * H * W,)
    - {"type": "dense", "out_features": n, ["bias": True]}, on a flattened input
    - {"type": "residual", "body": [specs], ["shortcut": [specs]]}: out = body(x) + shortcut(x),
      where an empty or missing shortcut is the identity (ResNet's skip connection)

    Inputs:
    - layers: list of layer spec dicts (not modified)
    - input_shape: tuple (C, H, W) of ints, one example without the batch axis

    Returns:
    - rows: list with one tuple (type, output_shape, parameters) per layer, where type
      is the spec's "type" (str), output_shape a tuple of ints and parameters an int
    """
    # Hint: a layer's parameters depend on its input shape, so count them before you
    # move the shape on.
    # YOUR CODE HERE
    raise NotImplementedError()
    return rows


def count_parameters(layers, input_shape):
    """Total number of learned parameters of a network spec (torch's sum of p.numel()).

    Inputs:
    - layers: list of layer spec dicts, as for layer_table
    - input_shape: tuple (C, H, W) of ints

    Returns:
    - total: int, the sum of the parameters column of layer_table(layers, input_shape)
    """
    # Hint: reuse layer_table.
    # YOUR CODE HERE
    raise NotImplementedError()
    return total


def count_running_statistics(layers, input_shape):
    """Total number of running statistics of a network spec: numbers it keeps but does not learn.

    A batchnorm2d layer on C channels learns 2 * C parameters (a scale gamma and a shift beta
    per channel, counted by layer_table) and keeps 2 * C running statistics beside them (a
    running mean and a running variance per channel, torch's buffers running_mean and
    running_var), which training updates by averaging, not by gradient descent. Its third
    buffer, num_batches_tracked, is a counter, not a statistic. No other layer type keeps any;
    a residual block keeps those of its body and its shortcut.

    Inputs:
    - layers: list of layer spec dicts, as for layer_table
    - input_shape: tuple (C, H, W) of ints

    Returns:
    - total: int, 2 * C summed over every batchnorm2d layer, C being its input's channels
    """
    # Hint: walk the layers tracking the shape (layer_output_shape); recurse into a residual
    # block's body and shortcut.
    # YOUR CODE HERE
    raise NotImplementedError()
    return total
