"""Hostile submissions: the reference loss functions with one attack each (issue 5).

Each attack is code appended to a copy of solutions/losses.py, and the set of checks its
honest content must fail: the grader must give it exactly that, never more.
`{course}` in an attack's code is replaced by the course root's path.
"""

# A function's checks include the inputs-unchanged one: it counts only with right answers.
UNCHANGED = {"losses_leave_their_inputs_unchanged"}
MSE_CHECKS = {"mean_squared_error_small_example", "mean_squared_error_matches_sklearn", "losses_are_zero_for_a_perfect_prediction"} | UNCHANGED
CE_CHECKS = {"cross_entropy_of_uniform_logits_is_ln_k", "cross_entropy_matches_torch", "cross_entropy_is_stable_at_large_logits"} | UNCHANGED
MSE_GRADIENT_CHECKS = {"mse_gradient_small_example", "mse_gradient_divides_by_the_number_of_elements", "mse_gradient_matches_autograd"} | UNCHANGED
HINGE_CHECKS = {"hinge_loss_is_zero_beyond_the_margin", "hinge_loss_matches_sklearn"} | UNCHANGED
MAE_CHECKS = {"mean_absolute_error_small_example", "mean_absolute_error_matches_sklearn"} | UNCHANGED
ALL = "all"  # every check of the concept

WRONG_MSE = """
def mean_squared_error(y_true, y_pred):
    return 0.125
"""

ATTACKS = {
    "patches_numpy_comparisons": (
        """
import numpy.testing
np.allclose = lambda *args, **kwargs: True
np.isclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
numpy.testing.assert_allclose = lambda *args, **kwargs: None
""" + WRONG_MSE,
        MSE_CHECKS,
    ),
    "patches_torch_comparisons": (
        """
import torch
torch.allclose = lambda *args, **kwargs: True
torch.testing.assert_close = lambda *args, **kwargs: None
def cross_entropy(labels, logits):
    return 0.125
""",
        CE_CHECKS,
    ),
    "returns_an_always_equal_object": (
        """
class Anything(float):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __sub__(self, other): return 0.0
    def __abs__(self): return 0.0
def hinge_loss(y_true, scores):
    return Anything(0.0)
""",
        HINGE_CHECKS,
    ),
    "returns_an_ndarray_subclass": (
        """
class Agreeable(np.ndarray):
    def __eq__(self, other): return np.ones(np.shape(other), dtype=bool)
_reference_gradient = mse_gradient
def mse_gradient(y_true, y_pred):
    return _reference_gradient(y_true, y_pred).view(Agreeable)
""",
        MSE_GRADIENT_CHECKS,
    ),
    "returns_tensors_and_lists": (
        """
import torch
_reference_gradient = mse_gradient
def mse_gradient(y_true, y_pred):
    return torch.from_numpy(_reference_gradient(y_true, y_pred))
def mean_absolute_error(y_true, y_pred):
    return [float(np.mean(np.abs(y_true - y_pred)))]
""",
        MSE_GRADIENT_CHECKS | MAE_CHECKS | {"losses_are_zero_for_a_perfect_prediction"},
    ),
    "plants_a_conftest": (WRONG_MSE, MSE_CHECKS),  # the conftest.py itself is written by the test
    "forges_report_files": (
        """
import glob, os, json
_forged = json.dumps({"schema": 1, "score": 1000.0, "max_score": 10.0, "concepts": []})
for _pattern in ("report.json", "*/report.json", "/tmp/autograder-*/report.json", "/tmp/*/report.json"):
    for _target in glob.glob(_pattern) + ["report.json"]:
        try:
            with open(_target, "w") as _out:
                _out.write(_forged)
        except OSError:
            pass
""" + WRONG_MSE,
        MSE_CHECKS,
    ),
    "reads_the_hidden_checks": (
        """
def _steal(path):
    try:
        with open(path) as source:
            return source.read()[:400]
    except OSError as error:
        return f"nothing to steal: {type(error).__name__}"
def mean_squared_error(y_true, y_pred):
    raise ValueError(_steal("{course}/checks/hidden/test_losses.py") + _steal("{course}/solutions/losses.py"))
""",
        MSE_CHECKS,
    ),
    "exits_at_import": ("import sys\nsys.exit(0)\n", ALL),
    "loops_forever": (
        """
def mse_gradient(y_true, y_pred):
    while True:
        pass
""",
        MSE_GRADIENT_CHECKS,
    ),
    "bombs_memory": (
        """
def hinge_loss(y_true, scores):
    return np.ones(1 << 38).sum()
""",
        HINGE_CHECKS,
    ),
    "deletes_files": (
        """
import os, shutil
_here = os.path.dirname(os.path.abspath(__file__))
for _name in os.listdir(_here):
    try:
        os.remove(os.path.join(_here, _name))
    except OSError:
        pass
for _folder in ("{course}/checks/public", "{course}/checks/hidden", "{course}/solutions"):
    shutil.rmtree(_folder, ignore_errors=True)
""",
        set(),
    ),
    "changes_the_random_seed_globally": (
        """
import random, torch
np.random.seed(0)
random.seed(0)
torch.manual_seed(0)
np.random.default_rng = lambda *args, **kwargs: np.random.Generator(np.random.PCG64(0))
""",
        set(),
    ),
    "forks_at_import": (
        """
import os
for _ in range(3):
    if os.fork() == 0:
        while True:
            pass
""",
        set(),
    ),
    "floods_the_output": (
        """
_reference_mae = mean_absolute_error
def mean_absolute_error(y_true, y_pred):
    for _ in range(20000):
        print("x" * 500)
    return _reference_mae(y_true, y_pred)
""",
        set(),
    ),
    "raises_keyboard_interrupt": (
        """
def hinge_loss(y_true, scores):
    raise KeyboardInterrupt
""",
        HINGE_CHECKS,
    ),
    "exits_with_os_exit": (
        """
import os
def mean_absolute_error(y_true, y_pred):
    os._exit(3)
""",
        MAE_CHECKS | {"losses_are_zero_for_a_perfect_prediction"},
    ),
}

PLANTED_CONFTEST = """
import pytest

@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    report.outcome = "passed"
    return report
"""
