"""The same mistake costs every student the same (law 7), for convolution, parameters, pooling
and receptive fields: planted mistakes graded under 20 student ids give one score each.

The mistakes are those whose cost once hung on a student's draw: a bias, groups, a shift's
sign, a stride, a remainder of a division, a call near a field's edge. Each submission holds
one mistake per concept, so one grading per student covers four of them.
"""

import shutil
import textwrap

from mutants import COURSE, grading_process
from test_convolution_mistakes import MISTAKES as CONVOLUTION
from test_parameters_mistakes import MISTAKES as PARAMETERS
from test_pooling_mistakes import MISTAKES as POOLING
from test_receptive_fields_mistakes import MISTAKES as RECEPTIVE_FIELDS

STUDENTS = [f"student-{number:02d}" for number in range(20)]

TRANSLATE_FOR_POSITIVE_SHIFTS = """
    def translate(x, down, right):
        out = np.roll(x, (down, right), axis=(2, 3))
        out[:, :, :down] = 0.0
        out[:, :, :, :right] = 0.0
        return out
    """

SUBMISSIONS = {
    "remainders, bias flag, shift signs, field edges": {
        "convolution": CONVOLUTION["output_size_rounded"][0],
        "parameters": PARAMETERS["conv_params_always_with_a_bias"][0],
        "pooling": TRANSLATE_FOR_POSITIVE_SHIFTS,
        "receptive_fields": RECEPTIVE_FIELDS["field_off_by_one"][0],
    },
    "padding, groups, strides, last window": {
        "convolution": CONVOLUTION["zero_pad_pads_one_side"][0],
        "parameters": PARAMETERS["conv_params_ignore_groups"][0],
        "pooling": POOLING["max_pool_gradient_forgets_the_stride"][0],
        "receptive_fields": RECEPTIVE_FIELDS["extent_without_the_last_window"][0],
    },
}


def plant(folder, replacements: dict[str, str]):
    """A copy of solutions/ with each module's replacement (a redefinition) appended to it."""
    submission = folder / "submission"
    shutil.copytree(COURSE.solutions, submission)
    for module, replacement in replacements.items():
        target = submission / f"{module}.py"
        target.write_text(target.read_text() + "\n\n" + textwrap.dedent(replacement), encoding="utf-8")
    return submission


def test_each_planted_mistake_costs_every_student_the_same(tmp_path):
    for number, (name, replacements) in enumerate(SUBMISSIONS.items()):
        submission = plant(tmp_path / str(number), replacements)
        scores = {concept: set() for concept in replacements}
        for student in STUDENTS:
            report = grading_process().grade(submission, COURSE, student=student, concepts=tuple(replacements))
            for concept in report["concepts"]:
                scores[concept["id"]].add((concept["score"], concept["max_score"]))
        for concept, seen in scores.items():
            assert len(seen) == 1, f"{name}: {concept} scored {sorted(seen)} across {len(STUDENTS)} students"
            ((score, max_score),) = seen
            assert score < max_score, f"{name}: the mistake in {concept} costs nothing"
