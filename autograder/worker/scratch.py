"""Emptying the folders a sandbox's code may write, between concepts and at its end.

Student code may have taken every permission from its own folders, made a million
files, or a tree deeper than Python's recursion: an emptying never follows a link, gives
each folder back its owner's permissions before entering it, and gives up (False) past
SCRATCH_ENTRIES entries, where replacing the whole sandbox is quicker, and is what the
caller then does.
"""

import os

SCRATCH_ENTRIES = 10_000  # files and folders removed one by one, at most


def emptied_folder(folder: str, keep: tuple[str, ...] = (), owner: int | None = None, most: int = SCRATCH_ENTRIES) -> bool:
    """Remove everything in `folder`, whatever permissions student code gave it; True if
    nothing is left. `keep`: paths in it to leave alone; `owner`: remove only what this
    uid owns (a folder shared with the machine). A folder that holds more than `most`
    entries is not emptied one by one, which could take longer than the grader waits for
    a reset: False, and the grader replaces the whole sandbox (the kernel frees a
    sandbox's own file systems at once)."""

    def ours(entry: os.DirEntry) -> bool:
        try:
            return entry.path not in keep and (owner is None or entry.stat(follow_symlinks=False).st_uid == owner)
        except FileNotFoundError:  # gone meanwhile: another user's, in a shared folder
            return False

    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:  # not there (a /dev/shm of no size): nothing to empty
        return True
    except OSError:
        return False
    for entry in filter(ours, entries):
        try:
            most -= remove_tree(entry.path, most)
        except TooManyEntries:
            return False
        except (OSError, RecursionError):  # one that would not go, or too deep: the rest still may
            continue
    try:
        return not any(ours(entry) for entry in os.scandir(folder))
    except OSError:
        return False


class TooManyEntries(OSError):
    """More entries than an emptying removes one by one."""


def remove_tree(path: str, allowed: int) -> int:
    """Remove `path`, a file or a whole tree, making each folder on the way writable and
    searchable first (student code may have taken every permission from its own folders);
    the number of entries removed, at most `allowed` (TooManyEntries before one more)."""
    if allowed <= 0:
        raise TooManyEntries(path)
    removed = 1
    if os.path.isdir(path) and not os.path.islink(path):
        os.chmod(path, 0o700)
        for entry in os.scandir(path):
            removed += remove_tree(entry.path, allowed - removed)
        os.rmdir(path)
    else:
        os.unlink(path)
    return removed
