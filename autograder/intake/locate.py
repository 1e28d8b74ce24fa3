"""Which files of a submission stand for which exercise modules, by their names.

The exercise folder is the folder holding the most modules (by exact or near-miss name),
then the most exact names, then one named `exercises`, then the shallowest: `exercises/` of
a cloned repository, `cnn-exercises-main/exercises/` of GitHub's "Download ZIP", or the
submission itself. A module's file is then the best-named candidate in that folder or in a
folder above it; folders of the course's own engine and checks, which a student repository
carries, are never searched (`autograder/mistakes/losses.py` is not the student's losses).
"""

from dataclasses import dataclass

from autograder.intake.names import EXACT, module_named
from autograder.intake.walk import FileInfo, Tree

ENGINE_FOLDERS = frozenset({"autograder", "checks", "tests", "solutions"})


@dataclass(frozen=True)
class Candidate:
    file: FileInfo
    module: str
    rank: int  # names.EXACT (best) to names.NOTEBOOK


def candidates(tree: Tree, modules: list[str]) -> list[Candidate]:
    """Every file outside the engine's folders whose name stands for an exercise module."""
    found = []
    for file in tree.files:
        named = module_named(file.name, modules)
        if named is not None and not ENGINE_FOLDERS.intersection(file.folder):
            found.append(Candidate(file, *named))
    return found


def exercise_folder(found: list[Candidate]) -> tuple[str, ...] | None:
    """The folder the modules are graded from (see the module doc), or None without candidates."""
    by_folder: dict[tuple[str, ...], list[Candidate]] = {}
    for candidate in found:
        by_folder.setdefault(candidate.file.folder, []).append(candidate)

    def preference(folder: tuple[str, ...]) -> tuple:
        held = by_folder[folder]
        exact = {c.module for c in held if c.rank == EXACT}
        return (len({c.module for c in held}), len(exact), folder[-1:] == ("exercises",), -len(folder), folder)

    return max(by_folder, key=preference, default=None)


def within_reach(file: FileInfo, folder: tuple[str, ...]) -> bool:
    """A file in the exercise folder or in a folder above it."""
    return file.folder == folder[: len(file.folder)]


def module_files(found: list[Candidate], folder: tuple[str, ...]) -> dict[str, list[Candidate]]:
    """Module -> its candidates within reach, best first (best name, then nearest, then name)."""
    chosen: dict[str, list[Candidate]] = {}
    for candidate in sorted(found, key=lambda c: (c.rank, -len(c.file.folder), c.file.parts)):
        if within_reach(candidate.file, folder):
            chosen.setdefault(candidate.module, []).append(candidate)
    return chosen
