"""A torch sandbox whose warm parent is forked from the grading process's zygote
(`autograder.worker.zygote`, the default as root; AUTOGRADER_ZYGOTE=0 turns it off): student
code sees what it sees in a sandbox started the fresh way (the switch off), and
the grader counts, resets and kills it as that one (law 4 and 5). Real bwrap, as root (the
zygote serves bwrap as root only). The tests run with the switch unset, its default."""

import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from autograder.course import find_course_root
from autograder.grading.run import GradingProcess, grade_submission, session_environment
from autograder.worker.channel import receive_message, send_message
from autograder.worker.codec import decode_message, encode_message
from autograder.worker.errors import StudentCrashed
from autograder.worker.isolation import Isolation, bound_folders, find_bwrap, sandbox_environment
from autograder.worker.limits import KERNEL_BYTES_PER_FILE, Limits, descendants
from autograder.worker.sandbox import SandboxedSubmission
from autograder.worker.spares import end_unused, new_layout
from autograder.worker import zygote as zygote_module
from autograder.worker.warm_parent import WarmParent
from autograder.worker.zygote import PLACEHOLDER_MAIN, SWITCH, Zygote, ZygoteRefused, Zygotes, ready_zygote, switched_on, why_not_here
from grader_accounts import GraderAccount
from sandboxed import wait_until
from test_isolation import SHARED_HOARD

COURSE = find_course_root()
pytest_plugins = ["pytester"]
PROBE = Path(__file__).parent / "zygote_probe.py"
SECRETS = ["/root/.bashrc", str(COURSE.solutions), str(COURSE.hidden_checks), str(Path(__file__).parent)]
pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0 or find_bwrap() is None, reason="the zygote serves bwrap as root (CI runs as root)"),
    pytest.mark.slow(seconds=60),  # the whole file, in the last clean-clone CI run
]


@pytest.fixture(autouse=True)
def switch_unset(monkeypatch):
    """The default: the zygote serves wherever it can."""
    monkeypatch.delenv(SWITCH, raising=False)


def probe_sandbox(*, joined: bool, torch: bool = True, limits: Limits = Limits()) -> WarmParent:
    """A torch sandbox (or, without `torch`, one for the other concepts) holding the probe,
    started from its zygote (the switch unset, its default) or the fresh way
    (AUTOGRADER_ZYGOTE=0)."""
    isolation = Isolation("bwrap", find_bwrap())
    layout = new_layout(isolation, limits)
    shutil.copy(PROBE, layout.submission / "probe.py")
    with pytest.MonkeyPatch.context() as patch:
        if joined:
            patch.delenv(SWITCH, raising=False)
        else:
            patch.setenv(SWITCH, "0")
        parent = WarmParent(isolation, layout, limits, probe=tuple(SECRETS), preload_torch=torch)
    assert (parent.joined is not None, parent.zygote_problem) == (joined, None)
    return parent


def ended(parent: WarmParent) -> None:
    end_unused(parent.layout, parent)


def call(parent: WarmParent, name: str, *args):
    """probe.name(*args) in a new worker of `parent`: its answer."""
    sock, _ = parent.spawn()
    deadline = time.monotonic() + 120
    try:
        for payload in ({"op": "import", "module": "probe"}, {"op": "call", "module": "probe", "name": name, "args": list(args), "kwargs": {}}):
            send_message(sock, encode_message(payload, None), deadline)
            reply = decode_message(receive_message(sock, deadline, 1 << 24), lambda tag, body: body)
    finally:
        sock.close()
    assert "ok" in reply, reply
    return reply["ok"]


@pytest.fixture(scope="module")
def facts():
    """The probe's facts and a torch step in a torch sandbox started the fresh way
    ("fresh") and in two from the zygote."""
    found = {}
    for name, joined in (("fresh", False), ("joined", True), ("second", True)):
        parent = probe_sandbox(joined=joined)
        try:
            found[name] = {**call(parent, "facts", SECRETS), "train_step": call(parent, "train_step"), "uid": parent.layout.uid}
        finally:
            ended(parent)
    return found


@pytest.fixture(scope="module")
def facts_without_torch():
    """The probe's facts in a sandbox for the concepts not built on torch, started the fresh
    way and from the zygote that preloads no torch."""
    found = {}
    for name, joined in (("fresh", False), ("joined", True)):
        parent = probe_sandbox(joined=joined, torch=False)
        try:
            found[name] = call(parent, "facts", SECRETS)
        finally:
            ended(parent)
    return found


SAME = (
    "pid", "ppid", "pgid_sid", "root", "work", "root_home", "home", "etc", "secrets_visible", "interfaces", "tcp_connect", "unix_socket",
    "status_pid1", "warm_parent_fds", "environ", "proc_environ", "hostname", "cwd", "exe", "exe_is_sandbox_file", "exe_open_write",
    "mapped_files_missing_here", "map_files_open", "root_link", "mountinfo_lines", "uid_map", "gid_map", "setgroups", "ns_same_as_pid1",
    "sys_path", "isolated_flag", "tempdir", "umask", "rlimits", "nice", "affinity", "oom_score_adj", "cgroup", "dumpable",
    "loginuid_sessionid", "keys_visible", "setns_attempt", "chroot_attempt", "orphans", "modules_outside_sandbox", "torch_loaded",
    "train_step",
)  # fmt: skip


@pytest.mark.parametrize("fact", SAME)
def test_student_code_sees_what_it_sees_in_a_fresh_sandbox(facts, fact):
    """Files (the root lists only bwrap's binds), network (loopback only, no TCP),
    identity, seccomp, descriptors, environment, limits, namespaces as seen from inside,
    the orphans' reaping: fact for fact as in a fresh torch sandbox; so is torch's result."""
    assert facts["joined"][fact] == facts["fresh"][fact]


@pytest.mark.parametrize("fact", [fact for fact in SAME if fact != "train_step"])
def test_without_torch_student_code_sees_what_it_sees_in_a_fresh_sandbox(facts_without_torch, fact):
    """The same, fact for fact, for a sandbox of the concepts not built on torch, whose warm
    parent comes from the other zygote: it never imported torch."""
    assert facts_without_torch["joined"][fact] == facts_without_torch["fresh"][fact]
    assert facts_without_torch["joined"]["torch_loaded"] is False


def test_the_root_holds_only_what_bwrap_binds(facts):
    """/ lists the first folders of bwrap's binds and what bwrap makes (/proc, /dev, /tmp,
    /sandbox) and nothing else; no secret is there, nor any network but loopback."""
    made = {"dev", "proc", "tmp", "sandbox"}
    assert facts["joined"]["root"] == sorted({Path(folder).parts[1] for folder in bound_folders()} | made)
    assert facts["joined"]["secrets_visible"] == [] and facts["joined"]["etc"].startswith("<FileNotFoundError")
    assert facts["joined"]["interfaces"] == ["lo"] and facts["joined"]["tcp_connect"].startswith("<PermissionError")


def test_the_workers_identity_is_the_submissions_user_with_no_capability(facts):
    """Its own user, no_new_privs, two seccomp filters, and no capability at all: not even
    in the bounding or inheritable sets, which a fresh warm parent keeps (stricter). The
    warm parent leads a session of its own (sid 2), not bwrap's init's (sid 1)."""
    assert facts["joined"]["status_warm_parent"].pop("NSsid") == "2" and facts["fresh"]["status_warm_parent"].pop("NSsid") == "1"
    for process in ("status_self", "status_warm_parent"):
        status = facts["joined"][process]
        assert status["Uid"] == " ".join([str(facts["joined"]["uid"])] * 4)
        assert (status["NoNewPrivs"], status["Seccomp"]) == ("1", "2")
        assert {status[caps] for caps in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")} == {"0000000000000000"}
        assert {key: value for key, value in status.items() if not key.startswith(("Uid", "Gid", "Cap"))} == {
            key: value for key, value in facts["fresh"][process].items() if not key.startswith(("Uid", "Gid", "Cap"))
        }


def test_processes_and_descriptors_are_a_fresh_sandboxs_but_pid_1(facts):
    """pid 1 is the placeholder (an interpreter, root, no capability), not bwrap's init."""
    fresh, joined = facts["fresh"], facts["joined"]
    assert sorted(joined["processes"]) == sorted(fresh["processes"]) == ["1", "2", "3"]
    assert joined["processes"]["1"] == ["python", "0 0 0 0"]
    assert joined["processes"]["2"] == joined["processes"]["3"] == ["python", " ".join([str(joined["uid"])] * 4)]
    assert sorted(value.split("[")[0] for value in joined["fds"].values()) == sorted(value.split("[")[0] for value in fresh["fds"].values())


def test_each_joined_sandbox_has_fresh_random_states_and_namespaces_of_its_own(facts):
    joined, second = facts["joined"], facts["second"]
    assert (joined["random_state"], joined["numpy_state"]) != (second["random_state"], second["numpy_state"])
    for name in ("mnt", "pid", "net", "ipc", "uts", "cgroup"):
        assert joined["ns"][name] != f"ok {os.readlink(f'/proc/self/ns/{name}')!r}"


def test_the_environment_is_the_sandboxs_without_the_zygotes_private_folder(facts):
    assert facts["joined"]["environ"] == {**sandbox_environment(), "PWD": "/tmp", "TORCHINDUCTOR_CACHE_DIR": "/tmp/torchinductor_student"}


def test_no_joined_process_names_the_zygotes_private_folder_or_the_binds(facts):
    """A joined process's /proc/self/cmdline is the zygote's: the engine and a descriptor's
    number, never its private folder's host path nor the folders the sandbox holds."""
    cmdline = facts["joined"]["cmdline"]
    assert not any("autograder-zygote-" in part or part.startswith("[") for part in cmdline), cmdline


def test_reset_keeps_pid_1_and_the_warm_parent_and_a_new_worker_trains():
    parent = probe_sandbox(joined=True)
    try:
        sock, _ = parent.spawn()  # a worker left running, as a concept's last one is
        before = parent.processes()
        parent.reset()
        after = parent.processes()
        assert len(before) == 4 and len(after) == 3 and set(after) <= set(before)
        assert call(parent, "train_step") == pytest.approx(0.7191202044487, abs=1e-6)
        sock.close()
    finally:
        ended(parent)


def test_killing_pid_1_ends_every_process_of_the_sandbox():
    parent = probe_sandbox(joined=True)
    try:
        sockets = [parent.spawn()[0] for _ in range(2)]
        inside = [pid for pid in parent.processes() if pid != parent.process.pid]
        assert len(inside) == 4  # the placeholder, the warm parent, two workers
        os.kill(parent.joined.pid, signal.SIGKILL)
        wait_until(lambda: not any(alive(pid) for pid in inside), 5)
        assert [pid for pid in inside if alive(pid)] == []
        assert parent.process.wait(timeout=10) is not None
        for sock in sockets:
            sock.close()
    finally:
        ended(parent)


def test_kill_ends_the_sandbox_and_leaves_no_zombie_below_the_zygote():
    parent = probe_sandbox(joined=True)
    zygote = parent.joined.zygote
    parent.spawn()[0].close()
    inside = parent.processes()
    ended(parent)
    wait_until(lambda: not any(alive(pid) for pid in inside), 5)  # SIGKILL is sent; the kernel ends them
    assert [pid for pid in inside if alive(pid)] == []
    wait_until(lambda: descendants(zygote.process.pid) == [zygote.process.pid], 5)
    assert descendants(zygote.process.pid) == [zygote.process.pid]


def test_a_sigchld_does_not_end_the_placeholder():
    """pid 1 ignores SIGCHLD (a shell's `trap '' CHLD` would catch it and end)."""
    parent = probe_sandbox(joined=True)
    try:
        os.kill(parent.joined.pid, signal.SIGCHLD)
        time.sleep(0.2)
        assert alive(parent.joined.pid)
        assert call(parent, "train_step") == pytest.approx(0.7191202044487, abs=1e-6)
    finally:
        ended(parent)


def test_files_in_the_sandboxs_tmp_count_in_its_memory():
    parent = probe_sandbox(joined=True)
    (parent.layout.submission / "maker.py").write_text(
        "import os\ndef make(n):\n    for i in range(n):\n        open(f'/tmp/f{i}', 'w').close()\n    return n\n", encoding="utf-8"
    )
    try:
        before = parent.memory_bytes()
        sock, _ = parent.spawn()
        deadline = time.monotonic() + 60
        for payload in ({"op": "import", "module": "maker"}, {"op": "call", "module": "maker", "name": "make", "args": [2000], "kwargs": {}}):
            send_message(sock, encode_message(payload, None), deadline)
            decode_message(receive_message(sock, deadline, 1 << 24), lambda tag, body: body)
        assert parent.memory_bytes() - before >= 2000 * KERNEL_BYTES_PER_FILE
        sock.close()
    finally:
        ended(parent)


def test_a_memory_hungry_worker_is_ended_by_the_memory_limit(tmp_path):
    """test_isolation's shared-memory hoard, in a submission that imports torch (so its
    sandbox is a torch sandbox, from the zygote)."""
    (tmp_path / "hoarder.py").write_text("import torch\n" + SHARED_HOARD, encoding="utf-8")
    submission = SandboxedSubmission(tmp_path, Isolation("bwrap", find_bwrap()), Limits(memory_bytes=3 * 2**29))
    try:
        submission.start_check(30)
        assert submission.parent(torch=True).joined is not None
        with pytest.raises(StudentCrashed, match="out of memory"):
            submission.module("hoarder").hoard()
    finally:
        submission.close()


def test_the_zygote_refuses_to_serve_what_a_sandbox_cannot_see_and_sandboxes_start_the_fresh_way(monkeypatch):
    """A zygote told that the engine's folder is not in the sandbox holds modules from
    outside it: it refuses, and a torch sandbox starts the fresh way, saying why."""
    engine = str(Path(sys.modules["autograder"].__file__).resolve().parent)
    narrow = Zygote([folder for folder in bound_folders() if folder != engine])
    monkeypatch.setattr(Zygotes, "shared", {True: narrow})
    monkeypatch.setattr(Zygotes, "refused", {})
    isolation = Isolation("bwrap", find_bwrap())
    layout = new_layout(isolation, Limits())
    parent = WarmParent(isolation, layout, Limits(), preload_torch=True)
    try:
        assert parent.joined is None and parent.greeted
        assert parent.zygote_problem.startswith("the zygote holds files a sandbox cannot see: ")
        assert f"{engine}/worker/zygote.py" in parent.zygote_problem
        assert narrow.process.wait(timeout=10) == 0 and not os.path.exists(narrow.private)
        with pytest.raises(ZygoteRefused):  # not asked again in this process's life
            ready_zygote()
    finally:
        end_unused(layout, parent)


def test_a_joined_sandbox_outlives_its_zygote_and_is_still_counted_and_killed(monkeypatch):
    """The zygote killed (the machine's out-of-memory killer, say): the joined sandbox's
    processes, reparented out of its reach, are still listed (by their PID namespace),
    counted and killed; the next torch sandbox starts the fresh way, saying why."""
    monkeypatch.setattr(Zygotes, "shared", {})
    monkeypatch.setattr(Zygotes, "refused", {})
    parent = probe_sandbox(joined=True)
    try:
        sock, _ = parent.spawn()
        listed = parent.processes()
        zygote = parent.joined.zygote
        zygote.process.kill()
        zygote.process.wait()
        assert sorted(parent.processes()) == sorted(listed) and len(listed) == 4
        assert parent.memory_bytes() > 200 * 2**20  # two interpreters holding torch
        isolation = Isolation("bwrap", find_bwrap())
        layout = new_layout(isolation, Limits())
        fresh = WarmParent(isolation, layout, Limits(), preload_torch=True)
        assert fresh.joined is None and fresh.zygote_problem == "the zygote has ended"
        assert not os.path.exists(zygote.private)  # removed for it by the grader
        end_unused(layout, fresh)
        sock.close()
    finally:
        ended(parent)
    wait_until(lambda: not any(alive(pid) for pid in listed), 5)
    assert [pid for pid in listed if alive(pid)] == []


def test_the_zygote_starts_clean_and_dies_with_the_grading_process():
    """A grading process (here a bare interpreter) starts its zygote, then is killed: the
    zygote ends (PDEATHSIG) and removes its private folder."""
    code = (
        "from autograder.worker.zygote import Zygotes, ready_zygote\n"
        "z = ready_zygote(); print(z.process.pid, z.private, flush=True); import time; time.sleep(600)\n"
    )
    grader = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(COURSE.path)})
    try:
        pid, private = grader.stdout.readline().split()
        with open(f"/proc/{pid}/environ", "rb") as environ:
            assert dict(item.split("=", 1) for item in environ.read().decode().split("\0") if item) == sandbox_environment()
        assert Path(f"/proc/{pid}/cwd").resolve() == Path("/") and Path(private).is_dir()
        assert Path(private).parent == Path(os.environ.get("TMPDIR", "/tmp"))
    finally:
        grader.kill()
        grader.wait()
    wait_until(lambda: not alive(int(pid)), 10)
    assert not alive(int(pid)) and not os.path.exists(private)


@pytest.mark.parametrize(("value", "on"), [(None, True), ("1", True), ("yes", True), ("", True), ("0", False)])
def test_the_zygote_is_on_unless_switched_off(monkeypatch, value, on):
    """On by default (unset, or any value); AUTOGRADER_ZYGOTE=0 alone turns it off."""
    if value is not None:
        monkeypatch.setenv(SWITCH, value)
    assert switched_on() is on


@pytest.mark.parametrize("value", [None, "0", "1"])
def test_the_grading_session_gets_the_switch_as_set(monkeypatch, value):
    """The grading process reads the grader's switch as it is: unset stays unset (on)."""
    if value is not None:
        monkeypatch.setenv(SWITCH, value)
    assert session_environment().get(SWITCH) == value


def test_a_grading_process_serves_its_sandboxes_from_its_zygotes_and_ends_them():
    """The stubs' losses and architectures, twice in one grading process: its two zygotes
    run beside the sessions, the spare torch sandbox waiting after the second is bwrap
    around a zygote's placeholder, and once the process is closed none is left, nor the
    zygotes' private folders."""
    process = GradingProcess()
    try:
        for _ in range(2):
            report = process.grade(COURSE.exercises, COURSE, student="zygote", concepts=("losses", "architectures"))
            assert {check["status"] for concept in report["concepts"] for check in concept["checks"]} == {"not_attempted"}
            assert report["sandbox_start"] == "zygote" and "sandbox_start_problem" not in report
        children = children_of(process)
        zygotes = [pid for pid, command in children.items() if b"zygote_main" in command]
        (spare,) = [pid for pid, command in children.items() if PLACEHOLDER_MAIN.encode() in command]
        privates = list(process.scratch.glob("autograder-zygote-*"))
        assert len(zygotes) == len(privates) == 2 and all(private.is_dir() for private in privates)
    finally:
        process.close()
    assert not any(Path(f"/proc/{pid}").exists() for pid in [*zygotes, spare]) and not any(private.exists() for private in privates)


# As root with an interpreter every user can read (the uid sandbox's need): the stubs'
# architectures graded in the sandbox argv[2]; prints the report's sandbox and how its torch
# sandbox started, and how many of the grading process's children, after the session, are
# no warm parent (a spare's): a zygote, even one that refused and ended unreaped.
GRADE_IN_MODE = """
import sys
from pathlib import Path
from autograder.course import find_course_root
from autograder.grading.run import GradingProcess
course = find_course_root(Path(sys.argv[1]))
with GradingProcess() as process:
    report = process.grade(course.exercises, course, student="zygote", concepts=("architectures",), sandbox=sys.argv[2])
    pid = process.process.pid
    children = [Path(f"/proc/{child}/cmdline").read_bytes() for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    print(report["sandbox"], report.get("sandbox_start"), report.get("sandbox_start_problem"), sum(b"worker.parent import main" not in command for command in children))
"""


@pytest.mark.parametrize("mode", ["uid", "none"])
def test_a_grading_process_starts_no_zygote_for_a_sandbox_it_cannot_serve(mode):
    """As root, the switch at its default, grading in the uid sandbox or none: the torch
    sandbox starts fresh, saying no problem (the zygote was not wanted there), and no
    zygote runs beside the session (a grading process once started one whatever the mode,
    to import torch for nothing)."""
    folder = Path(tempfile.mkdtemp(prefix="autograder-container-"))
    try:
        account = GraderAccount.root_with_a_readable_interpreter(folder)
        os.chmod(account.home, 0o755)
        done = subprocess.run(
            [account.python, "-c", GRADE_IN_MODE, str(account.course), mode], cwd=account.home, capture_output=True, text=True, timeout=600,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(account.course), "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"},
        )  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert done.stdout.split() == [mode, "fresh", "None", "0"], done.stderr[-2000:]


def children_of(process: GradingProcess) -> dict[str, bytes]:
    """The grading process's children: pid -> command line."""
    pid = process.process.pid
    return {child: Path(f"/proc/{child}/cmdline").read_bytes() for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def test_a_sandbox_started_in_the_background_does_not_wait_for_the_zygotes_imports(monkeypatch):
    """A torch sandbox started in the background (a session's, ahead of its torch concept)
    hands its "join" to a zygote still at its imports and returns at once, so the zygote
    imports torch while the session collects and grades its other concepts; its warm
    parent comes from the zygote once it serves. (A zygote that sleeps 5 s first stands
    in for a slow import.)"""
    monkeypatch.setattr(zygote_module, "ZYGOTE_MAIN", "import time; time.sleep(5); " + zygote_module.ZYGOTE_MAIN)
    late = Zygote(bound_folders())
    monkeypatch.setattr(Zygotes, "shared", {True: late})
    monkeypatch.setattr(Zygotes, "refused", {})
    isolation = Isolation("bwrap", find_bwrap())
    layout = new_layout(isolation, Limits())
    started = time.monotonic()
    parent = None
    try:
        parent = WarmParent(isolation, layout, Limits(), preload_torch=True, wait=False)
        assert time.monotonic() - started < 2.5 and not late.answered() and parent.joined is not None
        parent.greet()
        assert (parent.joined is not None, parent.zygote_problem) == (True, None)
    finally:
        end_unused(layout, parent)
        late.close()


def test_the_zygote_serves_bwrap_as_root_only():
    assert why_not_here("uid") == "the zygote serves the bwrap sandbox only, not uid"
    assert why_not_here("bwrap") is None  # as root


ORDINARY_TORCH_SANDBOX = """
from autograder.worker.isolation import choose_isolation
from autograder.worker.limits import Limits
from autograder.worker.spares import end_unused, new_layout
from autograder.worker.warm_parent import WarmParent
isolation = choose_isolation("bwrap")
layout = new_layout(isolation, Limits())
parent = WarmParent(isolation, layout, Limits(), preload_torch=True)
print(parent.joined, parent.greeted, parent.zygote_problem)
end_unused(layout, parent)
"""


def test_as_an_ordinary_user_a_torch_sandbox_starts_the_fresh_way_and_says_why():
    """bwrap as an ordinary user, the switch at its default: the zygote does not serve, and
    says why (the grader could not list the joined processes, which are undumpable in a
    user namespace it does not own)."""
    folder = Path(tempfile.mkdtemp(prefix="autograder-ordinary-"))
    try:
        account = GraderAccount.ordinary(folder)
        user = pwd.getpwnam(account.user)
        done = subprocess.run(
            [account.python, "-c", ORDINARY_TORCH_SANDBOX], cwd=account.home, capture_output=True, text=True, timeout=300,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(account.course), "HOME": str(account.home), "LANG": "C.UTF-8"},
            user=user.pw_uid, group=user.pw_gid, extra_groups=[], check=False,
        )  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    reason = "the zygote serves bwrap as root only: as an ordinary user the grader could not list a joined sandbox's processes"
    assert done.stdout.strip() == f"None True {reason}", done.stderr


@pytest.mark.parametrize(("value", "start"), [(None, "zygote"), ("0", "fresh")], ids=["default", "switched-off"])
def test_a_complete_grading_gives_the_same_report_either_way(reference_report, monkeypatch, value, start):
    """solutions/ graded as root with the switch at its default (from the zygote) and with
    AUTOGRADER_ZYGOTE=0 (the fresh way) gets the suite's shared reference report (however
    that was graded) but for its times and how its torch sandbox started, which it names."""
    if value is not None:
        monkeypatch.setenv(SWITCH, value)
    process = GradingProcess()
    try:
        report = grade_submission(COURSE.solutions, COURSE, student="reference", process=process)
    finally:
        process.close()
    assert (report["sandbox_start"], report.get("sandbox_start_problem")) == (start, None)
    assert without_times(report) == without_times(reference_report)
    assert report["score"] == report["max_score"]


def without_times(report: dict) -> dict:
    """The report without what differs from one grading to the next of the same submission."""
    return {key: value for key, value in report.items() if key not in ("duration_s", "sandbox_start", "sandbox_start_problem")}


# A plugin for a grading session: its zygote is told that the engine's folder is not in the
# sandbox (as in test_the_zygote_refuses_...), so it refuses once it has imported torch.
NARROW_ZYGOTE = """
import sys
from pathlib import Path
from autograder.worker.isolation import bound_folders
from autograder.worker.zygote import Zygote, Zygotes

engine = str(Path(sys.modules["autograder"].__file__).resolve().parent)
Zygotes.shared[True] = Zygote([folder for folder in bound_folders() if folder != engine])
"""


def test_a_torch_sandbox_started_fresh_where_the_zygote_refused_says_so_in_the_report(pytester):
    """A grading session whose zygote refuses: its torch sandbox, started ahead, is handed
    to the zygote before it answers, then started the fresh way; the report names the fresh
    start and why, briefly (no path of the grader's: reports reach students), as its schema
    allows."""
    pytester.makepyfile(narrow_zygote=NARROW_ZYGOTE)
    pytester.makeini("[pytest]\n")
    result = pytester.runpytest_subprocess(
        "-p", "narrow_zygote", "-p", "no:cacheprovider", "--noconftest", "--import-mode=importlib", f"--rootdir={pytester.path}",
        "--grading", "--sandbox=bwrap", f"--bwrap={find_bwrap()}", f"--submission={COURSE.exercises}", "--student=zygote", "--concept=architectures",
        "--report-json=report.json", str(COURSE.public_checks),
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-2000:]
    report = json.loads((pytester.path / "report.json").read_text(encoding="utf-8"))
    assert (report["sandbox"], report["sandbox_start"]) == ("bwrap", "fresh")
    assert report["sandbox_start_problem"] == "the zygote holds files a sandbox cannot see"
    assert {check["status"] for check in report["concepts"][-1]["checks"]} == {"not_attempted"}
    jsonschema.validate(report, json.loads(resources.files("autograder.report").joinpath("schema.json").read_text()))


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie does not)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in status)
    except OSError:
        return False
