"""A CNN is told from fixed arithmetic of the right shape: its output depends on learnable kernels."""

import torch
from torch import nn

from autograder.networks import kernels_matter


class MeanOverFrequency(nn.Module):
    """The frame classifier's shape and locality, with nothing to learn."""

    def forward(self, x):
        return x.mean(dim=2).repeat(1, 3, 1)


class UnusedKernel(nn.Module):
    """A kernel kept aside, never called."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3, padding=1)

    def forward(self, x):
        return x.repeat(1, 3, 1, 1)


def spectrograms():
    return torch.randn(2, 1, 16, 20, generator=torch.Generator().manual_seed(1))


def test_a_network_without_kernels_or_ignoring_them_is_no_cnn():
    assert not kernels_matter(MeanOverFrequency(), spectrograms())
    assert not kernels_matter(UnusedKernel(), spectrograms())
    assert not kernels_matter(nn.Sequential(nn.Flatten(), nn.Linear(320, 3)), spectrograms())


def test_convolutions_count_in_train_and_eval_mode_and_when_made_lazily():
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveMaxPool2d(1), nn.Flatten())
    assert kernels_matter(net, spectrograms())
    assert kernels_matter(net.eval(), spectrograms())
    assert kernels_matter(nn.Sequential(nn.LazyConv2d(2, 3), nn.Flatten()), spectrograms())


def test_the_network_is_left_as_it_was():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten()).eval()
    before = net(spectrograms())
    kernels_matter(net, spectrograms())
    assert torch.equal(net(spectrograms()), before)
