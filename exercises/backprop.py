"""Backpropagation of errors: the chain rule, applied backwards through the layers.

For a layer out_n = f_n(out_{n-1}, theta_n), the lecture's backward recurrence is
    dL/dtheta_n = df_n/dtheta(out_{n-1}, theta_n) * dL/dout_n,
and dL/dout_{n-1} is passed on to the layer before in the same way. Here you check
gradients numerically, write a dense layer's forward and backward pass, backpropagate
through a small network by hand, and build a scalar autodiff engine (like micrograd) that
does it for any expression. Arrays are float64 numpy; dense layers follow torch's
nn.Linear: out = x @ W.T + b with W of shape (M, D).
"""

import math

import numpy as np


def relative_error(a, b):
    """The relative error max(|a - b| / max(1e-8, |a| + |b|)), as in CS231n.

    Below 1e-7 two gradients agree; above 1e-2 one is probably wrong. The 1e-8 floor keeps
    the error finite where both are 0.

    Inputs:
    - a, b: float64 arrays of one shape (or floats)

    Returns:
    - error: float >= 0
    """
    # Hint: np.maximum (elementwise) for the floor, np.max for the largest error.
    # YOUR CODE HERE
    raise NotImplementedError()
    return float(error)


def numerical_gradient(f, x, h=1e-5):
    """The gradient of a scalar function f at x, by centred differences.

    For every element x_i: df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2 * h), where e_i
    nudges only element i. The centred difference has an error of order h ** 2; the
    one-sided (f(x + h e_i) - f(x)) / h has an error of order h. x must be exactly as it
    was when the function returns, and f must see the other elements unchanged.

    Inputs:
    - f: function taking a float64 array shaped like x and returning a float
    - x: float64 array, any shape
    - h: float, the size of the nudge

    Returns:
    - grad: float64 array, the same shape as x
    """
    # Hint: np.ndindex(x.shape) visits every index; nudge a copy of x, and put each
    # element back before nudging the next.
    # YOUR CODE HERE
    raise NotImplementedError()
    return grad


def dense_forward(x, W, b):
    """A dense (fully connected) layer, out = x @ W.T + b, as torch's nn.Linear.

    Inputs:
    - x: float64 array of shape (N, D), one sample per row
    - W: float64 array of shape (M, D)
    - b: float64 array of shape (M,)

    Returns:
    - out: float64 array of shape (N, M)
    """
    # Hint: one matrix product and a broadcast addition.
    # YOUR CODE HERE
    raise NotImplementedError()
    return out


def dense_backward(dout, x, W):
    """The backward pass of dense_forward: the gradients from dL/dout.

    With out = x @ W.T + b: dx = dout @ W, dW = dout.T @ x, and db = the sum of dout over
    the samples (each sample's output used b once).

    Inputs:
    - dout: float64 array of shape (N, M), dL/dout
    - x: float64 array of shape (N, D), the layer's input in the forward pass
    - W: float64 array of shape (M, D)

    Returns a tuple of:
    - dx: float64 array of shape (N, D)
    - dW: float64 array of shape (M, D)
    - db: float64 array of shape (M,)
    """
    # Hint: each gradient has the shape of what it is the gradient of; let shapes guide you.
    # YOUR CODE HERE
    raise NotImplementedError()
    return dx, dW, db


def mlp_loss_and_gradients(params, X, y):
    """Loss and gradients of a two-layer network for binary classification.

    Forward: a = X @ W1.T + b1 (dense), h = max(0, a) (ReLU), z = (h @ W2.T + b2)[:, 0]
    (dense, one logit per sample), and L = mean(max(z, 0) - z * y + log(1 + exp(-|z|))),
    the binary cross-entropy with logits. Backward: dL/dz = (sigmoid(z) - y) / N, then the
    chain rule back through each layer; ReLU passes the gradient where a > 0 only.

    Inputs:
    - params: dict with "W1" of shape (H, D), "b1" of shape (H,), "W2" of shape (1, H)
      and "b2" of shape (1,), all float64
    - X: float64 array of shape (N, D)
    - y: float64 array of labels in {0, 1}, shape (N,)

    Returns a tuple of:
    - loss: float
    - grads: dict with the keys of params, each a float64 array of the same shape
    """
    # Hint: reuse dense_forward and dense_backward; keep a for the ReLU's backward pass.
    # YOUR CODE HERE
    raise NotImplementedError()
    return float(loss), grads


class Value:
    """A scalar in an expression graph that knows how to backpropagate through it.

    Each operation makes a new Value whose _prev are its inputs and whose _backward adds
    its share of the gradient to its inputs' .grad (with +=, since a node used twice
    receives gradient from both uses). backward() calls every _backward in reverse
    topological order, starting from d self / d self = 1.

    Attributes:
    - data: float, the value
    - grad: float, d (the output backward() was called on) / d (this value)
    """

    def __init__(self, data, _prev=(), _op=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_prev)
        self._op = _op

    def __add__(self, other):
        """self + other; both inputs get out.grad."""
        other = other if isinstance(other, Value) else Value(other)
        # Hint: make out = Value(self.data + other.data, (self, other), "+"), then a function
        # _backward() that adds d(out)/d(input) * out.grad to each input's .grad (+=, since
        # d(a + b)/da = d(a + b)/db = 1: just out.grad), and set out._backward = _backward.
        # YOUR CODE HERE
        raise NotImplementedError()
        return out

    def __mul__(self, other):
        """self * other; each input gets the other's data times out.grad."""
        other = other if isinstance(other, Value) else Value(other)
        # Hint: as in __add__, with d(a * b)/da = b and d(a * b)/db = a.
        # YOUR CODE HERE
        raise NotImplementedError()
        return out

    def __pow__(self, exponent):
        """self ** exponent, for an int or float exponent (not a Value)."""
        if not isinstance(exponent, (int, float)):
            raise TypeError("only int and float powers are supported")
        # Hint: as in __add__, with one input and d(a ** k)/da = k * a ** (k - 1).
        # YOUR CODE HERE
        raise NotImplementedError()
        return out

    def relu(self):
        """max(0, self); its derivative is 1 where self > 0, else 0 (also at 0)."""
        # Hint: the gradient passes only where the output is positive.
        # YOUR CODE HERE
        raise NotImplementedError()
        return out

    def tanh(self):
        """tanh(self); its derivative is 1 - tanh(self) ** 2."""
        # Hint: math.tanh; reuse out.data in the derivative.
        # YOUR CODE HERE
        raise NotImplementedError()
        return out

    def exp(self):
        """exp(self); its derivative is exp(self) itself."""
        # Hint: math.exp; reuse out.data in the derivative.
        # YOUR CODE HERE
        raise NotImplementedError()
        return out

    def backward(self):
        """Backpropagate from self: set self.grad = 1, then run every node's _backward,
        each after all the nodes that use it (reverse topological order)."""
        # Hint: build the topological order with a depth-first search that appends a node
        # after its _prev; then walk it in reverse.
        # YOUR CODE HERE
        raise NotImplementedError()

    def __neg__(self):  # -self
        return self * -1

    def __radd__(self, other):  # other + self
        return self + other

    def __sub__(self, other):  # self - other
        return self + (-other)

    def __rsub__(self, other):  # other - self
        return other + (-self)

    def __rmul__(self, other):  # other * self
        return self * other

    def __truediv__(self, other):  # self / other
        return self * other**-1

    def __rtruediv__(self, other):  # other / self
        return other * self**-1

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"
