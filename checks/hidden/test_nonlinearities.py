"""Hidden checks for nonlinearities: seeded shapes and parameters, torch.nn.functional and
torch.autograd (float64) as oracles, x = +-1000, and PyTorch's convention at the kinks."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder.compare import GRADIENT_RTOL, CheckFailed, expect_close, expect_unchanged
from autograder.feedback import Mistake, not_finite, recognise
from autograder.mistakes.nonlinearities import (
    IGNORES_BETA,
    IGNORES_SLOPE,
    KINK_CONVENTION,
    OVERFLOW,
    PRELU_FIXED_SLOPE,
    REVERSED_PRODUCT,
    SIGMOID_GRADIENT_IS_SIGMOID,
    SOFTPLUS_GRADIENT_WITHOUT_BETA,
    SOFTPLUS_WITHOUT_DIVISION,
    SUMMED_BIASES,
    SWISH_GRADIENT_IS_SIGMOID,
    TANH_GRADIENT_UNSQUARED,
)

pytestmark = pytest.mark.concept("nonlinearities")


def torch_activation(name, x, params):
    """The activation as torch computes it, on a float64 tensor x."""
    if name == "leaky_relu":
        return F.leaky_relu(x, params["negative_slope"])
    if name == "prelu":
        return F.prelu(x, torch.tensor([params["a"]], dtype=torch.float64))
    if name == "swish":
        return x * torch.sigmoid(params["beta"] * x)
    if name == "softplus":
        return F.softplus(x, beta=params["beta"])
    return {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": F.relu}[name](x)


def forward(name, x, params):
    """torch's output as a float64 ndarray."""
    return torch_activation(name, torch.from_numpy(x), params).numpy()


def derivative(name, x, params):
    """d out / d x by torch.autograd, as a float64 ndarray."""
    x_t = torch.from_numpy(x.copy()).requires_grad_()
    torch_activation(name, x_t, params).sum().backward()
    return x_t.grad.numpy()


def random_params(rng):
    """A negative slope, a PReLU slope and a beta, none of them a default."""
    return {"negative_slope": float(rng.uniform(0.05, 0.3)), "a": float(rng.uniform(0.3, 0.7)), "beta": float(rng.uniform(1.5, 3.0))}


def keyword_arguments(params):
    """Each activation's name with the keyword arguments it takes from `params`."""
    return {
        "sigmoid": {}, "tanh": {}, "relu": {}, "leaky_relu": {"negative_slope": params["negative_slope"]},
        "prelu": {"a": params["a"]}, "swish": {"beta": params["beta"]}, "softplus": {"beta": params["beta"]},
    }  # fmt: skip


def random_input(rng, away_from_zero=0.0):
    """A float64 array of 1 to 4 dimensions, |x| >= away_from_zero."""
    shape = tuple(int(n) for n in rng.integers(1, 6, size=int(rng.integers(1, 5))))
    x = rng.normal(0.0, 3.0, size=shape)
    return np.where(x < 0, x - away_from_zero, x + away_from_zero)


def expect_activation(got, expected, name, mistakes=(), rtol=1e-7):
    """expect_close that refuses nan and inf first (compare.answers_agree accepts inf)."""
    if not_finite(got):
        mistake = recognise(got, [Mistake(OVERFLOW, test=not_finite), *mistakes])
        raise CheckFailed(f"{name} returned nan or inf where the answer is finite: {mistake.explanation}", mistake=mistake.explanation)
    expect_close(got, expected, name, rtol=rtol, mistakes=mistakes)


def test_sigmoid_tanh_relu_match_torch(student, rng):
    """sigmoid, tanh and relu equal torch's on random shapes."""
    x = random_input(rng)
    for name in ("sigmoid", "tanh", "relu"):
        expect_activation(getattr(student, name)(x.copy()), forward(name, x, {}), name)


def test_leaky_relu_and_prelu_match_torch(student, rng):
    """leaky_relu with a given negative_slope and prelu with a given a equal torch's."""
    x, params = random_input(rng), random_params(rng)
    slope, a = params["negative_slope"], params["a"]
    expect_activation(
        student.leaky_relu(x.copy(), negative_slope=slope),
        forward("leaky_relu", x, params),
        "leaky_relu",
        mistakes=[Mistake(IGNORES_SLOPE, answer=np.where(x > 0, x, 0.01 * x))],
    )
    expect_activation(
        student.prelu(x.copy(), a),
        forward("prelu", x, params),
        "prelu",
        mistakes=[Mistake(PRELU_FIXED_SLOPE, answer=np.where(x > 0, x, 0.01 * x)), Mistake(PRELU_FIXED_SLOPE, answer=np.where(x > 0, x, 0.25 * x))],
    )


def test_swish_and_softplus_match_torch(student, rng):
    """swish and softplus with a given beta equal torch's."""
    x, params = random_input(rng), random_params(rng)
    beta = params["beta"]
    ignoring_beta = {name: forward(name, x, {"beta": 1.0}) for name in ("swish", "softplus")}
    expect_activation(student.swish(x.copy(), beta=beta), forward("swish", x, params), "swish", mistakes=[Mistake(IGNORES_BETA, answer=ignoring_beta["swish"])])
    expect_activation(
        student.softplus(x.copy(), beta=beta),
        forward("softplus", x, params),
        "softplus",
        mistakes=[Mistake(IGNORES_BETA, answer=ignoring_beta["softplus"]), Mistake(SOFTPLUS_WITHOUT_DIVISION, answer=beta * forward("softplus", x, params))],
    )


@pytest.mark.points(2)
def test_activations_are_stable_at_large_inputs(student, rng):
    """Every activation gives torch's finite values for inputs from +-700 to +-1000."""
    x = rng.uniform(700.0, 1000.0, size=int(rng.integers(4, 12))) * rng.choice([-1.0, 1.0], size=1)
    x = np.concatenate([x, -x, [-1000.0, 1000.0]])
    params = random_params(rng)
    calls = keyword_arguments(params)
    for name, kwargs in calls.items():
        expect_activation(getattr(student, name)(x.copy(), **kwargs), forward(name, x, params), name)


def gradient_mistakes(name, x, params):
    """The wrong derivatives students write for `name`, computed by the grader."""
    s = torch.sigmoid(torch.from_numpy(x)).numpy()
    beta = params.get("beta", 1.0)
    return {
        "sigmoid": [Mistake(SIGMOID_GRADIENT_IS_SIGMOID, answer=s)],
        "tanh": [Mistake(TANH_GRADIENT_UNSQUARED, answer=1.0 - np.tanh(x))],
        "swish": [Mistake(SWISH_GRADIENT_IS_SIGMOID, answer=forward("sigmoid", beta * x, {}))],
        "softplus": [Mistake(SOFTPLUS_GRADIENT_WITHOUT_BETA, answer=s)],
    }.get(name, [])


@pytest.mark.points(3)
def test_activation_gradient_matches_autograd(student, rng):
    """activation_gradient equals torch.autograd's derivative for every activation, away from x = 0."""
    x, params = random_input(rng, away_from_zero=0.05), random_params(rng)
    calls = keyword_arguments(params)
    for name, kwargs in calls.items():
        expect_activation(
            student.activation_gradient(name, x.copy(), **kwargs),
            derivative(name, x, params),
            f"activation_gradient({name!r})",
            mistakes=gradient_mistakes(name, x, kwargs),
            rtol=GRADIENT_RTOL,
        )


def test_activation_gradient_at_zero_follows_pytorch(student, rng):
    """At the kink x = 0, relu, leaky_relu and prelu take torch's derivative (the left slope)."""
    x = random_input(rng, away_from_zero=0.05).ravel()
    x[rng.permutation(len(x))[: max(1, len(x) // 3)]] = 0.0
    params = random_params(rng)
    for name, kwargs in (("relu", {}), ("leaky_relu", {"negative_slope": params["negative_slope"]}), ("prelu", {"a": params["a"]})):
        expected = derivative(name, x, params)
        expect_close(
            student.activation_gradient(name, x.copy(), **kwargs),
            expected,
            f"activation_gradient({name!r})",
            mistakes=[Mistake(KINK_CONVENTION, answer=np.where(x == 0, 1.0, expected)), Mistake(KINK_CONVENTION, answer=np.where(x == 0, 0.5, expected))],
        )


def random_layers(rng, widths):
    """Weights and biases of linear layers mapping widths[k] to widths[k + 1]."""
    weights = [rng.normal(size=(n_out, n_in)) for n_in, n_out in zip(widths[:-1], widths[1:])]
    return weights, [rng.normal(size=n_out) for n_out in widths[1:]]


def stacked(weights, biases, x):
    """The layers applied one after another to the column vector x."""
    for W_k, b_k in zip(weights, biases):
        x = W_k @ x + b_k
    return x


@pytest.mark.points(2)
def test_collapse_linear_matches_the_product(student, rng):
    """For square layers, W = W_K @ ... @ W_1 and b gives the stacked layers' output at x = 0."""
    weights, biases = random_layers(rng, [int(rng.integers(2, 6))] * int(rng.integers(3, 7)))
    W_expected = np.linalg.multi_dot(weights[::-1])
    W, b = student.collapse_linear([w.copy() for w in weights], [c.copy() for c in biases])
    expect_close(W, W_expected, "collapse_linear's W", mistakes=[Mistake(REVERSED_PRODUCT, answer=np.linalg.multi_dot(weights))])
    expect_close(b, stacked(weights, biases, np.zeros(len(W))), "collapse_linear's b", mistakes=[Mistake(SUMMED_BIASES, answer=np.sum(biases, axis=0))])


def test_collapse_linear_works_for_layers_of_different_widths(student, rng):
    """For layers of different widths, W @ x + b equals the stacked layers' output."""
    weights, biases = random_layers(rng, [int(n) for n in rng.integers(2, 7, size=int(rng.integers(2, 6)))])
    x = rng.normal(size=weights[0].shape[1])
    W, b = student.collapse_linear([w.copy() for w in weights], [c.copy() for c in biases])
    expected_W = weights[0]
    for W_k in weights[1:]:
        expected_W = W_k @ expected_W
    expect_close(W, expected_W, "collapse_linear's W")
    expect_close(W @ x + b, stacked(weights, biases, x), "collapse_linear's W @ x + b")


def test_nonlinearities_leave_their_inputs_unchanged(student, rng):
    """No activation, nor activation_gradient, changes the array it is given."""
    x = random_input(rng)
    for name in ("sigmoid", "tanh", "relu", "leaky_relu", "swish", "softplus"):
        copy = x.copy()
        getattr(student, name)(copy)
        expect_unchanged(x, copy, name, "x")
        copy = x.copy()
        student.activation_gradient(name, copy)
        expect_unchanged(x, copy, f"activation_gradient({name!r})", "x")
