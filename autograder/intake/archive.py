"""Unpack a student's `.zip` into a scratch folder, refusing what an archive can hide.

A member whose path leaves the archive (`../x`, `/etc/x`, `C:\\x`) or a zip over the
entry's budget refuses the whole archive (a zip bomb is no submission); a link or special
file inside is left out with a note, never created. The budget (`Budget`: unpacked bytes
and files) is one per entry, shared by every archive the entry holds, nested ones
included, so that a zip of zips cannot multiply it; and archives are unpacked at most
MAX_NESTING deep. Sizes are counted while unpacking, so a member that unpacks to more
than its header declares is caught too. Names keep their script (`学生 01/losses.py`): a name stored without the UTF-8
flag is read as UTF-8 when it is valid UTF-8, as the zip tools of Windows and macOS write it.
"""

import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import BinaryIO

from autograder.intake.walk import MAX_ENTRIES, MAX_FILE_BYTES, display

MAX_UNPACKED_BYTES = 256 * 1024**2  # one entry's archives, all of them together
MAX_NESTING = 2  # a zip in the student's zip (a platform's folder holding the student's zip)
_CHUNK = 1024**2
_UTF8_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1


class ArchiveRefused(Exception):
    """The archive is not unpacked at all; the message says why."""


@dataclass
class Budget:
    """What one entry's archives may still unpack, all of them together (bytes, files and
    folders), and how many archives deep its deepest unpacked archive lies."""

    bytes: int
    files: int
    depth: int = 0

    @classmethod
    def whole(cls) -> "Budget":
        """A new entry's budget."""
        return cls(MAX_UNPACKED_BYTES, MAX_ENTRIES)

    def spend(self, size: int, files: int = 0) -> None:
        """Take `size` bytes and `files` files; raises ArchiveRefused when either runs out."""
        self.bytes -= size
        self.files -= files
        if self.bytes < 0:
            raise ArchiveRefused(f"its archives unpack to more than {MAX_UNPACKED_BYTES // 1024**2} MiB (all of them, nested ones included)")
        if self.files < 0:
            raise ArchiveRefused(f"its archives hold more than {MAX_ENTRIES} files and folders (all of them, nested ones included)")


def unpack_zip(source: BinaryIO, destination: Path, budget: Budget) -> list[str]:
    """Unpack the zip read from `source` (a file open for reading) into `destination` (a new
    folder of the grader's), spending `budget`, and return notes on what was left out.
    Raises ArchiveRefused."""
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
            _check_limits(members, budget)
            destination.mkdir(parents=True)
            notes = []
            for info in members:
                note = _unpack_member(archive, info, destination, budget)
                if note:
                    notes.append(note)
            return notes
    # What zipfile raises for a damaged or unsupported archive (zlib.error: a corrupt stream).
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, ValueError, zlib.error) as problem:
        raise ArchiveRefused(f"it is not a readable zip archive ({type(problem).__name__}: {str(problem)[:120]})") from None


def _check_limits(members: list[zipfile.ZipInfo], budget: Budget) -> None:
    """Refuse, before writing anything, an archive whose headers exceed what `budget` has
    left, or whose member paths leave it."""
    declared = sum(info.file_size for info in members)
    if declared > budget.bytes or len(members) > budget.files:
        budget.spend(declared, len(members))  # raises, naming the limit
    for info in members:
        parts = member_parts(info)
        if parts is None:
            raise ArchiveRefused(f"a member's path leaves the archive ({display(info.filename)[:80]}); such archives are refused")


def member_parts(info: zipfile.ZipInfo) -> tuple[str, ...] | None:
    """The member's path components, or None when the path is absolute or climbs out."""
    name = _member_name(info).replace("\\", "/")
    if PurePosixPath(name).is_absolute() or PureWindowsPath(name).drive or "\0" in name:
        return None
    parts = tuple(part for part in name.split("/") if part not in ("", "."))
    return None if ".." in parts else parts


def _member_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & _UTF8_FLAG:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _unpack_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, destination: Path, budget: Budget) -> str:
    """Unpack one member; return a note when it is left out ('' when unpacked)."""
    parts = member_parts(info)
    if not parts:
        return ""
    shown = "/".join(parts)
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return f"{shown} (in the zip): a symbolic link; links are refused, never followed"
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        return f"{shown} (in the zip): a special file; only regular files are read"
    if info.flag_bits & _ENCRYPTED_FLAG:
        return f"{shown} (in the zip): encrypted, so it cannot be read"
    if info.file_size > MAX_FILE_BYTES:
        return f"{shown} (in the zip): larger than {MAX_FILE_BYTES // 1024**2} MiB, left out"
    target = destination.joinpath(*parts)
    budget.spend(0, files=1)
    try:
        if info.is_dir() or stat.S_ISDIR(mode):
            target.mkdir(parents=True, exist_ok=True)
            return ""
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as source, open(target, "xb") as out:
            _copy_counted(source, out, info, budget)
    except (FileExistsError, NotADirectoryError, IsADirectoryError):
        return f"{shown} (in the zip): appears twice or clashes with a folder; the first copy is used"
    except OSError as problem:
        return f"{shown} (in the zip): cannot be unpacked ({problem.strerror})"
    return ""


def _copy_counted(source, out, info: zipfile.ZipInfo, budget: Budget) -> None:
    """Copy one member, refusing the archive when it unpacks to more than it declares."""
    written = 0
    while chunk := source.read(_CHUNK):
        written += len(chunk)
        if written > info.file_size:
            raise ArchiveRefused("it unpacks to more than its headers declare")
        budget.spend(len(chunk))
        out.write(chunk)
