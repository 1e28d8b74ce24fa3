"""Each planted nonlinearity mistake loses exactly the checks it breaks, named in feedback;
and the reference activations stay finite and warning-free at x = +-1000."""

import importlib.util
import warnings

import numpy as np
import pytest

from mutants import COURSE, assert_mistake_caught

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
        {"activation_gradient_of_sigmoid_is_a_quarter_at_zero", "activation_gradient_matches_autograd"},
        "that is sigmoid(x) itself",
    ),
    "relu_derivative_is_one_at_zero": (
        KEEP_OTHERS.format(name="relu", wrong="np.where(x >= 0, 1.0, 0.0)"),
        {"activation_gradient_of_relu_at_zero_is_zero", "activation_gradient_at_zero_follows_pytorch"},
        "PyTorch's convention",
    ),
    "tanh_derivative_without_the_square": (
        KEEP_OTHERS.format(name="tanh", wrong="1.0 - np.tanh(x)"),
        {"activation_gradient_matches_autograd"},
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
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_planted_mistake_loses_exactly_its_checks(tmp_path, name):
    assert_mistake_caught(tmp_path, "nonlinearities", MISTAKES[name])


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
