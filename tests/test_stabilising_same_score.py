"""The same mistakes in optimisers and normalisation cost every student the same (law 7): one
submission with several planted mistakes in each, graded under 20 student ids, gets one score
per concept. Every student's hidden inputs meet the cases that reveal them (eps beside small
gradients, negative gradients, momentum > 0, both batch norm modes, p on both sides of 0.5)."""

import textwrap

from mutants import COURSE, grading_process, make_mutant

STUDENTS = [f"student-{i:02d}" for i in range(20)]

OPTIMISERS = """
    def adam_step(params, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        beta1, beta2 = betas
        m = beta1 * state.get("exp_avg", 0.0) + (1 - beta1) * grad
        v = beta2 * state.get("exp_avg_sq", 0.0) + (1 - beta2) * grad**2
        return params - lr * m / np.sqrt(v + eps), {"exp_avg": m, "exp_avg_sq": v}


    def rmsprop_step(params, grad, state, lr=0.01, alpha=0.99, eps=1e-8):
        square_avg = alpha * state.get("square_avg", 0.0) + (1 - alpha) * grad
        return params - lr * grad / (np.sqrt(square_avg) + eps), {"square_avg": square_avg}
    """
NORMALISATION = """
    def dropout_forward(x, p, training, rng):
        mask = (rng.random(x.shape) < p) / p
        return x * mask, mask


    _batchnorm_forward = batchnorm_forward


    def batchnorm_forward(x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5, training=True):
        return _batchnorm_forward(x, gamma, beta, running_mean, running_var, 1 - momentum, eps, training)
    """


def test_planted_mistakes_get_one_score_per_concept_under_twenty_student_ids(tmp_path):
    submission = make_mutant(tmp_path, "optimisers", OPTIMISERS)
    with open(submission / "normalisation.py", "a", encoding="utf-8") as module:
        module.write("\n\n" + textwrap.dedent(NORMALISATION))
    scores = {"optimisers": set(), "normalisation": set()}
    for student in STUDENTS:
        report = grading_process().grade(submission, COURSE, student=student, concepts=tuple(scores))
        for concept in report["concepts"]:
            scores[concept["id"]].add(concept["score"])
    assert all(len(found) == 1 for found in scores.values()), scores
    assert all(0.0 < min(found) < 10.0 for found in scores.values()), scores
