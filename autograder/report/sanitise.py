"""Make a report's strings plain, bounded text, once, where the report is made or read.

Every string of a report may come from a student: an exception's message and type name, a
handle's type name, a file or folder name, a student id. Here each loses what a terminal,
a Markdown page or an XML file would act on instead of show (escape sequences, other
control characters, bidirectional overrides) and is cut to its field's length; the whole
report is then held under REPORT_LIMIT_BYTES by cutting feedback further, never by dropping
a concept or a check (laws 5 and 9). Each view still escapes for its own format.
"""

import json
import re

# Complete escape sequences go as one, so no "[2J" is left behind: OSC, DCS, SOS, PM, APC
# strings up to their terminator (BEL or ST), CSI sequences, then any other ESC sequence.
ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|\x1b[ -/]*[0-~]"
)
# C0 and C1 controls but tab and newline (those go below), DEL, the bidirectional overrides
# and isolates that reorder what a reader sees ("Trojan source"), and U+FFFE, U+FFFF.
UNSHOWN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")
LINE_BREAKS = re.compile("[\n\t\u2028\u2029]")
SURROGATE = re.compile("[\ud800-\udfff]")  # a lone half of a pair, e.g. from an undecodable file name

FEEDBACK_LIMIT = 2048  # characters: room for a message a student can act on
MULTILINE_FIELDS = frozenset({"feedback", "reason", "notes"})
FIELD_LIMITS = {"feedback": FEEDBACK_LIMIT, "reason": FEEDBACK_LIMIT, "notes": FEEDBACK_LIMIT, "submission": 1024}
DEFAULT_LIMIT = 512  # any other string: ids, titles, names, statuses
REPORT_LIMIT_BYTES = 512 * 1024  # the report as JSON, as it is stored
SHORTEST_FEEDBACK = 32  # feedback is never cut below this to meet REPORT_LIMIT_BYTES
CUT_MARK = "…"


def strip_controls(text: str, *, multiline: bool = False) -> str:
    """`text` without escape sequences, control characters, bidirectional controls and the
    noncharacters U+FFFE and U+FFFF; a lone surrogate becomes U+FFFD. Line breaks and tabs
    stay when `multiline` (a carriage return never does), else each becomes a space."""
    text = UNSHOWN.sub("", ESCAPE_SEQUENCE.sub("", text))
    if multiline:
        text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    else:
        text = LINE_BREAKS.sub(" ", text)
    return SURROGATE.sub("\ufffd", text)


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, the cut marked with an ellipsis."""
    return text if len(text) <= limit else text[: limit - len(CUT_MARK)] + CUT_MARK


def sanitise_report(report: dict) -> dict:
    """A copy of `report` with every string plain and capped, and the whole report under
    REPORT_LIMIT_BYTES as JSON (feedback is cut shorter, down to SHORTEST_FEEDBACK
    characters; every concept and check stays). Idempotent."""
    feedback_limit = FEEDBACK_LIMIT
    clean = _clean(report, None, feedback_limit)
    while feedback_limit > SHORTEST_FEEDBACK and len(json.dumps(clean)) > REPORT_LIMIT_BYTES:
        feedback_limit = max(feedback_limit // 2, SHORTEST_FEEDBACK)
        clean = _clean(clean, None, feedback_limit)
    return clean


def _clean(value, field: str | None, feedback_limit: int):
    """`value` with each string cleaned for the field that holds it."""
    if isinstance(value, str):
        limit = FIELD_LIMITS.get(field, DEFAULT_LIMIT)
        if field in MULTILINE_FIELDS:
            limit = min(limit, feedback_limit)
        # Cut first as well, so a megabyte-long message costs no more than a long one.
        return clip(strip_controls(value[: 4 * limit], multiline=field in MULTILINE_FIELDS), limit)
    if isinstance(value, dict):
        return {key: _clean(item, key, feedback_limit) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(item, field, feedback_limit) for item in value]
    return value
