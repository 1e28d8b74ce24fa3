"""Where the course's own files are: the reference code, the stubs and the checks."""

import os
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import UserError

ROOT_ENV = "AUTOGRADER_COURSE_ROOT"


@dataclass(frozen=True)
class CourseRoot:
    path: Path
    hidden_override: Path | None = None  # hidden checks kept elsewhere (a private checkout)

    @property
    def solutions(self) -> Path:
        return self.path / "solutions"

    @property
    def exercises(self) -> Path:
        return self.path / "exercises"

    @property
    def public_checks(self) -> Path:
        return self.path / "checks" / "public"

    @property
    def hidden_checks(self) -> Path:
        return self.hidden_override or self.path / "checks" / "hidden"


def find_course_root(given: str | None = None, hidden_checks: str | None = None) -> CourseRoot:
    """The course root: `given`, else $AUTOGRADER_COURSE_ROOT, else the checkout this
    package lives in, else the working directory; it must hold `checks/public`.
    `hidden_checks` names a folder of hidden checks kept outside it.
    """
    hidden = Path(hidden_checks).resolve() if hidden_checks else None
    if hidden is not None and not hidden.is_dir():
        raise UserError(f"{hidden_checks}: no such folder of hidden checks")
    candidates = [given] if given else [os.environ.get(ROOT_ENV), Path(__file__).resolve().parents[1], Path.cwd()]
    for candidate in candidates:
        if candidate and (Path(candidate) / "checks" / "public").is_dir():
            return CourseRoot(Path(candidate).resolve(), hidden)
    where = given or "this checkout or the working directory"
    raise UserError(f"no course found in {where} (expected checks/public; pass --course-root DIR)")
