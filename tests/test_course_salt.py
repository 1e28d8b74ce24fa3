"""The course salt is the instructor's secret: it comes from --course-salt, the environment or
the course's `.autograder/salt`, changes every hidden input, never leaves in the student
repository, and without it grading says the hidden inputs are not secret (issue 10 item 5)."""

import json
import re
import shutil
import stat
import zipfile

import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.course import CourseRoot, find_course_root
from autograder.errors import UserError
from autograder.release import build_gradescope_bundle, release_student_repo
from autograder.salt import PUBLIC_SALT, PUBLIC_SALT_WARNING, SALT_ENV, SALT_FILE, resolve_course_salt

COURSE = find_course_root()
pytest_plugins = ["pytester"]
SECRET = "salt-only-the-instructor-knows-4f9c2a"

# A conv2d that is right or wrong by a digest of its inputs: which of the many hidden checks of
# conv2d it passes shows whether two gradings drew the same hidden inputs (hidden feedback
# holds no message to show them by).
SHOWS_ITS_INPUTS = """

def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, _right=conv2d):
    import hashlib
    digest = hashlib.sha256(np.asarray(x, dtype=np.float64).tobytes()).digest()
    return _right(x, w, b, stride, padding, dilation) + (digest[0] % 2)
"""


def course_with_salt_file(root, salt: str) -> CourseRoot:
    course = CourseRoot(root / "course")
    for part in ("solutions", "exercises", "checks"):
        shutil.copytree(COURSE.path / part, course.path / part)
    (course.path / SALT_FILE).parent.mkdir()
    (course.path / SALT_FILE).write_text(salt + "\n")
    return course


def test_the_salt_comes_from_the_option_then_the_environment_then_the_course(tmp_path, monkeypatch):
    course = course_with_salt_file(tmp_path, "from-the-file")
    monkeypatch.setenv(SALT_ENV, "from-the-environment")
    assert resolve_course_salt("from-the-option", course.path).value == "from-the-option"
    assert resolve_course_salt(None, course.path).value == "from-the-environment"
    monkeypatch.delenv(SALT_ENV)
    assert resolve_course_salt(None, course.path).value == "from-the-file"
    default = resolve_course_salt(None, tmp_path)
    assert default.value == PUBLIC_SALT and not default.secret


@pytest.mark.parametrize("source", ["option", "environment", "file"])
def test_an_empty_salt_is_refused_naming_where_it_came_from(tmp_path, monkeypatch, source):
    course = course_with_salt_file(tmp_path, " \n" if source == "file" else "unused")
    if source == "environment":
        monkeypatch.setenv(SALT_ENV, "")
    with pytest.raises(UserError, match=f"the course salt from {'--course-salt' if source == 'option' else '.*'} is empty"):
        resolve_course_salt("" if source == "option" else None, course.path)


DRAWS = """
import pytest

pytestmark = pytest.mark.concept("losses")


def test_draw(rng):
    print("draw", rng.integers(1 << 62))
"""


def draw(pytester, *args) -> str:
    """The number a check's `rng` draws in a plain pytest run with `args`."""
    result = pytester.runpytest_subprocess("-s", "--student", "ada", *args)
    return re.search(r"draw (\d+)", result.stdout.str()).group(1)


def test_the_pytest_option_the_environment_and_the_course_file_seed_rng(pytester, monkeypatch):
    monkeypatch.delenv(SALT_ENV, raising=False)
    pytester.makepyfile(test_draws=DRAWS)
    public, secret = draw(pytester), draw(pytester, f"--course-salt={SECRET}")
    assert public == draw(pytester, f"--course-salt={PUBLIC_SALT}") and secret != public
    monkeypatch.setenv(SALT_ENV, SECRET)
    assert draw(pytester) == secret
    monkeypatch.delenv(SALT_ENV)
    (pytester.path / SALT_FILE).parent.mkdir()
    (pytester.path / SALT_FILE).write_text(SECRET + "\n")
    assert draw(pytester) == secret


def grade(submission, *extra, env=None) -> tuple[dict, str]:
    """`autograder grade --format json` in this process: (report, stderr)."""
    args = ["grade", str(submission), "--concept", "convolution", "--student", "ada", "--format", "json", *extra]
    with CliRunner().isolation(env={SALT_ENV: None, **(env or {})}) as (stdout, stderr, _):
        code = main(args)
    assert code == 0, stderr.getvalue()
    report = json.loads(stdout.getvalue())
    report.pop("duration_s")
    return report, stderr.getvalue().decode()


def hidden_verdicts(report: dict) -> dict[str, str]:
    (convolution,) = [concept for concept in report["concepts"] if concept["id"] == "convolution"]
    return {check["id"]: check["status"] for check in convolution["checks"] if check["visibility"] == "hidden"}


@pytest.fixture(scope="module")
def submission(tmp_path_factory):
    folder = tmp_path_factory.mktemp("salted") / "ada"
    shutil.copytree(COURSE.solutions, folder)
    with open(folder / "convolution.py", "a", encoding="utf-8") as module:
        module.write(SHOWS_ITS_INPUTS)
    return folder


@pytest.fixture(scope="module")
def with_secret(submission):
    return grade(submission, "--course-salt", SECRET)


@pytest.fixture(scope="module")
def without_salt(submission):
    return grade(submission)


@pytest.mark.slow(seconds=8)  # two gradings of convolution (each shared with other tests)
def test_two_salts_draw_different_hidden_inputs(with_secret, without_salt):
    """The instructor's salt and the public default, the salt of a course without one."""
    assert hidden_verdicts(without_salt[0]) != hidden_verdicts(with_secret[0])


@pytest.mark.slow(seconds=8)  # two gradings of convolution
def test_the_same_salt_from_any_source_gives_the_same_report(submission, with_secret, tmp_path):
    report, warnings = with_secret
    from_environment, _ = grade(submission, env={SALT_ENV: SECRET})
    course = course_with_salt_file(tmp_path, SECRET)
    from_file, _ = grade(submission, "--course-root", str(course.path))
    assert report == from_environment == from_file
    assert report["course_salt"] == "secret" and warnings == ""


def test_without_a_salt_grading_works_and_says_the_hidden_inputs_are_not_secret(without_salt):
    report, warnings = without_salt
    assert report["course_salt"] == "public default"
    assert warnings == f"autograder: warning: {PUBLIC_SALT_WARNING}\n"


def test_the_student_repository_holds_no_salt(tmp_path, monkeypatch):
    course = course_with_salt_file(tmp_path, SECRET)
    monkeypatch.setenv(SALT_ENV, SECRET + "-env")
    released = release_student_repo(course, tmp_path / "student-repo")
    files = [path for path in released.rglob("*") if path.is_file()]
    assert files and not any(SECRET.encode() in path.read_bytes() for path in files)
    assert not any(part == SALT_FILE.parent.name for path in files for part in path.relative_to(released).parts)


def test_the_gradescope_bundle_carries_the_salt_for_its_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv(SALT_ENV, raising=False)
    course = course_with_salt_file(tmp_path, SECRET)
    bundle = build_gradescope_bundle(course, tmp_path / "autograder.zip", resolve_course_salt(None, course.path))
    with zipfile.ZipFile(bundle) as archive:
        entry = archive.getinfo(SALT_FILE.as_posix())
        assert archive.read(entry).decode().strip() == SECRET
    assert stat.S_IMODE(entry.external_attr >> 16) == 0o600
