"""One source (law 1): the committed stubs are exactly what the build makes from solutions/."""

import shutil
import subprocess
import sys

from autograder.course import find_course_root
from autograder.generate.stubs import drifted_stubs, expected_stubs, write_stubs

COURSE = find_course_root()


def test_committed_stubs_have_not_drifted_from_the_reference():
    assert drifted_stubs(COURSE.solutions, COURSE.exercises) == []


def test_the_build_is_reproducible(tmp_path):
    write_stubs(COURSE.solutions, tmp_path / "one")
    write_stubs(COURSE.solutions, tmp_path / "two")
    for stub in (tmp_path / "one").iterdir():
        assert stub.read_bytes() == (tmp_path / "two" / stub.name).read_bytes()


def test_stubs_keep_docstrings_and_hints_but_no_solution():
    for name, stub in expected_stubs(COURSE.solutions).items():
        solution = (COURSE.solutions / name).read_text()
        assert "### BEGIN SOLUTION" not in stub, name
        assert stub.count("raise NotImplementedError()") == solution.count("### BEGIN SOLUTION"), name
        assert stub.count("# Hint:") == solution.count("# Hint:"), name
        assert stub.count('"""') == solution.count('"""'), name


def run_autograder(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, cwd=cwd)


def copy_course(tmp_path):
    course = tmp_path / "course"
    for part in ("solutions", "exercises", "checks"):
        shutil.copytree(COURSE.path / part, course / part)
    write_stubs(course / "solutions", course / "exercises")  # consistent, whatever the checkout
    return course


def test_build_check_reports_drift_without_changing_anything(tmp_path):
    course = copy_course(tmp_path)
    stub = course / "exercises" / "losses.py"
    stub.write_text(stub.read_text() + "\n# edited by hand\n")
    before = stub.read_text()
    done = run_autograder("build", "--check", "--course-root", str(course))
    assert done.returncode == 1
    assert done.stderr.strip() == "autograder: error: exercises/ has drifted from solutions/: losses.py (run `autograder build`)"
    assert stub.read_text() == before


def test_build_rewrites_a_drifted_stub(tmp_path):
    course = copy_course(tmp_path)
    (course / "exercises" / "losses.py").write_text("# stale\n")
    done = run_autograder("build", "--course-root", str(course))
    assert done.returncode == 0, done.stderr
    assert drifted_stubs(course / "solutions", course / "exercises") == []


def test_a_broken_region_stops_the_build_and_writes_nothing(tmp_path):
    course = copy_course(tmp_path)
    broken = course / "solutions" / "losses.py"
    broken.write_text(broken.read_text().replace("    ### END SOLUTION\n    return float(loss)\n\n\ndef mean_absolute_error", "    return float(loss)\n\n\ndef mean_absolute_error", 1))
    before = {p.name: p.read_text() for p in (course / "exercises").iterdir()}
    done = run_autograder("build", "--course-root", str(course))
    assert done.returncode == 2
    assert done.stderr.startswith("autograder: error: solutions/losses.py:")
    assert len(done.stderr.strip().splitlines()) == 1
    assert {p.name: p.read_text() for p in (course / "exercises").iterdir()} == before
