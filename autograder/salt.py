"""The course salt: the instructor's secret in the seed of every hidden input (law 7).

It comes from `--course-salt`, else $AUTOGRADER_COURSE_SALT, else the course's
`.autograder/salt` file (never released to students), in that order. Without any, grading
uses PUBLIC_SALT, which every copy of the engine holds: the hidden inputs are then still
personal, but anyone with the engine and a student id can compute their seeds.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import UserError

PUBLIC_SALT = "public-default-salt (not secret)"
SALT_ENV = "AUTOGRADER_COURSE_SALT"
SALT_FILE = Path(".autograder") / "salt"
SALT_HELP = f"The course's secret salt for the hidden inputs' seeds (default: ${SALT_ENV}, else {SALT_FILE} in the course root)."
PUBLIC_SALT_WARNING = (
    f"no course salt (--course-salt, ${SALT_ENV} or {SALT_FILE}): the hidden inputs are drawn "
    "with the public default salt, so they are not secret"
)


@dataclass(frozen=True)
class CourseSalt:
    value: str

    @property
    def secret(self) -> bool:
        return self.value != PUBLIC_SALT


def resolve_course_salt(given: str | None, course_root: Path | None) -> CourseSalt:
    """The course salt from `given`, the environment, `course_root`'s salt file, or the
    public default; raises UserError for an empty or unreadable one."""
    if given is not None:
        return _checked(given, "--course-salt")
    if os.environ.get(SALT_ENV) is not None:
        return _checked(os.environ[SALT_ENV], f"${SALT_ENV}")
    path = course_root / SALT_FILE if course_root is not None else None
    if path is None or not path.exists():
        return CourseSalt(PUBLIC_SALT)
    try:
        return _checked(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError) as problem:
        why = problem.strerror.lower() if isinstance(problem, OSError) and problem.strerror else "not UTF-8 text"
        raise UserError(f"{path}: the course salt cannot be read ({why})") from None


def _checked(value: str, source: str) -> CourseSalt:
    """The salt without surrounding whitespace (a file's final newline), the same from every source."""
    if not value.strip():
        raise UserError(f"the course salt from {source} is empty (give a long random string)")
    return CourseSalt(value.strip())
