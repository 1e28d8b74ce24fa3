"""The entries of a class folder: one per student, whatever shape the work came in.

An entry is a sub-folder (a folder of modules, a cloned repository, GitHub's "Download ZIP"
folder), a `.zip`, a notebook or any other file, or the files of one student in a flat
Canvas or Moodle bulk download (`mullerzoe_12345_67890_losses.py`), grouped. Every entry is
listed, links and files that are no submission included, so that each gets its row; only
hidden names (`.DS_Store`, `.git`) are not entries. Ids keep the names as given (`Zoë
Müller`, `学生 01`); a name that is not UTF-8 shows its odd bytes as `\\xff` escapes.
"""

import os
import zlib
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import UserError
from autograder.intake.names import platform_name
from autograder.intake.walk import display

MAX_ID_BYTES = 160  # an id names its report file, whose name may hold 255 bytes


@dataclass(frozen=True)
class Entry:
    """One student's work in a class folder (or the PATH given to `autograder grade`)."""

    id: str  # the student id: shown, stored as the report's name, personalises hidden inputs
    path: Path  # the entry; for a platform's flat files, the class folder
    members: tuple[tuple[Path, str], ...] = ()  # a platform's flat files: path, name as uploaded

    @property
    def shown(self) -> str:
        """The entry as text for the report: its path, or its first file and how many more."""
        if not self.members:
            return display(str(self.path))
        more = f" and {len(self.members) - 1} more" if len(self.members) > 1 else ""
        return display(str(self.members[0][0])) + more


def entry_for(path: Path) -> Entry:
    """The entry for `autograder grade PATH`: the student id is the folder's (or repository's)
    name, or the file's stem. Raises UserError for a path that does not exist."""
    if not os.path.lexists(path):
        raise UserError(f"{path}: no such file or directory")
    resolved = path.resolve()
    if resolved.name == "exercises":
        name = resolved.parent.name
    else:
        name = resolved.stem if resolved.is_file() else resolved.name
    return Entry(_bounded(name) or "submission", resolved)


def find_entries(folder: Path) -> list[Entry]:
    """Every entry of a class folder, sorted by id. Raises UserError for a folder that is
    missing or holds nothing."""
    if not folder.is_dir():
        raise UserError(f"{folder}: no such folder")
    singles, groups = [], {}
    for name in sorted(os.listdir(folder)):
        if name.startswith("."):
            continue
        path = folder / name
        platform = platform_name(name)
        if platform is not None and platform.file and path.is_file() and not path.is_symlink():
            groups.setdefault((platform.student, platform.number), []).append((path, platform.file))
        elif platform is not None and not platform.file:
            singles.append(((platform.student, f"{platform.student}_{platform.number}"), path))
        else:
            stem = name.rsplit(".", 1)[0] if path.is_file() and not path.is_symlink() and "." in name[1:] else name
            singles.append(((stem, name), path))
    if not singles and not groups:
        raise UserError(f"{folder}: no submissions found (expected one folder, zip or notebook per student)")
    named = [(names, path, ()) for names, path in singles]
    named += [((student, f"{student}_{number}"), folder, tuple(files)) for (student, number), files in groups.items()]
    return sorted(_unique(named), key=lambda entry: entry.id)


def _unique(named: list) -> list[Entry]:
    """Entries with distinct ids: the short name when free, else the full name, else a count."""
    taken: set[str] = set()
    entries = []
    for (short, full), path, members in sorted(named, key=lambda item: item[0]):
        choice = next((name for name in (_bounded(short), _bounded(full)) if name not in taken), None)
        count = 2
        while choice is None or choice in taken:
            choice, count = f"{_bounded(full)} ({count})", count + 1
        taken.add(choice)
        entries.append(Entry(choice, path, members))
    return entries


def _bounded(name: str) -> str:
    """`name` shown as an id short enough to name its report file: a long one keeps its
    start and a checksum of the whole."""
    shown = display(name)
    if len(shown.encode("utf-8")) <= MAX_ID_BYTES:
        return shown
    return f"{shown.encode('utf-8')[: MAX_ID_BYTES - 20].decode('utf-8', 'ignore')}...{zlib.crc32(shown.encode('utf-8')):08x}"
