"""Hidden checks for batch norm, dropout and residual blocks: torch's batch_norm in both modes,
torch.autograd in float64 for every backward, and statistical checks for dropout.

Every student meets the same cases: batch norm in training and at evaluation on N, C > 1 and
H != W > 1, with channels of small and large variance (so eps's place shows); dropout at a
low and a high p and at p = 0, on x of 1, 2 and 4 axes, and at evaluation; residual and plain stacks."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder.compare import GRADIENT_RTOL, CheckFailed, expect_array, expect_close, expect_unchanged, shape_shown
from autograder.feedback import Mistake
from autograder.mistakes import normalisation as mistakes

pytestmark = pytest.mark.concept("normalisation")


def torch64(array, grad=False):
    return torch.tensor(np.asarray(array, dtype=np.float64), requires_grad=grad)


def batch(rng):
    """x of shape (N, C, H, W) with N, C > 1 and H != W > 1 (W never equal to C, so that
    statistics of the wrong shape never broadcast by chance), each channel with its own mean
    and spread (one of them small), and gamma, beta, running statistics, momentum, eps."""
    n, c = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    height = int(rng.integers(4, 7))
    spread = rng.uniform(0.5, 3.0, size=c)
    spread[0] = rng.uniform(0.02, 0.1)
    x = rng.normal(size=(n, c, height, height + int(rng.integers(1, 3)))) * spread[:, None, None] + rng.normal(0.0, 2.0, size=c)[:, None, None]
    params = {
        "gamma": rng.normal(1.0, 0.5, size=c),
        "beta": rng.normal(size=c),
        "running_mean": rng.normal(size=c),
        "running_var": rng.uniform(0.5, 2.0, size=c),
        "momentum": float(rng.uniform(0.05, 0.5)),
        "eps": float(10 ** rng.uniform(-3, -2)),
    }
    return x, params


def torch_batchnorm(x, params, training):
    """torch's output and running statistics after one call, as numpy."""
    running_mean, running_var = torch64(params["running_mean"]), torch64(params["running_var"])
    out = F.batch_norm(torch64(x), running_mean, running_var, torch64(params["gamma"]), torch64(params["beta"]), training, params["momentum"], params["eps"])
    return out.numpy(), running_mean.numpy(), running_var.numpy()


def normalised(x, mean, var, params, eps_inside=True):
    """gamma * (x - mean) / root + beta for statistics that broadcast against x."""
    root = np.sqrt(var + params["eps"]) if eps_inside else np.sqrt(var) + params["eps"]
    return params["gamma"][:, None, None] * (x - mean) / root + params["beta"][:, None, None]


def call_batchnorm(student, x, params, training):
    args = (x.copy(), params["gamma"].copy(), params["beta"].copy(), params["running_mean"].copy(), params["running_var"].copy())
    result = student.batchnorm_forward(*args, params["momentum"], params["eps"], training)
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        raise CheckFailed("batchnorm_forward should return a tuple (out, new_running_mean, new_running_var).")
    return result


def moved(params, mean, var, reverse=False):
    """The running statistics after one batch of `mean`, `var`, by torch's rule or reversed."""
    keep = params["momentum"] if reverse else 1 - params["momentum"]
    return keep * params["running_mean"] + (1 - keep) * mean, keep * params["running_var"] + (1 - keep) * var


def training_mistakes(x, params):
    """The mistakes a training-mode output can show: statistics per pixel, eps outside the root."""
    mean, var = x.mean(axis=(0, 2, 3))[:, None, None], x.var(axis=(0, 2, 3))[:, None, None]
    return [
        Mistake(mistakes.PER_PIXEL, answer=normalised(x, x.mean(axis=0), x.var(axis=0), params)),
        Mistake(mistakes.EPS_OUTSIDE_SQRT, answer=normalised(x, mean, var, params, eps_inside=False)),
    ]


@pytest.mark.points(2)
def test_batchnorm_forward_matches_torch_in_training(student, rng):
    """Training: out and both running statistics equal torch's F.batch_norm (unbiased running variance)."""
    x, params = batch(rng)
    out, running_mean, running_var = call_batchnorm(student, x, params, True)
    expected_out, expected_mean, expected_var = torch_batchnorm(x, params, True)
    expect_close(out, expected_out, "batchnorm_forward", mistakes=training_mistakes(x, params))
    m = x.size // x.shape[1]
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    reversed_mean, reversed_var = moved(params, mean, var * m / (m - 1), reverse=True)
    expect_close(running_mean, expected_mean, "batchnorm_forward's new_running_mean", mistakes=[Mistake(mistakes.MOMENTUM_REVERSED, answer=reversed_mean)])
    expect_close(
        running_var,
        expected_var,
        "batchnorm_forward's new_running_var",
        mistakes=[Mistake(mistakes.BIASED_RUNNING_VAR, answer=moved(params, mean, var)[1]), Mistake(mistakes.MOMENTUM_REVERSED, answer=reversed_var)],
    )


def test_batchnorm_forward_matches_torch_at_evaluation(student, rng):
    """training=False: out equals torch's with the running statistics, which come back unchanged."""
    x, params = batch(rng)
    out, running_mean, running_var = call_batchnorm(student, x, params, False)
    expected_out, _, _ = torch_batchnorm(x, params, False)
    training_out, trained_mean, trained_var = torch_batchnorm(x, params, True)
    eps_outside = normalised(x, params["running_mean"][:, None, None], params["running_var"][:, None, None], params, eps_inside=False)
    expect_close(
        out,
        expected_out,
        "batchnorm_forward",
        mistakes=[Mistake(mistakes.BATCH_STATS_AT_EVALUATION, answer=training_out), Mistake(mistakes.EPS_OUTSIDE_SQRT, answer=eps_outside)],
    )
    expect_close(running_mean, params["running_mean"], "batchnorm_forward's new_running_mean", mistakes=[Mistake(mistakes.RUNNING_STATS_CHANGED_AT_EVALUATION, answer=trained_mean)])
    expect_close(running_var, params["running_var"], "batchnorm_forward's new_running_var", mistakes=[Mistake(mistakes.RUNNING_STATS_CHANGED_AT_EVALUATION, answer=trained_var)])


def autograd_batchnorm(x, gamma, eps, dout):
    """torch.autograd's (dx, dgamma, dbeta) through F.batch_norm in training mode."""
    tensors = [torch64(x, True), torch64(gamma, True), torch64(np.zeros_like(gamma), True)]
    F.batch_norm(tensors[0], None, None, tensors[1], tensors[2], True, 0.1, eps).backward(torch64(dout))
    return [t.grad.numpy() for t in tensors]


def backward_mistakes(x, gamma, eps, dout):
    """dx without the paths through the mean and the variance, and without the variance's only."""
    axes = (0, 2, 3)
    std = np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    direct = gamma[:, None, None] / std * dout
    without_variance = direct - gamma[:, None, None] / std * dout.mean(axis=axes, keepdims=True)
    return [Mistake(mistakes.NO_MEAN_VARIANCE_TERMS, answer=direct), Mistake(mistakes.NO_VARIANCE_TERM, answer=without_variance)]


@pytest.mark.points(2)
def test_batchnorm_backward_matches_autograd(student, rng):
    """dx, dgamma and dbeta equal torch.autograd's through F.batch_norm in training mode."""
    x, params = batch(rng)
    dout = rng.normal(size=x.shape)
    expected = autograd_batchnorm(x, params["gamma"], params["eps"], dout)
    got = student.batchnorm_backward(dout.copy(), x.copy(), params["gamma"].copy(), params["eps"])
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise CheckFailed("batchnorm_backward should return a tuple (dx, dgamma, dbeta).")
    known = backward_mistakes(x, params["gamma"], params["eps"], dout)
    for name, value, answer, found in zip(("dx", "dgamma", "dbeta"), got, expected, (known, [], [])):
        expect_close(value, answer, f"batchnorm_backward's {name}", rtol=GRADIENT_RTOL, mistakes=found)


def dropout_cases(rng, with_zero=True):
    """(x, p) of 4, 2 and 1 axes: p low, p high (never 0.5, where the two conventions meet),
    and p = 0, or, for the backward checks, low again (p = 0 has no mask to share)."""
    x4 = rng.uniform(0.5, 1.5, size=(int(rng.integers(8, 12)), 4, 16, 16))
    x2 = rng.uniform(0.5, 1.5, size=(int(rng.integers(100, 140)), 160))
    x1 = rng.uniform(0.5, 1.5, size=int(rng.integers(500, 1000)))
    last = 0.0 if with_zero else float(rng.uniform(0.1, 0.35))
    return [(x4, float(rng.uniform(0.1, 0.35))), (x2, float(rng.uniform(0.65, 0.9))), (x1, last)]


def fresh_rng(rng):
    """A generator for the student, seeded from the check's; used once, never reused."""
    return np.random.default_rng(int(rng.integers(2**63)))


def call_dropout(student, x, p, training, generator):
    result = student.dropout_forward(x.copy(), p, training, generator)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed("dropout_forward should return a tuple (out, cache).")
    return result


def expect_dropout(got, x, p, name="dropout_forward"):
    """Fail unless `got` is x with entries dropped at a rate near p (6 standard deviations)
    and every other entry divided by 1 - p; name the mistake when one shows."""
    out = expect_array(got, name)
    if out.shape != x.shape:
        raise CheckFailed(f"{name} returned {shape_shown(out.shape)}; out has the shape of x.")
    dropped, tolerance = float(np.mean(out == 0)), 6 * np.sqrt(p * (1 - p) / x.size) + 1 / x.size
    kept = out != 0
    if p > 0 and np.allclose(out[kept], x[kept], rtol=1e-12, atol=0):
        raise CheckFailed(f"{name}: {mistakes.NOT_SCALED}", mistake=mistakes.NOT_SCALED)
    if abs(dropped - (1 - p)) <= tolerance and np.allclose(out[kept], x[kept] / p, rtol=1e-12, atol=0):
        raise CheckFailed(f"{name}: {mistakes.KEEP_PROBABILITY}", mistake=mistakes.KEEP_PROBABILITY)
    if not np.allclose(out[kept], x[kept] / (1 - p), rtol=1e-12, atol=0):
        raise CheckFailed(f"{name}: the entries kept should be x / (1 - p), and the others 0.")
    if abs(dropped - p) > tolerance:
        raise CheckFailed(f"{name} dropped entries at a rate far from p; each entry is dropped with probability p.")
    return out


@pytest.mark.points(2)
def test_dropout_forward_drops_p_and_scales_the_rest(student, rng):
    """Training: about a fraction p of the entries become 0 and the rest x / (1 - p), so the mean is kept."""
    for x, p in dropout_cases(rng):
        out, _ = call_dropout(student, x, p, True, fresh_rng(rng))
        expect_dropout(out, x, p)


def test_dropout_at_evaluation_changes_nothing(student, rng):
    """training=False: out equals x and dropout_backward passes dout through unchanged."""
    for x, p in dropout_cases(rng):
        out, cache = call_dropout(student, x, p, False, fresh_rng(rng))
        expect_close(out, x, "dropout_forward", mistakes=[Mistake(mistakes.DROPOUT_AT_EVALUATION, test=lambda got, x=x: np.shape(got) == x.shape)])
        dout = rng.normal(size=x.shape)
        expect_close(student.dropout_backward(dout.copy(), cache), dout, "dropout_backward", mistakes=[Mistake(mistakes.DROPOUT_AT_EVALUATION, test=lambda got, x=x: np.shape(got) == x.shape)])


def test_dropout_backward_reuses_the_forward_mask(student, rng):
    """Training: dx = dout * out / x, the derivative of the very output dropout_forward gave."""
    for x, p in dropout_cases(rng, with_zero=False):
        out, cache = call_dropout(student, x, p, True, fresh_rng(rng))
        out = expect_array(out, "dropout_forward")
        dout = rng.normal(size=x.shape)
        redrawn = Mistake(mistakes.MASK_DRAWN_AGAIN, test=lambda got, out=out: np.shape(got) == out.shape and bool(np.any((np.asarray(got) == 0) != (out == 0))))
        expect_close(student.dropout_backward(dout.copy(), cache), dout * out / x, "dropout_backward", rtol=GRADIENT_RTOL, mistakes=[redrawn])


def test_dropout_forward_draws_from_the_generator_it_is_given(student, rng):
    """Generators in the same state give the same right mask; generators in other states other masks."""
    x, p = dropout_cases(rng)[0]
    seed = int(rng.integers(2**63))
    first = expect_dropout(call_dropout(student, x, p, True, np.random.default_rng(seed))[0], x, p)
    again = expect_dropout(call_dropout(student, x, p, True, np.random.default_rng(seed))[0], x, p)
    if not np.array_equal(first, again):
        raise CheckFailed(f"dropout_forward: {mistakes.NOT_REPRODUCIBLE}", mistake=mistakes.NOT_REPRODUCIBLE)
    other = expect_dropout(call_dropout(student, x, p, True, np.random.default_rng(seed + 1))[0], x, p)
    if np.array_equal(first, other):
        raise CheckFailed(f"dropout_forward: {mistakes.IGNORES_RNG}", mistake=mistakes.IGNORES_RNG)


def stack(rng, depth):
    """x of shape (N, D) and `depth` blocks' weights and biases, small enough that a plain stack loses its gradient."""
    d = int(rng.integers(4, 9))
    weights = [rng.normal(0.0, 0.5 / np.sqrt(d), size=(d, d)) for _ in range(depth)]
    biases = [rng.normal(0.0, 0.1, size=d) for _ in range(depth)]
    return rng.normal(size=(int(rng.integers(3, 7)), d)), weights, biases


def torch_stack(x, weights, biases, residual, identity_gradient=True):
    """torch.autograd's norms of dL/dh_l, L = sum(h_L); without the identity path's
    gradient when asked (the forward stays residual)."""
    hs = [torch64(x, True)]
    for w, b in zip(weights, biases):
        h = hs[-1] if identity_gradient else hs[-1].detach()
        block = F.relu(hs[-1] @ torch64(w).T + torch64(b))
        hs.append(h + block if residual else block)
        hs[-1].retain_grad()
    hs[-1].sum().backward()
    return np.array([h.grad.norm().item() for h in hs])


def test_residual_block_forward_matches_torch(student, rng):
    """residual_block_forward equals x + relu(F.linear(x, w, b)) computed by torch."""
    x, (w,), (b,) = stack(rng, 1)
    expected = (torch64(x) + F.relu(F.linear(torch64(x), torch64(w), torch64(b)))).numpy()
    expect_close(student.residual_block_forward(x.copy(), w.copy(), b.copy()), expected, "residual_block_forward")


@pytest.mark.points(2)
def test_residual_gradient_norms_match_autograd(student, rng):
    """For a deep residual and a deep plain stack, the norms equal torch.autograd's at every depth."""
    x, weights, biases = stack(rng, int(rng.integers(12, 20)))
    for residual in (True, False):
        expected = torch_stack(x, weights, biases, residual)
        known = [Mistake(mistakes.NORMS_REVERSED, answer=expected[::-1].copy())]
        if residual:
            known.append(Mistake(mistakes.IDENTITY_GRADIENT_MISSING, answer=torch_stack(x, weights, biases, True, identity_gradient=False)))
        got = student.residual_gradient_norms(x.copy(), [w.copy() for w in weights], [b.copy() for b in biases], residual)
        expect_close(got, expected, "residual_gradient_norms", rtol=GRADIENT_RTOL, mistakes=known)


def test_normalisation_leaves_its_inputs_unchanged(student, rng):
    """No function changes the arrays it is given (this counts only where it also gives the right answer)."""
    x, params = batch(rng)
    names = ("x", "gamma", "beta", "running_mean", "running_var")
    originals = (x, params["gamma"], params["beta"], params["running_mean"], params["running_var"])
    given = [a.copy() for a in originals]
    out = student.batchnorm_forward(*given, params["momentum"], params["eps"], True)[0]
    expect_close(out, torch_batchnorm(x, params, True)[0], "batchnorm_forward", mistakes=training_mistakes(x, params))
    for name, before, after in zip(names, originals, given):
        expect_unchanged(before, after, "batchnorm_forward", name)
    dout = rng.normal(size=x.shape)
    originals = (dout, x, params["gamma"])
    given = [a.copy() for a in originals]
    dx = student.batchnorm_backward(*given, params["eps"])[0]
    known = backward_mistakes(x, params["gamma"], params["eps"], dout)
    expect_close(dx, autograd_batchnorm(x, params["gamma"], params["eps"], dout)[0], "batchnorm_backward's dx", rtol=GRADIENT_RTOL, mistakes=known)
    for name, before, after in zip(("dout", "x", "gamma"), originals, given):
        expect_unchanged(before, after, "batchnorm_backward", name)
    x_drop, p = dropout_cases(rng)[0]
    given = x_drop.copy()
    expect_dropout(student.dropout_forward(given, p, True, fresh_rng(rng))[0], x_drop, p)
    expect_unchanged(x_drop, given, "dropout_forward", "x")
