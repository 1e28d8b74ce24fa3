"""The one region parser: regions become stubs; bad markers are named with file and line."""

import pytest

from autograder.errors import UserError
from autograder.generate.regions import CODE_STUB, SOLUTION, replace_regions, strip_markers

SOURCE = '''def f(x):
    """Doc."""
    # Hint: square it.
    ### BEGIN SOLUTION
    y = x ** 2
    ### END SOLUTION
    return y
'''


def test_a_region_becomes_the_stub_at_the_markers_indent():
    stub = replace_regions(SOURCE, "f.py", SOLUTION, CODE_STUB)
    assert stub == '''def f(x):
    """Doc."""
    # Hint: square it.
    # YOUR CODE HERE
    raise NotImplementedError()
    return y
'''


def test_strip_markers_keeps_the_solution():
    assert "y = x ** 2" in strip_markers(SOURCE, SOLUTION)
    assert "BEGIN" not in strip_markers(SOURCE, SOLUTION)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n", "f.py:3: ### BEGIN SOLUTION inside the region opened at line 2"),
        ("def f():\n    ### BEGIN SOLUTION\n    pass\n", "f.py:2: ### BEGIN SOLUTION has no ### END SOLUTION"),
        ("def f():\n    ### END SOLUTION\n", "f.py:2: ### END SOLUTION has no ### BEGIN SOLUTION"),
        ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "f.py:1: ### BEGIN SOLUTION must sit inside a function body"),
    ],
)
def test_bad_markers_are_named_with_file_and_line(text, message):
    with pytest.raises(UserError) as raised:
        replace_regions(text, "f.py", SOLUTION, CODE_STUB)
    assert str(raised.value) == message
