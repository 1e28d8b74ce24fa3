"""Signed reports, so a report that someone without the key wrote or changed is never read
as a grade.

Two keys sign two kinds of report. A grading session signs each reply with a key only it
was given (`sign`, `verify`). `grade-all` signs the reports it saves with the instructor's
key (`sign_report`, `verify_report`): a file made once in the instructor's user config
folder, readable by its owner only, which student code, sandboxed, never sees; so a rerun
on the same machine reuses a report only when it is exactly what the grader wrote.
"""

import functools
import hashlib
import hmac
import json
import os
import secrets
import stat
import tempfile
from pathlib import Path

from autograder.errors import UserError

KEY_NAME = "report.key"
SIGNATURE = "signature"  # the report field that holds the signature of the rest


def sign(body: str, key: bytes) -> str:
    """`body` preceded by a line holding its HMAC-SHA256 under `key` (empty key: unsigned)."""
    return f"{_digest(body, key)}\n{body}"


def verify(signed: str, key: bytes) -> str:
    """The body of a signed report; raises when the signature does not match."""
    signature, _, body = signed.partition("\n")
    if not hmac.compare_digest(signature, _digest(body, key)):
        raise UserError("the grading session's report failed its signature check (was it tampered with?)")
    return body


def sign_report(report: dict, key: bytes, *, name: str) -> dict:
    """A copy of `report` with a `signature` field: the HMAC-SHA256 of the rest and of
    `name` (the submission it is saved for, so it cannot pass for another's)."""
    unsigned = {field: value for field, value in report.items() if field != SIGNATURE}
    return {**unsigned, SIGNATURE: _digest(_canonical(unsigned, name), key)}


def verify_report(report: object, key: bytes, *, name: str) -> bool:
    """Whether `report` is a dict whose `signature` matches the rest and `name` under `key`."""
    if not isinstance(report, dict) or not isinstance(report.get(SIGNATURE), str):
        return False
    unsigned = {field: value for field, value in report.items() if field != SIGNATURE}
    return hmac.compare_digest(report[SIGNATURE], _digest(_canonical(unsigned, name), key))


def key_path() -> Path:
    """Where the instructor's key lives: $XDG_CONFIG_HOME/autograder/report.key (default
    ~/.config/autograder/report.key)."""
    config_home = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config_home) / "autograder" / KEY_NAME


def instructor_key() -> bytes:
    """The instructor's report key, made on first use (folder 0700, file 0600); raises
    UserError when it cannot be made or read, or when others may read it."""
    return _load_key(key_path())


@functools.cache
def _load_key(path: Path) -> bytes:
    try:
        if not path.exists():
            _make_key(path)
        mode = path.stat().st_mode
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as problem:
        why = problem.strerror.lower() if isinstance(problem, OSError) and problem.strerror else "not a key"
        raise UserError(f"{path}: the report signing key cannot be made or read ({why}; set XDG_CONFIG_HOME to a private folder)") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise UserError(f"{path}: the report signing key may be read by other users (run chmod 600 {path})")
    if len(key) < 32:
        raise UserError(f"{path}: the report signing key is too short (delete it to make a new one)")
    return key.encode("ascii")


def _make_key(path: Path) -> None:
    """Write a new random key to `path`, whole, unless another process just did."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(handle, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32) + "\n")
        try:
            os.link(temporary, path)  # never replaces a key that exists: its reports stay valid
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)


def _canonical(report: dict, name: str) -> str:
    return json.dumps([name, report], sort_keys=True, separators=(",", ":"))


def _digest(body: str, key: bytes) -> str:
    return hmac.new(key, body.encode("utf-8"), hashlib.sha256).hexdigest()
