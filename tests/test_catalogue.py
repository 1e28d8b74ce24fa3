"""Catalogue entries that name the student's own functions, and keyword arguments at call time."""

import sys
import types

import numpy as np
import pytest

from autograder import catalogue


def test_a_student_function_is_looked_up_in_the_submissions_module_when_called(monkeypatch):
    module = types.ModuleType("optimisers")
    module.adam_step = lambda params, grad, state, lr: (params - lr * grad, state)
    monkeypatch.setitem(sys.modules, "optimisers", module)
    step = catalogue.student_function(module="optimisers", name="adam_step")
    params, state = step(np.ones(2), np.ones(2), {}, lr=0.5)
    assert np.array_equal(params, np.full(2, 0.5)) and state == {}


def test_a_student_function_must_live_in_an_exercise_module():
    with pytest.raises(ValueError, match="not an exercise module"):
        catalogue.student_function(module="os", name="getcwd")()


def test_bound_entries_take_keyword_arguments_at_call_time_beside_their_own():
    step = catalogue.decaying_gradient_step()
    params, state = step(np.ones(2), np.ones(2), {"t": 1}, lr=1.0)
    assert np.array_equal(params, np.full(2, 0.5)) and state == {"t": 2}
