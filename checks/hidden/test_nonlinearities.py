"""Hidden checks for nonlinearities: seeded shapes and parameters, torch.nn.functional and
torch.autograd (float64) as oracles, x = +-1000, and PyTorch's convention at the kinks."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder.compare import GRADIENT_RTOL, CheckFailed, expect_close, expect_unchanged
from autograder.feedback import Mistake, not_finite, recognise
from autograder.mistakes.nonlinearities import (
    GRADIENT_IGNORES_SLOPE,
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


DEFAULTS = {"negative_slope": 0.01, "beta": 1.0}


def random_params(rng):
    """A negative slope, a PReLU slope and a beta, none of them a default."""
    return {"negative_slope": float(rng.uniform(0.05, 0.3)), "a": float(rng.uniform(0.3, 0.7)), "beta": float(rng.uniform(1.5, 3.0))}


def calls_of(params, names=None):
    """(activation, keyword arguments, torch's parameters) for every activation in `names`:
    with the given parameters, and again with the defaults where a parameter has one."""
    given = {
        "sigmoid": {}, "tanh": {}, "relu": {}, "leaky_relu": {"negative_slope": params["negative_slope"]},
        "prelu": {"a": params["a"]}, "swish": {"beta": params["beta"]}, "softplus": {"beta": params["beta"]},
    }  # fmt: skip
    calls = [(name, kwargs, params) for name, kwargs in given.items()]
    calls += [(name, {}, DEFAULTS) for name in ("leaky_relu", "swish", "softplus")]
    return [call for call in calls if names is None or call[0] in names]


def random_inputs(rng, away_from_zero=0.0, zero=True):
    """Float64 arrays of 1, 2 and 3 dimensions. Every student meets negative and positive
    values in each, with |x| >= away_from_zero, and exactly 0 when `zero`."""
    inputs = []
    for dims in (1, 2, 3):
        shape = tuple(int(n) for n in rng.integers(3 if dims == 1 else 2, 6, size=dims))
        signs = rng.permutation(np.resize([-1.0, 1.0, 0.0] if zero else [-1.0, 1.0], np.prod(shape)))
        inputs.append((np.abs(rng.normal(0.0, 3.0, size=shape)) + away_from_zero) * signs.reshape(shape))
    return inputs


def on_array(name, x):
    """The function's name with the number of dimensions it failed on (no values: it is hidden)."""
    return f"{name} of a {x.ndim}-D array"


def expect_activation(got, expected, name, mistakes=(), rtol=1e-7):
    """expect_close that refuses nan and inf first (compare.answers_agree accepts inf)."""
    if not_finite(got):
        mistake = recognise(got, [Mistake(OVERFLOW, test=not_finite), *mistakes])
        raise CheckFailed(f"{name} returned nan or inf where the answer is finite: {mistake.explanation}", mistake=mistake.explanation)
    expect_close(got, expected, name, rtol=rtol, mistakes=mistakes)


def test_sigmoid_tanh_relu_match_torch(student, rng):
    """sigmoid, tanh and relu equal torch's on 1-D, 2-D and 3-D arrays of negative, positive and zero values."""
    for x in random_inputs(rng):
        for name in ("sigmoid", "tanh", "relu"):
            expect_activation(getattr(student, name)(x.copy()), forward(name, x, {}), on_array(name, x))


def forward_mistakes(name, x, params):
    """The wrong outputs students write for `name`, computed by the grader."""
    if name == "leaky_relu":
        return [Mistake(IGNORES_SLOPE, answer=np.where(x > 0, x, 0.01 * x))]
    if name == "prelu":
        return [Mistake(PRELU_FIXED_SLOPE, answer=np.where(x > 0, x, slope * x)) for slope in (0.01, 0.25)]
    if name == "swish":
        return [Mistake(IGNORES_BETA, answer=forward(name, x, DEFAULTS))]
    if name == "softplus":
        return [Mistake(IGNORES_BETA, answer=forward(name, x, DEFAULTS)), Mistake(SOFTPLUS_WITHOUT_DIVISION, answer=params["beta"] * forward(name, x, params))]
    return []


def expect_forward(student, names, x, params):
    """Each activation in `names`, with its given and its default parameters, equals torch's on x."""
    for name, kwargs, torch_params in calls_of(params, names):
        got = getattr(student, name)(x.copy(), **kwargs)
        expect_activation(got, forward(name, x, torch_params), on_array(name, x), mistakes=forward_mistakes(name, x, torch_params))


def test_leaky_relu_and_prelu_match_torch(student, rng):
    """leaky_relu with a given and with the default negative_slope, and prelu with a given a, equal torch's."""
    params = random_params(rng)
    for x in random_inputs(rng):
        expect_forward(student, ("leaky_relu", "prelu"), x, params)


def test_swish_and_softplus_match_torch(student, rng):
    """swish and softplus with a given and with the default beta equal torch's."""
    params = random_params(rng)
    for x in random_inputs(rng):
        expect_forward(student, ("swish", "softplus"), x, params)


@pytest.mark.points(2)
def test_activations_are_stable_at_large_inputs(student, rng):
    """Every activation gives torch's finite values for inputs from +-700 to +-1000, in 1-D and 2-D arrays."""
    x = rng.uniform(700.0, 1000.0, size=int(rng.integers(4, 12))) * rng.choice([-1.0, 1.0], size=1)
    x = np.concatenate([x, -x, [-1000.0, 1000.0]])
    params = random_params(rng)
    for values in (x, x.reshape(2, -1)):
        for name, kwargs, torch_params in calls_of(params):
            expect_activation(getattr(student, name)(values.copy(), **kwargs), forward(name, values, torch_params), on_array(name, values))


def gradient_mistakes(name, x, params):
    """The wrong derivatives students write for `name`, computed by the grader."""
    s = torch.sigmoid(torch.from_numpy(x)).numpy()
    beta = params.get("beta", 1.0)
    slopes = [Mistake(GRADIENT_IGNORES_SLOPE, answer=np.where(x > 0, 1.0, slope)) for slope in (0.0, 0.01, 0.25)]
    return {
        "sigmoid": [Mistake(SIGMOID_GRADIENT_IS_SIGMOID, answer=s)],
        "tanh": [Mistake(TANH_GRADIENT_UNSQUARED, answer=1.0 - np.tanh(x))],
        "leaky_relu": slopes,
        "prelu": slopes,
        "swish": [Mistake(SWISH_GRADIENT_IS_SIGMOID, answer=forward("sigmoid", beta * x, {}))],
        "softplus": [Mistake(SOFTPLUS_GRADIENT_WITHOUT_BETA, answer=s)],
    }.get(name, [])


def expect_gradients(student, calls, x, kinks=False):
    """activation_gradient equals torch.autograd's derivative on x for every (name, kwargs,
    params) call; with `kinks`, a wrong derivative at x = 0 is named first."""
    for name, kwargs, params in calls:
        expected = derivative(name, x, params)
        at_kink = [Mistake(KINK_CONVENTION, answer=np.where(x == 0, value, expected)) for value in (1.0, 0.5)] if kinks else []
        expect_activation(
            student.activation_gradient(name, x.copy(), **kwargs),
            expected,
            on_array(f"activation_gradient({name!r})", x),
            mistakes=at_kink + gradient_mistakes(name, x, params),
            rtol=GRADIENT_RTOL,
        )


@pytest.mark.points(3)
def test_activation_gradient_matches_autograd(student, rng):
    """activation_gradient equals torch.autograd's derivative for every activation, with given and default parameters, away from x = 0."""
    params = random_params(rng)
    for x in random_inputs(rng, away_from_zero=0.05, zero=False):
        expect_gradients(student, calls_of(params), x)


def test_activation_gradient_at_zero_follows_pytorch(student, rng):
    """At the kink x = 0, relu, leaky_relu and prelu take torch's derivative (the left slope); either side keeps its own."""
    params = random_params(rng)
    for x in random_inputs(rng, away_from_zero=0.05)[:2]:
        expect_gradients(student, calls_of(params, ("relu", "leaky_relu", "prelu")), x, kinks=True)


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
    """For layers of different widths (no layer square), W @ x + b equals the stacked layers' output."""
    widths = [int(n) for n in rng.choice(np.arange(2, 8), size=int(rng.integers(3, 7)), replace=False)]
    weights, biases = random_layers(rng, widths)
    x = rng.normal(size=weights[0].shape[1])
    W, b = student.collapse_linear([w.copy() for w in weights], [c.copy() for c in biases])
    expected_W = weights[0]
    for W_k in weights[1:]:
        expected_W = W_k @ expected_W
    expect_close(W, expected_W, "collapse_linear's W")
    expect_close(W @ x + b, stacked(weights, biases, x), "collapse_linear's W @ x + b")


def test_nonlinearities_leave_their_inputs_unchanged(student, rng):
    """No activation, nor activation_gradient, changes the array it is given; each gives the right answer (else no points)."""
    params = random_params(rng)
    for x in random_inputs(rng, zero=False):
        for name, kwargs, torch_params in calls_of(params):
            copy = x.copy()
            got = getattr(student, name)(copy, **kwargs)
            expect_unchanged(x, copy, name, "x")
            expect_activation(got, forward(name, x, torch_params), on_array(name, x), mistakes=forward_mistakes(name, x, torch_params))
            copy = x.copy()
            got = student.activation_gradient(name, copy, **kwargs)
            gradient_name = f"activation_gradient({name!r})"
            expect_unchanged(x, copy, gradient_name, "x")
            expected = derivative(name, x, torch_params)
            known = gradient_mistakes(name, x, torch_params)
            expect_activation(got, expected, on_array(gradient_name, x), mistakes=known, rtol=GRADIENT_RTOL)
