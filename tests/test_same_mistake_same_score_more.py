"""The same mistake costs every student the same: the second planted submission of
test_same_mistake_same_score (MORE_MISTAKES), with the same two tests."""

import pytest

from test_same_mistake_same_score import (  # noqa: F401 (the tests are collected here too, on this file's submission)
    MORE_MISTAKES,
    graded_outcomes,
    test_a_mistake_is_seen_and_honest_code_gets_full_marks,
    test_every_check_has_one_outcome_for_every_student,
)

pytestmark = pytest.mark.slow(seconds=17)  # five concepts, the costliest to grade, for each of 20 students


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, dict[str, set]]:
    return graded_outcomes(MORE_MISTAKES, tmp_path_factory.mktemp("more-planted"))
