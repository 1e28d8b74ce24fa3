"""Optimisers: momentum, RMSprop and Adam, three ways of "stabilising training".

Plain gradient descent takes the step -lr * grad, the same rule in every direction. On a
loss surface shaped like a long, narrow valley that is a bad rule: the step is too large
across the valley (it zig-zags) and too small along it (it crawls). Momentum remembers past
gradients, so steps that agree add up and steps that alternate cancel. RMSprop divides each
parameter's step by a running root-mean-square of its gradient, so every direction moves at
a similar pace. Adam does both, with a correction for the averages starting at zero.

Each step function takes the parameters, their gradient and a state dict (empty at the
first step), and returns the new parameters and the new state, leaving the caller's arrays
as they were. The hyper-parameters have torch's names and defaults (torch.optim.SGD,
RMSprop, Adam), and so do the state's entries. All arrays are float64 numpy.
"""

import numpy as np


def sgd_momentum_step(params, grad, state, lr=0.01, momentum=0.9):
    """One step of SGD with momentum, as torch.optim.SGD(lr=lr, momentum=momentum).

    v = momentum * v + grad          (v, the "momentum buffer", starts at zero)
    params = params - lr * v

    With momentum = 0 this is plain gradient descent. torch adds the whole gradient to the
    buffer; the "dampened" v = momentum * v + (1 - momentum) * grad is a different rule.

    Inputs:
    - params: float64 array, any shape, the parameters theta
    - grad: float64 array shaped like params, dL/dtheta at params
    - state: dict, {} at the first step, then the state the previous step returned
    - lr: float > 0, the learning rate
    - momentum: float in [0, 1)

    Returns a tuple of:
    - new_params: float64 array shaped like params
    - new_state: dict {"momentum_buffer": v}, v a float64 array shaped like params
    """
    # Hint: state.get("momentum_buffer", np.zeros_like(params)); build new arrays with
    # `a = b + c`, never `a += c` on an array you were given.
    # YOUR CODE HERE
    raise NotImplementedError()
    return new_params, new_state


def rmsprop_step(params, grad, state, lr=0.01, alpha=0.99, eps=1e-8):
    """One step of RMSprop, as torch.optim.RMSprop(lr=lr, alpha=alpha, eps=eps).

    s = alpha * s + (1 - alpha) * grad ** 2      (s, the "square average", starts at zero)
    params = params - lr * grad / (sqrt(s) + eps)

    Each parameter's step is divided by the root of a running mean of its squared gradient,
    so a parameter with large gradients takes small steps, and one with small gradients
    large steps. eps only keeps the division finite; it goes outside the square root.

    Inputs:
    - params: float64 array, any shape
    - grad: float64 array shaped like params
    - state: dict, {} at the first step, then the state the previous step returned
    - lr: float > 0
    - alpha: float in (0, 1), how much of the old average each step keeps
    - eps: float > 0

    Returns a tuple of:
    - new_params: float64 array shaped like params
    - new_state: dict {"square_avg": s}, s a float64 array shaped like params
    """
    # Hint: like sgd_momentum_step, with np.sqrt; every operation is elementwise.
    # YOUR CODE HERE
    raise NotImplementedError()
    return new_params, new_state


def adam_step(params, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    """One step of Adam, as torch.optim.Adam(lr=lr, betas=betas, eps=eps).

    t = t + 1                                   (t counts the steps: 1 at the first)
    m = beta1 * m + (1 - beta1) * grad          (momentum: a mean of the gradient)
    v = beta2 * v + (1 - beta2) * grad ** 2     (RMSprop: a mean of its square)
    m_hat = m / (1 - beta1 ** t)                (bias correction: m and v start at zero,
    v_hat = v / (1 - beta2 ** t)                 so early averages are too small)
    params = params - lr * m_hat / (sqrt(v_hat) + eps)

    Inputs:
    - params: float64 array, any shape
    - grad: float64 array shaped like params
    - state: dict, {} at the first step, then the state the previous step returned
    - lr: float > 0
    - betas: tuple (beta1, beta2) of floats in (0, 1)
    - eps: float > 0

    Returns a tuple of:
    - new_params: float64 array shaped like params
    - new_state: dict {"step": t, "exp_avg": m, "exp_avg_sq": v}, t an int, m and v
      float64 arrays shaped like params
    """
    beta1, beta2 = betas
    # Hint: count the step before you correct: at the first step t = 1, and 1 - beta1 ** 0
    # would be a division by zero.
    # YOUR CODE HERE
    raise NotImplementedError()
    return new_params, new_state


def optimise(step, grad_fn, theta0, steps, **hyper):
    """Drive any step function for a number of steps, and record the path it takes.

    Starting from theta0 and an empty state {}, each step evaluates the gradient at the
    current parameters and hands it to `step` with the state the previous step returned:
        theta, state = step(theta, grad_fn(theta), state, **hyper)

    Inputs:
    - step: a step function such as adam_step: (params, grad, state, **hyper) ->
      (new_params, new_state)
    - grad_fn: function taking theta (float64, shape (P,)) and returning dL/dtheta, shape (P,)
    - theta0: float64 array of shape (P,), the starting point (left unchanged)
    - steps: int >= 0, how many steps to take
    - **hyper: the step function's hyper-parameters by name, e.g. lr=0.1, momentum=0.9

    Returns:
    - path: float64 array of shape (steps + 1, P); path[0] is theta0 and path[k] the
      parameters after k steps
    """
    # Hint: fill a preallocated np.empty((steps + 1, P)) row by row; the state is whatever
    # the step function returned last.
    # YOUR CODE HERE
    raise NotImplementedError()
    return path
