"""Known mistakes in gradient checking, dense layers, backprop by hand and a scalar autodiff
engine; for the engine's backward pass also the probes that recognise them, by trying the
student's Value on small graphs."""

from autograder.feedback import Mistake

NO_FLOOR = "where a and b are both 0 the denominator is 0: keep it at least 1e-8 (np.maximum(1e-8, |a| + |b|))."
MEAN_ERROR = "that averages the errors; the relative error is the largest one (np.max)."
ABSOLUTE_ERROR = "that is the absolute error |a - b|; divide it by |a| + |b|."
ONE_SIDED = "that is a one-sided difference (f(x + h) - f(x)) / h, accurate only to order h; use the centred (f(x + h) - f(x - h)) / (2 * h)."
NOT_RESTORED = "x is not put back after each nudge, so later elements are differentiated at a shifted point: restore each element before nudging the next."
WEIGHTS_NOT_TRANSPOSED = "torch's dense layer multiplies by W transposed: out = x @ W.T + b, with W of shape (M, D)."
DW_TRANSPOSED = "dW must have the shape of W, (M, D): dW = dout.T @ x."
DB_MEAN = "db sums dout over the samples (each sample used b once); it is not a mean."
GRADIENTS_TIMES_N = "the gradients are N times too large: the loss is a mean, so dL/dz = (sigmoid(z) - y) / N."
LOSS_SUM = "that is the sum over the samples; the binary cross-entropy is a mean."
OVERWRITTEN = "a node used twice (a + a, a * a) must get the gradient of both uses: accumulate with +=, do not overwrite with =."
NO_VISITED = "a node reached along two paths runs its _backward twice and passes its gradient on twice: build the topological order with a visited set, so each node runs once."
BACKWARD_ORDER = "a node's _backward must run after every node that uses it has added its share: build the topological order (a node after its _prev), then run it in reverse."
RELU_KINK = "at exactly 0 ReLU passes no gradient: its derivative is 1 only where the input is > 0 (out.data > 0), as in PyTorch."


def overwrites_gradients(student) -> bool:
    """True when the student's engine gives a + a the gradient 1 or a * a the gradient a (= for +=)."""
    return _gradient(student, lambda a: a + a) == 1.0 or _gradient(student, lambda a: a * a) == 1.5


def _gradient(student, build) -> float | None:
    """d build(a) / da at a = 1.5 in the student's engine, or None when it is not a number
    or the engine raised (a probe that cannot run recognises nothing)."""
    try:
        a = student.Value(1.5)
        build(a).backward()
        grad = a.grad
    except Exception:  # noqa: BLE001 - the student's error, in the worker or (locally) here
        return None
    return float(grad) if type(grad) in (int, float) else None


def _sum(a):
    """One operation: d/da = 1 in any engine whose + is right, in whatever order it runs."""
    return a + 1.0


def _diamond(a):
    """b = a + 1 reached along two paths of one length: d/da = 2."""
    b = a + 1.0
    return (b + 2.0) + (b + 3.0)


def _lopsided(a):
    """b1 and b2 each reached along a short and a long path, mirrored: d/da = 4 (a breadth-first
    order runs one of them before its longer path has added its share, whichever comes first)."""
    b1, b2 = a + 1.0, a + 2.0
    return ((b1 + 3.0) + b2) + ((b2 + 4.0) + b1)


def _differs(got: float | None, expected: float) -> bool:
    return got is not None and abs(got - expected) > 1e-9


def visits_a_node_twice(student) -> bool:
    """True when, in an engine whose + is right, a node reached along two paths passes its
    gradient on more than once."""
    if _differs(_gradient(student, _sum), 1.0):
        return False
    diamond = _gradient(student, _diamond)
    return diamond is not None and diamond > 2.0 + 1e-9


def runs_backward_out_of_order(student) -> bool:
    """True when, in an engine whose + is right and that visits each node once, a node's
    _backward runs before all its users have added their share."""
    if _differs(_gradient(student, _sum), 1.0) or visits_a_node_twice(student):
        return False
    return _differs(_gradient(student, _diamond), 2.0) or _differs(_gradient(student, _lopsided), 4.0)


def backward_mistakes(student) -> list:
    """The Mistakes of a scalar engine's backward pass, recognised by trying the student's Value
    on small graphs (only + and backward), whatever answer a check got."""
    return [
        Mistake(OVERWRITTEN, test=lambda _: overwrites_gradients(student)),
        Mistake(NO_VISITED, test=lambda _: visits_a_node_twice(student)),
        Mistake(BACKWARD_ORDER, test=lambda _: runs_backward_out_of_order(student)),
    ]
