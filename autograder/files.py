"""Files the grader writes: whole or not at all; folders it works in: removed even when it is killed."""

import fcntl
import os
import shutil
import stat
import tempfile
from pathlib import Path


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and a rename, so a reader or a
    kill never sees half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


IN_USE = ".in-use"  # in a TemporaryFolder: locked (flock) while its process lives


class TemporaryFolder:
    """A folder of this process's in the machine's temporary folder, removed by `remove()`
    (or at the end of a `with`); or, if this process is killed before, by the next
    TemporaryFolder made on the machine (`remove_abandoned`).

    The folder holds IN_USE, on which this process holds a lock (flock) as long as it
    lives: the kernel releases it when the process ends, however it ends, so a folder whose
    lock is free was abandoned. A grader killed mid-batch would otherwise leave each of its
    submissions' copies behind, and a machine that grades every week fills its /tmp."""

    def __init__(self, prefix: str):
        remove_abandoned()
        self.path = Path(tempfile.mkdtemp(prefix=prefix))
        self.lock: int | None = _lock_in_use(self.path)  # a child given it (pass_fds) holds it too

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc_info) -> None:
        self.remove()

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        if self.lock is not None:
            os.close(self.lock)
            self.lock = None


def _lock_in_use(folder: Path) -> int:
    """Lock `folder`'s IN_USE file, made under another name and renamed once locked, so
    that no other process ever sees it unlocked; the descriptor, to close at the end."""
    making = folder / f"{IN_USE}.new"
    lock = os.open(making, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)
    os.rename(making, folder / IN_USE)
    return lock


def remove_abandoned(prefix: str = "autograder-") -> list[Path]:
    """Remove this user's TemporaryFolders (named `prefix`...) whose process has ended
    without removing them; the folders removed."""
    removed = []
    for folder in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
        try:
            status = folder.lstat()
            if not stat.S_ISDIR(status.st_mode) or status.st_uid != os.geteuid():
                continue
            lock = os.open(folder / IN_USE, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError:  # gone meanwhile, not ours, or no TemporaryFolder
            continue
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # in use
            continue
        else:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        finally:
            os.close(lock)
    return removed
