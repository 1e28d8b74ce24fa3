"""Nonlinearities: the pointwise scalar functions between a network's linear layers.

"Life without nonlinearity is unfulfilling": every layer's multiply-and-sum is a matrix
projection, and a sequence of projections F_5 @ F_4 @ F_3 @ F_2 @ F_1 is itself one
projection. A nonlinearity applied to every value between the layers lets the network bend
and warp the data. Every function here works elementwise on a float64 array of any shape
and returns a float64 array of the same shape, without overflow even at x = +-1000.
"""

import numpy as np


def sigmoid(x):
    """The logistic sigmoid 1 / (1 + exp(-x)), squashing any x into (0, 1).

    exp(-x) overflows for x = -1000; write it as exp(-log(1 + exp(-x))), where
    np.logaddexp(0, -x) computes log(exp(0) + exp(-x)) without overflow.

    Inputs:
    - x: float64 array, any shape

    Returns:
    - out: float64 array, the same shape, values in [0, 1]
    """
    # Hint: np.exp(-np.logaddexp(0.0, -x)).
    ### BEGIN SOLUTION
    out = np.exp(-np.logaddexp(0.0, -x))
    ### END SOLUTION
    return out


def tanh(x):
    """The hyperbolic tangent, squashing any x into (-1, 1); tanh(x) = 2 * sigmoid(2 * x) - 1.

    Inputs:
    - x: float64 array, any shape

    Returns:
    - out: float64 array, the same shape, values in [-1, 1]
    """
    # Hint: numpy has it.
    ### BEGIN SOLUTION
    out = np.tanh(x)
    ### END SOLUTION
    return out


def relu(x):
    """The rectified linear unit, ReLU(x) = max(0, x), elementwise.

    Inputs:
    - x: float64 array, any shape

    Returns:
    - out: float64 array, the same shape, values >= 0
    """
    # Hint: np.maximum compares elementwise; np.max would return one number.
    ### BEGIN SOLUTION
    out = np.maximum(0.0, x)
    ### END SOLUTION
    return out


def leaky_relu(x, negative_slope=0.01):
    """Leaky ReLU: x where x > 0, negative_slope * x elsewhere (a small fixed slope).

    Inputs:
    - x: float64 array, any shape
    - negative_slope: float, the slope for x <= 0 (fixed, not learned)

    Returns:
    - out: float64 array, the same shape
    """
    # Hint: np.where(condition, value_if_true, value_if_false).
    ### BEGIN SOLUTION
    out = np.where(x > 0, x, negative_slope * x)
    ### END SOLUTION
    return out


def prelu(x, a):
    """Parametric ReLU: x where x > 0, a * x elsewhere, where the slope a is learned.

    The same shape as leaky ReLU, but a is a parameter of the network (torch starts it at
    0.25), so it must be given; it is not the fixed 0.01 of leaky ReLU.

    Inputs:
    - x: float64 array, any shape
    - a: float, the slope for x <= 0

    Returns:
    - out: float64 array, the same shape
    """
    # Hint: the same as leaky_relu with a as the slope.
    ### BEGIN SOLUTION
    out = np.where(x > 0, x, a * x)
    ### END SOLUTION
    return out


def swish(x, beta=1.0):
    """Swish, x * sigmoid(beta * x); with beta = 1 it is also called SiLU.

    Inputs:
    - x: float64 array, any shape
    - beta: float, how sharply it bends

    Returns:
    - out: float64 array, the same shape
    """
    # Hint: reuse your sigmoid.
    ### BEGIN SOLUTION
    out = x * sigmoid(beta * x)
    ### END SOLUTION
    return out


def softplus(x, beta=1.0):
    """Softplus, log(1 + exp(beta * x)) / beta: a smooth ReLU.

    exp(beta * x) overflows for x = 1000; np.logaddexp(0, beta * x) computes
    log(1 + exp(beta * x)) without overflow.

    Inputs:
    - x: float64 array, any shape
    - beta: float > 0, how sharply it bends

    Returns:
    - out: float64 array, the same shape, values >= 0
    """
    # Hint: do not forget to divide by beta.
    ### BEGIN SOLUTION
    out = np.logaddexp(0.0, beta * x) / beta
    ### END SOLUTION
    return out


def activation_gradient(name, x, **params):
    """The derivative d out / d x of the named activation, elementwise (s = sigmoid).

    - "sigmoid": s(x) * (1 - s(x)), at most 0.25 (at x = 0)
    - "tanh": 1 - tanh(x) ** 2
    - "relu": 1 where x > 0, else 0; at the kink x = 0 it is 0, as in PyTorch
    - "leaky_relu" (negative_slope=0.01) and "prelu" (a): 1 where x > 0, else the slope
    - "swish" (beta=1.0): s(beta * x) + beta * x * s(beta * x) * (1 - s(beta * x))
    - "softplus" (beta=1.0): s(beta * x)

    Inputs:
    - name: str, one of the names above; raise ValueError for any other
    - x: float64 array, any shape
    - params: the activation's parameters as keyword arguments

    Returns:
    - grad: float64 array, the same shape as x
    """
    # Hint: reuse your activations; (x > 0) is a bool array, np.where turns it into numbers.
    ### BEGIN SOLUTION
    if name == "sigmoid":
        grad = sigmoid(x) * (1.0 - sigmoid(x))
    elif name == "tanh":
        grad = 1.0 - np.tanh(x) ** 2
    elif name == "relu":
        grad = np.where(x > 0, 1.0, 0.0)
    elif name == "leaky_relu":
        grad = np.where(x > 0, 1.0, params.get("negative_slope", 0.01))
    elif name == "prelu":
        grad = np.where(x > 0, 1.0, params["a"])
    elif name == "swish":
        beta = params.get("beta", 1.0)
        s = sigmoid(beta * x)
        grad = s + beta * x * s * (1.0 - s)
    elif name == "softplus":
        grad = sigmoid(params.get("beta", 1.0) * x)
    else:
        raise ValueError(f"unknown activation {name!r}")
    ### END SOLUTION
    return grad


def collapse_linear(weights, biases):
    """The one linear layer (W, b) that equals a sequence of linear layers.

    Layer k maps out_{k-1} to W_k @ out_{k-1} + b_k (torch's nn.Linear, on a column
    vector). Without a nonlinearity between them, the whole stack is one layer:
    W = W_K @ ... @ W_2 @ W_1 (the lecture's F_5 @ F_4 @ F_3 @ F_2 @ F_1) and
    b = W_K @ (... (W_2 @ b_1 + b_2) ...) + b_K.

    Inputs:
    - weights: list of K float64 arrays, first layer first; weights[k] has shape (D[k + 1], D[k])
    - biases: list of K float64 arrays; biases[k] has shape (D[k + 1],)

    Returns a tuple of:
    - W: float64 array of shape (D[K], D[0])
    - b: float64 array of shape (D[K],)
    """
    # Hint: walk through the layers in order, pushing (W, b) through each new layer.
    ### BEGIN SOLUTION
    W, b = weights[0], biases[0]
    for W_next, b_next in zip(weights[1:], biases[1:]):
        W = W_next @ W
        b = W_next @ b + b_next
    ### END SOLUTION
    return W, b
