"""The student repository: nothing hidden leaks; it installs fresh, runs offline, and its
workflow's own steps grade it (issue 7). The Gradescope bundle: test_gradescope_bundle.py."""

import ast
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from autograder.course import find_course_root
from autograder.generate.regions import SOLUTION
from autograder.release import grader_pins, release_student_repo

COURSE = find_course_root()


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    return release_student_repo(COURSE, tmp_path_factory.mktemp("release") / "student-repo")


def solution_regions() -> list[tuple[str, ...]]:
    """The substantial lines of each solution region of the reference code."""
    regions = []
    for module in COURSE.solutions.glob("*.py"):
        region = None
        for line in module.read_text().splitlines():
            marker = line.strip()
            if marker == SOLUTION.begin:
                region = []
            elif marker == SOLUTION.end:
                regions.append(tuple(region))
                region = None
            elif region is not None and len(marker) >= 16 and not marker.startswith("#"):
                region.append(marker)
    return [region for region in regions if region]


def leaked_regions(text: str, given: str) -> list[tuple[str, ...]]:
    """Solution regions whose every substantial line the release `text` holds and `given`
    (what students are meant to have) does not hold them all: one shared idiom such as
    `dx = np.zeros_like(x)` is no leak, a region copied whole is."""
    return [region for region in solution_regions() if all(line in text for line in region) and not all(line in given for line in region)]


def hidden_check_names():
    names = set()
    for check_file in COURSE.hidden_checks.rglob("test_*.py"):
        tree = ast.parse(check_file.read_text())
        names |= {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}
    return names


def released_text(root: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted(root.rglob("*")) if p.is_file())


def test_no_reference_code_or_hidden_check_leaks(released):
    """A solution region counts as leaked when the release holds all of it but the stubs and
    public checks (what students are meant to have) do not."""
    text = released_text(released)
    given = released_text(COURSE.exercises) + released_text(COURSE.public_checks)
    public_names = {n for f in COURSE.public_checks.glob("test_*.py") for n in re.findall(r"def (test_\w+)", f.read_text())}
    leaked_code = leaked_regions(text, given)
    leaked_checks = [name for name in hidden_check_names() - public_names if re.search(rf"\b{name}\b", text)]
    assert leaked_code == [] and leaked_checks == []
    assert not (released / "solutions").exists() and not (released / "checks" / "hidden").exists()
    assert sorted(p.name for p in (released / "exercises").iterdir()) == sorted(p.name for p in COURSE.exercises.glob("*.py"))


def test_the_release_pins_numpy_and_torch_to_the_graders_and_says_so(released):
    pins = grader_pins()
    assert pins == {name: importlib.metadata.version(name).split("+")[0] for name in ("numpy", "torch")}
    pyproject = (released / "pyproject.toml").read_text()
    assert f'"numpy=={pins["numpy"]}"' in pyproject and f'"torch=={pins["torch"]}"' in pyproject
    readme = (released / "README.md").read_text()
    assert f"numpy {pins['numpy']} and torch {pins['torch']}" in readme and f"torch=={pins['torch']}" in readme
    workflow = yaml.safe_load((released / ".github" / "workflows" / "grade.yml").read_text())
    assert workflow["env"]["TORCH_VERSION"] == pins["torch"]


def test_a_solution_copied_into_a_release_counts_as_leaked(released):
    """The leak test can fail: a release that carried one reference module would."""
    given = released_text(COURSE.exercises) + released_text(COURSE.public_checks)
    text = released_text(released) + (COURSE.solutions / "pooling.py").read_text()
    assert len(leaked_regions(text, given)) >= 3


def test_release_refuses_a_folder_in_use(tmp_path):
    dest = tmp_path / "busy"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine")
    done = subprocess.run([sys.executable, "-m", "autograder", "release", str(dest)], capture_output=True, text=True)
    assert done.returncode == 2 and "not an empty folder" in done.stderr
    assert [p.name for p in dest.iterdir()] == ["notes.txt"]


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory):
    """A new virtual environment with CPU torch, as the student README's first command gives
    it. Without byte-compiling torch's files at install (--no-compile): that is half the
    install's time, and what the tests import is compiled as it is first imported
    (`in_the_fresh_venv`)."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-compile"]
    subprocess.run([*pip, f"torch=={grader_pins()['torch']}"], check=True)
    return venv


def in_the_fresh_venv(env: dict[str, str]) -> dict[str, str]:
    """`env` for a command run in the fresh venv: Python writes the bytecode of what it
    imports, as it does on a student's machine by default (this machine's environment
    may say not to). The install compiles nothing (--no-compile); the first command that
    imports torch, scikit-learn or the checks compiles them once, and later ones read
    them, instead of each compiling them again in memory (some 10 s a command)."""
    return {key: value for key, value in env.items() if key != "PYTHONDONTWRITEBYTECODE"}


def offline(command: list[str]) -> list[str]:
    """Run without a network where the machine allows it (a new network namespace as root)."""
    if os.geteuid() == 0 and shutil.which("unshare"):
        return ["unshare", "--net", *command]
    return command


@pytest.mark.slow(seconds=100)  # a fresh venv with torch, then the workflow's install of the clone and its dependencies
def test_a_fresh_clone_installs_in_one_command_and_runs_pytest_offline(stubs_workflow, fresh_venv):
    """The README's one command after torch, `pip install -e .`, is the workflow's "Install
    the exercises" step: the stubs' workflow ran it first in the fresh venv (torch alone),
    in a copy of the release of its own, so the clone here is that copy."""
    clone, steps, _ = stubs_workflow
    (install,) = [step for step in steps if step.args[-1] == "python -m pip install -e ."]
    assert install.returncode == 0, install.stderr[-2000:]
    done = subprocess.run(offline([str(fresh_venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:randomly"]), cwd=clone, env=in_the_fresh_venv(os.environ), capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "per-concept results" in done.stdout and "skipped" in done.stdout and "failed" not in done.stdout


# The workflow's steps that install: torch's pin, then the repository's package and its
# dependencies (`pip install -e .`, the README's one command).
INSTALL_STEPS = ("Install a CPU build of torch", "Install the exercises")


def run_workflow(repo: Path, venv: Path, tmp_path: Path, fail_below: str = "0", only: str | None = None, skip: tuple[str, ...] = ()) -> tuple[list[subprocess.CompletedProcess], Path]:
    """Run the `run:` steps of the workflow (or only the one named `only`; none named in
    `skip`), in order, as GitHub would after checkout."""
    workflow = yaml.safe_load((repo / ".github" / "workflows" / "grade.yml").read_text())
    assert set(skip) <= {step.get("name") for step in workflow["jobs"]["grade"]["steps"]}
    summary = tmp_path / "summary.md"
    env = {**os.environ, **workflow["env"], "FAIL_BELOW": fail_below, "GITHUB_STEP_SUMMARY": str(summary)}
    env["TORCH_INDEX_URL"] = ""  # the CPU index is not reachable here; torch comes from the local cache
    # Without byte-compiling what pip installs (numpy, scipy, scikit-learn, matplotlib: some
    # 20 s of CPU), as for torch in `fresh_venv`; what runs is compiled as it is imported all
    # the same. pip reads this variable as the value of its `compile` setting: "0" is --no-compile.
    env["PIP_NO_COMPILE"] = "0"
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    env.pop("PYTHONPATH", None)
    finished = []
    for step in workflow["jobs"]["grade"]["steps"]:
        if "run" in step and only in (None, step.get("name")) and step.get("name") not in skip:
            finished.append(subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, env=in_the_fresh_venv(env), capture_output=True, text=True))
            if finished[-1].returncode != 0:
                break
    return finished, summary


def workflow_in_a_copy(released: Path, venv: Path, folder: Path, filled: bool, skip: tuple[str, ...] = ()) -> tuple[Path, list[subprocess.CompletedProcess], Path]:
    """The workflow's steps (but those in `skip`) on a copy of the release (its stubs, or
    `filled` with the reference code): (the copy, the steps run, the job summary)."""
    repo = folder / "repo"
    shutil.copytree(released, repo)
    if filled:
        for module in COURSE.solutions.glob("*.py"):
            shutil.copy(module, repo / "exercises" / module.name)
    steps, summary = run_workflow(repo, venv, folder, skip=skip)
    return repo, steps, summary


@pytest.fixture(scope="module")
def stubs_workflow(released, fresh_venv, tmp_path_factory):
    """The workflow run once on the release as it is, for the tests that read it: the first
    in the fresh venv, so its install steps install into a venv holding torch alone."""
    return workflow_in_a_copy(released, fresh_venv, tmp_path_factory.mktemp("stubs-workflow"), filled=False)


# The stubs' case reads the module's one run (stubs_workflow, paid where it is first asked
# for); the reference's runs the steps after the install steps.
@pytest.mark.parametrize("filled", [pytest.param(False, id="stubs"), pytest.param(True, id="reference", marks=pytest.mark.slow(seconds=9))])
def test_the_workflow_steps_grade_the_repository(released, fresh_venv, stubs_workflow, tmp_path, filled):
    """The reference's copy runs the steps after the install steps: the stubs' copy ran
    those in the same venv from the same files (the copies differ in exercises/ alone, which
    no install step reads and the Grade step reads from the working folder)."""
    repo, steps, summary = workflow_in_a_copy(released, fresh_venv, tmp_path, filled, skip=INSTALL_STEPS) if filled else stubs_workflow
    assert all(step.returncode == 0 for step in steps), steps[-1].stderr[-2000:]
    report = json.loads((repo / "report.json").read_text())
    assert report["sandbox"] == "none"  # the student's own code on the student's own runner
    assert {c["visibility"] for concept in report["concepts"] for c in concept["checks"]} == {"public"}
    assert (report["score"] == report["max_score"] > 0) if filled else report["score"] == 0
    assert summary.read_text().startswith("## Per-concept results")
    points = f"::notice title=Autograding complete::Points {report['score']:g}/{report['max_score']:g}"
    assert any(points in step.stdout for step in steps)


def test_the_threshold_step_fails_the_job_below_it(stubs_workflow, fresh_venv, tmp_path):
    """The workflow's Threshold step, on the report its Grade step made of the stubs (which
    passes it at FAIL_BELOW 0, the default), run with FAIL_BELOW 50."""
    repo, _, _ = stubs_workflow
    (threshold,), _ = run_workflow(repo, fresh_venv, tmp_path, fail_below="50", only="Threshold")
    assert threshold.returncode == 1 and "below 50%" in threshold.stderr
