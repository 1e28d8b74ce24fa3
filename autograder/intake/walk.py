"""Read a submission's folder without ever following a link.

Every folder is opened relative to its parent's file descriptor with `O_NOFOLLOW`, so a
symbolic link anywhere (a module, a folder, `exercises/` itself) is seen as a link and never
entered, whatever it points to (`/proc/self/mem`, `../../solutions`, nothing, itself).
Links and special files (pipes, sockets, devices) are listed as refused, with the reason;
a name that is not UTF-8 is refused too, so nothing downstream has to carry it. Limits on
the number of entries and on the depth keep a hostile tree from costing the batch its time.
"""

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

MAX_ENTRIES = 10_000  # files and folders of one submission, skipped folders aside
MAX_DEPTH = 24
MAX_FILE_BYTES = 16 * 1024**2  # one file; larger ones are left out, with a note
# Folders that are never a student's work: version control, caches, environments.
SKIPPED = frozenset({".git", "__pycache__", ".ipynb_checkpoints", "__MACOSX", ".venv", "venv", "node_modules", ".pytest_cache"})
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
_SPECIAL = {stat.S_IFIFO: "a named pipe", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device"}


class SubmissionRefused(Exception):
    """The whole submission cannot be read (too many files, nested too deep); the message says why."""


class FileRefused(Exception):
    """One file cannot be read (a link, a special file, too large); the message says why."""


@dataclass(frozen=True)
class FileInfo:
    """A regular file of the tree: its path components below the root, and its size in bytes."""

    parts: tuple[str, ...]
    size: int

    @property
    def name(self) -> str:
        return self.parts[-1]

    @property
    def folder(self) -> tuple[str, ...]:
        return self.parts[:-1]

    def __str__(self) -> str:
        return "/".join(self.parts)


@dataclass
class Tree:
    """The regular files below `root`, and what was refused (path -> reason)."""

    root: Path
    files: list[FileInfo] = field(default_factory=list)
    refused: dict[tuple[str, ...], str] = field(default_factory=dict)


def display(name: str) -> str:
    """A file name as text that can always be shown and stored: bytes that are not UTF-8
    appear as `\\xff` escapes, control characters (ESC, newline) as escapes too."""
    return printable(os.fsencode(name).decode("utf-8", "backslashreplace"))


def printable(text: str) -> str:
    """`text` with every non-printing character (a terminal's ESC, a newline, a lone
    surrogate) written as its escape, so that no view can be steered by it."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def scan(root: Path) -> Tree:
    """Every regular file below `root` (a folder, itself not a link), without following links.

    Raises SubmissionRefused for a tree over MAX_ENTRIES entries or MAX_DEPTH levels, and
    FileRefused when `root` is no folder.
    """
    tree = Tree(root)
    try:
        descriptor = os.open(root, _DIRECTORY)
    except OSError as problem:
        raise FileRefused(f"{display(str(root))} cannot be opened as a folder ({problem.strerror})") from None
    try:
        _scan_folder(descriptor, (), tree, [0])
    finally:
        os.close(descriptor)
    return tree


def _scan_folder(descriptor: int, prefix: tuple[str, ...], tree: Tree, seen: list[int]) -> None:
    if len(prefix) > MAX_DEPTH:
        raise SubmissionRefused(f"its folders nest deeper than {MAX_DEPTH} levels")
    with os.scandir(descriptor) as entries:
        listed = sorted(entries, key=lambda entry: entry.name)
    for entry in listed:
        if entry.name.startswith(".") or entry.name in SKIPPED:
            continue
        seen[0] += 1
        if seen[0] > MAX_ENTRIES:
            raise SubmissionRefused(f"it holds more than {MAX_ENTRIES} files and folders")
        parts = (*prefix, entry.name)
        why = _refusal(entry, descriptor)
        if why:
            tree.refused[parts] = why
        elif entry.is_dir(follow_symlinks=False):
            try:
                child = os.open(entry.name, _DIRECTORY, dir_fd=descriptor)
            except OSError as problem:
                tree.refused[parts] = f"a folder that cannot be opened ({problem.strerror})"
                continue
            try:
                _scan_folder(child, parts, tree, seen)
            finally:
                os.close(child)
        else:
            tree.files.append(FileInfo(parts, entry.stat(follow_symlinks=False).st_size))


def _refusal(entry: os.DirEntry, descriptor: int) -> str:
    """Why this entry is not read ('' when it is a folder or a regular file)."""
    try:
        entry.name.encode("utf-8")
    except UnicodeEncodeError:
        return "its name is not UTF-8 text"
    if entry.is_symlink():
        target = display(os.readlink(entry.name, dir_fd=descriptor))
        return f"a symbolic link (to {target[:80]}); links are refused, never followed"
    mode = entry.stat(follow_symlinks=False).st_mode
    if stat.S_ISDIR(mode) or stat.S_ISREG(mode):
        return ""
    return f"{_SPECIAL.get(stat.S_IFMT(mode), 'a special file')}; only regular files are read"


def open_file(root: Path, parts: tuple[str, ...], limit: int = MAX_FILE_BYTES) -> BinaryIO:
    """The regular file `root/parts...` open for reading, opened one component at a time
    with O_NOFOLLOW. Raises FileRefused for a link, a special file or more than `limit` bytes."""
    shown = "/".join(map(display, parts))
    descriptor = -1
    try:
        descriptor = os.open(root, _DIRECTORY)
        for part in parts[:-1]:
            descriptor = _replace(descriptor, os.open(part, _DIRECTORY, dir_fd=descriptor))
        # O_NONBLOCK: opening a named pipe put in place after the scan must not wait for a writer.
        descriptor = _replace(descriptor, os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=descriptor))
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise FileRefused(f"{shown} is not a regular file")
        if status.st_size > limit:
            raise FileRefused(f"{shown} is larger than {size_text(limit)}")
        opened, descriptor = os.fdopen(descriptor, "rb"), -1
        return opened
    except OSError as problem:
        raise FileRefused(f"{shown} cannot be read ({problem.strerror})") from None
    finally:
        if descriptor >= 0:
            os.close(descriptor)


def read_file(root: Path, parts: tuple[str, ...], limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file `root/parts...` (see `open_file`); a file that grows
    past `limit` while read is refused too."""
    with open_file(root, parts, limit) as source:
        try:
            data = source.read(limit + 1)
        except OSError as problem:
            raise FileRefused(f"{'/'.join(map(display, parts))} cannot be read ({problem.strerror})") from None
    if len(data) > limit:
        raise FileRefused(f"{'/'.join(map(display, parts))} is larger than {size_text(limit)}")
    return data


def size_text(size: int) -> str:
    """A limit in bytes as text: `16 MiB`, `256 KiB`."""
    return f"{size // 1024**2} MiB" if size >= 1024**2 else f"{size // 1024} KiB"


def _replace(old: int, new: int) -> int:
    os.close(old)
    return new


def write_file(root: Path, parts: tuple[str, ...], data: bytes) -> Path:
    """Write a new file below `root` (a folder of the grader's, holding no links)."""
    target = root.joinpath(*parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "xb") as out:
        out.write(data)
    return target
