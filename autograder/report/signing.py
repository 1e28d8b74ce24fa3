"""A signed report: the grading session signs what it writes with a key only it was given,
so a report file that student code wrote or changed is refused, never read as a grade."""

import hashlib
import hmac

from autograder.errors import UserError


def sign(body: str, key: bytes) -> str:
    """`body` preceded by a line holding its HMAC-SHA256 under `key` (empty key: unsigned)."""
    return f"{_digest(body, key)}\n{body}"


def verify(signed: str, key: bytes) -> str:
    """The body of a signed report; raises when the signature does not match."""
    signature, _, body = signed.partition("\n")
    if not hmac.compare_digest(signature, _digest(body, key)):
        raise UserError("the grading session's report failed its signature check (was it tampered with?)")
    return body


def _digest(body: str, key: bytes) -> str:
    return hmac.new(key, body.encode("utf-8"), hashlib.sha256).hexdigest()
