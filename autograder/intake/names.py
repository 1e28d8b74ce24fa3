"""What a file's name says: the exercise module it stands for, and, for a learning platform's
bulk download, whose it is.

Near-miss names are the ones browsers, operating systems and platforms make of `losses.py`:
`losses (1).py`, `losses-1.py` (Canvas' resubmission), `Losses.py`, `losses copy.py`,
`losses - Copy.py`, `Copy of losses.ipynb` (Colab), `losses-Copy1.ipynb` (Jupyter),
`losses.py.txt`, `losses.ipynb`, and `gradient descent.py` for `gradient_descent.py`.
"""

import re
from dataclasses import dataclass

# How good a stand-in a file is for its module, best first.
EXACT, NEAR_MISS, TEXT, NOTEBOOK = range(4)
_SUFFIXES = ((".py.txt", TEXT), (".py", NEAR_MISS), (".txt", TEXT), (".ipynb", NOTEBOOK))
_COPY_MARKS = re.compile(r"(\s*\(\d+\)|\s*\(copy\)|\s*-\s*copy\d*|\s+copy\d*|[-_]\d+)$")
_COPY_OF = re.compile(r"^copy of\s+")
_SEPARATORS = re.compile(r"[\s\-]+")

# Canvas: sortablename_[LATE_]userid_attachmentid_filename.
_CANVAS = re.compile(r"^(?P<student>[^_]+)_(?:LATE_)?(?P<number>\d+)_\d+_(?P<file>.+)$")
# Moodle: Full Name_participantid_assignsubmission_file_filename (or a folder ending in `_`).
_MOODLE = re.compile(r"^(?P<student>.+?)_(?P<number>\d+)_assignsubmission_[a-z]+_(?P<file>.*)$")


def module_named(file_name: str, modules: list[str]) -> tuple[str, int] | None:
    """(module, rank) that `file_name` stands for, rank EXACT to NOTEBOOK; None for none."""
    lowered = file_name.casefold()
    for suffix, rank in _SUFFIXES:
        if lowered.endswith(suffix):
            stem = _clean(lowered[: -len(suffix)])
            if stem in modules:
                return stem, EXACT if file_name == f"{stem}.py" else rank
            return None
    return None


def _clean(stem: str) -> str:
    stem = _COPY_OF.sub("", stem.strip())
    while (cleaner := _COPY_MARKS.sub("", stem)) != stem:
        stem = cleaner
    return _SEPARATORS.sub("_", stem.strip())


@dataclass(frozen=True)
class PlatformName:
    """A bulk-download file name split into its owner and the file the student uploaded."""

    student: str
    number: str  # the platform's id of the student, which tells two equal names apart
    file: str


def platform_name(name: str) -> PlatformName | None:
    """Canvas' or Moodle's bulk-download name split up, or None for any other name."""
    for pattern in (_MOODLE, _CANVAS):
        match = pattern.match(name)
        if match:
            return PlatformName(match["student"], match["number"], match["file"])
    return None
