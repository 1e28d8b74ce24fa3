"""Write `exercises/<module>.py` from `solutions/<module>.py`.

A stub keeps everything outside the solution regions (imports, docstrings with shapes and
the lecture's words, the hint comments and return lines) and turns each region into
nbgrader's `# YOUR CODE HERE / raise NotImplementedError()`, which the plugin reports as
*not attempted*.
"""

from pathlib import Path

from autograder.generate.regions import CODE_STUB, SOLUTION, replace_regions


def stub_source(solution_text: str, where: str) -> str:
    """The student's version of one reference module."""
    return replace_regions(solution_text, where, SOLUTION, CODE_STUB)


def expected_stubs(solutions_dir: Path) -> dict[str, str]:
    """File name -> stub text, for every module in `solutions_dir` (sorted, reproducible)."""
    stubs = {}
    for path in sorted(solutions_dir.glob("*.py")):
        if path.name == "__init__.py":
            continue
        where = f"{solutions_dir.name}/{path.name}"
        stubs[path.name] = stub_source(path.read_text(encoding="utf-8"), where)
    return stubs


def write_stubs(solutions_dir: Path, exercises_dir: Path) -> list[Path]:
    """Regenerate every stub; return the files whose content changed."""
    stubs = expected_stubs(solutions_dir)  # parse all first: a bad region writes nothing
    exercises_dir.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in stubs.items():
        target = exercises_dir / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            changed.append(target)
    return changed


def drifted_stubs(solutions_dir: Path, exercises_dir: Path) -> list[str]:
    """Names of stubs that are missing, stale or have no reference module."""
    stubs = expected_stubs(solutions_dir)
    drifted = [
        name
        for name, text in stubs.items()
        if not (exercises_dir / name).exists() or (exercises_dir / name).read_text(encoding="utf-8") != text
    ]
    orphans = [p.name for p in exercises_dir.glob("*.py") if p.name not in stubs and p.name != "__init__.py"]
    return sorted(drifted + orphans)
