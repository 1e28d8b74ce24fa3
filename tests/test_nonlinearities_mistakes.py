"""Each planted nonlinearity mistake loses exactly the checks it breaks, named in feedback;
and the reference activations stay finite and warning-free at x = +-1000."""

import importlib.util
import warnings

import numpy as np
import pytest

from mutants import COURSE, assert_earns_nothing, assert_mistake_caught

KEEP_OTHERS = """
_reference_gradient = activation_gradient

def activation_gradient(name, x, **params):
    if name == {name!r}:
        return {wrong}
    return _reference_gradient(name, x, **params)
"""

MISTAKES = {
    "sigmoid_derivative_is_sigmoid": (
        KEEP_OTHERS.format(name="sigmoid", wrong="sigmoid(x)"),
        {"activation_gradient_of_sigmoid_is_a_quarter_at_zero", "activation_gradient_matches_autograd", "nonlinearities_leave_their_inputs_unchanged"},
        "that is sigmoid(x) itself",
    ),
    "relu_derivative_is_one_at_zero": (
        KEEP_OTHERS.format(name="relu", wrong="np.where(x >= 0, 1.0, 0.0)"),
        {"activation_gradient_of_relu_at_zero_is_zero", "activation_gradient_at_zero_follows_pytorch"},
        "PyTorch's convention",
    ),
    "tanh_derivative_without_the_square": (
        KEEP_OTHERS.format(name="tanh", wrong="1.0 - np.tanh(x)"),
        {"activation_gradient_matches_autograd", "nonlinearities_leave_their_inputs_unchanged"},
        "the square is missing",
    ),
    "softplus_overflows": (
        """
        def softplus(x, beta=1.0):
            return np.log(1.0 + np.exp(beta * x)) / beta
        """,
        {"sigmoid_and_softplus_at_plus_minus_1000", "activations_are_stable_at_large_inputs"},
        "overflows",
    ),
    "leaky_relu_derivative_ignores_its_slope": (
        KEEP_OTHERS.format(name="leaky_relu", wrong="np.where(x > 0, 1.0, 0.01)"),
        {"activation_gradient_matches_autograd", "activation_gradient_at_zero_follows_pytorch", "nonlinearities_leave_their_inputs_unchanged"},
        "the slope it is given",
    ),
    "prelu_derivative_is_relus": (
        KEEP_OTHERS.format(name="prelu", wrong="np.where(x > 0, 1.0, 0.0)"),
        {"activation_gradient_matches_autograd", "activation_gradient_at_zero_follows_pytorch", "nonlinearities_leave_their_inputs_unchanged"},
        "the slope it is given",
    ),
    "relu_overwrites_its_input": (
        """
        def relu(x):
            x[x < 0] = 0.0
            return x
        """,
        {"nonlinearities_leave_their_inputs_unchanged"},
        "changed its input",
    ),
}

RETURNS_ZEROS = """
def sigmoid(x):
    return np.zeros_like(x)

tanh = relu = sigmoid

def leaky_relu(x, negative_slope=0.01):
    return np.zeros_like(x)

def prelu(x, a):
    return np.zeros_like(x)

def swish(x, beta=1.0):
    return np.zeros_like(x)

softplus = swish

def activation_gradient(name, x, **params):
    return np.zeros_like(x)

def collapse_linear(weights, biases):
    return np.zeros((weights[-1].shape[0], weights[0].shape[1])), np.zeros(weights[-1].shape[0])
"""


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_planted_mistake_loses_exactly_its_checks(tmp_path, name):
    assert_mistake_caught(tmp_path, "nonlinearities", MISTAKES[name])


def test_code_that_returns_zeros_earns_nothing(tmp_path):
    assert_earns_nothing(tmp_path, "nonlinearities", RETURNS_ZEROS)


def test_the_reference_activations_raise_no_warnings_at_plus_minus_1000():
    spec = importlib.util.spec_from_file_location("reference_nonlinearities", COURSE.solutions / "nonlinearities.py")
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    x = np.array([-1000.0, -700.0, 0.0, 700.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("sigmoid", "tanh", "relu", "leaky_relu", "swish", "softplus"):
            assert np.all(np.isfinite(getattr(reference, name)(x)))
            assert np.all(np.isfinite(reference.activation_gradient(name, x)))
        assert np.all(np.isfinite(reference.prelu(x, 0.25)))
