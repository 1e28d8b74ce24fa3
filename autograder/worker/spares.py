"""The spare torch sandbox of a grading process that grades one submission after another,
and the home every sandbox of a submission lives in."""

import os
import shutil
import tempfile
from pathlib import Path

from autograder.worker.isolation import Isolation, Layout, sandbox_uid
from autograder.worker.limits import Limits
from autograder.worker.warm_parent import SandboxBroken, WarmParent


def new_layout(isolation: Isolation, limits: Limits) -> Layout:
    """A new home for one submission's sandbox: an empty folder for the submission's copy,
    and a working folder; in the uid sandbox, a user of its own (sandbox_uid)."""
    uid = sandbox_uid() if isolation.mode != "none" else None
    home = Path(tempfile.mkdtemp(prefix="autograder-sandbox-"))
    (home / "submission").mkdir()
    workdir = home / "work"
    workdir.mkdir()
    if isolation.mode == "uid":  # the submission's user alone may enter, besides the grader
        try:
            os.chown(home, uid, uid)
            os.chown(workdir, uid, uid)
        except OSError as problem:
            shutil.rmtree(home, ignore_errors=True)
            raise SandboxBroken(f"no user of its own for the submission ({problem.strerror})") from None
    return Layout(submission=home / "submission", workdir=workdir, uid=uid, tmp_bytes=limits.tmp_bytes, shm_bytes=limits.shm_bytes)


class Spares:
    """The spare torch sandbox of a grading process that grades one submission after
    another (`autograder.grading.server`, from its second session on).

    A complete submission's session ends with the concept built on torch, and the sandbox
    for it imports torch (about two floors, torch._dynamo included) while the session's
    other concepts are graded: on a warm process that import is what the session waits
    for. So while one session trains its detector on one core, the next session's torch
    sandbox starts, with a home of its own and an empty folder bound where its submission
    will be; the next session copies its submission in before any of its code runs there.
    It is still one sandbox per submission: a spare has run no code but the grader's
    preload, and serves one session or none. Not in the uid sandbox (see the module doc);
    and a session that asks for other limits, secrets or isolation kills it and starts
    its own."""

    enabled = False
    waiting: tuple[tuple, Layout, WarmParent] | None = None


def start_spare(settings: tuple[Isolation, Limits, tuple[str, ...], float, float]) -> None:
    """Start the torch sandbox of the next session with these settings (isolation, limits,
    secret paths to probe, start limit, spawn and reset limit), if spares are kept and none
    waits; not in the uid sandbox. A spare that cannot start is no failure: the next
    session starts its own, and says why if that fails too."""
    isolation, limits, probe, start_limit_s, control_limit_s = settings
    if not Spares.enabled or Spares.waiting is not None or isolation.mode == "uid":
        return
    try:
        layout = new_layout(isolation, limits)
    except (OSError, RuntimeError, SandboxBroken):  # no uid or no folder left: the next session starts its own
        return
    try:
        parent = WarmParent(isolation, layout, limits, probe, preload_torch=True, start_limit_s=start_limit_s, control_limit_s=control_limit_s, wait=False)
    except SandboxBroken:
        end_unused(layout, None)
        return
    Spares.waiting = (settings, layout, parent)


def take_spare(key: tuple) -> tuple[Layout, WarmParent] | None:
    """The spare torch sandbox started for a session that asks for `key`, if there is one;
    a spare started for other settings is discarded."""
    if Spares.waiting is not None and Spares.waiting[0] != key:
        discard_spare()
    if Spares.waiting is None:
        return None
    (_, layout, parent), Spares.waiting = Spares.waiting, None
    return layout, parent


def keep_spares(keep: bool = True) -> None:
    """Whether the sessions from now on start a spare torch sandbox for the next one (see
    Spares); if not, the one waiting is discarded."""
    Spares.enabled = keep
    if not keep:
        discard_spare()


def discard_spare() -> None:
    """Kill the spare torch sandbox, if one waits, and remove its home."""
    if Spares.waiting is not None:
        (_, layout, parent), Spares.waiting = Spares.waiting, None
        end_unused(layout, parent)


def end_unused(layout: Layout, parent: WarmParent | None) -> None:
    """Kill a sandbox that serves no session (if it started) and remove its home."""
    if parent is not None:
        parent.kill()
    shutil.rmtree(layout.submission.parent, ignore_errors=True)
