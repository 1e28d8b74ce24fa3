"""Hidden checks for backpropagation: seeded shapes and values, torch.autograd in float64 as
the oracle, inputs kept away from ReLU's kink, and nodes used more than once."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder import catalogue
from autograder.compare import GRADIENT_RTOL, CheckFailed, expect_close, expect_float
from autograder.feedback import Mistake, not_finite
from autograder.mistakes.backprop import (
    ABSOLUTE_ERROR,
    DB_MEAN,
    DW_TRANSPOSED,
    GRADIENTS_TIMES_N,
    LOSS_SUM,
    MEAN_ERROR,
    NO_FLOOR,
    NOT_RESTORED,
    ONE_SIDED,
    RELU_KINK,
    backward_mistakes,
)

pytestmark = pytest.mark.concept("backprop")


def torch64(array):
    return torch.from_numpy(np.array(array, dtype=np.float64))


def relative_error_cases(rng):
    """(a, b, what they are): a 1-D and a 2-D array, each with one place where both are 0, and a pair of floats."""
    cases = []
    for shape in ((int(rng.integers(3, 8)),), tuple(int(n) for n in rng.integers(2, 6, size=2))):
        a = rng.normal(size=shape)
        b = a * (1.0 + rng.normal(0.0, 1e-3, size=shape))
        a.flat[0] = b.flat[0] = 0.0
        cases.append((a, b, f"{len(shape)}-D arrays"))
    a = float(rng.normal())
    cases.append((a, a * (1.0 + float(rng.normal(0.0, 1e-3))), "floats"))
    return cases


def test_relative_error_matches_the_definition(student, rng):
    """relative_error is max(|a - b| / max(1e-8, |a| + |b|)), also where both are 0, for arrays of any shape and for floats."""
    for a, b, kind in relative_error_cases(rng):
        errors = np.abs(np.subtract(a, b)) / np.maximum(1e-8, np.abs(a) + np.abs(b))
        given = (a.copy(), b.copy()) if isinstance(a, np.ndarray) else (a, b)
        expect_close(
            student.relative_error(*given),
            float(np.max(errors)),
            f"relative_error of {kind}",
            mistakes=[
                Mistake(NO_FLOOR, test=not_finite),
                Mistake(MEAN_ERROR, answer=float(np.mean(errors))),
                Mistake(ABSOLUTE_ERROR, answer=float(np.max(np.abs(np.subtract(a, b))))),
            ],
        )


def differences(f, x, h, *, centred=True, restore=True):
    """The grader's finite differences; one-sided or unrestored to recognise those mistakes."""
    point, grad = x.copy(), np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        original = point[index]
        point[index] = original + h
        f_plus = f(point)
        point[index] = original - h if centred else original
        grad[index] = (f_plus - f(point)) / (2 * h if centred else h)
        if restore:
            point[index] = original
    return grad


def difference_mistakes(f, x, h):
    return [
        Mistake(ONE_SIDED, answer=differences(f, x, h, centred=False)),
        Mistake(NOT_RESTORED, answer=differences(f, x, h, restore=False)),
    ]


@pytest.mark.points(2)
def test_numerical_gradient_is_exact_for_a_quadratic(student, rng):
    """For a quadratic the centred difference is A x - b up to rounding, even with h = 1e-3."""
    d, h = int(rng.integers(3, 8)), 1e-3
    M = rng.normal(size=(d, d))
    A, b, x = M @ M.T + np.eye(d), rng.normal(size=d), rng.normal(size=d)
    f = catalogue.quadratic(A=A, b=b)
    expect_close(
        student.numerical_gradient(f, x.copy(), h=h),
        A @ x - b,
        "numerical_gradient",
        rtol=GRADIENT_RTOL,
        atol=1e-8,
        mistakes=difference_mistakes(f, x, h),
    )


def sine_sum_gradient(x, w):
    """torch.autograd's gradient of sum(sin(w * x)) at x."""
    x_t = torch64(x).requires_grad_()
    torch.sum(torch.sin(torch64(w) * x_t)).backward()
    return x_t.grad.numpy()


@pytest.mark.points(2)
def test_numerical_gradient_matches_autograd_for_any_shape(student, rng):
    """For sum(sin(w * x)) over an x of 1, 2 and 3 dimensions, with the default h, it equals autograd's."""
    for dims in (1, 2, 3):
        shape = tuple(int(n) for n in rng.integers(2, 5, size=dims))
        x, w = rng.normal(size=shape), rng.uniform(0.5, 2.0, size=shape)
        f = catalogue.sine_sum(w=w)
        expect_close(
            student.numerical_gradient(f, x.copy()),
            sine_sum_gradient(x, w),
            f"numerical_gradient of a {dims}-D x",
            rtol=GRADIENT_RTOL,
            atol=1e-8,
            mistakes=difference_mistakes(f, x, 1e-5),
        )


def test_numerical_gradient_leaves_x_as_it_found_it(student, rng):
    """After numerical_gradient returns, x holds exactly the values it was given; and the gradient is right (else no points)."""
    x, w = rng.normal(size=(3, 4)), rng.uniform(0.5, 2.0, size=(3, 4))
    given = x.copy()
    f = catalogue.sine_sum(w=w)
    got = student.numerical_gradient(f, given)
    if not np.array_equal(x, given):
        raise CheckFailed(f"numerical_gradient changed x: {NOT_RESTORED}", mistake=NOT_RESTORED)
    expect_close(got, sine_sum_gradient(x, w), "numerical_gradient", rtol=GRADIENT_RTOL, atol=1e-8, mistakes=difference_mistakes(f, x, 1e-5))


def dense_problem(rng):
    n, d, m = (int(k) for k in rng.integers(2, 7, size=3))
    return rng.normal(size=(n, d)), rng.normal(size=(m, d)), rng.normal(size=m)


def test_dense_forward_matches_torch(student, rng):
    """dense_forward equals torch.nn.functional.linear on random N, D, M."""
    x, W, b = dense_problem(rng)
    expect_close(student.dense_forward(x.copy(), W.copy(), b.copy()), F.linear(torch64(x), torch64(W), torch64(b)).numpy(), "dense_forward")


@pytest.mark.points(2)
def test_dense_backward_matches_autograd(student, rng):
    """dx, dW and db equal torch.autograd's for a random upstream gradient dout."""
    x, W, b = dense_problem(rng)
    dout = rng.normal(size=(len(x), len(W)))
    tensors = [torch64(a).requires_grad_() for a in (x, W, b)]
    (F.linear(*tensors) * torch64(dout)).sum().backward()
    dx, dW, db = (t.grad.numpy() for t in tensors)
    got = student.dense_backward(dout.copy(), x.copy(), W.copy())
    expect_close(got[0], dx, "dense_backward's dx", rtol=GRADIENT_RTOL)
    expect_close(got[1], dW, "dense_backward's dW", rtol=GRADIENT_RTOL, mistakes=[Mistake(DW_TRANSPOSED, answer=dW.T)])
    expect_close(got[2], db, "dense_backward's db", rtol=GRADIENT_RTOL, mistakes=[Mistake(DB_MEAN, answer=db / len(x))])


def mlp_problem(rng):
    """Parameters, X and y of a two-layer network whose ReLU inputs are all away from 0. Every
    student meets ReLU inputs on both sides of 0, and both labels."""
    n, d, hidden = int(rng.integers(4, 12)), int(rng.integers(2, 6)), int(rng.integers(3, 8))
    while True:
        params = {"W1": rng.normal(size=(hidden, d)), "b1": rng.normal(size=hidden), "W2": rng.normal(size=(1, hidden)), "b2": rng.normal(size=1)}
        X = rng.normal(size=(n, d))
        a = X @ params["W1"].T + params["b1"]
        if np.min(np.abs(a)) > 0.05 and np.any(a < 0) and np.any(a > 0):
            y = rng.permutation(np.resize([0.0, 1.0], n))
            return params, X, y


@pytest.mark.points(3)
def test_mlp_loss_and_gradients_match_autograd(student, rng):
    """The loss and all four gradients equal torch.autograd's (dense, ReLU, dense, BCE with logits)."""
    params, X, y = mlp_problem(rng)
    leaves = {name: torch64(value).requires_grad_() for name, value in params.items()}
    hidden = F.relu(F.linear(torch64(X), leaves["W1"], leaves["b1"]))
    loss = F.binary_cross_entropy_with_logits(F.linear(hidden, leaves["W2"], leaves["b2"])[:, 0], torch64(y))
    loss.backward()
    got_loss, got_grads = student.mlp_loss_and_gradients({k: v.copy() for k, v in params.items()}, X.copy(), y.copy())
    expect_close(got_loss, loss.item(), "mlp_loss_and_gradients' loss", mistakes=[Mistake(LOSS_SUM, answer=loss.item() * len(y))])
    for name, leaf in leaves.items():
        expected = leaf.grad.numpy()
        mistakes = [Mistake(GRADIENTS_TIMES_N, answer=expected * len(y)), Mistake(DB_MEAN, answer=expected / len(y))]
        expect_close(got_grads[name], expected, f"the gradient of {name}", rtol=GRADIENT_RTOL, mistakes=mistakes)


def more_ops(a, b):
    """micrograd's test_more_ops expression, for Values and torch tensors alike."""
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    return g + 10.0 / f + (a * 0.25).tanh() + (b * 0.5).exp()


def sides_of_both_kinks(rng):
    """Two (a, b): with a > |b| more_ops' relus see b + a > 0 and b - a < 0, with a < -|b| the
    other way round, so every student meets both sides of both kinks (and never 0)."""
    pairs = []
    for sign in (1.0, -1.0):
        b = float(rng.uniform(-3.0, 3.0))
        pairs.append((sign * (abs(b) + float(rng.uniform(0.1, 1.0))), b))
    return pairs


@pytest.mark.points(3)
def test_value_expression_matches_autograd(student, rng):
    """micrograd's test_more_ops on random inputs, each relu on both sides of 0: g.data, a.grad and b.grad equal torch's."""
    for a_value, b_value in sides_of_both_kinks(rng):
        a_t, b_t = torch64(a_value).requires_grad_(), torch64(b_value).requires_grad_()
        g_t = more_ops(a_t, b_t)
        g_t.backward()
        a, b = student.Value(a_value), student.Value(b_value)
        g = more_ops(a, b)
        g.backward()
        expect_close(expect_float(g.data, "Value.data"), g_t.item(), "Value: g.data")
        expect_close(a.grad, a_t.grad.item(), "Value: a.grad", rtol=GRADIENT_RTOL, mistakes=backward_mistakes(student))
        expect_close(b.grad, b_t.grad.item(), "Value: b.grad", rtol=GRADIENT_RTOL, mistakes=backward_mistakes(student))


UNARY = [
    ("tanh", lambda v: v.tanh()),
    ("exp", lambda v: v.exp()),
    ("relu", lambda v: v.relu()),
    ("** 3", lambda v: v**3),
    ("** -1.5", lambda v: (v * v) ** -1.5),
    ("1 / v", lambda v: 1.0 / v),
    ("2.5 - v", lambda v: 2.5 - v),
    ("-v", lambda v: -v),
]


@pytest.mark.points(2)
def test_value_operations_match_autograd(student, rng):
    """Each operation alone (tanh, exp, relu, powers, division, subtraction, negation), at a negative and a positive input, gives torch's value and gradient."""
    for label, operation in UNARY:
        for sign in (-1.0, 1.0):
            x = sign * float(rng.uniform(0.3, 2.0))
            x_t = torch64(x).requires_grad_()
            out_t = operation(x_t)
            out_t.backward()
            v = student.Value(x)
            out = operation(v)
            out.backward()
            expect_close(out.data, out_t.item(), f"Value ({label}): out.data")
            expect_close(v.grad, x_t.grad.item(), f"Value ({label}): the gradient", rtol=GRADIENT_RTOL, mistakes=backward_mistakes(student))


def test_value_relu_passes_no_gradient_at_zero(student, rng):
    """At exactly 0, relu gives 0 and passes no gradient, as in torch: d(relu(v) + k v)/dv = k at v = 0."""
    k = float(rng.uniform(0.5, 3.0))
    v_t = torch64(0.0).requires_grad_()
    (torch.relu(v_t) + k * v_t).backward()
    v = student.Value(0.0)
    out = v.relu()
    (out + v * k).backward()
    expect_close(out.data, 0.0, "Value (relu at 0): out.data")
    known = [Mistake(RELU_KINK, answer=k + 1.0), *backward_mistakes(student)]
    expect_close(v.grad, v_t.grad.item(), "Value (relu at 0): the gradient", rtol=GRADIENT_RTOL, mistakes=known)


def fork(a):
    """b = a * a reached along two paths of one length: d/da = 10 a."""
    b = a * a
    return b * 2.0 + b * 3.0


def lopsided_fork(a):
    """b1 = a * a and b2 = 3 a, each reached along a short and a long path: d/da = 6 a + 9."""
    b1, b2 = a * a, a * 3.0
    return ((b1 * 2.0) + b2) + ((b2 * 2.0) + b1)


def test_value_reused_nodes_accumulate(student, rng):
    """Nodes used several times, leaves and inner nodes: each gets the gradient of all its uses, once."""
    x = float(rng.uniform(0.5, 3.0))
    graphs = [
        ("a * a * a", lambda a: a * a * a, 3 * x**2),
        ("a + a * a + a", lambda a: a + a * a + a, 2 + 2 * x),
        ("b * 2 + b * 3 with b = a * a", fork, 10 * x),
        ("(2 b1 + b2) + (2 b2 + b1) with b1 = a * a and b2 = 3 a", lopsided_fork, 6 * x + 9),
    ]
    for label, build, derivative in graphs:
        a = student.Value(x)
        build(a).backward()
        expect_close(a.grad, derivative, f"Value: the gradient of a in {label}", rtol=GRADIENT_RTOL, mistakes=backward_mistakes(student))
