"""The command line: bad input gets one clear line on stderr, a non-zero exit, and no change."""

import hashlib
import importlib
import json
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

import autograder.cli
from autograder.course import find_course_root

COURSE = find_course_root()


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, cwd=cwd)


def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["grade", "/no/such/folder"], "autograder: error: /no/such/folder: no such file or directory"),
        (["grade", "{empty}"], "autograder: error: {empty}: no exercise modules found (expected losses.py, gradient_descent.py, nonlinearities.py, ... or notebooks, here or in exercises/)"),
        (["grade", "{file}"], "autograder: error: {file}: no exercise modules found (expected losses.py, gradient_descent.py, nonlinearities.py, ... or notebooks, here or in exercises/)"),
        (["grade", "{nothing}"], "autograder: error: {nothing}: it holds no files"),
        (["grade", "{sub}", "--format", "xml"], "'xml' is not one of"),
        (["grade", "{sub}", "--concept", "nope"], "'nope' is not one of"),
        (["grade"], "Missing argument 'PATH'"),
        (["grade", "{sub}", "--bogus"], "--bogus"),
        (["frobnicate"], "frobnicate"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(tmp_path, args, message):
    """The line names the problem (click words its own usage errors; we check the gist)."""
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not code")
    (tmp_path / "file.py").write_text("x = 1\n")
    (tmp_path / "nothing").mkdir()
    submission = tmp_path / "sub"
    shutil.copytree(COURSE.solutions, submission)
    places = {"empty": str(empty), "file": str(tmp_path / "file.py"), "nothing": str(tmp_path / "nothing"), "sub": str(submission)}
    before = tree_digest(tmp_path)
    done = run(*[a.format(**places) for a in args])
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("autograder: error: ")
    assert message.format(**places) in lines[0]
    assert tree_digest(tmp_path) == before


@pytest.mark.slow(seconds=20)
def test_grading_leaves_the_submission_untouched(tmp_path):
    submission = tmp_path / "sub"
    shutil.copytree(COURSE.solutions, submission)
    before = tree_digest(submission)
    done = run("grade", str(submission), "--format", "json", "--concept", "losses")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["score"] > 0
    assert tree_digest(submission) == before


@pytest.mark.slow(seconds=20)
def test_the_table_shows_the_concepts_asked_for_and_the_total():
    done = run("grade", str(COURSE.solutions), "--concept", "losses", "--concept", "pooling")
    assert done.returncode == 0, done.stderr
    assert "Loss functions" in done.stdout and "Pooling" in done.stdout and "Receptive fields" not in done.stdout
    assert "Total" in done.stdout and "20 / 20" in done.stdout


def test_no_arguments_print_the_help_as_help():
    done = run()
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith("Usage: autograder") and "grade-all" in done.stdout


def test_the_help_lists_every_verb_with_its_short_help():
    """Every click command defined in autograder/cli/ is a verb of the lazy group (VERBS), and
    `autograder --help` lists it with its short help, as the eager group did."""
    found = {}
    for module_info in pkgutil.iter_modules(autograder.cli.__path__):
        module = importlib.import_module(f"autograder.cli.{module_info.name}")
        found |= {c.name: c.short_help for c in vars(module).values() if isinstance(c, click.Command) and c.callback.__module__ == module.__name__}
    assert set(found) == set(autograder.cli.VERBS)
    listed = " ".join(run("--help").stdout.split())
    for verb, short_help in found.items():
        assert f" {verb} {' '.join(short_help.split())}" in listed


@pytest.mark.parametrize("args", [None, ["--help"], *([verb, "--help"] for verb in ("grade", "build", "show", "grade-all"))], ids=lambda args: " ".join(args or ["import"]))
def test_starting_the_command_line_imports_no_heavy_tool(args):
    """`import autograder.cli` and the help of the group or of a verb import none of the
    tools that take seconds to import: nbformat (through jsonschema's grammar), nbgrader,
    Dask, torch. A verb imports them inside its function, where it needs them."""
    heavy = ("nbformat", "jsonschema", "nbgrader", "dask", "distributed", "torch")
    code = "import sys\nfrom autograder.cli import main\n"
    if args is not None:
        code += f"main({args!r})\n"
    code += f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r})), file=sys.stderr)\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]"
