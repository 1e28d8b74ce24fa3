"""Hostile submissions are graded to what their honest content deserves, never more; the
grader, the course and every classmate come through unharmed (laws 4 and 5, issue 10).

One class holds every attack of `attacks.py` (cheating the checks) and `sandbox_attacks.py`
(attacking the sandbox) beside two honest classmates. It is graded with `grade-all` in the
bwrap sandbox as root and as an ordinary user (in CI, which runs as root, the test makes
that user), and in the uid sandbox as root, as in a container without user namespaces.

Law 4 asks every sandbox mode to hold what attacks the sandbox: reading, writing and
linking files, processes that fork, hop, hoard or outlive it, the network, the limits on
time and memory and the kills that enforce them. Those members are graded in every mode.
The members that attack the checks or the replies (`SAME_IN_EVERY_MODE`) meet only code
that is the same in every mode, the worker's own and the grader's, so the whole class is
graded once, in the mode every machine runs (`WHOLE_CLASS_MODE`), and the other modes grade
the rest.
"""

import hashlib
import json
import os
import shutil
import socket
import tempfile
import threading
from pathlib import Path
from xml.etree import ElementTree

import pytest

from attacks import ALL, ATTACKS, PLANTED_CONFTEST
from autograder.course import CourseRoot, find_course_root
from autograder.grading.batch import grade_folder
from autograder.report.views import VIEWS, render
from grader_accounts import GraderAccount
from sandbox_attacks import SANDBOX_ATTACKS, file_handle, write_attack
from test_hostile_feedback import HOSTILE, controls

COURSE = find_course_root()
pytestmark = pytest.mark.slow(seconds=50)  # a class of hostile submissions, graded in each mode
TIME_SCALE = 0.2  # 2 s instead of 10 s per check: the loops and bombs cost less to wait out
CLASSMATES = ("honest_classmate_1", "honest_classmate_2")
UNDECODABLE = "caf\\xe9_honest"  # its id: the odd byte shown as an escape
ODD_MEMBERS = {UNDECODABLE: set(), "links_to_proc_self_mem": ALL}  # what their honest content fails
MODES = ["bwrap as root", "bwrap as an ordinary user", "uid as root"] if os.geteuid() == 0 else ["bwrap as an ordinary user"]
WHOLE_CLASS_MODE = "bwrap as an ordinary user"  # the one mode a machine without root runs too
# What these members try reaches only code that every sandbox mode runs the same: the
# worker's (its import of the module, its capped output, its encoding of a reply, its
# death on an exit or an exception) and the grader's (the checks and their comparisons, the
# draw of hidden inputs, the decoding of replies, feedback and its views, the intake of an
# entry's name). Graded in WHOLE_CLASS_MODE alone. Whatever touches files, processes, the
# network, a time limit or a memory limit stays in every mode; so do the honest classmates,
# whom the session escaper goes after.
SAME_IN_EVERY_MODE = {
    "patches_numpy_comparisons", "patches_torch_comparisons", "returns_an_always_equal_object",
    "returns_an_ndarray_subclass", "returns_tensors_and_lists", "plants_a_conftest",
    "changes_the_random_seed_globally", "floods_the_output", "raises_an_exception_named_with_8_mb",
    "paints_the_terminal", "spells_the_hidden_inputs", "spells_the_hidden_inputs_too",
    "answers_with_a_decode_bomb", UNDECODABLE,
}  # fmt: skip
EVERY_MEMBER = sorted([*ATTACKS, *SANDBOX_ATTACKS, *CLASSMATES, *ODD_MEMBERS])


def members(mode: str) -> list[str]:
    """The members of the class graded in `mode`."""
    return [name for name in EVERY_MEMBER if mode == WHOLE_CLASS_MODE or name not in SAME_IN_EVERY_MODE]


def digest(folder: Path) -> dict[str, str]:
    files = [p for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink() and "__pycache__" not in p.parts]
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


class Listener:
    """A TCP listener on the host's 127.0.0.1 that keeps whatever reaches it."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection:
                self.received.append(connection.recv(1 << 16))


def write_class(class_folder: Path, course: Path, listener: Listener, mode: str) -> None:
    """The members of the class graded in `mode`."""
    wanted = set(members(mode))
    reference = (course / "solutions" / "losses.py").read_text()
    stub = (course / "exercises" / "losses.py").read_text()
    class_folder.mkdir(parents=True)
    for name, (code, _) in ATTACKS.items():
        if name in wanted:
            (class_folder / name).mkdir()
            (class_folder / name / "losses.py").write_text(reference + "\n" + code.replace("{course}", str(course)))
    if "plants_a_conftest" in wanted:
        (class_folder / "plants_a_conftest" / "conftest.py").write_text(PLANTED_CONFTEST)
    handle_type, handle_hex = file_handle(str(course / "solutions" / "losses.py"))
    values = {"course": course, "class_folder": class_folder, "port": listener.port, "handle_type": handle_type, "handle_hex": handle_hex, "hostile": HOSTILE}
    for name in wanted & SANDBOX_ATTACKS.keys():
        write_attack(class_folder / name, name, reference, stub, values)
    for name in CLASSMATES:
        (class_folder / name).mkdir()
        shutil.copy(course / "solutions" / "losses.py", class_folder / name / "losses.py")
    if UNDECODABLE in wanted:
        undecodable = os.fsencode(class_folder) + b"/caf\xe9_honest"  # not UTF-8: Latin-1's é
        os.mkdir(undecodable)
        shutil.copy(course / "solutions" / "losses.py", os.fsdecode(undecodable + b"/losses.py"))
    (class_folder / "links_to_proc_self_mem").mkdir()
    os.symlink("/proc/self/mem", class_folder / "links_to_proc_self_mem" / "losses.py")


def grade_as_root(root: Path, listener: Listener, mode: str) -> dict:
    course = CourseRoot(root / "course")
    for part in ("solutions", "checks", "exercises"):
        shutil.copytree(COURSE.path / part, course.path / part)
    class_folder = root / "class"
    write_class(class_folder, course.path, listener, mode)
    before = {"course": digest(course.path), "class": digest(class_folder)}
    options = {"public_only": False, "concepts": ("losses",), "time_scale": TIME_SCALE, "secrets": (str(class_folder), str(root / "grades"))}
    result = grade_folder(class_folder, root / "grades", course, jobs=2, options=options)
    assert result.failed == {}
    return {"reports": result.reports, "before": before, "course": course.path, "class": class_folder, "sandbox": "bwrap"}


def grade_in_an_account(account: GraderAccount, sandbox: str, listener: Listener, mode: str) -> dict:
    """The class graded by `account`; in the uid sandbox under a prompt reaper of orphans,
    the host on which a process that hops from pid to pid does best."""
    class_folder = account.home / "class"
    write_class(class_folder, account.course, listener, mode)
    before = {"course": digest(account.course), "class": digest(class_folder)}
    arguments = ["--course-root", str(account.course), "--concept", "losses", "--time-scale", str(TIME_SCALE), "-j", "2", "--sandbox", sandbox]
    reaper = ["/usr/bin/python3", str(Path(__file__).with_name("orphan_reaper.py"))] if sandbox == "uid" else []
    done = account.run("grade-all", str(class_folder), "--out", str(account.home / "grades"), *arguments, wrapper=reaper)
    assert done.returncode == 0, done.stderr[-3000:]
    reports = {path.stem: json.loads(path.read_text()) for path in (account.home / "grades" / "reports").glob("*.json")}
    return {"reports": reports, "before": before, "course": account.course, "class": class_folder, "sandbox": sandbox}


@pytest.fixture(scope="module", params=MODES)
def graded(request, tmp_path_factory):
    """The class graded in one mode, with the listener that student code may try to reach."""
    listener = Listener()
    folder = Path(tempfile.mkdtemp(prefix="autograder-accounts-"))
    if request.param == "bwrap as root":
        outcome = grade_as_root(tmp_path_factory.mktemp("adversarial"), listener, request.param)
    elif request.param == "bwrap as an ordinary user":
        outcome = grade_in_an_account(GraderAccount.ordinary(folder), "bwrap", listener, request.param)
    else:
        outcome = grade_in_an_account(GraderAccount.root_with_a_readable_interpreter(folder), "uid", listener, request.param)
    outcome.update(listener=listener, mode=request.param)
    yield outcome
    listener.server.close()
    shutil.rmtree(folder, ignore_errors=True)


def losses_checks(report: dict) -> dict[str, dict]:
    return {c["id"]: c for c in next(c for c in report["concepts"] if c["id"] == "losses")["checks"]}


def expected_failures(name: str) -> set[str] | str:
    if name in ATTACKS:
        return ATTACKS[name][1]
    if name in SANDBOX_ATTACKS:
        return SANDBOX_ATTACKS[name][2]
    return ODD_MEMBERS.get(name, set())


def test_every_member_of_the_class_has_a_report_graded_in_the_sandbox(graded):
    assert sorted(graded["reports"]) == members(graded["mode"])
    assert WHOLE_CLASS_MODE in MODES and SAME_IN_EVERY_MODE < set(EVERY_MEMBER)  # each member graded, in one mode at least
    assert {report["sandbox"] for report in graded["reports"].values()} == {graded["sandbox"]}


def test_a_link_to_proc_self_mem_earns_nothing_and_says_why(graded):
    report = graded["reports"]["links_to_proc_self_mem"]
    assert report["status"] == "ungradable" and "link" in report["reason"]


# `graded` parametrised here, as the fixture's own modes, to pair each mode with its members
# (the member as (mode, name): a name alone, a module-scoped key too, would order the tests
# by name across the modes and grade the class again for each)
@pytest.mark.parametrize(
    ("graded", "member"),
    [pytest.param(mode, (mode, name), id=f"{mode}-{name}") for mode in MODES for name in members(mode)],
    indirect=["graded"],
    scope="module",
)
def test_each_member_scores_exactly_its_honest_content(graded, member):
    name = member[1]
    checks = losses_checks(graded["reports"][name])
    broken = expected_failures(name)
    expected = set(checks) if broken == ALL else broken
    failed = {check_id for check_id, check in checks.items() if check["status"] != "passed"}
    assert failed == expected, {c: checks[c]["feedback"] for c in failed ^ expected}


# The statuses of each member's failed checks (a fork bomb's checks may also run out of time).
LABELS = {
    "loops_forever": {"timeout"}, "bombs_memory": {"crashed"}, "exits_at_import": {"crashed"},
    "exits_with_os_exit": {"crashed"}, "raises_keyboard_interrupt": {"crashed"},
    "returns_an_ndarray_subclass": {"failed"}, "hoards_memory_in_six_children": {"crashed"},
}  # fmt: skip


def test_failures_carry_the_label_of_what_happened(graded):
    status = {name: {c["status"] for c in losses_checks(report).values() if c["status"] != "passed"} for name, report in graded["reports"].items()}
    labelled = [name for name in LABELS if name in members(graded["mode"])]  # every one of them in WHOLE_CLASS_MODE
    assert {name: status[name] for name in labelled} == {name: LABELS[name] for name in labelled}
    assert status["drops_a_fork_bomb"] <= {"crashed", "timeout"}
    scribbler = losses_checks(graded["reports"]["scribbles_on_every_descriptor_then_sleeps"])
    assert scribbler["hinge_loss_is_zero_beyond_the_margin"]["status"] == "timeout"
    files = losses_checks(graded["reports"]["hoards_memory_in_files"])
    assert files["cross_entropy_of_uniform_logits_is_ln_k"]["feedback"].startswith("cross_entropy raised PermissionError")
    assert files["hinge_loss_is_zero_beyond_the_margin"]["feedback"].startswith("hinge_loss raised PermissionError")
    hoarder = losses_checks(graded["reports"]["hoards_memory_in_six_children"])
    assert "out of memory" in hoarder["cross_entropy_of_uniform_logits_is_ln_k"]["feedback"]
    assert "sys.exit(0)" in " ".join(c["feedback"] for c in losses_checks(graded["reports"]["exits_at_import"]).values())


def test_the_course_and_the_submissions_are_untouched(graded):
    assert digest(graded["course"]) == graded["before"]["course"]
    assert digest(graded["class"]) == graded["before"]["class"]


@pytest.mark.parametrize("name", ["reads_the_hidden_checks", "reads_the_course_through_a_link", "opens_the_reference_by_its_handle"])
def test_the_course_cannot_be_read_by_path_link_or_handle(graded, name):
    checks = losses_checks(graded["reports"][name])
    # a public check shows the student's message (a hidden one never does, issue 11 item 7)
    assert "nothing to steal" in checks["mean_squared_error_small_example"]["feedback"]
    assert "nothing to steal" not in checks["mean_squared_error_matches_sklearn"]["feedback"]
    for check in checks.values():
        assert "def test_" not in check["feedback"] and "BEGIN SOLUTION" not in check["feedback"]


def test_hidden_inputs_never_reach_the_host_network(graded):
    """bwrap gives the sandbox a network of its own; the uid sandbox, which cannot have
    one, refuses every socket but a Unix one (autograder.worker.seccomp)."""
    assert graded["listener"].received == []


def test_nothing_a_submission_started_outlives_its_grading(graded):
    names = []
    for entry in os.listdir("/proc"):
        try:
            names.append(Path(f"/proc/{entry}/comm").read_text().strip())
        except OSError:
            continue
    assert "haunter" not in names


@pytest.mark.parametrize("graded", [WHOLE_CLASS_MODE], indirect=True, scope="module")  # its member: SAME_IN_EVERY_MODE
def test_strings_from_student_code_are_capped(graded):
    report = graded["reports"]["raises_an_exception_named_with_8_mb"]
    assert len(json.dumps(report)) < 100_000
    assert all(len(check["feedback"]) < 2000 for check in losses_checks(report).values())


@pytest.mark.parametrize("graded", [WHOLE_CLASS_MODE], indirect=True, scope="module")  # its member: SAME_IN_EVERY_MODE
def test_a_students_escape_sequences_reach_no_view(graded):
    report = graded["reports"]["paints_the_terminal"]
    assert "# heading" in losses_checks(report)["hinge_loss_is_zero_beyond_the_margin"]["feedback"]
    for view in VIEWS:
        text = render(report, view)
        assert controls(text) == set() and "52;c;" not in text, view
    assert not [line for line in render(report, "markdown").splitlines() if line.lstrip().startswith("# heading")]
    ElementTree.fromstring(render(report, "junit"))


@pytest.mark.parametrize("graded", [WHOLE_CLASS_MODE], indirect=True, scope="module")  # its member: SAME_IN_EVERY_MODE
def test_hidden_feedback_carries_nothing_that_depends_on_the_hidden_inputs(graded):
    """Two students run the same code, which spells its inputs in every name, shape, exit
    code, line beyond its files and forged reply it can: their hidden inputs differ, their
    hidden feedback may not. Public feedback keeps its details (the names it spelled). (What
    remains is a choice from a fixed vocabulary: a built-in exception, one of its own lines.)"""
    first, second = (losses_checks(graded["reports"][name]) for name in ("spells_the_hidden_inputs", "spells_the_hidden_inputs_too"))
    hidden = {check_id for check_id, check in first.items() if check["visibility"] == "hidden"}
    assert {check_id: first[check_id]["feedback"] for check_id in hidden} == {check_id: second[check_id]["feedback"] for check_id in hidden}
    assert "Leak_" in first["mean_squared_error_small_example"]["feedback"]
    for report in graded["reports"].values():
        for check in losses_checks(report).values() if "concepts" in report else []:
            if check["visibility"] == "hidden":
                assert "Leak" not in check["feedback"] and "LEAK" not in check["feedback"] and "shape (" not in check["feedback"]


@pytest.mark.parametrize("graded", [WHOLE_CLASS_MODE], indirect=True, scope="module")  # its member: SAME_IN_EVERY_MODE
def test_a_reply_that_is_costly_to_decode_costs_only_its_check(graded):
    """15 MiB and 1 MiB of empty JSON lists, written into the worker's socket: refused
    before they are decoded, within the checks' own time."""
    report = graded["reports"]["answers_with_a_decode_bomb"]
    checks = losses_checks(report)
    for check_id in ("mean_squared_error_small_example", "mean_absolute_error_small_example"):
        assert checks[check_id]["status"] == "crashed" and "not an answer" in checks[check_id]["feedback"]
    assert report["duration_s"] < 60
