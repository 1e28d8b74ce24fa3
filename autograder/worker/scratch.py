"""Emptying the folders a sandbox's code may write, between concepts and at its end.

Student code may have taken every permission from its own folders, made a million
files, or a tree deeper than Python's recursion: an emptying never follows a link, gives
each folder back its owner's permissions before entering it, and gives up (False) past
SCRATCH_ENTRIES entries, where replacing the whole sandbox is quicker, and is what the
caller then does. What is mounted inside a scratch folder stays, with the folders that
lead to it: bwrap mounts the interpreter there when it is installed under /tmp.
"""

import os
import stat

SCRATCH_ENTRIES = 10_000  # files and folders removed one by one, at most


class TooManyEntries(OSError):
    """More entries than an emptying removes one by one."""


class Emptying:
    """One emptying of one folder: how many entries it may still remove, and whether
    anything it should have removed stayed."""

    def __init__(self, folder: str, most: int):
        self.device = os.stat(folder).st_dev
        self.allowed = most
        self.complete = True

    def remove(self, path: str) -> bool:
        """Remove `path`, a file or a whole tree; True if it is gone, False if it holds a
        mount (kept). Raises TooManyEntries past the allowance; anything else that will
        not go marks the emptying incomplete."""
        try:
            status = os.lstat(path)
        except FileNotFoundError:
            return True
        if status.st_dev != self.device:  # a mount point: not the sandbox's code's to remove
            return False
        if self.allowed <= 0:
            raise TooManyEntries(path)
        self.allowed -= 1
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                try:
                    os.chmod(path, 0o700)
                except PermissionError:  # not this user's: bwrap's own, on the way to a mount
                    pass
                gone = [self.remove(entry.path) for entry in os.scandir(path)]
                if not all(gone):
                    return False
                os.rmdir(path)
            else:
                os.unlink(path)
        except (OSError, RecursionError) as problem:
            if isinstance(problem, TooManyEntries):
                raise
            self.complete = False
        return True


def emptied_folder(folder: str, keep: tuple[str, ...] = (), owner: int | None = None, most: int = SCRATCH_ENTRIES) -> bool:
    """Remove everything in `folder`, whatever permissions student code gave it, but what
    is mounted in it; True if nothing else is left. `keep`: paths in it to leave alone;
    `owner`: remove only what this uid owns (a folder shared with the machine). A folder
    that holds more than `most` entries is not emptied one by one, which could take longer
    than the grader waits for a reset: False, and the grader replaces the whole sandbox
    (the kernel frees a sandbox's own file systems at once)."""

    def ours(entry: os.DirEntry) -> bool:
        try:
            return entry.path not in keep and (owner is None or entry.stat(follow_symlinks=False).st_uid == owner)
        except FileNotFoundError:  # gone meanwhile: another user's, in a shared folder
            return False

    try:
        emptying = Emptying(folder, most)
        entries = list(os.scandir(folder))
    except FileNotFoundError:  # not there (a /dev/shm of no size): nothing to empty
        return True
    except OSError:
        return False
    try:
        for entry in filter(ours, entries):
            emptying.remove(entry.path)
    except TooManyEntries:
        return False
    return emptying.complete


def emptied_shared(shared: dict[str, list[str]], most: int = SCRATCH_ENTRIES) -> bool:
    """emptied_folder for each of the machine's shared folders `shared` names (from
    `autograder.worker.isolation.shared_scratch`) and each folder in them that every user
    may write (`writable_by_all`), of what this process's user made there."""
    folders = writable_by_all(shared["folders"], shared["sandbox_users_from"])
    return all([emptied_folder(folder, tuple(shared["keep"]), os.getuid(), most) for folder in folders])


WALKED_FOLDERS = 1_000  # folders writable by all, at most, followed down from the shared ones


def writable_by_all(roots: list[str], sandbox_users_from: int) -> list[str]:
    """`roots` and the folders below them, reached through such folders only, that every
    user may write (mode o+w, such as /tmp/.X11-unix) and that no sandbox's user owns (uid
    below `sandbox_users_from`, so no student code chooses how many there are): where a
    sandbox's user can leave a file besides the roots and its own folders. Links are not
    followed."""
    found, waiting = [], list(roots)
    while waiting and len(found) < WALKED_FOLDERS:
        folder = waiting.pop()
        found.append(folder)
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    try:
                        status = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if stat.S_ISDIR(status.st_mode) and status.st_mode & stat.S_IWOTH and status.st_uid < sandbox_users_from:
                        waiting.append(entry.path)
        except OSError:
            continue
    return found
