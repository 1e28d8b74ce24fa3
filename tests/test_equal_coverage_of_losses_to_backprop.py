"""Law 7: a planted mistake costs every student the same. Each mistake below used to be met
by some students only, as a coin flip per student chose their hidden cases (a 2-D input, a
negative input, a batch size that divides N); graded under 20 student ids it now fails the
same checks, with the same points, for all of them. Honest code in another style, too, gets
one score for everyone. (A few only: each is 20 gradings.)"""

import pytest

from mutants import COURSE, checks_by_id, grading_process, make_mutant
from autograder.registry import get_concept

STUDENTS = [f"student-{number:02d}" for number in range(20)]

MISTAKES = {
    "mean_squared_error_over_rows": (
        "losses",
        """
        def mean_squared_error(y_true, y_pred):
            return float(np.sum((y_true - y_pred) ** 2) / len(y_true))
        """,
    ),
    "design_matrix_of_one_feature": (
        "gradient_descent",
        """
        def design_matrix(x):
            return np.vstack([np.ones(len(x)), x]).T
        """,
    ),
    "minibatch_indices_with_an_empty_last_batch": (
        "gradient_descent",
        """
        def minibatch_indices(n_samples, batch_size, seed):
            order = np.random.default_rng(seed).permutation(n_samples)
            return [order[i * batch_size : (i + 1) * batch_size] for i in range(n_samples // batch_size + 1)]
        """,
    ),
    "relu_that_loops_over_a_1d_array": (
        "nonlinearities",
        """
        def relu(x):
            return np.array([max(0.0, value) for value in x])
        """,
    ),
}

# Correct code, in micrograd's own words: below 0 its relu's data is the exact int 0. Until an
# int is accepted where a float is promised (law 8) it loses points, the same for everyone.
HONEST = {
    "micrograd_relu": (
        "backprop",
        """
        def _relu(self):
            out = Value(0 if self.data < 0 else self.data, (self,), "ReLU")

            def _backward():
                self.grad += (out.data > 0) * out.grad

            out._backward = _backward
            return out


        Value.relu = _relu
        """,
    ),
}


def outcomes(report: dict, concept: str) -> dict[str, tuple[str, float]]:
    """Each check of the concept with its status and points: what a student would compare."""
    return {check_id: (check["status"], check["points"]) for check_id, check in checks_by_id(report, concept).items()}


def outcomes_of_every_student(folder, concept: str, replacement: str) -> dict[str, tuple[str, float]]:
    """Each check's one outcome over STUDENTS; fails naming the checks whose outcome varies."""
    submission = make_mutant(folder, get_concept(concept).module, replacement)
    by_check: dict[str, set] = {}
    for student in STUDENTS:
        report = grading_process().grade(submission, COURSE, student=student, concepts=(concept,))
        for check_id, result in outcomes(report, concept).items():
            by_check.setdefault(check_id, set()).add(result)
    varying = sorted(check_id for check_id, results in by_check.items() if len(results) > 1)
    assert varying == [], f"these checks pass for some students and fail for others: {varying}"
    return {check_id: results.pop() for check_id, results in by_check.items()}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_planted_mistake_costs_every_student_the_same(tmp_path, name):
    results = outcomes_of_every_student(tmp_path, *MISTAKES[name])
    assert [check_id for check_id, (status, _) in results.items() if status != "passed"], f"{name} is not seen by any check"


@pytest.mark.parametrize("name", sorted(HONEST))
def test_honest_code_gets_one_score_for_every_student(tmp_path, name):
    outcomes_of_every_student(tmp_path, *HONEST[name])
