"""Planted mistakes graded together: several mistakes of one concept in one copy of the
reference, graded once, where none can change what another's checks see.

A mistake (tests/mutants.py) redefines functions (or constants) of the reference module
and declares the checks it loses. A test that plants several together declares `runs`:
for each name of the module a mistake redefines, the checks that run it, directly or
through another function (read from the checks; a constant is run by the checks that run
the functions reading it). Two mistakes share a submission only when the checks that run
what one redefines are none of those that run what the other does, and their code binds
no name in common. Then every check runs at most one planted mistake and gets the status
it gets with that mistake alone, so the submission must lose exactly the union of the
mistakes' checks, each named in the words of its own mistake. (What a function rebinds
with `global` is beyond this reading: such a mistake is refused, to be planted alone.)
"""

import ast
import textwrap
from pathlib import Path

from autograder.registry import get_concept
from mutants import COURSE, assert_loses_exactly, checks_by_id, expected_losses, grading_process, plant


def reference(concept: str) -> str:
    """The source of the reference module of `concept`."""
    return (COURSE.solutions / f"{get_concept(concept).module}.py").read_text(encoding="utf-8")


def redefined(replacement: str, concept: str) -> set[str]:
    """The names the reference module of `concept` defines (functions, and constants such as
    EPOCHS) that `replacement` defines again."""
    return _defined_names(replacement) & _defined_names(reference(concept))


def _defined_names(source: str) -> set[str]:
    """The names `source` binds at its top level: functions, classes and assigned names."""
    names = set()
    for node in ast.parse(textwrap.dedent(source)).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {target.id for target in node.targets if isinstance(target, ast.Name)}
    return names


def reach(replacement: str, concept: str, runs: dict[str, set[str]]) -> set[str]:
    """The checks that run what `replacement` redefines (KeyError: `runs` lacks it)."""
    return set().union(*(runs[function] for function in redefined(replacement, concept)))


def planted_groups(concept: str, mistakes: dict[str, tuple], runs: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """The names of `mistakes` of `concept`, in groups that can be planted together: each in
    the first group, in name order, whose checks and names it shares none of."""
    groups: list[tuple[list[str], set[str], set[str]]] = []  # (names, checks reached, names defined)
    for name in sorted(mistakes):
        replacement = mistakes[name][0]
        assert redefined(replacement, concept), f"{name} redefines nothing of the reference"
        assert not any(isinstance(node, ast.Global) for node in ast.walk(ast.parse(textwrap.dedent(replacement)))), f"{name} rebinds names with `global`: plant it alone"
        checks, defined = reach(replacement, concept, runs), _defined_names(replacement)
        broken, _ = expected_losses(mistakes[name])
        assert broken <= checks, f"{name} loses {sorted(broken - checks)}, which `runs` says run none of its functions"
        group = next((group for group in groups if not (checks & group[1] or defined & group[2])), None)
        if group is None:
            groups.append(([name], checks, defined))
        else:
            group[0].append(name)
            group[1].update(checks)
            group[2].update(defined)
    return [tuple(names) for names, _, _ in groups]


def grade_together(folder: Path, concept: str, planted: dict[str, tuple]) -> dict:
    """The report, for `concept`, of the reference with every mistake of `planted` in it."""
    code = "\n\n".join(textwrap.dedent(mistake[0]) for mistake in planted.values())
    submission = plant(folder, {get_concept(concept).module: code})
    return grading_process().grade(submission, COURSE, student="mutant", concepts=(concept,))


def assert_caught_together(report: dict, concept: str, planted: dict[str, tuple], runs: dict[str, set[str]]) -> None:
    """`report` (grade_together's): each mistake of `planted` loses exactly its checks among
    those that run its functions, and the submission exactly the union of them, each check
    failed in the words of its mistake."""
    checks = checks_by_id(report, concept)
    unknown = set().union(*runs.values()) - set(checks)
    assert not unknown, f"`runs` names checks the concept does not have: {sorted(unknown)}"
    failed = {check_id for check_id, check in checks.items() if check["status"] != "passed"}
    broken, named = set(), {}
    for name, mistake in planted.items():
        lost, words = expected_losses(mistake)
        seen = failed & reach(mistake[0], concept, runs)
        assert seen == lost, f"{name}: failed {sorted(seen)}, expected {sorted(lost)}"
        broken |= lost
        named |= words if isinstance(words, dict) else dict.fromkeys(lost, words)
    assert_loses_exactly(report, concept, broken, named)
