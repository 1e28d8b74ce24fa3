"""Typical CNN architectures for audio: classify a spectrogram, each column, or each pixel.

The lecture's quick tour treats a spectrogram "as if it was an image": a 2-D real-valued
matrix of F frequency bins by T frames, given to torch as a tensor of shape (N, 1, F, T).
What changes between the three tasks is only what the network keeps at its end:

(1) classify a spectrogram (genre, speaker, species): pool over frequency and time, one
    score per class for the whole clip, shape (N, n_classes);
(2) classify each column (speech recognition, pitch tracking): pool over frequency only,
    a score per class for every frame, shape (N, n_classes, T);
(3) classify each pixel (acoustic events, source separation): pool over nothing, a score
    per class for every time-frequency bin, shape (N, n_classes, F, T).

A network built only from convolutions, pooling and *global* or *adaptive* pooling works
for any F and T; a dense layer after flattening works for one input size only.
Everything here is float32 torch, as torch's layers are by default.
"""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def conv_block(in_channels, out_channels, dilation=1):
    """A 3 x 3 convolution that keeps the input's size, then batch norm and ReLU.

    Padding of `dilation` on each side keeps F and T: (F + 2 * d - d * (3 - 1) - 1) // 1 + 1 = F.

    Inputs:
    - in_channels, out_channels: int
    - dilation: int d, the spacing of the kernel's taps (1 for an ordinary 3 x 3 kernel)

    Returns:
    - layers: list of nn.Module, mapping (N, in_channels, F, T) to (N, out_channels, F, T)
    """
    return [
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=dilation, dilation=dilation),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
    ]


def clip_classifier(n_classes):
    """(1) Classify a spectrogram: one score per class for the whole clip.

    Four stages of conv_block -> 2 x 2 max-pool give a receptive field of 46 frames, about
    0.5 s with the lecture's settings (the least bittern needs 4 pooling stages), then a
    1 x 1 convolution scores each class at each place and a global max-pool keeps each
    class's best place: "is there a call anywhere in the clip?".

    Inputs:
    - n_classes: int

    Returns:
    - net: nn.Module mapping float32 x of shape (N, 1, F, T), any F, T >= 16, to
      float32 scores (logits) of shape (N, n_classes)
    """
    # Hint: nn.AdaptiveMaxPool2d(1) pools whatever size is left to 1 x 1; nn.Flatten()
    # then turns (N, n_classes, 1, 1) into (N, n_classes). Never an nn.Linear on a flattened map.
    ### BEGIN SOLUTION
    net = nn.Sequential(
        *conv_block(1, 4), nn.MaxPool2d(2),
        *conv_block(4, 8), nn.MaxPool2d(2),
        *conv_block(8, 16), nn.MaxPool2d(2),
        *conv_block(16, 16), nn.MaxPool2d(2),
        nn.Conv2d(16, n_classes, kernel_size=1),
        nn.AdaptiveMaxPool2d(1),
        nn.Flatten(),
    )  # fmt: skip
    ### END SOLUTION
    return net


def frame_classifier(n_classes):
    """(2) Classify each column of a spectrogram: one score per class for every frame.

    Pool over frequency only (2 x 1 windows), never over time, so every frame keeps its
    own output; at the end, a max over whatever frequency is left and a 1 x 1 convolution.
    Each frame's scores come from the frames around it (its receptive field), never from
    the whole clip.

    Inputs:
    - n_classes: int

    Returns:
    - net: nn.Module mapping float32 x of shape (N, 1, F, T), any F, T >= 16, to
      float32 scores of shape (N, n_classes, T)
    """
    # Hint: nn.MaxPool2d((2, 1)) halves F and keeps T; nn.AdaptiveMaxPool2d((1, None))
    # pools F to 1 and leaves T alone; nn.Flatten(2) drops that axis of size 1.
    ### BEGIN SOLUTION
    net = nn.Sequential(
        *conv_block(1, 16), nn.MaxPool2d((2, 1)),
        *conv_block(16, 32), nn.MaxPool2d((2, 1)),
        *conv_block(32, 32),
        nn.AdaptiveMaxPool2d((1, None)),
        nn.Conv2d(32, n_classes, kernel_size=1),
        nn.Flatten(2),
    )  # fmt: skip
    ### END SOLUTION
    return net


def pixel_classifier(n_classes):
    """(3) Classify each pixel of a spectrogram: one score per class for every bin and frame.

    No pooling at all: convolutions that keep the size, with growing dilation (1, 2, 4)
    so the receptive field grows (3, 7, 15 pixels) without losing resolution, then a
    1 x 1 convolution that scores every pixel.

    Inputs:
    - n_classes: int

    Returns:
    - net: nn.Module mapping float32 x of shape (N, 1, F, T), any F, T >= 16, to
      float32 scores of shape (N, n_classes, F, T)
    """
    # Hint: conv_block(c_in, c_out, dilation=d) keeps F and T for every d.
    ### BEGIN SOLUTION
    net = nn.Sequential(
        *conv_block(1, 16),
        *conv_block(16, 16, dilation=2),
        *conv_block(16, 16, dilation=4),
        nn.Conv2d(16, n_classes, kernel_size=1),
    )
    ### END SOLUTION
    return net


EPOCHS = 10
BATCH_SIZE = 32
LEARNING_RATE = 1e-2
VALIDATION_FRACTION = 0.2


def train_detector(X, y, seed):
    """Train a small CNN that finds a least-bittern coo in a spectrogram.

    The data come from autograder.data.bittern: make_clips(n, seed) gives spectrograms
    of 1 s clips (32 bins of 43 Hz, 87 frames) and labels, 1 where a clip holds a coo of
    about 0.5 s at 500-600 Hz. Hold out a validation part of (X, y), train with Adam and
    binary cross-entropy on the rest, and keep the weights of the epoch with the lowest
    validation loss, so the model does not overfit. The same seed must give the same model.

    Inputs:
    - X: float32 array of shape (N, 1, F, T), log-power spectrograms, any F, T >= 16
      (the bittern's are 32 x 87); never changed
    - y: int64 array of shape (N,), labels in {0, 1}; never changed
    - seed: int, for the weights, the validation split and the batches

    Returns:
    - model: nn.Module in eval mode, mapping float32 x of shape (M, 1, F, T) to
      float32 scores of shape (M,): the logit of "this clip holds a coo"
    """
    # Hint: nn.Sequential(clip_classifier(1), nn.Flatten(0)) gives one logit per clip;
    # torch.manual_seed(seed) fixes the initial weights.
    ### BEGIN SOLUTION
    torch.manual_seed(seed)
    x = torch.from_numpy(np.array(X, dtype=np.float32))
    t = torch.from_numpy(np.array(y, dtype=np.float32))
    order = torch.randperm(len(x))
    n_val = int(VALIDATION_FRACTION * len(x))
    val, train = order[:n_val], order[n_val:]
    model = nn.Sequential(clip_classifier(1), nn.Flatten(0))
    optimiser = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    best_loss, best_state = float("inf"), None
    for _ in range(EPOCHS):
        train_one_epoch(model, optimiser, x[train], t[train])
        loss = validation_loss(model, x[val], t[val])
        if loss < best_loss:
            best_loss, best_state = loss, {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    ### END SOLUTION
    return model.eval()


def train_one_epoch(model, optimiser, x, t):
    """One pass over (x, t) in shuffled minibatches of BATCH_SIZE, one Adam step each.

    Inputs:
    - model: nn.Module mapping (B, 1, F, T) to logits of shape (B,)
    - optimiser: torch.optim.Optimizer over model's parameters
    - x: float32 tensor of shape (N, 1, F, T)
    - t: float32 tensor of shape (N,), targets in {0, 1}
    """
    # Hint: model.train() first (batch norm uses the batch's statistics), then for each
    # batch: loss, optimiser.zero_grad(), loss.backward(), optimiser.step().
    ### BEGIN SOLUTION
    model.train()
    for batch in torch.randperm(len(x)).split(BATCH_SIZE):
        loss = F.binary_cross_entropy_with_logits(model(x[batch]), t[batch])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    ### END SOLUTION


def validation_loss(model, x, t):
    """Mean binary cross-entropy of the model's logits on held-out data, in eval mode.

    Inputs:
    - model: nn.Module mapping (N, 1, F, T) to logits of shape (N,)
    - x: float32 tensor of shape (N, 1, F, T)
    - t: float32 tensor of shape (N,), targets in {0, 1}

    Returns:
    - loss: float, >= 0
    """
    # Hint: model.eval() and torch.no_grad(): no dropout, batch norm's running statistics, no graph.
    ### BEGIN SOLUTION
    model.eval()
    with torch.no_grad():
        loss = F.binary_cross_entropy_with_logits(model(x), t).item()
    ### END SOLUTION
    return loss
