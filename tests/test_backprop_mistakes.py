"""Each planted backprop mistake loses exactly the checks it breaks, named in feedback."""

import pytest

from mutants import assert_earns_nothing, assert_mistake_caught

VALUE_OVERWRITES = """
def _overwriting_add(self, other):
    other = other if isinstance(other, Value) else Value(other)
    out = Value(self.data + other.data, (self, other), "+")

    def _backward():
        self.grad = out.grad
        other.grad = out.grad

    out._backward = _backward
    return out


def _overwriting_mul(self, other):
    other = other if isinstance(other, Value) else Value(other)
    out = Value(self.data * other.data, (self, other), "*")

    def _backward():
        self.grad = other.data * out.grad
        other.grad = self.data * out.grad

    out._backward = _backward
    return out


Value.__add__ = _overwriting_add
Value.__mul__ = _overwriting_mul
"""

BACKWARD = """
def _backward_pass(self):
    order, visited = [], set()

    def visit(node):
{visit}

    visit(self)
    self.grad = 1.0
    for node in {order}:
        node._backward()


Value.backward = _backward_pass
"""

MISTAKES = {
    "numerical_gradient_one_sided": (
        """
        def numerical_gradient(f, x, h=1e-5):
            point, grad = x.copy(), np.zeros(x.shape)
            f_x = f(point)
            for index in np.ndindex(x.shape):
                point[index] += h
                grad[index] = (f(point) - f_x) / h
                point[index] -= h
            return grad
        """,
        {
            "numerical_gradient_of_a_quadratic",
            "numerical_gradient_is_exact_for_a_quadratic",
            "numerical_gradient_matches_autograd_for_any_shape",
            "numerical_gradient_leaves_x_as_it_found_it",
        },
        "one-sided difference",
    ),
    "numerical_gradient_does_not_restore_x": (
        """
        def numerical_gradient(f, x, h=1e-5):
            grad = np.zeros(x.shape)
            for index in np.ndindex(x.shape):
                original = x[index]
                x[index] = original + h
                f_plus = f(x)
                x[index] = original - h
                grad[index] = (f_plus - f(x)) / (2 * h)
            return grad
        """,
        {
            "numerical_gradient_of_a_quadratic",
            "numerical_gradient_is_exact_for_a_quadratic",
            "numerical_gradient_leaves_x_as_it_found_it",
        },
        "not put back",
    ),
    "value_overwrites_gradients": (
        VALUE_OVERWRITES,
        {
            "value_gradient_of_a_node_used_twice",
            "value_passes_micrograds_sanity_check",
            "value_expression_matches_autograd",
            "value_operations_match_autograd",
            "value_reused_nodes_accumulate",
        },
        "accumulate with +=",
    ),
    "dense_backward_averages_db": (
        """
        _reference_dense_backward = dense_backward

        def dense_backward(dout, x, W):
            dx, dW, db = _reference_dense_backward(dout, x, W)
            return dx, dW, db / len(dout)
        """,
        {
            "mlp_loss_and_gradients_at_zero_weights",
            "dense_backward_matches_autograd",
            "mlp_loss_and_gradients_match_autograd",
        },
        "not a mean",
    ),
    "value_relu_passes_gradient_at_zero": (
        """
        def _relu(self):
            out = Value(max(0.0, self.data), (self,), "relu")

            def _backward():
                self.grad += (self.data >= 0) * out.grad

            out._backward = _backward
            return out


        Value.relu = _relu
        """,
        {"value_relu_passes_no_gradient_at_zero"},
        "at exactly 0 ReLU passes no gradient",
    ),
    "value_backward_with_no_visited_set": (
        BACKWARD.format(
            visit="""        for child in node._prev:
            visit(child)
        order.append(node)""",
            order="reversed(order)",
        ),
        {"value_passes_micrograds_sanity_check", "value_expression_matches_autograd", "value_reused_nodes_accumulate"},
        "with a visited set",
    ),
    "value_backward_in_topological_not_reverse_order": (
        BACKWARD.format(
            visit="""        if node not in visited:
            visited.add(node)
            for child in node._prev:
                visit(child)
            order.append(node)""",
            order="order",
        ),
        {
            "value_passes_micrograds_sanity_check",
            "value_expression_matches_autograd",
            "value_operations_match_autograd",
            "value_relu_passes_no_gradient_at_zero",
            "value_reused_nodes_accumulate",
        },
        "then run it in reverse",
    ),
    "value_backward_in_depth_first_pre_order": (
        BACKWARD.format(
            visit="""        if node not in visited:
            visited.add(node)
            order.append(node)
            for child in node._prev:
                visit(child)""",
            order="order",
        ),
        {"value_passes_micrograds_sanity_check", "value_expression_matches_autograd", "value_reused_nodes_accumulate"},
        "then run it in reverse",
    ),
}

RETURNS_ZEROS = """
def relative_error(a, b):
    return 0.0

def numerical_gradient(f, x, h=1e-5):
    return np.zeros(x.shape)

def dense_forward(x, W, b):
    return np.zeros((x.shape[0], W.shape[0]))

def dense_backward(dout, x, W):
    return np.zeros(x.shape), np.zeros(W.shape), np.zeros(W.shape[0])

def mlp_loss_and_gradients(params, X, y):
    return 0.0, {name: np.zeros_like(value) for name, value in params.items()}

_Value = Value

class Value(_Value):
    def __init__(self, data, _prev=(), _op=""):
        super().__init__(0.0, _prev, _op)

    def backward(self):
        pass
"""


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_planted_mistake_loses_exactly_its_checks(tmp_path, name):
    assert_mistake_caught(tmp_path, "backprop", MISTAKES[name])


def test_code_that_returns_zeros_earns_nothing(tmp_path):
    assert_earns_nothing(tmp_path, "backprop", RETURNS_ZEROS)
