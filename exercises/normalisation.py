"""Batch norm, dropout and residual connections: more of the lecture's "stabilising training".

Batch normalisation standardises each channel of a layer's input over the batch and then
rescales it with two learned numbers per channel, so the next layer sees inputs of a steady
size however the earlier layers change. Dropout sets a random part of the activations to zero
while training, so no unit can rely on any one other. A residual block adds its input to
its output, out = x + F(x), so the gradient has a path back that no layer can shrink.
Arrays are float64 numpy, images NCHW as in torch; parameters follow torch's names.
"""

import numpy as np


def batchnorm_forward(x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5, training=True):
    """Batch normalisation of images, per channel, as torch.nn.functional.batch_norm.

    Training: each channel c is standardised with the mean and variance of its N * H * W
    values in this batch (the biased variance, dividing by m = N * H * W),
        out = gamma[c] * (x - mean[c]) / sqrt(var[c] + eps) + beta[c],
    and the running statistics move towards the batch's, as torch moves them:
        new_running_mean = (1 - momentum) * running_mean + momentum * mean
        new_running_var = (1 - momentum) * running_var + momentum * var * m / (m - 1)
    (the running variance takes the unbiased estimate). Evaluation: the running statistics
    stand in for the batch's, and they are returned unchanged.

    Inputs:
    - x: float64 array of shape (N, C, H, W)
    - gamma, beta: float64 arrays of shape (C,), the learned scale and shift
    - running_mean, running_var: float64 arrays of shape (C,) (left unchanged)
    - momentum: float in (0, 1], how far one batch moves the running statistics
    - eps: float > 0, added to the variance inside the square root
    - training: bool, True to use (and learn from) the batch's statistics

    Returns a tuple of:
    - out: float64 array of shape (N, C, H, W)
    - new_running_mean, new_running_var: new float64 arrays of shape (C,)
    """
    per_channel = (slice(None), None, None)  # (C,) -> (C, 1, 1), to broadcast over H and W
    # Hint: x.mean(axis=(0, 2, 3)) and x.var(axis=(0, 2, 3)) give one number per channel;
    # index them with [per_channel] to broadcast against x.
    # YOUR CODE HERE
    raise NotImplementedError()
    return out, new_running_mean, new_running_var


def batchnorm_backward(dout, x, gamma, eps=1e-5):
    """Backward pass of batchnorm_forward in training mode: the gradients from dL/dout.

    Every output of a channel depends on every input of that channel, through the batch's
    mean and variance as well as directly. With x_hat = (x - mean) / sqrt(var + eps) and
    means taken over the channel's m = N * H * W values:
        dbeta = sum of dout,  dgamma = sum of dout * x_hat       (per channel)
        dx = gamma / sqrt(var + eps) * (dout - mean(dout) - x_hat * mean(dout * x_hat))
    The last two terms are the paths through the mean and through the variance.

    Inputs:
    - dout: float64 array of shape (N, C, H, W), dL/dout
    - x: float64 array of shape (N, C, H, W), the forward input
    - gamma: float64 array of shape (C,)
    - eps: float > 0, as in the forward pass

    Returns a tuple of:
    - dx: float64 array of shape (N, C, H, W)
    - dgamma, dbeta: float64 arrays of shape (C,)
    """
    axes = (0, 2, 3)
    # Hint: recompute x_hat as in the forward pass; keepdims=True keeps the per-channel
    # means broadcastable against (N, C, H, W).
    # YOUR CODE HERE
    raise NotImplementedError()
    return dx, dgamma, dbeta


def dropout_forward(x, p, training, rng):
    """Inverted dropout, as torch.nn.functional.dropout.

    Training: each entry is dropped (set to 0) with probability p, independently, and the
    entries kept are divided by 1 - p, so that every entry keeps its expected value and
    nothing needs rescaling at evaluation. Draw the random numbers from `rng`, and only
    from it: the same generator state gives the same mask. Evaluation: out equals x.

    Inputs:
    - x: float64 array, any shape
    - p: float in [0, 1), the probability of dropping an entry (torch's p, not keep)
    - training: bool
    - rng: numpy.random.Generator

    Returns a tuple of:
    - out: float64 array shaped like x
    - cache: what dropout_backward needs to reuse this pass's mask (here the mask itself:
      a float64 array shaped like x, 0 where dropped and 1 / (1 - p) where kept)
    """
    # Hint: rng.random(x.shape) >= p is True with probability 1 - p.
    # YOUR CODE HERE
    raise NotImplementedError()
    return out, cache


def dropout_backward(dout, cache):
    """Backward pass of dropout_forward: the gradient flows only where the entry was kept.

    out = x * mask, so dx = dout * mask, with the very mask the forward pass drew.

    Inputs:
    - dout: float64 array shaped like the forward's x, dL/dout
    - cache: what dropout_forward returned with that output

    Returns:
    - dx: float64 array shaped like dout
    """
    # Hint: one product; draw nothing new.
    # YOUR CODE HERE
    raise NotImplementedError()
    return dx


def residual_block_forward(x, w, b):
    """A residual block with one dense layer: out = x + relu(x @ w.T + b).

    The block learns only the change F(x) = relu(x @ w.T + b) to its input; the identity
    path carries x through untouched. (A ResNet's F is a few convolutions; the idea is the same.)

    Inputs:
    - x: float64 array of shape (N, D)
    - w: float64 array of shape (D, D), as torch's nn.Linear(D, D).weight
    - b: float64 array of shape (D,)

    Returns:
    - out: float64 array of shape (N, D)
    """
    # Hint: np.maximum(0, ...) is the ReLU.
    # YOUR CODE HERE
    raise NotImplementedError()
    return out


def residual_gradient_norms(x, weights, biases, residual=True):
    """How large the gradient is at every depth of a stack of L blocks.

    The stack is h_0 = x and h_l = block_l(h_{l-1}) for l = 1 .. L, each block residual,
    h + relu(h @ w.T + b), or plain, relu(h @ w.T + b). Backpropagate the loss
    sum(h_L) (so dL/dh_L is all ones) down to x, and return the norm of dL/dh_l at each
    depth. In a deep plain stack these norms shrink towards the input; the identity path
    of a residual stack passes dL/dh_l on unchanged and adds the block's part to it.

    Inputs:
    - x: float64 array of shape (N, D)
    - weights: list of L float64 arrays of shape (D, D)
    - biases: list of L float64 arrays of shape (D,)
    - residual: bool, True for residual blocks, False for plain ones

    Returns:
    - norms: float64 array of shape (L + 1,); norms[l] = np.linalg.norm(dL/dh_l), from
      the input (l = 0) to the output (l = L, where it is sqrt(N * D))
    """
    # Hint: keep each block's pre-activation z = h @ w.T + b on the way up; on the way down,
    # relu passes the gradient where z > 0, the dense layer multiplies it by w, and a
    # residual block adds the gradient arriving from above.
    # YOUR CODE HERE
    raise NotImplementedError()
    return norms
