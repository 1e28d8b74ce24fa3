"""`grade-all` signs the reports it saves and reuses one on a rerun only when its signature
holds: a report changed, copied or signed elsewhere is graded again, with a warning
(issue 10 item 5)."""

import json
import shutil
import stat

import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.course import find_course_root
from autograder.report.signing import KEY_NAME, sign_report, verify_report

COURSE = find_course_root()
KEY = b"k" * 64


def test_a_signature_holds_only_for_the_same_report_name_and_key():
    report = {"schema": 1, "score": 1.5, "concepts": [{"id": "losses", "checks": []}]}
    signed = sign_report(report, KEY, name="ada")
    assert verify_report(json.loads(json.dumps(signed, indent=2)), KEY, name="ada")
    assert not verify_report({**signed, "score": 10.0}, KEY, name="ada")
    assert not verify_report(signed, KEY, name="bob")
    assert not verify_report(signed, b"x" * 64, name="ada")
    assert not verify_report(report, KEY, name="ada")
    assert not verify_report([signed], KEY, name="ada")


def grade_all(folder, out, config_home):
    """Run `autograder grade-all` in this process: (exit code, stdout, stderr)."""
    args = ["grade-all", str(folder), "--out", str(out), "--concept", "losses", "--jobs", "1", "--course-salt", "test-salt"]
    with CliRunner().isolation(env={"XDG_CONFIG_HOME": str(config_home)}) as (stdout, stderr, _):
        code = main(args)
    return code, stdout.getvalue().decode(), stderr.getvalue().decode()


@pytest.fixture(scope="module")
def first_batch(tmp_path_factory):
    """Two submissions graded once: ada's reference code and bob's sum instead of a mean."""
    root = tmp_path_factory.mktemp("signed")
    for name in ("ada", "bob"):
        shutil.copytree(COURSE.solutions, root / "class" / name)
    with open(root / "class" / "bob" / "losses.py", "a", encoding="utf-8") as module:
        module.write("\n\ndef mean_squared_error(y_true, y_pred):\n    return float(np.sum((y_true - y_pred) ** 2))\n")
    code, stdout, stderr = grade_all(root / "class", root / "grades", root / "config")
    assert code == 0, stderr
    assert "2 graded, 0 unchanged and reused" in stdout
    return root


@pytest.fixture
def batch(first_batch, tmp_path):
    """A copy of the graded batch, its reports and its instructor's key, for one test to change."""
    for part in ("class", "grades", "config"):
        shutil.copytree(first_batch / part, tmp_path / part)
    return tmp_path


def reports(batch) -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text()) for path in (batch / "grades" / "reports").glob("*.json")}


def test_the_key_is_made_once_readable_by_its_owner_only_and_signs_every_report(batch):
    key = batch / "config" / "autograder" / KEY_NAME
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    saved = reports(batch)
    assert set(saved) == {"ada", "bob"} and all(len(report["signature"]) == 64 for report in saved.values())
    assert saved["ada"]["score"] == 10 and saved["bob"]["score"] < 10


def test_a_rerun_on_the_same_machine_verifies_and_reuses_every_report(batch):
    before = {path.name: path.read_bytes() for path in (batch / "grades" / "reports").iterdir()}
    code, stdout, stderr = grade_all(batch / "class", batch / "grades", batch / "config")
    assert code == 0 and "0 graded, 2 unchanged and reused" in stdout
    assert "graded again" not in stderr
    assert {path.name: path.read_bytes() for path in (batch / "grades" / "reports").iterdir()} == before


def raise_bobs_score(batch) -> None:
    path = batch / "grades" / "reports" / "bob.json"
    report = json.loads(path.read_text())
    report["score"] = report["concepts"][0]["score"] = 10.0
    path.write_text(json.dumps(report, indent=2))


def copy_adas_report_for_bob(batch) -> None:
    shutil.copy(batch / "grades" / "reports" / "ada.json", batch / "grades" / "reports" / "bob.json")


def use_another_machines_key(batch) -> None:
    shutil.rmtree(batch / "config")  # a new key is made: the old reports were signed elsewhere


@pytest.mark.parametrize("alter", [raise_bobs_score, copy_adas_report_for_bob, use_another_machines_key])
def test_a_report_altered_on_disk_is_graded_again_with_a_warning(batch, alter):
    true_score = reports(batch)["bob"]["score"]
    alter(batch)
    code, stdout, stderr = grade_all(batch / "class", batch / "grades", batch / "config")
    assert code == 0, stderr
    regraded = 2 if alter is use_another_machines_key else 1
    assert f"{regraded} graded, {2 - regraded} unchanged and reused" in stdout
    assert "autograder: warning: bob: its saved report was changed or not signed on this machine; graded again" in stderr
    assert reports(batch)["bob"]["score"] == true_score
    assert f"bob,graded,{true_score:g}," in (batch / "grades" / "gradebook.csv").read_text()


def test_a_key_others_may_read_is_refused_before_anything_is_graded(batch):
    key = batch / "config" / "autograder" / KEY_NAME
    key.chmod(0o644)
    shutil.rmtree(batch / "grades")
    code, stdout, stderr = grade_all(batch / "class", batch / "grades", batch / "config")
    assert code == 2 and stdout == ""
    assert stderr == f"autograder: error: {key}: the report signing key may be read by other users (run chmod 600 {key})\n"
    assert not (batch / "grades").exists()
