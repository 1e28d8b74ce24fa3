"""Make what leaves the instructor's repository: the student repository and the Gradescope bundle.

The student repository holds the stubs, the public checks, the engine (the plugin, the
comparisons and the report views its CI step uses), a pyproject, a README and the CI
workflow: nothing of `solutions/`, no hidden check, no course salt. Its pyproject pins numpy
and torch to the versions installed here, the grader's, so code that passes the student's
`pytest` passes the same way when graded (issue 11 item 8). The Gradescope bundle, which
only the instructor uploads, holds the engine and every check, public and hidden, the
course salt (readable by its owner only), `setup.sh` and `run_autograder`: still no
reference code. Both are built in a staging folder and moved into place whole, so a failure
leaves nothing half-made.
"""

import os
import shutil
import zipfile
from importlib import resources
from pathlib import Path

from autograder import __version__
from autograder.course import CourseRoot
from autograder.errors import UserError
from autograder.generate.stubs import drifted_stubs
from autograder.salt import SALT_FILE, CourseSalt
from autograder.versions import library_versions, release_pin

ENGINE_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", SALT_FILE.parent.name)  # no salt in any copied tree


def release_student_repo(course: CourseRoot, dest: Path) -> Path:
    """Write the student repository into `dest`, which must not exist or be empty."""
    _refuse_unless_fresh(dest)
    _refuse_drift(course)
    staging = dest.parent / f".{dest.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        _copy_engine(staging)
        shutil.copytree(course.exercises, staging / "exercises", ignore=ENGINE_IGNORE)
        shutil.copytree(course.public_checks, staging / "checks" / "public", ignore=ENGINE_IGNORE)
        _write_template("student/pyproject.toml", staging / "pyproject.toml")
        _write_template("student/README.md", staging / "README.md")
        _write_template("student/grade.yml", staging / ".github" / "workflows" / "grade.yml")
        (staging / ".gitignore").write_text("__pycache__/\n*.egg-info/\n.venv/\nreport.json\n.hidden-checks/\n", encoding="utf-8")
        _move_into_place(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def build_gradescope_bundle(course: CourseRoot, zip_path: Path, salt: CourseSalt) -> Path:
    """Write a Gradescope autograder zip: setup.sh, run_autograder, engine, all checks and,
    when it is secret, the course salt as `.autograder/salt` (mode 0600)."""
    if zip_path.suffix != ".zip":
        raise UserError(f"{zip_path}: the bundle's name must end in .zip")
    if zip_path.exists():
        raise UserError(f"{zip_path}: already exists (choose a new name)")
    if not zip_path.parent.is_dir():
        raise UserError(f"{zip_path.parent}: no such folder")
    if not course.hidden_checks.is_dir():
        raise UserError(f"{course.hidden_checks}: no hidden checks to bundle")
    staging = zip_path.parent / f".{zip_path.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        _copy_engine(staging)
        shutil.copytree(course.public_checks, staging / "checks" / "public", ignore=ENGINE_IGNORE)
        shutil.copytree(course.hidden_checks, staging / "checks" / "hidden", ignore=ENGINE_IGNORE)
        _write_template("student/pyproject.toml", staging / "pyproject.toml")
        _write_template("gradescope/setup.sh", staging / "setup.sh", executable=True)
        _write_template("gradescope/run_autograder", staging / "run_autograder", executable=True)
        if salt.secret:
            _write_private(staging / SALT_FILE, salt.value)
        partial_zip = zip_path.with_name(f".{zip_path.name}.tmp")
        with zipfile.ZipFile(partial_zip, "w", zipfile.ZIP_DEFLATED) as bundle:
            for path in sorted(staging.rglob("*")):
                if path.is_file():
                    _add_file(bundle, path, path.relative_to(staging).as_posix())
        os.replace(partial_zip, zip_path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return zip_path


def _add_file(bundle: zipfile.ZipFile, path: Path, name: str) -> None:
    """Add a file with its executable bit, which Gradescope needs on run_autograder."""
    info = zipfile.ZipInfo.from_file(path, name)
    with open(path, "rb") as source:
        bundle.writestr(info, source.read(), compress_type=zipfile.ZIP_DEFLATED)


def _refuse_unless_fresh(dest: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise UserError(f"{dest}: already exists and is not an empty folder (release into a new one)")
    if not dest.parent.is_dir():
        raise UserError(f"{dest.parent}: no such folder")


def _refuse_drift(course: CourseRoot) -> None:
    drifted = drifted_stubs(course.solutions, course.exercises) if course.solutions.is_dir() else []
    if drifted:
        raise UserError(f"exercises/ has drifted from solutions/: {', '.join(drifted)} (run `autograder build` first)")


def _copy_engine(staging: Path) -> None:
    package = Path(__file__).resolve().parent
    shutil.copytree(package, staging / "autograder", ignore=ENGINE_IGNORE)


def grader_pins() -> dict[str, str]:
    """{"numpy", "torch"}: the versions to pin, those this grader runs."""
    versions = library_versions()
    missing = [name for name in ("numpy", "torch") if versions[name] == "not installed"]
    if missing:
        raise UserError(f"{' and '.join(missing)} is not installed here (release from the environment you grade with)")
    return {name: release_pin(versions[name]) for name in ("numpy", "torch")}


def _write_template(name: str, target: Path, executable: bool = False) -> None:
    text = resources.files("autograder").joinpath("templates", name).read_text(encoding="utf-8")
    pins = grader_pins()
    text = text.replace("{version}", __version__).replace("{torch_version}", pins["torch"]).replace("{numpy_version}", pins["numpy"])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    if executable:
        target.chmod(0o755)


def _write_private(target: Path, text: str) -> None:
    """Write `text` to `target`, readable by its owner only (the zip keeps the mode)."""
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    target.touch(mode=0o600)
    target.write_text(text + "\n", encoding="utf-8")


def _move_into_place(staging: Path, dest: Path) -> None:
    if dest.exists():
        dest.rmdir()  # empty, checked before
    os.replace(staging, dest)
