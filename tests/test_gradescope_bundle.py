"""The Gradescope bundle: unpacked as Gradescope does and run as root, it grades in the uid
sandbox, with the bundled salt and Gradescope's visibility, and writes a zero that says why
for a submission with nothing to grade."""

import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest

from autograder.course import find_course_root
from autograder.release import build_gradescope_bundle
from autograder.salt import resolve_course_salt
from grader_accounts import GraderAccount

COURSE = find_course_root()


@pytest.mark.slow(seconds=30)
@pytest.mark.skipif(os.geteuid() != 0, reason="Gradescope grades as root, in the uid sandbox (CI runs as root)")
def test_the_gradescope_bundle_grades_in_the_uid_sandbox_with_visibility(tmp_path):
    """The bundle unpacked as Gradescope does, run as root with an interpreter every user
    can read (as in Gradescope's image), its engine from the bundle."""
    bundle = build_gradescope_bundle(COURSE, tmp_path / "autograder.zip", resolve_course_salt("a-bundled-salt", None))
    image = Path(tempfile.mkdtemp(prefix="gradescope-"))
    image.chmod(0o755)
    root = image / "autograder"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
        names = archive.namelist()
    assert {"setup.sh", "run_autograder"} <= set(names) and not any(n.startswith("solutions/") for n in names)
    python = GraderAccount.root_with_a_readable_interpreter(image / "image").python
    shims = image / "bin"
    shims.mkdir()
    (shims / "autograder").write_text(f'#!/bin/sh\nexec {python} -m autograder "$@"\n')
    (shims / "autograder").chmod(0o755)
    run_autograder = root / "source" / "run_autograder"
    run_autograder.chmod(0o755)
    shutil.copytree(COURSE.path / "examples" / "sample-submission", root / "submission")
    # Run in the image, not the checkout: `python -m` puts the working folder on sys.path,
    # and the checkout's holds its own engine, which would stand in for the bundle's.
    # An id that an option parser would take for an option must still be the student id.
    env = {"PATH": f"{shims}:/usr/bin:/bin", "PYTHONPATH": str(root / "source"), "AUTOGRADER_ROOT": str(root), "PYTHONDONTWRITEBYTECODE": "1", "SUBMISSION_ID": "-2+3"}
    try:
        done = subprocess.run([str(run_autograder)], cwd=root, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert "public default salt" not in done.stderr  # it graded with the bundled salt
        results = json.loads((root / "results" / "results.json").read_text())
        assert 0 < results["score"] < sum(t["max_score"] for t in results["tests"])
        assert {t["visibility"] for t in results["tests"]} == {"visible", "after_published"}
        assert oct((root / "source" / "checks" / "hidden").stat().st_mode)[-3:] == "700"
        assert oct((root / "source" / ".autograder").stat().st_mode)[-3:] == "700"
        shutil.rmtree(root / "submission")
        (root / "submission").mkdir()
        subprocess.run([str(run_autograder)], cwd=root, env=env, check=True, capture_output=True)
        empty = json.loads((root / "results" / "results.json").read_text())
        assert empty["score"] == 0 and empty["output"].startswith("Nothing in this submission could be graded: it holds no files.")
    finally:
        shutil.rmtree(image, ignore_errors=True)
