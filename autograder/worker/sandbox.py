"""The grader's side of the sandbox: workers, requests with deadlines, failures as statuses.

`SandboxedSubmission` is what the `student` fixture gives a check when grading: its
modules are proxies whose calls travel to a worker as data. The submission's copy lives in
one sandbox (`autograder.worker.warm_parent`); one worker serves one concept at a time.
Moving to another concept resets the sandbox (every process but the warm parent dies).
Student code that raises, or calls sys.exit, costs the running check and its worker: the
next check gets a fresh worker, forked from the same warm parent. A worker that times out,
crashes or breaks the protocol, or a sandbox whose processes together pass the memory
limit, costs the running check, and the whole sandbox is replaced before the next one. A
module whose import fails fails every check of its concept at once, with the same status,
instead of timing out again and again.

A concept built on torch gets a warm parent that imported torch before any student code
ran in its sandbox (`autograder.worker.preload`): the sandbox is replaced by one whose warm
parent has, if it had not. So does every concept of a submission that imports torch (or an
exercise module built on it) in any other file, so that its workers need not import torch
each. The other concepts are served by the running sandbox, or by a new one without torch;
every warm parent imports the standard modules torch loads, with or without torch, so a
student's own timeit.py or logging.py stands in for the standard one in neither.

When the session will grade a concept built on torch, the sandbox for it starts with the
session, in the background, and imports torch while the other concepts are graded (their
checks come first); as root, the sandbox beside it runs as a user of its own, so neither
takes the other's processes (RLIMIT_NPROC counts per user); not in the uid sandbox, where
the two would share its working folder, and one's reset would kill the other. A grading server that grades one
submission after another has it ready before the session starts (`Spares`). Once it is
up, the calls its checks start ahead (`autograder.worker.ahead`: the detector's training on
the public clips) run there while the other concepts are graded, each in a worker of its
own; the concept's checks get a fresh worker, until a check claims a call with its first
request: they go on in the call's worker then, as in one process.
"""

import os
import re
import shutil
import stat
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from autograder.registry import CONCEPTS
from autograder.shared import Outcome
from autograder.worker.ahead import AheadCall, ahead_payload, same_call
from autograder.worker.channel import SLICE_S
from autograder.worker.errors import StudentCodeFailed, StudentCrashed, timed_out
from autograder.worker.handles import Handle
from autograder.worker.isolation import Isolation, Layout, sandbox_uid
from autograder.worker.limits import Limits
from autograder.worker.replies import NOT_AN_ANSWER, expected_shape, failure
from autograder.worker.spares import end_unused, new_layout, start_spare, take_spare
from autograder.worker.warm_parent import CONTROL_LIMIT_S, START_LIMIT_S, SandboxBroken, WarmParent
from autograder.worker.workers import Worker, answered_well, holder, out_of_memory
from autograder.worker.zygote import brief

IMPORT_LIMIT_S = 20.0  # a module's import, apart from any check's own limit
WHOLE_REPLY_READ_S = 1.0  # reading a reply that has come whole, which waits for nothing
TORCH_EXERCISES = frozenset(concept.module for concept in CONCEPTS if concept.built_on_torch)  # exercise modules, by name
# A statement that starts a line (after a byte-order mark, a lone carriage return or a
# semicolon, too) and imports torch, or an exercise module built on it (or a submodule of either)
TORCH_IMPORT = re.compile(
    rb"(?:^(?:\xef\xbb\xbf)?|(?<=[\r;]))[ \t\f]*(?:import[ \t]+(?:[\w.]+(?:[ \t]+as[ \t]+\w+)?[ \t]*,[ \t]*)*|from[ \t]+)(?:"
    + b"|".join(re.escape(name.encode()) for name in sorted({"torch", *TORCH_EXERCISES}))
    + rb")\b",
    re.MULTILINE,
)


class SandboxedSubmission:
    """A submission graded through workers in a sandbox; the original folder is copied,
    never touched. `probe`: paths the course keeps secret, which the sandbox must not see.
    `time_scale` multiplies the import limit as --time-scale multiplies each check's: a
    loaded machine slows `import torch` too; the limit of a spawn or a reset (CONTROL_LIMIT_S),
    which a loaded machine slows as much; and, if above 1, the sandbox's start, which may
    import torch for the grader. `torch_ahead`: the session will grade a concept
    built on torch, whose sandbox may start now (and, once it is in use, a spare for the
    next session: `autograder.worker.spares`); without, each sandbox starts when first
    needed (`--no-overlap`). `session_time_s`: the session's time limit
    (--total-time-limit, scaled), counted from the first check's start (`start_check`), as
    the checks count it; it also bounds the calls started ahead, which start no sooner."""

    def __init__(
        self,
        folder: Path,
        isolation: Isolation,
        limits: Limits = Limits(),
        probe: tuple[str, ...] = (),
        time_scale: float = 1.0,
        torch_ahead: bool = False,
        session_time_s: float | None = None,
    ):
        self.folder = folder
        self.session_time_s = session_time_s
        self.session_deadline = float("inf")  # set at the first check's start
        self.import_limit_s = IMPORT_LIMIT_S * time_scale
        self.start_limit_s = START_LIMIT_S * max(1.0, time_scale)
        self.control_limit_s = CONTROL_LIMIT_S * time_scale
        self.isolation = isolation
        self.limits = limits
        self.probe = probe if isolation.mode != "none" else ()  # without a sandbox, everything is visible
        self.spare_settings = (isolation, limits, self.probe, self.start_limit_s, self.control_limit_s)  # what a spare for this session was started with
        self.starts_early = torch_ahead
        spare = take_spare(self.spare_settings) if torch_ahead and isolation.mode != "uid" else None
        self.layout, self._torch_ahead = spare or (new_layout(isolation, limits), None)
        self.home = self.layout.submission.parent
        try:
            copy_submission(folder, self.layout.submission)
            self.lines = lines_per_file(self.layout.submission)
            self.torch_everywhere = imports_torch_beyond_its_concepts(self.layout.submission)
        except BaseException:  # no close() will come: end the spare taken, if one was
            end_unused(self.layout, self._torch_ahead)
            raise
        self._beside: Layout | None = None  # as root, the layout of the sandboxes beside the one started ahead
        self._parent: WarmParent | None = None
        self.worker: Worker | None = None
        self.deadline = float("inf")
        self.asked = False  # whether the running check has sent a request (its objects may live in the sandbox)
        self.broken_imports: dict[str, StudentCodeFailed] = {}
        self._ahead: dict[str, list[AheadCall]] = {}  # exercise module -> its calls started ahead, a worker each
        self._next_watch = 0.0  # when watch_ahead next counts their sandbox's memory (time.monotonic)
        # How the warm parents of its torch sandboxes started (the report's fields): "zygote",
        # or "fresh" once one did; and why the zygote did not serve one it could have served
        self.sandbox_start: str | None = None
        self.sandbox_start_problem: str | None = None
        if torch_ahead and isolation.mode != "uid" and self._torch_ahead is None:
            try:
                self._torch_ahead = self._start(torch=True, wait=False)
            except SandboxBroken:  # the sandbox that needs it will try again, and say why
                pass

    def _start(self, *, torch: bool, wait: bool = True) -> WarmParent:
        return WarmParent(
            self.isolation, self._layout_to_start(), self.limits, self.probe, preload_torch=torch, start_limit_s=self.start_limit_s,
            control_limit_s=self.control_limit_s, wait=wait,
        )  # fmt: skip

    def _layout_to_start(self) -> Layout:
        """The layout of the sandbox to start: the session's own, or, as root, for one that
        runs beside the sandbox started ahead (and every one after it), the same folders
        with a user of its own. RLIMIT_NPROC counts a user's processes and threads on the
        whole machine: with one user, a training ahead would take them from the other
        concept's checks. The copy is world-readable (`copy_submission`); in bwrap the
        working folder is a private /tmp."""
        if self._beside is None and self._torch_ahead is not None and self.layout.uid is not None:
            try:
                self._beside = replace(self.layout, uid=sandbox_uid())
            except RuntimeError as problem:  # no uid left: the check that needs it says so
                raise SandboxBroken(str(problem)) from None
        return self._beside or self.layout

    def parent(self, *, torch: bool = False) -> WarmParent:
        """The running sandbox, started when first needed; with `torch`, one whose warm
        parent imported torch at its start (a sandbox without is replaced), the one
        started ahead if there is one."""
        if self._parent is not None and torch and not self._parent.preloaded_torch:
            self._end_sandbox()
        if self._parent is None and torch and self._torch_ahead is not None:
            # counted as it is adopted, however recently it was (`watch_ahead`): memory its
            # calls hold ends it here, not in the import of the concept's worker
            self.watch_ahead(at_once=True)
            if self._torch_ahead is not None:
                ahead, self._torch_ahead = self._torch_ahead, None
                self._parent = _adopted(ahead)
        if self._parent is None:
            self._parent = self._start(torch=torch)
        if torch:
            self._note_start(self._parent)
            if self.starts_early:  # this session's torch sandbox is in use: the next session's may start
                start_spare(self.spare_settings)
        return self._parent

    def _note_start(self, parent: WarmParent) -> None:
        """Keep how `parent`, a torch sandbox that said hello, started: a fresh start
        outweighs any from the zygote, and the first reason the zygote gave is kept, briefly
        (a report reaches the student: no path of the grader's)."""
        if parent.joined is not None:
            self.sandbox_start = self.sandbox_start or "zygote"
            return
        self.sandbox_start = "fresh"
        if parent.zygote_wanted and self.sandbox_start_problem is None:
            self.sandbox_start_problem = brief(parent.zygote_problem or "the zygote did not serve")

    def needs_torch(self, module: str) -> bool:
        """Whether `module`'s worker needs a warm parent that imported torch: its concept is
        built on torch, or the submission imports torch beyond those concepts."""
        return module in TORCH_EXERCISES or self.torch_everywhere

    def watch_ahead(self, *, at_once: bool = False) -> None:
        """End the sandbox started ahead if the calls running there hold too much memory:
        the check that reads them fails, not the check running. Looked at once a SLICE_S
        at most, as often as a wait looks up from its socket: most checks take less, and
        counting the sandbox's memory reads /proc for each of its processes. `at_once`:
        look now, as the sandbox is adopted (`parent`): a count skipped then let the
        import of the concept's worker be blamed for what the calls hold."""
        ahead = self._torch_ahead
        if ahead is None or (time.monotonic() < self._next_watch and not at_once) or not self._running_ahead(ahead):
            return
        self._next_watch = time.monotonic() + SLICE_S
        if ahead.memory_bytes() > self.limits.memory_bytes:
            self._end_ahead(lambda label: out_of_memory(label, self.limits))

    def start_check(self, time_limit_s: float) -> None:
        """Start a check's clock, once the calls started ahead have moved on (`_advance_ahead`)
        and the workers of those claimed by an earlier check have ended (their memory is
        the sandbox's again). The first check's start starts the session's time limit too."""
        if self.session_time_s is not None and self.session_deadline == float("inf"):
            self.session_deadline = time.monotonic() + self.session_time_s
        self._advance_ahead()
        for call in self._calls():
            if call.worker not in (None, self.worker) and call.done and (call.claimed or call.outcome is None or call.outcome.error is not None):
                call.worker.close()  # it leaves its loop when the grader hangs up
        self.deadline = time.monotonic() + time_limit_s
        self.asked = False

    def start_ahead(self, module: str, function: str, inputs: tuple, time_limit_s: float) -> None:
        """Queue `module.function(*inputs)` to start ahead (autograder.worker.ahead), with
        this time limit from its start, unless the same call is queued already. `inputs`
        must be data; raises TypeError if not."""
        payload = ahead_payload(module, function, inputs)
        calls = self._ahead.setdefault(module, [])
        if not any(same_call(call.payload, payload) for call in calls):
            calls.append(AheadCall(module, payload, time_limit_s))

    def _calls(self) -> list[AheadCall]:
        """Every call started ahead, in order (one worker each)."""
        return [call for calls in self._ahead.values() for call in calls]

    def module(self, name: str) -> "ModuleProxy":
        return ModuleProxy(self, name)

    def call(self, module: str, payload: dict, label: str) -> Any:
        """Send a request about `module`'s code to its worker; raise how it failed, if it did.
        A call started ahead that is the same answers it instead, once: run again if its
        worker ended since it answered (`_run_again`); as the check's first request, alone
        in the sandbox, as it ran ahead: before the concept's worker is made, or once the
        one that served earlier checks is left (what they left running there, threads or
        memory, would count against the call's limits, and only because a check raised).
        A check whose first request claims a call goes on in its worker (`_going_on`)."""
        if module in self.broken_imports:
            failure = self.broken_imports[module]
            raise type(failure)(*failure.args)
        first, self.asked = not self.asked, True
        if first and _lost(ahead := self._claimable(module, payload)):
            self._run_again(ahead, alone=True)
        worker = self._worker_for(module, payload if first else None)  # it answers the calls ahead not answered yet
        ahead = self._claimable(module, payload)
        if ahead is None:
            return self._send(holder(payload, worker, label), payload, label)
        if _lost(ahead):
            self._run_again(ahead)
        ahead.claimed = True
        if ahead.outcome.error is None:
            _copy_back(ahead.reply["mutated"], payload)
        return ahead.outcome.get()

    def _claimable(self, module: str, payload: dict) -> AheadCall | None:
        """The call started ahead, answered and unclaimed, that `payload` asks for, if any."""
        return next((call for call in self._ahead.get(module, ()) if call.answers(payload)), None)

    def _run_again(self, call: AheadCall, *, alone: bool = False) -> None:
        """Run `call` again, whose worker ended after it answered (a check of its concept
        that failed resets the sandbox): as it ran ahead, in a worker of its own (never the
        concept's, where other checks ran), within its own limit and off the check's clock,
        so that what the check gets does not depend on whether another failed. A failure
        there resets the sandbox under the concept's worker, which is left as a failure in
        it leaves it. `alone`: leave the concept's worker first (the check holds nothing of
        it), so that the call runs alone in the sandbox, as it ran ahead."""
        started = time.monotonic()
        try:
            if alone:
                self._leave_worker()
            if not self._answer_ahead(call, self.parent(torch=self.needs_torch(call.module))):
                self._forget_worker()
        except SandboxBroken as problem:
            self._end_sandbox()
            raise StudentCrashed(f"the sandbox for {call.module}.py could not start a worker ({problem})") from None
        except (StudentCodeFailed, NotImplementedError):  # its import's failure, this time
            self._forget_worker()
            raise
        finally:
            self.deadline += time.monotonic() - started

    def _forget_worker(self) -> None:
        """The sandbox was reset under the concept's worker: the next check gets a fresh one."""
        if self.worker is not None:
            self.worker.close()
            self.worker = None

    def call_handle(self, handle: Handle, payload: dict, label: str) -> Any:
        """A request about a student object; the worker that holds it must still run (the
        concept's, or the one that answered its calls ahead)."""
        self.asked = True
        if handle._worker.closed:
            raise StudentCrashed(f"{label}: this object belongs to a worker that has stopped")
        if holder(payload, handle._worker, label) is not handle._worker:
            raise StudentCrashed(f"{label}: an object it was given belongs to another worker")
        return self._send(handle._worker, payload, label)

    def _send(self, worker: Worker, payload: dict, label: str, deadline: float | None = None) -> Any:
        deadline = self.deadline if deadline is None else deadline
        return self._result(self._transport(lambda: worker.request(payload, deadline, label)), payload, label)

    def _transport(self, exchange: Callable[[], Any]) -> Any:
        """What `exchange` read from the worker; a worker that timed out, crashed or broke
        the protocol takes its sandbox with it."""
        try:
            return exchange()
        except StudentCodeFailed:
            self._end_sandbox()
            raise

    def _worker_for(self, module: str, first_request: dict | None = None) -> Worker:
        """The worker for `module`'s checks: the running one, or a fresh one that imported
        the module, once the calls started ahead for it have answered in a worker of their
        own (autograder.worker.ahead); for a check whose first request, `first_request`,
        claims a call that answered well, the call's worker (`_going_on`)."""
        if self.worker is not None and self.worker.module == module:
            going_on = self._going_on(module, first_request)
            if going_on is not None:
                self.worker.close()  # the concept's fresh one, which holds nothing of this check
                self.worker = going_on
            return self.worker
        # leaving the last concept's worker, the import and the calls started ahead have
        # limits of their own, not the check's
        started = time.monotonic()
        self._leave_worker()
        try:
            for call in self._ahead.get(module, ()):
                if not call.done and not self._answer_ahead(call, self.parent(torch=self.needs_torch(module))):
                    for rest in self._ahead[module]:  # the first failure stops the calls ahead
                        rest.done = True
            self.worker = self._going_on(module, first_request)
            if self.worker is None:
                self.worker = Worker(self, module, self.parent(torch=self.needs_torch(module)))
                self._send(self.worker, {"op": "import", "module": module}, f"importing {module}.py", time.monotonic() + self.import_limit_s)
        except SandboxBroken as problem:
            self._end_sandbox()
            raise StudentCrashed(f"the sandbox for {module}.py could not start a worker ({problem})") from None
        except (StudentCodeFailed, NotImplementedError) as failure:  # the import's, here or in the calls' worker
            self.broken_imports[module] = failure
            self._leave_worker()
            raise
        self.deadline += time.monotonic() - started
        return self.worker

    def _going_on(self, module: str, first_request: dict | None) -> Worker | None:
        """The worker of the call ahead that `first_request`, a check's first request,
        claims, if the call answered well and its worker still runs in the sandbox: the
        concept's checks go on there, as in one process, where the checks before the
        claiming one ran before the call and those after it, after: as in the student's own
        `pytest`. A worker kept beside them would hold the call's memory and threads against
        their limits, and each training in a worker of its own costs a warm-up (page faults,
        kernels): 0.2 s of CPU a complete submission."""
        call = self._claimable(module, first_request) if first_request is not None else None
        if call is None or call.outcome.error is not None or call.worker is self.worker or not self._in_use(call.worker, self._parent):
            return None
        return call.worker

    def _answer_ahead(self, call: AheadCall, parent: WarmParent) -> bool:
        """Answer `call` within its own limit from its start, in a worker of its own in
        `parent`: the one started early, which may have answered already, or a new one.
        A call that fails ends that worker as a failure ends any (its answer's objects
        with it): False then. Raises the module's import failure, as the concept's own
        worker would meet it."""
        call.done = True  # the call's one run, whatever happens
        if isinstance(call.reply, BaseException) and not self._in_use(call.worker, parent):
            call.outcome = Outcome(error=call.reply)  # met early, in a sandbox gone since
            return False
        worker, label = self._ahead_worker(call, parent), f"importing {call.module}.py"
        try:
            self._transport(lambda: self._read_import(call, wait=True))
            self._result(self._stored(call.import_reply, worker), {"op": "import", "module": call.module}, label)
        except (StudentCodeFailed, NotImplementedError):
            self._stop_ahead(worker)
            raise
        try:
            self._transport(lambda: self._run_call(call, wait=True))
            # no payload to change in place: the call's own inputs stay as sent, to compare with a check's
            call.outcome = Outcome(self._result(self._stored(call.reply, worker), {}, call.payload["name"]))
        except Exception as failure:  # noqa: BLE001 - the check that claims the call raises it
            call.outcome = Outcome(error=failure)
            self._stop_ahead(worker)
            return False
        return True

    def _in_use(self, worker: Worker | None, parent: WarmParent) -> bool:
        return worker is not None and worker.parent is parent and not worker.closed

    def _ahead_worker(self, call: AheadCall, parent: WarmParent) -> Worker:
        """The call's worker in `parent`: the one started early, if it runs there; else a
        new one, sent the import (what ran in a sandbox gone since runs again)."""
        if self._in_use(call.worker, parent):
            return call.worker
        if call.worker is not None:
            call.worker.close()
        call.worker, call.unsent, call.reply = Worker(self, call.module, parent), None, None
        self._send_import(call)
        return call.worker

    def _send_import(self, call: AheadCall) -> None:
        call.import_reply, call.import_deadline = None, time.monotonic() + self.import_limit_s
        self._transport(lambda: call.worker.send({"op": "import", "module": call.module}, call.import_deadline, f"importing {call.module}.py"))

    def _read_import(self, call: AheadCall, *, wait: bool) -> None:
        """Read the import's reply: if it has come whole, or with `wait`, within its limit."""
        if call.import_reply is None and (wait or call.worker.answered()):
            call.import_reply = call.worker.receive(call.import_deadline, f"importing {call.module}.py")

    def _run_call(self, call: AheadCall, *, wait: bool) -> None:
        """Write the call's request and read its reply: as far as goes without waiting, or
        with `wait`, to the end, each within the call's limit (counted from its last part
        written, when it may start).

        Without `wait`, the grader only looks (at each check's start): a look past the limit
        that finds no reply begun is the call's time-out; one that finds it whole, or begun
        (a reply larger than the socket's buffer never waits whole), cannot tell whether
        it came within the limit (the look before was within it, and found none), so the
        call runs again, in a new worker (watched, if need be, by `_answer_ahead`): a reply
        that came in time is never read as a time-out."""
        worker, name = call.worker, call.payload["name"]
        if call.reply is not None:
            return
        if call.unsent is None:
            call.unsent, call.deadline = worker.framed(call.payload), self._ahead_deadline(call)
        if call.unsent:
            call.unsent = worker.finish_sending(call.unsent, call.deadline, name) if wait else worker.send_available(call.unsent, name)
            if call.unsent:
                return
            call.deadline = self._ahead_deadline(call)
        if wait:
            call.reply = worker.receive(call.deadline, name)
            return
        looked, whole = time.monotonic(), worker.answered()
        if whole and looked < call.deadline:
            call.reply = worker.receive(looked + WHOLE_REPLY_READ_S, name)
        elif whole or (looked >= call.deadline and worker.replying()):
            worker.close()
            call.worker = call.unsent = None
        elif looked >= call.deadline:
            raise timed_out(name)

    def _stop_ahead(self, worker: Worker) -> None:
        """End the worker of the calls ahead, and what it started, after a failure: the
        reset ends the other calls' workers there too (their calls run again if asked)."""
        worker.close()
        if self._parent is worker.parent:
            self._close_ahead_workers()
            try:
                self._parent.reset()
            except SandboxBroken:
                self._end_sandbox()

    def _stored(self, reply: Any, sent_to: Worker) -> Any:
        """A reply read early, or the failure met reading it: raised as if read now (ending
        the sandbox, if it is the running one)."""
        if isinstance(reply, BaseException):
            if self._parent is not None and sent_to.parent is self._parent:
                self._end_sandbox()
            raise reply
        return reply

    def _ahead_deadline(self, call: AheadCall) -> float:
        return min(time.monotonic() + call.limit_s, self.session_deadline)

    def _running_ahead(self, parent: WarmParent) -> bool:
        """Whether calls started ahead run in `parent`, a sandbox no check uses yet."""
        return any(call.worker is not None and call.worker.parent is parent and not call.done for call in self._calls())

    def _advance_ahead(self) -> None:
        """Move the calls started ahead on, without waiting: once the sandbox started ahead
        is up (unless every concept is to be served by it), start each call's worker when
        the call before it answered well (one at a time: no student code runs beside
        itself), write its request as the socket takes it, and read what answered. A
        failure waits there for `_answer_ahead`, which handles it as in any check."""
        self.watch_ahead()
        for call in self._calls():
            if not self._advance_one(call):
                break

    def _advance_one(self, call: AheadCall) -> bool:
        """Move one call on; whether it answered well (the next may start)."""
        ahead = self._torch_ahead
        if call.done or ahead is None or self.torch_everywhere or not self.needs_torch(call.module):
            return False
        try:
            if call.worker is None and ahead.ready():
                call.worker = Worker(self, call.module, ahead)
                self._send_import(call)
            if call.worker is not None:
                self._read_import(call, wait=False)
                if answered_well(call.import_reply):
                    self._run_call(call, wait=False)
        except SandboxBroken:  # a check that needs it starts a fresh one, which says why if it fails too
            if call.worker is None:
                self._torch_ahead = None
                ahead.kill()
        except StudentCodeFailed as failure:  # timed out, crashed or out of memory: as in a check, the sandbox ends
            self._end_ahead(lambda _: failure)
        return answered_well(call.reply)

    def _end_ahead(self, failure: Callable[[str], StudentCodeFailed]) -> None:
        """Kill the sandbox started ahead, keeping `failure(label)` as the reply of what ran
        there (the import, or a call), for the check that reads it."""
        ahead, self._torch_ahead = self._torch_ahead, None
        if ahead is None:
            return
        for call in self._calls():
            if call.worker is not None and call.worker.parent is ahead:
                call.fail(failure)
        ahead.kill()

    def _result(self, reply: Any, payload: dict, label: str) -> Any:
        """The answer in a worker's reply; raise the failure it reports. A worker that
        reports a failure is left (a stub's NotImplementedError excepted): the next check
        gets a fresh one."""
        if not expected_shape(reply):
            self._end_sandbox()
            raise StudentCrashed(f"{label}: {NOT_AN_ANSWER}")
        if "ok" in reply:
            _copy_back(reply["mutated"], payload)
            return reply["ok"]
        error = failure(reply, label, self.limits.memory_bytes / 1024**3, self.lines)
        if not isinstance(error, NotImplementedError):
            self._leave_worker()
        raise error

    def _leave_worker(self) -> None:
        """Stop the current worker and whatever it started; the sandbox stays."""
        if self.worker is None:
            return
        self.worker.close()
        self.worker = None
        self._close_ahead_workers()
        try:
            self.parent().reset()
        except SandboxBroken:
            self._end_sandbox()

    def _end_sandbox(self) -> None:
        """Kill the sandbox and all its processes; the next check starts a fresh one."""
        if self.worker is not None:
            self.worker.close()
            self.worker = None
        self._close_ahead_workers()
        if self._parent is not None:
            self._parent.kill()
            self._parent = None

    def _close_ahead_workers(self) -> None:
        """The running sandbox is reset or ended: the workers of calls ahead there end too."""
        for call in self._calls():
            if call.worker is not None and call.worker.parent is self._parent:
                call.worker.close()

    def close(self) -> None:
        self._end_sandbox()
        if self._torch_ahead is not None:
            self._torch_ahead.kill()
        for call in self._calls():
            if call.worker is not None:
                call.worker.close()
        shutil.rmtree(self.home, ignore_errors=True)


def _adopted(ahead: WarmParent) -> WarmParent | None:
    """The sandbox started ahead, once it said hello, if it still runs; else None, and a
    fresh one is started instead (which says why, if it fails too). Before a check's
    code, it ran only calls started ahead, which run again in the fresh one if they had
    not answered: what ended it (the machine's out-of-memory killer, say) costs no check."""
    try:
        ahead.greet()
    except SandboxBroken:
        return None
    if ahead.process.poll() is not None:
        ahead.kill()
        return None
    return ahead


def imports_torch_beyond_its_concepts(folder: Path) -> bool:
    """Whether a Python file under `folder`, besides the exercise modules built on torch,
    imports torch or one of those modules (`imports_torch`)."""
    return any(imports_torch(path) for path in folder.rglob("*.py") if path.stem not in TORCH_EXERCISES and path.is_file() and not path.is_symlink())


def imports_torch(path: Path) -> bool:
    """Whether the file at `path` has a line that imports torch, an exercise module built on
    it, or a submodule of either (`import torch`, `import numpy as np, torch.nn as nn`,
    `from architectures import clip_classifier`, indented or not); False if it cannot be
    read. Read line by line, never parsed: the grader reads a student's file in linear time
    and memory. A miss (an import through importlib, a continued line) costs the time of
    torch's import in each of its workers."""
    try:
        return TORCH_IMPORT.search(path.read_bytes()) is not None
    except OSError:
        return False


def lines_per_file(folder: Path) -> dict[str, int]:
    """Each Python file's name under `folder` -> its number of lines (the most, for a name
    that is in several folders): the lines a traceback into the submission can name."""
    lines: dict[str, int] = {}
    for path in folder.rglob("*.py"):
        if path.is_file() and not path.is_symlink():
            lines[path.name] = max(lines.get(path.name, 0), path.read_bytes().count(b"\n") + 1)
    return lines


def copy_submission(source: Path, target: Path) -> None:
    """Copy the submission's regular files and folders, readable by the sandbox's user.

    Links and special files are left behind, never followed: inside the sandbox a link
    could point anywhere the grader can read."""
    target.mkdir(exist_ok=True)  # the top folder may be made ahead, empty (spares.new_layout)
    os.chmod(target, 0o755)  # not mkdir's mode, which the grader's umask (077, say) narrows
    for entry in sorted(source.iterdir()):
        info = entry.lstat()
        if entry.name in ("__pycache__", ".git") or entry.suffix == ".pyc":
            continue
        if stat.S_ISDIR(info.st_mode):
            copy_submission(entry, target / entry.name)
        elif stat.S_ISREG(info.st_mode):
            shutil.copyfile(entry, target / entry.name, follow_symlinks=False)
            os.chmod(target / entry.name, 0o644)


def _lost(call: AheadCall | None) -> bool:
    """Whether `call` answered well in a worker that has ended since: its answer's objects
    ended with it, so it runs again (`SandboxedSubmission._run_again`)."""
    return call is not None and call.outcome.error is None and call.worker.closed


def _copy_back(mutated: Any, payload: dict) -> None:
    """Apply the student's in-place changes to the check's own arrays, as in one process."""
    if not isinstance(mutated, list):
        return
    for item in mutated:
        if not (isinstance(item, list) and len(item) == 2):
            continue
        key, value = item
        arguments = payload.get("args", []) if type(key) is int else payload.get("kwargs", {})
        try:
            target = arguments[key]
        except (IndexError, KeyError, TypeError):
            continue
        if type(target) is np.ndarray and type(value) is np.ndarray and target.shape == value.shape:
            target[...] = value


class ModuleProxy:
    """`student.conv2d(x, w)` as a request to the worker for this module."""

    def __init__(self, submission: SandboxedSubmission, name: str):
        self._submission, self._name = submission, name

    def __getattr__(self, function: str):
        if function.startswith("__"):
            raise AttributeError(function)

        def call(*args, **kwargs):
            payload = {"op": "call", "module": self._name, "name": function, "args": list(args), "kwargs": kwargs}
            return self._submission.call(self._name, payload, function)

        call.__name__ = function
        return call
