"""Hidden checks for optimisers: torch.optim in float64 as the oracle, step by step on the
same gradients, and on a seeded quadratic bowl when `optimise` drives the steps.

Every student meets the same cases: a vector and a matrix of parameters, gradients with
both signs, some small enough that where eps goes matters, momentum 0 and momentum > 0."""

import numpy as np
import pytest
import torch
import torch._dynamo  # noqa: F401 - torch.optim imports it at its first optimiser (2 s of CPU): here, at collection, not within a check's time

from autograder import catalogue
from autograder.compare import CheckFailed, expect_array, expect_close, expect_unchanged, shape_shown
from autograder.feedback import Mistake, answers_agree, recognise
from autograder.mistakes import optimisers as mistakes

pytestmark = pytest.mark.concept("optimisers")

EXACT = 1e-10  # relative: each step is a few float64 operations, the same as torch's
STEPS = 6
TORCH = {"sgd_momentum_step": torch.optim.SGD, "rmsprop_step": torch.optim.RMSprop, "adam_step": torch.optim.Adam}


def hyper_cases(rng, name):
    """The hyper-parameters each check tries for one step function: every case for everyone."""
    lr = float(rng.uniform(0.01, 0.2))
    eps = float(10 ** rng.uniform(-4, -2))  # large enough that where eps goes shows
    if name == "sgd_momentum_step":
        return [{"lr": lr, "momentum": 0.0}, {"lr": lr, "momentum": float(rng.uniform(0.5, 0.95))}]
    if name == "rmsprop_step":
        return [{"lr": lr, "alpha": float(rng.uniform(0.8, 0.99)), "eps": eps}]
    return [{"lr": lr, "betas": (float(rng.uniform(0.8, 0.95)), float(rng.uniform(0.95, 0.999))), "eps": eps}]


def shapes(rng):
    """A vector and a matrix of parameters."""
    return [(int(rng.integers(3, 7)),), (int(rng.integers(2, 4)), int(rng.integers(3, 5)))]


def gradients(rng, shape, count):
    """`count` gradients whose first entry is small and negative and second large and
    positive (so every student meets both signs, and a size at which eps matters)."""
    size = int(np.prod(shape))
    grads = rng.choice([-1.0, 1.0], size=(count, size)) * 10 ** rng.uniform(-3, 0.5, size=(count, size))
    grads[:, 0] = -(10 ** rng.uniform(-3, -2, size=count))
    grads[:, 1] = 10 ** rng.uniform(-0.3, 0.3, size=count)
    return grads.reshape(count, *shape)


def torch_path(name, params0, hyper, gradient_at, steps, forgetful=False):
    """The parameters after each of `steps` steps of torch's optimiser, in float64; a
    forgetful one starts each step from a fresh state (the state not handed on)."""
    p = torch.tensor(params0, dtype=torch.float64, requires_grad=True)
    optimiser = TORCH[name]([p], **hyper)
    path = []
    for k in range(steps):
        if forgetful:
            optimiser = TORCH[name]([p], **hyper)
        p.grad = torch.from_numpy(np.array(gradient_at(k, p.detach().numpy()), dtype=np.float64))
        optimiser.step()
        path.append(p.detach().numpy().copy())
    return np.array(path)


def sgd_dampened(params, grad, state, lr, momentum):
    v = momentum * state.get("v", 0.0) + (1 - momentum) * grad
    return params - lr * v, {"v": v}


def sgd_uphill(params, grad, state, lr, momentum):
    v = momentum * state.get("v", 0.0) + grad
    return params + lr * v, {"v": v}


def rmsprop_eps_inside(params, grad, state, lr, alpha, eps):
    s = alpha * state.get("s", 0.0) + (1 - alpha) * grad**2
    return params - lr * grad / np.sqrt(s + eps), {"s": s}


def adam_variant(correct, eps_inside):
    """Adam with or without bias correction, with eps outside or inside the square root."""

    def step(params, grad, state, lr, betas, eps):
        t = state.get("t", 0) + 1
        m = betas[0] * state.get("m", 0.0) + (1 - betas[0]) * grad
        v = betas[1] * state.get("v", 0.0) + (1 - betas[1]) * grad**2
        m_hat, v_hat = (m / (1 - betas[0] ** t), v / (1 - betas[1] ** t)) if correct else (m, v)
        root = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
        return params - lr * m_hat / root, {"t": t, "m": m, "v": v}

    return step


def all_not_finite(got):
    values = np.asarray(got, dtype=np.float64)
    return values.size > 0 and not np.any(np.isfinite(values))


# Per step function: (explanation, the mistaken step as the grader computes it, or None
# with a test on the answer instead).
VARIANTS = {
    "sgd_momentum_step": [(mistakes.DAMPENED_MOMENTUM, sgd_dampened), (mistakes.UPHILL, sgd_uphill)],
    "rmsprop_step": [(mistakes.DECAY_ON_GRADIENT, None), (mistakes.EPS_INSIDE_SQRT, rmsprop_eps_inside)],
    "adam_step": [
        (mistakes.BIAS_CORRECTION_FROM_ZERO, None),
        (mistakes.NO_BIAS_CORRECTION, adam_variant(correct=False, eps_inside=False)),
        (mistakes.EPS_INSIDE_SQRT, adam_variant(correct=True, eps_inside=True)),
    ],
}


def drive(step, params0, hyper, gradient_at, steps):
    """The grader's own loop over a step function of the grader's: the parameters after each step."""
    params, state, path = params0, {}, []
    for k in range(steps):
        params, state = step(params, gradient_at(k, params), state, **hyper)
        path.append(params)
    return np.array(path)


def known_mistakes(name, params0, hyper, gradient_at, steps):
    """The mistakes a path of `name` can show, each as the path the grader computes for it."""
    tests = {mistakes.DECAY_ON_GRADIENT: lambda got: not np.all(np.isfinite(np.asarray(got, dtype=np.float64))), mistakes.BIAS_CORRECTION_FROM_ZERO: all_not_finite}
    found = []
    for explanation, variant in VARIANTS[name]:
        if variant is None:
            found.append(Mistake(explanation, test=tests[explanation]))
        elif explanation != mistakes.DAMPENED_MOMENTUM or hyper["momentum"] > 0:
            with np.errstate(all="ignore"):
                found.append(Mistake(explanation, answer=drive(variant, params0, hyper, gradient_at, steps)))
    return found


def step_pair(result, name):
    """(new_params, new_state) from what a step function returned."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed(f"{name} should return a tuple (new_params, new_state).")
    return result


def student_path(step, name, params0, hyper, gradient_at, steps):
    """The student's parameters after each step, each handed back with the student's state."""
    params, state, path = params0.copy(), {}, []
    for k in range(steps):
        params, state = step_pair(step(params.copy(), gradient_at(k, params), state, **hyper), name)
        expect_array(params, name)
        if params.shape != params0.shape:
            raise CheckFailed(f"{name} returned parameters of {shape_shown(params.shape)}; new_params has the shape of params.")
        path.append(params)
    return np.array(path)


def check_step_matches_torch(student, rng, name):
    """The student's steps against torch's on every hyper-parameter case and both shapes."""
    for hyper in hyper_cases(rng, name):
        for shape in shapes(rng):
            params0, grads = rng.normal(size=shape), gradients(rng, shape, STEPS)
            gradient_at = lambda k, params: grads[k]  # noqa: E731 - the same gradients for everyone
            expect_close(
                student_path(getattr(student, name), name, params0, hyper, gradient_at, STEPS),
                torch_path(name, params0, hyper, gradient_at, STEPS),
                name,
                rtol=EXACT,
                mistakes=known_mistakes(name, params0, hyper, gradient_at, STEPS),
            )


@pytest.mark.points(2)
def test_sgd_momentum_step_matches_torch(student, rng):
    """sgd_momentum_step follows torch.optim.SGD step by step, with momentum 0 and > 0, for vectors and matrices."""
    check_step_matches_torch(student, rng, "sgd_momentum_step")


@pytest.mark.points(2)
def test_rmsprop_step_matches_torch(student, rng):
    """rmsprop_step follows torch.optim.RMSprop step by step, for vectors and matrices."""
    check_step_matches_torch(student, rng, "rmsprop_step")


@pytest.mark.points(2)
def test_adam_step_matches_torch(student, rng):
    """adam_step follows torch.optim.Adam step by step, bias correction and eps included."""
    check_step_matches_torch(student, rng, "adam_step")


def test_steps_leave_their_inputs_unchanged(student, rng):
    """Each step function returns new arrays: the caller's params and grad stay as they were."""
    for name in TORCH:
        hyper = hyper_cases(rng, name)[-1]
        params0 = rng.normal(size=shapes(rng)[1])
        grads = gradients(rng, params0.shape, 2)
        gradient_at = lambda k, params: grads[k]  # noqa: E731
        expected = torch_path(name, params0, hyper, gradient_at, 2)
        known = known_mistakes(name, params0, hyper, gradient_at, 2)
        params, state = params0.copy(), {}
        for k in range(2):
            given, grad = params.copy(), grads[k].copy()
            new_params, state = step_pair(getattr(student, name)(given, grad, state, **hyper), name)
            expect_close(new_params, expected[k], name, rtol=EXACT, mistakes=[at_step(mistake, k) for mistake in known])
            expect_unchanged(params, given, name, "params")
            expect_unchanged(grads[k], grad, name, "grad")
            params = new_params


def at_step(mistake, k):
    """A mistake recognised on a whole path, narrowed to the parameters after step k + 1."""
    return mistake if mistake.answer is None else Mistake(mistake.explanation, answer=mistake.answer[k])


def random_bowl(rng):
    """A, b of an elongated convex quadratic 0.5 x^T A x - b^T x in 2 to 5 dimensions."""
    p = int(rng.integers(2, 6))
    Q = np.linalg.qr(rng.normal(size=(p, p)))[0]
    curvatures = np.geomspace(0.2, float(rng.uniform(3.0, 6.0)), p)
    return Q @ np.diag(curvatures) @ Q.T, rng.normal(0.0, 2.0, size=p)


def start_on_slopes(rng, A, b):
    """A starting point whose gradient A theta0 - b has both signs (every student meets both)."""
    slopes = rng.uniform(0.5, 2.0, size=len(b)) * rng.choice([-1.0, 1.0], size=len(b))
    slopes[:2] = np.abs(slopes[:2]) * np.array([-1.0, 1.0])
    return np.linalg.solve(A, b + slopes)


def test_optimise_matches_the_lectures_loop(student, rng):
    """optimise hands each step the gradient and the previous state, records steps + 1 rows, and leaves theta0 alone."""
    A, b = random_bowl(rng)
    lr = float(rng.uniform(0.05, 0.3))
    for steps in (int(rng.integers(3, 9)), 0):
        theta0 = rng.normal(size=len(b))
        path, forgetful = [theta0], [theta0]
        for t in range(1, steps + 1):
            path.append(path[-1] - lr / t * (A @ path[-1] - b))
            forgetful.append(forgetful[-1] - lr * (A @ forgetful[-1] - b))
        given = theta0.copy()
        expect_close(
            student.optimise(catalogue.decaying_gradient_step(), catalogue.quadratic_gradient(A=A, b=b), given, steps, lr=lr),
            np.array(path),
            "optimise",
            mistakes=[Mistake(mistakes.STATE_NOT_PASSED_ON, answer=np.array(forgetful)), Mistake(mistakes.PATH_WITHOUT_START, answer=np.array(path[1:]).reshape(steps, len(b)))],
        )
        expect_unchanged(theta0, given, "optimise", "theta0")


def test_optimise_with_your_own_steps_follows_torch(student, rng):
    """optimise driving your sgd_momentum_step, rmsprop_step and adam_step walks torch's path down a bowl."""
    A, b = random_bowl(rng)
    gradient_at = lambda k, params: A @ params - b  # noqa: E731
    for name in TORCH:
        hyper, theta0 = hyper_cases(rng, name)[-1], start_on_slopes(rng, A, b)
        expected = np.vstack([theta0, torch_path(name, theta0, hyper, gradient_at, STEPS)])
        step = catalogue.student_function(module="optimisers", name=name)
        got = student.optimise(step, catalogue.quadratic_gradient(A=A, b=b), theta0.copy(), STEPS, **hyper)
        own = np.vstack([theta0, student_path(getattr(student, name), name, theta0, hyper, gradient_at, STEPS)])
        if not answers_agree(own, expected, EXACT):
            blame_step(name, own, theta0, hyper, gradient_at)
        forgetful = np.vstack([theta0, torch_path(name, theta0, hyper, gradient_at, STEPS, forgetful=True)])
        expect_close(
            got,
            expected,
            "optimise",
            rtol=EXACT,
            mistakes=[Mistake(mistakes.STATE_NOT_PASSED_ON, answer=forgetful), Mistake(mistakes.PATH_WITHOUT_START, answer=expected[1:])],
        )


def blame_step(name, own, theta0, hyper, gradient_at):
    """Fail naming the step function that is wrong, and its mistake when it is a known one."""
    known = known_mistakes(name, theta0, hyper, gradient_at, STEPS)
    mistake = recognise(own[1:], known)
    detail = mistake.explanation if mistake else "see its own checks."
    raise CheckFailed(f"optimise follows your {name}, which differs from torch's; fix {name} first: {detail}", mistake=mistake.explanation if mistake else "")
