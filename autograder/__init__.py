"""Exercises and grader for the lecture "CNNs and key concepts".

Roles, one room each: `registry` names the concepts, `plugin` turns pytest into the check
runner, `compare` and `feedback` hold the grader's own comparisons and mistake detectors,
`generate` makes stubs from the reference code, `grading` runs a submission, `report`
renders the one report, `cli` is the command line.
"""

__version__ = "0.1.0"
