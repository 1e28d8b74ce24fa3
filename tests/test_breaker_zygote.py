"""Attacks on the zygote (`autograder.worker.zygote`, the default as root): what every
sandbox forked from one zygote shares that fresh interpreters would each draw for
themselves. Real bwrap, as root; the switch unset (its default), or AUTOGRADER_ZYGOTE=0
for a sandbox started the fresh way."""

import json
import os
import shutil
from pathlib import Path

import pytest

from autograder.worker.isolation import bound_folders, find_bwrap
from autograder.worker import zygote
from autograder.worker.zygote import SWITCH, Zygote, Zygotes
from test_zygote import call, ended, probe_sandbox

PROBE = Path(__file__).parent / "zygote_breaker_probe.py"
pytestmark = pytest.mark.skipif(os.geteuid() != 0 or find_bwrap() is None, reason="the zygote serves bwrap as root (CI runs as root)")


@pytest.fixture(autouse=True)
def switch_unset(monkeypatch):
    monkeypatch.delenv(SWITCH, raising=False)


@pytest.fixture(scope="module")
def states():
    """The probe's random states in two sandboxes of one grading process, both from the zygote."""
    found = []
    for _ in range(2):
        parent = probe_sandbox(joined=True)
        try:
            shutil.copy(PROBE, parent.layout.submission / "probe.py")
            found.append(call(parent, "random_states"))
        finally:
            ended(parent)
    return found


@pytest.mark.parametrize("state", ["torch", "authkey"])
def test_each_joined_sandbox_draws_its_own_torch_seed_and_multiprocessing_key(states, state):
    """A fresh interpreter seeds torch's default generator and draws multiprocessing's
    authentication key at start; forked from the zygote, every classmate's sandbox had the
    zygote's (the same unseeded torch.randn for all, a key one submission could read for
    another)."""
    first, second = states
    assert first[state] != second[state]


def test_each_joined_sandbox_draws_its_own_sympy_random_state(states):
    """torch's import loads sympy, whose module sympy.core.random makes generators of its
    own, seeded from os.urandom at import: forked from the zygote, every sandbox drew the
    same sympy.core.random.random()."""
    first, second = states
    assert first["sympy"] != second["sympy"]


def test_a_joined_sandbox_sees_the_sandboxs_timezone_not_the_zygotes(monkeypatch):
    """The zygote's C library read the host's timezone at its start (/etc/localtime, which
    no sandbox holds, so a fresh one sees UTC); its warm parents must look again in the
    sandbox. A zygote whose C library took Asia/Tokyo at its start, with no TZ left in its
    environment, stands in for a host whose /etc/localtime is Asia/Tokyo."""
    tokyo = "import os, time; os.environ['TZ'] = 'Asia/Tokyo'; time.tzset(); del os.environ['TZ']; "
    monkeypatch.setattr(zygote, "ZYGOTE_MAIN", tokyo + zygote.ZYGOTE_MAIN)
    host = Zygote(bound_folders())
    monkeypatch.setattr(Zygotes, "shared", {True: host})
    monkeypatch.setattr(Zygotes, "refused", {})
    try:
        parent = probe_sandbox(joined=True)
        try:
            shutil.copy(PROBE, parent.layout.submission / "probe.py")
            assert call(parent, "local_time") == ["UTC", "UTC", 0]
        finally:
            ended(parent)
    finally:
        host.close()


@pytest.fixture(scope="module")
def hosts():
    """The probe's `host()` in a sandbox from the zygote ("joined") and in one started
    the fresh way ("fresh")."""
    found = {}
    for name, joined in (("joined", True), ("fresh", False)):
        parent = probe_sandbox(joined=joined)
        try:
            shutil.copy(PROBE, parent.layout.submission / "probe.py")
            found[name] = call(parent, "host")
        finally:
            ended(parent)
    return found


def test_a_joined_sandbox_names_the_machine_sandbox_not_the_host(hosts):
    """platform caches uname() when torch's import first asks, in the zygote, outside the
    sandbox's UTS namespace: platform.node() gave the host's name (a fresh one's: "sandbox")."""
    assert hosts["joined"]["node"] == hosts["fresh"]["node"] == "sandbox"


def test_a_joined_sandbox_shows_a_warm_parents_command_line_not_the_zygotes(hosts):
    """sys.orig_argv was the zygote's (its -c code, the folders it holds, its private
    folder on the host); now it is a fresh warm parent's: its -c code, its settings (those
    of this sandbox: they differ from the fresh one's by their uid and descriptor), the
    engine; and it ends with sys.argv's arguments, as an interpreter's does."""
    joined, fresh = hosts["joined"], hosts["fresh"]
    assert not joined["orig_argv_has_zygote"]
    assert joined["orig_argv"][:4] == fresh["orig_argv"][:4] and joined["orig_argv"][-1] == fresh["orig_argv"][-1]
    assert joined["orig_argv"][4:] == joined["argv"][1:] and len(joined["orig_argv"]) == len(fresh["orig_argv"])
    assert json.loads(joined["orig_argv"][4]).keys() == json.loads(fresh["orig_argv"][4]).keys()
