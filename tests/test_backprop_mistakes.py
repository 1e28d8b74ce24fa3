"""Each planted backprop mistake loses exactly the checks it breaks, named in feedback."""

import pytest

from mutants import assert_mistake_caught

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
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_planted_mistake_loses_exactly_its_checks(tmp_path, name):
    assert_mistake_caught(tmp_path, "backprop", MISTAKES[name])
