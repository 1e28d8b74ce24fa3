"""The sandbox for a concept built on torch starts with the session, in the background, and
imports torch while the other concepts are graded in a sandbox without it
(`autograder.worker.sandbox`); a submission that imports torch beyond those concepts is
served by sandboxes that imported it; the uid sandbox starts nothing ahead.
"""

import os
import select
import time
from pathlib import Path

import pytest
from sandboxed import sandboxed

from autograder.course import find_course_root
from autograder.grading.run import GradingProcess
from autograder.worker.isolation import Isolation, choose_isolation
from autograder.worker.limits import Limits
from autograder.worker.sandbox import SandboxedSubmission, imports_torch
from autograder.worker.spares import Spares, keep_spares, start_spare
from autograder.worker.warm_parent import WarmParent
from autograder.worker.zygote import PLACEHOLDER_MAIN

REPORTS_TORCH = """
import sys

TORCH_BEFORE_IMPORT = "torch" in sys.modules
{more}


def torch_state():
    dynamo = sys.modules.get("torch._dynamo")
    return [TORCH_BEFORE_IMPORT, type(dynamo).__name__]
"""
PLAIN = REPORTS_TORCH.format(more="")
IMPORTS_TORCH = REPORTS_TORCH.format(more="from torch import nn  # noqa")


def test_the_torch_sandbox_started_ahead_serves_the_torch_concept_and_the_others_run_without_torch(tmp_path):
    for module, code in {"losses": PLAIN, "architectures": PLAIN}.items():
        (tmp_path / f"{module}.py").write_text(code, encoding="utf-8")
    submission = SandboxedSubmission(tmp_path, choose_isolation("bwrap"), Limits(), torch_ahead=True)
    try:
        ahead = submission._torch_ahead
        assert ahead is not None and ahead.process.poll() is None
        submission.start_check(60)
        assert submission.module("losses").torch_state() == [False, "NoneType"]
        assert submission._parent is not ahead
        # torch, and torch._dynamo (which torch.optim needs), were there before the module's import
        assert submission.module("architectures").torch_state() == [True, "module"]
        assert submission._parent is ahead
    finally:
        submission.close()
    assert ahead.process.poll() is not None


def test_a_submission_that_imports_torch_beyond_its_concepts_is_served_by_sandboxes_that_imported_it(tmp_path):
    """Every module of it, as torch may reach any through a helper (test_breaker_five)."""
    submission = sandboxed(tmp_path, {"losses": IMPORTS_TORCH, "pooling": PLAIN})
    try:
        submission.start_check(60)
        assert submission.module("pooling").torch_state() == [True, "module"]
        assert submission.module("losses").torch_state() == [True, "module"]
    finally:
        submission.close()


def test_an_unused_sandbox_started_ahead_ends_with_the_submission(tmp_path):
    submission = SandboxedSubmission(tmp_path, choose_isolation("bwrap"), Limits(), torch_ahead=True)
    ahead = submission._torch_ahead
    submission.close()
    assert ahead.process.poll() is not None


@pytest.mark.skipif(os.geteuid() != 0, reason="the uid sandbox needs root")
def test_the_uid_sandbox_starts_nothing_ahead(tmp_path):
    """Its two sandboxes would share the submission's user: one's reset (kill(-1) as that
    user) would kill the other."""
    submission = SandboxedSubmission(tmp_path, Isolation("uid"), Limits(), torch_ahead=True)
    try:
        assert submission._torch_ahead is None
    finally:
        submission.close()


def test_a_hello_that_came_in_time_is_read_after_the_start_limit(tmp_path):
    """A sandbox started ahead may be adopted long after its start limit: its hello, sent
    within it, still counts."""
    submission = SandboxedSubmission(tmp_path, choose_isolation("bwrap"), Limits())
    try:
        parent = WarmParent(submission.isolation, submission.layout, submission.limits, start_limit_s=30, wait=False)
        assert select.select([parent.control], [], [], 30)[0]
        parent.greeting_deadline = time.monotonic() - 1
        parent.greet()
        assert parent.greeted
        parent.kill()
    finally:
        submission.close()


@pytest.mark.parametrize(
    "code, imports",
    [
        ("import torch", True),
        ("import numpy as np, torch.nn as nn", True),
        ("from torch.nn import functional as F", True),
        ("def f():\n    import torch\n    return torch", True),
        ("try:\n    from torch import nn\nexcept ImportError:\n    nn = None", True),
        ("import torchaudio", False),
        ("from . import torch", False),
        ("x = 'import torch'", False),
        ("import numpy\n# import torch", False),
        ("import torch_geometric", False),
        ("import numpy as np; import torch", True),
        ("\ufeffimport torch", True),
        ("x = 1\rimport torch\r", True),
        ("from architectures import clip_classifier", True),
        ("import architectures_notes", False),
        ("x = " + "(" * 100_000 + ")" * 100_000 + "\nimport torch", True),
    ],
)
def test_imports_torch_reads_the_import_statements(tmp_path, code, imports):
    path = tmp_path / "module.py"
    path.write_text(code, encoding="utf-8")
    assert imports_torch(path) is imports


def test_imports_torch_of_a_missing_file_is_false(tmp_path):
    assert imports_torch(tmp_path / "missing.py") is False


WHO = 'NAME = "{name}"\n\n\ndef who():\n    return NAME\n'


@pytest.fixture
def spares():
    """Sessions that keep a spare torch sandbox for the next, as a grading server's do."""
    keep_spares()
    yield Spares
    keep_spares(False)


def submission_named(folder, name: str, **settings) -> SandboxedSubmission:
    folder.mkdir()
    (folder / "architectures.py").write_text(WHO.format(name=name), encoding="utf-8")
    return SandboxedSubmission(folder, choose_isolation("bwrap"), settings.pop("limits", Limits()), torch_ahead=True, **settings)


def test_the_next_session_takes_the_spare_its_predecessor_started_and_one_with_other_settings_discards_it(tmp_path, spares):
    first = submission_named(tmp_path / "first", "first")
    try:
        assert spares.waiting is None  # the first session's own sandbox was started ahead
        first.start_check(60)
        assert first.module("architectures").who() == "first"
        (_, layout, spare) = spares.waiting
        assert spare.process.poll() is None and list(layout.submission.iterdir()) == []  # nothing of any submission's
        assert layout.submission != first.layout.submission
    finally:
        first.close()
    assert spare.process.poll() is None  # it waits for the next session, not for this one
    second = submission_named(tmp_path / "second", "second")
    try:
        assert second._torch_ahead is spare and spares.waiting is None
        second.start_check(60)
        assert second.module("architectures").who() == "second"
        assert second._parent is spare
        (_, following_layout, following) = spares.waiting
    finally:
        second.close()
    assert spare.process.poll() is not None and not layout.submission.exists()  # one session's, then gone
    # A session that asks for other settings discards the spare and starts its own.
    third = submission_named(tmp_path / "third", "third", limits=Limits(processes=32))
    try:
        assert following.process.poll() is not None and not following_layout.submission.parent.exists()
        assert third._torch_ahead is not None and third._torch_ahead is not following
        third.start_check(60)
        assert third.module("architectures").who() == "third"
        last = spares.waiting[2]
    finally:
        third.close()
    keep_spares(False)
    assert last.process.poll() is not None and spares.waiting is None


def test_a_session_without_overlap_starts_its_torch_sandbox_when_needed_and_no_spare(tmp_path, spares):
    """`--no-overlap` (every core grades a submission of its own): nothing starts beside the
    session's checks, neither its torch sandbox nor the next session's spare."""
    folder = tmp_path / "late"
    folder.mkdir()
    (folder / "architectures.py").write_text(WHO.format(name="late"), encoding="utf-8")
    late = SandboxedSubmission(folder, choose_isolation("bwrap"), Limits(), torch_ahead=False)
    try:
        assert late._torch_ahead is None and late._parent is None
        late.start_check(60)
        assert late.module("architectures").who() == "late"
        assert late._parent.preloaded_torch and spares.waiting is None
    finally:
        late.close()


def test_without_a_grading_server_no_spare_is_started(tmp_path):
    """A student's own `pytest --grading`, or a one-submission grading process: a spare would
    cost a torch import that no session uses."""
    first = submission_named(tmp_path / "first", "first")
    try:
        first.start_check(60)
        first.module("architectures").who()
        assert Spares.waiting is None
    finally:
        first.close()


def test_the_uid_sandbox_keeps_no_spare(spares):
    """Its spare would run as a user of its own beside the session's, as the sandbox
    started ahead would (see test_the_uid_sandbox_starts_nothing_ahead)."""
    start_spare((Isolation("uid"), Limits(), (), 60.0, 10.0))
    assert spares.waiting is None


def torch_sandboxes_of(pid: int) -> list[int]:
    """The children of `pid` that are sandboxes whose warm parent preloads torch (bwrap,
    each of which forks once more; with AUTOGRADER_ZYGOTE=1, bwrap around the zygote's
    placeholder, `autograder.worker.zygote`)."""
    found = []
    for process in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            command = Path(f"/proc/{process}/cmdline").read_bytes()
        except OSError:
            continue
        if b"bwrap" in command.split(b"\0")[0] and (b'"preload_torch": true' in command or PLACEHOLDER_MAIN.encode() in command):
            found.append(int(process))
    return found


def test_a_grading_process_keeps_one_spare_from_its_second_submission_on_and_leaves_nothing(tmp_path):
    course = find_course_root()
    process = GradingProcess()
    try:
        for graded in range(2):  # the stubs: the concept's worker starts, and its checks end at once
            report = process.grade(course.exercises, course, student="spare", concepts=("architectures",))
            assert {check["status"] for check in report["concepts"][-1]["checks"]} == {"not_attempted"}
            spares = torch_sandboxes_of(process.process.pid)
            assert len(spares) == graded  # none after the first session; one waits after the second
        (spare,) = spares
        home = process.home
    finally:
        process.close()
    assert not Path(f"/proc/{spare}").exists() and not home.exists()
